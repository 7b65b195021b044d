//! `use_vmac`: the private-mode macvlans vrrpd makes for its instances (keepalived
//! netlink_link_add_vmac(), set_interface_parameters(), netlink_link_del_vmac()).
//!
//! The configuration says which VMACs exist (`Instance::vmac` and `addr_vmacs`, named by the
//! loader); [`Vmacs::reconcile`] makes the kernel agree: at start, after a reload has released
//! what it removed, when the monitor reports one of ours deleted, and at shutdown (none).
//!
//! Invariant: only a link in `ours` is ever deleted. A link is ours when we created it, or
//! when it already had the VMAC's name and MAC (our own, left by a run that did not stop
//! cleanly, which keepalived adopts too). An interface of that name with another MAC is not
//! touched: the loader already chose another name for the instance (keepalived
//! create_vmac_name()), and one that appears between the load and the start is reported.
use super::kernel::Kernel;
use super::netlink::NetlinkError;
use crate::config::model::{Config, Instance, Scope, Vip, Vmac};
use crate::wire::netlink as nl;
use std::fmt;
use std::net::IpAddr;

/// keepalived vmac_sysctl: what an IPv4 VMAC needs to answer ARP for its VIPs alone, accept
/// adverts whose source is the base's own address, and keep secondaries on a VIP's removal.
const VMAC_SYSCTLS: [(&str, u8); 4] =
    [("arp_ignore", b'1'), ("accept_local", b'1'), ("rp_filter", b'0'), ("promote_secondaries", b'1')];
/// keepalived parent_sysctl: the base must not answer ARP for the VIPs with its own MAC.
const BASE_SYSCTLS: [&str; 2] = ["arp_ignore", "arp_filter"];

/// Why a VMAC could not be made as asked.
#[derive(Debug)]
pub(crate) enum VmacError {
    /// A /proc/sys write or read failed.
    Sysctl { interface: String, path: String, error: std::io::Error },
    /// The kernel refused a link or address request.
    Netlink { interface: String, error: NetlinkError },
    /// Not made: see [`Refusal`].
    Refused { interface: String, why: Refusal },
}

/// Why a VMAC was not made although the kernel was never asked.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// An interface of its name that is not ours (another MAC).
    Conflict,
    /// Its base interface does not exist.
    NoBase,
}

impl fmt::Display for VmacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmacError::Sysctl { interface, path, error } => write!(f, "VMAC {interface}: {path}: {error}"),
            VmacError::Netlink { interface, error } => write!(f, "VMAC {interface}: {error}"),
            VmacError::Refused { interface, why } => {
                let why = match why {
                    Refusal::Conflict => "conflicts with existing interface",
                    Refusal::NoBase => "has no interface to sit on",
                };
                write!(f, "VMAC {interface} {why}")
            }
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Vmacs {
    /// The links we may delete, by name.
    ours: Vec<String>,
    /// The IPv4 sysctls we changed outside our VMACs (the bases' arp_ignore / arp_filter,
    /// rp_filter of `all` and of the interfaces raised to it), with the values to put back
    /// when no IPv4 VMAC is left.
    saved: Vec<(String, &'static str, u8)>,
    /// keepalived clear_rp_filter() is done.
    rp_cleared: bool,
    /// The VMACs whose missing base was logged (once per loss: every netlink event retries).
    no_base_logged: Vec<String>,
}

/// Where the sysctls are (a test's temporary directory stands in for it).
const PROC_SYS: &str = "/proc/sys";

/// Writes `value` to /proc/sys/net/FAMILY/conf/INTERFACE/NAME, or with None reads its first
/// byte.
fn sysctl(family: &str, interface: &str, name: &str, value: Option<u8>) -> Result<u8, VmacError> {
    sysctl_in(PROC_SYS, family, interface, name, value)
}

/// [`sysctl`] under `root` instead of /proc/sys.
fn sysctl_in(root: &str, family: &str, interface: &str, name: &str, value: Option<u8>) -> Result<u8, VmacError> {
    let path = format!("{root}/net/{family}/conf/{interface}/{name}");
    let done = match value {
        Some(v) => std::fs::write(&path, [v]).map(|_| v),
        None => std::fs::read_to_string(&path).map(|t| t.bytes().next().unwrap_or(b'0')),
    };
    done.map_err(|error| VmacError::Sysctl { interface: interface.to_string(), path, error })
}

/// One ACKed request, the first `n` bytes of `buf` (`n` as the `wire::netlink` writer said).
fn request(
    kernel: &mut Kernel,
    interface: &str,
    op: &str,
    buf: &[u8],
    n: crate::wire::Result<usize>,
) -> Result<(), VmacError> {
    let msg = &buf[..n.unwrap_or(0)];
    kernel.link_request(op, msg).map_err(|error| VmacError::Netlink { interface: interface.to_string(), error })
}

fn refresh(kernel: &mut Kernel, interface: &str) -> Result<(), VmacError> {
    kernel.refresh_links().map_err(|error| VmacError::Netlink { interface: interface.to_string(), error })
}

/// The VMACs `cfg` asks for, with their instances: each instance's own, then those of its
/// VIPs on other interfaces (a shared one comes twice, and is made once).
fn wanted(cfg: &Config) -> impl Iterator<Item = (&Instance, &Vmac)> {
    cfg.instances.iter().flat_map(|i| i.vmac.iter().chain(&i.addr_vmacs).map(move |v| (i, v)))
}

impl Vmacs {
    /// Makes the kernel hold the VMACs `cfg` asks for (None: none, at shutdown): deletes ours
    /// it does not name, lowers all.rp_filter for the first IPv4 one and puts every sysctl
    /// back when none is left, and makes those the kernel lacks (each failure logged).
    /// Returns the names it made, whose sockets must be opened anew. At start, after a reload
    /// has released what it removed, when one of ours was deleted, and at shutdown.
    pub(crate) fn reconcile(&mut self, cfg: Option<&Config>, kernel: &mut Kernel) -> Vec<String> {
        self.sync(cfg, kernel, true)
    }

    /// At reload, before the new configuration applies: makes what `cfg` adds, deletes
    /// nothing and puts nothing back (the removed instances' last adverts leave from their
    /// VMACs; [`Vmacs::reconcile`] comes after them).
    pub(crate) fn add(&mut self, cfg: &Config, kernel: &mut Kernel) {
        self.sync(Some(cfg), kernel, false);
    }

    fn sync(&mut self, cfg: Option<&Config>, kernel: &mut Kernel, delete: bool) -> Vec<String> {
        let want: Vec<(&Instance, &Vmac)> = cfg.map(|c| wanted(c).collect()).unwrap_or_default();
        for name in self.ours.clone() {
            if delete && !want.iter().any(|(_, v)| v.name == name) {
                self.delete(&name, kernel);
            }
        }
        let v4 = want.iter().any(|(_, v)| v.family == crate::wire::Family::V4);
        if v4 && !self.rp_cleared {
            self.rp_cleared = true;
            if let Err(e) = self.clear_rp_filter(kernel, &want) {
                log::error!("{e}");
            }
        }
        if delete {
            self.rp_cleared = v4;
            let v4_bases: Vec<&str> = want
                .iter()
                .filter(|(_, v)| v.family == crate::wire::Family::V4)
                .map(|(_, v)| v.base.as_str())
                .collect();
            self.restore(PROC_SYS, &v4_bases);
        }
        let mut made = Vec::new();
        for (inst, v) in want {
            if kernel.iface(&v.name).is_some_and(|i| i.index != 0) && self.ours.contains(&v.name) {
                continue;
            }
            match self.make(inst, v, kernel) {
                Ok(()) => {
                    self.no_base_logged.retain(|n| *n != v.name);
                    made.push(v.name.clone())
                }
                Err(VmacError::Refused { why: Refusal::NoBase, .. }) if self.no_base_logged.contains(&v.name) => {}
                Err(e) => {
                    if matches!(e, VmacError::Refused { why: Refusal::NoBase, .. }) {
                        self.no_base_logged.push(v.name.clone());
                    }
                    log::error!("({}) {e}", inst.name)
                }
            }
        }
        made
    }

    /// Puts back (under `root`) the saved sysctls no VMAC needs any more: a base's
    /// arp_ignore / arp_filter once it carries no IPv4 VMAC of `v4_bases`, the rp_filter
    /// values once no IPv4 VMAC is left at all.
    fn restore(&mut self, root: &str, v4_bases: &[&str]) {
        self.saved.retain(|(interface, name, value)| {
            let needed =
                if BASE_SYSCTLS.contains(name) { v4_bases.contains(&interface.as_str()) } else { !v4_bases.is_empty() };
            if !needed {
                if let Err(e) = sysctl_in(root, "ipv4", interface, name, Some(*value)) {
                    log::error!("{e}");
                }
            }
            needed
        });
    }

    /// The wanted VMACs of `cfg` that the kernel does not have (their creation failed):
    /// the reactor reports them down, so that their instances go to FAULT as keepalived's
    /// do when their interface is missing, never MASTER on a missing link.
    pub(crate) fn missing(cfg: &Config, kernel: &Kernel) -> Vec<String> {
        let mut out = Vec::new();
        for (_, v) in wanted(cfg) {
            if kernel.iface(&v.name).is_none() && !out.contains(&v.name) {
                out.push(v.name.clone());
            }
        }
        out
    }

    /// One of ours is gone from the kernel (someone deleted it).
    pub(crate) fn lost(&self, kernel: &Kernel) -> bool {
        self.ours.iter().any(|n| kernel.iface(n).is_none_or(|i| i.index == 0))
    }

    fn make(&mut self, inst: &Instance, v: &Vmac, kernel: &mut Kernel) -> Result<(), VmacError> {
        let refused = |why: Refusal| Err(VmacError::Refused { interface: v.name.clone(), why });
        let mut buf = [0u8; 256];
        match kernel.iface(&v.name) {
            Some(i) if i.index != 0 && i.mac != v.mac => return refused(Refusal::Conflict),
            // Our own name and MAC: adopted, set up again below.
            Some(i) if i.index != 0 => {}
            _ => {
                let Some(base) = kernel.iface(&v.base).map(|b| b.index).filter(|&i| i != 0) else {
                    return refused(Refusal::NoBase);
                };
                let n = nl::macvlan_request(&mut buf, &v.name, base, v.mac, 0);
                request(kernel, &v.name, "RTM_NEWLINK macvlan", &buf, n)?;
                // Ours from the ACK on: a failure below must not leave it behind at exit.
                self.ours.push(v.name.clone());
                log::info!("({}): Success creating VMAC interface {}", inst.name, v.name);
                refresh(kernel, &v.name)?;
            }
        }
        if !self.ours.contains(&v.name) {
            self.ours.push(v.name.clone());
        }
        let index = kernel.iface(&v.name).map_or(0, |i| i.index);
        // RFC 5798 §7.4: no link-local made from the VMAC (keepalived sets the mode to none).
        let n = nl::link_set_request(&mut buf, index, false, Some(nl::IN6_ADDR_GEN_MODE_NONE), 0);
        request(kernel, &v.name, "RTM_NEWLINK addrgenmode", &buf, n)?;
        let v6 = v.family == crate::wire::Family::V6;
        // keepalived: no IPv6 on an IPv4 VMAC (an instance's addresses of the other family stay
        // on the base).
        sysctl("ipv6", &v.name, "disable_ipv6", Some(if v6 { b'0' } else { b'1' }))?;
        if !v6 {
            for (name, value) in VMAC_SYSCTLS {
                sysctl("ipv4", &v.name, name, Some(value))?;
            }
            self.set_base(&v.base)?;
        }
        let n = nl::link_set_request(&mut buf, index, true, None, 0);
        request(kernel, &v.name, "RTM_NEWLINK up", &buf, n)?;
        refresh(kernel, &v.name)?;
        if v6 && !v.xmit_base {
            // The adverts leave the VMAC from the base's link-local (keepalived
            // set_link_local_address()), present on the VMAC as keepalived puts it: no DAD,
            // deprecated so that nothing else picks it.
            let ll = kernel.iface(&v.base).and_then(|b| {
                b.addrs.iter().copied().find(|a| matches!(a, IpAddr::V6(x) if x.segments()[0] & 0xffc0 == 0xfe80))
            });
            if let Some(addr) = ll {
                // Kernel::address: IPv6 without DAD, preferred_lft 0, on the VMAC.
                let vip = Vip {
                    addr,
                    prefix: 64,
                    dev: Some(v.name.clone()),
                    brd: None,
                    scope: Scope::Link,
                    label: None,
                    peer: None,
                    no_track: false,
                    flags: Vec::new(),
                    preferred_lft: Some(0),
                    use_vmac: false,
                    loc: inst.loc,
                };
                kernel.address(None, &vip, true);
            }
        }
        Ok(())
    }

    /// The VMAC's rp_filter=0 counts only while all.rp_filter is 0 (the kernel takes the
    /// larger): as keepalived, raise every other interface (and `default`) below the old value
    /// to it, then set all to 0; put back when no IPv4 VMAC is left. Else the adverts heard on
    /// a VMAC, whose reverse route is the base, are dropped under strict rp_filter (measured).
    fn clear_rp_filter(&mut self, kernel: &Kernel, want: &[(&Instance, &Vmac)]) -> Result<(), VmacError> {
        let all = sysctl("ipv4", "all", "rp_filter", None)?;
        if all == b'0' {
            return Ok(());
        }
        let mut names: Vec<&str> = kernel.interfaces().keys().map(String::as_str).collect();
        names.push("default");
        for name in names {
            if want.iter().any(|(_, v)| v.name == name) {
                continue;
            }
            match sysctl("ipv4", name, "rp_filter", None) {
                Ok(old) if old < all => {
                    self.saved.push((name.to_string(), "rp_filter", old));
                    sysctl("ipv4", name, "rp_filter", Some(all))?;
                }
                _ => {}
            }
        }
        log::info!("NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from {} to 0", all - b'0');
        self.saved.push(("all".to_string(), "rp_filter", all));
        sysctl("ipv4", "all", "rp_filter", Some(b'0')).map(|_| ())
    }

    /// arp_ignore=1 and arp_filter=1 on the base, the old values kept the first time.
    fn set_base(&mut self, base: &str) -> Result<(), VmacError> {
        if self.saved.iter().any(|(b, name, _)| b == base && *name == BASE_SYSCTLS[0]) {
            return Ok(());
        }
        for name in BASE_SYSCTLS {
            let old = sysctl("ipv4", base, name, None)?;
            self.saved.push((base.to_string(), name, old));
            sysctl("ipv4", base, name, Some(b'1'))?;
        }
        Ok(())
    }

    fn delete(&mut self, name: &str, kernel: &mut Kernel) {
        self.ours.retain(|n| n != name);
        let Some(index) = kernel.iface(name).map(|i| i.index).filter(|&i| i != 0) else { return };
        let mut buf = [0u8; 32];
        let n = nl::dellink_request(&mut buf, index, 0);
        match request(kernel, name, "RTM_DELLINK", &buf, n) {
            Ok(()) => log::info!("Success removing VMAC interface {name}"),
            Err(e) => log::error!("{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary stand-in for /proc/sys with net/ipv4/conf/IF/NAME = value for each entry.
    fn fake_proc(tag: &str, entries: &[(&str, &str, u8)]) -> String {
        let root = std::env::temp_dir().join(format!("vrrpd-vmac-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (interface, name, value) in entries {
            let dir = root.join(format!("net/ipv4/conf/{interface}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), [*value, b'\n']).unwrap();
        }
        root.to_str().unwrap().to_string()
    }

    #[test]
    fn sysctl_errors_name_the_interface_and_path() {
        let root = fake_proc("errors", &[("lo", "arp_ignore", b'2')]);
        let e = sysctl_in(&root, "ipv4", "nosuch0", "arp_ignore", Some(b'1')).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with(&format!("VMAC nosuch0: {root}/net/ipv4/conf/nosuch0/arp_ignore: ")), "{text}");
        assert!(matches!(sysctl_in(&root, "ipv4", "nosuch0", "arp_filter", None), Err(VmacError::Sysctl { .. })));
        assert!(matches!(sysctl_in(&root, "ipv4", "lo", "arp_ignore", None), Ok(b'2')));
        assert!(matches!(sysctl_in(&root, "ipv4", "lo", "arp_ignore", Some(b'1')), Ok(b'1')));
        assert!(matches!(sysctl_in(&root, "ipv4", "lo", "arp_ignore", None), Ok(b'1')));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_base_gets_its_sysctls_back_when_its_last_vmac_goes() {
        let root = fake_proc(
            "restore",
            &[("eth0", "arp_ignore", b'1'), ("eth1", "arp_ignore", b'1'), ("all", "rp_filter", b'0')],
        );
        let saved = vec![
            ("all".into(), "rp_filter", b'2'),
            ("eth0".into(), "arp_ignore", b'0'),
            ("eth1".into(), "arp_ignore", b'0'),
        ];
        let mut v = Vmacs { saved, ..Vmacs::default() };
        let read = |i: &str, n: &str| sysctl_in(&root, "ipv4", i, n, None).unwrap();
        // eth1's VMACs are gone, eth0 still has one: eth1 alone is put back.
        v.restore(&root, &["eth0"]);
        assert_eq!(
            (read("eth0", "arp_ignore"), read("eth1", "arp_ignore"), read("all", "rp_filter")),
            (b'1', b'0', b'0')
        );
        assert_eq!(v.saved.len(), 2);
        // None left: everything.
        v.restore(&root, &[]);
        assert_eq!((read("eth0", "arp_ignore"), read("all", "rp_filter")), (b'0', b'2'));
        assert!(v.saved.is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn refusals_say_why() {
        let e = VmacError::Refused { interface: "vrrp.1".into(), why: Refusal::NoBase };
        assert_eq!(e.to_string(), "VMAC vrrp.1 has no interface to sit on");
        let e = VmacError::Refused { interface: "vrrp.1".into(), why: Refusal::Conflict };
        assert_eq!(e.to_string(), "VMAC vrrp.1 conflicts with existing interface");
    }
}
