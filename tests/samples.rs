//! keepalived's own sample configs (../shared/reference/keepalived-samples) load: no fatal
//! error, unsupported subsystems skipped with warnings, and every vrrp_instance read with the
//! VRID, priority, VIP count and tracked scripts a plain line scan of the file finds.
//! Ignored by default (the project's tests never need ../shared); `make samples` runs it with
//! VRRPD_SAMPLES_DIR set, and `make test` runs that whenever ../shared is present.
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

#[test]
#[ignore = "needs ../shared: run with `make samples`"]
fn keepalived_samples_load() {
    let dir = std::env::var("VRRPD_SAMPLES_DIR").expect("VRRPD_SAMPLES_DIR names the keepalived-samples directory");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 20, "expected keepalived's sample corpus in {dir}");
    let host = StaticHost { everything_exists: true, ..Default::default() };
    let mut instances = 0;
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
    }
    println!("{} files, {instances} vrrp_instances", files.len());
    assert!(instances >= 12);
}
