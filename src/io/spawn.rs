//! Child processes: track scripts (`vrrp_script`), notify scripts (`notify_master` ...,
//! `notify`), and the notify FIFO scripts (`notify_fifo_script`, `vrrp_notify_fifo_script`).
//!
//! Each child is fork/exec'd by [`sys::spawn`] in its own process group and recorded here
//! until it is reaped. Invariants:
//! - every child is in the table from its spawn until `waitpid` returns it, and only then is
//!   its exit reported (track scripts only: notifies and FIFO scripts report nothing);
//! - a track script has one `ScriptTimeout` timer while it runs; reaping it cancels the timer;
//! - keepalived: a script still running at its `timeout` is marked timed out and its group
//!   gets SIGTERM, then SIGKILL `KILL_GRACE_US` later; a notify with a kill-after delay gets
//!   the SIGKILL only. The SIGKILL goes to the group at its deadline whether or not the leader
//!   has exited meanwhile: what a script started and that ignores SIGTERM dies with it.
//! - nothing a track script started outlives vrrpd: a reaped track script whose group still
//!   has members is remembered (`lingering`) until the group is empty, and at stop every
//!   child's group and every lingering group gets SIGKILL.
//!
//! Timers live in the reactor's wheel; this module inserts and cancels its own entries
//! ([`ChildTimer`]) and the reactor hands them back to [`Children::on_timer`] when due.
use super::sys;
use super::wheel::{TimerId, Wheel};
use crate::config::model::{Command, Micros};
use crate::proto::{Instant, ScriptId, ScriptResult};
use std::collections::{HashMap, HashSet};

/// keepalived: a timed-out script gets SIGTERM, then SIGKILL 2 s later.
const KILL_GRACE_US: u64 = 2_000_000;
/// After SIGTERM, how long [`Children::finish`] waits for children (notify_stop) to exit.
const STOP_GRACE_US: u64 = 1_000_000;

/// The timers this module puts in the reactor's wheel.
#[derive(Debug)]
pub(crate) enum ChildTimer {
    /// A track script reached its `timeout`.
    ScriptTimeout(i32),
    /// SIGKILL the process group if its leader has not been reaped.
    Kill(i32),
}

#[derive(Debug)]
struct ChildInfo {
    /// The track script the run is for, or None for notifies and FIFO scripts.
    script: Option<ScriptId>,
    timed_out: bool,
    timeout: Option<TimerId>,
}

/// The children still running (not yet reaped), by pid, and the process groups of reaped
/// track scripts that still have members.
#[derive(Debug, Default)]
pub(crate) struct Children {
    table: HashMap<i32, ChildInfo>,
    lingering: HashSet<i32>,
}

impl Children {
    pub(crate) fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Starts a child nobody waits for: a notify FIFO script (its FIFO's path is its last
    /// argument) or a notify. Errors are the caller's to log.
    fn spawn_untracked(&mut self, argv: &[String], ids: Option<(u32, u32)>) -> std::io::Result<i32> {
        let c = sys::spawn(argv, ids)?;
        self.table.insert(c.pid, ChildInfo { script: None, timed_out: false, timeout: None });
        Ok(c.pid)
    }

    /// keepalived: `notify_fifo_script`, started once its FIFO is open.
    pub(crate) fn spawn_fifo_script(&mut self, argv: &[String], ids: Option<(u32, u32)>) {
        if let Err(e) = self.spawn_untracked(argv, ids) {
            log::error!("notify FIFO script {}: {e}", argv[0]);
        }
    }

    /// A notify script (`notify_master`, `notify` ...). With `kill_after`, its process group
    /// gets SIGKILL that many microseconds after `now` unless it has been reaped by then.
    pub(crate) fn spawn_notify<T: From<ChildTimer>>(
        &mut self,
        wheel: &mut Wheel<T>,
        now: Instant,
        argv: &[String],
        ids: Option<(u32, u32)>,
        kill_after: Option<u64>,
    ) {
        match self.spawn_untracked(argv, ids) {
            Ok(pid) => {
                if let Some(k) = kill_after {
                    wheel.insert(now.as_micros() + k, ChildTimer::Kill(pid).into());
                }
            }
            Err(e) => log::error!("notify {}: {e}", argv.join(" ")),
        }
    }

    /// Starts a run of track script `script` (`command`, with its `timeout` armed). On
    /// failure nothing is recorded and the error is returned (the caller reports the run
    /// failed).
    pub(crate) fn spawn_script<T: From<ChildTimer>>(
        &mut self,
        wheel: &mut Wheel<T>,
        now: Instant,
        script: ScriptId,
        command: &Command,
        timeout: Micros,
    ) -> std::io::Result<()> {
        let c = sys::spawn(&command.argv, command.ids)?;
        let t = wheel.insert(now.as_micros() + timeout, ChildTimer::ScriptTimeout(c.pid).into());
        self.table.insert(c.pid, ChildInfo { script: Some(script), timed_out: false, timeout: Some(t) });
        Ok(())
    }

    /// A timer of ours is due.
    pub(crate) fn on_timer<T: From<ChildTimer>>(&mut self, wheel: &mut Wheel<T>, now: Instant, t: ChildTimer) {
        match t {
            ChildTimer::ScriptTimeout(pid) => {
                if let Some(c) = self.table.get_mut(&pid) {
                    c.timed_out = true;
                    c.timeout = None;
                    let _ = sys::kill_group(pid, libc::SIGTERM);
                    wheel.insert(now.as_micros() + KILL_GRACE_US, ChildTimer::Kill(pid).into());
                }
            }
            ChildTimer::Kill(pgid) => {
                // The group, not the leader: children that ignored SIGTERM die here too.
                let _ = sys::kill_group(pgid, libc::SIGKILL);
                self.lingering.remove(&pgid);
            }
        }
    }

    /// `waitpid(-1, WNOHANG)` until nothing is left (one SIGCHLD may stand for several
    /// children). Each reaped track script is reported to `exited`, in reaping order.
    pub(crate) fn reap<T>(&mut self, wheel: &mut Wheel<T>, mut exited: impl FnMut(ScriptId, ScriptResult)) {
        while let Some((pid, status)) = sys::reap() {
            let Some(c) = self.table.remove(&pid) else { continue };
            if let Some(t) = c.timeout {
                wheel.cancel(t);
            }
            if c.script.is_some() && sys::group_exists(pid) {
                self.lingering.insert(pid);
            }
            if let Some(script) = c.script {
                let result = match (c.timed_out, sys::exit_status(status)) {
                    (true, _) => ScriptResult::TimedOut,
                    (false, Ok(code)) => ScriptResult::Exited(code),
                    (false, Err(_)) => ScriptResult::Failed,
                };
                exited(script, result);
            }
        }
    }

    /// At stop: gives the children (notify_stop above all) up to a second to exit, reaping
    /// every 10 ms (`exited` as for [`Children::reap`], with the time of that reaping), then
    /// SIGKILLs the process groups of those still running.
    pub(crate) fn finish<T>(&mut self, wheel: &mut Wheel<T>, mut exited: impl FnMut(Instant, ScriptId, ScriptResult)) {
        let deadline = sys::monotonic_us() + STOP_GRACE_US;
        while !self.is_empty() && sys::monotonic_us() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            let now = Instant::from_micros(sys::monotonic_us());
            self.reap(wheel, |script, result| exited(now, script, result));
        }
        for pgid in self.table.keys().chain(&self.lingering) {
            let _ = sys::kill_group(*pgid, libc::SIGKILL);
        }
        self.lingering.clear();
    }

    /// Forgets lingering groups that have emptied (called after each reap).
    pub(crate) fn prune(&mut self) {
        self.lingering.retain(|&pgid| sys::group_exists(pgid));
    }
}
