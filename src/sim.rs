//! A simulated LAN for the protocol core: N agents, a virtual clock that jumps to the earliest
//! event (an agent's poll_timeout, a packet in flight, a script finishing), configurable delay,
//! loss and partitions. Pure, like the core it runs: the tests use it, and so can the binary.
//!
//! Each node plays the shell's part as the daemon does: its adverts are the bytes
//! [`Agent::advert`] describes (the one advert builder), emitted with `wire::vrrp` and
//! validated by the receiving agent; VIPs, GARPs, notifies, FIFO lines and logs are recorded.
use crate::config::model::Config;
use crate::config::{self, LoadOptions, StaticHost};
use crate::proto::{Action, Agent, Input, InstanceId, Instant, Level, ScriptId, ScriptResult, State};
use crate::wire::vrrp::RxMeta;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

/// The interface a node's events are reported on when its first instance names none.
pub const IFACE: &str = "eth0";

/// Loads a configuration text as if every interface, user and file existed.
///
/// # Panics
/// When the text has a fatal error (the diagnostics are in the message).
pub fn config(text: &str) -> Config {
    let host = StaticHost { everything_exists: true, ..Default::default() };
    let opts = LoadOptions { config_id: "sim".into(), all_config: false };
    let l = config::load_bytes(Path::new("sim.conf"), text.as_bytes().to_vec(), &opts, &host);
    assert!(!l.is_fatal(), "{:#?}", l.diagnostics.list);
    l.config
}

/// Something a node did, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Virtual time.
    pub at: Instant,
    /// A notify's argv joined with spaces, a FIFO line, or a log line.
    pub what: String,
}

/// One router on the LAN.
#[allow(missing_docs)] // the fields are the node's observable record, named as they read
pub struct Node {
    pub name: String,
    /// The interface of its first instance (what the shell reports events on).
    pub iface: String,
    pub cfg: Config,
    pub agent: Option<Agent>,
    pub addr: IpAddr,
    /// Hardware up (false: powered off or killed).
    pub alive: bool,
    pub link_up: bool,
    pub segment: u32,
    pub vips: BTreeSet<IpAddr>,
    /// Per track script, in configuration order: what the next run returns.
    pub script_ok: Vec<bool>,
    pub notifies: Vec<Record>,
    pub logs: Vec<Record>,
    /// (when, instance, priority) of every advert sent.
    pub adverts: Vec<(Instant, InstanceId, u8)>,
    pub garps: Vec<(Instant, IpAddr)>,
    pub fifo: Vec<Record>,
    /// What `vrrpd events` would have streamed.
    pub events: Vec<(Instant, crate::proto::Event)>,
}

enum Event {
    /// `bytes` from its `header_len`th byte on is the advert (before it: IPv4 and AH headers).
    Deliver {
        to: usize,
        from_addr: IpAddr,
        dst: IpAddr,
        bytes: Vec<u8>,
        header_len: usize,
    },
    ScriptDone {
        node: usize,
        script: ScriptId,
        ok: bool,
    },
}

/// The LAN: its nodes, the virtual clock and the packets in flight.
#[allow(missing_docs)] // knobs of the simulation, named as they read
pub struct Lan {
    pub now: Instant,
    pub nodes: Vec<Node>,
    pub delay: u64,
    /// Loss in parts per million, drawn from a seeded generator.
    pub loss_ppm: u32,
    pub script_runtime: u64,
    rng: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    events: std::collections::HashMap<u64, Event>,
}

impl Lan {
    /// Nodes named and configured, addressed 192.168.31.20, .30, .40 ... on one segment, not
    /// started.
    pub fn new(nodes: Vec<(&str, Config)>) -> Lan {
        let nodes = nodes
            .into_iter()
            .enumerate()
            .map(|(n, (name, cfg))| Node {
                name: name.to_string(),
                iface: cfg.instances.first().and_then(|i| i.interface.clone()).unwrap_or_else(|| IFACE.to_string()),
                script_ok: vec![true; cfg.scripts.len()],
                cfg,
                agent: None,
                addr: IpAddr::V4(Ipv4Addr::new(192, 168, 31, 20 + 10 * n as u8)),
                alive: false,
                link_up: true,
                segment: 0,
                vips: BTreeSet::new(),
                notifies: Vec::new(),
                logs: Vec::new(),
                adverts: Vec::new(),
                garps: Vec::new(),
                fifo: Vec::new(),
                events: Vec::new(),
            })
            .collect();
        Lan {
            now: Instant::ZERO,
            nodes,
            delay: 100,
            loss_ppm: 0,
            script_runtime: 10_000,
            rng: 0x9e37_79b9_7f4a_7c15,
            seq: 0,
            queue: BinaryHeap::new(),
            events: Default::default(),
        }
    }

    /// Seeds the loss generator.
    pub fn seeded(mut self, seed: u64) -> Lan {
        self.rng = seed | 1;
        self
    }

    fn rand(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn push(&mut self, at: Instant, e: Event) {
        self.seq += 1;
        self.events.insert(self.seq, e);
        self.queue.push(Reverse((at, self.seq)));
    }

    /// Boots node `n`'s agent now (its address and link reported as the shell would).
    pub fn start(&mut self, n: usize) {
        let node = &mut self.nodes[n];
        node.alive = true;
        node.vips.clear();
        let mut agent = Agent::new(node.cfg.clone(), self.now);
        agent.handle(self.now, Input::AddressAdded { interface: &node.iface, addr: node.addr });
        if !node.link_up {
            agent.handle(self.now, Input::Link { interface: &node.iface, up: false });
        }
        // Every tracked process runs, at its quorum (as every script succeeds by default).
        let counts: Vec<_> = agent.track_processes().map(|(process, p, ..)| (process, p.quorum)).collect();
        for (process, count) in counts {
            agent.handle(self.now, Input::ProcessCount { process, count, forked: false });
        }
        agent.start(self.now);
        node.agent = Some(agent);
        self.drain(n);
    }

    /// Power off: the agent vanishes without a word, its addresses with it.
    pub fn kill(&mut self, n: usize) {
        let node = &mut self.nodes[n];
        node.alive = false;
        node.agent = None;
        node.vips.clear();
    }

    /// Graceful stop (SIGTERM).
    pub fn shutdown(&mut self, n: usize) {
        let now = self.now;
        if let Some(a) = self.nodes[n].agent.as_mut() {
            a.handle(now, Input::Shutdown);
        }
        self.drain(n);
        self.nodes[n].agent = None;
        self.nodes[n].alive = false;
    }

    /// Link up or down on node `n` (reported to its agent, and no traffic while down).
    pub fn set_link(&mut self, n: usize, up: bool) {
        self.nodes[n].link_up = up;
        let now = self.now;
        let node = &mut self.nodes[n];
        if let Some(a) = node.agent.as_mut() {
            a.handle(now, Input::Link { interface: &node.iface, up });
        }
        self.drain(n);
    }

    /// Feeds node `n`'s agent an input now.
    pub fn input(&mut self, n: usize, input: Input) {
        let now = self.now;
        if let Some(a) = self.nodes[n].agent.as_mut() {
            a.handle(now, input);
        }
        self.drain(n);
    }

    /// The state of node `n`'s first instance (None while it is not running).
    pub fn state(&self, n: usize) -> Option<State> {
        self.nodes[n].agent.as_ref().map(|a| a.state(InstanceId::from_index(0)))
    }

    /// The nodes whose first instance is MASTER.
    pub fn masters(&self) -> Vec<usize> {
        (0..self.nodes.len()).filter(|&n| self.state(n) == Some(State::Master)).collect()
    }

    /// The nodes holding `vip`.
    pub fn holders(&self, vip: IpAddr) -> Vec<usize> {
        (0..self.nodes.len()).filter(|&n| self.nodes[n].vips.contains(&vip)).collect()
    }

    fn next_event_time(&mut self) -> Option<Instant> {
        let mut t = self.queue.peek().map(|r| r.0 .0);
        for node in &mut self.nodes {
            if let Some(a) = node.agent.as_mut() {
                if let Some(at) = a.poll_timeout() {
                    t = Some(t.map_or(at, |x: Instant| x.min(at)));
                }
            }
        }
        t
    }

    /// Advances the virtual clock event by event up to `until` (inclusive).
    pub fn run_until(&mut self, until: Instant) {
        while let Some(t) = self.next_event_time() {
            if t > until {
                break;
            }
            self.now = self.now.max(t);
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Advances the virtual clock by `us`.
    pub fn run_for(&mut self, us: u64) {
        let until = self.now.plus(us);
        self.run_until(until);
    }

    /// Runs until `pred` holds or `limit` passes; returns the time it first held.
    pub fn run_until_pred(&mut self, limit: u64, mut pred: impl FnMut(&Lan) -> bool) -> Option<Instant> {
        let until = self.now.plus(limit);
        if pred(self) {
            return Some(self.now);
        }
        while let Some(t) = self.next_event_time() {
            if t > until {
                break;
            }
            self.now = self.now.max(t);
            self.step();
            if pred(self) {
                return Some(self.now);
            }
        }
        self.now = until;
        None
    }

    fn step(&mut self) {
        let now = self.now;
        while let Some(Reverse((at, id))) = self.queue.peek().copied() {
            if at > now {
                break;
            }
            self.queue.pop();
            match self.events.remove(&id).expect("event") {
                Event::Deliver { to, from_addr, dst, bytes, header_len } => {
                    let node = &mut self.nodes[to];
                    if let (true, true, Some(a)) = (node.alive, node.link_up, node.agent.as_mut()) {
                        let meta = RxMeta { src: from_addr, dst, ttl: 255, header_len: header_len.max(20) };
                        let (header, bytes) = bytes.split_at(header_len);
                        a.handle(now, Input::Packet { interface: &node.iface, meta, header, bytes });
                        self.drain(to);
                    }
                }
                Event::ScriptDone { node, script, ok } => {
                    let result = if ok { ScriptResult::Exited(0) } else { ScriptResult::Exited(1) };
                    if let Some(a) = self.nodes[node].agent.as_mut() {
                        a.handle(now, Input::ScriptExited { script, result });
                        self.drain(node);
                    }
                }
            }
        }
        for n in 0..self.nodes.len() {
            let due = self.nodes[n].agent.as_mut().and_then(|a| a.poll_timeout()).is_some_and(|t| t <= now);
            if due {
                self.nodes[n].agent.as_mut().unwrap().handle(now, Input::Timeout);
                self.drain(n);
            }
        }
    }

    /// Puts node `n`'s frame on its segment: every live peer there (or only `dst`, in unicast)
    /// receives it after the LAN's delay, unless the loss draw drops it.
    fn transmit(&mut self, n: usize, from_addr: IpAddr, dst: IpAddr, (bytes, header_len): (Vec<u8>, usize)) {
        let at = self.now.plus(self.delay);
        for to in 0..self.nodes.len() {
            let peer = &self.nodes[to];
            if to == n || peer.segment != self.nodes[n].segment || (!dst.is_multicast() && peer.addr != dst) {
                continue;
            }
            if self.loss_ppm > 0 && (self.rand() % 1_000_000) < self.loss_ppm as u64 {
                continue;
            }
            self.push(at, Event::Deliver { to, from_addr, dst, bytes: bytes.clone(), header_len });
        }
    }

    /// Carries out node `n`'s actions as its shell would.
    fn drain(&mut self, n: usize) {
        let now = self.now;
        while let Some(action) = self.nodes[n].agent.as_mut().and_then(|a| a.poll_action()) {
            match action {
                Action::SendAdvert { instance, priority, dst, ah_seq } => {
                    self.nodes[n].adverts.push((now, instance, priority));
                    if !self.nodes[n].alive || !self.nodes[n].link_up {
                        continue;
                    }
                    let Some(agent) = self.nodes[n].agent.as_ref() else { continue };
                    let Ok(advert) = agent.advert(instance, priority, dst, ah_seq) else { continue };
                    let Some((from_addr, bytes)) = emit(&advert) else { continue };
                    self.transmit(n, from_addr, dst, bytes);
                }
                Action::SendGarp { addr, .. } => self.nodes[n].garps.push((now, addr)),
                Action::AddAddress { vip, .. } => {
                    self.nodes[n].vips.insert(vip.addr);
                }
                Action::RemoveAddress { vip, .. } => {
                    self.nodes[n].vips.remove(&vip.addr);
                }
                Action::RunScript { script, .. } => {
                    let node = &self.nodes[n];
                    let name = node.agent.as_ref().and_then(|a| a.script(script)).map(|s| s.name.as_str());
                    let position = node.cfg.scripts.iter().position(|s| Some(s.name.as_str()) == name);
                    let ok = position.is_none_or(|p| node.script_ok[p]);
                    let at = now.plus(self.script_runtime);
                    self.push(at, Event::ScriptDone { node: n, script, ok });
                }
                Action::Notify { command, extra, .. } => {
                    let mut argv = command.argv.clone();
                    argv.extend(extra);
                    self.nodes[n].notifies.push(Record { at: now, what: argv.join(" ") });
                }
                Action::FifoLine { line } => self.nodes[n].fifo.push(Record { at: now, what: line }),
                Action::Event(e) => self.nodes[n].events.push((now, e)),
                Action::Log { level, message } => {
                    if level <= Level::Detail {
                        self.nodes[n].logs.push(Record { at: now, what: message });
                    }
                }
                Action::ReleaseRemoved { adverts, vips, .. } => {
                    if self.nodes[n].alive && self.nodes[n].link_up {
                        for a in &adverts {
                            let advert = a.advert();
                            if let Some((from_addr, bytes)) = emit(&advert) {
                                self.transmit(n, from_addr, advert.dst, bytes);
                            }
                        }
                    }
                    for v in vips {
                        self.nodes[n].vips.remove(&v.addr);
                    }
                }
                Action::AddRoute { .. }
                | Action::Static { .. }
                | Action::RemoveRoute { .. }
                | Action::AddRule { .. }
                | Action::RemoveRule { .. } => {}
            }
        }
    }
}

/// Watches a run: the longest time two or more nodes were MASTER at once, outside
/// partitions. Packet loss is a partial partition (N lost adverts in a row can fake a dead
/// master for as long as they last), so episodes that overlap loss are not measured; the
/// runs still require convergence once the network is calm.
pub struct DualMasterWatch {
    since: Option<Instant>,
    lossy: bool,
    /// The longest dual-master episode so far, microseconds.
    pub longest: u64,
}

impl Default for DualMasterWatch {
    fn default() -> Self {
        Self::new()
    }
}

impl DualMasterWatch {
    /// Nothing watched yet.
    pub fn new() -> Self {
        DualMasterWatch { since: None, lossy: false, longest: 0 }
    }
    /// Looks at the LAN now.
    pub fn observe(&mut self, lan: &Lan) {
        let dual = lan.masters().len() > 1;
        let partitioned = lan.loss_ppm > 0 || lan.nodes.iter().any(|n| n.segment != 0);
        match (dual, self.since) {
            (true, None) => {
                self.since = Some(lan.now);
                self.lossy = partitioned;
            }
            (true, Some(_)) => self.lossy |= partitioned,
            (false, Some(s)) => {
                if !self.lossy {
                    self.longest = self.longest.max(lan.now.since(s));
                }
                self.since = None;
            }
            (false, None) => {}
        }
    }
    /// Closes an open episode and returns the longest.
    pub fn finish(&mut self, lan: &Lan) -> u64 {
        if let Some(s) = self.since.take() {
            if !self.lossy {
                self.longest = self.longest.max(lan.now.since(s));
            }
        }
        self.longest
    }
}

impl Lan {
    /// Runs `us` of virtual time, reporting every state to `watch`.
    pub fn run_watched(&mut self, us: u64, watch: &mut DualMasterWatch) {
        let until = self.now.plus(us);
        self.run_until_pred(us, |l| {
            watch.observe(l);
            false
        });
        self.now = self.now.max(until);
        watch.observe(self);
    }

    /// The node that should be master: highest effective priority among live, linked,
    /// non-FAULT nodes; equal priorities go to the higher address.
    pub fn expected_master(&self) -> Option<usize> {
        (0..self.nodes.len())
            .filter(|&n| {
                self.nodes[n].alive && self.nodes[n].link_up && self.state(n).is_some_and(|s| s != State::Fault)
            })
            .max_by_key(|&n| {
                let prio = self.nodes[n].agent.as_ref().unwrap().effective_priority(InstanceId::from_index(0));
                let ip = match self.nodes[n].addr {
                    IpAddr::V4(a) => u32::from(a),
                    IpAddr::V6(_) => 0,
                };
                (prio, ip)
            })
    }
}

/// The advert bytes a router configured like `agent`'s instance `i` sends from `src` to
/// `dst` announcing `priority` (a peer with the same configuration, or a spoofer).
pub fn advert_from(agent: &Agent, i: InstanceId, priority: u8, src: IpAddr, dst: IpAddr) -> Vec<u8> {
    let repr = agent.advert_repr(i, priority);
    let mut out = vec![0u8; repr.buffer_len()];
    repr.emit(&mut out, agent.advert_checksum(i, src, dst)).expect("an advert fits its own length");
    out
}

/// An advert's bytes as the daemon emits them, with its source: the VRRP part, or with AH
/// the whole IPv4 datagram (its ICV covers the headers) and where the advert starts in it.
fn emit(advert: &crate::proto::Advert<'_>) -> Option<(IpAddr, (Vec<u8>, usize))> {
    if advert.ah.is_some() {
        let datagram = advert.ipv4_datagram(1)?;
        return Some((advert.src, (datagram, crate::wire::ipv4::HEADER_LEN + crate::wire::ah::HEADER_LEN)));
    }
    let mut bytes = vec![0u8; advert.repr.buffer_len()];
    advert.repr.emit(&mut bytes, advert.checksum).ok()?;
    Some((advert.src, (bytes, 0)))
}
