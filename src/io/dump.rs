//! What vrrpd writes for others to read: the dump files and the notify FIFOs.
//!
//! Dump files (keepalived: SIGUSR1 → keepalived.data, SIGUSR2 → keepalived.stats, the JSON
//! signal → keepalived.json) go to $TMPDIR, default /tmp, or where `state_dump_file`,
//! `stats_dump_file` and `json_dump_file` say ([`dump_path`]), mode 0600. Invariant: the dump's
//! own name is never opened. The text goes to a new file (O_CREAT|O_EXCL, so an existing file
//! or a planted symlink is never followed) which is then renamed over the name: a symlink in
//! a shared /tmp cannot make root truncate its target (keepalived CVE-2018-19044), and a
//! reader never sees half a dump.
//!
//! Notify FIFOs (`notify_fifo`, `vrrp_notify_fifo`) are created if missing (mode 0600) and
//! opened read-write and non-blocking, so a write never fails for want of a reader and never
//! blocks the loop (keepalived does the same). Each FIFO's `notify_fifo_script` is started
//! once the FIFO is open, with the FIFO's path as its last argument.
use super::spawn::Children;
use super::sys;
use crate::config::model::GlobalDefs;

/// keepalived's temporary directory: $TMPDIR when it is an absolute path, else /tmp
/// (lib/utils.c set_tmp_dir(), which also wants a directory: vrrpd's write then fails and says
/// so).
fn tmp_dir() -> std::path::PathBuf {
    match std::env::var_os("TMPDIR").map(std::path::PathBuf::from) {
        Some(d) if d.is_absolute() => d,
        _ => "/tmp".into(),
    }
}

/// Where a dump goes: `configured` is `state_dump_file` (or `stats_dump_file`,
/// `json_dump_file`) as written, `default_name` the file keepalived writes without it.
/// keepalived 2.3.3 open_dump_file(): an absolute path names the file, or with a trailing `/`
/// the directory that gets the default name; a relative path keeps only its last component,
/// in `tmp`.
pub(crate) fn dump_path(configured: Option<&str>, tmp: &std::path::Path, default_name: &str) -> std::path::PathBuf {
    let c = configured.unwrap_or("");
    let cut = c.bytes().rposition(|b| b == b'/');
    let name = &c[cut.map_or(0, |n| n + 1)..];
    let dir = match cut {
        Some(n) if c.starts_with('/') => std::path::Path::new(&c[..n.max(1)]),
        _ => tmp,
    };
    dir.join(if name.is_empty() { default_name } else { name })
}

/// Writes a dump (mode 0600) to `configured` as [`dump_path`] resolves it.
#[inline(never)]
pub(crate) fn write_dump(configured: Option<&str>, default_name: &str, text: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dump_path(configured, &tmp_dir(), default_name);
    // Never open the dump's own name in a shared /tmp: a symlink planted there would make root
    // truncate its target (keepalived CVE-2018-19044). A new file (O_EXCL, 0600) beside it,
    // renamed over the name, replaces whatever is there, and readers never see half a dump.
    let mut staging = path.clone().into_os_string();
    staging.push(format!(".{}", std::process::id()));
    let staging = std::path::PathBuf::from(staging);
    let _ = std::fs::remove_file(&staging);
    let r = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&staging)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .and_then(|()| std::fs::rename(&staging, &path));
    if let Err(e) = r {
        let _ = std::fs::remove_file(&staging);
        log::error!("cannot write {}: {e}", path.display());
    }
}

/// The open notify FIFOs (notify_fifo, then vrrp_notify_fifo).
#[derive(Default)]
pub(crate) struct Fifos {
    /// Opened read-write so writes never fail for want of a reader (keepalived does the same).
    files: Vec<std::fs::File>,
}

impl Fifos {
    /// Creates and opens the configured FIFOs, starting each one's script (recorded in
    /// `children`) right after its FIFO is open. A FIFO that cannot be made or opened is
    /// logged and left out.
    pub(crate) fn open(g: &GlobalDefs, children: &mut Children) -> Fifos {
        use std::os::unix::fs::OpenOptionsExt;
        let mut fifos = Fifos::default();
        for f in [&g.notify_fifo, &g.vrrp_notify_fifo].into_iter().flatten() {
            let path = std::path::Path::new(&f.path);
            if let Err(e) = sys::mkfifo(path, 0o600) {
                log::error!("notify FIFO {}: {e}", f.path);
                continue;
            }
            match std::fs::OpenOptions::new().read(true).write(true).custom_flags(libc::O_NONBLOCK).open(path) {
                Ok(file) => {
                    fifos.files.push(file);
                    // keepalived runs the FIFO script with the FIFO's path as its argument.
                    if let Some(script) = &f.script {
                        let mut argv = script.argv.clone();
                        argv.push(f.path.clone());
                        children.spawn_fifo_script(&argv, script.ids);
                    }
                }
                Err(e) => log::error!("notify FIFO {}: {e}", f.path),
            }
        }
        fifos
    }

    /// Writes one line (newline included) to every FIFO. A full FIFO (nobody reading) drops
    /// the line rather than block.
    pub(crate) fn write_line(&mut self, line: &str) {
        for f in &mut self.files {
            // A full FIFO (nobody reading) drops the line rather than block.
            let _ = std::io::Write::write_all(f, line.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::dump_path;
    use std::path::{Path, PathBuf};

    #[test]
    fn dump_paths_follow_keepalived_open_dump_file() {
        let tmp = Path::new("/tmp");
        let p = |c: Option<&str>| dump_path(c, tmp, "keepalived.data");
        assert_eq!(p(None), PathBuf::from("/tmp/keepalived.data"));
        assert_eq!(p(Some("/run/ka/state.txt")), PathBuf::from("/run/ka/state.txt"));
        // A trailing slash names the directory: the default name goes in it.
        assert_eq!(p(Some("/run/ka/")), PathBuf::from("/run/ka/keepalived.data"));
        assert_eq!(p(Some("/")), PathBuf::from("/keepalived.data"));
        assert_eq!(p(Some("/top")), PathBuf::from("/top"));
        // A relative path keeps its last component only, in the temporary directory.
        assert_eq!(p(Some("ka/state.txt")), PathBuf::from("/tmp/state.txt"));
        assert_eq!(p(Some("state.txt")), PathBuf::from("/tmp/state.txt"));
        assert_eq!(p(Some("ka/")), PathBuf::from("/tmp/keepalived.data"));
        assert_eq!(
            dump_path(Some("x.json"), Path::new("/var/tmp"), "keepalived.json"),
            PathBuf::from("/var/tmp/x.json")
        );
    }
}
