//! `make bench`: 3 routers x 255 instances on the simulated LAN for one virtual hour at
//! advert_int 1 s (issue target: under 2 s in release).
#[path = "../tests/sim/mod.rs"]
mod sim;
use sim::*;
use std::fmt::Write;
use vrrpd::proto::State;

fn router(priority_base: u8) -> vrrpd::config::Config {
    let mut text = String::new();
    for v in 1..=255u32 {
        let _ = write!(
            text,
            "vrrp_instance VI_{v} {{\n interface eth0\n virtual_router_id {v}\n priority {}\n advert_int 1\n virtual_ipaddress {{\n  10.{}.{}.1/24\n }}\n}}\n",
            priority_base as u32 + v % 7,
            v / 250,
            v % 250
        );
    }
    config(&text)
}

fn main() {
    let mut lan = Lan::new(vec![("a", router(150)), ("b", router(100)), ("c", router(50))]);
    let t = std::time::Instant::now();
    for n in 0..3 {
        lan.start(n);
    }
    lan.run_for(3600 * 1_000_000);
    let elapsed = t.elapsed();
    let a = lan.nodes[0].agent.as_ref().unwrap();
    let masters = a.instance_ids().filter(|&i| a.state(i) == State::Master).count();
    let sent: u64 = a.instance_ids().map(|i| a.stats(i).advert_sent).sum();
    assert_eq!(masters, 255, "router a (highest) masters every instance");
    println!("simulated LAN: 3 routers x 255 instances, 1 virtual hour at advert 1 s: {:.2} s wall, {} adverts sent by the master (target < 2 s)", elapsed.as_secs_f64(), sent);
}
