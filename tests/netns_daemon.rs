//! Root only: the real daemon on a namespaced LAN built here (a bridge in a "switch"
//! namespace, nodes with the seed's interface name enp0s3, a client). Ignored by default;
//! `make test` runs it when it is root (CI is). Every namespace and process is removed by
//! `Drop` on every exit path; each wait is bounded.
mod common;
use common::lan::{ip, Lan};
use common::*;
use std::time::{Duration, Instant};

use common::lan::VIP;
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
    assert!(moved.as_millis() as u64 <= SKEW_100_MS + 20 + 10, "{moved:?} (10 ms for polling `ip`)");
    assert!(moved.as_millis() as u64 >= SKEW_100_MS - 5, "not before the skew: {moved:?}");
    assert_eq!(code, Some(0));
    assert!(exited <= Duration::from_millis(1100));
    assert!(!lan.has_vip("a"), "a released the VIP");
    assert!(lan.log("a").contains("(VI_1) sent 0 priority"));
    assert!(lan.log("b").contains("(VI_1) Entering MASTER STATE"));
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
    assert!(moved.as_millis() as u64 <= DOWN_100_MS + 20 + 10, "{moved:?}");
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
    assert!(total >= Duration::from_millis(590) && total <= Duration::from_millis(700), "{total:?}");
    assert!(!lan.has_vip("b"));
    assert!(lan.log("a").contains("(VI_1) Entering BACKUP STATE"));
}
