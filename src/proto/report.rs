//! keepalived's dump formats from the agent's state (keepalived's dump_data_vrrp() and vrrp_print_stats()): `keepalived.stats`
//! (SIGUSR2), `keepalived.data` (SIGUSR1) and `keepalived.json`
//! (json_version 1, the JSON signal). Pure formatting; the shell writes the files.
use super::{Agent, State};
use crate::config::dump::{vip_string, PASSWORD_MASK};
use crate::config::model::{Auth, Micros, ParamMatch};
use crate::config::value::format_seconds;
use crate::wire::vrrp;
use std::fmt::Write;

/// `keepalived.stats` (SIGUSR2): every instance's counters.
pub fn stats(a: &Agent) -> String {
    let mut o = String::new();
    for i in a.instance_ids() {
        let s = a.stats(i);
        let c = a.conf(i);
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
        // vrrpd's own line: v3 IPv4 adverts accepted in the checksum form we do not send
        // (RFC 9568 §5.2.8), which keepalived drops.
        if c.version == 3 && c.family == crate::config::model::Family::V4 {
            let _ = writeln!(o, "  VRRPv3 checksum other form: {}", s.checksum_other_form);
        }
    }
    o
}

fn secs(us: Micros) -> String {
    format!("{} sec", format_seconds(us))
}

fn on_off(b: bool, on: &'static str, off: &'static str) -> &'static str {
    if b {
        on
    } else {
        off
    }
}

/// `keepalived.data` (SIGUSR1): the sections and key names keepalived 2.2.7 writes, for what
/// vrrpd has (no LVS, SNMP, DBus, sockpool internals or wall-clock times).
pub fn data(a: &Agent) -> String {
    let mut o = String::new();
    global_section(a, &mut o);
    statics_section(a, &mut o);
    topology_section(a, &mut o);
    scripts_section(a, &mut o);
    processes_section(a, &mut o);
    interfaces_section(a, &mut o);
    o
}

fn global_section(a: &Agent, o: &mut String) {
    let g = &a.config().global;
    let tf = |b: bool| on_off(b, "true", "false");
    o.push_str("------< Global definitions >------\n");
    let _ = writeln!(o, " Network namespace = (default)");
    let _ = writeln!(o, " Router ID = {}", g.router_id.as_deref().unwrap_or("(none)"));
    let _ = writeln!(o, " Dynamic interfaces = {}", tf(g.dynamic_interfaces));
    if let Some(i) = &g.default_interface {
        let _ = writeln!(o, " Default interface = {i}");
    }
    let _ = writeln!(o, " FIFO write vrrp states on reload = {}", tf(g.fifo_write_states_on_reload));
    let _ = writeln!(o, " VRRP notify priority changes = {}", tf(g.notify_priority_changes));
    let _ = writeln!(o, " VRRP IPv4 mcast group = {}", g.mcast_group4);
    let _ = writeln!(o, " VRRP IPv6 mcast group = {}", g.mcast_group6);
    garp_lines(o, " ", &g.garp);
    let _ = writeln!(o, " Num adverts before down = {}", g.down_timer_adverts);
    let _ = writeln!(o, " Send advert after receive lower priority advert = {}", tf(!g.lower_prio_no_advert));
    let _ = writeln!(o, " Send advert after receive higher priority advert = {}", tf(g.higher_prio_send_advert));
    let _ = writeln!(o, " Gratuitous ARP interval = {}", format_seconds(g.garp.interval));
    let _ = writeln!(o, " Gratuitous NA interval = {}", format_seconds(g.garp.na_interval));
    let _ = writeln!(o, " VRRP default protocol version = {}", g.vrrp_version);
    let _ = writeln!(o, " VRRP check unicast_src = {}", tf(g.check_unicast_src));
    let _ = writeln!(o, " VRRP skip check advert addresses = {}", tf(g.skip_check_adv_addr));
    let _ = writeln!(o, " VRRP strict mode = {}", tf(g.strict));
    let _ = writeln!(o, " Script security {}", on_off(g.enable_script_security, "enabled", "disabled"));
    if let Some(u) = &g.script_user {
        let _ = writeln!(
            o,
            " Default script user = {}{}",
            u.user,
            u.group.as_deref().map(|g| format!(":{g}")).unwrap_or_default()
        );
    }
}

/// keepalived's GARP lines, shared by the global and the per-instance sections.
/// keepalived dump_data_vrrp(): the garp_groups, then the static entries.
fn statics_section(a: &Agent, o: &mut String) {
    let c = a.config();
    if !c.garp_groups.is_empty() {
        o.push_str("------< Gratuitous ARP delays >------\n");
    }
    for (n, g) in c.garp_groups.iter().enumerate() {
        let _ = writeln!(o, "------< GARP delay group {n} >------");
        if let Some(t) = g.garp_interval {
            let _ = writeln!(o, " GARP interval = {}", format_seconds(t));
        }
        if let Some(t) = g.gna_interval {
            let _ = writeln!(o, " GNA interval = {}", format_seconds(t));
        }
        o.push_str(" Interfaces\n");
        for i in &g.interfaces {
            let _ = writeln!(o, "  {i}");
        }
    }
    o.push_str(&crate::config::dump::statics_text(&c.statics, "     "));
}

fn garp_lines(o: &mut String, indent: &str, g: &crate::config::model::Garp) {
    let _ = writeln!(o, "{indent}Gratuitous ARP delay = {}", g.master_delay / 1_000_000);
    let _ = writeln!(o, "{indent}Gratuitous ARP repeat = {}", g.master_repeat);
    let _ = writeln!(o, "{indent}Gratuitous ARP refresh timer = {}", g.master_refresh / 1_000_000);
    let _ = writeln!(o, "{indent}Gratuitous ARP refresh repeat = {}", g.master_refresh_repeat);
    let _ = writeln!(o, "{indent}Gratuitous ARP lower priority delay = {}", g.lower_prio_delay / 1_000_000);
    let _ = writeln!(o, "{indent}Gratuitous ARP lower priority repeat = {}", g.lower_prio_repeat);
}

fn topology_section(a: &Agent, o: &mut String) {
    o.push_str("------< VRRP Topology >------\n");
    for i in a.instance_ids() {
        let c = a.conf(i);
        let state = a.state(i);
        let _ = writeln!(o, " VRRP Instance = {}", c.name);
        let _ = writeln!(o, "   VRRP Version = {}", c.version);
        let _ = writeln!(o, "   State = {}", state.name());
        let _ = writeln!(o, "   Wantstate = {}", state.name());
        // vrrpd's own lines (keepalived has no reason or demotion to report).
        let _ = writeln!(o, "   State reason = {}", a.reason(i));
        if let Some((_, force)) = a.demotion(i) {
            let _ = writeln!(o, "   Demoted = yes (vrrpd demote{})", if force { " --force" } else { "" });
        }
        if let (State::Backup, Some((src, prio))) = (state, a.master_of(i)) {
            let _ = writeln!(o, "   Master router = {src}");
            let _ = writeln!(o, "   Master priority = {prio}");
        }
        let _ = writeln!(o, "   Master down timer = {} usecs", a.master_down_interval(i));
        match &c.vmac {
            // keepalived dump_vrrp(): the VMAC line, then the interface and what it sits on.
            Some(v) => {
                let _ = writeln!(
                    o,
                    "   Use VMAC, i/f name {}, is_up = {}, xmit_base = {}",
                    v.name,
                    a.links().any(|(n, up)| n == v.name && up),
                    v.xmit_base
                );
                if v.mac_specified {
                    let _ = writeln!(o, "     MAC = {}", crate::config::dump::mac_text(&v.mac));
                }
                if v.addr {
                    let _ = writeln!(o, "   Use VMAC for VIPs on other interfaces");
                }
                let xmit = if v.xmit_base { ", xmit base i/f" } else { "" };
                let _ = writeln!(o, "   Interface = {}, vmac on {}{xmit}", v.name, v.base);
            }
            None => {
                let _ = writeln!(o, "   Interface = {}", c.interface.as_deref().unwrap_or("(none)"));
            }
        }
        if let Some(src) = a.source_address(i) {
            let _ = writeln!(o, "   Using src_ip = {src}");
        }
        if c.unicast_peers.is_empty() {
            let _ = writeln!(o, "   Multicast address {}", c.mcast_dst);
        } else {
            let _ = writeln!(o, "   Unicast Peer :");
            for p in &c.unicast_peers {
                let _ = writeln!(o, "     {}", p.addr);
            }
        }
        garp_lines(o, "   ", &c.garp);
        let _ = writeln!(o, "   Down timer adverts = {}", c.down_timer_adverts);
        let tf = |b: bool| on_off(b, "true", "false");
        let _ = writeln!(o, "   Send advert after receive lower priority advert = {}", tf(!c.lower_prio_no_advert));
        let _ = writeln!(o, "   Send advert after receive higher priority advert = {}", tf(c.higher_prio_send_advert));
        let _ = writeln!(o, "   Virtual Router ID = {}", c.vrid);
        let _ = writeln!(o, "   Priority = {}", c.priority);
        let _ = writeln!(o, "   Effective priority = {}", a.effective_priority(i));
        let _ = writeln!(o, "   Advert interval = {}", secs(c.advert_int));
        let _ = writeln!(o, "   Master advert interval = {}", secs(a.master_adver_int(i)));
        let _ = writeln!(o, "   Accept = {}", on_off(c.accept, "enabled", "disabled"));
        let _ = writeln!(o, "   Preempt = {}", on_off(c.nopreempt, "disabled", "enabled"));
        if c.preempt_delay > 0 {
            let _ = writeln!(o, "   Preempt delay = {}", secs(c.preempt_delay));
        }
        let _ = writeln!(o, "   Promote_secondaries = {}", on_off(c.promote_secondaries, "enabled", "disabled"));
        let _ = writeln!(
            o,
            "   Authentication type = {}",
            match c.auth {
                Auth::Pass(_) => "SIMPLE_PASSWORD",
                Auth::Ah(_) => "IPSEC_AH",
                Auth::None => "none",
            }
        );
        // keepalived 2.4 masks the password (dump_vrrp()); nothing shows it.
        if !matches!(c.auth, Auth::None) {
            let _ = writeln!(o, "   Password = {PASSWORD_MASK}");
        }
        if c.timer_expired_backup > 0 {
            let _ = writeln!(o, "   Highest other priority = {}", c.timer_expired_backup);
        }
        let _ = writeln!(o, "   Virtual IP ({}):", c.vips.len());
        for v in &c.vips {
            let _ = writeln!(o, "     {}", vip_string(v));
        }
        if !c.excluded_vips.is_empty() {
            let _ = writeln!(o, "   Virtual IP Excluded ({}):", c.excluded_vips.len());
            for v in &c.excluded_vips {
                let _ = writeln!(o, "     {}", vip_string(v));
            }
        }
        if !c.track_scripts.is_empty() {
            let _ = writeln!(o, "   Tracked scripts :");
            for t in &c.track_scripts {
                let _ = writeln!(o, "     {} weight {}{}", t.name, t.weight, if t.reverse { " reverse" } else { "" });
            }
        }
        if !c.track_interfaces.is_empty() {
            let _ = writeln!(o, "   Tracked interfaces :");
            for t in &c.track_interfaces {
                let _ = writeln!(o, "     {} weight {}{}", t.name, t.weight, if t.reverse { " reverse" } else { "" });
            }
        }
        if !c.track_processes.is_empty() {
            let _ = writeln!(o, "   Tracked processes :");
            for t in &c.track_processes {
                let _ = writeln!(o, "     {}, weight {}{}", t.name, t.weight, if t.reverse { " reverse" } else { "" });
            }
        }
        let _ = writeln!(o, "   Notify priority changes = {}", tf(c.notify_priority_changes));
    }
}

/// keepalived dump_vprocess(): the delays with six decimals, and which delay runs (one timer
/// holds whichever does: a loss waits terminate_delay, a gain fork_delay).
fn processes_section(a: &Agent, o: &mut String) {
    let cfg = a.config();
    if cfg.track_processes.is_empty() {
        return;
    }
    let tf = |b: bool| on_off(b, "true", "false");
    let not = |b: bool| on_off(b, "", "not ");
    let rev = |b: bool| on_off(b, " reverse", "");
    o.push_str("------< VRRP Track processes >------\n");
    for (_, p, count, up, delaying) in a.track_processes() {
        let _ = writeln!(o, " VRRP Track process = {}\n   Process = {}", p.name, p.process);
        if !p.params.is_empty() {
            let _ = writeln!(o, "   Parameters = {}", crate::config::dump::process_params(&p.params));
        }
        let m = match p.param_match {
            ParamMatch::None => "",
            ParamMatch::Exact => "   Param match\n",
            ParamMatch::Partial => "   Param match = partial\n",
            ParamMatch::Initial => "   Param match = initial\n",
        };
        let _ = writeln!(o, "{m}   Min processes = {}", p.quorum);
        if p.quorum_max != u32::MAX {
            let _ = writeln!(o, "   Max processes = {}", p.quorum_max);
        }
        let (t, f) = (p.terminate_delay, p.fork_delay);
        let _ = write!(
            o,
            "   Current processes = {count}\n   Have quorum = {}\n   Weight = {}{}\n   Terminate delay = {}.{:06}s\n   Fork delay = {}.{:06}s\n   Fork delay timer {}running\n   Terminate delay timer {}running\n   Full command = {}\n",
            tf(up),
            p.weight,
            rev(p.weight_reverse),
            t / 1_000_000,
            t % 1_000_000,
            f / 1_000_000,
            f % 1_000_000,
            not(delaying && !up),
            not(delaying && up),
            tf(p.full_command)
        );
        let mut head = "   Tracking instances :\n";
        for c in &cfg.instances {
            if let Some(t) = c.track_processes.iter().find(|t| t.name == p.name) {
                let _ = writeln!(o, "{head}     {}, weight {}{}", c.name, t.weight, rev(t.reverse));
                head = "";
            }
        }
    }
}

fn scripts_section(a: &Agent, o: &mut String) {
    let cfg = a.config();
    if cfg.scripts.is_empty() {
        return;
    }
    o.push_str("------< VRRP Scripts >------\n");
    for (id, sc) in a.scripts() {
        let Some(crate::proto::ScriptStatus { healthy: health, running, last_status: last }) = a.script_status(id)
        else {
            continue;
        };
        let _ = writeln!(o, " VRRP Script = {}", sc.name);
        let _ = writeln!(o, "   Command = '{}'", sc.command.argv.join(" "));
        let _ = writeln!(o, "   Interval = {}", secs(sc.interval));
        let _ = writeln!(o, "   Timeout = {}", secs(sc.timeout));
        let _ = writeln!(o, "   Weight = {}{}", sc.weight, if sc.weight_reverse { " reverse" } else { "" });
        let _ = writeln!(o, "   Rise = {}", sc.rise);
        let _ = writeln!(o, "   Fall = {}", sc.fall);
        if let Some(status) = last {
            let _ = writeln!(o, "   Last exit status = {status}");
        }
        let status = match health {
            None => "INIT",
            Some(true) => "GOOD",
            Some(false) => "BAD",
        };
        let _ = writeln!(o, "   Status = {status}");
        let (uid, gid) = sc.command.ids.unwrap_or((0, 0));
        let _ = writeln!(o, "   Script uid:gid = {uid}:{gid}");
        let _ = writeln!(o, "   Tracking instances :");
        for c in &cfg.instances {
            for t in c.track_scripts.iter().filter(|t| t.name == sc.name) {
                let _ = writeln!(o, "     {}, weight {}", c.name, t.weight);
            }
        }
        let _ = writeln!(o, "   State = {}", on_off(running, "running", "idle"));
    }
}

fn interfaces_section(a: &Agent, o: &mut String) {
    o.push_str("------< Interfaces >------\n");
    for (name, up) in a.links() {
        let _ = writeln!(o, " Name = {name}");
        let _ = writeln!(o, "   State = {}", on_off(up, "UP, RUNNING", "DOWN"));
        // An instance's own interface is tracked with weight 0 (FAULT when down), unless it
        // also lists it in track_interface with a weight.
        let users: Vec<(&str, i32)> = a
            .config()
            .instances
            .iter()
            .filter_map(|c| match c.track_interfaces.iter().find(|t| t.name == name) {
                Some(t) => Some((c.name.as_str(), t.weight)),
                None if c.interface.as_deref() == Some(name) && !c.dont_track_primary => Some((c.name.as_str(), 0)),
                None => None,
            })
            .collect();
        if !users.is_empty() {
            let _ = writeln!(o, "   Tracking VRRP instances :");
            for (instance, weight) in users {
                let _ = writeln!(o, "     {instance}, weight {weight}");
            }
        }
    }
}

/// A JSON string literal (the dumps, status and events share it).
pub(crate) fn json_str(s: &str) -> String {
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

/// keepalived's JSON `stats` object of one instance; `vrrpd_counters` adds vrrpd's own
/// (version and checksum drops, lower-priority adverts as MASTER) for `vrrpd status --json`.
pub(crate) fn stats_json(s: &super::Stats, vrrpd_counters: bool) -> String {
    let mut o = format!(
        "{{\"advert_rcvd\":{},\"advert_sent\":{},\"become_master\":{},\"release_master\":{},\"packet_len_err\":{},\"advert_interval_err\":{},\"ip_ttl_err\":{},\"invalid_type_rcvd\":{},\"addr_list_err\":{},\"invalid_authtype\":{},\"authtype_mismatch\":{},\"auth_failure\":{},\"pri_zero_rcvd\":{},\"pri_zero_sent\":{}",
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
    if vrrpd_counters {
        let _ = write!(
            o,
            ",\"version_err\":{},\"checksum_err\":{},\"lower_prio_rcvd\":{},\"checksum_other_form\":{}",
            s.version_err, s.checksum_err, s.lower_prio_rcvd, s.checksum_other_form
        );
    }
    o.push('}');
    o
}

/// keepalived.json as `json_version` asks (keepalived vrrp_json_dump()). Version 1:
/// `[{"data":{...},"stats":{...}}, ...]`, state numbers 0 INIT .. 3 FAULT. Version 2 puts the
/// same array in an object, `{"vrrp":[...]}`, beside which keepalived adds `track_process`
/// (vrrp_json_vprocesses_dump(): thirteen members per tracker); vrrpd leaves it out for size
/// (keepalived.data shows the trackers).
pub fn json(a: &Agent) -> String {
    let mut items = Vec::new();
    for i in a.instance_ids() {
        let c = a.conf(i);
        let s = a.stats(i);
        let vips: Vec<String> = c.vips.iter().map(|v| json_str(&vip_string(v))).collect();
        let scripts: Vec<String> = c.track_scripts.iter().map(|t| json_str(&t.name)).collect();
        let data = format!(
            "{{\"iname\":{},\"dont_track_primary\":{},\"vrid\":{},\"base_priority\":{},\"effective_priority\":{},\"state\":{},\"wantstate\":{},\"version\":{},\"adver_int\":{},\"master_adver_int\":{},\"nopreempt\":{},\"preempt_delay\":{},\"vips\":[{}],\"track_script\":[{}],\"auth_type\":{}{},\"garp_delay\":{},\"garp_rep\":{},\"ifp_ifname\":{},\"vrrpd_state_reason\":{},\"vrrpd_demoted\":{},\"vrrpd_checksum_other_form\":{}}}",
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
            match c.auth {
                Auth::Pass(_) => vrrp::AUTH_PASS,
                Auth::Ah(_) => vrrp::AUTH_AH,
                Auth::None => vrrp::AUTH_NONE,
            },
            // keepalived 2.4: `auth_data` is the mask, present with an auth type.
            if matches!(c.auth, Auth::None) { "" } else { AUTH_DATA_MASKED },
            c.garp.master_delay / 1_000_000,
            c.garp.master_repeat,
            json_str(c.interface.as_deref().unwrap_or("")),
            json_str(&a.reason(i).to_string()),
            a.demotion(i).is_some(),
            s.checksum_other_form
        );
        let stats = stats_json(s, false);
        items.push(format!("{{\"data\":{data},\"stats\":{stats}}}"));
    }
    let v2 = a.config().global.json_version == 2;
    format!("{}[{}]{}\n", if v2 { "{\"vrrp\":" } else { "" }, items.join(","), if v2 { "}" } else { "" })
}

/// keepalived.json's `auth_data` member as keepalived 2.4 writes it.
const AUTH_DATA_MASKED: &str = ",\"auth_data\":\"********\"";
