//! Receiving: demultiplexing an advert to its instance without allocating, keepalived's
//! receive checks (vrrp.c vrrp_check_packet(), in its order, through
//! [`crate::wire::vrrp::validate`]), and what a BACKUP and a MASTER do with an accepted advert
//! (RFC 3768 §6.4.2-3, RFC 5798 §6.4.2-3, keepalived vrrp_state_backup() and
//! vrrp_state_master_rx()). Also the netlink side of receiving: an address that leaves an
//! interface.
use super::event::{Action, ChecksumPeer, InstanceId, Level, Reason, State};
use super::instance::LOWER_PRIORITY_LOGGED;
use super::timers::InstanceTimer;
use super::{Agent, Instant};
use crate::wire::vrrp::{self, DropReason, RxMeta};
use crate::wire::{ah, ipv4};
use std::net::IpAddr;

/// The most senders of the other checksum form an instance remembers.
const CHECKSUM_PEERS: usize = 8;

impl Agent {
    /// The instance an advert on `interface` with this VRID is for: by (interface, family,
    /// VRID), then (no interface, family, VRID); among several (unicast instances sharing a
    /// VRID), the one that has the sender as a peer.
    fn demux(&self, interface: &str, meta: &RxMeta, vrid: u8) -> Option<InstanceId> {
        let v4 = meta.src.is_ipv4();
        let id = self.iface_ids.get(interface).copied().unwrap_or(u32::MAX);
        let candidates = self.demux.get(&(id, v4, vrid)).or_else(|| self.demux.get(&(0, v4, vrid)))?;
        candidates
            .iter()
            .find(|i| {
                let p = &self.conf(**i).unicast_peers;
                p.is_empty() || p.iter().any(|p| p.addr == meta.src)
            })
            .or(candidates.first())
            .copied()
    }

    pub(crate) fn on_packet(&mut self, now: Instant, interface: &str, meta: RxMeta, header: &[u8], bytes: &[u8]) {
        if bytes.len() < 2 || self.in_startup_delay() {
            return;
        }
        let vrid = bytes[1];
        // keepalived receives an `auth_type AH` instance's adverts on a socket of protocol 51,
        // the others' on one of 112 (vrrp_scheduler.c): an advert of the other protocol never
        // reaches the instance, and is an unknown VRID there.
        let is_ah = header.len() > ipv4::HEADER_LEN && header[9] == ah::PROTOCOL;
        let found = self.demux(interface, &meta, vrid).filter(|i| self.inst[i.index()].spec.ah_key.is_some() == is_ah);
        let Some(i) = found else {
            if self.cfg.global.log_unknown_vrids {
                self.log(Level::Info, format!("Unknown VRID {vrid} received on {interface} from {}", meta.src));
            }
            return;
        };
        // An AH header for another protocol: not an advert (keepalived vrrp_check_packet()).
        let other_protocol = header.len().checked_sub(ah::HEADER_LEN).is_some_and(|k| header[k] != vrrp::PROTOCOL);
        if matches!(self.inst[i.index()].state, State::Init | State::Fault) || (is_ah && other_protocol) {
            return;
        }
        let expect = self.expectation(i, meta.src);
        let ours_cs = (self.conf(i).advert_int / 10_000) as u16;
        let mut ah_seq = self.inst[i.index()].ah.seq;
        let result = vrrp::validate(header, bytes, &meta, &expect, &mut ah_seq, ours_cs);
        let multicast = expect.multicast;
        self.inst[i.index()].ah.seq = ah_seq;
        let accepted = match result {
            Ok(a) => a,
            Err(d) => {
                self.count_drop(i, &d);
                self.saw_drop(i, now, meta.src, &d);
                // keepalived logs every drop; once per state is enough to be seen and does
                // not let a flood fill the log. The counters stay exact.
                let bit = 1u16 << d.kind();
                if self.inst[i.index()].drops_logged & bit == 0 {
                    self.inst[i.index()].drops_logged |= bit;
                    self.log(Level::Info, format!("({}) {d}", self.name(i)));
                }
                return;
            }
        };
        // keepalived: unicast source filter, owner ignoring adverts.
        let c = self.conf(i);
        if !multicast && c.check_unicast_src && !c.unicast_peers.iter().any(|p| p.addr == meta.src) {
            self.inst[i.index()].stats.advert_rcvd += 1;
            self.log(Level::Info, format!("({}) unicast source address {} not a unicast peer", self.name(i), meta.src));
            return;
        }
        if c.owner_ignore_adverts && c.priority == 255 {
            return;
        }
        if accepted.other_checksum_form {
            self.saw_other_checksum_form(i, meta.src);
        }
        let r = accepted.repr;
        let rt = &mut self.inst[i.index()];
        rt.stats.advert_rcvd += 1;
        // keepalived clears a cycled AH counter on an advert a BACKUP or MASTER accepts.
        rt.ah.cycle = false;
        if r.priority == 0 {
            rt.stats.pri_zero_rcvd += 1;
        }
        match rt.state {
            State::Backup => self.backup_receives(i, now, meta.src, r.priority, r.interval),
            State::Master => {
                if self.handover_heard(i, now, meta.src, r.priority, r.interval) {
                    return;
                }
                let own = self.source_address(i);
                if own != Some(meta.src) {
                    // An advert we yield to is an election (a preemption, or the heal of a
                    // partition), logged as information; one we do not yield to is a warning.
                    let ours = self.inst[i.index()].effective;
                    let yields =
                        r.priority > ours || (r.priority == ours && own.is_some_and(|o| ip_greater(meta.src, o)));
                    self.saw_other_master(i, now, meta.src, r.priority, yields);
                }
                self.master_receives(i, now, meta.src, r.priority)
            }
            _ => {}
        }
    }

    /// An advert from `from` passed with the v3 checksum form we do not send (RFC 9568 §5.2.8):
    /// counted per sender, and logged when a sender is first heard so. At most
    /// `CHECKSUM_PEERS` senders are kept (a LAN has a few routers per VRID; spoofed sources
    /// must not grow the table), the total counts them all.
    #[inline(never)]
    fn saw_other_checksum_form(&mut self, i: InstanceId, from: IpAddr) {
        // Theirs is the form ours is not.
        let pseudo_header = self.conf(i).v3_checksum_as_v2;
        let rt = &mut self.inst[i.index()];
        rt.stats.checksum_other_form += 1;
        if let Some(p) = rt.checksum_peers.iter_mut().find(|p| p.addr == from && p.pseudo_header == pseudo_header) {
            p.adverts += 1;
            return;
        }
        if rt.checksum_peers.len() >= CHECKSUM_PEERS {
            return;
        }
        rt.checksum_peers.push(ChecksumPeer { addr: from, pseudo_header, adverts: 1 });
        let theirs = if pseudo_header { "with" } else { "without" };
        let name = self.name(i);
        self.log(
            Level::Info,
            format!("({name}) {from} sends VRRPv3 checksums {theirs} the pseudo-header: accepted (RFC 9568)"),
        );
    }

    /// Each drop reason counts in the keepalived statistic it names.
    fn count_drop(&mut self, i: InstanceId, d: &DropReason) {
        let s = &mut self.inst[i.index()].stats;
        if d.counted_as_received() {
            s.advert_rcvd += 1;
        }
        match d {
            DropReason::PacketLength { .. } => s.packet_len_err += 1,
            DropReason::IpTtl { .. } => s.ip_ttl_err += 1,
            DropReason::Version { .. } => s.version_err += 1,
            DropReason::InvalidAuthType { .. } => s.invalid_authtype += 1,
            DropReason::AuthTypeMismatch { .. } => s.authtype_mismatch += 1,
            DropReason::AuthFailure | DropReason::AhIcv | DropReason::AhSpi { .. } | DropReason::AhSequence { .. } => {
                s.auth_failure += 1
            }
            DropReason::AdvertInterval { .. } => s.advert_interval_err += 1,
            DropReason::InvalidType { .. } => s.invalid_type_rcvd += 1,
            DropReason::Checksum { .. } => s.checksum_err += 1,
            DropReason::AddrCount { .. } | DropReason::CastMismatch { .. } | DropReason::AddrList { .. } => {
                s.addr_list_err += 1
            }
        }
    }

    /// RFC 5798 §6.4.2 with keepalived's choices (vrrp_state_backup()).
    pub(crate) fn backup_receives(&mut self, i: InstanceId, now: Instant, src: IpAddr, prio: u8, interval_cs: u16) {
        if prio == 0 {
            // Fast path: take over after Skew_Time only.
            self.log(Level::Detail, format!("({}) Backup received priority 0 advertisement", self.name(i)));
            self.inst[i.index()].resigned = Some(src);
            self.set_timer(i, InstanceTimer::MasterDown, now.plus(self.skew(i)));
            return;
        }
        let c = self.conf(i);
        let (nopreempt, preempt_delay, v3) = (c.nopreempt, c.preempt_delay, c.version == 3);
        let rt = &mut self.inst[i.index()];
        let ours = rt.effective;
        // A demoted instance follows any master: it must not preempt (operator.rs).
        let mut accept = prio >= ours || nopreempt || rt.demotion.is_some();
        if !accept && preempt_delay > 0 {
            // preempt_delay: accept lower priorities for a while before preempting.
            let until = *rt.preempt_until.get_or_insert(now.plus(preempt_delay));
            accept = now < until;
        }
        if !accept {
            // Discarded adverts do not restart the down timer: it fires and we preempt.
            rt.discarded = Some((src, prio));
            if rt.drops_logged & LOWER_PRIORITY_LOGGED == 0 {
                rt.drops_logged |= LOWER_PRIORITY_LOGGED;
                let line =
                    format!("({}) received lower priority ({prio}) advert from {src} - discarding", self.name(i));
                self.log(Level::Info, line);
            }
            return;
        }
        if prio >= ours {
            rt.preempt_until = None;
        }
        rt.discarded = None;
        rt.resigned = None;
        if v3 {
            // RFC 5798 §6.4.2: a backup learns the master's advertisement interval.
            rt.master_adver_int = (interval_cs as u64).max(1) * 10_000;
        }
        rt.master = Some((src, prio));
        self.set_timer(i, InstanceTimer::MasterDown, now.plus(self.master_down(i)));
    }

    /// RFC 5798 §6.4.3 with keepalived's choices (vrrp_state_master_rx()).
    fn master_receives(&mut self, i: InstanceId, now: Instant, src: IpAddr, prio: u8) {
        let c = self.conf(i).clone();
        let ours = self.inst[i.index()].effective;
        if prio == 0 {
            // RFC 5798 §6.4.3: answer a priority-0 advert at once; at most once per advert
            // interval, so a stream of them is no amplifier either.
            let rt = &mut self.inst[i.index()];
            if rt.last_zero_answer.is_none_or(|t| now.since(t) >= c.advert_int) {
                rt.last_zero_answer = Some(now);
                self.send_advert(i, ours);
                self.set_timer(i, InstanceTimer::Advert, now.plus(c.advert_int));
            }
            return;
        }
        let higher_ip = self.source_address(i).is_some_and(|o| ip_greater(src, o));
        if prio > ours || (prio == ours && higher_ip) {
            let line = if prio > ours {
                format!("({}) Master received advert from {src} with higher priority {prio}, ours {ours}", c.name)
            } else {
                format!(
                    "({}) Master received advert from {src} with same priority {prio} but higher IP address than ours",
                    c.name
                )
            };
            self.log(Level::Info, line);
            if c.higher_prio_send_advert {
                // Make the new master's peers see it change state (and send GARPs).
                self.send_advert(i, ours);
            }
            self.caused(Reason::HigherPriority { from: src, priority: prio }, |a| {
                for m in a.members(i) {
                    if a.inst[m.index()].state == State::Master {
                        a.enter_backup(m, now, false);
                    }
                }
            });
            self.inst[i.index()].master = Some((src, prio));
            return;
        }
        // Lower priority (or equal with a lower address): another router thinks it is master.
        // keepalived answers every such advert with an advert, a GARP burst, a notify and a log
        // line, which makes a spoofer's stream an amplifier. vrrpd answers at most once per
        // advert interval (the GARP burst once per garp_lower_prio_delay, at least an
        // interval); the counter counts every one.
        let rt = &mut self.inst[i.index()];
        rt.stats.lower_prio_rcvd += 1;
        // keepalived vrrp_state_master_rx() "Syncing seq_num": our next AH advert is numbered
        // two past the lower one's (its number is ours since validate).
        let ah = rt.spec.ah_key.is_some();
        if ah {
            // Saturating where keepalived's u32 wraps: a lower advert numbered 0xffffffff must
            // not take our counter back to 0, which would let every captured advert replay.
            rt.ah.seq = rt.ah.seq.saturating_add(1);
        }
        let answer = rt.last_lower_answer.is_none_or(|t| now.since(t) >= c.advert_int);
        if !answer {
            return;
        }
        rt.last_lower_answer = Some(now);
        let garp_window = c.garp.lower_prio_delay.max(c.advert_int);
        let garps = c.garp.lower_prio_repeat > 0 && rt.last_lower_garps.is_none_or(|t| now.since(t) >= garp_window);
        if garps {
            rt.last_lower_garps = Some(now);
        }
        let forcing = if c.lower_prio_no_advert { "" } else { ", forcing new election" };
        self.log(
            Level::Info,
            format!("({}) Received advert from {src} with lower priority {prio}, ours {ours}{forcing}", c.name),
        );
        if ah {
            self.log(Level::Info, format!("({}) IPSEC-AH : Syncing seq_num - Increment seq", c.name));
        }
        if !c.lower_prio_no_advert {
            self.send_advert(i, ours);
            self.set_timer(i, InstanceTimer::Advert, now.plus(c.advert_int));
        }
        if garps {
            self.send_garps(i, c.garp.lower_prio_repeat);
            if c.garp.lower_prio_delay > 0 {
                self.set_timer(i, InstanceTimer::GarpLowerPrio, now.plus(c.garp.lower_prio_delay));
            }
        }
        if let Some(cmd) = &c.notify.master_rx_lower_pri {
            self.out.push_back(Action::Notify { command: cmd.clone(), extra: Vec::new(), kill_after: None });
        }
        self.fifo(format!("INSTANCE \"{}\" MASTER_RX_LOWER_PRI {}\n", c.name, ours));
    }

    /// An address appeared: an instance on that interface in FAULT for want of a source
    /// address may now leave it (keepalived: "Assigned address ... for interface").
    pub(crate) fn on_address_added(&mut self, now: Instant, interface: &str, addr: IpAddr) {
        let known = self.addrs.get(interface).is_some_and(|l| l.contains(&addr));
        if !known && self.is_instance_interface(interface) && !self.is_vip(addr) {
            self.log(Level::Detail, format!("Assigned address {addr} for interface {interface}"));
        }
        self.record_address(interface, addr);
        let waiting: Vec<InstanceId> = self
            .instance_ids()
            .filter(|&i| self.inst[i.index()].state == State::Fault && self.on_interface(i, interface))
            .collect();
        for i in waiting {
            self.reassess(i, now);
        }
    }

    fn on_interface(&self, i: InstanceId, interface: &str) -> bool {
        self.conf(i).interface.as_deref() == Some(interface)
    }

    fn is_instance_interface(&self, interface: &str) -> bool {
        self.instance_ids().any(|i| self.on_interface(i, interface))
    }

    /// An address left `interface`. An instance left without a source address goes FAULT.
    /// keepalived set_vrrp_backup(): a VIP of a MASTER deleted by someone else makes it send
    /// priority 0, release the rest, go BACKUP and retake after Skew_Time.
    pub(crate) fn on_address_removed(&mut self, now: Instant, interface: &str, addr: IpAddr) {
        let known = self.addrs.get(interface).is_some_and(|l| l.contains(&addr));
        if known && self.is_instance_interface(interface) && !self.is_vip(addr) {
            self.log(Level::Detail, format!("Deassigned address {addr} from interface {interface}"));
        }
        if let Some(list) = self.addrs.get_mut(interface) {
            list.retain(|a| *a != addr);
        }
        // The instance's last source address went: FAULT (keepalived), VIPs released. A VIP is
        // never a source address (unless it is also someone's unicast_src_ip), so its removal
        // strands nobody: 200 VIPs released at once need no 200 x 200 assessments.
        let can_strand = !self.is_vip(addr) || self.cfg.instances.iter().any(|c| c.unicast_src == Some(addr));
        let stranded: Vec<InstanceId> = self
            .instance_ids()
            .filter(|&i| {
                can_strand
                    && self.inst[i.index()].state != State::Fault
                    && self.on_interface(i, interface)
                    && self.assess(i).down.is_some()
            })
            .collect();
        for i in stranded {
            self.reassess(i, now);
        }
        for n in 0..self.inst.len() {
            let i = InstanceId::from_index(n);
            if self.inst[n].state != State::Master {
                continue;
            }
            let c = self.conf(i);
            let hit = c.vips.iter().chain(&c.excluded_vips).any(|v| {
                v.addr == addr && !v.no_track && v.dev.as_deref().or(c.interface.as_deref()) == Some(interface)
            });
            if !hit {
                continue;
            }
            self.log(Level::Detail, format!("Netlink reflector reports IP {addr} removed from {interface}"));
            let outer = self.cause.replace(Reason::VipRemoved { addr });
            for m in self.members(i) {
                if self.inst[m.index()].state == State::Master {
                    self.log(Level::Info, format!("({}) Entering BACKUP STATE", self.name(m)));
                    self.leave_master(m, true);
                    self.set_state(m, State::Backup);
                    self.notify(m, State::Backup);
                    let skew = self.skew(m);
                    self.set_timer(m, InstanceTimer::MasterDown, now.plus(skew));
                }
            }
            self.cause = outer;
        }
    }
}

/// keepalived compares source addresses numerically (network byte order).
fn ip_greater(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets() > b.octets(),
        (IpAddr::V6(a), IpAddr::V6(b)) => a.octets() > b.octets(),
        _ => false,
    }
}
