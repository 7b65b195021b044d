//! Root only: the keepalived 2.2.8-2.4 keywords at run time, in namespaces: the dump files'
//! paths (`state_dump_file`, `stats_dump_file`, `json_dump_file`, `json_version 2`, masked
//! passwords), `timer_expired_backup` after a stall, `vrrp_delay_after_boot` in a time
//! namespace, and RFC 9568 §5.2.8 on a LAN where keepalived 2.2.7 (pseudo-header), a vrrpd
//! with `v3_checksum_as_v2` and a default vrrpd elect one master. Ignored by default;
//! `make netns-test` runs it.
mod common;
use common::lan::{Lan, LOAD_MARGIN_MS, VIP};
use std::time::Duration;

fn conf(priority: u8, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority {priority}\n advert_int 1\n{extra}\n virtual_ipaddress {{\n  {VIP}/32\n }}\n}}\n"
    )
}

fn count(log: &str, needle: &str) -> usize {
    log.matches(needle).count()
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn dump_files_go_where_global_defs_says() {
    let mut lan = Lan::new("kd");
    let dumps = lan.dir.0.join("dumps");
    std::fs::create_dir(&dumps).unwrap();
    // A directory (trailing /), a relative name (its last component, in TMPDIR), a file.
    let global = format!(
        "global_defs {{\n state_dump_file {}/\n stats_dump_file sub/st.txt\n json_dump_file {}/ka.json\n json_version 2\n}}\n",
        dumps.display(),
        dumps.display()
    );
    let auth = " authentication {\n  auth_type PASS\n  auth_pass s3cret\n }";
    let c = lan.conf("a.conf", &format!("{global}{}", conf(150, auth)));
    lan.start("a", &c);
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a")).expect("a became master");
    let json_sig = String::from_utf8(
        std::process::Command::new(env!("CARGO_BIN_EXE_vrrpd")).arg("--signum=JSON").output().unwrap().stdout,
    )
    .unwrap();
    for (sig, path, needle) in [
        ("USR1", dumps.join("keepalived.data"), "   Authentication type = SIMPLE_PASSWORD\n   Password = ********\n"),
        ("USR2", lan.dir.0.join("st.txt"), "VRRP Instance: VI_1\n  Advertisements:\n"),
        (json_sig.trim(), dumps.join("ka.json"), "{\"vrrp\":[{\"data\":{\"iname\":\"VI_1\""),
    ] {
        lan.signal("a", sig);
        let ok = lan.wait(Duration::from_secs(2), |_| std::fs::read_to_string(&path).is_ok_and(|t| t.contains(needle)));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(ok.is_some(), "{}: {text:?}\n{}", path.display(), lan.log("a"));
        assert!(!text.contains("s3cret"), "the password leaked into {}", path.display());
    }
    assert!(std::fs::read_to_string(dumps.join("ka.json")).unwrap().contains("\"auth_data\":\"********\""));
    for default in ["keepalived.data", "keepalived.stats", "keepalived.json"] {
        assert!(!lan.dir.0.join(default).exists(), "{default} written in TMPDIR too");
    }
    // -d masks it as well.
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", &lan.ns("a"), env!("CARGO_BIN_EXE_vrrpd"), "-d", "-f"])
        .arg(&c)
        .output()
        .unwrap();
    let dump = String::from_utf8_lossy(&out.stdout);
    assert!(dump.contains("Password = ********") && !dump.contains("s3cret"), "{dump}");
}

/// A (150, nopreempt, `extra`) is master, is stopped until b (100, nopreempt) takes over,
/// then continued. Returns (a's log, b's log, a holds the VIP, b holds it) 3 s later.
fn stall(tag: &str, extra: &str) -> (String, String, bool, bool) {
    let mut lan = Lan::new(tag);
    let ca = lan.conf("a.conf", &conf(150, &format!(" nopreempt\n{extra}")));
    let cb = lan.conf("b.conf", &conf(100, " nopreempt"));
    lan.start("a", &ca);
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a")).expect("a became master");
    lan.start("b", &cb);
    lan.wait(Duration::from_secs(2), |l| l.log("b").contains("Entering BACKUP STATE")).expect("b started");
    lan.signal("a", "STOP");
    // b's down timer: 3 intervals + skew(100) = 3.61 s after a's last advert.
    let took = lan.wait(Duration::from_secs(6), |l| l.has_vip("b"));
    lan.signal("a", "CONT");
    took.unwrap_or_else(|| panic!("b never took over from the stopped a:\n{}", lan.log("b")));
    std::thread::sleep(Duration::from_secs(3));
    (lan.log("a"), lan.log("b"), lan.has_vip("a"), lan.has_vip("b"))
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn timer_expired_backup_hands_over_quietly_after_a_stall() {
    // keepalived 2.2.8: woken after a stall longer than a takeover, the MASTER goes BACKUP
    // before sending again (nopreempt: the VIPs move once, not twice).
    let (a, b, a_vip, b_vip) = stall("kt", " timer_expired_backup");
    assert!(a.contains("VRRP thread timer expired"), "{a}");
    assert_eq!(count(&a, "Entering BACKUP STATE"), 2, "init, then after the stall:\n{a}");
    assert!(!a_vip && b_vip, "b keeps the VIP:\n{a}\n{b}");
    assert_eq!(count(&b, "Entering BACKUP STATE"), 1, "b never left MASTER:\n{b}");
    // Without it the stalled master advertises at once and takes the VIPs back.
    let (a, b, a_vip, b_vip) = stall("ku", "");
    assert!(!a.contains("VRRP thread timer expired"), "{a}");
    assert!(a_vip && !b_vip, "a takes the VIP back:\n{a}\n{b}");
    assert_eq!(count(&b, "Entering BACKUP STATE"), 2, "b yields:\n{b}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn vrrp_delay_after_boot_holds_the_start_until_the_boot_delay_is_over() {
    // A time namespace makes the system 2 s old; vrrp_delay_after_boot 6 waits the other 4 s
    // (keepalived 2.4 vrrp_delay_after_boot_handler()), then the usual master-down.
    let uptime: f64 =
        std::fs::read_to_string("/proc/uptime").unwrap().split_whitespace().next().unwrap().parse().unwrap();
    let mut lan = Lan::new("kb");
    let c = lan.conf("a.conf", &format!("global_defs {{\n vrrp_delay_after_boot 6\n}}\n{}", conf(150, "")));
    lan.start_with_boottime("a", &c, -(uptime as i64 - 2));
    let took = lan.wait(Duration::from_secs(12), |l| l.has_vip("a")).expect("a became master");
    let log = lan.log("a");
    let line = log.lines().find(|l| l.contains("Delaying startup for ")).unwrap_or_else(|| panic!("{log}"));
    let secs: f64 = line.rsplit("Delaying startup for ").next().unwrap().trim_end_matches(" seconds").parse().unwrap();
    // The namespace's uptime at vrrpd's start is 2 s plus the host uptime's fraction (the
    // offset is whole seconds) plus the time vrrpd took to start (a second or so under load).
    let at_most = 4.0 - uptime.fract();
    assert!(secs <= at_most + 0.01 && secs >= at_most - 1.5, "{line}: expected up to {at_most:.2} s");
    // Master down at priority 150: 3 s + skew(150) = 3.41 s after the delay.
    let earliest = Duration::from_secs_f64(secs + 3.41) - Duration::from_millis(LOAD_MARGIN_MS);
    assert!(took >= earliest, "master after {took:?}, delay {secs} s");
    // Long after boot (the host's own uptime) there is no delay.
    let mut lan = Lan::new("kc");
    let c = lan.conf("a.conf", &format!("global_defs {{\n vrrp_delay_after_boot 6\n}}\n{}", conf(150, "")));
    lan.start("a", &c);
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a")).expect("a became master");
    assert!(!lan.log("a").contains("Delaying startup"), "{}", lan.log("a"));
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn keepalived_and_both_vrrpd_checksum_forms_elect_one_master() {
    // RFC 9568 §5.2.8: keepalived 2.2.7 (a, with the pseudo-header, 150), vrrpd with
    // v3_checksum_as_v2 (b, 120) and a default vrrpd (c, 100) on one v3 LAN.
    assert!(std::process::Command::new("keepalived").arg("-v").output().is_ok(), "keepalived is not installed");
    let mut lan = Lan::new("k9");
    let v3 = " version 3";
    let ca = lan.conf("a.conf", &conf(150, v3));
    let cb = lan.conf("b.conf", &conf(120, &format!("{v3}\n v3_checksum_as_v2")));
    let cc = lan.conf("c.conf", &conf(100, v3));
    // keepalived first, so that the vrrpd start as backups of a running master.
    lan.start_keepalived("a", &ca);
    lan.wait(Duration::from_secs(8), |l| l.has_addr("a", VIP)).unwrap_or_else(|| panic!("{}", lan.log("a")));
    lan.start("b", &cb);
    lan.start("c", &cc);
    // Both vrrpd follow keepalived; b hears it in the other form.
    let backups = |l: &Lan| {
        ["b", "c"].iter().all(|n| l.ctl(n, &["status", "--json"]).1.contains("\"state\":\"BACKUP\""))
            && !l.has_addr("b", VIP)
            && !l.has_addr("c", VIP)
    };
    std::thread::sleep(Duration::from_secs(4));
    assert!(backups(&lan), "b:\n{}\nc:\n{}", lan.log("b"), lan.log("c"));
    let (_, b_status, _) = lan.ctl("b", &["status", "--json"]);
    assert!(b_status.contains("\"checksum\":{\"ours\":\"plain\",\"other_form_peers\":[{"), "{b_status}");
    assert!(b_status.contains("{\"address\":\"192.168.31.20\",\"form\":\"pseudo_header\""), "{b_status}");
    let (_, c_status, _) = lan.ctl("c", &["status", "--json"]);
    assert!(c_status.contains("\"checksum\":{\"ours\":\"pseudo_header\""), "{c_status}");
    assert!(!c_status.contains("\"form\":\"pseudo_header\""), "c's own form is not counted: {c_status}");
    let (_, b_text, _) = lan.ctl("b", &["status"]);
    assert!(b_text.contains("checksum of 192.168.31.20: with the IPv4 pseudo-header"), "{b_text}");
    // keepalived resigns: b (120) takes over and sends the plain form, which c follows.
    lan.signal("a", "TERM");
    lan.wait(Duration::from_secs(4), |l| l.has_addr("b", VIP)).unwrap_or_else(|| panic!("{}", lan.log("b")));
    std::thread::sleep(Duration::from_secs(4));
    assert!(!lan.has_addr("c", VIP), "c must follow b:\n{}", lan.log("c"));
    let (_, c_status, _) = lan.ctl("c", &["status", "--json"]);
    assert!(c_status.contains("{\"address\":\"192.168.31.30\",\"form\":\"plain\""), "{c_status}");
    assert!(lan.log("c").contains("192.168.31.30 sends VRRPv3 checksums without the pseudo-header"));
    // Measured: keepalived 2.2.7 back at a lower priority drops b's plain adverts ...
    lan.wait_exit("a", Duration::from_secs(5));
    let ca = lan.conf("a2.conf", &conf(90, v3));
    lan.start_keepalived("a", &ca);
    let said = |l: &Lan| l.log("a").contains("Invalid VRRPv3 checksum");
    lan.wait(Duration::from_secs(6), said).unwrap_or_else(|| panic!("keepalived:\n{}", lan.log("a")));
    // It cannot hear the master, so it takes over too: a split brain vrrpd does not cause.
    let master = |l: &Lan| l.log("a").contains("Entering MASTER STATE");
    lan.wait(Duration::from_secs(6), master).unwrap_or_else(|| panic!("keepalived:\n{}", lan.log("a")));
    println!("keepalived 2.2.7 with the plain form:\n{}", lan.log("a"));
    // ... while b stays master (a's lower priority) and c keeps following it.
    assert!(lan.has_addr("b", VIP) && !lan.has_addr("c", VIP));
}
