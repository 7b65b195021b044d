//! Root only: interoperation with Debian's keepalived 2.2.7 as the peer, in both roles, for
//! VRRPv2 with PASS authentication, VRRPv3 at advert_int 0.1, and VRRPv3 over IPv6: election, priority-0
//! hand-over both ways, preemption on return, and a quiet period without a single state
//! change on either side. Ignored by default; `make test` runs it as root when keepalived is
//! installed (CI installs it).
mod common;
use common::lan::{Lan, VIP};
use std::time::Duration;

/// Seconds of calm with both up in which neither side may change state (issue: 60).
fn quiet_secs() -> u64 {
    std::env::var("VRRPD_INTEROP_QUIET_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(60)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    V2Pass,
    V3Fast,
    V6,
}

const VIP6: &str = "2001:db8:31::240";

fn conf(priority: u8, kind: Kind) -> String {
    let (version, interval, auth, vip) = match kind {
        Kind::V3Fast => (" version 3\n", "0.1", "", format!("{VIP}/32")),
        Kind::V2Pass => ("", "1", " authentication {\n  auth_type PASS\n  auth_pass s3cret\n }\n", format!("{VIP}/32")),
        Kind::V6 => ("", "0.1", "", format!("{VIP6}/128")),
    };
    format!(
        "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n priority {priority}\n advert_int {interval}\n{version}{auth} virtual_ipaddress {{\n  {vip}\n }}\n}}\n"
    )
}

fn transitions(log: &str) -> usize {
    log.lines().filter(|l| l.contains("Entering ") && l.contains(" STATE")).count()
}

/// `high` runs at priority 150 on node a, `low` at 100 on node b; each is "vrrpd" or "keepalived".
fn scenario(tag: &str, high: &str, low: &str, kind: Kind) {
    let vip = if kind == Kind::V6 { VIP6 } else { VIP };
    let lan_check = std::process::Command::new("keepalived").arg("-v").output();
    assert!(lan_check.is_ok(), "keepalived is not installed");
    let mut lan = Lan::new(tag);
    let ca = lan.conf("a.conf", &conf(150, kind));
    let cb = lan.conf("b.conf", &conf(100, kind));
    if kind == Kind::V6 {
        lan.wait_link_local();
    }
    let start = |lan: &mut Lan, node: &str, who: &str, c: &std::path::Path| {
        if who == "keepalived" {
            lan.start_keepalived(node, c)
        } else {
            lan.start(node, c)
        }
    };
    let (interval_ms, skew_100_ms): (u64, u64) = if kind == Kind::V2Pass { (1000, 609) } else { (100, 60) };
    start(&mut lan, "a", high, &ca);
    start(&mut lan, "b", low, &cb);
    let down = Duration::from_millis(3 * interval_ms + 1000 + 2000);
    lan.wait(down + Duration::from_secs(2), |l| l.has_addr("a", vip))
        .unwrap_or_else(|| panic!("{high} (150) never became master:\n{}", lan.log("a")));
    assert!(!lan.has_addr("b", vip), "{low} (100) must stay BACKUP");

    // Calm: not a single state change on either side.
    let (ta, tb) = (transitions(&lan.log("a")), transitions(&lan.log("b")));
    std::thread::sleep(Duration::from_secs(quiet_secs()));
    assert_eq!(
        (transitions(&lan.log("a")), transitions(&lan.log("b"))),
        (ta, tb),
        "state changes during the quiet period:\n{}\n{}",
        lan.log("a"),
        lan.log("b")
    );
    assert!(lan.has_addr("a", vip) && !lan.has_addr("b", vip));

    // Priority-0 hand-over: the master stops; the backup takes over after Skew_Time.
    lan.signal("a", "TERM");
    let moved = lan
        .wait(Duration::from_secs(3), |l| l.has_addr("b", vip))
        .unwrap_or_else(|| panic!("{low} did not take over:\n{}", lan.log("b")));
    println!("{tag}: {high} stopped, {low} took the VIP after {} ms (skew {skew_100_ms} ms)", moved.as_millis());
    assert!(moved <= Duration::from_millis(skew_100_ms + common::lan::LOAD_MARGIN_MS), "{moved:?}");
    lan.wait_exit("a", Duration::from_secs(6));

    // Preemption: the higher priority returns and takes the VIP back.
    start(&mut lan, "a", high, &ca);
    let back = lan.wait(down + Duration::from_secs(3), |l| l.has_addr("a", vip) && !l.has_addr("b", vip));
    assert!(back.is_some(), "{high} did not preempt:\n{}\n{}", lan.log("a"), lan.log("b"));
    println!("{tag}: {high} preempted {low} after {} ms", back.unwrap().as_millis());
}

#[test]
#[ignore = "needs root and keepalived (make test runs it as root)"]
fn v2_pass_vrrpd_master_keepalived_backup() {
    scenario("i1", "vrrpd", "keepalived", Kind::V2Pass);
}

#[test]
#[ignore = "needs root and keepalived (make test runs it as root)"]
fn v2_pass_keepalived_master_vrrpd_backup() {
    scenario("i2", "keepalived", "vrrpd", Kind::V2Pass);
}

#[test]
#[ignore = "needs root and keepalived (make test runs it as root)"]
fn v3_fast_vrrpd_master_keepalived_backup() {
    scenario("i3", "vrrpd", "keepalived", Kind::V3Fast);
}

#[test]
#[ignore = "needs root and keepalived (make test runs it as root)"]
fn v3_fast_keepalived_master_vrrpd_backup() {
    scenario("i4", "keepalived", "vrrpd", Kind::V3Fast);
}

#[test]
#[ignore = "needs root and keepalived (make test runs it as root)"]
fn ipv6_vrrpd_master_keepalived_backup() {
    scenario("i5", "vrrpd", "keepalived", Kind::V6);
}

#[test]
#[ignore = "needs root and keepalived (make test runs it as root)"]
fn ipv6_keepalived_master_vrrpd_backup() {
    scenario("i6", "keepalived", "vrrpd", Kind::V6);
}
