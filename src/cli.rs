//! keepalived's command line, parsed by hand with getopt_long's rules: bundled short flags
//! (`-nlD`), `-fFILE` / `-f FILE`, `--opt=VALUE` / `--opt VALUE`, optional values only attached
//! (`-t=FILE` is not valid for getopt, `-tFILE` and `--config-test=FILE` are), unique long
//! prefixes (`--use` for `--use-file`), and `--` ending the options.
use std::fmt;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";
pub const DEFAULT_PID_FILE: &str = "/run/keepalived.pid";
pub const DEFAULT_VRRP_PID_FILE: &str = "/run/keepalived_vrrp.pid";

/// The control socket's path when neither `--control-socket` nor `control_socket` gives one:
/// beside keepalived's pid files, `/run/vrrpd.sock`, in `/run/keepalived/NAME/` with `-s NAME`,
/// `vrrpd_ID.sock` with `-i ID`.
pub fn default_control_socket(namespace: Option<&str>, config_id: Option<&str>) -> PathBuf {
    let file = match config_id {
        Some(id) => format!("vrrpd_{id}.sock"),
        None => "vrrpd.sock".to_string(),
    };
    match namespace {
        Some(ns) => PathBuf::from("/run/keepalived").join(ns).join(file),
        None => PathBuf::from("/run").join(file),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub config_file: PathBuf,
    /// `-t[FILE]`: test the configuration; Some(Some(f)) writes the report to f.
    pub config_test: Option<Option<PathBuf>>,
    pub dump_conf: bool,
    pub config_id: Option<String>,
    pub all_config: bool,
    pub dont_fork: bool,
    pub log_console: bool,
    pub log_detail: bool,
    pub log_facility: u8,
    pub log_file: Option<PathBuf>,
    pub flush_log_file: bool,
    pub no_syslog: bool,
    pub release_vips: bool,
    pub dont_release_vrrp: bool,
    pub dont_respawn: bool,
    pub pid_file: PathBuf,
    pub vrrp_pid_file: PathBuf,
    pub address_monitoring: bool,
    pub namespace: Option<String>,
    pub umask: Option<u32>,
    pub core_dump: bool,
    pub signum: Option<String>,
    /// `--control-socket=PATH` (`none`: no socket).
    pub control_socket: Option<PathBuf>,
    /// `--metrics-listen=ADDR:PORT`.
    pub metrics_listen: Option<std::net::SocketAddr>,
    pub version: bool,
    pub help: bool,
    /// Options accepted for compatibility that have no effect in vrrpd (LVS, BFD, SNMP...).
    pub ignored: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config_file: PathBuf::from(DEFAULT_CONFIG),
            config_test: None,
            dump_conf: false,
            config_id: None,
            all_config: false,
            dont_fork: false,
            log_console: false,
            log_detail: false,
            log_facility: 3, // LOG_DAEMON >> 3, keepalived's default
            log_file: None,
            flush_log_file: false,
            no_syslog: false,
            release_vips: false,
            dont_release_vrrp: false,
            dont_respawn: false,
            pid_file: PathBuf::from(DEFAULT_PID_FILE),
            vrrp_pid_file: PathBuf::from(DEFAULT_VRRP_PID_FILE),
            address_monitoring: false,
            namespace: None,
            umask: None,
            core_dump: false,
            signum: None,
            control_socket: None,
            metrics_listen: None,
            version: false,
            help: false,
            ignored: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    UnknownOption(String),
    AmbiguousOption(String),
    MissingValue(String),
    UnexpectedValue(String),
    BadValue { option: String, value: String, expected: &'static str },
    UnexpectedArgument(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::UnknownOption(o) => write!(f, "unrecognized option '{o}'"),
            CliError::AmbiguousOption(o) => write!(f, "option '{o}' is ambiguous"),
            CliError::MissingValue(o) => write!(f, "option '{o}' requires an argument"),
            CliError::UnexpectedValue(o) => write!(f, "option '{o}' doesn't allow an argument"),
            CliError::BadValue { option, value, expected } => {
                write!(f, "invalid value '{value}' for option '{option}': expected {expected}")
            }
            CliError::UnexpectedArgument(a) => write!(f, "unexpected argument '{a}'"),
        }
    }
}

impl std::error::Error for CliError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    None,
    Required,
    Optional,
}

/// (long name, short letter, argument kind). The one table of options.
const OPTIONS: &[(&str, Option<char>, Arg)] = &[
    ("use-file", Some('f'), Arg::Required),
    ("config-test", Some('t'), Arg::Optional),
    ("dump-conf", Some('d'), Arg::None),
    ("config-id", Some('i'), Arg::Required),
    ("all-config", Some('e'), Arg::None),
    ("dont-fork", Some('n'), Arg::None),
    ("log-console", Some('l'), Arg::None),
    ("log-detail", Some('D'), Arg::None),
    ("log-facility", Some('S'), Arg::Required),
    ("log-file", Some('g'), Arg::Optional),
    ("flush-log-file", None, Arg::None),
    ("no-syslog", Some('G'), Arg::None),
    ("release-vips", Some('X'), Arg::None),
    ("dont-release-vrrp", Some('V'), Arg::None),
    ("dont-release-ipvs", Some('I'), Arg::None),
    ("dont-respawn", Some('R'), Arg::None),
    ("pid", Some('p'), Arg::Required),
    ("vrrp_pid", Some('r'), Arg::Required),
    ("checkers_pid", Some('c'), Arg::Required),
    ("bfd_pid", Some('b'), Arg::Required),
    ("address-monitoring", Some('a'), Arg::None),
    ("namespace", Some('s'), Arg::Required),
    ("umask", Some('u'), Arg::Required),
    ("core-dump", Some('m'), Arg::None),
    ("core-dump-pattern", Some('M'), Arg::Optional),
    ("vrrp", Some('P'), Arg::None),
    ("check", Some('C'), Arg::None),
    ("no_bfd", Some('B'), Arg::None),
    ("all", None, Arg::None),
    ("snmp", Some('x'), Arg::None),
    ("snmp-agent-socket", Some('A'), Arg::Required),
    ("signum", None, Arg::Required),
    ("control-socket", None, Arg::Required),
    ("metrics-listen", None, Arg::Required),
    ("version", Some('v'), Arg::None),
    ("help", Some('h'), Arg::None),
    ("debug", None, Arg::Optional),
    ("no-mem-check", None, Arg::None),
    ("ignore-sigint", None, Arg::None),
    ("perf", None, Arg::Optional),
];

pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Options, CliError> {
    let mut o = Options::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        if a == "--" {
            if let Some(extra) = it.next() {
                return Err(CliError::UnexpectedArgument(extra));
            }
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let (full, kind) = find_long(name)?;
            let value = match (kind, attached) {
                (Arg::None, Some(_)) => return Err(CliError::UnexpectedValue(format!("--{full}"))),
                (Arg::None, None) => None,
                (Arg::Optional, v) => v,
                (Arg::Required, Some(v)) => Some(v),
                (Arg::Required, None) => Some(it.next().ok_or_else(|| CliError::MissingValue(format!("--{full}")))?),
            };
            apply(&mut o, full, value)?;
        } else if a.len() > 1 && a.starts_with('-') {
            let chars: Vec<char> = a[1..].chars().collect();
            let mut i = 0;
            while i < chars.len() {
                let c = chars[i];
                let (full, kind) = OPTIONS
                    .iter()
                    .find(|(_, s, _)| *s == Some(c))
                    .map(|(l, _, k)| (*l, *k))
                    .ok_or_else(|| CliError::UnknownOption(format!("-{c}")))?;
                let rest: String = chars[i + 1..].iter().collect();
                match kind {
                    Arg::None => {
                        apply(&mut o, full, None)?;
                        i += 1;
                        continue;
                    }
                    Arg::Optional => apply(&mut o, full, (!rest.is_empty()).then_some(rest))?,
                    Arg::Required => {
                        let v = if rest.is_empty() {
                            it.next().ok_or_else(|| CliError::MissingValue(format!("-{c}")))?
                        } else {
                            rest
                        };
                        apply(&mut o, full, Some(v))?;
                    }
                }
                break;
            }
        } else {
            return Err(CliError::UnexpectedArgument(a));
        }
    }
    if let Some(ns) = &o.namespace {
        // keepalived keeps a namespaced instance's pid files in /run/keepalived/NAME (its
        // private mount of that directory); -p / -r still win.
        let dir = PathBuf::from("/run/keepalived").join(ns);
        if o.pid_file == Path::new(DEFAULT_PID_FILE) {
            o.pid_file = dir.join("keepalived.pid");
        }
        if o.vrrp_pid_file == Path::new(DEFAULT_VRRP_PID_FILE) {
            o.vrrp_pid_file = dir.join("vrrp.pid");
        }
    }
    Ok(o)
}

fn find_long(name: &str) -> Result<(&'static str, Arg), CliError> {
    if let Some((l, _, k)) = OPTIONS.iter().find(|(l, _, _)| *l == name) {
        return Ok((l, *k));
    }
    let mut hits = OPTIONS.iter().filter(|(l, _, _)| !name.is_empty() && l.starts_with(name));
    match (hits.next(), hits.next()) {
        (Some((l, _, k)), None) => Ok((l, *k)),
        (Some(_), Some(_)) => Err(CliError::AmbiguousOption(format!("--{name}"))),
        _ => Err(CliError::UnknownOption(format!("--{name}"))),
    }
}

/// keepalived -S: 0-7 (local0-7), or a name.
fn facility(v: &str) -> Option<u8> {
    match v {
        "user" => return Some(1),
        "daemon" => return Some(3),
        _ => {}
    }
    let n = v.strip_prefix("local").unwrap_or(v);
    match n.parse::<u8>() {
        Ok(x) if x <= 7 => Some(16 + x),
        _ => None,
    }
}

fn apply(o: &mut Options, name: &'static str, value: Option<String>) -> Result<(), CliError> {
    let v = || value.clone().unwrap_or_default();
    match name {
        "use-file" => o.config_file = PathBuf::from(v()),
        "config-test" => o.config_test = Some(value.map(PathBuf::from)),
        "dump-conf" => o.dump_conf = true,
        "config-id" => o.config_id = Some(v()),
        "all-config" => o.all_config = true,
        "dont-fork" => o.dont_fork = true,
        "log-console" => o.log_console = true,
        "log-detail" => o.log_detail = true,
        "log-facility" => {
            o.log_facility = facility(&v()).ok_or(CliError::BadValue {
                option: "-S".into(),
                value: v(),
                expected: "0-7, local0-7, user or daemon",
            })?
        }
        // keepalived's own log file: vrrpd logs to syslog and the console only, and says so.
        "log-file" => {
            o.log_file = value.map(PathBuf::from);
            o.ignored.push("log-file".into());
        }
        "flush-log-file" => {
            o.flush_log_file = true;
            o.ignored.push("flush-log-file".into());
        }
        "no-syslog" => o.no_syslog = true,
        "release-vips" => o.release_vips = true,
        "dont-release-vrrp" => o.dont_release_vrrp = true,
        "dont-respawn" => o.dont_respawn = true,
        "pid" => o.pid_file = PathBuf::from(v()),
        "vrrp_pid" => o.vrrp_pid_file = PathBuf::from(v()),
        "address-monitoring" => o.address_monitoring = true,
        "namespace" => {
            // A name under /run/netns, as `ip netns add` makes them.
            let name = v();
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                return Err(CliError::BadValue {
                    option: "--namespace".into(),
                    value: name,
                    expected: "a network namespace name (ip netns list)",
                });
            }
            o.namespace = Some(name);
        }
        "umask" => {
            let s = v();
            let parsed = match s.strip_prefix("0x") {
                Some(h) => u32::from_str_radix(h, 16),
                None if s.starts_with('0') && s.len() > 1 => u32::from_str_radix(&s[1..], 8),
                None => s.parse(),
            };
            o.umask = Some(parsed.ok().filter(|m| *m <= 0o777).ok_or(CliError::BadValue {
                option: "-u".into(),
                value: s,
                expected: "a mode such as 0177",
            })?);
        }
        "core-dump" => o.core_dump = true,
        "signum" => o.signum = Some(v()),
        "control-socket" => o.control_socket = Some(PathBuf::from(v())),
        "metrics-listen" => {
            o.metrics_listen = Some(v().parse().map_err(|_| CliError::BadValue {
                option: "--metrics-listen".into(),
                value: v(),
                expected: "ADDR:PORT, such as 127.0.0.1:9650 or [::1]:9650",
            })?)
        }
        "version" => o.version = true,
        "help" => o.help = true,
        // Subsystem selection and debugging options of keepalived builds: vrrpd is VRRP only.
        other => o.ignored.push(other.to_string()),
    }
    Ok(())
}

pub const USAGE: &str = "Usage: vrrpd [OPTION...]
A keepalived-compatible VRRP agent. Options use keepalived's spelling.
  -f, --use-file=FILE          Use the specified configuration file
                                (default /etc/keepalived/keepalived.conf)
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr (or LOG_FILE) and exit: 0 OK, 4 cannot run,
                                5 something is not used as written, 6 scripts run
                                without enable_script_security
  -d, --dump-conf              Print the effective configuration (after defaults and
                                corrections) to stdout
  -i, --config-id ID           Select @ID configuration lines (default: host name up to
                                the first dot)
  -e, --all-config             A missing include file is an error
  -n, --dont-fork              Don't fork the daemon process
  -l, --log-console            Log messages to the console as well
  -D, --log-detail             Detailed log messages
  -S, --log-facility=[0-7]     Syslog facility LOG_LOCAL[0-7] (default LOG_DAEMON)
  -G, --no-syslog              Don't log via syslog
  -X, --release-vips           Drop VIP on transition from signal
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop
  -R, --dont-respawn           Don't respawn child processes (accepted)
  -p, --pid=FILE               Use specified pidfile (default /run/keepalived.pid)
  -r, --vrrp_pid=FILE          Use specified pidfile for the VRRP process
  -a, --address-monitoring     Report all address additions/deletions notified by netlink
  -s, --namespace=NAME         Run in network namespace NAME
  -u, --umask=MASK             Umask for file creation (default 0177)
  -m, --core-dump              Produce core dump if terminate abnormally
      --signum=SIGFUNC         Print the signal number for STOP, RELOAD, DATA, STATS,
                                STATS_CLEAR, JSON
      --control-socket=PATH    The control socket (default /run/vrrpd.sock; none: off)
      --metrics-listen=ADDR:PORT  Serve GET /metrics there (default: off)
  -P, -C, -B, --all, -x, -I    Accepted for compatibility (vrrpd is VRRP only)
  -v, --version                Display the version number
  -h, --help                   Display this help message

Subcommands (they talk to the running daemon through its control socket; -s, -i and
--control-socket choose which daemon):
  vrrpd status [INSTANCE] [--json]   Each instance's state, why, priorities, VIPs
  vrrpd events [--json]              Stream what happens, one numbered line each
  vrrpd demote INSTANCE|--all [--for DURATION] [--force] [--persist]
                                     Hand mastership over and stay out (root only);
                                     --persist: also after a restart of the daemon
  vrrpd promote INSTANCE|--all       End a demotion (root only)
  vrrpd metrics [--openmetrics]      The Prometheus metrics

Checking configurations (no daemon involved; exit 0 clean, 1 warnings, 2 errors that
break failover, 4 a file does not load, 64 a bad command line or scenario):
  vrrpd check [--json] [-i ID] [--simulate] [--scenario SCRIPT|@FILE] NODE.conf|ID=FILE...
                                     Lint each node, cross-check every virtual router;
                                     --simulate: run the failover scenarios on a
                                     simulated LAN; --scenario: timed events such as
                                     'kill n1 at 10s; start n1 at 30s'
  vrrpd simulate ...                 vrrpd check --simulate ...
";

/// The verbs that check configurations without a daemon (`src/check/`).
pub const CHECK_VERBS: &[&str] = &["check", "simulate"];

/// `vrrpd check ...` / `vrrpd simulate ...`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckCommand {
    pub json: bool,
    pub simulate: bool,
    /// The `--scenario` text, or `@FILE` to read it from.
    pub scenario: Option<String>,
    /// `-i ID`: the config id of every node without its own (`ID=FILE`).
    pub config_id: Option<String>,
    /// Each node: its `ID=` if given, and its file.
    pub nodes: Vec<(Option<String>, PathBuf)>,
}

/// Parses `check|simulate ARG...` (after the program name).
pub fn parse_check(verb: &str, args: &[String]) -> Result<CheckCommand, CliError> {
    let mut c = CheckCommand { simulate: verb == "simulate", ..Default::default() };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, attached) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut take = |name: &str| {
            attached
                .clone()
                .map(Ok)
                .unwrap_or_else(|| it.next().cloned().ok_or_else(|| CliError::MissingValue(name.to_string())))
        };
        match flag {
            "--json" => c.json = true,
            "--simulate" => c.simulate = true,
            "--scenario" => c.scenario = Some(take(flag)?),
            "-i" | "--config-id" => c.config_id = Some(take(flag)?),
            other if other.starts_with('-') => return Err(CliError::UnknownOption(other.to_string())),
            node => match node.split_once('=') {
                // `ID=FILE`: a file of `@ID` lines serving several nodes.
                Some((id, file)) if !id.is_empty() && !id.contains('/') => {
                    c.nodes.push((Some(id.to_string()), PathBuf::from(file)))
                }
                _ => c.nodes.push((None, PathBuf::from(node))),
            },
        }
    }
    if c.nodes.is_empty() {
        return Err(CliError::MissingValue(format!("{verb} NODE.conf")));
    }
    Ok(c)
}

/// A `vrrpd VERB ...` command for the running daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subcommand {
    /// The request line sent on the control socket.
    pub request: String,
    /// Where the daemon listens.
    pub socket: PathBuf,
}

/// The verbs that make `vrrpd` a client.
pub const VERBS: &[&str] = &["status", "events", "demote", "promote", "metrics"];

/// `2s`, `1.5s`, `500ms`, `5m`, `1h`, or plain seconds, as microseconds.
pub fn duration(s: &str) -> Option<u64> {
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1_000.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1_000_000.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000_000.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3_600_000_000.0)
    } else {
        (s, 1_000_000.0)
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v > 0.0 && v * scale < 1e15).then_some((v * scale) as u64)
}

/// Parses `VERB ARG...` (after the program name).
pub fn parse_subcommand(verb: &str, args: &[String]) -> Result<Subcommand, CliError> {
    let mut words = vec![verb.to_string()];
    let (mut namespace, mut config_id, mut socket) = (None, None, None);
    let mut it = args.iter();
    let mut positional = 0;
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| CliError::MissingValue(name.to_string()));
        let (flag, attached) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut take = |name: &str| attached.clone().map(Ok).unwrap_or_else(|| value(name));
        match (verb, flag) {
            (_, "-s" | "--namespace") => namespace = Some(take(flag)?),
            (_, "-i" | "--config-id") => config_id = Some(take(flag)?),
            (_, "--control-socket") => socket = Some(PathBuf::from(take(flag)?)),
            ("status" | "events", "--json") => words.push("json".into()),
            ("metrics", "--openmetrics") => words.push("openmetrics".into()),
            ("demote" | "promote", "--all") => words.push("all".into()),
            ("demote", "--force") => words.push("force".into()),
            ("demote", "--persist") => words.push("persist".into()),
            ("demote", "--for") => {
                let v = take(flag)?;
                let us = duration(&v).ok_or(CliError::BadValue {
                    option: "--for".into(),
                    value: v,
                    expected: "a duration such as 90s, 5m or 1h",
                })?;
                words.push(format!("for={us}"));
            }
            ("status" | "demote" | "promote", name) if !name.starts_with('-') && positional == 0 => {
                positional += 1;
                words.push(format!("instance={name}"));
            }
            (_, other) if other.starts_with('-') => return Err(CliError::UnknownOption(other.to_string())),
            (_, other) => return Err(CliError::UnexpectedArgument(other.to_string())),
        }
    }
    let socket = socket.unwrap_or_else(|| default_control_socket(namespace.as_deref(), config_id.as_deref()));
    Ok(Subcommand { request: words.join(" "), socket })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_takes_nodes_ids_and_its_options() {
        let args: Vec<String> = ["--json", "-i", "lb", "a.conf", "n2=all.conf", "--scenario=kill a at 1s"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let c = parse_check("check", &args).unwrap();
        assert!(c.json && !c.simulate);
        assert_eq!(c.config_id.as_deref(), Some("lb"));
        assert_eq!(c.scenario.as_deref(), Some("kill a at 1s"));
        assert_eq!(c.nodes, [(None, PathBuf::from("a.conf")), (Some("n2".into()), PathBuf::from("all.conf"))]);
        assert!(parse_check("simulate", &["x.conf".to_string()]).unwrap().simulate);
        assert!(parse_check("check", &[]).is_err());
        assert_eq!(parse_check("check", &["--bogus".to_string()]), Err(CliError::UnknownOption("--bogus".into())));
    }

    fn p(args: &[&str]) -> Result<Options, CliError> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn keepalived_spellings() {
        let o = p(&["-t", "-f", "/x.conf", "-d"]).unwrap();
        assert_eq!(o.config_test, Some(None));
        assert_eq!(o.config_file, PathBuf::from("/x.conf"));
        assert!(o.dump_conf);
        let o = p(&["--use-file=/y.conf", "--config-test=/tmp/log", "--config-id", "r1"]).unwrap();
        assert_eq!(o.config_file, PathBuf::from("/y.conf"));
        assert_eq!(o.config_test, Some(Some(PathBuf::from("/tmp/log"))));
        assert_eq!(o.config_id.as_deref(), Some("r1"));
    }

    #[test]
    fn a_namespace_moves_the_default_pid_files_only() {
        let o = p(&["-s", "blue"]).unwrap();
        assert_eq!(o.namespace.as_deref(), Some("blue"));
        assert_eq!(o.pid_file, PathBuf::from("/run/keepalived/blue/keepalived.pid"));
        assert_eq!(o.vrrp_pid_file, PathBuf::from("/run/keepalived/blue/vrrp.pid"));
        let o = p(&["--namespace=blue", "-p", "/tmp/k.pid"]).unwrap();
        assert_eq!(o.pid_file, PathBuf::from("/tmp/k.pid"));
        assert_eq!(o.vrrp_pid_file, PathBuf::from("/run/keepalived/blue/vrrp.pid"));
        assert!(matches!(p(&["-s", "../etc"]), Err(CliError::BadValue { .. })));
        assert!(matches!(p(&["-s", ""]), Err(CliError::BadValue { .. })));
    }

    #[test]
    fn bundles_and_attached_values() {
        let o = p(&["-nlDf/z.conf"]).unwrap();
        assert!(o.dont_fork && o.log_console && o.log_detail);
        assert_eq!(o.config_file, PathBuf::from("/z.conf"));
        let o = p(&["-tlog"]).unwrap();
        assert_eq!(o.config_test, Some(Some(PathBuf::from("log"))));
        assert_eq!(p(&["-S", "local3"]).unwrap().log_facility, 19);
        assert_eq!(p(&["-u", "0177"]).unwrap().umask, Some(0o177));
    }

    #[test]
    fn long_prefixes_and_errors() {
        assert!(p(&["--dump"]).unwrap().dump_conf);
        assert_eq!(p(&["--d"]), Err(CliError::AmbiguousOption("--d".into())));
        assert_eq!(p(&["-Z"]), Err(CliError::UnknownOption("-Z".into())));
        assert_eq!(p(&["-f"]), Err(CliError::MissingValue("-f".into())));
        assert_eq!(p(&["--dump-conf=x"]), Err(CliError::UnexpectedValue("--dump-conf".into())));
        assert_eq!(p(&["stray"]), Err(CliError::UnexpectedArgument("stray".into())));
        assert!(matches!(p(&["-S", "9"]), Err(CliError::BadValue { .. })));
    }

    #[test]
    fn subcommands_become_request_lines() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let s = parse_subcommand("status", &args(&["VI_1", "--json"])).unwrap();
        assert_eq!(s.request, "status instance=VI_1 json");
        assert_eq!(s.socket, PathBuf::from("/run/vrrpd.sock"));
        let s = parse_subcommand("demote", &args(&["--all", "--for", "90s", "--force", "-s", "blue"])).unwrap();
        assert_eq!(s.request, "demote all for=90000000 force");
        assert_eq!(s.socket, PathBuf::from("/run/keepalived/blue/vrrpd.sock"));
        let s = parse_subcommand("promote", &args(&["VI_1", "-i", "r1"])).unwrap();
        assert_eq!(s.socket, PathBuf::from("/run/vrrpd_r1.sock"));
        let s = parse_subcommand("events", &args(&["--control-socket=/tmp/c.sock"])).unwrap();
        assert_eq!((s.request.as_str(), s.socket), ("events", PathBuf::from("/tmp/c.sock")));
        assert!(parse_subcommand("events", &args(&["VI_1"])).is_err(), "events takes no instance");
        assert!(parse_subcommand("demote", &args(&["--for", "soon"])).is_err());
        assert!(parse_subcommand("status", &args(&["--force"])).is_err());
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(duration("90s"), Some(90_000_000));
        assert_eq!(duration("500ms"), Some(500_000));
        assert_eq!(duration("5m"), Some(300_000_000));
        assert_eq!(duration("1.5"), Some(1_500_000));
        assert_eq!(duration("0"), None);
        assert_eq!(duration("-3s"), None);
    }

    #[test]
    fn compatibility_options_are_accepted() {
        let o =
            p(&["-P", "-C", "--all", "-x", "-I", "-R", "-V", "-X", "-p", "/run/a.pid", "-r", "/run/b.pid"]).unwrap();
        assert!(o.dont_respawn && o.dont_release_vrrp && o.release_vips);
        assert_eq!(o.pid_file, PathBuf::from("/run/a.pid"));
        assert_eq!(o.ignored, ["vrrp", "check", "all", "snmp", "dont-release-ipvs"]);
        let o = p(&["-g/var/log/k.log", "--flush-log-file"]).unwrap();
        assert_eq!(o.ignored, ["log-file", "flush-log-file"], "logged as having no effect");
    }
}
