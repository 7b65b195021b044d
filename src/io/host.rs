//! [`crate::config::Host`] for the machine vrrpd runs on: interfaces from /sys/class/net, scripts
//! resolved through PATH with their permission bits, the process environment.
use crate::config::{Host, ScriptLookup};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub struct SystemHost;

impl Host for SystemHost {
    fn interface_exists(&self, name: &str) -> bool {
        // Asked of the kernel in our network namespace (it may be the one `-s` entered, which
        // /sys/class/net does not show). Names longer than IFNAMSIZ-1 do not exist.
        !name.is_empty() && name.len() < libc::IFNAMSIZ && crate::io::sys::if_index(name).is_some()
    }

    fn interface_has_mac(&self, name: &str, mac: &[u8; 6]) -> bool {
        let text = std::fs::read_to_string(Path::new("/sys/class/net").join(name).join("address"));
        text.is_ok_and(|t| t.trim() == crate::config::dump::mac_text(mac))
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

    fn user(&self, name: &str) -> Option<(u32, u32)> {
        let f = db_entry("/etc/passwd", name)?;
        Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?))
    }

    fn group(&self, name: &str) -> Option<u32> {
        db_entry("/etc/group", name)?.get(2)?.parse().ok()
    }

    fn writable_by_non_root(&self, path: &str) -> Option<String> {
        SystemHost::unsafe_component(Path::new(path))
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

/// How long the system has been up (/proc/uptime's first field, decimal seconds read without
/// floats by the config's own parser), for `vrrp_delay_after_boot`.
pub fn uptime() -> Option<crate::config::model::Micros> {
    parse_uptime(&std::fs::read_to_string("/proc/uptime").ok()?)
}

fn parse_uptime(text: &str) -> Option<crate::config::model::Micros> {
    crate::config::value::seconds(text.split_whitespace().next()?, u64::MAX / 1_000_000).ok()
}

/// The host name up to the first dot: keepalived's default `--config-id`.
pub fn host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    name.trim().split('.').next().unwrap_or("").to_string()
}

/// Whether `ifname` forwards IPv6 (`net.ipv6.conf.IF.forwarding`): keepalived sets the Router
/// flag of its unsolicited NAs from it (RFC 4861 section 7.2.6: R is set by routers).
pub fn ipv6_forwarding(ifname: &str) -> bool {
    if ifname.is_empty() || ifname.contains('/') || ifname.starts_with('.') {
        return false;
    }
    std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{ifname}/forwarding"))
        .map(|v| v.trim() != "0")
        .unwrap_or(false)
}

/// Looks a name up in a colon-separated database (/etc/passwd, /etc/group): the fields.
fn db_entry(path: &str, name: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .map(|l| l.split(':').map(str::to_string).collect::<Vec<_>>())
        .find(|f| f.first().map(String::as_str) == Some(name))
}

impl SystemHost {
    /// The first of `path` and its parent directories that a non-root user could write:
    /// owned by a non-root user, or writable by others, or by a non-root group (keepalived's
    /// script security).
    fn unsafe_component(path: &Path) -> Option<String> {
        use std::os::unix::fs::MetadataExt;
        let mut p = Some(path);
        while let Some(cur) = p {
            if let Ok(m) = std::fs::metadata(cur) {
                let mode = m.mode();
                if m.uid() != 0 || mode & 0o002 != 0 || (mode & 0o020 != 0 && m.gid() != 0) {
                    return Some(cur.display().to_string());
                }
            }
            p = cur.parent();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uptime_is_read_without_floats() {
        assert_eq!(super::parse_uptime("21929.44 19528.47\n"), Some(21_929_440_000));
        assert_eq!(super::parse_uptime("0.07 0"), Some(70_000));
        assert_eq!(super::parse_uptime("5 1"), Some(5_000_000));
        assert_eq!(super::parse_uptime(""), None);
        assert_eq!(super::parse_uptime("x.5 0"), None);
        assert_eq!(super::parse_uptime("1.x 0"), None);
    }
}
