//! keepalived's `static_ipaddress`, `static_routes` and `static_rules`: entries no instance
//! owns. As measured against keepalived 2.2.7 (start_vrrp(), vrrp_terminate_phase2(),
//! clear_diff_static_*(), reinstate_static_address()):
//! - at start they are added (addresses, routes, rules) before any instance runs; what is
//!   already there stays (no removal first);
//! - at stop they are removed after the VIPs (rules, routes, addresses), `dont_release_vrrp`
//!   or not;
//! - a reload removes what the new file dropped and adds what it added; the rest is untouched;
//! - a static address someone deletes is added back at once unless it says `no_track`.
//!   Routes and rules are not (keepalived watches them only for a `track_group`, which vrrpd
//!   does not implement).
//!
//! Entries are compared by their `-d` text, so moving a line in the file changes nothing.
use super::event::{Action, Level};
use super::Agent;
use crate::config::dump::{static_string, vip_string};
use crate::config::model::Static;
use std::net::IpAddr;

impl Agent {
    /// keepalived start_vrrp() "Set static entries".
    pub(crate) fn install_statics(&mut self) {
        let all = self.cfg.statics.clone();
        self.push_statics(&all, true);
    }

    /// keepalived vrrp_terminate_phase2() "Clear static entries".
    pub(crate) fn remove_statics(&mut self) {
        let all = self.cfg.statics.clone();
        self.push_statics(&all, false);
    }

    /// SIGHUP: what `old` had and the configuration in force does not goes, then what is new
    /// comes.
    pub(crate) fn diff_statics(&mut self, old: &[Static]) {
        let new = self.cfg.statics.clone();
        let missing = |from: &[Static], other: &[Static]| -> Vec<Static> {
            let other: Vec<String> = other.iter().map(static_string).collect();
            from.iter().filter(|e| !other.contains(&static_string(e))).cloned().collect()
        };
        self.push_statics(&missing(old, &new), false);
        self.push_statics(&missing(&new, old), true);
    }

    /// Queues `list` (addresses, routes, rules, as the configuration orders them) to be
    /// added, or removed: rules, then routes, then addresses, each kind kept in order.
    fn push_statics(&mut self, list: &[Static], add: bool) {
        let kinds: [u8; 3] = if add { [0, 1, 2] } else { [2, 1, 0] };
        for k in kinds {
            let of_kind = list.iter().filter(|e| e.kind() == k).cloned();
            self.out.extend(of_kind.map(|entry| Action::Static { entry, add }));
        }
    }

    /// keepalived reinstate_static_address(): someone deleted a static address; put it back.
    pub(crate) fn static_address_removed(&mut self, interface: &str, addr: IpAddr) {
        let found = self.cfg.statics.iter().find(
            |e| matches!(e, Static::Address(v) if !v.no_track && v.addr == addr && v.dev.as_deref() == Some(interface)),
        );
        let Some(entry) = found.cloned() else { return };
        if let Static::Address(v) = &entry {
            self.log(Level::Info, format!("Restoring deleted static address {}", vip_string(v)));
        }
        self.out.push_back(Action::Static { entry, add: true });
    }
}

#[cfg(test)]
mod tests {
    use crate::config::dump::static_string;
    use crate::proto::{Action, Agent, Input, Instant};

    const CONF: &str = "static_ipaddress {\n 10.9.9.1/24 dev eth1\n 10.9.9.2/32 dev eth1 no_track\n}\n\
        static_routes {\n 10.50.0.0/16 via 10.9.9.254 dev eth1\n}\n\
        static_rules {\n from 10.9.9.0/24 table 100 priority 1000\n}\n\
        vrrp_instance A {\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress { 10.0.0.9/24 }\n}\n";

    /// (add, the entry's -d text) of every static action queued, in order.
    fn statics(a: &mut Agent) -> Vec<(bool, String)> {
        let mut out = Vec::new();
        while let Some(x) = a.poll_action() {
            if let Action::Static { entry, add } = x {
                out.push((add, static_string(&entry)));
            }
        }
        out
    }

    fn started(conf: &str) -> Agent {
        let mut a = Agent::new(crate::sim::config(conf), Instant::ZERO);
        a.start(Instant::ZERO);
        a
    }

    #[test]
    fn added_at_start_in_order_and_removed_in_reverse_at_stop() {
        let mut a = started(CONF);
        let added = statics(&mut a);
        assert_eq!(added.len(), 4);
        assert!(added.iter().all(|(add, _)| *add));
        assert!(added[0].1.starts_with("10.9.9.1/24") && added[1].1.starts_with("10.9.9.2"));
        assert!(added[2].1.contains("10.50.0.0/16") && added[3].1.contains("10.9.9.0/24"));
        a.handle(Instant::from_micros(1), Input::Shutdown);
        let removed = statics(&mut a);
        // keepalived: rules, routes, then addresses, each block in its own order.
        let order = [3, 2, 0, 1].map(|n| (false, added[n].1.clone()));
        assert_eq!(removed, order);
    }

    #[test]
    fn a_deleted_address_comes_back_unless_no_track() {
        let mut a = started(CONF);
        statics(&mut a);
        a.handle(
            Instant::from_micros(1),
            Input::AddressRemoved { interface: "eth1", addr: "10.9.9.2".parse().unwrap() },
        );
        assert!(statics(&mut a).is_empty(), "no_track");
        a.handle(
            Instant::from_micros(2),
            Input::AddressRemoved { interface: "eth0", addr: "10.9.9.1".parse().unwrap() },
        );
        assert!(statics(&mut a).is_empty(), "another interface");
        a.handle(
            Instant::from_micros(3),
            Input::AddressRemoved { interface: "eth1", addr: "10.9.9.1".parse().unwrap() },
        );
        assert_eq!(statics(&mut a), vec![(true, "10.9.9.1/24 dev eth1 scope global".to_string())]);
        // After stop, our own removals are not undone.
        a.handle(Instant::from_micros(4), Input::Shutdown);
        statics(&mut a);
        a.handle(
            Instant::from_micros(5),
            Input::AddressRemoved { interface: "eth1", addr: "10.9.9.1".parse().unwrap() },
        );
        assert!(statics(&mut a).is_empty());
    }

    #[test]
    fn a_reload_removes_the_dropped_then_adds_the_new_and_leaves_the_rest() {
        let mut a = started(CONF);
        statics(&mut a);
        // The kept address moves to another line: still the same entry.
        let new = CONF
            .replace("static_ipaddress {\n 10.9.9.1/24 dev eth1\n", "static_ipaddress {\n\n 10.9.9.1/24 dev eth1\n")
            .replace(" 10.9.9.2/32 dev eth1 no_track", " 10.9.9.3/32 dev eth1")
            .replace("10.50.0.0/16", "10.60.0.0/16");
        a.handle(Instant::from_micros(1), Input::Reload(Box::new(crate::sim::config(&new))));
        let got = statics(&mut a);
        let want: Vec<(bool, &str)> =
            vec![(false, "10.50.0.0/16"), (false, "10.9.9.2"), (true, "10.9.9.3"), (true, "10.60.0.0/16")];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((add, text), (want_add, part)) in got.iter().zip(want) {
            assert!(*add == want_add && text.contains(part), "{got:?}");
        }
    }
}
