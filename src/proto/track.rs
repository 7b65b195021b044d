//! Tracking: the rise/fall counter of track scripts and keepalived's priority arithmetic
//! (vrrp_track.c) for scripts, interfaces and files.

/// A track script's health as keepalived keeps it: a counter from 0 to rise+fall-1, good when
/// at least `rise`. It starts at rise-1 so the first result decides at once, either way;
/// `init_fail` starts it at 0 and bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptHealth {
    counter: u32,
    rise: u32,
    fall: u32,
    /// None until the first result (keepalived: SCRIPT_INIT_STATE_INIT).
    known: Option<bool>,
}

/// What one result did to the script's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthChange {
    None,
    BecameGood,
    BecameBad,
}

impl ScriptHealth {
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> ScriptHealth {
        let rise = rise.max(1);
        let fall = fall.max(1);
        if init_fail {
            ScriptHealth { counter: 0, rise, fall, known: Some(false) }
        } else {
            ScriptHealth { counter: rise - 1, rise, fall, known: None }
        }
    }

    /// Good, bad, or None before the first result.
    pub fn state(&self) -> Option<bool> {
        self.known
    }

    /// Applies one result (success or failure; a timeout is a failure).
    pub fn record(&mut self, success: bool) -> HealthChange {
        let top = self.rise + self.fall - 1;
        let was = self.known;
        if success {
            if self.counter < self.rise {
                self.counter += 1;
            }
            if self.counter >= self.rise {
                // Healthy: it now takes `fall` failures to go bad.
                self.counter = top;
                self.known = Some(true);
            }
        } else if self.counter >= self.rise {
            self.counter -= 1;
            if self.counter < self.rise {
                self.counter = 0;
                self.known = Some(false);
            }
        } else {
            // Below rise a failure restarts the count of successes.
            self.counter = 0;
            self.known = Some(false);
        }
        match (was, self.known) {
            (Some(true), Some(true)) | (Some(false), Some(false)) => HealthChange::None,
            (_, Some(true)) => HealthChange::BecameGood,
            (_, Some(false)) => HealthChange::BecameBad,
            (_, None) => HealthChange::None,
        }
    }
}

/// What one tracker contributes: a priority adjustment, or a fault (weight 0).
/// `ok` is the tracker's state (script good, interface up); `reverse` flips the direction.
pub fn contribution(ok: bool, weight: i32, reverse: bool) -> Contribution {
    let m = if reverse { -1 } else { 1 };
    if weight == 0 {
        // keepalived: the instance goes down when ok != (multiplier == 1).
        return if ok != (m == 1) { Contribution::Fault } else { Contribution::Adjust(0) };
    }
    let adjust = match (ok, weight > 0) {
        (true, true) | (false, false) => weight * m,
        _ => 0,
    };
    Contribution::Adjust(adjust)
}

/// keepalived track_file: value x weight (x -1 with reverse); a weight of 0 means any non-zero
/// value is a fault; a result at or below -254 is a fault; above 253 counts as 253.
pub fn file_contribution(value: i64, weight: i32, reverse: bool) -> Contribution {
    let m: i64 = if reverse { -1 } else { 1 };
    let status: i64 = if weight == 0 {
        if value != 0 {
            -254
        } else {
            0
        }
    } else {
        value.saturating_mul(weight as i64).saturating_mul(m)
    };
    if status <= -254 {
        Contribution::Fault
    } else {
        Contribution::Adjust(status.min(253) as i32)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contribution {
    Adjust(i32),
    Fault,
}

/// Effective priority: base plus adjustments clamped to 1..254; an owner (255) never changes.
pub fn effective_priority(base: u8, total_adjust: i32) -> u8 {
    if base == 255 {
        return 255;
    }
    (base as i32 + total_adjust).clamp(1, 254) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_result_decides_either_way() {
        let mut h = ScriptHealth::new(3, 2, false);
        assert_eq!(h.state(), None);
        assert_eq!(h.record(true), HealthChange::BecameGood);
        let mut h = ScriptHealth::new(3, 2, false);
        assert_eq!(h.record(false), HealthChange::BecameBad);
    }

    #[test]
    fn fall_failures_then_rise_successes() {
        let mut h = ScriptHealth::new(3, 2, false);
        h.record(true);
        assert_eq!(h.record(false), HealthChange::None, "one failure of fall 2");
        assert_eq!(h.record(false), HealthChange::BecameBad);
        assert_eq!(h.record(true), HealthChange::None);
        assert_eq!(h.record(true), HealthChange::None);
        assert_eq!(h.record(false), HealthChange::None, "a failure restarts the rise count");
        assert_eq!(h.record(true), HealthChange::None);
        assert_eq!(h.record(true), HealthChange::None);
        assert_eq!(h.record(true), HealthChange::BecameGood, "rise 3 consecutive successes");
        assert_eq!(h.record(false), HealthChange::None);
        assert_eq!(h.record(true), HealthChange::None, "a success refills the fall budget");
        assert_eq!(h.record(false), HealthChange::None);
        assert_eq!(h.record(false), HealthChange::BecameBad);
    }

    #[test]
    fn init_fail_needs_rise_successes() {
        let mut h = ScriptHealth::new(2, 1, true);
        assert_eq!(h.state(), Some(false));
        assert_eq!(h.record(true), HealthChange::None);
        assert_eq!(h.record(true), HealthChange::BecameGood);
    }

    #[test]
    fn weights_follow_keepalived() {
        use Contribution::*;
        assert_eq!(contribution(true, 10, false), Adjust(10));
        assert_eq!(contribution(false, 10, false), Adjust(0));
        assert_eq!(contribution(true, -5, false), Adjust(0));
        assert_eq!(contribution(false, -5, false), Adjust(-5));
        assert_eq!(contribution(true, 10, true), Adjust(-10));
        assert_eq!(contribution(false, -5, true), Adjust(5));
        assert_eq!(contribution(false, 0, false), Fault);
        assert_eq!(contribution(true, 0, false), Adjust(0));
        assert_eq!(contribution(true, 0, true), Fault, "weight 0 reverse: fault while OK");
        assert_eq!(file_contribution(3, -2, false), Adjust(-6));
        assert_eq!(file_contribution(1000, 1, false), Adjust(253));
        assert_eq!(file_contribution(-254, 1, false), Fault);
        assert_eq!(file_contribution(1, 0, false), Fault);
        assert_eq!(effective_priority(100, -200), 1);
        assert_eq!(effective_priority(200, 100), 254);
        assert_eq!(effective_priority(255, -100), 255);
    }
}
