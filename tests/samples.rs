//! keepalived's own sample configs (../shared/reference/keepalived-samples) load: no fatal
//! error, unsupported subsystems skipped with warnings, and every vrrp_instance read with the
//! VRID, priority, VIP count and tracked scripts a plain line scan of the file finds.
//! Ignored by default (the project's tests never need ../shared); `make samples` runs it with
//! VRRPD_SAMPLES_DIR set, and `make test` runs that whenever ../shared is present.
//!
//! When run as root with Debian's keepalived installed, keepalived 2.2.7 itself is the oracle:
//! each sample runs under it for a moment in a network namespace created here (with the
//! interfaces the file names), and the VRIDs, priorities, VIPs, tracked scripts and
//! interfaces and initial states ("Wantstate") of its `-d` dump must equal ours.
use std::path::Path;
use vrrpd::config::{self, dump::dump, Effect, LoadOptions, StaticHost};

/// What a line scan (independent of the loader) sees in one vrrp_instance.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    name: String,
    vrid: Option<u8>,
    priority: Option<u8>,
    vips: usize,
    scripts: Vec<String>,
}

fn scan(text: &str, id: &str) -> Vec<Seen> {
    let mut out: Vec<Seen> = Vec::new();
    let mut depth = 0i32;
    let mut block: Vec<String> = Vec::new();
    for raw in text.lines() {
        let mut line = raw.split(['#', '!']).next().unwrap_or("").trim();
        if let Some(tagged) = line.strip_prefix('@') {
            let (tag, rest) = tagged.split_once(char::is_whitespace).unwrap_or((tagged, ""));
            if tag != id {
                continue;
            }
            line = rest.trim();
        }
        let words: Vec<&str> = line.split_whitespace().filter(|w| *w != "{" && *w != "}").collect();
        if depth == 0 && words.first() == Some(&"vrrp_instance") {
            out.push(Seen { name: words.get(1).unwrap_or(&"").to_string(), ..Default::default() });
        }
        let in_instance = block.first().is_some_and(|b| b == "vrrp_instance");
        if in_instance && depth == 1 {
            match words.as_slice() {
                ["virtual_router_id", v, ..] => out.last_mut().unwrap().vrid = v.parse().ok(),
                ["priority", v, ..] => out.last_mut().unwrap().priority = v.parse().ok(),
                _ => {}
            }
        }
        if in_instance && depth == 2 && !words.is_empty() {
            match block.get(1).map(String::as_str) {
                Some("virtual_ipaddress") => out.last_mut().unwrap().vips += 1,
                Some("track_script") => out.last_mut().unwrap().scripts.push(words[0].to_string()),
                _ => {}
            }
        }
        for c in line.chars() {
            match c {
                '{' => {
                    depth += 1;
                    block.push(words.first().map(|w| w.to_string()).unwrap_or_default());
                }
                '}' => {
                    depth -= 1;
                    block.pop();
                }
                _ => {}
            }
        }
    }
    out
}

/// One instance as keepalived's `-d` dump shows it (the VRRP Topology section).
#[derive(Debug, Default, PartialEq)]
struct Oracle {
    name: String,
    vrid: u8,
    priority: u8,
    vips: Vec<String>,
    scripts: Vec<(String, i32)>,
    interfaces: Vec<(String, i32)>,
    /// The state it starts in: keepalived's "Wantstate", our initial_state.
    state: String,
}

/// A network namespace removed on drop.
struct Netns(String);
impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn oracle_available() -> bool {
    let root = std::process::Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let ka = std::process::Command::new("keepalived").arg("-v").output().map(|o| o.status.success()).unwrap_or(false);
    root && ka
}

/// Runs keepalived -d on `path` inside a fresh namespace holding `ifaces`; parses its dump.
fn keepalived_view(path: &Path, ifaces: &[String]) -> Result<Vec<Oracle>, String> {
    use std::process::Command;
    let ns = Netns(format!("vrrpd-sample-{}", std::process::id()));
    assert!(Command::new("ip").args(["netns", "add", &ns.0]).status().unwrap().success());
    for (n, i) in ifaces.iter().enumerate() {
        let peer = format!("vsp{n}");
        let ok = Command::new("ip")
            .args(["-n", &ns.0, "link", "add", i, "type", "veth", "peer", "name", &peer])
            .status()
            .unwrap()
            .success();
        assert!(ok, "veth {i}");
    }
    let tmp = std::env::temp_dir().join(format!("vrrpd-sample-{}", std::process::id()));
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0,
            "timeout",
            "-s",
            "TERM",
            "1.5",
            "keepalived",
            "-d",
            "-l",
            "-n",
            "-P",
            "-i",
            "sample",
        ])
        .arg("-f")
        .arg(path)
        .arg("-p")
        .arg(tmp.with_extension("pid"))
        .arg("-r")
        .arg(tmp.with_extension("vrrp.pid"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if text.contains("Can't initialize ipvs") {
        // The file asks for LVS (e.g. lvs_sync_daemon_interface) and this kernel has no IPVS:
        // keepalived exits FATAL here, which says nothing about how it reads the file.
        return Err("keepalived needs IPVS for this file and the kernel has none".into());
    }
    let mut list: Vec<Oracle> = Vec::new();
    let mut in_topology = false;
    let mut section = "";
    for raw in text.lines() {
        // Drop the "Wed Nov 25 14:53:20 2026: " prefix of -l.
        let line =
            raw.split_once(": ").map(|x| x.1).filter(|_| raw.len() > 26 && raw.as_bytes()[3] == b' ').unwrap_or(raw);
        if line.starts_with("------<") {
            in_topology = line.contains("VRRP Topology");
            continue;
        }
        if !in_topology {
            continue;
        }
        let t = line.trim();
        if let Some(n) = line.strip_prefix(" VRRP Instance = ") {
            list.push(Oracle { name: n.trim().into(), ..Default::default() });
            section = "";
            continue;
        }
        let Some(cur) = list.last_mut() else { continue };
        let indent = line.len() - line.trim_start().len();
        if indent == 3 {
            section = "";
            if let Some(v) = t.strip_prefix("Virtual Router ID = ") {
                cur.vrid = v.parse().unwrap();
            } else if let Some(v) = t.strip_prefix("Priority = ") {
                cur.priority = v.parse().unwrap();
            } else if let Some(v) = t.strip_prefix("Wantstate = ") {
                cur.state = v.trim().to_string();
            } else if t.starts_with("Virtual IP (") {
                section = "vip";
            } else if t.starts_with("Tracked scripts") {
                section = "script";
            } else if t.starts_with("Tracked interfaces") {
                section = "iface";
            }
        } else if indent == 5 {
            let words: Vec<&str> = t.split_whitespace().collect();
            let weight = || {
                words
                    .iter()
                    .position(|w| *w == "weight")
                    .and_then(|p| words.get(p + 1))
                    .and_then(|w| w.parse().ok())
                    .unwrap_or(0)
            };
            match section {
                "vip" => cur.vips.push(words[0].to_string()),
                "script" => cur.scripts.push((words[0].to_string(), weight())),
                "iface" => cur.interfaces.push((words[0].to_string(), weight())),
                _ => {}
            }
        }
    }
    Ok(list)
}

/// Interface names a sample uses: after `interface` and `dev`, and in track_interface blocks.
fn interfaces_named(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_track = false;
    for line in text.lines() {
        let words: Vec<&str> = line.split('#').next().unwrap_or("").split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            if (*w == "interface" || *w == "dev") && i + 1 < words.len() {
                let name = words[i + 1].trim_matches(|c| c == '{' || c == '}');
                if !name.is_empty() && !out.iter().any(|o| o == name) {
                    out.push(name.to_string());
                }
            }
        }
        if words.first() == Some(&"track_interface") {
            in_track = true;
            continue;
        }
        if in_track {
            if words.first() == Some(&"}") {
                in_track = false;
            } else if let Some(w) = words.first() {
                if !out.iter().any(|o| o == w) {
                    out.push(w.to_string());
                }
            }
        }
    }
    out
}

#[test]
#[ignore = "needs ../shared: run with `make samples`"]
fn keepalived_samples_load() {
    let dir = std::env::var("VRRPD_SAMPLES_DIR").expect("VRRPD_SAMPLES_DIR names the keepalived-samples directory");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 20, "expected keepalived's sample corpus in {dir}");
    let host = StaticHost { everything_exists: true, ..Default::default() };
    let mut instances = 0;
    let oracle = oracle_available();
    let mut checked_against_keepalived = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        // keepalived.conf.conditional_conf says to run it with `-i high`.
        let id = if text.contains("@high") { "high" } else { "sample" };
        let opts = LoadOptions { config_id: id.into(), all_config: false };
        let l = config::load(path, &opts, &host).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let fatal: Vec<_> = l
            .diagnostics
            .list
            .iter()
            .filter(|d| d.effect == Effect::Fatal)
            .map(|d| l.sources.render(d, false))
            .collect();
        assert!(fatal.is_empty(), "{name}: {fatal:#?}");
        let seen = scan(&text, id);
        let got: Vec<Seen> = l
            .config
            .instances
            .iter()
            .map(|i| Seen {
                name: i.name.clone(),
                vrid: Some(i.vrid),
                priority: Some(i.priority),
                vips: i.vips.len(),
                scripts: i.track_scripts.iter().map(|t| t.name.clone()).collect(),
            })
            .collect();
        assert_eq!(got.len(), seen.len(), "{name}: instances");
        for (g, s) in got.iter().zip(&seen) {
            assert_eq!(g.name, s.name, "{name}");
            assert_eq!(g.vrid, s.vrid, "{name} {}", g.name);
            // A scan that found no priority expects keepalived's default (100, or 255 for MASTER).
            if s.priority.is_some() {
                assert_eq!(g.priority, s.priority, "{name} {}", g.name);
            }
            assert_eq!(g.vips, s.vips, "{name} {}: VIPs", g.name);
            assert_eq!(g.scripts, s.scripts, "{name} {}: tracked scripts", g.name);
        }
        instances += got.len();
        let skipped = l.diagnostics.list.iter().filter(|d| d.effect == Effect::Corrected).count();
        println!("{name}: {} instances, {} warnings, -t status {}", got.len(), skipped, l.config_test_status());
        for d in &l.diagnostics.list {
            println!(
                "    {}",
                l.sources.render(d, false).trim_start_matches(&format!("{}/", Path::new(&dir).display()))
            );
        }
        assert!(!dump(&l.config).is_empty());
        if got.is_empty() {
            continue;
        }
        if !oracle {
            continue;
        }
        if text.contains("net_namespace") {
            println!("    keepalived oracle: SKIPPED for {name} (it moves keepalived into a named network namespace)");
            continue;
        }
        let theirs = match keepalived_view(path, &interfaces_named(&text)) {
            Ok(t) => t,
            Err(why) => {
                println!("    keepalived oracle: SKIPPED for {name} ({why})");
                continue;
            }
        };
        let ours: Vec<Oracle> = l
            .config
            .instances
            .iter()
            .map(|i| Oracle {
                name: i.name.clone(),
                vrid: i.vrid,
                priority: i.priority,
                // keepalived prints the prefix length only when it is not the host length.
                vips: i
                    .vips
                    .iter()
                    .map(|v| {
                        if v.prefix == if v.addr.is_ipv4() { 32 } else { 128 } {
                            v.addr.to_string()
                        } else {
                            format!("{}/{}", v.addr, v.prefix)
                        }
                    })
                    .collect(),
                scripts: i.track_scripts.iter().map(|t| (t.name.clone(), t.weight)).collect(),
                interfaces: i.track_interfaces.iter().map(|t| (t.name.clone(), t.weight)).collect(),
                state: match i.initial_state {
                    vrrpd::config::model::InitialState::Master => "MASTER".into(),
                    vrrpd::config::model::InitialState::Backup => "BACKUP".into(),
                },
            })
            .collect();
        assert_eq!(ours, theirs, "{name}: vrrpd and keepalived 2.2.7 read different instances");
        checked_against_keepalived += 1;
    }
    if oracle {
        println!("{checked_against_keepalived} files compared with keepalived 2.2.7's own dump");
        assert!(checked_against_keepalived >= 8);
    } else {
        println!(
            "*** SKIPPED: keepalived 2.2.7 oracle (needs root and Debian's keepalived); line-scan comparison only"
        );
    }
    println!("{} files, {instances} vrrp_instances", files.len());
    assert!(instances >= 12);
}
