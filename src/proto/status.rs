//! `vrrpd status`: every instance as it stands, built from the agent's memory and the shell's
//! view of the kernel, in two forms: for a person (fits 80 columns) and JSON (schema
//! `vrrpd-status/1`, documented in README.md, "Operating it"). Pure: the shell passes the
//! clock and what the kernel holds.
use super::event::{Episode, InstanceId, State};
use super::report::json_str;
use super::track::Contribution;
use super::{Agent, Instant};
use crate::config::dump::{route_string, rule_string};
use crate::config::model::{Family, Micros, Route, Rule, Vip};
use crate::config::value::format_seconds;
use std::fmt::Write;
use std::net::IpAddr;

/// The JSON schema's name and version; a change that removes or renames a field bumps it.
pub const SCHEMA: &str = "vrrpd-status/1";

/// What the kernel holds, as the shell knows it.
pub trait KernelView {
    /// `addr` is on `interface` (from the netlink address monitor).
    fn has_address(&self, interface: &str, addr: IpAddr) -> bool;
    /// The route is installed (vrrpd's netlink request for it was acknowledged).
    fn has_route(&self, route: &Route) -> bool;
    /// The rule is installed (likewise).
    fn has_rule(&self, rule: &Rule) -> bool;
}

/// The time of the report: protocol time and the wall clock at the same moment.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Protocol time now.
    pub now: Instant,
    /// Microseconds since the Unix epoch now.
    pub unix_us: u64,
}

impl Clock {
    fn unix_of(&self, t: Instant) -> u64 {
        self.unix_us.saturating_sub(self.now.since(t))
    }
}

/// `2026-12-01T11:22:33.123Z` for microseconds since the Unix epoch.
pub fn utc(unix_us: u64) -> String {
    let (year, month, day, h, m, sec, _) = super::time::civil_utc(unix_us / 1_000_000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{sec:02}.{:03}Z", unix_us % 1_000_000 / 1000)
}

/// `3.2s`, `5m03s`, `2h10m`, `3d04h`: a short duration for the human form.
pub fn short_duration(us: Micros) -> String {
    let s = us / 1_000_000;
    match s {
        0..=59 => format!("{}.{}s", s, us % 1_000_000 / 100_000),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn json_secs(us: Micros) -> String {
    format_seconds(us)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "null".into())
}

/// The instances a status request names: all, or the one called `name`.
pub fn select(a: &Agent, name: Option<&str>) -> Result<Vec<InstanceId>, String> {
    match name {
        None => Ok(a.instance_ids().collect()),
        Some(n) => a.instance_id(n).map(|i| vec![i]).ok_or_else(|| format!("no instance named {n}")),
    }
}

fn vip_dev<'a>(a: &'a Agent, i: InstanceId, v: &'a Vip) -> &'a str {
    v.dev.as_deref().or(a.conf(i).interface.as_deref()).unwrap_or("")
}

/// The master as this instance knows it: itself when MASTER, else the one it follows.
fn master(a: &Agent, i: InstanceId) -> Option<(IpAddr, u8, bool)> {
    match a.state(i) {
        State::Master => a.source_address(i).map(|s| (s, a.effective_priority(i), true)),
        State::Backup => a.master_of(i).map(|(m, p)| (m, p, false)),
        _ => None,
    }
}

fn contribution_text(c: Option<Contribution>) -> String {
    match c {
        None => "waiting".into(),
        Some(Contribution::Fault) => "FAULT".into(),
        Some(Contribution::Adjust(x)) => format!("{x:+}"),
    }
}

/// Warnings of instance `i` in words: the episodes under way, two lines each so that an
/// IPv6 address fits in 80 columns.
fn warnings(a: &Agent, i: InstanceId, clock: &Clock) -> Vec<String> {
    let mut w = Vec::new();
    if let Some(e) = a.episode(i, Episode::OtherMaster) {
        w.push(format!(
            "other master {}\n    priority {}, for {}, {} adverts",
            e.peer,
            e.priority,
            short_duration(clock.now.since(e.since)),
            e.adverts
        ));
    }
    if let Some(e) = a.episode(i, Episode::Mismatch) {
        w.push(format!(
            "mismatched adverts from {}\n    (another cluster on the VRID, or configs differ): {} in {}",
            e.peer,
            e.adverts,
            short_duration(clock.now.since(e.since))
        ));
    }
    w
}

/// The human form: a block per instance, lines within 80 columns.
pub fn human(a: &Agent, ids: &[InstanceId], k: &dyn KernelView, clock: &Clock) -> String {
    let mut o = String::new();
    for &i in ids {
        let c = a.conf(i);
        let family = if c.family == Family::V4 { "IPv4" } else { "IPv6" };
        let _ = writeln!(o, "{}: {} for {}", c.name, a.state(i).name(), short_duration(clock.now.since(a.since(i))));
        let _ = writeln!(o, "  reason: {}", a.reason(i));
        if let Some((until, force)) = a.demotion(i) {
            let until = until.map(|t| format!(" for {} more", short_duration(t.since(clock.now)))).unwrap_or_default();
            let force = if force { ", forced" } else { "" };
            let _ = writeln!(o, "  DEMOTED{until}{force}");
        }
        let _ = writeln!(
            o,
            "  VRID {} v{} {} on {}, advert {} s, priority {} (base {})",
            c.vrid,
            c.version,
            family,
            c.interface.as_deref().unwrap_or("-"),
            format_seconds(a.master_adver_int(i)),
            a.effective_priority(i),
            c.priority
        );
        match master(a, i) {
            Some((m, p, true)) => {
                let _ = writeln!(o, "  master: this router ({m}, priority {p})");
            }
            Some((m, p, false)) => {
                let down = a
                    .master_down_deadline(i)
                    .map(|t| format!(", down in {}", short_duration(t.since(clock.now))))
                    .unwrap_or_default();
                let _ = writeln!(o, "  master: {m} (priority {p}){down}");
            }
            None => {
                let _ = writeln!(o, "  master: unknown");
            }
        }
        if let Some(g) = &c.sync_group {
            let _ = writeln!(o, "  sync group: {g}");
        }
        for t in a.trackers(i) {
            let state = match (t.ok, t.value) {
                (_, Some(v)) => format!("value {v}"),
                (Some(true), _) => if t.kind == "script" { "good" } else { "up" }.to_string(),
                (Some(false), _) => if t.kind == "script" { "bad" } else { "down" }.to_string(),
                (None, _) => "not run yet".to_string(),
            };
            let rev = if t.reverse { " reverse" } else { "" };
            let _ = writeln!(
                o,
                "  track {} {}: {state}, weight {}{rev} -> {}",
                t.kind,
                t.name,
                t.weight,
                contribution_text(t.contribution)
            );
        }
        for v in c.vips.iter().chain(&c.excluded_vips) {
            let dev = vip_dev(a, i, v);
            let present = if k.has_address(dev, v.addr) { "present" } else { "absent" };
            let _ = writeln!(o, "  vip {}/{} dev {dev}: {present}", v.addr, v.prefix);
        }
        for r in &c.routes {
            let present = if k.has_route(r) { "installed" } else { "absent" };
            let _ = writeln!(o, "  route {}: {present}", route_string(r));
        }
        for r in &c.rules {
            let present = if k.has_rule(r) { "installed" } else { "absent" };
            let _ = writeln!(o, "  rule {}: {present}", rule_string(r));
        }
        let s = a.stats(i);
        let errors = s.packet_len_err
            + s.advert_interval_err
            + s.ip_ttl_err
            + s.invalid_type_rcvd
            + s.addr_list_err
            + s.invalid_authtype
            + s.authtype_mismatch
            + s.auth_failure
            + s.version_err
            + s.checksum_err;
        let _ = writeln!(
            o,
            "  adverts: {} received, {} sent, {} dropped; master {}x, released {}x",
            s.advert_rcvd, s.advert_sent, errors, s.become_master, s.release_master
        );
        if let Some(ours) = checksum_form(c) {
            let _ = writeln!(o, "  checksum: ours {}", form_text(ours));
            for p in a.checksum_peers(i) {
                let _ = writeln!(
                    o,
                    "  checksum of {}: {}, {} adverts accepted (RFC 9568 5.2.8)",
                    p.addr,
                    form_text(p.pseudo_header),
                    p.adverts
                );
            }
        }
        for w in warnings(a, i, clock) {
            let _ = writeln!(o, "  WARNING: {w}");
        }
    }
    o
}

/// The JSON form, schema [`SCHEMA`].
pub fn json(a: &Agent, ids: &[InstanceId], k: &dyn KernelView, clock: &Clock) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "{{\"schema\":{},\"vrrpd\":{},\"now\":{},\"instances\":[",
        json_str(SCHEMA),
        json_str(env!("CARGO_PKG_VERSION")),
        json_str(&utc(clock.unix_us))
    );
    for (n, &i) in ids.iter().enumerate() {
        if n > 0 {
            o.push(',');
        }
        instance_json(a, i, k, clock, &mut o);
    }
    o.push_str("]}\n");
    o
}

fn instance_json(a: &Agent, i: InstanceId, k: &dyn KernelView, clock: &Clock, o: &mut String) {
    let c = a.conf(i);
    let reason = a.reason(i);
    let (peer, peer_prio) = match reason.peer() {
        Some((p, prio)) => (json_str(&p.to_string()), opt(prio)),
        None => ("null".into(), "null".into()),
    };
    let _ = write!(
        o,
        "{{\"name\":{},\"state\":{},\"since\":{},\"in_state_s\":{},\"reason\":{{\"kind\":{},\"text\":{},\"peer\":{},\"priority\":{}}},",
        json_str(&c.name),
        json_str(a.state(i).name()),
        json_str(&utc(clock.unix_of(a.since(i)))),
        json_secs(clock.now.since(a.since(i))),
        json_str(reason.kind()),
        json_str(&reason.to_string()),
        peer,
        peer_prio
    );
    let _ = write!(
        o,
        "\"vrid\":{},\"version\":{},\"family\":{},\"interface\":{},\"sync_group\":{},",
        c.vrid,
        c.version,
        json_str(if c.family == Family::V4 { "inet" } else { "inet6" }),
        c.interface.as_deref().map(json_str).unwrap_or_else(|| "null".into()),
        c.sync_group.as_deref().map(json_str).unwrap_or_else(|| "null".into())
    );
    let _ =
        write!(o, "\"priority\":{{\"base\":{},\"effective\":{},\"trackers\":[", c.priority, a.effective_priority(i));
    for (n, t) in a.trackers(i).iter().enumerate() {
        let (contribution, fault) = match t.contribution {
            None => ("null".to_string(), false),
            Some(Contribution::Fault) => ("null".to_string(), true),
            Some(Contribution::Adjust(x)) => (x.to_string(), false),
        };
        let _ = write!(
            o,
            "{}{{\"kind\":{},\"name\":{},\"weight\":{},\"reverse\":{},\"ok\":{},\"value\":{},\"contribution\":{},\"fault\":{}}}",
            if n > 0 { "," } else { "" },
            json_str(t.kind),
            json_str(&t.name),
            t.weight,
            t.reverse,
            opt(t.ok),
            opt(t.value),
            contribution,
            fault
        );
    }
    o.push_str("]},");
    match master(a, i) {
        Some((m, p, me)) => {
            let _ =
                write!(o, "\"master\":{{\"address\":{},\"priority\":{p},\"self\":{me}}},", json_str(&m.to_string()));
        }
        None => o.push_str("\"master\":null,"),
    }
    let down_in = a.master_down_deadline(i).map(|t| json_secs(t.since(clock.now)));
    let _ = write!(
        o,
        "\"advert_interval_s\":{},\"master_down_interval_s\":{},\"master_down_in_s\":{},",
        json_secs(a.master_adver_int(i)),
        json_secs(a.master_down_interval(i)),
        opt(down_in)
    );
    match a.demotion(i) {
        Some((until, force)) => {
            let until = until.map(|t| json_secs(t.since(clock.now)));
            let _ = write!(o, "\"demoted\":{{\"ends_in_s\":{},\"force\":{force}}},", opt(until));
        }
        None => o.push_str("\"demoted\":null,"),
    }
    o.push_str("\"vips\":[");
    for (n, v) in c.vips.iter().chain(&c.excluded_vips).enumerate() {
        let dev = vip_dev(a, i, v);
        let _ = write!(
            o,
            "{}{{\"address\":{},\"prefix\":{},\"dev\":{},\"excluded\":{},\"present\":{}}}",
            if n > 0 { "," } else { "" },
            json_str(&v.addr.to_string()),
            v.prefix,
            json_str(dev),
            n >= c.vips.len(),
            k.has_address(dev, v.addr)
        );
    }
    o.push_str("],\"routes\":[");
    for (n, r) in c.routes.iter().enumerate() {
        let sep = if n > 0 { "," } else { "" };
        let _ = write!(o, "{sep}{{\"route\":{},\"installed\":{}}}", json_str(&route_string(r)), k.has_route(r));
    }
    o.push_str("],\"rules\":[");
    for (n, r) in c.rules.iter().enumerate() {
        let sep = if n > 0 { "," } else { "" };
        let _ = write!(o, "{sep}{{\"rule\":{},\"installed\":{}}}", json_str(&rule_string(r)), k.has_rule(r));
    }
    let _ = write!(o, "],\"stats\":{},", super::report::stats_json(a.stats(i), true));
    // RFC 9568 §5.2.8: which v3 IPv4 checksum form we send, and who sends the other one.
    match checksum_form(c) {
        Some(ours) => {
            let _ = write!(o, "\"checksum\":{{\"ours\":{},\"other_form_peers\":[", json_str(form_name(ours)));
            for (n, p) in a.checksum_peers(i).iter().enumerate() {
                let _ = write!(
                    o,
                    "{}{{\"address\":{},\"form\":{},\"adverts\":{}}}",
                    if n > 0 { "," } else { "" },
                    json_str(&p.addr.to_string()),
                    json_str(form_name(p.pseudo_header)),
                    p.adverts
                );
            }
            o.push_str("]},");
        }
        None => o.push_str("\"checksum\":null,"),
    }
    o.push_str("\"warnings\":[");
    let mut first = true;
    for kind in [Episode::OtherMaster, Episode::Mismatch] {
        if let Some(e) = a.episode(i, kind) {
            let _ = write!(
                o,
                "{}{{\"kind\":{},\"peer\":{},\"priority\":{},\"since\":{},\"adverts\":{}}}",
                if first { "" } else { "," },
                json_str(kind.name()),
                json_str(&e.peer.to_string()),
                e.priority,
                json_str(&utc(clock.unix_of(e.since))),
                e.adverts
            );
            first = false;
        }
    }
    let (om_episodes, om_adverts) = a.episode_totals(i, Episode::OtherMaster);
    let (mm_episodes, mm_adverts) = a.episode_totals(i, Episode::Mismatch);
    let _ = write!(
        o,
        "],\"episodes\":{{\"other_master\":{{\"count\":{om_episodes},\"adverts\":{om_adverts}}},\"mismatch\":{{\"count\":{mm_episodes},\"adverts\":{mm_adverts}}}}}}}"
    );
}

/// v3 over IPv4, the one case with two checksum forms: whether ours has the pseudo-header.
fn checksum_form(c: &crate::config::model::Instance) -> Option<bool> {
    (c.version == 3 && c.family == Family::V4).then_some(!c.v3_checksum_as_v2)
}

/// The form's name in JSON: `pseudo_header` (RFC 5798, keepalived's default) or `plain`
/// (keepalived `v3_checksum_as_v2`).
fn form_name(pseudo_header: bool) -> &'static str {
    if pseudo_header {
        "pseudo_header"
    } else {
        "plain"
    }
}

fn form_text(pseudo_header: bool) -> &'static str {
    if pseudo_header {
        "with the IPv4 pseudo-header"
    } else {
        "without the pseudo-header"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_are_civil_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00.000Z");
        // 2026-12-01T11:15:53.250Z
        assert_eq!(utc(1_796_123_753_250_000), "2026-12-01T11:15:53.250Z");
        // 2024-02-29 (a leap day) 23:59:59.999
        assert_eq!(utc(1_709_251_199_999_000), "2024-02-29T23:59:59.999Z");
    }

    #[test]
    fn short_durations_keep_two_units() {
        assert_eq!(short_duration(3_250_000), "3.2s");
        assert_eq!(short_duration(303_000_000), "5m03s");
        assert_eq!(short_duration(7_800_000_000), "2h10m");
        assert_eq!(short_duration(273_600_000_000), "3d04h");
    }
}
