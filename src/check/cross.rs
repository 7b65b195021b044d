//! Across nodes: the instances of all nodes grouped into virtual routers (multicast: VRID,
//! family and group; unicast: VRID, family and peer lists that point at each other), then
//! what must agree inside each router for adverts to be accepted (RFC 3768 §7.1, RFC 5798
//! §7.1, keepalived's vrrp_in_chk) and who wins the election (RFC 5798 §6.4).
//!
//! Every node given is taken to be on one LAN: two multicast routers with one VRID are one
//! router whose nodes disagree.
use super::lint::vip_set;
use super::{Finding, Node, Severity};
use crate::config::model::{Auth, Family, Instance};
use crate::config::value::format_seconds;
use crate::config::Location;
use crate::proto::track::effective_priority;
use crate::proto::{Agent, InstanceId, Instant};
use std::collections::HashMap;
use std::net::IpAddr;

/// How the router's adverts travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Multicast(IpAddr),
    Unicast,
}

/// One node's instance in a virtual router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub node: usize,
    /// Index in the node's `Config::instances`.
    pub instance: usize,
}

impl Finding {
    /// A finding on member `m`, instance `name`: the message is prefixed `(NAME)` as
    /// keepalived prefixes an instance's lines.
    fn on_member(
        m: &Member,
        name: &str,
        severity: Severity,
        loc: Option<Location>,
        message: String,
        fix: &str,
    ) -> Finding {
        Finding {
            severity,
            node: m.node,
            instance: Some(m.instance),
            loc,
            message: format!("({name}) {message}"),
            fix: fix.to_string(),
        }
    }
}

/// A virtual router: the instances of the nodes that should elect one master among them.
#[derive(Debug, Clone)]
pub struct Router {
    pub vrid: u8,
    pub family: Family,
    pub transport: Transport,
    pub members: Vec<Member>,
    /// The member that becomes master at start (highest priority with every script
    /// succeeding; RFC 5798 §6.4.3 ties go to the higher source address).
    pub master_at_start: Option<usize>,
    /// Why, in words.
    pub election: String,
    /// Who takes over from that master (index into `members`) and how fast, in words.
    pub successor: Option<usize>,
    pub failover: Vec<String>,
}

fn inst<'a>(nodes: &'a [Node], m: &Member) -> &'a Instance {
    &nodes[m.node].loaded.config.instances[m.instance]
}

impl Router {
    /// `VI_1 (VRID 51, IPv4, multicast 224.0.0.18)`.
    pub fn label(&self, nodes: &[Node]) -> String {
        let mut names: Vec<&str> = self.members.iter().map(|m| inst(nodes, m).name.as_str()).collect();
        names.dedup();
        let fam = if self.family == Family::V4 { "IPv4" } else { "IPv6" };
        let how = match self.transport {
            Transport::Multicast(g) => format!("multicast {g}"),
            Transport::Unicast => "unicast".to_string(),
        };
        format!("{} (VRID {}, {fam}, {how})", names.join("/"), self.vrid)
    }
}

/// The priority an instance runs at with every tracked script succeeding: positive weights
/// added, negative ones not (keepalived: vrrp_set_effective_priority).
pub fn healthy_priority(i: &Instance) -> u8 {
    let up: i32 = i.track_scripts.iter().filter(|t| t.weight > 0 && !t.reverse).map(|t| t.weight).sum();
    effective_priority(i.priority, up)
}

/// Groups the instances of the nodes that load into virtual routers.
pub fn routers(nodes: &[Node]) -> Vec<Router> {
    let mut out: Vec<Router> = Vec::new();
    // (VRID, family, transport) -> the routers with that key, so a cluster of many nodes and
    // instances is grouped in near-linear time.
    let mut by_key: HashMap<(u8, bool, Transport), Vec<usize>> = HashMap::new();
    for (n, node) in nodes.iter().enumerate().filter(|(_, node)| node.loads()) {
        for (i, c) in node.loaded.config.instances.iter().enumerate() {
            let transport =
                if c.unicast_peers.is_empty() { Transport::Multicast(c.mcast_dst) } else { Transport::Unicast };
            let key = (c.vrid, c.family == Family::V6, transport);
            let ours = vip_set(c);
            let linked = |r: &Router| {
                r.members.iter().any(|m| {
                    let o = inst(nodes, m);
                    o.vips.iter().any(|v| ours.binary_search(&v.addr).is_ok())
                        || o.unicast_src.is_some_and(|s| c.unicast_peers.iter().any(|p| p.addr == s))
                        || c.unicast_src.is_some_and(|s| o.unicast_peers.iter().any(|p| p.addr == s))
                })
            };
            let slot = by_key.entry(key).or_default();
            let free: Vec<usize> =
                slot.iter().copied().filter(|&k| !out[k].members.iter().any(|m| m.node == n)).collect();
            let chosen = match transport {
                // One LAN: a multicast router with this VRID is this one, best the one
                // sharing a VIP.
                Transport::Multicast(_) => free.iter().copied().find(|&k| linked(&out[k])).or(free.first().copied()),
                Transport::Unicast => free.iter().copied().find(|&k| linked(&out[k])),
            };
            let member = Member { node: n, instance: i };
            match chosen {
                Some(k) => out[k].members.push(member),
                None => {
                    slot.push(out.len());
                    out.push(Router {
                        vrid: c.vrid,
                        family: c.family,
                        transport,
                        members: vec![member],
                        master_at_start: None,
                        election: String::new(),
                        successor: None,
                        failover: Vec::new(),
                    });
                }
            }
        }
    }
    let mut agents = HashMap::new();
    for r in &mut out {
        elect(nodes, r);
        failover(nodes, r, &mut agents);
    }
    out
}

/// Who takes over from the master at start and how fast: the core's own Master_Down_Interval
/// after the last advert (host death), Skew_Time after the priority-0 advert (shutdown; RFC
/// 5798 §6.4.2), and for each track script of the master, `fall x interval` before that.
fn failover(nodes: &[Node], r: &mut Router, agents: &mut HashMap<usize, Agent>) {
    let Some(mi) = r.master_at_start else { return };
    let next = (0..r.members.len()).filter(|&k| k != mi).max_by_key(|&k| {
        let i = inst(nodes, &r.members[k]);
        (healthy_priority(i), i.unicast_src)
    });
    let Some(k) = next else { return };
    r.successor = Some(k);
    let m = r.members[k];
    let agent = agents.entry(m.node).or_insert_with(|| Agent::new(nodes[m.node].loaded.config.clone(), Instant::ZERO));
    let id = InstanceId::from_index(m.instance);
    let (down, skew) = (agent.master_down_interval(id), agent.skew_time(id));
    let b = inst(nodes, &m);
    let s = |us| format!("{}s", format_seconds(us));
    let mut words = vec![
        format!(
            "host death: {} after the last advert ({} x {} + skew {})",
            s(down),
            b.down_timer_adverts,
            s(b.advert_int),
            s(skew)
        ),
        format!("shutdown: {} after the priority-0 advert (skew)", s(skew)),
    ];
    let master = inst(nodes, &r.members[mi]);
    let cfg = &nodes[r.members[mi].node].loaded.config;
    let successor = healthy_priority(b);
    for t in master.track_scripts.iter().filter(|t| !t.reverse) {
        let Some(script) = cfg.scripts.iter().find(|x| x.name == t.name) else { continue };
        let (effect, moves) = if t.weight == 0 {
            ("weight 0: FAULT".to_string(), true)
        } else {
            // Failing: a positive weight is no longer added, a negative one is.
            let healthy = healthy_priority(master);
            let adjust = healthy as i32 - master.priority as i32 - t.weight.abs();
            let failed = effective_priority(master.priority, adjust);
            (format!("weight {}: {healthy} -> {failed}", t.weight), failed < successor)
        };
        words.push(if moves {
            format!(
                "{} failing ({effect}): within fall {} x interval {} + {}",
                t.name,
                script.fall,
                s(script.interval),
                s(down)
            )
        } else {
            format!("{} failing ({effect}): the VIP stays", t.name)
        });
    }
    r.failover = words;
}

/// RFC 5798 §6.4.3: the highest priority wins; on a tie the higher primary address.
fn elect(nodes: &[Node], r: &mut Router) {
    let key = |m: &Member| {
        let i = inst(nodes, m);
        (healthy_priority(i), i.unicast_src)
    };
    let best = (0..r.members.len()).max_by_key(|&k| key(&r.members[k]));
    r.master_at_start = best;
    let Some(b) = best else { return };
    let (p, src) = key(&r.members[b]);
    let tied: Vec<usize> = (0..r.members.len()).filter(|&k| key(&r.members[k]).0 == p).collect();
    let name = &nodes[r.members[b].node].name;
    r.election = if tied.len() == 1 {
        let next = r.members.iter().map(|m| key(m).0).filter(|&q| q < p).max();
        match next {
            Some(q) => format!("{name} (priority {p} over {q})"),
            None => format!("{name} (priority {p}, alone)"),
        }
    } else if let (Some(a), true) = (src, tied.iter().all(|&k| key(&r.members[k]).1.is_some())) {
        format!("{name} (priority {p} tied; the higher address {a} wins, RFC 5798 §6.4.3)")
    } else {
        format!("{name}? (priority {p} tied; the higher primary address wins, RFC 5798 §6.4.3)")
    };
}

/// Where the keyword was written, else the instance itself.
fn written_or_instance(i: &Instance, written: Option<Location>) -> Option<Location> {
    Some(written.unwrap_or(i.loc))
}

/// The cross-node findings of every router, and VIPs claimed by two routers.
pub fn check(nodes: &[Node], routers: &[Router]) -> Vec<Finding> {
    let mut out = Vec::new();
    let several_nodes = nodes.iter().filter(|n| n.loads()).count() > 1;
    for r in routers {
        router(nodes, r, several_nodes, &mut out);
    }
    // A VIP in two routers: a VRID typo makes each node master its own copy.
    let mut claimed: HashMap<IpAddr, (usize, Member)> = HashMap::new();
    for (a, ra) in routers.iter().enumerate() {
        for m in &ra.members {
            let i = inst(nodes, m);
            for v in &i.vips {
                match claimed.get(&v.addr) {
                    None => {
                        claimed.insert(v.addr, (a, *m));
                    }
                    Some(&(b, o)) if b != a => out.push(Finding {
                        severity: Severity::Error,
                        node: m.node,
                        instance: Some(m.instance),
                        loc: Some(v.loc),
                        message: format!(
                            "({}) VIP {} is also claimed by VRID {} ({} on {}): each virtual router will hold it",
                            i.name,
                            v.addr,
                            routers[b].vrid,
                            inst(nodes, &o).name,
                            nodes[o.node].name
                        ),
                        fix: "use one virtual_router_id for the VIP on every node (a typo?)".into(),
                    }),
                    Some(_) => {}
                }
            }
        }
    }
    out
}

fn router(nodes: &[Node], r: &Router, several_nodes: bool, out: &mut Vec<Finding>) {
    let Some(first) = r.members.first() else { return };
    let a = inst(nodes, first);
    let an = &nodes[first.node].name;
    if r.members.len() == 1 && several_nodes {
        out.push(Finding {
            severity: Severity::Warning,
            node: first.node,
            instance: Some(first.instance),
            loc: written_or_instance(a, a.written.vrid),
            message: format!(
                "({}) VRID {} has no peer among the nodes given: nothing takes over from {an}",
                a.name, a.vrid
            ),
            fix: "check virtual_router_id and the unicast peers on the other nodes".into(),
        });
    }
    for m in &r.members[1..] {
        let b = inst(nodes, m);
        let mut push = |severity, loc, message: String, fix: &str| {
            out.push(Finding::on_member(m, &b.name, severity, loc, message, fix))
        };
        if a.version != b.version {
            push(
                Severity::Error,
                written_or_instance(b, b.written.version),
                format!(
                    "version {} here, {} on {an}: each drops the other's adverts and both become master",
                    b.version, a.version
                ),
                "use the same `version` (or vrrp_version) on every node",
            );
        } else if a.advert_int != b.advert_int {
            // RFC 3768 §7.1: a v2 advert with another interval is dropped; RFC 5798 §6.4.2: a
            // v3 backup learns the master's interval.
            let fmt = crate::config::value::format_seconds;
            let (severity, what) = if a.version == 2 {
                (Severity::Error, "VRRPv2 drops adverts with another interval and both become master")
            } else {
                (
                    Severity::Warning,
                    "a v3 backup learns the master's interval, so failover time depends on who is master",
                )
            };
            push(
                severity,
                written_or_instance(b, b.written.advert_int),
                format!("advert_int {}s here, {}s on {an}: {what}", fmt(b.advert_int), fmt(a.advert_int)),
                "use the same advert_int on every node",
            );
        }
        if a.version == b.version && a.version == 2 && a.auth != b.auth {
            push(
                Severity::Error,
                written_or_instance(b, b.written.auth_pass.as_ref().map(|p| p.1).or(b.written.authentication)),
                format!("authentication {} here, {} on {an} (as compared, after the 8-byte truncation): adverts are dropped and both become master", auth_words(&b.auth), auth_words(&a.auth)),
                "use the same auth_type and the same first 8 characters of auth_pass on every node",
            );
        } else if let (Some((pa, _)), Some((pb, loc))) = (&a.written.auth_pass, &b.written.auth_pass) {
            if pa != pb && a.auth == b.auth {
                push(
                    Severity::Warning,
                    Some(*loc),
                    format!(
                        "auth_pass differs from {an}'s as written but not in its first 8 bytes, the only ones compared"
                    ),
                    "write the same password on every node",
                );
            }
        }
        if a.version == 3 && a.family == Family::V4 && a.v3_checksum_as_v2 != b.v3_checksum_as_v2 {
            // vrrpd accepts both forms (RFC 5798's and RFC 9568's); keepalived drops the one it does not
            // send, and a node may run keepalived.
            push(
                Severity::Warning,
                Some(b.loc),
                format!(
                    "v3_checksum_as_v2 is {} here, {} on {an}: keepalived drops adverts of the other checksum form (vrrpd accepts both)",
                    onoff(b.v3_checksum_as_v2),
                    onoff(a.v3_checksum_as_v2)
                ),
                "set v3_checksum_as_v2 alike on every node",
            );
        }
        if vip_set(a) != vip_set(b) && !(a.skip_check_adv_addr && b.skip_check_adv_addr) {
            push(
                Severity::Error,
                b.vips.first().map(|v| v.loc).or(Some(b.loc)),
                format!(
                    "VIPs {} here, {} on {an}: adverts with other addresses are dropped (addr_list_err)",
                    addrs(b),
                    addrs(a)
                ),
                "list the same virtual_ipaddress block on every node",
            );
        }
    }
    unicast(nodes, r, out);
    priorities(nodes, r, out);
    sync_groups(nodes, r, out);
    weights(nodes, r, out);
}

fn onoff(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn auth_words(a: &Auth) -> String {
    let (kind, p) = match a {
        Auth::None => return "none".into(),
        Auth::Pass(p) => ("PASS", p),
        Auth::Ah(p) => ("AH", p),
    };
    let end = p.iter().position(|&b| b == 0).unwrap_or(8);
    format!("{kind} '{}'", String::from_utf8_lossy(&p[..end]))
}

fn addrs(i: &Instance) -> String {
    let v: Vec<String> = vip_set(i).iter().map(|a| a.to_string()).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(",")
    }
}

/// Unicast peer lists point at each other's sources (keepalived #2651: a config copied
/// between hosts sends to itself and masters everywhere).
fn unicast(nodes: &[Node], r: &Router, out: &mut Vec<Finding>) {
    if r.transport != Transport::Unicast {
        return;
    }
    for (k, m) in r.members.iter().enumerate() {
        let b = inst(nodes, m);
        let mut push = |severity, loc, message: String, fix: &str| {
            out.push(Finding::on_member(m, &b.name, severity, loc, message, fix))
        };
        for o in &r.members[..k] {
            let a = inst(nodes, o);
            if a.unicast_src.is_some() && a.unicast_src == b.unicast_src {
                push(
                    Severity::Error,
                    written_or_instance(b, b.written.unicast_src),
                    format!(
                        "unicast_src_ip {} is also {}'s: a config copied between hosts?",
                        b.unicast_src.unwrap(),
                        nodes[o.node].name
                    ),
                    "give each node its own unicast_src_ip",
                );
            }
        }
        for o in r.members.iter().filter(|o| o.node != m.node) {
            let a = inst(nodes, o);
            // A source shared with `b` is the copied-config error above.
            if let Some(src) = a.unicast_src.filter(|s| Some(*s) != b.unicast_src) {
                if !b.unicast_peers.iter().any(|p| p.addr == src) {
                    push(
                        Severity::Error,
                        written_or_instance(b, b.written.unicast_peers.first().map(|p| p.1)),
                        format!(
                            "unicast_peer does not list {src}, {}'s source: its adverts never reach it",
                            nodes[o.node].name
                        ),
                        "list every other node's unicast_src_ip in unicast_peer",
                    );
                }
            }
        }
        for (peer, loc) in &b.written.unicast_peers {
            let known = r.members.iter().any(|o| inst(nodes, o).unicast_src == Some(*peer));
            let others_known =
                r.members.iter().filter(|o| o.node != m.node).all(|o| inst(nodes, o).unicast_src.is_some());
            if !known && others_known && b.unicast_src != Some(*peer) {
                push(
                    Severity::Warning,
                    Some(*loc),
                    format!("unicast peer {peer} is the source of no node given"),
                    "remove it, or check the node it names too",
                );
            }
        }
        if b.unicast_src.is_none() {
            push(
                Severity::Warning,
                Some(b.loc),
                "no unicast_src_ip: the peers must list this node's primary address, which the check cannot see".into(),
                "write unicast_src_ip",
            );
        }
    }
}

/// At most one owner; equal priorities are decided by addresses (RFC 5798 §6.4.3).
fn priorities(nodes: &[Node], r: &Router, out: &mut Vec<Finding>) {
    for (k, m) in r.members.iter().enumerate() {
        let b = inst(nodes, m);
        for o in &r.members[..k] {
            let a = inst(nodes, o);
            if a.priority != b.priority {
                continue;
            }
            let (severity, message, fix) = if a.priority == 255 {
                (
                    Severity::Error,
                    format!("priority 255 here and on {}: two address owners both stay master", nodes[o.node].name),
                    "only the node that owns the address may have priority 255",
                )
            } else {
                let tie = match (a.unicast_src, b.unicast_src) {
                    (Some(x), Some(y)) => format!("the higher address, {}, wins", x.max(y)),
                    _ => "the higher primary address wins".to_string(),
                };
                (
                    Severity::Warning,
                    format!("priority {} here and on {}: {tie} (RFC 5798 §6.4.3)", b.priority, nodes[o.node].name),
                    "give each node its own priority",
                )
            };
            out.push(Finding {
                severity,
                node: m.node,
                instance: Some(m.instance),
                loc: written_or_instance(b, b.written.priority),
                message: format!("({}) {message}", b.name),
                fix: fix.into(),
            });
        }
    }
}

/// A sync group's members are the same virtual routers on every node.
fn sync_groups(nodes: &[Node], r: &Router, out: &mut Vec<Finding>) {
    // Each member's group, as the set of (VRID, family) of its instances.
    let group_of = |m: &Member| -> Option<Vec<(u8, Family)>> {
        let cfg = &nodes[m.node].loaded.config;
        let g = inst(nodes, m).sync_group.as_ref()?;
        let group = cfg.sync_groups.iter().find(|s| &s.name == g)?;
        let mut v: Vec<_> = group
            .members
            .iter()
            .filter_map(|n| cfg.instances.iter().find(|i| &i.name == n))
            .map(|i| (i.vrid, i.family))
            .collect();
        v.sort_by_key(|x| (x.0, x.1 == Family::V6));
        Some(v)
    };
    let Some(first) = r.members.first() else { return };
    let a = group_of(first);
    for m in &r.members[1..] {
        let b = group_of(m);
        if a == b {
            continue;
        }
        let i = inst(nodes, m);
        let cfg = &nodes[m.node].loaded.config;
        let loc = i.sync_group.as_ref().and_then(|g| cfg.sync_groups.iter().find(|s| &s.name == g)).map(|g| g.loc);
        let words = |g: &Option<Vec<(u8, Family)>>| match g {
            None => "no sync group".to_string(),
            Some(v) => {
                format!("a sync group of VRIDs {}", v.iter().map(|x| x.0.to_string()).collect::<Vec<_>>().join(","))
            }
        };
        out.push(Finding {
            severity: Severity::Error,
            node: m.node,
            instance: Some(m.instance),
            loc: loc.or(Some(i.loc)),
            message: format!(
                "({}) in {} here, {} on {}: the group moves together on one node only",
                i.name,
                words(&b),
                words(&a),
                nodes[first.node].name
            ),
            fix: "list the same instances in vrrp_sync_group on every node".into(),
        });
    }
}

/// A tracked script whose failure leaves the master above every peer never moves the VIP.
fn weights(nodes: &[Node], r: &Router, out: &mut Vec<Finding>) {
    let Some(mi) = r.master_at_start else { return };
    if r.members.len() < 2 {
        return;
    }
    let m = r.members[mi];
    let master = inst(nodes, &m);
    if master.priority == 255 {
        // An owner's priority never changes: lint.rs says so.
        return;
    }
    let healthy = healthy_priority(master);
    let best_other = r
        .members
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != mi)
        .map(|(_, o)| healthy_priority(inst(nodes, o)))
        .max()
        .unwrap_or(0);
    for t in master.track_scripts.iter().filter(|t| t.weight != 0 && !t.reverse) {
        let up: i32 = master.track_scripts.iter().filter(|x| x.weight > 0 && !x.reverse).map(|x| x.weight).sum();
        // Failing: a positive weight is no longer added, a negative one is.
        let failed = if t.weight > 0 { up - t.weight } else { up + t.weight };
        let after = effective_priority(master.priority, failed);
        if after >= best_other {
            // RFC 5798 §6.4.2: a backup resets its timer on an advert of equal priority too.
            out.push(Finding {
                severity: Severity::Error,
                node: m.node,
                instance: Some(m.instance),
                loc: Some(t.loc),
                message: format!(
                    "({}) {} failing takes {} from {healthy} to {after}, not below {best_other}: the VIP never moves",
                    master.name, t.name, nodes[m.node].name
                ),
                fix: format!(
                    "make |weight| larger than the priority gap ({} or more), or use weight 0 (FAULT)",
                    healthy as i32 - best_other as i32 + 1
                ),
            });
        }
    }
}
