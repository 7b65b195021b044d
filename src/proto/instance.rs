//! One VRRP instance: its runtime state, its transitions (RFC 3768 §6.4 / RFC 5798 §6.4 with
//! keepalived's choices), Skew_Time and Master_Down_Interval, its timers firing, and the
//! advert it sends. The advert is built here and only here: the daemon puts
//! [`Agent::advert`] on the wire, the simulated LAN does the same, and the receive check's
//! expectation ([`Agent::expectation`]) comes from the same `AdvertSpec`.
use super::event::{Action, Event, InstanceId, Level, Reason, State, Stats};
use super::timers::{InstanceTimer, Timer};
use super::{track, Agent, Instant};
use crate::config::model::{Auth, Family, Instance, Micros, SECOND};
use crate::wire::vrrp::{self, Addrs, ChecksumMode, Expect, V2Auth, Version};
use crate::wire::{ah, ipv4};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The `drops_logged` bit of "received lower priority ... - discarding".
pub(crate) const LOWER_PRIORITY_LOGGED: u16 = 1 << 15;

/// The fixed part of an instance's adverts, resolved from its configuration once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AdvertSpec {
    pub(crate) version: Version,
    pub(crate) vrid: u8,
    /// v2: Adver Int in seconds (RFC 3768 §5.3.7); v3: Max Adver Int in centiseconds
    /// (RFC 5798 §5.2.7).
    pub(crate) interval: u16,
    pub(crate) auth: V2Auth,
    /// `auth_type AH`: the key of the AH header's ICV.
    pub(crate) ah_key: Option<[u8; 8]>,
    /// keepalived `v3_checksum_as_v2`: the v3 IPv4 checksum without the pseudo-header.
    pub(crate) v3_checksum_as_v2: bool,
}

impl AdvertSpec {
    fn of(c: &Instance) -> AdvertSpec {
        let version = if c.version == 3 { Version::V3 } else { Version::V2 };
        AdvertSpec {
            version,
            vrid: c.vrid,
            interval: match version {
                Version::V3 => (c.advert_int / 10_000) as u16,
                Version::V2 => (c.advert_int / SECOND) as u16,
            },
            auth: match &c.auth {
                Auth::Pass(p) => V2Auth::pass(*p),
                Auth::Ah(_) => V2Auth::AH,
                Auth::None => V2Auth::NONE,
            },
            ah_key: match c.auth {
                Auth::Ah(key) => Some(key),
                _ => None,
            },
            v3_checksum_as_v2: c.v3_checksum_as_v2,
        }
    }
}

/// An advert ready for the wire: the VRRP part, the checksum mode and the IP fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advert<'a> {
    /// The VRRP header and addresses.
    pub repr: vrrp::Repr<'a>,
    /// How the checksum is computed (v3 IPv4: with the pseudo-header unless
    /// `v3_checksum_as_v2`).
    pub checksum: ChecksumMode,
    /// The instance's source address ([`Agent::source_address`]).
    pub src: IpAddr,
    /// The group or the unicast peer.
    pub dst: IpAddr,
    /// 255 for multicast (RFC 5798 §5.1.1.3), keepalived's `unicast_ttl` otherwise.
    pub ttl: u8,
    /// Multicast (sent with MSG_DONTROUTE) or unicast.
    pub multicast: bool,
    /// The interface it leaves on.
    pub interface: &'a str,
    /// `auth_type AH`: the AH header to put before the advert.
    pub ah: Option<AhSeal>,
}

/// The AH header of an `auth_type AH` advert: its key and sequence number (the SPI is the
/// source address, the ICV computed over the datagram; `wire::ah`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AhSeal {
    /// The 8-byte zero-padded `auth_pass`.
    pub key: [u8; 8],
    /// The sequence number (keepalived `ipsecah_counter`).
    pub seq: u32,
}

/// An instance's AH sequence number, shared by what it sends and what it receives
/// (keepalived's seq_counter_t `ipsecah_counter`): a received advert must carry a higher one
/// and sets it; each advert sent carries it plus one. `cycle`: it reached 0xfffffffe and
/// stopped counting; the next MASTER state starts again from 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AhCounter {
    pub(crate) seq: u32,
    pub(crate) cycle: bool,
}

impl AhCounter {
    /// The number of the next advert (keepalived vrrp_update_pkt(): once per advert, the
    /// same for every unicast peer).
    pub(crate) fn next(&mut self) -> u32 {
        if self.seq > 0xffff_fffd {
            self.cycle = true;
        } else {
            self.seq += 1;
        }
        self.seq
    }
}

impl Advert<'_> {
    /// The IPv4 datagram of this advert with Identification `ident`: our header (keepalived
    /// vrrp_build_ip4()), for `auth_type AH` the AH header with its ICV (vrrp_build_ipsecah()),
    /// then the VRRP bytes. None for IPv6, which the kernel frames.
    pub fn ipv4_datagram(&self, ident: u16) -> Option<Vec<u8>> {
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (self.src, self.dst) else { return None };
        let at = ipv4::HEADER_LEN + if self.ah.is_some() { ah::HEADER_LEN } else { 0 };
        let mut frame = vec![0u8; at + self.repr.buffer_len()];
        self.repr.emit(&mut frame[at..], self.checksum).ok()?;
        let ip = ipv4::Repr {
            src,
            dst,
            protocol: if self.ah.is_some() { ah::PROTOCOL } else { vrrp::PROTOCOL },
            ttl: self.ttl,
            tos: ipv4::TOS_INTERNETWORK_CONTROL,
            ident,
            payload_len: (frame.len() - ipv4::HEADER_LEN) as u16,
        };
        ip.emit(&mut frame[..ipv4::HEADER_LEN]).ok()?;
        if let Some(seal) = self.ah {
            let header = ah::Repr { next_header: vrrp::PROTOCOL, spi: src.octets(), seq: seal.seq, icv: [0; 12] };
            header.emit(&mut frame[ipv4::HEADER_LEN..at]).ok()?;
            ah::seal(&mut frame, &seal.key, !self.multicast).ok()?;
        }
        Some(frame)
    }
}

/// Why [`Agent::advert`] has nothing to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAdvert<'a> {
    /// The instance has no interface (cannot happen after the loader's checks).
    NoInterface,
    /// No usable address on the interface yet (keepalived: no source address).
    NoSourceAddress {
        /// The interface without an address.
        interface: &'a str,
    },
}

/// Runtime state of one instance.
#[derive(Debug, Clone)]
pub(crate) struct Inst {
    pub(crate) state: State,
    pub(crate) effective: u8,
    /// Current Master_Adver_Interval: ours, or (v3 backup) the master's.
    pub(crate) master_adver_int: Micros,
    /// keepalived `preempt_delay`: lower-priority adverts are accepted until then.
    pub(crate) preempt_until: Option<Instant>,
    /// The master this BACKUP last accepted: (address, priority).
    pub(crate) master: Option<(IpAddr, u8)>,
    pub(crate) stats: Stats,
    /// The receive problems logged in this state, a bit each (a `DropReason::kind`, and
    /// `LOWER_PRIORITY_LOGGED`): keepalived logs every dropped advert; vrrpd logs each reason
    /// once until the state changes, so a flood cannot fill the log and a new reason is seen.
    pub(crate) drops_logged: u16,
    /// MASTER: when a lower-priority advert was last answered, and last answered with GARPs.
    pub(crate) last_lower_answer: Option<Instant>,
    /// MASTER: when a priority-0 advert was last answered.
    pub(crate) last_zero_answer: Option<Instant>,
    pub(crate) last_lower_garps: Option<Instant>,
    pub(crate) spec: AdvertSpec,
    pub(crate) ah: AhCounter,
    pub(crate) vip4: Vec<Ipv4Addr>,
    pub(crate) vip6: Vec<Ipv6Addr>,
    /// When the instance entered its state, and why (`vrrpd status`).
    pub(crate) since: Instant,
    pub(crate) reason: Reason,
    /// BACKUP: the lower-priority master whose adverts were last discarded (the preempted
    /// router when the down timer fires), and the master that last resigned.
    pub(crate) discarded: Option<(IpAddr, u8)>,
    pub(crate) resigned: Option<IpAddr>,
    /// `vrrpd demote` in force.
    pub(crate) demotion: Option<super::operator::Demotion>,
    /// Split brain and mismatch episodes under way, and their totals.
    pub(crate) watch: super::watch::Watch,
    /// Transitions so far, by new state and reason kind (`vrrpd metrics`).
    pub(crate) transitions: Vec<(State, &'static str, u64)>,
    /// Senders heard with the other v3 checksum form (at most `CHECKSUM_PEERS`).
    pub(crate) checksum_peers: Vec<super::event::ChecksumPeer>,
    /// When the last advert was sent (keepalived `last_advert_sent`, for timer_expired_backup).
    pub(crate) last_sent: Instant,
}

impl Inst {
    pub(crate) fn new(c: &Instance) -> Inst {
        let mut vip4 = Vec::new();
        let mut vip6 = Vec::new();
        for v in &c.vips {
            match v.addr {
                IpAddr::V4(a) => vip4.push(a),
                IpAddr::V6(a) => vip6.push(a),
            }
        }
        Inst {
            state: State::Init,
            effective: c.priority,
            master_adver_int: c.advert_int,
            preempt_until: None,
            master: None,
            stats: Stats::default(),
            drops_logged: 0,
            last_lower_answer: None,
            last_zero_answer: None,
            last_lower_garps: None,
            spec: AdvertSpec::of(c),
            ah: AhCounter::default(),
            vip4,
            vip6,
            since: Instant::ZERO,
            reason: Reason::Startup,
            discarded: None,
            resigned: None,
            demotion: None,
            watch: Default::default(),
            transitions: Vec::new(),
            checksum_peers: Vec::new(),
            last_sent: Instant::ZERO,
        }
    }

    /// The VIPs carried in adverts (those of the instance's family).
    pub(crate) fn addrs(&self, family: Family) -> Addrs<'_> {
        match family {
            Family::V4 => Addrs::V4(&self.vip4),
            Family::V6 => Addrs::V6(&self.vip6),
        }
    }
}

/// keepalived timer_expired_backup: the Skew_Time of the quickest other router, one whose
/// priority is the configured highest other priority. v2 counts it in seconds (RFC 3768
/// §6.1), v3 in advert intervals (RFC 5798 §6.1), as keepalived does.
pub(crate) fn takeover_skew(c: &Instance) -> Micros {
    let base = if c.version == 3 { c.advert_int } else { SECOND };
    (256 - u64::from(c.timer_expired_backup)) * base / 256
}

/// The one advert builder: what an instance configured as `c`, with these fixed fields and
/// VIPs, sends from `src` to `dst` announcing `priority` (with AH, as number `ah_seq`).
fn build_advert<'a>(
    c: &'a Instance,
    spec: AdvertSpec,
    addrs: Addrs<'a>,
    priority: u8,
    ah_seq: u32,
    src: IpAddr,
    dst: IpAddr,
) -> Advert<'a> {
    let multicast = c.unicast_peers.is_empty();
    // The VMAC's base with `vmac_xmit_base`, else the instance's interface (keepalived
    // vrrp_open_sockpool()).
    let interface = c.advert_interface().unwrap_or("");
    Advert {
        repr: vrrp::Repr {
            version: spec.version,
            vrid: spec.vrid,
            priority,
            interval: spec.interval,
            auth: spec.auth,
            addrs,
            reserved: 0,
        },
        checksum: ChecksumMode::for_packet(spec.version, src, dst, spec.v3_checksum_as_v2),
        src,
        dst,
        ttl: if multicast { 255 } else { c.unicast_ttl },
        multicast,
        interface,
        ah: spec.ah_key.map(|key| AhSeal { key, seq: ah_seq }),
    }
}

/// The priority-0 advert of an instance a reload removed while it was MASTER: built before
/// its configuration went, owned because no `InstanceId` names it any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseAdvert {
    config: Box<Instance>,
    spec: AdvertSpec,
    vip4: Vec<Ipv4Addr>,
    vip6: Vec<Ipv6Addr>,
    src: IpAddr,
    dst: IpAddr,
    ah_seq: u32,
}

impl ReleaseAdvert {
    /// The advert to send, as [`Agent::advert`] would have built it.
    pub fn advert(&self) -> Advert<'_> {
        let addrs = match self.config.family {
            Family::V4 => Addrs::V4(&self.vip4),
            Family::V6 => Addrs::V6(&self.vip6),
        };
        build_advert(&self.config, self.spec, addrs, 0, self.ah_seq, self.src, self.dst)
    }
}

impl Agent {
    /// The advert instance `i` sends announcing `priority` to `dst`, AH sequence number
    /// `ah_seq` (what [`Action::SendAdvert`] asks for), or why there is none.
    pub fn advert(&self, i: InstanceId, priority: u8, dst: IpAddr, ah_seq: u32) -> Result<Advert<'_>, NoAdvert<'_>> {
        let c = self.conf(i);
        let interface = c.advert_interface().ok_or(NoAdvert::NoInterface)?;
        let src = self.source_address(i).ok_or(NoAdvert::NoSourceAddress { interface })?;
        let rt = &self.inst[i.index()];
        Ok(build_advert(c, rt.spec, rt.addrs(c.family), priority, ah_seq, src, dst))
    }

    /// The priority-0 adverts (one per destination) of old instance `old`, configured as `c`,
    /// that a reload is removing.
    pub(crate) fn release_adverts(&self, c: &Instance, old: &Inst) -> Vec<ReleaseAdvert> {
        let Some(src) = self.source_for(c) else { return Vec::new() };
        // keepalived vrrp_send_adv(): one more AH number, shared by every destination.
        let mut counter = old.ah;
        let ah_seq = if old.spec.ah_key.is_some() { counter.next() } else { 0 };
        let dsts: Vec<IpAddr> = if c.unicast_peers.is_empty() {
            vec![c.mcast_dst]
        } else {
            c.unicast_peers.iter().map(|p| p.addr).collect()
        };
        dsts.into_iter()
            .map(|dst| ReleaseAdvert {
                config: Box::new(c.clone()),
                spec: old.spec,
                vip4: old.vip4.clone(),
                vip6: old.vip6.clone(),
                src,
                dst,
                ah_seq,
            })
            .collect()
    }

    /// The VRRP part of instance `i`'s advert announcing `priority`: what any router with
    /// this instance's configuration sends (RFC 3768 §5.3, RFC 5798 §5.2).
    pub fn advert_repr(&self, i: InstanceId, priority: u8) -> vrrp::Repr<'_> {
        let c = self.conf(i);
        let rt = &self.inst[i.index()];
        let unspecified = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        build_advert(c, rt.spec, rt.addrs(c.family), priority, 0, unspecified, unspecified).repr
    }

    /// How instance `i`'s adverts from `src` to `dst` are checksummed.
    pub fn advert_checksum(&self, i: InstanceId, src: IpAddr, dst: IpAddr) -> ChecksumMode {
        let spec = self.inst[i.index()].spec;
        ChecksumMode::for_packet(spec.version, src, dst, spec.v3_checksum_as_v2)
    }

    /// What instance `i` expects of an advert from `src`: the receive half of its
    /// `AdvertSpec`. The VIPs are checked except, with `vrrp_skip_check_adv_addr`, in the
    /// adverts of the master a BACKUP already follows (keepalived vrrp_state_backup()).
    pub fn expectation(&self, i: InstanceId, src: IpAddr) -> Expect<'_> {
        let c = self.conf(i);
        let rt = &self.inst[i.index()];
        let peer = c.unicast_peers.iter().find(|p| p.addr == src);
        let known_master = rt.state == State::Backup && rt.master.is_some_and(|(m, _)| m == src);
        Expect {
            version: rt.spec.version,
            multicast: c.unicast_peers.is_empty(),
            ttl_range: peer.filter(|p| (p.min_ttl, p.max_ttl) != (0, 255)).map(|p| (p.min_ttl, p.max_ttl)),
            auth: rt.spec.auth,
            ah_key: rt.spec.ah_key,
            v2_interval: rt.spec.interval,
            v3_checksum_as_v2: rt.spec.v3_checksum_as_v2,
            vrid: rt.spec.vrid,
            vips: rt.addrs(c.family),
            check_vips: !(c.skip_check_adv_addr && known_master),
        }
    }

    /// RFC 3768 §6.1 / RFC 5798 §6.1: Skew_Time, integer microseconds.
    pub(crate) fn skew(&self, i: InstanceId) -> Micros {
        let rt = &self.inst[i.index()];
        let p = 256 - rt.effective as u64;
        match self.conf(i).version {
            3 => p * rt.master_adver_int / 256,
            _ => p * SECOND / 256,
        }
    }

    /// Master_Down_Interval = down_timer_adverts x Master_Adver_Interval + Skew_Time.
    pub(crate) fn master_down(&self, i: InstanceId) -> Micros {
        self.conf(i).down_timer_adverts as u64 * self.inst[i.index()].master_adver_int + self.skew(i)
    }

    pub(crate) fn set_timer(&mut self, i: InstanceId, t: InstanceTimer, at: Instant) {
        self.timers.set(Timer::Instance(i, t), at);
    }

    pub(crate) fn instance_timer_fired(&mut self, i: InstanceId, t: InstanceTimer, now: Instant) {
        let state = self.inst[i.index()].state;
        let c = self.conf(i);
        let garp = c.garp;
        let advert_int = c.advert_int;
        match t {
            InstanceTimer::MasterDown if state == State::Backup => {
                if self.inst[i.index()].demotion.is_some() && !self.demoted_master_down(i, now) {
                    return;
                }
                self.log(Level::Detail, format!("({}) Receive advertisement timeout", self.name(i)));
                let rt = &self.inst[i.index()];
                let cause = match (rt.resigned, rt.discarded) {
                    (Some(from), _) => Reason::PriorityZero { from },
                    (None, Some((from, priority))) => Reason::Preempted { from, priority },
                    (None, None) => Reason::MasterDown,
                };
                self.caused(cause, |a| a.become_master(i, now));
            }
            InstanceTimer::Advert if state == State::Master => {
                let prio = self.inst[i.index()].effective;
                self.send_advert(i, prio);
                self.set_timer(i, InstanceTimer::Advert, now.plus(advert_int));
            }
            InstanceTimer::GarpDelayed if state == State::Master => self.send_garps(i, garp.master_repeat),
            InstanceTimer::GarpLowerPrio if state == State::Master => self.send_garps(i, garp.lower_prio_repeat),
            InstanceTimer::Handover if state == State::Master => self.handover_timed_out(i, now),
            InstanceTimer::GarpRefresh if state == State::Master && garp.master_refresh > 0 => {
                self.send_garps(i, garp.master_refresh_repeat);
                self.set_timer(i, InstanceTimer::GarpRefresh, now.plus(garp.master_refresh));
            }
            InstanceTimer::GarpExtraIf if state == State::Master && garp.extra_if > 0 => {
                // keepalived vrrp_send_vmac_update(): one GARP on each other interface.
                for a in self.conf(i).extra_if_garps() {
                    self.garp(i, a);
                }
                self.set_timer(i, InstanceTimer::GarpExtraIf, now.plus(garp.extra_if));
            }
            _ => {}
        }
    }

    /// keepalived at startup: "removing VIPs." (a crash may have left them behind).
    pub(crate) fn remove_leftovers(&mut self, i: InstanceId) {
        let actions = self.release_actions(i);
        if !actions.is_empty() {
            self.log(Level::Info, format!("({}) removing VIPs.", self.name(i)));
            self.out.extend(actions);
        }
    }

    /// What instance `i` holds when MASTER, to remove: its VIPs (excluded ones too), routes
    /// and rules, in that order.
    fn release_actions(&self, i: InstanceId) -> Vec<Action> {
        let c = self.conf(i);
        c.vips
            .iter()
            .chain(&c.excluded_vips)
            .map(|v| Action::RemoveAddress { instance: i, vip: v.clone() })
            .chain(c.routes.iter().map(|r| Action::RemoveRoute { instance: i, route: r.clone() }))
            .chain(c.rules.iter().map(|r| Action::RemoveRule { instance: i, rule: r.clone() }))
            .collect()
    }

    /// The instance's first state: BACKUP (init), or FAULT while a tracker holds it down.
    /// keepalived starts an instance whose link is down or whose interface has no address in
    /// FAULT at once, saying why, and runs the FAULT notifies (never BACKUP's).
    pub(crate) fn start_instance(&mut self, i: InstanceId, now: Instant) {
        let cause = if self.assess(i).fault || self.group_fault(i) {
            Reason::Fault(self.fault_cause(i))
        } else {
            Reason::Startup
        };
        self.caused(cause, |a| a.start_instance_now(i, now));
    }

    fn start_instance_now(&mut self, i: InstanceId, now: Instant) {
        let a = self.assess(i);
        self.inst[i.index()].effective = track::effective_priority(self.conf(i).priority, a.adjust);
        if let Some(down) = a.down {
            // keepalived's wording, colon and all, for the link case.
            let colon = if matches!(down, track::Down::Link(_)) { ":" } else { "" };
            self.log(Level::Info, format!("({}){colon} entering FAULT state ({down})", self.name(i)));
            self.set_state(i, State::Fault);
            self.log(Level::Info, format!("({}) entering FAULT state", self.name(i)));
            self.notify(i, State::Fault);
        } else if let Some(name) = self.process_fault(i) {
            // keepalived initialise_process_tracking_priorities() words it so.
            self.log(
                Level::Info,
                format!("({}) entering FAULT state (tracked process {name} quorum not achieved)", self.name(i)),
            );
            self.set_state(i, State::Fault);
            self.log(Level::Info, format!("({}) entering FAULT state", self.name(i)));
            self.notify(i, State::Fault);
        } else if a.fault || self.group_fault(i) {
            self.enter_fault(i, true);
        } else if a.waiting {
            // keepalived vrrp_init_state(): with a weight-0 script that has not reported the
            // instance waits in FAULT without saying so; the first result says BACKUP.
            self.set_state(i, State::Fault);
        } else {
            self.enter_backup(i, now, true);
        }
    }

    /// FAULT: leaving MASTER sends a priority-0 advert and releases the VIPs (RFC 5798
    /// §6.4.3 shutdown behaviour, keepalived vrrp_state_leave_master()).
    /// keepalived's order: the state line, then (from MASTER) the priority-0 advert and the
    /// VIPs released, then the notifies.
    pub(crate) fn enter_fault(&mut self, i: InstanceId, init: bool) {
        let was = self.inst[i.index()].state;
        let quiet_init = init && was == State::Init;
        let suffix = if quiet_init { " (init)" } else { "" };
        self.log(Level::Info, format!("({}) Entering FAULT STATE{suffix}", self.name(i)));
        if was == State::Master {
            self.leave_master(i, true);
        }
        self.set_state(i, State::Fault);
        if !quiet_init {
            self.notify(i, State::Fault);
        }
    }

    pub(crate) fn enter_backup(&mut self, i: InstanceId, now: Instant, init: bool) {
        let was = self.inst[i.index()].state;
        // keepalived logs "(init)" for an instance's first state, and for an instance a reload
        // finds in FAULT and lets go (it initialises the instances afresh).
        let first = (init && was == State::Init) || (self.reloading && was == State::Fault);
        let suffix = if first { " (init)" } else { "" };
        self.log(Level::Info, format!("({}) Entering BACKUP STATE{suffix}", self.name(i)));
        if was == State::Master {
            self.leave_master(i, false);
        }
        self.set_state(i, State::Backup);
        self.inst[i.index()].master_adver_int = self.conf(i).advert_int;
        let c = self.conf(i);
        let owner = c.priority == 255 && c.initial_state == crate::config::model::InitialState::Master;
        let down = if owner && was != State::Master {
            // The address owner in `state MASTER` (the loader's initial state, which keepalived
            // clears for sync groups and strict mode) does not wait: a 1 us down timer. An owner
            // in `state BACKUP` waits Master_Down_Interval like everyone (keepalived measured).
            1
        } else {
            self.master_down(i)
        };
        self.set_timer(i, InstanceTimer::MasterDown, now.plus(down));
        self.notify(i, State::Backup);
    }

    /// RFC 5798 §6.4.2 / keepalived vrrp_state_become_master(): the whole sync group goes
    /// MASTER with `i`, except members in FAULT.
    pub(crate) fn become_master(&mut self, i: InstanceId, now: Instant) {
        for m in self.members(i) {
            let s = self.inst[m.index()].state;
            if s == State::Master || (m != i && s == State::Fault) {
                continue;
            }
            self.enter_master(m, now);
        }
    }

    /// Advert first, then the VIPs, routes and rules, then GARPs (a second batch after
    /// garp_master_delay), then notifies.
    fn enter_master(&mut self, i: InstanceId, now: Instant) {
        let ah = &mut self.inst[i.index()].ah;
        if ah.cycle {
            // keepalived vrrp_state_goto_master(): a cycled AH counter starts again.
            *ah = AhCounter::default();
        }
        self.set_state(i, State::Master);
        self.log(Level::Info, format!("({}) Entering MASTER STATE", self.name(i)));
        let prio = self.inst[i.index()].effective;
        self.send_advert(i, prio);
        let c = self.conf(i).clone();
        self.set_timer(i, InstanceTimer::Advert, now.plus(c.advert_int));
        if !c.vips.is_empty() || !c.excluded_vips.is_empty() {
            self.log(Level::Info, format!("({}) setting VIPs.", c.name));
        }
        for v in c.vips.iter().chain(&c.excluded_vips) {
            self.out.push_back(Action::AddAddress { instance: i, vip: v.clone() });
        }
        for r in &c.routes {
            self.out.push_back(Action::AddRoute { instance: i, route: r.clone() });
        }
        for r in &c.rules {
            self.out.push_back(Action::AddRule { instance: i, rule: r.clone() });
        }
        self.send_garps(i, c.garp.master_repeat);
        if c.garp.master_delay > 0 {
            self.set_timer(i, InstanceTimer::GarpDelayed, now.plus(c.garp.master_delay));
        }
        if c.garp.master_refresh > 0 {
            self.set_timer(i, InstanceTimer::GarpRefresh, now.plus(c.garp.master_refresh));
        }
        if c.garp.extra_if > 0 {
            self.set_timer(i, InstanceTimer::GarpExtraIf, now.plus(c.garp.extra_if));
        }
        self.inst[i.index()].stats.become_master += 1;
        self.notify(i, State::Master);
    }

    /// Common exit from MASTER: optional priority-0 advert, VIPs/routes/rules released.
    pub(crate) fn leave_master(&mut self, i: InstanceId, send_zero: bool) {
        if send_zero {
            self.send_advert(i, 0);
            self.log(Level::Detail, format!("({}) sent 0 priority", self.name(i)));
        }
        if !self.conf(i).vips.is_empty() || !self.conf(i).excluded_vips.is_empty() {
            self.log(Level::Info, format!("({}) removing VIPs.", self.name(i)));
        }
        let released = self.release_actions(i);
        self.out.extend(released);
        self.inst[i.index()].stats.release_master += 1;
    }

    /// A new state starts with no timers, no preemption window, and receive errors logged
    /// afresh.
    pub(crate) fn set_state(&mut self, i: InstanceId, s: State) {
        let now = self.now;
        let reason = self.cause.clone().unwrap_or(Reason::Startup);
        let name = self.conf(i).name.clone();
        let inst = &mut self.inst[i.index()];
        let from = std::mem::replace(&mut inst.state, s);
        if from == State::Master && s != State::Master {
            self.handover_interrupted(i);
        }
        let inst = &mut self.inst[i.index()];
        if from != s {
            inst.since = now;
            match inst.transitions.iter_mut().find(|t| t.0 == s && t.1 == reason.kind()) {
                Some(t) => t.2 += 1,
                None => inst.transitions.push((s, reason.kind(), 1)),
            }
            inst.reason = reason.clone();
            let priority = inst.effective;
            self.out.push_back(Action::Event(Event::Transition { instance: name, from, to: s, reason, priority }));
        }
        let inst = &mut self.inst[i.index()];
        inst.discarded = None;
        inst.resigned = None;
        inst.preempt_until = None;
        inst.drops_logged = 0;
        inst.last_lower_answer = None;
        inst.last_zero_answer = None;
        inst.last_lower_garps = None;
        for t in [
            InstanceTimer::MasterDown,
            InstanceTimer::Advert,
            InstanceTimer::GarpDelayed,
            InstanceTimer::GarpLowerPrio,
            InstanceTimer::GarpRefresh,
            InstanceTimer::GarpExtraIf,
            InstanceTimer::Handover,
        ] {
            self.timers.stop(Timer::Instance(i, t));
        }
    }

    /// keepalived 2.2.8 `timer_expired_backup` (vrrp_thread_timeout_handler(), run when the
    /// scheduler wakes late): each MASTER with it whose last advert is older than 3 intervals
    /// plus the others' Skew_Time goes BACKUP, before any input of this wake is handled: a
    /// backup has probably taken over, and with nopreempt it keeps the VIPs rather than have
    /// them move twice. keepalived first asks that the earliest timer be late by the quickest
    /// takeover (2 intervals plus skew): implied here, as a MASTER's advert timer is due one
    /// interval after its last advert at the latest, and the earliest timer is no later.
    #[inline(never)]
    pub(crate) fn timers_expired_backup(&mut self, now: Instant) {
        let Some(due) = self.timers.next_timeout().filter(|d| *d < now) else { return };
        let late = now.since(due);
        let mut logged = false;
        for i in self.instance_ids() {
            let c = self.conf(i);
            let expires = self.inst[i.index()].last_sent.plus(3 * c.advert_int + takeover_skew(c));
            if c.timer_expired_backup == 0 || self.inst[i.index()].state != State::Master || now < expires {
                continue;
            }
            if !std::mem::replace(&mut logged, true) {
                let secs = crate::config::value::format_seconds(late);
                self.log(Level::Info, format!("VRRP thread timer expired {secs} seconds ago"));
            }
            self.caused(Reason::TimerExpired, |a| a.enter_backup(i, now, false));
        }
    }

    /// One advert to the group, or one to each unicast peer (keepalived `unicast_peer`).
    pub(crate) fn send_advert(&mut self, i: InstanceId, priority: u8) {
        self.inst[i.index()].last_sent = self.now;
        let c = &self.cfg.instances[i.index()];
        let rt = &mut self.inst[i.index()];
        let ah_seq = if rt.spec.ah_key.is_some() { rt.ah.next() } else { 0 };
        let stats = &mut rt.stats;
        let mut push = |dst: IpAddr| {
            self.out.push_back(Action::SendAdvert { instance: i, priority, dst, ah_seq });
            stats.advert_sent += 1;
            if priority == 0 {
                stats.pri_zero_sent += 1;
            }
        };
        if c.unicast_peers.is_empty() {
            push(c.mcast_dst);
        } else {
            c.unicast_peers.iter().for_each(|p| push(p.addr));
        }
    }

    /// `repeat` gratuitous ARPs / unsolicited NAs for every VIP (keepalived
    /// `garp_master_repeat` and friends).
    pub(crate) fn send_garps(&mut self, i: InstanceId, repeat: u32) {
        let c = self.conf(i);
        let addrs: Vec<IpAddr> = c.vips.iter().chain(&c.excluded_vips).map(|v| v.addr).collect();
        if addrs.is_empty() || repeat == 0 {
            return;
        }
        let ifname = c.interface.clone().unwrap_or_default();
        for a in &addrs {
            self.log(Level::Detail, format!("({}) Sending/queueing gratuitous ARPs on {ifname} for {a}", self.name(i)));
        }
        for _ in 0..repeat {
            for a in &addrs {
                self.garp(i, *a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AhCounter;

    #[test]
    fn the_ah_counter_counts_from_1_and_stops_cycled_at_0xfffffffe() {
        // keepalived vrrp_update_pkt(): past 0xfffffffd it stops counting and marks the counter
        // cycled (vrrp_state_goto_master() then starts it again).
        let mut c = AhCounter::default();
        assert_eq!((c.next(), c.next(), c.cycle), (1, 2, false));
        let mut c = AhCounter { seq: 0xffff_fffd, cycle: false };
        assert_eq!((c.next(), c.cycle), (0xffff_fffe, false));
        assert_eq!((c.next(), c.cycle), (0xffff_fffe, true));
        assert_eq!(c.next(), 0xffff_fffe);
    }
}
