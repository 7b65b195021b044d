//! The typed, validated configuration: what the daemon runs. Every field holds its effective
//! value after keepalived's defaults and auto-corrections; nothing is left for consumers to
//! default again. Times are integer microseconds (ARCHITECTURE.md, rule 2).
use super::diag::Location;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A duration in integer microseconds.
pub type Micros = u64;
pub const SECOND: Micros = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub global: GlobalDefs,
    pub scripts: Vec<VrrpScript>,
    pub track_files: Vec<TrackFile>,
    pub track_processes: Vec<TrackProcess>,
    pub instances: Vec<Instance>,
    pub sync_groups: Vec<SyncGroup>,
    pub interface_delays: Vec<InterfaceDelay>,
    /// Addresses first, then routes, then rules, each kind in file order (keepalived's lists).
    pub statics: Vec<Static>,
    pub garp_groups: Vec<GarpGroup>,
}

/// One line of keepalived's `static_ipaddress`, `static_routes` or `static_rules` (the line
/// syntax of the virtual_* blocks): installed at start before any instance runs, whatever the
/// states, removed at stop, diffed at reload (keepalived start_vrrp(),
/// vrrp_terminate_phase2()). An address has its `dev` filled in (`default_interface`, eth0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Static {
    Address(Vip),
    Route(Route),
    Rule(Rule),
}

impl Static {
    /// keepalived adds addresses (0), then routes (1), then rules (2), and removes them in
    /// the reverse order of kinds.
    pub fn kind(&self) -> u8 {
        match self {
            Static::Address(_) => 0,
            Static::Route(_) => 1,
            Static::Rule(_) => 2,
        }
    }
}

/// One `garp_group`: a pacing clock its interfaces share (keepalived garp_delay_t): on them,
/// gratuitous ARPs are at least `garp_interval` apart and unsolicited NAs `gna_interval`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GarpGroup {
    pub garp_interval: Option<Micros>,
    pub gna_interval: Option<Micros>,
    pub interfaces: Vec<String>,
}

pub use crate::wire::Family;

/// Run-as identity of a script: `user USER [[:]GROUP]` / `script_user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAs {
    pub user: String,
    pub group: Option<String>,
}

/// A command to fork/exec without a shell: argv already split as keepalived splits script
/// strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub argv: Vec<String>,
    pub run_as: Option<RunAs>,
    /// The (uid, gid) it runs as, resolved at load time: its `user`, else `script_user`,
    /// else `keepalived_script` when that user exists; None is root.
    pub ids: Option<(u32, u32)>,
    pub loc: Location,
}

/// GARP schedule (keepalived: vrrp_garp_master_* / garp_master_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Garp {
    pub master_delay: Micros,
    pub master_repeat: u32,
    pub master_refresh: Micros,
    pub master_refresh_repeat: u32,
    pub lower_prio_delay: Micros,
    pub lower_prio_repeat: u32,
    /// Gap between successive GARPs / unsolicited NAs on one interface.
    pub interval: Micros,
    pub na_interval: Micros,
    /// keepalived `garp_extra_if [all] DELAY`: while MASTER, every DELAY one GARP on each
    /// other VMAC holding a VIP (each other interface with `all`); 0 when off or when no
    /// such interface exists (keepalived vrrp_complete_instance()).
    pub extra_if: Micros,
    pub extra_if_all: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyFifo {
    pub path: String,
    pub run_as: Option<RunAs>,
    pub script: Option<Command>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalDefs {
    pub router_id: Option<String>,
    /// vrrpd's own `control_socket PATH` (`none`: off); `--control-socket` wins.
    pub control_socket: Option<std::path::PathBuf>,
    /// vrrpd's own `metrics_listen ADDR:PORT`; `--metrics-listen` wins.
    pub metrics_listen: Option<std::net::SocketAddr>,
    pub script_user: Option<RunAs>,
    pub enable_script_security: bool,
    pub vrrp_version: u8,
    pub mcast_group4: Ipv4Addr,
    pub mcast_group6: Ipv6Addr,
    pub garp: Garp,
    pub min_garp: bool,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub down_timer_adverts: u32,
    pub check_unicast_src: bool,
    pub skip_check_adv_addr: bool,
    pub strict: bool,
    pub v3_checksum_as_v2: bool,
    pub owner_ignore_adverts: bool,
    pub startup_delay: Micros,
    /// keepalived 2.4 `vrrp_delay_after_boot`: the VRRP start waits until the system has been
    /// up this long (the shell reads the uptime; see `proto::startup_delay`).
    pub delay_after_boot: Micros,
    /// keepalived 2.3.3 `state_dump_file` / `stats_dump_file` / `json_dump_file`: where
    /// SIGUSR1, SIGUSR2 and the JSON signal write (`io::dump::dump_path`); None: $TMPDIR.
    pub state_dump_file: Option<String>,
    pub stats_dump_file: Option<String>,
    pub json_dump_file: Option<String>,
    /// keepalived 2.2.8 `json_version` (1 or 2): the layout of keepalived.json.
    pub json_version: u8,
    pub dynamic_interfaces: bool,
    /// `default_interface`: the interface of a static address without `dev` (keepalived's
    /// default eth0 when None).
    pub default_interface: Option<String>,
    /// `notify_fifo` (all processes) and `vrrp_notify_fifo` (the VRRP process only).
    pub notify_fifo: Option<NotifyFifo>,
    pub vrrp_notify_fifo: Option<NotifyFifo>,
    pub notify_priority_changes: bool,
    pub fifo_write_states_on_reload: bool,
    pub log_unknown_vrids: bool,
    /// keepalived `vmac_prefix`: the stem of the default VMAC names (`vrrp`).
    pub vmac_prefix: Option<String>,
    /// keepalived `vmac_addr_prefix`: the stem of the VMACs made for VIPs on other interfaces.
    pub vmac_addr_prefix: Option<String>,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            control_socket: None,
            metrics_listen: None,
            script_user: None,
            enable_script_security: false,
            vrrp_version: 2,
            mcast_group4: Ipv4Addr::new(224, 0, 0, 18),
            mcast_group6: Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            garp: Garp {
                master_delay: 5 * SECOND,
                master_repeat: 5,
                master_refresh: 0,
                master_refresh_repeat: 1,
                lower_prio_delay: 5 * SECOND,
                lower_prio_repeat: 5,
                interval: 0,
                na_interval: 0,
                extra_if: 0,
                extra_if_all: false,
            },
            min_garp: false,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            down_timer_adverts: 3,
            check_unicast_src: false,
            skip_check_adv_addr: false,
            strict: false,
            v3_checksum_as_v2: false,
            owner_ignore_adverts: false,
            startup_delay: 0,
            delay_after_boot: 0,
            state_dump_file: None,
            stats_dump_file: None,
            json_dump_file: None,
            json_version: 1,
            dynamic_interfaces: false,
            default_interface: None,
            notify_fifo: None,
            vrrp_notify_fifo: None,
            notify_priority_changes: false,
            fifo_write_states_on_reload: false,
            log_unknown_vrids: false,
            vmac_prefix: None,
            vmac_addr_prefix: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpScript {
    pub name: String,
    pub loc: Location,
    pub command: Command,
    pub interval: Micros,
    pub timeout: Micros,
    pub weight: i32,
    pub weight_reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub init_fail: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackFile {
    pub name: String,
    pub loc: Location,
    pub path: String,
    pub weight: i32,
    pub weight_reverse: bool,
    /// `init_file [VALUE] [overwrite]`: create the file with VALUE at start.
    pub init: Option<(i64, bool)>,
}

/// keepalived `vrrp_track_process`: up while the number of matching processes is within
/// `quorum..=quorum_max`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackProcess {
    pub name: String,
    pub loc: Location,
    /// `process NAME`: the process name (comm, at most 15 bytes as the kernel keeps it), or
    /// `argv[0]` with `full_command`.
    pub process: String,
    /// `process NAME ARGS...`: each argument followed by a NUL, as /proc/PID/cmdline has them.
    pub params: Vec<u8>,
    pub param_match: ParamMatch,
    pub full_command: bool,
    pub quorum: u32,
    /// `u32::MAX` when no `quorum_max` was given.
    pub quorum_max: u32,
    pub weight: i32,
    pub weight_reverse: bool,
    pub terminate_delay: Micros,
    pub fork_delay: Micros,
}

/// keepalived `param_match`: how a process's arguments are compared with `params`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamMatch {
    /// Arguments are not looked at.
    None,
    /// The same arguments (the default when `process` has arguments).
    Exact,
    /// The arguments begin with `params`, the last one as a prefix of its argument.
    Initial,
    /// The arguments begin with `params`, each argument whole.
    Partial,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceDelay {
    pub interface: String,
    pub down: Micros,
    pub up: Micros,
}

/// A tracker reference in an instance or sync group with its effective weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackRef {
    pub name: String,
    pub weight: i32,
    pub reverse: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialState {
    Backup,
    Master,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    /// PASS: exactly the 8 bytes on the wire, zero-padded.
    Pass([u8; 8]),
    /// AH (keepalived `auth_type AH`, IPv4 VRRPv2 only): the 8-byte zero-padded `auth_pass`
    /// keys the AH header's HMAC-MD5-96 (`wire::ah`); the advert's auth data stays zero.
    Ah([u8; 8]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Site,
    Link,
    Host,
    Nowhere,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            "global" | "universe" => Scope::Global,
            "site" => Scope::Site,
            "link" => Scope::Link,
            "host" => Scope::Host,
            "nowhere" => Scope::Nowhere,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Site => "site",
            Scope::Link => "link",
            Scope::Host => "host",
            Scope::Nowhere => "nowhere",
        }
    }
}

/// `brd IP|+|-` of a VIP line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broadcast {
    Addr(Ipv4Addr),
    /// `+`: host bits set.
    Auto,
    /// `-`: none.
    None,
}

/// One line of virtual_ipaddress / virtual_ipaddress_excluded (keepalived vrrp_ipaddress.c).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vip {
    pub addr: IpAddr,
    pub prefix: u8,
    pub dev: Option<String>,
    pub brd: Option<Broadcast>,
    pub scope: Scope,
    pub label: Option<String>,
    pub peer: Option<(IpAddr, Option<u8>)>,
    pub no_track: bool,
    /// Address flags as written: `home`, `mngtmpaddr`, `noprefixroute`, `autojoin`, and `-nodad`,
    /// which asks for duplicate address detection (keepalived sets IFA_F_NODAD on IPv6 VIPs
    /// unless `-nodad` is given).
    pub flags: Vec<String>,
    /// None: keepalived's default (0 for an IPv6 /128, forever otherwise).
    pub preferred_lft: Option<u32>,
    /// `use_vmac` on the line: the address goes on a VMAC of its interface (the loader then
    /// points `dev` at that VMAC, one of `Instance::addr_vmacs`).
    pub use_vmac: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    pub min_ttl: u8,
    pub max_ttl: u8,
}

/// virtual_routes entry: kept as parsed fields; installed by the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub kind: Option<String>,
    pub dst: (IpAddr, u8),
    pub src: Option<IpAddr>,
    /// Gateways: `via A` and keepalived's multipath `via A or B`.
    pub via: Vec<IpAddr>,
    pub dev: Option<String>,
    pub table: Option<u32>,
    pub metric: Option<u32>,
    pub scope: Option<Scope>,
    pub protocol: Option<String>,
    pub onlink: bool,
    pub no_track: bool,
    pub loc: Location,
}

/// virtual_rules entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub from: Option<(IpAddr, u8)>,
    pub to: Option<(IpAddr, u8)>,
    pub table: Option<u32>,
    pub priority: Option<u32>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub fwmark: Option<(u32, Option<u32>)>,
    pub tos: Option<u8>,
    pub action: Option<String>,
    pub no_track: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notifies {
    pub master: Option<Command>,
    pub backup: Option<Command>,
    pub fault: Option<Command>,
    pub stop: Option<Command>,
    /// Generic `notify`: called with `INSTANCE|GROUP name STATE priority` appended.
    pub generic: Option<Command>,
    pub master_rx_lower_pri: Option<Command>,
    pub deleted: Option<Option<Command>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub name: String,
    pub loc: Location,
    pub initial_state: InitialState,
    pub interface: Option<String>,
    pub vrid: u8,
    pub priority: u8,
    pub advert_int: Micros,
    pub version: u8,
    pub family: Family,
    pub auth: Auth,
    pub vips: Vec<Vip>,
    pub excluded_vips: Vec<Vip>,
    pub track_scripts: Vec<TrackRef>,
    pub track_interfaces: Vec<TrackRef>,
    pub track_files: Vec<TrackRef>,
    pub track_processes: Vec<TrackRef>,
    pub dont_track_primary: bool,
    pub nopreempt: bool,
    pub preempt_delay: Micros,
    pub unicast_peers: Vec<UnicastPeer>,
    pub unicast_src: Option<IpAddr>,
    pub unicast_fault_no_peer: bool,
    pub unicast_ttl: u8,
    pub check_unicast_src: bool,
    pub mcast_dst: IpAddr,
    pub track_src_ip: bool,
    pub notify: Notifies,
    pub notify_priority_changes: bool,
    pub garp: Garp,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub down_timer_adverts: u32,
    pub strict: bool,
    /// keepalived's default accept mode (off under strict mode unless the owner), for the
    /// dumps: `accept` and `no_accept` have no effect in vrrpd, which installs no firewall
    /// rules, so its VIPs always accept traffic.
    pub accept: bool,
    pub skip_check_adv_addr: bool,
    pub v3_checksum_as_v2: bool,
    pub owner_ignore_adverts: bool,
    /// keepalived 2.2.8 `timer_expired_backup [PRIORITY]`: the highest priority of the other
    /// routers (1-254), or 0 when off. A MASTER whose loop ran so late that another router
    /// has probably taken over goes BACKUP instead of sending again (needs nopreempt).
    pub timer_expired_backup: u8,
    pub routes: Vec<Route>,
    pub rules: Vec<Rule>,
    pub promote_secondaries: bool,
    /// `use_vmac`: the instance runs on a macvlan of `interface`'s base (see [`Vmac`]).
    pub vmac: Option<Vmac>,
    /// VMACs for VIPs on other interfaces (`use_vmac_addr`, `use_vmac` on a VIP line): each
    /// such VIP's `dev` names one. Another instance's may be shared (same base and MAC).
    pub addr_vmacs: Vec<Vmac>,
    pub sync_group: Option<String>,
    /// Where the keywords were written and what keepalived's corrections hide.
    pub written: Written,
}

/// keepalived `use_vmac [NAME] [MAC]`: a private-mode macvlan on `base` with the RFC 5798
/// §7.3 virtual MAC (00:00:5e:00:01:VRID, 00:00:5e:00:02:VRID for IPv6). The instance's
/// `interface` is then the macvlan's name: its VIPs go there and its adverts leave from it
/// (from `base` with `vmac_xmit_base`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vmac {
    /// The macvlan's name (`use_vmac NAME`, else keepalived's create_vmac_name()).
    pub name: String,
    /// The configured `interface` the macvlan sits on.
    pub base: String,
    pub mac: [u8; 6],
    /// The family of the addresses on it (the instance's, or the VIP's for an address VMAC).
    pub family: crate::wire::Family,
    /// The MAC was written in `use_vmac` (else the RFC one).
    pub mac_specified: bool,
    /// `vmac_xmit_base`: adverts are sent and received on `base`, with its MAC.
    pub xmit_base: bool,
    /// `use_vmac_addr`: VIPs on other interfaces go on VMACs of those interfaces.
    pub addr: bool,
}

impl Vmac {
    /// Where the adverts are sent and received (keepalived vrrp_open_sockpool()).
    pub fn advert_interface(&self) -> &str {
        if self.xmit_base {
            &self.base
        } else {
            &self.name
        }
    }
}

impl Instance {
    /// The interface the adverts use: the VMAC's base with `vmac_xmit_base`, else `interface`.
    pub fn advert_interface(&self) -> Option<&str> {
        match &self.vmac {
            Some(v) => Some(v.advert_interface()),
            None => self.interface.as_deref(),
        }
    }

    /// The interface a VIP (or excluded VIP) of this instance is on: its `dev`, else the
    /// instance's interface. GARPs for it go out there.
    pub fn vip_interface(&self, addr: IpAddr) -> Option<&str> {
        let v = self.vips.iter().chain(&self.excluded_vips).find(|v| v.addr == addr);
        v.and_then(|v| v.dev.as_deref()).or(self.interface.as_deref())
    }

    /// keepalived vrrp_send_vmac_update() (`garp_extra_if`): the first VIP on each VMAC other
    /// than the instance's own (on any other interface with `all`); the own one counts too
    /// with `vmac_xmit_base`, whose adverts do not refresh it.
    pub fn extra_if_garps(&self) -> Vec<IpAddr> {
        let own = self.interface.as_deref();
        let xmit_base = self.vmac.as_ref().is_some_and(|m| m.xmit_base);
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for v in self.vips.iter().chain(&self.excluded_vips) {
            let dev = v.dev.as_deref().or(own);
            let ours = self.vmac.iter().chain(&self.addr_vmacs).any(|m| dev == Some(m.name.as_str()));
            if (ours || self.garp.extra_if_all) && (dev != own || xmit_base) && !seen.contains(&dev) {
                seen.push(dev);
                out.push(v.addr);
            }
        }
        out
    }
}

/// Where an instance's keywords were written, and the values keepalived's corrections
/// replace: `vrrpd check` points at the keyword and says what is really compared. Nothing
/// else reads it; the effective values are the fields of [`Instance`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub state: Option<Location>,
    pub vrid: Option<Location>,
    pub priority: Option<Location>,
    pub advert_int: Option<Location>,
    pub version: Option<Location>,
    pub authentication: Option<Location>,
    /// `auth_pass` as written: keepalived keeps only its first 8 bytes (RFC 3768 §5.3.11).
    pub auth_pass: Option<(String, Location)>,
    pub nopreempt: Option<Location>,
    pub preempt_delay: Option<Location>,
    pub unicast_src: Option<Location>,
    /// Each `unicast_peer` line kept, with its location.
    pub unicast_peers: Vec<(IpAddr, Location)>,
    pub strict_mode: Option<Location>,
    /// `accept` (which has no effect in vrrpd, whose VIPs always accept).
    pub accept: Option<Location>,
    pub interface: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    pub name: String,
    pub loc: Location,
    pub members: Vec<String>,
    pub track_scripts: Vec<TrackRef>,
    pub track_interfaces: Vec<TrackRef>,
    pub track_files: Vec<TrackRef>,
    pub track_processes: Vec<TrackRef>,
    pub notify: Notifies,
    pub tracking_weight: bool,
}
