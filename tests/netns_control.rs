//! Root only: the operator interface of the real daemon on a namespaced LAN (`vrrpd status`,
//! `events`, `demote`, `promote`, `metrics`, `GET /metrics` scraped by a real Prometheus),
//! checked against the kernel, the log, the FIFO and the peer. Ignored by default; `make test`
//! runs it as root. Each daemon's control socket is in the test's own directory, never /run.
mod common;
use common::lan::{added_at, day_micros, ip, now_hms, Lan, FAST_LOAD_MARGIN_US, LOAD_MARGIN_MS, VIP};
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// Seed timings (v2, advert 2 s, priority 100): Skew_Time and Master_Down_Interval.
const SKEW_100_US: u64 = 609_375;
const DOWN_100_MS: u64 = 6_609;

fn seed_pair(tag: &str) -> Lan {
    let mut lan = Lan::new(tag);
    lan.start("a", &data("master.conf"));
    lan.start("b", &data("backup.conf"));
    let t = lan.wait(Duration::from_secs(10), |l| {
        l.has_vip("a") && l.ctl("b", &["status"]).1.contains("master: 192.168.31.20")
    });
    assert!(t.is_some(), "a never became the master b follows:\n{}\n{}", lan.log("a"), lan.log("b"));
    lan
}

/// `vrrpd status VI_1 --json` of `node`, as text (the schema's fields are checked by substring:
/// the test crate has no JSON parser, and the daemon writes fields in a fixed order).
fn status_json(lan: &Lan, node: &str) -> String {
    let (code, out, err) = lan.ctl(node, &["status", "VI_1", "--json"]);
    assert_eq!(code, 0, "status on {node}: {err}");
    assert!(out.starts_with("{\"schema\":\"vrrpd-status/1\""), "{out}");
    out
}

fn field<'a>(json: &'a str, key: &str) -> &'a str {
    let at = json.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("no {key} in {json}"));
    let rest = &json[at + key.len() + 3..];
    let end = rest.find([',', '}']).unwrap();
    rest[..end].trim_matches('"')
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn status_json_follows_a_failover_and_matches_the_kernel_the_log_and_the_peer() {
    let lan = seed_pair("sj");
    let a = status_json(&lan, "a");
    let b = status_json(&lan, "b");
    assert_eq!(field(&a, "state"), "MASTER");
    assert!(a.contains("\"master\":{\"address\":\"192.168.31.20\",\"priority\":101,\"self\":true}"), "{a}");
    assert!(
        a.contains(&format!(
            "\"address\":\"{VIP}\",\"prefix\":32,\"dev\":\"enp0s3\",\"excluded\":false,\"present\":true"
        )),
        "{a}"
    );
    assert_eq!(field(&b, "state"), "BACKUP");
    assert!(b.contains("\"master\":{\"address\":\"192.168.31.20\",\"priority\":101,\"self\":false}"), "{b}");
    assert!(b.contains("\"present\":false"), "{b}");
    assert!(lan.has_vip("a") && !lan.has_vip("b"), "the kernel agrees");
    // b's down timer restarts at each advert: the deadline is within Master_Down_Interval.
    let down_in: f64 = field(&b, "master_down_in_s").parse().unwrap();
    assert!(down_in > 0.0 && down_in <= DOWN_100_MS as f64 / 1000.0, "{down_in}");
    assert_eq!(field(&b, "master_down_interval_s"), "6.609375");

    let became_before: u64 = field(&b, "become_master").parse().unwrap();
    // The master's host dies: during the wait, b still follows a and its deadline runs out.
    lan.signal("a", "KILL");
    let killed = Instant::now();
    std::thread::sleep(Duration::from_millis(2500));
    let during = status_json(&lan, "b");
    assert_eq!(field(&during, "state"), "BACKUP");
    let left: f64 = field(&during, "master_down_in_s").parse().unwrap();
    assert!(left < down_in, "the deadline approaches: {left} after {down_in}");
    lan.wait(Duration::from_millis(DOWN_100_MS + LOAD_MARGIN_MS), |l| l.has_vip("b")).expect("b takes over");
    let took = killed.elapsed();
    let after = lan.wait(Duration::from_secs(2), |l| field(&status_json(l, "b"), "state") == "MASTER");
    assert!(after.is_some(), "status says MASTER once the VIP is there");
    let b = status_json(&lan, "b");
    assert!(b.contains("\"reason\":{\"kind\":\"master_down\""), "{b}");
    assert!(b.contains("\"self\":true") && b.contains("\"present\":true"), "{b}");
    // One more than before the kill (at start b may win the first election for a moment: both
    // start together and their down timers differ by 4 ms).
    let became: u64 = field(&b, "become_master").parse().unwrap();
    assert_eq!(became, became_before + 1, "{b}");
    assert!(lan.log("b").contains("(VI_1) Entering MASTER STATE"), "the log agrees");
    println!("status followed the failover: VIP on b {} ms after the kill", took.as_millis());
}

fn fifo_reader(path: &std::path::Path) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        if let Ok(f) = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path) {
            return f;
        }
        assert!(Instant::now() < deadline, "the daemon never created {}", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reads what is there without blocking.
fn read_available(f: &mut std::fs::File, into: &mut String) {
    let mut buf = [0u8; 65536];
    loop {
        match std::io::Read::read(f, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => into.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
}

/// Starts `vrrpd events` on `node`, writing to `out`, and returns once it is subscribed.
/// The client connects on its own schedule, so a reload's event (which changes no state) is
/// asked for again until one reaches it: a single SIGHUP sent before the client's request
/// arrives is never streamed to it.
fn subscribed_events_client(lan: &Lan, node: &str, json: bool, out: &std::path::Path) -> std::process::Child {
    let mut args = vec!["events"];
    if json {
        args.push("--json");
    }
    args.push("--control-socket");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(&args)
        .arg(lan.control_socket(node))
        .stdout(std::fs::File::create(out).unwrap())
        .spawn()
        .unwrap();
    let needle = if json { "\"type\":\"reloaded\"" } else { "configuration reloaded" };
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut subscribed = false;
    while !subscribed && Instant::now() < deadline {
        lan.signal(node, "HUP");
        let contains = |_: &Lan| std::fs::read_to_string(out).unwrap_or_default().contains(needle);
        subscribed = lan.wait(Duration::from_secs(1), contains).is_some();
    }
    if !subscribed {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the events client of {node} never subscribed");
    }
    child
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn events_deliver_a_thousand_flapping_transitions_in_order_and_agree_with_the_fifo() {
    let mut lan = Lan::new("ev");
    let fifo = lan.dir.0.join("states.fifo");
    let conf = format!(
        "global_defs {{\n vrrp_notify_fifo {}\n}}\nvrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n \
         priority 100\n advert_int 1\n virtual_ipaddress {{\n  {VIP}/32\n }}\n}}\n",
        fifo.display()
    );
    let conf = lan.conf("a.conf", &conf);
    lan.start("a", &conf);
    let mut reader = fifo_reader(&fifo);
    lan.wait(Duration::from_secs(5), |l| l.ctl("a", &["status"]).1.contains("BACKUP")).expect("a runs");
    // The events client, reading as it goes.
    let events_out = lan.dir.0.join("events.txt");
    let mut events = subscribed_events_client(&lan, "a", true, &events_out);
    let guard = KillOnDrop(&mut events);
    let mut fifo_text = String::new();
    read_available(&mut reader, &mut fifo_text);
    let fifo_before = fifo_text.lines().count();
    // 500 flaps: each down is a FAULT, each up a BACKUP (advert 1 s: nobody becomes MASTER).
    let ns = lan.ns("a");
    let mut batch = String::new();
    for _ in 0..500 {
        batch.push_str("link set dev enp0s3 down\nlink set dev enp0s3 up\n");
    }
    let batch_file = lan.conf("flap.batch", &batch);
    let ok = Command::new("ip").args(["-n", &ns, "-batch"]).arg(&batch_file).status().unwrap().success();
    assert!(ok);
    let transitions = |text: &str| text.lines().filter(|l| l.contains("\"type\":\"transition\"")).count();
    let done = lan.wait(Duration::from_secs(20), |_| {
        transitions(&std::fs::read_to_string(&events_out).unwrap_or_default()) >= 1000
    });
    // The FIFO's lines were written in the same turns as the events.
    lan.wait(Duration::from_secs(5), |_| {
        read_available(&mut reader, &mut fifo_text);
        fifo_text.lines().count() >= fifo_before + 1000
    });
    drop(guard);
    let text = std::fs::read_to_string(&events_out).unwrap();
    assert!(done.is_some(), "{} transitions streamed:\n{}", transitions(&text), lan.log("a"));
    // Every line numbered, no gap.
    let seqs: Vec<u64> = text.lines().map(|l| field(l, "seq").parse().unwrap()).collect();
    for w in seqs.windows(2) {
        assert_eq!(w[1], w[0] + 1, "a gap in the sequence");
    }
    // The transitions, in order, are what the FIFO says.
    let streamed: Vec<String> = text
        .lines()
        .filter(|l| l.contains("\"type\":\"transition\""))
        .map(|l| format!("INSTANCE \"VI_1\" {} {}", field(l, "to"), field(l, "priority")))
        .collect();
    let fifo_lines: Vec<String> = fifo_text.lines().skip(fifo_before).map(str::to_string).collect();
    assert_eq!(streamed.len(), 1000, "every flap is two transitions");
    assert_eq!(streamed, fifo_lines, "events and the FIFO agree, line for line");
    assert!(streamed.chunks(2).all(|p| p[0].contains(" FAULT ") && p[1].contains(" BACKUP ")));
}

struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ping -i 0.01` from the client to the VIP in the background: (child, output file).
fn pinger(lan: &Lan, seconds: u32) -> (std::process::Child, std::path::PathBuf) {
    let out = lan.dir.0.join("ping.txt");
    let count = (seconds * 100).to_string();
    let child = Command::new("ip")
        .args(["netns", "exec", &lan.ns("c"), "ping", "-n", "-i", "0.01", "-W", "1", "-c", &count, "-O", VIP])
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    (child, out)
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn demote_hands_the_vip_over_within_skew_without_loss_and_promote_brings_it_back() {
    let mut lan = seed_pair("dm");
    let monitor = lan.monitor_addresses("b");
    let (mut ping, ping_out) = pinger(&lan, 4);
    let ping_guard = KillOnDrop(&mut ping);
    std::thread::sleep(Duration::from_millis(500));
    let asked = now_hms();
    let (code, out, err) = lan.ctl("a", &["demote", "VI_1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("VI_1 handed over to 192.168.31.30"), "{out}");
    // `ip monitor` writes its line a moment after the kernel's event.
    lan.wait(Duration::from_secs(2), |_| added_at(&monitor, VIP).is_some()).expect("the VIP appeared on b");
    let added = added_at(&monitor, VIP).unwrap();
    let took_us = added - day_micros(&asked);
    assert!(
        took_us <= SKEW_100_US + 20_000 + FAST_LOAD_MARGIN_US,
        "VIP on b {took_us} us after the demote (skew {SKEW_100_US} us + 20 ms)"
    );
    assert!(!lan.has_vip("a"), "a let the VIP go");
    let a = status_json(&lan, "a");
    assert_eq!(field(&a, "state"), "BACKUP");
    assert!(a.contains("\"reason\":{\"kind\":\"demoted\"") && a.contains("\"demoted\":{"), "{a}");
    assert!(lan.log("a").contains("(VI_1) demoted by the operator"), "{}", lan.log("a"));
    // Stays out: a outranks b (101 > 100) yet does not preempt.
    std::thread::sleep(Duration::from_millis(DOWN_100_MS / 2));
    assert!(lan.has_vip("b") && !lan.has_vip("a"));
    // Promote: a preempts after its Skew_Time.
    let (code, out, _) = lan.ctl("a", &["promote", "VI_1"]);
    assert_eq!((code, out.as_str()), (0, "VI_1 promoted\n"));
    lan.wait(Duration::from_millis(605 + LOAD_MARGIN_MS), |l| l.has_vip("a")).expect("a takes the VIP back");
    drop(ping_guard);
    let text = std::fs::read_to_string(&ping_out).unwrap();
    // -O prints "no answer yet" for each echo without a reply in time.
    let lost = text.lines().filter(|l| l.contains("no answer yet")).count();
    let answered = text.lines().filter(|l| l.contains("bytes from")).count();
    println!("demote: VIP on b {took_us} us after the command; pings answered {answered}, unanswered {lost}");
    assert!(answered > 100, "{text}");
    // One GARP's delay at 10 ms per ping: at most a few echoes in flight at each move.
    assert!(lost <= 10, "{lost} echoes lost over two planned moves:\n{text}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn demote_with_the_peer_stopped_keeps_the_vip_and_says_nobody_took_over() {
    let mut lan = seed_pair("dn");
    lan.signal("b", "KILL");
    lan.wait_exit("b", Duration::from_secs(2));
    let start = Instant::now();
    let (code, out, _) = lan.ctl("a", &["demote", "VI_1"]);
    let waited = start.elapsed();
    assert_eq!(code, 3, "exit 3: nobody took over\n{out}");
    assert!(out.contains("nobody took over"), "{out}");
    // Master_Down_Interval of a (priority 101): 3 x 2 s + 605 ms.
    assert!(waited >= Duration::from_millis(6_600), "{waited:?}");
    assert!(waited <= Duration::from_millis(6_605 + LOAD_MARGIN_MS + 100), "{waited:?}");
    assert!(lan.has_vip("a"), "the VIP never left a");
    let a = status_json(&lan, "a");
    assert_eq!(field(&a, "state"), "MASTER");
    assert!(a.contains("\"demoted\":null") && a.contains("\"kind\":\"nobody_took_over\""), "{a}");
    assert!(lan.log("a").contains("nobody took over after the demote"), "{}", lan.log("a"));
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn a_partition_and_its_heal_are_reported_in_status_events_and_metrics() {
    let lan = seed_pair("sb");
    // An events client on each node (the side that yields at the heal may be the only one to
    // hear the other).
    let events_out = |node: &str| lan.dir.0.join(format!("{node}-events.txt"));
    let mut events_a = subscribed_events_client(&lan, "a", false, &events_out("a"));
    let mut events_b = subscribed_events_client(&lan, "b", false, &events_out("b"));
    let guards = (KillOnDrop(&mut events_a), KillOnDrop(&mut events_b));
    // Partition: b's switch port goes down on the switch side only.
    let sw = format!("{}-sw", lan.tag);
    ip(&["-n", &sw, "link", "set", "pb", "nomaster"]);
    lan.wait(Duration::from_millis(DOWN_100_MS + 2_000), |l| l.has_vip("b")).expect("b masters its half");
    // Heal: a hears b's adverts while MASTER (and b hears a's).
    ip(&["-n", &sw, "link", "set", "pb", "master", "br0"]);
    let seen = lan.wait(Duration::from_secs(8), |l| {
        status_json(l, "a").contains("\"warnings\":[{\"kind\":\"other_master\",\"peer\":\"192.168.31.30\"")
            || status_json(l, "b").contains("\"warnings\":[{\"kind\":\"other_master\",\"peer\":\"192.168.31.20\"")
    });
    assert!(seen.is_some(), "status raised the other master:\n{}\n{}", status_json(&lan, "a"), status_json(&lan, "b"));
    let metrics = |node: &str| lan.ctl(node, &["metrics"]).1;
    let raised = metrics("a") + &metrics("b");
    assert!(raised.contains("vrrpd_other_master{iname=\"VI_1\",intf=\"enp0s3\",vrid=\"51\"} 1"), "{raised}");
    lan.wait(Duration::from_secs(3), |l| l.has_vip("a") && !l.has_vip("b")).expect("a wins the election");
    // The episode ends after Master_Down_Interval without another master.
    let ended = lan.wait(Duration::from_secs(12), |l| {
        !status_json(l, "a").contains("\"kind\":\"other_master\",\"peer\"")
            && !status_json(l, "b").contains("\"kind\":\"other_master\",\"peer\"")
    });
    assert!(ended.is_some(), "the episode ended");
    let cleared = metrics("a") + &metrics("b");
    assert!(!cleared.contains("vrrpd_other_master{iname=\"VI_1\",intf=\"enp0s3\",vrid=\"51\"} 1"), "{cleared}");
    // One episode per node that heard the other (a heal that is one-way for a moment can
    // make two on one node); at least one in all.
    let episodes: u64 = cleared
        .lines()
        .filter_map(|l| {
            l.strip_prefix("vrrpd_other_master_episodes_total{iname=\"VI_1\",intf=\"enp0s3\",vrid=\"51\"} ")
        })
        .map(|v| v.parse::<u64>().unwrap())
        .sum();
    assert!(episodes >= 1, "{cleared}");
    lan.wait(Duration::from_secs(3), |_| {
        let t = std::fs::read_to_string(events_out("a")).unwrap_or_default()
            + &std::fs::read_to_string(events_out("b")).unwrap_or_default();
        t.contains("other_master ended")
    });
    drop(guards);
    let events = std::fs::read_to_string(events_out("a")).unwrap() + &std::fs::read_to_string(events_out("b")).unwrap();
    let logs = lan.log("a") + &lan.log("b");
    assert!(
        events.contains("other_master began: 192.168.31.30") || events.contains("other_master began: 192.168.31.20"),
        "{events}"
    );
    assert!(events.contains("other_master ended"), "{events}");
    assert!(logs.contains("another master for VRID 51: 192.168.31."), "logged with the address:\n{logs}");
    assert!(logs.contains("no longer heard"), "and its end:\n{logs}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn only_root_may_demote_and_a_symlinked_socket_is_never_followed() {
    let lan = seed_pair("pr");
    let sock = lan.control_socket("a");
    let meta = std::fs::symlink_metadata(&sock).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "the socket is root's only");
    // Let others in (an operator's choice), then try as nobody.
    std::fs::set_permissions(&lan.dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).unwrap();
    let as_nobody = |args: &[&str]| {
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_vrrpd")])
            .args(args)
            .arg("--control-socket")
            .arg(&sock)
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, _) = as_nobody(&["status"]);
    assert_eq!(code, 0, "reading is allowed on a socket opened to others");
    let (code, err) = as_nobody(&["demote", "VI_1"]);
    assert_eq!(code, 1);
    assert!(err.contains("permission denied"), "{err}");
    let (code, err) = as_nobody(&["promote", "--all"]);
    assert_eq!(code, 1);
    assert!(err.contains("permission denied"), "{err}");
    // A demote that had been carried out would have moved the VIP to b after b's Skew_Time.
    std::thread::sleep(Duration::from_micros(SKEW_100_US) + Duration::from_millis(LOAD_MARGIN_MS));
    assert!(lan.has_vip("a") && !lan.has_vip("b"), "nothing moved");
    assert!(lan.ctl("a", &["status", "--json"]).1.contains("\"demoted\":null"), "not demoted");
    // The client refuses a symlink at the path.
    let link = lan.dir.0.join("link.sock");
    std::os::unix::fs::symlink(&sock, &link).unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_vrrpd")).args(["status", "--control-socket"]).arg(&link).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("symlink"));
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn the_control_socket_is_where_global_defs_puts_it_and_never_a_symlink() {
    let mut lan = Lan::new("cs");
    let wanted = lan.dir.0.join("from-config.sock");
    let target = lan.dir.0.join("victim");
    std::fs::write(&target, "not a socket\n").unwrap();
    let trap = lan.dir.0.join("trap.sock");
    std::os::unix::fs::symlink(&target, &trap).unwrap();
    let conf = |sock: &std::path::Path| {
        format!(
            "global_defs {{\n control_socket {}\n}}\nvrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id 51\n \
             priority 100\n advert_int 1\n virtual_ipaddress {{\n  {VIP}/32\n }}\n}}\n",
            sock.display()
        )
    };
    let good = lan.conf("a.conf", &conf(&wanted));
    let bad = lan.conf("b.conf", &conf(&trap));
    lan.start_plain("a", &good);
    lan.start_plain("b", &bad);
    lan.wait(Duration::from_secs(5), |_| wanted.exists()).expect("a's socket where the config says");
    let out =
        Command::new(env!("CARGO_BIN_EXE_vrrpd")).args(["status", "--control-socket"]).arg(&wanted).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("VI_1: "), "{out:?}");
    lan.wait(Duration::from_secs(5), |l| l.log("b").contains("is a symlink; not following it")).expect("b refuses");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "not a socket\n", "the target is untouched");
    assert!(std::fs::symlink_metadata(&trap).unwrap().file_type().is_symlink());
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn prometheus_scrapes_the_masters_state() {
    if Command::new("prometheus").arg("--version").output().is_err() {
        panic!("prometheus is not installed (Debian: prometheus; .ci/run installs it)");
    }
    let mut lan = Lan::new("pm");
    let conf = format!(
        "global_defs {{\n metrics_listen 127.0.0.1:9650\n}}\nvrrp_instance VI_1 {{\n interface enp0s3\n \
         virtual_router_id 51\n priority 150\n advert_int 1\n virtual_ipaddress {{\n  {VIP}/32\n }}\n}}\n"
    );
    let conf = lan.conf("a.conf", &conf);
    lan.start("a", &conf);
    lan.wait(Duration::from_secs(6), |l| l.has_vip("a")).expect("a master");
    // promtool accepts what `vrrpd metrics` prints.
    let (_, metrics, _) = lan.ctl("a", &["metrics"]);
    let mut lint = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(lint.stdin.as_mut().unwrap(), metrics.as_bytes()).unwrap();
    let lint = lint.wait_with_output().unwrap();
    assert!(
        lint.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    // A real Prometheus in a's namespace scrapes the daemon's own listener.
    let prom_conf = lan.conf(
        "prometheus.yml",
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: vrrpd\n    static_configs:\n      - targets: ['127.0.0.1:9650']\n",
    );
    let data_dir = lan.dir.0.join("prometheus-data");
    let mut prom = Command::new("ip")
        .args(["netns", "exec", &lan.ns("a"), "prometheus"])
        .arg(format!("--config.file={}", prom_conf.display()))
        .arg(format!("--storage.tsdb.path={}", data_dir.display()))
        .args(["--web.listen-address=127.0.0.1:19090"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(lan.dir.0.join("prometheus.log")).unwrap())
        .spawn()
        .unwrap();
    let guard = KillOnDrop(&mut prom);
    let query = |q: &str| {
        let out = Command::new("ip")
            .args(["netns", "exec", &lan.ns("a"), "curl", "-s", "--max-time", "2", "--get"])
            .args(["--data-urlencode", &format!("query={q}"), "http://127.0.0.1:19090/api/v1/query"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let state = "keepalived_vrrp_state{iname=\"VI_1\",ip_address=\"192.168.31.240\"}";
    let got = lan.wait(Duration::from_secs(30), |_| query(state).contains("\"2\"]"));
    let answer = query(state);
    drop(guard);
    assert!(
        got.is_some(),
        "Prometheus never reported MASTER (2): {answer}\n{}",
        std::fs::read_to_string(lan.dir.0.join("prometheus.log")).unwrap_or_default()
    );
    assert!(answer.contains("\"job\":\"vrrpd\""), "{answer}");
}

#[test]
#[ignore = "needs root: creates network namespaces (make test runs it as root)"]
fn a_demotion_survives_a_restart_only_when_persisted() {
    let mut lan = seed_pair("pe");
    let (code, out, err) = lan.ctl("a", &["demote", "VI_1", "--persist"]);
    assert_eq!(code, 0, "{out}{err}");
    let file = std::path::PathBuf::from(format!("{}.demoted", lan.control_socket("a").display()));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "VI_1 - safe\n");
    // Restart a: it comes back demoted, so it does not preempt b.
    lan.signal("a", "TERM");
    lan.wait_exit("a", Duration::from_secs(3)).expect("a stops");
    lan.start("a", &data("master.conf"));
    lan.wait(Duration::from_secs(5), |l| l.ctl("a", &["status", "--json"]).1.contains("\"demoted\":{"))
        .expect("a is demoted again after the restart");
    std::thread::sleep(Duration::from_millis(DOWN_100_MS + LOAD_MARGIN_MS));
    assert!(lan.has_vip("b") && !lan.has_vip("a"), "a did not preempt b");
    assert!(lan.log("a").contains("demoted before the restart"), "{}", lan.log("a"));
    // Promote: the file goes, and a preempts.
    let (code, _, _) = lan.ctl("a", &["promote", "VI_1"]);
    assert_eq!(code, 0);
    lan.wait(Duration::from_millis(605 + LOAD_MARGIN_MS), |l| l.has_vip("a")).expect("a preempts");
    assert!(!file.exists(), "the persisted demotion is forgotten");
    // A demotion without --persist is not kept.
    let (code, _, _) = lan.ctl("a", &["demote", "VI_1"]);
    assert_eq!(code, 0);
    assert!(!file.exists());
    lan.signal("a", "TERM");
    lan.wait_exit("a", Duration::from_secs(3)).expect("a stops");
    lan.start("a", &data("master.conf"));
    lan.wait(Duration::from_millis(DOWN_100_MS + 2_000), |l| l.has_vip("a")).expect("a preempts after its restart");
}
