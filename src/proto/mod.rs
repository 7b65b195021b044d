//! The VRRP protocol core (RFC 3768, RFC 5798, keepalived 2.2.7 semantics): per-instance state
//! machines, tracking and effective priorities, sync groups, GARP schedules, reload.
//!
//! Sans-IO (the quinn-proto shape, ARCHITECTURE.md "Layers"): no clock, no sockets, no
//! processes, no randomness. Every entry point takes `now`; inputs arrive through
//! [`Agent::handle`]; outputs queue up as [`Action`]s drained with [`Agent::poll_action`];
//! [`Agent::poll_timeout`] says when to call back with [`Input::Timeout`].
//!
//! One concern per file, one `impl Agent` block each: [`event`] (the contract with the
//! shell), `timers` (the timer table), [`instance`] (states, transitions, adverts), `rx`
//! (receiving), [`track`] (scripts, links, files, effective priority), `notify`, `shutdown`,
//! `reload`, `statics` (static addresses, routes, rules), `pacing` (GARP pacing), and
//! [`report`] (keepalived's dump formats).
#![warn(missing_docs)]
pub mod event;
pub mod instance;
pub mod metrics;
mod notify;
mod operator;
mod pacing;
mod reload;
pub mod report;
mod rx;
mod shutdown;
mod statics;
pub mod status;
pub mod stream;
pub mod time;
mod timers;
pub mod track;
mod watch;

pub use event::{
    Action, ChecksumPeer, Episode, Event, Handover, Input, InstanceId, Level, Reason, ScriptId, ScriptResult,
    ScriptStatus, State, Stats, TrackFileId, TrackProcessId,
};
pub use instance::{Advert, AhSeal, NoAdvert, ReleaseAdvert};
pub use time::Instant;

use crate::config::model::{Config, Family, Instance, Micros, VrrpScript};
use instance::Inst;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use timers::{Timer, TimerTable};
use track::{FileRt, LinkRt, ProcessRt, ScriptRt, Tracking};

/// Actions the queue keeps room for between bursts (about 8 KiB).
const IDLE_QUEUE_CAPACITY: usize = 8 * 1024 / std::mem::size_of::<Action>();

/// The protocol agent: every VRRP instance of one configuration, with its trackers.
///
/// Its methods fall in four groups, and the shell calls them in this order:
///
/// 1. **Start**: [`Agent::new`] at boot, then one [`Input::AddressAdded`] per address and one
///    [`Input::Link`] per link that is down, from the first netlink dump, one
///    [`Input::TrackFile`] per track file with its value, then
///    [`Agent::start`]: every instance then starts knowing its link and its addresses
///    (keepalived reads the interfaces before it initialises the instances).
/// 2. **Each loop turn**: [`Agent::handle`] for every input of the turn (received adverts,
///    netlink events, finished scripts, track files, [`Input::Timeout`] when woken at the
///    deadline, [`Input::Reload`], [`Input::Shutdown`]); then [`Agent::poll_action`] until
///    it returns None, carrying each [`Action`] out in order (for [`Action::SendAdvert`],
///    [`Agent::advert`] builds the bytes' contents); then [`Agent::poll_timeout`] to arm the
///    wake-up.
/// 3. **Queries**, at any time, for dumps and status: [`Agent::state`],
///    [`Agent::effective_priority`], [`Agent::stats`], [`Agent::script_status`], ...
/// 4. **Stop**: after [`Input::Shutdown`] and the last drain, the agent ignores every input.
pub struct Agent {
    cfg: Config,
    /// Per instance, parallel to `cfg.instances`.
    inst: Vec<Inst>,
    /// Per instance: its trackers resolved to positions.
    tracking: Vec<Tracking>,
    /// Parallel to `cfg.scripts`.
    scripts: Vec<ScriptRt>,
    /// Parallel to `cfg.track_files`.
    files: Vec<FileRt>,
    /// Parallel to `cfg.track_processes`.
    processes: Vec<ProcessRt>,
    links: Vec<LinkRt>,
    /// The next ScriptId / TrackFileId to hand out (never reused).
    next_handle: u32,
    /// Addresses per interface (for the source address used in the tie-break).
    addrs: HashMap<String, Vec<IpAddr>>,
    /// (interface id, IPv4, VRID) -> instances; id 0 is "no interface" (unicast with a
    /// source address). Looked up per received advert, so no allocation on that path.
    demux: HashMap<(u32, bool, u8), Vec<InstanceId>>,
    iface_ids: HashMap<String, u32>,
    /// Every VIP of the configuration (excluded ones too): asked for every source-address
    /// choice, which every address event and every tracker assessment makes.
    vips: HashSet<IpAddr>,
    /// Some instance has keepalived `timer_expired_backup` (else no input looks for it).
    expired_backup: bool,
    out: VecDeque<Action>,
    timers: TimerTable,
    /// GARP pacing clocks (`garp_group`, `vrrp_garp_interval`) and the GARPs held back
    /// (pacing.rs). Rebuilt, and the held-back ones dropped, at reload.
    pacers: Vec<pacing::Pacer>,
    garp_pending: Vec<(InstanceId, IpAddr)>,
    /// [`Agent::start`] has run: until then inputs only record the kernel's state.
    started: bool,
    /// A reload is re-assessing the instances it kept.
    reloading: bool,
    stopped: bool,
    /// The `now` of the input being handled (transitions record it).
    now: Instant,
    /// Why the transitions the current input causes happen (see [`Agent::caused`]).
    cause: Option<event::Reason>,
}

impl Agent {
    /// Builds the agent at `now`. Nothing starts until [`Agent::start`]; the inputs fed before
    /// it (addresses, links) describe the kernel as the first netlink dump found it.
    pub fn new(cfg: Config, now: Instant) -> Agent {
        let mut a = Agent {
            cfg,
            inst: Vec::new(),
            tracking: Vec::new(),
            scripts: Vec::new(),
            files: Vec::new(),
            processes: Vec::new(),
            links: Vec::new(),
            next_handle: 0,
            addrs: HashMap::new(),
            demux: HashMap::new(),
            iface_ids: HashMap::new(),
            vips: Default::default(),
            expired_backup: false,
            out: VecDeque::new(),
            timers: TimerTable::default(),
            pacers: Vec::new(),
            garp_pending: Vec::new(),
            started: false,
            reloading: false,
            stopped: false,
            now,
            cause: None,
        };
        for n in 0..a.cfg.scripts.len() {
            let rt = ScriptRt::new(a.next_script_id(), &a.cfg.scripts[n]);
            a.timers.set(Timer::Script(rt.id), now);
            a.scripts.push(rt);
        }
        for _ in 0..a.cfg.track_files.len() {
            let id = a.next_file_id();
            a.files.push(FileRt { id, value: 0 });
        }
        for _ in 0..a.cfg.track_processes.len() {
            let id = a.next_process_id();
            a.processes.push(ProcessRt::new(id));
        }
        a.resolve();
        a.inst = a.cfg.instances.iter().map(Inst::new).collect();
        a
    }

    /// keepalived's startup at `now`: remove leftover VIPs, then each instance enters BACKUP
    /// (init), or FAULT while its link is down, it has no address, or a weight-0 script has
    /// not reported; after `vrrp_startup_delay` when one is set. Called once.
    pub fn start(&mut self, now: Instant) {
        // A simulated router starts with its system.
        self.start_at_uptime(now, Some(0));
    }

    /// [`Agent::start`] on a system up for `uptime` (None: unknown), which
    /// `vrrp_delay_after_boot` counts from.
    pub fn start_at_uptime(&mut self, now: Instant, uptime: Option<Micros>) {
        if std::mem::replace(&mut self.started, true) {
            return;
        }
        self.now = now;
        let g = &self.cfg.global;
        let after_boot = match uptime {
            Some(up) => g.delay_after_boot.saturating_sub(up),
            None => 0,
        };
        if uptime.is_none() && g.delay_after_boot > 0 {
            self.log(Level::Warning, "Unable to read /proc/uptime for vrrp_delay_after_boot - ignoring".into());
        }
        // keepalived: the larger of vrrp_startup_delay and what is left of vrrp_delay_after_boot.
        let delay = self.cfg.global.startup_delay.max(after_boot);
        for i in self.instance_ids() {
            self.remove_leftovers(i);
        }
        self.install_statics();
        if delay > 0 {
            self.timers.set(Timer::Startup, now.plus(delay));
            self.log(
                Level::Info,
                format!("Delaying startup for {} seconds", crate::config::value::format_seconds(delay)),
            );
        } else {
            for i in self.instance_ids() {
                self.start_instance(i, now);
            }
        }
        self.fire_due(now);
    }

    fn next_script_id(&mut self) -> ScriptId {
        self.next_handle += 1;
        ScriptId(self.next_handle - 1)
    }

    fn next_file_id(&mut self) -> TrackFileId {
        self.next_handle += 1;
        TrackFileId(self.next_handle - 1)
    }

    fn next_process_id(&mut self) -> TrackProcessId {
        self.next_handle += 1;
        TrackProcessId(self.next_handle - 1)
    }

    /// Resolves the configuration's names once: the link table (keeping the known state of
    /// links that survive a reload), every instance's trackers, and the advert demultiplexer.
    fn resolve(&mut self) {
        let old = std::mem::take(&mut self.links);
        self.links = track::link_names(&self.cfg)
            .into_iter()
            .map(|name| {
                old.iter().find(|l| l.name == name).cloned().unwrap_or(LinkRt { name, up: true, pending: None })
            })
            .collect();
        self.tracking = track::resolve(&self.cfg, &self.links);
        self.pacers = pacing::pacers(&self.cfg);
        self.garp_pending.clear();
        self.vips =
            self.cfg.instances.iter().flat_map(|x| x.vips.iter().chain(&x.excluded_vips)).map(|v| v.addr).collect();
        self.expired_backup = self.cfg.instances.iter().any(|c| c.timer_expired_backup > 0);
        self.demux.clear();
        self.iface_ids.clear();
        for (n, i) in self.cfg.instances.iter().enumerate() {
            // Adverts are heard where they are sent: the VMAC's base with vmac_xmit_base.
            let id = match i.advert_interface() {
                Some(name) => {
                    let next = self.iface_ids.len() as u32 + 1;
                    *self.iface_ids.entry(name.to_string()).or_insert(next)
                }
                None => 0,
            };
            self.demux.entry((id, i.family == Family::V4, i.vrid)).or_default().push(InstanceId::from_index(n));
        }
    }

    /// Feeds one input at `now`, then fires every timer due at `now`. Before
    /// [`Agent::start`], addresses and link states are recorded and everything else waits.
    pub fn handle(&mut self, now: Instant, input: Input) {
        if self.stopped {
            return;
        }
        if !self.started {
            self.record_boot_state(input);
            return;
        }
        self.now = now;
        if self.expired_backup {
            self.timers_expired_backup(now);
        }
        match input {
            Input::Timeout => {}
            Input::Packet { interface, meta, header, bytes } => self.on_packet(now, interface, meta, header, bytes),
            Input::Link { interface, up } => self.on_link(now, interface, up),
            Input::AddressAdded { interface, addr } => self.on_address_added(now, interface, addr),
            Input::AddressRemoved { interface, addr } => {
                self.static_address_removed(interface, addr);
                self.on_address_removed(now, interface, addr)
            }
            Input::ScriptExited { script, result } => self.on_script_exited(now, script, result),
            Input::TrackFile { file, value } => self.on_track_file(now, file, value),
            Input::ProcessCount { process, count, forked } => self.on_process_count(now, process, count, forked),
            Input::Reload(cfg) => self.reload(now, *cfg),
            Input::Shutdown => self.caused(event::Reason::Shutdown, |a| a.shutdown()),
            Input::Demote { instance, until, force } => self.demote(now, instance, until, force),
            Input::Promote { instance } => self.promote(now, instance),
        }
        self.fire_due(now);
    }

    /// The next action to carry out, in the order they were queued.
    pub fn poll_action(&mut self) -> Option<Action> {
        let next = self.out.pop_front();
        if next.is_none() && self.out.capacity() > IDLE_QUEUE_CAPACITY {
            // A burst (every instance entering MASTER at once: adverts, GARPs, VIPs, notifies,
            // log lines) can grow the queue to hundreds of KiB; give that memory back once it
            // has drained, or the daemon's resident size keeps the peak for good.
            self.out.shrink_to(IDLE_QUEUE_CAPACITY);
        }
        next
    }

    /// The earliest deadline, or None when nothing is scheduled. Reads, never changes.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.started {
            return None;
        }
        self.timers.next_timeout()
    }

    /// The kernel's state as the first dump reports it, before anything starts.
    fn record_boot_state(&mut self, input: Input) {
        match input {
            Input::AddressAdded { interface, addr } => self.record_address(interface, addr),
            Input::Link { interface, up } => {
                if let Some(l) = self.links.iter_mut().find(|l| l.name == interface) {
                    l.up = up;
                }
            }
            Input::TrackFile { file, value } => {
                if let Some(f) = self.files.iter_mut().find(|f| f.id == file) {
                    f.value = value;
                }
            }
            Input::ProcessCount { process, count, .. } => {
                // keepalived initialise_process_tracking_priorities(): the first scan decides
                // at once, without the delays.
                if let Some(p) = self.processes.iter().position(|x| x.id == process) {
                    self.processes[p].count = count;
                    self.processes[p].up = track::in_quorum(&self.cfg.track_processes[p], count);
                    self.processes[p].known = true;
                }
            }
            _ => {}
        }
    }

    fn record_address(&mut self, interface: &str, addr: IpAddr) {
        let list = self.addrs.entry(interface.to_string()).or_default();
        if !list.contains(&addr) {
            list.push(addr);
        }
    }

    fn fire_due(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_due(now) {
            match timer {
                Timer::Instance(i, t) => self.instance_timer_fired(i, t, now),
                Timer::Script(id) => self.script_timer_fired(id, now),
                Timer::Link(l) => self.link_timer_fired(l, now),
                Timer::Demotion(i) => self.demotion_ended(i, now),
                Timer::Episode(i) => self.episode_check(i, now),
                Timer::Garp => self.garp_timer_fired(),
                Timer::Process(id) => self.process_timer_fired(id, now),
                Timer::Startup => {
                    let waiting: Vec<InstanceId> =
                        self.instance_ids().filter(|&i| self.inst[i.index()].state == State::Init).collect();
                    for i in waiting {
                        self.start_instance(i, now);
                    }
                }
            }
            if self.stopped {
                return;
            }
        }
    }

    // Queries.

    /// Every instance, in configuration order.
    pub fn instance_ids(&self) -> impl Iterator<Item = InstanceId> {
        (0..self.cfg.instances.len()).map(InstanceId::from_index)
    }
    /// The instance named `name`.
    pub fn instance_id(&self, name: &str) -> Option<InstanceId> {
        self.cfg.instances.iter().position(|c| c.name == name).map(InstanceId::from_index)
    }
    /// How many instances the configuration has.
    pub fn instance_count(&self) -> usize {
        self.inst.len()
    }
    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    /// Instance `i`'s configuration.
    pub fn conf(&self, i: InstanceId) -> &Instance {
        &self.cfg.instances[i.index()]
    }
    /// Instance `i`'s state.
    pub fn state(&self, i: InstanceId) -> State {
        self.inst[i.index()].state
    }
    /// Base priority plus the trackers' weights, clamped (an owner stays 255).
    pub fn effective_priority(&self, i: InstanceId) -> u8 {
        self.inst[i.index()].effective
    }
    /// keepalived's counters of instance `i`.
    pub fn stats(&self, i: InstanceId) -> &Stats {
        &self.inst[i.index()].stats
    }
    /// The senders of instance `i` whose v3 IPv4 checksums take the form we do not send.
    pub fn checksum_peers(&self, i: InstanceId) -> &[ChecksumPeer] {
        &self.inst[i.index()].checksum_peers
    }
    /// The master this BACKUP last accepted: (address, priority).
    pub fn master_of(&self, i: InstanceId) -> Option<(IpAddr, u8)> {
        self.inst[i.index()].master
    }
    /// Master_Adver_Interval: ours, or the master's as a v3 backup learnt it.
    pub fn master_adver_int(&self, i: InstanceId) -> Micros {
        self.inst[i.index()].master_adver_int
    }
    /// The members of `i`'s sync group in its order (just `i` when it has none): a demote or
    /// a transition of one moves them all.
    pub fn group_members(&self, i: InstanceId) -> Vec<InstanceId> {
        self.members(i)
    }
    /// When instance `i` entered its state.
    pub fn since(&self, i: InstanceId) -> Instant {
        self.inst[i.index()].since
    }
    /// Why instance `i` is in its state (the cause of its last transition).
    pub fn reason(&self, i: InstanceId) -> &event::Reason {
        &self.inst[i.index()].reason
    }
    /// A BACKUP's master-down deadline: when it takes over unless an advert comes first.
    pub fn master_down_deadline(&self, i: InstanceId) -> Option<Instant> {
        self.timers.get(timers::Timer::Instance(i, timers::InstanceTimer::MasterDown))
    }
    /// Instance `i`'s transitions so far: (new state, reason kind, count).
    pub fn transitions(&self, i: InstanceId) -> &[(State, &'static str, u64)] {
        &self.inst[i.index()].transitions
    }
    /// Master_Down_Interval of instance `i` as it stands (for the data dump).
    pub fn master_down_interval(&self, i: InstanceId) -> Micros {
        self.master_down(i)
    }
    /// Skew_Time of instance `i` as it stands (RFC 5798 §6.1; `vrrpd check`).
    pub fn skew_time(&self, i: InstanceId) -> Micros {
        self.skew(i)
    }
    /// Every track script, in configuration order.
    pub fn scripts(&self) -> impl Iterator<Item = (ScriptId, &VrrpScript)> {
        self.scripts.iter().map(|s| s.id).zip(&self.cfg.scripts)
    }
    /// The track script named `name`.
    pub fn script_id(&self, name: &str) -> Option<ScriptId> {
        self.scripts().find(|(_, s)| s.name == name).map(|(id, _)| id)
    }
    /// Track script `id`'s configuration, while the configuration has it.
    pub fn script(&self, id: ScriptId) -> Option<&VrrpScript> {
        self.script_position(id).map(|s| &self.cfg.scripts[s])
    }
    /// Track script `id`: health, whether a run is going, the last exit status.
    pub fn script_status(&self, id: ScriptId) -> Option<ScriptStatus> {
        let rt = &self.scripts[self.script_position(id)?];
        Some(ScriptStatus { healthy: rt.health.state(), running: rt.running, last_status: rt.last_status })
    }
    /// Every track file, in configuration order.
    pub fn track_files(&self) -> impl Iterator<Item = (TrackFileId, &crate::config::model::TrackFile)> {
        self.files.iter().map(|f| f.id).zip(&self.cfg.track_files)
    }
    /// Every tracked process, in configuration order, with what the core knows of it: the
    /// number of matching processes, whether it has its quorum, and whether a delay runs.
    pub fn track_processes(
        &self,
    ) -> impl Iterator<Item = (TrackProcessId, &crate::config::model::TrackProcess, u32, bool, bool)> {
        self.processes
            .iter()
            .zip(&self.cfg.track_processes)
            .map(|(p, c)| (p.id, c, p.count, p.up, self.timers.get(Timer::Process(p.id)).is_some()))
    }
    /// The interfaces the instances use or track, with their state (IFF_UP and IFF_RUNNING).
    pub fn links(&self) -> impl Iterator<Item = (&str, bool)> {
        self.links.iter().map(|l| (l.name.as_str(), l.up))
    }
    /// The instance's source address: `unicast_src_ip`, else the first address of its family
    /// on its interface that is not a VIP (keepalived excludes VIPs, remove_residual_vips()).
    pub fn source_address(&self, i: InstanceId) -> Option<IpAddr> {
        self.source_for(self.conf(i))
    }

    /// The source address an instance configured as `c` uses (see [`Agent::source_address`]).
    fn source_for(&self, c: &Instance) -> Option<IpAddr> {
        if let Some(s) = c.unicast_src {
            return Some(s);
        }
        // A VMAC has no address of its own but the VIPs (and, for IPv6, the base's link-local
        // that the shell copies onto it): the source is the base interface's, as keepalived
        // takes vrrp->saddr from the configured interface.
        let iface = c.vmac.as_ref().map(|v| v.base.as_str()).or(c.interface.as_deref());
        let list = self.addrs.get(iface?)?;
        let want_v4 = c.family == Family::V4;
        let fits = |a: &&IpAddr| a.is_ipv4() == want_v4 && !self.is_vip(**a);
        if want_v4 {
            list.iter().find(fits).copied()
        } else {
            // IPv6 adverts come from the link-local address (RFC 5798 §5.1.2.1).
            list.iter().filter(fits).find(|a| matches!(a, IpAddr::V6(v) if v.segments()[0] & 0xffc0 == 0xfe80)).copied()
        }
    }

    // Helpers for the other files.

    fn name(&self, i: InstanceId) -> String {
        self.conf(i).name.clone()
    }

    fn log(&mut self, level: Level, message: String) {
        self.out.push_back(Action::Log { level, message });
    }

    fn event(&mut self, e: event::Event) {
        self.out.push_back(Action::Event(e));
    }

    /// Runs `f` with `cause` as the reason of every transition it makes (an inner cause, more
    /// precise, wins while it runs).
    fn caused<R>(&mut self, cause: event::Reason, f: impl FnOnce(&mut Self) -> R) -> R {
        let outer = self.cause.replace(cause);
        let r = f(self);
        self.cause = outer;
        r
    }

    /// `addr` is a VIP of some instance (never a source address, never logged as assigned).
    fn is_vip(&self, addr: IpAddr) -> bool {
        self.vips.contains(&addr)
    }

    fn in_startup_delay(&self) -> bool {
        self.timers.get(Timer::Startup).is_some()
    }

    /// Members of `i`'s sync group (just `i` when not in one).
    fn members(&self, i: InstanceId) -> Vec<InstanceId> {
        self.tracking[i.index()].members.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load_bytes, LoadOptions, StaticHost};
    use std::fmt::Write;

    #[test]
    fn the_action_queue_gives_back_a_burst_once_drained() {
        // 200 instances entering MASTER together queue thousands of actions at once.
        let mut text = String::new();
        for i in 1..=200 {
            let _ = write!(
                text,
                "vrrp_instance V{i} {{\n interface eth0\n virtual_router_id {i}\n priority 150\n \
                 version 3\n advert_int 0.01\n virtual_ipaddress {{\n  10.20.0.{i}/32\n }}\n}}\n"
            );
        }
        let host = StaticHost { everything_exists: true, ..Default::default() };
        let opts = LoadOptions { config_id: "t".into(), all_config: false };
        let loaded = load_bytes(std::path::Path::new("t.conf"), text.into_bytes(), &opts, &host);
        assert!(!loaded.is_fatal());
        let mut agent = Agent::new(loaded.config, Instant::ZERO);
        agent.handle(Instant::ZERO, Input::AddressAdded { interface: "eth0", addr: "10.10.0.1".parse().unwrap() });
        agent.start(Instant::ZERO);
        let (mut peak, mut drained) = (0, 0);
        while let Some(t) = agent.poll_timeout() {
            if agent.inst.iter().all(|i| i.state == State::Master) {
                break;
            }
            agent.handle(t, Input::Timeout);
            peak = peak.max(agent.out.len());
            while agent.poll_action().is_some() {
                drained += 1;
            }
        }
        assert!(peak > IDLE_QUEUE_CAPACITY, "the burst was only {peak} actions");
        assert!(drained >= 200 * 3, "{drained} actions");
        assert!(agent.out.capacity() <= IDLE_QUEUE_CAPACITY, "kept room for {}", agent.out.capacity());
    }
}
