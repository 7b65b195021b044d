//! Root only: `use_vmac` against Debian's keepalived 2.2.7, in both roles. The client `c`
//! pings the VIP and its neighbour entry holds the RFC 5798 §7.3 virtual MAC before and after
//! a failover; the macvlan is private, has the VMAC and carries the VIP on the master; the
//! adverts leave with the VMAC as source (the base's MAC with `vmac_xmit_base`); a deleted
//! VMAC is made again; shutdown removes it; an interface of the same name that is not ours is
//! left alone; IPv6 once; `garp_extra_if`'s periodic GARPs on the other interfaces, vrrpd and
//! keepalived alike. Ignored by default; `make netns-test` runs it.
mod common;
use common::lan::{Lan, VIP};
use std::process::Command;
use std::time::Duration;

const VMAC: &str = "00:00:5e:00:01:33";

fn conf(priority: u8, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority {priority}\n advert_int 0.1\n version 3\n use_vmac\n{extra} virtual_ipaddress {{\n  {VIP}/32\n }}\n}}\n"
    )
}

fn out(args: &[&str]) -> String {
    let o = Command::new(args[0]).args(&args[1..]).output().unwrap();
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn link(lan: &Lan, node: &str, dev: &str) -> String {
    out(&["ip", "-n", &lan.ns(node), "-d", "link", "show", "dev", dev])
}

fn addr_on(lan: &Lan, node: &str, dev: &str, addr: &str) -> bool {
    out(&["ip", "-n", &lan.ns(node), "addr", "show", "dev", dev]).contains(&format!(" {addr}/"))
}

fn sysctl(lan: &Lan, node: &str, path: &str) -> String {
    out(&["ip", "netns", "exec", &lan.ns(node), "cat", &format!("/proc/sys/net/{path}")]).trim().to_string()
}

fn mac_of(lan: &Lan, node: &str) -> String {
    let t = link(lan, node, "enp0s3");
    t.split("link/ether ").nth(1).unwrap().split_whitespace().next().unwrap().to_string()
}

/// The nodes know the client's MAC for good: their replies then never ARP for it, and such a
/// request (sent from the base interface, the route to the client's subnet being there)
/// would teach the client the base's MAC for the VIP, keepalived's nodes alike.
fn pin_client(lan: &Lan) {
    let c = mac_of(lan, "c");
    for n in ["a", "b"] {
        let ns = lan.ns(n);
        common::lan::ip(&[
            "-n",
            &ns,
            "neigh",
            "replace",
            "192.168.31.100",
            "lladdr",
            &c,
            "dev",
            "enp0s3",
            "nud",
            "permanent",
        ]);
    }
}

fn start(lan: &mut Lan, node: &str, who: &str, c: &std::path::Path) {
    if who == "keepalived" {
        lan.start_keepalived(node, c)
    } else {
        lan.start(node, c)
    }
}

/// `high` (150) on a, `low` (100) on b; the client's neighbour entry for the VIP is the VMAC
/// before and after the master is stopped, and the VIP answers on both sides.
fn failover(tag: &str, high: &str, low: &str) {
    let mut lan = Lan::new(tag);
    pin_client(&lan);
    // Strict reverse-path filtering (RHEL's default): the backup must still hear the adverts
    // on its VMAC, whose reverse route is the base (both daemons lower all.rp_filter).
    for n in ["a", "b"] {
        common::lan::ip(&["netns", "exec", &lan.ns(n), "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"]);
    }
    let (ca, cb) = (lan.conf("a.conf", &conf(150, "")), lan.conf("b.conf", &conf(100, "")));
    let adverts = lan.capture_ethernet("c", "ip proto 112");
    start(&mut lan, "a", high, &ca);
    start(&mut lan, "b", low, &cb);
    let on_vmac = |l: &Lan, n: &str| addr_on(l, n, "vrrp.51", VIP);
    lan.wait(Duration::from_secs(6), |l| on_vmac(l, "a"))
        .unwrap_or_else(|| panic!("{high} never put the VIP on vrrp.51:\n{}", lan.log("a")));
    for n in ["a", "b"] {
        let l = link(&lan, n, "vrrp.51");
        assert!(l.contains(&format!("link/ether {VMAC}")) && l.contains("macvlan mode private"), "{n}: {l}");
        assert!(l.contains("addrgenmode none") && l.contains(",UP,"), "{n}: {l}");
    }
    assert!(!on_vmac(&lan, "b") && !lan.has_addr("a", VIP), "the VIP is on the master's VMAC only");
    assert!(lan.client_pings(VIP), "the VIP answers");
    assert!(lan.client_neighbour(VIP).contains(VMAC), "client: {}", lan.client_neighbour(VIP));
    let sent = |_: &Lan| std::fs::read_to_string(&adverts).unwrap_or_default();
    lan.wait(Duration::from_secs(2), |l| sent(l).contains(&format!("{VMAC} > 01:00:5e:00:00:12")))
        .unwrap_or_else(|| panic!("no advert from the VMAC:\n{}", sent(&lan)));
    assert!(!sent(&lan).contains(&format!("{} > 01:00:5e", mac_of(&lan, "a"))), "an advert from a's own MAC");

    lan.signal("a", "TERM");
    lan.wait(Duration::from_secs(3), |l| on_vmac(l, "b"))
        .unwrap_or_else(|| panic!("{low} never took over:\n{}", lan.log("b")));
    assert!(lan.client_pings(VIP), "the VIP answers after the failover");
    assert!(lan.client_neighbour(VIP).contains(VMAC), "after failover: {}", lan.client_neighbour(VIP));
    assert_eq!(lan.wait_exit("a", Duration::from_secs(3)), Some(0));
    assert!(link(&lan, "a", "vrrp.51").is_empty(), "a's VMAC is removed at shutdown");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn vrrpd_master_keepalived_backup() {
    failover("vm1", "vrrpd", "keepalived");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn keepalived_master_vrrpd_backup() {
    failover("vm2", "keepalived", "vrrpd");
}

/// vrrpd alone: the sysctls it sets and puts back, a deleted VMAC made again, an interface of
/// the VMAC's name that is not ours left alone (the instance takes `vrrp1.52`), adverts from
/// the base's MAC with vmac_xmit_base, and nothing of ours left after shutdown.
#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn sysctls_recreation_foreign_name_and_xmit_base() {
    let mut lan = Lan::new("vm3");
    let ns = lan.ns("a");
    // Not ours: a veth pair whose one end has the default name of VRID 52's VMAC.
    common::lan::ip(&["-n", &ns, "link", "add", "vrrp.52", "type", "veth", "peer", "name", "other52"]);
    // Another interface with a VIP of VI_2: use_vmac_addr.
    common::lan::ip(&["-n", &ns, "link", "add", "ex0", "type", "veth", "peer", "name", "ex1"]);
    common::lan::ip(&["-n", &ns, "link", "set", "ex0", "up"]);
    common::lan::ip(&["-n", &ns, "link", "set", "ex1", "up"]);
    let text = format!(
        "{}vrrp_instance VI_2 {{\n interface enp0s3\n virtual_router_id 52\n priority 150\n advert_int 0.1\n version 3\n use_vmac\n use_vmac_addr\n virtual_ipaddress {{\n  192.168.31.241/32\n  10.9.9.9/32 dev ex0\n }}\n}}\n",
        conf(150, " vmac_xmit_base\n")
    );
    let c = lan.conf("a.conf", &text);
    common::lan::ip(&["netns", "exec", &ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"]);
    let adverts = lan.capture_ethernet("c", "ip proto 112");
    let extra = lan.capture_ethernet_on("a", "ex1", "arp");
    lan.start("a", &c);
    lan.wait(Duration::from_secs(6), |l| {
        addr_on(l, "a", "vrrp.51", VIP) && addr_on(l, "a", "vrrp1.52", "192.168.31.241")
    })
    .unwrap_or_else(|| panic!("no VIPs on vrrp.51 / vrrp1.52:\n{}", lan.log("a")));
    assert!(link(&lan, "a", "vrrp.52").contains("veth"), "the foreign vrrp.52 is untouched");
    assert!(link(&lan, "a", "vrrp1.52").contains("link/ether 00:00:5e:00:01:34"));
    // keepalived's sysctls: the VMAC answers ARP for its own addresses only, accepts the
    // base's address as a source; the base stops answering for the VIPs.
    for (p, v) in [("arp_ignore", "1"), ("accept_local", "1"), ("rp_filter", "0"), ("promote_secondaries", "1")] {
        assert_eq!(sysctl(&lan, "a", &format!("ipv4/conf/vrrp.51/{p}")), v, "vrrp.51 {p}");
    }
    assert_eq!(sysctl(&lan, "a", "ipv6/conf/vrrp.51/disable_ipv6"), "1");
    for p in ["arp_ignore", "arp_filter"] {
        assert_eq!(sysctl(&lan, "a", &format!("ipv4/conf/enp0s3/{p}")), "1", "enp0s3 {p}");
    }
    // keepalived clear_rp_filter(): all to 0, the others raised to its old value.
    assert_eq!(sysctl(&lan, "a", "ipv4/conf/all/rp_filter"), "0");
    assert_eq!(sysctl(&lan, "a", "ipv4/conf/enp0s3/rp_filter"), "1");
    // vmac_xmit_base: VRID 51 from the base's MAC, VRID 52 from its VMAC.
    let base = mac_of(&lan, "a");
    let sent = |_: &Lan| std::fs::read_to_string(&adverts).unwrap_or_default();
    let from = |t: &str, mac: &str, vrid: u8| {
        t.lines().any(|l| l.starts_with_mac(mac) && l.contains(&format!("vrid {vrid},")))
    };
    lan.wait(Duration::from_secs(2), |l| from(&sent(l), &base, 51) && from(&sent(l), "00:00:5e:00:01:34", 52))
        .unwrap_or_else(|| panic!("adverts:\n{}", sent(&lan)));
    assert!(!from(&sent(&lan), VMAC, 51), "xmit_base: no advert from the VMAC");
    // The VIP on ex0: its GARPs carry VI_2's VMAC (use_vmac_addr).
    let arps = |_: &Lan| {
        let t = std::fs::read_to_string(&extra).unwrap_or_default();
        t.lines().filter(|l| l.starts_with_mac("00:00:5e:00:01:34") && l.contains("10.9.9.9")).count()
    };
    // keepalived: the VIP goes on a VMAC of ex0 (the next free name), with the same MAC.
    let l = link(&lan, "a", "vrrp2.52");
    assert!(l.contains("vrrp2.52@ex0") && l.contains("macvlan mode private") && l.contains("00:00:5e:00:01:34"), "{l}");
    assert!(addr_on(&lan, "a", "vrrp2.52", "10.9.9.9"));
    lan.wait(Duration::from_secs(2), |l| arps(l) >= 1).unwrap_or_else(|| {
        panic!("GARPs for 10.9.9.9 from the VMAC on ex0:\n{}", std::fs::read_to_string(&extra).unwrap())
    });

    // Deleted by someone else: made again, and the instance is master on it again.
    common::lan::ip(&["-n", &ns, "link", "del", "vrrp1.52"]);
    lan.wait(Duration::from_secs(6), |l| addr_on(l, "a", "vrrp1.52", "192.168.31.241"))
        .unwrap_or_else(|| panic!("vrrp1.52 not made again:\n{}", lan.log("a")));
    assert!(link(&lan, "a", "vrrp1.52").contains("macvlan mode private"));
    let before = sent(&lan).lines().filter(|l| l.contains("vrid 52,")).count();
    lan.wait(Duration::from_secs(2), |l| sent(l).lines().filter(|l| l.contains("vrid 52,")).count() > before + 3)
        .expect("adverts on the new VMAC");

    lan.signal("a", "TERM");
    assert_eq!(lan.wait_exit("a", Duration::from_secs(3)), Some(0));
    for v in ["vrrp.51", "vrrp1.52", "vrrp2.52"] {
        assert!(link(&lan, "a", v).is_empty(), "{v} removed");
    }
    assert!(link(&lan, "a", "vrrp.52").contains("veth"), "the foreign vrrp.52 still there");
    for p in ["arp_ignore", "arp_filter", "rp_filter"] {
        assert_eq!(sysctl(&lan, "a", &format!("ipv4/conf/enp0s3/{p}")), "0", "enp0s3 {p} put back");
    }
    assert_eq!(sysctl(&lan, "a", "ipv4/conf/all/rp_filter"), "1", "all.rp_filter put back");
}

/// IPv6: vrrpd master, keepalived backup, both on vrrp.53 with 00:00:5e:00:02:35; the VMAC
/// carries the base's link-local, the VIP on the master, and the adverts' source MAC.
#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn ipv6_vmac() {
    let mut lan = Lan::new("vm4");
    lan.wait_link_local();
    let text = |p: u8| {
        format!("vrrp_instance V6 {{\n interface enp0s3\n virtual_router_id 53\n priority {p}\n advert_int 0.1\n use_vmac\n virtual_ipaddress {{\n  2001:db8:31::53/64\n }}\n}}\n")
    };
    let (ca, cb) = (lan.conf("a.conf", &text(150)), lan.conf("b.conf", &text(100)));
    let adverts = lan.capture_ethernet("c", "ip6 proto 112");
    lan.start("a", &ca);
    lan.start_keepalived("b", &cb);
    lan.wait(Duration::from_secs(6), |l| addr_on(l, "a", "vrrp.53", "2001:db8:31::53"))
        .unwrap_or_else(|| panic!("no IPv6 VIP on vrrp.53:\n{}", lan.log("a")));
    let l = link(&lan, "a", "vrrp.53");
    assert!(l.contains("link/ether 00:00:5e:00:02:35") && l.contains("macvlan mode private"), "{l}");
    let ll = out(&["ip", "-n", &lan.ns("a"), "-6", "addr", "show", "dev", "enp0s3", "scope", "link"]);
    let ll = ll.split("inet6 ").nth(1).unwrap().split('/').next().unwrap().to_string();
    assert!(addr_on(&lan, "a", "vrrp.53", &ll), "the base's link-local {ll} on the VMAC");
    let sent = |_: &Lan| std::fs::read_to_string(&adverts).unwrap_or_default();
    lan.wait(Duration::from_secs(2), |l| sent(l).contains("00:00:5e:00:02:35 > 33:33:00:00:00:12"))
        .unwrap_or_else(|| panic!("adverts:\n{}", sent(&lan)));
    assert!(!addr_on(&lan, "b", "vrrp.53", "2001:db8:31::53"), "keepalived stays backup");
    assert!(!lan.log("b").contains("Entering MASTER"), "keepalived never master:\n{}", lan.log("b"));
}

trait StartsWithMac {
    fn starts_with_mac(&self, mac: &str) -> bool;
}

impl StartsWithMac for str {
    /// tcpdump -e lines: "HH:MM:SS.ffffff SRC > DST, ...".
    fn starts_with_mac(&self, mac: &str) -> bool {
        self.split_whitespace().nth(1) == Some(mac)
    }
}

/// A reload that drops an instance removes its VMAC (keepalived: "(VI_2) Success removing
/// VMAC interface vrrp.52", measured) and keeps the others.
#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn reload_removes_the_vmac_of_a_removed_instance() {
    let mut lan = Lan::new("vm5");
    let two = format!(
        "{}vrrp_instance VI_2 {{\n interface enp0s3\n virtual_router_id 52\n priority 150\n advert_int 0.1\n version 3\n use_vmac\n virtual_ipaddress {{\n  192.168.31.241/32\n }}\n}}\n",
        conf(150, "")
    );
    let c = lan.conf("a.conf", &two);
    lan.start("a", &c);
    lan.wait(Duration::from_secs(6), |l| addr_on(l, "a", "vrrp.52", "192.168.31.241"))
        .unwrap_or_else(|| panic!("VI_2 never master on vrrp.52:\n{}", lan.log("a")));
    std::fs::write(&c, conf(150, "")).unwrap();
    lan.signal("a", "HUP");
    lan.wait(Duration::from_secs(3), |l| link(l, "a", "vrrp.52").is_empty())
        .unwrap_or_else(|| panic!("vrrp.52 still there after the reload:\n{}", lan.log("a")));
    assert!(addr_on(&lan, "a", "vrrp.51", VIP), "VI_1 keeps its VMAC and VIP");
}

/// `garp_extra_if all 1` (keepalived vrrp_send_vmac_update()): while MASTER, one GARP a second
/// on each other interface holding a VIP, from that interface's MAC: the VMAC of ex0
/// (`use_vmac` on the VIP line) and, for `all`, the plain ex2; none on the instance's own
/// VMAC after the first burst (its adverts keep it fresh). Run on vrrpd and on keepalived.
fn garp_extra_if(tag: &str, who: &str) {
    let mut lan = Lan::new(tag);
    let ns = lan.ns("a");
    for (x, peer) in [("ex0", "ex1"), ("ex2", "ex3")] {
        common::lan::ip(&["-n", &ns, "link", "add", x, "type", "veth", "peer", "name", peer]);
        common::lan::ip(&["-n", &ns, "link", "set", x, "up"]);
        common::lan::ip(&["-n", &ns, "link", "set", peer, "up"]);
    }
    let ex2 = out(&["ip", "-n", &ns, "link", "show", "dev", "ex2"]);
    let ex2 = ex2.split("link/ether ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let text = format!(
        "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority 150\n advert_int 0.1\n version 3\n use_vmac\n garp_master_delay 0\n garp_master_repeat 1\n garp_extra_if all 1\n virtual_ipaddress {{\n  {VIP}/32\n  10.9.9.9/32 dev ex0 use_vmac\n  10.8.8.8/32 dev ex2\n }}\n}}\n"
    );
    let c = lan.conf("a.conf", &text);
    let base = lan.capture_ethernet_on("a", "enp0s3", "arp");
    let (vmac_side, plain_side) =
        (lan.capture_ethernet_on("a", "ex1", "arp"), lan.capture_ethernet_on("a", "ex3", "arp"));
    start(&mut lan, "a", who, &c);
    // The times (seconds of the day) of the GARPs for `vip` from `mac` in a capture.
    let times = |f: &std::path::Path, mac: &str, vip: &str| -> Vec<f64> {
        let t = std::fs::read_to_string(f).unwrap_or_default();
        let garp = |l: &&str| {
            l.starts_with_mac(mac) && l.contains(&format!("who-has {vip} (")) && l.contains(&format!("tell {vip},"))
        };
        let secs = |l: &str| {
            let hms: Vec<f64> =
                l.split_whitespace().next()?.split(':').map(|x| x.parse().ok()).collect::<Option<_>>()?;
            Some(hms[0] * 3600.0 + hms[1] * 60.0 + hms[2])
        };
        t.lines().filter(garp).filter_map(secs).collect()
    };
    let want = [(&vmac_side, VMAC, "10.9.9.9"), (&plain_side, ex2.as_str(), "10.8.8.8")];
    lan.wait(Duration::from_secs(10), |_| want.iter().all(|(f, m, v)| times(f, m, v).len() >= 4)).unwrap_or_else(
        || {
            let show = |f: &std::path::Path| std::fs::read_to_string(f).unwrap_or_default();
            panic!("{who}: GARPs on ex1:\n{}\non ex3:\n{}\n{}", show(&vmac_side), show(&plain_side), lan.log("a"))
        },
    );
    // The first from the MASTER burst, then one each DELAY: keepalived looks at its timer when
    // it sends an advert, so one advert_int late at most.
    let late = 0.1 + common::lan::LOAD_MARGIN_MS as f64 / 1000.0;
    for (f, m, v) in want {
        let t = times(f, m, v);
        for w in t.windows(2) {
            let gap = (w[1] - w[0]).rem_euclid(86400.0);
            assert!((0.95..1.0 + late).contains(&gap), "{who}: {v} from {m}: gaps {t:?}");
        }
    }
    assert_eq!(times(&base, VMAC, VIP).len(), 1, "{who}: one GARP on the own VMAC, none periodic");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn garp_extra_if_vrrpd() {
    garp_extra_if("vm6", "vrrpd");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn garp_extra_if_keepalived() {
    garp_extra_if("vm7", "keepalived");
}

/// vrrpd in `node`'s namespace without capability `cap` (setpriv drops it from the bounding
/// set, so the exec'd daemon never has it), logging to NODE.log.
fn start_without(lan: &mut Lan, node: &str, cap: &str, c: &std::path::Path) -> std::path::PathBuf {
    let log = c.with_file_name(format!("{node}.log"));
    let child = std::process::Command::new("ip")
        .args(["netns", "exec", &lan.ns(node), "setpriv", "--bounding-set", cap, env!("CARGO_BIN_EXE_vrrpd")])
        .args(["-n", "-l", "-D", "-G", "-f"])
        .arg(c)
        .arg("-p")
        .arg(c.with_extension("pid"))
        .arg("-r")
        .arg(c.with_extension("vrrp.pid"))
        .arg("--control-socket")
        .arg(lan.control_socket(node))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    lan.adopt(node, child);
    log
}

/// A start that fails (no CAP_NET_RAW: the packet socket cannot be opened) exits non-zero and
/// leaves no VMAC and no changed sysctl behind: the VMACs are made after the set-up steps that
/// can fail.
#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn a_failed_start_leaves_nothing_behind() {
    let mut lan = Lan::new("vm6");
    common::lan::ip(&["netns", "exec", &lan.ns("a"), "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"]);
    let c = lan.conf("a.conf", &conf(150, ""));
    let log = start_without(&mut lan, "a", "-net_raw", &c);
    assert_eq!(lan.wait_exit("a", Duration::from_secs(5)), Some(1), "{}", std::fs::read_to_string(&log).unwrap());
    assert!(link(&lan, "a", "vrrp.51").is_empty(), "no VMAC left: {}", std::fs::read_to_string(&log).unwrap());
    for p in ["arp_ignore", "arp_filter"] {
        assert_eq!(sysctl(&lan, "a", &format!("ipv4/conf/enp0s3/{p}")), "0", "enp0s3 {p} untouched");
    }
    assert_eq!(sysctl(&lan, "a", "ipv4/conf/all/rp_filter"), "1", "all.rp_filter untouched");
}

/// A VMAC the kernel refuses to make (no CAP_NET_ADMIN) is a missing link: the instance goes
/// to FAULT, as keepalived's does when its interface is missing, never MASTER.
#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn a_vmac_that_could_not_be_made_is_fault() {
    let mut lan = Lan::new("vm7");
    let c = lan.conf("a.conf", &conf(150, ""));
    let log = start_without(&mut lan, "a", "-net_admin", &c);
    let text = |_: &Lan| std::fs::read_to_string(&log).unwrap_or_default();
    lan.wait(Duration::from_secs(3), |l| text(l).contains("(VI_1) entering FAULT state"))
        .unwrap_or_else(|| panic!("VI_1 not FAULT:\n{}", text(&lan)));
    // Well past the master-down interval (3 x 0.1 s + skew): still not MASTER.
    std::thread::sleep(Duration::from_millis(800));
    assert!(!text(&lan).contains("Entering MASTER STATE"), "{}", text(&lan));
}

/// Each re-creation of a deleted VMAC replaces its sockets: the daemon's file descriptors are
/// as many after 20 deletions as before (the old receive socket is closed, its slot reused).
#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn recreating_a_vmac_leaks_no_descriptor() {
    let mut lan = Lan::new("vm8");
    let c = lan.conf("a.conf", &conf(150, ""));
    lan.start("a", &c);
    let master = |l: &Lan| addr_on(l, "a", "vrrp.51", VIP);
    lan.wait(Duration::from_secs(6), master).unwrap_or_else(|| panic!("never master:\n{}", lan.log("a")));
    let fds = |l: &Lan| std::fs::read_dir(format!("/proc/{}/fd", l.pid("a"))).unwrap().count();
    let before = fds(&lan);
    let ns = lan.ns("a");
    for k in 0..20 {
        let old = link(&lan, "a", "vrrp.51");
        common::lan::ip(&["-n", &ns, "link", "del", "vrrp.51"]);
        lan.wait(Duration::from_secs(3), |l| {
            let now = link(l, "a", "vrrp.51");
            !now.is_empty() && now != old && l.log("a").matches("Success creating VMAC").count() > k + 1
        })
        .unwrap_or_else(|| panic!("vrrp.51 not made again ({k}):\n{}", lan.log("a")));
    }
    lan.wait(Duration::from_secs(6), master).unwrap_or_else(|| panic!("not master again:\n{}", lan.log("a")));
    lan.wait(Duration::from_secs(2), |l| fds(l) == before)
        .unwrap_or_else(|| panic!("{} descriptors before, {} after 20 re-creations", before, fds(&lan)));
}

/// A base that is gone for good (its VMAC went with it) is logged once, not at every netlink
/// event that makes vrrpd try again.
#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn a_lost_base_is_logged_once() {
    let mut lan = Lan::new("vm9");
    let ns = lan.ns("a");
    common::lan::ip(&["-n", &ns, "link", "add", "ex0", "type", "veth", "peer", "name", "ex1"]);
    common::lan::ip(&["-n", &ns, "addr", "add", "10.9.8.1/24", "dev", "ex0"]);
    common::lan::ip(&["-n", &ns, "link", "set", "ex0", "up"]);
    common::lan::ip(&["-n", &ns, "link", "set", "ex1", "up"]);
    let two = format!(
        "{}vrrp_instance VI_2 {{\n interface ex0\n virtual_router_id 52\n priority 150\n advert_int 0.1\n version 3\n use_vmac\n virtual_ipaddress {{\n  10.9.9.9/32\n }}\n}}\n",
        conf(150, "")
    );
    let c = lan.conf("a.conf", &two);
    lan.start_with_options("a", &c, &["-a"]);
    lan.wait(Duration::from_secs(6), |l| addr_on(l, "a", "vrrp.52", "10.9.9.9"))
        .unwrap_or_else(|| panic!("VI_2 never master on vrrp.52:\n{}", lan.log("a")));
    common::lan::ip(&["-n", &ns, "link", "del", "ex0"]);
    for k in 1..=5 {
        let a = format!("10.7.7.{k}/32");
        common::lan::ip(&["-n", &ns, "addr", "add", &a, "dev", "enp0s3"]);
        common::lan::ip(&["-n", &ns, "addr", "del", &a, "dev", "enp0s3"]);
    }
    lan.wait(Duration::from_secs(3), |l| l.log("a").contains("address 10.7.7.5 removed"))
        .unwrap_or_else(|| panic!("address events not seen:\n{}", lan.log("a")));
    assert_eq!(lan.log("a").matches("has no interface to sit on").count(), 1, "{}", lan.log("a"));
}

/// A reload adding an instance makes its VMAC before the instance acts: an address owner
/// (priority 255) goes MASTER at once, and its VIP must land on the new VMAC.
#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn reload_makes_the_new_vmac_before_the_instance_acts() {
    let mut lan = Lan::new("vm10");
    let c = lan.conf("a.conf", &conf(150, ""));
    lan.start("a", &c);
    lan.wait(Duration::from_secs(6), |l| addr_on(l, "a", "vrrp.51", VIP))
        .unwrap_or_else(|| panic!("VI_1 never master:\n{}", lan.log("a")));
    let two = format!(
        "{}vrrp_instance VI_2 {{\n interface enp0s3\n virtual_router_id 52\n priority 255\n advert_int 0.1\n version 3\n use_vmac\n virtual_ipaddress {{\n  192.168.31.241/32\n }}\n}}\n",
        conf(150, "")
    );
    std::fs::write(&c, two).unwrap();
    lan.signal("a", "HUP");
    lan.wait(Duration::from_secs(3), |l| addr_on(l, "a", "vrrp.52", "192.168.31.241"))
        .unwrap_or_else(|| panic!("VI_2's VIP not on vrrp.52:\n{}", lan.log("a")));
    assert!(!lan.log("a").contains("no such interface"), "{}", lan.log("a"));
}
