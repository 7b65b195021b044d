//! keepalived's dump formats from the agent's state (reference §3.3): `keepalived.stats`
//! (SIGUSR2), the VRRP part of `keepalived.data` (SIGUSR1) and `keepalived.json`
//! (json_version 1, the JSON signal). Pure formatting; the shell writes the files.
use super::{Agent, State};
use crate::config::dump::vip_string;
use crate::config::model::{Auth, Micros};
use crate::config::value::format_seconds;
use std::fmt::Write;

pub fn stats(a: &Agent) -> String {
    let mut o = String::new();
    for i in 0..a.instance_count() {
        let s = a.stats(i);
        let c = &a.config().instances[i];
        let _ = write!(
            o,
            "VRRP Instance: {}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  Became master: {}\n  Released master: {}\n  \
             Packet Errors:\n    Length: {}\n    TTL: {}\n    Invalid Type: {}\n    Advertisement Interval: {}\n    Address List: {}\n  \
             Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n    Failure: {}\n  Priority Zero:\n    Received: {}\n    Sent: {}\n",
            c.name,
            s.advert_rcvd,
            s.advert_sent,
            s.become_master,
            s.release_master,
            s.packet_len_err,
            s.ip_ttl_err,
            s.invalid_type_rcvd,
            s.advert_interval_err,
            s.addr_list_err,
            s.invalid_authtype,
            s.authtype_mismatch,
            s.auth_failure,
            s.pri_zero_rcvd,
            s.pri_zero_sent
        );
    }
    o
}

fn secs(us: Micros) -> String {
    format!("{} sec", format_seconds(us))
}

pub fn data(a: &Agent) -> String {
    let mut o = String::from("------< VRRP Topology >------\n");
    for i in 0..a.instance_count() {
        let c = &a.config().instances[i];
        let state = a.state(i);
        let _ = writeln!(o, " VRRP Instance = {}", c.name);
        let _ = writeln!(o, "   State = {}", state.name());
        let _ = writeln!(o, "   Wantstate = {}", state.name());
        let _ = writeln!(o, "   VRRP Version = {}", c.version);
        let _ = writeln!(o, "   Interface = {}", c.interface.as_deref().unwrap_or("(none)"));
        let _ = writeln!(o, "   Virtual Router ID = {}", c.vrid);
        let _ = writeln!(o, "   Priority = {}", c.priority);
        let _ = writeln!(o, "   Effective priority = {}", a.effective_priority(i));
        let _ = writeln!(o, "   Advert interval = {}", secs(c.advert_int));
        let _ = writeln!(o, "   Master advert interval = {}", secs(a.master_adver_int(i)));
        let _ = writeln!(o, "   Preempt = {}", if c.nopreempt { "disabled" } else { "enabled" });
        let _ = writeln!(o, "   Preempt delay = {}", secs(c.preempt_delay));
        let _ = writeln!(
            o,
            "   Authentication type = {}",
            if matches!(c.auth, Auth::Pass(_)) { "SIMPLE_PASSWORD" } else { "none" }
        );
        if let (State::Backup, Some((src, prio))) = (state, a.master_of(i)) {
            let _ = writeln!(o, "   Master router = {src}");
            let _ = writeln!(o, "   Master priority = {prio}");
        }
        let _ = writeln!(o, "   Virtual IP ({}):", c.vips.len());
        for v in &c.vips {
            let _ = writeln!(o, "     {}", vip_string(v));
        }
        if !c.track_scripts.is_empty() {
            let _ = writeln!(o, "   Tracked scripts :");
            for t in &c.track_scripts {
                let _ = writeln!(o, "     {} weight {}{}", t.name, t.weight, if t.reverse { " reverse" } else { "" });
            }
        }
    }
    o
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// json_version 1: `[{"data":{...},"stats":{...}}, ...]`, state numbers 0 INIT .. 3 FAULT.
pub fn json(a: &Agent) -> String {
    let mut items = Vec::new();
    for i in 0..a.instance_count() {
        let c = &a.config().instances[i];
        let s = a.stats(i);
        let vips: Vec<String> = c.vips.iter().map(|v| json_str(&vip_string(v))).collect();
        let scripts: Vec<String> = c.track_scripts.iter().map(|t| json_str(&t.name)).collect();
        let data = format!(
            "{{\"iname\":{},\"dont_track_primary\":{},\"vrid\":{},\"base_priority\":{},\"effective_priority\":{},\"state\":{},\"wantstate\":{},\"version\":{},\"adver_int\":{},\"master_adver_int\":{},\"nopreempt\":{},\"preempt_delay\":{},\"vips\":[{}],\"track_script\":[{}],\"auth_type\":{},\"garp_delay\":{},\"garp_rep\":{},\"ifp_ifname\":{}}}",
            json_str(&c.name),
            c.dont_track_primary as u8,
            c.vrid,
            c.priority,
            a.effective_priority(i),
            a.state(i) as u8,
            a.state(i) as u8,
            c.version,
            c.advert_int / 1_000_000,
            a.master_adver_int(i) / 1_000_000,
            c.nopreempt as u8,
            c.preempt_delay / 1_000_000,
            vips.join(","),
            scripts.join(","),
            if matches!(c.auth, Auth::Pass(_)) { 1 } else { 0 },
            c.garp.master_delay / 1_000_000,
            c.garp.master_repeat,
            json_str(c.interface.as_deref().unwrap_or(""))
        );
        let stats = format!(
            "{{\"advert_rcvd\":{},\"advert_sent\":{},\"become_master\":{},\"release_master\":{},\"packet_len_err\":{},\"advert_interval_err\":{},\"ip_ttl_err\":{},\"invalid_type_rcvd\":{},\"addr_list_err\":{},\"invalid_authtype\":{},\"authtype_mismatch\":{},\"auth_failure\":{},\"pri_zero_rcvd\":{},\"pri_zero_sent\":{}}}",
            s.advert_rcvd,
            s.advert_sent,
            s.become_master,
            s.release_master,
            s.packet_len_err,
            s.advert_interval_err,
            s.ip_ttl_err,
            s.invalid_type_rcvd,
            s.addr_list_err,
            s.invalid_authtype,
            s.authtype_mismatch,
            s.auth_failure,
            s.pri_zero_rcvd,
            s.pri_zero_sent
        );
        items.push(format!("{{\"data\":{data},\"stats\":{stats}}}"));
    }
    format!("[{}]\n", items.join(","))
}
