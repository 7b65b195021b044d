//! Root only: a differential harness. Each scenario (a list of timed steps) runs twice on
//! fresh namespaced LANs (`common::lan`), once with Debian's keepalived 2.2.7 on every node
//! and once with vrrpd, from the same config templates (the only difference in the text is the
//! test directory, `@DIR@`). What each implementation did is normalised and compared:
//!
//! 1. the state transitions per node from the log (`Entering X STATE` → `VI_1 X`), and the
//!    exact text of those lines (`state log`);
//! 2. the notify calls per node, in order: one multiset per transition (keepalived spawns the
//!    state script and the generic `notify` at once, so their order within a transition is
//!    not defined), the sequence of transitions strictly;
//! 3. script results, priority changes and a few other lines that change what a node does
//!    (`events`), and the drop messages (distinct texts, and how many of each);
//! 4. which node holds which VIP at the scenario's checkpoints (`ip -n NS addr show`).
//!
//! Both runs of a scenario go at the same time, on two LANs. Every difference is printed with
//! both sides; a test fails on any difference not listed in [`DELIBERATE`]. Ignored by
//! default; run as root with
//! `cargo test --release --test netns_differential -- --ignored --test-threads=1 --nocapture`.
//! Traffic stays inside the namespaces the LAN creates; the foreign router is a raw-socket
//! sender (python3) started with `ip netns exec` in the client's namespace. `Lan`'s `Drop`
//! removes every namespace and process on every exit path; every wait is bounded.
mod common;
use common::lan::{ip, Lan};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Why keepalived's master goes quiet under a flood (see the foreign_router scenario).
const FLOOD_WHY: &str = "keepalived 2.2.7's MASTER restarts its advert timer on every advert it reads for its \
    VRID, even one it drops (vrrp_dispatcher_read() calls vrrp_init_instance_sands() after any packet), so a \
    flood of invalid adverts at 10/s keeps it silent: its backup times out, becomes MASTER beside it and is \
    sent back with 'forcing new election'. vrrpd's master keeps its own schedule (RFC 3768 6.4.3) and the \
    backup never notices the flood";

/// What vrrpd must show for a difference to count as deliberate.
enum Instead {
    /// The same messages, none logged more often than keepalived logs it (the distinct
    /// messages are compared on their own, in `drops`).
    LessOften,
    /// Exactly these values.
    Exactly(&'static [&'static str]),
}

/// The deliberate differences (vrrpd's behaviour is the better one), in one place:
/// (scenario or "*", what, what vrrpd must show instead, why). `what` is an observation's
/// name as the report prints it. Only vrrpd's design belongs here: a divergence that is a
/// vrrpd bug stays out and fails its scenario.
const DELIBERATE: &[(&str, &str, Instead, &str)] = &[
    ("*", "a drop counts", Instead::LessOften, DROP_WHY),
    ("*", "b drop counts", Instead::LessOften, DROP_WHY),
    ("foreign_router", "b states", Instead::Exactly(&["VI_1 BACKUP", "VI_1 MASTER"]), FLOOD_WHY),
    (
        "foreign_router",
        "b state log",
        Instead::Exactly(&["(VI_1) Entering BACKUP STATE (init)", "(VI_1) Entering MASTER STATE"]),
        FLOOD_WHY,
    ),
    (
        "foreign_router",
        "b notify",
        Instead::Exactly(&[
            "BACKUP {BACKUPSCRIPT | INSTANCE VI_1 BACKUP 100}",
            "MASTER {INSTANCE VI_1 MASTER 100 | MASTERSCRIPT}",
            "STOP {INSTANCE VI_1 STOP 100 | STOPSCRIPT}",
        ]),
        FLOOD_WHY,
    ),
    (
        "foreign_router",
        "b events",
        Instead::Exactly(&["(VI_1) Receive advertisement timeout", "(VI_1) sent 0 priority"]),
        FLOOD_WHY,
    ),
    (
        "foreign_router",
        "a events",
        Instead::Exactly(&[
            "(VI_1) Receive advertisement timeout",
            "(VI_1) Master received advert from 192.168.31.100 with higher priority 200, ours 150",
            "(VI_1) Receive advertisement timeout",
            "(VI_1) sent 0 priority",
        ]),
        FLOOD_WHY,
    ),
];

const DROP_WHY: &str = "keepalived logs every dropped advert; vrrpd logs a drop once per state (the counters \
    stay exact), so a flood cannot fill the log";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Imp {
    Keepalived,
    Vrrpd,
}

impl Imp {
    fn name(self) -> &'static str {
        match self {
            Imp::Keepalived => "keepalived",
            Imp::Vrrpd => "vrrpd",
        }
    }
}

/// One step of a scenario. Nodes are "a" (192.168.31.20) and "b" (.30); "c" (.100) is the
/// foreign router.
enum Step {
    /// Writes NODE's config (`@DIR@` is the test directory).
    Conf(&'static str, String),
    Start(&'static str),
    /// SIGTERM, then waits (bounded) for the exit; records whether it exited.
    Stop(&'static str),
    Hup(&'static str),
    LinkDown(&'static str),
    LinkUp(&'static str),
    /// Deletes / adds the node's own address (as DHCP would).
    AddrDel(&'static str),
    AddrAdd(&'static str),
    /// Deletes a VIP (last octet) from the node by hand.
    VipDel(&'static str, &'static str),
    /// Makes NODE's track script NAME fail (creates `fail_NODE_NAME`) / recover.
    Fail(&'static str, &'static str),
    Recover(&'static str, &'static str),
    /// VRRPv2 adverts for VRID 51 from c (192.168.31.100), 10 per second for 3 s.
    Foreign {
        prio: u8,
        vips: &'static [&'static str],
    },
    /// A checkpoint: waits at most `ms` until a and b hold exactly these VIPs (last octets),
    /// then records what they hold.
    Expect(&'static str, [&'static [&'static str]; 2], u64),
    /// A fixed pause where no condition exists (to see that nothing else happens).
    Sleep(u64),
}

struct Scenario {
    name: &'static str,
    /// The first letter of the LANs' tags (short: namespace names carry it).
    tag: char,
    steps: Vec<Step>,
}

// ---------------------------------------------------------------------------------------
// Configs and scripts

const VRID: u8 = 51;

/// A track script of the config: name (`x`, `y`) and weight (0: FAULT on failure).
type Track = (&'static str, i32);

/// NODE's config: VI_1 on enp0s3, VRID 51, advert_int 1, the VIPs (last octets), the track
/// scripts, and every notify.
fn conf(node: &str, priority: u8, vips: &[&str], tracks: &[Track]) -> String {
    let mut s = String::new();
    for (name, weight) in tracks {
        s.push_str(&format!(
            "vrrp_script chk_{name} {{\n script \"@DIR@/chk_{node}_{name}.sh\"\n interval 1\n weight {weight}\n fall 1\n rise 1\n}}\n"
        ));
    }
    s.push_str(&format!(
        "vrrp_instance VI_1 {{\n interface enp0s3\n virtual_router_id {VRID}\n priority {priority}\n advert_int 1\n"
    ));
    s.push_str(" virtual_ipaddress {\n");
    for v in vips {
        s.push_str(&format!("  192.168.31.{v}/32\n"));
    }
    s.push_str(" }\n");
    if !tracks.is_empty() {
        s.push_str(" track_script {\n");
        for (name, _) in tracks {
            s.push_str(&format!("  chk_{name}\n"));
        }
        s.push_str(" }\n");
    }
    let n = format!("@DIR@/notify_{node}.sh");
    s.push_str(&format!(
        " notify {n}\n notify_master \"{n} MASTERSCRIPT\"\n notify_backup \"{n} BACKUPSCRIPT\"\n notify_fault \"{n} FAULTSCRIPT\"\n notify_stop \"{n} STOPSCRIPT\"\n}}\n"
    ));
    s
}

/// The foreign router: VRRPv2 adverts with a correct checksum, from SRC to 224.0.0.18 with
/// TTL 255, RATE per second for SECS seconds. Runs inside a namespace only.
const FOREIGN_PY: &str = r#"
import socket, struct, sys, time
src, vrid, prio, rate, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
vips = sys.argv[6:]
def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
pkt = struct.pack('!BBBBBBH', 0x21, vrid, prio, len(vips), 0, 1, 0) + b''.join(socket.inet_aton(a) for a in vips) + b'\0' * 8
pkt = pkt[:6] + struct.pack('!H', csum(pkt)) + pkt[8:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.bind((src, 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
n = int(rate * secs)
t0 = time.monotonic()
for i in range(n):
    s.sendto(pkt, ('224.0.0.18', 0))
    d = t0 + (i + 1) / rate - time.monotonic()
    if d > 0:
        time.sleep(d)
print(n)
"#;

/// The system's python3 (Debian: /usr/bin), else the one on PATH.
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn write_exec(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn own_addr(node: &str) -> &'static str {
    match node {
        "a" => "192.168.31.20/24",
        "b" => "192.168.31.30/24",
        _ => unreachable!("node {node}"),
    }
}

// ---------------------------------------------------------------------------------------
// Running a scenario

/// What one implementation did in one scenario, raw.
struct Run {
    imp: Imp,
    /// Log lines per node started.
    logs: BTreeMap<&'static str, Vec<String>>,
    /// Lines the notify scripts wrote, per node.
    notify: BTreeMap<&'static str, Vec<String>>,
    /// Checkpoints: (label and what was seen, how long the wait took or None if not reached).
    checkpoints: Vec<(String, Option<Duration>)>,
    elapsed: Duration,
}

/// The /32 addresses (last octets) on NODE's enp0s3.
fn vips_on(lan: &Lan, node: &str) -> Vec<String> {
    let out = Command::new("ip").args(["-n", &lan.ns(node), "-4", "addr", "show", "dev", "enp0s3"]).output().unwrap();
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|w| w.strip_suffix("/32"))
        .map(|a| a.rsplit('.').next().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn holders(lan: &Lan) -> String {
    format!("a=[{}] b=[{}]", vips_on(lan, "a").join(","), vips_on(lan, "b").join(","))
}

fn run(imp: Imp, sc: &Scenario) -> Run {
    let prefix = match imp {
        Imp::Keepalived => 'k',
        Imp::Vrrpd => 'v',
    };
    let mut lan = Lan::new(&format!("{prefix}{}", sc.tag));
    let dir = lan.dir.0.clone();
    let d = dir.display().to_string();
    for node in ["a", "b"] {
        write_exec(
            &dir.join(format!("notify_{node}.sh")),
            &format!("#!/bin/sh\necho \"$*\" >> {d}/notify_{node}.out\n"),
        );
        for name in ["x", "y"] {
            write_exec(
                &dir.join(format!("chk_{node}_{name}.sh")),
                &format!("#!/bin/sh\ntest ! -e {d}/fail_{node}_{name}\n"),
            );
        }
    }
    std::fs::write(dir.join("foreign.py"), FOREIGN_PY).unwrap();
    let mut started: Vec<&'static str> = Vec::new();
    let mut checkpoints = Vec::new();
    let t0 = Instant::now();
    for step in &sc.steps {
        match step {
            Step::Conf(node, text) => {
                std::fs::write(dir.join(format!("{node}.conf")), text.replace("@DIR@", &d)).unwrap();
            }
            Step::Start(node) => {
                let c = dir.join(format!("{node}.conf"));
                match imp {
                    Imp::Keepalived => lan.start_keepalived(node, &c),
                    Imp::Vrrpd => lan.start(node, &c),
                }
                if !started.contains(node) {
                    started.push(node);
                }
            }
            Step::Stop(node) => {
                lan.signal(node, "TERM");
                let code = lan.wait_exit(node, Duration::from_secs(8));
                let seen = match code {
                    Some(_) => "exited",
                    None => "still running after 8 s",
                };
                checkpoints.push((format!("stop {node}: {seen}"), None));
            }
            Step::Hup(node) => lan.signal(node, "HUP"),
            Step::LinkDown(node) => ip(&["-n", &lan.ns(node), "link", "set", "enp0s3", "down"]),
            Step::LinkUp(node) => ip(&["-n", &lan.ns(node), "link", "set", "enp0s3", "up"]),
            Step::AddrDel(node) => ip(&["-n", &lan.ns(node), "addr", "del", own_addr(node), "dev", "enp0s3"]),
            Step::AddrAdd(node) => ip(&["-n", &lan.ns(node), "addr", "add", own_addr(node), "dev", "enp0s3"]),
            Step::VipDel(node, v) => {
                ip(&["-n", &lan.ns(node), "addr", "del", &format!("192.168.31.{v}/32"), "dev", "enp0s3"])
            }
            Step::Fail(node, name) => std::fs::write(dir.join(format!("fail_{node}_{name}")), "").unwrap(),
            Step::Recover(node, name) => std::fs::remove_file(dir.join(format!("fail_{node}_{name}"))).unwrap(),
            Step::Foreign { prio, vips } => {
                let mut child = Command::new("ip")
                    .args(["netns", "exec", &lan.ns("c"), python()])
                    .arg(dir.join("foreign.py"))
                    .args(["192.168.31.100", &VRID.to_string(), &prio.to_string(), "10", "3"])
                    .args(vips.iter().map(|v| format!("192.168.31.{v}")))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let deadline = Instant::now() + Duration::from_secs(10);
                while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
                if child.try_wait().unwrap().is_none() {
                    let _ = child.kill();
                }
                let out = child.wait_with_output().unwrap();
                let sent = String::from_utf8_lossy(&out.stdout).trim().to_string();
                assert_eq!(sent, "30", "the foreign router did not send: {}", String::from_utf8_lossy(&out.stderr));
                checkpoints.push((format!("foreign prio {prio} [{}]: sent {sent} adverts", vips.join(",")), None));
            }
            Step::Expect(label, [a, b], ms) => {
                let want = format!("a=[{}] b=[{}]", a.join(","), b.join(","));
                let took = lan.wait(Duration::from_millis(*ms), |l| holders(l) == want);
                checkpoints.push((format!("{label}: {}", holders(&lan)), took));
            }
            Step::Sleep(ms) => std::thread::sleep(Duration::from_millis(*ms)),
        }
    }
    // Notify scripts still running: give them a moment.
    std::thread::sleep(Duration::from_millis(500));
    let elapsed = t0.elapsed();
    let mut logs = BTreeMap::new();
    let mut notify = BTreeMap::new();
    for node in started {
        logs.insert(node, lan.log(node).lines().map(str::to_string).collect());
        let n = std::fs::read_to_string(dir.join(format!("notify_{node}.out"))).unwrap_or_default();
        notify.insert(node, n.lines().map(str::to_string).collect());
    }
    Run { imp, logs, notify, checkpoints, elapsed }
}

// ---------------------------------------------------------------------------------------
// Normalising

/// The text after keepalived's console time stamp ("Tue Dec  1 09:02:41 2026: "), which
/// vrrpd writes under -l too.
fn text(line: &str) -> &str {
    let b = line.as_bytes();
    if b.len() > 26
        && b[24] == b':'
        && b[25] == b' '
        && b[20..24].iter().all(u8::is_ascii_digit)
        && line.is_char_boundary(26)
    {
        &line[26..]
    } else {
        line
    }
}

fn is_state_line(t: &str) -> bool {
    (t.contains(" Entering ") && t.contains(" STATE")) || t.contains(" entering FAULT state")
}

/// `(VI_1) Entering MASTER STATE` → `VI_1 MASTER`.
fn state_of(t: &str) -> Option<String> {
    let rest = t.strip_prefix('(')?;
    let (name, rest) = rest.split_once(')')?;
    let state = rest.strip_prefix(" Entering ")?.split_whitespace().next()?;
    rest.contains(" STATE").then(|| format!("{name} {state}"))
}

const EVENT_NEEDLES: &[&str] = &[
    "Changing effective priority",
    "VRRP_Script(",
    "Master received advert",
    "Receive advertisement timeout",
    "sent 0 priority",
    "removed by reload",
    "forcing new election",
];

/// keepalived 2.2.7's drop messages (vrrp_check_packet(), vrrp_state_backup()).
const DROP_NEEDLES: &[&str] = &[
    "vrrp packet too ",
    "invalid TTL/HL",
    "wrong version",
    "Invalid auth type",
    "auth, expecting",
    "invalid passwd",
    "advertisement interval mismatch",
    "Invalid packet type",
    "unexpected ip number count",
    "checksum",
    "Expected multicast packet",
    "Expected unicast packet",
    "not present in MASTER advert",
    "- discarding", // "received lower priority (90) advert from ... - discarding"
];

fn is_drop(t: &str) -> bool {
    DROP_NEEDLES.iter().any(|n| t.contains(n))
}

/// The notify lines grouped per transition. Each transition runs two scripts (the state's
/// and the generic `notify`) that keepalived spawns at once, so lines of quick successive
/// transitions interleave: a line joins the first group of its state that lacks its kind.
fn notify_groups(lines: &[String]) -> Vec<String> {
    // (state, generic?) of a line: "INSTANCE VI_1 MASTER 150" or "MASTERSCRIPT".
    let kind = |l: &str| -> (String, bool) {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w.as_slice() {
            ["INSTANCE", _, s, ..] => (s.to_string(), true),
            [s] if s.ends_with("SCRIPT") => (s.trim_end_matches("SCRIPT").to_string(), false),
            _ => (l.to_string(), false),
        }
    };
    let mut groups: Vec<(String, Vec<(bool, String)>)> = Vec::new();
    for l in lines {
        let (state, generic) = kind(l);
        match groups.iter_mut().find(|(s, m)| *s == state && !m.iter().any(|(g, _)| *g == generic)) {
            Some((_, members)) => members.push((generic, l.clone())),
            None => groups.push((state, vec![(generic, l.clone())])),
        }
    }
    groups
        .into_iter()
        .map(|(s, m)| {
            let mut m: Vec<String> = m.into_iter().map(|(_, l)| l).collect();
            m.sort();
            format!("{s} {{{}}}", m.join(" | "))
        })
        .collect()
}

/// The named observations of a run, in report order: (what, values, raw lines behind them).
fn observations(r: &Run) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    for (node, lines) in &r.logs {
        let pick = |f: &dyn Fn(&str) -> bool| -> Vec<String> {
            lines.iter().filter(|l| f(text(l))).cloned().collect::<Vec<_>>()
        };
        let states_raw = pick(&|t| state_of(t).is_some());
        out.push((format!("{node} states"), states_raw.iter().filter_map(|l| state_of(text(l))).collect(), states_raw));
        let log_raw = pick(&is_state_line);
        out.push((format!("{node} state log"), log_raw.iter().map(|l| text(l).to_string()).collect(), log_raw));
        let notify = r.notify.get(node).cloned().unwrap_or_default();
        out.push((format!("{node} notify"), notify_groups(&notify), notify));
        let ev_raw = pick(&|t| EVENT_NEEDLES.iter().any(|n| t.contains(n)));
        out.push((format!("{node} events"), ev_raw.iter().map(|l| text(l).to_string()).collect(), ev_raw));
        let drop_raw = pick(&is_drop);
        let mut distinct: Vec<String> = Vec::new();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for l in &drop_raw {
            let t = text(l).to_string();
            if !distinct.contains(&t) {
                distinct.push(t.clone());
            }
            *counts.entry(t).or_default() += 1;
        }
        let counted = distinct.iter().map(|t| format!("{} x {t}", counts[t])).collect();
        out.push((format!("{node} drops"), distinct, drop_raw.clone()));
        out.push((format!("{node} drop counts"), counted, drop_raw));
    }
    let cps = r.checkpoints.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>();
    let cps_raw = r
        .checkpoints
        .iter()
        .map(|(l, t)| match t {
            Some(t) => format!("{l} (after {} ms)", t.as_millis()),
            None => l.clone(),
        })
        .collect();
    out.push(("checkpoints".to_string(), cps, cps_raw));
    out
}

// ---------------------------------------------------------------------------------------
// Comparing

/// "N x message" → (message, N).
fn counted(v: &[String]) -> BTreeMap<&str, usize> {
    v.iter().filter_map(|l| l.split_once(" x ").map(|(n, t)| (t, n.parse().unwrap_or(usize::MAX)))).collect()
}

/// The reason, when the difference is a listed deliberate one and vrrpd shows what the
/// entry says it shows.
fn deliberate(scenario: &str, what: &str, keepalived: &[String], vrrpd: &[String]) -> Option<&'static str> {
    let (_, _, instead, why) = DELIBERATE.iter().find(|(s, w, _, _)| (*s == "*" || *s == scenario) && *w == what)?;
    let holds = match instead {
        Instead::LessOften => {
            let k = counted(keepalived);
            counted(vrrpd).iter().all(|(t, n)| k.get(t).is_none_or(|kn| n <= kn))
        }
        Instead::Exactly(want) => vrrpd.iter().map(String::as_str).eq(want.iter().copied()),
    };
    holds.then_some(*why)
}

/// The two sequences aligned on their longest common subsequence: equal rows side by side,
/// a line only one side has against "-".
fn align<'a>(k: &'a [String], v: &'a [String]) -> Vec<(Option<&'a str>, Option<&'a str>)> {
    // lcs[i][j]: the LCS length of k[i..] and v[j..].
    let mut lcs = vec![vec![0usize; v.len() + 1]; k.len() + 1];
    for i in (0..k.len()).rev() {
        for j in (0..v.len()).rev() {
            lcs[i][j] = if k[i] == v[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut rows) = (0, 0, Vec::new());
    while i < k.len() || j < v.len() {
        if i < k.len() && j < v.len() && k[i] == v[j] {
            rows.push((Some(k[i].as_str()), Some(v[j].as_str())));
            (i, j) = (i + 1, j + 1);
        } else if j == v.len() || (i < k.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
            rows.push((Some(k[i].as_str()), None));
            i += 1;
        } else {
            rows.push((None, Some(v[j].as_str())));
            j += 1;
        }
    }
    rows
}

fn side_by_side(k: &[String], v: &[String]) -> String {
    let width = k.iter().map(|s| s.chars().count()).max().unwrap_or(0).clamp(10, 70);
    let mut s = format!("    {:<width$}   vrrpd\n", "keepalived");
    for (a, b) in align(k, v) {
        let mark = if a == b { ' ' } else { '≠' };
        let (a, b) = (a.unwrap_or("-"), b.unwrap_or("-"));
        s.push_str(&format!("  {mark} {a:<width$}   {b}\n"));
    }
    s
}

/// Runs the scenario on both implementations, prints both sides and every difference, and
/// fails on any difference not in DELIBERATE.
fn differential(sc: Scenario) {
    assert!(Command::new("keepalived").arg("-v").output().is_ok(), "keepalived is not installed");
    let py = Command::new(python()).arg("-c").arg("pass").status();
    assert!(py.is_ok_and(|s| s.success()), "python3 is needed for the foreign router");
    let start = Instant::now();
    let (k, v) = std::thread::scope(|s| {
        let k = s.spawn(|| run(Imp::Keepalived, &sc));
        let v = s.spawn(|| run(Imp::Vrrpd, &sc));
        let (k, v) = (k.join(), v.join());
        (k.unwrap_or_else(|e| std::panic::resume_unwind(e)), v.unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    assert_eq!((k.imp, v.imp), (Imp::Keepalived, Imp::Vrrpd));
    let (ok, ov) = (observations(&k), observations(&v));
    let mut report = format!(
        "\n=== scenario {} ({} {:.1} s, {} {:.1} s, wall {:.1} s)\n",
        sc.name,
        k.imp.name(),
        k.elapsed.as_secs_f64(),
        v.imp.name(),
        v.elapsed.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
    let mut failures = Vec::new();
    for ((what, kv, kraw), (what_v, vv, vraw)) in ok.iter().zip(&ov) {
        assert_eq!(what, what_v);
        if kv.is_empty() && vv.is_empty() {
            continue;
        }
        let same = kv == vv;
        let verdict = if same {
            "same".to_string()
        } else if let Some(why) = deliberate(sc.name, what, kv, vv) {
            format!("DELIBERATE DIFFERENCE: {why}")
        } else {
            failures.push(what.clone());
            "DIVERGENCE".to_string()
        };
        report.push_str(&format!("--- {what}: {verdict}\n"));
        report.push_str(&side_by_side(kv, vv));
        if !same {
            report.push_str("  raw keepalived:\n");
            for l in kraw {
                report.push_str(&format!("    {l}\n"));
            }
            report.push_str("  raw vrrpd:\n");
            for l in vraw {
                report.push_str(&format!("    {l}\n"));
            }
        }
    }
    report.push_str("--- checkpoint timings (not compared)\n");
    for (i, (label, t)) in k.checkpoints.iter().enumerate() {
        let ms = |t: &Option<Duration>| t.map_or("-".to_string(), |t| format!("{} ms", t.as_millis()));
        let tv = v.checkpoints.get(i).map_or("-".to_string(), |(_, t)| ms(t));
        report.push_str(&format!("    {label}: keepalived {}, vrrpd {tv}\n", ms(t)));
    }
    report.push_str(&format!(
        "=== {}: {}\n",
        sc.name,
        if failures.is_empty() { "no divergence".to_string() } else { format!("DIVERGENT in {}", failures.join(", ")) }
    ));
    if std::env::var_os("VRRPD_DIFF_FULL_LOGS").is_some() {
        for (r, name) in [(&k, "keepalived"), (&v, "vrrpd")] {
            for (node, lines) in &r.logs {
                report.push_str(&format!("--- full log {name} {node}\n"));
                for l in lines {
                    report.push_str(&format!("    {l}\n"));
                }
            }
        }
    }
    println!("{report}");
    assert!(failures.is_empty(), "scenario {}: vrrpd diverges from keepalived in {}", sc.name, failures.join(", "));
}

// ---------------------------------------------------------------------------------------
// Scenarios

const A: &[&str] = &["240"];
const NONE: &[&str] = &[];

/// The pair's usual end: the master (a) stops, b takes over, b stops.
fn stop_pair(steps: &mut Vec<Step>) {
    steps.push(Step::Stop("a"));
    steps.push(Step::Expect("a stopped: b takes over", [NONE, A], 4_000));
    steps.push(Step::Stop("b"));
}

fn pair(tracks_a: &[Track], tracks_b: &[Track]) -> Vec<Step> {
    vec![Step::Conf("a", conf("a", 150, A, tracks_a)), Step::Conf("b", conf("b", 100, A, tracks_b))]
}

#[test]
#[ignore = "needs root and keepalived: creates network namespaces"]
fn link_down_at_boot_then_up_and_down_again() {
    let mut steps = pair(&[], &[]);
    steps.extend([
        Step::LinkDown("a"),
        Step::Start("a"),
        Step::Start("b"),
        Step::Expect("a boots with its link down: b master", [NONE, A], 8_000),
        Step::LinkUp("a"),
        Step::Expect("a's link up: a preempts", [A, NONE], 8_000),
        Step::LinkDown("a"),
        Step::Expect("a's link down while master: b master", [NONE, A], 8_000),
        Step::LinkUp("a"),
        Step::Expect("a's link up again: a preempts", [A, NONE], 8_000),
    ]);
    stop_pair(&mut steps);
    differential(Scenario { name: "link_down_at_boot", tag: 'l', steps });
}

#[test]
#[ignore = "needs root and keepalived: creates network namespaces"]
fn no_address_at_boot_then_added_and_deleted_again() {
    let mut steps = pair(&[], &[]);
    steps.extend([
        Step::AddrDel("a"),
        Step::Start("a"),
        Step::Start("b"),
        Step::Expect("a boots without its address: b master", [NONE, A], 8_000),
        Step::AddrAdd("a"),
        Step::Expect("a's address added: a preempts", [A, NONE], 8_000),
        Step::AddrDel("a"),
        Step::Expect("a's address deleted while master: b master", [NONE, A], 6_000),
        Step::AddrAdd("a"),
        Step::Expect("a's address added again: a master", [A, NONE], 8_000),
    ]);
    stop_pair(&mut steps);
    differential(Scenario { name: "no_address_at_boot", tag: 'n', steps });
}

fn track_steps(weight: i32) -> Vec<Step> {
    let mut steps = pair(&[("x", weight)], &[("x", weight)]);
    steps.extend([
        Step::Start("a"),
        Step::Start("b"),
        Step::Expect("a master", [A, NONE], 8_000),
        Step::Fail("a", "x"),
        Step::Expect("a's script fails: b master", [NONE, A], 8_000),
        Step::Sleep(1_000),
        Step::Recover("a", "x"),
        Step::Expect("a's script recovers: a master", [A, NONE], 8_000),
        Step::Sleep(1_000),
    ]);
    stop_pair(&mut steps);
    steps
}

#[test]
#[ignore = "needs root and keepalived: creates network namespaces"]
fn track_script_weight_minus_60_moves_the_vip_and_back() {
    differential(Scenario { name: "track_script_weight", tag: 's', steps: track_steps(-60) });
}

#[test]
#[ignore = "needs root and keepalived: creates network namespaces"]
fn track_script_weight_0_faults_and_recovers() {
    differential(Scenario { name: "track_script_fault", tag: 'f', steps: track_steps(0) });
}

#[test]
#[ignore = "needs root and keepalived: creates network namespaces"]
fn vip_deleted_by_hand_on_the_master() {
    let mut steps = pair(&[], &[]);
    steps.extend([
        Step::Start("a"),
        Step::Start("b"),
        Step::Expect("a master", [A, NONE], 8_000),
        Step::Sleep(1_000),
        Step::VipDel("a", "240"),
        Step::Expect("VIP deleted on a: a holds it again", [A, NONE], 5_000),
        Step::Sleep(2_000),
        Step::Expect("2 s later", [A, NONE], 0),
    ]);
    stop_pair(&mut steps);
    differential(Scenario { name: "vip_deleted_by_hand", tag: 'd', steps });
}

#[test]
#[ignore = "needs root and keepalived: creates network namespaces"]
fn reload_adds_and_removes_vips_and_scripts() {
    // One node: a reload on both nodes of a pair cannot be simultaneous, and the pair would
    // drop each other's adverts (addr_list_err) in between.
    const V1: &[&str] = &["240", "241"];
    const V2: &[&str] = &["240", "242"];
    let steps = vec![
        Step::Conf("a", conf("a", 150, V1, &[("x", 0)])),
        Step::Start("a"),
        Step::Expect("a master alone", [V1, NONE], 8_000),
        // VIP 241 out, 242 in, script y added (succeeding).
        Step::Conf("a", conf("a", 150, V2, &[("x", 0), ("y", 0)])),
        Step::Hup("a"),
        Step::Expect("reload 1: VIPs swapped", [V2, NONE], 5_000),
        Step::Sleep(2_000),
        Step::Expect("2 s after reload 1", [V2, NONE], 0),
        Step::Fail("a", "x"),
        Step::Expect("script x fails: FAULT", [NONE, NONE], 5_000),
        // Reload 2 removes the failing script: out of FAULT.
        Step::Conf("a", conf("a", 150, V2, &[("y", 0)])),
        Step::Hup("a"),
        Step::Expect("reload 2 removes failing script x: master again", [V2, NONE], 8_000),
        Step::Fail("a", "y"),
        Step::Expect("script y (added by reload 1) fails: FAULT", [NONE, NONE], 5_000),
        Step::Recover("a", "y"),
        Step::Expect("script y recovers: master", [V2, NONE], 8_000),
        Step::Stop("a"),
    ];
    differential(Scenario { name: "reload", tag: 'r', steps });
}

#[test]
#[ignore = "needs root and keepalived: creates network namespaces"]
fn foreign_router_on_our_vrid() {
    let mut steps = pair(&[], &[]);
    steps.extend([
        Step::Start("a"),
        Step::Start("b"),
        Step::Expect("a master", [A, NONE], 8_000),
        // Same count, another address. The pause covers the backup's master-down after the
        // flood (3.61 s from the master's last advert) and the master's next advert (1 s
        // after the flood at the latest), whatever happens in between.
        Step::Foreign { prio: 200, vips: &["250"] },
        Step::Sleep(1_500),
        Step::Expect("after foreign [250]", [A, NONE], 3_000),
        // Another count.
        Step::Foreign { prio: 200, vips: &["240", "250"] },
        Step::Sleep(1_500),
        Step::Expect("after foreign [240,250]", [A, NONE], 3_000),
        // Our list: a valid higher-priority master.
        Step::Foreign { prio: 200, vips: &["240"] },
        Step::Expect("during and after foreign [240]", [NONE, NONE], 0),
        Step::Expect("foreign gone: a master again", [A, NONE], 8_000),
    ]);
    stop_pair(&mut steps);
    differential(Scenario { name: "foreign_router", tag: 'o', steps });
}
