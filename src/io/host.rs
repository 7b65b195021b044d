//! [`config::Host`] for the machine vrrpd runs on: interfaces from /sys/class/net, scripts
//! resolved through PATH with their permission bits, the process environment.
use crate::config::{Host, ScriptLookup};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub struct SystemHost;

impl Host for SystemHost {
    fn interface_exists(&self, name: &str) -> bool {
        // Interface names never contain '/', and "." / ".." would name the directory itself.
        !name.is_empty()
            && !name.contains('/')
            && name != "."
            && name != ".."
            && Path::new("/sys/class/net").join(name).exists()
    }

    fn find_script(&self, cmd: &str) -> ScriptLookup {
        if cmd.contains('/') {
            return check(Path::new(cmd));
        }
        let path = std::env::var("PATH")
            .unwrap_or_else(|_| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
        let mut found_not_exec = None;
        for dir in path.split(':').filter(|d| !d.is_empty()) {
            match check(&Path::new(dir).join(cmd)) {
                ScriptLookup::Executable(p) => return ScriptLookup::Executable(p),
                ScriptLookup::NotExecutable(p) => found_not_exec = found_not_exec.or(Some(p)),
                ScriptLookup::NotFound => {}
            }
        }
        found_not_exec.map_or(ScriptLookup::NotFound, ScriptLookup::NotExecutable)
    }

    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

fn check(p: &Path) -> ScriptLookup {
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => {
            ScriptLookup::Executable(p.display().to_string())
        }
        Ok(_) => ScriptLookup::NotExecutable(p.display().to_string()),
        Err(_) => ScriptLookup::NotFound,
    }
}

/// The host name up to the first dot: keepalived's default `--config-id`.
pub fn host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    name.trim().split('.').next().unwrap_or("").to_string()
}
