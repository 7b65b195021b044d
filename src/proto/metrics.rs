//! `vrrpd metrics` and `GET /metrics`: the agent's state as Prometheus text (format 0.0.4)
//! or OpenMetrics 1.0. The names and labels of mehdy/keepalived-exporter come first, so its
//! dashboards and alerts keep working (`keepalived_vrrp_state`, one series per VIP, and the
//! counters labelled `iname`, `intf`, `vrid`, `state`); vrrpd's own follow with the `vrrpd_`
//! prefix. Pure formatting, from memory.
use super::event::{Episode, InstanceId, State};
use super::status::KernelView;
use super::{Agent, Instant, Stats};
use crate::config::value::format_seconds;
use std::fmt::Write;

/// Which text format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text exposition 0.0.4 (`text/plain; version=0.0.4`).
    Prometheus,
    /// OpenMetrics 1.0 (`application/openmetrics-text; version=1.0.0`): counter families
    /// are named without `_total`, and the text ends with `# EOF`.
    OpenMetrics,
}

impl Format {
    /// The HTTP Content-Type of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// Escapes a label value (backslash, double quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

struct Out {
    text: String,
    format: Format,
}

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let family = match (self.format, kind) {
            (Format::OpenMetrics, "counter") => name.strip_suffix("_total").unwrap_or(name),
            _ => name,
        };
        let _ = writeln!(self.text, "# HELP {family} {help}\n# TYPE {family} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.sample_dyn(name, labels, &value);
    }
    /// The one body of [`Out::sample`], whatever the value's type (the armv7 size budget).
    fn sample_dyn(&mut self, name: &str, labels: &[(&str, &str)], value: &dyn std::fmt::Display) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (n, (k, v)) in labels.iter().enumerate() {
                let sep = if n > 0 { "," } else { "" };
                let _ = write!(self.text, "{sep}{k}=\"{}\"", label(v));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// Reads one counter of keepalived's statistics.
type StatField = fn(&Stats) -> u64;

/// The exporter's counters: (metric name, help, field).
const COUNTERS: &[(&str, &str, StatField)] = &[
    ("keepalived_advertisements_received_total", "Advertisements received", |s| s.advert_rcvd),
    ("keepalived_advertisements_sent_total", "Advertisements sent", |s| s.advert_sent),
    ("keepalived_become_master_total", "Became master", |s| s.become_master),
    ("keepalived_release_master_total", "Released master", |s| s.release_master),
    ("keepalived_packet_length_errors_total", "Packet length errors", |s| s.packet_len_err),
    ("keepalived_advertisements_interval_errors_total", "Advertisement interval errors", |s| s.advert_interval_err),
    ("keepalived_ip_ttl_errors_total", "TTL errors", |s| s.ip_ttl_err),
    ("keepalived_invalid_type_received_total", "Invalid type errors", |s| s.invalid_type_rcvd),
    ("keepalived_address_list_errors_total", "Address list errors", |s| s.addr_list_err),
    ("keepalived_authentication_invalid_total", "Authentication invalid", |s| s.invalid_authtype),
    ("keepalived_authentication_mismatch_total", "Authentication mismatch", |s| s.authtype_mismatch),
    ("keepalived_authentication_failure_total", "Authentication failure", |s| s.auth_failure),
    ("keepalived_priority_zero_received_total", "Priority zero received", |s| s.pri_zero_rcvd),
    ("keepalived_priority_zero_sent_total", "Priority zero sent", |s| s.pri_zero_sent),
];

/// Every metric, at `now`.
pub fn render(a: &Agent, k: &dyn KernelView, now: Instant, format: Format) -> String {
    let mut o = Out { text: String::new(), format };
    let ids: Vec<InstanceId> = a.instance_ids().collect();
    let vrid: Vec<String> = ids.iter().map(|&i| a.conf(i).vrid.to_string()).collect();
    let common = |n: usize| -> [(&str, &str); 4] {
        let c = a.conf(ids[n]);
        [
            ("iname", c.name.as_str()),
            ("intf", c.interface.as_deref().unwrap_or("")),
            ("vrid", vrid[n].as_str()),
            ("state", a.state(ids[n]).name()),
        ]
    };
    o.family("keepalived_up", "gauge", "Status");
    o.sample("keepalived_up", &[], 1);

    o.family("keepalived_vrrp_state", "gauge", "State of vrrp (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT)");
    for (n, &i) in ids.iter().enumerate() {
        let c = a.conf(i);
        for v in &c.vips {
            let addr = v.addr.to_string();
            let intf = v.dev.as_deref().or(c.interface.as_deref()).unwrap_or("");
            let labels =
                [("iname", c.name.as_str()), ("intf", intf), ("vrid", vrid[n].as_str()), ("ip_address", &addr)];
            o.sample("keepalived_vrrp_state", &labels, a.state(i) as u8);
        }
    }
    for (name, help, field) in COUNTERS {
        o.family(name, "counter", help);
        for (n, &i) in ids.iter().enumerate() {
            o.sample(name, &common(n), field(a.stats(i)));
        }
    }
    o.family("keepalived_gratuitous_arp_delay_total", "counter", "Gratuitous ARP delay");
    for (n, &i) in ids.iter().enumerate() {
        o.sample("keepalived_gratuitous_arp_delay_total", &common(n), a.conf(i).garp.master_delay / 1_000_000);
    }
    o.family("keepalived_script_status", "gauge", "Tracker Script Status (1 good, 0 bad)");
    let scripts: Vec<_> = a.scripts().map(|(id, s)| (s.name.clone(), a.script_status(id))).collect();
    for (name, st) in &scripts {
        let good = st.and_then(|s| s.healthy).unwrap_or(false);
        o.sample("keepalived_script_status", &[("name", name)], good as u8);
    }
    o.family("keepalived_script_state", "gauge", "Tracker Script State (0 idle, 1 running)");
    for (name, st) in &scripts {
        o.sample("keepalived_script_state", &[("name", name)], st.is_some_and(|s| s.running) as u8);
    }

    // vrrpd's own.
    o.family("vrrpd_effective_priority", "gauge", "Effective priority (base plus tracker weights)");
    for (n, &i) in ids.iter().enumerate() {
        o.sample("vrrpd_effective_priority", &common(n)[..3], a.effective_priority(i));
    }
    o.family("vrrpd_base_priority", "gauge", "Configured priority");
    for (n, &i) in ids.iter().enumerate() {
        o.sample("vrrpd_base_priority", &common(n)[..3], a.conf(i).priority);
    }
    o.family("vrrpd_transitions_total", "counter", "State transitions by new state and reason");
    for (n, &i) in ids.iter().enumerate() {
        for &(to, reason, count) in a.transitions(i) {
            let mut l = common(n)[..3].to_vec();
            l.push(("to", to.name()));
            l.push(("reason", reason));
            o.sample("vrrpd_transitions_total", &l, count);
        }
    }
    o.family(
        "vrrpd_master_down_margin_seconds",
        "gauge",
        "BACKUP: time left before this router takes over unless an advert arrives",
    );
    for (n, &i) in ids.iter().enumerate() {
        if let (State::Backup, Some(at)) = (a.state(i), a.master_down_deadline(i)) {
            o.sample("vrrpd_master_down_margin_seconds", &common(n)[..3], format_seconds(at.since(now)));
        }
    }
    for (kind, what) in [
        (Episode::OtherMaster, "another master heard while MASTER"),
        (Episode::Mismatch, "adverts that do not match ours"),
    ] {
        let gauge = format!("vrrpd_{}", kind.name());
        o.family(&gauge, "gauge", &format!("1 while an episode of {what} is under way"));
        for (n, &i) in ids.iter().enumerate() {
            o.sample(&gauge, &common(n)[..3], a.episode(i, kind).is_some() as u8);
        }
        let episodes = format!("vrrpd_{}_episodes_total", kind.name());
        o.family(&episodes, "counter", &format!("Episodes of {what}"));
        for (n, &i) in ids.iter().enumerate() {
            o.sample(&episodes, &common(n)[..3], a.episode_totals(i, kind).0);
        }
        let adverts = format!("vrrpd_{}_adverts_total", kind.name());
        o.family(&adverts, "counter", &format!("Adverts counted as {what}"));
        for (n, &i) in ids.iter().enumerate() {
            o.sample(&adverts, &common(n)[..3], a.episode_totals(i, kind).1);
        }
    }
    o.family("vrrpd_lower_priority_received_total", "counter", "Lower-priority adverts received as MASTER");
    for (n, &i) in ids.iter().enumerate() {
        o.sample("vrrpd_lower_priority_received_total", &common(n)[..3], a.stats(i).lower_prio_rcvd);
    }
    o.family("vrrpd_demoted", "gauge", "1 while vrrpd demote is in force");
    for (n, &i) in ids.iter().enumerate() {
        o.sample("vrrpd_demoted", &common(n)[..3], a.demotion(i).is_some() as u8);
    }
    o.family("vrrpd_vip_present", "gauge", "1 when the VIP is on its interface");
    for (n, &i) in ids.iter().enumerate() {
        let c = a.conf(i);
        for v in c.vips.iter().chain(&c.excluded_vips) {
            let addr = v.addr.to_string();
            let intf = v.dev.as_deref().or(c.interface.as_deref()).unwrap_or("");
            let labels =
                [("iname", c.name.as_str()), ("intf", intf), ("vrid", vrid[n].as_str()), ("ip_address", &addr)];
            o.sample("vrrpd_vip_present", &labels, k.has_address(intf, v.addr) as u8);
        }
    }
    if format == Format::OpenMetrics {
        o.text.push_str("# EOF\n");
    }
    o.text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn openmetrics_counter_families_drop_total() {
        let mut o = Out { text: String::new(), format: Format::OpenMetrics };
        o.family("x_total", "counter", "h");
        assert_eq!(o.text, "# HELP x h\n# TYPE x counter\n");
        let mut o = Out { text: String::new(), format: Format::Prometheus };
        o.family("x_total", "counter", "h");
        assert_eq!(o.text, "# HELP x_total h\n# TYPE x_total counter\n");
    }
}
