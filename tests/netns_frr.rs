//! Root only: FRR 8.4's vrrpd (Debian's `frr`) as the second peer, in both roles: VRRPv3 over
//! IPv4 and IPv6, VRRPv2, at 1 s and 100 ms, the peer killed (the backup waits
//! Master_Down_Interval) and stopped gracefully (priority 0: the backup waits Skew_Time).
//!
//! FRR runs by hand inside node a's namespace: its own zebra and vrrpd, with sockets, pid
//! files, vty sockets and logs in the test's directory (never the packaged service, never
//! /var/run/frr). FRR does not add addresses: it needs a macvlan per virtual router with the
//! virtual MAC and the VIP on it, which its zebra holds in protodown while FRR is not the
//! master (FRR's docs). The macvlan is created first and `addrgenmode random` set after: this
//! kernel refuses both in one `ip link add`.
//!
//! Ignored by default; `make test` runs it as root when FRR is installed (CI installs it).
mod common;
use common::lan::{ip, Lan, LOAD_MARGIN_MS, VIP};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VRID: u8 = 51;
const VIP6: &str = "2001:db8:31::240";
const FRR: &str = "/usr/lib/frr";

#[derive(Clone, Copy, PartialEq, Debug)]
enum Family {
    V4,
    V6,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Stop {
    /// SIGKILL: no last advert.
    Kill,
    /// SIGTERM: the master sends priority 0 (both FRR and vrrpd do).
    Graceful,
}

/// One run: the master has priority 200, the backup 100; `vrrpd_master` says which is which.
#[derive(Clone, Copy, Debug)]
struct Case {
    version: u8,
    family: Family,
    interval_ms: u64,
    vrrpd_master: bool,
    stop: Stop,
}

impl Case {
    fn vip(&self) -> &'static str {
        match self.family {
            Family::V4 => VIP,
            Family::V6 => VIP6,
        }
    }

    /// The macvlan FRR uses: RFC 5798 §7.3's MAC, 00:00:5e:00:01:VRID or 00:00:5e:00:02:VRID.
    fn macvlan(&self) -> (&'static str, String) {
        match self.family {
            Family::V4 => ("vrrp4-51", format!("00:00:5e:00:01:{VRID:02x}")),
            Family::V6 => ("vrrp6-51", format!("00:00:5e:00:02:{VRID:02x}")),
        }
    }

    /// Skew_Time and Master_Down_Interval of the priority-100 backup, microseconds
    /// (RFC 5798 §6.1: (256 - priority) x interval / 256; 3 x interval + skew).
    fn backup_times_us(&self) -> (u64, u64) {
        let skew = (256 - 100) * self.interval_ms * 1000 / 256;
        (skew, 3 * self.interval_ms * 1000 + skew)
    }
}

/// FRR's zebra and vrrpd in `node`'s namespace, run in the foreground by the test.
struct FrrNode {
    dir: PathBuf,
}

impl FrrNode {
    fn start(lan: &mut Lan, node: &str, case: Case, priority: u8) -> FrrNode {
        let dir = lan.dir.0.join(format!("frr-{node}"));
        std::fs::create_dir_all(&dir).unwrap();
        // The daemons drop to user frr (their vty group is frrvty): the directory is theirs.
        let chown = Command::new("chown").args(["-R", "frr:frr"]).arg(&dir).status().unwrap();
        assert!(chown.success());
        let ns = lan.ns(node);
        let (link, mac) = case.macvlan();
        ip(&["-n", &ns, "link", "add", link, "link", "enp0s3", "type", "macvlan", "mode", "bridge"]);
        ip(&["-n", &ns, "link", "set", "dev", link, "addrgenmode", "random"]);
        ip(&["-n", &ns, "link", "set", "dev", link, "address", &mac]);
        let vip_prefix = match case.family {
            Family::V4 => format!("{VIP}/24"),
            Family::V6 => format!("{VIP6}/64"),
        };
        ip(&["-n", &ns, "addr", "add", &vip_prefix, "dev", link]);
        ip(&["-n", &ns, "link", "set", "dev", link, "up"]);
        let address = match case.family {
            Family::V4 => "ip",
            Family::V6 => "ipv6",
        };
        let conf = format!(
            "interface enp0s3\n vrrp {VRID} version {}\n vrrp {VRID} priority {priority}\n \
             vrrp {VRID} advertisement-interval {}\n vrrp {VRID} {address} {}\n",
            case.version,
            case.interval_ms,
            case.vip()
        );
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        write("zebra.conf", "");
        write("vrrpd.conf", &conf);
        let frr = FrrNode { dir };
        let zebra = frr.command(&ns, "zebra").spawn().unwrap();
        lan.adopt(&format!("{node}-frr-zebra"), zebra);
        // FRR's vrrpd started before zebra listens never picks the macvlan up (measured: it
        // stays in Initialize); wait for zebra's socket first.
        let zserv = frr.dir.join("zserv.api");
        lan.wait(Duration::from_secs(10), |_| zserv.exists()).expect("zebra listens");
        let vrrpd = frr.command(&ns, "vrrpd").spawn().unwrap();
        lan.adopt(&format!("{node}-frr-vrrpd"), vrrpd);
        frr
    }

    fn command(&self, ns: &str, daemon: &str) -> Command {
        let d = |name: &str| self.dir.join(name).display().to_string();
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, &format!("{FRR}/{daemon}"), "-u", "frr", "-g", "frr", "-P", "0"]);
        c.args(["--log", &format!("file:{}", d(&format!("{daemon}.log")))]);
        c.args(["-z", &d("zserv.api"), "--vty_socket", &d(""), "-i", &d(&format!("{daemon}.pid"))]);
        c.args(["-f", &d(&format!("{daemon}.conf"))]);
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        c
    }

    /// FRR's state of the virtual router for the case's family ("Initialize", "Backup",
    /// "Master"), from `show vrrp 51 json` through the test's vty socket.
    fn status(&self, family: Family) -> String {
        let out = Command::new("vtysh")
            .arg("--vty_socket")
            .arg(&self.dir)
            .args(["-c", &format!("show vrrp {VRID} json")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let key = match family {
            Family::V4 => "\"v4\":{",
            Family::V6 => "\"v6\":{",
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        compact
            .split_once(key)
            .and_then(|(_, rest)| rest.split_once("\"status\":\""))
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(s, _)| s.to_string())
            .unwrap_or_default()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("vrrpd.log")).unwrap_or_default()
    }
}

fn vrrpd_conf(case: Case, priority: u8) -> String {
    let interval = if case.interval_ms >= 1000 { format!("{}", case.interval_ms / 1000) } else { "0.1".into() };
    let vip = match case.family {
        Family::V4 => format!("{VIP}/32"),
        Family::V6 => format!("{VIP6}/128"),
    };
    format!(
        "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id {VRID}\n priority {priority}\n \
         advert_int {interval}\n version {}\n virtual_ipaddress {{\n  {vip}\n }}\n}}\n",
        case.version
    )
}

/// FRR's macvlan is out of protodown (FRR is the master there).
fn frr_link_up(lan: &Lan, case: Case) -> bool {
    let out = Command::new("ip").args(["-n", &lan.ns("a"), "-d", "link", "show", case.macvlan().0]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.contains("protodown off") || (!text.contains("protodown on") && text.contains("state UP"))
}

/// FRR on node a, vrrpd on node b; the master at 200, the backup at 100; the master stopped.
fn run(tag: &str, case: Case) {
    assert!(std::path::Path::new(&format!("{FRR}/vrrpd")).exists(), "FRR is not installed");
    let mut lan = Lan::new(tag);
    if case.family == Family::V6 {
        lan.wait_link_local();
    }
    let (frr_priority, vrrpd_priority) = if case.vrrpd_master { (100, 200) } else { (200, 100) };
    let conf = lan.conf("b.conf", &vrrpd_conf(case, vrrpd_priority));
    // The backup first, so that the master's first adverts find it listening.
    let frr = if case.vrrpd_master {
        let frr = FrrNode::start(&mut lan, "a", case, frr_priority);
        lan.start("b", &conf);
        frr
    } else {
        lan.start("b", &conf);
        FrrNode::start(&mut lan, "a", case, frr_priority)
    };
    let vip = case.vip();
    let (skew_us, down_us) = case.backup_times_us();
    let settle = Duration::from_millis(3 * case.interval_ms + 6_000);
    let (master, backup) = if case.vrrpd_master { ("Backup", "Master") } else { ("Master", "Backup") };
    // vrrpd follows FRR when FRR is the master: its status names FRR's address.
    let frr_address = if case.family == Family::V4 { "192.168.31.20" } else { "fe80::" };
    let settled = lan.wait(settle, |l| {
        let ours = l.ctl("b", &["status", "VI_1"]).1;
        frr.status(case.family) == master
            && ours.contains(&format!("VI_1: {}", backup.to_uppercase()))
            && (case.vrrpd_master || ours.contains(&format!("master: {frr_address}")))
    });
    assert!(
        settled.is_some(),
        "{case:?}: FRR {} / vrrpd {}\n{}\n{}",
        frr.status(case.family),
        lan.ctl("b", &["status"]).1,
        frr.log(),
        lan.log("b")
    );
    // One master: the VIP (or FRR's macvlan) is live on exactly one side.
    assert_eq!(lan.has_addr("b", vip), case.vrrpd_master, "{case:?}");
    assert_eq!(frr_link_up(&lan, case), !case.vrrpd_master, "{case:?}");

    // Stop the master.
    let (victim, signal) = match (case.vrrpd_master, case.stop) {
        (true, Stop::Kill) => ("b", "KILL"),
        (true, Stop::Graceful) => ("b", "TERM"),
        (false, Stop::Kill) => ("a-frr-vrrpd", "KILL"),
        (false, Stop::Graceful) => ("a-frr-vrrpd", "TERM"),
    };
    let start = Instant::now();
    lan.signal(victim, signal);
    let limit_us = match case.stop {
        Stop::Kill => down_us,
        Stop::Graceful => skew_us,
    } + LOAD_MARGIN_MS * 1000;
    let took = if case.vrrpd_master {
        lan.wait(Duration::from_micros(limit_us + 2_000_000), |l| frr_link_up(l, case))
    } else {
        lan.wait(Duration::from_micros(limit_us + 2_000_000), |l| l.has_addr("b", vip))
    };
    let took = took.unwrap_or_else(|| {
        panic!("{case:?}: the backup never took over after {:?}\n{}\n{}", start.elapsed(), frr.log(), lan.log("b"))
    });
    let taker = if case.vrrpd_master { "FRR" } else { "vrrpd" };
    println!(
        "{tag}: v{} {:?} {} ms, {signal} of the master: {taker} took over after {} ms (skew {} ms, down {} ms)",
        case.version,
        case.family,
        case.interval_ms,
        took.as_millis(),
        skew_us / 1000,
        down_us / 1000
    );
    assert!(took.as_micros() as u64 <= limit_us, "{case:?}: {took:?} > {limit_us} us");
    match case.stop {
        // Without priority 0 the backup waits out Master_Down_Interval, less what passed of
        // the master's last interval.
        Stop::Kill => {
            assert!(took.as_micros() as u64 >= down_us - case.interval_ms * 1000, "{case:?}: {took:?}")
        }
        // Priority 0 cuts the wait to Skew_Time (RFC 5798 §6.4.2).
        Stop::Graceful => assert!(took.as_micros() as u64 <= down_us - case.interval_ms * 1000, "{case:?}"),
    }
    if !case.vrrpd_master {
        assert!(lan.ctl("b", &["status", "VI_1"]).1.contains("VI_1: MASTER"));
    }
}

const V3_1S: (u8, Family, u64) = (3, Family::V4, 1000);
const V3_100MS: (u8, Family, u64) = (3, Family::V4, 100);
const V6_1S: (u8, Family, u64) = (3, Family::V6, 1000);
const V2_1S: (u8, Family, u64) = (2, Family::V4, 1000);

fn case((version, family, interval_ms): (u8, Family, u64), vrrpd_master: bool, stop: Stop) -> Case {
    Case { version, family, interval_ms, vrrpd_master, stop }
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn v3_frr_master_killed_vrrpd_takes_over() {
    run("f3k", case(V3_1S, false, Stop::Kill));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn v3_frr_master_stopped_vrrpd_takes_over_within_skew() {
    run("f3g", case(V3_1S, false, Stop::Graceful));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn v3_vrrpd_master_killed_frr_takes_over() {
    run("v3k", case(V3_1S, true, Stop::Kill));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn v3_vrrpd_master_stopped_frr_takes_over_within_skew() {
    run("v3g", case(V3_1S, true, Stop::Graceful));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn v3_100ms_frr_master_killed_vrrpd_takes_over() {
    run("f1k", case(V3_100MS, false, Stop::Kill));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn v3_100ms_frr_master_stopped_vrrpd_takes_over_within_skew() {
    run("f1g", case(V3_100MS, false, Stop::Graceful));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn v3_100ms_vrrpd_master_killed_frr_takes_over() {
    run("v1k", case(V3_100MS, true, Stop::Kill));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn v3_100ms_vrrpd_master_stopped_frr_takes_over_within_skew() {
    run("v1g", case(V3_100MS, true, Stop::Graceful));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn ipv6_frr_master_killed_vrrpd_takes_over() {
    run("f6k", case(V6_1S, false, Stop::Kill));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn ipv6_vrrpd_master_stopped_frr_takes_over_within_skew() {
    run("v6g", case(V6_1S, true, Stop::Graceful));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn v2_frr_master_stopped_vrrpd_takes_over_within_skew() {
    run("f2g", case(V2_1S, false, Stop::Graceful));
}

#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn v2_vrrpd_master_killed_frr_takes_over() {
    run("v2k", case(V2_1S, true, Stop::Kill));
}

fn output(args: &[&str]) -> String {
    let o = Command::new(args[0]).args(&args[1..]).output().unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// vrrpd with `use_vmac` (its macvlan vrrp.51, 00:00:5e:00:01:33) is the master, FRR (whose
/// macvlan has the same MAC) the backup: the client's neighbour entry for the VIP holds the
/// virtual MAC before and after FRR takes over from a killed vrrpd.
#[test]
#[ignore = "needs root and FRR (make test runs it as root)"]
fn vmac_vrrpd_master_killed_frr_takes_over_and_the_client_keeps_the_virtual_mac() {
    assert!(std::path::Path::new(&format!("{FRR}/vrrpd")).exists(), "FRR is not installed");
    let case = case(V3_1S, true, Stop::Kill);
    let mut lan = Lan::new("fvm");
    // The nodes know the client's MAC for good: a reply that had to ARP for it would send the
    // request from the base interface with the VIP as sender and teach the client the base's
    // MAC (the same with keepalived's VMAC: tests/netns_vmac.rs).
    let client_link = output(&["ip", "-n", &lan.ns("c"), "link", "show", "enp0s3"]);
    let client_mac = client_link.split("link/ether ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let frr = FrrNode::start(&mut lan, "a", case, 100);
    let vmac = case.macvlan().1;
    for (node, dev) in [("a", "enp0s3"), ("a", case.macvlan().0), ("b", "enp0s3")] {
        let ns = lan.ns(node);
        ip(&["-n", &ns, "neigh", "replace", "192.168.31.100", "lladdr", &client_mac, "dev", dev, "nud", "permanent"]);
    }
    // FRR's backup holds the VIP on its macvlan in protodown, and its base interface would
    // answer ARP for it (arp_ignore 0): arp_ignore 1 there, as keepalived sets on a VMAC's base.
    let sysctl = Command::new("ip")
        .args(["netns", "exec", &lan.ns("a"), "sysctl", "-q", "-w", "net.ipv4.conf.enp0s3.arp_ignore=1"])
        .status();
    assert!(sysctl.unwrap().success());
    let conf = vrrpd_conf(case, 200).replace(" version 3\n", " version 3\n use_vmac\n");
    let conf = lan.conf("b.conf", &conf);
    lan.start("b", &conf);
    let on_vmac =
        |l: &Lan| output(&["ip", "-n", &l.ns("b"), "addr", "show", "dev", "vrrp.51"]).contains(&format!(" {VIP}/"));
    let settled = lan.wait(Duration::from_secs(10), |l| on_vmac(l) && frr.status(Family::V4) == "Backup");
    assert!(settled.is_some(), "FRR {}:\n{}\n{}", frr.status(Family::V4), frr.log(), lan.log("b"));
    assert!(!frr_link_up(&lan, case), "FRR's macvlan stays in protodown while vrrpd is the master");
    let ours = output(&["ip", "-n", &lan.ns("b"), "-d", "link", "show", "dev", "vrrp.51"]);
    assert!(ours.contains(&format!("link/ether {vmac}")) && ours.contains("macvlan mode private"), "{ours}");
    assert!(lan.client_pings(VIP), "the client reaches the VIP on vrrpd");
    assert!(lan.client_neighbour(VIP).contains(&vmac), "{}", lan.client_neighbour(VIP));

    let start = Instant::now();
    lan.signal("b", "KILL");
    let (_, down_us) = case.backup_times_us();
    let limit_us = down_us + LOAD_MARGIN_MS * 1000;
    let took = lan.wait(Duration::from_micros(limit_us + 2_000_000), |l| frr_link_up(l, case));
    let took = took.unwrap_or_else(|| panic!("FRR never took over after {:?}\n{}", start.elapsed(), frr.log()));
    println!("fvm: vrrpd on VMAC killed, FRR took over after {} ms (down {} ms)", took.as_millis(), down_us / 1000);
    assert!(took.as_micros() as u64 <= limit_us, "{took:?}");
    // The address moved, the MAC did not: the client's entry still holds the virtual MAC, and
    // FRR answers behind it.
    let answered = lan.wait(Duration::from_secs(5), |l| l.client_pings(VIP));
    assert!(answered.is_some(), "the client reaches the VIP on FRR");
    assert!(lan.client_neighbour(VIP).contains(&vmac), "after the failover: {}", lan.client_neighbour(VIP));
}
