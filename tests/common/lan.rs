//! A namespaced LAN for the daemon tests: a bridge in a "switch" namespace, nodes `a` (.20)
//! and `b` (.30) with the seed's interface name enp0s3, a client `c` (.100). Every namespace
//! and process is removed by `Drop` on every exit path.
#![allow(dead_code)]
use super::TempDir;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const VIP: &str = "192.168.31.240";

/// Slack on top of a protocol bound (skew, master-down) for an upper-bound assertion: on a
/// two-core machine with two CPU-bound processes beside the test (`make stress-test`) a
/// wake-up waits up to a few scheduler periods, and every `ip` poll is a fork and an exec.
pub const LOAD_MARGIN_MS: u64 = 150;

/// The same for the 10 ms adverts test, where the kernel's own timestamps (`ip -ts monitor`)
/// leave only the daemon's wake-up latency to allow for.
pub const FAST_LOAD_MARGIN_US: u64 = 25_000;

pub fn ip(args: &[&str]) {
    let ok = Command::new("ip").args(args).status().unwrap().success();
    assert!(ok, "ip {args:?}");
}

pub struct Lan {
    pub tag: String,
    nodes: Vec<String>,
    procs: Vec<(String, Child)>,
    pub dir: TempDir,
}

impl Lan {
    /// Nodes `a` (192.168.31.20) and `b` (.30) and a client `c` (.100) on one bridge.
    pub fn new(tag: &str) -> Lan {
        let tag = format!("vd{}{}", tag, std::process::id() % 100_000);
        let sw = format!("{tag}-sw");
        let mut lan = Lan { tag: tag.clone(), nodes: vec![sw.clone()], procs: Vec::new(), dir: TempDir::new(&tag) };
        ip(&["netns", "add", &sw]);
        ip(&["-n", &sw, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &sw, "link", "set", "br0", "up"]);
        for (name, addr) in [("a", "192.168.31.20/24"), ("b", "192.168.31.30/24"), ("c", "192.168.31.100/24")] {
            let ns = format!("{tag}-{name}");
            ip(&["netns", "add", &ns]);
            lan.nodes.push(ns.clone());
            let port = format!("p{name}");
            ip(&["-n", &ns, "link", "add", "enp0s3", "type", "veth", "peer", "name", &port, "netns", &sw]);
            ip(&["-n", &sw, "link", "set", &port, "master", "br0"]);
            ip(&["-n", &sw, "link", "set", &port, "up"]);
            ip(&["-n", &ns, "addr", "add", addr, "dev", "enp0s3"]);
            ip(&["-n", &ns, "link", "set", "enp0s3", "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        lan
    }

    pub fn ns(&self, node: &str) -> String {
        format!("{}-{node}", self.tag)
    }

    /// Runs `program args -f conf -p PID -r PID.vrrp` in `node`'s namespace, its log in the
    /// test directory (`node.log`), TMPDIR there too.
    fn spawn_daemon(&mut self, node: &str, program: &str, args: &[&str], conf: &std::path::Path, pid_name: &str) {
        let ns = self.ns(node);
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &ns, program]).args(args);
        if program == env!("CARGO_BIN_EXE_vrrpd") {
            command.arg("--control-socket").arg(self.control_socket(node));
        }
        self.spawn_logged(node, command, conf, pid_name);
    }

    /// Where `node`'s vrrpd listens for `vrrpd status` and friends (in the test directory:
    /// never the host's /run).
    pub fn control_socket(&self, node: &str) -> std::path::PathBuf {
        self.dir.0.join(format!("{node}.sock"))
    }

    /// `vrrpd VERB ARGS --control-socket node.sock`: (exit code, stdout, stderr).
    pub fn ctl(&self, node: &str, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
            .args(args)
            .arg("--control-socket")
            .arg(self.control_socket(node))
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
    }

    /// `command -f conf -p PID -r PID.vrrp` with stderr in `node.log` and TMPDIR in the test
    /// directory, removed with the LAN.
    fn spawn_logged(&mut self, node: &str, mut command: Command, conf: &std::path::Path, pid_name: &str) {
        let pid = self.dir.0.join(pid_name);
        let log = std::fs::File::create(self.dir.0.join(format!("{node}.log"))).unwrap();
        let child = command
            .arg("-f")
            .arg(conf)
            .arg("-p")
            .arg(&pid)
            .arg("-r")
            .arg(pid.with_extension("vrrp"))
            .env("TMPDIR", &self.dir.0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.procs.push((node.to_string(), child));
    }

    pub fn start(&mut self, node: &str, conf: &std::path::Path) {
        self.start_with_options(node, conf, &[]);
    }

    /// `start` with more command-line options (`-V`, ...).
    pub fn start_with_options(&mut self, node: &str, conf: &std::path::Path, extra: &[&str]) {
        let mut args = vec!["-n", "-l", "-D", "-G"];
        args.extend_from_slice(extra);
        self.spawn_daemon(node, env!("CARGO_BIN_EXE_vrrpd"), &args, conf, &format!("{node}.pid"));
    }

    /// vrrpd without `--control-socket` (the config's `control_socket`, or the default).
    pub fn start_plain(&mut self, node: &str, conf: &std::path::Path) {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.ns(node), env!("CARGO_BIN_EXE_vrrpd"), "-n", "-l", "-D", "-G"]);
        self.spawn_logged(node, command, conf, &format!("{node}.pid"));
    }

    /// vrrpd started in the test's own namespace with `-s NODE_NAMESPACE` (keepalived's
    /// `--namespace`): the daemon enters `node`'s namespace itself.
    pub fn start_with_namespace_option(&mut self, node: &str, conf: &std::path::Path) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vrrpd"));
        command.args(["-n", "-l", "-D", "-G", "-s", &self.ns(node)]);
        command.arg("--control-socket").arg(self.control_socket(node));
        self.spawn_logged(node, command, conf, &format!("{node}.pid"));
    }

    /// vrrpd inside a private mount namespace where /etc is a tmpfs holding `files`
    /// (path, content, executable): for configs that name scripts under /etc/keepalived.
    /// The host's /etc is never touched.
    pub fn start_with_etc(&mut self, node: &str, conf: &std::path::Path, files: &[(&str, &str)]) {
        let mut script = String::from("mount -t tmpfs vrrpd-test /etc && mkdir -p /etc/keepalived");
        for (path, content) in files {
            let staged = self.dir.write(&format!("etc-{node}-{}", path.replace('/', "_")), content);
            script.push_str(&format!(" && cp {} {path} && chmod 755 {path}", staged.display()));
        }
        // spawn_logged appends `-f conf -p PID -r PID.vrrp`: the script passes them on ("$@").
        script.push_str(&format!(
            " && exec {} -n -l -D -G --control-socket {} \"$@\"",
            env!("CARGO_BIN_EXE_vrrpd"),
            self.control_socket(node).display()
        ));
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.ns(node), "unshare", "--mount", "--propagation", "private"]);
        command.args(["sh", "-c", &script, "sh"]);
        self.spawn_logged(node, command, conf, &format!("{node}.pid"));
    }

    /// vrrpd in a new time namespace whose boot clock is `offset_secs` away from the host's
    /// (negative: a system booted later), so /proc/uptime says what the test wants
    /// (`vrrp_delay_after_boot`). unshare forks; `--kill-child` takes vrrpd with it.
    pub fn start_with_boottime(&mut self, node: &str, conf: &std::path::Path, offset_secs: i64) {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.ns(node), "unshare", "--time", "--fork", "--kill-child"]);
        command.arg(format!("--boottime={offset_secs}"));
        command.args([env!("CARGO_BIN_EXE_vrrpd"), "-n", "-l", "-D", "-G", "--control-socket"]);
        command.arg(self.control_socket(node));
        self.spawn_logged(node, command, conf, &format!("{node}.pid"));
    }

    /// Starts `ip -ts monitor address` in `node`'s namespace; read it with `vip_added_at`.
    pub fn monitor_addresses(&mut self, node: &str) -> std::path::PathBuf {
        let ns = self.ns(node);
        let out = self.observe(node, "monitor", &["-ts", "-n", &ns, "monitor", "address"], None);
        // `ip monitor` says nothing when it is listening: give it a moment.
        std::thread::sleep(Duration::from_millis(200));
        out
    }

    /// Starts `tcpdump -l -n -v FILTER` on `node`'s interface; its text output grows in the
    /// returned file. Returns once tcpdump says it is listening.
    pub fn capture(&mut self, node: &str, filter: &str) -> std::path::PathBuf {
        let ns = self.ns(node);
        self.observe(
            node,
            "tcpdump",
            &["netns", "exec", &ns, "tcpdump", "-l", "-n", "-v", "-i", "enp0s3", filter],
            Some("listening on"),
        )
    }

    /// Like [`Lan::capture`], with the Ethernet header (`-e`: source and destination MACs).
    pub fn capture_ethernet(&mut self, node: &str, filter: &str) -> std::path::PathBuf {
        self.capture_ethernet_on(node, "enp0s3", filter)
    }

    /// [`Lan::capture_ethernet`] on another interface of the node.
    pub fn capture_ethernet_on(&mut self, node: &str, dev: &str, filter: &str) -> std::path::PathBuf {
        let ns = self.ns(node);
        self.observe(
            node,
            &format!("tcpdump-e-{dev}"),
            &["netns", "exec", &ns, "tcpdump", "-l", "-n", "-e", "-i", dev, filter],
            Some("listening on"),
        )
    }

    /// Runs `ip ARGS` in the background, stdout to `node.WHAT` (returned), stderr to
    /// `node.WHAT.err`; with `ready`, waits until stderr says so. Removed with the LAN.
    fn observe(&mut self, node: &str, what: &str, args: &[&str], ready: Option<&str>) -> std::path::PathBuf {
        let out = self.dir.0.join(format!("{node}.{what}"));
        let err = self.dir.0.join(format!("{node}.{what}.err"));
        let child = Command::new("ip")
            .args(args)
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        self.procs.push((format!("{node}-{what}"), child));
        if let Some(ready) = ready {
            let said = |_: &Lan| std::fs::read_to_string(&err).is_ok_and(|t| t.contains(ready));
            self.wait(Duration::from_secs(5), said).unwrap_or_else(|| panic!("{what} in {node} never became ready"));
        }
        out
    }

    /// Debian's keepalived 2.2.7 as the peer (VRRP only, foreground, console log).
    pub fn start_keepalived(&mut self, node: &str, conf: &std::path::Path) {
        self.spawn_daemon(node, "keepalived", &["-n", "-l", "-D", "-P"], conf, &format!("{node}-ka.pid"));
    }

    /// Writes a config file into the test's directory.
    pub fn conf(&self, name: &str, text: &str) -> std::path::PathBuf {
        self.dir.write(name, text)
    }

    /// Makes `child` (named `name` for `pid`, `signal`, `wait_exit`) one of the LAN's
    /// processes: killed and reaped when the LAN is dropped.
    pub fn adopt(&mut self, name: &str, child: Child) {
        self.procs.push((name.to_string(), child));
    }

    pub fn pid(&self, node: &str) -> i32 {
        self.procs.iter().rev().find(|p| p.0 == node).unwrap().1.id() as i32
    }

    pub fn signal(&self, node: &str, sig: &str) {
        let ok = Command::new("kill").args(["-s", sig, &self.pid(node).to_string()]).status().unwrap().success();
        assert!(ok);
    }

    pub fn wait_exit(&mut self, node: &str, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        let child = &mut self.procs.iter_mut().rev().find(|p| p.0 == node).unwrap().1;
        while start.elapsed() < limit {
            if let Some(s) = child.try_wait().unwrap() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    /// `addr` (IPv4 or IPv6, without prefix) is on `node`'s enp0s3.
    pub fn has_addr(&self, node: &str, addr: &str) -> bool {
        let out = Command::new("ip").args(["-n", &self.ns(node), "addr", "show", "dev", "enp0s3"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).contains(&format!(" {addr}/"))
    }

    /// Waits until both nodes' link-local addresses have finished DAD (IPv6 adverts use them).
    pub fn wait_link_local(&self) {
        for node in ["a", "b"] {
            let ns = self.ns(node);
            let ready = self.wait(Duration::from_secs(5), |_| {
                let out = Command::new("ip")
                    .args(["-n", &ns, "-6", "addr", "show", "dev", "enp0s3", "scope", "link"])
                    .output()
                    .unwrap();
                let t = String::from_utf8_lossy(&out.stdout).to_string();
                t.contains("fe80::") && !t.contains("tentative")
            });
            assert!(ready.is_some(), "no link-local address on {node}");
        }
    }

    /// The client (node c) pings `addr` once; true when it answers.
    pub fn client_pings(&self, addr: &str) -> bool {
        let ping = Command::new("ip")
            .args(["netns", "exec", &self.ns("c"), "ping", "-c1", "-W1", addr])
            .stdout(Stdio::null())
            .status();
        ping.unwrap().success()
    }

    /// The client's neighbour entry for `addr`, as `ip neigh` prints it.
    pub fn client_neighbour(&self, addr: &str) -> String {
        let out = Command::new("ip").args(["-n", &self.ns("c"), "neigh", "show", addr]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn has_vip(&self, node: &str) -> bool {
        let out =
            Command::new("ip").args(["-n", &self.ns(node), "-4", "addr", "show", "dev", "enp0s3"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).contains(&format!("{VIP}/32"))
    }

    /// Polls `pred` every 2 ms; the time it first held, or None after `limit`.
    pub fn wait(&self, limit: Duration, mut pred: impl FnMut(&Lan) -> bool) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if pred(self) {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        None
    }

    pub fn log(&self, node: &str) -> String {
        std::fs::read_to_string(self.dir.0.join(format!("{node}.log"))).unwrap_or_default()
    }
}

/// Microseconds since midnight of a local time `HH:MM:SS.ffffff` (as `ip -ts` and
/// `date +%T.%6N` print it: the same clock and zone, so differences are exact).
pub fn day_micros(hms: &str) -> u64 {
    let (h, rest) = hms.split_once(':').unwrap();
    let (m, s) = rest.split_once(':').unwrap();
    let (s, f) = s.split_once('.').unwrap_or((s, "0"));
    let f = format!("{f:0<6}");
    ((h.parse::<u64>().unwrap() * 60 + m.parse::<u64>().unwrap()) * 60 + s.parse::<u64>().unwrap()) * 1_000_000
        + f[..6].parse::<u64>().unwrap()
}

/// The local time now, as `date` prints it.
pub fn now_hms() -> String {
    let out = Command::new("date").arg("+%T.%6N").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// When `ip -ts monitor` first saw `addr` added (local time of day, microseconds).
pub fn added_at(monitor: &std::path::Path, addr: &str) -> Option<u64> {
    added_at_after(monitor, addr, 0)
}

/// When `ip -ts monitor` first saw `addr` added at or after `after` (time of day, us): an
/// earlier addition (a backup that won a start-up race for a moment) does not count.
pub fn added_at_after(monitor: &std::path::Path, addr: &str, after: u64) -> Option<u64> {
    let text = std::fs::read_to_string(monitor).ok()?;
    for line in text.lines() {
        // "[2026-11-25T15:11:00.123456] 3: enp0s3    inet 192.168.31.240/32 scope global enp0s3"
        if line.contains(&format!("inet {addr}/")) && !line.contains("Deleted") {
            let ts = line.split(']').next()?.split('T').nth(1)?;
            let at = day_micros(ts);
            if at >= after {
                return Some(at);
            }
        }
    }
    None
}

impl Drop for Lan {
    fn drop(&mut self) {
        for (_, c) in &mut self.procs {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Anything else still inside (keepalived's forked VRRP child, scripts): kill it and
        // wait, bounded, until each namespace is empty before deleting it.
        for ns in &self.nodes {
            let deadline = Instant::now() + Duration::from_secs(3);
            loop {
                let out = Command::new("ip").args(["netns", "pids", ns]).output();
                let pids: Vec<String> = out
                    .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default();
                if pids.is_empty() || Instant::now() > deadline {
                    break;
                }
                let _ = Command::new("kill").arg("-9").args(&pids).status();
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
