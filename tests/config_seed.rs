//! The seed's two configs, byte for byte (U+00A0 included), load as their plain-space twins.
mod common;
use common::*;
use vrrpd::config::{dump::dump, model::*, Effect, StaticHost};

fn plain(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap().replace('\u{a0}', " ")
}

#[test]
fn seed_files_are_byte_for_byte_with_no_break_spaces() {
    let m = std::fs::read(data("master.conf")).unwrap();
    let b = std::fs::read(data("backup.conf")).unwrap();
    let count = |v: &[u8]| v.windows(2).filter(|w| w == &[0xc2, 0xa0]).count();
    assert_eq!((count(&m), count(&b)), (30, 33));
}

#[test]
fn master_conf_loads_with_one_whitespace_warning_naming_the_first_line() {
    let l = load_file(&data("master.conf"));
    expect(&l, "U+00A0 NO-BREAK SPACE treated as a space (30 times in this file)", 4, 1, Effect::Note);
    let rendered = l.sources.render(diag(&l, "U+00A0"), false);
    assert!(
        rendered
            .ends_with("master.conf:4:1: warning: U+00A0 NO-BREAK SPACE treated as a space (30 times in this file)"),
        "{rendered}"
    );
    let i = &l.config.instances[0];
    assert_eq!((i.name.as_str(), i.vrid, i.priority, i.advert_int), ("VI_1", 51, 101, 2 * SECOND));
    assert_eq!(i.initial_state, InitialState::Master);
    assert_eq!(i.interface.as_deref(), Some("enp0s3"));
    assert_eq!(i.auth, Auth::Pass(*b"1111\0\0\0\0"));
    assert_eq!(i.vips.len(), 1);
    assert_eq!(i.vips[0].addr.to_string(), "192.168.31.240");
    assert_eq!(
        i.track_scripts,
        vec![TrackRef { name: "chk_nginx".into(), weight: -5, reverse: false, loc: i.track_scripts[0].loc }]
    );
    let s = &l.config.scripts[0];
    assert_eq!((s.interval, s.timeout, s.weight, s.rise, s.fall), (2 * SECOND, 2 * SECOND, -5, 1, 1));
    assert_eq!(l.config.global.router_id.as_deref(), Some("LVS_DEVEL"));
}

#[test]
fn backup_conf_first_no_break_space_is_on_line_2() {
    let l = load_file(&data("backup.conf"));
    expect(&l, "U+00A0 NO-BREAK SPACE treated as a space (33 times in this file)", 2, 12, Effect::Note);
    let i = &l.config.instances[0];
    assert_eq!((i.priority, i.initial_state), (100, InitialState::Backup));
}

#[test]
fn dump_and_status_equal_the_plain_space_twins() {
    for name in ["master.conf", "backup.conf"] {
        let odd = load_file(&data(name));
        let twin = load_as(name, &plain(name), "r1");
        assert_eq!(dump(&odd.config), dump(&twin.config), "{name}");
        assert_eq!(odd.config_test_status(), twin.config_test_status(), "{name}");
        // Only the white-space note tells them apart.
        let without_note: Vec<_> = odd
            .diagnostics
            .list
            .iter()
            .filter(|d| !d.message.contains("U+00A0"))
            .map(|d| (&d.message, d.effect))
            .collect();
        let twin_list: Vec<_> = twin.diagnostics.list.iter().map(|d| (&d.message, d.effect)).collect();
        assert_eq!(without_note, twin_list, "{name}");
    }
}

#[test]
fn status_is_6_with_the_script_present_and_5_without() {
    // The helper host has /etc/keepalived/check_nginx.sh: scripts without script security.
    let l = load_file(&data("master.conf"));
    assert_eq!(l.config_test_status(), 6);
    diag(&l, "SECURITY VIOLATION - scripts are being executed but script_security not enabled.");

    let bare = StaticHost::with_interfaces(&["enp0s3"]);
    let opts = vrrpd::config::LoadOptions { config_id: "x".into(), all_config: false };
    let l = vrrpd::config::load(&data("master.conf"), &opts, &bare).unwrap();
    assert_eq!(l.config_test_status(), 5);
    expect(&l, "Cannot find script '/etc/keepalived/check_nginx.sh' - disabling", 9, 10, Effect::Corrected);
    expect(&l, "track_script chk_nginx is disabled", 41, 3, Effect::Corrected);
    assert!(l.config.scripts.is_empty() && l.config.instances[0].track_scripts.is_empty());
}

#[test]
fn seed_without_its_interface_cannot_run() {
    let none = StaticHost::default();
    let opts = vrrpd::config::LoadOptions::default();
    let l = vrrpd::config::load(&data("backup.conf"), &opts, &none).unwrap();
    assert!(l.is_fatal());
    // The missing check script is reported too, and an error outranks a fatal one in
    // keepalived's -t status (keepalived -t on this file, without enp0s3, also exits 5).
    assert_eq!(l.config_test_status(), 5);
    expect(&l, "interface enp0s3 for vrrp instance doesn't exist", 20, 2, Effect::Fatal);
}
