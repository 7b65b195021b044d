//! Keyword handlers: walk the statement tree and fill drafts of the typed model, reporting every
//! value that is not used as written. Defaults, cross-references and keepalived's
//! auto-corrections that need the whole file are applied afterwards in `complete.rs`.
use super::argv;
use super::diag::{Diagnostics, Location};
use super::model::*;
use super::tree::Stmt;
use super::value::{self, ValueError};
use std::collections::HashSet;
use std::net::IpAddr;

/// A tracker reference before the tracker's own weight is known.
#[derive(Debug, Clone)]
pub struct TrackDraft {
    pub name: String,
    pub weight: Option<i32>,
    pub reverse: Option<bool>,
    pub loc: Location,
}

#[derive(Debug, Default, Clone)]
pub struct GarpDraft {
    pub master_delay: Option<Micros>,
    pub master_repeat: Option<u32>,
    pub master_refresh: Option<Micros>,
    pub master_refresh_repeat: Option<u32>,
    pub lower_prio_delay: Option<Micros>,
    pub lower_prio_repeat: Option<u32>,
    /// `garp_extra_if [all] DELAY`: (DELAY, all).
    pub extra_if: Option<(Micros, bool)>,
}

#[derive(Debug)]
pub struct InstanceDraft {
    pub name: String,
    pub loc: Location,
    pub state: Option<(InitialState, Location)>,
    pub interface: Option<(String, Location)>,
    pub vrid: Option<(u8, Location)>,
    pub priority: Option<(u8, Location)>,
    pub advert_int: Option<(Micros, Location)>,
    pub version: Option<(u8, Location)>,
    pub auth: Option<(AuthDraft, Location)>,
    pub vips: Vec<Vip>,
    pub excluded_vips: Vec<Vip>,
    pub no_virtual_ipaddress: bool,
    pub native_ipv6: bool,
    pub track_scripts: Vec<TrackDraft>,
    pub track_interfaces: Vec<TrackDraft>,
    pub track_files: Vec<TrackDraft>,
    pub track_processes: Vec<TrackDraft>,
    pub dont_track_primary: bool,
    pub nopreempt: Option<Location>,
    pub preempt_delay: Option<(Micros, Location)>,
    pub unicast_peers: Vec<(UnicastPeer, Location)>,
    pub unicast_block: Option<Location>,
    pub unicast_src: Option<(IpAddr, Location)>,
    pub unicast_fault_no_peer: bool,
    pub unicast_ttl: Option<u8>,
    pub check_unicast_src: Option<bool>,
    pub mcast_dst: Option<(IpAddr, Location)>,
    pub track_src_ip: bool,
    pub notify: Notifies,
    pub notify_priority_changes: Option<bool>,
    pub garp: GarpDraft,
    pub lower_prio_no_advert: Option<bool>,
    pub higher_prio_send_advert: Option<bool>,
    pub down_timer_adverts: Option<u32>,
    pub strict: Option<bool>,
    pub skip_check_adv_addr: Option<bool>,
    pub v3_checksum_as_v2: Option<bool>,
    pub owner_ignore_adverts: Option<bool>,
    /// `timer_expired_backup [PRIORITY]`: the highest other priority and where it was written.
    pub timer_expired_backup: Option<(u8, Location)>,
    pub routes: Vec<Route>,
    pub rules: Vec<Rule>,
    pub promote_secondaries: bool,
    /// `auth_pass` as written, `strict_mode` and `accept` locations, for `vrrpd check`.
    pub auth_pass: Option<(String, Location)>,
    pub strict_loc: Option<Location>,
    pub accept_loc: Option<Location>,
    /// `use_vmac [NAME] [MAC]` as written.
    pub use_vmac: Option<VmacDraft>,
    pub vmac_xmit_base: bool,
    pub use_vmac_addr: bool,
}

/// `use_vmac [NAME] [MAC]`: the name, the MAC (with "the VRID is the sixth octet").
#[derive(Debug, Clone)]
pub struct VmacDraft {
    pub name: Option<String>,
    pub mac: Option<([u8; 6], bool)>,
}

#[derive(Debug, Clone)]
pub enum AuthDraft {
    Pass([u8; 8]),
    /// `auth_type AH` with its key, the `auth_pass` zero-padded to 8 bytes (None: no
    /// `auth_pass`, and keepalived ignores AH without one).
    Ah(Option<[u8; 8]>),
}

#[derive(Debug)]
pub struct ScriptDraft {
    pub name: String,
    pub loc: Location,
    pub command: Option<Command>,
    pub interval: Micros,
    pub timeout: Option<Micros>,
    pub weight: i32,
    pub reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub user: Option<RunAs>,
    pub init_fail: bool,
}

#[derive(Debug)]
pub struct GroupDraft {
    pub name: String,
    pub loc: Location,
    pub members: Vec<(String, Location)>,
    pub track_scripts: Vec<TrackDraft>,
    pub track_interfaces: Vec<TrackDraft>,
    pub track_files: Vec<TrackDraft>,
    pub track_processes: Vec<TrackDraft>,
    pub notify: Notifies,
    pub tracking_weight: bool,
}

#[derive(Debug)]
pub struct TrackFileDraft {
    pub name: String,
    pub loc: Location,
    pub path: Option<String>,
    pub weight: i32,
    pub reverse: bool,
    pub init: Option<(i64, bool)>,
}

/// Everything read from the file, before completion.
#[derive(Default)]
pub struct Drafts {
    pub global: GlobalDefs,
    /// global_defs keywords that were written explicitly (some defaults depend on others).
    pub global_set: HashSet<&'static str>,
    pub scripts: Vec<ScriptDraft>,
    pub track_files: Vec<TrackFileDraft>,
    /// As written; one without a `process` (empty) is removed in `complete.rs`.
    pub track_processes: Vec<TrackProcess>,
    pub instances: Vec<InstanceDraft>,
    pub groups: Vec<GroupDraft>,
    pub delays: Vec<InterfaceDelay>,
    /// Where notify_fifo and vrrp_notify_fifo were written.
    pub fifo_locs: [Option<Location>; 2],
    /// static_ipaddress, static_routes and static_rules lines, in [`Config::statics`] order.
    pub statics: Vec<Static>,
    pub garp_groups: Vec<GarpGroup>,
}

/// Subsystems vrrpd does not implement: their keywords and blocks are skipped whole, with one
/// warning each. Matched by prefix.
const UNSUPPORTED_PREFIXES: &[(&str, &str)] = &[
    ("virtual_server", "LVS"),
    ("real_server", "LVS"),
    ("lvs_", "LVS"),
    ("checker", "LVS"),
    ("linkbeat", "linkbeat"),
    ("bfd", "BFD"),
    ("track_bfd", "BFD"),
    ("smtp", "SMTP"),
    ("notification_email", "SMTP"),
    ("no_email_faults", "SMTP"),
    ("enable_snmp", "SNMP"),
    ("snmp_", "SNMP"),
    ("enable_traps", "SNMP"),
    ("enable_dbus", "DBus"),
    ("dbus_", "DBus"),
    ("vrrp_iptables", "firewall"),
    ("vrrp_ipsets", "firewall"),
    ("nftables", "firewall"),
    ("vrrp_nftables", "firewall"),
    ("track_group", "static tracking groups"),
    ("net_namespace", "network namespaces"),
    ("namespace_with_ipsets", "network namespaces"),
    ("instance", "named instances"),
    ("use_pid_dir", "named instances"),
    ("child_wait_time", "process supervision"),
    ("vmac_", "VMAC"),
    ("use_ipvlan", "VMAC"),
    ("disable_local_igmp", "VMAC"),
    ("vrf", "VRF"),
];

/// global_defs tuning keywords accepted without effect in vrrpd (one warning each).
const IGNORED_GLOBALS: &[&str] = &[
    "vrrp_priority",
    "vrrp_no_swap",
    "vrrp_rt_priority",
    "vrrp_cpu_affinity",
    "vrrp_rlimit_rttime",
    "max_auto_priority",
    "min_auto_priority_delay",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier",
    "process_names",
    "process_name",
    "vrrp_process_name",
    "umask",
    "random_seed",
    "tmp_config_directory",
    "data_use_instance",
    "reload_check_config",
    "reload_time_file",
    "reload_repeat",
    "reload_file",
    "include_check",
    "config_save_dir",
    "use_symlink_paths",
    "set_supplementary_groups",
    "iproute_usr_dir",
    "iproute_etc_dir",
    "startup_script",
    "startup_script_timeout",
    "shutdown_script",
    "shutdown_script_timeout",
    "script_security_strict",
    "no_checker_emails",
    "vrrp_startup_delay_disabled",
];

/// Options of virtual_routes / virtual_rules entries that take a value.
const ROUTE_OPTIONS: &[&str] = &[
    "src",
    "via",
    "gw",
    "or",
    "dev",
    "oif",
    "table",
    "metric",
    "preference",
    "priority",
    "scope",
    "proto",
    "protocol",
    "to",
];
const RULE_OPTIONS: &[&str] = &[
    "from",
    "to",
    "table",
    "lookup",
    "priority",
    "preference",
    "pref",
    "iif",
    "dev",
    "oif",
    "fwmark",
    "tos",
    "dsfield",
];

pub fn unsupported_subsystem(keyword: &str) -> Option<&'static str> {
    UNSUPPORTED_PREFIXES.iter().find(|(p, _)| keyword == *p || keyword.starts_with(p)).map(|(_, what)| *what)
}

pub struct Builder<'d> {
    pub diags: &'d mut Diagnostics,
    pub d: Drafts,
}

impl<'d> Builder<'d> {
    pub fn new(diags: &'d mut Diagnostics) -> Self {
        Builder { diags, d: Drafts::default() }
    }

    // ---- reporting helpers ----

    fn corrected(&mut self, loc: Location, msg: impl Into<String>) {
        self.diags.corrected(loc, msg)
    }

    fn unknown(&mut self, s: &Stmt, within: &str) {
        let skipped = if s.block.is_some() { " - skipping its block" } else { "" };
        self.corrected(s.loc(), format!("Unknown keyword '{}' in {within}{skipped}", s.name()));
    }

    fn unsupported(&mut self, s: &Stmt, what: &str) {
        let kind = if s.block.is_some() { "block" } else { "keyword" };
        self.corrected(s.loc(), format!("'{}': {what} is not implemented by vrrpd - {kind} skipped", s.name()));
    }

    /// `use_vmac [NAME] [MAC]` (keepalived vrrp_vmac_handler()): a word with a ':' is the MAC
    /// (interface names cannot hold one), six octets or five (then the VRID is the sixth,
    /// the bool). A multicast MAC or an RFC 5798 one is refused as keepalived refuses it.
    fn use_vmac(&mut self, k: &Stmt) -> VmacDraft {
        let (mut name, mut mac) = (None, None);
        for a in k.args.iter().take(2) {
            if !a.text.contains(':') {
                name = Some(a.text.clone());
                continue;
            }
            let t = a.text.strip_suffix(':').unwrap_or(&a.text);
            let mut m = [0u8; 6];
            let mut count = 0;
            let mut ok = true;
            for o in t.split(':') {
                let byte = u8::from_str_radix(o, 16).ok().filter(|_| o.len() <= 2);
                ok &= byte.is_some() && count < 6;
                if let (Some(b), Some(d)) = (byte, m.get_mut(count)) {
                    *d = b;
                }
                count += 1;
            }
            let ok = ok && count >= 5;
            let rfc = m[..4] == [0, 0, 0x5e, 0] && (m[4] == 1 || m[4] == 2);
            let why = if !ok {
                "invalid MAC address"
            } else if m[0] & 1 != 0 {
                "MAC address is multicast"
            } else if rfc {
                "MAC address not allowed to be RFC5798 address"
            } else {
                mac = Some((m, count == 5));
                continue;
            };
            self.corrected(a.loc, format!("VMAC {why} {} - ignoring", a.text));
        }
        VmacDraft { name, mac }
    }

    /// A keyword that takes no block but was given one (a `{` on the next line).
    fn no_block(&mut self, s: &Stmt) {
        if let Some(b) = &s.block {
            self.corrected(b.open, format!("'{}' does not take a block - block ignored", s.name()));
        }
    }

    fn block<'s>(&mut self, s: &'s Stmt) -> &'s [Stmt] {
        match &s.block {
            Some(b) => &b.stmts,
            None => {
                self.corrected(s.loc(), format!("Missing '{{' at beginning of configuration block '{}'", s.name()));
                &[]
            }
        }
    }

    fn extra_args(&mut self, s: &Stmt, used: usize) {
        if s.args.len() > used {
            let extra: Vec<&str> = s.args[used..].iter().map(|t| t.text.as_str()).collect();
            self.corrected(
                s.args[used].loc,
                format!("extra argument(s) '{}' for '{}' - ignoring", extra.join(" "), s.name()),
            );
        }
    }

    fn arg<'s>(&mut self, s: &'s Stmt) -> Option<&'s str> {
        self.no_block(s);
        match s.args.first() {
            Some(t) => {
                self.extra_args(s, 1);
                Some(&t.text)
            }
            None => {
                self.corrected(s.loc(), format!("'{}' needs a value - ignoring", s.name()));
                None
            }
        }
    }

    fn value_error(&mut self, s: &Stmt, e: ValueError) {
        let loc = s.args.first().map(|t| t.loc).unwrap_or(s.loc());
        self.corrected(loc, format!("{}: {e} - ignoring", s.name()));
    }

    fn int(&mut self, s: &Stmt, min: i64, max: i64) -> Option<i64> {
        let v = self.arg(s)?;
        value::int(v, min, max).map_err(|e| self.value_error(s, e)).ok()
    }

    fn secs(&mut self, s: &Stmt, max: u64) -> Option<Micros> {
        let v = self.arg(s)?;
        value::seconds(v, max).map_err(|e| self.value_error(s, e)).ok()
    }

    /// `[vrrp_]garp_extra_if [all] DELAY` in whole seconds, `min` to 86400, with keepalived's
    /// diagnostics (vrrp_garp_extra_if_handler(); `who` is "(VI_1): " in an instance).
    fn extra_if(&mut self, s: &Stmt, min: i64, who: &str) -> Option<(Micros, bool)> {
        let (mut delay, mut all) = (None, false);
        for t in &s.args {
            if t.text == "all" {
                all = true;
            } else if let Ok(v) = value::int(&t.text, min, 86400) {
                delay = Some(v as Micros * SECOND);
            } else {
                self.corrected(t.loc, format!("{who}{} '{}' invalid - ignoring", s.name(), t.text));
                return None;
            }
        }
        if delay.is_none() {
            self.corrected(s.loc(), format!("{who}{} specified without time - ignoring", s.name()));
        }
        Some((delay?, all))
    }

    /// `keyword [BOOL]`: a bare keyword means true.
    fn flag(&mut self, s: &Stmt) -> Option<bool> {
        self.no_block(s);
        match s.args.first() {
            None => Some(true),
            Some(t) => {
                self.extra_args(s, 1);
                value::boolean(&t.text).map_err(|e| self.value_error(s, e)).ok()
            }
        }
    }

    /// An address keyword's value; a `/LEN` or `-RANGE` tail is dropped silently (keepalived).
    fn ip(&mut self, s: &Stmt) -> Option<IpAddr> {
        let v = self.arg(s)?;
        value::sockaddr(v).map_err(|e| self.value_error(s, e)).ok()
    }

    fn run_as(&mut self, args: &[super::lexer::Token]) -> Option<RunAs> {
        let words: Vec<(String, Location)> = args.iter().map(|t| (t.text.clone(), t.loc)).collect();
        self.run_as_words(&words)
    }

    /// `USER [GROUP]` (also `USER:GROUP` and `USER :GROUP`).
    fn run_as_words(&mut self, args: &[(String, Location)]) -> Option<RunAs> {
        let (user, _) = args.first()?;
        let mut group = args.get(1).map(|g| g.0.trim_start_matches(':').to_string());
        let mut user_name = user.clone();
        if let Some((u, g)) = user.split_once(':') {
            user_name = u.to_string();
            group = Some(g.to_string());
        }
        if args.len() > 2 {
            self.corrected(args[2].1, "extra arguments after user and group - ignoring");
        }
        Some(RunAs { user: user_name, group })
    }

    /// Script keywords (`script`, `notify*`, `*_script`), read as keepalived reads them: the
    /// text after the keyword is split into words with `"`, `'` and `\` (argv.rs), the first
    /// word is the script string, split the same way again into argv. With `with_user` the
    /// words after it are `user [group]`; `script` takes none, and keepalived ignores them.
    fn command(&mut self, s: &Stmt, with_user: bool) -> Option<Command> {
        self.no_block(s);
        let Some(first) = s.args.first() else {
            self.corrected(s.loc(), format!("'{}' needs a command - ignoring", s.name()));
            return None;
        };
        let text: String = s.args.iter().map(|t| t.source.as_str()).collect();
        let text = text.trim_start();
        let (argv, rest) = match argv::script(text) {
            Ok(a) => a,
            Err(argv::ArgvError::Empty) => {
                self.corrected(first.loc, format!("{}: empty script command - ignoring", s.name()));
                return None;
            }
            Err(e) => {
                self.corrected(first.loc, format!("{}: String '{text}': {e} - ignoring", s.name()));
                return None;
            }
        };
        // Where the words after the script string are: their tokens when every word is one
        // token (no quote spans tokens), else the last token.
        let last = s.args.last().map_or(first.loc, |t| t.loc);
        let words: Vec<(String, Location)> = if s.args.len() == rest.len() + 1 {
            rest.into_iter().zip(&s.args[1..]).map(|(w, t)| (w, t.loc)).collect()
        } else {
            rest.into_iter().map(|w| (w, last)).collect()
        };
        let run_as = if with_user {
            self.run_as_words(&words)
        } else {
            if let Some((_, at)) = words.first() {
                let rest: Vec<&str> = words.iter().map(|w| w.0.as_str()).collect();
                self.corrected(
                    *at,
                    format!(
                        "extra argument(s) '{}' for '{}' - ignoring (keepalived runs the first word only; quote the whole command line)",
                        rest.join(" "),
                        s.name()
                    ),
                );
            }
            None
        };
        Some(Command { argv, run_as, ids: None, loc: first.loc })
    }

    // ---- top level ----

    pub fn top(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match s.name() {
                "{" => {} // stray brace, already reported by the tree builder
                "global_defs" => {
                    for g in self.block(s) {
                        self.global(g);
                    }
                }
                "vrrp_script" => self.vrrp_script(s),
                "vrrp_instance" => self.instance(s),
                "vrrp_sync_group" => self.sync_group(s),
                "track_file" | "vrrp_track_file" => self.track_file(s),
                "static_ipaddress" => {
                    for line in self.block(s) {
                        let e = self.vip(line).map(Static::Address);
                        self.add_static(e);
                    }
                }
                "static_routes" => {
                    for line in self.block(s) {
                        let e = self.route(line).map(Static::Route);
                        self.add_static(e);
                    }
                }
                "static_rules" => {
                    for line in self.block(s) {
                        let e = self.rule(line).map(Static::Rule);
                        self.add_static(e);
                    }
                }
                "garp_group" => self.garp_group(s),
                "vrrp_track_process" => self.track_process(s),
                "interface_up_down_delays" => {
                    for d in self.block(s) {
                        self.interface_delay(d);
                    }
                }
                name => match unsupported_subsystem(name) {
                    Some(what) => self.unsupported(s, what),
                    None => self.unknown(s, "the top level"),
                },
            }
        }
    }

    /// Keeps keepalived's lists apart: addresses, then routes, then rules, each in file order.
    fn add_static(&mut self, e: Option<Static>) {
        let Some(e) = e else { return };
        let at = self.d.statics.partition_point(|x| x.kind() <= e.kind());
        self.d.statics.insert(at, e);
    }

    fn name_arg(&mut self, s: &Stmt, what: &str) -> String {
        match s.args.first() {
            Some(t) => {
                self.extra_args(s, 1);
                t.text.clone()
            }
            None => {
                self.corrected(s.loc(), format!("{what} has no name"));
                String::new()
            }
        }
    }

    fn global(&mut self, s: &Stmt) {
        let g = &mut self.d.global;
        let _ = g;
        let key: &'static str = match s.name() {
            "router_id" => {
                self.d.global.router_id = self.arg(s).map(str::to_string);
                "router_id"
            }
            // vrrpd's own (keepalived warns "Unknown keyword" and goes on).
            "control_socket" => {
                self.d.global.control_socket = self.arg(s).map(std::path::PathBuf::from);
                "control_socket"
            }
            "metrics_listen" => {
                if let Some(v) = self.arg(s) {
                    match v.parse() {
                        Ok(a) => self.d.global.metrics_listen = Some(a),
                        Err(_) => self.corrected(
                            s.loc(),
                            format!("metrics_listen {v}: not ADDR:PORT (such as 127.0.0.1:9650) - ignoring"),
                        ),
                    }
                }
                "metrics_listen"
            }
            "script_user" => {
                self.no_block(s);
                let r = self.run_as(&s.args);
                if r.is_none() {
                    self.corrected(s.loc(), "script_user needs a user name - ignoring");
                }
                self.d.global.script_user = r;
                "script_user"
            }
            "enable_script_security" => {
                self.d.global.enable_script_security = self.flag(s).unwrap_or(true);
                "enable_script_security"
            }
            "vrrp_version" => {
                if let Some(v) = self.int(s, 2, 3) {
                    self.d.global.vrrp_version = v as u8;
                }
                "vrrp_version"
            }
            "vrrp_mcast_group4" => {
                match self.ip(s) {
                    Some(IpAddr::V4(a)) if a.is_multicast() => self.d.global.mcast_group4 = a,
                    Some(_) => {
                        let v = s.args[0].text.clone();
                        self.corrected(
                            s.loc(),
                            format!("vrrp_mcast_group4 '{v}' is not an IPv4 multicast address - ignoring"),
                        )
                    }
                    None => {}
                }
                "vrrp_mcast_group4"
            }
            "vrrp_mcast_group6" => {
                match self.ip(s) {
                    Some(IpAddr::V6(a)) if a.is_multicast() => self.d.global.mcast_group6 = a,
                    Some(_) => {
                        let v = s.args[0].text.clone();
                        self.corrected(
                            s.loc(),
                            format!("vrrp_mcast_group6 '{v}' is not an IPv6 multicast address - ignoring"),
                        )
                    }
                    None => {}
                }
                "vrrp_mcast_group6"
            }
            "vrrp_garp_master_delay" => {
                if let Some(v) = self.secs(s, 86400) {
                    self.d.global.garp.master_delay = v;
                }
                "vrrp_garp_master_delay"
            }
            "vrrp_garp_master_repeat" => {
                if let Some(v) = self.int(s, 0, 255) {
                    self.d.global.garp.master_repeat = v as u32;
                }
                "vrrp_garp_master_repeat"
            }
            "vrrp_garp_master_refresh" => {
                if let Some(v) = self.secs(s, 86400) {
                    self.d.global.garp.master_refresh = v;
                }
                "vrrp_garp_master_refresh"
            }
            "vrrp_garp_master_refresh_repeat" => {
                if let Some(v) = self.int(s, 0, 255) {
                    self.d.global.garp.master_refresh_repeat = v as u32;
                }
                "vrrp_garp_master_refresh_repeat"
            }
            "vrrp_garp_lower_prio_delay" => {
                if let Some(v) = self.secs(s, 86400) {
                    self.d.global.garp.lower_prio_delay = v;
                }
                "vrrp_garp_lower_prio_delay"
            }
            "vrrp_garp_extra_if" => {
                if let Some((v, all)) = self.extra_if(s, 1, "") {
                    (self.d.global.garp.extra_if, self.d.global.garp.extra_if_all) = (v, all);
                }
                "vrrp_garp_extra_if"
            }
            "vrrp_garp_lower_prio_repeat" => {
                if let Some(v) = self.int(s, 0, 255) {
                    self.d.global.garp.lower_prio_repeat = v as u32;
                }
                "vrrp_garp_lower_prio_repeat"
            }
            // keepalived: the pacing of every interface an instance or VIP uses that is in no
            // garp_group (set_default_garp_delay()); 0 (the default) sends a burst at once.
            "vrrp_garp_interval" => {
                if let Some(v) = self.secs(s, 4294) {
                    self.d.global.garp.interval = v;
                }
                "vrrp_garp_interval"
            }
            "vrrp_gna_interval" => {
                if let Some(v) = self.secs(s, 4294) {
                    self.d.global.garp.na_interval = v;
                }
                "vrrp_gna_interval"
            }
            "default_interface" => {
                self.d.global.default_interface = self.arg(s).map(str::to_string);
                "default_interface"
            }
            "vrrp_min_garp" => {
                self.d.global.min_garp = self.flag(s).unwrap_or(false);
                "vrrp_min_garp"
            }
            "vrrp_lower_prio_no_advert" => {
                self.d.global.lower_prio_no_advert = self.flag(s).unwrap_or(false);
                "vrrp_lower_prio_no_advert"
            }
            "vrrp_higher_prio_send_advert" => {
                self.d.global.higher_prio_send_advert = self.flag(s).unwrap_or(false);
                "vrrp_higher_prio_send_advert"
            }
            "vrrp_down_timer_adverts" => {
                if let Some(v) = self.int(s, 1, 100) {
                    self.d.global.down_timer_adverts = v as u32;
                }
                "vrrp_down_timer_adverts"
            }
            "vrrp_check_unicast_src" => {
                self.d.global.check_unicast_src = self.flag(s).unwrap_or(true);
                "vrrp_check_unicast_src"
            }
            "vrrp_skip_check_adv_addr" => {
                self.d.global.skip_check_adv_addr = self.flag(s).unwrap_or(true);
                "vrrp_skip_check_adv_addr"
            }
            "vrrp_strict" => {
                self.d.global.strict = self.flag(s).unwrap_or(true);
                "vrrp_strict"
            }
            "v3_checksum_as_v2" => {
                self.d.global.v3_checksum_as_v2 = self.flag(s).unwrap_or(true);
                "v3_checksum_as_v2"
            }
            "vrrp_owner_ignore_adverts" => {
                self.d.global.owner_ignore_adverts = self.flag(s).unwrap_or(true);
                "vrrp_owner_ignore_adverts"
            }
            "vmac_prefix" => {
                self.d.global.vmac_prefix = self.arg(s).map(str::to_string);
                "vmac_prefix"
            }
            "vmac_addr_prefix" => {
                self.d.global.vmac_addr_prefix = self.arg(s).map(str::to_string);
                "vmac_addr_prefix"
            }
            "vrrp_startup_delay" => {
                if let Some(v) = self.secs(s, 3600) {
                    self.d.global.startup_delay = v;
                }
                "vrrp_startup_delay"
            }
            // keepalived 2.4: the delay counts from boot, not from start; the larger of the two
            // delays wins (vrrp_delay_after_boot_handler()).
            "vrrp_delay_after_boot" => {
                if let Some(v) = self.secs(s, 4294) {
                    self.d.global.delay_after_boot = v;
                }
                "vrrp_delay_after_boot"
            }
            // keepalived 2.3.3 (global_parser.c): a non-empty path, kept as written; where it
            // leads is decided when the dump is written (io::dump::dump_path).
            "state_dump_file" | "stats_dump_file" | "json_dump_file" => {
                let Some(path) = self.arg(s).map(str::to_string) else { return };
                if path.is_empty() {
                    self.corrected(s.loc(), "a dump file requires a non-empty path - ignoring");
                    return;
                }
                let g = &mut self.d.global;
                match s.name() {
                    "state_dump_file" => g.state_dump_file = Some(path),
                    "stats_dump_file" => g.stats_dump_file = Some(path),
                    _ => g.json_dump_file = Some(path),
                }
                "dump_file"
            }
            "json_version" => {
                if let Some(v) = self.int(s, 1, 2) {
                    self.d.global.json_version = v as u8;
                }
                "json_version"
            }
            "dynamic_interfaces" => {
                self.no_block(s);
                // `dynamic_interfaces [allow_if_changes]`. keepalived's option lets an interface
                // come back as another type (vlan, macvlan) or on another base interface; vrrpd
                // has no VMAC and looks at no interface type.
                if let Some(t) = s.args.first() {
                    match t.text.as_str() {
                        "allow_if_changes" => {
                            self.corrected(t.loc, "'allow_if_changes' has no effect in vrrpd - ignored")
                        }
                        other => {
                            self.corrected(t.loc, format!("dynamic_interfaces: unknown option '{other}' - ignoring"))
                        }
                    }
                }
                self.d.global.dynamic_interfaces = true;
                "dynamic_interfaces"
            }
            "notify_fifo" | "vrrp_notify_fifo" => {
                self.no_block(s);
                let fifo = match s.args.first() {
                    Some(p) => {
                        Some(NotifyFifo { path: p.text.clone(), run_as: self.run_as(&s.args[1..]), script: None })
                    }
                    None => {
                        self.corrected(s.loc(), format!("{} needs a path - ignoring", s.name()));
                        None
                    }
                };
                if s.name() == "notify_fifo" {
                    self.d.global.notify_fifo = fifo;
                    self.d.fifo_locs[0] = Some(s.loc());
                    "notify_fifo"
                } else {
                    self.d.global.vrrp_notify_fifo = fifo;
                    self.d.fifo_locs[1] = Some(s.loc());
                    "vrrp_notify_fifo"
                }
            }
            "notify_fifo_script" | "vrrp_notify_fifo_script" => {
                let cmd = self.command(s, true);
                let vrrp = s.name().starts_with("vrrp_");
                let slot = if vrrp { &mut self.d.global.vrrp_notify_fifo } else { &mut self.d.global.notify_fifo };
                match slot {
                    Some(f) => f.script = cmd,
                    None => self.diags.corrected(s.loc(), format!("{} without a preceding fifo - ignoring", s.name())),
                }
                "notify_fifo_script"
            }
            "vrrp_notify_priority_changes" => {
                self.d.global.notify_priority_changes = self.flag(s).unwrap_or(true);
                "vrrp_notify_priority_changes"
            }
            "fifo_write_vrrp_states_on_reload" => {
                self.d.global.fifo_write_states_on_reload = self.flag(s).unwrap_or(true);
                "fifo_write_vrrp_states_on_reload"
            }
            "log_unknown_vrids" => {
                self.d.global.log_unknown_vrids = self.flag(s).unwrap_or(true);
                "log_unknown_vrids"
            }
            name if IGNORED_GLOBALS.contains(&name) => {
                self.corrected(s.loc(), format!("'{name}' has no effect in vrrpd - ignored"));
                return;
            }
            name => {
                match unsupported_subsystem(name) {
                    Some(what) => self.unsupported(s, what),
                    None => self.unknown(s, "global_defs"),
                }
                return;
            }
        };
        self.d.global_set.insert(key);
    }

    fn vrrp_script(&mut self, s: &Stmt) {
        let name = self.name_arg(s, "vrrp_script");
        let mut d = ScriptDraft {
            name,
            loc: s.loc(),
            command: None,
            interval: SECOND,
            timeout: None,
            weight: 0,
            reverse: false,
            rise: 1,
            fall: 1,
            user: None,
            init_fail: false,
        };
        for k in self.block(s) {
            match k.name() {
                "script" => d.command = self.command(k, false),
                "interval" => {
                    if let Some(v) = self.secs(k, 86400) {
                        // keepalived: an interval of 0 is taken as 1 s.
                        d.interval = if v == 0 { SECOND } else { v };
                    }
                }
                "timeout" => {
                    if let Some(v) = self.secs(k, 86400) {
                        d.timeout = (v > 0).then_some(v);
                    }
                }
                "weight" => {
                    if let Some((w, r)) = self.weight(k, 253) {
                        d.weight = w;
                        d.reverse = r.unwrap_or(false);
                    }
                }
                "rise" => {
                    if let Some(v) = self.int(k, 1, i32::MAX as i64) {
                        d.rise = v as u32;
                    }
                }
                "fall" => {
                    if let Some(v) = self.int(k, 1, i32::MAX as i64) {
                        d.fall = v as u32;
                    }
                }
                "user" => {
                    self.no_block(k);
                    d.user = self.run_as(&k.args);
                }
                "init_fail" => d.init_fail = self.flag(k).unwrap_or(true),
                _ => self.unknown(k, "vrrp_script"),
            }
        }
        self.d.scripts.push(d);
    }

    /// `weight N [reverse|noreverse]`, N in -max..max. Out of range is clamped, not zeroed:
    /// keepalived leaves an undefined weight there, and 0 would mean FAULT on failure.
    fn weight(&mut self, s: &Stmt, max: i32) -> Option<(i32, Option<bool>)> {
        self.no_block(s);
        let Some(w) = s.args.first() else {
            self.corrected(s.loc(), "weight needs a value - ignoring");
            return None;
        };
        let weight = self.weight_value(w, max)?;
        let reverse = self.reverse_word(&s.args[1..]);
        Some((weight, reverse))
    }

    fn weight_value(&mut self, w: &super::lexer::Token, max: i32) -> Option<i32> {
        match w.text.parse::<i64>() {
            Ok(v) if (-(max as i64)..=max as i64).contains(&v) => Some(v as i32),
            Ok(v) => {
                let c = v.clamp(-(max as i64), max as i64) as i32;
                self.corrected(w.loc, format!("weight {v} must be in [-{max}, {max}] - using {c}"));
                Some(c)
            }
            Err(_) => {
                self.corrected(w.loc, format!("weight '{}' is not a number - ignoring", w.text));
                None
            }
        }
    }

    fn reverse_word(&mut self, rest: &[super::lexer::Token]) -> Option<bool> {
        let r = match rest.first().map(|t| t.text.as_str()) {
            None => return None,
            Some("reverse") => Some(true),
            Some("noreverse") => Some(false),
            Some(other) => {
                self.corrected(rest[0].loc, format!("unknown weight option '{other}' - ignoring"));
                None
            }
        };
        if rest.len() > 1 {
            self.corrected(rest[1].loc, "extra arguments after weight - ignoring");
        }
        r
    }

    /// Entries of track_script / track_interface / track_file blocks: `NAME [weight N [reverse]]`.
    fn track_list(&mut self, s: &Stmt, max: i32) -> Vec<TrackDraft> {
        let mut out = Vec::new();
        for e in self.block(s) {
            self.no_block(e);
            let mut t = TrackDraft { name: e.name().to_string(), weight: None, reverse: None, loc: e.loc() };
            let mut rest = &e.args[..];
            if let Some(first) = rest.first() {
                if first.text == "weight" {
                    match rest.get(1) {
                        Some(w) => {
                            t.weight = self.weight_value(w, max);
                            rest = &rest[2..];
                        }
                        None => {
                            self.corrected(first.loc, "weight needs a value - ignoring");
                            rest = &rest[1..];
                        }
                    }
                }
            }
            t.reverse = self.reverse_word(rest);
            out.push(t);
        }
        out
    }

    /// The notify keywords of both vrrp_instance and vrrp_sync_group; keepalived 2.2.7 has
    /// notify_master_rx_lower_pri and notify_deleted for instances only.
    fn notify_keyword(&mut self, s: &Stmt, n: &mut Notifies) -> bool {
        let slot = match s.name() {
            "notify_master" => &mut n.master,
            "notify_backup" => &mut n.backup,
            "notify_fault" => &mut n.fault,
            "notify_stop" => &mut n.stop,
            "notify" => &mut n.generic,
            _ => return false,
        };
        let cmd = self.command(s, true);
        *slot = cmd;
        true
    }

    fn instance(&mut self, s: &Stmt) {
        let name = self.name_arg(s, "vrrp_instance");
        let mut d = InstanceDraft {
            name,
            loc: s.loc(),
            state: None,
            interface: None,
            vrid: None,
            priority: None,
            advert_int: None,
            version: None,
            auth: None,
            vips: Vec::new(),
            excluded_vips: Vec::new(),
            no_virtual_ipaddress: false,
            native_ipv6: false,
            track_scripts: Vec::new(),
            track_interfaces: Vec::new(),
            track_files: Vec::new(),
            track_processes: Vec::new(),
            dont_track_primary: false,
            nopreempt: None,
            preempt_delay: None,
            unicast_peers: Vec::new(),
            unicast_block: None,
            unicast_src: None,
            unicast_fault_no_peer: false,
            unicast_ttl: None,
            check_unicast_src: None,
            mcast_dst: None,
            track_src_ip: false,
            notify: Notifies::default(),
            notify_priority_changes: None,
            garp: GarpDraft::default(),
            lower_prio_no_advert: None,
            higher_prio_send_advert: None,
            down_timer_adverts: None,
            strict: None,
            skip_check_adv_addr: None,
            v3_checksum_as_v2: None,
            owner_ignore_adverts: None,
            timer_expired_backup: None,
            routes: Vec::new(),
            rules: Vec::new(),
            promote_secondaries: false,
            auth_pass: None,
            strict_loc: None,
            accept_loc: None,
            use_vmac: None,
            vmac_xmit_base: false,
            use_vmac_addr: false,
        };
        let iname = d.name.clone();
        for k in self.block(s) {
            if self.notify_keyword(k, &mut d.notify) {
                continue;
            }
            match k.name() {
                "state" => match self.arg(k) {
                    Some("MASTER") => d.state = Some((InitialState::Master, k.loc())),
                    Some("BACKUP") => d.state = Some((InitialState::Backup, k.loc())),
                    Some(other) => {
                        // keepalived compares case-sensitively: `state master` is BACKUP.
                        self.corrected(
                            k.args[0].loc,
                            format!("({iname}) unknown state '{other}', defaulting to BACKUP"),
                        );
                        d.state = Some((InitialState::Backup, k.loc()));
                    }
                    None => {}
                },
                "interface" => d.interface = self.arg(k).map(|v| (v.to_string(), k.loc())),
                "virtual_router_id" => {
                    if let Some(v) = self.int(k, 1, 255) {
                        d.vrid = Some((v as u8, k.loc()));
                    }
                }
                "priority" => {
                    if let Some(v) = self.arg(k) {
                        match v.parse::<i64>() {
                            Ok(p) if (1..=255).contains(&p) => d.priority = Some((p as u8, k.loc())),
                            _ => {
                                self.corrected(
                                    k.args[0].loc,
                                    format!("({iname}) Priority not valid! must be between 1 & 255. Using default 100 - got '{v}'"),
                                );
                                d.priority = Some((100, k.loc()));
                            }
                        }
                    }
                }
                "advert_int" => {
                    if let Some(v) = self.secs(k, 255) {
                        d.advert_int = Some((v, k.args[0].loc));
                    }
                }
                "version" => {
                    if let Some(v) = self.int(k, 2, 3) {
                        d.version = Some((v as u8, k.loc()));
                    }
                }
                "authentication" => self.authentication(k, &mut d),
                "virtual_ipaddress" => {
                    for line in self.block(k).iter() {
                        if let Some(v) = self.vip(line) {
                            d.vips.push(v);
                        }
                    }
                }
                "virtual_ipaddress_excluded" => {
                    for line in self.block(k).iter() {
                        if let Some(v) = self.vip(line) {
                            d.excluded_vips.push(v);
                        }
                    }
                }
                "no_virtual_ipaddress" => d.no_virtual_ipaddress = self.flag(k).unwrap_or(true),
                // keepalived 2.2.8; `thread_timer_expired` is 2.3.2's name for it.
                "timer_expired_backup" | "thread_timer_expired" => {
                    if k.name() == "thread_timer_expired" {
                        self.corrected(
                            k.loc(),
                            "thread_timer_expired - please replace with keyword 'timer_expired_backup'",
                        );
                    }
                    // The default, 254, is the quickest another router can take over.
                    let prio = if k.args.is_empty() { Some(254) } else { self.int(k, 1, 254) };
                    if let Some(p) = prio {
                        d.timer_expired_backup = Some((p as u8, k.loc()));
                    }
                }
                "native_ipv6" => d.native_ipv6 = self.flag(k).unwrap_or(true),
                "track_script" => {
                    let l = self.track_list(k, 253);
                    d.track_scripts.extend(l);
                }
                "track_interface" => {
                    let l = self.track_list(k, 254);
                    d.track_interfaces.extend(l);
                }
                "track_file" => {
                    let l = self.track_list(k, 254);
                    d.track_files.extend(l);
                }
                "track_process" => {
                    let l = self.track_list(k, 254);
                    d.track_processes.extend(l);
                }
                "dont_track_primary" => d.dont_track_primary = self.flag(k).unwrap_or(true),
                "nopreempt" => {
                    self.no_block(k);
                    d.nopreempt = Some(k.loc());
                }
                "preempt" => {
                    // keepalived keeps `preempt` as a no-op for old configs.
                    self.no_block(k);
                    d.nopreempt = None;
                }
                "preempt_delay" => {
                    if let Some(v) = self.secs(k, 1000) {
                        d.preempt_delay = Some((v, k.loc()));
                    }
                }
                "unicast_peer" => {
                    d.unicast_block = Some(k.loc());
                    for p in self.block(k).iter() {
                        if let Some(peer) = self.unicast_peer(p) {
                            d.unicast_peers.push((peer, p.loc()));
                        }
                    }
                }
                "unicast_src_ip" | "mcast_src_ip" => d.unicast_src = self.ip(k).map(|a| (a, k.loc())),
                "unicast_fault_no_peer" => d.unicast_fault_no_peer = self.flag(k).unwrap_or(true),
                "unicast_ttl" => {
                    if let Some(v) = self.int(k, 1, 255) {
                        d.unicast_ttl = Some(v as u8);
                    }
                }
                "check_unicast_src" => d.check_unicast_src = self.flag(k),
                "mcast_dst_ip" => match self.ip(k) {
                    Some(a) if a.is_multicast() => d.mcast_dst = Some((a, k.loc())),
                    Some(_) => {
                        let v = k.args[0].text.clone();
                        self.corrected(k.loc(), format!("mcast_dst_ip '{v}' is not a multicast address - ignoring"))
                    }
                    None => {}
                },
                "track_src_ip" => d.track_src_ip = self.flag(k).unwrap_or(true),
                "notify_priority_changes" => d.notify_priority_changes = self.flag(k),
                "notify_master_rx_lower_pri" => d.notify.master_rx_lower_pri = self.command(k, true),
                "notify_deleted" => {
                    let cmd = if k.args.is_empty() { None } else { self.command(k, true) };
                    d.notify.deleted = Some(cmd);
                }
                "garp_master_delay" => d.garp.master_delay = self.secs(k, 86400),
                "garp_master_repeat" => d.garp.master_repeat = self.int(k, 0, 255).map(|v| v as u32),
                "garp_master_refresh" => d.garp.master_refresh = self.secs(k, 86400),
                "garp_master_refresh_repeat" => d.garp.master_refresh_repeat = self.int(k, 0, 255).map(|v| v as u32),
                "garp_lower_prio_delay" => d.garp.lower_prio_delay = self.secs(k, 86400),
                "garp_lower_prio_repeat" => d.garp.lower_prio_repeat = self.int(k, 0, 255).map(|v| v as u32),
                "garp_extra_if" => d.garp.extra_if = self.extra_if(k, 0, &format!("({}): ", d.name)),
                "lower_prio_no_advert" => d.lower_prio_no_advert = self.flag(k),
                "higher_prio_send_advert" => d.higher_prio_send_advert = self.flag(k),
                "down_timer_adverts" => d.down_timer_adverts = self.int(k, 1, 100).map(|v| v as u32),
                "strict_mode" => {
                    d.strict = self.flag(k);
                    d.strict_loc = Some(k.loc());
                }
                "skip_check_adv_addr" => d.skip_check_adv_addr = self.flag(k),
                "v3_checksum_as_v2" => d.v3_checksum_as_v2 = self.flag(k),
                "owner_ignore_adverts" => d.owner_ignore_adverts = self.flag(k),
                "virtual_routes" => {
                    for r in self.block(k).iter() {
                        if let Some(route) = self.route(r) {
                            d.routes.push(route);
                        }
                    }
                }
                "virtual_rules" => {
                    for r in self.block(k).iter() {
                        if let Some(rule) = self.rule(r) {
                            d.rules.push(rule);
                        }
                    }
                }
                "use_vmac" => {
                    self.no_block(k);
                    d.use_vmac = Some(self.use_vmac(k));
                }
                "vmac_xmit_base" => d.vmac_xmit_base = true,
                "use_vmac_addr" => d.use_vmac_addr = true,
                "promote_secondaries" => {
                    d.promote_secondaries = self.flag(k).unwrap_or(true);
                    self.corrected(k.loc(), "'promote_secondaries' has no effect in vrrpd - ignored (set the sysctl)");
                }
                // `accept` / `no_accept`: keepalived's only use is the firewall rules that drop
                // traffic to the VIPs without accept mode (vrrp_iptables, nftables), which
                // vrrpd does not implement: its VIPs always accept. Where `accept` was written
                // is kept for `vrrpd check` (strict mode without it). `debug`: a level
                // keepalived only prints in its -d dump.
                "accept" => {
                    d.accept_loc = Some(k.loc());
                    self.corrected(k.loc(), "'accept' has no effect in vrrpd - ignored")
                }
                "no_accept"
                | "debug"
                | "smtp_alert"
                | "lvs_sync_daemon_interface"
                | "kernel_rx_buf_size"
                | "old_unicast_checksum" => {
                    self.corrected(k.loc(), format!("'{}' has no effect in vrrpd - ignored", k.name()))
                }
                name => match unsupported_subsystem(name) {
                    Some(what) => self.unsupported(k, what),
                    None => self.unknown(k, "vrrp_instance"),
                },
            }
        }
        self.d.instances.push(d);
    }

    fn authentication(&mut self, s: &Stmt, d: &mut InstanceDraft) {
        let mut kind: Option<(String, Location)> = None;
        let mut pass: Option<(String, Location)> = None;
        for a in self.block(s) {
            match a.name() {
                "auth_type" => kind = self.arg(a).map(|v| (v.to_string(), a.args[0].loc)),
                "auth_pass" => pass = self.arg(a).map(|v| (v.to_string(), a.args[0].loc)),
                _ => self.unknown(a, "authentication"),
            }
        }
        let iname = d.name.clone();
        d.auth_pass = pass.clone();
        // keepalived keeps the first 8 bytes of auth_pass, zero-padded, whatever the type: the
        // PASS field (RFC 3768 §5.3.11), and the AH key.
        let field = pass.as_ref().map(|(p, ploc)| {
            let bytes = p.as_bytes();
            if bytes.len() > 8 {
                self.corrected(*ploc, format!("({iname}) Truncating auth_pass to 8 characters"));
            }
            let mut field = [0u8; 8];
            let n = bytes.len().min(8);
            field[..n].copy_from_slice(&bytes[..n]);
            field
        });
        match kind {
            Some((k, loc)) if k == "PASS" => {
                let Some(field) = field else {
                    self.corrected(
                        loc,
                        format!("({iname}) auth_type PASS without auth_pass - authentication disabled"),
                    );
                    return;
                };
                d.auth = Some((AuthDraft::Pass(field), s.loc()));
            }
            Some((k, loc)) if k == "AH" => d.auth = Some((AuthDraft::Ah(field), loc)),
            Some((k, loc)) => {
                self.corrected(loc, format!("({iname}) unknown authentication type '{k}' - authentication disabled"))
            }
            None => {
                if pass.is_some() {
                    self.corrected(s.loc(), format!("({iname}) auth_pass without auth_type - authentication disabled"));
                }
            }
        }
    }

    fn unicast_peer(&mut self, p: &Stmt) -> Option<UnicastPeer> {
        self.no_block(p);
        let addr = match value::sockaddr(p.name()) {
            Ok(a) => a,
            Err(e) => {
                self.corrected(p.loc(), format!("unicast_peer: {e} - ignoring"));
                return None;
            }
        };
        let mut peer = UnicastPeer { addr, min_ttl: 0, max_ttl: 255 };
        let mut i = 0;
        while i < p.args.len() {
            let opt = &p.args[i];
            let val = p.args.get(i + 1).map(|t| t.text.as_str()).unwrap_or("");
            let ttl = value::int(val, 0, 255);
            match (opt.text.as_str(), ttl) {
                ("min_ttl", Ok(v)) => peer.min_ttl = v as u8,
                ("max_ttl", Ok(v)) => peer.max_ttl = v as u8,
                ("min_ttl" | "max_ttl", Err(e)) => {
                    self.corrected(opt.loc, format!("unicast_peer {}: {e} - ignoring", opt.text))
                }
                (other, _) => {
                    self.corrected(opt.loc, format!("unknown unicast_peer option '{other}' - ignoring"));
                    i += 1;
                    continue;
                }
            }
            i += 2;
        }
        Some(peer)
    }

    /// One VIP line (keepalived vrrp_ipaddress.c): `IP[/LEN] [brd X] [dev IF] [scope S]
    /// [label L] [peer IP] [home] [-nodad] [mngtmpaddr] [noprefixroute] [autojoin] [no_track]
    /// [preferred_lft N|forever] [use_vmac]`. One address per line.
    fn vip(&mut self, s: &Stmt) -> Option<Vip> {
        self.no_block(s);
        let (addr, prefix) = match value::prefix(s.name()) {
            Ok(p) => p,
            Err(e) => {
                self.corrected(s.loc(), format!("invalid virtual address: {e} - ignoring"));
                return None;
            }
        };
        let mut v = Vip {
            addr,
            prefix,
            dev: None,
            brd: None,
            scope: Scope::Global,
            label: None,
            peer: None,
            no_track: false,
            flags: Vec::new(),
            preferred_lft: None,
            use_vmac: false,
            loc: s.loc(),
        };
        let args = &s.args;
        let mut i = 0;
        while i < args.len() {
            let opt = &args[i];
            let val = args.get(i + 1);
            let takes_value = matches!(
                opt.text.as_str(),
                "brd" | "broadcast" | "dev" | "scope" | "label" | "peer" | "preferred_lft" | "track_group"
            );
            if takes_value && val.is_none() {
                self.corrected(opt.loc, format!("'{}' needs a value - ignoring", opt.text));
                break;
            }
            match opt.text.as_str() {
                "brd" | "broadcast" => {
                    let val = val.expect("checked");
                    v.brd = match val.text.as_str() {
                        "+" => Some(Broadcast::Auto),
                        "-" => Some(Broadcast::None),
                        t => match t.parse() {
                            Ok(a) if addr.is_ipv4() => Some(Broadcast::Addr(a)),
                            _ => {
                                self.corrected(val.loc, format!("invalid broadcast address '{t}' - ignoring"));
                                None
                            }
                        },
                    };
                }
                "dev" => v.dev = val.map(|t| t.text.clone()),
                "scope" => {
                    let val = val.expect("checked");
                    match Scope::parse(&val.text) {
                        Some(sc) => v.scope = sc,
                        None => self.corrected(val.loc, format!("invalid scope '{}' - ignoring", val.text)),
                    }
                }
                "label" => v.label = val.map(|t| t.text.clone()),
                "peer" => {
                    let val = val.expect("checked");
                    match value::prefix(&val.text) {
                        Ok((a, l)) => v.peer = Some((a, val.text.contains('/').then_some(l))),
                        Err(e) => self.corrected(val.loc, format!("peer: {e} - ignoring")),
                    }
                }
                "preferred_lft" => {
                    let val = val.expect("checked");
                    if val.text == "forever" {
                        v.preferred_lft = Some(u32::MAX);
                    } else {
                        match value::int(&val.text, 0, u32::MAX as i64) {
                            Ok(n) => v.preferred_lft = Some(n as u32),
                            Err(e) => self.corrected(val.loc, format!("preferred_lft: {e} - ignoring")),
                        }
                    }
                }
                "no_track" => {
                    v.no_track = true;
                    i += 1;
                    continue;
                }
                // As written: keepalived's `-nodad` asks for DAD (it clears the IFA_F_NODAD it
                // sets on IPv6 VIPs otherwise); there is no `nodad`.
                "home" | "-nodad" | "mngtmpaddr" | "noprefixroute" | "autojoin" => {
                    v.flags.push(opt.text.clone());
                    i += 1;
                    continue;
                }
                "track_group" => self.corrected(
                    opt.loc,
                    "'track_group' of a static entry is not implemented by vrrpd - ignored (the entry is kept)",
                ),
                "use_vmac" => {
                    v.use_vmac = true;
                    i += 1;
                    continue;
                }
                other => {
                    self.corrected(opt.loc, format!("Unknown configuration entry '{other}' for ip address - ignoring"));
                    i += 1;
                    continue;
                }
            }
            i += 2;
        }
        Some(v)
    }

    fn table(&mut self, t: &super::lexer::Token) -> Option<u32> {
        match t.text.as_str() {
            "main" => Some(254),
            "local" => Some(255),
            "default" => Some(253),
            s => match value::int(s, 0, u32::MAX as i64) {
                Ok(v) => Some(v as u32),
                Err(_) => {
                    self.corrected(t.loc, format!("unknown routing table '{s}' - ignoring"));
                    None
                }
            },
        }
    }

    /// Reports why a route/rule word was refused: a bad value of a known option, or a word
    /// that is not an option.
    fn bad_entry(
        &mut self,
        block: &str,
        what: &str,
        w: &super::lexer::Token,
        val: Option<&super::lexer::Token>,
        options: &[&str],
    ) {
        match val {
            Some(v) if options.contains(&w.text.as_str()) => self.corrected(
                v.loc,
                format!("{block}: invalid value '{}' for '{}' - ignoring this {what}", v.text, w.text),
            ),
            _ => self.corrected(w.loc, format!("{block}: cannot use '{}' here - ignoring this {what}", w.text)),
        }
    }

    /// virtual_routes entry in `ip route` syntax. An entry with an unknown word is dropped
    /// whole: installing a different route than written is worse than none.
    fn route(&mut self, s: &Stmt) -> Option<Route> {
        self.no_block(s);
        let words: Vec<&super::lexer::Token> = std::iter::once(&s.keyword).chain(s.args.iter()).collect();
        let mut r = Route {
            kind: None,
            dst: (IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0),
            src: None,
            via: Vec::new(),
            dev: None,
            table: None,
            metric: None,
            scope: None,
            protocol: None,
            onlink: false,
            no_track: false,
            loc: s.loc(),
        };
        let mut have_dst = false;
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            let val = words.get(i + 1).copied();
            let mut consumed = 2;
            let ok = match (w.text.as_str(), val) {
                ("src", Some(v)) => value::addr(&v.text).map(|a| r.src = Some(a)).is_ok(),
                ("via" | "gw", Some(v)) => value::addr(&v.text).map(|a| r.via.push(a)).is_ok(),
                ("or", Some(v)) if !r.via.is_empty() => value::addr(&v.text).map(|a| r.via.push(a)).is_ok(),
                ("dev" | "oif", Some(v)) => {
                    r.dev = Some(v.text.clone());
                    true
                }
                ("table", Some(v)) => {
                    r.table = self.table(v);
                    r.table.is_some()
                }
                ("metric" | "preference" | "priority", Some(v)) => {
                    value::int(&v.text, 0, u32::MAX as i64).map(|m| r.metric = Some(m as u32)).is_ok()
                }
                ("scope", Some(v)) => {
                    r.scope = Scope::parse(&v.text);
                    r.scope.is_some()
                }
                ("proto" | "protocol", Some(v)) => {
                    r.protocol = Some(v.text.clone());
                    true
                }
                ("track_group", Some(_)) => {
                    self.corrected(
                        w.loc,
                        "'track_group' of a static entry is not implemented by vrrpd - ignored (the entry is kept)",
                    );
                    true
                }
                ("to", Some(v)) => {
                    have_dst = true;
                    value::prefix(&v.text).map(|p| r.dst = p).is_ok()
                }
                ("onlink", _) => {
                    consumed = 1;
                    r.onlink = true;
                    true
                }
                ("no_track", _) => {
                    consumed = 1;
                    r.no_track = true;
                    self.corrected(
                        w.loc,
                        "'no_track' has no effect in vrrpd - ignored (virtual routes and rules are never tracked)",
                    );
                    true
                }
                (
                    "unicast" | "blackhole" | "unreachable" | "prohibit" | "throw" | "local" | "broadcast"
                    | "multicast" | "anycast",
                    _,
                ) if !have_dst => {
                    consumed = 1;
                    r.kind = Some(w.text.clone());
                    true
                }
                ("default", _) if !have_dst => {
                    consumed = 1;
                    have_dst = true;
                    true
                }
                (text, _) if !have_dst && value::prefix(text).is_ok() => {
                    consumed = 1;
                    have_dst = true;
                    r.dst = value::prefix(text).expect("checked");
                    true
                }
                _ => false,
            };
            if !ok {
                self.bad_entry("virtual_routes", "route", w, val, ROUTE_OPTIONS);
                return None;
            }
            i += consumed;
        }
        if !have_dst {
            self.corrected(s.loc(), "virtual_routes: route without a destination - ignoring");
            return None;
        }
        Some(r)
    }

    /// virtual_rules entry in `ip rule` syntax.
    fn rule(&mut self, s: &Stmt) -> Option<Rule> {
        self.no_block(s);
        let words: Vec<&super::lexer::Token> = std::iter::once(&s.keyword).chain(s.args.iter()).collect();
        let mut r = Rule {
            from: None,
            to: None,
            table: None,
            priority: None,
            iif: None,
            oif: None,
            fwmark: None,
            tos: None,
            action: None,
            no_track: false,
            loc: s.loc(),
        };
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            let val = words.get(i + 1).copied();
            let mut consumed = 2;
            let ok = match (w.text.as_str(), val) {
                ("from", Some(v)) => value::prefix(&v.text).map(|p| r.from = Some(p)).is_ok() || v.text == "all",
                ("to", Some(v)) => value::prefix(&v.text).map(|p| r.to = Some(p)).is_ok() || v.text == "all",
                ("table" | "lookup", Some(v)) => {
                    r.table = self.table(v);
                    r.table.is_some()
                }
                ("priority" | "preference" | "pref", Some(v)) => {
                    value::int(&v.text, 0, u32::MAX as i64).map(|p| r.priority = Some(p as u32)).is_ok()
                }
                ("iif" | "dev", Some(v)) => {
                    r.iif = Some(v.text.clone());
                    true
                }
                ("oif", Some(v)) => {
                    r.oif = Some(v.text.clone());
                    true
                }
                ("fwmark", Some(v)) => {
                    let (m, mask) = match v.text.split_once('/') {
                        Some((m, k)) => (m, Some(k)),
                        None => (v.text.as_str(), None),
                    };
                    let num = |t: &str| match t.strip_prefix("0x") {
                        Some(h) => u32::from_str_radix(h, 16).ok(),
                        None => t.parse().ok(),
                    };
                    match (num(m), mask.map(num)) {
                        (Some(m), None) => {
                            r.fwmark = Some((m, None));
                            true
                        }
                        (Some(m), Some(Some(k))) => {
                            r.fwmark = Some((m, Some(k)));
                            true
                        }
                        _ => false,
                    }
                }
                ("tos" | "dsfield", Some(v)) => value::int(&v.text, 0, 255).map(|t| r.tos = Some(t as u8)).is_ok(),
                ("track_group", Some(_)) => {
                    self.corrected(
                        w.loc,
                        "'track_group' of a static entry is not implemented by vrrpd - ignored (the entry is kept)",
                    );
                    true
                }
                ("no_track", _) => {
                    consumed = 1;
                    r.no_track = true;
                    self.corrected(
                        w.loc,
                        "'no_track' has no effect in vrrpd - ignored (virtual routes and rules are never tracked)",
                    );
                    true
                }
                ("blackhole" | "unreachable" | "prohibit" | "nop", _) => {
                    consumed = 1;
                    r.action = Some(w.text.clone());
                    true
                }
                _ => false,
            };
            if !ok {
                self.bad_entry("virtual_rules", "rule", w, val, RULE_OPTIONS);
                return None;
            }
            i += consumed;
        }
        Some(r)
    }

    /// `garp_group { garp_interval T; gna_interval T; interface IF; interfaces { IF... } }`
    /// (keepalived garp_group_handler() and friends). A group without an interval is dropped.
    fn garp_group(&mut self, s: &Stmt) {
        let mut g = GarpGroup { garp_interval: None, gna_interval: None, interfaces: Vec::new() };
        for k in self.block(s) {
            match k.name() {
                "garp_interval" => g.garp_interval = self.secs(k, 2147).or(g.garp_interval),
                "gna_interval" => g.gna_interval = self.secs(k, 2147).or(g.gna_interval),
                "interface" => {
                    if let Some(name) = self.arg(k) {
                        self.garp_interface(&mut g, name, k.loc());
                    }
                }
                "interfaces" => {
                    let lines = self.block(k);
                    if lines.is_empty() {
                        self.corrected(k.loc(), "Warning - empty garp_group interfaces block");
                    }
                    for t in lines.iter().flat_map(|l| std::iter::once(&l.keyword).chain(&l.args)) {
                        self.garp_interface(&mut g, &t.text, t.loc);
                    }
                }
                _ => self.unknown(k, "garp_group"),
            }
        }
        if g.garp_interval.is_none() && g.gna_interval.is_none() {
            let n = self.d.garp_groups.len() + 1;
            self.corrected(s.loc(), format!("garp group {n} does not have any delay set - removing"));
            return;
        }
        self.d.garp_groups.push(g);
    }

    /// An interface belongs to the first garp_group that names it (keepalived: "garp_group
    /// already specified").
    fn garp_interface(&mut self, g: &mut GarpGroup, name: &str, loc: Location) {
        let named = |x: &GarpGroup| x.interfaces.iter().any(|i| i == name);
        if named(g) || self.d.garp_groups.iter().any(named) {
            self.corrected(loc, format!("garp_group already specified for {name} - ignoring"));
        } else {
            g.interfaces.push(name.to_string());
        }
    }

    fn sync_group(&mut self, s: &Stmt) {
        let name = self.name_arg(s, "vrrp_sync_group");
        let mut g = GroupDraft {
            name,
            loc: s.loc(),
            members: Vec::new(),
            track_scripts: Vec::new(),
            track_interfaces: Vec::new(),
            track_files: Vec::new(),
            track_processes: Vec::new(),
            notify: Notifies::default(),
            tracking_weight: false,
        };
        for k in self.block(s) {
            if self.notify_keyword(k, &mut g.notify) {
                continue;
            }
            match k.name() {
                "group" => {
                    for m in self.block(k).iter() {
                        self.no_block(m);
                        g.members.push((m.name().to_string(), m.loc()));
                        // Several names on one line are accepted.
                        for extra in &m.args {
                            g.members.push((extra.text.clone(), extra.loc));
                        }
                    }
                }
                "track_script" => {
                    let l = self.track_list(k, 253);
                    g.track_scripts.extend(l);
                }
                "track_interface" => {
                    let l = self.track_list(k, 254);
                    g.track_interfaces.extend(l);
                }
                "track_file" => {
                    let l = self.track_list(k, 254);
                    g.track_files.extend(l);
                }
                "track_process" => {
                    let l = self.track_list(k, 254);
                    g.track_processes.extend(l);
                }
                "sync_group_tracking_weight" | "global_tracking" => g.tracking_weight = self.flag(k).unwrap_or(true),
                "notify_priority_changes" | "smtp_alert" => {
                    self.corrected(k.loc(), format!("'{}' has no effect on a sync group in vrrpd - ignored", k.name()))
                }
                name => match unsupported_subsystem(name) {
                    Some(what) => self.unsupported(k, what),
                    None => {
                        self.unknown(k, "vrrp_sync_group");
                        if let Some(d) = self.diags.list.last_mut() {
                            d.message.push_str(" (members belong inside 'group { ... }')");
                        }
                    }
                },
            }
        }
        self.d.groups.push(g);
    }

    fn track_file(&mut self, s: &Stmt) {
        let name = self.name_arg(s, "track_file");
        let mut t = TrackFileDraft { name, loc: s.loc(), path: None, weight: 1, reverse: false, init: None };
        for k in self.block(s) {
            match k.name() {
                "file" => t.path = self.arg(k).map(str::to_string),
                "weight" => {
                    if let Some((w, r)) = self.weight(k, 254) {
                        t.weight = w;
                        t.reverse = r.unwrap_or(false);
                    }
                }
                "init_file" => {
                    self.no_block(k);
                    let mut value = 0i64;
                    let mut overwrite = false;
                    for a in &k.args {
                        if a.text == "overwrite" {
                            overwrite = true;
                        } else {
                            match a.text.parse::<i64>() {
                                Ok(v) => value = v,
                                Err(_) => {
                                    self.corrected(a.loc, format!("init_file: '{}' is not a number - ignoring", a.text))
                                }
                            }
                        }
                    }
                    t.init = Some((value, overwrite));
                }
                _ => self.unknown(k, "track_file"),
            }
        }
        self.d.track_files.push(t);
    }

    /// `vrrp_track_process NAME { ... }` (keepalived vrrp_parser.c, the vrrp_tprocess_*
    /// handlers): keepalived's defaults (quorum 1, no maximum, weight 0) and its order-dependent
    /// checks of quorum against quorum_max.
    fn track_process(&mut self, s: &Stmt) {
        let name = self.name_arg(s, "vrrp_track_process");
        let mut t = TrackProcess {
            name,
            loc: s.loc(),
            process: String::new(),
            params: Vec::new(),
            param_match: ParamMatch::None,
            full_command: false,
            quorum: 1,
            quorum_max: u32::MAX,
            weight: 0,
            weight_reverse: false,
            terminate_delay: 0,
            fork_delay: 0,
        };
        for k in self.block(s) {
            match k.name() {
                "process" => {
                    self.no_block(k);
                    let Some(first) = k.args.first() else {
                        self.corrected(k.loc(), "'process' needs a value - ignoring");
                        continue;
                    };
                    if !t.process.is_empty() {
                        let msg = format!("Process already set for track process {} - ignoring {}", t.name, first.text);
                        self.corrected(first.loc, msg);
                        continue;
                    }
                    t.process = first.text.clone();
                    for a in &k.args[1..] {
                        t.params.extend_from_slice(a.text.as_bytes());
                        t.params.push(0);
                    }
                    if k.args.len() > 1 {
                        if t.param_match == ParamMatch::None {
                            t.param_match = ParamMatch::Exact;
                        }
                        t.full_command = true;
                    }
                }
                "param_match" => {
                    self.no_block(k);
                    t.param_match = match k.args.first().map(|a| a.text.as_str()) {
                        None => ParamMatch::Exact,
                        Some("initial") => ParamMatch::Initial,
                        Some("partial") => ParamMatch::Partial,
                        Some(other) => {
                            self.corrected(k.args[0].loc, format!("Invalid param_match type {other} - ignoring"));
                            continue;
                        }
                    };
                    t.full_command = true;
                }
                "weight" => {
                    if let Some((w, r)) = self.weight(k, 254) {
                        t.weight = w;
                        t.weight_reverse = r.unwrap_or(false);
                    }
                }
                "quorum" => {
                    let Some(q) = self.int(k, 1, 65535) else { continue };
                    if q as u32 > t.quorum_max {
                        self.corrected(k.loc(), "Quorum is greater than quorum_max - ignoring");
                    } else {
                        t.quorum = q as u32;
                    }
                }
                "quorum_max" => {
                    let Some(m) = self.int(k, 0, 65535) else { continue };
                    let m = m as u32;
                    // keepalived allows quorum_max 0 (up while none runs) when quorum was not set.
                    if (m != 0 || t.quorum > 1) && m < t.quorum {
                        self.corrected(k.loc(), "quorum_max is less than quorum - ignoring");
                        continue;
                    }
                    t.quorum_max = m;
                    if m == 0 {
                        t.quorum = 0;
                    } else if t.quorum == 0 {
                        t.quorum = 1;
                    }
                }
                "delay" | "terminate_delay" | "fork_delay" => {
                    let Some(d) = self.secs(k, 3600) else { continue };
                    if d == 0 {
                        self.corrected(k.loc(), format!("{} must be in [0.000001, 3600] - ignoring", k.name()));
                        continue;
                    }
                    if k.name() != "fork_delay" {
                        t.terminate_delay = d;
                    }
                    if k.name() != "terminate_delay" {
                        t.fork_delay = d;
                    }
                }
                "full_command" => {
                    self.no_block(k);
                    t.full_command = true;
                }
                _ => self.unknown(k, "vrrp_track_process"),
            }
        }
        self.d.track_processes.push(t);
    }

    /// `interface_up_down_delays { IF down_delay [up_delay] }`, seconds up to 255.
    fn interface_delay(&mut self, s: &Stmt) {
        self.no_block(s);
        let parse = |t: &super::lexer::Token| value::seconds(&t.text, 255);
        let Some(down_t) = s.args.first() else {
            self.corrected(s.loc(), format!("interface_up_down_delays: no delay for {} - ignoring", s.name()));
            return;
        };
        let down = match parse(down_t) {
            Ok(v) => v,
            Err(e) => {
                self.corrected(down_t.loc, format!("interface_up_down_delays: {e} - ignoring"));
                return;
            }
        };
        let up = match s.args.get(1).map(parse) {
            None => down,
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                self.corrected(s.args[1].loc, format!("interface_up_down_delays: {e} - using the down delay"));
                down
            }
        };
        self.extra_args(s, 2);
        self.d.delays.push(InterfaceDelay { interface: s.name().to_string(), down, up });
    }
}
