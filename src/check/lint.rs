//! One node: what loads but is almost surely wrong. The loader's own diagnostics (a
//! truncated password, a rounded v2 interval, `nopreempt` cleared by `state MASTER`, keywords
//! without effect) are reported as they are; these findings add what it cannot say alone.
use super::{Finding, Severity};
use crate::config::model::{Config, Instance};

/// The findings of node `node` (index into the nodes checked) on its own.
pub fn node(node: usize, cfg: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, inst) in cfg.instances.iter().enumerate() {
        let mut push = |severity, loc, message: String, fix: &str| {
            out.push(Finding { severity, node, instance: Some(i), loc, message, fix: fix.to_string() })
        };
        if let Some((pass, loc)) = &inst.written.auth_pass {
            if pass.len() > 8 {
                // RFC 3768 §5.3.11: the authentication data field is 8 octets.
                let kept = String::from_utf8_lossy(&pass.as_bytes()[..8]).into_owned();
                push(
                    Severity::Warning,
                    Some(*loc),
                    format!(
                        "({}) auth_pass is {} bytes: only its first 8, '{kept}', are sent and compared",
                        inst.name,
                        pass.len()
                    ),
                    "write the 8 characters that count on every node",
                );
            }
        }
        if inst.strict && inst.written.accept.is_none() && inst.priority != 255 {
            push(
                Severity::Warning,
                inst.written.strict_mode.or(Some(inst.loc)),
                format!(
                    "({}) vrrp_strict without accept: keepalived drops all traffic to the VIPs of a non-owner (the VIP will not answer ping); vrrpd accepts it",
                    inst.name
                ),
                "add `accept` to the instance, or drop vrrp_strict",
            );
        }
        if inst.priority == 255 {
            for t in inst
                .track_scripts
                .iter()
                .chain(&inst.track_files)
                .chain(&inst.track_interfaces)
                .chain(&inst.track_processes)
            {
                if t.weight != 0 {
                    push(
                        Severity::Warning,
                        Some(t.loc),
                        format!(
                            "({}) {} has weight {}, which never changes an address owner's priority (255)",
                            inst.name, t.name, t.weight
                        ),
                        "give the owner a priority below 255, or use weight 0 (FAULT on failure)",
                    );
                }
            }
        }
        if let Some(src) = inst.unicast_src {
            for (peer, loc) in &inst.written.unicast_peers {
                if *peer == src {
                    push(
                        Severity::Error,
                        Some(*loc),
                        format!("({}) unicast peer {peer} is this node's own source address", inst.name),
                        "list the other nodes' addresses, not this one's (a config copied between hosts?)",
                    );
                }
            }
        }
        for other in &cfg.instances[..i] {
            if one_link_same_vrid(inst, other) && !same_vips(inst, other) {
                push(
                    Severity::Warning,
                    inst.written.vrid.or(Some(inst.loc)),
                    format!(
                        "({}) VRID {} is also used by {} on {} for other VIPs: each node's adverts reach both",
                        inst.name,
                        inst.vrid,
                        other.name,
                        inst.interface.as_deref().unwrap_or("the same link")
                    ),
                    "give each virtual router its own virtual_router_id",
                );
            }
        }
    }
    for s in &cfg.scripts {
        let tracked = cfg.instances.iter().any(|i| i.track_scripts.iter().any(|t| t.name == s.name))
            || cfg.sync_groups.iter().any(|g| g.track_scripts.iter().any(|t| t.name == s.name));
        if !tracked {
            out.push(Finding {
                severity: Severity::Warning,
                node,
                instance: None,
                loc: Some(s.loc),
                message: format!("vrrp_script {} is tracked by no instance or sync group: it never runs", s.name),
                fix: format!("add `track_script {{ {} }}` where it matters, or remove it", s.name),
            });
        }
    }
    out
}

/// Two instances of one node whose adverts share a link: same VRID, family and interface
/// (the loader refuses the multicast-multicast case; mixed or disjoint unicast gets here).
fn one_link_same_vrid(a: &Instance, b: &Instance) -> bool {
    a.vrid == b.vrid && a.family == b.family && a.interface.is_some() && a.interface == b.interface
}

/// The same VIP addresses, in any order.
pub fn same_vips(a: &Instance, b: &Instance) -> bool {
    vip_set(a) == vip_set(b)
}

/// An instance's VIP addresses, sorted.
pub fn vip_set(i: &Instance) -> Vec<std::net::IpAddr> {
    let mut v: Vec<_> = i.vips.iter().map(|v| v.addr).collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::config;

    #[test]
    fn a_long_password_is_reported_with_what_is_compared() {
        let c = config("vrrp_instance V { interface eth0\n virtual_router_id 1\n authentication {\n auth_type PASS\n auth_pass 0123456789\n }\n virtual_ipaddress { 10.0.0.1 }\n}\n");
        let f = node(0, &c);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("'01234567'"), "{}", f[0].message);
        assert_eq!(f[0].loc.map(|l| (l.line, l.col)), Some((5, 12)));
    }

    #[test]
    fn an_own_address_among_the_peers_is_an_error() {
        let c = config("vrrp_instance V { interface eth0\n virtual_router_id 1\n unicast_src_ip 10.0.0.2\n unicast_peer {\n 10.0.0.3\n 10.0.0.2\n }\n virtual_ipaddress { 10.0.0.1 }\n}\n");
        let f = node(0, &c);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].severity, f[0].loc.map(|l| l.line)), (Severity::Error, Some(6)));
    }
}
