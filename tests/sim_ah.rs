//! `auth_type AH` on the simulated LAN: the core's AH sequence numbers (keepalived's
//! `ipsecah_counter`: one per advert sent, raised by every advert accepted) across elections,
//! deaths, restarts with a fresh counter, and another `auth_pass`.
mod sim;
use sim::*;

const AH: &str = " authentication {\n  auth_type AH\n  auth_pass secret12\n }\n";
/// Master-down at advert 1 s for priority 100: 3 s + 156/256 s.
const DOWN_100: u64 = 3_000_000 + 156 * 1_000_000 / 256;

fn pair(a: &str, b: &str) -> Lan {
    Lan::new(vec![("a", router(150, a)), ("b", router(100, b))])
}

fn logged(lan: &Lan, n: usize, needle: &str) -> usize {
    lan.nodes[n].logs.iter().filter(|r| r.what.contains(needle)).count()
}

fn stats(lan: &Lan, n: usize) -> vrrpd::proto::Stats {
    *lan.nodes[n].agent.as_ref().unwrap().stats(instance(0))
}

#[test]
fn a_backup_follows_an_ah_master_takes_over_and_is_preempted_by_its_return() {
    let mut lan = pair(AH, AH);
    let mut watch = DualMasterWatch::new();
    lan.start(0);
    lan.start(1);
    lan.run_watched(secs(10.0), &mut watch);
    assert_eq!(lan.masters(), [0]);
    let b = stats(&lan, 1);
    assert!(b.advert_rcvd >= 5, "{b:?}");
    assert_eq!(b.auth_failure, 0);
    lan.kill(0);
    lan.run_watched(secs(5.0), &mut watch);
    assert_eq!(lan.masters(), [1]);
    // Back with its counter at 0: b's adverts (numbered past a's) are accepted, and a's own
    // continue from them, so b accepts a's preemption.
    lan.start(0);
    lan.run_watched(secs(8.0), &mut watch);
    assert_eq!(lan.masters(), [0]);
    assert_eq!((stats(&lan, 0).auth_failure, stats(&lan, 1).auth_failure), (0, 0));
    assert!(watch.finish(&lan) <= DOWN_100, "two masters at once for longer than master-down");
}

#[test]
fn another_auth_pass_is_rejected_and_both_become_master() {
    let mut lan = pair(AH, &AH.replace("secret12", "secret13"));
    lan.start(0);
    lan.start(1);
    lan.run_for(secs(10.0));
    assert_eq!(lan.masters(), [0, 1], "keepalived 2.2.7 does the same: no advert is valid");
    for n in [0, 1] {
        let s = stats(&lan, n);
        assert!(s.auth_failure >= 5, "node {n}: {s:?}");
        assert_eq!(s.advert_rcvd, 0, "node {n}");
        let lines = logged(&lan, n, "IPSEC-AH : invalid IPSEC HMAC-MD5 value");
        assert!((1..=2).contains(&lines), "node {n}: logged at most once per state, got {lines}");
    }
    // Only the first 8 bytes are the key (keepalived truncates auth_pass).
    let mut lan = pair(AH, &AH.replace("secret12", "secret12-and-more"));
    lan.start(0);
    lan.start(1);
    lan.run_for(secs(10.0));
    assert_eq!(lan.masters(), [0]);
}

#[test]
fn ah_and_plain_instances_do_not_hear_each_other() {
    // keepalived receives AH instances' adverts on a protocol-51 socket: a peer without
    // authentication is never heard, so each side is master and counts nothing.
    let mut lan = pair(AH, "");
    lan.start(0);
    lan.start(1);
    lan.run_for(secs(10.0));
    assert_eq!(lan.masters(), [0, 1]);
    for n in [0, 1] {
        let s = stats(&lan, n);
        assert_eq!((s.advert_rcvd, s.auth_failure, s.authtype_mismatch), (0, 0, 0), "node {n}");
    }
}

#[test]
fn an_owner_restarted_at_once_is_a_replay_until_it_syncs_from_the_backup() {
    // The owner starts MASTER at once with its counter at 0; the backup, whose counter is at
    // the owner's last advert, drops the new ones as replays and takes over at master-down.
    // The owner accepts the backup's higher number, syncs past it (keepalived "Syncing
    // seq_num") and its next advert wins.
    let owner = format!(" state MASTER\n{AH}");
    let mut lan = Lan::new(vec![("a", router(255, &owner)), ("b", router(100, AH))]);
    lan.start(0);
    lan.start(1);
    lan.run_for(secs(10.0));
    assert_eq!(lan.masters(), [0]);
    lan.kill(0);
    lan.run_for(secs(0.1));
    lan.start(0);
    lan.run_for(secs(1.5));
    assert_eq!(lan.masters(), [0], "the owner is master at once");
    assert_eq!(logged(&lan, 1, "already processed. Packet dropped."), 1, "{:#?}", lan.nodes[1].logs);
    assert!(stats(&lan, 1).auth_failure >= 1);
    lan.run_for(secs(6.0));
    assert_eq!(lan.masters(), [0]);
    assert!(logged(&lan, 0, "IPSEC-AH : Syncing seq_num - Increment seq") >= 1, "{:#?}", lan.nodes[0].logs);
    assert_eq!(lan.state(1), Some(vrrpd::proto::State::Backup));
    let replays = stats(&lan, 1).auth_failure;
    lan.run_for(secs(5.0));
    assert_eq!(stats(&lan, 1).auth_failure, replays, "in step again: no more drops");
}

#[test]
fn a_reload_keeps_the_master_s_sequence_numbers() {
    // keepalived restore_vrrp_state() keeps `ipsecah_counter`: restarting at 1 would make the
    // master's adverts replays to its backup, which would drop them and take over.
    let mut lan = pair(AH, AH);
    lan.start(0);
    lan.start(1);
    lan.run_for(secs(20.0));
    assert_eq!(lan.masters(), [0]);
    lan.input(0, vrrpd::proto::Input::Reload(Box::new(router(150, AH))));
    lan.run_for(secs(10.0));
    assert_eq!(lan.masters(), [0]);
    assert_eq!(lan.state(1), Some(vrrpd::proto::State::Backup));
    assert_eq!(stats(&lan, 1).auth_failure, 0, "{:#?}", lan.nodes[1].logs);
}
