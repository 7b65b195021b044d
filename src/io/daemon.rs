//! The daemon: one mio loop around the protocol core (DESIGN "a pure core inside a thin
//! shell"). It reads CLOCK_MONOTONIC once per turn, feeds netlink events, received adverts,
//! finished children and signals to the `Agent`, re-arms the timer wheel from
//! `poll_timeout()`, and carries out the `Action`s: adverts on raw sockets, GARPs on a packet
//! socket, VIPs by netlink, scripts by fork/exec.
//!
//! This first cut covers IPv4 (multicast and unicast); IPv6 sockets, dump files and syslog
//! follow.
use super::netlink::Netlink;
use super::sys;
use super::wheel::{TimerId, Wheel};
use crate::config::model::{Broadcast, Command, Config, Micros, Scope, Vip};
use crate::proto::{Action, Agent, Input, InstanceId, Instant, Level, NoAdvert, ScriptId, ScriptResult};
use crate::wire::netlink::{self as nl, Parsed};
use crate::wire::vrrp::RxMeta;
use crate::wire::{arp, ipv4, ndisc, vrrp, Family};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const SIGNALS: Token = Token(0);
const NETLINK_MONITOR: Token = Token(1);
const RX_BASE: usize = 16;
/// keepalived: a timed-out script gets SIGTERM, then SIGKILL 2 s later.
const KILL_GRACE_US: u64 = 2_000_000;
const IP_MULTICAST_ALL: libc::c_int = 49;

#[derive(Debug, Clone, Default)]
struct Iface {
    index: u32,
    mac: [u8; 6],
    up: bool,
    addrs: Vec<IpAddr>,
}

#[derive(Debug)]
enum Timer {
    Agent,
    ScriptTimeout(i32),
    Kill(i32),
}

#[derive(Debug)]
struct ChildInfo {
    script: Option<ScriptId>,
    timed_out: bool,
    timeout: Option<TimerId>,
}

/// What the signal handlers raised since the last turn.
struct SignalFlags {
    term: Arc<AtomicBool>,
    hup: Arc<AtomicBool>,
    chld: Arc<AtomicBool>,
    data: Arc<AtomicBool>,
    stats: Arc<AtomicBool>,
    json: Arc<AtomicBool>,
}

pub struct Options {
    pub config_path: std::path::PathBuf,
    pub load: crate::config::LoadOptions,
    pub dont_release_vrrp: bool,
}

pub struct Daemon {
    agent: Agent,
    opts: Options,
    poll: Poll,
    cmd: Netlink,
    monitor: Netlink,
    ifaces: HashMap<String, Iface>,
    rx: Vec<(String, Family, OwnedFd)>,
    tx: HashMap<(String, Family), OwnedFd>,
    packet: OwnedFd,
    ip_ids: Vec<u16>,
    children: HashMap<i32, ChildInfo>,
    wheel: Wheel<Timer>,
    agent_timer: Option<(TimerId, u64)>,
    signal_rx: UnixStream,
    flags: SignalFlags,
    stopping: bool,
    batch: sys::RecvBatch,
    /// notify_fifo / vrrp_notify_fifo, opened read-write so writes never fail for want of a
    /// reader (keepalived does the same).
    fifos: Vec<std::fs::File>,
}

#[derive(Debug)]
pub enum DaemonError {
    Setup { what: &'static str, error: std::io::Error },
    Netlink(super::netlink::NetlinkError),
}

impl std::fmt::Display for DaemonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DaemonError::Setup { what, error } => write!(f, "{what}: {error}"),
            DaemonError::Netlink(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DaemonError {}

fn setup<T>(what: &'static str, r: std::io::Result<T>) -> Result<T, DaemonError> {
    r.map_err(|error| DaemonError::Setup { what, error })
}

/// keepalived writes its dump files in $TMPDIR (default /tmp), mode 0600.
fn write_dump(name: &str, text: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::env::var_os("TMPDIR").map(std::path::PathBuf::from).unwrap_or_else(|| "/tmp".into());
    let path = dir.join(name);
    // Never open the dump's own name in a shared /tmp: a symlink planted there would make root
    // truncate its target (keepalived CVE-2018-19044). A new file (O_EXCL, 0600) renamed over
    // the name replaces whatever is there, and readers never see a half-written dump.
    let staging = dir.join(format!(".{name}.{}", std::process::id()));
    let _ = std::fs::remove_file(&staging);
    let r = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&staging)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .and_then(|()| std::fs::rename(&staging, &path));
    if let Err(e) = r {
        let _ = std::fs::remove_file(&staging);
        log::error!("cannot write {}: {e}", path.display());
    }
}

fn now() -> Instant {
    Instant::from_micros(sys::monotonic_us())
}

fn scope_number(s: Scope) -> u8 {
    match s {
        Scope::Global => nl::RT_SCOPE_UNIVERSE,
        Scope::Site => nl::RT_SCOPE_SITE,
        Scope::Link => nl::RT_SCOPE_LINK,
        Scope::Host => nl::RT_SCOPE_HOST,
        Scope::Nowhere => nl::RT_SCOPE_NOWHERE,
    }
}

impl Daemon {
    pub fn new(config: Config, opts: Options) -> Result<Daemon, DaemonError> {
        let poll = setup("epoll", Poll::new())?;
        let mut cmd = Netlink::command().map_err(DaemonError::Netlink)?;
        let monitor = Netlink::monitor().map_err(DaemonError::Netlink)?;
        let mut ifaces: HashMap<String, Iface> = HashMap::new();
        let mut names: HashMap<u32, String> = HashMap::new();
        cmd.dump(nl::RTM_GETLINK, |p| {
            if let Parsed::Link(l) = p {
                if let Some(name) = l.name {
                    names.insert(l.ifindex, name.to_string());
                    ifaces.insert(
                        name.to_string(),
                        Iface { index: l.ifindex, mac: l.mac.unwrap_or_default(), up: l.is_up(), addrs: Vec::new() },
                    );
                }
            }
        })
        .map_err(DaemonError::Netlink)?;
        cmd.dump(nl::RTM_GETADDR, |p| {
            if let Parsed::Addr(a) = p {
                if let (Some(name), Some(addr)) = (names.get(&a.ifindex), a.own_address()) {
                    if let Some(i) = ifaces.get_mut(name) {
                        i.addrs.push(addr);
                    }
                }
            }
        })
        .map_err(DaemonError::Netlink)?;

        let (signal_rx, signal_tx) = setup("socketpair", UnixStream::pair())?;
        setup("signal pipe", signal_rx.set_nonblocking(true))?;
        setup("signal pipe", signal_tx.set_nonblocking(true))?;
        let flag = || Arc::new(AtomicBool::new(false));
        let flags = SignalFlags { term: flag(), hup: flag(), chld: flag(), data: flag(), stats: flag(), json: flag() };
        // keepalived's JSON signal is SIGRTMIN+2 (36 on glibc, 37 on musl).
        let json_sig = super::signals::signum("JSON").unwrap_or(libc::SIGRTMIN() + 2);
        for (sig, flag) in [
            (signal_hook::consts::SIGTERM, &flags.term),
            (signal_hook::consts::SIGINT, &flags.term),
            (signal_hook::consts::SIGHUP, &flags.hup),
            (signal_hook::consts::SIGCHLD, &flags.chld),
            (signal_hook::consts::SIGUSR1, &flags.data),
            (signal_hook::consts::SIGUSR2, &flags.stats),
            (json_sig, &flags.json),
        ] {
            setup("signal", signal_hook::flag::register(sig, flag.clone()))?;
            setup("signal", signal_hook::low_level::pipe::register(sig, setup("signal pipe", signal_tx.try_clone())?))?;
        }
        poll.registry()
            .register(&mut SourceFd(&signal_rx.as_raw_fd()), SIGNALS, Interest::READABLE)
            .map_err(|error| DaemonError::Setup { what: "register", error })?;
        poll.registry()
            .register(&mut SourceFd(&monitor.fd.as_raw_fd()), NETLINK_MONITOR, Interest::READABLE)
            .map_err(|error| DaemonError::Setup { what: "register", error })?;

        // AF_PACKET for GARPs: send only, so it must never queue what it would receive.
        let packet = setup("packet socket", sys::socket(libc::AF_PACKET, libc::SOCK_RAW, 0))?;
        setup("packet socket filter", sys::attach_drop_all_filter(&packet))?;

        let start = now();
        let mut agent = Agent::new(config, start);
        for (name, i) in &ifaces {
            for a in &i.addrs {
                agent.handle(start, Input::AddressAdded { interface: name, addr: *a });
            }
            if !i.up {
                agent.handle(start, Input::Link { interface: name, up: false });
            }
        }
        agent.start(start);
        let n = agent.instance_count();
        let mut d = Daemon {
            agent,
            opts,
            poll,
            cmd,
            monitor,
            ifaces,
            rx: Vec::new(),
            tx: HashMap::new(),
            packet,
            ip_ids: vec![0; n],
            children: HashMap::new(),
            wheel: Wheel::new(start.as_micros()),
            agent_timer: None,
            signal_rx,
            flags,
            stopping: false,
            batch: sys::RecvBatch::default(),
            fifos: Vec::new(),
        };
        d.open_fifos();
        d.open_vrrp_sockets()?;
        Ok(d)
    }

    fn open_fifos(&mut self) {
        use std::os::unix::fs::OpenOptionsExt;
        let g = self.agent.config().global.clone();
        for f in [&g.notify_fifo, &g.vrrp_notify_fifo].into_iter().flatten() {
            let path = std::path::Path::new(&f.path);
            if let Err(e) = sys::mkfifo(path, 0o600) {
                log::error!("notify FIFO {}: {e}", f.path);
                continue;
            }
            match std::fs::OpenOptions::new().read(true).write(true).custom_flags(libc::O_NONBLOCK).open(path) {
                Ok(file) => {
                    self.fifos.push(file);
                    // keepalived runs the FIFO script with the FIFO's path as its argument.
                    if let Some(script) = &f.script {
                        let mut argv = script.argv.clone();
                        argv.push(f.path.clone());
                        match sys::spawn(&argv, script.ids) {
                            Ok(c) => {
                                self.children
                                    .insert(c.pid, ChildInfo { script: None, timed_out: false, timeout: None });
                            }
                            Err(e) => log::error!("notify FIFO script {}: {e}", argv[0]),
                        }
                    }
                }
                Err(e) => log::error!("notify FIFO {}: {e}", f.path),
            }
        }
    }

    /// Per interface and family: one receive socket (raw protocol 112, bound to the device,
    /// joined to the groups in use; IPv4 with IP_MULTICAST_ALL off, IPv6 with hop limit and
    /// destination as ancillary data) and one send-only socket (IPv4 with IP_HDRINCL; IPv6
    /// with hop limit 255, traffic class 0xc0 and the kernel completing the checksum at
    /// offset 6 as keepalived has it).
    fn open_vrrp_sockets(&mut self) -> Result<(), DaemonError> {
        let cfg = self.agent.config().clone();
        for inst in &cfg.instances {
            let Some(ifname) = inst.interface.clone() else { continue };
            let Some(index) = self.ifaces.get(&ifname).map(|i| i.index) else { continue };
            let fam = inst.family;
            let domain = if fam == Family::V4 { libc::AF_INET } else { libc::AF_INET6 };
            if !self.rx.iter().any(|(n, f, _)| *n == ifname && *f == fam) {
                let fd = setup("VRRP socket", sys::socket(domain, libc::SOCK_RAW, vrrp::PROTOCOL as libc::c_int))?;
                setup("SO_BINDTODEVICE", sys::bind_to_device(&fd, &ifname))?;
                if fam == Family::V4 {
                    let _ = sys::setsockopt_int(&fd, libc::IPPROTO_IP, IP_MULTICAST_ALL, 0);
                } else {
                    setup(
                        "IPV6_RECVHOPLIMIT",
                        sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1),
                    )?;
                    setup("IPV6_RECVPKTINFO", sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1))?;
                }
                let token = Token(RX_BASE + self.rx.len());
                self.poll
                    .registry()
                    .register(&mut SourceFd(&fd.as_raw_fd()), token, Interest::READABLE)
                    .map_err(|error| DaemonError::Setup { what: "register", error })?;
                self.rx.push((ifname.clone(), fam, fd));
            }
            if inst.unicast_peers.is_empty() {
                let fd = &self.rx.iter().find(|(n, f, _)| *n == ifname && *f == fam).expect("just opened").2;
                // Joining twice gives EADDRINUSE: harmless.
                let _ = match inst.mcast_dst {
                    IpAddr::V4(g) => sys::join_v4(fd, g, index),
                    IpAddr::V6(g) => sys::join_v6(fd, g, index),
                };
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = self.tx.entry((ifname.clone(), fam)) {
                let fd = setup("VRRP send socket", sys::socket(domain, libc::SOCK_RAW, vrrp::PROTOCOL as libc::c_int))?;
                setup("SO_BINDTODEVICE", sys::bind_to_device(&fd, &ifname))?;
                if fam == Family::V4 {
                    setup("IP_HDRINCL", sys::setsockopt_int(&fd, libc::IPPROTO_IP, libc::IP_HDRINCL, 1))?;
                    let _ = sys::setsockopt_int(&fd, libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP, 0);
                } else {
                    setup(
                        "IPV6_MULTICAST_HOPS",
                        sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_HOPS, 255),
                    )?;
                    setup(
                        "IPV6_UNICAST_HOPS",
                        sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, inst.unicast_ttl as i32),
                    )?;
                    let _ = sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP, 0);
                    let _ = sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_IF, index as i32);
                    let _ = sys::setsockopt_int(
                        &fd,
                        libc::IPPROTO_IPV6,
                        libc::IPV6_TCLASS,
                        ipv4::TOS_INTERNETWORK_CONTROL as i32,
                    );
                    setup("IPV6_CHECKSUM", sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_CHECKSUM, 6))?;
                }
                let _ = sys::setsockopt_int(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, 0);
                setup("send socket filter", sys::attach_drop_all_filter(&fd))?;
                slot.insert(fd);
            }
        }
        Ok(())
    }

    /// Runs until SIGTERM/SIGINT; returns the exit code.
    pub fn run(&mut self) -> i32 {
        let mut events = Events::with_capacity(64);
        let mut buf = vec![0u8; 9000];
        let mut now = now();
        self.apply_actions(now);
        loop {
            self.rearm_agent_timer();
            // The previous turn's `now`: the wait may end a little late, never early.
            let t = now.as_micros();
            let timeout = self.wheel.next_deadline().map(|d| std::time::Duration::from_micros(d.saturating_sub(t)));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    log::error!("epoll_wait: {e}");
                    return 1;
                }
            }
            // DESIGN rule 1: CLOCK_MONOTONIC is read once per turn.
            now = Instant::from_micros(sys::monotonic_us());
            for ev in events.iter() {
                match ev.token() {
                    SIGNALS => self.on_signals(now),
                    NETLINK_MONITOR => self.on_netlink(now),
                    Token(t) if t >= RX_BASE => self.on_vrrp(now, t - RX_BASE, &mut buf),
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
            Timer::ScriptTimeout(pid) => {
                if let Some(c) = self.children.get_mut(&pid) {
                    c.timed_out = true;
                    c.timeout = None;
                    let _ = sys::kill_group(pid, libc::SIGTERM);
                    self.wheel.insert(now.as_micros() + KILL_GRACE_US, Timer::Kill(pid));
                }
            }
            Timer::Kill(pid) => {
                if self.children.contains_key(&pid) {
                    let _ = sys::kill_group(pid, libc::SIGKILL);
                }
            }
        }
    }

    fn on_signals(&mut self, now: Instant) {
        let mut sink = [0u8; 64];
        while matches!(self.signal_rx.read(&mut sink), Ok(n) if n > 0) {}
        if self.flags.chld.swap(false, Ordering::SeqCst) {
            self.reap(now);
        }
        if self.flags.hup.swap(false, Ordering::SeqCst) {
            self.reload(now);
        }
        for (flag, name, render) in [
            (&self.flags.data, "keepalived.data", crate::proto::report::data as fn(&Agent) -> String),
            (&self.flags.stats, "keepalived.stats", crate::proto::report::stats),
            (&self.flags.json, "keepalived.json", crate::proto::report::json),
        ] {
            if flag.swap(false, Ordering::SeqCst) {
                write_dump(name, &render(&self.agent));
            }
        }
        if self.flags.term.swap(false, Ordering::SeqCst) {
            self.agent.handle(now, Input::Shutdown);
            self.stopping = true;
        }
    }

    /// waitpid(-1, WNOHANG) until nothing is left (DESIGN rule 7).
    fn reap(&mut self, now: Instant) {
        while let Some((pid, status)) = sys::reap() {
            let Some(c) = self.children.remove(&pid) else { continue };
            if let Some(t) = c.timeout {
                self.wheel.cancel(t);
            }
            if let Some(script) = c.script {
                let result = match (c.timed_out, sys::exit_status(status)) {
                    (true, _) => ScriptResult::TimedOut,
                    (false, Ok(code)) => ScriptResult::Exited(code),
                    (false, Err(_)) => ScriptResult::Failed,
                };
                self.agent.handle(now, Input::ScriptExited { script, result });
            }
        }
    }

    /// SIGHUP: a config with errors is reported and the running one kept untouched.
    fn reload(&mut self, now: Instant) {
        log::info!("Reloading");
        match crate::config::load(&self.opts.config_path, &self.opts.load, &super::host::SystemHost) {
            Ok(l) if !l.is_fatal() => {
                for d in &l.diagnostics.list {
                    log::warn!("{}", l.sources.render(d, false));
                }
                self.ip_ids.resize(l.config.instances.len(), 0);
                self.agent.handle(now, Input::Reload(Box::new(l.config)));
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

    fn on_netlink(&mut self, now: Instant) {
        let mut events: Vec<(bool, String, Option<bool>, Option<IpAddr>)> = Vec::new();
        let names: HashMap<u32, String> = self.ifaces.iter().map(|(n, i)| (i.index, n.clone())).collect();
        let complete = self.monitor.drain(|p| match p {
            Parsed::Link(l) => {
                if let Some(name) = l.name {
                    events.push((true, name.to_string(), Some(l.is_up() && !l.deleted), None));
                }
            }
            Parsed::Addr(a) => {
                if let (Some(name), Some(addr)) = (names.get(&a.ifindex), a.own_address()) {
                    events.push((!a.deleted, name.clone(), None, Some(addr)));
                }
            }
            _ => {}
        });
        if let Ok(false) = complete {
            // ENOBUFS: events were lost. Re-read the whole state and report the differences.
            log::warn!("Netlink monitor lost events (ENOBUFS) - re-reading links and addresses");
            events.extend(self.redump());
        }
        for (added, name, up, addr) in events {
            if let Some(up) = up {
                let i = self.ifaces.entry(name.clone()).or_default();
                if i.up != up {
                    i.up = up;
                    self.agent.handle(now, Input::Link { interface: &name, up });
                }
            }
            if let Some(addr) = addr {
                let known = &mut self.ifaces.entry(name.clone()).or_default().addrs;
                if added {
                    if !known.contains(&addr) {
                        known.push(addr);
                    }
                    self.agent.handle(now, Input::AddressAdded { interface: &name, addr });
                } else {
                    known.retain(|a| *a != addr);
                    self.agent.handle(now, Input::AddressRemoved { interface: &name, addr });
                }
            }
        }
    }

    /// A full dump compared with what we knew: link changes, addresses added and removed.
    fn redump(&mut self) -> Vec<(bool, String, Option<bool>, Option<IpAddr>)> {
        let mut links: Vec<(u32, String, bool)> = Vec::new();
        let mut addrs: Vec<(u32, IpAddr)> = Vec::new();
        let r1 = self.cmd.dump(nl::RTM_GETLINK, |p| {
            if let Parsed::Link(l) = p {
                if let Some(n) = l.name {
                    links.push((l.ifindex, n.to_string(), l.is_up()));
                }
            }
        });
        let r2 = self.cmd.dump(nl::RTM_GETADDR, |p| {
            if let Parsed::Addr(a) = p {
                if let Some(addr) = a.own_address() {
                    addrs.push((a.ifindex, addr));
                }
            }
        });
        if let Err(e) = r1.and(r2) {
            log::error!("netlink re-dump: {e}");
            return Vec::new();
        }
        let mut out = Vec::new();
        for (index, name, up) in &links {
            let now_addrs: Vec<IpAddr> = addrs.iter().filter(|(i, _)| i == index).map(|(_, a)| *a).collect();
            let old = self.ifaces.get(name).cloned().unwrap_or_default();
            if old.up != *up || old.index != *index {
                out.push((true, name.clone(), Some(*up), None));
            }
            for a in now_addrs.iter().filter(|a| !old.addrs.contains(a)) {
                out.push((true, name.clone(), None, Some(*a)));
            }
            for a in old.addrs.iter().filter(|a| !now_addrs.contains(a)) {
                out.push((false, name.clone(), None, Some(*a)));
            }
            self.ifaces.entry(name.clone()).or_default().index = *index;
        }
        out
    }

    /// Drains one receive socket until it would block.
    fn on_vrrp(&mut self, now: Instant, k: usize, buf: &mut [u8]) {
        let Some((ifname, fam, fd)) = self.rx.get(k) else { return };
        let (ifname, fam) = (ifname.clone(), *fam);
        loop {
            if fam == Family::V6 {
                let (n, src, dst, hops) = match sys::recv_v6(fd, buf) {
                    Ok(r) => r,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                let meta = RxMeta { src: src.into(), dst: dst.into(), ttl: hops, header_len: 40 };
                self.agent.handle(now, Input::Packet { interface: &ifname, meta, bytes: &buf[..n] });
                continue;
            }
            // IPv4: up to 16 adverts per system call (recvmmsg), until it would block.
            let n = match sys::recv_batch(fd, &mut self.batch) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            for k in 0..n {
                let Ok(p) = ipv4::Packet::new_checked(self.batch.datagram(k)) else { continue };
                let meta =
                    RxMeta { src: p.src().into(), dst: p.dst().into(), ttl: p.ttl(), header_len: p.header_len() };
                self.agent.handle(now, Input::Packet { interface: &ifname, meta, bytes: p.payload_ref() });
            }
            if n < sys::BATCH {
                break;
            }
        }
    }

    fn apply_actions(&mut self, now: Instant) {
        while let Some(a) = self.agent.poll_action() {
            match a {
                Action::SendAdvert { instance, priority, dst } => self.send_advert(instance, priority, dst),
                Action::SendGarp { instance, addr } => self.send_garp(instance, addr),
                Action::AddAddress { instance, vip } => self.address(Some(instance), &vip, true),
                Action::RemoveAddress { instance, vip } => {
                    if !(self.stopping && self.opts.dont_release_vrrp) {
                        self.address(Some(instance), &vip, false)
                    }
                }
                Action::ReleaseRemoved { vips, .. } => {
                    for v in vips {
                        self.address(None, &v, false);
                    }
                }
                Action::RunScript { script, command, timeout } => self.run_script(script, &command, timeout, now),
                Action::Notify { command, extra, kill_after } => {
                    let mut argv = command.argv.clone();
                    argv.extend(extra);
                    match sys::spawn(&argv, command.ids) {
                        Ok(c) => {
                            self.children.insert(c.pid, ChildInfo { script: None, timed_out: false, timeout: None });
                            if let Some(k) = kill_after {
                                self.wheel.insert(now.as_micros() + k, Timer::Kill(c.pid));
                            }
                        }
                        Err(e) => log::error!("notify {}: {e}", argv.join(" ")),
                    }
                }
                Action::FifoLine { line } => {
                    for f in &mut self.fifos {
                        // A full FIFO (nobody reading) drops the line rather than block.
                        let _ = std::io::Write::write_all(f, line.as_bytes());
                    }
                }
                Action::Log { level, message } => match level {
                    Level::Warning => log::warn!("{message}"),
                    Level::Info => log::info!("{message}"),
                    Level::Detail => log::debug!("{message}"),
                },
                Action::AddRoute { instance, route } => self.route(instance, &route, true),
                Action::RemoveRoute { instance, route } => self.route(instance, &route, false),
                Action::AddRule { instance, rule } => self.rule(instance, &rule, true),
                Action::RemoveRule { instance, rule } => self.rule(instance, &rule, false),
            }
        }
    }

    fn run_script(&mut self, script: ScriptId, command: &Command, timeout: Micros, now: Instant) {
        match sys::spawn(&command.argv, command.ids) {
            Ok(c) => {
                let t = self.wheel.insert(now.as_micros() + timeout, Timer::ScriptTimeout(c.pid));
                self.children.insert(c.pid, ChildInfo { script: Some(script), timed_out: false, timeout: Some(t) });
            }
            Err(e) => {
                log::error!("Failed to exec track script {}: {e}", command.argv[0]);
                self.agent.handle(now, Input::ScriptExited { script, result: ScriptResult::Failed });
            }
        }
    }

    fn send_advert(&mut self, i: InstanceId, priority: u8, dst: IpAddr) {
        let advert = match self.agent.advert(i, priority, dst) {
            Ok(a) => a,
            Err(NoAdvert::NoInterface) => return,
            Err(NoAdvert::NoSourceAddress { interface }) => {
                log::warn!("({}) no source address on {interface}", self.agent.conf(i).name);
                return;
            }
        };
        let family = self.agent.conf(i).family;
        let index = self.ifaces.get(advert.interface).map(|x| x.index).unwrap_or(0);
        let Some(fd) = self.tx.get(&(advert.interface.to_string(), family)) else { return };
        let len = advert.repr.buffer_len();
        let result = match (advert.src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst4)) => {
                let mut frame = vec![0u8; ipv4::HEADER_LEN + len];
                if advert.repr.emit(&mut frame[ipv4::HEADER_LEN..], advert.checksum).is_err() {
                    return;
                }
                let ident = &mut self.ip_ids[i.index()];
                *ident = ipv4::next_ident(*ident);
                let ip = ipv4::Repr {
                    src,
                    dst: dst4,
                    protocol: vrrp::PROTOCOL,
                    ttl: advert.ttl,
                    tos: ipv4::TOS_INTERNETWORK_CONTROL,
                    ident: *ident,
                    payload_len: len as u16,
                };
                let _ = ip.emit(&mut frame[..ipv4::HEADER_LEN]);
                sys::sendto_v4(fd, &frame, dst4, if advert.multicast { libc::MSG_DONTROUTE } else { 0 })
            }
            (_, IpAddr::V6(dst6)) => {
                let mut payload = vec![0u8; len];
                if advert.repr.emit(&mut payload, advert.checksum).is_err() {
                    return;
                }
                sys::sendto_v6(fd, &payload, dst6, index)
            }
            _ => return,
        };
        if let Err(e) = result {
            // keepalived suppresses send errors while the interface is down.
            if e.raw_os_error() != Some(libc::ENETUNREACH) && e.raw_os_error() != Some(libc::ENETDOWN) {
                log::warn!("({}) advert send to {dst} failed: {e}", self.agent.conf(i).name);
            }
        }
    }

    /// A gratuitous ARP (IPv4) or unsolicited NA (IPv6) for `addr` on its interface.
    fn send_garp(&mut self, i: InstanceId, addr: IpAddr) {
        let c = self.agent.conf(i);
        let dev = c
            .vips
            .iter()
            .chain(&c.excluded_vips)
            .find(|v| v.addr == addr)
            .and_then(|v| v.dev.clone())
            .or_else(|| c.interface.clone());
        let Some(dev) = dev else { return };
        let Some(iface) = self.ifaces.get(&dev) else { return };
        match addr {
            IpAddr::V4(vip) => {
                let mut frame = [0u8; arp::FRAME_LEN];
                if arp::Repr::gratuitous(iface.mac, vip).emit_frame(&mut frame).is_ok() {
                    let _ = sys::sendto_ll(
                        &self.packet,
                        &frame,
                        iface.index,
                        crate::wire::ethernet::ETHERTYPE_ARP,
                        crate::wire::ethernet::BROADCAST,
                    );
                }
            }
            IpAddr::V6(vip) => {
                // RFC 4861 §7.2.6: Override set; Router set when the interface forwards, read
                // at each send as keepalived does (only GARP bursts pay for it).
                let router = crate::io::host::ipv6_forwarding(&dev);
                let na = ndisc::Repr::unsolicited(iface.mac, vip, router);
                let mut frame = [0u8; ndisc::FRAME_LEN];
                if na.emit(&mut frame).is_ok() {
                    let _ = sys::sendto_ll(
                        &self.packet,
                        &frame,
                        iface.index,
                        crate::wire::ethernet::ETHERTYPE_IPV6,
                        ndisc::Repr::multicast_mac(na.dst),
                    );
                }
            }
        }
    }

    /// virtual_routes: `ip route` semantics (scope link without a gateway, universe with one),
    /// protocol "keepalived" (18) as keepalived marks its routes.
    fn route(&mut self, i: InstanceId, r: &crate::config::model::Route, add: bool) {
        let dev = r.dev.clone().or_else(|| self.agent.conf(i).interface.clone());
        let oif = dev.as_ref().and_then(|d| self.ifaces.get(d)).map(|x| x.index);
        let route_type = match r.kind.as_deref() {
            Some("blackhole") => 6,
            Some("unreachable") => 7,
            Some("prohibit") => 8,
            Some("throw") => 9,
            Some("local") => 2,
            Some("broadcast") => 3,
            Some("anycast") => 4,
            Some("multicast") => 5,
            _ => nl::RTN_UNICAST,
        };
        let unicast = route_type == nl::RTN_UNICAST;
        let scope = r.scope.map(scope_number).unwrap_or(if r.via.is_empty() && unicast {
            nl::RT_SCOPE_LINK
        } else {
            nl::RT_SCOPE_UNIVERSE
        });
        let req = nl::RouteRequest {
            dst: r.dst.0,
            dst_len: r.dst.1,
            src: r.src,
            gateways: &r.via,
            oif: if unicast { oif } else { None },
            table: r.table.unwrap_or(nl::RT_TABLE_MAIN as u32),
            metric: r.metric,
            scope,
            protocol: 18,
            route_type,
            onlink: r.onlink,
        };
        let op = format!("{} {}/{}", if add { "RTM_NEWROUTE" } else { "RTM_DELROUTE" }, r.dst.0, r.dst.1);
        match self.cmd.request(&op, |b, seq| nl::route_request(b, add, &req, seq)) {
            Ok(()) => {}
            Err(super::netlink::NetlinkError::Refused { errno, .. })
                if errno == libc::EEXIST || errno == libc::ESRCH => {}
            Err(e) => log::error!("{e}"),
        }
    }

    fn rule(&mut self, i: InstanceId, r: &crate::config::model::Rule, add: bool) {
        let v4 = r.from.or(r.to).map(|p| p.0.is_ipv4()).unwrap_or(self.agent.conf(i).family == Family::V4);
        let action = match r.action.as_deref() {
            Some("blackhole") => nl::FR_ACT_BLACKHOLE,
            Some("unreachable") => nl::FR_ACT_UNREACHABLE,
            Some("prohibit") => nl::FR_ACT_PROHIBIT,
            Some("nop") => nl::FR_ACT_NOP,
            _ => nl::FR_ACT_TO_TBL,
        };
        let req = nl::RuleRequest {
            family: if v4 { nl::AF_INET } else { nl::AF_INET6 },
            src: r.from,
            dst: r.to,
            table: r.table,
            priority: r.priority,
            iif: r.iif.as_deref(),
            oif: r.oif.as_deref(),
            fwmark: r.fwmark,
            tos: r.tos.unwrap_or(0),
            action,
        };
        let op = if add { "RTM_NEWRULE" } else { "RTM_DELRULE" };
        match self.cmd.request(op, |b, seq| nl::rule_request(b, add, &req, seq)) {
            Ok(()) => {}
            Err(super::netlink::NetlinkError::Refused { errno, .. })
                if errno == libc::EEXIST || errno == libc::ENOENT => {}
            Err(e) => log::error!("{e}"),
        }
    }

    /// A VIP on its `dev`, else on the interface of `instance` (None: `dev` is set).
    fn address(&mut self, instance: Option<InstanceId>, vip: &Vip, add: bool) {
        let dev = vip.dev.clone().or_else(|| instance.and_then(|i| self.agent.conf(i).interface.clone()));
        let Some(index) = dev.as_ref().and_then(|d| self.ifaces.get(d)).map(|x| x.index) else {
            log::error!("VIP {}: no such interface {:?}", vip.addr, dev);
            return;
        };
        let broadcast = match (vip.brd, vip.addr) {
            (Some(Broadcast::Addr(b)), _) => Some(b),
            (Some(Broadcast::Auto), IpAddr::V4(a)) => {
                let host = if vip.prefix >= 32 { 0 } else { u32::MAX >> vip.prefix };
                Some(Ipv4Addr::from(u32::from(a) | host))
            }
            _ => None,
        };
        let mut flags = 0;
        if vip.addr.is_ipv6() {
            flags |= nl::IFA_F_NODAD;
        }
        let req = nl::AddrRequest {
            ifindex: index,
            address: vip.addr,
            prefix_len: vip.prefix,
            peer: vip.peer.map(|p| p.0),
            broadcast,
            scope: scope_number(vip.scope),
            label: vip.label.as_deref(),
            flags,
            // keepalived installs an IPv6 /128 VIP deprecated (preferred_lft 0) so it is never
            // picked as a source address, unless `preferred_lft` says otherwise.
            lifetimes: match (vip.addr, vip.prefix, vip.preferred_lft) {
                (_, _, Some(p)) => Some((p, u32::MAX)),
                (IpAddr::V6(_), 128, None) => Some((0, u32::MAX)),
                _ => None,
            },
        };
        let op = format!(
            "{} {}/{} dev {}",
            if add { "RTM_NEWADDR" } else { "RTM_DELADDR" },
            vip.addr,
            vip.prefix,
            dev.unwrap_or_default()
        );
        match self.cmd.request(&op, |b, seq| nl::addr_request(b, add, &req, seq)) {
            Ok(()) => {}
            // Already there / already gone: the state we want.
            Err(super::netlink::NetlinkError::Refused { errno, .. })
                if errno == libc::EEXIST || errno == libc::EADDRNOTAVAIL => {}
            Err(e) => log::error!("{e}"),
        }
    }

    /// After SIGTERM: the agent has queued priority-0 adverts, VIP removals and STOP
    /// notifies (applied above); give notify_stop its second, then exit 0.
    fn finish_stop(&mut self) -> i32 {
        let deadline = sys::monotonic_us() + 1_000_000;
        while !self.children.is_empty() && sys::monotonic_us() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            self.reap(now());
        }
        for pid in self.children.keys() {
            let _ = sys::kill_group(*pid, libc::SIGKILL);
        }
        0
    }
}
