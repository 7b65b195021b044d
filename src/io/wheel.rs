//! A hashed timer wheel (Varghese & Lauck) for the reactor: the core's `poll_timeout()`
//! deadline and the shell's own timers (script timeouts and kill escalation) are inserted here.
//!
//! Deadlines are absolute microseconds; slots are 1 ms ticks, 512 per revolution. An entry
//! keeps its exact deadline, so one due in a later revolution stays in its slot until the
//! wheel comes round to it at the right time. Cancellation is by generation: a cancelled or
//! re-armed timer's old entry is skipped when its slot is visited (a stale entry is harmless).
use std::collections::HashMap;

pub const TICK_US: u64 = 1_000;
pub const SLOTS: usize = 512;

/// Handle to cancel or re-arm a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId(u64);

struct Entry<T> {
    id: u64,
    deadline: u64,
    item: T,
}

pub struct Wheel<T> {
    slots: Vec<Vec<Entry<T>>>,
    /// Live timers: id -> deadline (an id missing here is cancelled).
    live: HashMap<u64, u64>,
    next_id: u64,
    /// The tick up to which slots have been processed.
    current_tick: u64,
}

impl<T> Wheel<T> {
    pub fn new(now_us: u64) -> Wheel<T> {
        Wheel {
            slots: (0..SLOTS).map(|_| Vec::new()).collect(),
            live: HashMap::new(),
            next_id: 1,
            current_tick: now_us / TICK_US,
        }
    }

    pub fn len(&self) -> usize {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    pub fn insert(&mut self, deadline_us: u64, item: T) -> TimerId {
        let id = self.next_id;
        self.next_id += 1;
        // A deadline in the past goes in the current slot and fires at the next expire().
        let tick = (deadline_us / TICK_US).max(self.current_tick);
        self.slots[(tick % SLOTS as u64) as usize].push(Entry { id, deadline: deadline_us, item });
        self.live.insert(id, deadline_us);
        TimerId(id)
    }

    /// Cancels a timer; false if it already fired or was cancelled.
    pub fn cancel(&mut self, id: TimerId) -> bool {
        self.live.remove(&id.0).is_some()
    }

    /// The earliest live deadline, for the poll timeout.
    pub fn next_deadline(&self) -> Option<u64> {
        // Slots within one revolution hold the near deadlines; look there first.
        for k in 0..SLOTS as u64 {
            let tick = self.current_tick + k;
            let slot = &self.slots[(tick % SLOTS as u64) as usize];
            let best = slot
                .iter()
                .filter(|e| self.live.get(&e.id) == Some(&e.deadline) && e.deadline / TICK_US <= tick)
                .map(|e| e.deadline)
                .min();
            if best.is_some() {
                return best;
            }
        }
        // Far deadlines (beyond one revolution): rare, a linear look is fine.
        self.live.values().copied().min()
    }

    /// Removes and returns every timer due at `now_us`, earliest first.
    pub fn expire(&mut self, now_us: u64) -> Vec<T> {
        let mut due: Vec<(u64, u64, T)> = Vec::new();
        let now_tick = now_us / TICK_US;
        let last = now_tick.min(self.current_tick + SLOTS as u64 - 1);
        let mut tick = self.current_tick;
        while tick <= last {
            let slot = &mut self.slots[(tick % SLOTS as u64) as usize];
            let mut keep = Vec::with_capacity(slot.len());
            for e in slot.drain(..) {
                match self.live.get(&e.id) {
                    Some(&d) if d == e.deadline && e.deadline <= now_us => {
                        self.live.remove(&e.id);
                        due.push((e.deadline, e.id, e.item));
                    }
                    Some(&d) if d == e.deadline => keep.push(e),
                    _ => {} // cancelled: drop the stale entry
                }
            }
            *slot = keep;
            tick += 1;
        }
        // The current tick's slot may still hold entries due later within this millisecond.
        self.current_tick = now_tick;
        due.sort_by_key(|d| (d.0, d.1));
        due.into_iter().map(|d| d.2).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_deadline_order_and_only_when_due() {
        let mut w = Wheel::new(0);
        w.insert(5_500, "b");
        w.insert(5_200, "a");
        w.insert(9_000, "c");
        assert_eq!(w.next_deadline(), Some(5_200));
        assert!(w.expire(5_199).is_empty());
        assert_eq!(w.expire(5_600), ["a", "b"]);
        assert_eq!(w.next_deadline(), Some(9_000));
        assert_eq!(w.expire(20_000), ["c"]);
        assert!(w.is_empty());
    }

    #[test]
    fn thousands_of_timers() {
        let mut w = Wheel::new(0);
        let mut x: u64 = 12345;
        let mut deadlines = Vec::new();
        for i in 0..5000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let d = (x >> 33) % 3_000_000; // within 3 s: several revolutions
            deadlines.push((d, i));
            w.insert(d, i);
        }
        deadlines.sort();
        let mut fired = Vec::new();
        let mut now = 0;
        while !w.is_empty() {
            let next = w.next_deadline().unwrap();
            assert!(next >= now, "deadlines never go backwards");
            now = next;
            fired.extend(w.expire(now));
        }
        let want: Vec<u64> = deadlines.iter().map(|d| d.1).collect();
        assert_eq!(fired, want);
    }

    #[test]
    fn rearming_and_stale_entries() {
        let mut w = Wheel::new(0);
        let a = w.insert(10_000, "old");
        assert!(w.cancel(a));
        assert!(!w.cancel(a), "cancelled once");
        w.insert(12_000, "new");
        assert_eq!(w.next_deadline(), Some(12_000), "the stale entry is not a deadline");
        assert_eq!(w.expire(11_000), Vec::<&str>::new());
        assert_eq!(w.expire(12_000), ["new"]);
    }

    #[test]
    fn far_deadlines_wait_for_their_revolution() {
        let mut w = Wheel::new(0);
        // Same slot as 1 ms, but 10 revolutions later.
        let far = 1_000 + 10 * SLOTS as u64 * TICK_US;
        w.insert(far, "far");
        w.insert(1_000, "near");
        assert_eq!(w.expire(2_000), ["near"]);
        assert_eq!(w.next_deadline(), Some(far));
        let mut now = 2_000;
        while now < far {
            assert!(w.expire(now).is_empty(), "not before {far} (now {now})");
            now += 100_000;
        }
        assert_eq!(w.expire(far), ["far"]);
    }

    #[test]
    fn past_deadlines_fire_at_once() {
        let mut w = Wheel::new(50_000);
        w.insert(10, "late");
        assert_eq!(w.next_deadline(), Some(10));
        assert_eq!(w.expire(50_000), ["late"]);
    }
}
