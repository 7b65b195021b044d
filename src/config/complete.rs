//! Completion and validation (keepalived: vrrp_complete_instance(), validate_config()):
//! defaults that depend on other keywords, cross-references between blocks, keepalived's
//! auto-corrections (each reported), and the errors that stop keepalived from running.
use super::build::{AuthDraft, Drafts, GarpDraft, InstanceDraft, TrackDraft, VmacDraft};
use super::diag::{Diagnostics, Effect};
use super::model::*;
use super::{Host, ScriptLookup};
use std::net::IpAddr;

pub fn complete(d: Drafts, host: &dyn Host, diags: &mut Diagnostics) -> Config {
    let mut global = d.global;
    apply_min_garp(&mut global, &d.global_set);
    if global.strict {
        // keepalived vrrp_strict: RFC behaviour for lower-priority adverts.
        global.lower_prio_no_advert = true;
        global.higher_prio_send_advert = false;
        global.garp.lower_prio_repeat = 0;
    } else {
        if !d.global_set.contains("vrrp_garp_lower_prio_delay") {
            global.garp.lower_prio_delay = global.garp.master_delay;
        }
        if !d.global_set.contains("vrrp_garp_lower_prio_repeat") {
            global.garp.lower_prio_repeat = global.garp.master_repeat;
        }
    }

    let script_user = global.script_user.clone();
    let default_user_reported = std::cell::Cell::new(false);
    let policy = ScriptPolicy {
        script_user: script_user.as_ref(),
        security: global.enable_script_security,
        no_default_user: global.enable_script_security
            && script_user.is_none()
            && host.user(DEFAULT_SCRIPT_USER).is_none(),
        reported: &default_user_reported,
    };
    // The FIFOs first: keepalived reads them with global_defs, before any script.
    for (fifo, loc) in [&mut global.notify_fifo, &mut global.vrrp_notify_fifo].into_iter().zip(d.fifo_locs) {
        // A fifo is always set together with its location.
        if let (Some(f), Some(loc)) = (fifo.as_mut(), loc) {
            if f.run_as.is_none() && default_user_fails(policy, diags, loc) {
                diags.corrected(loc, format!("Failed to set default user for notify fifo {} - ignoring", f.path));
                *fifo = None;
                continue;
            }
            check_fifo_script(f, host, diags, policy);
        }
    }
    let mut scripts = Vec::new();
    let mut disabled_scripts = Vec::new();
    for s in d.scripts {
        let Some(mut command) = s.command else {
            diags.corrected(s.loc, format!("vrrp_script {} has no script - removing it", s.name));
            disabled_scripts.push(s.name);
            continue;
        };
        if s.user.is_some() {
            command.run_as = s.user;
        }
        if !check_script(&mut command, host, diags, &format!("vrrp_script {}", s.name), policy) {
            disabled_scripts.push(s.name);
            continue;
        }
        if scripts.iter().any(|x: &VrrpScript| x.name == s.name) {
            diags.corrected(s.loc, format!("vrrp_script {} defined twice - using the first", s.name));
            continue;
        }
        scripts.push(VrrpScript {
            timeout: s.timeout.unwrap_or(s.interval),
            name: s.name,
            loc: s.loc,
            command,
            interval: s.interval,
            weight: s.weight,
            weight_reverse: s.reverse,
            rise: s.rise,
            fall: s.fall,
            init_fail: s.init_fail,
        });
    }

    let mut track_files = Vec::new();
    for t in d.track_files {
        match t.path {
            Some(path) => track_files.push(TrackFile {
                name: t.name,
                loc: t.loc,
                path,
                weight: t.weight,
                weight_reverse: t.reverse,
                init: t.init,
            }),
            None => diags.corrected(t.loc, format!("track_file {} has no file - removing it", t.name)),
        }
    }

    let mut track_processes = Vec::new();
    for t in d.track_processes {
        if t.process.is_empty() {
            diags.corrected(t.loc, format!("track process '{}' process name not specified", t.name));
            continue;
        }
        if !t.full_command && t.process.len() > 15 {
            // The kernel keeps 15 bytes of a process name (TASK_COMM_LEN): keepalived compares
            // the whole name with it, so this one never matches.
            diags.push(
                Some(t.loc),
                Effect::Note,
                format!("track process {}: process name {} is longer than the 15 bytes the kernel keeps - it matches only with full_command", t.name, t.process),
            );
        }
        track_processes.push(t);
    }

    let trackers = Trackers {
        scripts: &scripts,
        disabled: &disabled_scripts,
        files: &track_files,
        processes: &track_processes,
        host,
        dynamic: global.dynamic_interfaces,
    };
    let mut instances: Vec<Instance> = Vec::new();
    for draft in d.instances {
        if let Some(i) = complete_instance(draft, &global, &trackers, host, diags, policy) {
            instances.push(i);
        }
    }
    assign_vmac_names(&mut instances, &global, host, diags);
    check_duplicate_vrids(&instances, diags);

    let mut sync_groups = Vec::new();
    for g in d.groups {
        let mut members = Vec::new();
        for (m, loc) in g.members {
            match instances.iter_mut().find(|i| i.name == m) {
                None => diags.corrected(
                    loc,
                    format!("Virtual router {m} specified in sync group {} doesn't exist - ignoring", g.name),
                ),
                Some(i) if i.sync_group.is_some() => diags.corrected(
                    loc,
                    format!(
                        "VRRP instance {m} is already in sync group {} - ignoring",
                        i.sync_group.as_deref().unwrap_or("")
                    ),
                ),
                Some(i) => {
                    i.sync_group = Some(g.name.clone());
                    // keepalived: members' trackers must not have weights unless
                    // sync_group_tracking_weight is set; their weights are zeroed.
                    if !g.tracking_weight {
                        zero_member_weights(i, diags);
                    }
                    members.push(m);
                }
            }
        }
        if members.is_empty() {
            diags.corrected(g.loc, format!("Sync group {} has no virtual router(s) - removing", g.name));
            continue;
        }
        if members.len() == 1 {
            diags.push(
                Some(g.loc),
                Effect::Note,
                format!("Sync group {} has only 1 virtual router(s) - this probably isn't what you want", g.name),
            );
        }
        sync_group_states(&g.name, g.loc, &members, &mut instances, diags);
        let mut notify = g.notify;
        check_notifies(&mut notify, host, diags, &format!("sync group {}", g.name), policy);
        sync_groups.push(SyncGroup {
            track_scripts: trackers.scripts(&g.track_scripts, diags, &g.name),
            track_interfaces: trackers.interfaces(&g.track_interfaces, diags, &g.name),
            track_files: trackers.files(&g.track_files, diags, &g.name),
            track_processes: trackers.processes(&g.track_processes, diags, &g.name),
            name: g.name,
            loc: g.loc,
            members,
            notify,
            tracking_weight: g.tracking_weight,
        });
    }

    let statics = complete_statics(d.statics, &global, host, diags);
    let config = Config {
        global,
        scripts,
        track_files,
        track_processes,
        instances,
        sync_groups,
        interface_delays: d.delays,
        statics,
        garp_groups: d.garp_groups,
    };
    if !config.global.enable_script_security && uses_scripts(&config) {
        // keepalived -t exits 6 for this; the scripts still run.
        diags.push(
            None,
            Effect::Insecure,
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled.",
        );
    }
    config
}

/// A sync group starts as MASTER only when every member is `state MASTER` and the address
/// owner; otherwise keepalived starts every member as BACKUP, `state MASTER` ones included
/// (vrrp_sync.c for the warning, vrrp_complete_init() for the members' wantstate). Measured
/// with 2.2.7 -d: MASTER 100 + BACKUP 90 gives both "Wantstate = BACKUP"; a lone MASTER 100
/// member too; MASTER 255 + MASTER 255 stays MASTER; MASTER 255 + BACKUP 255 gives both BACKUP
/// and "Sync group G has some member(s) as address owner and some not as address owner".
fn sync_group_states(
    group: &str,
    loc: super::diag::Location,
    members: &[String],
    instances: &mut [Instance],
    diags: &mut Diagnostics,
) {
    let is_master = |i: &Instance| i.initial_state == InitialState::Master;
    let mut group_state: Option<InitialState> = None;
    let mut have_master = false;
    let mut have_backup = false;
    for m in members {
        let Some(i) = instances.iter().find(|i| &i.name == m) else { continue };
        if group_state == Some(InitialState::Master) && !is_master(i) {
            diags.corrected(
                loc,
                format!("Sync group {group} has some member(s) as address owner and some not as address owner. This won't work."),
            );
        }
        if group_state != Some(InitialState::Backup) {
            group_state =
                Some(if is_master(i) && i.priority == 255 { InitialState::Master } else { InitialState::Backup });
        }
        have_master |= is_master(i);
        have_backup |= !is_master(i) || i.priority != 255;
    }
    if !(have_master && have_backup) {
        return;
    }
    for i in instances.iter_mut().filter(|i| members.contains(&i.name) && is_master(i)) {
        diags.push(
            Some(i.loc),
            Effect::Note,
            format!(
                "({}) starting as BACKUP although state MASTER: sync group {group} has a member that is BACKUP or not the address owner (priority 255)",
                i.name
            ),
        );
        i.initial_state = InitialState::Backup;
    }
}

/// keepalived vrrp_min_garp: one GARP, no delayed batch, no refresh, unless set explicitly.
fn apply_min_garp(g: &mut GlobalDefs, set: &std::collections::HashSet<&'static str>) {
    if !g.min_garp {
        return;
    }
    if !set.contains("vrrp_garp_master_repeat") {
        g.garp.master_repeat = 1;
    }
    if !set.contains("vrrp_garp_master_delay") {
        g.garp.master_delay = 0;
    }
    if !set.contains("vrrp_garp_master_refresh") {
        g.garp.master_refresh = 0;
    }
}

fn uses_scripts(c: &Config) -> bool {
    let notifies = |n: &Notifies| {
        n.master.is_some()
            || n.backup.is_some()
            || n.fault.is_some()
            || n.stop.is_some()
            || n.generic.is_some()
            || n.master_rx_lower_pri.is_some()
    };
    !c.scripts.is_empty()
        || c.instances.iter().any(|i| notifies(&i.notify))
        || c.sync_groups.iter().any(|g| notifies(&g.notify))
        || [&c.global.notify_fifo, &c.global.vrrp_notify_fifo]
            .iter()
            .any(|f| f.as_ref().is_some_and(|f| f.script.is_some()))
}

/// keepalived's default script user when `script_user` is not set.
const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// What script checks need from global_defs.
#[derive(Clone, Copy)]
struct ScriptPolicy<'a> {
    script_user: Option<&'a RunAs>,
    security: bool,
    /// enable_script_security without script_user, and no keepalived_script user: a script
    /// without its own `user` has no one to run as, and keepalived drops it rather than run
    /// it as root.
    no_default_user: bool,
    /// The explanation was given (once, where the first such script is).
    reported: &'a std::cell::Cell<bool>,
}

/// Whether a script or FIFO without its own user cannot get the default one. keepalived 2.2.7
/// (get_default_script_user()) logs "Unable to set default user keepalived_script for script"
/// once, then drops every such script; measured with -t: "Unable to set default user for vrrp
/// script s - removing", the track_script "not found", exit 5.
fn default_user_fails(policy: ScriptPolicy, diags: &mut Diagnostics, loc: super::diag::Location) -> bool {
    if !policy.no_default_user {
        return false;
    }
    if !policy.reported.replace(true) {
        diags.corrected(
            loc,
            format!(
                "Unable to set default user {DEFAULT_SCRIPT_USER} for script: enable_script_security is set, global_defs has no script_user and user {DEFAULT_SCRIPT_USER} does not exist, so scripts without their own 'user' are not run - add 'script_user USER' to global_defs or create the user {DEFAULT_SCRIPT_USER}"
            ),
        );
    }
    true
}

/// Resolves a script like keepalived at load time: argv[0] found and executable, its run-as
/// user known, and (with enable_script_security) not run as root from a path a non-root user
/// could write. A script failing any of these is disabled. Returns false when disabled.
fn check_script(cmd: &mut Command, host: &dyn Host, diags: &mut Diagnostics, what: &str, policy: ScriptPolicy) -> bool {
    if cmd.run_as.is_none() && default_user_fails(policy, diags, cmd.loc) {
        let msg = match what.strip_prefix("vrrp_script ") {
            Some(name) => format!("Unable to set default user for vrrp script {name} - removing"),
            None => format!("{what}: Failed to set default user for notify script {} - ignoring", cmd.argv[0]),
        };
        diags.corrected(cmd.loc, msg);
        return false;
    }
    match host.find_script(&cmd.argv[0]) {
        ScriptLookup::Executable(path) => {
            cmd.argv[0] = path;
            // Run-as: the script's own user, else script_user, else keepalived_script if it
            // exists, else root.
            let who = cmd.run_as.clone().or_else(|| policy.script_user.cloned());
            cmd.ids = match &who {
                Some(r) => match host.user(&r.user) {
                    Some((uid, gid)) => {
                        let gid = match &r.group {
                            Some(g) => match host.group(g) {
                                Some(gid) => gid,
                                None => {
                                    diags.corrected(cmd.loc, format!("{what}: Unable to find group '{g}' - disabling"));
                                    return false;
                                }
                            },
                            None => gid,
                        };
                        Some((uid, gid))
                    }
                    None => {
                        diags.corrected(cmd.loc, format!("{what}: Unable to find user '{}' - disabling", r.user));
                        return false;
                    }
                },
                None => host.user(DEFAULT_SCRIPT_USER),
            };
            if cmd.ids.is_none_or(|(uid, _)| uid == 0) {
                if let Some(p) = host.writable_by_non_root(&cmd.argv[0]) {
                    if policy.security {
                        diags.corrected(cmd.loc, format!("{what}: Unsafe permissions found for script '{}' ({p} is writable by a non-root user) - disabling", cmd.argv[0]));
                        return false;
                    }
                    diags.push(
                        Some(cmd.loc),
                        Effect::Insecure,
                        format!("{what}: script '{}' runs as root and {p} is writable by a non-root user", cmd.argv[0]),
                    );
                }
            }
            true
        }
        ScriptLookup::NotExecutable(path) => {
            diags.corrected(cmd.loc, format!("{what}: WARNING - script '{path}' is not executable - disabling"));
            false
        }
        ScriptLookup::NotFound => {
            diags.corrected(cmd.loc, format!("{what}: Cannot find script '{}' - disabling", cmd.argv[0]));
            false
        }
    }
}

fn check_notifies(n: &mut Notifies, host: &dyn Host, diags: &mut Diagnostics, owner: &str, policy: ScriptPolicy) {
    let slots: [(&str, &mut Option<Command>); 6] = [
        ("notify_master", &mut n.master),
        ("notify_backup", &mut n.backup),
        ("notify_fault", &mut n.fault),
        ("notify_stop", &mut n.stop),
        ("notify", &mut n.generic),
        ("notify_master_rx_lower_pri", &mut n.master_rx_lower_pri),
    ];
    for (kw, slot) in slots {
        if let Some(cmd) = slot.as_mut() {
            if !check_script(cmd, host, diags, &format!("{owner} {kw}"), policy) {
                *slot = None;
            }
        }
    }
    if let Some(Some(cmd)) = n.deleted.as_mut() {
        if !check_script(cmd, host, diags, &format!("{owner} notify_deleted"), policy) {
            n.deleted = Some(None);
        }
    }
}

fn check_fifo_script(f: &mut NotifyFifo, host: &dyn Host, diags: &mut Diagnostics, policy: ScriptPolicy) {
    if let Some(cmd) = f.script.as_mut() {
        if !check_script(cmd, host, diags, "notify fifo script", policy) {
            f.script = None;
        }
    }
}

struct Trackers<'a> {
    scripts: &'a [VrrpScript],
    disabled: &'a [String],
    files: &'a [TrackFile],
    processes: &'a [TrackProcess],
    host: &'a dyn Host,
    dynamic: bool,
}

impl Trackers<'_> {
    fn scripts(&self, refs: &[TrackDraft], diags: &mut Diagnostics, owner: &str) -> Vec<TrackRef> {
        let mut out = Vec::new();
        for r in refs {
            match self.scripts.iter().find(|s| s.name == r.name) {
                Some(s) => push_unique(
                    &mut out,
                    TrackRef {
                        name: r.name.clone(),
                        weight: r.weight.unwrap_or(s.weight),
                        reverse: r.reverse.unwrap_or(s.weight_reverse),
                        loc: r.loc,
                    },
                    diags,
                ),
                None if self.disabled.contains(&r.name) => {
                    diags.corrected(r.loc, format!("({owner}) track_script {} is disabled - not tracking it", r.name))
                }
                None => diags.corrected(r.loc, format!("({owner}) track_script {} not found, ignoring...", r.name)),
            }
        }
        out
    }

    fn interfaces(&self, refs: &[TrackDraft], diags: &mut Diagnostics, owner: &str) -> Vec<TrackRef> {
        let mut out = Vec::new();
        for r in refs {
            if !self.dynamic && !self.host.interface_exists(&r.name) {
                diags.corrected(r.loc, format!("({owner}) tracked interface {} doesn't exist - ignoring", r.name));
                continue;
            }
            push_unique(
                &mut out,
                TrackRef {
                    name: r.name.clone(),
                    weight: r.weight.unwrap_or(0),
                    reverse: r.reverse.unwrap_or(false),
                    loc: r.loc,
                },
                diags,
            );
        }
        out
    }

    fn files(&self, refs: &[TrackDraft], diags: &mut Diagnostics, owner: &str) -> Vec<TrackRef> {
        let find = |n: &str| self.files.iter().find(|f| f.name == n).map(|f| (f.weight, f.weight_reverse));
        named_refs(refs, diags, owner, "track_file", &find)
    }

    fn processes(&self, refs: &[TrackDraft], diags: &mut Diagnostics, owner: &str) -> Vec<TrackRef> {
        let find = |n: &str| self.processes.iter().find(|p| p.name == n).map(|p| (p.weight, p.weight_reverse));
        named_refs(refs, diags, owner, "track process", &find)
    }
}

/// References to named trackers whose own weight and reverse `find` gives (a reference's
/// own win); keepalived's "(OWNER) KIND NAME not found, ignoring..." for the others.
fn named_refs(
    refs: &[TrackDraft],
    diags: &mut Diagnostics,
    owner: &str,
    kind: &str,
    find: &dyn Fn(&str) -> Option<(i32, bool)>,
) -> Vec<TrackRef> {
    let mut out = Vec::new();
    for r in refs {
        match find(&r.name) {
            Some((weight, reverse)) => push_unique(
                &mut out,
                TrackRef {
                    name: r.name.clone(),
                    weight: r.weight.unwrap_or(weight),
                    reverse: r.reverse.unwrap_or(reverse),
                    loc: r.loc,
                },
                diags,
            ),
            None => diags.corrected(r.loc, format!("({owner}) {kind} {} not found, ignoring...", r.name)),
        }
    }
    out
}

fn push_unique(out: &mut Vec<TrackRef>, t: TrackRef, diags: &mut Diagnostics) {
    if out.iter().any(|x| x.name == t.name) {
        diags.corrected(t.loc, format!("{} is tracked twice - using the first", t.name));
    } else {
        out.push(t);
    }
}

fn zero_member_weights(i: &mut Instance, diags: &mut Diagnostics) {
    let name = i.name.clone();
    for t in i
        .track_scripts
        .iter_mut()
        .chain(i.track_interfaces.iter_mut())
        .chain(i.track_files.iter_mut())
        .chain(i.track_processes.iter_mut())
    {
        if t.weight != 0 {
            diags.corrected(
                t.loc,
                format!("({name}) weight {} of tracker {} ignored: instance is in a sync group without sync_group_tracking_weight", t.weight, t.name),
            );
            t.weight = 0;
        }
    }
}

fn resolve_garp(g: &Garp, o: &GarpDraft, strict: bool) -> Garp {
    let mut r = *g;
    if let Some(v) = o.master_delay {
        r.master_delay = v;
    }
    if let Some(v) = o.master_repeat {
        r.master_repeat = v;
    }
    if let Some(v) = o.master_refresh {
        r.master_refresh = v;
    }
    if let Some(v) = o.master_refresh_repeat {
        r.master_refresh_repeat = v;
    }
    if let Some(v) = o.lower_prio_delay {
        r.lower_prio_delay = v;
    }
    if let Some(v) = o.lower_prio_repeat {
        r.lower_prio_repeat = v;
    }
    if let Some((v, all)) = o.extra_if {
        (r.extra_if, r.extra_if_all) = (v, all);
    }
    // keepalived: a repeat count of 0 means 1 for the master batches.
    r.master_repeat = r.master_repeat.max(1);
    r.master_refresh_repeat = r.master_refresh_repeat.max(1);
    if strict {
        r.lower_prio_repeat = 0;
    }
    r
}

fn complete_instance(
    d: InstanceDraft,
    g: &GlobalDefs,
    t: &Trackers,
    host: &dyn Host,
    diags: &mut Diagnostics,
    policy: ScriptPolicy,
) -> Option<Instance> {
    let name = d.name.clone();
    let strict = d.strict.unwrap_or(g.strict);
    let written = Written {
        state: d.state.map(|s| s.1),
        vrid: d.vrid.map(|v| v.1),
        priority: d.priority.map(|p| p.1),
        advert_int: d.advert_int.map(|a| a.1),
        version: d.version.map(|v| v.1),
        authentication: d.auth.as_ref().map(|a| a.1),
        auth_pass: d.auth_pass.clone(),
        nopreempt: d.nopreempt,
        preempt_delay: d.preempt_delay.map(|p| p.1),
        unicast_src: d.unicast_src.map(|s| s.1),
        unicast_peers: d.unicast_peers.iter().map(|(p, loc)| (p.addr, *loc)).collect(),
        strict_mode: d.strict_loc,
        accept: d.accept_loc,
        interface: d.interface.as_ref().map(|i| i.1),
    };

    // Family: the first VIP decides (keepalived), then the source address, then the peers.
    let family = d
        .vips
        .first()
        .map(|v| v.addr)
        .or(d.unicast_src.map(|s| s.0))
        .or(d.unicast_peers.first().map(|p| p.0.addr))
        .map(|a| if a.is_ipv4() { Family::V4 } else { Family::V6 })
        .unwrap_or(if d.native_ipv6 { Family::V6 } else { Family::V4 });
    let same_family = |a: &IpAddr| a.is_ipv4() == (family == Family::V4);

    let mut vips = Vec::new();
    for v in d.vips {
        if same_family(&v.addr) {
            vips.push(v);
        } else {
            diags.corrected(
                v.loc,
                format!(
                    "({name}) address family must match VRRP instance - ignoring {} (use virtual_ipaddress_excluded)",
                    v.addr
                ),
            );
        }
    }

    let Some((vrid, _)) = d.vrid else {
        diags.fatal(Some(d.loc), format!("({name}) the virtual router id must be set (virtual_router_id 1-255)"));
        return None;
    };

    // Version: the instance's, else vrrp_version; IPv6 is always VRRPv3.
    let mut version = d.version.map(|v| v.0).unwrap_or(g.vrrp_version);
    if family == Family::V6 && version == 2 {
        if let Some((_, loc)) = d.version {
            diags.corrected(loc, format!("({name}) VRRPv2 over IPv6 is not supported - using version 3"));
        }
        version = 3;
    }
    if strict && version == 2 && family == Family::V6 {
        version = 3;
    }

    // Priority: 100, or 255 when `state MASTER` gives none (keepalived).
    let priority = match d.priority {
        Some((p, _)) => p,
        None if d.state.is_some_and(|s| s.0 == InitialState::Master) => 255,
        None => 100,
    };
    // The initial state keepalived uses (its wantstate): as written, else MASTER for the owner;
    // under strict mode MASTER exactly when the owner. AH and sync groups may lower it below.
    let owner_state = if priority == 255 { InitialState::Master } else { InitialState::Backup };
    let mut initial_state = d.state.map_or(owner_state, |s| s.0);
    if let Some((written, loc)) = d.state {
        if strict && written != owner_state {
            let used = if owner_state == InitialState::Master { "MASTER" } else { "BACKUP" };
            diags.corrected(
                loc,
                format!(
                    "({name}) State MASTER must match being address owner - starting as {used} (strict mode: MASTER exactly when priority 255)"
                ),
            );
            initial_state = owner_state;
        }
    }

    // Advert interval: v2 whole seconds 1-255, v3 centiseconds 1-4095.
    let advert_int = match d.advert_int {
        None => SECOND,
        Some((us, loc)) if version == 2 => {
            // Round half up to whole seconds, at least 1.
            let secs = ((us + SECOND / 2) / SECOND).max(1);
            if us % SECOND != 0 || us == 0 {
                diags.corrected(
                    loc,
                    format!(
                        "({name}) VRRPv2 advertisement interval {}s must be an integer. rounding to {secs}s",
                        super::value::format_seconds(us)
                    ),
                );
            }
            secs * SECOND
        }
        Some((us, loc)) => {
            let cs = ((us + 5_000) / 10_000).clamp(1, 4095);
            if us % 10_000 != 0 || !(10_000..=40_950_000).contains(&us) {
                diags.corrected(
                    loc,
                    format!(
                        "({name}) VRRPv3 advertisement interval {}s is not a multiple of 0.01s within 0.01-40.95 - using {}s",
                        super::value::format_seconds(us),
                        super::value::format_seconds(cs * 10_000)
                    ),
                );
            }
            cs * 10_000
        }
    };

    // Authentication: VRRPv2 only (RFC 5798 removed it), never in strict mode.
    let auth = match d.auth {
        None => Auth::None,
        Some((_, loc)) if version == 3 || strict => {
            diags.corrected(loc, format!("({name}) Cannot use authentication with VRRPv3 or strict mode - ignoring"));
            Auth::None
        }
        // keepalived vrrp_complete_instance(): no password, then state MASTER. (IPv6 is
        // VRRPv3 here, so keepalived's "Cannot use AH authentication with IPv6" is the v3 case.)
        Some((AuthDraft::Ah(None), loc)) => {
            diags.corrected(loc, format!("({name}) Authentication specified but no password given. Ignoring"));
            Auth::None
        }
        Some((AuthDraft::Ah(Some(key)), loc)) => {
            // keepalived wants an advert's AH sequence number before it takes over, so it
            // starts a non-owner as BACKUP.
            if initial_state == InitialState::Master && priority != 255 {
                diags.corrected(
                    loc,
                    format!("({name}) Initial state master is incompatible with AH authentication - clearing (starting as BACKUP)"),
                );
                initial_state = InitialState::Backup;
            }
            Auth::Ah(key)
        }
        Some((AuthDraft::Pass(p), _)) => Auth::Pass(p),
    };

    // nopreempt / preempt_delay: cleared by state MASTER and priority 255.
    let mut nopreempt = d.nopreempt.is_some();
    if let Some(loc) = d.nopreempt {
        // keepalived checks the owner first (2.2.7 -t: `priority 255` + nopreempt, with or
        // without `state MASTER`, reports only this one).
        if priority == 255 {
            diags.corrected(loc, format!("({name}) nopreempt is incompatible with priority 255. resetting nopreempt"));
            nopreempt = false;
        } else if initial_state == InitialState::Master {
            diags.corrected(
                loc,
                format!("({name}) Warning - nopreempt will not work with initial state MASTER - clearing"),
            );
            nopreempt = false;
        }
    }
    let mut preempt_delay = d.preempt_delay.map(|p| p.0).unwrap_or(0);
    if let Some((_, loc)) = d.preempt_delay {
        let why = if initial_state == InitialState::Master {
            Some("initial state MASTER")
        } else if nopreempt {
            Some("nopreempt")
        } else if strict {
            Some("strict mode")
        } else {
            None
        };
        if let Some(why) = why {
            diags.corrected(loc, format!("({name}) Warning - preempt_delay will not work with {why} - clearing"));
            preempt_delay = 0;
        }
    }

    // keepalived 2.2.8 timer_expired_backup: only with nopreempt (as it stands after the
    // corrections above); without it the higher priority takes over again anyway.
    let timer_expired_backup = match d.timer_expired_backup {
        Some((_, loc)) if !nopreempt => {
            diags.corrected(loc, named(&name, "expired_timer_backup requires nopreempt - resetting"));
            0
        }
        Some((p, _)) => p,
        None => 0,
    };

    // VIPs: required for VRRPv3 and strict mode. keepalived 2.2.8 no_virtual_ipaddress lifts
    // that, except in strict mode, which clears it.
    let mut no_virtual_ipaddress = d.no_virtual_ipaddress;
    if no_virtual_ipaddress && strict {
        let msg = "no_virtual_ipaddress and strict mode incompatible, clearing no_virtual_ipaddress";
        diags.corrected(d.loc, named(&name, msg));
        no_virtual_ipaddress = false;
    }
    if vips.is_empty() && !no_virtual_ipaddress {
        if version == 3 || strict {
            diags.fatal(Some(d.loc), format!("({name}) No VIP specified; VRRPv3 and strict mode require at least one"));
            return None;
        }
        diags.push(Some(d.loc), Effect::Note, format!("({name}) No VIP specified; adverts will carry no address"));
    }

    // keepalived 2.3.3 owner_ignore_adverts (vrrp_complete_instance()): only an address owner
    // ignores adverts; unset, it follows strict mode, else vrrp_owner_ignore_adverts. Strict
    // mode forces it on for an owner. (keepalived 2.4.3 also forces an explicit `false` on
    // without strict mode, which its own message contradicts; vrrpd keeps the `false`.)
    let owner_ignore_adverts = match d.owner_ignore_adverts {
        Some(true) if priority != 255 => {
            diags.corrected(d.loc, named(&name, "ignoring owner_ignore_adverts since priority is not 255"));
            false
        }
        None => priority == 255 && (strict || g.owner_ignore_adverts),
        Some(false) if priority == 255 && strict => {
            diags.corrected(d.loc, named(&name, "strict_mode with priority 255 requires owner_ignore_adverts"));
            true
        }
        Some(v) => v,
    };

    // Unicast peers of the instance's family; an empty list falls back to multicast.
    let mut unicast_peers = Vec::new();
    for (p, loc) in d.unicast_peers {
        if !same_family(&p.addr) {
            diags.corrected(
                loc,
                format!("({name}) unicast peer {} is not of the instance's address family - ignoring", p.addr),
            );
        } else if unicast_peers.iter().any(|x: &UnicastPeer| x.addr == p.addr) {
            diags.corrected(loc, format!("({name}) unicast peer {} listed twice - ignoring", p.addr));
        } else {
            unicast_peers.push(p);
        }
    }
    if let Some(loc) = d.unicast_block {
        if unicast_peers.is_empty() && !d.unicast_fault_no_peer {
            diags.corrected(loc, format!("({name}) No unicast peers configured - using multicast (deprecated; set unicast_fault_no_peer to be FAULT instead)"));
        }
    }
    if strict && !unicast_peers.is_empty() {
        diags.fatal(Some(d.loc), format!("({name}) Unicast peers are not supported in strict mode"));
        return None;
    }
    let unicast_src = match d.unicast_src {
        Some((a, loc)) if !same_family(&a) => {
            diags.corrected(
                loc,
                format!("({name}) source address {a} is not of the instance's address family - ignoring"),
            );
            None
        }
        other => other.map(|s| s.0),
    };

    // Interface: required unless unicast with a source address; must exist unless
    // dynamic_interfaces.
    let interface = match d.interface {
        Some((ifname, loc)) => {
            if ifname == "lo" {
                diags.fatal(Some(loc), format!("({name}) interface lo is loopback; VRRP cannot run on it"));
                return None;
            }
            if !host.interface_exists(&ifname) {
                if g.dynamic_interfaces {
                    diags.push(
                        Some(loc),
                        Effect::Note,
                        // The daemon reads its interfaces at start: say what that means here.
                        format!(
                            "({name}) interface {ifname} does not exist yet (dynamic_interfaces); vrrpd \
                             reads interfaces at start, so the instance stays in FAULT until a restart \
                             after the interface exists"
                        ),
                    );
                } else {
                    diags.fatal(
                        Some(loc),
                        format!("({name}) WARNING - interface {ifname} for vrrp instance doesn't exist"),
                    );
                    return None;
                }
            }
            Some(ifname)
        }
        None if !unicast_peers.is_empty() && unicast_src.is_some() => None,
        None => {
            diags.fatal(Some(d.loc), format!("({name}) Unknown interface ! (no 'interface' configured)"));
            return None;
        }
    };

    let mcast_dst = match d.mcast_dst {
        Some((a, loc)) if !same_family(&a) => {
            diags.corrected(
                loc,
                format!("({name}) mcast_dst_ip {a} is not of the instance's address family - ignoring"),
            );
            default_group(g, family)
        }
        Some((a, _)) => a,
        None => default_group(g, family),
    };

    // use_vmac sits on the configured interface; its name is chosen once every instance is
    // known (assign_vmac_names). keepalived vrrp_complete_instance().
    let vmac = match (d.use_vmac, &interface) {
        (Some(VmacDraft { name: vname, mac, .. }), Some(base)) => {
            let (mac, mac_specified) = match mac {
                Some((mut m, use_vrid)) => {
                    if use_vrid {
                        m[5] = vrid;
                    }
                    (m, true)
                }
                // RFC 5798 §7.3: 00-00-5E-00-01-{VRID}, 00-00-5E-00-02-{VRID} for IPv6.
                None => ([0, 0, 0x5e, 0, if family == Family::V6 { 2 } else { 1 }, vrid], false),
            };
            let xmit_base = d.vmac_xmit_base && !strict;
            if d.vmac_xmit_base && strict {
                diags.corrected(d.loc, format!("({name}) xmit_base is incompatible with strict mode - resetting"));
            }
            let name = vname.unwrap_or_default();
            let addr = d.use_vmac_addr;
            Some(Vmac { name, base: base.clone(), mac, family, mac_specified, xmit_base, addr })
        }
        // Without an interface (unicast with a source address) there is nothing to sit on.
        _ => None,
    };
    let mut notify = d.notify;
    check_notifies(&mut notify, host, diags, &format!("({name})"), policy);

    let owner = priority == 255;
    Some(Instance {
        track_scripts: t.scripts(&d.track_scripts, diags, &name),
        track_interfaces: t.interfaces(&d.track_interfaces, diags, &name),
        track_files: t.files(&d.track_files, diags, &name),
        track_processes: t.processes(&d.track_processes, diags, &name),
        name,
        loc: d.loc,
        initial_state,
        interface,
        vrid,
        priority,
        advert_int,
        version,
        family,
        auth,
        vips,
        excluded_vips: d.excluded_vips,
        dont_track_primary: d.dont_track_primary,
        nopreempt,
        preempt_delay,
        unicast_peers,
        unicast_src,
        unicast_fault_no_peer: d.unicast_fault_no_peer,
        unicast_ttl: d.unicast_ttl.unwrap_or(255),
        check_unicast_src: d.check_unicast_src.unwrap_or(g.check_unicast_src),
        mcast_dst,
        track_src_ip: d.track_src_ip,
        notify,
        notify_priority_changes: d.notify_priority_changes.unwrap_or(g.notify_priority_changes),
        garp: resolve_garp(&g.garp, &d.garp, strict),
        lower_prio_no_advert: if strict { true } else { d.lower_prio_no_advert.unwrap_or(g.lower_prio_no_advert) },
        higher_prio_send_advert: if strict {
            false
        } else {
            d.higher_prio_send_advert.unwrap_or(g.higher_prio_send_advert)
        },
        down_timer_adverts: d.down_timer_adverts.unwrap_or(g.down_timer_adverts),
        strict,
        // keepalived's default accept mode, for the dumps; `accept` and `no_accept` have no
        // effect in vrrpd (no firewall rules).
        accept: !strict || owner,
        skip_check_adv_addr: d.skip_check_adv_addr.unwrap_or(g.skip_check_adv_addr),
        v3_checksum_as_v2: d.v3_checksum_as_v2.unwrap_or(g.v3_checksum_as_v2),
        owner_ignore_adverts,
        timer_expired_backup,
        routes: d.routes,
        rules: d.rules,
        promote_secondaries: d.promote_secondaries,
        vmac,
        addr_vmacs: Vec::new(),
        sync_group: None,
        written,
    })
}

/// keepalived's `(INSTANCE) message`, built in one place.
fn named(name: &str, msg: &str) -> String {
    format!("({name}) {msg}")
}

fn default_group(g: &GlobalDefs, family: Family) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(g.mcast_group4),
        Family::V6 => IpAddr::V6(g.mcast_group6),
    }
}

/// keepalived create_vmac_name(): `PREFIX.VRID`, then for IPv6 `PREFIX6.VRID`, then
/// `PREFIX1.VRID`, `PREFIX2.VRID` ... (IFNAMSIZ - 1 characters, the prefix shortened), the
/// first that `free` accepts. A host where every name exists (the loader's test hosts) gets
/// the first after a bounded search.
fn vmac_name(prefix: &str, vrid: u8, v6: bool, free: &dyn Fn(&str) -> bool) -> String {
    let suffix = format!(".{vrid}");
    let mut first = None;
    let mut num = 0u32;
    while num < 100 {
        let stem = if num == 0 { prefix.to_string() } else { format!("{prefix}{num}") };
        let keep = stem.len().min(15 - suffix.len());
        let candidate = format!("{}{suffix}", &stem[..keep]);
        if free(&candidate) {
            return candidate;
        }
        first.get_or_insert(candidate);
        num = match (v6, num) {
            (true, 0) => 6,
            (true, 6) => 1,
            (true, 5) => 7,
            _ => num + 1,
        };
    }
    first.unwrap_or_default()
}

/// Names the VMACs (keepalived vrrp_complete_instance()): each instance's own, then the ones
/// its VIPs on other interfaces need (`use_vmac_addr`, or `use_vmac` on the VIP line), one per
/// interface and MAC, shared between instances. A name already taken, or held by an interface
/// that is not this VMAC (another MAC, left alone), is skipped; a written name that is such an
/// interface is ignored. Each VMAC instance's `interface` becomes its VMAC; its VIPs of its
/// family on the base go there too, those of the other family stay on the base; each VIP that
/// gets an address VMAC has it as `dev`.
fn assign_vmac_names(instances: &mut [Instance], g: &GlobalDefs, host: &dyn Host, diags: &mut Diagnostics) {
    let prefix = g.vmac_prefix.as_deref().unwrap_or("vrrp");
    let addr_prefix = g.vmac_addr_prefix.as_deref().unwrap_or(prefix);
    let foreign = |n: &str, mac: [u8; 6]| host.interface_exists(n) && !host.interface_has_mac(n, &mac);
    let mut made: Vec<Vmac> = Vec::new();
    let pick = |made: &mut Vec<Vmac>, mut v: Vmac, prefix: &str, vrid: u8| {
        let free = |n: &str| !made.iter().any(|m| m.name == n) && !foreign(n, v.mac);
        if v.name.is_empty() {
            v.name = vmac_name(prefix, vrid, v.family == Family::V6, &free);
        }
        made.push(v.clone());
        v
    };
    for i in instances.iter_mut() {
        if let Some(mut v) = i.vmac.take() {
            if !v.name.is_empty() && foreign(&v.name, v.mac) {
                let msg = format!(
                    "({}) VMAC interface name {} already exists as a non VMAC interface. ignoring configured name",
                    i.name, v.name
                );
                diags.corrected(i.loc, msg);
                v.name.clear();
            }
            let v = pick(&mut made, v, prefix, i.vrid);
            for a in i.vips.iter_mut().chain(i.excluded_vips.iter_mut()) {
                let same_family = a.addr.is_ipv4() == (v.family == Family::V4);
                if a.dev.is_none() && !same_family {
                    a.dev = Some(v.base.clone());
                } else if same_family && a.dev.as_ref() == Some(&v.base) {
                    a.dev = None;
                }
            }
            i.interface = Some(v.name.clone());
            i.vmac = Some(v);
        }
        let (own, use_addr) = (i.vmac.clone(), i.vmac.as_ref().is_some_and(|v| v.addr));
        for a in i.vips.iter_mut().chain(i.excluded_vips.iter_mut()) {
            let need = match &own {
                None => a.use_vmac,
                Some(_) => a.dev.is_some() && a.dev != i.interface && (a.use_vmac || use_addr),
            };
            let Some(dev) = a.dev.clone().or_else(|| i.interface.clone()).filter(|_| need) else { continue };
            let family = if a.addr.is_ipv4() { Family::V4 } else { Family::V6 };
            let mac = match &own {
                Some(v) if v.mac_specified => v.mac,
                _ => [0, 0, 0x5e, 0, if family == Family::V6 { 2 } else { 1 }, i.vrid],
            };
            let v = match made.iter().find(|m| m.base == dev && m.mac == mac) {
                Some(m) => m.clone(),
                None => {
                    let v = Vmac {
                        name: String::new(),
                        base: dev,
                        mac,
                        family,
                        mac_specified: false,
                        xmit_base: false,
                        addr: false,
                    };
                    pick(&mut made, v, addr_prefix, i.vrid)
                }
            };
            a.dev = Some(v.name.clone());
            if !i.addr_vmacs.iter().any(|m| m.name == v.name) {
                i.addr_vmacs.push(v);
            }
        }
        // keepalived vrrp_complete_instance(): garp_extra_if is off without another
        // interface to refresh (a VMAC, or with `all` any interface).
        if i.extra_if_garps().iter().all(|a| i.vip_interface(*a) == i.interface.as_deref()) {
            i.garp.extra_if = 0;
        }
    }
}

/// keepalived refuses two instances with the same VRID on one interface and family, unless
/// both are unicast with disjoint peer sets.
fn check_duplicate_vrids(instances: &[Instance], diags: &mut Diagnostics) {
    for (i, a) in instances.iter().enumerate() {
        for b in &instances[..i] {
            if a.vrid != b.vrid || a.family != b.family || a.interface != b.interface {
                continue;
            }
            let a_uni = !a.unicast_peers.is_empty();
            let b_uni = !b.unicast_peers.is_empty();
            let clash = match (a_uni, b_uni) {
                (false, false) => true,
                (true, true) => a.unicast_peers.iter().any(|p| b.unicast_peers.iter().any(|q| q.addr == p.addr)),
                _ => false,
            };
            if clash {
                let fam = if a.family == Family::V4 { "IPv4" } else { "IPv6" };
                diags.fatal(
                    Some(a.loc),
                    format!(
                        "{} and {} both use VRID {} with {} on interface {}",
                        b.name,
                        a.name,
                        a.vrid,
                        fam,
                        a.interface.as_deref().unwrap_or("(none)")
                    ),
                );
            }
        }
    }
}

/// A static address gets its interface: `dev`, else `default_interface` (keepalived's eth0);
/// keepalived refuses to start without that one and drops an address whose `dev` does not
/// exist.
fn complete_statics(mut statics: Vec<Static>, g: &GlobalDefs, host: &dyn Host, diags: &mut Diagnostics) -> Vec<Static> {
    statics.retain_mut(|e| {
        let Static::Address(v) = e else { return true };
        let given = v.dev.is_some();
        let dev = v.dev.get_or_insert_with(|| g.default_interface.clone().unwrap_or_else(|| "eth0".into()));
        if g.dynamic_interfaces || host.interface_exists(dev) {
            return true;
        }
        if given {
            diags.corrected(v.loc, format!("Cannot find interface {dev} for ip address {} - ignoring", v.addr));
            return false;
        }
        let msg = format!("Static address {} requires either an interface or default interface must exist", v.addr);
        diags.fatal(Some(v.loc), msg);
        true
    });
    statics
}
