//! Root only: `vrrpd check --simulate`'s times against the real daemon on a namespaced LAN
//! (tests/common/lan.rs: nodes a .20, b .30, c .100 on one bridge, interface enp0s3). The seed
//! pair, three routers (v3, 1 s) and a unicast pair, each run both ways: the simulated time and
//! the real one, measured from the kernel's timestamps (`ip -ts monitor address` for the VIP,
//! tcpdump on the new master for the adverts it heard), agree within scheduling noise. Every
//! namespace and process is removed by `Drop` on every exit path; each wait is bounded.
mod common;
use common::lan::{added_at, added_at_after, day_micros, ip, now_hms, Lan, LOAD_MARGIN_MS, VIP};
use common::*;
use std::path::PathBuf;
use std::time::Duration;
use vrrpd::check::{self, Options};

/// The simulated outcome of `scenario` for nodes (name, file).
fn simulated(nodes: &[(&str, PathBuf)], scenario: &str) -> (String, u64) {
    let list: Vec<_> = nodes.iter().map(|(n, p)| (Some(n.to_string()), p.clone())).collect();
    let loaded = check::load(&list, None, &check::node_host()).unwrap();
    let report = check::check(&loaded, &Options { simulate: true, scenario: None });
    let o = report.simulations[0].outcomes.iter().find(|o| o.scenario == scenario).unwrap();
    (o.master.clone().unwrap(), o.to_master.unwrap())
}

/// Adverts from `src` to `dst` in tcpdump -v text: (time of day in microseconds, priority).
fn adverts(text: &str, src: &str, dst: &str) -> Vec<(u64, u8)> {
    let mut out = Vec::new();
    let mut last = None;
    for l in text.lines() {
        if let Some(w) = l.split_whitespace().next().filter(|w| w.len() >= 15 && w.as_bytes()[2] == b':') {
            last = Some(day_micros(w));
        }
        if l.contains(&format!("{src} > {dst}")) && l.contains("Advertisement") {
            let prio = l.split("prio ").nth(1).and_then(|p| p.split(',').next()).and_then(|p| p.parse().ok());
            if let (Some(t), Some(p)) = (last, prio) {
                out.push((t, p));
            }
        }
    }
    out
}

/// Real and simulated agree: never earlier than the protocol, later only by scheduling noise.
fn agree(what: &str, real_us: u64, sim_us: u64) {
    println!("{what}: real {:.3} ms, simulated {:.3} ms", real_us as f64 / 1000.0, sim_us as f64 / 1000.0);
    assert!(real_us + 2_000 >= sim_us, "{what}: real {real_us} us is earlier than simulated {sim_us} us");
    assert!(real_us <= sim_us + LOAD_MARGIN_MS * 1000, "{what}: real {real_us} us, simulated {sim_us} us");
}

/// Starts `nodes` in order with monitors on every node and a capture of VRRP on each; returns
/// when `first` holds the VIP, with the time of day the first one was started.
fn start(lan: &mut Lan, nodes: &[(&str, PathBuf)], first: &str) -> u64 {
    for (n, _) in nodes {
        lan.monitor_addresses(n);
        lan.capture(n, "ip proto 112");
    }
    let t0 = day_micros(&now_hms());
    for (n, p) in nodes {
        lan.start(n, p);
    }
    lan.wait(Duration::from_secs(12), |l| l.has_vip(first)).unwrap_or_else(|| panic!("{}", lan.log(first)));
    lan.wait(Duration::from_secs(2), |l| added_at(&monitor(l, first), VIP).is_some());
    t0
}

fn monitor(lan: &Lan, node: &str) -> PathBuf {
    lan.dir.0.join(format!("{node}.monitor"))
}

fn captured(lan: &Lan, node: &str) -> String {
    std::fs::read_to_string(lan.dir.0.join(format!("{node}.tcpdump"))).unwrap_or_default()
}

/// Kills `node` (power off: SIGKILL and link down); `to` takes over. Returns the real time
/// from the last advert `to` heard from `node` to the VIP on `to`.
fn host_dies(lan: &mut Lan, node: &str, src: &str, dst: &str, to: &str) -> u64 {
    std::thread::sleep(Duration::from_millis(1500));
    let killed = day_micros(&now_hms());
    lan.signal(node, "KILL");
    ip(&["-n", &lan.ns(node), "link", "set", "enp0s3", "down"]);
    lan.wait(Duration::from_secs(10), |l| l.has_vip(to)).unwrap_or_else(|| panic!("{}", lan.log(to)));
    // `ip monitor` writes its line a moment after the kernel's event: wait for it. Only an
    // addition after the kill counts (a backup may win a start-up race for a moment).
    lan.wait(Duration::from_secs(2), |l| added_at_after(&monitor(l, to), VIP, killed).is_some());
    let added = added_at_after(&monitor(lan, to), VIP, killed).expect("the monitor saw the VIP");
    let heard = adverts(&captured(lan, to), src, dst);
    let last = heard.iter().filter(|a| a.0 <= killed && a.1 > 0).map(|a| a.0).max().expect("adverts heard");
    added - last
}

/// SIGTERM on `node`: the real time from its priority-0 advert, as `to` heard it, to the VIP on
/// `to`.
fn graceful(lan: &mut Lan, node: &str, src: &str, dst: &str, to: &str) -> u64 {
    std::thread::sleep(Duration::from_millis(1500));
    let stopped = day_micros(&now_hms());
    lan.signal(node, "TERM");
    lan.wait(Duration::from_secs(3), |l| l.has_vip(to)).unwrap_or_else(|| panic!("{}", lan.log(to)));
    // As in host_dies: the addition after the stop, once `ip monitor` has written it.
    lan.wait(Duration::from_secs(2), |l| added_at_after(&monitor(l, to), VIP, stopped).is_some());
    let added = added_at_after(&monitor(lan, to), VIP, stopped).expect("the monitor saw the VIP");
    // The capture may lag the kernel by a few ms: wait for the advert to be written.
    let mut zero = None;
    lan.wait(Duration::from_secs(2), |l| {
        zero = adverts(&captured(l, to), src, dst).iter().find(|a| a.1 == 0 && a.0 >= stopped).map(|a| a.0);
        zero.is_some()
    });
    added - zero.expect("the priority-0 advert heard")
}

const A: &str = "192.168.31.20";
const B: &str = "192.168.31.30";
const GROUP: &str = "224.0.0.18";

#[test]
#[ignore = "needs root: creates network namespaces (make netns-test runs it as root)"]
fn the_seed_pair_fails_over_as_simulated() {
    let nodes = [("a", data("master.conf")), ("b", data("backup.conf"))];
    let sim = |s| simulated(&[("a", data("master.conf")), ("b", data("backup.conf"))], s);

    let mut lan = Lan::new("ck");
    let t0 = start(&mut lan, &nodes, "a");
    let elected = added_at(&monitor(&lan, "a"), VIP).expect("the VIP added on a") - t0;
    let (who, t) = sim("election at start");
    assert_eq!(who, "a");
    // The real daemon also has to exec and read the machine: a few ms on top.
    agree("seed: election at start (from the start)", elected, t);
    let real = host_dies(&mut lan, "a", A, GROUP, "b");
    let (who, t) = sim("master host dies");
    assert_eq!(who, "b");
    agree("seed: master host dies (from the last advert heard)", real, t);
    drop(lan);

    let mut lan = Lan::new("cg");
    start(&mut lan, &nodes, "a");
    let real = graceful(&mut lan, "a", A, GROUP, "b");
    let (who, t) = sim("master shuts down");
    assert_eq!(who, "b");
    agree("seed: master shuts down (from the priority-0 advert)", real, t);
}

#[test]
#[ignore = "needs root: creates network namespaces (make netns-test runs it as root)"]
fn three_routers_fail_over_as_simulated() {
    let mut lan = Lan::new("c3");
    let conf = |prio: u8| {
        format!(
            "vrrp_instance VI_1 {{\n interface enp0s3\n version 3\n virtual_router_id 51\n priority {prio}\n advert_int 1\n virtual_ipaddress {{\n  {VIP}/32\n }}\n}}\n"
        )
    };
    let nodes = [
        ("a", lan.conf("a.conf", &conf(101))),
        ("b", lan.conf("b.conf", &conf(100))),
        ("c", lan.conf("c.conf", &conf(90))),
    ];
    start(&mut lan, &nodes, "a");
    let real = host_dies(&mut lan, "a", A, GROUP, "b");
    let (who, t) = simulated(&nodes, "master host dies");
    assert_eq!(who, "b");
    agree("three routers: master host dies (from the last advert heard)", real, t);
    assert!(!lan.has_vip("c"), "c (priority 90) stays BACKUP");
}

#[test]
#[ignore = "needs root: creates network namespaces (make netns-test runs it as root)"]
fn a_unicast_pair_fails_over_as_simulated() {
    let conf = |prio: u8, me: &str, peer: &str| {
        format!(
            "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority {prio}\n advert_int 1\n unicast_src_ip {me}\n unicast_peer {{\n  {peer}\n }}\n virtual_ipaddress {{\n  {VIP}/32\n }}\n}}\n"
        )
    };
    let mut lan = Lan::new("cu");
    let nodes = [("a", lan.conf("a.conf", &conf(101, A, B))), ("b", lan.conf("b.conf", &conf(100, B, A)))];
    start(&mut lan, &nodes, "a");
    let real = graceful(&mut lan, "a", A, B, "b");
    let (who, t) = simulated(&nodes, "master shuts down");
    assert_eq!(who, "b");
    agree("unicast: master shuts down (from the priority-0 advert)", real, t);
    drop(lan);

    let mut lan = Lan::new("cv");
    let nodes = [("a", lan.conf("a.conf", &conf(101, A, B))), ("b", lan.conf("b.conf", &conf(100, B, A)))];
    start(&mut lan, &nodes, "a");
    let real = host_dies(&mut lan, "a", A, B, "b");
    let (who, t) = simulated(&nodes, "master host dies");
    assert_eq!(who, "b");
    agree("unicast: master host dies (from the last advert heard)", real, t);
}
