//! One test per syntax rule of keepalived's config language (reference/keepalived.md §2),
//! each asserting what was read and where any diagnostic points.
mod common;
use common::*;
use vrrpd::config::{dump::dump, model::*, Effect};

#[test]
fn comments_hash_and_bang_but_not_inside_quotes() {
    let l = load(
        "# full line\n! also\nvrrp_script s { # trailing\n script \"/bin/true #not ! a comment\" ! trailing\n}\n\
         global_defs {\n router_id a\\#b # real comment\n}\n",
    );
    no_diagnostics_but_security(&l);
    assert_eq!(l.config.scripts[0].command.argv, ["/bin/true", "#not", "!", "a", "comment"]);
    assert_eq!(l.config.global.router_id.as_deref(), Some("a#b"));
}

fn no_diagnostics_but_security(l: &vrrpd::config::Loaded) {
    let other: Vec<_> = l.diagnostics.list.iter().filter(|d| d.effect != Effect::Insecure).collect();
    assert!(other.is_empty(), "{other:#?}");
}

#[test]
fn braces_same_line_next_line_and_one_line_blocks_are_equivalent() {
    let a = load(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  10.0.0.1/24\n }\n}\n",
    );
    let b = load(
        "vrrp_instance VI_1\n{\n interface eth0\n virtual_router_id 51\n virtual_ipaddress\n {\n  10.0.0.1/24\n }\n}\n",
    );
    let c = load("vrrp_instance VI_1 { interface eth0\n virtual_router_id 51\n virtual_ipaddress { 10.0.0.1/24 } }\n");
    let d = load("vrrp_instance VI_1{interface eth0\nvirtual_router_id 51\nvirtual_ipaddress{10.0.0.1/24}}");
    for l in [&a, &b, &c, &d] {
        no_diagnostics(l);
        assert_eq!(l.config.instances[0].vips[0].prefix, 24);
    }
    assert_eq!(dump(&a.config), dump(&b.config));
    assert_eq!(dump(&a.config), dump(&c.config));
    assert_eq!(dump(&a.config), dump(&d.config));
}

#[test]
fn one_line_global_defs() {
    let l = load("global_defs { router_id R1 }\n");
    no_diagnostics(&l);
    assert_eq!(l.config.global.router_id.as_deref(), Some("R1"));
}

#[test]
fn quoted_tokens_group_words_and_keep_braces() {
    let l = load("global_defs {\n router_id \"my router {1}\"\n}\n");
    no_diagnostics(&l);
    assert_eq!(l.config.global.router_id.as_deref(), Some("my router {1}"));
}

#[test]
fn unmatched_quote_is_reported_where_it_opens() {
    let l = load("global_defs {\n router_id \"abc\n}\n");
    expect(&l, "Unmatched quote", 2, 12, Effect::Corrected);
}

#[test]
fn script_strings_split_into_argv_without_a_shell() {
    let l = load(
        "vrrp_script a {\n script \"/bin/true 'two words' x\\ty\"\n}\n\
         vrrp_script b {\n script /bin/true plain args\n}\n\
         vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n\
         notify_master \"/usr/local/bin/notify.sh master now\" nobody nogroup\n notify /usr/local/bin/notify.sh root:wheel\n}\n",
    );
    // keepalived 2.2.7 -d shows `script /bin/true plain args` as Command = '/usr/bin/true': an
    // unquoted command is its first word. vrrpd says so (-t 5 where keepalived exits 0).
    expect(
        &l,
        "extra argument(s) 'plain args' for 'script' - ignoring (keepalived runs the first word only; quote the whole command line)",
        5,
        19,
        Effect::Corrected,
    );
    assert_eq!(l.diagnostics.list.iter().filter(|d| d.effect != Effect::Insecure).count(), 1);
    // The tab escape is decoded by the first reading, so the second splits there.
    assert_eq!(l.config.scripts[0].command.argv, ["/bin/true", "two words", "x", "y"]);
    assert_eq!(l.config.scripts[1].command.argv, ["/bin/true"]);
    let n = &l.config.instances[0].notify;
    let m = n.master.as_ref().unwrap();
    assert_eq!(m.argv, ["/usr/local/bin/notify.sh", "master", "now"]);
    assert_eq!(m.run_as, Some(RunAs { user: "nobody".into(), group: Some("nogroup".into()) }));
    assert_eq!(m.ids, Some((65534, 65534)), "resolved at load time");
    let g = n.generic.as_ref().unwrap();
    assert_eq!(g.run_as, Some(RunAs { user: "root".into(), group: Some("wheel".into()) }));
    assert_eq!(g.ids, Some((0, 10)));
}

/// What keepalived 2.2.7 runs for each `script` line, from its -d dump ("Command = ...") in a
/// throw-away namespace; /bin resolves to /usr/bin there, which is left out here.
#[test]
fn script_strings_split_as_keepalived_splits_them() {
    let cases: &[(&str, &[&str])] = &[
        ("'killall -0 haproxy'", &["killall", "-0", "haproxy"]),
        (r#""/bin/echo \"a b\" c\\ d""#, &["/bin/echo", "a b", "c d"]),
        (r#""/bin/sh -c 'pidof nginx || exit 1'""#, &["/bin/sh", "-c", "pidof nginx || exit 1"]),
        (r#"'/bin/echo \'x   y\' "p  q"'"#, &["/bin/echo", "x   y", "p  q"]),
        (r#""/bin/echo 'it''s' \x41\101 tab\tX""#, &["/bin/echo", "its", "AA", "tab", "X"]),
        (r#"'/bin/echo "a b"'"#, &["/bin/echo", "a b"]),
        (r"/bin/echo\ x", &["/bin/echo", "x"]),
    ];
    for (script, argv) in cases {
        let text = format!(
            "vrrp_script s {{\n script {script}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {{\n 10.0.0.1\n }}\n}}\n"
        );
        let mut h = host();
        h.everything_exists = true;
        let opts = vrrpd::config::LoadOptions { config_id: "r1".into(), all_config: false };
        let l = vrrpd::config::load_bytes(std::path::Path::new("t.conf"), text.into_bytes(), &opts, &h);
        no_diagnostics_but_security(&l);
        assert_eq!(l.config.scripts[0].command.argv, *argv, "script {script}");
    }
}

#[test]
fn notify_user_and_group_follow_a_single_quoted_script() {
    let l = load(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n\
         notify_master '/usr/local/bin/notify.sh m  x' nobody nogroup\n}\n",
    );
    no_diagnostics_but_security(&l);
    let m = l.config.instances[0].notify.master.as_ref().unwrap();
    assert_eq!(m.argv, ["/usr/local/bin/notify.sh", "m", "x"]);
    assert_eq!(m.run_as, Some(RunAs { user: "nobody".into(), group: Some("nogroup".into()) }));
}

#[test]
fn broken_script_strings_are_ignored() {
    let l = load("vrrp_script s {\n script '/bin/true\n}\n");
    expect(&l, "script: String ''/bin/true': missing terminating ' - ignoring", 2, 9, Effect::Corrected);
    let l = load("vrrp_script s {\n script \"'/bin/true\"\n}\n");
    diag(&l, "script: String '\"'/bin/true\"': missing terminating '");
    let l = load("vrrp_script s {\n script \"\"\n}\n");
    diag(&l, "script: empty script command - ignoring");
}

#[test]
fn include_with_glob_relative_to_the_including_file() {
    let t = TempDir::new("inc");
    t.write(
        "sub/b.conf",
        "vrrp_instance VI_B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n",
    );
    t.write(
        "sub/a.conf",
        "vrrp_instance VI_A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
    );
    t.write("sub/skip.txt", "garbage {{{");
    t.write("sub/more/c.conf", "global_defs {\n router_id from_c\n}\n");
    let main = t.write("main.conf", "include sub/*.conf\ninclude \"sub/{more,none}/c.conf\"\n");
    let l = load_file(&main);
    // keepalived 2.2.7 logs this for a plain include and exits 0.
    let d = diag(&l, "Some config files missing: \"sub/{more,none}/c.conf\".");
    assert_eq!(d.effect, Effect::Note);
    assert_eq!(l.diagnostics.list.len(), 1);
    let names: Vec<_> = l.config.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["VI_A", "VI_B"], "glob results are sorted");
    assert_eq!(l.config.global.router_id.as_deref(), Some("from_c"));
}

#[test]
fn include_inside_a_block_and_missing_include() {
    let t = TempDir::new("incblk");
    t.write("vips.conf", "10.0.0.7\n10.0.0.8\n");
    let main = t.write(
        "main.conf",
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  include vips.conf\n }\n}\ninclude nothing-*.conf\n",
    );
    let l = load_file(&main);
    assert_eq!(l.config.instances[0].vips.len(), 2);
    expect(&l, "No config files matched 'nothing-*.conf'.", 8, 1, Effect::Corrected);
    // -e makes it a configuration file error (keepalived -e -t: "No config files matched", 6).
    let opts = vrrpd::config::LoadOptions { config_id: "r1".into(), all_config: true };
    let l = vrrpd::config::load(&main, &opts, &host()).unwrap();
    assert_eq!(diag(&l, "No config files matched 'nothing-*.conf'. (-e/--all-config").effect, Effect::Fatal);
    assert_eq!((l.is_fatal(), l.config_test_status()), (true, 6));
}

/// keepalived 2.2.7's include letters, measured with `keepalived -t` on `KEYWORD PATTERN`
/// followed by a valid instance: which patterns make a configuration file error (exit 6, the
/// daemon does not start). Without the check keepalived only logs the same message (exit 0).
#[test]
fn include_variants_check_as_keepalived_does() {
    let t = TempDir::new("incvar");
    t.write("inc/exists.conf", "global_defs {\n router_id from_include\n}\n");
    std::fs::create_dir_all(t.0.join("inc/sub")).unwrap();
    let exec = t.write("inc/exec.conf", "global_defs {\n router_id exec\n}\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exec, std::fs::Permissions::from_mode(0o755)).unwrap();
    let d = t.0.join("inc");
    let d = d.display();
    // (pattern, keepalived's message, the letters for which it is an error)
    let cases: Vec<(String, String, &str)> = vec![
        (format!("{d}/missing.conf"), format!("Config files missing '{d}/missing.conf'."), "mwa"),
        (format!("{d}/*.nomatch"), format!("No config files matched '{d}/*.nomatch'."), "wa"),
        (format!("{d}/nodir/*.conf"), format!("Config files missing '{d}/nodir/*.conf'."), "mwa"),
        (
            format!("{d}/{{exists,missing}}.conf"),
            format!("Some config files missing: \"{d}/{{exists,missing}}.conf\"."),
            "ba",
        ),
        (format!("{d}/sub"), format!("Configuration file '{d}/sub/' is a directory - skipping"), "rmwba"),
        (
            format!("{d}/exec.conf"),
            format!("Configuration file '{d}/exec.conf' is not a regular non-executable file - skipping"),
            "rmwba",
        ),
    ];
    for (pattern, message, errors_for) in &cases {
        for letter in ["", "r", "m", "w", "b", "a"] {
            let main = t.write("main.conf", &format!("include{letter} {pattern}\n{VI}"));
            let l = load_file(&main);
            let what = format!("include{letter} {pattern}");
            let hits: Vec<_> = l.diagnostics.list.iter().filter(|x| x.message.starts_with(message.as_str())).collect();
            // keepalived says nothing for a wildcard matching nothing unless 'w' checks it;
            // vrrpd reports it as an include that read nothing.
            assert_eq!(hits.len(), 1, "{what}: {:#?}", l.diagnostics.list);
            let error = !letter.is_empty() && errors_for.contains(letter);
            assert_eq!(l.diagnostics.file_error, error, "{what}");
            assert_eq!(hits[0].effect == Effect::Fatal, error, "{what}");
            if error {
                assert!(l.is_fatal(), "{what}: the daemon does not start");
                assert_eq!(l.config_test_status(), 6, "{what}");
                let why = format!("(include{letter}: ");
                assert!(hits[0].message.contains(&why), "{what}: {}", hits[0].message);
            } else {
                assert!(!l.is_fatal(), "{what}");
                assert_ne!(l.config_test_status(), 6, "{what}");
            }
        }
    }
    // includeb skips the whole pattern when an alternative is missing; include reads the rest.
    let main = t.write("main.conf", &format!("include {d}/{{exists,missing}}.conf\n{VI}"));
    assert_eq!(load_file(&main).config.global.router_id.as_deref(), Some("from_include"));
    let main = t.write("main.conf", &format!("includeb {d}/{{exists,missing}}.conf\n{VI}"));
    assert_eq!(load_file(&main).config.global.router_id, None);
    // keepalived skips an executable file even for a plain include.
    let main = t.write("main.conf", &format!("include {d}/exec.conf\n{VI}"));
    assert_eq!(load_file(&main).config.global.router_id, None);
    // A file error wins over an unknown keyword (keepalived -t: includem missing + junk: 6).
    let main = t.write("main.conf", &format!("includem {d}/missing.conf\njunkword\n{VI}"));
    assert_eq!(load_file(&main).config_test_status(), 6);
    // Other letters are not include: 'includex' is an unknown keyword, as in keepalived.
    let main = t.write("main.conf", &format!("includex {d}/missing.conf\n{VI}"));
    let l = load_file(&main);
    diag(&l, "Unknown keyword 'includex'");
    assert_eq!(l.config_test_status(), 5);
}

#[test]
fn include_loops_are_detected() {
    let t = TempDir::new("loop");
    t.write("a.conf", "include b.conf\nglobal_defs {\n router_id a\n}\n");
    t.write("b.conf", "include a.conf\n");
    let l = load_file(&t.0.join("a.conf"));
    let d = diag(&l, "include loop");
    assert_eq!((d.loc.unwrap().line, d.loc.unwrap().col, d.effect), (1, 1, Effect::Corrected));
    assert!(l.sources.path(d.loc.unwrap().file).ends_with("b.conf"));
    assert_eq!(l.config.global.router_id.as_deref(), Some("a"));
    let t2 = TempDir::new("self");
    let s = t2.write("s.conf", "include s.conf\n");
    diag(&load_file(&s), "include loop");
}

#[test]
fn conditional_lines_follow_the_config_id() {
    let text = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n@r1 priority 150\n@r2 priority 100\n@^r1 nopreempt\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n";
    let r1 = load_as("t.conf", text, "r1");
    let r2 = load_as("t.conf", text, "r2");
    no_diagnostics(&r1);
    no_diagnostics(&r2);
    assert_eq!((r1.config.instances[0].priority, r1.config.instances[0].nopreempt), (150, false));
    assert_eq!((r2.config.instances[0].priority, r2.config.instances[0].nopreempt), (100, true));
}

#[test]
fn parameters_simple_braced_recursive_and_multiline() {
    let text = "$IF=eth0\n$VRID=5\n$PRIO=${BASE}0\n$BASE=15\n\
                $VIPS=10.0.0.1 \\\n 10.0.0.2 \\\n 10.0.0.3\n\
                vrrp_instance VI_$VRID {\n interface $IF\n virtual_router_id ${VRID}\n priority $PRIO\n virtual_ipaddress {\n$VIPS\n }\n}\n";
    let l = load(text);
    no_diagnostics(&l);
    let i = &l.config.instances[0];
    assert_eq!((i.name.as_str(), i.vrid, i.priority, i.vips.len()), ("VI_5", 5, 150, 3));
}

#[test]
fn undefined_parameters_stay_and_builtins_expand() {
    let l = load("global_defs {\n router_id $NOPE${_HASH}x\n}\n");
    no_diagnostics(&l);
    assert_eq!(l.config.global.router_id.as_deref(), Some("$NOPE#x"));
}

#[test]
fn recursive_parameters_are_bounded() {
    let l = load("$A=$A$A\nglobal_defs {\n router_id $A\n}\n");
    expect(&l, "parameter expansion deeper than", 3, 2, Effect::Corrected);
    let l = load("$A=$B$B$B$B$B$B$B$B\n$B=$C$C$C$C$C$C$C$C\n$C=$D$D$D$D$D$D$D$D\n$D=$E$E$E$E$E$E$E$E\n$E=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nglobal_defs {\n router_id $A\n}\n");
    expect(&l, "after parameter expansion", 7, 2, Effect::Corrected);
}

#[test]
fn seq_and_lst_are_refused_at_their_location() {
    let l = load("global_defs {\n  ~SEQ(i,1,1,3) router_id r$i\n}\n");
    expect(&l, "~SEQ line repetition is not supported", 2, 3, Effect::Fatal);
    let l = load("~LST(x,a,b) global_defs { router_id $x }\n");
    expect(&l, "~LST line repetition is not supported", 1, 1, Effect::Fatal);
}

#[test]
fn crlf_bom_and_tabs() {
    let text = "\u{feff}vrrp_instance VI_1 {\r\n\tinterface\teth0\r\n\tvirtual_router_id 51\r\n\tvirtual_ipaddress {\r\n\t\t10.0.0.1\r\n\t}\r\n}\r\n";
    let l = load(text);
    no_diagnostics(&l);
    let i = &l.config.instances[0];
    assert_eq!((i.interface.as_deref(), i.vrid), (Some("eth0"), 51));
    assert_eq!(dump(&l.config), dump(&load(VI).config));
}

#[test]
fn unicode_white_space_is_space_with_one_warning_per_file() {
    let text = "global_defs\u{3000}{\n\u{2009}router_id\u{00a0}R1\u{202f}\n}\n";
    let l = load(text);
    expect(
        &l,
        "U+3000 IDEOGRAPHIC SPACE treated as a space (4 times in this file, also U+2009, also U+00A0, also U+202F)",
        1,
        12,
        Effect::Note,
    );
    assert_eq!(l.diagnostics.list.len(), 1);
    assert_eq!(l.config.global.router_id.as_deref(), Some("R1"));
    assert_eq!(l.config_test_status(), 0, "white space changes nothing");
}

#[test]
fn unknown_keywords_warn_with_location_and_parsing_goes_on() {
    let l = load("vrrp_instance VI_1 {\n interface eth0\n bogus_keyword 1 2\n virtual_router_id 51\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
    expect(&l, "Unknown keyword 'bogus_keyword' in vrrp_instance", 3, 2, Effect::Corrected);
    assert_eq!(l.config.instances[0].vrid, 51);
    assert_eq!(l.config_test_status(), 5);
}

#[test]
fn unknown_block_is_skipped_whole_unlike_keepalived() {
    // keepalived lets the inner '}' close vrrp_instance and loses the VIPs; we skip the block.
    let l = load("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n new_feature {\n  a 1\n  nested {\n   b 2\n  }\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n priority 120\n}\n");
    expect(&l, "Unknown keyword 'new_feature' in vrrp_instance - skipping its block", 4, 2, Effect::Corrected);
    assert_eq!(l.diagnostics.list.len(), 1);
    let i = &l.config.instances[0];
    assert_eq!((i.vips.len(), i.priority), (1, 120));
}

#[test]
fn unsupported_subsystems_are_skipped_whole_with_one_warning_each() {
    let text = format!(
        "global_defs {{\n notification_email {{\n  a@b\n }}\n smtp_server 1.2.3.4\n enable_snmp_vrrp\n}}\n\
         virtual_server 10.0.0.1 80 {{\n delay_loop 6\n real_server 10.0.0.2 80 {{\n  HTTP_GET {{\n   url {{\n    path /\n   }}\n  }}\n }}\n}}\n\
         virtual_server_group G {{\n 10.0.0.1 80\n}}\nbfd_instance b {{\n neighbor_ip 1.1.1.1\n}}\n{VI}"
    );
    let l = load(&text);
    let msgs = messages(&l);
    assert_eq!(msgs.len(), 6, "{msgs:#?}");
    expect(&l, "'notification_email': SMTP is not implemented by vrrpd - block skipped", 2, 2, Effect::Corrected);
    expect(&l, "'smtp_server': SMTP is not implemented by vrrpd - keyword skipped", 5, 2, Effect::Corrected);
    expect(&l, "'enable_snmp_vrrp': SNMP", 6, 2, Effect::Corrected);
    expect(&l, "'virtual_server': LVS", 8, 1, Effect::Corrected);
    expect(&l, "'virtual_server_group': LVS", 18, 1, Effect::Corrected);
    expect(&l, "'bfd_instance': BFD", 21, 1, Effect::Corrected);
    assert_eq!(l.config.instances.len(), 1);
}

#[test]
fn brace_errors() {
    let l = load("global_defs {\n router_id a\n}\n}\n");
    expect(&l, "Unexpected '}'", 4, 1, Effect::Corrected);
    let l = load("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n");
    expect(&l, "There are 2 missing '}'s", 4, 20, Effect::Corrected);
    assert_eq!(l.config.instances[0].vips.len(), 1, "closed at end of file");
    let l = load("global_defs\nrouter_id x\n");
    expect(&l, "Missing '{' at beginning of configuration block 'global_defs'", 1, 1, Effect::Corrected);
    let l = load("global_defs {\n router_id a\n {\n  x\n }\n}\n");
    expect(&l, "'router_id' does not take a block", 3, 2, Effect::Corrected);
}

#[test]
fn case_sensitive_values() {
    let l = load("vrrp_instance VI_1 {\n state master\n interface eth0\n virtual_router_id 1\n authentication {\n auth_type pass\n auth_pass x\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
    expect(&l, "(VI_1) unknown state 'master', defaulting to BACKUP", 2, 8, Effect::Corrected);
    expect(&l, "unknown authentication type 'pass'", 6, 12, Effect::Corrected);
    let i = &l.config.instances[0];
    assert_eq!((i.initial_state, i.priority, &i.auth), (InitialState::Backup, 100, &Auth::None));
}

#[test]
fn vip_line_syntax() {
    let l = load(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n\
         10.0.0.1/24 brd + dev eth1 scope link label eth1:vip no_track\n\
         10.0.0.6 10.0.0.7\n\
         10.0.0.300\n\
         }\n virtual_ipaddress_excluded {\n fe80::1/64 dev eth0 -nodad preferred_lft forever\n }\n}\n",
    );
    let i = &l.config.instances[0];
    assert_eq!(i.vips.len(), 2);
    let v = &i.vips[0];
    assert_eq!(
        (v.prefix, v.brd, v.dev.as_deref(), v.scope, v.label.as_deref(), v.no_track),
        (24, Some(Broadcast::Auto), Some("eth1"), Scope::Link, Some("eth1:vip"), true)
    );
    expect(&l, "Unknown configuration entry '10.0.0.7' for ip address - ignoring", 6, 10, Effect::Corrected);
    expect(&l, "invalid virtual address", 7, 1, Effect::Corrected);
    let e = &i.excluded_vips[0];
    assert_eq!((e.flags.clone(), e.preferred_lft), (vec!["-nodad".to_string()], Some(u32::MAX)));
}

#[test]
fn nul_bytes_and_long_lines_are_reported() {
    let mut text = String::from("global_defs {\n router_id a\0b\n");
    text.push_str(&"x".repeat(70_000));
    text.push_str("\n}\n");
    let l = load(&text);
    expect(&l, "NUL byte", 2, 13, Effect::Corrected);
    expect(&l, "line too long (70000 bytes", 3, 1, Effect::Corrected);
}

#[test]
fn builtin_parameters_expand() {
    let t = TempDir::new("builtins");
    let main =
        t.write("main.conf", "global_defs {\n router_id ${_BANG}${_INSTANCE}:${_ENV NO_SUCH_VARIABLE}:${_PWD}\n}\n");
    let l = load_file(&main);
    no_diagnostics(&l);
    let dir = std::fs::canonicalize(&t.0).unwrap_or(t.0.clone());
    let got = l.config.global.router_id.clone().unwrap();
    // `_INSTANCE` is the config id (-i), `_ENV` an environment variable (empty when unset),
    // `_PWD` the directory of the file being read.
    assert!(got == format!("!r1::{}", t.0.display()) || got == format!("!r1::{}", dir.display()), "{got}");
}

#[test]
fn env_parameters_follow_keepalived_2_4() {
    // `${_ENV NAME}` (keepalived 2.4): braces, blanks, one word; unset is empty; the value is
    // expanded again like any definition; inside quotes too (parameters are replaced before
    // the line is split into words).
    let text = "$DEF=x\nvrrp_instance VI_1 {\n interface ${_ENV KA_IFACE}\n virtual_router_id 51\n priority ${_ENV\tKA_PRIO}\n \
                virtual_ipaddress {\n 10.0.0.1\n }\n notify \"/bin/true ${_ENV KA_REF} ${_ENV UNSET_VAR}.\"\n}\n";
    let l = load(text);
    let i = &l.config.instances[0];
    assert_eq!((i.interface.as_deref(), i.priority), (Some("eth0"), 150));
    assert_eq!(i.notify.generic.as_ref().unwrap().argv, ["/bin/true", "x", "."]);
    // Not definitions, left as written: two words, a blank before the brace, other characters.
    for bad in ["${_ENV KA_IFACE KA_PRIO}", "${_ENV KA_IFACE }", "${_ENV KA-IFACE}", "${_ENV}"] {
        let l = load(&format!("global_defs {{\n router_id \"{bad}\"\n}}\n{VI}"));
        assert_eq!(l.config.global.router_id.as_deref(), Some(bad), "{bad}");
    }
}
