//! keepalived's semantics one by one, on a single agent driven directly (reference §4.4-4.10,
//! §4.14): each test feeds inputs at chosen instants and checks actions and deadlines.
mod sim;
use sim::*;
use std::net::IpAddr;
use vrrpd::proto::{Action, Agent, Input, Instant, ScriptId, ScriptResult, State};
use vrrpd::wire::vrrp::RxMeta;

const PEER: &str = "192.168.31.99";

struct Solo {
    agent: Agent,
    now: Instant,
    actions: Vec<(Instant, Action)>,
}

impl Solo {
    fn new(text: &str) -> Solo {
        Solo::with_addresses(text, &[("eth0", "192.168.31.20")])
    }
    /// Started with these (interface, address) pairs in the kernel.
    fn with_addresses(text: &str, addrs: &[(&str, &str)]) -> Solo {
        let cfg = config(text);
        let mut s = Solo { agent: Agent::new(cfg, Instant::ZERO), now: Instant::ZERO, actions: Vec::new() };
        for (interface, addr) in addrs {
            s.agent.handle(Instant::ZERO, Input::AddressAdded { interface, addr: addr.parse().unwrap() });
        }
        s.agent.start(Instant::ZERO);
        s.drain();
        s
    }
    fn drain(&mut self) {
        drain_into(&mut self.agent, self.now, &mut self.actions);
    }
    fn at(&mut self, us: u64) -> &mut Self {
        run_timers_until(&mut self.agent, &mut self.now, &mut self.actions, us);
        self
    }
    fn input(&mut self, i: Input) -> &mut Self {
        self.agent.handle(self.now, i);
        self.drain();
        self
    }
    fn advert_from(&mut self, src: &str, prio: u8) -> &mut Self {
        let dst = self.agent.config().instances[0].mcast_dst;
        let src: IpAddr = src.parse().unwrap();
        let bytes = advert_from(&self.agent, instance(0), prio, src, dst);
        let meta = RxMeta { src, dst, ttl: 255, header_len: 20 };
        self.agent.handle(self.now, Input::Packet { interface: "eth0", meta, header: &[], bytes: &bytes });
        self.drain();
        self
    }
    /// The first track script.
    fn script(&self) -> ScriptId {
        self.agent.scripts().next().expect("a track script").0
    }
    fn state(&self) -> State {
        self.agent.state(instance(0))
    }
    fn sent(&self, since: u64) -> Vec<u8> {
        self.actions
            .iter()
            .filter(|(t, a)| t.as_micros() >= since && matches!(a, Action::SendAdvert { .. }))
            .map(|(_, a)| if let Action::SendAdvert { priority, .. } = a { *priority } else { 0 })
            .collect()
    }
    fn logged(&self, needle: &str) -> bool {
        self.actions.iter().any(|(_, a)| matches!(a, Action::Log { message, .. } if message.contains(needle)))
    }
    fn first_at(&self, f: impl Fn(&Action) -> bool) -> Option<Instant> {
        self.actions.iter().find(|(_, a)| f(a)).map(|(t, _)| *t)
    }
}

fn inst(prio: u8, extra: &str) -> String {
    format!("vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 7\n priority {prio}\n advert_int 1\n{extra}\n virtual_ipaddress {{\n  10.0.0.100\n }}\n}}\n")
}

fn master_at(s: &Solo) -> Option<Instant> {
    s.first_at(|a| matches!(a, Action::Log { message, .. } if message.contains("Entering MASTER STATE")))
}

#[test]
fn startup_removes_vips_then_backup_init() {
    let s = Solo::new(&inst(100, ""));
    assert!(matches!(s.actions[1].1, Action::RemoveAddress { .. }), "{:?}", s.actions);
    assert!(s.logged("(VI_1) removing VIPs."));
    assert!(s.logged("(VI_1) Entering BACKUP STATE (init)"));
    assert_eq!(s.state(), State::Backup);
}

#[test]
fn priority_255_owner_is_master_at_once() {
    let mut s = Solo::new(&inst(255, ""));
    s.at(10);
    assert_eq!(master_at(&s), Some(Instant::from_micros(1)));
}

#[test]
fn discarded_lower_adverts_do_not_restart_the_down_timer() {
    let mut s = Solo::new(&inst(100, ""));
    s.at(1_000_000).advert_from(PEER, 120); // accepted: down timer restarts at 1 s
    s.at(2_000_000).advert_from(PEER, 90); // lower, preempt: discarded
    s.at(3_000_000).advert_from(PEER, 90);
    s.at(10_000_000);
    assert_eq!(master_at(&s), Some(Instant::from_micros(1_000_000 + 3_000_000 + 156 * 1_000_000 / 256)));
    assert!(s.logged("(VI_1) received lower priority (90) advert from 192.168.31.99 - discarding"));
}

#[test]
fn nopreempt_accepts_lower_priority_masters() {
    let mut s = Solo::new(&inst(150, " nopreempt"));
    for t in 1..8 {
        s.at(t * 1_000_000).advert_from(PEER, 90);
    }
    assert_eq!(s.state(), State::Backup);
}

#[test]
fn preempt_delay_accepts_lower_adverts_for_a_while() {
    let mut s = Solo::new(&inst(150, " preempt_delay 5"));
    for t in 1..20 {
        s.at(t * 1_000_000).advert_from(PEER, 90);
    }
    // Window opens at the first lower advert (1 s) and closes at 6 s; the last accepted
    // advert was at 5 s, so master-down (3 s + 106/256 s) runs out at 8.414062 s.
    assert_eq!(master_at(&s), Some(Instant::from_micros(5_000_000 + 3_000_000 + 106 * 1_000_000 / 256)));
}

#[test]
fn priority_zero_makes_the_backup_take_over_after_skew() {
    let mut s = Solo::new(&inst(100, ""));
    s.at(1_000_000).advert_from(PEER, 120).at(2_000_000).advert_from(PEER, 0);
    s.at(5_000_000);
    assert_eq!(master_at(&s), Some(Instant::from_micros(2_000_000 + 156 * 1_000_000 / 256)));
    assert_eq!(s.agent.stats(instance(0)).pri_zero_rcvd, 1);
}

#[test]
fn becoming_master_sends_the_advert_first_then_vips_then_garps_and_a_second_batch() {
    let mut s = Solo::new(&inst(100, " garp_master_delay 5\n garp_master_repeat 3\n garp_master_refresh 60"));
    s.at(20_000_000);
    let m = master_at(&s).unwrap();
    let after: Vec<&Action> = s
        .actions
        .iter()
        .filter(|(t, _)| *t == m)
        .map(|(_, a)| a)
        .filter(|a| !matches!(a, Action::Log { .. } | Action::Event(_)))
        .collect();
    assert!(matches!(after[0], Action::SendAdvert { priority: 100, .. }), "{after:?}");
    assert!(matches!(after[1], Action::AddAddress { .. }));
    assert_eq!(after.iter().filter(|a| matches!(a, Action::SendGarp { .. })).count(), 3);
    let garps_at =
        |t: Instant| s.actions.iter().filter(|(x, a)| *x == t && matches!(a, Action::SendGarp { .. })).count();
    assert_eq!(garps_at(m.plus(5_000_000)), 3, "second batch after garp_master_delay");
    s.at(m.as_micros() + 61_000_000);
    assert_eq!(
        s.actions.iter().filter(|(x, a)| *x == m.plus(60_000_000) && matches!(a, Action::SendGarp { .. })).count(),
        1,
        "refresh repeat 1"
    );
}

#[test]
fn master_answers_lower_priority_with_an_advert_and_garps_unless_lower_prio_no_advert() {
    let mut s = Solo::new(&inst(150, ""));
    s.at(4_000_000);
    assert_eq!(s.state(), State::Master);
    s.at(4_500_000).advert_from(PEER, 100);
    assert_eq!(s.sent(4_500_000), [150], "forcing new election");
    assert!(s.actions.iter().any(|(t, a)| t.as_micros() == 4_500_000 && matches!(a, Action::SendGarp { .. })));
    let mut q = Solo::new(&inst(150, " lower_prio_no_advert\n garp_lower_prio_repeat 0"));
    q.at(4_000_000).at(4_500_000).advert_from(PEER, 100);
    assert!(q.sent(4_500_000).is_empty());
}

#[test]
fn master_yields_to_higher_priority_and_may_send_one_last_advert() {
    let mut s = Solo::new(&inst(100, " higher_prio_send_advert"));
    s.at(4_000_000).advert_from(PEER, 200);
    assert_eq!(s.state(), State::Backup);
    assert_eq!(s.sent(4_000_000), [100], "higher_prio_send_advert");
    assert!(s.actions.iter().any(|(t, a)| t.as_micros() == 4_000_000 && matches!(a, Action::RemoveAddress { .. })));
    assert!(s.logged("Master received advert from 192.168.31.99 with higher priority 200, ours 100"));
}

#[test]
fn v2_interval_mismatch_is_dropped_and_counted() {
    let mut s = Solo::new(&inst(100, ""));
    let c = s.agent.config().instances[0].clone();
    let other = config(&inst(100, "").replace("advert_int 1", "advert_int 2"));
    let src: IpAddr = PEER.parse().unwrap();
    let bytes = advert_of(&other, 200, src, c.mcast_dst);
    s.at(1_000_000).input(Input::Packet {
        interface: "eth0",
        meta: RxMeta { src, dst: c.mcast_dst, ttl: 255, header_len: 20 },
        header: &[],
        bytes: &bytes,
    });
    assert_eq!(s.agent.stats(instance(0)).advert_interval_err, 1);
    s.at(5_000_000);
    assert_eq!(s.state(), State::Master, "the dropped advert did not hold us back");
}

#[test]
fn v3_backup_learns_the_masters_interval() {
    let mut s = Solo::new(&inst(100, " version 3"));
    let fast = config(&inst(100, " version 3").replace("advert_int 1", "advert_int 0.1"));
    let src: IpAddr = PEER.parse().unwrap();
    let dst = fast.instances[0].mcast_dst;
    let bytes = advert_of(&fast, 200, src, dst);
    s.at(500_000).input(Input::Packet {
        interface: "eth0",
        meta: RxMeta { src, dst, ttl: 255, header_len: 20 },
        header: &[],
        bytes: &bytes,
    });
    assert_eq!(s.agent.master_adver_int(instance(0)), 100_000);
    s.at(2_000_000);
    // 3 x 0.1 s + (156 x 0.1 s)/256 after the advert.
    assert_eq!(master_at(&s), Some(Instant::from_micros(500_000 + 300_000 + 156 * 100_000 / 256)));
}

#[test]
fn weight_zero_script_gates_startup_and_failure_means_fault() {
    let text =
        format!("vrrp_script s {{\n script /bin/true\n interval 1\n}}\n{}", inst(150, " track_script {\n  s\n }"));
    let mut s = Solo::new(&text);
    // keepalived 2.2.7 (vrrp_init_state, measured by tests/netns_differential.rs): FAULT until
    // the weight-0 script reports, without a log line or a notify; then "Entering BACKUP STATE".
    assert_eq!(s.state(), State::Fault, "FAULT until the weight-0 script reports");
    assert!(!s.logged("FAULT"), "quiet: {:?}", s.actions);
    assert!(!s.actions.iter().any(|(_, a)| matches!(a, Action::Notify { .. })), "quiet");
    let chk = s.script();
    s.at(10_000).input(Input::ScriptExited { script: chk, result: ScriptResult::Exited(0) });
    assert_eq!(s.state(), State::Backup);
    s.at(5_000_000);
    assert_eq!(s.state(), State::Master);
    s.input(Input::ScriptExited { script: s.script(), result: ScriptResult::TimedOut });
    assert_eq!(s.state(), State::Fault);
    assert_eq!(s.sent(5_000_000).last(), Some(&0), "leaving MASTER for FAULT sends priority 0");
    assert!(s.logged("VRRP_Script(s) timed_out"));
}

#[test]
fn rise_and_fall_with_init_fail() {
    let text = format!(
        "vrrp_script s {{\n script /bin/true\n rise 2\n fall 2\n weight 20\n init_fail\n}}\n{}",
        inst(100, " track_script {\n  s\n }")
    );
    let mut s = Solo::new(&text);
    assert_eq!(s.agent.effective_priority(instance(0)), 100, "init_fail: starts failed");
    let ok = Input::ScriptExited { script: s.script(), result: ScriptResult::Exited(0) };
    let bad = Input::ScriptExited { script: s.script(), result: ScriptResult::Exited(2) };
    s.input(ok.clone());
    assert_eq!(s.agent.effective_priority(instance(0)), 100);
    s.input(ok.clone());
    assert_eq!(s.agent.effective_priority(instance(0)), 120, "rise 2");
    s.input(bad.clone());
    assert_eq!(s.agent.effective_priority(instance(0)), 120);
    s.input(bad.clone());
    assert_eq!(s.agent.effective_priority(instance(0)), 100, "fall 2");
}

#[test]
fn priority_change_in_backup_shifts_the_running_down_timer() {
    let text =
        format!("vrrp_script s {{\n script /bin/true\n weight 50\n}}\n{}", inst(100, " track_script {\n  s\n }"));
    let mut s = Solo::new(&text);
    s.at(1_000_000).advert_from(PEER, 200);
    // 100 -> 150: Skew_Time shrinks from 156/256 s to 106/256 s; the deadline moves with it.
    s.input(Input::ScriptExited { script: s.script(), result: ScriptResult::Exited(0) });
    s.at(10_000_000);
    assert_eq!(master_at(&s), Some(Instant::from_micros(1_000_000 + 3_000_000 + 106 * 1_000_000 / 256)));
}

#[test]
fn own_interface_down_is_fault_unless_dont_track_primary() {
    let mut s = Solo::new(&inst(150, ""));
    s.at(5_000_000);
    s.input(Input::Link { interface: "eth0", up: false });
    assert_eq!(s.state(), State::Fault);
    s.input(Input::Link { interface: "eth0", up: true });
    assert_eq!(s.state(), State::Backup);
    let mut d = Solo::new(&inst(150, " dont_track_primary"));
    d.input(Input::Link { interface: "eth0", up: false });
    assert_eq!(d.state(), State::Backup);
}

#[test]
fn interface_up_down_delays_debounce_link_flaps() {
    let text = format!("interface_up_down_delays {{\n eth0 2 1\n}}\n{}", inst(150, ""));
    let mut s = Solo::new(&text);
    s.at(5_000_000).input(Input::Link { interface: "eth0", up: false });
    s.at(6_000_000).input(Input::Link { interface: "eth0", up: true });
    s.at(20_000_000);
    assert_eq!(s.state(), State::Master, "a 1 s flap under a 2 s down delay is not seen");
    s.input(Input::Link { interface: "eth0", up: false });
    s.at(21_999_999);
    assert_eq!(s.state(), State::Master);
    s.at(22_000_000);
    assert_eq!(s.state(), State::Fault);
}

#[test]
fn tracked_interface_weights_and_track_file() {
    let text = format!(
        "track_file tf {{\n file /run/x\n weight -10\n}}\n{}",
        inst(100, " track_interface {\n  eth1 weight -30\n }\n track_file {\n  tf\n }")
    );
    let mut s = Solo::new(&text);
    s.input(Input::Link { interface: "eth1", up: false });
    assert_eq!(s.agent.effective_priority(instance(0)), 70);
    let tf = s.agent.track_files().next().unwrap().0;
    s.input(Input::TrackFile { file: tf, value: 3 });
    assert_eq!(s.agent.effective_priority(instance(0)), 40);
    let cfg = s.agent.config().clone();
    s.input(Input::Reload(Box::new(cfg)));
    assert_eq!(s.agent.effective_priority(instance(0)), 40, "track file values survive a reload");
    s.input(Input::TrackFile { file: tf, value: 30 });
    assert_eq!(s.state(), State::Fault, "value x weight <= -254 is a fault");
}

#[test]
fn sync_group_members_move_together_and_notify_as_a_group() {
    let text = "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n priority 150\n advert_int 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n\
                vrrp_instance B {\n interface eth1\n virtual_router_id 2\n priority 150\n advert_int 1\n virtual_ipaddress {\n 10.0.1.1\n }\n}\n\
                vrrp_sync_group G {\n group {\n  A\n  B\n }\n notify \"/usr/local/bin/g.sh\"\n}\n";
    let mut s = Solo::with_addresses(text, &[("eth0", "192.168.31.20"), ("eth1", "192.168.32.20")]);
    s.at(5_000_000);
    assert_eq!((s.agent.state(instance(0)), s.agent.state(instance(1))), (State::Master, State::Master));
    let notes: Vec<String> = s
        .actions
        .iter()
        .filter_map(|(_, a)| if let Action::Notify { extra, .. } = a { Some(extra.join(" ")) } else { None })
        .collect();
    assert_eq!(notes, ["GROUP G BACKUP 0", "GROUP G MASTER 0"]);
    // One member's link fails: the whole group goes FAULT.
    s.input(Input::Link { interface: "eth1", up: false });
    assert_eq!((s.agent.state(instance(0)), s.agent.state(instance(1))), (State::Fault, State::Fault));
    s.input(Input::Link { interface: "eth1", up: true });
    assert_eq!((s.agent.state(instance(0)), s.agent.state(instance(1))), (State::Backup, State::Backup));
}

#[test]
fn shutdown_of_a_master_sends_priority_zero_releases_and_notifies_stop() {
    let mut s = Solo::new(&inst(150, " notify_stop /usr/local/bin/stop.sh"));
    s.at(5_000_000).input(Input::Shutdown);
    let tail: Vec<&Action> = s
        .actions
        .iter()
        .filter(|(t, _)| t.as_micros() == 5_000_000)
        .map(|(_, a)| a)
        .filter(|a| !matches!(a, Action::Log { .. } | Action::Event(_)))
        .collect();
    assert!(matches!(tail[0], Action::SendAdvert { priority: 0, .. }), "{tail:?}");
    assert!(matches!(tail[1], Action::RemoveAddress { .. }));
    assert!(matches!(tail[2], Action::Notify { kill_after: Some(1_000_000), .. }), "notify_stop killed after 1 s");
    assert_eq!(s.agent.poll_timeout(), None, "nothing scheduled after shutdown");
}

#[test]
fn reload_keeps_the_master_and_diffs_its_vips_without_a_flap() {
    let mut s = Solo::new(&inst(150, ""));
    s.at(5_000_000);
    assert_eq!(s.state(), State::Master);
    let before = s.actions.len();
    let mut new = config(&inst(160, "").replace("  10.0.0.100\n", "  10.0.0.100\n  10.0.0.101\n"));
    new.instances[0].name = "RENAMED".into();
    s.input(Input::Reload(Box::new(new)));
    let after: Vec<&Action> = s.actions[before..].iter().map(|(_, a)| a).collect();
    assert_eq!(s.state(), State::Master, "no flap");
    assert!(after.iter().any(|a| matches!(a, Action::AddAddress { vip, .. } if vip.addr.to_string() == "10.0.0.101")));
    assert!(!after.iter().any(|a| matches!(a, Action::RemoveAddress { .. })), "{after:?}");
    assert!(!after.iter().any(|a| matches!(a, Action::Log { message, .. } if message.contains("Entering"))));
    s.at(6_500_000);
    assert_eq!(s.sent(6_000_000).first(), Some(&160), "the new priority is advertised");
}

#[test]
fn reload_that_removes_a_master_instance_releases_it() {
    let two = format!(
        "{}{}",
        inst(150, ""),
        inst(150, "")
            .replace("VI_1", "VI_2")
            .replace("router_id 7", "router_id 8")
            .replace("virtual_router_id 7", "virtual_router_id 8")
            .replace("10.0.0.100", "10.0.0.200")
    );
    let mut s = Solo::new(&two);
    s.at(5_000_000);
    assert_eq!((s.agent.state(instance(0)), s.agent.state(instance(1))), (State::Master, State::Master));
    let before = s.actions.len();
    s.input(Input::Reload(Box::new(config(&inst(150, "")))));
    let released: Vec<&Action> =
        s.actions[before..].iter().map(|(_, a)| a).filter(|a| matches!(a, Action::ReleaseRemoved { .. })).collect();
    match released.as_slice() {
        [Action::ReleaseRemoved { config, vips, adverts }] => {
            assert_eq!(config.name, "VI_2");
            assert_eq!(vips[0].addr.to_string(), "10.0.0.200");
            assert_eq!(vips[0].dev.as_deref(), Some("eth0"), "the old interface is carried");
            // Its backup takes over after Skew_Time, not Master_Down (keepalived sends it too).
            let [a] = adverts.as_slice() else { panic!("{adverts:?}") };
            let advert = a.advert();
            assert_eq!((advert.repr.priority, advert.repr.vrid, advert.dst), (0, config.vrid, config.mcast_dst));
            assert_eq!(advert.repr.addrs.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        (s.agent.instance_count(), s.agent.state(instance(0))),
        (1, State::Master),
        "the kept instance does not flap"
    );
}

#[test]
fn startup_delay_holds_every_instance_in_init() {
    let text = format!("global_defs {{\n vrrp_startup_delay 10\n}}\n{}", inst(150, ""));
    let mut s = Solo::new(&text);
    assert_eq!(s.state(), State::Init);
    s.at(9_999_999);
    assert_eq!(s.state(), State::Init);
    s.at(10_000_000);
    assert_eq!(s.state(), State::Backup);
    s.at(20_000_000);
    assert_eq!(master_at(&s), Some(Instant::from_micros(10_000_000 + 3_000_000 + 106 * 1_000_000 / 256)));
}

#[test]
fn fifo_lines_and_master_rx_lower_pri() {
    let text = format!(
        "global_defs {{\n vrrp_notify_fifo /run/vrrpd.fifo\n}}\n{}",
        inst(150, " notify_master_rx_lower_pri /usr/local/bin/lower.sh")
    );
    let mut s = Solo::new(&text);
    s.at(4_000_000).advert_from(PEER, 100);
    let lines: Vec<String> = s
        .actions
        .iter()
        .filter_map(|(_, a)| if let Action::FifoLine { line } = a { Some(line.clone()) } else { None })
        .collect();
    assert_eq!(
        lines,
        [
            "INSTANCE \"VI_1\" BACKUP 150\n",
            "INSTANCE \"VI_1\" MASTER 150\n",
            "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150\n"
        ]
    );
    assert!(s
        .actions
        .iter()
        .any(|(_, a)| matches!(a, Action::Notify { command, .. } if command.argv == ["/usr/local/bin/lower.sh"])));
}

#[test]
fn dump_formats_follow_keepalived() {
    let mut s = Solo::new(&inst(150, ""));
    s.at(5_000_000);
    let stats = vrrpd::proto::report::stats(&s.agent);
    assert!(
        stats.starts_with("VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 2\n  Became master: 1\n"),
        "{stats}"
    );
    assert!(stats.contains("  Priority Zero:\n    Received: 0\n    Sent: 0\n"));
    let json = vrrpd::proto::report::json(&s.agent);
    assert!(json.starts_with("[{\"data\":{\"iname\":\"VI_1\""), "{json}");
    assert!(json.contains("\"state\":2,") && json.contains("\"vips\":[\"10.0.0.100/32 scope global\"]"), "{json}");
    let data = vrrpd::proto::report::data(&s.agent);
    assert!(data.contains(" VRRP Instance = VI_1\n   VRRP Version = 2\n   State = MASTER\n"), "{data}");
}

#[test]
fn the_data_dump_has_keepalived_sections() {
    let script = "vrrp_script chk {\n script \"/bin/true --quiet\"\n interval 1\n weight -5\n fall 2\n rise 3\n}\n";
    let text = format!("global_defs {{\n router_id R1\n}}\n{script}{}", inst(100, " track_script {\n  chk\n }"));
    let mut s = Solo::new(&text);
    let chk = s.script();
    s.at(10_000).input(Input::ScriptExited { script: chk, result: ScriptResult::Exited(0) });
    s.input(Input::Link { interface: "eth0", up: true });
    let data = vrrpd::proto::report::data(&s.agent);
    let sections: Vec<&str> = data.lines().filter(|l| l.starts_with("------<")).collect();
    assert_eq!(
        sections,
        [
            "------< Global definitions >------",
            "------< VRRP Topology >------",
            "------< VRRP Scripts >------",
            "------< Interfaces >------"
        ]
    );
    for expected in [
        " Router ID = R1\n",
        " VRRP IPv4 mcast group = 224.0.0.18\n",
        " Gratuitous ARP repeat = 5\n",
        "   State = BACKUP\n",
        // Master_Down_Interval = 3 x 1 s + (256 - 100) / 256 s.
        "   Master down timer = 3609375 usecs\n",
        "   Using src_ip = 192.168.31.20\n",
        "   Multicast address 224.0.0.18\n",
        "   Virtual IP (1):\n     10.0.0.100/32 scope global\n",
        "   Tracked scripts :\n     chk weight -5\n",
        " VRRP Script = chk\n   Command = '/bin/true --quiet'\n   Interval = 1 sec\n   Timeout = 1 sec\n   Weight = -5\n   Rise = 3\n   Fall = 2\n",
        "   Status = GOOD\n",
        "   Tracking instances :\n     VI_1, weight -5\n   State = idle\n",
        " Name = eth0\n   State = UP, RUNNING\n   Tracking VRRP instances :\n     VI_1, weight 0\n",
    ] {
        assert!(data.contains(expected), "missing {expected:?} in\n{data}");
    }
}

fn two_scripts(order: &[&str], tracked: &[&str]) -> String {
    let def = |name: &str| match name {
        "alpha" => "vrrp_script alpha {\n script /bin/alpha\n interval 30\n weight -10\n}\n",
        _ => "vrrp_script beta {\n script /bin/true\n interval 1\n weight -50\n}\n",
    };
    let list: String = tracked.iter().map(|t| format!("  {t}\n")).collect();
    let scripts: String = order.iter().map(|n| def(n)).collect();
    format!("{scripts}{}", inst(100, &format!(" track_script {{\n{list} }}")))
}

#[test]
fn a_run_of_a_script_removed_by_reload_is_credited_to_nobody() {
    let mut s = Solo::new(&two_scripts(&["alpha", "beta"], &["alpha", "beta"]));
    let alpha = s.agent.script_id("alpha").unwrap();
    let beta = s.agent.script_id("beta").unwrap();
    assert!(s.actions.iter().any(|(_, a)| matches!(a, Action::RunScript { script, .. } if *script == alpha)));
    s.at(10_000).input(Input::ScriptExited { script: beta, result: ScriptResult::Exited(0) });
    // alpha is still running when the reload removes it; beta is now the first script.
    s.input(Input::Reload(Box::new(config(&two_scripts(&["beta"], &["beta"])))));
    assert_eq!(s.agent.script_id("beta"), Some(beta), "beta keeps its id");
    assert_eq!(s.agent.script(alpha), None);
    s.at(2_000_000).input(Input::ScriptExited { script: alpha, result: ScriptResult::Exited(1) });
    assert!(!s.logged("VRRP_Script(beta) failed"), "alpha's exit credited to beta");
    assert_eq!(s.agent.effective_priority(instance(0)), 100);
}

#[test]
fn a_script_reordered_by_reload_while_it_runs_runs_again_on_schedule() {
    let mut s = Solo::new(&two_scripts(&["alpha", "beta"], &["alpha", "beta"]));
    let alpha = s.agent.script_id("alpha").unwrap();
    s.at(500_000).input(Input::Reload(Box::new(config(&two_scripts(&["beta", "alpha"], &["alpha", "beta"])))));
    assert_eq!(s.agent.script_id("alpha"), Some(alpha), "alpha keeps its id in its new place");
    s.at(1_000_000).input(Input::ScriptExited { script: alpha, result: ScriptResult::Exited(0) });
    let status = s.agent.script_status(alpha).unwrap();
    assert_eq!((status.running, status.healthy), (false, Some(true)), "credited to alpha");
    let runs = |s: &Solo| {
        s.actions.iter().filter(|(_, a)| matches!(a, Action::RunScript { script, .. } if *script == alpha)).count()
    };
    let before = runs(&s);
    s.at(31_000_000);
    assert_eq!(runs(&s), before + 1, "the next interval runs alpha");
    assert!(!s.logged("Track script alpha is already running"));
}

fn notifies(s: &Solo) -> Vec<String> {
    s.actions
        .iter()
        .filter_map(|(_, a)| if let Action::Notify { extra, .. } = a { Some(extra.join(" ")) } else { None })
        .collect()
}

const NOTIFY: &str = " notify /usr/local/bin/n.sh\n notify_backup /usr/local/bin/backup.sh";

#[test]
fn booting_with_the_link_down_enters_fault_at_once_and_notifies_fault_only() {
    // keepalived 2.2.7, measured: "(VI_1): entering FAULT state (interface veth0 down)",
    // "(VI_1) entering FAULT state", notify FAULT; never BACKUP first.
    let cfg = config(&inst(100, NOTIFY));
    let mut agent = Agent::new(cfg, Instant::ZERO);
    agent.handle(Instant::ZERO, Input::AddressAdded { interface: "eth0", addr: "192.168.31.20".parse().unwrap() });
    agent.handle(Instant::ZERO, Input::Link { interface: "eth0", up: false });
    agent.start(Instant::ZERO);
    let mut s = Solo { agent, now: Instant::ZERO, actions: Vec::new() };
    s.drain();
    assert!(s.logged("(VI_1): entering FAULT state (interface eth0 down)"), "{:?}", s.actions);
    assert!(s.logged("(VI_1) entering FAULT state"));
    assert!(!s.logged("BACKUP"), "no BACKUP state at boot: {:?}", s.actions);
    assert_eq!(notifies(&s), ["INSTANCE VI_1 FAULT 100"]);
    assert!(
        !s.actions
            .iter()
            .any(|(_, a)| matches!(a, Action::Notify { command, .. } if command.argv[0].contains("backup"))),
        "notify_backup never runs on a host without its link"
    );
    s.input(Input::Link { interface: "eth0", up: true });
    assert_eq!(s.state(), State::Backup);
    s.at(10_000_000);
    assert_eq!(s.state(), State::Master);
}

#[test]
fn no_instance_is_master_without_a_source_address() {
    // Booted before DHCP: keepalived stays in FAULT "(no IPv4 address for interface)".
    let mut s = Solo::with_addresses(&inst(100, NOTIFY), &[]);
    assert!(s.logged("(VI_1) entering FAULT state (no IPv4 address for interface)"), "{:?}", s.actions);
    s.at(20_000_000);
    assert_eq!(s.state(), State::Fault, "a silent master holding the VIP would be worse");
    assert!(!s.actions.iter().any(|(_, a)| matches!(a, Action::AddAddress { .. } | Action::SendAdvert { .. })));
    // DHCP answers: BACKUP, then MASTER after master-down.
    s.input(Input::AddressAdded { interface: "eth0", addr: "192.168.31.20".parse().unwrap() });
    assert_eq!(s.state(), State::Backup);
    s.at(24_000_000);
    assert_eq!(s.state(), State::Master);
    // The address goes again: FAULT, the VIP released with a priority-0 advert.
    let before = s.actions.len();
    s.input(Input::AddressRemoved { interface: "eth0", addr: "192.168.31.20".parse().unwrap() });
    assert_eq!(s.state(), State::Fault);
    assert!(s.actions[before..].iter().any(|(_, a)| matches!(a, Action::RemoveAddress { .. })));
    assert_eq!(notifies(&s).last().map(String::as_str), Some("INSTANCE VI_1 FAULT 100"));
}

#[test]
fn an_ipv6_instance_needs_a_link_local_address() {
    let text = "vrrp_instance V6 {\n interface eth0\n virtual_router_id 9\n priority 100\n version 3\n advert_int 1\n virtual_ipaddress {\n  fd00::240\n }\n}\n";
    let mut s = Solo::with_addresses(text, &[("eth0", "fd00::20")]);
    assert!(s.logged("(V6) entering FAULT state (no IPv6 address for interface)"), "{:?}", s.actions);
    s.input(Input::AddressAdded { interface: "eth0", addr: "fe80::20".parse().unwrap() });
    assert_eq!(s.state(), State::Backup);
}

/// An advert from `src` of a router on our VRID with its own VIP list.
fn foreign_advert(s: &Solo, src: &str, prio: u8, vips: &str) -> Vec<u8> {
    let other = config(&inst(100, "").replace("10.0.0.100", vips));
    advert_of(&other, prio, src.parse().unwrap(), s.agent.config().instances[0].mcast_dst)
}

fn feed(s: &mut Solo, src: &str, bytes: &[u8]) {
    let dst = s.agent.config().instances[0].mcast_dst;
    let meta = RxMeta { src: src.parse().unwrap(), dst, ttl: 255, header_len: 20 };
    s.input(Input::Packet { interface: "eth0", meta, header: &[], bytes });
}

#[test]
fn a_higher_router_on_our_vrid_with_other_vips_is_dropped_and_counted() {
    // RFC 3768 §7.1; keepalived 2.2.7 drops such adverts (addr_list_err) and names our VIP.
    let mut s = Solo::new(&inst(100, ""));
    s.at(4_000_000);
    assert_eq!(s.state(), State::Master);
    let other_list = foreign_advert(&s, PEER, 200, "10.0.0.200");
    let other_count = foreign_advert(&s, PEER, 200, "10.0.0.100\n  10.0.0.101");
    for k in 0..10u64 {
        s.at(4_000_000 + k * 100_000);
        feed(&mut s, PEER, &other_list);
        feed(&mut s, PEER, &other_count);
    }
    assert_eq!(s.state(), State::Master, "no step-down for another cluster's adverts");
    assert_eq!(s.agent.stats(instance(0)).addr_list_err, 20);
    assert!(s.logged("(VI_1) ip address associated with VRID 7 not present in MASTER advert: 10.0.0.100"));
    let after: Vec<u8> = s.sent(4_000_001);
    assert!(after.iter().all(|&p| p == 100), "only our periodic adverts: {after:?}");
    // Our own list from the same sender is a real peer again.
    let same = foreign_advert(&s, PEER, 200, "10.0.0.100");
    feed(&mut s, PEER, &same);
    assert_eq!(s.state(), State::Backup);
}

#[test]
fn lower_priority_adverts_are_answered_once_per_interval() {
    // 3,000 spoofed lower-priority adverts in 3 s: keepalived answers each with an advert and
    // 5 GARPs. vrrpd answers at most once per advert interval and counts them all.
    let mut s = Solo::new(&inst(150, ""));
    s.at(4_000_000);
    assert_eq!(s.state(), State::Master);
    let spoof = foreign_advert(&s, PEER, 50, "10.0.0.100");
    let start = s.actions.len();
    for k in 0..3_000u64 {
        s.at(4_000_000 + k * 1_000);
        feed(&mut s, PEER, &spoof);
    }
    let tail = &s.actions[start..];
    let adverts = tail.iter().filter(|(_, a)| matches!(a, Action::SendAdvert { .. })).count();
    let garps = tail.iter().filter(|(_, a)| matches!(a, Action::SendGarp { .. })).count();
    // 3 s at 1 s: 3 periodic adverts plus at most 3 forced ones; GARPs at most one burst of 5
    // (garp_lower_prio_delay defaults to keepalived's 5 s) plus the master's own schedule.
    assert!(adverts <= 6, "{adverts} adverts");
    assert!(garps <= 10, "{garps} GARPs");
    assert_eq!(s.agent.stats(instance(0)).lower_prio_rcvd, 3_000);
    assert_eq!(s.state(), State::Master);
}

#[test]
fn an_owner_takes_over_at_once_only_in_state_master() {
    let owner = |state: &str| inst(255, &format!(" state {state}"));
    let mut s = Solo::new(&owner("MASTER"));
    s.at(10_000);
    assert_eq!(s.state(), State::Master, "state MASTER, priority 255: no wait");
    let mut s = Solo::new(&owner("BACKUP"));
    s.at(2_900_000);
    assert_eq!(s.state(), State::Backup, "state BACKUP, priority 255: Master_Down_Interval");
    s.at(3_100_000);
    assert_eq!(s.state(), State::Master);
}

// ---- keyword effects (tests/data/keyword-effects.tsv names these) ----

/// An advert of our own VRID and VIPs from `src` to `dst` with this IP TTL.
fn feed_from(s: &mut Solo, src: &str, dst: &str, ttl: u8, prio: u8) {
    let (src, dst): (IpAddr, IpAddr) = (src.parse().unwrap(), dst.parse().unwrap());
    let bytes = advert_from(&s.agent, instance(0), prio, src, dst);
    let meta = RxMeta { src, dst, ttl, header_len: 20 };
    s.input(Input::Packet { interface: "eth0", meta, header: &[], bytes: &bytes });
}

fn fifo_lines(s: &Solo) -> Vec<String> {
    s.actions
        .iter()
        .filter_map(|(_, a)| if let Action::FifoLine { line } = a { Some(line.clone()) } else { None })
        .collect()
}

#[test]
fn down_timer_adverts_is_the_number_of_adverts_missed_before_master_down() {
    let mut s = Solo::new(&inst(150, " down_timer_adverts 5"));
    s.at(1_000_000).advert_from(PEER, 200);
    s.at(20_000_000);
    // 5 x 1 s + (256 - 150)/256 s after the last advert heard.
    assert_eq!(master_at(&s), Some(Instant::from_micros(1_000_000 + 5_000_000 + 106 * 1_000_000 / 256)));
}

const UNICAST: &str = " unicast_src_ip 192.168.31.20\n unicast_peer {\n  192.168.31.30\n }";

#[test]
fn check_unicast_src_drops_adverts_from_addresses_not_listed_as_peers() {
    let mut s = Solo::new(&inst(100, &format!("{UNICAST}\n check_unicast_src")));
    s.at(1_000_000);
    feed_from(&mut s, PEER, "192.168.31.20", 255, 200);
    assert!(s.logged("(VI_1) unicast source address 192.168.31.99 not a unicast peer"));
    s.at(5_000_000);
    assert_eq!(s.state(), State::Master, "the stranger's higher priority was not heard");
    let mut open = Solo::new(&inst(100, UNICAST));
    open.at(1_000_000);
    feed_from(&mut open, PEER, "192.168.31.20", 255, 200);
    open.at(4_000_000);
    assert_eq!(open.state(), State::Backup, "without check_unicast_src any sender counts");
}

#[test]
fn min_ttl_and_max_ttl_bound_the_ttl_of_a_unicast_peer() {
    let peers = " unicast_src_ip 192.168.31.20\n unicast_peer {\n  192.168.31.30 min_ttl 250 max_ttl 254\n }";
    let mut s = Solo::new(&inst(100, peers));
    s.at(1_000_000);
    feed_from(&mut s, "192.168.31.30", "192.168.31.20", 200, 200);
    feed_from(&mut s, "192.168.31.30", "192.168.31.20", 255, 200);
    assert_eq!(s.agent.stats(instance(0)).ip_ttl_err, 2, "below min_ttl and above max_ttl");
    feed_from(&mut s, "192.168.31.30", "192.168.31.20", 252, 200);
    assert_eq!(s.agent.stats(instance(0)).ip_ttl_err, 2);
    s.at(4_000_000);
    assert_eq!(s.state(), State::Backup, "the advert inside the range was heard at 1 s");
}

#[test]
fn unicast_ttl_is_the_ttl_of_unicast_adverts() {
    let s = Solo::new(&inst(100, &format!("{UNICAST}\n unicast_ttl 10")));
    let peer: IpAddr = "192.168.31.30".parse().unwrap();
    assert_eq!(s.agent.advert(instance(0), 100, peer, 0).unwrap().ttl, 10);
    let m = Solo::new(&inst(100, ""));
    let group = m.agent.config().instances[0].mcast_dst;
    assert_eq!(m.agent.advert(instance(0), 100, group, 0).unwrap().ttl, 255, "multicast is always 255");
}

#[test]
fn owner_ignore_adverts_keeps_the_address_owner_master() {
    // Same priority from a higher address: an owner steps down (RFC 5798 §6.4.3) unless it
    // ignores adverts.
    let mut s = Solo::new(&inst(255, " state MASTER\n owner_ignore_adverts"));
    s.at(1_000_000).advert_from(PEER, 255);
    assert_eq!(s.state(), State::Master);
    let mut plain = Solo::new(&inst(255, " state MASTER"));
    plain.at(1_000_000).advert_from(PEER, 255);
    assert_eq!(plain.state(), State::Backup);
}

#[test]
fn log_unknown_vrids_logs_adverts_for_vrids_not_configured() {
    let other = config(&inst(100, "").replace("virtual_router_id 7", "virtual_router_id 8"));
    let text = |g: &str| format!("global_defs {{\n{g}\n}}\n{}", inst(100, ""));
    for (global, logged) in [(" log_unknown_vrids", true), ("", false)] {
        let mut s = Solo::new(&text(global));
        let dst = s.agent.config().instances[0].mcast_dst;
        let bytes = advert_of(&other, 100, PEER.parse().unwrap(), dst);
        feed(&mut s, PEER, &bytes);
        assert_eq!(s.logged("Unknown VRID 8 received on eth0 from 192.168.31.99"), logged, "{global:?}");
    }
}

#[test]
fn notify_priority_changes_writes_priority_lines_to_the_fifo() {
    let text = |flag: &str| {
        format!(
            "global_defs {{\n vrrp_notify_fifo /run/vrrpd.fifo\n}}\nvrrp_script s {{\n script /bin/true\n weight 50\n}}\n{}",
            inst(100, &format!(" track_script {{\n  s\n }}\n{flag}"))
        )
    };
    let mut s = Solo::new(&text(" notify_priority_changes"));
    s.input(Input::ScriptExited { script: s.script(), result: ScriptResult::Exited(0) });
    assert!(fifo_lines(&s).contains(&"INSTANCE \"VI_1\" BACKUP_PRIORITY 150\n".to_string()), "{:?}", fifo_lines(&s));
    let mut quiet = Solo::new(&text(""));
    quiet.input(Input::ScriptExited { script: quiet.script(), result: ScriptResult::Exited(0) });
    assert!(!fifo_lines(&quiet).iter().any(|l| l.contains("_PRIORITY")));
}

#[test]
fn notify_fifo_gets_the_state_lines() {
    let mut s = Solo::new(&format!("global_defs {{\n notify_fifo /run/all.fifo\n}}\n{}", inst(150, "")));
    s.at(5_000_000);
    assert_eq!(fifo_lines(&s), ["INSTANCE \"VI_1\" BACKUP 150\n", "INSTANCE \"VI_1\" MASTER 150\n"]);
}

#[test]
fn notify_deleted_says_deleted_when_a_reload_removes_the_instance() {
    let two = |extra: &str| {
        format!(
            "{}{}",
            inst(100, ""),
            inst(100, &format!(" notify /usr/local/bin/n.sh\n{extra}"))
                .replace("VI_1", "VI_2")
                .replace("virtual_router_id 7", "virtual_router_id 8")
                .replace("10.0.0.100", "10.0.0.200")
        )
    };
    for (extra, word) in [(" notify_deleted", "DELETED"), ("", "FAULT")] {
        let mut s = Solo::new(&two(extra));
        s.input(Input::Reload(Box::new(config(&inst(100, "")))));
        assert_eq!(notifies(&s).last().map(String::as_str), Some(format!("INSTANCE VI_2 {word} 0").as_str()));
    }
}

#[test]
fn garp_master_refresh_repeat_and_garp_lower_prio_delay() {
    let mut s = Solo::new(&inst(
        150,
        " garp_master_refresh 10\n garp_master_refresh_repeat 3\n garp_lower_prio_delay 2\n garp_lower_prio_repeat 4",
    ));
    s.at(4_000_000);
    let m = master_at(&s).unwrap();
    let garps_at = |s: &Solo, t: Instant| {
        s.actions.iter().filter(|(x, a)| *x == t && matches!(a, Action::SendGarp { .. })).count()
    };
    let lower = m.plus(500_000);
    s.at(lower.as_micros()).advert_from(PEER, 100);
    s.at(m.as_micros() + 11_000_000);
    assert_eq!(garps_at(&s, lower), 4, "garp_lower_prio_repeat");
    assert_eq!(garps_at(&s, lower.plus(2_000_000)), 4, "the second batch garp_lower_prio_delay later");
    assert_eq!(garps_at(&s, m.plus(10_000_000)), 3, "garp_master_refresh_repeat");
}

#[test]
fn skip_check_adv_addr_accepts_other_vips_from_the_master_it_follows() {
    for (extra, dropped) in [(" skip_check_adv_addr", 0), ("", 1)] {
        let mut s = Solo::new(&inst(100, extra));
        s.at(1_000_000).advert_from(PEER, 200);
        let other = foreign_advert(&s, PEER, 200, "10.0.0.200");
        s.at(2_000_000);
        feed(&mut s, PEER, &other);
        s.at(10_000_000);
        assert_eq!(s.agent.stats(instance(0)).addr_list_err, dropped, "{extra:?}");
        // Master-down after the last advert accepted: 2 s with the check skipped, else 1 s.
        let heard = if dropped == 0 { 2_000_000 } else { 1_000_000 };
        assert_eq!(master_at(&s), Some(Instant::from_micros(heard + 3_000_000 + 156 * 1_000_000 / 256)), "{extra:?}");
    }
}

#[test]
fn v3_checksum_as_v2_leaves_the_pseudo_header_out_of_v3_adverts() {
    use vrrpd::wire::vrrp::ChecksumMode;
    let (src, dst) = ("192.168.31.20".parse().unwrap(), "224.0.0.18".parse().unwrap());
    let s = Solo::new(&inst(100, " version 3\n v3_checksum_as_v2"));
    assert_eq!(s.agent.advert_checksum(instance(0), IpAddr::V4(src), IpAddr::V4(dst)), ChecksumMode::Plain);
    let d = Solo::new(&inst(100, " version 3"));
    assert_eq!(
        d.agent.advert_checksum(instance(0), IpAddr::V4(src), IpAddr::V4(dst)),
        ChecksumMode::PseudoV4 { src, dst }
    );
}

#[test]
fn mcast_dst_ip_is_where_the_adverts_go() {
    let mut s = Solo::new(&inst(255, " state MASTER\n mcast_dst_ip 224.0.0.19"));
    s.at(10_000);
    let dst =
        s.actions.iter().find_map(|(_, a)| if let Action::SendAdvert { dst, .. } = a { Some(*dst) } else { None });
    assert_eq!(dst, Some("224.0.0.19".parse().unwrap()));
}

#[test]
fn excluded_vips_are_installed_but_not_advertised() {
    let mut s = Solo::new(&inst(255, " state MASTER\n virtual_ipaddress_excluded {\n  10.0.9.9\n }"));
    s.at(10_000);
    let added: Vec<String> = s
        .actions
        .iter()
        .filter_map(|(_, a)| if let Action::AddAddress { vip, .. } = a { Some(vip.addr.to_string()) } else { None })
        .collect();
    assert_eq!(added, ["10.0.0.100", "10.0.9.9"]);
    let group = s.agent.config().instances[0].mcast_dst;
    let bytes = advert_from(&s.agent, instance(0), 255, "192.168.31.20".parse().unwrap(), group);
    assert_eq!(bytes[3], 1, "Count IPvX Addr: the VIP only");
}

#[test]
fn a_vip_with_no_track_may_be_deleted_by_hand() {
    let text = inst(150, "").replace("  10.0.0.100\n", "  10.0.0.100 no_track\n");
    let mut s = Solo::new(&text);
    s.at(5_000_000);
    assert_eq!(s.state(), State::Master);
    s.input(Input::AddressRemoved { interface: "eth0", addr: "10.0.0.100".parse().unwrap() });
    assert_eq!(s.state(), State::Master, "no_track: its deletion changes nothing");
}

#[test]
fn a_vip_with_its_own_dev_goes_there_and_is_tracked_there() {
    let text = inst(150, "").replace("  10.0.0.100\n", "  10.0.0.100\n  10.0.1.100 dev eth1\n");
    let mut s = Solo::new(&text);
    s.at(5_000_000);
    let devs: Vec<Option<String>> = s
        .actions
        .iter()
        .filter_map(|(_, a)| if let Action::AddAddress { vip, .. } = a { Some(vip.dev.clone()) } else { None })
        .collect();
    assert_eq!(devs, [None, Some("eth1".to_string())], "None: the instance's interface");
    s.input(Input::AddressRemoved { interface: "eth0", addr: "10.0.1.100".parse().unwrap() });
    assert_eq!(s.state(), State::Master, "not that address on eth0");
    s.input(Input::AddressRemoved { interface: "eth1", addr: "10.0.1.100".parse().unwrap() });
    assert_eq!(s.state(), State::Backup);
}

fn group_of_two(group_body: &str) -> String {
    format!(
        "track_file tf {{\n file /run/tf\n weight -10\n}}\nvrrp_script s {{\n script /bin/true\n}}\n\
         vrrp_instance A {{\n interface eth0\n virtual_router_id 1\n priority 150\n advert_int 1\n virtual_ipaddress {{\n 10.0.0.1\n }}\n}}\n\
         vrrp_instance B {{\n interface eth1\n virtual_router_id 2\n priority 150\n advert_int 1\n virtual_ipaddress {{\n 10.0.1.1\n }}\n}}\n\
         vrrp_sync_group G {{\n group {{\n  A\n  B\n }}\n{group_body}\n}}\n"
    )
}

fn both(s: &Solo) -> (State, State) {
    (s.agent.state(instance(0)), s.agent.state(instance(1)))
}

#[test]
fn sync_group_trackers_count_for_every_member() {
    let addrs = [("eth0", "192.168.31.20"), ("eth1", "192.168.32.20")];
    let mut s = Solo::with_addresses(&group_of_two(" track_interface {\n  eth2\n }"), &addrs);
    s.at(5_000_000);
    assert_eq!(both(&s), (State::Master, State::Master));
    s.input(Input::Link { interface: "eth2", up: false });
    assert_eq!(both(&s), (State::Fault, State::Fault), "track_interface of the group");
    let mut s = Solo::with_addresses(&group_of_two(" track_script {\n  s\n }"), &addrs);
    assert_eq!(both(&s), (State::Fault, State::Fault), "a weight-0 script gates every member");
    let chk = s.script();
    s.input(Input::ScriptExited { script: chk, result: ScriptResult::Exited(0) });
    assert_eq!(both(&s), (State::Backup, State::Backup));
    let mut s = Solo::with_addresses(&group_of_two(" track_file {\n  tf\n }"), &addrs);
    let tf = s.agent.track_files().next().unwrap().0;
    s.input(Input::TrackFile { file: tf, value: 3 });
    assert_eq!(
        (s.agent.effective_priority(instance(0)), s.agent.effective_priority(instance(1))),
        (120, 120),
        "track_file of the group: 3 x -10"
    );
}

#[test]
fn sync_group_state_scripts_run_once_for_the_group() {
    let body = " notify_master /usr/local/bin/g-master.sh\n notify_backup /usr/local/bin/g-backup.sh\n \
                notify_fault /usr/local/bin/g-fault.sh\n notify_stop /usr/local/bin/g-stop.sh";
    let mut s = Solo::with_addresses(&group_of_two(body), &[("eth0", "192.168.31.20"), ("eth1", "192.168.32.20")]);
    s.at(5_000_000);
    s.input(Input::Link { interface: "eth1", up: false });
    s.input(Input::Link { interface: "eth1", up: true });
    s.input(Input::Shutdown);
    let run: Vec<String> = s
        .actions
        .iter()
        .filter_map(|(_, a)| if let Action::Notify { command, .. } = a { Some(command.argv[0].clone()) } else { None })
        .collect();
    assert_eq!(
        run,
        [
            "/usr/local/bin/g-backup.sh",
            "/usr/local/bin/g-master.sh",
            "/usr/local/bin/g-fault.sh",
            "/usr/local/bin/g-backup.sh",
            "/usr/local/bin/g-stop.sh"
        ]
    );
}

#[test]
fn reload_writes_unchanged_states_to_the_fifo_with_fifo_write_vrrp_states_on_reload() {
    let fifo = "global_defs {\n notify_fifo /run/vrrpd.fifo\n fifo_write_vrrp_states_on_reload\n}\n";
    let text = format!("{fifo}{}", inst(150, ""));
    let mut s = Solo::new(&text);
    s.at(5_000_000);
    assert_eq!(s.state(), State::Master);
    let lines = |s: &Solo| s.actions.iter().filter(|(_, a)| matches!(a, Action::FifoLine { .. })).count();
    let before = lines(&s);
    s.input(Input::Reload(Box::new(config(&text))));
    let after: Vec<&str> = s
        .actions
        .iter()
        .filter_map(|(_, a)| if let Action::FifoLine { line } = a { Some(line.as_str()) } else { None })
        .skip(before)
        .collect();
    assert_eq!(after, ["INSTANCE \"VI_1\" MASTER 150\n"]);
    // Without the keyword a reload writes nothing for an unchanged state.
    let mut s = Solo::new(&format!("global_defs {{\n notify_fifo /run/vrrpd.fifo\n}}\n{}", inst(150, "")));
    s.at(5_000_000);
    let before = lines(&s);
    let same = s.agent.config().clone();
    s.input(Input::Reload(Box::new(same)));
    assert_eq!(lines(&s), before);
}

#[test]
fn unicast_fault_no_peer_without_peers_is_fault() {
    let mut s = Solo::new(&inst(150, " unicast_src_ip 192.168.31.20\n unicast_fault_no_peer"));
    assert!(s.logged("(VI_1) entering FAULT state (no unicast peers)"), "{:?}", s.actions);
    s.at(10_000_000);
    assert_eq!(s.state(), State::Fault, "never multicast instead");
}

#[test]
fn track_src_ip_faults_while_the_configured_source_address_is_missing() {
    let peers = " unicast_src_ip 192.168.31.21\n track_src_ip\n unicast_peer {\n  192.168.31.99\n }";
    let mut s = Solo::new(&inst(150, peers));
    assert!(s.logged("(VI_1) entering FAULT state (no IPv4 address for interface)"), "{:?}", s.actions);
    s.input(Input::AddressAdded { interface: "eth0", addr: "192.168.31.21".parse().unwrap() });
    assert_eq!(s.state(), State::Backup, "the address came: out of FAULT");
    s.at(5_000_000);
    assert_eq!(s.state(), State::Master);
    s.input(Input::AddressRemoved { interface: "eth0", addr: "192.168.31.21".parse().unwrap() });
    assert_eq!(s.state(), State::Fault, "the configured source went");
    // Without track_src_ip the missing address does not matter (keepalived sends anyway).
    let mut s = Solo::new(&inst(150, " unicast_src_ip 192.168.31.21\n unicast_peer {\n  192.168.31.99\n }"));
    s.at(5_000_000);
    assert_eq!(s.state(), State::Master);
}

#[test]
fn priority_zero_adverts_are_answered_at_once_but_at_most_once_per_interval() {
    // RFC 5798 §6.4.3: a MASTER answers a priority-0 advert at once, so the backups that heard
    // it do not take over after Skew_Time; a stream of them gets one answer per interval.
    let mut s = Solo::new(&inst(150, ""));
    s.at(4_000_000);
    assert_eq!(s.state(), State::Master);
    let zero = foreign_advert(&s, PEER, 0, "10.0.0.100");
    let start = s.actions.len();
    s.at(4_100_000);
    feed(&mut s, PEER, &zero);
    let answered = |s: &Solo, from: usize| {
        s.actions[from..].iter().filter(|(_, a)| matches!(a, Action::SendAdvert { .. })).count()
    };
    assert_eq!(answered(&s, start), 1, "the first one is answered at once");
    for k in 1..100u64 {
        s.at(4_100_000 + k * 5_000);
        feed(&mut s, PEER, &zero);
    }
    assert_eq!(answered(&s, start), 1, "within one interval: no more answers");
    assert_eq!(s.agent.stats(instance(0)).pri_zero_rcvd, 100);
}

#[test]
fn ah_numbers_each_advert_and_a_master_syncs_past_a_lower_one() {
    let ah = " authentication {\n  auth_type AH\n  auth_pass secret12\n }";
    let mut s = Solo::new(&inst(150, ah));
    let seqs = |s: &Solo| -> Vec<u32> {
        let sent = s.actions.iter().filter_map(|(_, a)| match a {
            Action::SendAdvert { ah_seq, .. } => Some(*ah_seq),
            _ => None,
        });
        sent.collect()
    };
    // MASTER at 3.41 s, then an advert a second: numbered from 1 (keepalived's first is 1).
    s.at(6_500_000);
    assert_eq!(s.state(), State::Master);
    assert_eq!(seqs(&s), [1, 2, 3, 4]);
    // A lower-priority peer's advert numbered 41.
    let (peer, dst): (IpAddr, IpAddr) = (PEER.parse().unwrap(), s.agent.config().instances[0].mcast_dst);
    let advert = vrrpd::proto::Advert {
        repr: s.agent.advert_repr(instance(0), 100),
        checksum: vrrpd::wire::vrrp::ChecksumMode::Plain,
        src: peer,
        dst,
        ttl: 255,
        multicast: true,
        interface: "eth0",
        ah: Some(vrrpd::proto::AhSeal { key: *b"secret12", seq: 41 }),
    };
    let d = advert.ipv4_datagram(7).unwrap();
    let last = vrrpd::proto::Advert { ah: Some(vrrpd::proto::AhSeal { key: *b"secret12", seq: u32::MAX }), ..advert };
    let d_last = last.ipv4_datagram(8).unwrap();
    let meta = RxMeta { src: peer, dst, ttl: 255, header_len: 44 };
    s.at(6_600_000).input(Input::Packet { interface: "eth0", meta, header: &d[..44], bytes: &d[44..] });
    // keepalived vrrp_state_master_rx(): 41 + 1 ("Syncing seq_num"), and the answer adds one.
    assert_eq!(seqs(&s).last(), Some(&43));
    assert!(s.logged("(VI_1) IPSEC-AH : Syncing seq_num - Increment seq"));
    assert_eq!(s.agent.stats(instance(0)).advert_rcvd, 1);
    // The same advert again is a replay: dropped and counted, not answered.
    s.at(6_700_000).input(Input::Packet { interface: "eth0", meta, header: &d[..44], bytes: &d[44..] });
    assert_eq!((s.agent.stats(instance(0)).advert_rcvd, s.agent.stats(instance(0)).auth_failure), (1, 1));
    assert!(s.logged("(VI_1) IPSEC-AH : sequence number 41 already processed. Packet dropped. Local(43)"));
    assert_eq!(seqs(&s).len(), 5);
    // A lower advert numbered 0xffffffff (the last number) does not wrap our counter to 0:
    // it stays at the top, so no captured advert can be replayed against us.
    let d = d_last;
    s.at(7_600_000).input(Input::Packet { interface: "eth0", meta, header: &d[..44], bytes: &d[44..] });
    assert_eq!(seqs(&s).last(), Some(&u32::MAX), "{:?}", seqs(&s));
}

#[test]
fn timer_expired_backup_resigns_when_the_loop_wakes_too_late() {
    // keepalived 2.2.8 timer_expired_backup: a MASTER (nopreempt) whose loop wakes more than
    // 3 intervals plus the others' skew after its last advert goes BACKUP before anything
    // else of that wake, without a priority-0 advert; without the keyword it advertises again.
    let text = |kw: &str| inst(150, &format!(" nopreempt\n{kw}"));
    for (kw, resigns) in [(" timer_expired_backup", true), (" timer_expired_backup 100", true), ("", false)] {
        let mut s = Solo::new(&text(kw));
        s.at(4_000_000);
        assert_eq!(s.state(), State::Master, "{kw:?}");
        let sent = s.sent(0).len();
        // The next advert was due at 4 s + 1 s; the loop wakes at 9.5 s (skew(254) < 0.1 s,
        // skew(100) = 0.61 s: both expired 3 s + skew after the advert of ~4.4 s).
        s.now = Instant::from_micros(9_500_000);
        s.input(Input::Timeout);
        let want = if resigns { State::Backup } else { State::Master };
        assert_eq!(s.state(), want, "{kw:?}");
        assert_eq!(s.logged("VRRP thread timer expired"), resigns, "{kw:?}");
        if resigns {
            assert_eq!(s.sent(0).len(), sent, "no advert, no priority 0: {kw:?}");
            assert_eq!(s.agent.reason(instance(0)).kind(), "timer_expired");
        } else {
            assert_eq!(s.sent(9_500_000), [150]);
        }
    }
    // A wake only a little late (inside 2 intervals) keeps the MASTER.
    let mut s = Solo::new(&text(" timer_expired_backup"));
    s.at(4_000_000);
    s.now = Instant::from_micros(6_000_000);
    s.input(Input::Timeout);
    assert_eq!(s.state(), State::Master);
    // The priority must fit 1-254, and the keyword needs nopreempt.
    let l = vrrpd::config::load_bytes(
        std::path::Path::new("t.conf"),
        inst(150, " timer_expired_backup").into_bytes(),
        &vrrpd::config::LoadOptions { config_id: "t".into(), all_config: false },
        &vrrpd::config::StaticHost { everything_exists: true, ..Default::default() },
    );
    assert_eq!(l.config.instances[0].timer_expired_backup, 0);
    assert!(l
        .diagnostics
        .list
        .iter()
        .any(|d| d.message.contains("expired_timer_backup requires nopreempt - resetting")));
}

#[test]
fn vrrp_delay_after_boot_waits_for_the_rest_of_the_boot_delay() {
    // keepalived 2.4: the delay counts from boot; the larger of it and vrrp_startup_delay.
    let text = |g: &str| format!("global_defs {{\n{g}\n}}\n{}", inst(150, ""));
    for (g, uptime, delay) in [
        (" vrrp_delay_after_boot 30", Some(25_500_000), 4_500_000),
        (" vrrp_delay_after_boot 30", Some(31_000_000), 0),
        (" vrrp_delay_after_boot 30\n vrrp_startup_delay 6", Some(25_000_000), 6_000_000),
        (" vrrp_delay_after_boot 30", None, 0),
    ] {
        let cfg = config(&text(g));
        let mut agent = Agent::new(cfg, Instant::ZERO);
        agent.handle(Instant::ZERO, Input::AddressAdded { interface: "eth0", addr: "192.168.31.20".parse().unwrap() });
        agent.start_at_uptime(Instant::ZERO, uptime);
        let mut log = Vec::new();
        while let Some(a) = agent.poll_action() {
            if let Action::Log { message, .. } = a {
                log.push(message);
            }
        }
        let want = if delay == 0 { State::Backup } else { State::Init };
        assert_eq!(agent.state(instance(0)), want, "{g} {uptime:?}");
        if delay > 0 {
            assert_eq!(agent.poll_timeout(), Some(Instant::from_micros(delay)), "{g}");
        }
        assert_eq!(log.iter().any(|m| m.contains("Unable to read /proc/uptime")), uptime.is_none(), "{log:?}");
    }
}

#[test]
fn v3_adverts_in_the_other_checksum_form_are_accepted_counted_and_shown() {
    // RFC 9568 §5.2.8: keepalived 2.2.7 (pseudo-header) and v3_checksum_as_v2 routers on one
    // LAN. A BACKUP follows a master of either form; each sender is counted once per form.
    for ours_as_v2 in [false, true] {
        let (ours, theirs) = if ours_as_v2 { ("\n v3_checksum_as_v2", "") } else { ("", "\n v3_checksum_as_v2") };
        let mut s = Solo::new(&inst(100, &format!(" version 3{ours}")));
        let other = config(&inst(100, &format!(" version 3{theirs}")));
        let dst = s.agent.config().instances[0].mcast_dst;
        for n in 1..=3u64 {
            s.at(n * 1_000_000);
            feed(&mut s, PEER, &advert_of(&other, 200, PEER.parse().unwrap(), dst));
        }
        assert_eq!(s.state(), State::Backup);
        assert_eq!(s.agent.master_of(instance(0)), Some((PEER.parse().unwrap(), 200)));
        let p = s.agent.checksum_peers(instance(0));
        assert_eq!((p.len(), p[0].adverts, p[0].pseudo_header), (1, 3, ours_as_v2));
        assert_eq!(s.agent.stats(instance(0)).checksum_other_form, 3);
        assert_eq!(s.agent.stats(instance(0)).checksum_err, 0);
        assert!(s.logged("(VI_1) 192.168.31.99 sends VRRPv3 checksums"));
        // Our own form counts nowhere.
        let own = advert_from(&s.agent, instance(0), 200, "192.168.31.98".parse().unwrap(), dst);
        feed(&mut s, "192.168.31.98", &own);
        assert_eq!(s.agent.checksum_peers(instance(0)).len(), 1);
        let stats = vrrpd::proto::report::stats(&s.agent);
        assert!(stats.contains("  VRRPv3 checksum other form: 3\n"), "{stats}");
        let json = vrrpd::proto::report::json(&s.agent);
        assert!(json.contains("\"vrrpd_checksum_other_form\":3"), "{json}");
    }
}

#[test]
fn passwords_are_masked_and_json_version_2_names_the_array() {
    // keepalived 2.4: "Password = ********" and "auth_data":"********", never the password.
    let auth = " authentication {\n  auth_type PASS\n  auth_pass s3cret\n }";
    let text = |g: &str| format!("global_defs {{\n{g}\n}}\n{}", inst(150, auth));
    let s = Solo::new(&text(""));
    let data = vrrpd::proto::report::data(&s.agent);
    assert!(data.contains("   Authentication type = SIMPLE_PASSWORD\n   Password = ********\n"), "{data}");
    let json = vrrpd::proto::report::json(&s.agent);
    assert!(json.starts_with("[{\"data\":") && json.contains("\"auth_type\":1,\"auth_data\":\"********\""), "{json}");
    let dump = vrrpd::config::dump::dump(s.agent.config());
    assert!(dump.contains("Password = ********") && !dump.contains("s3cret"), "{dump}");
    for out in [&data, &json] {
        assert!(!out.contains("s3cret"), "{out}");
    }
    let v2 = Solo::new(&text(" json_version 2"));
    let json = vrrpd::proto::report::json(&v2.agent);
    assert!(json.starts_with("{\"vrrp\":[{\"data\":{\"iname\":\"VI_1\"") && json.ends_with("}]}\n"), "{json}");
    // No password, no auth_data (keepalived writes it only with an auth type).
    let none = Solo::new(&inst(150, ""));
    assert!(!vrrpd::proto::report::json(&none.agent).contains("auth_data"));
}

#[test]
fn no_virtual_ipaddress_runs_an_instance_whose_adverts_carry_no_address() {
    // keepalived 2.2.8: a v3 instance without VIPs elects like any other; its adverts have a
    // count of 0, and a peer's advert with none is accepted.
    let text = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n priority 150\n version 3\n no_virtual_ipaddress\n}\n";
    let mut s = Solo::new(text);
    s.at(4_000_000);
    assert_eq!(s.state(), State::Master);
    assert_eq!(s.agent.advert_repr(instance(0), 150).addrs.len(), 0);
    assert!(!s.actions.iter().any(|(_, a)| matches!(a, Action::AddAddress { .. })));
    s.advert_from(PEER, 200);
    assert_eq!(s.state(), State::Backup, "a higher peer without VIPs wins");
}
