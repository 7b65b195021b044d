//! SIGTERM (keepalived's shutdown): priority-0 adverts and VIPs released by every MASTER,
//! the static entries removed, then STOP notifies (`notify_stop` killed after 1 s), then nothing more: a stopped agent
//! ignores every input and has no timers.
use super::event::{Action, InstanceId, Level, State};
use super::Agent;
use crate::config::model::SECOND;

impl Agent {
    pub(crate) fn shutdown(&mut self) {
        self.log(Level::Info, "Stopping".into());
        for n in 0..self.inst.len() {
            if self.inst[n].state == State::Master {
                self.leave_master(InstanceId::from_index(n), true);
            }
        }
        self.remove_statics();
        self.stopped = true;
        for n in 0..self.inst.len() {
            let i = InstanceId::from_index(n);
            self.set_state(i, State::Init);
            let c = self.conf(i);
            let effective = self.inst[n].effective;
            let mut actions = Vec::new();
            if let Some(cmd) = &c.notify.stop {
                actions.push(Action::Notify { command: cmd.clone(), extra: Vec::new(), kill_after: Some(SECOND) });
            }
            if let Some(cmd) = &c.notify.generic {
                let extra = vec!["INSTANCE".into(), c.name.clone(), "STOP".into(), effective.to_string()];
                actions.push(Action::Notify { command: cmd.clone(), extra, kill_after: None });
            }
            let line = format!("INSTANCE \"{}\" STOP {}\n", c.name, effective);
            self.out.extend(actions);
            self.fifo(line);
        }
        let mut actions = Vec::new();
        for g in &self.cfg.sync_groups {
            if let Some(cmd) = &g.notify.stop {
                actions.push(Action::Notify { command: cmd.clone(), extra: Vec::new(), kill_after: Some(SECOND) });
            }
            if let Some(cmd) = &g.notify.generic {
                let extra = vec!["GROUP".into(), g.name.clone(), "STOP".into(), "0".into()];
                actions.push(Action::Notify { command: cmd.clone(), extra, kill_after: None });
            }
        }
        self.out.extend(actions);
        self.timers.clear();
        self.log(Level::Info, "Stopped".into());
    }
}
