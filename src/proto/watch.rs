//! What a MASTER should not hear, reported rather than only survived (vrrpd's own): another
//! router advertising for its VRID, at any priority (split brain; the heal of a partition,
//! where the side that yields may be the only one to hear the other; the crossing of a
//! preemption, one advert long), and
//! adverts for its VRID that disagree with its configuration (another address list, other
//! authentication, another interval or version: two virtual routers on one VRID, or configs
//! that differ). Each is an episode: it begins at the first such advert (logged once, with
//! the other router's address), counts every advert, and ends when none has been heard for
//! Master_Down_Interval (at least a second). Also the per-reason summaries of dropped adverts
//! for `vrrpd events`, at most one a second per instance and reason.
use super::event::{Episode, Event, InstanceId, Level};
use super::timers::Timer;
use super::{Agent, Instant};
use crate::config::model::{Micros, SECOND};
use crate::wire::vrrp::DropReason;
use std::net::IpAddr;

/// An episode under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenEpisode {
    /// The other router (the last one heard).
    pub peer: IpAddr,
    /// Its advertised priority (the last one heard).
    pub priority: u8,
    /// The first advert of the episode.
    pub since: Instant,
    /// The last one.
    pub last: Instant,
    /// Adverts counted in the episode.
    pub adverts: u64,
}

/// Drops of one reason not yet reported in an event.
#[derive(Debug, Clone, Copy)]
struct DropTally {
    kind: u8,
    pending: u64,
    reported: Option<Instant>,
}

/// Per instance: the episodes under way and their totals.
#[derive(Debug, Clone, Default)]
pub(crate) struct Watch {
    /// Indexed by `slot(kind)`.
    pub(crate) open: [Option<OpenEpisode>; 2],
    /// Adverts counted, per kind, ever.
    pub(crate) adverts: [u64; 2],
    /// Episodes begun, per kind, ever.
    pub(crate) episodes: [u64; 2],
    drops: Vec<DropTally>,
}

pub(crate) fn slot(kind: Episode) -> usize {
    match kind {
        Episode::OtherMaster => 0,
        Episode::Mismatch => 1,
    }
}

const KINDS: [Episode; 2] = [Episode::OtherMaster, Episode::Mismatch];

/// Drops that say another configuration is on the VRID (not corruption or noise).
fn is_mismatch(d: &DropReason) -> bool {
    matches!(
        d,
        DropReason::AddrList { .. }
            | DropReason::AddrCount { .. }
            | DropReason::AuthTypeMismatch { .. }
            | DropReason::AuthFailure
            | DropReason::AhIcv
            | DropReason::AdvertInterval { .. }
            | DropReason::Version { .. }
    )
}

impl Agent {
    /// How long an episode must be quiet to end.
    fn quiet_time(&self, i: InstanceId) -> Micros {
        self.master_down(i).max(SECOND)
    }

    /// A valid advert from `peer` reached `i` while it is MASTER.
    /// `yields`: the advert makes `i` step down at once (logged as information, not warning).
    pub(crate) fn saw_other_master(&mut self, i: InstanceId, now: Instant, peer: IpAddr, priority: u8, yields: bool) {
        let level = if yields { Level::Info } else { Level::Warning };
        self.sighting(i, now, Episode::OtherMaster, peer, priority, level);
    }

    /// `d` dropped an advert from `peer` for `i`: counted for `vrrpd events`, and an episode
    /// when it is a configuration mismatch.
    pub(crate) fn saw_drop(&mut self, i: InstanceId, now: Instant, peer: IpAddr, d: &DropReason) {
        let kind = d.kind();
        let w = &mut self.inst[i.index()].watch;
        let at = match w.drops.iter().position(|t| t.kind == kind) {
            Some(k) => k,
            None => {
                w.drops.push(DropTally { kind, pending: 0, reported: None });
                w.drops.len() - 1
            }
        };
        let t = &mut w.drops[at];
        t.pending += 1;
        if t.reported.is_none_or(|r| now.since(r) >= SECOND) {
            let count = std::mem::take(&mut t.pending);
            t.reported = Some(now);
            self.event(Event::Drops { instance: self.name(i), reason: d.counter(), count, from: peer });
        }
        if is_mismatch(d) {
            // The drop's own line follows (rx.rs), in keepalived's words.
            self.sighting(i, now, Episode::Mismatch, peer, 0, Level::Warning);
        }
    }

    fn sighting(&mut self, i: InstanceId, now: Instant, kind: Episode, peer: IpAddr, priority: u8, level: Level) {
        let k = slot(kind);
        let w = &mut self.inst[i.index()].watch;
        w.adverts[k] += 1;
        if let Some(e) = w.open[k].as_mut() {
            e.last = now;
            e.adverts += 1;
            e.peer = peer;
            e.priority = priority;
            return;
        }
        w.open[k] = Some(OpenEpisode { peer, priority, since: now, last: now, adverts: 1 });
        w.episodes[k] += 1;
        let name = self.name(i);
        let vrid = self.conf(i).vrid;
        let line = match kind {
            Episode::OtherMaster => {
                format!("({name}) another master for VRID {vrid}: {peer} with priority {priority} while we are MASTER")
            }
            Episode::Mismatch => format!("({name}) adverts for VRID {vrid} from {peer} do not match ours"),
        };
        self.log(level, line);
        self.event(Event::EpisodeBegan { instance: name, kind, peer, priority });
        if self.timers.get(Timer::Episode(i)).is_none() {
            let quiet = self.quiet_time(i);
            self.timers.set(Timer::Episode(i), now.plus(quiet));
        }
    }

    /// Timer::Episode: close what has been quiet long enough; check again for the rest.
    pub(crate) fn episode_check(&mut self, i: InstanceId, now: Instant) {
        let quiet = self.quiet_time(i);
        let mut next: Option<Instant> = None;
        for kind in KINDS {
            let Some(e) = self.inst[i.index()].watch.open[slot(kind)] else { continue };
            if now.since(e.last) < quiet {
                let at = e.last.plus(quiet);
                next = Some(next.map_or(at, |n| n.min(at)));
                continue;
            }
            self.inst[i.index()].watch.open[slot(kind)] = None;
            let name = self.name(i);
            let lasted = e.last.since(e.since);
            let what = match kind {
                Episode::OtherMaster => "other master",
                Episode::Mismatch => "mismatched adverts from",
            };
            self.log(
                Level::Info,
                format!(
                    "({name}) {what} {} no longer heard ({} adverts in {} s)",
                    e.peer,
                    e.adverts,
                    crate::config::value::format_seconds(lasted)
                ),
            );
            self.event(Event::EpisodeEnded { instance: name, kind, peer: e.peer, adverts: e.adverts, lasted });
        }
        if let Some(at) = next {
            self.timers.set(Timer::Episode(i), at);
        }
    }

    /// Instance `i`'s episode of `kind` under way, if any.
    pub fn episode(&self, i: InstanceId, kind: Episode) -> Option<OpenEpisode> {
        self.inst[i.index()].watch.open[slot(kind)]
    }

    /// Instance `i`'s totals for `kind`: (episodes begun, adverts counted).
    pub fn episode_totals(&self, i: InstanceId, kind: Episode) -> (u64, u64) {
        let w = &self.inst[i.index()].watch;
        (w.episodes[slot(kind)], w.adverts[slot(kind)])
    }
}
