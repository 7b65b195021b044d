//! `vrrpd check`: the corpus of broken pairs under tests/data/check/ (one directory per finding:
//! its nodes `*.conf` and `expect`, the exit status then the lines the report must contain,
//! `FILE:LINE:COL: severity: message` with FILE the node's file name), the clean pairs that
//! produce nothing, and `--simulate` on the seed pair, three routers and a unicast pair timed
//! exactly against RFC 5798 §6.4 (Master_Down_Interval = 3 x advert + skew).
use std::path::{Path, PathBuf};
use vrrpd::check::{self, scenario::Script, Node, Options};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
}

fn load(files: &[PathBuf]) -> Vec<Node> {
    let list: Vec<_> = files.iter().map(|f| (None, f.clone())).collect();
    check::load(&list, None, &check::node_host()).expect("the corpus files are readable")
}

fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    files
}

fn seed() -> Vec<Node> {
    load(&[data("master.conf"), data("backup.conf")])
}

fn simulate(nodes: &[Node]) -> check::Report {
    check::check(nodes, &Options { simulate: true, scenario: None })
}

#[test]
fn every_broken_pair_is_found_at_its_location_and_clean_pairs_produce_nothing() {
    let mut dirs: Vec<_> = std::fs::read_dir(data("check")).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    assert!(dirs.len() >= 29, "the corpus: {} cases", dirs.len());
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expect = std::fs::read_to_string(dir.join("expect")).unwrap();
        let mut lines = expect.lines();
        let code: u8 = lines.next().unwrap().strip_prefix("exit ").unwrap().parse().unwrap();
        let nodes = load(&case_files(&dir));
        let report = check::check(&nodes, &Options::default());
        let text = check::report::text(&nodes, &report);
        assert_eq!(report.exit_code(&nodes), code, "{name}:\n{text}");
        let wanted: Vec<&str> = lines.collect();
        for want in &wanted {
            assert!(text.lines().any(|l| l.contains(&format!("/{want}"))), "{name}: no '{want}' in\n{text}");
        }
        if name.starts_with("clean-") {
            assert!(report.findings.is_empty(), "{name}:\n{text}");
            assert!(nodes.iter().all(|n| n.loaded.diagnostics.list.is_empty()), "{name}:\n{text}");
        } else {
            assert!(!wanted.is_empty(), "{name}: say what must be found");
        }
        // Clean pairs also simulate without a finding; broken ones at least still run.
        let sim = simulate(&nodes);
        if name.starts_with("clean-") {
            assert!(sim.findings.is_empty(), "{name}: {:?}", sim.findings);
        }
    }
}

#[test]
fn the_seed_pair_checks_without_error_and_master_wins_the_election() {
    let nodes = seed();
    let report = check::check(&nodes, &Options::default());
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    // The loader's warnings (script security) and notes (no-break spaces) come through.
    assert_eq!(report.exit_code(&nodes), 1);
    assert_eq!(report.routers.len(), 1);
    let r = &report.routers[0];
    assert_eq!(r.election, "master (priority 101 over 100)");
    // Without simulating: the core's own Master_Down_Interval and Skew_Time of the backup.
    assert_eq!(
        r.failover,
        [
            "host death: 6.609375s after the last advert (3 x 2s + skew 0.609375s)",
            "shutdown: 0.609375s after the priority-0 advert (skew)",
            "chk_nginx failing (weight -5: 101 -> 96): within fall 1 x interval 2s + 6.609375s"
        ]
    );
    let text = check::report::text(&nodes, &report);
    assert!(text.contains("master.conf:4:1: warning: U+00A0 NO-BREAK SPACE treated as a space"), "{text}");
}

/// v2, advert 2 s (RFC 3768 §6.1): Skew = (256 - priority) / 256 s, Master_Down = 3 x 2 s + Skew.
const SKEW_100: u64 = 156 * 1_000_000 / 256; // 609_375
const SKEW_101: u64 = 155 * 1_000_000 / 256; // 605_468
const DOWN_100: u64 = 6_000_000 + SKEW_100;
const DOWN_101: u64 = 6_000_000 + SKEW_101;

fn outcome<'a>(r: &'a check::Report, router: usize, scenario: &str) -> &'a check::simulate::Outcome {
    r.simulations[router].outcomes.iter().find(|o| o.scenario == scenario).unwrap_or_else(|| panic!("no {scenario}"))
}

#[test]
fn simulating_the_seed_pair_gives_the_protocols_times_to_the_microsecond() {
    let nodes = seed();
    let r = simulate(&nodes);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    let names: Vec<_> = r.simulations[0].outcomes.iter().map(|o| o.scenario).collect();
    assert_eq!(
        names,
        [
            "election at start",
            "master host dies",
            "master shuts down",
            "track script fails",
            "master returns",
            "partition and heal"
        ]
    );
    let times = |s: &str| {
        let o = outcome(&r, 0, s);
        (o.master.as_deref(), o.to_master, o.to_garp, o.bound)
    };
    // state MASTER behaves as BACKUP at start: 3 x advert + skew(101), GARPs at once.
    assert_eq!(times("election at start"), (Some("master"), Some(DOWN_101), Some(DOWN_101), Some(DOWN_101)));
    // Host death: 3 x 2 s + skew(100) after the last advert the backup heard.
    assert_eq!(times("master host dies"), (Some("backup"), Some(DOWN_100), Some(DOWN_100), Some(DOWN_100)));
    // SIGTERM: the priority-0 advert, then skew(100) only (RFC 5798 §6.4.2).
    assert_eq!(times("master shuts down"), (Some("backup"), Some(SKEW_100), Some(SKEW_100), Some(SKEW_100)));
    // chk_nginx fails (fall 1, weight -5: 101 -> 96 < 100): the backup stops hearing
    // adverts that count and takes over Master_Down after the last one at 101.
    assert_eq!(times("track script fails"), (Some("backup"), Some(DOWN_100), Some(DOWN_100), Some(DOWN_100)));
    let fails = outcome(&r, 0, "track script fails");
    assert!(fails.summary.starts_with("weight -5: priority 101 -> 96 after fall 1 x interval 2s"), "{}", fails.summary);
    // The master returns and preempts after its own Master_Down.
    assert_eq!(times("master returns"), (Some("master"), Some(DOWN_101), Some(DOWN_101), Some(DOWN_101)));
    let part = outcome(&r, 0, "partition and heal");
    assert_eq!((part.to_master, part.bound), (Some(DOWN_100), Some(DOWN_100)));
    assert!(part.summary.contains("healed: master alone MASTER"), "{}", part.summary);
    assert_eq!(part.master.as_deref(), Some("master"));
}

#[test]
fn three_routers_and_a_unicast_pair_fail_over_in_master_down() {
    // v3, advert 1 s (RFC 5798 §6.1): Skew = (256 - priority) x 1 s / 256.
    let skew = |p: u64| (256 - p) * 1_000_000 / 256;
    for case in ["clean-three", "clean-unicast"] {
        let nodes = load(&case_files(&data(&format!("check/{case}"))));
        let r = simulate(&nodes);
        assert!(r.findings.is_empty(), "{case}: {:?}", r.findings);
        let o = outcome(&r, 0, "election at start");
        assert_eq!((o.master.as_deref(), o.to_master), (Some("a"), Some(3_000_000 + skew(101))), "{case}");
        let o = outcome(&r, 0, "master host dies");
        assert_eq!(
            (o.master.as_deref(), o.to_master, o.to_garp),
            (Some("b"), Some(3_000_000 + skew(100)), Some(3_000_000 + skew(100))),
            "{case}"
        );
        let o = outcome(&r, 0, "master shuts down");
        assert_eq!((o.master.as_deref(), o.to_master), (Some("b"), Some(skew(100))), "{case}");
        let o = outcome(&r, 0, "track script fails");
        assert_eq!(o.summary, "skipped: a tracks no script");
        let o = outcome(&r, 0, "master returns");
        assert_eq!((o.master.as_deref(), o.to_master), (Some("a"), Some(3_000_000 + skew(101))), "{case}");
    }
}

#[test]
fn simulation_confirms_what_the_cross_checks_say() {
    let sim = |case: &str| {
        let nodes = load(&case_files(&data(&format!("check/{case}"))));
        let r = simulate(&nodes);
        r.findings.iter().filter(|f| f.message.contains("simulated")).map(|f| f.message.clone()).collect::<Vec<_>>()
    };
    // Different versions, intervals, passwords: each drops the other's adverts.
    for case in ["version-differs", "advert-int-differs", "auth-differs", "unicast-copied"] {
        let found = sim(case);
        assert_eq!(found, ["(VI_1) simulated: after the election 2 nodes are MASTER (a, b)"], "{case}");
    }
    // weight -5 between 120 and 100: the VIP stays.
    assert_eq!(sim("weight-never-moves"), ["(VI_1) simulated: chk failing on a leaves the VIP there"]);
    assert!(sim("equal-priorities").is_empty());
}

#[test]
fn a_scenario_script_gives_a_timeline() {
    let nodes = seed();
    let script =
        Script::parse("kill master at 20s; start master at 40s; fail chk_nginx on backup at 60s; end at 80s").unwrap();
    let r = check::check(&nodes, &Options { simulate: false, scenario: Some(script) });
    let tl = r.scenario.unwrap();
    assert!(tl.errors.is_empty(), "{:?}", tl.errors);
    let at = |what: &str| tl.entries.iter().find(|e| e.1 == what).map(|e| e.0.as_micros());
    assert_eq!(at("master VI_1 MASTER (priority 101)"), Some(DOWN_101));
    assert_eq!(at("master powered off"), Some(20_000_000));
    // The backup heard the last advert at 18.605468 s + 100 us (adverts every 2 s from 6.605468).
    assert_eq!(at("backup VI_1 MASTER (priority 100)"), Some(18_605_468 + 100 + DOWN_100));
    assert_eq!(tl.entries.last().map(|e| (e.0.as_micros(), e.1.as_str())), Some((80_000_000, "end")));
    let bad =
        check::check(&nodes, &Options { simulate: false, scenario: Some(Script::parse("kill n9 at 1s").unwrap()) });
    let bad_scenario = bad.scenario.as_ref().unwrap();
    assert_eq!(bad_scenario.errors, ["scenario: no node named 'n9' loads"]);
    assert_eq!(bad.exit_code(&nodes), 64, "a scenario naming an unknown node is a usage error");
}

#[test]
fn the_binary_exits_0_1_2_4_and_prints_json() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vrrpd")).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let case = |c: &str, f: &str| data(&format!("check/{c}/{f}")).display().to_string();
    assert_eq!(run(&["check", &case("clean-unicast", "a.conf"), &case("clean-unicast", "b.conf")]).0, Some(0));
    assert_eq!(run(&["check", &case("long-password", "a.conf"), &case("long-password", "b.conf")]).0, Some(1));
    let (code, json) =
        run(&["check", "--json", &case("version-differs", "a.conf"), &case("version-differs", "b.conf")]);
    assert_eq!(code, Some(2));
    assert!(json.starts_with("{\"schema\":\"vrrpd-check/1\",\"exit\":2,"), "{json}");
    assert!(json.contains("\"severity\":\"error\",\"node\":\"b\""), "{json}");
    assert_eq!(run(&["check", "/nonexistent/x.conf"]).0, Some(4));
    assert_eq!(run(&["check", "--scenario", "explode at 1s", &case("clean-unicast", "a.conf")]).0, Some(64));
    assert_eq!(run(&["check"]).0, Some(64));
    // A file keepalived would refuse (no virtual_router_id) does not load.
    assert_eq!(run(&["check", &case("does-not-load", "a.conf"), &case("does-not-load", "b.conf")]).0, Some(4));
    let (code, text) =
        run(&["simulate", &data("master.conf").display().to_string(), &data("backup.conf").display().to_string()]);
    assert_eq!(code, Some(1));
    assert!(text.contains("master host dies: backup MASTER 6.609375s after the last advert heard"), "{text}");
}

#[test]
fn a_returning_master_waits_for_preempt_delay_or_stays_out_with_nopreempt() {
    let run = |case: &str| {
        let nodes = load(&case_files(&data(&format!("check/{case}"))));
        let r = simulate(&nodes);
        let o = outcome(&r, 0, "master returns");
        (o.master.clone(), o.to_master, o.bound, o.summary.clone())
    };
    // v2, advert 1 s: a (150) discards b's lower adverts only after preempt_delay 5 s from the
    // first one it heard (100 us after its start, b's adverts fall on a's start), then waits
    // Master_Down = 3 x 1 s + (256 - 150) / 256 s after the last one it accepted, 4 s later.
    let down_150 = 3_000_000 + 106 * 1_000_000 / 256;
    let (master, to_master, bound, _) = run("clean-preempt-delay");
    assert_eq!((master.as_deref(), to_master), (Some("a"), Some(100 + 4_000_000 + down_150)));
    assert_eq!(bound, Some(5_000_000 + 1_000_000 + down_150));
    let (master, to_master, _, summary) = run("clean-nopreempt");
    assert_eq!((master.as_deref(), to_master), (Some("b"), None));
    assert_eq!(summary, "a stays BACKUP (nopreempt); b keeps the VIP");
}

#[test]
fn one_file_with_id_lines_serves_several_nodes() {
    let shared = data("check-shared.conf");
    let list = [(Some("a".to_string()), shared.clone()), (Some("b".to_string()), shared)];
    let nodes = check::load(&list, None, &check::node_host()).unwrap();
    let names: Vec<_> = nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let r = simulate(&nodes);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.exit_code(&nodes), 0);
    assert_eq!(r.routers[0].election, "a (priority 101 over 100)");
    assert_eq!(outcome(&r, 0, "master host dies").master.as_deref(), Some("b"));
}
