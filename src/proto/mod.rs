//! The VRRP protocol core (RFC 3768, RFC 5798, keepalived 2.2.7 semantics): per-instance state
//! machines, tracking and effective priorities, sync groups, GARP schedules, reload.
//!
//! Sans-IO (DESIGN rules 1-4, the quinn-proto shape): no clock, no sockets, no processes, no
//! randomness. Every entry point takes `now`; inputs arrive through [`Agent::handle`]; outputs
//! queue up as [`Action`]s drained with [`Agent::poll_action`]; [`Agent::poll_timeout`] says
//! when to call back with [`Input::Timeout`]. Deadlines are data in the instance state; a
//! lazy min-heap indexes them, and a stale heap entry is harmless because every timer is
//! re-checked against `now` before it fires.
pub mod report;
pub mod time;
pub mod track;

use crate::config::model::*;
use crate::wire::vrrp::{self, Addrs, Expect, RxMeta, V2Auth, Version};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
pub use time::Instant;
use track::{Contribution, HealthChange, ScriptHealth};

/// keepalived's instance states (numbers as in its JSON dump).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Init = 0,
    Backup = 1,
    Master = 2,
    Fault = 3,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
        }
    }
}

/// Per-instance statistics, keepalived's names (keepalived.stats, JSON `stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub advert_interval_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    /// Not in keepalived's stats file, but logged by it.
    pub version_err: u64,
    pub checksum_err: u64,
}

/// How a track script run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptResult {
    /// Exit status (0 is success).
    Exited(i32),
    /// Killed at its timeout: a failure.
    TimedOut,
    /// Killed by a signal, or could not be started: a failure.
    Failed,
}

#[derive(Debug, Clone)]
pub enum Input<'a> {
    /// A VRRP payload received on `interface`; `meta` comes from the IP header or ancillary
    /// data. The agent validates it against the instance it is for.
    Packet {
        interface: &'a str,
        meta: RxMeta,
        bytes: &'a [u8],
    },
    /// Link state from netlink: up means IFF_UP and IFF_RUNNING.
    Link {
        interface: &'a str,
        up: bool,
    },
    AddressAdded {
        interface: &'a str,
        addr: IpAddr,
    },
    /// Also reports a VIP deleted by someone else.
    AddressRemoved {
        interface: &'a str,
        addr: IpAddr,
    },
    ScriptExited {
        script: usize,
        result: ScriptResult,
    },
    TrackFile {
        file: usize,
        value: i64,
    },
    /// A timer is due (the caller woke at `poll_timeout()`).
    Timeout,
    Reload(Box<Config>),
    Shutdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Info,
    /// keepalived's `-D` detail messages.
    Detail,
}

/// Actions the queue keeps room for between bursts (about 8 KiB).
const IDLE_QUEUE_CAPACITY: usize = 8 * 1024 / std::mem::size_of::<Action>();

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// An advert of `instance` announcing `priority`, to `dst` (the group, or one unicast peer).
    SendAdvert {
        instance: usize,
        priority: u8,
        dst: IpAddr,
    },
    /// One gratuitous ARP / unsolicited NA for `addr` on the instance's interface.
    SendGarp {
        instance: usize,
        addr: IpAddr,
    },
    AddAddress {
        instance: usize,
        vip: Vip,
    },
    RemoveAddress {
        instance: usize,
        vip: Vip,
    },
    /// A reload removed an instance that was MASTER: its last priority-0 advert (built from
    /// the old configuration, since the index no longer exists) and its addresses to delete
    /// (each with `dev` set to the old instance's interface).
    ReleaseRemoved {
        config: Box<Instance>,
        vips: Vec<Vip>,
    },
    AddRoute {
        instance: usize,
        route: Route,
    },
    RemoveRoute {
        instance: usize,
        route: Route,
    },
    AddRule {
        instance: usize,
        rule: Rule,
    },
    RemoveRule {
        instance: usize,
        rule: Rule,
    },
    /// Start a run of track script `script` (the shell enforces its timeout).
    RunScript {
        script: usize,
    },
    /// Run a notify command with `extra` arguments appended; kill it after `kill_after`.
    Notify {
        command: Command,
        extra: Vec<String>,
        kill_after: Option<Micros>,
    },
    /// A line for the notify FIFO(s), newline included.
    FifoLine {
        line: String,
    },
    Log {
        level: Level,
        message: String,
    },
}

/// Which component a heap entry wakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Slot {
    Instance(usize),
    Script(usize),
    Link(usize),
    Startup,
}

#[derive(Debug, Clone)]
struct Inst {
    state: State,
    effective: u8,
    /// Current Master_Adver_Interval: ours, or (v3 backup) the master's.
    master_adver_int: Micros,
    down_at: Option<Instant>,
    advert_at: Option<Instant>,
    preempt_until: Option<Instant>,
    garp_delayed_at: Option<Instant>,
    garp_refresh_at: Option<Instant>,
    garp_lower_at: Option<Instant>,
    master: Option<(IpAddr, u8)>,
    stats: Stats,
    /// keepalived logs a receive error once until the state changes.
    drop_logged: bool,
    vip4: Vec<Ipv4Addr>,
    vip6: Vec<Ipv6Addr>,
}

#[derive(Debug, Clone)]
struct ScriptRt {
    health: ScriptHealth,
    running: bool,
    next_run: Option<Instant>,
    last_status: Option<i32>,
}

#[derive(Debug, Clone)]
struct LinkRt {
    name: String,
    /// As the instances see it (after interface_up_down_delays).
    up: bool,
    /// Pending debounced change and when it takes effect.
    pending: Option<(bool, Instant)>,
}

pub struct Agent {
    cfg: Config,
    inst: Vec<Inst>,
    scripts: Vec<ScriptRt>,
    files: Vec<i64>,
    links: Vec<LinkRt>,
    /// Addresses per interface (for the source address used in the tie-break).
    addrs: HashMap<String, Vec<IpAddr>>,
    /// (interface, family, vrid) -> instances, for demultiplexing adverts.
    /// (interface id, IPv4, VRID) -> instances; id 0 is "no interface" (unicast with a
    /// source address). Looked up per received advert, so no allocation on that path.
    demux: HashMap<(u32, bool, u8), Vec<usize>>,
    iface_ids: HashMap<String, u32>,
    out: VecDeque<Action>,
    heap: BinaryHeap<Reverse<(Instant, Slot)>>,
    startup_until: Option<Instant>,
    stopped: bool,
}

fn family_is_v4(f: Family) -> bool {
    f == Family::V4
}

impl Agent {
    /// Builds the agent and performs keepalived's startup at `now`: remove leftover VIPs,
    /// then BACKUP (init), or FAULT (init) until weight-0 scripts report; after
    /// `vrrp_startup_delay` when one is set.
    pub fn new(cfg: Config, now: Instant) -> Agent {
        let mut a = Agent {
            cfg,
            inst: Vec::new(),
            scripts: Vec::new(),
            files: Vec::new(),
            links: Vec::new(),
            addrs: HashMap::new(),
            demux: HashMap::new(),
            iface_ids: HashMap::new(),
            out: VecDeque::new(),
            heap: BinaryHeap::new(),
            startup_until: None,
            stopped: false,
        };
        a.rebuild_indexes();
        a.scripts = a.cfg.scripts.iter().map(|s| ScriptRt::new(s, now)).collect();
        a.files = vec![0; a.cfg.track_files.len()];
        for i in 0..a.scripts.len() {
            a.touch(Slot::Script(i));
        }
        a.inst = (0..a.cfg.instances.len()).map(|i| a.new_inst(i)).collect();
        let delay = a.cfg.global.startup_delay.max(a.cfg.global.delay_after_boot);
        for i in 0..a.inst.len() {
            a.remove_leftovers(i);
        }
        if delay > 0 {
            a.startup_until = Some(now.plus(delay));
            a.log(Level::Info, format!("Delaying startup for {} seconds", crate::config::value::format_seconds(delay)));
            a.touch(Slot::Startup);
        } else {
            for i in 0..a.inst.len() {
                a.start_instance(i, now);
            }
        }
        a
    }

    fn rebuild_indexes(&mut self) {
        let mut names: Vec<String> = Vec::new();
        let mut add = |n: &str| {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
        };
        for i in &self.cfg.instances {
            if let Some(n) = &i.interface {
                add(n);
            }
            for t in &i.track_interfaces {
                add(&t.name);
            }
        }
        for g in &self.cfg.sync_groups {
            for t in &g.track_interfaces {
                add(&t.name);
            }
        }
        // Keep the known state of links that survive a reload.
        let old = std::mem::take(&mut self.links);
        self.links = names
            .into_iter()
            .map(|name| {
                old.iter().find(|l| l.name == name).cloned().unwrap_or(LinkRt { name, up: true, pending: None })
            })
            .collect();
        self.demux.clear();
        self.iface_ids.clear();
        for (n, i) in self.cfg.instances.iter().enumerate() {
            let id = match &i.interface {
                Some(name) => {
                    let next = self.iface_ids.len() as u32 + 1;
                    *self.iface_ids.entry(name.clone()).or_insert(next)
                }
                None => 0,
            };
            self.demux.entry((id, family_is_v4(i.family), i.vrid)).or_default().push(n);
        }
    }

    fn new_inst(&self, i: usize) -> Inst {
        let c = &self.cfg.instances[i];
        let mut vip4 = Vec::new();
        let mut vip6 = Vec::new();
        for v in &c.vips {
            match v.addr {
                IpAddr::V4(a) => vip4.push(a),
                IpAddr::V6(a) => vip6.push(a),
            }
        }
        Inst {
            state: State::Init,
            effective: c.priority,
            master_adver_int: c.advert_int,
            down_at: None,
            advert_at: None,
            preempt_until: None,
            garp_delayed_at: None,
            garp_refresh_at: None,
            garp_lower_at: None,
            master: None,
            stats: Stats::default(),
            drop_logged: false,
            vip4,
            vip6,
        }
    }

    // ---- the public surface ----

    pub fn handle(&mut self, now: Instant, input: Input) {
        if self.stopped {
            return;
        }
        match input {
            Input::Timeout => {}
            Input::Packet { interface, meta, bytes } => self.on_packet(now, interface, meta, bytes),
            Input::Link { interface, up } => self.on_link(now, interface, up),
            Input::AddressAdded { interface, addr } => {
                let list = self.addrs.entry(interface.to_string()).or_default();
                if !list.contains(&addr) {
                    list.push(addr);
                }
            }
            Input::AddressRemoved { interface, addr } => self.on_address_removed(now, interface, addr),
            Input::ScriptExited { script, result } => self.on_script_exited(now, script, result),
            Input::TrackFile { file, value } => {
                if let Some(v) = self.files.get_mut(file) {
                    *v = value;
                    let users: Vec<usize> = (0..self.inst.len())
                        .filter(|&i| self.tracks_file(i, &self.cfg.track_files[file].name))
                        .collect();
                    for i in users {
                        self.reassess(i, now);
                    }
                }
            }
            Input::Reload(cfg) => self.reload(now, *cfg),
            Input::Shutdown => self.shutdown(now),
        }
        self.fire_due(now);
    }

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

    /// The earliest deadline, or None when nothing is scheduled.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, slot))) = self.heap.peek().copied() {
            if self.slot_deadline(slot) == Some(at) {
                return Some(at);
            }
            self.heap.pop();
        }
        None
    }

    pub fn state(&self, i: usize) -> State {
        self.inst[i].state
    }
    pub fn effective_priority(&self, i: usize) -> u8 {
        self.inst[i].effective
    }
    pub fn stats(&self, i: usize) -> &Stats {
        &self.inst[i].stats
    }
    /// The master this BACKUP last accepted: (address, priority).
    pub fn master_of(&self, i: usize) -> Option<(IpAddr, u8)> {
        self.inst[i].master
    }
    pub fn master_adver_int(&self, i: usize) -> Micros {
        self.inst[i].master_adver_int
    }
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn instance_count(&self) -> usize {
        self.inst.len()
    }
    /// Master_Down_Interval of instance `i` as it stands (for the data dump).
    pub fn master_down_interval(&self, i: usize) -> Micros {
        self.master_down(i)
    }
    /// Track script `s`: health (None before its first result), whether a run is going, and
    /// the last exit status.
    pub fn script_status(&self, s: usize) -> (Option<bool>, bool, Option<i32>) {
        let rt = &self.scripts[s];
        (rt.health.state(), rt.running, rt.last_status)
    }
    /// The interfaces the instances use or track, with their state (IFF_UP and IFF_RUNNING).
    pub fn links(&self) -> impl Iterator<Item = (&str, bool)> {
        self.links.iter().map(|l| (l.name.as_str(), l.up))
    }
    /// The instance's source address: `unicast_src_ip`, else the first address of its family
    /// on its interface that is not a VIP (keepalived excludes VIPs, remove_residual_vips()).
    pub fn source_address(&self, i: usize) -> Option<IpAddr> {
        let c = &self.cfg.instances[i];
        if let Some(s) = c.unicast_src {
            return Some(s);
        }
        let list = self.addrs.get(c.interface.as_deref()?)?;
        let is_vip =
            |a: &IpAddr| self.cfg.instances.iter().any(|x| x.vips.iter().chain(&x.excluded_vips).any(|v| v.addr == *a));
        let want_v4 = c.family == Family::V4;
        let fits = |a: &&IpAddr| a.is_ipv4() == want_v4 && !is_vip(a);
        if want_v4 {
            list.iter().find(fits).copied()
        } else {
            // IPv6 adverts come from the link-local address (RFC 5798 §5.1.2.1).
            list.iter().filter(fits).find(|a| matches!(a, IpAddr::V6(v) if v.segments()[0] & 0xffc0 == 0xfe80)).copied()
        }
    }

    // ---- timers ----

    fn slot_deadline(&self, slot: Slot) -> Option<Instant> {
        match slot {
            Slot::Instance(i) => {
                let s = self.inst.get(i)?;
                [s.down_at, s.advert_at, s.garp_delayed_at, s.garp_refresh_at, s.garp_lower_at]
                    .into_iter()
                    .flatten()
                    .min()
            }
            Slot::Script(i) => self.scripts.get(i)?.next_run,
            Slot::Link(i) => self.links.get(i)?.pending.map(|p| p.1),
            Slot::Startup => self.startup_until,
        }
    }

    /// Indexes the slot's current deadline (call after changing any of its timers).
    fn touch(&mut self, slot: Slot) {
        if let Some(at) = self.slot_deadline(slot) {
            self.heap.push(Reverse((at, slot)));
        }
    }

    fn fire_due(&mut self, now: Instant) {
        while let Some(Reverse((at, slot))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            if self.slot_deadline(slot) != Some(at) {
                continue; // stale
            }
            match slot {
                Slot::Instance(i) => self.instance_timers(i, now),
                Slot::Script(i) => self.script_timer(i, now),
                Slot::Link(i) => self.link_timer(i, now),
                Slot::Startup => {
                    self.startup_until = None;
                    for i in 0..self.inst.len() {
                        self.start_instance(i, now);
                    }
                }
            }
            self.touch(slot);
            if self.stopped {
                return;
            }
        }
    }

    fn instance_timers(&mut self, i: usize, now: Instant) {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if due(self.inst[i].down_at) {
            self.inst[i].down_at = None;
            if self.inst[i].state == State::Backup {
                self.log(Level::Detail, format!("({}) Receive advertisement timeout", self.name(i)));
                self.become_master(i, now);
            }
        }
        if due(self.inst[i].advert_at) {
            if self.inst[i].state == State::Master {
                let prio = self.inst[i].effective;
                self.send_advert(i, prio);
                self.inst[i].advert_at = Some(now.plus(self.cfg.instances[i].advert_int));
            } else {
                self.inst[i].advert_at = None;
            }
        }
        if due(self.inst[i].garp_delayed_at) {
            self.inst[i].garp_delayed_at = None;
            if self.inst[i].state == State::Master {
                let n = self.cfg.instances[i].garp.master_repeat;
                self.send_garps(i, n);
            }
        }
        if due(self.inst[i].garp_lower_at) {
            self.inst[i].garp_lower_at = None;
            if self.inst[i].state == State::Master {
                let n = self.cfg.instances[i].garp.lower_prio_repeat;
                self.send_garps(i, n);
            }
        }
        if due(self.inst[i].garp_refresh_at) {
            let g = self.cfg.instances[i].garp;
            if self.inst[i].state == State::Master && g.master_refresh > 0 {
                self.send_garps(i, g.master_refresh_repeat);
                self.inst[i].garp_refresh_at = Some(now.plus(g.master_refresh));
            } else {
                self.inst[i].garp_refresh_at = None;
            }
        }
    }

    // ---- helpers ----

    fn name(&self, i: usize) -> String {
        self.cfg.instances[i].name.clone()
    }

    fn log(&mut self, level: Level, message: String) {
        self.out.push_back(Action::Log { level, message });
    }

    fn link_index(&self, name: &str) -> Option<usize> {
        self.links.iter().position(|l| l.name == name)
    }

    fn link_up(&self, name: &str) -> bool {
        self.link_index(name).map(|l| self.links[l].up).unwrap_or(true)
    }

    fn tracks_file(&self, i: usize, name: &str) -> bool {
        let c = &self.cfg.instances[i];
        c.track_files.iter().any(|t| t.name == name)
            || self.group_of(i).is_some_and(|g| self.cfg.sync_groups[g].track_files.iter().any(|t| t.name == name))
    }

    fn group_of(&self, i: usize) -> Option<usize> {
        let g = self.cfg.instances[i].sync_group.as_deref()?;
        self.cfg.sync_groups.iter().position(|s| s.name == g)
    }

    /// Members of `i`'s sync group (just `i` when not in one).
    fn members(&self, i: usize) -> Vec<usize> {
        match self.group_of(i) {
            Some(g) => self.cfg.sync_groups[g]
                .members
                .iter()
                .filter_map(|m| self.cfg.instances.iter().position(|x| &x.name == m))
                .collect(),
            None => vec![i],
        }
    }

    /// RFC 3768 §6.1 / RFC 5798 §6.1: Skew_Time, integer microseconds.
    fn skew(&self, i: usize) -> Micros {
        let c = &self.cfg.instances[i];
        let p = 256 - self.inst[i].effective as u64;
        match c.version {
            3 => p * self.inst[i].master_adver_int / 256,
            _ => p * SECOND / 256,
        }
    }

    /// Master_Down_Interval = down_timer_adverts x Master_Adver_Interval + Skew_Time.
    fn master_down(&self, i: usize) -> Micros {
        let c = &self.cfg.instances[i];
        c.down_timer_adverts as u64 * self.inst[i].master_adver_int + self.skew(i)
    }

    // ---- tracking ----

    /// Sums the trackers of `i` (and of its sync group): (adjustment, fault, waiting for a
    /// weight-0 script's first result).
    fn assess(&self, i: usize) -> (i32, bool, bool) {
        let c = &self.cfg.instances[i];
        let mut adjust = 0i32;
        let mut fault = false;
        let mut gate = false;
        let group = self.group_of(i).map(|g| &self.cfg.sync_groups[g]);
        let scripts = c.track_scripts.iter().chain(group.map(|g| g.track_scripts.as_slice()).unwrap_or(&[]));
        for t in scripts {
            let Some(s) = self.cfg.scripts.iter().position(|s| s.name == t.name) else { continue };
            match self.scripts[s].health.state() {
                None => gate |= t.weight == 0,
                Some(ok) => match track::contribution(ok, t.weight, t.reverse) {
                    Contribution::Fault => fault = true,
                    Contribution::Adjust(a) => adjust += a,
                },
            }
        }
        let ifaces = c.track_interfaces.iter().chain(group.map(|g| g.track_interfaces.as_slice()).unwrap_or(&[]));
        for t in ifaces {
            match track::contribution(self.link_up(&t.name), t.weight, t.reverse) {
                Contribution::Fault => fault = true,
                Contribution::Adjust(a) => adjust += a,
            }
        }
        if let (Some(own), false) = (&c.interface, c.dont_track_primary) {
            fault |= !self.link_up(own);
        }
        let files = c.track_files.iter().chain(group.map(|g| g.track_files.as_slice()).unwrap_or(&[]));
        for t in files {
            let Some(f) = self.cfg.track_files.iter().position(|f| f.name == t.name) else { continue };
            match track::file_contribution(self.files[f], t.weight, t.reverse) {
                Contribution::Fault => fault = true,
                Contribution::Adjust(a) => adjust += a,
            }
        }
        (adjust, fault, gate)
    }

    /// Applies tracker changes to `i` and its sync group: effective priority (shifting a
    /// running down timer by the difference, vrrp_set_effective_priority()), and FAULT in or out.
    fn reassess(&mut self, i: usize, now: Instant) {
        if self.startup_until.is_some() || self.stopped {
            return;
        }
        let (adjust, fault, gate) = self.assess(i);
        let new = track::effective_priority(self.cfg.instances[i].priority, adjust);
        let old = self.inst[i].effective;
        if new != old {
            let old_down = self.master_down(i);
            self.inst[i].effective = new;
            self.log(Level::Info, format!("({}) Changing effective priority from {old} to {new}", self.name(i)));
            if self.inst[i].state == State::Backup {
                let new_down = self.master_down(i);
                if let Some(at) = self.inst[i].down_at {
                    let shifted = if new_down >= old_down {
                        at.plus(new_down - old_down)
                    } else {
                        Instant::from_micros(at.as_micros().saturating_sub(old_down - new_down))
                    };
                    self.inst[i].down_at = Some(shifted);
                    self.touch(Slot::Instance(i));
                }
            }
            if self.cfg.instances[i].notify_priority_changes {
                let state = self.inst[i].state;
                if matches!(state, State::Master | State::Backup) {
                    let line = format!("INSTANCE \"{}\" {}_PRIORITY {}\n", self.name(i), state.name(), new);
                    self.fifo(line);
                }
            }
        }
        let group_fault = self.members(i).iter().any(|&m| m != i && self.assess(m).1);
        let state = self.inst[i].state;
        if fault || group_fault {
            if state != State::Fault {
                for m in self.members(i) {
                    if self.inst[m].state != State::Fault {
                        self.enter_fault(m, now, state == State::Init);
                    }
                }
            }
        } else if gate {
            if state == State::Init {
                self.enter_fault(i, now, true);
            }
        } else if state == State::Fault {
            // Leave FAULT only when no member of the group is still faulty or waiting.
            if self.members(i).iter().all(|&m| {
                let (_, f, g) = self.assess(m);
                !f && !g
            }) {
                for m in self.members(i) {
                    if self.inst[m].state == State::Fault {
                        self.enter_backup(m, now, false);
                    }
                }
            }
        }
    }

    fn script_timer(&mut self, s: usize, now: Instant) {
        let interval = self.cfg.scripts[s].interval;
        let rt = &mut self.scripts[s];
        rt.next_run = Some(now.plus(interval));
        if rt.running {
            let name = self.cfg.scripts[s].name.clone();
            self.log(Level::Warning, format!("Track script {name} is already running, expect idle - skipping run"));
        } else {
            self.scripts[s].running = true;
            self.out.push_back(Action::RunScript { script: s });
        }
    }

    fn on_script_exited(&mut self, now: Instant, s: usize, result: ScriptResult) {
        let Some(rt) = self.scripts.get_mut(s) else { return };
        rt.running = false;
        let name = self.cfg.scripts[s].name.clone();
        let status = match result {
            ScriptResult::Exited(c) => Some(c),
            _ => None,
        };
        let changed_status = status.is_some() && status != rt.last_status && rt.last_status.is_some();
        if status.is_some() {
            rt.last_status = status;
        }
        let success = status == Some(0);
        let change = rt.health.record(success);
        if changed_status {
            self.log(Level::Info, format!("Script `{name}` now returning {}", status.unwrap_or(-1)));
        }
        match change {
            HealthChange::BecameGood => self.log(Level::Info, format!("VRRP_Script({name}) succeeded")),
            HealthChange::BecameBad => {
                let why = match result {
                    ScriptResult::TimedOut => "timed_out".to_string(),
                    ScriptResult::Exited(c) => format!("failed (exited with status {c})"),
                    ScriptResult::Failed => "failed".to_string(),
                };
                self.log(Level::Info, format!("VRRP_Script({name}) {why}"));
            }
            HealthChange::None => return,
        }
        let users: Vec<usize> = (0..self.inst.len())
            .filter(|&i| {
                self.cfg.instances[i].track_scripts.iter().any(|t| t.name == name)
                    || self
                        .group_of(i)
                        .is_some_and(|g| self.cfg.sync_groups[g].track_scripts.iter().any(|t| t.name == name))
            })
            .collect();
        for i in users {
            self.reassess(i, now);
        }
    }

    fn on_link(&mut self, now: Instant, name: &str, up: bool) {
        let Some(l) = self.link_index(name) else { return };
        // keepalived interface_up_down_delays: debounce before the instances see it.
        let delay = self
            .cfg
            .interface_delays
            .iter()
            .find(|d| d.interface == name)
            .map(|d| if up { d.up } else { d.down })
            .unwrap_or(0);
        if self.links[l].up == up {
            self.links[l].pending = None;
            return;
        }
        if delay > 0 {
            self.links[l].pending = Some((up, now.plus(delay)));
            self.touch(Slot::Link(l));
            return;
        }
        self.apply_link(l, up, now);
    }

    fn link_timer(&mut self, l: usize, now: Instant) {
        if let Some((up, _)) = self.links[l].pending.take() {
            self.apply_link(l, up, now);
        }
    }

    fn apply_link(&mut self, l: usize, up: bool, now: Instant) {
        self.links[l].up = up;
        let name = self.links[l].name.clone();
        self.log(Level::Info, format!("Netlink reports {name} {}", if up { "up" } else { "down" }));
        for i in 0..self.inst.len() {
            let c = &self.cfg.instances[i];
            let own = c.interface.as_deref() == Some(name.as_str());
            let tracked = c.track_interfaces.iter().any(|t| t.name == name)
                || self
                    .group_of(i)
                    .is_some_and(|g| self.cfg.sync_groups[g].track_interfaces.iter().any(|t| t.name == name));
            if own || tracked {
                self.reassess(i, now);
            }
        }
    }

    // ---- state changes ----

    fn remove_leftovers(&mut self, i: usize) {
        // keepalived at startup: "removing VIPs." (a crash may have left them behind).
        let c = &self.cfg.instances[i];
        let actions: Vec<Action> = c
            .vips
            .iter()
            .chain(&c.excluded_vips)
            .map(|v| Action::RemoveAddress { instance: i, vip: v.clone() })
            .chain(c.routes.iter().map(|r| Action::RemoveRoute { instance: i, route: r.clone() }))
            .chain(c.rules.iter().map(|r| Action::RemoveRule { instance: i, rule: r.clone() }))
            .collect();
        if !actions.is_empty() {
            self.log(Level::Info, format!("({}) removing VIPs.", self.name(i)));
            self.out.extend(actions);
        }
    }

    fn start_instance(&mut self, i: usize, now: Instant) {
        let (adjust, fault, gate) = self.assess(i);
        self.inst[i].effective = track::effective_priority(self.cfg.instances[i].priority, adjust);
        let group_fault = self.members(i).iter().any(|&m| m != i && self.assess(m).1);
        if fault || gate || group_fault {
            self.enter_fault(i, now, true);
        } else {
            self.enter_backup(i, now, true);
        }
    }

    /// FAULT: leaving MASTER sends a priority-0 advert and releases the VIPs (RFC 5798
    /// §6.4.3 shutdown behaviour, keepalived vrrp_state_leave_master()).
    fn enter_fault(&mut self, i: usize, now: Instant, init: bool) {
        let was = self.inst[i].state;
        if was == State::Master {
            self.leave_master(i, true);
        }
        self.set_state(i, State::Fault);
        let _ = now;
        if init && was == State::Init {
            self.log(Level::Info, format!("({}) Entering FAULT STATE (init)", self.name(i)));
        } else {
            self.log(Level::Info, format!("({}) Entering FAULT STATE", self.name(i)));
            self.notify(i, State::Fault);
        }
    }

    fn enter_backup(&mut self, i: usize, now: Instant, init: bool) {
        let was = self.inst[i].state;
        if was == State::Master {
            self.leave_master(i, false);
        }
        self.set_state(i, State::Backup);
        self.inst[i].master_adver_int = self.cfg.instances[i].advert_int;
        let down = if self.cfg.instances[i].priority == 255 && was != State::Master {
            // The address owner does not wait (keepalived: a 1 us down timer).
            1
        } else {
            self.master_down(i)
        };
        self.inst[i].down_at = Some(now.plus(down));
        self.touch(Slot::Instance(i));
        let suffix = if init && was == State::Init { " (init)" } else { "" };
        self.log(Level::Info, format!("({}) Entering BACKUP STATE{suffix}", self.name(i)));
        self.notify(i, State::Backup);
    }

    /// RFC 5798 §6.4.2 / keepalived vrrp_state_become_master(): advert first, then the VIPs,
    /// routes and rules, then GARPs (a second batch after garp_master_delay), then notifies.
    fn become_master(&mut self, i: usize, now: Instant) {
        let members = self.members(i);
        for m in members {
            if self.inst[m].state == State::Master || (m != i && self.inst[m].state == State::Fault) {
                continue;
            }
            self.enter_master(m, now);
        }
    }

    fn enter_master(&mut self, i: usize, now: Instant) {
        self.set_state(i, State::Master);
        self.log(Level::Info, format!("({}) Entering MASTER STATE", self.name(i)));
        let prio = self.inst[i].effective;
        self.send_advert(i, prio);
        let c = self.cfg.instances[i].clone();
        self.inst[i].advert_at = Some(now.plus(c.advert_int));
        if !c.vips.is_empty() || !c.excluded_vips.is_empty() {
            self.log(Level::Info, format!("({}) setting VIPs.", c.name));
        }
        for v in c.vips.iter().chain(&c.excluded_vips) {
            self.out.push_back(Action::AddAddress { instance: i, vip: v.clone() });
        }
        for r in &c.routes {
            self.out.push_back(Action::AddRoute { instance: i, route: r.clone() });
        }
        for r in &c.rules {
            self.out.push_back(Action::AddRule { instance: i, rule: r.clone() });
        }
        self.send_garps(i, c.garp.master_repeat);
        if c.garp.master_delay > 0 {
            self.inst[i].garp_delayed_at = Some(now.plus(c.garp.master_delay));
        }
        if c.garp.master_refresh > 0 {
            self.inst[i].garp_refresh_at = Some(now.plus(c.garp.master_refresh));
        }
        self.inst[i].stats.become_master += 1;
        self.touch(Slot::Instance(i));
        self.notify(i, State::Master);
    }

    /// Common exit from MASTER: optional priority-0 advert, VIPs/routes/rules released.
    fn leave_master(&mut self, i: usize, send_zero: bool) {
        if send_zero {
            self.send_advert(i, 0);
            self.log(Level::Detail, format!("({}) sent 0 priority", self.name(i)));
        }
        let c = self.cfg.instances[i].clone();
        for v in c.vips.iter().chain(&c.excluded_vips) {
            self.out.push_back(Action::RemoveAddress { instance: i, vip: v.clone() });
        }
        for r in &c.routes {
            self.out.push_back(Action::RemoveRoute { instance: i, route: r.clone() });
        }
        for r in &c.rules {
            self.out.push_back(Action::RemoveRule { instance: i, rule: r.clone() });
        }
        self.inst[i].stats.release_master += 1;
    }

    fn set_state(&mut self, i: usize, s: State) {
        let inst = &mut self.inst[i];
        inst.state = s;
        inst.down_at = None;
        inst.advert_at = None;
        inst.garp_delayed_at = None;
        inst.garp_refresh_at = None;
        inst.garp_lower_at = None;
        inst.preempt_until = None;
        inst.drop_logged = false;
    }

    fn send_advert(&mut self, i: usize, priority: u8) {
        let c = &self.cfg.instances[i];
        let dsts: Vec<IpAddr> = if c.unicast_peers.is_empty() {
            vec![c.mcast_dst]
        } else {
            c.unicast_peers.iter().map(|p| p.addr).collect()
        };
        for dst in dsts {
            self.out.push_back(Action::SendAdvert { instance: i, priority, dst });
            self.inst[i].stats.advert_sent += 1;
            if priority == 0 {
                self.inst[i].stats.pri_zero_sent += 1;
            }
        }
    }

    fn send_garps(&mut self, i: usize, repeat: u32) {
        let c = &self.cfg.instances[i];
        let addrs: Vec<IpAddr> = c.vips.iter().chain(&c.excluded_vips).map(|v| v.addr).collect();
        if addrs.is_empty() || repeat == 0 {
            return;
        }
        let ifname = c.interface.clone().unwrap_or_default();
        for a in &addrs {
            self.log(Level::Detail, format!("({}) Sending/queueing gratuitous ARPs on {ifname} for {a}", self.name(i)));
        }
        for _ in 0..repeat {
            for a in &addrs {
                self.out.push_back(Action::SendGarp { instance: i, addr: *a });
            }
        }
    }

    /// keepalived's notify order: the state's script, then `notify` with INSTANCE|GROUP name
    /// STATE priority, then the FIFO line. A sync group notifies as GROUP (priority 0) once,
    /// and its members' own notifies for that state are skipped when the group has one.
    fn notify(&mut self, i: usize, state: State) {
        let c = &self.cfg.instances[i];
        let group = self.group_of(i);
        let group_has = group.is_some_and(|g| {
            let n = &self.cfg.sync_groups[g].notify;
            state_script(n, state).is_some() || n.generic.is_some()
        });
        if !group_has {
            if let Some(cmd) = state_script(&c.notify, state) {
                let kill = (state == State::Init).then_some(SECOND);
                self.out.push_back(Action::Notify { command: cmd.clone(), extra: Vec::new(), kill_after: kill });
            }
            if let Some(cmd) = &c.notify.generic {
                let extra = vec![
                    "INSTANCE".into(),
                    c.name.clone(),
                    state_word(state).into(),
                    self.inst[i].effective.to_string(),
                ];
                self.out.push_back(Action::Notify { command: cmd.clone(), extra, kill_after: None });
            }
        }
        let line = format!("INSTANCE \"{}\" {} {}\n", c.name, state_word(state), self.inst[i].effective);
        self.fifo(line);
        if let Some(g) = group {
            // The group notifies once, when its last member reaches the state.
            let all =
                self.members(i).iter().all(|&m| self.inst[m].state == state || (state == State::Init && self.stopped));
            if all {
                let gc = &self.cfg.sync_groups[g];
                if let Some(cmd) = state_script(&gc.notify, state) {
                    self.out.push_back(Action::Notify { command: cmd.clone(), extra: Vec::new(), kill_after: None });
                }
                if let Some(cmd) = &gc.notify.generic {
                    let extra = vec!["GROUP".into(), gc.name.clone(), state_word(state).into(), "0".into()];
                    self.out.push_back(Action::Notify { command: cmd.clone(), extra, kill_after: None });
                }
                let line = format!("GROUP \"{}\" {} 0\n", gc.name, state_word(state));
                self.fifo(line);
            }
        }
    }

    fn fifo(&mut self, line: String) {
        if self.cfg.global.notify_fifo.is_some() || self.cfg.global.vrrp_notify_fifo.is_some() {
            self.out.push_back(Action::FifoLine { line });
        }
    }

    // ---- receiving ----

    fn on_packet(&mut self, now: Instant, interface: &str, meta: RxMeta, bytes: &[u8]) {
        if bytes.len() < 2 || self.startup_until.is_some() {
            return;
        }
        let vrid = bytes[1];
        let v4 = meta.src.is_ipv4();
        let id = self.iface_ids.get(interface).copied().unwrap_or(u32::MAX);
        let found = self.demux.get(&(id, v4, vrid)).or_else(|| self.demux.get(&(0, v4, vrid))).and_then(|candidates| {
            // Several instances may share a VRID in unicast with disjoint peers.
            candidates
                .iter()
                .find(|&&i| {
                    let p = &self.cfg.instances[i].unicast_peers;
                    p.is_empty() || p.iter().any(|p| p.addr == meta.src)
                })
                .or(candidates.first())
                .copied()
        });
        let Some(i) = found else {
            if self.cfg.global.log_unknown_vrids {
                self.log(Level::Info, format!("Unknown VRID {vrid} received on {interface} from {}", meta.src));
            }
            return;
        };
        let c = &self.cfg.instances[i];
        if matches!(self.inst[i].state, State::Init | State::Fault) {
            return;
        }
        let multicast = c.unicast_peers.is_empty();
        let peer = c.unicast_peers.iter().find(|p| p.addr == meta.src);
        let vips = match c.family {
            Family::V4 => Addrs::V4(&self.inst[i].vip4),
            Family::V6 => Addrs::V6(&self.inst[i].vip6),
        };
        let expect = Expect {
            version: if c.version == 3 { Version::V3 } else { Version::V2 },
            multicast,
            ttl_range: peer.filter(|p| (p.min_ttl, p.max_ttl) != (0, 255)).map(|p| (p.min_ttl, p.max_ttl)),
            auth: match &c.auth {
                Auth::Pass(p) => V2Auth::pass(*p),
                Auth::None => V2Auth::NONE,
            },
            v2_interval: (c.advert_int / SECOND) as u16,
            v3_checksum_as_v2: c.v3_checksum_as_v2,
            vips,
        };
        let ours_cs = (c.advert_int / 10_000) as u16;
        let name = c.name.clone();
        let accepted = match vrrp::validate(bytes, &meta, &expect, ours_cs) {
            Ok(a) => a,
            Err(d) => {
                self.count_drop(i, &d);
                if !self.inst[i].drop_logged {
                    self.inst[i].drop_logged = true;
                    self.log(Level::Info, format!("({name}) {} from {} - discarding", d, meta.src));
                }
                return;
            }
        };
        // keepalived: mode mismatch, unicast source filter, owner ignoring adverts.
        let c = &self.cfg.instances[i];
        if multicast != meta.dst.is_multicast() {
            let what = if multicast {
                "Expected multicast packet but received unicast"
            } else {
                "Expected unicast packet but received multicast"
            };
            self.log(Level::Info, format!("({name}) {what} packet from {}", meta.src));
            return;
        }
        if !multicast && c.check_unicast_src && peer.is_none() {
            self.log(
                Level::Info,
                format!("({name}) unicast source address {} not a unicast peer - discarding", meta.src),
            );
            return;
        }
        if c.owner_ignore_adverts && c.priority == 255 {
            return;
        }
        let r = accepted.repr;
        self.inst[i].stats.advert_rcvd += 1;
        if accepted.addr_list_mismatch {
            self.inst[i].stats.addr_list_err += 1;
            if !self.inst[i].drop_logged {
                self.inst[i].drop_logged = true;
                self.log(
                    Level::Info,
                    format!(
                        "({name}) ip address associated with VRID {} not present in MASTER advert : {}",
                        r.vrid, meta.src
                    ),
                );
            }
        }
        if r.priority == 0 {
            self.inst[i].stats.pri_zero_rcvd += 1;
        }
        match self.inst[i].state {
            State::Backup => self.backup_receives(i, now, meta.src, r.priority, r.interval),
            State::Master => self.master_receives(i, now, meta.src, r.priority),
            _ => {}
        }
    }

    fn count_drop(&mut self, i: usize, d: &vrrp::Drop) {
        let s = &mut self.inst[i].stats;
        match d {
            vrrp::Drop::PacketLength { .. } => s.packet_len_err += 1,
            vrrp::Drop::IpTtl { .. } => s.ip_ttl_err += 1,
            vrrp::Drop::Version { .. } => s.version_err += 1,
            vrrp::Drop::InvalidAuthType { .. } => s.invalid_authtype += 1,
            vrrp::Drop::AuthTypeMismatch { .. } => s.authtype_mismatch += 1,
            vrrp::Drop::AuthFailure => s.auth_failure += 1,
            vrrp::Drop::AdvertInterval { .. } => s.advert_interval_err += 1,
            vrrp::Drop::InvalidType { .. } => s.invalid_type_rcvd += 1,
            vrrp::Drop::Checksum => s.checksum_err += 1,
        }
    }

    /// RFC 5798 §6.4.2 with keepalived's choices (vrrp_state_backup()).
    fn backup_receives(&mut self, i: usize, now: Instant, src: IpAddr, prio: u8, interval_cs: u16) {
        let c = &self.cfg.instances[i];
        if prio == 0 {
            // Fast path: take over after Skew_Time only.
            self.log(Level::Detail, format!("({}) Backup received priority 0 advertisement", c.name));
            self.inst[i].down_at = Some(now.plus(self.skew(i)));
            self.touch(Slot::Instance(i));
            return;
        }
        let ours = self.inst[i].effective;
        let mut accept = prio >= ours || c.nopreempt;
        if !accept && c.preempt_delay > 0 {
            // preempt_delay: accept lower priorities for a while before preempting.
            let until = *self.inst[i].preempt_until.get_or_insert(now.plus(c.preempt_delay));
            accept = now < until;
        }
        if !accept {
            // Discarded adverts do not restart the down timer: it fires and we preempt.
            if !self.inst[i].drop_logged {
                self.inst[i].drop_logged = true;
                self.log(
                    Level::Info,
                    format!("({}) received lower priority ({prio}) advert from {src} - discarding", c.name),
                );
            }
            return;
        }
        if prio >= ours {
            self.inst[i].preempt_until = None;
        }
        if c.version == 3 {
            // RFC 5798 §6.4.2: a backup learns the master's advertisement interval.
            self.inst[i].master_adver_int = (interval_cs as u64).max(1) * 10_000;
        }
        self.inst[i].master = Some((src, prio));
        self.inst[i].down_at = Some(now.plus(self.master_down(i)));
        self.touch(Slot::Instance(i));
    }

    /// RFC 5798 §6.4.3 with keepalived's choices (vrrp_state_master_rx()).
    fn master_receives(&mut self, i: usize, now: Instant, src: IpAddr, prio: u8) {
        let c = self.cfg.instances[i].clone();
        let ours = self.inst[i].effective;
        if prio == 0 {
            let p = self.inst[i].effective;
            self.send_advert(i, p);
            self.inst[i].advert_at = Some(now.plus(c.advert_int));
            self.touch(Slot::Instance(i));
            return;
        }
        let our_src = self.source_address(i);
        let higher_ip = our_src.is_some_and(|o| ip_greater(src, o));
        if prio > ours || (prio == ours && higher_ip) {
            if prio > ours {
                self.log(
                    Level::Info,
                    format!("({}) Master received advert from {src} with higher priority {prio}, ours {ours}", c.name),
                );
            } else {
                self.log(Level::Info, format!("({}) Master received advert from {src} with same priority {prio} but higher IP address than ours", c.name));
            }
            if c.higher_prio_send_advert {
                // Make the new master's peers see it change state (and send GARPs).
                self.send_advert(i, ours);
            }
            for m in self.members(i) {
                if self.inst[m].state == State::Master {
                    self.enter_backup(m, now, false);
                }
            }
            self.inst[i].master = Some((src, prio));
            return;
        }
        // Lower priority (or equal with a lower address): another router thinks it is master.
        let forcing = if c.lower_prio_no_advert { "" } else { ", forcing new election" };
        self.log(
            Level::Info,
            format!("({}) Received advert from {src} with lower priority {prio}, ours {ours}{forcing}", c.name),
        );
        if !c.lower_prio_no_advert {
            self.send_advert(i, ours);
            self.inst[i].advert_at = Some(now.plus(c.advert_int));
        }
        if c.garp.lower_prio_repeat > 0 {
            self.send_garps(i, c.garp.lower_prio_repeat);
            if c.garp.lower_prio_delay > 0 {
                self.inst[i].garp_lower_at = Some(now.plus(c.garp.lower_prio_delay));
            }
        }
        self.touch(Slot::Instance(i));
        if let Some(cmd) = &c.notify.master_rx_lower_pri {
            self.out.push_back(Action::Notify { command: cmd.clone(), extra: Vec::new(), kill_after: None });
        }
        self.fifo(format!("INSTANCE \"{}\" MASTER_RX_LOWER_PRI {}\n", c.name, ours));
    }

    /// keepalived set_vrrp_backup(): a VIP of a MASTER deleted by someone else makes it send
    /// priority 0, release the rest, go BACKUP and retake after Skew_Time.
    fn on_address_removed(&mut self, now: Instant, interface: &str, addr: IpAddr) {
        if let Some(list) = self.addrs.get_mut(interface) {
            list.retain(|a| *a != addr);
        }
        for i in 0..self.inst.len() {
            if self.inst[i].state != State::Master {
                continue;
            }
            let c = &self.cfg.instances[i];
            let hit = c.vips.iter().chain(&c.excluded_vips).any(|v| {
                v.addr == addr && !v.no_track && v.dev.as_deref().or(c.interface.as_deref()) == Some(interface)
            });
            if !hit {
                continue;
            }
            self.log(Level::Detail, format!("Netlink reflector reports IP {addr} removed from {interface}"));
            for m in self.members(i) {
                if self.inst[m].state == State::Master {
                    self.leave_master(m, true);
                    self.set_state(m, State::Backup);
                    self.log(Level::Info, format!("({}) Entering BACKUP STATE", self.name(m)));
                    self.notify(m, State::Backup);
                    let skew = self.skew(m);
                    self.inst[m].down_at = Some(now.plus(skew));
                    self.touch(Slot::Instance(m));
                }
            }
        }
    }

    // ---- shutdown and reload ----

    /// keepalived §4.14: priority-0 adverts and VIPs released by every MASTER, then STOP
    /// notifies (notify_stop killed after 1 s).
    fn shutdown(&mut self, _now: Instant) {
        self.log(Level::Info, "Stopping".into());
        for i in 0..self.inst.len() {
            if self.inst[i].state == State::Master {
                self.leave_master(i, true);
            }
        }
        self.stopped = true;
        for i in 0..self.inst.len() {
            self.set_state(i, State::Init);
            let c = &self.cfg.instances[i];
            if let Some(cmd) = &c.notify.stop {
                self.out.push_back(Action::Notify {
                    command: cmd.clone(),
                    extra: Vec::new(),
                    kill_after: Some(SECOND),
                });
            }
            if let Some(cmd) = &c.notify.generic {
                let extra = vec!["INSTANCE".into(), c.name.clone(), "STOP".into(), self.inst[i].effective.to_string()];
                self.out.push_back(Action::Notify { command: cmd.clone(), extra, kill_after: None });
            }
            let line = format!("INSTANCE \"{}\" STOP {}\n", c.name, self.inst[i].effective);
            self.fifo(line);
        }
        for g in self.cfg.sync_groups.clone() {
            if let Some(cmd) = &g.notify.stop {
                self.out.push_back(Action::Notify {
                    command: cmd.clone(),
                    extra: Vec::new(),
                    kill_after: Some(SECOND),
                });
            }
            if let Some(cmd) = &g.notify.generic {
                let extra = vec!["GROUP".into(), g.name.clone(), "STOP".into(), "0".into()];
                self.out.push_back(Action::Notify { command: cmd.clone(), extra, kill_after: None });
            }
        }
        self.heap.clear();
        self.log(Level::Info, "Stopped".into());
    }

    /// SIGHUP (keepalived vrrp_exist()): instances are matched by (VRID, family, interface,
    /// unicast or not); a matched instance keeps its state, a MASTER keeps its VIPs and gets
    /// only the difference; unmatched old ones are released, new ones start as at startup.
    fn reload(&mut self, now: Instant, new_cfg: Config) {
        let old_cfg = std::mem::replace(&mut self.cfg, new_cfg);
        let old_inst = std::mem::take(&mut self.inst);
        let old_scripts = std::mem::take(&mut self.scripts);
        self.rebuild_indexes();
        self.scripts = self
            .cfg
            .scripts
            .iter()
            .map(|s| match old_cfg.scripts.iter().position(|o| o.name == s.name && o.command.argv == s.command.argv) {
                Some(o) => old_scripts[o].clone(),
                None => ScriptRt::new(s, now),
            })
            .collect();
        for i in 0..self.scripts.len() {
            if self.scripts[i].next_run.is_none() {
                self.scripts[i].next_run = Some(now);
            }
            self.touch(Slot::Script(i));
        }
        // Track file values survive a reload by name (the file itself has not changed).
        let old_files = std::mem::take(&mut self.files);
        self.files = self
            .cfg
            .track_files
            .iter()
            .map(|f| old_cfg.track_files.iter().position(|o| o.name == f.name).map(|o| old_files[o]).unwrap_or(0))
            .collect();
        let key = |c: &Instance| (c.vrid, c.family, c.interface.clone(), c.unicast_peers.is_empty());
        let mut matched_old = vec![false; old_inst.len()];
        let mut fresh = Vec::new();
        self.inst = Vec::with_capacity(self.cfg.instances.len());
        for n in 0..self.cfg.instances.len() {
            let mut rt = self.new_inst(n);
            let k = key(&self.cfg.instances[n]);
            match old_cfg.instances.iter().enumerate().position(|(o, c)| !matched_old[o] && key(c) == k) {
                Some(o) => {
                    matched_old[o] = true;
                    let old = &old_inst[o];
                    rt.state = old.state;
                    rt.master_adver_int = old.master_adver_int;
                    rt.down_at = old.down_at;
                    rt.advert_at = old.advert_at;
                    rt.garp_refresh_at = old.garp_refresh_at;
                    rt.master = old.master;
                    rt.stats = old.stats;
                    rt.effective = old.effective;
                    if old.state == State::Master {
                        self.diff_master(n, &old_cfg.instances[o]);
                        if rt.advert_at.is_none() {
                            rt.advert_at = Some(now);
                        }
                    }
                    self.inst.push(rt);
                }
                None => {
                    self.inst.push(rt);
                    fresh.push(n);
                }
            }
        }
        // Instances that disappeared: release what a master held, notify FAULT or DELETED.
        for (o, c) in old_cfg.instances.iter().enumerate() {
            if matched_old[o] {
                continue;
            }
            if old_inst[o].state == State::Master {
                let vips = c
                    .vips
                    .iter()
                    .chain(&c.excluded_vips)
                    .map(|v| Vip { dev: v.dev.clone().or_else(|| c.interface.clone()), ..v.clone() })
                    .collect();
                self.log(Level::Info, format!("({}) removed by reload - releasing its VIPs", c.name));
                self.out.push_back(Action::ReleaseRemoved { config: Box::new(c.clone()), vips });
            }
            let word = if c.notify.deleted.is_some() { "DELETED" } else { "FAULT" };
            if let Some(cmd) = &c.notify.generic {
                let extra = vec!["INSTANCE".into(), c.name.clone(), word.into(), "0".into()];
                self.out.push_back(Action::Notify { command: cmd.clone(), extra, kill_after: None });
            }
        }
        for &n in &fresh {
            self.remove_leftovers(n);
            self.start_instance(n, now);
        }
        for n in 0..self.inst.len() {
            self.touch(Slot::Instance(n));
            if !fresh.contains(&n) {
                self.reassess(n, now);
            }
        }
    }

    /// A MASTER kept across a reload: add what is new, remove what is gone, no flap.
    fn diff_master(&mut self, n: usize, old: &Instance) {
        let new = self.cfg.instances[n].clone();
        let key = |v: &Vip| (v.addr, v.prefix, v.dev.clone());
        for v in new.vips.iter().chain(&new.excluded_vips) {
            if !old.vips.iter().chain(&old.excluded_vips).any(|o| key(o) == key(v)) {
                self.out.push_back(Action::AddAddress { instance: n, vip: v.clone() });
                for _ in 0..new.garp.master_repeat {
                    self.out.push_back(Action::SendGarp { instance: n, addr: v.addr });
                }
            }
        }
        for v in old.vips.iter().chain(&old.excluded_vips) {
            if !new.vips.iter().chain(&new.excluded_vips).any(|o| key(o) == key(v)) {
                self.out.push_back(Action::RemoveAddress { instance: n, vip: v.clone() });
            }
        }
        for r in &new.routes {
            if !old.routes.iter().any(|o| o.dst == r.dst && o.table == r.table && o.via == r.via) {
                self.out.push_back(Action::AddRoute { instance: n, route: r.clone() });
            }
        }
        for r in &old.routes {
            if !new.routes.iter().any(|o| o.dst == r.dst && o.table == r.table && o.via == r.via) {
                self.out.push_back(Action::RemoveRoute { instance: n, route: r.clone() });
            }
        }
        for r in &new.rules {
            if !old.rules.contains(r) {
                self.out.push_back(Action::AddRule { instance: n, rule: r.clone() });
            }
        }
        for r in &old.rules {
            if !new.rules.contains(r) {
                self.out.push_back(Action::RemoveRule { instance: n, rule: r.clone() });
            }
        }
    }
}

impl ScriptRt {
    fn new(s: &VrrpScript, now: Instant) -> ScriptRt {
        ScriptRt {
            health: ScriptHealth::new(s.rise, s.fall, s.init_fail),
            running: false,
            next_run: Some(now),
            last_status: None,
        }
    }
}

fn state_script(n: &Notifies, s: State) -> Option<&Command> {
    match s {
        State::Master => n.master.as_ref(),
        State::Backup => n.backup.as_ref(),
        State::Fault => n.fault.as_ref(),
        State::Init => n.stop.as_ref(),
    }
}

fn state_word(s: State) -> &'static str {
    match s {
        State::Init => "STOP",
        other => other.name(),
    }
}

/// keepalived compares source addresses numerically (network byte order).
fn ip_greater(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets() > b.octets(),
        (IpAddr::V6(a), IpAddr::V6(b)) => a.octets() > b.octets(),
        _ => false,
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
