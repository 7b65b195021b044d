//! keepalived's defaults, auto-corrections (each reported where the value was written) and the
//! errors that stop it from running.
mod common;
use common::*;
use vrrpd::config::{model::*, Effect};

fn inst(body: &str) -> String {
    format!("vrrp_instance VI_1 {{\n{body}}}\n")
}

const BASE: &str = " interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 10.0.0.1\n }\n";

#[test]
fn defaults_match_keepalived() {
    let l = load(VI);
    no_diagnostics(&l);
    let i = &l.config.instances[0];
    assert_eq!((i.priority, i.advert_int, i.version, i.initial_state), (100, SECOND, 2, InitialState::Backup));
    assert_eq!((i.nopreempt, i.preempt_delay, i.accept, i.unicast_ttl, i.down_timer_adverts), (false, 0, true, 255, 3));
    assert_eq!(i.mcast_dst.to_string(), "224.0.0.18");
    assert_eq!(
        i.garp,
        Garp {
            master_delay: 5 * SECOND,
            master_repeat: 5,
            master_refresh: 0,
            master_refresh_repeat: 1,
            lower_prio_delay: 5 * SECOND,
            lower_prio_repeat: 5,
            interval: 0,
            na_interval: 0,
            extra_if: 0,
            extra_if_all: false
        }
    );
    assert_eq!(i.vips[0].prefix, 32);
}

#[test]
fn state_master_without_priority_is_the_owner() {
    let l = load(&inst(&format!(" state MASTER\n{BASE}")));
    assert_eq!(l.config.instances[0].priority, 255);
    let l = load(&inst(&format!(" state MASTER\n priority 101\n{BASE}")));
    assert_eq!(l.config.instances[0].priority, 101);
}

#[test]
fn out_of_range_priority_becomes_100() {
    for (p, col) in [("0", 11), ("256", 11), ("abc", 11), ("300", 11), ("-5", 11)] {
        let l = load(&inst(&format!(" state MASTER\n priority {p}\n{BASE}")));
        // keepalived's text first (2.2.7 logs it after "number '300' outside range [1, 255]"),
        // then the value given.
        let text = format!("(VI_1) Priority not valid! must be between 1 & 255. Using default 100 - got '{p}'");
        expect(&l, &text, 3, col, Effect::Corrected);
        assert_eq!(l.config.instances[0].priority, 100, "{p}");
    }
}

#[test]
fn value_diagnostics_name_the_value() {
    let l = load(&format!("global_defs {{\n vrrp_mcast_group4 10.0.0.1\n vrrp_mcast_group6 fe80::1\n}}\n{VI}"));
    diag(&l, "vrrp_mcast_group4 '10.0.0.1' is not an IPv4 multicast address - ignoring");
    diag(&l, "vrrp_mcast_group6 'fe80::1' is not an IPv6 multicast address - ignoring");
    let l = load(&inst(&format!(" mcast_dst_ip 10.0.0.9\n virtual_router_id 300\n advert_int x\n{BASE}")));
    diag(&l, "mcast_dst_ip '10.0.0.9' is not a multicast address - ignoring");
    diag(&l, "virtual_router_id: number '300' outside range [1, 255] - ignoring");
    diag(&l, "advert_int: 'x' is not a time in seconds - ignoring");
}

/// The initial state keepalived 2.2.7 uses, from its -d dump ("Wantstate = ...") of one file
/// holding all these instances, run for a moment in a throw-away network namespace.
#[test]
fn initial_state_is_the_one_keepalived_uses() {
    let vi = |name: &str, vrid: u8, body: &str| {
        format!(
            "vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n{body} virtual_ipaddress {{\n  10.0.{vrid}.1\n }}\n}}\n"
        )
    };
    let ah = |pass: &str| format!(" authentication {{\n  auth_type AH\n{pass} }}\n");
    let text = [
        vi("SG_A", 1, " state MASTER\n priority 100\n"),
        vi("SG_B", 2, " state BACKUP\n priority 90\n"),
        vi("SO_A", 3, " state MASTER\n priority 255\n"),
        vi("SO_B", 4, " state MASTER\n priority 255\n"),
        vi("SM_A", 5, " state MASTER\n priority 255\n"),
        vi("SM_B", 6, " state BACKUP\n priority 255\n"),
        vi("S1", 7, " state MASTER\n priority 100\n"),
        vi("AH1", 8, &format!(" state MASTER\n priority 100\n{}", ah("  auth_pass secret\n"))),
        vi("AH2", 9, &format!(" state MASTER\n priority 100\n{}", ah(""))),
        vi("ST1", 10, " state MASTER\n priority 100\n strict_mode\n"),
        vi("ST2", 11, " state BACKUP\n priority 255\n strict_mode\n"),
        vi("ST3", 12, " priority 255\n strict_mode\n"),
        vi("P1", 13, " priority 255\n"),
        vi("P2", 14, " state BACKUP\n priority 255\n"),
        vi("P3", 15, " state MASTER\n priority 100\n"),
        vi("AH3", 16, &format!(" state MASTER\n priority 255\n{}", ah("  auth_pass secret\n"))),
        vi("ST4", 17, " state MASTER\n priority 100\n strict_mode\n nopreempt\n"),
        vi("SN_A", 18, " state MASTER\n priority 100\n nopreempt\n"),
        "vrrp_sync_group G1 {\n group {\n  SG_A\n  SG_B\n }\n}\nvrrp_sync_group G2 {\n group {\n  SO_A\n  SO_B\n }\n}\n".into(),
        "vrrp_sync_group G3 {\n group {\n  SM_A\n  SM_B\n }\n}\nvrrp_sync_group G4 {\n group {\n  S1\n }\n}\n".into(),
        "vrrp_sync_group G5 {\n group {\n  SN_A\n }\n}\n".into(),
    ]
    .concat();
    let l = load(&text);
    use InitialState::{Backup as B, Master as M};
    let want = [
        ("SG_A", B),
        ("SG_B", B),
        ("SO_A", M),
        ("SO_B", M),
        ("SM_A", B),
        ("SM_B", B),
        ("S1", B),
        ("AH1", B),
        ("AH2", M),
        ("ST1", B),
        ("ST2", M),
        ("ST3", M),
        ("P1", M),
        ("P2", B),
        ("P3", M),
        ("AH3", M),
        ("ST4", B),
        ("SN_A", B),
    ];
    let got: Vec<(&str, InitialState)> =
        l.config.instances.iter().map(|i| (i.name.as_str(), i.initial_state)).collect();
    assert_eq!(got, want);
    // keepalived's messages for the changes it reports.
    diag(&l, "(AH1) Initial state master is incompatible with AH authentication - clearing");
    diag(&l, "(AH2) Authentication specified but no password given. Ignoring");
    diag(&l, "(ST1) State MASTER must match being address owner - starting as BACKUP");
    diag(&l, "(ST2) State MASTER must match being address owner - starting as MASTER");
    diag(&l, "(ST4) State MASTER must match being address owner - starting as BACKUP");
    diag(&l, "Sync group G3 has some member(s) as address owner and some not as address owner. This won't work.");
    // The sync-group demotion, which keepalived does silently, is a note.
    let d = diag(&l, "(SG_A) starting as BACKUP although state MASTER: sync group G1");
    assert_eq!(d.effect, Effect::Note);
    // nopreempt: checked against the state after strict mode and AH, before sync groups.
    let nopreempt = |n: &str| l.config.instances.iter().find(|i| i.name == n).unwrap().nopreempt;
    assert!(nopreempt("ST4"), "keepalived -d: ST4 Preempt = disabled");
    assert!(!nopreempt("SN_A"));
    diag(&l, "(SN_A) Warning - nopreempt will not work with initial state MASTER - clearing");
    // -d shows the state that is used.
    let dumped = vrrpd::config::dump::dump(&l.config);
    let st1 = dumped.split(" VRRP Instance = ").find(|s| s.starts_with("ST1")).unwrap();
    assert!(st1.contains("Initial state = BACKUP"), "{st1}");
}

#[test]
fn nopreempt_cleared_by_master_and_by_255() {
    let l = load(&inst(&format!(" state MASTER\n priority 150\n nopreempt\n{BASE}")));
    expect(
        &l,
        "(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing",
        4,
        2,
        Effect::Corrected,
    );
    assert!(!l.config.instances[0].nopreempt);
    let l = load(&inst(&format!(" priority 255\n nopreempt\n{BASE}")));
    expect(&l, "(VI_1) nopreempt is incompatible with priority 255. resetting nopreempt", 3, 2, Effect::Corrected);
    assert_eq!(l.diagnostics.list.len(), 1, "keepalived -t reports the owner only");
    let l = load(&inst(&format!(" priority 150\n nopreempt\n{BASE}")));
    no_diagnostics(&l);
    assert!(l.config.instances[0].nopreempt);
}

#[test]
fn preempt_delay_cleared_with_nopreempt() {
    let l = load(&inst(&format!(" nopreempt\n preempt_delay 30\n{BASE}")));
    expect(&l, "preempt_delay will not work with nopreempt - clearing", 3, 2, Effect::Corrected);
    assert_eq!(l.config.instances[0].preempt_delay, 0);
    let l = load(&inst(&format!(" preempt_delay 2.5\n{BASE}")));
    assert_eq!(l.config.instances[0].preempt_delay, 2_500_000);
}

#[test]
fn v2_advert_int_is_rounded_to_whole_seconds() {
    let l = load(&inst(&format!(" advert_int 1.5\n{BASE}")));
    expect(
        &l,
        "(VI_1) VRRPv2 advertisement interval 1.5s must be an integer. rounding to 2s",
        2,
        13,
        Effect::Corrected,
    );
    assert_eq!(l.config.instances[0].advert_int, 2 * SECOND);
    let l = load(&inst(&format!(" advert_int 0.3\n{BASE}")));
    assert_eq!(l.config.instances[0].advert_int, SECOND, "never below 1 s");
}

#[test]
fn v3_advert_int_in_centiseconds() {
    let l = load(&inst(&format!(" version 3\n advert_int 0.01\n{BASE}")));
    no_diagnostics(&l);
    assert_eq!(l.config.instances[0].advert_int, 10_000);
    let l = load(&inst(&format!(" version 3\n advert_int 0.015\n{BASE}")));
    expect(&l, "not a multiple of 0.01s", 3, 13, Effect::Corrected);
    assert_eq!(l.config.instances[0].advert_int, 20_000);
}

#[test]
fn authentication_ah_keys_with_the_first_8_bytes_and_is_ignored_under_v3() {
    let l = load(&inst(&format!(" authentication {{\n  auth_type AH\n  auth_pass 0123456789\n }}\n{BASE}")));
    expect(&l, "(VI_1) Truncating auth_pass to 8 characters", 4, 13, Effect::Corrected);
    assert_eq!(l.config.instances[0].auth, Auth::Ah(*b"01234567"));
    assert_eq!(l.diagnostics.list.len(), 1, "{:#?}", l.diagnostics.list);
    let l = load(&inst(&format!(" authentication {{\n  auth_type AH\n  auth_pass abc\n }}\n{BASE}")));
    no_diagnostics(&l);
    assert_eq!(l.config.instances[0].auth, Auth::Ah(*b"abc\0\0\0\0\0"));
    // -d and keepalived.data name it as keepalived does; JSON has its number, 2.
    // The key is masked as keepalived 2.4 masks passwords (no length either).
    assert!(vrrpd::config::dump::dump(&l.config).contains("   Authentication = IPSEC_AH\n   Password = ********\n"));
    let agent = vrrpd::proto::Agent::new(l.config.clone(), vrrpd::proto::Instant::ZERO);
    assert!(vrrpd::proto::report::data(&agent).contains("   Authentication type = IPSEC_AH\n"));
    assert!(vrrpd::proto::report::json(&agent).contains("\"auth_type\":2,"));
    let l = load(&inst(&format!(" version 3\n authentication {{\n  auth_type AH\n  auth_pass x\n }}\n{BASE}")));
    expect(&l, "Cannot use authentication with VRRPv3", 4, 13, Effect::Corrected);
    assert_eq!(l.config.instances[0].auth, Auth::None);
}

#[test]
fn authentication_pass_truncated_and_ignored_under_v3() {
    let l = load(&inst(&format!(" authentication {{\n  auth_type PASS\n  auth_pass 0123456789\n }}\n{BASE}")));
    expect(&l, "(VI_1) Truncating auth_pass to 8 characters", 4, 13, Effect::Corrected);
    assert_eq!(l.config.instances[0].auth, Auth::Pass(*b"01234567"));
    let l = load(&inst(&format!(" version 3\n authentication {{\n  auth_type PASS\n  auth_pass x\n }}\n{BASE}")));
    expect(&l, "Cannot use authentication with VRRPv3", 3, 2, Effect::Corrected);
    assert_eq!(l.config.instances[0].auth, Auth::None);
    let v3_global = format!(
        "global_defs {{\n vrrp_version 3\n}}\n{}",
        inst(&format!(" authentication {{\n auth_type PASS\n auth_pass x\n }}\n{BASE}"))
    );
    let l = load(&v3_global);
    diag(&l, "Cannot use authentication with VRRPv3");
}

#[test]
fn ipv6_instances_are_version_3() {
    let l = load(&inst(
        " interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n fe80::5\n 2001:db8::5/64\n 10.0.0.1\n }\n",
    ));
    let i = &l.config.instances[0];
    assert_eq!((i.family, i.version, i.vips.len()), (Family::V6, 3, 2));
    assert_eq!(i.mcast_dst.to_string(), "ff02::12");
    expect(&l, "address family must match VRRP instance - ignoring 10.0.0.1", 7, 2, Effect::Corrected);
    let l = load(&inst(" version 2\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n fe80::5\n }\n"));
    expect(&l, "VRRPv2 over IPv6 is not supported - using version 3", 2, 2, Effect::Corrected);
}

#[test]
fn script_weights_and_track_overrides() {
    let text = format!(
        "vrrp_script a {{\n script /bin/true\n weight 300\n}}\nvrrp_script b {{\n script /bin/true\n weight -20 reverse\n rise 3\n fall 2\n timeout 5\n interval 0\n}}\n{}",
        inst(&format!(" track_script {{\n  a\n  b weight 10 noreverse\n  missing\n }}\n track_interface {{\n  eth1 weight -30\n  eth9\n }}\n{BASE}"))
    );
    let l = load(&text);
    expect(&l, "weight 300 must be in [-253, 253] - using 253", 3, 9, Effect::Corrected);
    expect(&l, "(VI_1) track_script missing not found, ignoring...", 17, 3, Effect::Corrected);
    expect(&l, "(VI_1) tracked interface eth9 doesn't exist - ignoring", 21, 3, Effect::Corrected);
    let b = &l.config.scripts[1];
    assert_eq!(
        (b.weight, b.weight_reverse, b.rise, b.fall, b.timeout, b.interval),
        (-20, true, 3, 2, 5 * SECOND, SECOND)
    );
    let i = &l.config.instances[0];
    let t: Vec<_> = i.track_scripts.iter().map(|t| (t.name.as_str(), t.weight, t.reverse)).collect();
    assert_eq!(t, [("a", 253, false), ("b", 10, false)]);
    assert_eq!((i.track_interfaces[0].name.as_str(), i.track_interfaces[0].weight), ("eth1", -30));
}

#[test]
fn unicast_peers_and_fallback_to_multicast() {
    let l = load(&inst(&format!(
        " unicast_src_ip 10.0.0.10\n unicast_peer {{\n  10.0.0.11 min_ttl 250\n  10.0.0.12\n  fe80::1\n }}\n{BASE}"
    )));
    expect(&l, "unicast peer fe80::1 is not of the instance's address family", 6, 3, Effect::Corrected);
    let i = &l.config.instances[0];
    assert_eq!(i.unicast_peers.len(), 2);
    assert_eq!(i.unicast_peers[0].min_ttl, 250);
    let l = load(&inst(&format!(" unicast_peer {{\n }}\n{BASE}")));
    expect(&l, "No unicast peers configured - using multicast", 2, 2, Effect::Corrected);
}

#[test]
fn unicast_addresses_with_a_prefix_length_are_the_address() {
    // keepalived 2.2.7 (inet_stosockaddr) drops everything from the first '/' or '-' without a
    // word: `-t` is silent and `-d` lists "Using src_ip = 192.168.0.91" and the peer 192.168.0.92.
    let l = load(&inst(&format!(
        " unicast_src_ip 192.168.0.91/24\n unicast_peer {{\n  192.168.0.92/24\n  192.168.0.93/33\n  192.168.0.94-100\n }}\n{BASE}"
    )));
    no_diagnostics(&l);
    let i = &l.config.instances[0];
    assert_eq!(i.unicast_src.map(|a| a.to_string()).as_deref(), Some("192.168.0.91"));
    let peers: Vec<String> = i.unicast_peers.iter().map(|p| p.addr.to_string()).collect();
    assert_eq!(peers, ["192.168.0.92", "192.168.0.93", "192.168.0.94"]);
    let l = load(&inst(&format!(" mcast_src_ip 10.0.0.10/8\n mcast_dst_ip 224.0.0.19/32\n{BASE}")));
    no_diagnostics(&l);
    assert_eq!(l.config.instances[0].unicast_src.map(|a| a.to_string()).as_deref(), Some("10.0.0.10"));
    assert_eq!(l.config.instances[0].mcast_dst.to_string(), "224.0.0.19");
}

#[test]
fn garp_globals_min_garp_and_strict() {
    let l = load(&("global_defs {\n vrrp_garp_master_delay 10\n vrrp_garp_master_repeat 3\n}\n".to_string() + VI));
    let g = l.config.instances[0].garp;
    assert_eq!(
        (g.master_delay, g.master_repeat, g.lower_prio_delay, g.lower_prio_repeat),
        (10 * SECOND, 3, 10 * SECOND, 3)
    );
    let l = load(&("global_defs {\n vrrp_min_garp\n}\n".to_string() + VI));
    let g = l.config.instances[0].garp;
    assert_eq!((g.master_delay, g.master_repeat), (0, 1));
    let l = load(&("global_defs {\n vrrp_strict\n}\n".to_string() + VI));
    let i = &l.config.instances[0];
    assert_eq!((i.strict, i.lower_prio_no_advert, i.garp.lower_prio_repeat, i.accept), (true, true, 0, false));
    let l = load(&inst(&format!(" garp_master_repeat 0\n{BASE}")));
    assert_eq!(l.config.instances[0].garp.master_repeat, 1, "repeat 0 means 1");
}

#[test]
fn sync_groups_reference_instances_and_zero_member_weights() {
    let text = format!(
        "vrrp_script s {{\n script /bin/true\n weight -10\n}}\n{}vrrp_instance VI_2 {{\n interface eth1\n virtual_router_id 52\n virtual_ipaddress {{\n 10.0.1.1\n }}\n}}\n\
         vrrp_sync_group G {{\n group {{\n  VI_1\n  VI_2\n  VI_X\n }}\n notify_master \"/usr/local/bin/notify.sh G\"\n}}\n",
        inst(&format!(" track_script {{\n  s\n }}\n{BASE}"))
    );
    let l = load(&text);
    expect(&l, "Virtual router VI_X specified in sync group G doesn't exist - ignoring", 26, 3, Effect::Corrected);
    expect(&l, "weight -10 of tracker s ignored", 7, 3, Effect::Corrected);
    let g = &l.config.sync_groups[0];
    assert_eq!(g.members, ["VI_1", "VI_2"]);
    assert!(g.notify.master.is_some());
    assert_eq!(l.config.instances[0].sync_group.as_deref(), Some("G"));
    assert_eq!(l.config.instances[0].track_scripts[0].weight, 0);
}

#[test]
fn track_file_and_interface_delays_and_routes() {
    let text = format!(
        "track_file tf {{\n file \"/run/prio\"\n weight -2 reverse\n init_file 5 overwrite\n}}\ninterface_up_down_delays {{\n eth0 2 0.5\n eth1 3\n}}\n{}",
        inst(&format!(
            " track_file {{\n  tf\n }}\n virtual_routes {{\n  default via 10.0.0.254 dev eth0 table 100\n  src 10.0.0.1 to 192.168.0.0/16 via 10.0.0.254 metric 5\n  blackhole 10.9.0.0/16\n  10.8.0.0/16 frobnicate 1\n  10.7.0.0/16 via 10.0.0.1 or 10.0.0.2\n  10.6.0.0/16 via 10.0.0\n }}\n virtual_rules {{\n  from 10.0.0.1/32 table 100 priority 100\n  to 10.1.0.0/16 fwmark 0x10/0xff lookup main\n }}\n{BASE}"
        ))
    );
    let l = load(&text);
    expect(&l, "virtual_routes: cannot use 'frobnicate' here - ignoring this route", 18, 15, Effect::Corrected);
    expect(&l, "virtual_routes: invalid value '10.0.0' for 'via' - ignoring this route", 20, 19, Effect::Corrected);
    assert_eq!(l.diagnostics.list.len(), 2, "{:#?}", l.diagnostics.list);
    let tf = &l.config.track_files[0];
    assert_eq!((tf.path.as_str(), tf.weight, tf.weight_reverse, tf.init), ("/run/prio", -2, true, Some((5, true))));
    let d = &l.config.interface_delays;
    assert_eq!((d[0].down, d[0].up, d[1].down, d[1].up), (2 * SECOND, 500_000, 3 * SECOND, 3 * SECOND));
    let i = &l.config.instances[0];
    assert_eq!(i.routes.len(), 4);
    assert_eq!(i.routes[3].via.len(), 2, "multipath via A or B");
    assert_eq!((i.routes[0].dst.1, i.routes[0].table, i.routes[1].metric), (0, Some(100), Some(5)));
    assert_eq!(i.routes[2].kind.as_deref(), Some("blackhole"));
    assert_eq!(
        (i.rules[0].priority, i.rules[1].fwmark, i.rules[1].table),
        (Some(100), Some((0x10, Some(0xff))), Some(254))
    );
    assert_eq!(i.track_files[0].weight, -2);
}

// ---- fatal errors: keepalived refuses to run ----

#[test]
fn missing_vrid_is_fatal() {
    let l = load(&inst(" interface eth0\n virtual_ipaddress {\n 10.0.0.1\n }\n"));
    expect(&l, "(VI_1) the virtual router id must be set", 1, 1, Effect::Fatal);
    assert_eq!(l.config_test_status(), 4);
}

#[test]
fn duplicate_vrid_per_interface_and_family_is_fatal() {
    let two = |second_if: &str, second_vip: &str| {
        format!("{VI}vrrp_instance VI_2 {{\n interface {second_if}\n virtual_router_id 51\n virtual_ipaddress {{\n {second_vip}\n }}\n}}\n")
    };
    let l = load(&two("eth0", "10.0.0.2"));
    expect(&l, "VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0", 8, 1, Effect::Fatal);
    no_diagnostics(&load(&two("eth1", "10.0.0.2")));
    no_diagnostics(&load(&two("eth0", "fe80::2")));
}

#[test]
fn v3_instance_without_vips_is_fatal() {
    let l = load(&inst(" version 3\n interface eth0\n virtual_router_id 5\n"));
    expect(&l, "No VIP specified", 1, 1, Effect::Fatal);
    let l = load(&inst(" interface eth0\n virtual_router_id 5\n"));
    expect(&l, "No VIP specified", 1, 1, Effect::Note);
    assert_eq!(l.config_test_status(), 0);
}

#[test]
fn missing_interface_is_fatal_unless_dynamic_interfaces() {
    let text = inst(" interface eth7\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1\n }\n");
    let l = load(&text);
    expect(&l, "(VI_1) WARNING - interface eth7 for vrrp instance doesn't exist", 2, 2, Effect::Fatal);
    let l = load(&format!("global_defs {{\n dynamic_interfaces\n}}\n{text}"));
    expect(&l, "interface eth7 does not exist yet (dynamic_interfaces)", 5, 2, Effect::Note);
    expect(&l, "the instance stays in FAULT until a restart after the interface exists", 5, 2, Effect::Note);
    assert_eq!(l.config_test_status(), 0);
    let l = load(&inst(" virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1\n }\n"));
    expect(&l, "no 'interface' configured", 1, 1, Effect::Fatal);
}

#[test]
fn exit_code_ranking() {
    assert_eq!(load(VI).config_test_status(), 0);
    assert_eq!(load(&format!("{VI}junk 1\n")).config_test_status(), 5);
    assert_eq!(load(&format!("vrrp_script s {{\n script /bin/true\n}}\n{VI}")).config_test_status(), 6);
    // keepalived -t: 0 with script_user root; 5 without it (no keepalived_script user here).
    assert_eq!(
        load(&format!(
            "global_defs {{\n enable_script_security\n script_user root\n}}\nvrrp_script s {{\n script /bin/true\n}}\n{VI}"
        ))
        .config_test_status(),
        0
    );
    let fatal = load(&inst(" interface eth0\n virtual_ipaddress {\n 10.0.0.1\n }\n"));
    assert_eq!((fatal.is_fatal(), fatal.config_test_status()), (true, 4));
}

/// keepalived 2.2.7 keeps the last kind in its list of config errors (fatal, then errors, then
/// script security), not the worst. Measured with `keepalived -t -f FILE; echo $?`:
/// `junkword 1` + a tracked `vrrp_script` without enable_script_security: 6 (5 and 6 alone);
/// `junkword 1` + an unknown interface in interface_up_down_delays: 5 (4 alone);
/// that interface + the script: 6.
#[test]
fn exit_code_precedence_is_keepalived_s() {
    let script = "vrrp_script s {\n script /bin/true\n}\n";
    let l = load(&format!("junkword 1\n{script}{VI}"));
    assert_eq!(l.config_test_status(), 6, "script security over unknown keyword");
    let l = load(&format!("{script}{VI}junk\n"));
    assert_eq!(l.config_test_status(), 6, "the order in the file does not matter");
    let l = load(&format!("{VI}junk\nvrrp_instance X {{\n}}\n"));
    assert!(l.is_fatal(), "still refused by the daemon");
    assert_eq!(l.config_test_status(), 5, "an error over a fatal error");
    let l = load(&format!("{script}vrrp_instance X {{\n}}\n"));
    assert_eq!((l.is_fatal(), l.config_test_status()), (true, 6), "script security over a fatal error");
}

fn host_with(users: &[(&str, u32, u32)], unsafe_scripts: &[&str]) -> vrrpd::config::StaticHost {
    let mut h = host();
    h.users = users.iter().map(|(n, u, g)| (n.to_string(), *u, *g)).collect();
    h.unsafe_scripts = unsafe_scripts.iter().map(|s| s.to_string()).collect();
    h
}

fn load_on(text: &str, h: &vrrpd::config::StaticHost) -> vrrpd::config::Loaded {
    let opts = vrrpd::config::LoadOptions { config_id: "r1".into(), all_config: false };
    vrrpd::config::load_bytes(std::path::Path::new("t.conf"), text.as_bytes().to_vec(), &opts, h)
}

#[test]
fn scripts_run_as_their_user_then_script_user_then_keepalived_script() {
    let text = format!("global_defs {{\n script_user daemon\n}}\nvrrp_script a {{\n script /bin/true\n user nobody\n}}\nvrrp_script b {{\n script /bin/true\n}}\n{VI}");
    let l = load_on(&text, &host_with(&[("nobody", 65534, 65534), ("daemon", 1, 1)], &[]));
    assert_eq!(
        (l.config.scripts[0].command.ids, l.config.scripts[1].command.ids),
        (Some((65534, 65534)), Some((1, 1)))
    );
    let l = load_on(
        &format!("vrrp_script b {{\n script /bin/true\n}}\n{VI}"),
        &host_with(&[("keepalived_script", 999, 998)], &[]),
    );
    assert_eq!(l.config.scripts[0].command.ids, Some((999, 998)), "keepalived_script when it exists");
    let l = load_on(&format!("vrrp_script b {{\n script /bin/true\n}}\n{VI}"), &host_with(&[], &[]));
    assert_eq!(l.config.scripts[0].command.ids, None, "else root");
}

#[test]
fn unknown_script_user_disables_the_script() {
    let l = load_on(&format!("vrrp_script a {{\n script /bin/true\n user ghost\n}}\n{VI}"), &host_with(&[], &[]));
    expect(&l, "vrrp_script a: Unable to find user 'ghost' - disabling", 2, 9, Effect::Corrected);
    assert!(l.config.scripts.is_empty());
}

/// keepalived 2.2.7 -t with enable_script_security, no script_user and no keepalived_script
/// user on the host, a tracked vrrp_script and a notify_master, exits 5 and prints
/// "Unable to set default user keepalived_script for script", "Unable to set default user for
/// vrrp script s - removing" and "(VI_1) track script s not found, ignoring..."; the daemon
/// also logs "Failed to set default user for notify script /bin/true - ignoring".
#[test]
fn script_security_without_a_default_user_drops_the_scripts() {
    let text = format!(
        "global_defs {{\n enable_script_security\n notify_fifo /run/f\n}}\nvrrp_script s {{\n script /bin/true\n}}\nvrrp_script u {{\n script /bin/true\n user nobody\n}}\n{}",
        inst(&format!(
            " track_script {{\n  s\n  u\n }}\n notify_master \"/bin/true master\"\n notify_backup /bin/true nobody\n{BASE}"
        ))
    );
    let nobody = ("nobody", 65534, 65534);
    let l = load_on(&text, &host_with(&[nobody], &[]));
    let first = diag(&l, "Unable to set default user keepalived_script for script");
    assert_eq!(first.loc.map(|l| (l.line, l.col)), Some((3, 2)), "where the first such user is (the fifo)");
    assert!(first.message.contains("add 'script_user USER' to global_defs or create the user keepalived_script"));
    expect(&l, "Failed to set default user for notify fifo /run/f - ignoring", 3, 2, Effect::Corrected);
    expect(&l, "Unable to set default user for vrrp script s - removing", 6, 9, Effect::Corrected);
    expect(
        &l,
        "(VI_1) notify_master: Failed to set default user for notify script /bin/true - ignoring",
        17,
        16,
        Effect::Corrected,
    );
    diag(&l, "(VI_1) track_script s is disabled - not tracking it");
    assert_eq!(
        l.diagnostics.list.iter().filter(|d| d.message.contains("keepalived_script")).count(),
        1,
        "explained once"
    );
    // Never as root: the scripts without a user are gone, those with one stay.
    assert_eq!(l.config.scripts.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["u"]);
    assert_eq!(l.config.scripts[0].command.ids, Some((65534, 65534)));
    let i = &l.config.instances[0];
    assert!(i.notify.master.is_none());
    assert_eq!(i.notify.backup.as_ref().and_then(|c| c.ids), Some((65534, 65534)));
    assert!(l.config.global.notify_fifo.is_none());
    assert_eq!(l.config_test_status(), 5);
    // script_user, or a keepalived_script user, fixes it.
    let fixed = text.replace(" enable_script_security\n", " enable_script_security\n script_user nobody\n");
    let l = load_on(&fixed, &host_with(&[nobody], &[]));
    assert_eq!(l.config.scripts.len(), 2);
    assert!(!l.diagnostics.list.iter().any(|d| d.message.contains("default user")), "{:#?}", l.diagnostics.list);
    let l = load_on(&text, &host_with(&[nobody, ("keepalived_script", 999, 999)], &[]));
    assert_eq!(l.config.scripts[0].command.ids, Some((999, 999)));
    assert!(l.config.global.notify_fifo.is_some());
    // Without script security keepalived runs them as root.
    let l = load_on(&text.replace(" enable_script_security\n", ""), &host_with(&[nobody], &[]));
    assert_eq!((l.config.scripts.len(), l.config.scripts[0].command.ids), (2, None));
}

#[test]
fn root_scripts_on_unsafe_paths_are_disabled_only_with_script_security() {
    let text = format!("vrrp_script a {{\n script /bin/true\n}}\n{VI}");
    let l = load_on(&text, &host_with(&[], &["/bin/true"]));
    expect(&l, "script '/bin/true' runs as root and /bin/true is writable by a non-root user", 2, 9, Effect::Insecure);
    assert_eq!(l.config.scripts.len(), 1, "without enable_script_security it still runs");
    assert_eq!(l.config_test_status(), 6);
    let secure = format!("global_defs {{\n enable_script_security\n script_user root\n}}\n{text}");
    let l = load_on(&secure, &host_with(&[("root", 0, 0)], &["/bin/true"]));
    expect(&l, "Unsafe permissions found for script '/bin/true'", 6, 9, Effect::Corrected);
    assert!(l.config.scripts.is_empty());
    // Not root: the permission check does not apply.
    let l = load_on(
        &format!("global_defs {{\n enable_script_security\n script_user nobody\n}}\n{text}"),
        &host_with(&[("nobody", 65534, 65534)], &["/bin/true"]),
    );
    assert_eq!(l.config.scripts.len(), 1);
    assert_eq!(l.config_test_status(), 0);
}

// ---- keyword effects decided by the loader (tests/data/keyword-effects.tsv) ----

#[test]
fn global_defs_reach_every_instance_unless_it_sets_its_own() {
    let global = "global_defs {\n vrrp_version 3\n vrrp_mcast_group4 224.0.0.20\n vrrp_mcast_group6 ff02::13\n\
                  vrrp_garp_master_refresh 30\n vrrp_garp_master_refresh_repeat 2\n\
                  vrrp_garp_lower_prio_delay 7\n vrrp_garp_lower_prio_repeat 4\n\
                  vrrp_lower_prio_no_advert\n vrrp_higher_prio_send_advert\n vrrp_down_timer_adverts 5\n\
                  vrrp_check_unicast_src\n vrrp_skip_check_adv_addr\n v3_checksum_as_v2\n\
                  vrrp_owner_ignore_adverts\n vrrp_notify_priority_changes\n}\n";
    let own = " version 2\n garp_master_refresh 0\n garp_master_refresh_repeat 1\n garp_lower_prio_delay 1\n\
               garp_lower_prio_repeat 1\n lower_prio_no_advert false\n higher_prio_send_advert false\n\
               down_timer_adverts 3\n check_unicast_src false\n skip_check_adv_addr false\n\
               v3_checksum_as_v2 false\n owner_ignore_adverts false\n notify_priority_changes false\n";
    let text = format!(
        "{global}{VI}vrrp_instance OWN {{\n interface eth0\n virtual_router_id 52\n{own} virtual_ipaddress {{\n  10.0.0.2\n }}\n}}\n\
         vrrp_instance V6 {{\n interface eth0\n virtual_router_id 53\n virtual_ipaddress {{\n  fe80::53\n }}\n}}\n"
    );
    let l = load(&text);
    no_diagnostics(&l);
    let [vi, own, v6] = &l.config.instances[..] else { panic!("three instances") };
    let fields = |i: &Instance| {
        (
            (i.garp.master_refresh, i.garp.master_refresh_repeat, i.garp.lower_prio_delay, i.garp.lower_prio_repeat),
            (i.lower_prio_no_advert, i.higher_prio_send_advert, i.down_timer_adverts, i.check_unicast_src),
            (i.skip_check_adv_addr, i.v3_checksum_as_v2, i.owner_ignore_adverts, i.notify_priority_changes),
        )
    };
    // vrrp_owner_ignore_adverts reaches only address owners (VI has priority 100; keepalived
    // 2.3.3 vrrp_complete_instance()): see owner_ignore_adverts_is_for_the_owner_...
    assert_eq!(fields(vi), ((30 * SECOND, 2, 7 * SECOND, 4), (true, true, 5, true), (true, true, false, true)));
    assert_eq!(fields(own), ((0, 1, SECOND, 1), (false, false, 3, false), (false, false, false, false)));
    assert_eq!((vi.mcast_dst.to_string(), v6.mcast_dst.to_string()), ("224.0.0.20".into(), "ff02::13".into()));
    assert_eq!((vi.version, own.version), (3, 2), "vrrp_version");
}

#[test]
fn preempt_cancels_a_nopreempt_written_before_it() {
    let l = load(&inst(&format!(" priority 150\n nopreempt\n preempt\n{BASE}")));
    no_diagnostics(&l);
    assert!(!l.config.instances[0].nopreempt);
    let l = load(&inst(&format!(" priority 150\n preempt\n nopreempt\n{BASE}")));
    assert!(l.config.instances[0].nopreempt, "the last one written wins");
}

#[test]
fn no_virtual_ipaddress_lets_an_instance_run_without_vips_and_native_ipv6_makes_it_ipv6() {
    let bare = " interface eth0\n virtual_router_id 5\n version 3\n";
    let l = load(&inst(&format!("{bare} no_virtual_ipaddress\n")));
    no_diagnostics(&l);
    assert_eq!(l.config.instances.len(), 1, "not fatal: keepalived runs it");
    let l = load(&inst(&format!("{bare} no_virtual_ipaddress\n native_ipv6\n")));
    let i = &l.config.instances[0];
    assert_eq!((i.family, i.mcast_dst.to_string()), (Family::V6, "ff02::12".to_string()));
    let l = load(&inst(&format!("{bare} no_virtual_ipaddress\n")));
    assert_eq!(l.config.instances[0].family, Family::V4, "IPv4 without native_ipv6");
}

#[test]
fn sync_group_tracking_weight_keeps_the_members_weights() {
    let text = |flag: &str| {
        format!(
            "vrrp_script s {{\n script /bin/true\n weight -10\n}}\n{}vrrp_sync_group G {{\n group {{\n  VI_1\n }}\n{flag}\n}}\n",
            inst(&format!(" track_script {{\n  s\n }}\n track_interface {{\n  eth1 weight -20\n }}\n{BASE}"))
        )
    };
    for flag in [" sync_group_tracking_weight", " global_tracking"] {
        let l = load(&text(flag));
        let i = &l.config.instances[0];
        assert_eq!((i.track_scripts[0].weight, i.track_interfaces[0].weight), (-10, -20), "{flag}");
        assert!(l.config.sync_groups[0].tracking_weight);
    }
    let l = load(&text(""));
    let i = &l.config.instances[0];
    assert_eq!((i.track_scripts[0].weight, i.track_interfaces[0].weight), (0, 0), "zeroed without it");
}

#[test]
fn vrrp_track_file_is_track_file() {
    let body = " {\n file /run/prio\n weight -3 reverse\n init_file 7\n}\n";
    let tf = load(&format!("track_file tf{body}"));
    let vtf = load(&format!("vrrp_track_file tf{body}"));
    no_diagnostics(&vtf);
    assert_eq!(tf.config.track_files, vtf.config.track_files);
    let t = &vtf.config.track_files[0];
    assert_eq!((t.path.as_str(), t.weight, t.weight_reverse, t.init), ("/run/prio", -3, true, Some((7, false))));
}

/// keepalived accepts these silently; they cannot do anything in vrrpd, which says so.
#[test]
fn keywords_without_an_effect_in_vrrpd_are_reported() {
    let text = format!(
        "global_defs {{\n default_interface eth1\n dynamic_interfaces allow_if_changes\n}}\n{}",
        inst(&format!(" accept\n no_accept\n debug 2\n{BASE}"))
    );
    let l = load(&text);
    for (kw, line, col) in [("allow_if_changes", 3, 21), ("accept", 6, 2), ("no_accept", 7, 2), ("debug", 8, 2)] {
        expect(&l, &format!("'{kw}' has no effect in vrrpd - ignored"), line, col, Effect::Corrected);
    }
    assert_eq!(l.diagnostics.list.len(), 4, "{:#?}", l.diagnostics.list);
    // default_interface is the interface of static addresses without `dev`.
    assert_eq!(l.config.global.default_interface.as_deref(), Some("eth1"));
    assert!(l.config.global.dynamic_interfaces, "dynamic_interfaces itself is used");
}

/// keepalived 2.2.7 has these for instances only, and no `nodad` VIP option (only `-nodad`).
#[test]
fn instance_only_notifies_in_a_sync_group_and_nodad_are_unknown() {
    let text = format!(
        "{}vrrp_sync_group G {{\n group {{\n  VI_1\n }}\n notify_deleted\n notify_master_rx_lower_pri /bin/true\n}}\n",
        inst(" interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 10.0.0.1 nodad\n }\n")
    );
    let l = load(&text);
    expect(&l, "Unknown configuration entry 'nodad' for ip address - ignoring", 5, 11, Effect::Corrected);
    expect(&l, "Unknown keyword 'notify_deleted' in vrrp_sync_group", 12, 2, Effect::Corrected);
    expect(&l, "Unknown keyword 'notify_master_rx_lower_pri' in vrrp_sync_group", 13, 2, Effect::Corrected);
    assert_eq!(l.diagnostics.list.iter().filter(|d| d.effect == Effect::Corrected).count(), 3);
    assert_eq!(l.config.sync_groups[0].notify, Notifies::default());
    assert_eq!(l.config.instances[0].vips[0].flags, Vec::<String>::new(), "the address itself is kept");
}

/// static_ipaddress / static_routes / static_rules take the virtual_* line syntax; an address
/// without `dev` goes on default_interface (keepalived: eth0 when unset); garp_group gathers
/// its intervals and interfaces. None of it is reported as not implemented any more.
#[test]
fn static_blocks_and_garp_groups_load_without_warnings() {
    let text = format!(
        "static_ipaddress {{\n 10.9.9.1/24 dev eth1\n 10.9.9.2/32 no_track\n}}\n\
         static_routes {{\n 10.50.0.0/16 via 10.9.9.254 dev eth1\n}}\n\
         static_rules {{\n from 10.9.9.0/24 table 100 priority 1000\n}}\n\
         garp_group {{\n garp_interval 0.5\n gna_interval 0.25\n interface eth0\n interfaces {{\n  eth1 veth1\n }}\n}}\n{}",
        inst(BASE)
    );
    let l = load(&text);
    no_diagnostics(&l);
    let [Static::Address(a1), Static::Address(a2), Static::Route(route), Static::Rule(rule)] = &l.config.statics[..]
    else {
        panic!("{:?}", l.config.statics)
    };
    assert_eq!(a1.dev.as_deref(), Some("eth1"));
    assert_eq!(a2.dev.as_deref(), Some("eth0"), "keepalived's default interface");
    assert!(a2.no_track);
    assert_eq!(route.via, vec!["10.9.9.254".parse::<std::net::IpAddr>().unwrap()]);
    assert_eq!((rule.table, rule.priority), (Some(100), Some(1000)));
    let g = &l.config.garp_groups[0];
    assert_eq!((g.garp_interval, g.gna_interval), (Some(SECOND / 2), Some(SECOND / 4)));
    assert_eq!(g.interfaces, ["eth0", "eth1", "veth1"]);
    // default_interface moves the address; a missing one stops the load as in keepalived.
    let l = load(&format!("global_defs {{\n default_interface veth1\n}}\n{text}"));
    assert!(matches!(&l.config.statics[1], Static::Address(v) if v.dev.as_deref() == Some("veth1")));
    let l = load(&format!("global_defs {{\n default_interface nosuch\n}}\n{text}"));
    assert!(l.is_fatal());
    expect(&l, "Static address 10.9.9.2 requires either an interface", 6, 2, Effect::Fatal);
}

#[test]
fn garp_group_misuse_is_reported() {
    let text = format!(
        "garp_group {{\n interface eth0\n}}\ngarp_group {{\n garp_interval 1\n interface eth0\n interface eth1\n}}\n\
         garp_group {{\n garp_interval 1\n interfaces {{\n  eth1 veth1\n }}\n}}\n{}",
        inst(BASE)
    );
    let l = load(&text);
    expect(&l, "garp group 1 does not have any delay set - removing", 1, 1, Effect::Corrected);
    expect(&l, "garp_group already specified for eth1 - ignoring", 12, 3, Effect::Corrected);
    let groups = &l.config.garp_groups;
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].interfaces, ["eth0", "eth1"]);
    assert_eq!(groups[1].interfaces, ["veth1"]);
    // A static route's track_group is ignored, the route kept.
    let l = load(&format!("static_routes {{\n 10.50.0.0/16 dev eth0 track_group G\n}}\n{}", inst(BASE)));
    expect(&l, "'track_group' of a static entry is not implemented by vrrpd", 2, 24, Effect::Corrected);
    assert!(matches!(&l.config.statics[..], [Static::Route(_)]));
    // Whatever order the blocks are written in: addresses, routes, rules (keepalived's lists).
    let l = load(&format!(
        "static_rules {{\n from 10.9.9.0/24 table 100\n}}\nstatic_ipaddress {{\n 10.9.9.1/24 dev eth0\n}}\n\
         static_routes {{\n 10.50.0.0/16 dev eth0\n}}\nstatic_ipaddress {{\n 10.9.9.2/24 dev eth0\n}}\n{}",
        inst(BASE)
    ));
    let kinds: Vec<u8> = l.config.statics.iter().map(Static::kind).collect();
    assert_eq!(kinds, [0, 0, 1, 2]);
    assert!(matches!(&l.config.statics[1], Static::Address(v) if v.addr.to_string() == "10.9.9.2"));
}

#[test]
fn dump_file_paths_json_version_and_delay_after_boot_are_read() {
    // keepalived 2.3.3 / 2.2.8 / 2.4: kept as written; a bad json_version is refused.
    let g = " state_dump_file /run/ka/\n stats_dump_file st.txt\n json_dump_file /run/ka/x.json\n json_version 2\n vrrp_delay_after_boot 90.5\n";
    let l = load(&format!("global_defs {{\n{g}}}\n{VI}"));
    no_diagnostics(&l);
    let gd = &l.config.global;
    assert_eq!(gd.state_dump_file.as_deref(), Some("/run/ka/"));
    assert_eq!(gd.stats_dump_file.as_deref(), Some("st.txt"));
    assert_eq!(gd.json_dump_file.as_deref(), Some("/run/ka/x.json"));
    assert_eq!((gd.json_version, gd.delay_after_boot), (2, 90_500_000));
    let l = load(&format!("global_defs {{\n json_version 3\n state_dump_file \"\"\n}}\n{VI}"));
    assert_eq!(l.config.global.json_version, 1);
    diag(&l, "json_version");
    diag(&l, "a dump file requires a non-empty path - ignoring");
    assert_eq!(l.config.global.state_dump_file, None);
    // keepalived's man page spells them *_file_location, but its parser does not know them.
    let l = load(&format!("global_defs {{\n state_file_location /run/ka/\n}}\n{VI}"));
    diag(&l, "Unknown keyword 'state_file_location'");
}

#[test]
fn owner_ignore_adverts_is_for_the_owner_and_no_vips_not_for_strict_mode() {
    // keepalived 2.3.3 vrrp_complete_instance(): only an owner ignores adverts.
    let l = load(&inst(&format!(" priority 100\n owner_ignore_adverts\n{BASE}")));
    diag(&l, "(VI_1) ignoring owner_ignore_adverts since priority is not 255");
    assert!(!l.config.instances[0].owner_ignore_adverts);
    let global = |g: &str, body: &str| load(&format!("global_defs {{\n{g}\n}}\n{}", inst(&format!("{body}{BASE}"))));
    assert!(!global(" vrrp_owner_ignore_adverts", " priority 100\n").config.instances[0].owner_ignore_adverts);
    assert!(global(" vrrp_owner_ignore_adverts", " priority 255\n").config.instances[0].owner_ignore_adverts);
    assert!(global("", " priority 255\n strict_mode\n").config.instances[0].owner_ignore_adverts);
    let l = global("", " priority 255\n strict_mode\n owner_ignore_adverts false\n");
    diag(&l, "(VI_1) strict_mode with priority 255 requires owner_ignore_adverts");
    assert!(l.config.instances[0].owner_ignore_adverts);
    // keepalived 2.2.8: strict mode clears no_virtual_ipaddress, and then a VIP is required.
    let l = load(&inst(" interface eth0\n virtual_router_id 51\n strict_mode\n no_virtual_ipaddress\n"));
    diag(&l, "(VI_1) no_virtual_ipaddress and strict mode incompatible, clearing no_virtual_ipaddress");
    assert!(l.is_fatal());
}

#[test]
fn timer_expired_backup_and_thread_timer_expired() {
    let l = load(&inst(&format!(" nopreempt\n timer_expired_backup 200\n{BASE}")));
    no_diagnostics(&l);
    assert_eq!(l.config.instances[0].timer_expired_backup, 200);
    let l = load(&inst(&format!(" nopreempt\n thread_timer_expired\n{BASE}")));
    diag(&l, "thread_timer_expired - please replace with keyword 'timer_expired_backup'");
    assert_eq!(l.config.instances[0].timer_expired_backup, 254);
    let l = load(&inst(&format!(" nopreempt\n timer_expired_backup 255\n{BASE}")));
    assert_eq!(l.config.instances[0].timer_expired_backup, 0);
    diag(&l, "timer_expired_backup");
}

/// `use_vmac`: keepalived's names (create_vmac_name()), the RFC 5798 §7.3 MACs, the instance
/// moved onto its VMAC, and the keywords accepted without a "not implemented" warning.
#[test]
fn use_vmac_names_macs_and_interfaces() {
    let six = " interface eth0\n virtual_router_id 51\n use_vmac\n virtual_ipaddress {\n fd00::1/64\n }\n";
    let text = format!(
        "{}vrrp_instance V6 {{\n{six}}}\n",
        inst(&format!("{BASE} use_vmac\n vmac_xmit_base\n use_vmac_addr\n"))
    );
    let l = load(&text);
    no_diagnostics(&l);
    let (a, b) = (&l.config.instances[0], &l.config.instances[1]);
    let va = a.vmac.as_ref().unwrap();
    assert_eq!((va.name.as_str(), va.base.as_str(), va.mac), ("vrrp.51", "eth0", [0, 0, 0x5e, 0, 1, 51]));
    assert!(va.xmit_base && va.addr && !va.mac_specified);
    assert_eq!((a.interface.as_deref(), a.advert_interface()), (Some("vrrp.51"), Some("eth0")));
    // The same VRID for IPv6: vrrp.51 is taken, so vrrp6.51, with the IPv6 VMAC.
    let vb = b.vmac.as_ref().unwrap();
    assert_eq!((vb.name.as_str(), vb.mac), ("vrrp6.51", [0, 0, 0x5e, 0, 2, 51]));
    assert_eq!(b.advert_interface(), Some("vrrp6.51"));
}

#[test]
fn use_vmac_written_name_mac_and_corrections() {
    // A written name and a five-octet MAC (the VRID is the sixth).
    let l = load(&inst(&format!("{BASE} use_vmac vm1 02:11:22:33:44\n")));
    no_diagnostics(&l);
    let v = l.config.instances[0].vmac.clone().unwrap();
    assert_eq!((v.name.as_str(), v.mac, v.mac_specified), ("vm1", [2, 0x11, 0x22, 0x33, 0x44, 51], true));
    // An interface of that name that is not a VMAC: the name is ignored.
    let l = load(&inst(&format!("{BASE} use_vmac veth1\n")));
    diag(&l, "VMAC interface name veth1 already exists as a non VMAC interface. ignoring configured name");
    assert_eq!(l.config.instances[0].interface.as_deref(), Some("vrrp.51"));
    // A multicast MAC and an RFC one are refused.
    let l = load(&inst(&format!("{BASE} use_vmac 01:00:5e:00:00:01\n")));
    diag(&l, "VMAC MAC address is multicast 01:00:5e:00:00:01 - ignoring");
    let l = load(&inst(&format!("{BASE} use_vmac 00:00:5e:00:01:07\n")));
    diag(&l, "VMAC MAC address not allowed to be RFC5798 address");
    assert_eq!(l.config.instances[0].vmac.as_ref().unwrap().mac, [0, 0, 0x5e, 0, 1, 51]);
    // Strict mode clears vmac_xmit_base.
    let l = load(&inst(&format!("{BASE} use_vmac\n vmac_xmit_base\n strict_mode\n")));
    diag(&l, "(VI_1) xmit_base is incompatible with strict mode - resetting");
    assert!(!l.config.instances[0].vmac.as_ref().unwrap().xmit_base);
    // use_vmac_addr: the VIP on eth1 goes on a VMAC of eth1 (vrrp1.51, the same MAC); a
    // `use_vmac` VIP of an instance without use_vmac gets one on the instance's interface.
    let body = " interface eth0\n virtual_router_id 51\n use_vmac\n use_vmac_addr\n virtual_ipaddress {\n 10.0.0.1\n 10.0.1.1 dev eth1\n 10.0.1.2 dev eth1\n }\n";
    let l = load(&format!("{}vrrp_instance V2 {{\n interface eth0\n virtual_router_id 52\n virtual_ipaddress {{\n 10.0.2.1 use_vmac\n }}\n}}\n", inst(body)));
    no_diagnostics(&l);
    let (a, b) = (&l.config.instances[0], &l.config.instances[1]);
    let devs: Vec<Option<&str>> = a.vips.iter().map(|v| v.dev.as_deref()).collect();
    assert_eq!(devs, [None, Some("vrrp1.51"), Some("vrrp1.51")]);
    assert_eq!(a.addr_vmacs.len(), 1, "one VMAC for both");
    assert_eq!((a.addr_vmacs[0].base.as_str(), a.addr_vmacs[0].mac), ("eth1", [0, 0, 0x5e, 0, 1, 51]));
    assert_eq!((b.interface.as_deref(), b.vips[0].dev.as_deref()), (Some("eth0"), Some("vrrp.52")));
    // use_vmac on a VIP of a VMAC instance, and `dev` naming its base: already on the VMAC.
    let body = " interface eth0\n virtual_router_id 51\n use_vmac\n virtual_ipaddress {\n 10.0.0.2 use_vmac\n 10.0.0.3 dev eth0\n }\n";
    let l = load(&inst(body));
    let i = &l.config.instances[0];
    assert!(i.addr_vmacs.is_empty() && i.vips.iter().all(|v| v.dev.is_none()), "{:?}", i.vips);
    // vmac_prefix and vmac_addr_prefix.
    let body =
        " interface eth0\n virtual_router_id 51\n use_vmac\n virtual_ipaddress {\n 10.0.0.1\n 10.0.1.1 dev eth1\n }\n";
    let l = load(&format!(
        "global_defs {{\n vmac_prefix vr\n vmac_addr_prefix va\n}}\n{}",
        inst(body).replace("use_vmac\n", "use_vmac\n use_vmac_addr\n")
    ));
    no_diagnostics(&l);
    let i = &l.config.instances[0];
    assert_eq!(i.interface.as_deref(), Some("vr.51"));
    assert_eq!(i.vips[1].dev.as_deref(), Some("va.51"), "vmac_addr_prefix");
    // A VIP of the other family stays on the base interface.
    let body = " interface eth0\n virtual_router_id 51\n use_vmac\n virtual_ipaddress {\n 10.0.0.1\n }\n virtual_ipaddress_excluded {\n fd00::1/64\n }\n";
    let l = load(&inst(body));
    let i = &l.config.instances[0];
    assert_eq!((i.vips[0].dev.as_deref(), i.excluded_vips[0].dev.as_deref()), (None, Some("eth0")));
}

/// keepalived vrrp_parser.c vrrp_tprocess_*: defaults (quorum 1, no maximum, weight 0),
/// arguments after the name imply `param_match` exact and `full_command`, `delay` sets both
/// delays, quorum checked against quorum_max in the order written; the references of an
/// instance and a sync group take the block's weight unless they give one.
#[test]
fn vrrp_track_process_block_and_references() {
    let text = format!(
        "vrrp_track_process web {{\n process nginx\n weight -20 reverse\n}}\n\
         vrrp_track_process db {{\n process /usr/sbin/mysqld --defaults-file=/etc/my\n param_match initial\n quorum 2\n quorum_max 4\n delay 1.5\n fork_delay 0.25\n}}\n\
         vrrp_track_process bare {{\n process srv\n full_command\n quorum_max 0\n}}\n\
         vrrp_track_process none {{\n weight 10\n}}\n\
         vrrp_track_process bad {{\n process x\n quorum_max 3\n quorum 5\n terminate_delay 0\n param_match sideways\n}}\n{}",
        inst(&format!(" track_process {{\n  web\n  db weight 0\n  gone\n }}\n{BASE}"))
    );
    let l = load(&text);
    let p = &l.config.track_processes;
    assert_eq!(p.len(), 4, "'none' has no process and is removed");
    assert_eq!((p[0].process.as_str(), p[0].full_command, p[0].param_match), ("nginx", false, ParamMatch::None));
    assert_eq!((p[0].quorum, p[0].quorum_max, p[0].weight, p[0].weight_reverse), (1, u32::MAX, -20, true));
    assert_eq!((p[0].terminate_delay, p[0].fork_delay), (0, 0));
    assert_eq!(p[1].params, b"--defaults-file=/etc/my\0");
    assert_eq!((p[1].full_command, p[1].param_match, p[1].quorum, p[1].quorum_max), (true, ParamMatch::Initial, 2, 4));
    assert_eq!((p[1].terminate_delay, p[1].fork_delay), (1_500_000, 250_000));
    assert_eq!((p[2].full_command, p[2].param_match, p[2].quorum, p[2].quorum_max), (true, ParamMatch::None, 0, 0));
    assert_eq!((p[3].quorum, p[3].quorum_max, p[3].terminate_delay), (1, 3, 0));
    diag(&l, "track process 'none' process name not specified");
    diag(&l, "Quorum is greater than quorum_max - ignoring");
    diag(&l, "terminate_delay must be in [0.000001, 3600] - ignoring");
    diag(&l, "Invalid param_match type sideways - ignoring");
    diag(&l, "(VI_1) track process gone not found, ignoring...");
    let t = &l.config.instances[0].track_processes;
    assert_eq!((t[0].name.as_str(), t[0].weight, t[0].reverse), ("web", -20, true));
    assert_eq!((t[1].name.as_str(), t[1].weight), ("db", 0));
    assert_eq!(t.len(), 2);
    let g = load(&format!(
        "vrrp_track_process web {{\n process nginx\n}}\n{}vrrp_sync_group G {{\n group {{\n  VI_1\n }}\n track_process {{\n  web weight 5\n }}\n}}\n",
        inst(BASE)
    ));
    assert_eq!(g.config.sync_groups[0].track_processes[0].weight, 5);
    let long = load(&format!("vrrp_track_process l {{\n process a-very-long-daemon\n}}\n{VI}"));
    diag(&long, "longer than the 15 bytes the kernel keeps");
}

/// `garp_extra_if [all] DELAY` and the global `vrrp_garp_extra_if` (keepalived 2.2.7
/// vrrp_garp_extra_if_handler(), vrrp_complete_instance(), vrrp_send_vmac_update()): the
/// first VIP of each other VMAC (each other interface with `all`; the own VMAC too with
/// vmac_xmit_base), off without one; the global form is the default; keepalived's texts, -t
/// otherwise silent.
#[test]
fn garp_extra_if_values_defaults_and_interfaces() {
    let vips = |more: &str| {
        inst(&format!(
            " interface eth0\n virtual_router_id 51\n use_vmac\n{more} virtual_ipaddress {{\n 10.0.0.1\n 10.1.0.1 dev eth1 use_vmac\n 10.1.0.2 dev eth1 use_vmac\n 10.2.0.1 dev enp0s3\n 10.2.0.2 dev enp0s3\n }}\n"
        ))
    };
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    let l = load(&vips(" garp_extra_if all 7\n"));
    no_diagnostics(&l);
    let i = &l.config.instances[0];
    assert_eq!((i.garp.extra_if, i.garp.extra_if_all), (7 * SECOND, true));
    assert_eq!(i.extra_if_garps(), [ip("10.1.0.1"), ip("10.2.0.1")]);
    let l = load(&vips(" garp_extra_if 7\n vmac_xmit_base\n"));
    no_diagnostics(&l);
    let i = &l.config.instances[0];
    assert_eq!((i.garp.extra_if, i.garp.extra_if_all), (7 * SECOND, false));
    assert_eq!(i.extra_if_garps(), [ip("10.0.0.1"), ip("10.1.0.1")], "xmit_base: the own VMAC too");
    // No other VMAC and no `all`: off (keepalived disables vmac_garp_intvl).
    let plain = format!("{BASE} garp_extra_if 7\n");
    assert_eq!(load(&inst(&plain)).config.instances[0].garp.extra_if, 0);
    // The global form is the default; an instance's own `garp_extra_if 0` turns it off.
    let global = "global_defs {\n vrrp_garp_extra_if all 3\n}\n".to_string();
    let l = load(&(global.clone() + &vips("")));
    no_diagnostics(&l);
    assert_eq!((l.config.instances[0].garp.extra_if, l.config.instances[0].garp.extra_if_all), (3 * SECOND, true));
    assert_eq!(load(&(global + &vips(" garp_extra_if 0\n"))).config.instances[0].garp.extra_if, 0);
    let l = load(&format!(
        "global_defs {{\n vrrp_garp_extra_if 0\n vrrp_garp_extra_if all\n}}\n{}",
        vips(" garp_extra_if all\n garp_extra_if x\n garp_extra_if 86401\n")
    ));
    expect(&l, "vrrp_garp_extra_if '0' invalid - ignoring", 2, 21, Effect::Corrected);
    diag(&l, "vrrp_garp_extra_if specified without time - ignoring");
    diag(&l, "(VI_1): garp_extra_if specified without time - ignoring");
    diag(&l, "(VI_1): garp_extra_if 'x' invalid - ignoring");
    diag(&l, "(VI_1): garp_extra_if '86401' invalid - ignoring");
    assert_eq!(l.config.instances[0].garp.extra_if, 0);
}
