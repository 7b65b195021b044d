//! Gratuitous ARP / unsolicited NA pacing: `garp_group` (one clock its interfaces share) and
//! the global `vrrp_garp_interval` / `vrrp_gna_interval` (one clock for each other interface
//! an instance or VIP uses), as keepalived 2.2.7 does it (send_gratuitous_arp(),
//! queue_garp(), vrrp_arp_thread()):
//! - a GARP goes out at once when its interface's clock allows (the first one always), and
//!   then holds the clock for the interval;
//! - one asked for too early is held back, once per (instance, address): the repeats of a
//!   burst (`garp_master_repeat`) that fall inside the interval collapse into one. Measured
//!   with keepalived 2.2.7, interval 0.5 s, repeat 5, two instances on one interface: A at t,
//!   A at t+0.5, B at t+1.0, nothing more until the delayed burst;
//! - the held-back ones go when the pacing timer fires, instances in configuration order and
//!   each one's VIPs in order, as far as the clocks allow; an instance that is no longer
//!   MASTER has its held-back GARPs dropped.
//!
//! ARP (IPv4) and NA (IPv6) have separate clocks and intervals; interval 0 is no pacing.
use super::event::{Action, InstanceId, State};
use super::timers::Timer;
use super::{Agent, Instant};
use crate::config::model::{Config, Micros};
use std::net::IpAddr;

/// One pacing clock: the interfaces that share it, and per family (ARP, NA) the interval
/// and when the next may go.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pacer {
    interfaces: Vec<String>,
    interval: [Micros; 2],
    next: [Option<Instant>; 2],
}

/// The clocks of a configuration: each garp_group's, then one per remaining interface of an
/// instance or VIP when a global interval is set (keepalived set_default_garp_delay()).
pub(crate) fn pacers(cfg: &Config) -> Vec<Pacer> {
    let mut pacers: Vec<Pacer> = cfg
        .garp_groups
        .iter()
        .map(|g| Pacer {
            interfaces: g.interfaces.clone(),
            interval: [g.garp_interval.unwrap_or(0), g.gna_interval.unwrap_or(0)],
            next: [None; 2],
        })
        .collect();
    let global = [cfg.global.garp.interval, cfg.global.garp.na_interval];
    if global != [0, 0] {
        for c in &cfg.instances {
            let devs = c.vips.iter().chain(&c.excluded_vips).filter_map(|v| v.dev.as_ref());
            for name in c.interface.iter().chain(devs) {
                if !pacers.iter().any(|p| p.interfaces.contains(name)) {
                    pacers.push(Pacer { interfaces: vec![name.clone()], interval: global, next: [None; 2] });
                }
            }
        }
    }
    pacers
}

impl Agent {
    /// The clock of `addr`'s interface for its family, when that is paced.
    fn pacer(&self, i: InstanceId, addr: IpAddr) -> Option<(usize, usize)> {
        let name = self.conf(i).vip_interface(addr)?;
        let p = self.pacers.iter().position(|p| p.interfaces.iter().any(|n| n == name))?;
        let family = usize::from(addr.is_ipv6());
        (self.pacers[p].interval[family] > 0).then_some((p, family))
    }

    /// Sends the GARP for `addr` when its clock allows (and holds the clock for the interval),
    /// else returns when the clock allows one again.
    fn send_paced(&mut self, i: InstanceId, addr: IpAddr, p: usize, f: usize) -> Option<Instant> {
        let pacer = &mut self.pacers[p];
        if let Some(t) = pacer.next[f].filter(|t| self.now < *t) {
            return Some(t);
        }
        pacer.next[f] = Some(self.now.plus(pacer.interval[f]));
        self.out.push_back(Action::SendGarp { instance: i, addr });
        None
    }

    /// One gratuitous ARP / NA for VIP `addr` of instance `i`: now, or held back by pacing.
    pub(crate) fn garp(&mut self, i: InstanceId, addr: IpAddr) {
        let Some((p, f)) = self.pacer(i, addr) else {
            self.out.push_back(Action::SendGarp { instance: i, addr });
            return;
        };
        if self.send_paced(i, addr, p, f).is_none() {
            return;
        }
        // Kept in instance order (each one's VIPs come in its order): the order
        // vrrp_arp_thread() walks them in.
        if !self.garp_pending.contains(&(i, addr)) {
            let at = self.garp_pending.partition_point(|(j, _)| *j <= i);
            self.garp_pending.insert(at, (i, addr));
        }
        // keepalived queue_garp(): the timer is set for an interval from now, unless it is
        // due sooner already.
        let at = self.now.plus(self.pacers[p].interval[f]);
        if self.timers.get(Timer::Garp).is_none_or(|t| at < t) {
            self.timers.set(Timer::Garp, at);
        }
    }

    /// The pacing timer: send what the clocks allow, keep the rest for the earliest clock.
    pub(crate) fn garp_timer_fired(&mut self) {
        let mut again: Option<Instant> = None;
        for (i, addr) in std::mem::take(&mut self.garp_pending) {
            let Some((p, f)) = self.pacer(i, addr).filter(|_| self.state(i) == State::Master) else { continue };
            if let Some(t) = self.send_paced(i, addr, p, f) {
                self.garp_pending.push((i, addr));
                again = Some(again.map_or(t, |a| a.min(t)));
            }
        }
        if let Some(t) = again {
            self.timers.set(Timer::Garp, t);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::model::SECOND;
    use crate::proto::{Action, Agent, Input, Instant, State};

    fn conf(pacing: &str) -> String {
        conf_with(pacing, "10.0.0.240/24", "10.0.0.241/24")
    }

    fn conf_with(pacing: &str, vip_a: &str, vip_b: &str) -> String {
        let inst = |n: &str, vrid: u8, vip: &str| {
            format!(
                "vrrp_instance {n} {{\n interface eth0\n state MASTER\n virtual_router_id {vrid}\n priority 150\n \
                 garp_master_delay 0\n virtual_ipaddress {{ {vip} }}\n}}\n"
            )
        };
        format!("{pacing}\n{}{}", inst("A", 1, vip_a), inst("B", 2, vip_b))
    }

    /// Every GARP queued from `start` to `until`, as (microseconds, address), the agent driven
    /// timer by timer as the shell would.
    fn garps(text: &str, until: u64) -> Vec<(u64, String)> {
        let mut a = Agent::new(crate::sim::config(text), Instant::ZERO);
        for addr in ["10.0.0.1", "fe80::1"] {
            a.handle(Instant::ZERO, Input::AddressAdded { interface: "eth0", addr: addr.parse().unwrap() });
        }
        a.start(Instant::ZERO);
        let mut out = Vec::new();
        let mut now = Instant::ZERO;
        loop {
            while let Some(x) = a.poll_action() {
                if let Action::SendGarp { addr, .. } = x {
                    out.push((now.as_micros(), addr.to_string()));
                }
            }
            match a.poll_timeout() {
                Some(t) if t.as_micros() <= until => {
                    now = t;
                    a.handle(now, Input::Timeout);
                }
                _ => break,
            }
        }
        assert!(a.instance_ids().all(|i| a.state(i) == State::Master));
        out
    }

    /// keepalived `vrrp_garp_extra_if all 2` (vrrp_send_vmac_update()): after the MASTER
    /// burst, one GARP every 2 s for the VIP on eth1 only; B, with no VIP elsewhere, has none.
    #[test]
    fn garp_extra_if_repeats_on_the_other_interface_only() {
        let text = conf_with(
            "global_defs {\n vrrp_garp_extra_if all 2\n}",
            "10.0.0.240/24\n 10.0.1.1/24 dev eth1",
            "10.0.0.241/24",
        );
        let got = garps(&text, 8 * SECOND);
        let master = got[0].0;
        assert_eq!(got.iter().filter(|g| g.0 == master).count(), 15, "{got:?}");
        let later: Vec<_> = got.iter().filter(|g| g.0 > master).map(|(t, a)| (*t - master, a.as_str())).collect();
        assert_eq!(later, [(2 * SECOND, "10.0.1.1"), (4 * SECOND, "10.0.1.1")]);
    }

    #[test]
    fn unpaced_bursts_go_at_once() {
        let got = garps(&conf(""), 4 * SECOND);
        assert_eq!(got.len(), 10, "{got:?}");
        assert!(got.windows(2).all(|w| w[0].0 == w[1].0), "{got:?}");
    }

    #[test]
    fn a_garp_group_spaces_two_instances_as_keepalived_does() {
        let got = garps(&conf("garp_group {\n garp_interval 0.5\n interface eth0\n}"), 5 * SECOND);
        let addrs: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
        // keepalived 2.2.7: A now, A's repeats collapse into one, B's burst waits behind it.
        assert_eq!(addrs, ["10.0.0.240", "10.0.0.240", "10.0.0.241"], "{got:?}");
        assert!(got.windows(2).all(|w| w[1].0 - w[0].0 == SECOND / 2), "{got:?}");
    }

    #[test]
    fn the_global_interval_paces_interfaces_outside_groups_and_na_is_separate() {
        let got = garps(&conf("global_defs {\n vrrp_garp_interval 0.2\n}"), 4 * SECOND);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got.windows(2).all(|w| w[1].0 - w[0].0 == SECOND / 5), "{got:?}");
        // A group that paces only NA leaves ARP alone on its interfaces.
        let got = garps(
            &conf("global_defs {\n vrrp_garp_interval 0.2\n}\ngarp_group {\n gna_interval 1\n interface eth0\n}"),
            4 * SECOND,
        );
        assert_eq!(got.len(), 10, "{got:?}");
    }

    #[test]
    fn unsolicited_nas_have_their_own_clock_and_interval() {
        let v6 = |pacing: &str| garps(&conf_with(pacing, "2001:db8::240/64", "2001:db8::241/64"), 5 * SECOND);
        // vrrp_garp_interval does not pace NAs; vrrp_gna_interval and gna_interval do.
        assert_eq!(v6("global_defs {\n vrrp_garp_interval 0.5\n}").len(), 10);
        for pacing in
            ["global_defs {\n vrrp_gna_interval 0.3\n}", "garp_group {\n gna_interval 0.3\n interface eth0\n}"]
        {
            let got = v6(pacing);
            let addrs: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
            assert_eq!(addrs, ["2001:db8::240", "2001:db8::240", "2001:db8::241"], "{pacing}: {got:?}");
            assert!(got.windows(2).all(|w| w[1].0 - w[0].0 == 3 * SECOND / 10), "{got:?}");
        }
    }
}
