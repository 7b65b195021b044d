//! Root only: `static_ipaddress`, `static_routes`, `static_rules` and `garp_group` of the real
//! daemon, each scenario run with vrrpd on node a and Debian's keepalived 2.2.7 on node b
//! side by side (same configuration apart from the VRIDs and VIPs, same observations), so a
//! difference from the oracle fails here. Every namespace and process is removed by `Drop`;
//! each wait is bounded.
mod common;
use common::lan::{day_micros, ip, Lan, LOAD_MARGIN_MS};
use std::process::Command;
use std::time::Duration;

/// The daemons under test: vrrpd always, keepalived when it is installed.
fn daemons() -> Vec<&'static str> {
    let keepalived = Command::new("keepalived").arg("--version").output().is_ok();
    if !keepalived {
        println!("*** keepalived not installed: vrrpd alone");
    }
    if keepalived {
        vec!["a", "b"]
    } else {
        vec!["a"]
    }
}

fn start(lan: &mut Lan, node: &str, conf: &std::path::Path) {
    if node == "a" {
        lan.start("a", conf);
    } else {
        lan.start_keepalived(node, conf);
    }
}

fn daemon_name(node: &str) -> &'static str {
    if node == "a" {
        "vrrpd"
    } else {
        "keepalived"
    }
}

/// `ip -n NS ARGS` as text.
fn show(lan: &Lan, node: &str, args: &[&str]) -> String {
    let out = Command::new("ip").args(["-n", &lan.ns(node)]).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// What the statics put in `node`'s kernel: (address 1, no_track address, route, rule,
/// the reload's address, route and rule).
fn present(lan: &Lan, node: &str) -> [bool; 7] {
    let addrs = show(lan, node, &["addr", "show", "dev", "enp0s3"]);
    let routes = show(lan, node, &["route", "show"]);
    let rules = show(lan, node, &["rule", "show"]);
    [
        addrs.contains(" 10.9.9.1/24 "),
        addrs.contains(" 10.9.9.2/32 "),
        routes.contains("10.50.0.0/16 via 192.168.31.1 dev enp0s3 proto keepalived"),
        rules.contains("1000:\tfrom 10.9.9.0/24 lookup 100 proto keepalived"),
        addrs.contains(" 10.9.9.3/32 "),
        routes.contains("10.60.0.0/16 via 192.168.31.1 dev enp0s3 proto keepalived"),
        rules.contains("1001:\tfrom 10.9.9.0/24 lookup 101 proto keepalived"),
    ]
}

fn statics_conf(vrid: u8, second: &str, route: &str, rule: &str) -> String {
    format!(
        "static_ipaddress {{\n 10.9.9.1/24 dev enp0s3\n {second}\n}}\n\
         static_routes {{\n {route} via 192.168.31.1 dev enp0s3\n}}\n\
         static_rules {{\n {rule}\n}}\n\
         vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id {vrid}\n priority 100\n advert_int 1\n\
          virtual_ipaddress {{\n  192.168.31.{vrid}/32\n }}\n}}\n"
    )
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn static_entries_at_start_deletion_reload_and_stop_as_keepalived() {
    let mut lan = Lan::new("st");
    let nodes = daemons();
    let first = |vrid| {
        statics_conf(
            vrid,
            "10.9.9.2/32 dev enp0s3 no_track",
            "10.50.0.0/16",
            "from 10.9.9.0/24 table 100 priority 1000",
        )
    };
    let second =
        |vrid| statics_conf(vrid, "10.9.9.3/32 dev enp0s3", "10.60.0.0/16", "from 10.9.9.0/24 table 101 priority 1001");
    // A leftover of a previous run stays where it is: neither daemon removes it first.
    ip(&["-n", &lan.ns("a"), "addr", "add", "10.9.9.1/24", "dev", "enp0s3"]);
    ip(&["-n", &lan.ns("b"), "addr", "add", "10.9.9.1/24", "dev", "enp0s3"]);
    let mut confs = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        let vrid = 61 + n as u8;
        let conf = lan.conf(&format!("{node}.conf"), &first(vrid));
        start(&mut lan, node, &conf);
        confs.push((conf, vrid));
    }
    // At start, before any instance is MASTER (that takes 3 s here), everything is there.
    for node in &nodes {
        let all = [true, true, true, true, false, false, false];
        let t = lan.wait(Duration::from_secs(3), |l| present(l, node) == all);
        assert!(t.is_some(), "{}: {:?}\n{}", daemon_name(node), present(&lan, node), lan.log(node));
        println!("{}: static entries present {} ms after start", daemon_name(node), t.unwrap().as_millis());
    }
    // Someone deletes them all: only the tracked address comes back.
    for node in &nodes {
        let ns = lan.ns(node);
        ip(&["-n", &ns, "addr", "del", "10.9.9.1/24", "dev", "enp0s3"]);
        ip(&["-n", &ns, "addr", "del", "10.9.9.2/32", "dev", "enp0s3"]);
        ip(&["-n", &ns, "route", "del", "10.50.0.0/16"]);
        ip(&["-n", &ns, "rule", "del", "priority", "1000"]);
    }
    for node in &nodes {
        let back = lan.wait(Duration::from_secs(2), |l| present(l, node)[0]);
        assert!(back.is_some(), "{}: the static address was not restored\n{}", daemon_name(node), lan.log(node));
        // A window, not a wait: the deleted route and rule must stay deleted (keepalived
        // restores them only for a track_group); the address came back within ms.
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(present(&lan, node), [true, false, false, false, false, false, false], "{}", daemon_name(node));
    }
    assert!(lan.log("a").contains("Restoring deleted static address 10.9.9.1/24 dev enp0s3"), "{}", lan.log("a"));
    // Put them back by hand, then a reload that changes the second address, the route and
    // the rule: the dropped ones go, the new ones come, the kept address stays.
    for node in &nodes {
        let ns = lan.ns(node);
        ip(&["-n", &ns, "addr", "add", "10.9.9.2/32", "dev", "enp0s3"]);
        ip(&["-n", &ns, "route", "add", "10.50.0.0/16", "via", "192.168.31.1", "dev", "enp0s3", "proto", "18"]);
        ip(&["-n", &ns, "rule", "add", "from", "10.9.9.0/24", "table", "100", "priority", "1000", "protocol", "18"]);
    }
    let monitors: Vec<_> = nodes.iter().map(|node| lan.monitor_addresses(node)).collect();
    for (node, (conf, vrid)) in nodes.iter().zip(&confs) {
        std::fs::write(conf, second(*vrid)).unwrap();
        lan.signal(node, "HUP");
    }
    for (node, monitor) in nodes.iter().zip(&monitors) {
        let want = [true, false, false, false, true, true, true];
        let t = lan.wait(Duration::from_secs(3), |l| present(l, node) == want);
        assert!(t.is_some(), "{}: {:?}\n{}", daemon_name(node), present(&lan, node), lan.log(node));
        let seen = std::fs::read_to_string(monitor).unwrap_or_default();
        let moved = seen.lines().any(|l| l.contains("Deleted") && l.contains(" 10.9.9.1/24 "));
        assert!(!moved, "{}: the kept address was removed\n{seen}", daemon_name(node));
    }
    // Stop: every static entry is removed (keepalived vrrp_terminate_phase2).
    for node in &nodes {
        lan.signal(node, "TERM");
    }
    for node in &nodes {
        lan.wait_exit(node, Duration::from_secs(5)).unwrap_or_else(|| panic!("{} did not stop", daemon_name(node)));
        let gone = lan.wait(Duration::from_secs(2), |l| present(l, node) == [false; 7]);
        assert!(gone.is_some(), "{}: {:?} after stop", daemon_name(node), present(&lan, node));
    }
}

/// The gratuitous ARPs `node` sent for `vips` in a tcpdump text: (time of day in us, VIP).
fn garps(text: &str, vips: &[String]) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        // "14:12:37.513749 ARP, Ethernet (len 6), IPv4 (len 4), Request who-has 192.168.31.240
        //  (ff:ff:ff:ff:ff:ff) tell 192.168.31.240, length 28"
        let Some(vip) =
            vips.iter().find(|v| line.contains(&format!("who-has {v} ")) && line.contains(&format!("tell {v},")))
        else {
            continue;
        };
        out.push((day_micros(line.split(' ').next().unwrap()), vip.clone()));
    }
    out
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn a_garp_group_spaces_the_gratuitous_arps_of_two_instances_as_keepalived() {
    const INTERVAL_MS: u64 = 500;
    let mut lan = Lan::new("gg");
    let nodes = daemons();
    let mut captures = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        let vrid = 51 + 2 * n as u8;
        let vips = [format!("192.168.31.{}", 200 + vrid), format!("192.168.31.{}", 201 + vrid)];
        let instance = |name: &str, vrid: u8, vip: &str| {
            format!(
                "vrrp_instance {name} {{\n interface enp0s3\n state MASTER\n virtual_router_id {vrid}\n priority 150\n \
                 advert_int 1\n virtual_ipaddress {{\n  {vip}/24\n }}\n}}\n"
            )
        };
        let text = format!(
            "garp_group {{\n garp_interval 0.5\n interface enp0s3\n}}\n{}{}",
            instance("A", vrid, &vips[0]),
            instance("B", vrid + 1, &vips[1])
        );
        let capture = lan.capture(node, "arp");
        let conf = lan.conf(&format!("{node}.conf"), &text);
        start(&mut lan, node, &conf);
        captures.push((node, capture, vips));
    }
    for (node, capture, vips) in &captures {
        let read = || garps(&std::fs::read_to_string(capture).unwrap_or_default(), vips);
        let three = lan.wait(Duration::from_secs(10), |_| read().len() >= 3);
        assert!(three.is_some(), "{}: {:?}\n{}", daemon_name(node), read(), lan.log(node));
        // The repeats of A's burst collapse into one; B waits behind it; then nothing until
        // the delayed burst (garp_master_delay, 5 s).
        std::thread::sleep(Duration::from_millis(INTERVAL_MS + 300));
        let got = read();
        let order: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(order, [&vips[0], &vips[0], &vips[1]], "{}: {got:?}", daemon_name(node));
        let gaps: Vec<u64> = got.windows(2).map(|w| (w[1].0 - w[0].0) / 1000).collect();
        println!("{}: GARPs {:?} ms apart (garp_interval {INTERVAL_MS} ms)", daemon_name(node), gaps);
        for gap in gaps {
            // Never early (a few ms of capture timestamp jitter), late by at most the load margin.
            assert!(gap + 5 >= INTERVAL_MS && gap <= INTERVAL_MS + LOAD_MARGIN_MS, "{}: {gap} ms", daemon_name(node));
        }
    }
}
