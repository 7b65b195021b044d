//! Notifications (keepalived `notify_master`, `notify_backup`, `notify_fault`, `notify_stop`,
//! `notify`, `notify_fifo`): which commands run with which arguments, and which FIFO lines
//! are written, in keepalived's order.
use super::event::{Action, InstanceId, State};
use super::Agent;
use crate::config::model::{Command, Notifies, SECOND};

impl Agent {
    /// keepalived's notify order: the state's script, then `notify` with INSTANCE|GROUP name
    /// STATE priority, then the FIFO line. A sync group notifies as GROUP (priority 0) once,
    /// and its members' own notifies for that state are skipped when the group has one.
    pub(crate) fn notify(&mut self, i: InstanceId, state: State) {
        let c = self.conf(i);
        let group = self.tracking[i.index()].group;
        let group_has = group.is_some_and(|g| {
            let n = &self.cfg.sync_groups[g].notify;
            state_script(n, state).is_some() || n.generic.is_some()
        });
        let effective = self.inst[i.index()].effective;
        let mut actions = Vec::new();
        if !group_has {
            if let Some(cmd) = state_script(&c.notify, state) {
                let kill_after = (state == State::Init).then_some(SECOND);
                actions.push(Action::Notify { command: cmd.clone(), extra: Vec::new(), kill_after });
            }
            if let Some(cmd) = &c.notify.generic {
                let extra = vec!["INSTANCE".into(), c.name.clone(), state_word(state).into(), effective.to_string()];
                actions.push(Action::Notify { command: cmd.clone(), extra, kill_after: None });
            }
        }
        let line = format!("INSTANCE \"{}\" {} {}\n", c.name, state_word(state), effective);
        self.out.extend(actions);
        self.fifo(line);
        if let Some(g) = group {
            // The group notifies once, when its last member reaches the state.
            let all = self
                .members(i)
                .into_iter()
                .all(|m| self.inst[m.index()].state == state || (state == State::Init && self.stopped));
            if all {
                let gc = &self.cfg.sync_groups[g];
                let mut actions = Vec::new();
                if let Some(cmd) = state_script(&gc.notify, state) {
                    actions.push(Action::Notify { command: cmd.clone(), extra: Vec::new(), kill_after: None });
                }
                if let Some(cmd) = &gc.notify.generic {
                    let extra = vec!["GROUP".into(), gc.name.clone(), state_word(state).into(), "0".into()];
                    actions.push(Action::Notify { command: cmd.clone(), extra, kill_after: None });
                }
                let line = format!("GROUP \"{}\" {} 0\n", gc.name, state_word(state));
                self.out.extend(actions);
                self.fifo(line);
            }
        }
    }

    /// A line for `notify_fifo` / `vrrp_notify_fifo`, when one is configured.
    pub(crate) fn fifo(&mut self, line: String) {
        if self.cfg.global.notify_fifo.is_some() || self.cfg.global.vrrp_notify_fifo.is_some() {
            self.out.push_back(Action::FifoLine { line });
        }
    }
}

/// The state's own notify script (`notify_master` ...; STOP is `notify_stop`).
pub(crate) fn state_script(n: &Notifies, s: State) -> Option<&Command> {
    match s {
        State::Master => n.master.as_ref(),
        State::Backup => n.backup.as_ref(),
        State::Fault => n.fault.as_ref(),
        State::Init => n.stop.as_ref(),
    }
}

/// The state word of `notify` arguments and FIFO lines (INIT is reported as STOP).
pub(crate) fn state_word(s: State) -> &'static str {
    match s {
        State::Init => "STOP",
        other => other.name(),
    }
}
