//! The simulated LAN (`vrrpd::sim`) with the tests' shorthands.
#![allow(dead_code)] // each test binary uses some of the shorthands
// shared by several test binaries; pub is how a test module exports
#![allow(unreachable_pub)]
use vrrpd::config::model::Config;
use vrrpd::proto::{Action, Agent, Input, Instant};
pub use vrrpd::sim::*;

/// Seconds as microseconds (test shorthand; the core's times are integers).
pub fn secs(s: f64) -> u64 {
    (s * 1_000_000.0).round() as u64
}

/// A one-instance router config on eth0.
pub fn router(priority: u8, extra: &str) -> Config {
    config(&format!(
        "vrrp_script chk {{\n script /bin/true\n interval 1\n weight -60\n}}\n\
         vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 10\n priority {priority}\n advert_int 1\n{extra}\n virtual_ipaddress {{\n  10.0.0.100/24\n }}\n track_script {{\n  chk\n }}\n}}\n"
    ))
}

/// The `n`th instance of a configuration.
pub fn instance(n: usize) -> vrrpd::proto::InstanceId {
    vrrpd::proto::InstanceId::from_index(n)
}

/// The advert bytes the first instance of `cfg` sends from `src` to `dst`.
pub fn advert_of(cfg: &Config, priority: u8, src: std::net::IpAddr, dst: std::net::IpAddr) -> Vec<u8> {
    let agent = vrrpd::proto::Agent::new(cfg.clone(), vrrpd::proto::Instant::ZERO);
    advert_from(&agent, instance(0), priority, src, dst)
}

/// Moves the actions `agent` queued into `actions`, stamped `now` (what the reactor drains
/// after each input).
pub fn drain_into(agent: &mut Agent, now: Instant, actions: &mut Vec<(Instant, Action)>) {
    while let Some(a) = agent.poll_action() {
        actions.push((now, a));
    }
}

/// Fires every timer of `agent` due up to `us`, in order, as the reactor would, draining after
/// each; `now` ends at `us`.
pub fn run_timers_until(agent: &mut Agent, now: &mut Instant, actions: &mut Vec<(Instant, Action)>, us: u64) {
    while let Some(t) = agent.poll_timeout() {
        if t.as_micros() > us {
            break;
        }
        *now = t;
        agent.handle(t, Input::Timeout);
        drain_into(agent, t, actions);
    }
    *now = Instant::from_micros(us);
}
