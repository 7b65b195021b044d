//! SIGHUP (keepalived reload_vrrp_thread() / vrrp_exist()): the new configuration replaces
//! the old without a flap. Instances are matched by (VRID, family, interface, unicast or
//! not); a matched instance keeps its state, counters and timers, and a MASTER keeps its VIPs
//! and gets only the difference. Scripts are matched by name and command and keep their
//! [`ScriptId`](super::ScriptId), health and any run under way; track files by name, with
//! their value; links by name, with their state. Unmatched old instances are released, new
//! ones start as at startup.
use super::event::{Action, Event, InstanceId, Level, State};
use super::notify::state_word;
use super::timers::{InstanceTimer, Timer, TimerTable};
use super::track::{FileRt, ProcessRt, ScriptRt};
use super::{Agent, Instant};
use crate::config::model::{Config, Instance, Vip};

impl Agent {
    pub(crate) fn reload(&mut self, now: Instant, new_cfg: Config) {
        self.event(Event::Reloaded);
        let old_cfg = std::mem::replace(&mut self.cfg, new_cfg);
        let old_inst = std::mem::take(&mut self.inst);
        let old_timers = std::mem::take(&mut self.timers);
        let old_links = self.links.clone();
        if let Some(at) = old_timers.get(Timer::Startup) {
            self.timers.set(Timer::Startup, at);
        }
        self.carry_scripts(now, &old_cfg, &old_timers);
        self.carry_files(&old_cfg);
        self.carry_processes(&old_cfg, &old_timers);
        self.resolve();
        self.diff_statics(&old_cfg.statics);
        for (l, link) in self.links.iter().enumerate() {
            if link.pending.is_some() {
                let old = old_links.iter().position(|o| o.name == link.name);
                if let Some(at) = old.and_then(|o| old_timers.get(Timer::Link(o))) {
                    self.timers.set(Timer::Link(l), at);
                }
            }
        }

        let key = |c: &Instance| (c.vrid, c.family, c.interface.clone(), c.unicast_peers.is_empty());
        let mut matched_old = vec![false; old_inst.len()];
        let mut fresh = Vec::new();
        self.inst = self.cfg.instances.iter().map(super::instance::Inst::new).collect();
        for n in 0..self.inst.len() {
            let i = InstanceId::from_index(n);
            let k = key(&self.cfg.instances[n]);
            let Some(o) = (0..old_inst.len()).find(|&o| !matched_old[o] && key(&old_cfg.instances[o]) == k) else {
                fresh.push(i);
                continue;
            };
            matched_old[o] = true;
            let old = &old_inst[o];
            let rt = &mut self.inst[n];
            rt.state = old.state;
            rt.master_adver_int = old.master_adver_int;
            rt.master = old.master;
            rt.stats = old.stats;
            // keepalived restore_vrrp_state(): "Keep ipsec AH seq_number".
            rt.ah = old.ah;
            rt.effective = old.effective;
            // What the operator sees survives a reload too: since when and why, a demotion,
            // the episodes under way and the transition counts.
            rt.since = old.since;
            rt.reason = old.reason.clone();
            rt.demotion = old.demotion;
            rt.watch = old.watch.clone();
            rt.transitions = old.transitions.clone();
            rt.checksum_peers = old.checksum_peers.clone();
            let was = InstanceId::from_index(o);
            for t in [Timer::Demotion(was), Timer::Episode(was)] {
                if let Some(at) = old_timers.get(t) {
                    let moved = match t {
                        Timer::Demotion(_) => Timer::Demotion(i),
                        _ => Timer::Episode(i),
                    };
                    self.timers.set(moved, at);
                }
            }
            for t in [
                InstanceTimer::MasterDown,
                InstanceTimer::Advert,
                InstanceTimer::GarpRefresh,
                InstanceTimer::GarpExtraIf,
                InstanceTimer::Handover,
            ] {
                if let Some(at) = old_timers.get(Timer::Instance(was, t)) {
                    self.set_timer(i, t, at);
                }
            }
            if old.state == State::Master {
                self.diff_master(i, &old_cfg.instances[o]);
                // A demoted master waiting for the new one stays silent (operator.rs).
                if !self.handing_over(i) && self.timers.get(Timer::Instance(i, InstanceTimer::Advert)).is_none() {
                    self.set_timer(i, InstanceTimer::Advert, now);
                }
                // garp_extra_if turned on by the reload starts its period now.
                let extra_if = self.conf(i).garp.extra_if;
                if extra_if > 0 && self.timers.get(Timer::Instance(i, InstanceTimer::GarpExtraIf)).is_none() {
                    self.set_timer(i, InstanceTimer::GarpExtraIf, now.plus(extra_if));
                }
            }
        }
        // Instances that disappeared: release what a master held, notify FAULT or DELETED.
        for (o, c) in old_cfg.instances.iter().enumerate() {
            if matched_old[o] {
                continue;
            }
            if old_inst[o].demotion.is_some_and(|d| d.awaiting) {
                let outcome = crate::proto::Handover::Interrupted;
                self.event(Event::Handover { instance: c.name.clone(), outcome });
            }
            if old_inst[o].state == State::Master {
                let vips = c
                    .vips
                    .iter()
                    .chain(&c.excluded_vips)
                    .map(|v| Vip { dev: v.dev.clone().or_else(|| c.interface.clone()), ..v.clone() })
                    .collect();
                self.log(Level::Info, format!("({}) removed by reload - releasing its VIPs", c.name));
                let adverts = self.release_adverts(c, &old_inst[o]);
                self.out.push_back(Action::ReleaseRemoved { config: Box::new(c.clone()), adverts, vips });
            }
            let word = if c.notify.deleted.is_some() { "DELETED" } else { "FAULT" };
            if let Some(cmd) = &c.notify.generic {
                let extra = vec!["INSTANCE".into(), c.name.clone(), word.into(), "0".into()];
                self.out.push_back(Action::Notify { command: cmd.clone(), extra, kill_after: None });
            }
        }
        for &i in &fresh {
            self.remove_leftovers(i);
            // During vrrp_startup_delay a new instance waits with the others.
            if !self.in_startup_delay() {
                self.start_instance(i, now);
            }
        }
        self.reloading = true;
        for n in 0..self.inst.len() {
            let i = InstanceId::from_index(n);
            if !fresh.contains(&i) {
                self.reassess(i, now);
            }
        }
        self.reloading = false;
        if self.cfg.global.fifo_write_states_on_reload {
            self.fifo_states(&fresh);
        }
    }

    /// keepalived `fifo_write_vrrp_states_on_reload`: the FIFO hears the state of every
    /// instance a reload kept (a new one reports its state as it enters it) and of every sync
    /// group, as if each had just entered it.
    fn fifo_states(&mut self, fresh: &[InstanceId]) {
        let mut lines = Vec::new();
        for i in self.instance_ids().filter(|i| !fresh.contains(i)) {
            let rt = &self.inst[i.index()];
            lines.push(format!("INSTANCE \"{}\" {} {}\n", self.conf(i).name, state_word(rt.state), rt.effective));
        }
        for g in &self.cfg.sync_groups {
            let first = g.members.first().and_then(|m| self.instance_id(m));
            if let Some(i) = first {
                lines.push(format!("GROUP \"{}\" {} 0\n", g.name, state_word(self.inst[i.index()].state)));
            }
        }
        for line in lines {
            self.fifo(line);
        }
    }

    /// Scripts with the same name and command keep their id, health, run and next run; the
    /// others are new (a new id, a first run now). A run of a removed script, or of one whose
    /// command changed, is credited to nobody when it ends.
    fn carry_scripts(&mut self, now: Instant, old_cfg: &Config, old_timers: &TimerTable) {
        let old_scripts = std::mem::take(&mut self.scripts);
        let mut taken = vec![false; old_scripts.len()];
        let mut scripts = Vec::with_capacity(self.cfg.scripts.len());
        for n in 0..self.cfg.scripts.len() {
            let s = &self.cfg.scripts[n];
            let same = (0..old_scripts.len()).find(|&o| {
                !taken[o] && old_cfg.scripts[o].name == s.name && old_cfg.scripts[o].command.argv == s.command.argv
            });
            let rt =
                match same {
                    Some(o) => {
                        taken[o] = true;
                        // keepalived reports every script it keeps with the state it keeps.
                        match old_scripts[o].health.state() {
                            Some(true) => self
                                .log(Level::Info, format!("VRRP_Script({}) considered successful on reload", s.name)),
                            Some(false) => self
                                .log(Level::Info, format!("VRRP_Script({}) considered unsuccessful on reload", s.name)),
                            None => {}
                        }
                        old_scripts[o].clone()
                    }
                    None => {
                        let id = self.next_script_id();
                        ScriptRt::new(id, &self.cfg.scripts[n])
                    }
                };
            let at = old_timers.get(Timer::Script(rt.id)).unwrap_or(now);
            self.timers.set(Timer::Script(rt.id), at);
            scripts.push(rt);
        }
        self.scripts = scripts;
    }

    /// Track file values survive a reload by name (the file itself has not changed).
    fn carry_files(&mut self, old_cfg: &Config) {
        let old_files = std::mem::take(&mut self.files);
        let mut files = Vec::with_capacity(self.cfg.track_files.len());
        for n in 0..self.cfg.track_files.len() {
            let name = &self.cfg.track_files[n].name;
            let kept = old_cfg.track_files.iter().position(|o| &o.name == name).map(|o| old_files[o]);
            let file = match kept {
                Some(f) => f,
                None => FileRt { id: self.next_file_id(), value: 0 },
            };
            files.push(file);
        }
        self.files = files;
    }

    /// Tracked processes survive a reload by name with their count, quorum and running delay;
    /// the shell rescans with the new definitions at once and reports what changed.
    fn carry_processes(&mut self, old_cfg: &Config, old_timers: &TimerTable) {
        let old = std::mem::take(&mut self.processes);
        let mut processes = Vec::with_capacity(self.cfg.track_processes.len());
        for n in 0..self.cfg.track_processes.len() {
            let name = &self.cfg.track_processes[n].name;
            let rt = match old_cfg.track_processes.iter().position(|o| &o.name == name) {
                Some(o) => old[o],
                None => ProcessRt::new(self.next_process_id()),
            };
            if let Some(at) = old_timers.get(Timer::Process(rt.id)) {
                self.timers.set(Timer::Process(rt.id), at);
            }
            processes.push(rt);
        }
        self.processes = processes;
    }

    /// A MASTER kept across a reload: add what is new, remove what is gone, no flap.
    fn diff_master(&mut self, n: InstanceId, old: &Instance) {
        let new = self.conf(n).clone();
        let key = |v: &Vip| (v.addr, v.prefix, v.dev.clone());
        // keepalived names each VIP it drops, and sets the VIPs again.
        for v in old.vips.iter().chain(&old.excluded_vips) {
            if !new.vips.iter().chain(&new.excluded_vips).any(|o| key(o) == key(v)) {
                let dev = v.dev.as_deref().or(old.interface.as_deref()).unwrap_or("");
                self.log(
                    Level::Info,
                    format!("({}) ip address {}/{} dev {dev}, no longer exist", new.name, v.addr, v.prefix),
                );
            }
        }
        if !new.vips.is_empty() || !new.excluded_vips.is_empty() {
            self.log(Level::Info, format!("({}) setting VIPs.", new.name));
        }
        for v in new.vips.iter().chain(&new.excluded_vips) {
            if !old.vips.iter().chain(&old.excluded_vips).any(|o| key(o) == key(v)) {
                self.out.push_back(Action::AddAddress { instance: n, vip: v.clone() });
                for _ in 0..new.garp.master_repeat {
                    self.garp(n, v.addr);
                }
            }
        }
        for v in old.vips.iter().chain(&old.excluded_vips) {
            if !new.vips.iter().chain(&new.excluded_vips).any(|o| key(o) == key(v)) {
                self.out.push_back(Action::RemoveAddress { instance: n, vip: v.clone() });
            }
        }
        let same_route = |a: &crate::config::model::Route, b: &crate::config::model::Route| {
            a.dst == b.dst && a.table == b.table && a.via == b.via
        };
        for r in &new.routes {
            if !old.routes.iter().any(|o| same_route(o, r)) {
                self.out.push_back(Action::AddRoute { instance: n, route: r.clone() });
            }
        }
        for r in &old.routes {
            if !new.routes.iter().any(|o| same_route(o, r)) {
                self.out.push_back(Action::RemoveRoute { instance: n, route: r.clone() });
            }
        }
        for r in &new.rules {
            if !old.rules.contains(r) {
                self.out.push_back(Action::AddRule { instance: n, rule: r.clone() });
            }
        }
        for r in &old.rules {
            if !new.rules.contains(r) {
                self.out.push_back(Action::RemoveRule { instance: n, rule: r.clone() });
            }
        }
    }
}
