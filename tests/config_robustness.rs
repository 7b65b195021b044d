//! No input makes the loader panic, hang or grow without bound: pathological inputs, and a
//! seeded random/mutation loop (VRRPD_FUZZ_ITERATIONS, default 3000; CI runs 200000).
mod common;
use common::rng::Rng;
use common::*;
use std::path::Path;
use vrrpd::config::{self, Effect, LoadOptions, StaticHost};

/// A machine with some interfaces and scripts but no files: includes match nothing, so
/// random text can never make the loader read the host's filesystem.
fn sealed_host() -> StaticHost {
    StaticHost {
        interfaces: vec!["eth0".into(), "eth1".into(), "enp0s3".into()],
        scripts: vec!["/bin/echo".into(), "/etc/keepalived/check_nginx.sh".into()],
        everything_exists: false,
        sealed: true,
        ..Default::default()
    }
}

fn load_bytes(bytes: Vec<u8>) -> config::Loaded {
    let opts = LoadOptions { config_id: "r1".into(), all_config: false };
    config::load_bytes(Path::new("/nonexistent/fuzz.conf"), bytes, &opts, &sealed_host())
}

#[test]
fn hundred_thousand_nested_braces() {
    // One line of 100k braces is refused by the line limit; one brace per line is not.
    let l = load_bytes("{".repeat(100_000).into_bytes());
    diag(&l, "line too long");
    let l = load_bytes("{\n".repeat(100_000).into_bytes());
    diag(&l, "nested deeper than");
    let l = load_bytes("a {\n".repeat(100_000).into_bytes());
    diag(&l, "nested deeper than");
    diag(&l, "missing '}'");
    let mut s = "vrrp_instance V {\n".to_string() + &"x {".repeat(100_000) + &"}".repeat(100_000);
    s.push_str("\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
    let l = load_bytes(s.into_bytes());
    assert_eq!(l.config.instances.len(), 1, "the deep block is skipped and the instance survives");
    assert_eq!(l.config.instances[0].vips.len(), 1);
}

#[test]
fn ten_megabyte_line() {
    let mut s = "global_defs {\n router_id ".to_string();
    s.push_str(&"a".repeat(10 * 1024 * 1024));
    s.push_str("\n}\n");
    let l = load_bytes(s.into_bytes());
    expect(&l, "line too long (10485771 bytes", 2, 1, Effect::Corrected);
    assert!(l.config.global.router_id.is_none());
}

#[test]
fn unterminated_quotes_and_parameters() {
    for text in [
        "global_defs { router_id \"abc",
        "$X=${Y\nglobal_defs { router_id ${X} $\n}",
        "$A=\\\n",
        "vrrp_script s {\n script \"/bin/x 'a\"\n}\n",
        "${",
        "$",
    ] {
        let l = load_bytes(text.as_bytes().to_vec());
        let _ = config::dump::dump(&l.config);
    }
    let l = load_bytes(b"$A=1 \\\n2 \\".to_vec());
    diag(&l, "continues past the end of the file");
    let l = load_bytes(b"vrrp_script s {\n script \"/bin/x 'a\"\n}\n".to_vec());
    expect(&l, "script: String '\"/bin/x 'a\"': missing terminating ' - ignoring", 2, 9, Effect::Corrected);
}

#[test]
fn random_bytes_and_nul_bytes() {
    let mut rng = Rng(0x5eed);
    for _ in 0..200 {
        let len = rng.below(4096) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = load_bytes(bytes);
    }
    let l = load_bytes(b"\0\0\0{\0}\n".to_vec());
    diag(&l, "NUL byte");
}

#[test]
fn diagnostics_are_bounded() {
    let l = load_bytes("junk\n".repeat(50_000).into_bytes());
    assert!(l.diagnostics.list.len() <= config::diag::MAX_STORED_DIAGNOSTICS + 1);
    assert_eq!(l.config_test_status(), 5);
}

const DICT: &[&str] = &[
    "{",
    "}",
    "\"",
    "'",
    "\\",
    "$",
    "${",
    "$A=",
    "@r1 ",
    "@^r1 ",
    "#",
    "!",
    "\n",
    "\r\n",
    "\t",
    " ",
    "\u{a0}",
    "\u{3000}",
    "\0",
    "\u{feff}",
    "include ",
    "~SEQ(",
    "vrrp_instance ",
    "vrrp_script ",
    "vrrp_sync_group ",
    "global_defs ",
    "virtual_ipaddress ",
    "track_script ",
    "interface eth0",
    "virtual_router_id ",
    "priority ",
    "state MASTER",
    "advert_int 0.01",
    "version 3",
    "authentication ",
    "auth_type PASS",
    "auth_pass ",
    "unicast_peer ",
    "10.0.0.1/24",
    "fe80::1",
    "weight -5",
    "nopreempt",
    "script \"/bin/x a\"",
    "notify \"",
    "group ",
    "virtual_routes ",
    "virtual_rules ",
    "from ",
    "via ",
    "255",
    "0",
    "-1",
    "99999999999999999999",
    "track_file ",
    "interface_up_down_delays ",
    "brd + dev eth1 scope link",
    "virtual_server ",
];

fn corpus() -> Vec<Vec<u8>> {
    let mut c = vec![
        std::fs::read(data("master.conf")).unwrap(),
        std::fs::read(data("backup.conf")).unwrap(),
        VI.as_bytes().to_vec(),
    ];
    c.push(b"global_defs {\n vrrp_garp_master_delay 1\n}\nvrrp_script s {\n script \"/bin/echo\"\n weight 10 reverse\n rise 2\n fall 3\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 7\n version 3\n advert_int 0.5\n unicast_peer {\n 10.0.0.2\n }\n virtual_ipaddress {\n 10.0.0.9/24 dev eth0\n }\n track_script {\n s weight 5\n }\n}\nvrrp_sync_group G {\n group {\n A\n }\n}\n".to_vec());
    c
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, others: &[Vec<u8>]) {
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = input.len() as u64;
        let pos = rng.below(len + 1) as usize;
        match rng.below(7) {
            0 if !input.is_empty() => {
                let i = rng.below(len) as usize;
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let word = DICT[rng.below(DICT.len() as u64) as usize].as_bytes();
                input.splice(pos..pos, word.iter().copied());
            }
            2 if !input.is_empty() => {
                let end = (pos + rng.below(64) as usize).min(input.len());
                input.drain(pos..end);
            }
            3 if !input.is_empty() => {
                let start = rng.below(len) as usize;
                let end = (start + rng.below(128) as usize).min(input.len());
                let chunk: Vec<u8> = input[start..end].to_vec();
                input.splice(pos..pos, chunk);
            }
            4 => {
                let other = &others[rng.below(others.len() as u64) as usize];
                let start = rng.below(other.len() as u64) as usize;
                let end = (start + rng.below(256) as usize).min(other.len());
                input.splice(pos..pos, other[start..end].iter().copied());
            }
            5 => input.insert(pos, rng.next() as u8),
            _ => {
                let b = *b"{}\"$\\\n ";
                input.insert(pos, b[rng.below(b.len() as u64) as usize]);
            }
        }
        if input.len() > 64 * 1024 {
            input.truncate(64 * 1024);
        }
    }
}

#[test]
fn seeded_mutation_fuzz_never_panics() {
    let iterations: u64 = std::env::var("VRRPD_FUZZ_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let seed: u64 = std::env::var("VRRPD_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x7672_7270_6400_0001);
    let corpus = corpus();
    let mut rng = Rng(seed);
    let mut statuses = [0u64; 7];
    for n in 0..iterations {
        let mut input = corpus[rng.below(corpus.len() as u64) as usize].clone();
        mutate(&mut rng, &mut input, &corpus);
        let copy = input.clone();
        let result = std::panic::catch_unwind(move || {
            let l = load_bytes(input);
            let dumped = config::dump::dump(&l.config);
            for d in &l.diagnostics.list {
                let _ = l.sources.render(d, true);
            }
            (l.config_test_status(), dumped.len())
        });
        match result {
            Ok((status, _)) => statuses[status as usize] += 1,
            Err(_) => {
                let path = std::env::temp_dir().join(format!("vrrpd-fuzz-crash-{seed}-{n}.conf"));
                std::fs::write(&path, &copy).unwrap();
                panic!("loader panicked: seed {seed} iteration {n}; input saved to {}", path.display());
            }
        }
    }
    println!(
        "{iterations} inputs from seed {seed}: exit statuses 0:{} 4:{} 5:{} 6:{}",
        statuses[0], statuses[4], statuses[5], statuses[6]
    );
    // The corpus is valid and the mutations are small: every outcome class must be reached,
    // or the generator has stopped exercising the loader.
    if iterations >= 1000 {
        assert!(statuses[0] + statuses[6] > 0 && statuses[4] > 0 && statuses[5] > 0, "{statuses:?}");
    }
}
