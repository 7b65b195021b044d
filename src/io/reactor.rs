//! The reactor: one single-threaded mio loop around the protocol core (`proto::Agent`), the
//! thin coordinator between it and the shell modules.
//!
//! Each turn:
//! 1. re-arm the agent's timer in the wheel from `Agent::poll_timeout()`, then wait in
//!    `epoll_wait` until the earliest wheel deadline;
//! 2. read CLOCK_MONOTONIC once: every input of the turn carries that `now`;
//! 3. handle the ready sources in the order epoll returned them: signals (reap, reload,
//!    dumps, stop), the netlink monitor (link and address events), the VRRP receive sockets;
//! 4. fire the due timers: the agent's `Input::Timeout`, script timeouts and kill escalation;
//! 5. carry out every queued `Action`, in order (adverts as `Agent::advert` builds them,
//!    GARPs, VIPs, routes, rules, scripts, notifies, FIFO lines, log lines);
//! 6. after SIGTERM/SIGINT: wait up to a second for the children (notify_stop), SIGKILL the
//!    process groups still running, return 0.
//!
//! mio registers edge-triggered, so every source is drained until it would block. The agent
//! never sees the OS: it gets `Input`s and hands back `Action`s. All the inputs of a turn go
//! in before that turn's actions are drained (step 5 comes after steps 3 and 4).
use super::control::{self, Control, Request};
use super::demotions::{self, Demotions};
use super::dump::{self, Fifos};
use super::error::setup;
pub use super::error::DaemonError;
use super::kernel::{Kernel, KernelEvent};
use super::packet_sock::PacketSocket;
use super::signals::Signals;
use super::spawn::{ChildTimer, Children};
use super::sys;
use super::track_file::TrackFiles;
use super::track_process::Processes;
use super::vmac::Vmacs;
use super::vrrp_sock::VrrpSockets;
use super::wheel::{TimerId, Wheel};
use crate::config::model::{Command, Config, Micros, Static};
use crate::proto::{Action, Agent, Input, InstanceId, Instant, Level, NoAdvert, ScriptId, ScriptResult};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use std::net::IpAddr;

const SIGNALS: Token = Token(0);
const NETLINK_MONITOR: Token = Token(1);
const TRACK_FILES: Token = Token(2);
const CONTROL: Token = Token(3);
const METRICS: Token = Token(4);
/// The inner epoll of the tracked processes' pidfds.
const PROCESS_EXITS: Token = Token(5);
/// Control client `k` is `Token(CLIENT_BASE + k)`.
const CLIENT_BASE: usize = 16;
/// VRRP receive socket `k` is `Token(RX_BASE + k)`.
const RX_BASE: usize = CLIENT_BASE + control::MAX_CLIENTS;

/// What a wheel entry stands for.
#[derive(Debug)]
enum Timer {
    /// The agent's `poll_timeout()` deadline.
    Agent,
    /// A child's timeout or kill escalation, handed back to `Children`.
    Child(ChildTimer),
    /// A control client's deadline (`Control::deadline`).
    Client { slot: usize, generation: u64 },
    /// The next share of the /proc scan for tracked processes.
    ProcessScan,
}

impl From<ChildTimer> for Timer {
    fn from(t: ChildTimer) -> Timer {
        Timer::Child(t)
    }
}

/// How the daemon was started (what it needs beyond the loaded configuration).
pub struct Options {
    /// Re-read on SIGHUP.
    pub config_path: std::path::PathBuf,
    pub load: crate::config::LoadOptions,
    /// keepalived `-V` / `--dont-release-vrrp`: VIPs stay in place when we stop.
    pub dont_release_vrrp: bool,
    /// keepalived `-a` / `--address-monitoring`: log every address netlink reports.
    pub address_monitoring: bool,
    /// The control socket's path (None: no control socket).
    pub control_socket: Option<std::path::PathBuf>,
    /// Where `GET /metrics` is served (None: nowhere, the default).
    pub metrics_listen: Option<std::net::SocketAddr>,
}

pub struct Daemon {
    agent: Agent,
    opts: Options,
    poll: Poll,
    kernel: Kernel,
    vrrp: VrrpSockets,
    packet: PacketSocket,
    children: Children,
    wheel: Wheel<Timer>,
    /// The wheel entry for the agent's deadline, and that deadline.
    agent_timer: Option<(TimerId, u64)>,
    signals: Signals,
    stopping: bool,
    fifos: Fifos,
    track_files: TrackFiles,
    processes: Processes,
    /// The wheel entry of the next /proc scan share.
    process_scan: Option<TimerId>,
    control: Control,
    demotions: Demotions,
    vmacs: Vmacs,
}

fn now() -> Instant {
    Instant::from_micros(sys::monotonic_us())
}

/// The wall clock, for the times status and events show.
fn unix_us() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// The control socket and the metrics listener; a failure is logged and the daemon runs
/// without them (keepalived has neither: they must not stop VRRP).
fn open_control(opts: &Options, registry: &mio::Registry) -> Result<Control, DaemonError> {
    let unix = opts.control_socket.as_ref().and_then(|p| match control::bind_control(p) {
        Ok(l) => Some((l, p.clone())),
        Err(e) => {
            log::error!("{e}; running without a control socket");
            None
        }
    });
    let http = opts.metrics_listen.and_then(|a| match std::net::TcpListener::bind(a) {
        Ok(l) if l.set_nonblocking(true).is_ok() => {
            log::info!("Serving metrics on http://{a}/metrics");
            Some(l)
        }
        Ok(_) => None,
        Err(e) => {
            log::error!("metrics_listen {a}: bind: {e}; not serving metrics");
            None
        }
    });
    setup("register", Control::new(unix, http, registry, CONTROL, METRICS, CLIENT_BASE))
}

/// The VMACs the configuration wants and the kernel lacks are down: their instances go to
/// FAULT (keepalived: a missing interface), never MASTER on a link that does not exist.
fn report_missing_vmacs(agent: &mut Agent, kernel: &Kernel, now: Instant) {
    for name in &Vmacs::missing(agent.config(), kernel) {
        agent.handle(now, Input::Link { interface: name, up: false });
    }
}

impl Daemon {
    /// Sets everything up in this order: epoll, rtnetlink (with the first link and address
    /// dump), signal handlers, the packet socket, the control socket, the VMACs, the agent
    /// (told of every address and of the interfaces that are down, then started), the notify
    /// FIFOs and their scripts, the VRRP sockets. The VMACs come after every step that can
    /// fail but the registrations and the VRRP sockets, whose failure deletes them again.
    pub fn new(config: Config, opts: Options) -> Result<Daemon, DaemonError> {
        let poll = setup("epoll", Poll::new())?;
        let mut kernel = Kernel::open()?;
        let signals = Signals::install()?;
        setup("register", poll.registry().register(&mut SourceFd(&signals.fd()), SIGNALS, Interest::READABLE))?;
        setup(
            "register",
            poll.registry().register(&mut SourceFd(&kernel.monitor_fd()), NETLINK_MONITOR, Interest::READABLE),
        )?;
        let packet = PacketSocket::open()?;
        let control = open_control(&opts, poll.registry())?;
        // The VMACs exist before the agent hears of the links and before the sockets open.
        let mut vmacs = Vmacs::default();
        vmacs.reconcile(Some(&config), &mut kernel);

        let start = now();
        let mut agent = Agent::new(config, start);
        for (name, i) in kernel.interfaces() {
            for a in &i.addrs {
                agent.handle(start, Input::AddressAdded { interface: name, addr: *a });
            }
            if !i.up {
                agent.handle(start, Input::Link { interface: name, up: false });
            }
        }
        report_missing_vmacs(&mut agent, &kernel, start);
        let mut track_files = TrackFiles::default();
        for (file, value) in track_files.watch(&agent, true) {
            agent.handle(start, Input::TrackFile { file, value });
        }
        let mut processes = Processes::new();
        for (process, count, forked) in processes.configure(&agent, true) {
            agent.handle(start, Input::ProcessCount { process, count, forked });
        }
        agent.start_at_uptime(start, super::host::uptime());
        let vrrp = VrrpSockets::new(agent.instance_count());
        let mut children = Children::default();
        let fifos = Fifos::open(&agent.config().global, &mut children);
        let demotions = Demotions::open(opts.control_socket.as_deref());
        for p in demotions.pending(unix_us()) {
            let Some(i) = agent.instance_id(&p.instance) else { continue };
            let until = p.until.map(|u| start.plus(u.saturating_sub(unix_us())));
            log::info!("({}) demoted before the restart (vrrpd demote --persist)", p.instance);
            agent.handle(start, Input::Demote { instance: i, until, force: p.force });
        }
        let mut d = Daemon {
            agent,
            opts,
            poll,
            kernel,
            vrrp,
            packet,
            children,
            wheel: Wheel::new(start.as_micros()),
            agent_timer: None,
            signals,
            stopping: false,
            fifos,
            track_files,
            processes,
            process_scan: None,
            control,
            demotions,
            vmacs,
        };
        d.schedule_process_scan(start.as_micros() + super::track_process::SCAN_INTERVAL_US);
        if let Err(e) = d.register_watches().and_then(|()| d.open_vrrp_sockets()) {
            // main exits: nothing of ours may stay behind.
            d.vmacs.reconcile(None, &mut d.kernel);
            return Err(e);
        }
        Ok(d)
    }

    /// The track files' inotify fd and the tracked processes' pidfd epoll, when in use.
    fn register_watches(&mut self) -> Result<(), DaemonError> {
        let registry = self.poll.registry();
        if let Some(fd) = self.track_files.fd() {
            setup("register", registry.register(&mut SourceFd(&fd), TRACK_FILES, Interest::READABLE))?;
        }
        if let Some(fd) = self.processes.exits_fd() {
            setup("register", registry.register(&mut SourceFd(&fd), PROCESS_EXITS, Interest::READABLE))?;
        }
        Ok(())
    }

    fn open_vrrp_sockets(&mut self) -> Result<(), DaemonError> {
        self.vrrp.open(self.agent.config(), self.kernel.interfaces(), self.poll.registry(), RX_BASE)
    }

    /// Runs until SIGTERM/SIGINT; returns the exit code.
    pub fn run(&mut self) -> i32 {
        let mut events = Events::with_capacity(64);
        let mut now = now();
        self.apply_actions(now);
        loop {
            self.rearm_agent_timer();
            // The clock read again: a long turn (a burst of ACKed netlink requests) must not
            // make every deadline that much late.
            let t = sys::monotonic_us();
            let timeout = self.wheel.next_deadline().map(|d| std::time::Duration::from_micros(d.saturating_sub(t)));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    log::error!("epoll_wait: {e}");
                    self.control.remove_socket();
                    self.release_vmacs();
                    return 1;
                }
            }
            // CLOCK_MONOTONIC is read once per turn: every input below carries this `now`.
            now = Instant::from_micros(sys::monotonic_us());
            for ev in events.iter() {
                match ev.token() {
                    SIGNALS => self.on_signals(now),
                    NETLINK_MONITOR => self.on_netlink(now),
                    TRACK_FILES => self.on_track_files(now),
                    PROCESS_EXITS => {
                        self.processes.on_exits();
                        self.report_processes(now);
                    }
                    CONTROL => self.on_accept(now, false),
                    METRICS => self.on_accept(now, true),
                    Token(t) if t >= RX_BASE => self.on_vrrp(now, t - RX_BASE),
                    Token(t) if t >= CLIENT_BASE => {
                        self.on_client(now, Token(t), ev.is_write_closed() || ev.is_error())
                    }
                    _ => {}
                }
            }
            for timer in self.wheel.expire(now.as_micros()) {
                self.on_timer(now, timer);
            }
            self.apply_actions(now);
            if self.stopping {
                return self.finish_stop();
            }
        }
    }

    /// Keeps one wheel entry at the agent's `poll_timeout()` (none when it wants none).
    fn rearm_agent_timer(&mut self) {
        let want = self.agent.poll_timeout().map(|t| t.as_micros());
        match (self.agent_timer, want) {
            (Some((_, at)), Some(w)) if at == w => {}
            (old, want) => {
                if let Some((id, _)) = old {
                    self.wheel.cancel(id);
                }
                self.agent_timer = want.map(|w| (self.wheel.insert(w, Timer::Agent), w));
            }
        }
    }

    fn on_timer(&mut self, now: Instant, t: Timer) {
        match t {
            Timer::Agent => {
                self.agent_timer = None;
                self.agent.handle(now, Input::Timeout);
            }
            Timer::Child(t) => self.children.on_timer(&mut self.wheel, now, t),
            Timer::Client { slot, generation } => self.control.deadline(self.poll.registry(), slot, generation),
            Timer::ProcessScan => {
                self.process_scan = None;
                let next = self.processes.scan_turn(now.as_micros());
                self.report_processes(now);
                self.schedule_process_scan(next);
            }
        }
    }

    /// The next /proc scan share at `at` (none when no process is tracked).
    fn schedule_process_scan(&mut self, at: u64) {
        if let Some(id) = self.process_scan.take() {
            self.wheel.cancel(id);
        }
        if self.processes.active() {
            self.process_scan = Some(self.wheel.insert(at, Timer::ProcessScan));
        }
    }

    /// New counts of tracked processes go to the agent.
    fn report_processes(&mut self, now: Instant) {
        for (process, count, forked) in self.processes.changes() {
            self.agent.handle(now, Input::ProcessCount { process, count, forked });
        }
    }

    /// After a reload: the new definitions with the counts carried over, then a bounded scan
    /// at once (its shares a loop turn each).
    fn reconfigure_processes(&mut self, now: Instant) {
        let had_fd = self.processes.exits_fd().is_some();
        for (process, count, forked) in self.processes.configure(&self.agent, false) {
            self.agent.handle(now, Input::ProcessCount { process, count, forked });
        }
        if let (false, Some(fd)) = (had_fd, self.processes.exits_fd()) {
            if let Err(e) = self.poll.registry().register(&mut SourceFd(&fd), PROCESS_EXITS, Interest::READABLE) {
                log::error!("track_process: epoll register: {e}");
            }
        }
        self.schedule_process_scan(now.as_micros());
    }

    /// New control (or metrics) clients, each with its deadline.
    fn on_accept(&mut self, now: Instant, http: bool) {
        let deadline = if http { control::HTTP_DEADLINE_US } else { control::CLIENT_DEADLINE_US };
        for a in self.control.accept(self.poll.registry(), http) {
            let at = now.as_micros() + deadline;
            self.wheel.insert(at, Timer::Client { slot: a.slot, generation: a.generation });
        }
    }

    /// A control client is readable or writable; a complete request is answered at once.
    fn on_client(&mut self, now: Instant, token: Token, hung_up: bool) {
        let Some(slot) = self.control.slot_of(token) else { return };
        if let Some(request) = self.control.on_ready(self.poll.registry(), slot, hung_up) {
            self.answer(now, slot, request);
        }
    }

    /// Answers a control request from the agent's memory (and the kernel table).
    fn answer(&mut self, now: Instant, slot: usize, request: Request) {
        use crate::proto::{metrics, status};
        let registry = self.poll.registry();
        match request {
            Request::Status { instance, json } => match status::select(&self.agent, instance.as_deref()) {
                Ok(ids) => {
                    let clock = status::Clock { now, unix_us: unix_us() };
                    let body = if json {
                        status::json(&self.agent, &ids, &self.kernel, &clock)
                    } else {
                        status::human(&self.agent, &ids, &self.kernel, &clock)
                    };
                    self.control.reply(registry, slot, "application/json", &body);
                }
                Err(e) => self.control.reply_error(registry, slot, &e),
            },
            Request::Metrics { openmetrics } => {
                let format = if openmetrics { metrics::Format::OpenMetrics } else { metrics::Format::Prometheus };
                let body = metrics::render(&self.agent, &self.kernel, now, format);
                self.control.reply(registry, slot, format.content_type(), &body);
            }
            Request::Events { json } => self.control.subscribe(registry, slot, json),
            Request::Demote { instance, for_us, force, persist } => {
                let targets = match self.targets(instance.as_deref()) {
                    Ok(t) => t,
                    Err(e) => return self.control.reply_error(registry, slot, &e),
                };
                let until = for_us.map(|d| now.plus(d));
                let mut waiting = Vec::new();
                for &i in &targets {
                    for m in self.agent.group_members(i) {
                        let instance = self.agent.conf(m).name.clone();
                        if persist {
                            let until = for_us.map(|d| unix_us() + d);
                            self.demotions.add(demotions::Persisted { instance: instance.clone(), until, force });
                        }
                        waiting.push(instance);
                    }
                    self.agent.handle(now, Input::Demote { instance: i, until, force });
                }
                // The handover events are published when this turn's actions are carried out.
                self.control.await_handovers(self.poll.registry(), slot, waiting);
            }
            Request::Promote { instance } => {
                let targets = match self.targets(instance.as_deref()) {
                    Ok(t) => t,
                    Err(e) => return self.control.reply_error(registry, slot, &e),
                };
                let mut body = String::new();
                for &i in &targets {
                    for m in self.agent.group_members(i) {
                        let name = &self.agent.conf(m).name;
                        let was = if self.agent.demotion(m).is_some() { "promoted" } else { "was not demoted" };
                        body.push_str(&format!("{name} {was}\n"));
                    }
                    self.agent.handle(now, Input::Promote { instance: i });
                }
                self.control.reply(self.poll.registry(), slot, "text/plain", &body);
            }
        }
    }

    /// The instances a demote or promote names: one, or all (one per sync group, since an
    /// instance takes its group with it).
    fn targets(&self, name: Option<&str>) -> Result<Vec<InstanceId>, String> {
        match name {
            Some(n) => self.agent.instance_id(n).map(|i| vec![i]).ok_or_else(|| format!("no instance named {n}")),
            None => {
                let mut covered = Vec::new();
                let mut out = Vec::new();
                for i in self.agent.instance_ids() {
                    if !covered.contains(&i) {
                        covered.extend(self.agent.group_members(i));
                        out.push(i);
                    }
                }
                Ok(out)
            }
        }
    }

    /// In this order: reap children, reload, write the requested dumps, stop.
    fn on_signals(&mut self, now: Instant) {
        let fired = self.signals.drain();
        if fired.chld {
            self.reap(now);
        }
        if fired.hup {
            self.reload(now);
        }
        let g = &self.agent.config().global;
        for (fired, path, name, render) in [
            (fired.data, &g.state_dump_file, "keepalived.data", crate::proto::report::data as fn(&Agent) -> String),
            (fired.stats, &g.stats_dump_file, "keepalived.stats", crate::proto::report::stats),
            (fired.json, &g.json_dump_file, "keepalived.json", crate::proto::report::json),
        ] {
            if fired {
                dump::write_dump(path.as_deref(), name, &render(&self.agent));
            }
        }
        if fired.term {
            self.agent.handle(now, Input::Shutdown);
            self.stopping = true;
        }
    }

    /// Reaps every exited child, telling the agent how its track scripts ended.
    fn reap(&mut self, now: Instant) {
        let agent = &mut self.agent;
        self.children.reap(&mut self.wheel, |script, result| agent.handle(now, Input::ScriptExited { script, result }));
        self.children.prune();
    }

    /// SIGHUP: a config with errors is reported and the running one kept untouched.
    fn reload(&mut self, now: Instant) {
        log::info!("Reloading");
        match crate::config::load(&self.opts.config_path, &self.opts.load, &super::host::SystemHost) {
            Ok(l) if !l.is_fatal() => {
                for d in &l.diagnostics.list {
                    log::warn!("{}", l.sources.render(d, false));
                }
                // Actions queued earlier in this turn name instances of the old configuration:
                // carry them out before the new one renumbers the instances.
                self.apply_actions(now);
                let (old, new) = (&self.agent.config().global, &l.config.global);
                if old.control_socket != new.control_socket || old.metrics_listen != new.metrics_listen {
                    log::warn!("control_socket and metrics_listen take effect at the next start, not on reload");
                }
                self.vrrp.resize(l.config.instances.len());
                // The new VMACs exist before the new instances act on them, ours that the new
                // configuration drops stay: the priority-0 adverts of removed instances leave
                // from them, and they go after those.
                self.vmacs.add(&l.config, &mut self.kernel);
                self.agent.handle(now, Input::Reload(Box::new(l.config)));
                report_missing_vmacs(&mut self.agent, &self.kernel, now);
                self.apply_actions(now);
                self.vmacs.reconcile(Some(self.agent.config()), &mut self.kernel);
                self.rewatch_track_files(now);
                self.reconfigure_processes(now);
                if let Err(e) = self.open_vrrp_sockets() {
                    log::error!("reload: {e}");
                }
            }
            Ok(l) => {
                for d in &l.diagnostics.list {
                    log::error!("{}", l.sources.render(d, false));
                }
                log::error!("Reload failed: the configuration has errors; keeping the running one");
            }
            Err(e) => log::error!("Reload failed: {e}; keeping the running one"),
        }
    }

    /// After a reload: watch the new configuration's files; values are read afresh (a file
    /// may have changed while its name was not in the configuration).
    fn rewatch_track_files(&mut self, now: Instant) {
        let had_fd = self.track_files.fd().is_some();
        for (file, value) in self.track_files.watch(&self.agent, false) {
            self.agent.handle(now, Input::TrackFile { file, value });
        }
        if let (false, Some(fd)) = (had_fd, self.track_files.fd()) {
            if let Err(e) = self.poll.registry().register(&mut SourceFd(&fd), TRACK_FILES, Interest::READABLE) {
                log::error!("track files: epoll register: {e}");
            }
        }
    }

    /// A track file was written, moved or deleted.
    fn on_track_files(&mut self, now: Instant) {
        for (file, value) in self.track_files.changes() {
            self.agent.handle(now, Input::TrackFile { file, value });
        }
    }

    fn on_netlink(&mut self, now: Instant) {
        for e in self.kernel.events() {
            if self.opts.address_monitoring {
                match &e {
                    KernelEvent::AddressAdded { interface, addr } => {
                        log::info!("Netlink reports address {addr} added on {interface}")
                    }
                    KernelEvent::AddressRemoved { interface, addr } => {
                        log::info!("Netlink reports address {addr} removed from {interface}")
                    }
                    KernelEvent::Link { .. } => {}
                }
            }
            self.publish_vip_change(&e);
            let input = match &e {
                KernelEvent::Link { name, up } => Input::Link { interface: name, up: *up },
                KernelEvent::AddressAdded { interface, addr } => Input::AddressAdded { interface, addr: *addr },
                KernelEvent::AddressRemoved { interface, addr } => Input::AddressRemoved { interface, addr: *addr },
            };
            self.agent.handle(now, input);
        }
        // keepalived re-creates a VMAC someone deleted (the instance went to FAULT meanwhile);
        // its sockets were bound to the old link.
        if self.vmacs.lost(&self.kernel) && !self.stopping {
            for name in self.vmacs.reconcile(Some(self.agent.config()), &mut self.kernel) {
                self.vrrp.forget(&name, self.poll.registry());
            }
            if let Err(e) = self.open_vrrp_sockets() {
                log::error!("{e}");
            }
        }
    }

    /// A VIP appeared on or left its interface: an event for `vrrpd events`.
    fn publish_vip_change(&mut self, e: &KernelEvent) {
        let (interface, addr, present) = match e {
            KernelEvent::AddressAdded { interface, addr } => (interface, *addr, true),
            KernelEvent::AddressRemoved { interface, addr } => (interface, *addr, false),
            KernelEvent::Link { .. } => return,
        };
        for c in &self.agent.config().instances {
            let on = |v: &crate::config::model::Vip| {
                v.addr == addr && v.dev.as_deref().or(c.interface.as_deref()) == Some(interface.as_str())
            };
            if c.vips.iter().chain(&c.excluded_vips).any(on) {
                let event = crate::proto::Event::Vip { instance: c.name.clone(), addr, present };
                self.control.publish(self.poll.registry(), &event, unix_us());
            }
        }
    }

    /// Drains VRRP receive socket `k` into the agent.
    fn on_vrrp(&mut self, now: Instant, k: usize) {
        let agent = &mut self.agent;
        self.vrrp.receive(k, |interface, meta, header, bytes| {
            agent.handle(now, Input::Packet { interface, meta, header, bytes })
        });
    }

    fn apply_actions(&mut self, now: Instant) {
        while let Some(a) = self.agent.poll_action() {
            let inst = |i: InstanceId| Some(self.agent.conf(i));
            match a {
                Action::SendAdvert { instance, priority, dst, ah_seq } => {
                    self.send_advert(instance, priority, dst, ah_seq)
                }
                Action::SendGarp { instance, addr } => {
                    self.packet.send_garp(self.agent.conf(instance), &self.kernel, addr)
                }
                Action::AddAddress { instance, vip } => self.kernel.address(inst(instance), &vip, true),
                Action::RemoveAddress { instance, vip } => {
                    if !(self.stopping && self.opts.dont_release_vrrp) {
                        self.kernel.address(inst(instance), &vip, false)
                    }
                }
                Action::ReleaseRemoved { config, adverts, vips } => {
                    for a in &adverts {
                        let advert = a.advert();
                        let ifindex = self.kernel.iface(advert.interface).map(|x| x.index).unwrap_or(0);
                        self.vrrp.send(&advert, None, config.family, ifindex, &config.name);
                    }
                    for v in vips {
                        self.kernel.address(None, &v, false);
                    }
                    for r in &config.routes {
                        self.kernel.route(Some(&config), r, false);
                    }
                    for r in &config.rules {
                        self.kernel.rule(Some(&config), r, false);
                    }
                }
                Action::RunScript { script, command, timeout } => self.run_script(script, &command, timeout, now),
                Action::Notify { command, extra, kill_after } => {
                    let mut argv = command.argv.clone();
                    argv.extend(extra);
                    self.children.spawn_notify(&mut self.wheel, now, &argv, command.ids, kill_after);
                }
                Action::FifoLine { line } => self.fifos.write_line(&line),
                Action::Event(e) => {
                    if let crate::proto::Event::Promoted { instance } = &e {
                        self.demotions.remove(instance);
                    }
                    self.control.publish(self.poll.registry(), &e, unix_us())
                }
                Action::Log { level, message } => match level {
                    Level::Warning => log::warn!("{message}"),
                    Level::Info => log::info!("{message}"),
                    Level::Detail => log::debug!("{message}"),
                },
                Action::AddRoute { instance, route } => self.kernel.route(inst(instance), &route, true),
                Action::RemoveRoute { instance, route } => self.kernel.route(inst(instance), &route, false),
                Action::AddRule { instance, rule } => self.kernel.rule(inst(instance), &rule, true),
                Action::Static { entry, add } => match entry {
                    Static::Address(vip) => self.kernel.address(None, &vip, add),
                    Static::Route(route) => self.kernel.route(None, &route, add),
                    Static::Rule(rule) => self.kernel.rule(None, &rule, add),
                },
                Action::RemoveRule { instance, rule } => self.kernel.rule(inst(instance), &rule, false),
            }
        }
    }

    /// Instance `i`'s advert, as the core builds it, onto the wire.
    fn send_advert(&mut self, i: InstanceId, priority: u8, dst: IpAddr, ah_seq: u32) {
        let advert = match self.agent.advert(i, priority, dst, ah_seq) {
            Ok(a) => a,
            Err(NoAdvert::NoInterface) => return,
            Err(NoAdvert::NoSourceAddress { interface }) => {
                log::warn!("({}) no source address on {interface}", self.agent.conf(i).name);
                return;
            }
        };
        let c = self.agent.conf(i);
        let ifindex = self.kernel.iface(advert.interface).map(|x| x.index).unwrap_or(0);
        self.vrrp.send(&advert, Some(i), c.family, ifindex, &c.name);
    }

    /// Starts a run of track script `script`; one that cannot be started has failed.
    fn run_script(&mut self, script: ScriptId, command: &Command, timeout: Micros, now: Instant) {
        if let Err(e) = self.children.spawn_script(&mut self.wheel, now, script, command, timeout) {
            log::error!("Failed to exec track script {}: {e}", command.argv[0]);
            self.agent.handle(now, Input::ScriptExited { script, result: ScriptResult::Failed });
        }
    }

    /// keepalived deletes its VMACs at exit (and puts the sysctls back); with
    /// --dont-release-vrrp the VIPs stay, and so do the VMACs that carry them.
    fn release_vmacs(&mut self) {
        if !self.opts.dont_release_vrrp {
            self.vmacs.reconcile(None, &mut self.kernel);
        }
    }

    /// After SIGTERM: the agent has queued priority-0 adverts, VIP removals and STOP
    /// notifies (applied by the last turn); give notify_stop its second, then exit 0.
    fn finish_stop(&mut self) -> i32 {
        self.control.remove_socket();
        self.release_vmacs();
        let agent = &mut self.agent;
        self.children
            .finish(&mut self.wheel, |now, script, result| agent.handle(now, Input::ScriptExited { script, result }));
        0
    }
}
