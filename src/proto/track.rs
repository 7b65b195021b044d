//! Tracking (keepalived vrrp_track.c): track scripts with their rise/fall counter, links with
//! `interface_up_down_delays`, track files, tracked processes (counts from the shell, quorum
//! and delays here), and the effective priority and FAULT they give an
//! instance and its sync group.
//!
//! Every tracker reference in the configuration (an instance's or its sync group's
//! `track_script`, `track_interface`, `track_file`, `track_process`, the instance's own interface) is resolved
//! once per configuration into a `Tracking` of positions, so no event looks a name up.
use super::event::{
    Action, Event, InstanceId, Level, Reason, ScriptId, ScriptResult, State, TrackFileId, TrackProcessId,
};
use super::timers::Timer;
use super::{Agent, Instant};
use crate::config::model::{Config, TrackProcess, TrackRef, VrrpScript};

/// A track script's health as keepalived keeps it: a counter from 0 to rise+fall-1, good when
/// at least `rise`. It starts at rise-1 so the first result decides at once, either way;
/// `init_fail` starts it at 0 and bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptHealth {
    counter: u32,
    rise: u32,
    fall: u32,
    /// None until the first result (keepalived: SCRIPT_INIT_STATE_INIT).
    known: Option<bool>,
}

/// What one result did to the script's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthChange {
    /// Still good, still bad, or still unknown.
    None,
    /// Bad or unknown before, good now (keepalived: `VRRP_Script(x) succeeded`).
    BecameGood,
    /// Good or unknown before, bad now.
    BecameBad,
}

impl ScriptHealth {
    /// keepalived `rise`, `fall` (at least 1 each) and `init_fail`.
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> ScriptHealth {
        let rise = rise.max(1);
        let fall = fall.max(1);
        if init_fail {
            ScriptHealth { counter: 0, rise, fall, known: Some(false) }
        } else {
            ScriptHealth { counter: rise - 1, rise, fall, known: None }
        }
    }

    /// Good, bad, or None before the first result.
    pub fn state(&self) -> Option<bool> {
        self.known
    }

    /// Applies one result (success or failure; a timeout is a failure).
    pub fn record(&mut self, success: bool) -> HealthChange {
        let top = self.rise + self.fall - 1;
        let was = self.known;
        if success {
            if self.counter < self.rise {
                self.counter += 1;
            }
            if self.counter >= self.rise {
                // Healthy: it now takes `fall` failures to go bad.
                self.counter = top;
                self.known = Some(true);
            }
        } else if self.counter >= self.rise {
            self.counter -= 1;
            if self.counter < self.rise {
                self.counter = 0;
                self.known = Some(false);
            }
        } else {
            // Below rise a failure restarts the count of successes.
            self.counter = 0;
            self.known = Some(false);
        }
        match (was, self.known) {
            (Some(true), Some(true)) | (Some(false), Some(false)) => HealthChange::None,
            (_, Some(true)) => HealthChange::BecameGood,
            (_, Some(false)) => HealthChange::BecameBad,
            (_, None) => HealthChange::None,
        }
    }
}

/// A track file's value as keepalived reads it (vrrp_track.c process_track_file()): the first
/// 127 bytes through `strtol(buf, NULL, 0)` (leading white space, a sign, `0x` hex, a leading
/// `0` octal, digits up to the first that does not fit), 0 when nothing parses, clamped to
/// -254..=254. A missing or unreadable file is 0 too (the shell passes no bytes).
pub fn track_file_value(content: &[u8]) -> i64 {
    let text = &content[..content.len().min(127)];
    let mut k = 0;
    while k < text.len() && matches!(text[k], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        k += 1;
    }
    let negative = text.get(k) == Some(&b'-');
    if matches!(text.get(k), Some(b'-' | b'+')) {
        k += 1;
    }
    let (radix, start) = match (text.get(k), text.get(k + 1), text.get(k + 2)) {
        (Some(b'0'), Some(b'x' | b'X'), Some(c)) if c.is_ascii_hexdigit() => (16, k + 2),
        (Some(b'0'), _, _) => (8, k),
        _ => (10, k),
    };
    let mut value: i64 = 0;
    for &c in &text[start..] {
        let Some(d) = (c as char).to_digit(radix) else { break };
        // strtol saturates on overflow; anything past the clamp is the clamp.
        value = value.saturating_mul(radix as i64).saturating_add(d as i64);
    }
    let value = if negative { -value } else { value };
    value.clamp(-254, 254)
}

/// What one tracker contributes: a priority adjustment, or a fault (weight 0).
/// `ok` is the tracker's state (script good, interface up); `reverse` flips the direction.
pub fn contribution(ok: bool, weight: i32, reverse: bool) -> Contribution {
    let m = if reverse { -1 } else { 1 };
    if weight == 0 {
        // keepalived: the instance goes down when ok != (multiplier == 1).
        return if ok != (m == 1) { Contribution::Fault } else { Contribution::Adjust(0) };
    }
    let adjust = match (ok, weight > 0) {
        (true, true) | (false, false) => weight * m,
        _ => 0,
    };
    Contribution::Adjust(adjust)
}

/// keepalived track_file: value x weight (x -1 with reverse); a weight of 0 means any non-zero
/// value is a fault; a result at or below -254 is a fault; above 253 counts as 253.
pub fn file_contribution(value: i64, weight: i32, reverse: bool) -> Contribution {
    let m: i64 = if reverse { -1 } else { 1 };
    let status: i64 = if weight == 0 {
        if value != 0 {
            -254
        } else {
            0
        }
    } else {
        value.saturating_mul(weight as i64).saturating_mul(m)
    };
    if status <= -254 {
        Contribution::Fault
    } else {
        Contribution::Adjust(status.min(253) as i32)
    }
}

/// One tracker's effect on its instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contribution {
    /// Add this to the base priority.
    Adjust(i32),
    /// Hold the instance in FAULT.
    Fault,
}

/// Effective priority: base plus adjustments clamped to 1..254; an owner (255) never changes.
pub fn effective_priority(base: u8, total_adjust: i32) -> u8 {
    if base == 255 {
        return 255;
    }
    (base as i32 + total_adjust).clamp(1, 254) as u8
}

/// Runtime of one track script; parallel to `Config::scripts`.
#[derive(Debug, Clone)]
pub(crate) struct ScriptRt {
    pub(crate) id: ScriptId,
    pub(crate) health: ScriptHealth,
    pub(crate) running: bool,
    pub(crate) last_status: Option<i32>,
}

impl ScriptRt {
    pub(crate) fn new(id: ScriptId, s: &VrrpScript) -> ScriptRt {
        ScriptRt { id, health: ScriptHealth::new(s.rise, s.fall, s.init_fail), running: false, last_status: None }
    }
}

/// Runtime of one track file; parallel to `Config::track_files`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileRt {
    pub(crate) id: TrackFileId,
    pub(crate) value: i64,
}

/// keepalived track_process: up while `quorum <= count <= quorum_max`.
pub fn in_quorum(p: &TrackProcess, count: u32) -> bool {
    (p.quorum..=p.quorum_max).contains(&count)
}

/// Runtime of one tracked process; parallel to `Config::track_processes`. A running
/// `terminate_delay` / `fork_delay` is its `Timer::Process`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProcessRt {
    pub(crate) id: TrackProcessId,
    /// Matching processes, as the shell last counted them.
    pub(crate) count: u32,
    /// Has its quorum, as the instances see it (keepalived `have_quorum`).
    pub(crate) up: bool,
    /// A count has arrived (at boot before the instances start; after a reload that added
    /// the tracker, with the shell's next scan). Until then it counts as a weight-0 script
    /// that has not reported.
    pub(crate) known: bool,
}

impl ProcessRt {
    pub(crate) fn new(id: TrackProcessId) -> ProcessRt {
        ProcessRt { id, count: 0, up: false, known: false }
    }
}

/// A link an instance uses or tracks.
#[derive(Debug, Clone)]
pub(crate) struct LinkRt {
    pub(crate) name: String,
    /// As the instances see it (after interface_up_down_delays).
    pub(crate) up: bool,
    /// Pending debounced change (its deadline is `Timer::Link`).
    pub(crate) pending: Option<bool>,
}

/// One resolved tracker reference: a position in the agent's script, link or file table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tracked {
    pub(crate) at: usize,
    pub(crate) weight: i32,
    pub(crate) reverse: bool,
}

/// An instance's trackers, its own and its sync group's, resolved to positions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tracking {
    pub(crate) scripts: Vec<Tracked>,
    pub(crate) links: Vec<Tracked>,
    pub(crate) files: Vec<Tracked>,
    pub(crate) processes: Vec<Tracked>,
    /// The instance's own interface, and whether it counts (not `dont_track_primary`).
    pub(crate) own_link: Option<(usize, bool)>,
    /// The sync group's position in `Config::sync_groups`.
    pub(crate) group: Option<usize>,
    /// The sync group's members in its order, or just the instance.
    pub(crate) members: Vec<InstanceId>,
}

/// The link names every instance and sync group uses, in first-seen order.
pub(crate) fn link_names(cfg: &Config) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        if !names.iter().any(|x| x == n) {
            names.push(n.to_string());
        }
    };
    for i in &cfg.instances {
        if let Some(n) = &i.interface {
            add(n);
        }
        i.track_interfaces.iter().for_each(|t| add(&t.name));
    }
    for g in &cfg.sync_groups {
        g.track_interfaces.iter().for_each(|t| add(&t.name));
    }
    names
}

/// Resolves every instance's tracker references against `cfg` and the link table.
pub(crate) fn resolve(cfg: &Config, links: &[LinkRt]) -> Vec<Tracking> {
    let link = |name: &str| links.iter().position(|l| l.name == name);
    let refs = |list: &[TrackRef], find: &dyn Fn(&str) -> Option<usize>| -> Vec<Tracked> {
        list.iter().filter_map(|t| Some(Tracked { at: find(&t.name)?, weight: t.weight, reverse: t.reverse })).collect()
    };
    let script = |name: &str| cfg.scripts.iter().position(|s| s.name == name);
    let file = |name: &str| cfg.track_files.iter().position(|f| f.name == name);
    let process = |name: &str| cfg.track_processes.iter().position(|p| p.name == name);
    cfg.instances
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let group = c.sync_group.as_deref().and_then(|g| cfg.sync_groups.iter().position(|s| s.name == g));
            let g = group.map(|g| &cfg.sync_groups[g]);
            let mut t = Tracking {
                scripts: refs(&c.track_scripts, &script),
                links: refs(&c.track_interfaces, &link),
                files: refs(&c.track_files, &file),
                processes: refs(&c.track_processes, &process),
                own_link: c.interface.as_deref().and_then(link).map(|l| (l, !c.dont_track_primary)),
                group,
                members: match g {
                    Some(g) => g
                        .members
                        .iter()
                        .filter_map(|m| cfg.instances.iter().position(|x| &x.name == m))
                        .map(InstanceId::from_index)
                        .collect(),
                    None => vec![InstanceId::from_index(n)],
                },
            };
            if let Some(g) = g {
                t.scripts.extend(refs(&g.track_scripts, &script));
                t.links.extend(refs(&g.track_interfaces, &link));
                t.files.extend(refs(&g.track_files, &file));
                t.processes.extend(refs(&g.track_processes, &process));
            }
            t
        })
        .collect()
}

/// What an instance's trackers add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assessment {
    /// The sum of the weights in effect.
    pub(crate) adjust: i32,
    /// A weight-0 tracker is down, or the own interface is.
    pub(crate) fault: bool,
    /// A weight-0 script has not reported yet (keepalived keeps the instance in FAULT).
    pub(crate) waiting: bool,
    /// Why the instance cannot run at all, as keepalived words it at startup: its own link
    /// is down, or its interface has no address of its family (a FAULT too).
    pub(crate) down: Option<Down>,
}

/// What keeps an instance from running on its interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Down {
    /// The instance's own interface is down (not `dont_track_primary`).
    Link(String),
    /// No source address: no IPv4 address, or no IPv6 link-local address, on the interface
    /// (keepalived: "no IPv4 address for interface"), or with `track_src_ip` the configured
    /// `unicast_src_ip` is not on it. An instance never runs without one.
    NoAddress(crate::config::model::Family),
    /// keepalived `unicast_fault_no_peer`: no unicast peer, so no multicast either.
    NoPeers,
}

impl std::fmt::Display for Down {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Down::Link(name) => write!(f, "interface {name} down"),
            Down::NoAddress(crate::config::model::Family::V4) => write!(f, "no IPv4 address for interface"),
            Down::NoAddress(crate::config::model::Family::V6) => write!(f, "no IPv6 address for interface"),
            Down::NoPeers => write!(f, "no unicast peers"),
        }
    }
}

/// One tracker of an instance, as `vrrpd status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerStatus {
    /// `script`, `interface`, `file` or `process`.
    pub kind: &'static str,
    /// The script, interface or file name.
    pub name: String,
    /// Its weight (0: a fault when down).
    pub weight: i32,
    /// keepalived `reverse`.
    pub reverse: bool,
    /// Script good, interface up, process quorum; None for a script before its first result, and for files.
    pub ok: Option<bool>,
    /// A track file's value; a tracked process's count.
    pub value: Option<i64>,
    /// What it does to the instance now; None while a script has not reported.
    pub contribution: Option<Contribution>,
}

impl Agent {
    /// Every tracker of instance `i` (its own and its sync group's), with its contribution.
    pub fn trackers(&self, i: InstanceId) -> Vec<TrackerStatus> {
        let t = &self.tracking[i.index()];
        let mut out = Vec::new();
        for s in &t.scripts {
            let ok = self.scripts[s.at].health.state();
            out.push(TrackerStatus {
                kind: "script",
                name: self.cfg.scripts[s.at].name.clone(),
                weight: s.weight,
                reverse: s.reverse,
                ok,
                value: None,
                contribution: ok.map(|ok| contribution(ok, s.weight, s.reverse)),
            });
        }
        for l in &t.links {
            let ok = self.links[l.at].up;
            out.push(TrackerStatus {
                kind: "interface",
                name: self.links[l.at].name.clone(),
                weight: l.weight,
                reverse: l.reverse,
                ok: Some(ok),
                value: None,
                contribution: Some(contribution(ok, l.weight, l.reverse)),
            });
        }
        for f in &t.files {
            let value = self.files[f.at].value;
            out.push(TrackerStatus {
                kind: "file",
                name: self.cfg.track_files[f.at].name.clone(),
                weight: f.weight,
                reverse: f.reverse,
                ok: None,
                value: Some(value),
                contribution: Some(file_contribution(value, f.weight, f.reverse)),
            });
        }
        for p in &t.processes {
            let rt = self.processes[p.at];
            out.push(TrackerStatus {
                kind: "process",
                name: self.cfg.track_processes[p.at].name.clone(),
                weight: p.weight,
                reverse: p.reverse,
                ok: Some(rt.up),
                value: Some(rt.count.into()),
                contribution: Some(contribution(rt.up, p.weight, p.reverse)),
            });
        }
        out
    }

    /// What holds `i` in FAULT, in words (the reason `vrrpd status` gives).
    pub(crate) fn fault_cause(&self, i: InstanceId) -> String {
        let a = self.assess(i);
        let iface = self.conf(i).interface.clone().unwrap_or_default();
        match a.down {
            Some(Down::NoAddress(_)) => {
                return format!("{} {iface}", a.down.as_ref().map(|d| d.to_string()).unwrap_or_default())
            }
            Some(d) => return d.to_string(),
            None => {}
        }
        for t in self.trackers(i) {
            if t.contribution == Some(Contribution::Fault) {
                return match (t.kind, t.value) {
                    ("script", _) => format!("script {} failed", t.name),
                    ("file", Some(v)) => format!("track file {} is {v}", t.name),
                    ("process", _) => format!("tracked process {} quorum not achieved", t.name),
                    _ => format!("interface {} down", t.name),
                };
            }
        }
        if let Some(m) = self.members(i).into_iter().find(|&m| m != i && self.assess(m).fault) {
            return format!("sync group member {} in fault", self.name(m));
        }
        "a tracker is down".to_string()
    }

    /// The first tracked process of `i` that holds it in FAULT (weight 0, quorum lost).
    pub(crate) fn process_fault(&self, i: InstanceId) -> Option<String> {
        let t = &self.tracking[i.index()];
        let p = t.processes.iter().find(|p| {
            let rt = self.processes[p.at];
            rt.known && contribution(rt.up, p.weight, p.reverse) == Contribution::Fault
        })?;
        Some(self.cfg.track_processes[p.at].name.clone())
    }

    /// Sums the trackers of `i` (and of its sync group).
    pub(crate) fn assess(&self, i: InstanceId) -> Assessment {
        let t = &self.tracking[i.index()];
        let mut a = Assessment { adjust: 0, fault: false, waiting: false, down: None };
        let mut add = |c: Contribution| match c {
            Contribution::Fault => a.fault = true,
            Contribution::Adjust(x) => a.adjust += x,
        };
        for s in &t.scripts {
            match self.scripts[s.at].health.state() {
                None => a.waiting |= s.weight == 0,
                Some(ok) => add(contribution(ok, s.weight, s.reverse)),
            }
        }
        for l in &t.links {
            add(contribution(self.links[l.at].up, l.weight, l.reverse));
        }
        for f in &t.files {
            add(file_contribution(self.files[f.at].value, f.weight, f.reverse));
        }
        for p in &t.processes {
            match self.processes[p.at] {
                ProcessRt { known: false, .. } => a.waiting |= p.weight == 0,
                rt => add(contribution(rt.up, p.weight, p.reverse)),
            }
        }
        if let Some((l, true)) = t.own_link {
            if !self.links[l].up {
                a.down = Some(Down::Link(self.links[l].name.clone()));
            }
        }
        let c = self.conf(i);
        let iface = c.interface.as_deref();
        let src_missing = match (c.track_src_ip, c.unicast_src, iface) {
            (true, Some(src), Some(name)) => !self.addrs.get(name).is_some_and(|l| l.contains(&src)),
            _ => false,
        };
        if a.down.is_none() && iface.is_some() && (src_missing || self.source_address(i).is_none()) {
            a.down = Some(Down::NoAddress(c.family));
        }
        if a.down.is_none() && c.unicast_fault_no_peer && c.unicast_peers.is_empty() {
            a.down = Some(Down::NoPeers);
        }
        a.fault |= a.down.is_some();
        a
    }

    /// Another member of `i`'s sync group is in fault.
    pub(crate) fn group_fault(&self, i: InstanceId) -> bool {
        self.members(i).into_iter().any(|m| m != i && self.assess(m).fault)
    }

    /// Applies tracker changes to `i` and its sync group: effective priority (shifting a
    /// running down timer by the difference, vrrp_set_effective_priority()), and FAULT in or out.
    pub(crate) fn reassess(&mut self, i: InstanceId, now: Instant) {
        if self.timers.get(Timer::Startup).is_some() || self.stopped {
            return;
        }
        let a = self.assess(i);
        let new = effective_priority(self.conf(i).priority, a.adjust);
        let old = self.inst[i.index()].effective;
        if new != old {
            self.change_priority(i, old, new);
        }
        let state = self.inst[i.index()].state;
        if a.fault || self.group_fault(i) {
            if state != State::Fault {
                let cause = Reason::Fault(self.fault_cause(i));
                self.caused(cause, |s| {
                    for m in s.members(i) {
                        if s.inst[m.index()].state != State::Fault {
                            s.enter_fault(m, state == State::Init);
                        }
                    }
                });
            }
        } else if a.waiting {
            if state == State::Init {
                // Waiting for a weight-0 script's first result: FAULT, silently (keepalived).
                self.set_state(i, State::Fault);
            }
        } else if state == State::Fault {
            // Leave FAULT only when no member of the group is still faulty or waiting.
            if self.members(i).into_iter().all(|m| {
                let a = self.assess(m);
                !a.fault && !a.waiting
            }) {
                self.caused(Reason::Recovered, |s| {
                    for m in s.members(i) {
                        if s.inst[m.index()].state == State::Fault {
                            s.enter_backup(m, now, false);
                        }
                    }
                });
            }
        }
    }

    fn change_priority(&mut self, i: InstanceId, old: u8, new: u8) {
        use super::timers::InstanceTimer::MasterDown;
        let old_down = self.master_down(i);
        self.inst[i.index()].effective = new;
        self.log(Level::Info, format!("({}) Changing effective priority from {old} to {new}", self.name(i)));
        self.event(Event::Priority { instance: self.name(i), from: old, to: new });
        let state = self.inst[i.index()].state;
        if state == State::Backup {
            let new_down = self.master_down(i);
            if let Some(at) = self.timers.get(Timer::Instance(i, MasterDown)) {
                let shifted = if new_down >= old_down {
                    at.plus(new_down - old_down)
                } else {
                    Instant::from_micros(at.as_micros().saturating_sub(old_down - new_down))
                };
                self.set_timer(i, MasterDown, shifted);
            }
        }
        if self.conf(i).notify_priority_changes && matches!(state, State::Master | State::Backup) {
            let line = format!("INSTANCE \"{}\" {}_PRIORITY {}\n", self.name(i), state.name(), new);
            self.fifo(line);
        }
    }

    /// Reassesses every instance whose tracking matches `uses`.
    fn reassess_users(&mut self, now: Instant, uses: impl Fn(&Tracking) -> bool) {
        let users: Vec<InstanceId> =
            (0..self.inst.len()).map(InstanceId::from_index).filter(|i| uses(&self.tracking[i.index()])).collect();
        for i in users {
            self.reassess(i, now);
        }
    }

    pub(crate) fn script_position(&self, id: ScriptId) -> Option<usize> {
        self.scripts.iter().position(|s| s.id == id)
    }

    /// keepalived `interval`: run the script unless the last run is still going.
    pub(crate) fn script_timer_fired(&mut self, id: ScriptId, now: Instant) {
        let Some(s) = self.script_position(id) else { return };
        let conf = &self.cfg.scripts[s];
        self.timers.set(Timer::Script(id), now.plus(conf.interval));
        if self.scripts[s].running {
            let name = conf.name.clone();
            self.log(Level::Warning, format!("Track script {name} is already running, expect idle - skipping run"));
        } else {
            self.scripts[s].running = true;
            self.out.push_back(Action::RunScript { script: id, command: conf.command.clone(), timeout: conf.timeout });
        }
    }

    /// A run ended. A run of a script that a reload removed (its id is gone) counts for
    /// nothing: a result is only ever credited to the script it was started for.
    pub(crate) fn on_script_exited(&mut self, now: Instant, id: ScriptId, result: ScriptResult) {
        let Some(s) = self.script_position(id) else { return };
        let rt = &mut self.scripts[s];
        rt.running = false;
        let status = match result {
            ScriptResult::Exited(c) => Some(c),
            _ => None,
        };
        let changed_status = status.is_some() && status != rt.last_status && rt.last_status.is_some();
        if status.is_some() {
            rt.last_status = status;
        }
        let change = rt.health.record(status == Some(0));
        let name = self.cfg.scripts[s].name.clone();
        if changed_status {
            self.log(Level::Info, format!("Script `{name}` now returning {}", status.unwrap_or(-1)));
        }
        if change != HealthChange::None {
            let healthy = change == HealthChange::BecameGood;
            self.event(Event::Script { script: name.clone(), healthy, result });
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
        self.reassess_users(now, |t| t.scripts.iter().any(|x| x.at == s));
    }

    pub(crate) fn on_track_file(&mut self, now: Instant, id: TrackFileId, value: i64) {
        let Some(f) = self.files.iter().position(|x| x.id == id) else { return };
        self.files[f].value = value;
        self.reassess_users(now, |t| t.files.iter().any(|x| x.at == f));
    }

    /// A new count for a tracked process (keepalived track_process.c): the delay follows the
    /// event, not the direction. An exit that crosses a bound (below `quorum`, or back down to
    /// `quorum_max`) waits `terminate_delay` (check_process_termination()); a fork that crosses
    /// one (up to `quorum`, or past `quorum_max`) waits `fork_delay` (check_process_fork()); a
    /// new process not forked from a counted one (an exec) counts at once. A count back in the
    /// state the instances see cancels the wait (a restart within terminate_delay is unseen).
    pub(crate) fn on_process_count(&mut self, now: Instant, id: TrackProcessId, count: u32, forked: bool) {
        let Some(p) = self.processes.iter().position(|x| x.id == id) else { return };
        let exited = count < std::mem::replace(&mut self.processes[p].count, count);
        let conf = &self.cfg.track_processes[p];
        let wanted = in_quorum(conf, count);
        if !std::mem::replace(&mut self.processes[p].known, true) {
            // The first count of a tracker a reload added decides at once and silently, as
            // keepalived's reload re-reads /proc before it assesses the instances.
            self.processes[p].up = wanted;
            return self.reassess_process_users(p, now);
        }
        if wanted == self.processes[p].up {
            self.timers.stop(Timer::Process(id));
            return;
        }
        if self.timers.get(Timer::Process(id)).is_some() {
            return;
        }
        let delay = if exited {
            conf.terminate_delay
        } else if forked {
            conf.fork_delay
        } else {
            0
        };
        if delay > 0 {
            self.timers.set(Timer::Process(id), now.plus(delay));
        } else {
            self.apply_process(p, wanted, now);
        }
    }

    pub(crate) fn process_timer_fired(&mut self, id: TrackProcessId, now: Instant) {
        let Some(p) = self.processes.iter().position(|x| x.id == id) else { return };
        let wanted = in_quorum(&self.cfg.track_processes[p], self.processes[p].count);
        if wanted != self.processes[p].up {
            self.apply_process(p, wanted, now);
        }
    }

    fn apply_process(&mut self, p: usize, up: bool, now: Instant) {
        self.processes[p].up = up;
        let name = &self.cfg.track_processes[p].name;
        let line = format!("Quorum {} for tracked process {name}", if up { "gained" } else { "lost" });
        self.log(Level::Info, line);
        self.reassess_process_users(p, now);
    }

    fn reassess_process_users(&mut self, p: usize, now: Instant) {
        self.reassess_users(now, |t| t.processes.iter().any(|x| x.at == p));
    }

    pub(crate) fn on_link(&mut self, now: Instant, name: &str, up: bool) {
        let Some(l) = self.links.iter().position(|l| l.name == name) else { return };
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
            self.timers.stop(Timer::Link(l));
            return;
        }
        if delay > 0 {
            self.links[l].pending = Some(up);
            self.timers.set(Timer::Link(l), now.plus(delay));
            return;
        }
        self.apply_link(l, up, now);
    }

    pub(crate) fn link_timer_fired(&mut self, l: usize, now: Instant) {
        if let Some(up) = self.links.get_mut(l).and_then(|x| x.pending.take()) {
            self.apply_link(l, up, now);
        }
    }

    fn apply_link(&mut self, l: usize, up: bool, now: Instant) {
        self.links[l].up = up;
        let name = self.links[l].name.clone();
        self.log(Level::Info, format!("Netlink reports {name} {}", if up { "up" } else { "down" }));
        self.reassess_users(now, |t| t.own_link.is_some_and(|(x, _)| x == l) || t.links.iter().any(|x| x.at == l));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_result_decides_either_way() {
        let mut h = ScriptHealth::new(3, 2, false);
        assert_eq!(h.state(), None);
        assert_eq!(h.record(true), HealthChange::BecameGood);
        let mut h = ScriptHealth::new(3, 2, false);
        assert_eq!(h.record(false), HealthChange::BecameBad);
    }

    #[test]
    fn fall_failures_then_rise_successes() {
        let mut h = ScriptHealth::new(3, 2, false);
        h.record(true);
        assert_eq!(h.record(false), HealthChange::None, "one failure of fall 2");
        assert_eq!(h.record(false), HealthChange::BecameBad);
        assert_eq!(h.record(true), HealthChange::None);
        assert_eq!(h.record(true), HealthChange::None);
        assert_eq!(h.record(false), HealthChange::None, "a failure restarts the rise count");
        assert_eq!(h.record(true), HealthChange::None);
        assert_eq!(h.record(true), HealthChange::None);
        assert_eq!(h.record(true), HealthChange::BecameGood, "rise 3 consecutive successes");
        assert_eq!(h.record(false), HealthChange::None);
        assert_eq!(h.record(true), HealthChange::None, "a success refills the fall budget");
        assert_eq!(h.record(false), HealthChange::None);
        assert_eq!(h.record(false), HealthChange::BecameBad);
    }

    #[test]
    fn init_fail_needs_rise_successes() {
        let mut h = ScriptHealth::new(2, 1, true);
        assert_eq!(h.state(), Some(false));
        assert_eq!(h.record(true), HealthChange::None);
        assert_eq!(h.record(true), HealthChange::BecameGood);
    }

    #[test]
    fn track_file_values_read_as_strtol_base_0_reads_them() {
        for (text, want) in [
            (&b"3\n"[..], 3),
            (b"  -20 trailing words", -20),
            (b"+7", 7),
            (b"0x1f", 31),
            (b"017", 15),
            (b"08", 0),
            (b"0x", 0),
            (b"", 0),
            (b"abc", 0),
            (b"99999999999999999999999", 254),
            (b"-1000", -254),
        ] {
            assert_eq!(track_file_value(text), want, "{:?}", String::from_utf8_lossy(text));
        }
        let mut long = vec![b' '; 126];
        long.extend_from_slice(b"12");
        assert_eq!(track_file_value(&long), 1, "only the first 127 bytes are read");
    }

    #[test]
    fn weights_follow_keepalived() {
        use Contribution::*;
        assert_eq!(contribution(true, 10, false), Adjust(10));
        assert_eq!(contribution(false, 10, false), Adjust(0));
        assert_eq!(contribution(true, -5, false), Adjust(0));
        assert_eq!(contribution(false, -5, false), Adjust(-5));
        assert_eq!(contribution(true, 10, true), Adjust(-10));
        assert_eq!(contribution(false, -5, true), Adjust(5));
        assert_eq!(contribution(false, 0, false), Fault);
        assert_eq!(contribution(true, 0, false), Adjust(0));
        assert_eq!(contribution(true, 0, true), Fault, "weight 0 reverse: fault while OK");
        assert_eq!(file_contribution(3, -2, false), Adjust(-6));
        assert_eq!(file_contribution(1000, 1, false), Adjust(253));
        assert_eq!(file_contribution(-254, 1, false), Fault);
        assert_eq!(file_contribution(1, 0, false), Fault);
        assert_eq!(effective_priority(100, -200), 1);
        assert_eq!(effective_priority(200, 100), 254);
        assert_eq!(effective_priority(255, -100), 255);
    }
}
