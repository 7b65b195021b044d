//! The operator's planned switchover (`vrrpd demote` / `vrrpd promote`, vrrpd's own; keepalived
//! has none). A demoted MASTER sends a priority-0 advert (so a backup takes over after
//! Skew_Time, RFC 5798 §6.4.3) and falls silent, but keeps its VIPs until it hears the new
//! master's first advert: clients never find the VIP unanswered, they lose at most what is in
//! flight until the new master's GARP. Then it goes BACKUP and stays out: it accepts every
//! master, whatever its priority, so it never preempts.
//!
//! Safe by default: VRRP backups are silent, so a master cannot know that anyone will take
//! over. If no new master is heard within Master_Down_Interval, the demoted master resumes
//! its adverts (it never let go of the VIPs) and its demotion ends; with `force` it releases
//! the VIPs and stays out. A demoted BACKUP whose down timer fires later (the new master went
//! away) takes over likewise, unless forced.
use super::event::{Event, Handover, InstanceId, Level, Reason, State};
use super::timers::{InstanceTimer, Timer};
use super::{Agent, Instant};
use crate::config::value::format_seconds;
use std::net::IpAddr;

/// A demotion in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Demotion {
    /// When it ends by itself.
    pub(crate) until: Option<Instant>,
    /// Stay out even when nobody takes over.
    pub(crate) force: bool,
    /// The instance was MASTER and waits to hear who took over.
    pub(crate) awaiting: bool,
    /// The new master it heard (source, priority, advert interval) while its sync group
    /// waits for its other members' (a group moves as one).
    pub(crate) heard: Option<(IpAddr, u8, u16)>,
}

impl Agent {
    /// `vrrpd demote`: `i` and its sync group.
    pub(crate) fn demote(&mut self, now: Instant, i: InstanceId, until: Option<Instant>, force: bool) {
        for m in self.members(i) {
            let was = self.inst[m.index()].state;
            self.inst[m.index()].demotion =
                Some(Demotion { until, force, awaiting: was == State::Master, heard: None });
            match until {
                Some(t) => self.timers.set(Timer::Demotion(m), t),
                None => self.timers.stop(Timer::Demotion(m)),
            }
            let name = self.name(m);
            let span = until.map(|t| format!(" for {} s", format_seconds(t.since(now)))).unwrap_or_default();
            let mode = if force { ", staying out even if nobody takes over" } else { "" };
            self.log(Level::Info, format!("({name}) demoted by the operator{span}{mode}"));
            self.event(Event::Demoted { instance: name.clone(), until: until.map(|t| t.since(now)) });
            if was == State::Master {
                self.caused(Reason::Demoted, |a| a.hand_over(m, now));
            } else {
                self.event(Event::Handover { instance: name, outcome: Handover::NotMaster });
            }
        }
    }

    /// A demoted MASTER resigns: the priority-0 advert, then silence (no adverts, no GARP
    /// refresh) with the VIPs kept, until a new master is heard or Master_Down_Interval ends.
    fn hand_over(&mut self, i: InstanceId, now: Instant) {
        self.send_advert(i, 0);
        self.log(Level::Detail, format!("({}) sent 0 priority", self.name(i)));
        for t in [
            InstanceTimer::Advert,
            InstanceTimer::GarpDelayed,
            InstanceTimer::GarpLowerPrio,
            InstanceTimer::GarpRefresh,
            InstanceTimer::GarpExtraIf,
        ] {
            self.timers.stop(Timer::Instance(i, t));
        }
        let down = self.master_down(i);
        self.set_timer(i, InstanceTimer::Handover, now.plus(down));
    }

    /// Demoted `i`, still MASTER and silent, heard `from` advertise: the new master. Once
    /// every waiting member of its sync group has heard one (at once without a group), they
    /// let the VIPs go and follow their new masters as BACKUP (each advert is then received
    /// as a BACKUP receives it, so a v3 backup learns the new master's interval, RFC 5798
    /// §6.4.2). Until then a member that heard stays silent with its VIPs: a group is never
    /// split, and no VIP is left without a holder. Returns false when there is no handover
    /// under way (the advert is then received as usual).
    pub(crate) fn handover_heard(
        &mut self,
        i: InstanceId,
        now: Instant,
        from: IpAddr,
        priority: u8,
        interval: u16,
    ) -> bool {
        let awaiting = self.inst[i.index()].demotion.is_some_and(|d| d.awaiting);
        if !awaiting || priority == 0 {
            return awaiting;
        }
        if let Some(d) = self.inst[i.index()].demotion.as_mut() {
            d.heard = Some((from, priority, interval));
        }
        let waiting: Vec<InstanceId> = self
            .members(i)
            .into_iter()
            .filter(|&m| self.inst[m.index()].state == State::Master && self.handing_over(m))
            .collect();
        let all_heard = waiting.iter().all(|m| self.inst[m.index()].demotion.is_some_and(|d| d.heard.is_some()));
        if !all_heard {
            return true;
        }
        for m in waiting {
            let Some((src, prio, int)) = self.inst[m.index()].demotion.and_then(|d| d.heard) else { continue };
            if let Some(d) = self.inst[m.index()].demotion.as_mut() {
                d.awaiting = false;
                d.heard = None;
            }
            let name = self.name(m);
            self.log(Level::Info, format!("({name}) handed over to {src}"));
            self.event(Event::Handover { instance: name, outcome: Handover::To(src) });
            self.caused(Reason::Demoted, |a| a.enter_backup(m, now, false));
            self.backup_receives(m, now, src, prio, int);
        }
        true
    }

    /// Nobody took over from demoted MASTER `i` within Master_Down_Interval: it resumes
    /// (safe), or with `force` releases the VIPs and stays out. The sync group decides as
    /// one: every member still waiting does the same.
    pub(crate) fn handover_timed_out(&mut self, i: InstanceId, now: Instant) {
        for m in self.members(i) {
            let Some(d) = self.inst[m.index()].demotion.filter(|d| d.awaiting) else { continue };
            if self.inst[m.index()].state != State::Master {
                continue;
            }
            let name = self.name(m);
            if d.force {
                self.inst[m.index()].demotion = Some(Demotion { awaiting: false, heard: None, ..d });
                self.event(Event::Handover { instance: name.clone(), outcome: Handover::Nobody });
                self.log(Level::Warning, format!("({name}) nobody took over; releasing the VIPs anyway (--force)"));
                self.caused(Reason::Demoted, |a| a.enter_backup(m, now, false));
                continue;
            }
            // Members whose new master was heard come back too: the group stays whole, and
            // their GARPs win their clients back.
            self.log(
                Level::Warning,
                format!("({name}) nobody took over after the demote - keeping the VIPs, demotion ended"),
            );
            // end_demotion() reports TookBack and resumes the adverts.
            self.end_demotion(m, now, Handover::TookBack);
            self.inst[m.index()].reason = Reason::NobodyTookOver;
        }
    }

    /// A demoted MASTER that was still waiting for a new master advertises again: its advert
    /// now, the advert timer and the GARP refresh re-armed (the VIPs never left).
    fn resume_mastership(&mut self, i: InstanceId, now: Instant) {
        self.timers.stop(Timer::Instance(i, InstanceTimer::Handover));
        let prio = self.inst[i.index()].effective;
        self.send_advert(i, prio);
        let c = self.conf(i);
        let (advert_int, refresh, repeat) = (c.advert_int, c.garp.master_refresh, c.garp.master_repeat);
        self.set_timer(i, InstanceTimer::Advert, now.plus(advert_int));
        if refresh > 0 {
            self.set_timer(i, InstanceTimer::GarpRefresh, now.plus(refresh));
        }
        let extra_if = self.conf(i).garp.extra_if;
        if extra_if > 0 {
            self.set_timer(i, InstanceTimer::GarpExtraIf, now.plus(extra_if));
        }
        // A backup may have taken over meanwhile (a sync group member whose peer answered):
        // clients learn again where the VIPs are.
        self.send_garps(i, repeat);
    }

    /// The down timer of demoted BACKUP `i` fired: the master it followed went away.
    /// Returns whether the instance takes over (its demotion then ends).
    pub(crate) fn demoted_master_down(&mut self, i: InstanceId, now: Instant) -> bool {
        let Some(d) = self.inst[i.index()].demotion else { return true };
        let name = self.name(i);
        if d.force {
            self.log(Level::Warning, format!("({name}) no master heard; staying out (demoted with --force)"));
            let down = self.master_down(i);
            self.set_timer(i, InstanceTimer::MasterDown, now.plus(down));
            return false;
        }
        self.log(Level::Warning, format!("({name}) the master went away while demoted - taking over, demotion ended"));
        for m in self.members(i) {
            self.end_demotion(m, now, Handover::TookBack);
        }
        true
    }

    /// `vrrpd promote`: the demotion of `i` and its sync group ends; a BACKUP that outranks
    /// the master it follows takes over after Skew_Time, as after a priority-0 advert.
    pub(crate) fn promote(&mut self, now: Instant, i: InstanceId) {
        for m in self.members(i) {
            if self.inst[m.index()].demotion.is_none() {
                continue;
            }
            self.log(Level::Info, format!("({}) promoted by the operator", self.name(m)));
            self.end_demotion(m, now, Handover::Promoted);
            self.preempt_soon(m, now);
        }
    }

    /// A `--for` demotion's time is up.
    pub(crate) fn demotion_ended(&mut self, i: InstanceId, now: Instant) {
        if self.inst[i.index()].demotion.is_none() {
            return;
        }
        self.log(Level::Info, format!("({}) demotion ended", self.name(i)));
        self.end_demotion(i, now, Handover::Promoted);
        self.preempt_soon(i, now);
    }

    /// The demotion of `i` ends. A MASTER still waiting for someone to take over keeps the
    /// VIPs and advertises again; whoever waits for the handover hears `outcome`.
    fn end_demotion(&mut self, i: InstanceId, now: Instant, outcome: Handover) {
        let Some(d) = self.inst[i.index()].demotion.take() else { return };
        self.timers.stop(Timer::Demotion(i));
        if d.awaiting && self.inst[i.index()].state == State::Master {
            self.event(Event::Handover { instance: self.name(i), outcome });
            self.resume_mastership(i, now);
        }
        self.event(Event::Promoted { instance: self.name(i) });
    }

    /// After a demotion: a preempting BACKUP that outranks its master takes over in Skew_Time.
    fn preempt_soon(&mut self, i: InstanceId, now: Instant) {
        let rt = &self.inst[i.index()];
        let c = self.conf(i);
        let outranks = rt.master.is_some_and(|(_, p)| p < rt.effective);
        if rt.state == State::Backup && outranks && !c.nopreempt && c.preempt_delay == 0 {
            let (from, priority) = rt.master.unwrap_or((IpAddr::from([0, 0, 0, 0]), 0));
            self.inst[i.index()].discarded = Some((from, priority));
            let skew = self.skew(i);
            self.set_timer(i, InstanceTimer::MasterDown, now.plus(skew));
        }
    }

    /// A demoted MASTER waiting for the new master left MASTER some other way (FAULT, a VIP
    /// deleted by someone else, shutdown): whoever waits for the handover hears it.
    pub(crate) fn handover_interrupted(&mut self, i: InstanceId) {
        let Some(d) = self.inst[i.index()].demotion.as_mut().filter(|d| d.awaiting) else { return };
        d.awaiting = false;
        d.heard = None;
        self.event(Event::Handover { instance: self.name(i), outcome: Handover::Interrupted });
    }

    /// A demoted MASTER is waiting for the new master (silent, VIPs kept).
    pub(crate) fn handing_over(&self, i: InstanceId) -> bool {
        self.inst[i.index()].demotion.is_some_and(|d| d.awaiting)
    }

    /// Instance `i`'s demotion: its end (None: until promoted) and whether it is forced.
    pub fn demotion(&self, i: InstanceId) -> Option<(Option<Instant>, bool)> {
        self.inst[i.index()].demotion.map(|d| (d.until, d.force))
    }
}
