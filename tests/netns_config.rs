//! Root only: the seed's configs through the real binary inside a network namespace that has
//! the seed's interface enp0s3. Ignored by default; `make test` runs it when it is root (CI
//! is), and says loudly that it skipped it otherwise.
mod common;
use common::*;
use std::process::Command;

/// A network namespace removed on drop, on every exit path of the test.
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("vrrpd-t-{tag}-{}", std::process::id());
        let ok = Command::new("ip").args(["netns", "add", &name]).status().unwrap().success();
        assert!(ok, "ip netns add {name}");
        Netns(name)
    }
    fn ip(&self, args: &[&str]) {
        let ok = Command::new("ip").arg("-n").arg(&self.0).args(args).status().unwrap().success();
        assert!(ok, "ip -n {} {args:?}", self.0);
    }
    fn vrrpd(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.0, "timeout", "10", env!("CARGO_BIN_EXE_vrrpd")])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

#[test]
#[ignore = "needs root: creates a network namespace (make test runs it as root)"]
fn seed_configs_through_the_binary_in_a_namespace() {
    let ns = Netns::new("seed");
    ns.ip(&["link", "add", "enp0s3", "type", "veth", "peer", "name", "peer0"]);
    let t = TempDir::new("netns-seed");
    for (name, count, line, col) in [("master.conf", 30, 4, 1), ("backup.conf", 33, 2, 12)] {
        let seed = data(name);
        let (code, dump, err) = ns.vrrpd(&["-t", "-d", "-f", seed.to_str().unwrap()]);
        // /etc/keepalived/check_nginx.sh does not exist here: the check is disabled (5).
        assert_eq!(code, 5, "{name}: {err}");
        let warning = format!(
            "{}:{line}:{col}: warning: U+00A0 NO-BREAK SPACE treated as a space ({count} times in this file)\n",
            seed.display()
        );
        assert!(err.starts_with(&warning), "{name}: {err}");
        assert_eq!(err.matches("U+00A0").count(), 1, "one warning per file");
        assert!(err.contains("Cannot find script '/etc/keepalived/check_nginx.sh' - disabling"), "{err}");
        let plain = t.write(name, &std::fs::read_to_string(&seed).unwrap().replace('\u{a0}', " "));
        let (plain_code, plain_dump, plain_err) = ns.vrrpd(&["-t", "-d", "-f", plain.to_str().unwrap()]);
        assert_eq!((plain_code, &plain_dump), (code, &dump), "{name}: the twin with plain spaces");
        assert!(!plain_err.contains("U+00A0"));
        assert!(dump.contains("Virtual IP = 1\n     192.168.31.240/32 scope global\n"), "{dump}");
    }
    // Once /etc/keepalived/check_nginx.sh exists the check runs, and without
    // enable_script_security that is keepalived's 6. The script lives on a tmpfs mounted over
    // /etc in a private mount namespace: nothing is created or changed in the host's /etc.
    let with_script = format!(
        "mount -t tmpfs vrrpd-test /etc && mkdir /etc/keepalived && \
         printf '#!/bin/sh\\nexit 0\\n' > /etc/keepalived/check_nginx.sh && chmod 755 /etc/keepalived/check_nginx.sh && \
         exec {} -t -f {}",
        env!("CARGO_BIN_EXE_vrrpd"),
        data("master.conf").display()
    );
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.0, "unshare", "--mount", "--propagation", "private", "sh", "-c", &with_script])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(err.contains("SECURITY VIOLATION - scripts are being executed but script_security not enabled."), "{err}");
    assert!(!err.contains("Cannot find script"), "{err}");
    assert!(!std::path::Path::new("/etc/keepalived/check_nginx.sh").exists(), "the host's /etc is untouched");

    // Without the interface the seed cannot run; the missing check script is reported too, and
    // keepalived's -t puts that error (5) over the fatal one (4). keepalived 2.2.7 -t in such a
    // namespace also exits 5.
    let empty = Netns::new("noif");
    let (code, _, err) = empty.vrrpd(&["-t", "-f", data("master.conf").to_str().unwrap()]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("error: (VI_1) WARNING - interface enp0s3 for vrrp instance doesn't exist"), "{err}");
}
