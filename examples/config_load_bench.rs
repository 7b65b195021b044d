//! `make bench`: load time of a generated config with 255 instances x 20 VIPs and 100 track
//! scripts (issue target: under 20 ms in release). Prints min and median of 30 loads.
use std::fmt::Write;
use std::time::Instant;
use vrrpd::config::{self, LoadOptions, StaticHost};

fn generate() -> String {
    let mut s = String::from("global_defs {\n router_id bench\n enable_script_security\n}\n");
    for n in 0..100 {
        let _ = write!(s, "vrrp_script chk_{n} {{\n script \"/usr/local/bin/check {n} --quiet\"\n interval 2\n weight -{}\n fall 2\n rise 2\n}}\n", n % 50 + 1);
    }
    for i in 0..255u32 {
        let _ = write!(
            s,
            "vrrp_instance VI_{i} {{\n state BACKUP\n interface eth{}\n virtual_router_id {}\n priority {}\n advert_int 1\n authentication {{\n  auth_type PASS\n  auth_pass pw{i}\n }}\n virtual_ipaddress {{\n",
            i % 4,
            i + 1,
            100 + i % 100
        );
        for v in 0..20u32 {
            let _ = writeln!(s, "  10.{}.{}.{}/24 dev eth{} label eth{}:{v}", i / 250, i % 250, v + 1, i % 4, i % 4);
        }
        let _ = write!(
            s,
            " }}\n track_script {{\n  chk_{}\n  chk_{} weight 10\n }}\n notify \"/usr/local/bin/notify.sh {i}\"\n}}\n",
            i % 100,
            (i + 1) % 100
        );
    }
    s
}

fn main() {
    let text = generate();
    let dir = std::env::temp_dir().join(format!("vrrpd-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keepalived.conf");
    std::fs::write(&path, &text).unwrap();
    let host = StaticHost { everything_exists: true, ..Default::default() };
    let opts = LoadOptions { config_id: "bench".into(), all_config: false };
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..30 {
        let t = Instant::now();
        let l = config::load(&path, &opts, &host).unwrap();
        times.push(t.elapsed());
        last = Some(l);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let l = last.unwrap();
    assert_eq!(l.config.instances.len(), 255);
    assert_eq!(l.config.instances.iter().map(|i| i.vips.len()).sum::<usize>(), 255 * 20);
    assert_eq!(l.config.scripts.len(), 100);
    assert!(l.diagnostics.list.is_empty(), "{:?}", l.diagnostics.list.first());
    times.sort();
    println!(
        "config load: 255 instances x 20 VIPs, 100 scripts, {} lines, {} bytes: min {:.2} ms, median {:.2} ms (target < 20 ms)",
        text.lines().count(),
        text.len(),
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3
    );
}
