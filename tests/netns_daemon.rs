//! Root only: the real daemon on a namespaced LAN built here (a bridge in a "switch"
//! namespace, nodes with the seed's interface name enp0s3, a client). Ignored by default;
//! `make test` runs it when it is root (CI is). Every namespace and process is removed by
//! `Drop` on every exit path; each wait is bounded.
mod common;
use common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const VIP: &str = "192.168.31.240";
/// Seed timings (v2, advert 2 s): skew and master-down of the backup (priority 100).
const SKEW_100_MS: u64 = 609;
const DOWN_100_MS: u64 = 6_609;

fn ip(args: &[&str]) {
    let ok = Command::new("ip").args(args).status().unwrap().success();
    assert!(ok, "ip {args:?}");
}

struct Lan {
    tag: String,
    nodes: Vec<String>,
    procs: Vec<(String, Child)>,
    dir: TempDir,
}

impl Lan {
    /// Nodes `a` (192.168.31.20) and `b` (.30) and a client `c` (.100) on one bridge.
    fn new(tag: &str) -> Lan {
        let tag = format!("vd{}{}", tag, std::process::id() % 100_000);
        let sw = format!("{tag}-sw");
        let mut lan = Lan { tag: tag.clone(), nodes: vec![sw.clone()], procs: Vec::new(), dir: TempDir::new(&tag) };
        ip(&["netns", "add", &sw]);
        ip(&["-n", &sw, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &sw, "link", "set", "br0", "up"]);
        for (name, addr) in [("a", "192.168.31.20/24"), ("b", "192.168.31.30/24"), ("c", "192.168.31.100/24")] {
            let ns = format!("{tag}-{name}");
            ip(&["netns", "add", &ns]);
            lan.nodes.push(ns.clone());
            let port = format!("p{name}");
            ip(&["-n", &ns, "link", "add", "enp0s3", "type", "veth", "peer", "name", &port, "netns", &sw]);
            ip(&["-n", &sw, "link", "set", &port, "master", "br0"]);
            ip(&["-n", &sw, "link", "set", &port, "up"]);
            ip(&["-n", &ns, "addr", "add", addr, "dev", "enp0s3"]);
            ip(&["-n", &ns, "link", "set", "enp0s3", "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        lan
    }

    fn ns(&self, node: &str) -> String {
        format!("{}-{node}", self.tag)
    }

    fn start(&mut self, node: &str, conf: &std::path::Path) {
        let ns = self.ns(node);
        let pid = self.dir.0.join(format!("{node}.pid"));
        let log = std::fs::File::create(self.dir.0.join(format!("{node}.log"))).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &ns, env!("CARGO_BIN_EXE_vrrpd"), "-n", "-l", "-D", "-G", "-f"])
            .arg(conf)
            .arg("-p")
            .arg(&pid)
            .arg("-r")
            .arg(pid.with_extension("vrrp"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.procs.push((node.to_string(), child));
    }

    fn pid(&self, node: &str) -> i32 {
        self.procs.iter().rev().find(|p| p.0 == node).unwrap().1.id() as i32
    }

    fn signal(&self, node: &str, sig: &str) {
        let ok = Command::new("kill").args(["-s", sig, &self.pid(node).to_string()]).status().unwrap().success();
        assert!(ok);
    }

    fn wait_exit(&mut self, node: &str, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        let child = &mut self.procs.iter_mut().rev().find(|p| p.0 == node).unwrap().1;
        while start.elapsed() < limit {
            if let Some(s) = child.try_wait().unwrap() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    fn has_vip(&self, node: &str) -> bool {
        let out = Command::new("ip").args(["-n", &self.ns(node), "-4", "addr", "show", "dev", "enp0s3"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).contains(&format!("{VIP}/32"))
    }

    /// Polls `pred` every 2 ms; the time it first held, or None after `limit`.
    fn wait(&self, limit: Duration, mut pred: impl FnMut(&Lan) -> bool) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if pred(self) {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        None
    }

    fn log(&self, node: &str) -> String {
        std::fs::read_to_string(self.dir.0.join(format!("{node}.log"))).unwrap_or_default()
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for (_, c) in &mut self.procs {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in &self.nodes {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

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
    println!("SIGTERM: VIP on b after {} ms (skew {SKEW_100_MS} ms); a exited in {} ms", moved.as_millis(), exited.as_millis());
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
    let mut lan = seed_pair("k");
    std::thread::sleep(Duration::from_millis(500));
    let a = lan.ns("a");
    ip(&["-n", &a, "link", "set", "enp0s3", "down"]);
    lan.signal("a", "KILL");
    let moved = lan.wait(Duration::from_secs(9), |l| l.has_vip("b")).expect("b takes over");
    println!("master died: VIP on b after {} ms (master-down {DOWN_100_MS} ms after the last advert)", moved.as_millis());
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
