//! Root only: the real daemon on a namespaced LAN built here (a bridge in a "switch"
//! namespace, nodes with the seed's interface name enp0s3, a client). Ignored by default;
//! `make test` runs it when it is root (CI is). Every namespace and process is removed by
//! `Drop` on every exit path; each wait is bounded.
mod common;
use common::lan::{ip, Lan};
use common::*;
use std::time::{Duration, Instant};

use common::lan::{FAST_LOAD_MARGIN_US, LOAD_MARGIN_MS, VIP};
/// Seed timings (v2, advert 2 s): skew and master-down of the backup (priority 100).
const SKEW_100_MS: u64 = 609;
const DOWN_100_MS: u64 = 6_609;

fn seed_pair(tag: &str) -> Lan {
    let mut lan = Lan::new(tag);
    lan.start("a", &data("master.conf"));
    lan.start("b", &data("backup.conf"));
    let t = lan.wait(Duration::from_secs(10), |l| l.has_vip("a"));
    assert!(t.is_some(), "a never took the VIP:\n{}", lan.log("a"));
    assert!(!lan.has_vip("b"));
    lan
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn seed_pair_elects_the_master_and_sigterm_hands_over_within_skew() {
    let mut lan = seed_pair("t");
    // Stable: a few adverts later b is still BACKUP.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(lan.has_vip("a") && !lan.has_vip("b"));
    // The client talks to the VIP: its ARP entry holds a's MAC.
    let client = lan.ns("c");
    let neigh = || {
        let out = std::process::Command::new("ip").args(["-n", &client, "neigh", "show", VIP]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).split_whitespace().nth(4).unwrap_or("").to_string()
    };
    let mac = |node: &str| {
        let out =
            std::process::Command::new("ip").args(["-n", &lan.ns(node), "link", "show", "enp0s3"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.split("link/ether ").nth(1).unwrap().split_whitespace().next().unwrap().to_string()
    };
    let (mac_a, mac_b) = (mac("a"), mac("b"));
    let ping = || {
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &client, "ping", "-q", "-c", "1", "-W", "1", VIP])
            .output()
            .unwrap();
        assert!(out.status.success(), "ping through the VIP");
    };
    ping();
    assert_eq!(neigh(), mac_a);
    let stop = Instant::now();
    lan.signal("a", "TERM");
    let moved = lan.wait(Duration::from_secs(3), |l| l.has_vip("b")).expect("b takes over");
    let code = lan.wait_exit("a", Duration::from_secs(2));
    let exited = stop.elapsed();
    println!(
        "SIGTERM: VIP on b after {} ms (skew {SKEW_100_MS} ms); a exited in {} ms",
        moved.as_millis(),
        exited.as_millis()
    );
    assert!(moved.as_millis() as u64 <= SKEW_100_MS + LOAD_MARGIN_MS, "{moved:?}");
    assert!(moved.as_millis() as u64 >= SKEW_100_MS - 5, "not before the skew: {moved:?}");
    assert_eq!(code, Some(0));
    assert!(exited <= Duration::from_millis(1000 + LOAD_MARGIN_MS), "{exited:?}");
    assert!(!lan.has_vip("a"), "a released the VIP");
    assert!(lan.log("a").contains("(VI_1) sent 0 priority"));
    assert!(lan.log("b").contains("(VI_1) Entering MASTER STATE"));
    // b's gratuitous ARP updated the client at once (not by expiry, which takes seconds),
    // and traffic reaches b.
    assert_eq!(neigh(), mac_b, "the client's ARP entry points at the new master");
    ping();
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn master_host_dies_backup_takes_over_within_master_down() {
    let lan = seed_pair("k");
    std::thread::sleep(Duration::from_millis(500));
    let a = lan.ns("a");
    ip(&["-n", &a, "link", "set", "enp0s3", "down"]);
    lan.signal("a", "KILL");
    let moved = lan.wait(Duration::from_secs(9), |l| l.has_vip("b")).expect("b takes over");
    println!(
        "master died: VIP on b after {} ms (master-down {DOWN_100_MS} ms after the last advert)",
        moved.as_millis()
    );
    // The last advert left at most one interval (2 s) before the kill.
    assert!(moved.as_millis() as u64 <= DOWN_100_MS + LOAD_MARGIN_MS, "{moved:?}");
    assert!(moved.as_millis() as u64 >= DOWN_100_MS - 2_000 - 10, "{moved:?}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn a_vip_deleted_by_hand_on_the_master_is_back_after_skew() {
    let lan = seed_pair("v");
    std::thread::sleep(Duration::from_millis(500));
    let a = lan.ns("a");
    let del = Instant::now();
    ip(&["-n", &a, "addr", "del", &format!("{VIP}/32"), "dev", "enp0s3"]);
    let back = lan.wait(Duration::from_secs(3), |l| l.has_vip("a")).expect("a retakes the VIP");
    let total = del.elapsed();
    println!("VIP deleted by hand: back on a after {} ms (skew of 101: 605 ms)", back.as_millis());
    assert!(total >= Duration::from_millis(590) && total <= Duration::from_millis(605 + LOAD_MARGIN_MS), "{total:?}");
    assert!(!lan.has_vip("b"));
    assert!(lan.log("a").contains("(VI_1) Entering BACKUP STATE"));
}

/// One VRRPv3 instance VI_1 on enp0s3 holding the test VIP.
fn v3_instance(vrid: u8, prio: u8, advert_int: &str) -> String {
    format!("vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id {vrid}\n priority {prio}\n version 3\n advert_int {advert_int}\n virtual_ipaddress {{\n  {VIP}/32\n }}\n}}\n")
}

fn fast_pair(lan: &mut Lan) {
    let a = lan.conf("a.conf", &v3_instance(60, 150, "0.01"));
    let b = lan.conf("b.conf", &v3_instance(60, 100, "0.01"));
    lan.start("a", &a);
    lan.start("b", &b);
    lan.wait(Duration::from_secs(3), |l| l.has_vip("a")).expect("a master");
    std::thread::sleep(Duration::from_millis(500));
    assert!(!lan.has_vip("b"));
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn v3_at_10ms_backup_takes_over_within_master_down_plus_5ms() {
    let mut lan = Lan::new("f");
    fast_pair(&mut lan);
    let monitor = lan.monitor_addresses("b");
    let a = lan.ns("a");
    let killed = common::lan::day_micros(&common::lan::now_hms());
    lan.signal("a", "KILL");
    ip(&["-n", &a, "link", "set", "enp0s3", "down"]);
    lan.wait(Duration::from_secs(2), |l| l.has_vip("b")).expect("b takes over");
    // `ip monitor` writes its line a moment after the kernel's event.
    lan.wait(Duration::from_secs(2), |_| common::lan::added_at(&monitor, VIP).is_some());
    let at = common::lan::added_at(&monitor, VIP).expect("the monitor saw the VIP added");
    let after = at.saturating_sub(killed);
    // Master-down at 10 ms for priority 100: 3 x 10 ms + 156/256 x 10 ms = 36.09 ms after the
    // last advert heard, which left at most 10 ms before the kill.
    println!("v3 10 ms: VIP added on b {} us after the kill (master-down 36 094 us)", after);
    assert!(after <= 36_094 + FAST_LOAD_MARGIN_US, "{after} us");
    assert!(after >= 36_094 - 10_000 - 1_000, "{after} us: too early");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn the_seed_check_script_failing_moves_the_vip_and_recovery_brings_it_back() {
    let mut lan = Lan::new("s");
    let flag_a = lan.dir.0.join("nginx-up-a");
    let flag_b = lan.dir.0.join("nginx-up-b");
    std::fs::write(&flag_a, "").unwrap();
    std::fs::write(&flag_b, "").unwrap();
    // The seed's configs unchanged; the check script (the seed's is broken, rootfs/ will ship
    // a working one) succeeds while this node's "nginx" flag exists.
    let check = |flag: &std::path::Path| format!("#!/bin/sh\ntest -e {}\n", flag.display());
    lan.start_with_etc("a", &data("master.conf"), &[("/etc/keepalived/check_nginx.sh", &check(&flag_a))]);
    lan.start_with_etc("b", &data("backup.conf"), &[("/etc/keepalived/check_nginx.sh", &check(&flag_b))]);
    lan.wait(Duration::from_secs(10), |l| l.has_vip("a")).unwrap_or_else(|| panic!("no master:\n{}", lan.log("a")));
    std::fs::remove_file(&flag_a).unwrap();
    // fall 1 at interval 2 s, then 101 - 5 = 96 < 100: b preempts after its master-down.
    let moved = lan.wait(Duration::from_secs(12), |l| l.has_vip("b") && !l.has_vip("a"));
    assert!(moved.is_some(), "VIP did not move:\n{}\n{}", lan.log("a"), lan.log("b"));
    assert!(lan.log("a").contains("VRRP_Script(chk_nginx) failed (exited with status 1)"));
    assert!(lan.log("a").contains("(VI_1) Changing effective priority from 101 to 96"));
    std::fs::write(&flag_a, "").unwrap();
    let back = lan.wait(Duration::from_secs(12), |l| l.has_vip("a") && !l.has_vip("b"));
    assert!(back.is_some(), "VIP did not come back:\n{}\n{}", lan.log("a"), lan.log("b"));
    println!("check failed: VIP moved after {:?}; recovered: back after {:?}", moved.unwrap(), back.unwrap());
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn sighup_changes_priority_and_vips_without_a_flap_and_a_broken_config_changes_nothing() {
    let mut lan = Lan::new("h");
    let text =
        std::fs::read_to_string(data("master.conf")).unwrap().replace("/etc/keepalived/check_nginx.sh", "/bin/true");
    let conf = lan.conf("a.conf", &text);
    let b = lan.conf(
        "b.conf",
        &std::fs::read_to_string(data("backup.conf")).unwrap().replace("/etc/keepalived/check_nginx.sh", "/bin/true"),
    );
    lan.start("a", &conf);
    lan.start("b", &b);
    lan.wait(Duration::from_secs(10), |l| l.has_vip("a")).expect("a master");
    let entered = |l: &Lan| l.log("a").matches("Entering").count();
    let before = entered(&lan);
    // New priority and one more VIP.
    std::fs::write(
        &conf,
        text.replace("priority 101", "priority 120")
            .replace("192.168.31.240\n", "192.168.31.240\n\u{a0} 192.168.31.241\n"),
    )
    .unwrap();
    lan.signal("a", "HUP");
    let added = lan.wait(Duration::from_secs(3), |l| {
        let out = std::process::Command::new("ip")
            .args(["-n", &l.ns("a"), "-4", "addr", "show", "dev", "enp0s3"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains("192.168.31.241/32")
    });
    assert!(added.is_some(), "the new VIP was not added:\n{}", lan.log("a"));
    assert!(lan.has_vip("a"), "the old VIP stayed");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(entered(&lan), before, "no state change on reload:\n{}", lan.log("a"));
    // A broken config: reported, nothing changes.
    std::fs::write(&conf, "vrrp_instance VI_1 {\n interface enp0s3\n}\n").unwrap();
    lan.signal("a", "HUP");
    let reported = lan.wait(Duration::from_secs(3), |l| l.log("a").contains("Reload failed"));
    assert!(reported.is_some(), "{}", lan.log("a"));
    std::thread::sleep(Duration::from_secs(3));
    assert!(lan.has_vip("a") && !lan.has_vip("b"), "still master with its VIPs");
    assert_eq!(entered(&lan), before);
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn hanging_script_is_killed_at_its_timeout_and_many_runs_leave_no_zombies_or_fds() {
    let mut lan = Lan::new("z");
    let conf = lan.conf(
        "a.conf",
        &format!(
            "vrrp_script hang {{\n script \"/bin/sleep 100\"\n interval 1\n timeout 0.3\n weight -10\n}}\n\
             vrrp_script quick {{\n script /bin/true\n interval 0.005\n timeout 2\n}}\n\
             vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority 150\n advert_int 1\n virtual_ipaddress {{\n  {VIP}/32\n }}\n track_script {{\n  hang\n  quick\n }}\n}}\n"
        ),
    );
    lan.start("a", &conf);
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a")).expect("a master");
    let pid = lan.pid("a");
    let fds = || std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);
    let fds_before = fds();
    // `quick` runs every 5 ms (its timeout is 2 s: the default, its interval, would let one slow
    // fork on a busy machine time it out and, at weight 0, put the instance in FAULT). The
    // hanging script times out after 0.3 s, at each 1 s interval.
    let timed_out = lan.wait(Duration::from_secs(6), |l| l.log("a").contains("VRRP_Script(hang) timed_out"));
    assert!(timed_out.is_some(), "{}", lan.log("a"));
    // Let about 1,000 runs of `quick` pass.
    std::thread::sleep(Duration::from_secs(5));
    assert!(lan.has_vip("a"), "still master:\n{}", lan.log("a"));
    let zombies = std::process::Command::new("ps").args(["--ppid", &pid.to_string(), "-o", "stat="]).output().unwrap();
    let z = String::from_utf8_lossy(&zombies.stdout).lines().filter(|s| s.starts_with('Z')).count();
    assert_eq!(z, 0, "no zombies");
    let sleeps = std::process::Command::new("pgrep").args(["-f", "^/bin/sleep 100"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&sleeps.stdout).lines().count() <= 1,
        "timed-out runs are killed, at most the current one runs"
    );
    assert_eq!(fds(), fds_before, "open fds unchanged");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn usr1_usr2_and_json_signals_write_keepalived_dump_files() {
    let lan = seed_pair("d");
    std::thread::sleep(Duration::from_millis(300));
    let json_sig = String::from_utf8(
        std::process::Command::new(env!("CARGO_BIN_EXE_vrrpd")).arg("--signum=JSON").output().unwrap().stdout,
    )
    .unwrap();
    // A symlink planted at a dump's name must not be followed (keepalived CVE-2018-19044).
    let victim = lan.dir.write("victim", "precious\n");
    std::os::unix::fs::symlink(&victim, lan.dir.0.join("keepalived.data")).unwrap();
    for (sig, file, needle) in [
        ("USR2", "keepalived.stats", "VRRP Instance: VI_1\n  Advertisements:\n"),
        ("USR1", "keepalived.data", "   State = MASTER\n"),
        (json_sig.trim(), "keepalived.json", "\"iname\":\"VI_1\""),
    ] {
        let path = lan.dir.0.join(file);
        lan.signal("a", sig);
        let ok = lan.wait(Duration::from_secs(2), |_| std::fs::read_to_string(&path).is_ok_and(|t| t.contains(needle)));
        assert!(ok.is_some(), "{file}: {:?}", std::fs::read_to_string(&path));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(std::fs::symlink_metadata(&path).unwrap().is_file(), "{file} is not a plain file");
        let _ = std::fs::remove_file(&path);
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n", "a dump followed the symlink");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn virtual_routes_rules_and_the_notify_fifo_follow_the_master() {
    let mut lan = Lan::new("r");
    let fifo = lan.dir.0.join("events.fifo");
    let conf = |prio: u8| {
        format!(
            "global_defs {{\n vrrp_notify_fifo {}\n}}\nvrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority {prio}\n advert_int 1\n\
             virtual_ipaddress {{\n  {VIP}/32\n }}\n virtual_routes {{\n  10.99.0.0/16 via 192.168.31.1 table 100\n  blackhole 10.98.0.0/16\n }}\n\
             virtual_rules {{\n  from {VIP}/32 table 100 priority 1000\n }}\n}}\n",
            fifo.display()
        )
    };
    let a = lan.conf("a.conf", &conf(150));
    lan.start("a", &a);
    // Read the FIFO as a monitoring script would.
    let reader = std::fs::OpenOptions::new().read(true).custom_flags_nonblock(&fifo);
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a")).expect("a master");
    let ns_a = lan.ns("a");
    let show = |args: &[&str]| {
        let out = std::process::Command::new("ip").args(["-n", &ns_a]).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(
        show(&["route", "show", "table", "100"]).contains("10.99.0.0/16 via 192.168.31.1 dev enp0s3 proto keepalived"),
        "{}",
        show(&["route", "show", "table", "100"])
    );
    assert!(show(&["route", "show"]).contains("blackhole 10.98.0.0/16 proto keepalived"), "{}", show(&["route"]));
    assert!(show(&["rule", "show"]).contains(&format!("1000:\tfrom {VIP} lookup 100")), "{}", show(&["rule"]));
    let mut text = String::new();
    let mut r = reader;
    std::thread::sleep(Duration::from_millis(100));
    let _ = std::io::Read::read_to_string(&mut r, &mut text);
    assert!(
        text.contains("INSTANCE \"VI_1\" BACKUP 150\n") && text.contains("INSTANCE \"VI_1\" MASTER 150\n"),
        "{text:?}"
    );
    // Leaving MASTER removes them.
    lan.signal("a", "TERM");
    lan.wait_exit("a", Duration::from_secs(3));
    assert!(!show(&["route", "show", "table", "100"]).contains("10.99.0.0/16"));
    assert!(!show(&["rule", "show"]).contains("lookup 100"));
}

/// Opens a FIFO for reading without blocking (the daemon creates it before we read).
trait NonblockOpen {
    fn custom_flags_nonblock(&mut self, path: &std::path::Path) -> std::fs::File;
}

impl NonblockOpen for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self, path: &std::path::Path) -> std::fs::File {
        use std::os::unix::fs::OpenOptionsExt;
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            if let Ok(f) = self.custom_flags(libc::O_NONBLOCK).open(path) {
                return f;
            }
            assert!(Instant::now() < deadline, "the daemon never created {}", path.display());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn unicast_peers_elect_and_fail_over() {
    let mut lan = Lan::new("u");
    let conf = |prio: u8, me: &str, peer: &str| {
        format!(
            "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority {prio}\n advert_int 1\n unicast_src_ip {me}\n unicast_peer {{\n  {peer}\n }}\n virtual_ipaddress {{\n  {VIP}/32\n }}\n}}\n"
        )
    };
    let a = lan.conf("a.conf", &conf(150, "192.168.31.20", "192.168.31.30"));
    let b = lan.conf("b.conf", &conf(100, "192.168.31.30", "192.168.31.20"));
    lan.start("a", &a);
    lan.start("b", &b);
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a")).unwrap_or_else(|| panic!("{}", lan.log("a")));
    std::thread::sleep(Duration::from_secs(2));
    assert!(!lan.has_vip("b"), "b hears a's unicast adverts:\n{}", lan.log("b"));
    lan.signal("a", "TERM");
    let moved = lan.wait(Duration::from_secs(3), |l| l.has_vip("b")).expect("b takes over");
    assert!(moved <= Duration::from_millis(609 + LOAD_MARGIN_MS), "{moved:?}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn ipv6_vrrpv3_elects_and_hands_over() {
    let mut lan = Lan::new("six");
    // Adverts come from the link-local address: wait until DAD has finished on both nodes.
    lan.wait_link_local();
    let vip6 = "2001:db8:31::240";
    let conf = |prio: u8| {
        format!("vrrp_instance VI_6 {{\n interface enp0s3\n virtual_router_id 61\n priority {prio}\n advert_int 0.1\n virtual_ipaddress {{\n  {vip6}/128\n }}\n}}\n")
    };
    let a = lan.conf("a.conf", &conf(150));
    let b = lan.conf("b.conf", &conf(100));
    lan.start("a", &a);
    lan.start("b", &b);
    let has6 = |l: &Lan, node: &str| {
        let out = std::process::Command::new("ip")
            .args(["-n", &l.ns(node), "-6", "addr", "show", "dev", "enp0s3"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains(&format!("{vip6}/128"))
    };
    lan.wait(Duration::from_secs(3), |l| has6(l, "a"))
        .unwrap_or_else(|| panic!("a never took the IPv6 VIP:\n{}", lan.log("a")));
    std::thread::sleep(Duration::from_secs(1));
    assert!(!has6(&lan, "b"), "b hears a's IPv6 adverts:\n{}", lan.log("b"));
    // keepalived's /128 VIP is deprecated (preferred_lft 0): never chosen as a source.
    let out = std::process::Command::new("ip")
        .args(["-n", &lan.ns("a"), "-6", "addr", "show", "dev", "enp0s3"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("deprecated"), "{text}");
    // b forwards IPv6, so its unsolicited NAs carry the Router flag (keepalived does the same).
    ip(&["netns", "exec", &lan.ns("b"), "sysctl", "-qw", "net.ipv6.conf.enp0s3.forwarding=1"]);
    let nas = lan.capture("c", "icmp6 and ip6[40] == 136");
    lan.signal("a", "TERM");
    let moved = lan.wait(Duration::from_secs(2), |l| has6(l, "b")).expect("b takes over");
    println!("IPv6 v3 at 0.1 s: VIP on b {} ms after SIGTERM (skew 60 ms)", moved.as_millis());
    assert!(moved <= Duration::from_millis(60 + LOAD_MARGIN_MS), "{moved:?}");
    assert!(!has6(&lan, "a"));
    let na_line = |text: &str| text.lines().find(|l| l.contains(&format!("tgt is {vip6}"))).map(str::to_string);
    lan.wait(Duration::from_secs(2), |_| na_line(&std::fs::read_to_string(&nas).unwrap_or_default()).is_some())
        .expect("the client saw b's unsolicited NA");
    let line = na_line(&std::fs::read_to_string(&nas).unwrap()).unwrap();
    assert!(line.contains("Flags [router, override]"), "{line}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn dash_s_enters_the_named_namespace_and_fails_over_there() {
    let mut lan = Lan::new("nsopt");
    let a = lan.conf("a.conf", &v3_instance(52, 150, "0.1"));
    let b = lan.conf("b.conf", &v3_instance(52, 100, "0.1"));
    // Both started from the test's namespace: enp0s3 exists only in theirs, so the config
    // check and every socket must already be in the namespace -s names.
    lan.start_with_namespace_option("a", &a);
    lan.start_with_namespace_option("b", &b);
    lan.wait(Duration::from_secs(3), |l| l.has_vip("a"))
        .unwrap_or_else(|| panic!("a never took the VIP:\n{}", lan.log("a")));
    assert!(lan.log("a").contains("(VI_1) Entering MASTER STATE"), "{}", lan.log("a"));
    lan.wait(Duration::from_secs(1), |l| l.log("b").contains("(VI_1) Entering BACKUP STATE")).expect("b is BACKUP");
    assert!(!lan.has_vip("b"));
    lan.signal("a", "TERM");
    lan.wait(Duration::from_secs(2), |l| l.has_vip("b"))
        .unwrap_or_else(|| panic!("b never took over:\n{}", lan.log("b")));
    // A namespace that does not exist is an error, not a daemon on the host's interfaces.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["-n", "-s", "vrrpd-no-such-namespace", "-f"])
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Unable to set network namespace vrrpd-no-such-namespace"), "{err}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn dash_v_leaves_the_vips_in_place_on_stop() {
    let mut lan = Lan::new("keep");
    let conf = lan.conf("a.conf", &v3_instance(53, 150, "0.1"));
    lan.start_with_options("a", &conf, &["-V"]);
    lan.wait(Duration::from_secs(3), |l| l.has_vip("a")).unwrap_or_else(|| panic!("{}", lan.log("a")));
    lan.signal("a", "TERM");
    assert_eq!(lan.wait_exit("a", Duration::from_secs(3)), Some(0), "{}", lan.log("a"));
    // keepalived -V (--dont-release-vrrp): the VIP stays after the daemon has gone.
    assert!(lan.has_vip("a"), "-V removed the VIP:\n{}", lan.log("a"));
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn lost_netlink_events_are_recovered_by_a_full_redump() {
    let mut lan = Lan::new("nobufs");
    let conf = lan.conf("a.conf", &v3_instance(54, 150, "0.1"));
    lan.start("a", &conf);
    lan.wait(Duration::from_secs(3), |l| l.has_vip("a")).unwrap_or_else(|| panic!("{}", lan.log("a")));
    // With the daemon stopped, thousands of address events overflow its monitor socket; the
    // VIP's deletion comes last, so only a re-dump can tell the daemon about it.
    let mut batch = String::new();
    for i in 0..4000 {
        batch.push_str(&format!("address add 10.99.{}.{}/32 dev enp0s3\n", i / 250, i % 250 + 1));
    }
    for i in 0..4000 {
        batch.push_str(&format!("address del 10.99.{}.{}/32 dev enp0s3\n", i / 250, i % 250 + 1));
    }
    batch.push_str(&format!("address del {VIP}/32 dev enp0s3\n"));
    let batch_file = lan.dir.write("flood.batch", &batch);
    lan.signal("a", "STOP");
    ip(&["-n", &lan.ns("a"), "-batch", batch_file.to_str().unwrap()]);
    assert!(!lan.has_vip("a"));
    lan.signal("a", "CONT");
    lan.wait(Duration::from_secs(3), |l| l.has_vip("a"))
        .unwrap_or_else(|| panic!("the VIP deleted during the overflow never came back:\n{}", lan.log("a")));
    assert!(lan.log("a").contains("Netlink monitor lost events (ENOBUFS)"), "{}", lan.log("a"));
}

/// An executable script in the LAN's directory.
fn script_file(lan: &Lan, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = lan.dir.write(name, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The pids of the processes whose command line contains `needle`.
fn pids_running(needle: &std::path::Path) -> Vec<i32> {
    let out = std::process::Command::new("pgrep").arg("-f").arg(needle).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()
}

fn reload_instance(tracked: &[&str]) -> String {
    let list: String = tracked.iter().map(|s| format!("  {s}\n")).collect();
    format!("vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 52\n priority 100\n advert_int 1\n virtual_ipaddress {{\n  {VIP}/32\n }}\n track_script {{\n{list} }}\n}}\n")
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn a_script_removed_by_reload_while_it_runs_credits_its_exit_to_nobody() {
    let mut lan = Lan::new("r");
    let alpha = script_file(&lan, "alpha.sh", "sleep 2\nexit 1");
    let scripts = |with_alpha: bool| {
        let a =
            format!("vrrp_script alpha {{\n script {}\n interval 30\n timeout 10\n weight -10\n}}\n", alpha.display());
        let b = "vrrp_script beta {\n script /bin/true\n interval 1\n weight -50\n}\n";
        if with_alpha {
            format!("{a}{b}{}", reload_instance(&["alpha", "beta"]))
        } else {
            format!("{b}{}", reload_instance(&["beta"]))
        }
    };
    let conf = lan.conf("a.conf", &scripts(true));
    lan.start("a", &conf);
    lan.wait(Duration::from_secs(3), |l| l.log("a").contains("VRRP_Script(beta) succeeded")).expect("beta ran");
    let running = pids_running(&alpha);
    assert_eq!(running.len(), 1, "alpha is running: {running:?}\n{}", lan.log("a"));
    // Reload without alpha while it runs: beta moves to alpha's place in the script list.
    std::fs::write(&conf, scripts(false)).unwrap();
    lan.signal("a", "HUP");
    // alpha exits 1 about 2 s after it started; once /proc has no entry for it, the daemon
    // has reaped it (a zombie keeps its entry) and handed its result over in that turn.
    let gone = lan.wait(Duration::from_secs(5), |_| !std::path::Path::new(&format!("/proc/{}", running[0])).exists());
    assert!(gone.is_some(), "alpha was never reaped");
    lan.signal("a", "USR1");
    let dump = lan.dir.0.join("keepalived.data");
    let dumped = lan.wait(Duration::from_secs(3), |_| {
        std::fs::read_to_string(&dump).is_ok_and(|d| d.contains("Effective priority"))
    });
    assert!(dumped.is_some(), "no data dump");
    let data = std::fs::read_to_string(&dump).unwrap();
    let log = lan.log("a");
    assert!(!log.contains("VRRP_Script(beta) failed"), "alpha's exit was credited to beta:\n{log}");
    assert!(data.contains("   Effective priority = 100\n"), "priority changed:\n{data}\n{log}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn scripts_reordered_by_reload_while_one_runs_keep_running_on_schedule() {
    let mut lan = Lan::new("o");
    let alpha = script_file(&lan, "alpha.sh", "sleep 1\nexit 0");
    let a = format!("vrrp_script alpha {{\n script {}\n interval 2\n timeout 10\n weight -10\n}}\n", alpha.display());
    let b = "vrrp_script beta {\n script /bin/true\n interval 1\n weight -50\n}\n";
    let conf = lan.conf("a.conf", &format!("{a}{b}{}", reload_instance(&["alpha", "beta"])));
    lan.start("a", &conf);
    lan.wait(Duration::from_secs(3), |l| l.log("a").contains("VRRP_Script(beta) succeeded")).expect("beta ran");
    let first = pids_running(&alpha);
    assert_eq!(first.len(), 1, "alpha is running: {first:?}");
    // The same two scripts in the other order, while alpha runs.
    std::fs::write(&conf, format!("{b}{a}{}", reload_instance(&["alpha", "beta"]))).unwrap();
    lan.signal("a", "HUP");
    lan.wait(Duration::from_secs(3), |l| l.log("a").contains("VRRP_Script(alpha) succeeded"))
        .expect("alpha's exit is credited to alpha");
    // Interval 2: the next run starts about 2 s after the first (a stuck "running" flag
    // would skip it, and every later one).
    let next = lan.wait(Duration::from_secs(5), |_| pids_running(&alpha).iter().any(|p| !first.contains(p)));
    let log = lan.log("a");
    assert!(next.is_some(), "alpha never ran again:\n{log}");
    assert!(!log.contains("already running"), "{log}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn what_a_timed_out_script_started_dies_with_it_and_nothing_outlives_the_daemon() {
    let mut lan = Lan::new("g");
    // A copy of sleep at a path of our own, so pgrep sees only this test's orphans.
    let orphan = lan.dir.0.join("orphan-sleep");
    std::fs::copy("/bin/sleep", &orphan).unwrap();
    // The script starts a child that ignores SIGTERM, then hangs past its timeout.
    let script =
        script_file(&lan, "stubborn.sh", &format!("(trap '' TERM; exec {} 1000) &\nsleep 100", orphan.display()));
    let conf = lan.conf(
        "a.conf",
        &format!(
            "vrrp_script stubborn {{\n script {}\n interval 1\n timeout 0.3\n weight -10\n}}\n{}",
            script.display(),
            reload_instance(&["stubborn"])
        ),
    );
    lan.start("a", &conf);
    lan.wait(Duration::from_secs(3), |l| l.log("a").contains("VRRP_Script(stubborn) timed_out")).expect("timed out");
    // Each run leaves an orphan that ignores SIGTERM; the group SIGKILL 2 s after the timeout
    // reaches it although the script itself is long gone. Over 6 runs at most the last three
    // orphans can be alive (the fixed code), never one per run (the old one).
    let started = Instant::now();
    let mut most = 0;
    while started.elapsed() < Duration::from_secs(6) {
        most = most.max(pids_running(&orphan).len());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(most <= 3, "{most} orphans alive at once");
    assert!(!pids_running(&orphan).is_empty(), "the latest run's orphan is alive before the stop");
    lan.signal("a", "TERM");
    assert_eq!(lan.wait_exit("a", Duration::from_secs(3)), Some(0));
    let gone = lan.wait(Duration::from_secs(2), |_| pids_running(&orphan).is_empty());
    assert!(gone.is_some(), "orphans outlived vrrpd: {:?}", pids_running(&orphan));
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn script_output_goes_to_dev_null_not_to_the_daemons_log() {
    let mut lan = Lan::new("q");
    // 1 MB on stdout and on stderr per run; under -n the daemon's stderr is its log.
    let chatty = script_file(
        &lan,
        "chatty.sh",
        "head -c 1000000 /dev/zero | tr '\\000' x\nhead -c 1000000 /dev/zero | tr '\\000' y >&2",
    );
    let conf = lan.conf(
        "a.conf",
        &format!(
            "vrrp_script chatty {{\n script {}\n interval 1\n weight -10\n}}\n{}",
            chatty.display(),
            reload_instance(&["chatty"])
        ),
    );
    lan.start("a", &conf);
    lan.wait(Duration::from_secs(5), |l| l.log("a").matches("VRRP_Script(chatty) succeeded").count() == 1)
        .expect("the script ran");
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a")).expect("master");
    let log = lan.log("a");
    assert!(log.len() < 100_000, "the log grew to {} bytes", log.len());
    assert!(!log.contains("xxxx") && !log.contains("yyyy"));
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn track_file_value_changes_priority_and_moves_the_vip() {
    let mut lan = Lan::new("tf");
    let file = lan.dir.0.join("prio");
    let conf = |prio: u8| {
        format!(
            "vrrp_track_file tf {{\n file {}\n weight -10\n init_file 0 overwrite\n}}\n\
             vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 53\n priority {prio}\n advert_int 1\n \
             virtual_ipaddress {{\n  {VIP}/32\n }}\n track_file {{\n  tf\n }}\n}}\n",
            file.display()
        )
    };
    // init_file 0 overwrite: the file exists with 0 before either daemon reads it.
    std::fs::write(&file, "7\n").unwrap();
    let a = lan.conf("a.conf", &conf(150));
    lan.start("a", &a);
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a")).unwrap_or_else(|| panic!("{}", lan.log("a")));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "0\n", "init_file 0 overwrite");
    // b does not track the file.
    let b = lan.conf(
        "b.conf",
        &format!("vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 53\n priority 100\n advert_int 1\n virtual_ipaddress {{\n  {VIP}/32\n }}\n}}\n"),
    );
    lan.start("b", &b);
    lan.wait(Duration::from_secs(3), |l| l.log("b").contains("(VI_1) Entering BACKUP STATE (init)")).expect("b up");
    // 6 x -10: a drops to 90, b preempts it.
    std::fs::write(&file, "6\n").unwrap();
    lan.wait(Duration::from_secs(2), |l| l.log("a").contains("(VI_1) Changing effective priority from 150 to 90"))
        .unwrap_or_else(|| panic!("the write was not seen:\n{}", lan.log("a")));
    let moved = lan.wait(Duration::from_secs(6), |l| l.has_vip("b") && !l.has_vip("a"));
    assert!(moved.is_some(), "the VIP did not move:\n{}\n{}", lan.log("a"), lan.log("b"));
    // Replaced by a rename (as editors and config tools write): read again; 0 is 150 again.
    let tmp = lan.dir.0.join("prio.new");
    std::fs::write(&tmp, "0\n").unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    let back = lan.wait(Duration::from_secs(6), |l| l.has_vip("a") && !l.has_vip("b"));
    assert!(back.is_some(), "a did not preempt back:\n{}", lan.log("a"));
    // 3 x -10 = 120 (still above b); then deleted: keepalived treats the value as 0.
    std::fs::write(&file, "3\n").unwrap();
    lan.wait(Duration::from_secs(2), |l| l.log("a").contains("(VI_1) Changing effective priority from 150 to 120"))
        .unwrap_or_else(|| panic!("{}", lan.log("a")));
    std::fs::remove_file(&file).unwrap();
    lan.wait(Duration::from_secs(2), |l| l.log("a").contains("(VI_1) Changing effective priority from 120 to 150"))
        .unwrap_or_else(|| panic!("a deleted file is 0:\n{}", lan.log("a")));
    // 30 x -10 = -300: a fault.
    std::fs::write(&file, "30\n").unwrap();
    let fault = lan.wait(Duration::from_secs(3), |l| l.log("a").contains("(VI_1) Entering FAULT STATE"));
    assert!(fault.is_some(), "{}", lan.log("a"));
    lan.wait(Duration::from_secs(6), |l| l.has_vip("b")).expect("b holds the VIP while a is in FAULT");
}

// ---- keyword effects in the kernel (tests/data/keyword-effects.tsv names these) ----

/// Two more links in node a's namespace, dmy0 (10.70.0.1/24) and dmy1 (10.71.0.1/24): veth
/// pairs with both ends up (the kernel here has no dummy driver).
fn extra_links(lan: &Lan) {
    let a = lan.ns("a");
    for (d, addr) in [("dmy0", "10.70.0.1/24"), ("dmy1", "10.71.0.1/24")] {
        let peer = format!("{d}p");
        ip(&["-n", &a, "link", "add", d, "type", "veth", "peer", "name", &peer]);
        ip(&["-n", &a, "link", "set", d, "up"]);
        ip(&["-n", &a, "link", "set", &peer, "up"]);
        ip(&["-n", &a, "addr", "add", addr, "dev", d]);
    }
}

/// `ip -n NS ARGS` of `node`, as text.
fn show(lan: &Lan, node: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("ip").args(["-n", &lan.ns(node)]).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn vip_line_options_reach_the_kernel() {
    let mut lan = Lan::new("vo");
    extra_links(&lan);
    let conf = lan.conf(
        "a.conf",
        "vrrp_instance VI_1 {\n interface enp0s3\n virtual_router_id 51\n priority 150\n advert_int 1\n\
         virtual_ipaddress {\n  10.68.0.1/24 brd 10.68.0.250 scope site label enp0s3:vip\n  192.168.31.241/24 broadcast +\n\
         10.66.0.1 peer 10.66.0.2 dev dmy0\n  10.67.0.1/16 dev dmy1 scope link\n }\n\
         virtual_ipaddress_excluded {\n  2001:db8:66::1/64 dev dmy0 preferred_lft 30\n }\n}\n",
    );
    lan.start("a", &conf);
    let ready = lan.wait(Duration::from_secs(6), |l| show(l, "a", &["addr", "show"]).contains("2001:db8:66::1/64"));
    assert!(ready.is_some(), "a never became master:\n{}", lan.log("a"));
    let addrs = show(&lan, "a", &["addr", "show"]);
    for expected in [
        // A secondary address takes its primary's scope (the kernel refuses another), so the
        // site-scoped one has a subnet of its own.
        "inet 10.68.0.1/24 brd 10.68.0.250 scope site enp0s3:vip".to_string(),
        "inet 192.168.31.241/24 brd 192.168.31.255 scope global secondary enp0s3".to_string(),
        "inet 10.66.0.1 peer 10.66.0.2/32 scope global dmy0".to_string(),
        "inet 10.67.0.1/16 scope link dmy1".to_string(),
    ] {
        assert!(addrs.contains(&expected), "missing {expected:?} in\n{addrs}\n{}", lan.log("a"));
    }
    let v6 = show(&lan, "a", &["-6", "addr", "show", "dev", "dmy0"]);
    let line = v6.lines().skip_while(|l| !l.contains("2001:db8:66::1/64")).nth(1).unwrap_or("");
    assert!(line.contains("valid_lft forever preferred_lft") && !line.contains("preferred_lft forever"), "{v6}");
    let lft: u32 = line.split("preferred_lft ").nth(1).unwrap().trim_end_matches("sec").trim().parse().unwrap();
    assert!((20..=30).contains(&lft), "preferred_lft 30: {line}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn virtual_route_and_rule_options_reach_the_kernel() {
    let mut lan = Lan::new("ro");
    extra_links(&lan);
    let routes = "  10.80.0.0/16 via 10.70.0.254 dev dmy0 metric 7\n  10.81.0.0/16 gw 10.70.0.254 oif dmy0 preference 8 table 101\n\
                  to 10.82.0.0/16 via 192.168.31.1 or 192.168.31.2 priority 9\n  src 10.70.0.1 10.83.0.0/16 dev dmy0 scope host\n\
                  10.85.0.0/16 via 192.0.2.1 dev dmy0 onlink\n  unicast 10.87.0.0/16 dev dmy1\n  unreachable 10.88.0.0/16\n\
                  prohibit 10.89.0.0/16\n  throw 10.90.0.0/16 table 102\n  default via 192.168.31.1 table 103\n";
    let rules = "  from 10.70.0.0/24 to 10.80.0.0/16 table 101 priority 101\n  iif dmy0 oif dmy1 lookup 102 preference 102\n\
                 fwmark 0x10/0xff tos 16 table 103 priority 103\n  from 10.99.0.1 blackhole priority 104\n\
                 from 10.99.0.2 unreachable priority 105\n  from 10.99.0.3 prohibit priority 106\n  from 10.99.0.4 nop priority 107\n\
                 dev dmy1 lookup main pref 108\n  from 10.99.0.5 dsfield 8 table 103 priority 109\n";
    let conf = lan.conf(
        "a.conf",
        &format!(
            "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority 150\n advert_int 1\n\
             virtual_ipaddress {{\n  {VIP}/32\n }}\n virtual_routes {{\n{routes} }}\n virtual_rules {{\n{rules} }}\n}}\n"
        ),
    );
    lan.start("a", &conf);
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a")).unwrap_or_else(|| panic!("no master:\n{}", lan.log("a")));
    // The routes and rules follow the VIPs in the same turn.
    lan.wait(Duration::from_secs(2), |l| show(l, "a", &["rule", "show"]).contains("109:"));
    let table = show(&lan, "a", &["route", "show", "table", "all"]);
    for expected in [
        "10.80.0.0/16 via 10.70.0.254 dev dmy0 proto keepalived metric 7",
        "10.81.0.0/16 via 10.70.0.254 dev dmy0 table 101 proto keepalived metric 8",
        "10.82.0.0/16 proto keepalived metric 9 \n\tnexthop via 192.168.31.1 dev enp0s3 weight 1 \n\tnexthop via 192.168.31.2 dev enp0s3 weight 1",
        "10.83.0.0/16 dev dmy0 proto keepalived scope host src 10.70.0.1",
        "10.85.0.0/16 via 192.0.2.1 dev dmy0 proto keepalived onlink",
        "10.87.0.0/16 dev dmy1 proto keepalived scope link",
        "unreachable 10.88.0.0/16 proto keepalived",
        "prohibit 10.89.0.0/16 proto keepalived",
        "throw 10.90.0.0/16 table 102 proto keepalived",
        "default via 192.168.31.1 dev enp0s3 table 103 proto keepalived",
    ] {
        assert!(table.contains(expected), "missing {expected:?} in\n{table}\n{}", lan.log("a"));
    }
    let rules_now = show(&lan, "a", &["rule", "show"]);
    for expected in [
        "101:\tfrom 10.70.0.0/24 to 10.80.0.0/16 lookup 101",
        "102:\tfrom all iif dmy0 oif dmy1 lookup 102",
        "103:\tfrom all tos 0x10 fwmark 0x10/0xff lookup 103",
        "104:\tfrom 10.99.0.1 blackhole",
        "105:\tfrom 10.99.0.2 unreachable",
        "106:\tfrom 10.99.0.3 prohibit",
        "107:\tfrom 10.99.0.4 nop",
        "108:\tfrom all iif dmy1 lookup main",
        "109:\tfrom 10.99.0.5 tos 0x08 lookup 103",
    ] {
        assert!(rules_now.contains(expected), "missing {expected:?} in\n{rules_now}\n{}", lan.log("a"));
    }
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn vip_address_flags_reach_the_kernel() {
    let mut lan = Lan::new("vf");
    extra_links(&lan);
    let conf = lan.conf(
        "a.conf",
        "vrrp_instance VI_1 {\n interface enp0s3\n virtual_router_id 51\n priority 150\n advert_int 1\n\
         virtual_ipaddress {\n  10.70.5.1/24 dev dmy0 noprefixroute\n }\n virtual_ipaddress_excluded {\n\
         2001:db8:70::1/64 dev dmy0 home mngtmpaddr\n  2001:db8:71::1/64 dev dmy1 -nodad\n  2001:db8:72::1/64 dev dmy1\n }\n}\n",
    );
    lan.start("a", &conf);
    let all = |l: &Lan| show(l, "a", &["addr", "show"]);
    lan.wait(Duration::from_secs(6), |l| all(l).contains("2001:db8:72::1/64"))
        .unwrap_or_else(|| panic!("a never became master:\n{}", lan.log("a")));
    let text = all(&lan);
    let line = |addr: &str| text.lines().find(|l| l.contains(addr)).unwrap_or("").to_string();
    assert!(line("10.70.5.1/24").contains("noprefixroute"), "{text}");
    assert!(line("2001:db8:70::1/64").contains("home") && line("2001:db8:70::1/64").contains("mngtmpaddr"), "{text}");
    // IPv6 VIPs skip DAD (keepalived), unless -nodad asks for it: then it runs (tentative or
    // done, never "nodad").
    assert!(line("2001:db8:72::1/64").contains("nodad"), "{text}");
    assert!(!line("2001:db8:71::1/64").contains("nodad"), "{text}");
}

/// A master (VRID 51, priority 150) holding the test VIP and these `virtual_routes` lines.
fn routes_instance(routes: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority 150\n advert_int 1\n\
         virtual_ipaddress {{\n  {VIP}/32\n }}\n virtual_routes {{\n{routes} }}\n}}\n"
    )
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn local_broadcast_multicast_and_anycast_routes_reach_the_kernel() {
    let mut lan = Lan::new("rt");
    extra_links(&lan);
    let routes = "  local 10.91.0.1 dev dmy0\n  broadcast 10.70.0.255 dev dmy0 table 104\n  anycast 10.70.0.0 dev dmy0 table 104\n\
                  multicast 239.1.1.0/24 dev dmy0 table 104\n";
    let conf = lan.conf("a.conf", &routes_instance(routes));
    lan.start("a", &conf);
    let table = |l: &Lan| show(l, "a", &["route", "show", "table", "all"]);
    lan.wait(Duration::from_secs(6), |l| table(l).contains("multicast 239.1.1.0/24"))
        .unwrap_or_else(|| panic!("missing routes:\n{}\n{}", table(&lan), lan.log("a")));
    let t = table(&lan);
    for expected in [
        "local 10.91.0.1 dev dmy0 table local proto keepalived scope host",
        "broadcast 10.70.0.255 dev dmy0 table 104 proto keepalived scope link",
        "anycast 10.70.0.0 dev dmy0 table 104 proto keepalived scope link",
        "multicast 239.1.1.0/24 dev dmy0 table 104 proto keepalived scope link",
    ] {
        assert!(t.contains(expected), "missing {expected:?} in\n{t}\n{}", lan.log("a"));
    }
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn virtual_route_protocol_is_the_one_configured() {
    let mut lan = Lan::new("rp");
    extra_links(&lan);
    let routes =
        "  10.92.0.0/16 dev dmy0 proto static\n  10.93.0.0/16 dev dmy0 protocol 201\n  10.94.0.0/16 dev dmy0\n";
    let conf = lan.conf("a.conf", &routes_instance(routes));
    lan.start("a", &conf);
    let table = |l: &Lan| show(l, "a", &["route", "show"]);
    lan.wait(Duration::from_secs(6), |l| table(l).contains("10.94.0.0/16"))
        .unwrap_or_else(|| panic!("missing routes:\n{}\n{}", table(&lan), lan.log("a")));
    let t = table(&lan);
    assert!(t.contains("10.92.0.0/16 dev dmy0 proto static"), "{t}");
    assert!(!t.contains("10.92.0.0/16 dev dmy0 proto keepalived"), "{t}");
    assert!(t.contains("10.93.0.0/16 dev dmy0 proto 201"), "{t}");
    assert!(t.contains("10.94.0.0/16 dev dmy0 proto keepalived"), "{t}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn scripts_run_as_their_user_and_the_fifo_scripts_get_their_fifo() {
    let mut lan = Lan::new("uid");
    let out = lan.dir.0.join("out");
    std::fs::create_dir(&out).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o1777)).unwrap();
    // Each run records who it ran as, and its arguments.
    let who = script_file(&lan, "who.sh", &format!("echo \"$(id -u) $*\" > {}/$1", out.display()));
    let fifo = |name: &str| out.join(name).display().to_string();
    let conf = lan.conf(
        "a.conf",
        &format!(
            "global_defs {{\n script_user nobody\n notify_fifo {g}\n notify_fifo_script \"{who} g-fifo\"\n\
             vrrp_notify_fifo {v}\n vrrp_notify_fifo_script \"{who} v-fifo\" daemon\n}}\n\
             vrrp_script own {{\n script \"{who} own\"\n user daemon\n}}\nvrrp_script dflt {{\n script \"{who} dflt\"\n}}\n\
             vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority 150\n advert_int 1\n\
             virtual_ipaddress {{\n  {VIP}/32\n }}\n track_script {{\n  own\n  dflt\n }}\n\
             notify_master \"{who} master\" daemon\n notify_backup \"{who} backup\"\n}}\n",
            who = who.display(),
            g = fifo("g.fifo"),
            v = fifo("v.fifo"),
        ),
    );
    lan.start("a", &conf);
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default().trim().to_string();
    let done = lan.wait(Duration::from_secs(8), |_| {
        ["own", "dflt", "master", "backup", "g-fifo", "v-fifo"].iter().all(|n| !read(n).is_empty())
    });
    assert!(done.is_some(), "not every script ran:\n{}", lan.log("a"));
    assert_eq!(read("own"), "1 own", "vrrp_script user");
    assert_eq!(read("dflt"), "65534 dflt", "script_user");
    assert_eq!(read("master"), "1 master", "a notify's user");
    assert_eq!(read("backup"), "65534 backup");
    assert_eq!(read("g-fifo"), format!("65534 g-fifo {}", fifo("g.fifo")), "notify_fifo_script gets its FIFO");
    assert_eq!(read("v-fifo"), format!("1 v-fifo {}", fifo("v.fifo")), "vrrp_notify_fifo_script");
}
