//! The real binary: keepalived's -t exit codes, report format, -d, --signum, option errors.
mod common;
use common::*;
use std::process::Command;

fn vrrpd(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpd")).args(args).output().expect("run vrrpd");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Instances need an existing interface; dynamic_interfaces keeps these tests independent of
/// the machine's interfaces.
const DYN: &str = "global_defs {\n dynamic_interfaces\n}\n";

#[test]
fn config_test_exit_codes_and_report_format() {
    let t = TempDir::new("cli");
    let ok = t.write("ok.conf", &format!("{DYN}{VI}"));
    let (code, out, err) = vrrpd(&["-t", "-f", ok.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("interface eth0 does not exist yet") || err.is_empty(), "{err}");

    let unknown = t.write("unknown.conf", &format!("{DYN}global_defs {{\n  frobnicate 1\n}}\n"));
    let (code, _, err) = vrrpd(&["-t", "-f", unknown.to_str().unwrap()]);
    assert_eq!(code, 5);
    assert!(
        err.contains(&format!("{}:5:3: warning: Unknown keyword 'frobnicate' in global_defs\n", unknown.display())),
        "{err}"
    );

    let fatal = t.write("fatal.conf", &format!("{DYN}vrrp_instance X {{\n interface eth0\n}}\n"));
    let (code, _, err) = vrrpd(&["--config-test", "--use-file", fatal.to_str().unwrap()]);
    assert_eq!(code, 4);
    assert!(err.contains(":4:1: error: (X) the virtual router id must be set"), "{err}");

    let scripts = t.write("scripts.conf", &format!("{DYN}vrrp_script s {{\n script /bin/sh\n}}\n"));
    assert_eq!(vrrpd(&["-t", "-f", scripts.to_str().unwrap()]).0, 6);

    let (code, _, err) = vrrpd(&["-t", "-f", t.0.join("missing.conf").to_str().unwrap()]);
    assert_eq!(code, 4);
    assert!(err.contains("missing.conf: cannot read configuration: No such file or directory"), "{err}");
}

#[test]
fn report_to_a_log_file_and_dump_to_stdout() {
    let t = TempDir::new("clilog");
    let conf = t.write("k.conf", &format!("{DYN}{VI}junk\n"));
    let log = t.0.join("report.log");
    let (code, out, err) = vrrpd(&["-d", &format!("--config-test={}", log.display()), "-f", conf.to_str().unwrap()]);
    assert_eq!(code, 5);
    assert_eq!(err, "", "the report goes to the log file");
    let report = std::fs::read_to_string(&log).unwrap();
    assert!(report.contains("warning: Unknown keyword 'junk' in the top level"), "{report}");
    assert!(out.starts_with("------< Global definitions >------\n"), "{out}");
    assert!(out.contains(" VRRP Instance = VI_1\n   Initial state = BACKUP\n   Interface = eth0\n   Virtual Router ID = 51\n   Priority = 100\n"), "{out}");
    // Stable: the same input dumps the same text.
    assert_eq!(vrrpd(&["-d", "-t", "-f", conf.to_str().unwrap()]).1, out);
}

#[test]
fn signum_version_help_and_bad_options() {
    assert_eq!(vrrpd(&["--signum=RELOAD"]).1, "1\n");
    assert_eq!(vrrpd(&["--signum", "STOP"]).1, "15\n");
    assert_eq!(vrrpd(&["--signum=DATA"]).1, "10\n");
    assert_eq!(vrrpd(&["--signum=STATS"]).1, "12\n");
    let json: i32 = vrrpd(&["--signum=JSON"]).1.trim().parse().unwrap();
    assert!(json == 36 || json == 37, "SIGRTMIN+2 is 36 on glibc, 37 on musl: {json}");
    assert_eq!(vrrpd(&["--signum=NOPE"]).0, 1);
    let (code, _, err) = vrrpd(&["-v"]);
    assert_eq!(code, 0);
    assert!(err.starts_with("vrrpd v") && err.contains("keepalived v2.2.7"), "{err}");
    let (code, _, err) = vrrpd(&["--help"]);
    assert_eq!(code, 0);
    assert!(err.contains("-t, --config-test[=LOG_FILE]"));
    let (code, _, err) = vrrpd(&["--bogus"]);
    assert_eq!(code, 1);
    assert!(err.contains("unrecognized option '--bogus'"), "{err}");
}
