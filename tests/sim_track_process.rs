//! `vrrp_track_process` in the core (keepalived track_process.c and vrrp_track.c): counts fed
//! as the shell's /proc scan reports them, on a virtual clock. Quorum, weights, FAULT at
//! weight 0, terminate_delay and fork_delay, the startup decision, and a reload.
mod sim;
use sim::*;
use vrrpd::proto::{Action, Agent, Input, Instant, State, TrackProcessId};

struct Node {
    agent: Agent,
    now: Instant,
    actions: Vec<(Instant, Action)>,
}

impl Node {
    /// Started after the boot scan found `count` processes.
    fn new(text: &str, count: u32) -> Node {
        let mut agent = Agent::new(config(text), Instant::ZERO);
        agent.handle(Instant::ZERO, Input::AddressAdded { interface: "eth0", addr: "192.168.31.20".parse().unwrap() });
        let process = agent.track_processes().next().unwrap().0;
        agent.handle(Instant::ZERO, Input::ProcessCount { process, count, forked: false });
        agent.start(Instant::ZERO);
        let mut n = Node { agent, now: Instant::ZERO, actions: Vec::new() };
        n.drain();
        n
    }
    fn drain(&mut self) {
        drain_into(&mut self.agent, self.now, &mut self.actions);
    }
    fn at(&mut self, us: u64) -> &mut Self {
        run_timers_until(&mut self.agent, &mut self.now, &mut self.actions, us);
        self
    }
    fn process(&self) -> TrackProcessId {
        self.agent.track_processes().next().unwrap().0
    }
    fn count(&mut self, count: u32, forked: bool) -> &mut Self {
        let process = self.process();
        self.agent.handle(self.now, Input::ProcessCount { process, count, forked });
        self.drain();
        self
    }
    fn state(&self) -> State {
        self.agent.state(instance(0))
    }
    fn priority(&self) -> u8 {
        self.agent.effective_priority(instance(0))
    }
    fn logged_at(&self, needle: &str) -> Option<u64> {
        self.actions.iter().find_map(|(t, a)| match a {
            Action::Log { message, .. } if message.contains(needle) => Some(t.as_micros()),
            _ => None,
        })
    }
}

fn conf(block: &str, reference: &str) -> String {
    format!(
        "vrrp_track_process tp {{\n process nginx\n{block}\n}}\n\
         vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 7\n priority 100\n advert_int 1\n virtual_ipaddress {{\n  10.0.0.100\n }}\n track_process {{\n  tp{reference}\n }}\n}}\n"
    )
}

#[test]
fn weight_zero_faults_at_start_when_the_process_is_missing_and_recovers_when_it_runs() {
    let mut n = Node::new(&conf(" weight 0", ""), 0);
    assert_eq!(n.state(), State::Fault);
    assert!(n.logged_at("(VI_1) entering FAULT state (tracked process tp quorum not achieved)").is_some());
    n.at(secs(2.0)).count(1, false);
    assert_eq!(n.logged_at("Quorum gained for tracked process tp"), Some(secs(2.0)));
    assert_eq!(n.state(), State::Backup);
    n.at(secs(10.0));
    assert_eq!(n.state(), State::Master);
    n.count(0, false);
    assert_eq!(n.state(), State::Fault, "no terminate_delay: at once");
    assert_eq!(n.logged_at("Quorum lost for tracked process tp"), Some(secs(10.0)));
}

#[test]
fn quorum_and_quorum_max_bound_the_count() {
    let mut n = Node::new(&conf(" quorum 2\n quorum_max 3\n weight 0", ""), 2);
    assert_eq!(n.state(), State::Backup);
    n.count(3, false);
    assert_eq!(n.state(), State::Backup);
    n.count(4, false);
    assert_eq!(n.state(), State::Fault, "more than quorum_max");
    n.count(3, false);
    assert_eq!(n.state(), State::Backup);
    n.count(1, false);
    assert_eq!(n.state(), State::Fault, "fewer than quorum");
}

#[test]
fn quorum_max_zero_tracks_a_process_that_must_not_run() {
    let mut n = Node::new(&conf(" quorum_max 0\n weight 0", ""), 0);
    assert_eq!(n.state(), State::Backup);
    n.count(1, false);
    assert_eq!(n.state(), State::Fault);
}

#[test]
fn weights_move_the_priority_and_reverse_flips_them() {
    let mut n = Node::new(&conf(" weight -30", ""), 1);
    assert_eq!(n.priority(), 100);
    n.count(0, false);
    assert_eq!(n.priority(), 70);
    let mut n = Node::new(&conf(" weight 20", " weight 10 reverse"), 1);
    assert_eq!(n.priority(), 90, "the instance's weight and reverse win");
    n.count(0, false);
    assert_eq!(n.priority(), 100);
}

#[test]
fn terminate_delay_lets_a_restart_go_unnoticed() {
    let mut n = Node::new(&conf(" weight 0\n terminate_delay 2", ""), 1);
    n.at(secs(10.0));
    assert_eq!(n.state(), State::Master);
    n.count(0, false).at(secs(11.5)).count(1, false).at(secs(20.0));
    assert_eq!(n.state(), State::Master, "back within terminate_delay");
    assert_eq!(n.logged_at("Quorum lost"), None);
    n.count(0, false).at(secs(21.9));
    assert_eq!(n.state(), State::Master);
    n.at(secs(22.0));
    assert_eq!(n.state(), State::Fault, "terminate_delay 2 s after the exit");
    assert_eq!(n.logged_at("Quorum lost for tracked process tp"), Some(secs(22.0)));
}

#[test]
fn fork_delay_holds_back_a_gain_by_fork_only() {
    let mut n = Node::new(&conf(" quorum 2\n weight -50\n fork_delay 3", ""), 1);
    assert_eq!(n.priority(), 50);
    n.at(secs(1.0)).count(2, true).at(secs(3.9));
    assert_eq!(n.priority(), 50, "a fork counts after fork_delay");
    n.at(secs(4.0));
    assert_eq!(n.priority(), 100);
    n.count(1, false);
    assert_eq!(n.priority(), 50);
    n.at(secs(5.0)).count(2, false);
    assert_eq!(n.priority(), 100, "a process started anew counts at once");
}

/// keepalived check_process_fork(): a fork past quorum_max loses the quorum after fork_delay
/// (not terminate_delay); check_process_termination(): an exit back to quorum_max regains it
/// after terminate_delay (not at once).
#[test]
fn the_delay_follows_the_event_at_quorum_max_too() {
    let block = " quorum_max 2\n weight 0\n terminate_delay 2\n fork_delay 5";
    let mut n = Node::new(&conf(block, ""), 2);
    n.at(secs(10.0));
    assert_eq!(n.state(), State::Master);
    n.count(3, true).at(secs(14.9));
    assert_eq!(n.state(), State::Master, "a fork past quorum_max waits fork_delay");
    n.at(secs(15.0));
    assert_eq!(n.state(), State::Fault);
    assert_eq!(n.logged_at("Quorum lost for tracked process tp"), Some(secs(15.0)));
    n.at(secs(20.0)).count(2, false).at(secs(21.9));
    assert_eq!(n.state(), State::Fault, "an exit back to quorum_max waits terminate_delay");
    n.at(secs(22.0));
    assert_eq!(n.logged_at("Quorum gained for tracked process tp"), Some(secs(22.0)));
    assert_ne!(n.state(), State::Fault);
}

/// The other crossings: a fork up to quorum waits fork_delay, an exit below it terminate_delay,
/// and an exec past quorum_max (no counted parent) counts at once.
#[test]
fn the_delay_follows_the_event_at_quorum() {
    let block = " quorum 2\n quorum_max 2\n weight 0\n terminate_delay 2\n fork_delay 5";
    let mut n = Node::new(&conf(block, ""), 1);
    assert_eq!(n.state(), State::Fault);
    n.at(secs(1.0)).count(2, true).at(secs(5.9));
    assert_eq!(n.state(), State::Fault, "a fork up to quorum waits fork_delay");
    n.at(secs(6.0));
    assert_eq!(n.logged_at("Quorum gained for tracked process tp"), Some(secs(6.0)));
    n.at(secs(10.0)).count(1, false).at(secs(11.9));
    assert_eq!(n.logged_at("Quorum lost for tracked process tp"), None, "an exit waits terminate_delay");
    n.at(secs(12.0));
    assert_eq!(n.logged_at("Quorum lost for tracked process tp"), Some(secs(12.0)));
    let mut n = Node::new(&conf(block, ""), 2);
    n.at(secs(1.0)).count(3, false);
    assert_eq!(n.logged_at("Quorum lost for tracked process tp"), Some(secs(1.0)), "an exec: at once");
}

#[test]
fn a_reload_keeps_the_count_and_a_new_tracker_waits_for_its_first_scan() {
    let mut n = Node::new(&conf(" weight 0", ""), 1);
    n.at(secs(10.0));
    assert_eq!(n.state(), State::Master);
    let id = n.process();
    let cfg = n.agent.config().clone();
    n.agent.handle(n.now, Input::Reload(Box::new(cfg)));
    n.drain();
    assert_eq!(n.process(), id, "the same name keeps its id");
    assert_eq!(n.state(), State::Master);
    let renamed = config(&conf(" weight 0", "").replace("tp", "tq"));
    n.agent.handle(n.now, Input::Reload(Box::new(renamed)));
    n.drain();
    assert_ne!(n.process(), id);
    assert_eq!(n.state(), State::Master, "no count yet: nothing changes");
    n.count(0, false);
    assert_eq!(n.state(), State::Fault, "the first scan decides at once");
}

#[test]
fn keepalived_data_shows_the_tracked_process() {
    let n = Node::new(&conf(" weight -10 reverse\n quorum_max 4\n delay 1.5", ""), 3);
    let data = vrrpd::proto::report::data(&n.agent);
    for line in [
        "   Tracked processes :\n     tp, weight -10 reverse\n",
        "------< VRRP Track processes >------\n VRRP Track process = tp\n   Process = nginx\n   Min processes = 1\n   Max processes = 4\n   Current processes = 3\n   Have quorum = true\n   Weight = -10 reverse\n   Terminate delay = 1.500000s\n   Fork delay = 1.500000s\n   Fork delay timer not running\n   Terminate delay timer not running\n   Full command = false\n   Tracking instances :\n     VI_1, weight -10 reverse\n",
    ] {
        assert!(data.contains(line), "{line:?} not in\n{data}");
    }
}

#[test]
fn a_sync_group_tracks_the_process_for_every_member() {
    let text = "vrrp_track_process tp {\n process nginx\n}\n\
                vrrp_instance A {\n interface eth0\n virtual_router_id 1\n priority 150\n advert_int 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n\
                vrrp_instance B {\n interface eth0\n virtual_router_id 2\n priority 150\n advert_int 1\n virtual_ipaddress {\n 10.0.1.1\n }\n}\n\
                vrrp_sync_group G {\n group {\n  A\n  B\n }\n track_process {\n  tp\n }\n}\n";
    let mut n = Node::new(text, 1);
    n.at(secs(5.0));
    let both = |n: &Node| (n.agent.state(instance(0)), n.agent.state(instance(1)));
    assert_eq!(both(&n), (State::Master, State::Master));
    n.count(0, false);
    assert_eq!(both(&n), (State::Fault, State::Fault), "weight 0 of the group holds every member");
    n.count(1, false);
    assert_eq!(both(&n), (State::Backup, State::Backup));
}

/// The simulated LAN (and so `vrrpd check --simulate`) boots every tracked process at its
/// quorum; a count fed later moves the VIP like a failing script.
#[test]
fn on_the_simulated_lan_a_lost_process_hands_the_vip_over() {
    let a = config(&conf(" weight 0", "").replace("priority 100", "priority 150"));
    let b = config(&conf(" weight 0", ""));
    let mut lan = Lan::new(vec![("a", a), ("b", b)]);
    lan.start(0);
    lan.start(1);
    lan.run_for(secs(10.0));
    assert_eq!(lan.masters(), [0]);
    let process = lan.nodes[0].agent.as_ref().unwrap().track_processes().next().unwrap().0;
    lan.input(0, Input::ProcessCount { process, count: 0, forked: false });
    let moved = lan.run_until_pred(secs(2.0), |l| l.masters() == [1]);
    assert!(moved.is_some(), "b took over after a's priority-0 advert");
    assert_eq!(lan.state(0), Some(State::Fault));
}
