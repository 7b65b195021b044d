//! `--simulate`: the nodes run on the simulated LAN ([`crate::sim::Lan`]) with the real
//! protocol core, one fresh LAN per scenario: election at start, the master host dies, the
//! master shuts down, its track script fails, it returns, a partition and its heal. Each
//! gives the time to the new master and to its first GARP, and the bound RFC 5798 §6.4
//! sets (Master_Down_Interval = 3 x Master_Advert_Interval + Skew_Time, or Skew_Time after a
//! priority-0 advert, §6.4.2).
//!
//! Times are measured on the virtual clock, in microseconds, from the event that starts the
//! wait: the last advert the new master heard (sent + the LAN's delay), the priority-0
//! advert, the failure or the start.
use super::cross::{Member, Router};
use super::scenario::{Action, Script};
use super::{Finding, Node, Severity};
use crate::config::model::Micros;
use crate::config::value::format_seconds;
use crate::proto::{InstanceId, Instant, State};
use crate::sim::Lan;
use std::net::IpAddr;

/// What one scenario showed.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub scenario: &'static str,
    /// One line: who became master, how fast, against which bound.
    pub summary: String,
    /// The node that ended up master (by name).
    pub master: Option<String>,
    /// From the event that starts the wait to the new master.
    pub to_master: Option<Micros>,
    /// From the same event to the new master's first GARP.
    pub to_garp: Option<Micros>,
    /// The protocol's time for it (RFC 5798 §6.4), when there is one.
    pub bound: Option<Micros>,
    pub timeline: Vec<(Instant, String)>,
}

/// The six scenarios on one virtual router.
pub struct RouterRun {
    pub label: String,
    pub outcomes: Vec<Outcome>,
    /// What the runs proved wrong (two masters after the election, a VIP that never moves).
    pub findings: Vec<Finding>,
}

/// `--scenario`'s run: every state change of every instance, and the steps.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub entries: Vec<(Instant, String)>,
    /// A step naming a node or script that does not exist.
    pub errors: Vec<String>,
}

fn secs(us: Micros) -> String {
    format!("{}s", format_seconds(us))
}

/// A LAN of every node that loads, running all its instances (`--scenario`). Returns the
/// LAN and, per node checked, its index on the LAN.
pub fn lan(nodes: &[Node]) -> (Lan, Vec<Option<usize>>) {
    let mut map = Vec::new();
    let mut list = Vec::new();
    for n in nodes {
        if n.loads() {
            map.push(Some(list.len()));
            list.push((n.name.as_str(), n.loaded.config.clone()));
        } else {
            map.push(None);
        }
    }
    let mut lan = Lan::new(list);
    address_unicast_nodes(&mut lan);
    (lan, map)
}

/// On a router's LAN, each member runs the router's instance first (see [`router_lan`]).
const ROUTER_INSTANCE: InstanceId = InstanceId::from_index(0);

/// A LAN of one router's members: each runs that router's instance first, on its interface,
/// and the rest of its sync group, so the other routers of a large configuration neither slow
/// the run nor disturb it (the simulated node has one interface, its first instance's).
/// Returns the LAN and, per node checked, its index on the LAN.
fn router_lan(nodes: &[Node], r: &Router) -> (Lan, Vec<Option<usize>>) {
    let mut map = vec![None; nodes.len()];
    let mut list = Vec::new();
    for m in &r.members {
        let node = &nodes[m.node];
        let mut cfg = node.loaded.config.clone();
        let ours = cfg.instances[m.instance].clone();
        let group = ours.sync_group.clone();
        let peers: Vec<_> = cfg
            .instances
            .iter()
            .enumerate()
            .filter(|(i, c)| *i != m.instance && group.is_some() && c.sync_group == group)
            .map(|(_, c)| c.clone())
            .collect();
        cfg.instances = std::iter::once(ours).chain(peers).collect();
        cfg.sync_groups.retain(|g| Some(&g.name) == group.as_ref());
        map[m.node] = Some(list.len());
        list.push((node.name.as_str(), cfg));
    }
    let mut lan = Lan::new(list);
    address_unicast_nodes(&mut lan);
    (lan, map)
}

/// A unicast node is addressed by its first unicast_src_ip.
fn address_unicast_nodes(lan: &mut Lan) {
    for node in &mut lan.nodes {
        if let Some(src) = node.cfg.instances.iter().find_map(|i| i.unicast_src) {
            node.addr = src;
        }
    }
}

/// The simulated view of one router.
struct Run<'a> {
    nodes: &'a [Node],
    r: &'a Router,
    lan: Lan,
    map: Vec<Option<usize>>,
    vips: Vec<IpAddr>,
    timeline: Vec<(Instant, String)>,
    seen: Vec<Option<State>>,
}

impl<'a> Run<'a> {
    fn new(nodes: &'a [Node], r: &'a Router) -> Run<'a> {
        let (lan, map) = router_lan(nodes, r);
        let vips = r
            .members
            .iter()
            .flat_map(|m| nodes[m.node].loaded.config.instances[m.instance].vips.iter().map(|v| v.addr))
            .collect();
        let seen = vec![None; r.members.len()];
        Run { nodes, r, lan, map, vips, timeline: Vec::new(), seen }
    }

    fn lan_index(&self, m: &Member) -> usize {
        self.map[m.node].expect("a router's members load")
    }

    fn name(&self, k: usize) -> &str {
        &self.nodes[self.r.members[k].node].name
    }

    fn state(&self, k: usize) -> Option<State> {
        let m = &self.r.members[k];
        self.lan.nodes[self.lan_index(m)].agent.as_ref().map(|a| a.state(ROUTER_INSTANCE))
    }

    fn masters(&self) -> Vec<usize> {
        (0..self.r.members.len()).filter(|&k| self.state(k) == Some(State::Master)).collect()
    }

    fn agent_value<T>(&self, k: usize, f: impl Fn(&crate::proto::Agent, InstanceId) -> T) -> Option<T> {
        let m = &self.r.members[k];
        self.lan.nodes[self.lan_index(m)].agent.as_ref().map(|a| f(a, ROUTER_INSTANCE))
    }

    /// Master_Down_Interval of member `k` (RFC 5798 §6.1: 3 x advert + skew).
    fn master_down(&self, k: usize) -> Micros {
        self.agent_value(k, |a, i| a.master_down_interval(i)).unwrap_or(0)
    }

    /// Skew_Time of member `k` (RFC 5798 §6.1: (256 - priority) x advert / 256).
    fn skew(&self, k: usize) -> Micros {
        self.agent_value(k, |a, i| a.skew_time(i)).unwrap_or(0)
    }

    /// Above every member's Master_Down_Interval (Skew_Time is under one advert): how long
    /// the waits are bounded by.
    fn longest_master_down(&self) -> Micros {
        let m = self.r.members.iter().map(|m| {
            let i = &self.nodes[m.node].loaded.config.instances[m.instance];
            i.down_timer_adverts as u64 * i.advert_int + i.advert_int
        });
        m.max().unwrap_or(0)
    }

    fn note(&mut self, what: String) {
        self.timeline.push((self.lan.now, what));
    }

    fn observe(&mut self) {
        for k in 0..self.r.members.len() {
            let s = self.state(k);
            if s != self.seen[k] {
                self.seen[k] = s;
                let words = match s {
                    Some(s) => format!("{} {}", self.name(k), state_name(s)),
                    None => format!("{} down", self.name(k)),
                };
                self.timeline.push((self.lan.now, words));
            }
        }
    }

    /// Runs up to `limit` more, recording state changes; the time `pred` first held.
    fn run_until(&mut self, limit: Micros, mut pred: impl FnMut(&Run) -> bool) -> Option<Instant> {
        let until = self.lan.now.plus(limit);
        self.observe();
        if pred(self) {
            return Some(self.lan.now);
        }
        loop {
            // One event at a time, so every state is seen.
            let mut calls = 0;
            let stepped = self.lan.run_until_pred(until.since(self.lan.now), |_| {
                calls += 1;
                calls > 1
            });
            self.observe();
            if pred(self) {
                return Some(self.lan.now);
            }
            if stepped.is_none() || self.lan.now >= until {
                return None;
            }
        }
    }

    fn start_all(&mut self) {
        for n in 0..self.lan.nodes.len() {
            self.lan.start(n);
        }
        self.note("every node starts".into());
    }

    /// The first GARP for a VIP of the router that member `k` sent at or after `t`.
    fn first_garp(&self, k: usize, t: Instant) -> Option<Instant> {
        let n = self.lan_index(&self.r.members[k]);
        self.lan.nodes[n].garps.iter().filter(|g| g.0 >= t && self.vips.contains(&g.1)).map(|g| g.0).min()
    }

    /// The last advert member `from` sent for the router at priority `min` or more, no later
    /// than `until` (the moment it was cut off), as heard.
    fn last_advert_heard(&self, from: usize, min: u8, until: Instant) -> Option<Instant> {
        let m = &self.r.members[from];
        let id = ROUTER_INSTANCE;
        let adverts = self.lan.nodes[self.lan_index(m)].adverts.iter();
        let sent = adverts.filter(|a| a.1 == id && a.2 >= min.max(1) && a.0 <= until).map(|a| a.0).max();
        sent.map(|t| t.plus(self.lan.delay))
    }

    /// Starts everything and waits for the election to settle; the master.
    fn settled(&mut self) -> Option<usize> {
        self.start_all();
        let settle = 2 * self.longest_master_down();
        self.run_until(settle, |_| false);
        let m = self.masters();
        (m.len() == 1).then(|| m[0])
    }

    fn new_master_other_than(&mut self, old: usize, limit: Micros) -> Option<(Instant, usize)> {
        let t = self.run_until(limit, |r| r.masters().iter().any(|&k| k != old))?;
        let k = *self.masters().iter().find(|&&k| k != old)?;
        Some((t, k))
    }

    fn outcome(&mut self, scenario: &'static str, summary: String) -> Outcome {
        Outcome {
            scenario,
            summary,
            master: self.masters().first().map(|&k| self.name(k).to_string()),
            to_master: None,
            to_garp: None,
            bound: None,
            timeline: std::mem::take(&mut self.timeline),
        }
    }
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Init => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}

/// `3 x 2s + skew 0.609375s = 6.609375s` (down_timer_adverts x Master_Adver_Interval + Skew_Time).
fn bound_words(run: &Run, k: usize) -> String {
    let (md, skew) = (run.master_down(k), run.skew(k));
    let adverts = run.agent_value(k, |a, i| a.conf(i).down_timer_adverts).unwrap_or(3).max(1);
    format!("{adverts} x {} + skew {} = {}", secs((md - skew) / adverts as u64), secs(skew), secs(md))
}

/// The six scenarios on router `r`.
pub fn router(nodes: &[Node], r: &Router) -> RouterRun {
    let label = r.label(nodes);
    let mut out = RouterRun { label, outcomes: Vec::new(), findings: Vec::new() };
    if r.members.len() < 2 {
        return out;
    }
    let finding = |k: usize, message: String, fix: &str| {
        let m = r.members[k];
        let i = &nodes[m.node].loaded.config.instances[m.instance];
        Finding {
            severity: Severity::Error,
            node: m.node,
            instance: Some(m.instance),
            loc: Some(i.loc),
            message: format!("({}) simulated: {message}", i.name),
            fix: fix.to_string(),
        }
    };

    // 1. Election at start.
    let mut run = Run::new(nodes, r);
    run.start_all();
    let limit = 3 * run.longest_master_down();
    let first = run.run_until(limit, |r| !r.masters().is_empty());
    let settle = 2 * run.longest_master_down();
    run.run_until(settle, |_| false);
    let masters = run.masters();
    let mut o = match (first, masters.as_slice()) {
        (Some(t), [k]) => {
            let k = *k;
            let garp = run.first_garp(k, t);
            let summary = format!(
                "{} MASTER at {}, first GARP at {} (bound {})",
                run.name(k),
                secs(t.as_micros()),
                garp.map_or("none".into(), |g| secs(g.as_micros())),
                bound_words(&run, k)
            );
            let mut o = run.outcome("election at start", summary);
            o.to_master = Some(t.as_micros());
            o.to_garp = garp.map(|g| g.as_micros());
            o.bound = Some(run.master_down(k));
            o
        }
        (_, many) => {
            let names: Vec<&str> = many.iter().map(|&k| run.name(k)).collect();
            let summary = format!(
                "no single master after {}: MASTER on {}",
                secs(limit),
                if names.is_empty() { "none".into() } else { names.join(", ") }
            );
            let who = match names.len() {
                0 => "nobody is MASTER".to_string(),
                n => format!("{n} nodes are MASTER ({})", names.join(", ")),
            };
            out.findings.push(finding(
                0,
                format!("after the election {who}"),
                "make the nodes agree (see the errors above)",
            ));
            run.outcome("election at start", summary)
        }
    };
    o.master = masters.first().map(|&k| run.name(k).to_string());
    out.outcomes.push(o);
    if masters.len() != 1 {
        return out;
    }

    out.outcomes.push(host_dies(nodes, r));
    out.outcomes.push(graceful(nodes, r));
    let (o, f) = script_fails(nodes, r);
    out.outcomes.push(o);
    out.findings.extend(f.map(|(k, msg)| finding(k, msg, "see the weight finding: make the failure move the VIP")));
    out.outcomes.push(returns(nodes, r));
    out.outcomes.push(partition(nodes, r));
    out
}

fn host_dies(nodes: &[Node], r: &Router) -> Outcome {
    let mut run = Run::new(nodes, r);
    let Some(m) = run.settled() else { return run.outcome("master host dies", "no stable master".into()) };
    run.timeline.clear();
    let lan_m = run.lan_index(&r.members[m]);
    let cut = run.lan.now;
    run.lan.kill(lan_m);
    run.note(format!("{} powered off", run.name(m)));
    let limit = 3 * run.longest_master_down();
    let Some((t, k)) = run.new_master_other_than(m, limit) else {
        return run.outcome("master host dies", format!("nobody takes over within {}", secs(limit)));
    };
    let min = run.agent_value(k, |a, i| a.effective_priority(i)).unwrap_or(1);
    let heard = run.last_advert_heard(m, min, cut).unwrap_or(t);
    let garp = run.first_garp(k, t);
    let summary = format!(
        "{} MASTER {} after the last advert heard, first GARP {} after (bound {})",
        run.name(k),
        secs(t.since(heard)),
        garp.map_or("none".into(), |g| secs(g.since(heard))),
        bound_words(&run, k)
    );
    let bound = run.master_down(k);
    let mut o = run.outcome("master host dies", summary);
    (o.to_master, o.to_garp, o.bound) = (Some(t.since(heard)), garp.map(|g| g.since(heard)), Some(bound));
    o
}

fn graceful(nodes: &[Node], r: &Router) -> Outcome {
    let mut run = Run::new(nodes, r);
    let Some(m) = run.settled() else { return run.outcome("master shuts down", "no stable master".into()) };
    run.timeline.clear();
    let stop = run.lan.now;
    run.lan.shutdown(run.lan_index(&r.members[m]));
    run.note(format!("{} stops (priority-0 advert)", run.name(m)));
    let heard = stop.plus(run.lan.delay);
    let limit = 3 * run.longest_master_down();
    let Some((t, k)) = run.new_master_other_than(m, limit) else {
        return run.outcome("master shuts down", format!("nobody takes over within {}", secs(limit)));
    };
    let garp = run.first_garp(k, t);
    let skew = run.skew(k);
    let summary = format!(
        "{} MASTER {} after the priority-0 advert, first GARP {} after (bound skew {})",
        run.name(k),
        secs(t.since(heard)),
        garp.map_or("none".into(), |g| secs(g.since(heard))),
        secs(skew)
    );
    let mut o = run.outcome("master shuts down", summary);
    (o.to_master, o.to_garp, o.bound) = (Some(t.since(heard)), garp.map(|g| g.since(heard)), Some(skew));
    o
}

/// The master's first tracked script fails. Returns the outcome and, when the VIP does not
/// move, the member and what to report.
fn script_fails(nodes: &[Node], r: &Router) -> (Outcome, Option<(usize, String)>) {
    const NAME: &str = "track script fails";
    let mut run = Run::new(nodes, r);
    let Some(m) = run.settled() else { return (run.outcome(NAME, "no stable master".into()), None) };
    run.timeline.clear();
    let mem = r.members[m];
    let cfg = &nodes[mem.node].loaded.config;
    let inst = &cfg.instances[mem.instance];
    let group = inst.sync_group.as_ref().and_then(|g| cfg.sync_groups.iter().find(|s| &s.name == g));
    let tracked = inst.track_scripts.iter().chain(group.into_iter().flat_map(|g| g.track_scripts.iter()));
    let Some((t, pos)) =
        tracked.filter_map(|t| cfg.scripts.iter().position(|s| s.name == t.name).map(|p| (t, p))).next()
    else {
        return (run.outcome(NAME, format!("skipped: {} tracks no script", run.name(m))), None);
    };
    let script = &cfg.scripts[pos];
    let lan_m = run.lan_index(&mem);
    let before = run.agent_value(m, |a, i| a.effective_priority(i)).unwrap_or(0);
    run.lan.nodes[lan_m].script_ok[pos] = false;
    let t0 = run.lan.now;
    run.note(format!("{} on {} starts failing", script.name, run.name(m)));
    // Detection: `fall` failed runs, one per `interval` (keepalived: vrrp_script fall).
    let detect = script.fall as u64 * script.interval + run.lan.script_runtime;
    let limit = detect + 3 * run.longest_master_down();
    let changed = run.run_until(detect, |r| {
        r.agent_value(m, |a, i| a.effective_priority(i)) != Some(before) || r.state(m) == Some(State::Fault)
    });
    let after = run.agent_value(m, |a, i| a.effective_priority(i)).unwrap_or(0);
    let how = if t.weight == 0 {
        format!("weight 0: FAULT after fall {} x interval {}", script.fall, secs(script.interval))
    } else {
        format!(
            "weight {}: priority {before} -> {after} after fall {} x interval {}",
            t.weight,
            script.fall,
            secs(script.interval)
        )
    };
    let Some((tn, k)) = run.new_master_other_than(m, limit) else {
        let summary = format!("{how}; the VIP stays on {} ({} later)", run.name(m), secs(limit));
        let o = run.outcome(NAME, summary);
        return (o, Some((m, format!("{} failing on {} leaves the VIP there", script.name, nodes[mem.node].name))));
    };
    let changed = changed.unwrap_or(t0);
    let min = run.agent_value(k, |a, i| a.effective_priority(i)).unwrap_or(1);
    // The new master waited out Master_Down after the last advert that reset its timer
    // (RFC 5798 §6.4.2: with preempt, a lower priority is discarded), or Skew_Time after the
    // priority-0 advert of a master entering FAULT.
    let heard = run.last_advert_heard(m, min, tn).unwrap_or(changed);
    let zero = run.lan.nodes[lan_m].adverts.iter().any(|a| a.0 >= t0 && a.2 == 0);
    let (bound, words) = if zero {
        (run.skew(k), format!("skew {}", secs(run.skew(k))))
    } else {
        (run.master_down(k), bound_words(&run, k))
    };
    let since = if zero { changed.plus(run.lan.delay) } else { heard };
    let garp = run.first_garp(k, tn);
    let summary = format!(
        "{how} ({} after the failure); {} MASTER {} after the last advert that counted (bound {words}), {} after the failure",
        secs(changed.since(t0)),
        run.name(k),
        secs(tn.since(since)),
        secs(tn.since(t0))
    );
    let new_master = run.name(k).to_string();
    let mut o = run.outcome(NAME, summary);
    // The old master is MASTER until it hears the new one: name the one that took over.
    o.master = Some(new_master);
    (o.to_master, o.to_garp, o.bound) = (Some(tn.since(since)), garp.map(|g| g.since(since)), Some(bound));
    (o, None)
}

fn returns(nodes: &[Node], r: &Router) -> Outcome {
    const NAME: &str = "master returns";
    let mut run = Run::new(nodes, r);
    let Some(m) = run.settled() else { return run.outcome(NAME, "no stable master".into()) };
    let lan_m = run.lan_index(&r.members[m]);
    run.lan.kill(lan_m);
    let limit = 3 * run.longest_master_down();
    if run.new_master_other_than(m, limit).is_none() {
        return run.outcome(NAME, "nobody took over while it was away".into());
    }
    run.run_until(run.longest_master_down(), |_| false);
    run.timeline.clear();
    let t0 = run.lan.now;
    run.lan.start(lan_m);
    run.note(format!("{} boots again", run.name(m)));
    let i = &nodes[r.members[m].node].loaded.config.instances[r.members[m].instance];
    let limit = i.preempt_delay + 3 * run.longest_master_down();
    // MASTER again, and then alone (the other steps down on its first advert).
    let back = run.run_until(limit, |r| r.state(m) == Some(State::Master));
    let back = back.filter(|_| run.run_until(limit, |r| r.masters() == [m]).is_some());
    let md = run.master_down(m);
    let mut o = match back {
        Some(t) => {
            let garp = run.first_garp(m, t);
            // keepalived preempt_delay: lower priorities are accepted for preempt_delay after
            // the first one heard (up to one advert after the start), then Master_Down runs
            // out from the last one accepted.
            let (bound, words) = if i.preempt_delay > 0 {
                let total = i.preempt_delay + i.advert_int + md;
                let words = format!(
                    "preempt_delay {} + one advert {} + {} = {}",
                    secs(i.preempt_delay),
                    secs(i.advert_int),
                    secs(md),
                    secs(total)
                );
                (total, words)
            } else {
                (md, bound_words(&run, m))
            };
            let summary = format!(
                "{} MASTER again {} after its start, first GARP {} after (bound {words})",
                run.name(m),
                secs(t.since(t0)),
                garp.map_or("none".into(), |g| secs(g.since(t0))),
            );
            let mut o = run.outcome(NAME, summary);
            (o.to_master, o.to_garp, o.bound) = (Some(t.since(t0)), garp.map(|g| g.since(t0)), Some(bound));
            o
        }
        None => {
            let now = run.masters();
            let holder = now.first().map_or("nobody".to_string(), |&k| run.name(k).to_string());
            let why = if i.nopreempt { " (nopreempt)" } else { "" };
            run.outcome(NAME, format!("{} stays BACKUP{why}; {holder} keeps the VIP", run.name(m)))
        }
    };
    o.master = run.masters().first().map(|&k| run.name(k).to_string());
    o
}

fn partition(nodes: &[Node], r: &Router) -> Outcome {
    const NAME: &str = "partition and heal";
    let mut run = Run::new(nodes, r);
    let Some(m) = run.settled() else { return run.outcome(NAME, "no stable master".into()) };
    run.timeline.clear();
    let lan_m = run.lan_index(&r.members[m]);
    let cut = run.lan.now;
    run.lan.nodes[lan_m].segment = 1;
    run.note(format!("{} cut off", run.name(m)));
    let limit = 3 * run.longest_master_down();
    let Some((t, k)) = run.new_master_other_than(m, limit) else {
        return run.outcome(NAME, format!("nobody takes over on the other side within {}", secs(limit)));
    };
    let min = run.agent_value(k, |a, i| a.effective_priority(i)).unwrap_or(1);
    let heard = run.last_advert_heard(m, min, cut).unwrap_or(t);
    run.run_until(run.longest_master_down(), |_| false);
    let heal = run.lan.now;
    run.lan.nodes[lan_m].segment = 0;
    run.note("the partition heals".into());
    let single = run.run_until(limit, |r| r.masters().len() == 1);
    let advert = nodes[r.members[m].node].loaded.config.instances[r.members[m].instance].advert_int;
    let healed = match single {
        Some(ts) => format!(
            "healed: {} alone MASTER {} after (bound one advert, {})",
            run.masters().first().map_or("?", |&x| run.name(x)),
            secs(ts.since(heal)),
            secs(advert + run.lan.delay)
        ),
        None => format!("healed: still {} masters {} later", run.masters().len(), secs(limit)),
    };
    let summary = format!(
        "{} MASTER on its side {} after the last advert heard (bound {}), two masters while apart; {healed}",
        run.name(k),
        secs(t.since(heard)),
        bound_words(&run, k)
    );
    let bound = run.master_down(k);
    let mut o = run.outcome(NAME, summary);
    (o.to_master, o.bound) = (Some(t.since(heard)), Some(bound));
    o
}

/// `--scenario`: every node starts at 0, the steps happen at their times, every state
/// change of every instance is recorded.
pub fn script(nodes: &[Node], s: &Script) -> Timeline {
    let (mut lan, map) = lan(nodes);
    let mut tl = Timeline::default();
    let lan_of = |name: &str| nodes.iter().position(|n| n.name == name).and_then(|n| map[n]);
    for name in s.nodes() {
        if lan_of(name).is_none() {
            tl.errors.push(format!("scenario: no node named '{name}' loads"));
        }
    }
    let mut seen: Vec<Vec<Option<State>>> = lan.nodes.iter().map(|n| vec![None; n.cfg.instances.len()]).collect();
    let observe = |lan: &Lan, seen: &mut Vec<Vec<Option<State>>>, out: &mut Vec<(Instant, String)>| {
        for (n, node) in lan.nodes.iter().enumerate() {
            for (i, c) in node.cfg.instances.iter().enumerate() {
                let st = node.agent.as_ref().map(|a| a.state(InstanceId::from_index(i)));
                if st != seen[n][i] {
                    seen[n][i] = st;
                    let what = st.map_or("down", state_name);
                    let prio = node.agent.as_ref().map(|a| a.effective_priority(InstanceId::from_index(i)));
                    let prio = prio.map_or(String::new(), |p| format!(" (priority {p})"));
                    out.push((lan.now, format!("{} {} {what}{prio}", node.name, c.name)));
                }
            }
        }
    };
    for n in 0..lan.nodes.len() {
        lan.start(n);
    }
    tl.entries.push((lan.now, "every node starts".into()));
    let last = s.steps.iter().map(|s| s.at).max().unwrap_or(0);
    let end = s.steps.iter().find(|s| s.action == Action::End).map_or(last + 30_000_000, |s| s.at);
    let run_to = |lan: &mut Lan, seen: &mut Vec<Vec<Option<State>>>, out: &mut Vec<(Instant, String)>, until: u64| {
        observe(lan, seen, out);
        let until = Instant::from_micros(until);
        while lan.now < until {
            let mut calls = 0;
            let stepped = lan.run_until_pred(until.since(lan.now), |_| {
                calls += 1;
                calls > 1
            });
            observe(lan, seen, out);
            if stepped.is_none() {
                break;
            }
        }
    };
    for step in s.steps.iter().filter(|s| s.at <= end) {
        run_to(&mut lan, &mut seen, &mut tl.entries, step.at);
        let words = match &step.action {
            Action::Kill(n) => lan_of(n).map(|x| {
                lan.kill(x);
                format!("{n} powered off")
            }),
            Action::Stop(n) => lan_of(n).map(|x| {
                lan.shutdown(x);
                format!("{n} stops")
            }),
            Action::Start(n) => lan_of(n).map(|x| {
                if lan.nodes[x].alive {
                    format!("{n} is already running")
                } else {
                    lan.start(x);
                    format!("{n} boots")
                }
            }),
            Action::Script { script, node, ok } => lan_of(node).and_then(|x| {
                let Some(p) = lan.nodes[x].cfg.scripts.iter().position(|s| &s.name == script) else {
                    tl.errors.push(format!("scenario: {node} has no vrrp_script {script}"));
                    return None;
                };
                lan.nodes[x].script_ok[p] = *ok;
                Some(format!("{script} on {node} {}", if *ok { "passes" } else { "fails" }))
            }),
            Action::Link { node, up } => lan_of(node).map(|x| {
                lan.set_link(x, *up);
                format!("{node} link {}", if *up { "up" } else { "down" })
            }),
            Action::Isolate(n) => lan_of(n).map(|x| {
                lan.nodes[x].segment = 1 + x as u32;
                format!("{n} cut off")
            }),
            Action::Heal => {
                for node in &mut lan.nodes {
                    node.segment = 0;
                }
                Some("the partition heals".into())
            }
            Action::End => None,
        };
        if let Some(w) = words {
            tl.entries.push((lan.now, w));
        }
    }
    run_to(&mut lan, &mut seen, &mut tl.entries, end);
    tl.entries.push((lan.now, "end".into()));
    tl
}
