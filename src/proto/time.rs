//! Protocol time: integer microseconds since an arbitrary epoch chosen by the caller
//! (ARCHITECTURE.md, rules 1-2). The core never reads a clock; the reactor and the simulator pass `now`.
use crate::config::model::Micros;
use std::fmt;

/// A point in protocol time: microseconds since the caller's epoch (CLOCK_MONOTONIC in the
/// daemon, zero in the simulator).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The epoch.
    pub const ZERO: Instant = Instant(0);

    /// `us` microseconds after the epoch.
    pub const fn from_micros(us: u64) -> Instant {
        Instant(us)
    }
    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// `self + d`, saturating: a far deadline never wraps around to the past.
    pub fn plus(self, d: Micros) -> Instant {
        Instant(self.0.saturating_add(d))
    }
    /// Time from `earlier` to `self`, 0 if `earlier` is later.
    pub fn since(self, earlier: Instant) -> Micros {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Instant {
    /// Seconds with microseconds, as the golden traces print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}
