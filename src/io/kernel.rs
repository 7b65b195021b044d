//! The kernel's view of the network, and the changes vrrpd makes to it.
//!
//! A separate file from `netlink.rs` on purpose: `netlink.rs` is the transport (sockets,
//! sequence numbers, ACKs, dumps, draining); this file is what vrrpd asks through it: the
//! interface table, the events the agent hears, and the VIPs, routes and rules it installs.
//! The transport knows nothing of VRRP or of the configuration.
//!
//! Owns:
//! - the command socket (every request ACKed) and the monitor socket (RTMGRP_LINK,
//!   RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR);
//! - the interface table, by name: index, MAC (for GARP/NA), up (IFF_UP and IFF_RUNNING) and
//!   the addresses the kernel reports. It is filled by a dump at start, kept current by the
//!   monitor, and compared with a fresh dump when the monitor overflowed (ENOBUFS);
//! - `virtual_ipaddress` / `virtual_ipaddress_excluded` (RTM_NEWADDR/RTM_DELADDR),
//!   `virtual_routes` (RTM_NEWROUTE/RTM_DELROUTE) and `virtual_rules` (RTM_NEWRULE/RTM_DELRULE).
//!
//! Invariant: [`Kernel::events`] applies each event to the table before returning it, so what
//! the agent hears and what the table holds never disagree; events keep the kernel's order.
use super::error::DaemonError;
use super::netlink::{Netlink, NetlinkError};
use crate::config::model::{Broadcast, Instance, Route, Rule, Scope, Vip};
use crate::wire::netlink::{self as nl, Parsed};
use crate::wire::Family;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsRawFd, RawFd};

/// One row of the interface table.
#[derive(Debug, Clone, Default)]
pub(crate) struct Iface {
    pub(crate) index: u32,
    pub(crate) mac: [u8; 6],
    /// IFF_UP and IFF_RUNNING.
    pub(crate) up: bool,
    pub(crate) addrs: Vec<IpAddr>,
}

/// A change the agent hears about (it becomes `Input::Link`, `Input::AddressAdded`,
/// `Input::AddressRemoved`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KernelEvent {
    /// The interface went up or down (a deleted interface is down).
    Link { name: String, up: bool },
    /// An address was added (or re-reported) on the interface.
    AddressAdded { interface: String, addr: IpAddr },
    /// An address was removed from the interface, by us or by someone else.
    AddressRemoved { interface: String, addr: IpAddr },
}

pub(crate) struct Kernel {
    cmd: Netlink,
    monitor: Netlink,
    ifaces: HashMap<String, Iface>,
    /// The routes and rules vrrpd installed (the kernel acknowledged them) and has not
    /// removed since: what `vrrpd status` reports as installed.
    routes: Vec<Route>,
    rules: Vec<Rule>,
}

/// One link report into the table, as a `Link` event for [`absorb`]. A link made after start
/// (a VMAC we create) needs its index and MAC in the table at once; a deleted one gets index 0
/// (gone), and so does the old name of a renamed one (same index, another name), reported
/// down. [`absorb`] then drops the gone rows.
#[allow(clippy::too_many_arguments)]
fn note_link(
    ifaces: &mut HashMap<String, Iface>,
    names: &mut HashMap<u32, String>,
    events: &mut Vec<KernelEvent>,
    name: &str,
    index: u32,
    mac: Option<[u8; 6]>,
    deleted: bool,
    up: bool,
) {
    if !deleted {
        if let Some((old, row)) = ifaces.iter_mut().find(|(n, i)| i.index == index && *n != name) {
            row.index = 0;
            events.push(KernelEvent::Link { name: old.clone(), up: false });
        }
        names.insert(index, name.to_string());
    }
    let row = ifaces.entry(name.to_string()).or_default();
    row.index = if deleted { 0 } else { index };
    if let Some(m) = mac {
        row.mac = m;
    }
    events.push(KernelEvent::Link { name: name.to_string(), up: up && !deleted });
}

/// Brings the table up to date with one drain's events, keeping those the agent needs to
/// hear (not a link already in that state), then drops the rows of the links that are gone:
/// on a host with interface churn the table holds what exists, nothing more (every reader
/// treats a missing row as a missing link).
fn absorb(ifaces: &mut HashMap<String, Iface>, mut events: Vec<KernelEvent>) -> Vec<KernelEvent> {
    events.retain(|e| match e {
        KernelEvent::Link { name, up } => {
            let i = ifaces.entry(name.clone()).or_default();
            let changed = i.up != *up;
            i.up = *up;
            changed
        }
        KernelEvent::AddressAdded { interface, addr } => {
            let known = &mut ifaces.entry(interface.clone()).or_default().addrs;
            if !known.contains(addr) {
                known.push(*addr);
            }
            true
        }
        KernelEvent::AddressRemoved { interface, addr } => {
            ifaces.entry(interface.clone()).or_default().addrs.retain(|a| a != addr);
            true
        }
    });
    ifaces.retain(|_, i| i.index != 0);
    events
}

impl crate::proto::status::KernelView for Kernel {
    fn has_address(&self, interface: &str, addr: IpAddr) -> bool {
        self.ifaces.get(interface).is_some_and(|i| i.addrs.contains(&addr))
    }
    fn has_route(&self, route: &Route) -> bool {
        self.routes.contains(route)
    }
    fn has_rule(&self, rule: &Rule) -> bool {
        self.rules.contains(rule)
    }
}

/// Records that `item` is now installed (`add`) or not.
fn note_installed<T: PartialEq + Clone>(list: &mut Vec<T>, item: &T, add: bool) {
    list.retain(|x| x != item);
    if add {
        list.push(item.clone());
    }
}

/// keepalived's scope names as rtnetlink numbers.
/// A route's `proto`: a number, or a name of /etc/iproute2/rt_protos; keepalived's own (18)
/// when none is given.
fn route_protocol(name: Option<&str>) -> u8 {
    match name {
        None | Some("keepalived") => 18,
        Some("redirect") => 1,
        Some("kernel") => 2,
        Some("boot") => 3,
        Some("static") => 4,
        Some("ra") => 9,
        Some("dhcp") => 16,
        Some(other) => other.parse().unwrap_or(18),
    }
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

impl Kernel {
    /// Opens the command and monitor sockets, then dumps links and addresses into the table.
    /// The monitor is bound first, so nothing that changes during the dump is missed.
    pub(crate) fn open() -> Result<Kernel, DaemonError> {
        let cmd = Netlink::command().map_err(DaemonError::Netlink)?;
        let monitor = Netlink::monitor().map_err(DaemonError::Netlink)?;
        let mut k = Kernel { cmd, monitor, ifaces: HashMap::new(), routes: Vec::new(), rules: Vec::new() };
        k.refresh_links().map_err(DaemonError::Netlink)?;
        let names: HashMap<u32, String> = k.ifaces.iter().map(|(n, i)| (i.index, n.clone())).collect();
        let ifaces = &mut k.ifaces;
        k.cmd
            .dump(nl::RTM_GETADDR, &mut |p| {
                if let Parsed::Addr(a) = p {
                    if let (Some(name), Some(addr)) = (names.get(&a.ifindex), a.own_address()) {
                        if let Some(i) = ifaces.get_mut(name) {
                            i.addrs.push(addr);
                        }
                    }
                }
            })
            .map_err(DaemonError::Netlink)?;
        Ok(k)
    }

    /// The monitor socket, to poll for readability.
    pub(crate) fn monitor_fd(&self) -> RawFd {
        self.monitor.fd.as_raw_fd()
    }

    /// The interface table.
    pub(crate) fn interfaces(&self) -> &HashMap<String, Iface> {
        &self.ifaces
    }

    pub(crate) fn iface(&self, name: &str) -> Option<&Iface> {
        self.ifaces.get(name)
    }

    /// Drains the monitor until it would block (re-dumping if it overflowed), updates the
    /// table, and returns the changes for the agent in order. A link report that does not
    /// change the interface's up state is left out; address reports are all passed on.
    pub(crate) fn events(&mut self) -> Vec<KernelEvent> {
        let events = self.drain_monitor();
        absorb(&mut self.ifaces, events)
    }

    /// Everything the monitor reported, then (after ENOBUFS) the differences a full dump shows
    /// against the table, both measured against the table as it was before this drain.
    fn drain_monitor(&mut self) -> Vec<KernelEvent> {
        let mut events = Vec::new();
        let mut names: HashMap<u32, String> = self.ifaces.iter().map(|(n, i)| (i.index, n.clone())).collect();
        let ifaces = &mut self.ifaces;
        let complete = self.monitor.drain(|p| match p {
            Parsed::Link(l) => {
                if let Some(name) = l.name {
                    note_link(ifaces, &mut names, &mut events, name, l.ifindex, l.mac, l.deleted, l.is_up());
                }
            }
            Parsed::Addr(a) => {
                if let (Some(name), Some(addr)) = (names.get(&a.ifindex), a.own_address()) {
                    let interface = name.clone();
                    events.push(if a.deleted {
                        KernelEvent::AddressRemoved { interface, addr }
                    } else {
                        KernelEvent::AddressAdded { interface, addr }
                    });
                }
            }
            _ => {}
        });
        if let Ok(false) = complete {
            // ENOBUFS: events were lost. Re-read the whole state and report the differences.
            log::warn!("Netlink monitor lost events (ENOBUFS) - re-reading links and addresses");
            events.extend(self.redump());
        }
        events
    }

    /// A full dump compared with what we knew: link changes, addresses added and removed.
    /// Records each interface's (possibly new) index as it goes.
    fn redump(&mut self) -> Vec<KernelEvent> {
        let mut links: Vec<(u32, String, bool)> = Vec::new();
        let mut addrs: Vec<(u32, IpAddr)> = Vec::new();
        let r1 = self.cmd.dump(nl::RTM_GETLINK, &mut |p| {
            if let Parsed::Link(l) = p {
                if let Some(n) = l.name {
                    links.push((l.ifindex, n.to_string(), l.is_up()));
                }
            }
        });
        let r2 = self.cmd.dump(nl::RTM_GETADDR, &mut |p| {
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
                out.push(KernelEvent::Link { name: name.clone(), up: *up });
            }
            for a in now_addrs.iter().filter(|a| !old.addrs.contains(a)) {
                out.push(KernelEvent::AddressAdded { interface: name.clone(), addr: *a });
            }
            for a in old.addrs.iter().filter(|a| !now_addrs.contains(a)) {
                out.push(KernelEvent::AddressRemoved { interface: name.clone(), addr: *a });
            }
            self.ifaces.entry(name.clone()).or_default().index = *index;
        }
        out
    }

    /// Re-reads the links (index, MAC, up) into the table, keeping the addresses: after
    /// creating a VMAC, whose index and state the agent and the sockets need before the
    /// monitor reports them (its later reports then change nothing).
    pub(crate) fn refresh_links(&mut self) -> Result<(), NetlinkError> {
        let ifaces = &mut self.ifaces;
        self.cmd.dump(nl::RTM_GETLINK, &mut |p| {
            if let Parsed::Link(l) = p {
                if let Some(name) = l.name {
                    let row = ifaces.entry(name.to_string()).or_default();
                    row.index = l.ifindex;
                    row.mac = l.mac.unwrap_or_default();
                    row.up = l.is_up();
                }
            }
        })
    }

    /// One ACKed request, `msg` as a `wire::netlink` writer built it (its sequence number is
    /// replaced by the socket's next): for `io/vmac.rs`, one code path for all its requests.
    /// `op` names it in errors.
    pub(crate) fn link_request(&mut self, op: &str, msg: &[u8]) -> Result<(), NetlinkError> {
        self.cmd.request(op, &mut |b, seq| {
            let n = msg.len();
            b.get_mut(..n).ok_or(crate::wire::Error::BufferSize)?.copy_from_slice(msg);
            b[8..12].copy_from_slice(&seq.to_ne_bytes());
            Ok(n)
        })
    }

    /// Adds or removes a VIP (`virtual_ipaddress` line) on its `dev`, else on the interface of
    /// `inst`. Already there / already gone is the state we want, not an error.
    pub(crate) fn address(&mut self, inst: Option<&Instance>, vip: &Vip, add: bool) {
        let dev = vip.dev.clone().or_else(|| inst.and_then(|c| c.interface.clone()));
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
        // keepalived: IPv6 VIPs skip duplicate address detection unless `-nodad` asks for it;
        // the other words are the kernel's IFA_F_* flags of the same names (`ip addr`).
        let has = |word: &str| vip.flags.iter().any(|f| f == word);
        let mut flags = 0;
        if vip.addr.is_ipv6() && !has("-nodad") {
            flags |= nl::IFA_F_NODAD;
        }
        for (word, bit) in [
            ("home", nl::IFA_F_HOMEADDRESS),
            ("mngtmpaddr", nl::IFA_F_MANAGETEMPADDR),
            ("noprefixroute", nl::IFA_F_NOPREFIXROUTE),
            ("autojoin", nl::IFA_F_MCAUTOJOIN),
        ] {
            if has(word) {
                flags |= bit;
            }
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
        match self.cmd.request(&op, &mut |b, seq| nl::addr_request(b, add, &req, seq)) {
            Ok(()) => {}
            // Already there / already gone: the state we want.
            Err(NetlinkError::Refused { errno, .. }) if errno == libc::EEXIST || errno == libc::EADDRNOTAVAIL => {}
            // Removing from a link that is gone (a deleted VMAC): the address went with it.
            Err(NetlinkError::Refused { errno, .. }) if !add && errno == libc::ENODEV => {}
            Err(e) => log::error!("{e}"),
        }
    }

    /// virtual_routes: `ip route` semantics (scope link without a gateway, universe with one),
    /// protocol "keepalived" (18) as keepalived marks its routes. The route's `dev`, else the
    /// interface of `inst`, is the output interface of a unicast route.
    pub(crate) fn route(&mut self, inst: Option<&Instance>, r: &Route, add: bool) {
        let dev = r.dev.clone().or_else(|| inst.and_then(|c| c.interface.clone()));
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
        // `ip route`'s defaults: local routes are host scope, broadcast, anycast and multicast
        // link scope, unicast link scope without a gateway; those go out of a device.
        let (default_scope, on_device) = match route_type {
            2 => (nl::RT_SCOPE_HOST, true),
            3..=5 => (nl::RT_SCOPE_LINK, true),
            _ if unicast && r.via.is_empty() => (nl::RT_SCOPE_LINK, true),
            _ => (nl::RT_SCOPE_UNIVERSE, unicast),
        };
        let scope = r.scope.map(scope_number).unwrap_or(default_scope);
        let req = nl::RouteRequest {
            dst: r.dst.0,
            dst_len: r.dst.1,
            src: r.src,
            gateways: &r.via,
            oif: if on_device { oif } else { None },
            // `ip route`: local, broadcast and anycast routes go to the local table by default.
            table: r
                .table
                .unwrap_or(if matches!(route_type, 2..=4) { nl::RT_TABLE_LOCAL } else { nl::RT_TABLE_MAIN } as u32),
            metric: r.metric,
            scope,
            protocol: route_protocol(r.protocol.as_deref()),
            route_type,
            onlink: r.onlink,
        };
        let op = format!("{} {}/{}", if add { "RTM_NEWROUTE" } else { "RTM_DELROUTE" }, r.dst.0, r.dst.1);
        match self.cmd.request(&op, &mut |b, seq| nl::route_request(b, add, &req, seq)) {
            Ok(()) => note_installed(&mut self.routes, r, add),
            Err(NetlinkError::Refused { errno, .. }) if errno == libc::EEXIST || errno == libc::ESRCH => {
                note_installed(&mut self.routes, r, add)
            }
            Err(e) => log::error!("{e}"),
        }
    }

    /// virtual_rules: `ip rule` semantics. The family is that of `from`/`to`, else that of
    /// `inst`, else IPv4.
    pub(crate) fn rule(&mut self, inst: Option<&Instance>, r: &Rule, add: bool) {
        let v4 = r
            .from
            .or(r.to)
            .map(|p| p.0.is_ipv4())
            .unwrap_or_else(|| inst.map(|c| c.family == Family::V4).unwrap_or(true));
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
        match self.cmd.request(op, &mut |b, seq| nl::rule_request(b, add, &req, seq)) {
            Ok(()) => note_installed(&mut self.rules, r, add),
            Err(NetlinkError::Refused { errno, .. }) if errno == libc::EEXIST || errno == libc::ENOENT => {
                note_installed(&mut self.rules, r, add)
            }
            Err(e) => log::error!("{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One drain holding these link reports (name, index, deleted).
    fn drain(ifaces: &mut HashMap<String, Iface>, links: &[(&str, u32, bool)]) -> Vec<KernelEvent> {
        let mut names = HashMap::new();
        let mut events = Vec::new();
        for (name, index, deleted) in links {
            note_link(ifaces, &mut names, &mut events, name, *index, None, *deleted, true);
        }
        absorb(ifaces, events)
    }

    #[test]
    fn the_table_forgets_deleted_and_renamed_links() {
        let mut ifaces = HashMap::new();
        drain(&mut ifaces, &[("eth0", 2, false)]);
        for k in 0..200 {
            let name = format!("veth{k}");
            let up = drain(&mut ifaces, &[(&name, 100 + k, false)]);
            assert_eq!(up, vec![KernelEvent::Link { name: name.clone(), up: true }]);
            let down = drain(&mut ifaces, &[(&name, 100 + k, true)]);
            assert_eq!(down, vec![KernelEvent::Link { name, up: false }]);
        }
        assert_eq!(ifaces.keys().collect::<Vec<_>>(), ["eth0"]);
        // A rename: the old name is down and gone, the new one up.
        let events = drain(&mut ifaces, &[("wan", 2, false)]);
        assert_eq!(
            events,
            vec![
                KernelEvent::Link { name: "eth0".into(), up: false },
                KernelEvent::Link { name: "wan".into(), up: true }
            ]
        );
        assert_eq!(ifaces.keys().collect::<Vec<_>>(), ["wan"]);
        assert_eq!(ifaces["wan"].index, 2);
    }
}
