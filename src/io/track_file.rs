//! Track files (keepalived `vrrp_track_file`): the files whose number moves an instance's
//! priority, watched with inotify as keepalived watches them (vrrp_track.c init_track_files()).
//!
//! Each file's directory is watched for IN_CLOSE_WRITE, IN_DELETE and IN_MOVE; an event for the
//! file's own name re-reads it (written, moved in) or makes its value 0 (deleted, moved away).
//! The value is read as keepalived reads it (`proto::track::track_file_value`); a file that
//! does not exist is 0. `init_file [VALUE] [overwrite]` writes VALUE at start when the file is
//! missing, or always with `overwrite`. A file whose directory does not exist is not watched
//! (keepalived removes it: "Track file directory ... does not exist").
use super::sys;
use crate::proto::track::track_file_value;
use crate::proto::{Agent, TrackFileId};
use std::ffi::OsString;
use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The events that change a track file.
const MASK: u32 = libc::IN_CLOSE_WRITE | libc::IN_DELETE | libc::IN_MOVE;
/// struct inotify_event without its name: wd, mask, cookie, len (four 32-bit fields).
const EVENT_HEADER: usize = 16;

#[derive(Debug)]
struct Watched {
    id: TrackFileId,
    path: PathBuf,
    /// The inotify watch of the file's directory, and the file's name in it.
    wd: i32,
    name: OsString,
}

/// The watched files; no inotify fd at all when the configuration has none.
#[derive(Debug, Default)]
pub(crate) struct TrackFiles {
    inotify: Option<std::fs::File>,
    files: Vec<Watched>,
}

/// Reads a track file's value (0 when it is missing or unreadable).
fn read_value(path: &Path) -> i64 {
    let mut buf = [0u8; 127];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut buf)).unwrap_or(0);
    track_file_value(&buf[..n])
}

/// keepalived `init_file`: the file gets `value` if it does not exist, or always with
/// `overwrite`.
fn init_file(path: &Path, value: i64, overwrite: bool) {
    if overwrite || !path.exists() {
        if let Err(e) = std::fs::write(path, format!("{value}\n")) {
            log::warn!("Unable to initialise track file {}: {e}", path.display());
        }
    }
}

impl TrackFiles {
    /// Watches every track file of the agent's configuration (again after a reload) and
    /// returns each one's current value, for `Input::TrackFile`. `first` applies `init_file`.
    pub(crate) fn watch(&mut self, agent: &Agent, first: bool) -> Vec<(TrackFileId, i64)> {
        self.files.clear();
        let mut values = Vec::new();
        for (id, tf) in agent.track_files() {
            let path = PathBuf::from(&tf.path);
            let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { continue };
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            if !dir.is_dir() {
                log::warn!("Track file directory for {} does not exist - removing", tf.name);
                continue;
            }
            if first {
                if let Some((value, overwrite)) = tf.init {
                    init_file(&path, value, overwrite);
                }
            }
            if self.inotify.is_none() {
                match sys::inotify_init() {
                    Ok(fd) => self.inotify = Some(std::fs::File::from(fd)),
                    Err(e) => {
                        log::warn!("Unable to monitor vrrp track files: {e}");
                        return values;
                    }
                }
            }
            let inotify = self.inotify.as_ref().expect("just opened");
            match sys::inotify_watch(inotify, dir, MASK) {
                Ok(wd) => self.files.push(Watched { id, path: path.clone(), wd, name: name.to_os_string() }),
                Err(e) => log::warn!("track file {} is not accessible - ignoring ({e})", tf.name),
            }
            values.push((id, read_value(&path)));
        }
        values
    }

    /// The inotify fd to register with the reactor's poll, if any file is watched.
    pub(crate) fn fd(&self) -> Option<RawFd> {
        self.inotify.as_ref().map(|f| f.as_raw_fd())
    }

    /// Drains the inotify fd: the new value of each watched file an event touched, in order.
    pub(crate) fn changes(&mut self) -> Vec<(TrackFileId, i64)> {
        let mut out = Vec::new();
        let Some(inotify) = self.inotify.as_mut() else { return out };
        let mut buf = [0u8; 4096];
        loop {
            let n = match inotify.read(&mut buf) {
                Ok(n) if n >= EVENT_HEADER => n,
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let mut at = 0;
            while at + EVENT_HEADER <= n {
                let field = |k: usize| u32::from_ne_bytes(buf[at + 4 * k..at + 4 * k + 4].try_into().expect("4 bytes"));
                let (wd, mask, len) = (field(0) as i32, field(1), field(3) as usize);
                let name_bytes = &buf[(at + EVENT_HEADER).min(n)..(at + EVENT_HEADER + len).min(n)];
                let name_len = name_bytes.iter().position(|&b| b == 0).unwrap_or(name_bytes.len());
                let name = std::ffi::OsStr::from_bytes(&name_bytes[..name_len]);
                at += EVENT_HEADER + len;
                if mask & libc::IN_ISDIR != 0 {
                    continue;
                }
                for f in self.files.iter().filter(|f| f.wd == wd && f.name == name) {
                    // Deleted or moved away: keepalived treats the value as 0.
                    let gone = mask & (libc::IN_DELETE | libc::IN_MOVED_FROM) != 0;
                    out.push((f.id, if gone { 0 } else { read_value(&f.path) }));
                }
            }
        }
        out
    }
}
