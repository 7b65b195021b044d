//! The agent's timers as data (the quinn-proto `TimerTable` shape): every deadline the
//! protocol has is one entry keyed by [`Timer`], set, read and stopped by name. The shell
//! never sees them; it asks [`TimerTable::next_timeout`] (through `Agent::poll_timeout`) when
//! to call back, and the agent fires whatever is due at that `now`.
//!
//! Invariant: `order` holds exactly one `(deadline, timer)` pair for each entry of `at`, so
//! the earliest deadline is read without mutation and a stopped timer leaves nothing behind.
//! Due timers fire in deadline order; at one instant, in `Timer` order (instances by id and,
//! within one, master-down before advert before the GARP schedules; then scripts, links, the
//! startup delay).
use super::event::{InstanceId, ScriptId};
use super::time::Instant;
use std::collections::{BTreeSet, HashMap};

/// The per-instance timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum InstanceTimer {
    /// BACKUP: Master_Down_Interval (RFC 5798 §6.4.2), or Skew_Time after a priority-0 advert.
    MasterDown,
    /// MASTER: Advertisement_Interval (RFC 5798 §6.4.3).
    Advert,
    /// keepalived `garp_master_delay`: the second GARP burst after becoming MASTER.
    GarpDelayed,
    /// keepalived `garp_lower_prio_delay`: the second burst after a lower-priority advert.
    GarpLowerPrio,
    /// keepalived `garp_master_refresh`: periodic GARPs while MASTER.
    GarpRefresh,
    /// keepalived `garp_extra_if`: periodic GARPs on the other interfaces while MASTER.
    GarpExtraIf,
    /// A demoted MASTER, silent since its priority-0 advert, gives up waiting for a new
    /// master (operator.rs).
    Handover,
}

/// Every timer the agent can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Timer {
    Instance(InstanceId, InstanceTimer),
    /// The next run of a track script (keepalived `interval`).
    Script(ScriptId),
    /// A debounced link change takes effect (keepalived `interface_up_down_delays`); the
    /// number is the link's position in the agent's link table.
    Link(usize),
    /// A `vrrpd demote --for` ends (not an `InstanceTimer`: it outlives state changes).
    Demotion(InstanceId),
    /// An episode of `watch` may have ended (checked at its last sighting plus the quiet time).
    Episode(InstanceId),
    /// A tracked process's `terminate_delay` or `fork_delay` ends: its quorum is decided again.
    Process(super::event::TrackProcessId),
    /// `vrrp_startup_delay` / `vrrp_delay_after_boot` ends.
    Startup,
    /// A gratuitous ARP / NA held back by `garp_group` pacing may go (pacing.rs; keepalived
    /// has one such thread, vrrp_arp_thread()).
    Garp,
}

/// Deadlines by timer, with an ordered index for the earliest.
#[derive(Debug, Default)]
pub(crate) struct TimerTable {
    at: HashMap<Timer, Instant>,
    order: BTreeSet<(Instant, Timer)>,
}

impl TimerTable {
    /// Arms `timer` for `deadline`, replacing any earlier setting.
    pub(crate) fn set(&mut self, timer: Timer, deadline: Instant) {
        if let Some(old) = self.at.insert(timer, deadline) {
            self.order.remove(&(old, timer));
        }
        self.order.insert((deadline, timer));
    }

    /// The deadline of `timer`, if armed.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.at.get(&timer).copied()
    }

    /// Disarms `timer` (nothing if it was not armed).
    pub(crate) fn stop(&mut self, timer: Timer) {
        if let Some(old) = self.at.remove(&timer) {
            self.order.remove(&(old, timer));
        }
    }

    /// The earliest deadline.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.order.first().map(|(at, _)| *at)
    }

    /// Disarms and returns the earliest timer due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Timer> {
        let &(at, timer) = self.order.first()?;
        if at > now {
            return None;
        }
        self.order.pop_first();
        self.at.remove(&timer);
        Some(timer)
    }

    /// Disarms everything.
    pub(crate) fn clear(&mut self) {
        self.at.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(us: u64) -> Instant {
        Instant::from_micros(us)
    }

    #[test]
    fn set_replaces_and_stop_removes() {
        let mut table = TimerTable::default();
        let a = Timer::Instance(InstanceId::from_index(0), InstanceTimer::Advert);
        table.set(a, t(50));
        table.set(a, t(20));
        assert_eq!((table.get(a), table.next_timeout()), (Some(t(20)), Some(t(20))));
        table.stop(a);
        assert_eq!((table.get(a), table.next_timeout()), (None, None), "a re-armed timer leaves no entry behind");
    }

    #[test]
    fn due_timers_fire_in_deadline_then_timer_order() {
        let mut table = TimerTable::default();
        let i0 = InstanceId::from_index(0);
        let i1 = InstanceId::from_index(1);
        table.set(Timer::Startup, t(10));
        table.set(Timer::Instance(i1, InstanceTimer::MasterDown), t(10));
        table.set(Timer::Instance(i0, InstanceTimer::Advert), t(10));
        table.set(Timer::Instance(i0, InstanceTimer::MasterDown), t(5));
        table.set(Timer::Script(ScriptId(3)), t(11));
        let mut fired = Vec::new();
        while let Some(x) = table.pop_due(t(10)) {
            fired.push(x);
        }
        assert_eq!(
            fired,
            [
                Timer::Instance(i0, InstanceTimer::MasterDown),
                Timer::Instance(i0, InstanceTimer::Advert),
                Timer::Instance(i1, InstanceTimer::MasterDown),
                Timer::Startup
            ]
        );
        assert_eq!(table.next_timeout(), Some(t(11)), "not due yet");
    }
}
