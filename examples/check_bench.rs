//! `make bench`: `vrrpd check` on 50 nodes x 255 instances, files read through the normal
//! loader (issue target: under 1 s in release), and `--simulate`'s six scenarios on the seed
//! pair (target: under 100 ms).
use std::fmt::Write;
use std::path::{Path, PathBuf};
use vrrpd::check::{self, Options};

const NODES: usize = 50;

/// Node `n`: 255 multicast instances, priorities distinct per node, one VIP each.
fn node_text(n: usize) -> String {
    let mut text = format!("global_defs {{\n router_id n{n}\n}}\n");
    for v in 1..=255u32 {
        let _ = write!(
            text,
            "vrrp_instance VI_{v} {{\n state BACKUP\n interface eth0\n virtual_router_id {v}\n priority {}\n advert_int 1\n authentication {{\n  auth_type PASS\n  auth_pass secret{}\n }}\n virtual_ipaddress {{\n  10.{}.{}.1/24\n }}\n}}\n",
            200 - n,
            v % 10,
            v / 250,
            v % 250
        );
    }
    text
}

fn main() {
    let dir = std::env::temp_dir().join(format!("vrrpd-check-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<(Option<String>, PathBuf)> = (0..NODES)
        .map(|n| {
            let p = dir.join(format!("n{n}.conf"));
            std::fs::write(&p, node_text(n)).unwrap();
            (None, p)
        })
        .collect();
    let t = std::time::Instant::now();
    let nodes = check::load(&files, None, &check::node_host()).unwrap();
    let report = check::check(&nodes, &Options::default());
    let text = check::report::text(&nodes, &report);
    let elapsed = t.elapsed();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(report.routers.len(), 255, "one virtual router per VRID");
    assert!(report.routers.iter().all(|r| r.members.len() == NODES));
    assert_eq!(report.exit_code(&nodes), 0, "{}", &text[..text.len().min(2000)]);
    println!(
        "vrrpd check: {NODES} nodes x 255 instances, loaded and cross-checked: {:.3} s wall, {} lines of report (target < 1 s)",
        elapsed.as_secs_f64(),
        text.lines().count()
    );

    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let seed = [(None, data.join("master.conf")), (None, data.join("backup.conf"))];
    let nodes = check::load(&seed, None, &check::node_host()).unwrap();
    let t = std::time::Instant::now();
    let report = check::check(&nodes, &Options { simulate: true, scenario: None });
    let elapsed = t.elapsed();
    assert_eq!(report.simulations[0].outcomes.len(), 6);
    println!(
        "vrrpd check --simulate: the six scenarios on the seed pair: {:.1} ms wall (target < 100 ms)",
        elapsed.as_secs_f64() * 1000.0
    );
}
