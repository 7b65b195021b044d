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

/// Calendar fields of a Unix time in UTC: (year, month 1-12, day 1-31, hour, minute, second,
/// weekday 0 = Thursday, the epoch's). Howard Hinnant's days-to-civil algorithm; the status
/// JSON and the console log both print wall-clock times with it (no time crate).
pub fn civil_utc(unix_secs: u64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let days = unix_secs / 86_400;
    let rem = (unix_secs % 86_400) as u32;
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem % 3600 / 60, rem % 60, (days % 7) as u32)
}
