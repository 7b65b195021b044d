//! Root only: `vrrp_track_process` in the real daemon. Node a tracks a process, node b does
//! not; the process is a copy of /bin/sleep in the test's directory under a name holding the
//! test's pid (/proc is shared across network namespaces, so no host process can match it).
//! Killing it moves the VIP to b; starting it again brings the VIP back (preempt). Every
//! namespace and process is removed on every exit path; each wait is bounded.
mod common;
use common::lan::{Lan, LOAD_MARGIN_MS, VIP};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// v2, advert 1 s: skew of b (priority 100), and the master-down intervals of a (150) and
/// b (100).
const SKEW_100_MS: u64 = 609;
const DOWN_150_MS: u64 = 3_414;
const DOWN_100_MS: u64 = 3_609;
/// vrrpd's /proc scan interval (src/io/track_process.rs SCAN_INTERVAL_US). An exit is seen at
/// once through its pidfd.
const SCAN_MS: u64 = 1_000;
/// How late a process that starts is seen: up to a whole interval until the next scan starts,
/// plus that scan's own run (one loop turn per 128 entries, and after a costly scan a rest of
/// 9 times its CPU time). Two intervals bound it honestly with a busy CPU beside the test.
const SEEN_STARTED_MS: u64 = 2 * SCAN_MS;
/// terminate_delay of the weight test.
const TERMINATE_DELAY_MS: u64 = 2_000;
/// The tracked processes sleep this long: longer than any test here runs (each wait is
/// bounded, the longest test sums under 40 s), so a test binary killed before its drops ran
/// leaves none behind for long.
const TRACKED_LIFE_S: &str = "90";

/// The tracked program: a copy of sleep named `tp<pid><tag>` (at most 15 bytes, the kernel's
/// comm), killed when dropped.
struct Tracked {
    path: PathBuf,
    running: Vec<Child>,
}

impl Tracked {
    fn new(lan: &Lan, tag: &str) -> Tracked {
        let path = lan.dir.0.join(format!("tp{}{tag}", std::process::id()));
        std::fs::copy("/bin/sleep", &path).unwrap();
        Tracked { path, running: Vec::new() }
    }
    fn name(&self) -> String {
        self.path.file_name().unwrap().to_string_lossy().into_owned()
    }
    /// Runs it for `TRACKED_LIFE_S`, or with `arg` when one is given.
    fn start(&mut self, arg: Option<&str>) {
        let arg = arg.unwrap_or(TRACKED_LIFE_S);
        let child = Command::new(&self.path).arg(arg).stdin(Stdio::null()).spawn().unwrap();
        self.running.push(child);
    }
    fn kill(&mut self) {
        for mut c in self.running.drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.kill();
    }
}

fn instance(prio: u8, track: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 61\n priority {prio}\n advert_int 1\n \
         virtual_ipaddress {{\n  {VIP}/32\n }}\n{track}}}\n"
    )
}

/// a (150) tracks `block`'s process with `reference`; b (100) tracks nothing.
fn pair(lan: &mut Lan, block: &str, reference: &str) {
    let a = lan.conf(
        "a.conf",
        &format!(
            "vrrp_track_process tp {{\n{block}}}\n{}",
            instance(150, &format!(" track_process {{\n  tp{reference}\n }}\n"))
        ),
    );
    let b = lan.conf("b.conf", &instance(100, ""));
    lan.start("b", &b);
    lan.start("a", &a);
}

fn both_logs(lan: &Lan) -> String {
    format!("--- a\n{}\n--- b\n{}", lan.log("a"), lan.log("b"))
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn killing_the_tracked_process_moves_the_vip_and_starting_it_brings_it_back() {
    let mut lan = Lan::new("tp");
    let mut p = Tracked::new(&lan, "a");
    p.start(None);
    pair(&mut lan, &format!(" process {}\n weight 0\n", p.name()), "");
    lan.wait(Duration::from_secs(8), |l| l.has_vip("a")).unwrap_or_else(|| panic!("{}", both_logs(&lan)));
    lan.wait(Duration::from_secs(3), |l| l.log("b").contains("(VI_1) Entering BACKUP STATE")).expect("b up");
    // Settled: had b not heard a's adverts, it would claim the VIP within its master-down.
    let moved = lan.wait(Duration::from_millis(DOWN_100_MS + LOAD_MARGIN_MS), |l| l.has_vip("b") || !l.has_vip("a"));
    assert!(moved.is_none(), "{}", both_logs(&lan));

    // Killed: its pidfd says so at once; a enters FAULT, sends priority 0, b takes over
    // after its skew time.
    let killed = Instant::now();
    p.kill();
    let released = lan.wait(Duration::from_secs(3), |l| !l.has_vip("a")).expect("a kept the VIP");
    assert!(released.as_millis() as u64 <= LOAD_MARGIN_MS, "a released the VIP {released:?} after the kill");
    lan.wait(Duration::from_secs(5), |l| l.has_vip("b")).unwrap_or_else(|| panic!("{}", both_logs(&lan)));
    let moved = killed.elapsed();
    eprintln!("kill: a released the VIP after {released:?}, b held it after {moved:?}");
    assert!(moved.as_millis() as u64 <= SKEW_100_MS + LOAD_MARGIN_MS, "b took the VIP {moved:?} after the kill");
    let log = lan.log("a");
    assert!(log.contains("Quorum lost for tracked process tp"), "{log}");
    assert!(log.contains("(VI_1) Entering FAULT STATE"), "{log}");

    // Started again: the next scan counts it, a leaves FAULT and preempts b at its
    // master-down time.
    let started = Instant::now();
    p.start(None);
    lan.wait(Duration::from_secs(8), |l| l.has_vip("a") && !l.has_vip("b"))
        .unwrap_or_else(|| panic!("a did not come back:\n{}", both_logs(&lan)));
    let back = started.elapsed();
    eprintln!("start: a held the VIP again after {back:?}");
    let bound = SEEN_STARTED_MS + DOWN_150_MS + LOAD_MARGIN_MS;
    assert!(back.as_millis() as u64 <= bound, "a preempted {back:?} after the start");
    assert!(lan.log("a").contains("Quorum gained for tracked process tp"));
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn a_weight_lowers_the_priority_and_terminate_delay_hides_a_quick_restart() {
    let mut lan = Lan::new("tw");
    let mut p = Tracked::new(&lan, "w");
    p.start(None);
    pair(
        &mut lan,
        &format!(" process {}\n weight -60\n terminate_delay {}\n", p.name(), TERMINATE_DELAY_MS / 1000),
        "",
    );
    lan.wait(Duration::from_secs(8), |l| l.has_vip("a")).unwrap_or_else(|| panic!("{}", both_logs(&lan)));
    lan.wait(Duration::from_secs(3), |l| l.log("b").contains("(VI_1) Entering BACKUP STATE")).expect("b up");

    // Gone for half a second, within terminate_delay: nothing changes.
    p.kill();
    std::thread::sleep(Duration::from_millis(TERMINATE_DELAY_MS / 4));
    p.start(None);
    // Had the restart gone unseen, the quorum would be lost terminate_delay after the exit.
    let quiet = lan.wait(Duration::from_millis(TERMINATE_DELAY_MS + LOAD_MARGIN_MS), |l| {
        !l.has_vip("a") || l.log("a").contains("Quorum lost")
    });
    assert!(quiet.is_none(), "a restart within terminate_delay was noticed:\n{}", both_logs(&lan));

    // Gone for good: the quorum is lost terminate_delay after the exit, a drops to 90 and b
    // (100) preempts it.
    p.kill();
    let lowered = lan
        .wait(Duration::from_secs(4), |l| l.log("a").contains("(VI_1) Changing effective priority from 150 to 90"))
        .unwrap_or_else(|| panic!("{}", both_logs(&lan)));
    eprintln!("terminate_delay 2 s: priority lowered {lowered:?} after the exit");
    assert!(
        lowered >= Duration::from_millis(TERMINATE_DELAY_MS),
        "the quorum was lost {lowered:?} after the exit, before terminate_delay"
    );
    assert!(lowered.as_millis() as u64 <= TERMINATE_DELAY_MS + LOAD_MARGIN_MS, "lost {lowered:?} after the exit");
    lan.wait(Duration::from_secs(6), |l| l.has_vip("b") && !l.has_vip("a"))
        .unwrap_or_else(|| panic!("b did not preempt a at 90:\n{}", both_logs(&lan)));
    assert!(lan.log("a").contains("Quorum lost for tracked process tp"));
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn full_command_matches_argv0() {
    let mut lan = Lan::new("tc");
    let mut p = Tracked::new(&lan, "c");
    // argv[0] is the full path; the arguments must be exactly TRACKED_LIFE_S.
    p.start(Some("89"));
    pair(&mut lan, &format!(" process {} {TRACKED_LIFE_S}\n weight 0\n", p.path.display()), "");
    let fault = "(VI_1) entering FAULT state (tracked process tp quorum not achieved)";
    lan.wait(Duration::from_secs(3), |l| l.log("a").contains(fault)).unwrap_or_else(|| panic!("{}", both_logs(&lan)));
    lan.wait(Duration::from_secs(8), |l| l.has_vip("b")).unwrap_or_else(|| panic!("{}", both_logs(&lan)));
    // Other arguments never match, however many scans pass (two scans' time).
    std::thread::sleep(Duration::from_millis(SEEN_STARTED_MS));
    assert!(!lan.log("a").contains("Quorum gained"), "{}", both_logs(&lan));
    p.start(None);
    lan.wait(Duration::from_millis(SEEN_STARTED_MS + LOAD_MARGIN_MS), |l| {
        l.log("a").contains("Quorum gained for tracked process tp")
    })
    .unwrap_or_else(|| panic!("{}", both_logs(&lan)));
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a") && !l.has_vip("b"))
        .unwrap_or_else(|| panic!("a did not preempt:\n{}", both_logs(&lan)));
}

/// keepalived 2.2.7 as the peer: a's priority-0 advert on FAULT hands the VIP over within
/// keepalived's skew time too. (keepalived cannot be the tracking node here: its proc
/// connector refuses a listener outside the initial network namespace, ECONNREFUSED, so its
/// track_process never counts anything in a namespace.)
#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn keepalived_as_the_peer_takes_over_when_the_process_dies() {
    if Command::new("keepalived").arg("-v").stderr(Stdio::null()).status().is_err() {
        eprintln!("*** SKIPPED: keepalived is not installed");
        return;
    }
    let mut lan = Lan::new("tk");
    let mut p = Tracked::new(&lan, "k");
    p.start(None);
    let a = lan.conf(
        "a.conf",
        &format!(
            "vrrp_track_process tp {{\n process {}\n}}\n{}",
            p.name(),
            instance(150, " track_process {\n  tp\n }\n")
        ),
    );
    let b = lan.conf("b.conf", &instance(100, ""));
    lan.start_keepalived("b", &b);
    lan.start("a", &a);
    lan.wait(Duration::from_secs(8), |l| l.has_vip("a")).unwrap_or_else(|| panic!("{}", both_logs(&lan)));
    // Settled: had keepalived not heard a's adverts, it would claim the VIP within its
    // master-down.
    let moved = lan.wait(Duration::from_millis(DOWN_100_MS + LOAD_MARGIN_MS), |l| l.has_vip("b") || !l.has_vip("a"));
    assert!(moved.is_none(), "{}", both_logs(&lan));
    let killed = Instant::now();
    p.kill();
    lan.wait(Duration::from_secs(5), |l| l.has_vip("b") && !l.has_vip("a"))
        .unwrap_or_else(|| panic!("{}", both_logs(&lan)));
    let moved = killed.elapsed();
    eprintln!("keepalived peer: b held the VIP {moved:?} after the kill");
    assert!(
        moved.as_millis() as u64 <= SKEW_100_MS + LOAD_MARGIN_MS,
        "keepalived took the VIP {moved:?} after the kill"
    );
    p.start(None);
    lan.wait(Duration::from_secs(8), |l| l.has_vip("a") && !l.has_vip("b"))
        .unwrap_or_else(|| panic!("a did not preempt keepalived:\n{}", both_logs(&lan)));
}
