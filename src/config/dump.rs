//! `-d/--dump-conf`: the effective configuration after defaults and corrections, as stable,
//! diffable, indented `Key = value` text in the spirit of keepalived.data. No source locations,
//! so two files that mean the same dump the same.
use super::model::*;
use super::value::format_seconds;
use std::fmt::Write;

/// What keepalived 2.4 prints instead of an `auth_pass` (a fixed mask: not even the length
/// shows), in `-d`, keepalived.data and keepalived.json.
pub const PASSWORD_MASK: &str = "********";

struct Out {
    s: String,
}

impl Out {
    fn kv(&mut self, indent: usize, key: &str, value: impl std::fmt::Display) {
        self.kv_dyn(indent, key, &value);
    }
    /// The one body of [`Out::kv`], whatever the value's type (the armv7 size budget).
    fn kv_dyn(&mut self, indent: usize, key: &str, value: &dyn std::fmt::Display) {
        let _ = writeln!(self.s, "{:indent$}{key} = {value}", "", indent = indent);
    }
    fn head(&mut self, title: &str) {
        let _ = writeln!(self.s, "------< {title} >------");
    }
}

fn secs(us: Micros) -> String {
    format!("{} sec", format_seconds(us))
}

fn yn(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn run_as(r: &Option<RunAs>) -> String {
    match r {
        None => "(default)".into(),
        Some(RunAs { user, group: Some(g) }) => format!("{user}:{g}"),
        Some(RunAs { user, group: None }) => user.clone(),
    }
}

/// argv shown shell-quoted where needed, so the dump is unambiguous.
fn argv(c: &Command) -> String {
    c.argv
        .iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "/._-=:,@+%".contains(c)) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn command(o: &mut Out, indent: usize, key: &str, c: &Option<Command>) {
    if let Some(c) = c {
        o.kv(indent, key, format!("{} (user {})", argv(c), run_as(&c.run_as)));
    }
}

fn notifies(o: &mut Out, indent: usize, n: &Notifies) {
    command(o, indent, "Notify master", &n.master);
    command(o, indent, "Notify backup", &n.backup);
    command(o, indent, "Notify fault", &n.fault);
    command(o, indent, "Notify stop", &n.stop);
    command(o, indent, "Notify", &n.generic);
    command(o, indent, "Notify master rx lower priority", &n.master_rx_lower_pri);
    if let Some(d) = &n.deleted {
        match d {
            Some(_) => command(o, indent, "Notify deleted", d),
            None => o.kv(indent, "Notify deleted", "(send DELETED)"),
        }
    }
}

fn tracks(o: &mut Out, indent: usize, title: &str, list: &[TrackRef]) {
    if list.is_empty() {
        return;
    }
    o.kv(indent, title, list.len());
    for t in list {
        let rev = if t.reverse { " reverse" } else { "" };
        o.kv(indent + 2, &t.name, format!("weight {}{rev}", t.weight));
    }
}

/// `process` arguments (each NUL-terminated) as written, space-separated.
pub(crate) fn process_params(params: &[u8]) -> String {
    let text = String::from_utf8_lossy(params.strip_suffix(&[0]).unwrap_or(params)).into_owned();
    text.replace('\0', " ")
}

fn garp(o: &mut Out, indent: usize, g: &Garp) {
    o.kv(indent, "Gratuitous ARP delay", secs(g.master_delay));
    o.kv(indent, "Gratuitous ARP repeat", g.master_repeat);
    o.kv(indent, "Gratuitous ARP refresh", secs(g.master_refresh));
    o.kv(indent, "Gratuitous ARP refresh repeat", g.master_refresh_repeat);
    o.kv(indent, "Gratuitous ARP lower priority delay", secs(g.lower_prio_delay));
    o.kv(indent, "Gratuitous ARP lower priority repeat", g.lower_prio_repeat);
    o.kv(indent, "Gratuitous ARP interval", secs(g.interval));
    o.kv(indent, "Gratuitous NA interval", secs(g.na_interval));
    // keepalived dump_vrrp() / dump_global_data(): "for each secondary VMAC" or "i/f" (`all`).
    if g.extra_if > 0 {
        let key = if g.extra_if_all {
            "Gratuitous ARP for each secondary i/f"
        } else {
            "Gratuitous ARP for each secondary VMAC"
        };
        o.kv(indent, key, secs(g.extra_if));
    }
}

pub fn vip_string(v: &Vip) -> String {
    let mut s = format!("{}/{}", v.addr, v.prefix);
    if let Some((p, len)) = &v.peer {
        match len {
            Some(l) => {
                let _ = write!(s, " peer {p}/{l}");
            }
            None => {
                let _ = write!(s, " peer {p}");
            }
        }
    }
    match v.brd {
        Some(Broadcast::Addr(a)) => {
            let _ = write!(s, " brd {a}");
        }
        Some(Broadcast::Auto) => s.push_str(" brd +"),
        Some(Broadcast::None) => s.push_str(" brd -"),
        None => {}
    }
    if let Some(d) = &v.dev {
        let _ = write!(s, " dev {d}");
    }
    let _ = write!(s, " scope {}", v.scope.name());
    if let Some(l) = &v.label {
        let _ = write!(s, " label {l}");
    }
    for f in &v.flags {
        let _ = write!(s, " {f}");
    }
    if let Some(p) = v.preferred_lft {
        if p == u32::MAX {
            s.push_str(" preferred_lft forever");
        } else {
            let _ = write!(s, " preferred_lft {p}");
        }
    }
    if v.no_track {
        s.push_str(" no_track");
    }
    s
}

pub fn route_string(r: &Route) -> String {
    let mut s = String::new();
    if let Some(k) = &r.kind {
        let _ = write!(s, "{k} ");
    }
    let _ = write!(s, "{}/{}", r.dst.0, r.dst.1);
    if let Some(a) = r.src {
        let _ = write!(s, " src {a}");
    }
    for (n, a) in r.via.iter().enumerate() {
        let _ = write!(s, " {} {a}", if n == 0 { "via" } else { "or" });
    }
    if let Some(d) = &r.dev {
        let _ = write!(s, " dev {d}");
    }
    if let Some(t) = r.table {
        let _ = write!(s, " table {t}");
    }
    if let Some(m) = r.metric {
        let _ = write!(s, " metric {m}");
    }
    if let Some(sc) = r.scope {
        let _ = write!(s, " scope {}", sc.name());
    }
    if let Some(p) = &r.protocol {
        let _ = write!(s, " proto {p}");
    }
    if r.onlink {
        s.push_str(" onlink");
    }
    if r.no_track {
        s.push_str(" no_track");
    }
    s
}

pub fn rule_string(r: &Rule) -> String {
    let mut parts = Vec::new();
    if let Some((a, l)) = r.from {
        parts.push(format!("from {a}/{l}"));
    }
    if let Some((a, l)) = r.to {
        parts.push(format!("to {a}/{l}"));
    }
    if let Some(p) = r.priority {
        parts.push(format!("priority {p}"));
    }
    if let Some(i) = &r.iif {
        parts.push(format!("iif {i}"));
    }
    if let Some(i) = &r.oif {
        parts.push(format!("oif {i}"));
    }
    if let Some((m, k)) = r.fwmark {
        parts.push(match k {
            Some(k) => format!("fwmark {m:#x}/{k:#x}"),
            None => format!("fwmark {m:#x}"),
        });
    }
    if let Some(t) = r.tos {
        parts.push(format!("tos {t}"));
    }
    if let Some(t) = r.table {
        parts.push(format!("table {t}"));
    }
    if let Some(a) = &r.action {
        parts.push(a.clone());
    }
    if r.no_track {
        parts.push("no_track".into());
    }
    if parts.is_empty() {
        "all".into()
    } else {
        parts.join(" ")
    }
}

/// A static entry's line, as its block has it.
pub fn static_string(e: &Static) -> String {
    match e {
        Static::Address(v) => vip_string(v),
        Static::Route(r) => route_string(r),
        Static::Rule(r) => rule_string(r),
    }
}

/// The static blocks as keepalived.data titles them, one `indent`ed line per entry (for -d and
/// keepalived.data alike); an empty block has no title.
pub fn statics_text(statics: &[Static], indent: &str) -> String {
    let mut o = String::new();
    let mut last = "";
    for e in statics {
        let title = match e {
            Static::Address(_) => "Static Addresses",
            Static::Route(_) => "Static Routes",
            Static::Rule(_) => "Static Rules",
        };
        if title != last {
            let _ = writeln!(o, "------< {title} >------");
            last = title;
        }
        let _ = writeln!(o, "{indent}{}", static_string(e));
    }
    o
}

pub fn dump(c: &Config) -> String {
    let mut o = Out { s: String::new() };
    let g = &c.global;
    o.head("Global definitions");
    o.kv(1, "Router ID", g.router_id.as_deref().unwrap_or("(host name)"));
    o.kv(1, "Script user", run_as(&g.script_user));
    o.kv(1, "Script security", if g.enable_script_security { "enabled" } else { "disabled" });
    o.kv(1, "Default VRRP version", g.vrrp_version);
    o.kv(1, "Multicast group IPv4", g.mcast_group4);
    o.kv(1, "Multicast group IPv6", g.mcast_group6);
    garp(&mut o, 1, &g.garp);
    o.kv(1, "Minimal GARP", yn(g.min_garp));
    o.kv(1, "Lower priority no advert", yn(g.lower_prio_no_advert));
    o.kv(1, "Higher priority send advert", yn(g.higher_prio_send_advert));
    o.kv(1, "Down timer adverts", g.down_timer_adverts);
    o.kv(1, "Check unicast source", yn(g.check_unicast_src));
    o.kv(1, "Skip check advert addresses", yn(g.skip_check_adv_addr));
    o.kv(1, "Strict mode", yn(g.strict));
    o.kv(1, "VRRPv3 checksum as v2", yn(g.v3_checksum_as_v2));
    o.kv(1, "Owner ignore adverts", yn(g.owner_ignore_adverts));
    o.kv(1, "Startup delay", secs(g.startup_delay));
    o.kv(1, "Delay after boot", secs(g.delay_after_boot));
    o.kv(1, "Dynamic interfaces", yn(g.dynamic_interfaces));
    for (key, p) in [("VMAC prefix", &g.vmac_prefix), ("VMAC address prefix", &g.vmac_addr_prefix)] {
        if let Some(p) = p {
            o.kv(1, key, p);
        }
    }
    for (key, f) in [("Notify FIFO", &g.notify_fifo), ("VRRP notify FIFO", &g.vrrp_notify_fifo)] {
        if let Some(f) = f {
            o.kv(1, key, format!("{} (user {})", f.path, run_as(&f.run_as)));
            command(&mut o, 3, "Script", &f.script);
        }
    }
    o.kv(1, "Notify priority changes", yn(g.notify_priority_changes));
    o.kv(1, "FIFO write states on reload", yn(g.fifo_write_states_on_reload));

    if !c.interface_delays.is_empty() {
        o.head("Interface up/down delays");
        for d in &c.interface_delays {
            o.kv(1, &d.interface, format!("down {} up {}", secs(d.down), secs(d.up)));
        }
    }

    if !c.garp_groups.is_empty() {
        o.head("Gratuitous ARP delays");
        for (n, g) in c.garp_groups.iter().enumerate() {
            o.kv(1, "GARP delay group", n + 1);
            if let Some(t) = g.garp_interval {
                o.kv(3, "GARP interval", secs(t));
            }
            if let Some(t) = g.gna_interval {
                o.kv(3, "GNA interval", secs(t));
            }
            o.kv(3, "Interfaces", g.interfaces.join(" "));
        }
    }
    o.s.push_str(&statics_text(&c.statics, " "));

    o.head("VRRP Scripts");
    for s in &c.scripts {
        o.kv(1, "VRRP Script", &s.name);
        o.kv(3, "Command", argv(&s.command));
        o.kv(3, "User", run_as(&s.command.run_as));
        o.kv(3, "Interval", secs(s.interval));
        o.kv(3, "Timeout", secs(s.timeout));
        o.kv(3, "Weight", format!("{}{}", s.weight, if s.weight_reverse { " reverse" } else { "" }));
        o.kv(3, "Rise", s.rise);
        o.kv(3, "Fall", s.fall);
        o.kv(3, "Initial state", if s.init_fail { "failed" } else { "decided by first result" });
    }

    if !c.track_files.is_empty() {
        o.head("Track files");
        for t in &c.track_files {
            o.kv(1, "Track file", &t.name);
            o.kv(3, "File", &t.path);
            o.kv(3, "Weight", format!("{}{}", t.weight, if t.weight_reverse { " reverse" } else { "" }));
            if let Some((v, ow)) = t.init {
                o.kv(3, "Init file", format!("{v}{}", if ow { " overwrite" } else { "" }));
            }
        }
    }

    if !c.track_processes.is_empty() {
        o.head("Track processes");
        for t in &c.track_processes {
            let m = match t.param_match {
                ParamMatch::None => "",
                ParamMatch::Exact => ", exact arguments",
                ParamMatch::Initial => ", initial arguments",
                ParamMatch::Partial => ", partial arguments",
            };
            let max = if t.quorum_max == u32::MAX { String::new() } else { t.quorum_max.to_string() };
            let _ = writeln!(
                o.s,
                " Track process = {}\n   Process = {}{}{}\n   Match = {}{m}\n   Quorum = {}..{max}\n   Weight = {}{}\n   Delays = terminate {} fork {}",
                t.name,
                t.process,
                if t.params.is_empty() { "" } else { " " },
                process_params(&t.params),
                if t.full_command { "full command" } else { "name" },
                t.quorum,
                t.weight,
                if t.weight_reverse { " reverse" } else { "" },
                secs(t.terminate_delay),
                secs(t.fork_delay)
            );
        }
    }

    o.head("VRRP Topology");
    for i in &c.instances {
        o.kv(1, "VRRP Instance", &i.name);
        o.kv(3, "Initial state", if i.initial_state == InitialState::Master { "MASTER" } else { "BACKUP" });
        o.kv(3, "Interface", i.interface.as_deref().unwrap_or("(none)"));
        // keepalived dump_vrrp(): "Use VMAC, i/f name ..."; then the VIPs' own VMACs.
        for v in i.vmac.iter().chain(&i.addr_vmacs) {
            let xmit = if v.xmit_base { ", xmit_base" } else { "" };
            o.kv(3, "Use VMAC", format!("{} on {}{xmit}", v.name, v.base));
        }
        o.kv(3, "Virtual Router ID", i.vrid);
        o.kv(3, "Priority", i.priority);
        o.kv(3, "Advert interval", secs(i.advert_int));
        o.kv(3, "VRRP version", i.version);
        o.kv(3, "Address family", if i.family == Family::V4 { "IPv4" } else { "IPv6" });
        o.kv(
            3,
            "Authentication",
            match &i.auth {
                Auth::None => "none",
                Auth::Pass(_) => "PASS",
                // keepalived's word for it (vrrp_data.c dump_vrrp()).
                Auth::Ah(_) => "IPSEC_AH",
            },
        );
        if !matches!(i.auth, Auth::None) {
            // keepalived 2.4 masks it in every dump; nothing shows it (nor its length).
            o.kv(3, "Password", PASSWORD_MASK);
        }
        o.kv(3, "Preempt", if i.nopreempt { "disabled (nopreempt)" } else { "enabled" });
        o.kv(3, "Preempt delay", secs(i.preempt_delay));
        o.kv(3, "Accept", yn(i.accept));
        o.kv(3, "Strict mode", yn(i.strict));
        o.kv(3, "Down timer adverts", i.down_timer_adverts);
        o.kv(3, "Lower priority no advert", yn(i.lower_prio_no_advert));
        o.kv(3, "Higher priority send advert", yn(i.higher_prio_send_advert));
        o.kv(3, "Skip check advert addresses", yn(i.skip_check_adv_addr));
        o.kv(3, "VRRPv3 checksum as v2", yn(i.v3_checksum_as_v2));
        o.kv(3, "Owner ignore adverts", yn(i.owner_ignore_adverts));
        o.kv(3, "Dont track primary", yn(i.dont_track_primary));
        o.kv(3, "Track source IP", yn(i.track_src_ip));
        o.kv(3, "Promote secondaries", yn(i.promote_secondaries));
        o.kv(3, "Notify priority changes", yn(i.notify_priority_changes));
        if let Some(s) = i.unicast_src {
            o.kv(3, "Source address", s);
        }
        if i.unicast_peers.is_empty() {
            o.kv(3, "Multicast group", i.mcast_dst);
        } else {
            o.kv(3, "Unicast TTL", i.unicast_ttl);
            o.kv(3, "Check unicast source", yn(i.check_unicast_src));
            o.kv(3, "Unicast peers", i.unicast_peers.len());
            for p in &i.unicast_peers {
                o.kv(5, "Peer", format!("{} min_ttl {} max_ttl {}", p.addr, p.min_ttl, p.max_ttl));
            }
        }
        o.kv(3, "Unicast fault no peer", yn(i.unicast_fault_no_peer));
        garp(&mut o, 3, &i.garp);
        o.kv(3, "Virtual IP", i.vips.len());
        for v in &i.vips {
            let _ = writeln!(o.s, "     {}", vip_string(v));
        }
        if !i.excluded_vips.is_empty() {
            o.kv(3, "Virtual IP excluded", i.excluded_vips.len());
            for v in &i.excluded_vips {
                let _ = writeln!(o.s, "     {}", vip_string(v));
            }
        }
        if !i.routes.is_empty() {
            o.kv(3, "Virtual routes", i.routes.len());
            for r in &i.routes {
                let _ = writeln!(o.s, "     {}", route_string(r));
            }
        }
        if !i.rules.is_empty() {
            o.kv(3, "Virtual rules", i.rules.len());
            for r in &i.rules {
                let _ = writeln!(o.s, "     {}", rule_string(r));
            }
        }
        tracks(&mut o, 3, "Tracked scripts", &i.track_scripts);
        tracks(&mut o, 3, "Tracked interfaces", &i.track_interfaces);
        tracks(&mut o, 3, "Tracked files", &i.track_files);
        tracks(&mut o, 3, "Tracked processes", &i.track_processes);
        notifies(&mut o, 3, &i.notify);
        if let Some(g) = &i.sync_group {
            o.kv(3, "Sync group", g);
        }
    }

    if !c.sync_groups.is_empty() {
        o.head("VRRP Sync groups");
        for g in &c.sync_groups {
            o.kv(1, "VRRP Sync Group", &g.name);
            o.kv(3, "Members", g.members.join(" "));
            o.kv(3, "Tracking weight", yn(g.tracking_weight));
            tracks(&mut o, 3, "Tracked scripts", &g.track_scripts);
            tracks(&mut o, 3, "Tracked interfaces", &g.track_interfaces);
            tracks(&mut o, 3, "Tracked files", &g.track_files);
            tracks(&mut o, 3, "Tracked processes", &g.track_processes);
            notifies(&mut o, 3, &g.notify);
        }
    }
    o.s
}

/// `00:00:5e:00:01:33`, as `ip link` and keepalived print a MAC.
pub fn mac_text(m: &[u8; 6]) -> String {
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
}
