//! The contract between the core and its shell: the handles that name things across the
//! boundary, the [`Input`]s the shell feeds in, and the [`Action`]s it carries out.
//!
//! Handles are typed so that an instance, a track script and a track file can never be
//! confused with one another or with a plain index. [`ScriptId`] and [`TrackFileId`] are
//! stable across a reload (keepalived matches scripts by name and command, track files by
//! name): a script run started before a SIGHUP is credited to the script it was started for,
//! or to nobody when the reload removed it. [`InstanceId`] is a position in the current
//! configuration; the shell drains every action of a turn before the next input, so an
//! `InstanceId` in an action always refers to the configuration that queued it.
use super::time::Instant;
use crate::config::model::{Command, Config, Instance, Micros, Route, Rule, Static, Vip};
use crate::wire::vrrp::RxMeta;
use std::fmt;
use std::net::IpAddr;

/// A VRRP instance: its position in [`Config::instances`] of the configuration in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(u32);

impl InstanceId {
    /// The instance at `index` of `Config::instances`.
    pub const fn from_index(index: usize) -> InstanceId {
        InstanceId(index as u32)
    }
    /// Its position in `Config::instances`.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A track script (`vrrp_script`). Allocated in configuration order when the agent starts
/// (0, 1, 2 ...); a reload keeps the id of a script with the same name and command and gives
/// every other script a new one, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScriptId(pub(crate) u32);

impl fmt::Display for ScriptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A track file (`vrrp_track_file`), stable across a reload as [`ScriptId`] is, matched by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrackFileId(pub(crate) u32);

impl fmt::Display for TrackFileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A tracked process (`vrrp_track_process`), stable across a reload as [`TrackFileId`] is,
/// matched by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrackProcessId(pub(crate) u32);

impl fmt::Display for TrackProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// keepalived's instance states (numbers as in its JSON dump).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Not started yet (startup delay), or stopped.
    Init = 0,
    /// Listening for the master; takes over when the master-down timer fires.
    Backup = 1,
    /// Holding the VIPs and sending adverts.
    Master = 2,
    /// A tracker (link, weight-0 script, file) holds the instance down.
    Fault = 3,
}

impl State {
    /// The state's name as keepalived logs it (`Entering MASTER STATE`).
    pub fn name(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
        }
    }
}

/// Per-instance statistics, keepalived's names (keepalived.stats, JSON `stats`).
#[allow(missing_docs)] // each field is the keepalived counter of the same name
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub advert_interval_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    /// Not in keepalived's stats file, but logged by it.
    pub version_err: u64,
    /// Not in keepalived's stats file, but logged by it.
    pub checksum_err: u64,
    /// vrrpd's own: lower-priority adverts a MASTER received (each one, answered or not).
    pub lower_prio_rcvd: u64,
    /// vrrpd's own: v3 IPv4 adverts accepted with the checksum form we do not send (RFC 9568
    /// §5.2.8; keepalived drops them as "Invalid VRRPv3 checksum").
    pub checksum_other_form: u64,
}

/// A sender whose VRRPv3 IPv4 adverts carry the checksum form we do not send (RFC 9568
/// §5.2.8), as `vrrpd status` and the dumps show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecksumPeer {
    /// The sender's address.
    pub addr: IpAddr,
    /// Its form: with the IPv4 pseudo-header (RFC 5798 §5.2.8, keepalived's default) or
    /// without it (keepalived `v3_checksum_as_v2`).
    pub pseudo_header: bool,
    /// Its adverts accepted in that form.
    pub adverts: u64,
}

/// How a track script run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptResult {
    /// Exit status (0 is success).
    Exited(i32),
    /// Killed at its timeout: a failure.
    TimedOut,
    /// Killed by a signal, or could not be started: a failure.
    Failed,
}

/// A track script as the agent sees it (the SIGUSR1 dump's `VRRP Scripts` section).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptStatus {
    /// Good or bad; None before its first result.
    pub healthy: Option<bool>,
    /// A run is under way.
    pub running: bool,
    /// The exit status of the last run that exited.
    pub last_status: Option<i32>,
}

/// What the shell feeds the agent, each with the time it happened.
#[derive(Debug, Clone)]
pub enum Input<'a> {
    /// A VRRP payload received on `interface`; `meta` comes from the IP header or ancillary
    /// data. The agent validates it against the instance it is for.
    Packet {
        /// The receiving interface.
        interface: &'a str,
        /// Source, destination and TTL / hop limit.
        meta: RxMeta,
        /// IPv4: the bytes before `bytes`, the IP header with its options and, for IP
        /// protocol 51, the AH header that `auth_type AH` instances check (RFC 2402 §2).
        /// Empty where there is none to give (IPv6; the simulated LAN's plain adverts).
        header: &'a [u8],
        /// The VRRP header onwards.
        bytes: &'a [u8],
    },
    /// Link state from netlink: up means IFF_UP and IFF_RUNNING.
    Link {
        /// The interface.
        interface: &'a str,
        /// IFF_UP and IFF_RUNNING.
        up: bool,
    },
    /// An address appeared on an interface (the initial dump reports each one too).
    AddressAdded {
        /// The interface.
        interface: &'a str,
        /// The address.
        addr: IpAddr,
    },
    /// An address left an interface; also reports a VIP deleted by someone else.
    AddressRemoved {
        /// The interface.
        interface: &'a str,
        /// The address.
        addr: IpAddr,
    },
    /// A run of `script` that [`Action::RunScript`] asked for has ended.
    ScriptExited {
        /// The script the run was started for.
        script: ScriptId,
        /// How it ended.
        result: ScriptResult,
    },
    /// A track file now holds `value` (keepalived reads the first number in the file).
    TrackFile {
        /// The file.
        file: TrackFileId,
        /// Its value.
        value: i64,
    },
    /// `count` processes now match a tracked process. `forked`: one of the processes that
    /// raised the count is a child of one already counted (keepalived waits `fork_delay`
    /// before such a gain counts; a process started anew counts at once).
    ProcessCount {
        /// The tracked process.
        process: TrackProcessId,
        /// How many processes match it now.
        count: u32,
        /// A new one was forked by a counted one.
        forked: bool,
    },
    /// A timer is due (the caller woke at `poll_timeout()`).
    Timeout,
    /// SIGHUP: the new configuration, already loaded without a fatal error.
    Reload(Box<Config>),
    /// The operator's planned switchover (`vrrpd demote`): instance `instance` and its sync
    /// group hand over and stay out until [`Input::Promote`] or `until`.
    Demote {
        /// The instance (its sync group goes with it).
        instance: InstanceId,
        /// When the demotion ends by itself; None: until promoted.
        until: Option<Instant>,
        /// `--force`: stay out even when nobody takes over.
        force: bool,
    },
    /// `vrrpd promote`: the demotion of `instance` (and its sync group) ends now.
    Promote {
        /// The instance.
        instance: InstanceId,
    },
    /// SIGTERM / SIGINT.
    Shutdown,
}

/// Log levels of [`Action::Log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something is wrong.
    Warning,
    /// keepalived's normal log lines (state changes).
    Info,
    /// keepalived's `-D` detail messages.
    Detail,
}

/// What the agent asks its shell to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// An advert of `instance` announcing `priority`, to `dst` (the group, or one unicast
    /// peer). [`super::Agent::advert`] builds it.
    SendAdvert {
        /// The sender.
        instance: InstanceId,
        /// The priority to announce (0 when leaving MASTER).
        priority: u8,
        /// The multicast group or the unicast peer.
        dst: IpAddr,
        /// `auth_type AH`: the advert's AH sequence number (0 without AH).
        ah_seq: u32,
    },
    /// One gratuitous ARP / unsolicited NA for `addr` on the instance's interface.
    SendGarp {
        /// The instance whose VIP it is.
        instance: InstanceId,
        /// The VIP.
        addr: IpAddr,
    },
    /// Add a VIP (its `dev`, else the instance's interface).
    AddAddress {
        /// The instance.
        instance: InstanceId,
        /// The address with its options.
        vip: Vip,
    },
    /// Remove a VIP.
    RemoveAddress {
        /// The instance.
        instance: InstanceId,
        /// The address with its options.
        vip: Vip,
    },
    /// A reload removed an instance that was MASTER (keepalived vrrp_restore_interface()):
    /// send its priority-0 adverts (built from the old configuration, since the instance no
    /// longer exists), then delete its VIPs (each with `dev` set to the old instance's
    /// interface), routes and rules.
    ReleaseRemoved {
        /// The removed instance's configuration.
        config: Box<Instance>,
        /// One priority-0 advert per destination (the group, or each unicast peer).
        adverts: Vec<super::ReleaseAdvert>,
        /// Its VIPs, `dev` filled in.
        vips: Vec<Vip>,
    },
    /// Add a `virtual_routes` entry.
    AddRoute {
        /// The instance.
        instance: InstanceId,
        /// The route.
        route: Route,
    },
    /// Remove a `virtual_routes` entry.
    RemoveRoute {
        /// The instance.
        instance: InstanceId,
        /// The route.
        route: Route,
    },
    /// Add a `virtual_rules` entry.
    AddRule {
        /// The instance.
        instance: InstanceId,
        /// The rule.
        rule: Rule,
    },
    /// Remove a `virtual_rules` entry.
    RemoveRule {
        /// The instance.
        instance: InstanceId,
        /// The rule.
        rule: Rule,
    },
    /// Add (`add`) or remove an entry of keepalived's `static_ipaddress`, `static_routes` or
    /// `static_rules`: no instance owns it, an address has its `dev` filled in.
    Static {
        /// The address, route or rule.
        entry: Static,
        /// Add, or remove.
        add: bool,
    },
    /// Start a run of track script `script`; the shell kills it after `timeout` and reports
    /// [`ScriptResult::TimedOut`], and reports every end with [`Input::ScriptExited`].
    RunScript {
        /// Reported back with the result.
        script: ScriptId,
        /// What to run, as whom.
        command: Command,
        /// keepalived `timeout` (default: the script's interval).
        timeout: Micros,
    },
    /// Run a notify command with `extra` arguments appended; kill it after `kill_after`.
    Notify {
        /// The notify script.
        command: Command,
        /// keepalived's arguments (`INSTANCE VI_1 MASTER 100`), if any.
        extra: Vec<String>,
        /// `notify_stop` gets one second.
        kill_after: Option<Micros>,
    },
    /// A line for the notify FIFO(s), newline included.
    FifoLine {
        /// `INSTANCE "VI_1" MASTER 100\n`.
        line: String,
    },
    /// A log line.
    Log {
        /// Its level.
        level: Level,
        /// keepalived's text.
        message: String,
    },
    /// Something an operator watches happened (`vrrpd events`); the shell numbers them.
    Event(Event),
}

/// Why an instance is in its state: the cause of its last transition (`vrrpd status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Its first state after start (or a reload that added it).
    Startup,
    /// No advert within Master_Down_Interval (RFC 5798 §6.4.2).
    MasterDown,
    /// The master resigned with a priority-0 advert; we took over after Skew_Time.
    PriorityZero {
        /// The resigning master.
        from: IpAddr,
    },
    /// A BACKUP that discarded a lower-priority master's adverts preempted it.
    Preempted {
        /// The master preempted.
        from: IpAddr,
        /// Its priority.
        priority: u8,
    },
    /// A MASTER heard a better router (higher priority, or equal and a higher address).
    HigherPriority {
        /// The new master.
        from: IpAddr,
        /// Its priority.
        priority: u8,
    },
    /// A tracker holds the instance down: `script chk failed`, `interface eth0 down`...
    Fault(String),
    /// Every tracker is fine again: out of FAULT.
    Recovered,
    /// Someone else deleted one of its VIPs (keepalived: back to BACKUP, retake after skew).
    VipRemoved {
        /// The VIP deleted.
        addr: IpAddr,
    },
    /// `vrrpd demote`.
    Demoted,
    /// A demoted instance took the VIPs back: nobody else was master.
    NobodyTookOver,
    /// keepalived `timer_expired_backup`: the loop woke so late that another router has
    /// probably taken over, so this MASTER went BACKUP instead of advertising again.
    TimerExpired,
    /// SIGTERM.
    Shutdown,
}

impl Reason {
    /// A stable name for JSON and metric labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::Startup => "startup",
            Reason::MasterDown => "master_down",
            Reason::PriorityZero { .. } => "priority_zero",
            Reason::Preempted { .. } => "preempted",
            Reason::HigherPriority { .. } => "higher_priority",
            Reason::Fault(_) => "fault",
            Reason::Recovered => "recovered",
            Reason::VipRemoved { .. } => "vip_removed",
            Reason::Demoted => "demoted",
            Reason::NobodyTookOver => "nobody_took_over",
            Reason::TimerExpired => "timer_expired",
            Reason::Shutdown => "shutdown",
        }
    }

    /// The other router the reason names, if any.
    pub fn peer(&self) -> Option<(IpAddr, Option<u8>)> {
        match self {
            Reason::PriorityZero { from } => Some((*from, Some(0))),
            Reason::Preempted { from, priority } | Reason::HigherPriority { from, priority } => {
                Some((*from, Some(*priority)))
            }
            Reason::VipRemoved { addr } => Some((*addr, None)),
            _ => None,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Startup => f.write_str("startup"),
            Reason::MasterDown => f.write_str("master down"),
            Reason::PriorityZero { from } => write!(f, "priority 0 from {from}"),
            Reason::Preempted { from, priority } => write!(f, "preempted {from} (priority {priority})"),
            Reason::HigherPriority { from, priority } => write!(f, "higher priority {priority} from {from}"),
            Reason::Fault(why) => f.write_str(why),
            Reason::Recovered => f.write_str("trackers recovered"),
            Reason::VipRemoved { addr } => write!(f, "VIP {addr} deleted by someone else"),
            Reason::Demoted => f.write_str("demoted"),
            Reason::NobodyTookOver => f.write_str("nobody took over after demote"),
            Reason::TimerExpired => f.write_str("timer_expired_backup"),
            Reason::Shutdown => f.write_str("shutdown"),
        }
    }
}

/// How a demotion of a MASTER ended (the answer `vrrpd demote` waits for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// Another router advertised as master.
    To(IpAddr),
    /// Nobody was master within Master_Down_Interval: the VIPs were taken back.
    TookBack,
    /// Nobody was master within Master_Down_Interval, and `--force` keeps us out.
    Nobody,
    /// The instance was not MASTER: nothing to hand over.
    NotMaster,
    /// Promoted (or its `--for` ended) before anyone took over: it advertises again.
    Promoted,
    /// It left MASTER another way before anyone took over (FAULT, shutdown, a reload that
    /// removed it, a VIP deleted by someone else).
    Interrupted,
}

/// A watched condition that begins and ends (`vrrpd status` warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Episode {
    /// A MASTER hears another router advertise as master for its VRID: split brain, or the
    /// crossing of an election.
    OtherMaster,
    /// Adverts for the VRID with another address list, or other authentication: two virtual
    /// routers on one VRID, or configs that disagree.
    Mismatch,
}

impl Episode {
    /// The word used in status, events and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Episode::OtherMaster => "other_master",
            Episode::Mismatch => "mismatch",
        }
    }
}

/// What `vrrpd events` reports, in order. Instances are named, not numbered: an event outlives
/// the configuration that queued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A state change.
    Transition {
        /// The instance.
        instance: String,
        /// Before.
        from: State,
        /// After.
        to: State,
        /// Why.
        reason: Reason,
        /// The effective priority.
        priority: u8,
    },
    /// The effective priority changed (a tracker's weight).
    Priority {
        /// The instance.
        instance: String,
        /// Before.
        from: u8,
        /// After.
        to: u8,
    },
    /// A track script's health changed.
    Script {
        /// Its name.
        script: String,
        /// Good now.
        healthy: bool,
        /// How the run that decided it ended.
        result: ScriptResult,
    },
    /// Received adverts dropped for one reason since the last such event (at most one a
    /// second per instance and reason).
    Drops {
        /// The instance.
        instance: String,
        /// The drop reason's name.
        reason: &'static str,
        /// How many since the last event.
        count: u64,
        /// The last sender.
        from: IpAddr,
    },
    /// A watched condition began.
    EpisodeBegan {
        /// The instance.
        instance: String,
        /// Which condition.
        kind: Episode,
        /// The other router.
        peer: IpAddr,
        /// Its advertised priority.
        priority: u8,
    },
    /// A watched condition ended: nothing heard of it for Master_Down_Interval.
    EpisodeEnded {
        /// The instance.
        instance: String,
        /// Which condition.
        kind: Episode,
        /// The other router.
        peer: IpAddr,
        /// Adverts counted in the episode.
        adverts: u64,
        /// How long it lasted.
        lasted: Micros,
    },
    /// The operator demoted an instance.
    Demoted {
        /// The instance.
        instance: String,
        /// The demotion's end, if it has one.
        until: Option<Micros>,
    },
    /// A demoted MASTER's handover ended.
    Handover {
        /// The instance.
        instance: String,
        /// How.
        outcome: Handover,
    },
    /// A demotion ended (promote, its duration, or the VIPs taken back).
    Promoted {
        /// The instance.
        instance: String,
    },
    /// A VIP appeared on or left its interface (the shell reports these from netlink: the
    /// kernel's word, whoever made the change).
    Vip {
        /// The instance whose VIP it is.
        instance: String,
        /// The VIP.
        addr: IpAddr,
        /// On the interface now.
        present: bool,
    },
    /// A new configuration is in force (SIGHUP).
    Reloaded,
}
