//! `vrrpd demote --persist`: demotions that outlive a restart of the daemon (not a reboot:
//! the file is beside the control socket, under /run). One line per instance,
//! `NAME UNTIL FORCE`: UNTIL is the end in Unix microseconds or `-`, FORCE `force` or `safe`.
//! Written only when an operator demotes with `--persist` or a persisted demotion ends; read
//! once at start.
use std::path::{Path, PathBuf};

/// A persisted demotion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Persisted {
    pub(crate) instance: String,
    /// Unix microseconds.
    pub(crate) until: Option<u64>,
    pub(crate) force: bool,
}

/// The file and what it holds.
pub(crate) struct Demotions {
    path: Option<PathBuf>,
    list: Vec<Persisted>,
}

fn parse(text: &str) -> Vec<Persisted> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let instance = w.next()?.to_string();
            let until = match w.next()? {
                "-" => None,
                t => Some(t.parse().ok()?),
            };
            let force = w.next()? == "force";
            Some(Persisted { instance, until, force })
        })
        .collect()
}

fn render(list: &[Persisted]) -> String {
    list.iter()
        .map(|p| {
            let until = p.until.map(|u| u.to_string()).unwrap_or_else(|| "-".into());
            format!("{} {until} {}\n", p.instance, if p.force { "force" } else { "safe" })
        })
        .collect()
}

impl Demotions {
    /// Beside the control socket (`vrrpd.sock.demoted`); none without a socket.
    pub(crate) fn open(control_socket: Option<&Path>) -> Demotions {
        let path = control_socket.map(|p| {
            let mut s = p.as_os_str().to_owned();
            s.push(".demoted");
            PathBuf::from(s)
        });
        // A symlink is never followed, as for the socket itself.
        let text = path
            .as_ref()
            .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file()))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        Demotions { path, list: parse(&text) }
    }

    /// The demotions to restore, those already over left out.
    pub(crate) fn pending(&self, unix_now: u64) -> Vec<Persisted> {
        self.list.iter().filter(|p| p.until.is_none_or(|u| u > unix_now)).cloned().collect()
    }

    /// Records (or replaces) `p`.
    pub(crate) fn add(&mut self, p: Persisted) {
        self.list.retain(|x| x.instance != p.instance);
        self.list.push(p);
        self.save();
    }

    /// The demotion of `instance` ended: forgotten.
    pub(crate) fn remove(&mut self, instance: &str) {
        let before = self.list.len();
        self.list.retain(|x| x.instance != instance);
        if self.list.len() != before {
            self.save();
        }
    }

    fn save(&self) {
        let Some(path) = &self.path else { return };
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            log::error!("{}: is a symlink; not writing the demotions there", path.display());
            return;
        }
        let result = if self.list.is_empty() {
            std::fs::remove_file(path)
                .or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) })
        } else {
            let tmp = path.with_extension("demoted.tmp");
            std::fs::write(&tmp, render(&self.list)).and_then(|_| std::fs::rename(&tmp, path))
        };
        if let Err(e) = result {
            log::error!("{}: {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let list = vec![
            Persisted { instance: "VI_1".into(), until: None, force: false },
            Persisted { instance: "VI_2".into(), until: Some(1_796_123_753_000_000), force: true },
        ];
        assert_eq!(parse(&render(&list)), list);
        assert_eq!(parse("garbage\nVI_3 soon safe\n"), []);
    }
}
