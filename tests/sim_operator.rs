//! The operator interface (`Input::Demote` / `Input::Promote`), transition reasons, the split
//! brain and mismatch watch, and the event stream against the FIFO, on the simulated LAN,
//! timed to the microsecond.
//!
//! The pair: v2, advert_int 1 s, priorities 101 / 100, PASS auth, one VIP, addressed
//! 192.168.31.20 and .30 (the sim's addressing), 100 us of LAN delay.
mod sim;
use sim::*;
use std::net::IpAddr;
use vrrpd::config::model::Config;
use vrrpd::proto::{Episode, Event, Handover, Input, InstanceId, Instant, Reason, State};

const VIP: &str = "192.168.31.240";
/// Skew_Time (v2) = (256 - p) x 1 s / 256, integer microseconds.
const SKEW_101: u64 = 155 * 1_000_000 / 256; // 605_468
const SKEW_100: u64 = 156 * 1_000_000 / 256; // 609_375
/// Master_Down_Interval = 3 x 1 s + Skew_Time.
const DOWN_101: u64 = 3_000_000 + SKEW_101;
const DOWN_100: u64 = 3_000_000 + SKEW_100;
/// The sim's delivery latency (`Lan::delay`, checked in `pair`).
const DELAY: u64 = 100;

fn vip() -> IpAddr {
    VIP.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const A: &str = "192.168.31.20";
const B: &str = "192.168.31.30";
const C: &str = "192.168.31.40";

/// One instance VI_1 (VRID 51) with `extra` inside it, `global` in global_defs, `head` before it.
fn text(prio: u8, vips: &str, extra: &str, head: &str) -> String {
    format!(
        "global_defs {{\n router_id sim\n notify_fifo /run/vrrpd.fifo\n}}\n{head}\
         vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n priority {prio}\n advert_int 1\n\
          authentication {{\n  auth_type PASS\n  auth_pass 1111\n }}\n{extra}\n virtual_ipaddress {{\n  {vips}\n }}\n}}\n"
    )
}

fn node(prio: u8) -> Config {
    config(&text(prio, VIP, "", ""))
}

/// 101 (node 0, .20) and 100 (node 1, .30), started together, not yet run.
fn pair_with(a: Config, b: Config) -> Lan {
    let mut lan = Lan::new(vec![("a", a), ("b", b)]);
    assert_eq!(lan.delay, DELAY);
    lan.start(0);
    lan.start(1);
    lan
}

/// The pair after the election settled: node 0 MASTER holding the VIP.
fn settled_pair() -> Lan {
    let mut lan = pair_with(node(101), node(100));
    lan.run_for(secs(20.0));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Master), Some(State::Backup)));
    assert_eq!(lan.holders(vip()), [0]);
    lan
}

fn i0() -> InstanceId {
    instance(0)
}

fn agent(lan: &Lan, n: usize) -> &vrrpd::proto::Agent {
    lan.nodes[n].agent.as_ref().expect("running")
}

fn st(lan: &Lan, n: usize, i: usize) -> State {
    agent(lan, n).state(instance(i))
}

fn demote(lan: &mut Lan, n: usize, until: Option<Instant>, force: bool) {
    lan.input(n, Input::Demote { instance: i0(), until, force });
}

/// Node `n`'s events from `t` on.
fn events_since(lan: &Lan, n: usize, t: Instant) -> Vec<(Instant, Event)> {
    lan.nodes[n].events.iter().filter(|e| e.0 >= t).cloned().collect()
}

fn handovers(lan: &Lan, n: usize) -> Vec<(Instant, Handover)> {
    lan.nodes[n]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Handover { outcome, .. } => Some((*t, *outcome)),
            _ => None,
        })
        .collect()
}

/// (when, instance, to, reason) of node `n`'s transitions.
fn transitions(lan: &Lan, n: usize) -> Vec<(Instant, String, State, Reason)> {
    lan.nodes[n]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Transition { instance, to, reason, .. } => Some((*t, instance.clone(), *to, reason.clone())),
            _ => None,
        })
        .collect()
}

fn promoted_at(lan: &Lan, n: usize) -> Vec<Instant> {
    lan.nodes[n].events.iter().filter(|(_, e)| matches!(e, Event::Promoted { .. })).map(|e| e.0).collect()
}

/// When node `n` last sent an advert with a priority above 0.
fn last_advert(lan: &Lan, n: usize) -> Instant {
    lan.nodes[n].adverts.iter().filter(|a| a.2 > 0).map(|a| a.0).max().unwrap()
}

/// Runs `us`, asserting after every step that someone holds the VIP.
fn run_never_unheld(lan: &mut Lan, us: u64) {
    let mut bad = None;
    lan.run_until_pred(us, |l| {
        if l.holders(vip()).is_empty() && bad.is_none() {
            bad = Some(l.now);
        }
        false
    });
    assert_eq!(bad, None, "nobody held the VIP");
}

// 1. The planned switchover of the seed-like pair.

#[test]
fn demoted_master_hands_over_after_skew_and_keeps_the_vip_until_it_hears_the_new_master() {
    let mut lan = settled_pair();
    let t0 = lan.now;
    let adverts_before = lan.nodes[0].adverts.len();
    demote(&mut lan, 0, None, false);
    assert_eq!(&lan.nodes[0].adverts[adverts_before..], [(t0, i0(), 0)], "one priority-0 advert at once");
    assert_eq!(lan.state(0), Some(State::Master), "still MASTER while it waits");
    assert_eq!(lan.holders(vip()), [0], "the VIP stays where it was");
    assert_eq!(agent(&lan, 0).demotion(i0()), Some((None, false)));

    // The backup takes over after its Skew_Time, counted from the priority-0 advert's arrival;
    // at every instant until then (and after) someone holds the VIP.
    let taken = t0.plus(DELAY + SKEW_100);
    let mut unheld = None;
    let t = lan
        .run_until_pred(secs(5.0), |l| {
            if l.holders(vip()).is_empty() && unheld.is_none() {
                unheld = Some(l.now);
            }
            l.holders(vip()).contains(&1)
        })
        .expect("the backup takes the VIP");
    assert_eq!(unheld, None, "nobody held the VIP");
    assert_eq!(t, taken, "Skew_Time(100) after the priority-0 advert arrived");
    assert_eq!(lan.holders(vip()), [0, 1], "the old master lets go only once it hears the new one");
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::PriorityZero { from: ip(A) });
    assert_eq!(
        lan.nodes[0].adverts.len(),
        adverts_before + 1,
        "the demoted master is silent: no adverts, no answer to the 0 it could have heard"
    );

    // The new master's first advert reaches the old one: it goes BACKUP and releases the VIP.
    let heard = taken.plus(DELAY);
    let t = lan.run_until_pred(secs(1.0), |l| l.holders(vip()) == [1]).unwrap();
    assert_eq!(t, heard);
    assert_eq!(lan.state(0), Some(State::Backup));
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::Demoted);
    assert_eq!(agent(&lan, 0).since(i0()), heard);
    assert_eq!(handovers(&lan, 0), [(heard, Handover::To(ip(B)))]);
    let evs = events_since(&lan, 0, t0);
    assert!(evs.contains(&(t0, Event::Demoted { instance: "VI_1".into(), until: None })), "{evs:?}");
    assert!(evs.contains(&(
        heard,
        Event::Transition {
            instance: "VI_1".into(),
            from: State::Master,
            to: State::Backup,
            reason: Reason::Demoted,
            priority: 101
        }
    )));
    assert!(lan.nodes[0].fifo.iter().any(|r| r.at == heard && r.what == "INSTANCE \"VI_1\" BACKUP 101\n"));

    // It does not preempt the lower-priority master: 30 s later nothing changed.
    run_never_unheld(&mut lan, secs(30.0));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Backup), Some(State::Master)));
    assert_eq!(lan.holders(vip()), [1]);
    assert_eq!(agent(&lan, 0).demotion(i0()), Some((None, false)), "still demoted");
    assert_eq!(agent(&lan, 0).master_of(i0()), Some((ip(B), 100)), "follows the lower-priority master");
    assert_eq!(transitions(&lan, 0).iter().filter(|t| t.0 > heard).count(), 0);

    // Promote: the demotion ends, and it preempts after its own Skew_Time.
    let p = lan.now;
    lan.input(0, Input::Promote { instance: i0() });
    assert_eq!(agent(&lan, 0).demotion(i0()), None);
    assert_eq!(promoted_at(&lan, 0), [p]);
    let back = lan.run_until_pred(secs(5.0), |l| l.state(0) == Some(State::Master)).unwrap();
    assert_eq!(back, p.plus(SKEW_101), "Skew_Time(101) after the promote");
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::Preempted { from: ip(B), priority: 100 });
    run_never_unheld(&mut lan, secs(2.0));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Master), Some(State::Backup)));
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::HigherPriority { from: ip(A), priority: 101 });
    assert_eq!(lan.holders(vip()), [0]);
}

// 2. Nobody takes over: safe mode takes the VIP back.

#[test]
fn demote_with_the_peer_dead_takes_back_after_master_down_and_never_drops_the_vip() {
    let mut lan = settled_pair();
    lan.kill(1);
    lan.run_for(secs(3.0));
    let t0 = lan.now;
    let n_adverts = lan.nodes[0].adverts.len();
    demote(&mut lan, 0, None, false);
    let mut dropped = false;
    let t = lan
        .run_until_pred(secs(10.0), |l| {
            dropped |= !l.nodes[0].vips.contains(&vip());
            !handovers(l, 0).is_empty()
        })
        .expect("an outcome");
    assert!(!dropped, "the VIP never left the node");
    assert_eq!(t, t0.plus(DOWN_101), "Master_Down_Interval(101) after the demote");
    assert_eq!(handovers(&lan, 0), [(t, Handover::TookBack)]);
    assert_eq!(lan.state(0), Some(State::Master));
    assert_eq!(agent(&lan, 0).demotion(i0()), None, "the demotion is over");
    assert_eq!(promoted_at(&lan, 0), [t]);
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::NobodyTookOver);
    // Silent in between, an advert at once when it takes back, then every second.
    let sent: Vec<(Instant, u8)> = lan.nodes[0].adverts[n_adverts..].iter().map(|a| (a.0, a.2)).collect();
    assert_eq!(sent, [(t0, 0), (t, 101)]);
    lan.run_for(secs(5.0) + 1);
    let sent: Vec<Instant> = lan.nodes[0].adverts[n_adverts + 2..].iter().map(|a| a.0).collect();
    let expect: Vec<Instant> = (1..=5).map(|k| t.plus(k * 1_000_000)).collect();
    assert_eq!(sent, expect, "adverts resumed at the advert interval");
    assert_eq!(lan.holders(vip()), [0]);
    assert!(transitions(&lan, 0).iter().all(|x| x.0 < t0), "no state change at all");
}

#[test]
fn garp_refresh_resumes_after_a_demote_nobody_answered() {
    let mut lan = pair_with(config(&text(101, VIP, " garp_master_refresh 2", "")), node(100));
    lan.run_for(secs(20.0));
    assert_eq!(lan.masters(), [0]);
    let refresh_before = lan.nodes[0].garps.iter().filter(|g| g.0 > Instant::from_micros(secs(12.0))).count();
    assert!(refresh_before >= 3, "refreshes every 2 s before: {refresh_before}");
    lan.kill(1);
    demote(&mut lan, 0, None, false);
    let t = lan.run_until_pred(secs(10.0), |l| !handovers(l, 0).is_empty()).unwrap();
    assert_eq!(handovers(&lan, 0), [(t, Handover::TookBack)]);
    lan.run_for(secs(10.0));
    let after = lan.nodes[0].garps.iter().filter(|g| g.0 > t).count();
    assert!(after >= 4, "a MASTER holding the VIP keeps refreshing its GARPs (garp_master_refresh 2): {after} in 10 s");
}

#[test]
fn promote_before_anyone_took_over_resumes_the_adverts() {
    let mut lan = settled_pair();
    lan.kill(1);
    lan.run_for(secs(1.0));
    demote(&mut lan, 0, None, false);
    lan.run_for(secs(1.0));
    let p = lan.now;
    lan.input(0, Input::Promote { instance: i0() });
    assert_eq!(agent(&lan, 0).demotion(i0()), None);
    lan.run_for(secs(10.0));
    assert_eq!(lan.state(0), Some(State::Master));
    assert_eq!(lan.holders(vip()), [0]);
    let sent = lan.nodes[0].adverts.iter().filter(|a| a.0 >= p && a.2 == 101).count();
    assert!(sent >= 8, "a MASTER holding the VIP advertises after the promote: {sent} adverts in 10 s");
}

#[test]
fn demotion_ending_before_anyone_took_over_resumes_the_adverts() {
    // As the promote above, by the demotion's own end (shorter than Master_Down_Interval).
    let mut lan = settled_pair();
    lan.kill(1);
    lan.run_for(secs(1.0));
    let t0 = lan.now;
    demote(&mut lan, 0, Some(t0.plus(secs(1.0))), false);
    lan.run_for(secs(1.0) + 1);
    assert_eq!(agent(&lan, 0).demotion(i0()), None, "ended at its end");
    let p = lan.now;
    lan.run_for(secs(10.0));
    assert_eq!(lan.state(0), Some(State::Master));
    assert_eq!(lan.holders(vip()), [0]);
    let sent = lan.nodes[0].adverts.iter().filter(|a| a.0 >= p && a.2 == 101).count();
    assert!(sent >= 8, "a MASTER holding the VIP advertises after its demotion ended: {sent} adverts in 10 s");
}

// 3. Nobody takes over, forced: the VIP goes anyway, and the node stays out.

#[test]
fn forced_demote_with_the_peer_dead_releases_the_vip_and_stays_out() {
    let mut lan = settled_pair();
    lan.kill(1);
    lan.run_for(secs(3.0));
    let t0 = lan.now;
    demote(&mut lan, 0, None, true);
    assert_eq!(agent(&lan, 0).demotion(i0()), Some((None, true)));
    let t = lan.run_until_pred(secs(10.0), |l| !handovers(l, 0).is_empty()).unwrap();
    assert_eq!(t, t0.plus(DOWN_101));
    assert_eq!(handovers(&lan, 0), [(t, Handover::Nobody)]);
    assert_eq!(lan.state(0), Some(State::Backup));
    assert!(lan.nodes[0].vips.is_empty(), "released");
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::Demoted);
    assert_eq!(agent(&lan, 0).since(i0()), t);
    let n = lan.nodes[0].adverts.len();
    lan.run_for(secs(120.0));
    assert_eq!(lan.state(0), Some(State::Backup), "stays out");
    assert!(lan.holders(vip()).is_empty(), "nobody holds the VIP: forced");
    assert_eq!(lan.nodes[0].adverts.len(), n, "silent");
    assert_eq!(agent(&lan, 0).demotion(i0()), Some((None, true)));
    assert!(lan.nodes[0].logs.iter().any(|r| r.what.contains("staying out")));
    // Promote: nobody else is master, so it takes over after Master_Down_Interval at most.
    let p = lan.now;
    lan.input(0, Input::Promote { instance: i0() });
    let back = lan.run_until_pred(secs(10.0), |l| l.state(0) == Some(State::Master)).expect("takes over");
    assert!(back.since(p) <= DOWN_101, "{} us", back.since(p));
    assert_eq!(lan.holders(vip()), [0]);
}

// 4. A demotion with an end.

#[test]
fn demotion_until_ends_by_itself_and_the_node_preempts_back() {
    let mut lan = settled_pair();
    let t0 = lan.now;
    let until = t0.plus(secs(10.0));
    demote(&mut lan, 0, Some(until), false);
    assert!(lan.nodes[0].events.contains(&(t0, Event::Demoted { instance: "VI_1".into(), until: Some(10_000_000) })));
    assert_eq!(agent(&lan, 0).demotion(i0()), Some((Some(until), false)));
    run_never_unheld(&mut lan, secs(5.0));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Backup), Some(State::Master)));
    assert_eq!(handovers(&lan, 0), [(t0.plus(DELAY + SKEW_100 + DELAY), Handover::To(ip(B)))]);
    // Just before the end: still demoted and BACKUP.
    lan.run_until(Instant::from_micros(until.as_micros() - 1));
    assert_eq!(lan.state(0), Some(State::Backup));
    assert_eq!(agent(&lan, 0).demotion(i0()), Some((Some(until), false)));
    let back = lan.run_until_pred(secs(5.0), |l| l.state(0) == Some(State::Master)).unwrap();
    assert_eq!(promoted_at(&lan, 0), [until], "the demotion ended at its end");
    assert_eq!(agent(&lan, 0).demotion(i0()), None);
    assert_eq!(back, until.plus(SKEW_101), "preempts Skew_Time(101) after the end");
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::Preempted { from: ip(B), priority: 100 });
    run_never_unheld(&mut lan, secs(2.0));
    assert_eq!(lan.holders(vip()), [0]);
    assert_eq!(lan.state(1), Some(State::Backup));
}

// 5. Demoting a BACKUP.

fn demoted_backup(force: bool) -> (Lan, Instant) {
    let mut lan = settled_pair();
    let t0 = lan.now;
    demote(&mut lan, 1, None, force);
    assert_eq!(handovers(&lan, 1), [(t0, Handover::NotMaster)], "answered at once");
    assert_eq!(agent(&lan, 1).demotion(i0()), Some((None, force)));
    assert_eq!(lan.state(1), Some(State::Backup));
    lan.run_for(secs(10.0));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Master), Some(State::Backup)), "nothing moves");
    let heard = last_advert(&lan, 0).plus(DELAY);
    lan.kill(0);
    (lan, heard)
}

#[test]
fn demoted_backup_takes_over_when_the_master_dies_and_its_demotion_ends() {
    let (mut lan, heard) = demoted_backup(false);
    let t = lan.run_until_pred(secs(10.0), |l| l.state(1) == Some(State::Master)).expect("takes over");
    assert_eq!(t, heard.plus(DOWN_100), "Master_Down_Interval(100) after the last advert heard");
    assert_eq!(lan.holders(vip()), [1]);
    assert_eq!(agent(&lan, 1).demotion(i0()), None, "demotion ended");
    assert_eq!(promoted_at(&lan, 1), [t]);
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::MasterDown);
}

#[test]
fn force_demoted_backup_stays_out_when_the_master_dies() {
    let (mut lan, _) = demoted_backup(true);
    lan.run_for(secs(120.0));
    assert_eq!(lan.state(1), Some(State::Backup));
    assert!(lan.holders(vip()).is_empty());
    assert_eq!(agent(&lan, 1).demotion(i0()), Some((None, true)));
    assert!(
        lan.nodes[1].adverts.iter().all(|a| a.0 < Instant::from_micros(secs(20.0))) || lan.nodes[1].adverts.is_empty()
    );
}

// 6. A sync group is demoted as a whole.

fn group_text(prio: u8) -> String {
    format!(
        "vrrp_instance A {{\n interface eth0\n virtual_router_id 1\n priority {prio}\n advert_int 1\n virtual_ipaddress {{\n  10.0.0.1\n }}\n}}\n\
         vrrp_instance B {{\n interface eth0\n virtual_router_id 2\n priority {prio}\n advert_int 1\n virtual_ipaddress {{\n  10.0.1.1\n }}\n}}\n\
         vrrp_sync_group G {{\n group {{\n  A\n  B\n }}\n}}\n"
    )
}

#[test]
fn demoting_one_member_of_a_sync_group_hands_over_both() {
    let mut lan = pair_with(config(&group_text(101)), config(&group_text(100)));
    lan.run_for(secs(20.0));
    let (va, vb) = (ip("10.0.0.1"), ip("10.0.1.1"));
    assert_eq!((st(&lan, 0, 0), st(&lan, 0, 1)), (State::Master, State::Master));
    assert_eq!((lan.holders(va), lan.holders(vb)), (vec![0], vec![0]));
    let t0 = lan.now;
    lan.input(0, Input::Demote { instance: instance(1), until: None, force: false });
    for i in 0..2 {
        assert_eq!(agent(&lan, 0).demotion(instance(i)), Some((None, false)), "member {i} demoted");
        assert!(lan.nodes[0].adverts.contains(&(t0, instance(i), 0)), "member {i} sent priority 0");
    }
    let t = lan.run_until_pred(secs(5.0), |l| l.holders(va) == [1] && l.holders(vb) == [1]).unwrap();
    assert_eq!(t, t0.plus(DELAY + SKEW_100 + DELAY));
    assert_eq!((st(&lan, 0, 0), st(&lan, 0, 1)), (State::Backup, State::Backup));
    assert_eq!((st(&lan, 1, 0), st(&lan, 1, 1)), (State::Master, State::Master));
    let mut outcomes: Vec<(String, Handover)> = lan.nodes[0]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Handover { instance, outcome } => Some((instance.clone(), *outcome)),
            _ => None,
        })
        .collect();
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(outcomes, [("A".to_string(), Handover::To(ip(B))), ("B".to_string(), Handover::To(ip(B)))]);
    lan.run_for(secs(30.0));
    assert_eq!((st(&lan, 0, 0), st(&lan, 0, 1)), (State::Backup, State::Backup), "neither preempts");
    // Promoting the other member ends the group's demotion.
    let p = lan.now;
    lan.input(0, Input::Promote { instance: instance(0) });
    assert_eq!((agent(&lan, 0).demotion(instance(0)), agent(&lan, 0).demotion(instance(1))), (None, None));
    let back = lan.run_until_pred(secs(5.0), |l| l.holders(va) == [0] && l.holders(vb) == [0]).unwrap();
    assert_eq!(back, p.plus(SKEW_101 + DELAY), "Skew_Time(101), then the new master's advert is heard");
}

// 7. Split brain: partition and heal.

#[test]
fn heal_after_a_partition_opens_and_closes_an_other_master_episode() {
    let mut lan = settled_pair();
    lan.nodes[1].segment = 1;
    lan.run_for(secs(10.0));
    assert_eq!(lan.masters(), [0, 1], "both masters while partitioned");
    for n in 0..2 {
        assert_eq!(agent(&lan, n).episode_totals(i0(), Episode::OtherMaster), (0, 0));
        assert!(agent(&lan, n).episode(i0(), Episode::OtherMaster).is_none());
    }
    // Heal right after node 0's advert (lost in the partition): node 1's advert comes first.
    let n = lan.nodes[0].adverts.len();
    lan.run_until_pred(secs(2.0), |l| l.nodes[0].adverts.len() > n).unwrap();
    lan.nodes[1].segment = 0;
    let m = lan.nodes[1].adverts.len();
    let a1 = lan.run_until_pred(secs(2.0), |l| l.nodes[1].adverts.len() > m).unwrap();
    assert!(lan.nodes[0].adverts.last().unwrap().0 < a1, "node 1 advertises first");
    let seen = a1.plus(DELAY);
    lan.run_until_pred(secs(2.0), |l| l.masters() == [0]).unwrap();
    assert_eq!(lan.now, seen.plus(DELAY), "the winner's answer resolves it");
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::HigherPriority { from: ip(A), priority: 101 });
    let began = |lan: &Lan, n: usize| -> Vec<(Instant, IpAddr, u8)> {
        lan.nodes[n]
            .events
            .iter()
            .filter_map(|(t, e)| match e {
                Event::EpisodeBegan { kind: Episode::OtherMaster, peer, priority, .. } => Some((*t, *peer, *priority)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(began(&lan, 0), [(seen, ip(B), 100)]);
    // The loser heard the other master too (any priority counts, watch.rs): its episode
    // begins at the winner's answer, which it yields to.
    assert_eq!(began(&lan, 1), [(seen.plus(DELAY), ip(A), 101)]);
    let e = agent(&lan, 0).episode(i0(), Episode::OtherMaster).expect("open");
    assert_eq!((e.peer, e.priority, e.since, e.last, e.adverts), (ip(B), 100, seen, seen, 1));
    assert_eq!(agent(&lan, 0).episode_totals(i0(), Episode::OtherMaster), (1, 1));
    assert!(lan.nodes[0].logs.iter().any(|r| r.at == seen
        && r.what == "(VI_1) another master for VRID 51: 192.168.31.30 with priority 100 while we are MASTER"));

    // Quiet for Master_Down_Interval(101): the episode ends.
    let end = seen.plus(DOWN_101);
    lan.run_until(end.plus(10));
    let ended: Vec<(Instant, Event)> =
        lan.nodes[0].events.iter().filter(|(_, e)| matches!(e, Event::EpisodeEnded { .. })).cloned().collect();
    assert_eq!(
        ended,
        [(
            end,
            Event::EpisodeEnded {
                instance: "VI_1".into(),
                kind: Episode::OtherMaster,
                peer: ip(B),
                adverts: 1,
                lasted: 0
            }
        )]
    );
    assert!(agent(&lan, 0).episode(i0(), Episode::OtherMaster).is_none());
    assert_eq!(agent(&lan, 0).episode_totals(i0(), Episode::OtherMaster), (1, 1), "totals stay");
    lan.run_for(secs(10.0));
    assert!(agent(&lan, 1).episode(i0(), Episode::OtherMaster).is_none(), "the loser's episode ended too");
    assert_eq!(agent(&lan, 1).episode_totals(i0(), Episode::OtherMaster), (1, 1));
    assert_eq!(agent(&lan, 0).episode_totals(i0(), Episode::OtherMaster), (1, 1), "no further sighting");
    assert_eq!(lan.masters(), [0]);
}

// 8. Reasons.

#[test]
fn reasons_of_startup_election_and_master_death() {
    let mut lan = pair_with(node(101), node(100));
    for n in 0..2 {
        assert_eq!(lan.state(n), Some(State::Backup));
        assert_eq!(*agent(&lan, n).reason(i0()), Reason::Startup);
        assert_eq!(agent(&lan, n).since(i0()), Instant::ZERO);
        assert_eq!(agent(&lan, n).transitions(i0()), [(State::Backup, "startup", 1)]);
    }
    assert_eq!(agent(&lan, 0).master_down_deadline(i0()), Some(Instant::from_micros(DOWN_101)));
    let t = lan.run_until_pred(secs(10.0), |l| l.masters() == [0]).unwrap();
    assert_eq!(t, Instant::from_micros(DOWN_101));
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::MasterDown);
    // Off the advert phase, so the last advert sent has been delivered.
    lan.run_for(secs(10.5));
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::Startup, "the backup never moved");
    let heard = last_advert(&lan, 0).plus(DELAY);
    assert_eq!(agent(&lan, 1).master_down_deadline(i0()), Some(heard.plus(DOWN_100)));
    lan.kill(0);
    let t = lan.run_until_pred(secs(10.0), |l| l.state(1) == Some(State::Master)).unwrap();
    assert_eq!(t, heard.plus(DOWN_100));
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::MasterDown);
    assert_eq!(agent(&lan, 1).since(i0()), t);
    assert_eq!(agent(&lan, 1).transitions(i0()), [(State::Backup, "startup", 1), (State::Master, "master_down", 1)]);
}

#[test]
fn reasons_of_shutdown_and_higher_priority_return() {
    let mut lan = settled_pair();
    let stop = lan.now;
    lan.shutdown(0);
    let t = lan.run_until_pred(secs(5.0), |l| l.state(1) == Some(State::Master)).unwrap();
    assert_eq!(t, stop.plus(DELAY + SKEW_100));
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::PriorityZero { from: ip(A) });
    lan.run_for(secs(5.0));
    // The higher priority returns: it preempts after its Master_Down_Interval, and the old
    // master goes BACKUP because of it.
    let back = lan.now;
    lan.start(0);
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::Startup);
    let t = lan.run_until_pred(secs(10.0), |l| l.state(0) == Some(State::Master)).unwrap();
    assert_eq!(t, back.plus(DOWN_101), "discarded lower-priority adverts do not restart the timer");
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::Preempted { from: ip(B), priority: 100 });
    lan.run_for(secs(1.0));
    assert_eq!(lan.state(1), Some(State::Backup));
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::HigherPriority { from: ip(A), priority: 101 });
    assert_eq!(agent(&lan, 1).since(i0()), t.plus(DELAY));
    assert_eq!(lan.holders(vip()), [0]);
}

#[test]
fn reasons_of_a_failing_weight_zero_script_and_its_recovery() {
    let script = "vrrp_script chk {\n script /usr/local/bin/chk\n interval 1\n weight 0\n}\n";
    let a = config(&text(101, VIP, " track_script {\n  chk\n }", script));
    let mut lan = pair_with(a, node(100));
    lan.run_for(secs(20.0));
    assert_eq!(lan.masters(), [0]);
    lan.nodes[0].script_ok[0] = false;
    let t = lan.run_until_pred(secs(5.0), |l| l.state(0) == Some(State::Fault)).unwrap();
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::Fault("script chk failed".into()));
    assert_eq!(agent(&lan, 0).since(i0()), t);
    assert!(lan.nodes[0].vips.is_empty());
    let taken = lan.run_until_pred(secs(5.0), |l| l.state(1) == Some(State::Master)).unwrap();
    assert_eq!(taken, t.plus(DELAY + SKEW_100), "FAULT from MASTER sends priority 0");
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::PriorityZero { from: ip(A) });
    lan.run_for(secs(5.0));
    lan.nodes[0].script_ok[0] = true;
    let r = lan.run_until_pred(secs(5.0), |l| l.state(0) == Some(State::Backup)).unwrap();
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::Recovered);
    let m = lan.run_until_pred(secs(10.0), |l| l.state(0) == Some(State::Master)).unwrap();
    assert_eq!(m, r.plus(DOWN_101));
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::Preempted { from: ip(B), priority: 100 });
    let kinds: Vec<(State, &str)> = transitions(&lan, 0).iter().map(|t| (t.2, t.3.kind())).collect();
    assert_eq!(
        &kinds[kinds.len() - 3..],
        [(State::Fault, "fault"), (State::Backup, "recovered"), (State::Master, "preempted")]
    );
}

// 9. The event stream agrees with the FIFO.

fn word(s: State) -> &'static str {
    match s {
        State::Master => "MASTER",
        State::Backup => "BACKUP",
        State::Fault => "FAULT",
        State::Init => "STOP",
    }
}

#[test]
fn transition_events_match_the_fifo_lines_over_a_flapping_link() {
    let mut lan = settled_pair();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for k in 0..500 {
        lan.set_link(0, false);
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        lan.run_for(1_000 + rng % 300_000);
        lan.set_link(0, true);
        // Mostly short gaps; every tenth long enough to win the election back.
        let up = if k % 10 == 9 { secs(5.0) } else { 1_000 + (rng >> 20) % 2_000_000 };
        lan.run_for(up);
    }
    lan.run_for(secs(10.0));
    for n in 0..2 {
        let events: Vec<(Instant, String)> = lan.nodes[n]
            .events
            .iter()
            .filter_map(|(t, e)| match e {
                Event::Transition { instance, to, priority, .. } => {
                    Some((*t, format!("INSTANCE \"{instance}\" {} {priority}\n", word(*to))))
                }
                _ => None,
            })
            .collect();
        let fifo: Vec<(Instant, String)> = lan.nodes[n]
            .fifo
            .iter()
            .filter(|r| {
                let w = r.what.split(' ').nth(2).unwrap_or("");
                matches!(w, "MASTER" | "BACKUP" | "FAULT" | "STOP")
            })
            .map(|r| (r.at, r.what.clone()))
            .collect();
        if n == 0 {
            assert!(events.len() >= 1000, "{} transitions", events.len());
        }
        assert_eq!(events.len(), fifo.len(), "node {n}");
        for (k, (e, f)) in events.iter().zip(&fifo).enumerate() {
            assert_eq!(e, f, "node {n}, transition {k}");
        }
    }
    let masters = transitions(&lan, 0).iter().filter(|t| t.2 == State::Master).count();
    assert!(masters >= 50, "the flaps include elections won: {masters}");
    assert_eq!(lan.masters(), [0]);
}

// 10. Mismatched adverts on the VRID.

#[test]
fn another_vip_list_on_the_vrid_opens_a_mismatch_episode_on_the_others() {
    let other = config(&text(50, "192.168.31.241", "", ""));
    let mut lan = Lan::new(vec![("a", node(101)), ("b", node(100)), ("c", other)]);
    for n in 0..3 {
        lan.start(n);
    }
    lan.run_for(secs(20.0));
    // c never accepts the others' adverts (nor they its): it is MASTER of its own VIP.
    assert_eq!(lan.masters(), [0, 2]);
    let first_c = lan.nodes[2].adverts.iter().find(|a| a.2 > 0).unwrap().0;
    assert_eq!(first_c, Instant::from_micros(3_000_000 + 206 * 1_000_000 / 256));
    for n in 0..2 {
        let began: Vec<(Instant, IpAddr)> = lan.nodes[n]
            .events
            .iter()
            .filter_map(|(t, e)| match e {
                Event::EpisodeBegan { kind: Episode::Mismatch, peer, .. } => Some((*t, *peer)),
                _ => None,
            })
            .collect();
        assert_eq!(began, [(first_c.plus(DELAY), ip(C))], "node {n}");
        let e = agent(&lan, n).episode(i0(), Episode::Mismatch).expect("open");
        assert_eq!((e.peer, e.since), (ip(C), first_c.plus(DELAY)));
        assert_eq!(agent(&lan, n).episode_totals(i0(), Episode::OtherMaster), (0, 0), "mismatched: not a master");
        assert!(lan.nodes[n].events.iter().any(|(_, e)| matches!(e, Event::Drops { from, .. } if *from == ip(C))));
    }
    assert!(agent(&lan, 2).episode(i0(), Episode::Mismatch).is_some_and(|e| e.peer == ip(A)));
    // c goes away: the episode ends a quiet Master_Down_Interval after its last advert.
    let c_adverts = lan.nodes[2].adverts.iter().filter(|a| a.2 > 0).count() as u64;
    let last = last_advert(&lan, 2).plus(DELAY);
    lan.kill(2);
    lan.run_for(secs(10.0));
    for (n, quiet) in [(0, DOWN_101), (1, DOWN_100)] {
        let ended: Vec<(Instant, IpAddr, u64)> = lan.nodes[n]
            .events
            .iter()
            .filter_map(|(t, e)| match e {
                Event::EpisodeEnded { kind: Episode::Mismatch, peer, adverts, .. } => Some((*t, *peer, *adverts)),
                _ => None,
            })
            .collect();
        assert_eq!(ended, [(last.plus(quiet), ip(C), c_adverts)], "node {n}");
        assert_eq!(agent(&lan, n).episode_totals(i0(), Episode::Mismatch), (1, c_adverts));
        assert!(agent(&lan, n).episode(i0(), Episode::Mismatch).is_none());
    }
    assert_eq!(lan.masters(), [0]);
}

// 11. Handovers disturbed: a reload, a link loss or a shutdown while the demoted master waits;
// a sync group whose peer runs only one member; a v3 peer with a longer interval; a promote.

#[test]
fn sighup_during_a_handover_keeps_the_demoted_master_silent_and_the_handover_on_time() {
    let mut lan = settled_pair();
    let t0 = lan.now;
    let n_adverts = lan.nodes[0].adverts.len();
    demote(&mut lan, 0, None, false);
    lan.run_until(t0.plus(100_000));
    let r = lan.now;
    assert_eq!(r, t0.plus(100_000));
    lan.input(0, Input::Reload(Box::new(node(101))));
    assert!(lan.nodes[0].events.contains(&(r, Event::Reloaded)), "the reload happened");
    assert_eq!(agent(&lan, 0).demotion(i0()), Some((None, false)), "the demotion survives the reload");
    assert_eq!(lan.state(0), Some(State::Master));
    assert_eq!(lan.holders(vip()), [0]);
    assert!(handovers(&lan, 0).is_empty(), "still waiting");

    // As without the reload: Skew_Time(100) after the priority-0 advert arrived.
    let taken = t0.plus(DELAY + SKEW_100);
    let mut unheld = None;
    let t = lan
        .run_until_pred(secs(5.0), |l| {
            if l.holders(vip()).is_empty() && unheld.is_none() {
                unheld = Some(l.now);
            }
            l.holders(vip()).contains(&1)
        })
        .expect("the backup takes the VIP");
    assert_eq!(unheld, None, "nobody held the VIP");
    assert_eq!(t, taken);
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::PriorityZero { from: ip(A) });
    let heard = taken.plus(DELAY);
    let t = lan.run_until_pred(secs(1.0), |l| l.holders(vip()) == [1]).unwrap();
    assert_eq!(t, heard);
    assert_eq!(handovers(&lan, 0), [(heard, Handover::To(ip(B)))]);
    assert_eq!(lan.state(0), Some(State::Backup));
    assert_eq!(*agent(&lan, 0).reason(i0()), Reason::Demoted);
    let sent: Vec<(Instant, u8)> = lan.nodes[0].adverts[n_adverts..].iter().map(|a| (a.0, a.2)).collect();
    assert_eq!(sent, [(t0, 0)], "silent after the priority-0 advert, the reload notwithstanding");

    run_never_unheld(&mut lan, secs(30.0));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Backup), Some(State::Master)));
    assert_eq!(lan.holders(vip()), [1]);
    assert_eq!(agent(&lan, 0).demotion(i0()), Some((None, false)), "still demoted");
    assert_eq!(lan.nodes[0].adverts.len(), n_adverts + 1, "a demoted BACKUP never advertises");
    assert_eq!(handovers(&lan, 0).len(), 1);
}

#[test]
fn link_loss_during_a_handover_reports_interrupted() {
    let mut lan = settled_pair();
    let t0 = lan.now;
    demote(&mut lan, 0, None, false);
    lan.run_for(300_000);
    assert!(lan.state(1) == Some(State::Backup) && handovers(&lan, 0).is_empty(), "not taken over yet");
    let down = lan.now;
    lan.set_link(0, false);
    assert_eq!(handovers(&lan, 0), [(down, Handover::Interrupted)], "the waiting client hears at once");
    assert_eq!(lan.state(0), Some(State::Fault));
    assert!(lan.nodes[0].vips.is_empty(), "FAULT releases the VIP");
    // The backup takes over as the first priority-0 advert told it to (the FAULT's own
    // priority-0 advert never left the downed link).
    let t = lan.run_until_pred(secs(5.0), |l| l.state(1) == Some(State::Master)).unwrap();
    assert_eq!(t, t0.plus(DELAY + SKEW_100));
    assert_eq!(lan.holders(vip()), [1]);
    // The link returns: the node is still demoted, follows the new master, and no second
    // outcome is reported.
    lan.set_link(0, true);
    lan.run_for(secs(20.0));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Backup), Some(State::Master)));
    assert_eq!(lan.holders(vip()), [1]);
    assert_eq!(agent(&lan, 0).demotion(i0()), Some((None, false)));
    assert_eq!(handovers(&lan, 0), [(down, Handover::Interrupted)]);
}

#[test]
fn shutdown_during_a_handover_reports_interrupted() {
    let mut lan = settled_pair();
    let t0 = lan.now;
    demote(&mut lan, 0, None, false);
    lan.run_for(300_000);
    assert!(lan.state(1) == Some(State::Backup) && handovers(&lan, 0).is_empty(), "not taken over yet");
    let stop = lan.now;
    assert_eq!(stop, t0.plus(300_000));
    lan.shutdown(0);
    assert_eq!(handovers(&lan, 0), [(stop, Handover::Interrupted)]);
    assert!(lan.nodes[0].vips.is_empty());
    // Shutdown's priority-0 advert restarts the backup's Skew_Time.
    let t = lan.run_until_pred(secs(5.0), |l| l.state(1) == Some(State::Master)).unwrap();
    assert_eq!(t, stop.plus(DELAY + SKEW_100));
    assert_eq!(*agent(&lan, 1).reason(i0()), Reason::PriorityZero { from: ip(A) });
    assert_eq!(lan.holders(vip()), [1]);
}

/// VI_51 (VRID 51) and, with `second`, VI_52 (VRID 52) in sync group G.
fn group51_text(prio: u8, second: bool) -> String {
    let inst = |vrid: u8| {
        format!(
            "vrrp_instance VI_{vrid} {{\n interface eth0\n virtual_router_id {vrid}\n priority {prio}\n advert_int 1\n virtual_ipaddress {{\n  10.0.{vrid}.1\n }}\n}}\n"
        )
    };
    if second {
        format!("{}{}vrrp_sync_group G {{\n group {{\n  VI_51\n  VI_52\n }}\n}}\n", inst(51), inst(52))
    } else {
        inst(51)
    }
}

#[test]
fn sync_group_with_one_member_taken_over_goes_backup_as_a_whole() {
    // Only VRID 51 has a backup elsewhere: the group cannot hand over as a whole, so it keeps
    // both VIPs (never split, never a VIP without a holder) and resumes after Master_Down.
    let mut lan = pair_with(config(&group51_text(101, true)), config(&group51_text(100, false)));
    lan.run_for(secs(20.0));
    let (v51, v52) = (ip("10.0.51.1"), ip("10.0.52.1"));
    assert_eq!((st(&lan, 0, 0), st(&lan, 0, 1), st(&lan, 1, 0)), (State::Master, State::Master, State::Backup));
    assert_eq!((lan.holders(v51), lan.holders(v52)), (vec![0], vec![0]));
    let t0 = lan.now;
    demote(&mut lan, 0, None, false);
    for i in 0..2 {
        assert_eq!(agent(&lan, 0).demotion(instance(i)), Some((None, false)), "member {i} demoted");
        assert!(lan.nodes[0].adverts.contains(&(t0, instance(i), 0)), "member {i} sent priority 0");
    }
    let mut split = None;
    let mut dark = None;
    lan.run_until_pred(secs(20.0), |l| {
        if split.is_none() && st(l, 0, 0) != st(l, 0, 1) {
            split = Some((l.now, st(l, 0, 0), st(l, 0, 1)));
        }
        if dark.is_none() && (l.holders(v51).is_empty() || l.holders(v52).is_empty()) {
            dark = Some(l.now);
        }
        false
    });
    assert_eq!(split, None, "the sync group split");
    assert_eq!(dark, None, "a VIP without a holder");
    let outcomes: Vec<(Instant, String, Handover)> = lan.nodes[0]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Handover { instance, outcome } => Some((*t, instance.clone(), *outcome)),
            _ => None,
        })
        .collect();
    let back = t0.plus(DOWN_101);
    assert_eq!(
        outcomes,
        [(back, "VI_51".to_string(), Handover::TookBack), (back, "VI_52".to_string(), Handover::TookBack)]
    );
    assert_eq!((st(&lan, 0, 0), st(&lan, 0, 1), st(&lan, 1, 0)), (State::Master, State::Master, State::Backup));
    assert_eq!((lan.holders(v51), lan.holders(v52)), (vec![0], vec![0]));
    assert!(lan.nodes[0].garps.iter().any(|(t, a)| *t == back && *a == v51), "GARPs win VRID 51's clients back");
}

#[test]
fn sync_group_hands_over_once_every_member_has_heard_its_new_master() {
    let both = |prio: u8| config(&group51_text(prio, true));
    let mut lan = pair_with(both(101), both(100));
    lan.run_for(secs(20.0));
    let (v51, v52) = (ip("10.0.51.1"), ip("10.0.52.1"));
    let t0 = lan.now;
    demote(&mut lan, 0, None, false);
    let mut dark = None;
    lan.run_until_pred(secs(5.0), |l| {
        if dark.is_none() && (l.holders(v51).is_empty() || l.holders(v52).is_empty()) {
            dark = Some(l.now);
        }
        st(l, 0, 0) == State::Backup && st(l, 0, 1) == State::Backup
    })
    .expect("the group hands over");
    assert_eq!(dark, None, "a VIP without a holder");
    // Node 1's group took over after its Skew_Time; node 0 heard both adverts one delay later.
    let heard = t0.plus(DELAY + SKEW_100 + DELAY);
    assert_eq!(lan.now, heard);
    assert_eq!((lan.holders(v51), lan.holders(v52)), (vec![1], vec![1]));
    lan.run_for(secs(20.0));
    assert_eq!((st(&lan, 0, 0), st(&lan, 0, 1)), (State::Backup, State::Backup), "it stays out");
}

/// A v3 instance (no authentication in v3) with its own advert interval.
fn v3_node(prio: u8, advert_int: u32) -> Config {
    config(&format!(
        "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n priority {prio}\n version 3\n advert_int {advert_int}\n virtual_ipaddress {{\n  {VIP}\n }}\n}}\n"
    ))
}

#[test]
fn demoted_v3_master_learns_the_new_masters_longer_interval_and_stays_out() {
    let mut lan = pair_with(v3_node(101, 1), v3_node(100, 4));
    lan.run_for(secs(20.0));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Master), Some(State::Backup)));
    assert_eq!(lan.holders(vip()), [0]);
    let t0 = lan.now;
    demote(&mut lan, 0, None, false);
    // The backup learnt node 0's 1 s interval: Skew_Time(100) of 1 s.
    let taken = t0.plus(DELAY + SKEW_100);
    let t = lan.run_until_pred(secs(5.0), |l| l.state(1) == Some(State::Master)).unwrap();
    assert_eq!(t, taken);
    let heard = taken.plus(DELAY);
    let t = lan.run_until_pred(secs(1.0), |l| l.holders(vip()) == [1]).unwrap();
    assert_eq!(t, heard);
    assert_eq!(handovers(&lan, 0), [(heard, Handover::To(ip(B)))]);
    assert_eq!(lan.state(0), Some(State::Backup));
    // Master_Down_Interval with the learnt 4 s: 3 x 4 s + (256 - 101) x 4 s / 256.
    let down_4s = 12_000_000 + 155 * 4_000_000 / 256;
    assert_eq!(agent(&lan, 0).master_down_deadline(i0()), Some(heard.plus(down_4s)));
    let n_transitions = transitions(&lan, 0).len();
    run_never_unheld(&mut lan, secs(30.0));
    assert_eq!((lan.state(0), lan.state(1)), (Some(State::Backup), Some(State::Master)));
    assert_eq!(lan.holders(vip()), [1], "the peer keeps the VIP");
    assert_eq!(agent(&lan, 0).demotion(i0()), Some((None, false)), "still demoted");
    assert_eq!(transitions(&lan, 0).len(), n_transitions, "no state change");
    assert_eq!(handovers(&lan, 0).len(), 1);
    assert!(promoted_at(&lan, 0).is_empty(), "the demotion never ended");
}

#[test]
fn promote_during_the_handover_wait_reports_promoted_and_advertises_at_once() {
    let mut lan = settled_pair();
    lan.kill(1);
    lan.run_for(secs(1.0));
    let t0 = lan.now;
    let n_adverts = lan.nodes[0].adverts.len();
    let n_transitions = transitions(&lan, 0).len();
    demote(&mut lan, 0, None, false);
    let mut dropped = None;
    lan.run_until_pred(secs(1.0), |l| {
        if dropped.is_none() && !l.nodes[0].vips.contains(&vip()) {
            dropped = Some(l.now);
        }
        false
    });
    let p = lan.now;
    assert_eq!(p, t0.plus(secs(1.0)));
    assert!(handovers(&lan, 0).is_empty(), "still waiting");
    lan.input(0, Input::Promote { instance: i0() });
    assert_eq!(handovers(&lan, 0), [(p, Handover::Promoted)]);
    assert_eq!(promoted_at(&lan, 0), [p]);
    assert_eq!(agent(&lan, 0).demotion(i0()), None);
    assert_eq!(lan.nodes[0].adverts.last(), Some(&(p, i0(), 101)), "an advert at once, at its priority");
    // Past the Master_Down_Interval the handover would have ended at: no TookBack.
    lan.run_until_pred(secs(10.0) + 1, |l| {
        if dropped.is_none() && !l.nodes[0].vips.contains(&vip()) {
            dropped = Some(l.now);
        }
        false
    });
    assert!(lan.now > t0.plus(DOWN_101));
    assert_eq!(dropped, None, "the VIP never left");
    assert_eq!(handovers(&lan, 0), [(p, Handover::Promoted)], "one outcome");
    let sent: Vec<(Instant, u8)> = lan.nodes[0].adverts[n_adverts..].iter().map(|a| (a.0, a.2)).collect();
    let mut expect = vec![(t0, 0), (p, 101)];
    expect.extend((1..=10).map(|k| (p.plus(k * 1_000_000), 101)));
    assert_eq!(sent, expect, "silent while waiting, then at the advert interval from the promote");
    assert_eq!(lan.state(0), Some(State::Master));
    assert_eq!(transitions(&lan, 0).len(), n_transitions, "never left MASTER");
}
