//! The seed pair (master.conf / backup.conf: priorities 101/100, check script weight -5,
//! advert_int 2, PASS auth) on the simulated LAN, timed to the microsecond.
mod sim;
use sim::*;
use std::net::IpAddr;
use vrrpd::proto::{Instant, State};

const VIP: &str = "192.168.31.240";
/// v2, advert 2 s: Master_Down_Interval = 3 x 2 s + (256 - p) x 1 s / 256, in microseconds.
const DOWN_101: u64 = 6_000_000 + 155 * 1_000_000 / 256; // 6_605_468
const DOWN_100: u64 = 6_000_000 + 156 * 1_000_000 / 256; // 6_609_375
const SKEW_100: u64 = 156 * 1_000_000 / 256; // 609_375

fn seed(name: &str) -> String {
    let raw = std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    // Add keepalived's notify keywords so every transition's notify can be checked.
    let notify = " notify_master \"/usr/local/bin/notify.sh master\"\n notify_backup \"/usr/local/bin/notify.sh backup\"\n notify_fault \"/usr/local/bin/notify.sh fault\"\n notify_stop \"/usr/local/bin/notify.sh stop\"\n notify /usr/local/bin/notify-all.sh\n";
    let at = raw.rfind('}').unwrap();
    format!("{}{notify}{}", &raw[..at], &raw[at..])
}

fn pair() -> Lan {
    let mut lan = Lan::new(vec![("master", config(&seed("master.conf"))), ("backup", config(&seed("backup.conf")))]);
    lan.start(0);
    lan.start(1);
    lan
}

fn vip() -> IpAddr {
    VIP.parse().unwrap()
}

fn last_advert_heard_by(lan: &Lan, from: usize) -> Instant {
    // Deliveries happen `delay` after the send.
    let sent = lan.nodes[from].adverts.iter().filter(|a| a.2 > 0).map(|a| a.0).max().unwrap();
    sent.plus(lan.delay)
}

#[test]
fn election_at_start_to_the_microsecond() {
    let mut lan = pair();
    let t = lan.run_until_pred(secs(10.0), |l| l.masters() == [0]).unwrap();
    assert_eq!(t, Instant::from_micros(DOWN_101), "state MASTER behaves as BACKUP: 3 x advert + skew");
    lan.run_for(secs(30.0));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Master), Some(State::Backup)));
    assert_eq!(lan.holders(vip()), [0]);
    // The backup was never master.
    assert_eq!(lan.nodes[1].agent.as_ref().unwrap().stats(instance(0)).become_master, 0);
}

#[test]
fn master_link_dies_backup_takes_over_after_master_down() {
    let mut lan = pair();
    lan.run_for(secs(20.0));
    lan.set_link(0, false);
    let heard = last_advert_heard_by(&lan, 0);
    let t = lan.run_until_pred(secs(10.0), |l| l.state(1) == Some(State::Master)).unwrap();
    assert_eq!(t, heard.plus(DOWN_100), "3 x 2 s + skew(100) after the last advert it heard");
    assert_eq!(lan.holders(vip()), [1], "the dead link's side went FAULT and released the VIP");
    assert_eq!(lan.state(0), Some(State::Fault));
    assert!(lan.nodes[1].garps.iter().any(|g| g.0 == t && g.1 == vip()), "GARPs at takeover");
}

#[test]
fn master_host_dies_backup_takes_over_after_master_down() {
    let mut lan = pair();
    lan.run_for(secs(20.0));
    let heard = last_advert_heard_by(&lan, 0);
    lan.kill(0);
    let t = lan.run_until_pred(secs(10.0), |l| l.state(1) == Some(State::Master)).unwrap();
    assert_eq!(t, heard.plus(DOWN_100));
}

#[test]
fn graceful_shutdown_hands_over_after_skew_only() {
    let mut lan = pair();
    lan.run_for(secs(20.0));
    let stop = lan.now;
    lan.shutdown(0);
    assert!(lan.nodes[0].adverts.iter().any(|a| a.0 == stop && a.2 == 0), "priority-0 advert on shutdown");
    assert!(lan.nodes[0].vips.is_empty(), "VIPs released");
    let t = lan.run_until_pred(secs(10.0), |l| l.state(1) == Some(State::Master)).unwrap();
    assert_eq!(t, stop.plus(lan.delay).plus(SKEW_100));
    let stops: Vec<_> = lan.nodes[0].notifies.iter().filter(|r| r.at == stop).map(|r| r.what.as_str()).collect();
    assert_eq!(stops, ["/usr/local/bin/notify.sh stop", "/usr/local/bin/notify-all.sh INSTANCE VI_1 STOP 101"]);
}

#[test]
fn failing_check_moves_the_vip_and_recovery_brings_it_back() {
    let mut lan = pair();
    lan.run_for(secs(20.0));
    assert_eq!(lan.holders(vip()), [0]);
    lan.nodes[0].script_ok[0] = false;
    // One failure decides (fall 1): 101 - 5 = 96 < 100, the backup preempts.
    let t = lan.run_until_pred(secs(20.0), |l| l.holders(vip()) == [1]).unwrap();
    assert_eq!(lan.nodes[0].agent.as_ref().unwrap().effective_priority(instance(0)), 96);
    assert_eq!(lan.state(0), Some(State::Backup));
    assert!(lan.nodes[0].logs.iter().any(|r| r.what == "(VI_1) Changing effective priority from 101 to 96"));
    assert!(lan.nodes[0].logs.iter().any(|r| r.what == "VRRP_Script(chk_nginx) failed (exited with status 1)"));
    // The backup took over exactly master-down after the last advert it accepted (prio 101).
    let accepted = lan.nodes[0].adverts.iter().filter(|a| a.2 == 101).map(|a| a.0).max().unwrap();
    assert!(
        lan.nodes[1]
            .logs
            .iter()
            .any(|r| r.what.contains("Entering MASTER STATE") && r.at == accepted.plus(lan.delay).plus(DOWN_100)),
        "at {t}"
    );
    lan.nodes[0].script_ok[0] = true;
    lan.run_until_pred(secs(20.0), |l| l.holders(vip()) == [0]).unwrap();
    assert_eq!(lan.nodes[0].agent.as_ref().unwrap().effective_priority(instance(0)), 101);
    assert!(lan.nodes[0].logs.iter().any(|r| r.what == "VRRP_Script(chk_nginx) succeeded"));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Master), Some(State::Backup)));
}

#[test]
fn every_transition_runs_keepalived_notifies() {
    let mut lan = pair();
    lan.run_for(secs(20.0));
    lan.nodes[0].script_ok[0] = false;
    lan.run_until_pred(secs(20.0), |l| l.holders(vip()) == [1]).unwrap();
    lan.shutdown(1);
    lan.run_for(secs(2.0));
    let seq = |n: usize| lan.nodes[n].notifies.iter().map(|r| r.what.clone()).collect::<Vec<_>>();
    assert_eq!(
        seq(0),
        [
            "/usr/local/bin/notify.sh backup",
            "/usr/local/bin/notify-all.sh INSTANCE VI_1 BACKUP 101",
            "/usr/local/bin/notify.sh master",
            "/usr/local/bin/notify-all.sh INSTANCE VI_1 MASTER 101",
            "/usr/local/bin/notify.sh backup",
            "/usr/local/bin/notify-all.sh INSTANCE VI_1 BACKUP 96",
            "/usr/local/bin/notify.sh master",
            "/usr/local/bin/notify-all.sh INSTANCE VI_1 MASTER 96",
        ]
    );
    assert_eq!(
        seq(1),
        [
            "/usr/local/bin/notify.sh backup",
            "/usr/local/bin/notify-all.sh INSTANCE VI_1 BACKUP 100",
            "/usr/local/bin/notify.sh master",
            "/usr/local/bin/notify-all.sh INSTANCE VI_1 MASTER 100",
            "/usr/local/bin/notify.sh stop",
            "/usr/local/bin/notify-all.sh INSTANCE VI_1 STOP 100",
        ]
    );
}

#[test]
fn a_vip_deleted_by_hand_on_the_master_comes_back_after_skew() {
    let mut lan = pair();
    lan.run_for(secs(20.0));
    let t0 = lan.now;
    lan.nodes[0].vips.remove(&vip());
    let iface = lan.nodes[0].iface.clone();
    lan.input(0, vrrpd::proto::Input::AddressRemoved { interface: &iface, addr: vip() });
    assert_eq!(lan.state(0), Some(State::Backup));
    assert!(lan.nodes[0].adverts.iter().any(|a| a.0 == t0 && a.2 == 0), "priority 0 first");
    let t = lan.run_until_pred(secs(5.0), |l| l.holders(vip()) == [0]).unwrap();
    assert_eq!(t, t0.plus(155 * 1_000_000 / 256), "retake after Skew_Time of 101");
    assert_eq!(lan.state(1), Some(State::Backup));
}
