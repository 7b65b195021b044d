//! Tracked processes (keepalived `vrrp_track_process`) counted from /proc, without the
//! kernel's proc connector (CAP_NET_ADMIN, CONFIG_PROC_EVENTS, and a netlink codec):
//!
//! - a **scan** of /proc every `SCAN_INTERVAL` finds the processes that match, at most
//!   `SCAN_BATCH` directory entries per loop turn so a box with thousands of pids never
//!   stalls the loop; a scan that took long waits `BUSY_FACTOR` times its own work before the
//!   next, so it never takes more than a tenth of a CPU;
//! - each matching process gets a **pidfd** (pidfd_open(2), Linux 5.3), registered in an inner
//!   epoll whose fd the reactor polls: an exit is seen at once, as keepalived sees it through
//!   the connector. Without pidfds the next scan sees it.
//!
//! Matching is keepalived's (track_process.c read_procs()): the name in /proc/PID/stat (the
//! kernel's 15-byte comm), or with `full_command` argv[0] of /proc/PID/cmdline and then the
//! arguments after it by `param_match`; zombies never count. The counts go to the core as
//! `Input::ProcessCount`; quorum and the delays are decided there.
//!
//! cmdline is read for every live process when a `full_command` tracker exists, as keepalived
//! reads it: argv[0] is whatever the exec caller or setproctitle wrote, unrelated to comm, so
//! no comm test can rule a process out. That read takes the target's mmap lock and can wait
//! behind a process stuck in D state; configurations without `full_command` never read it.
//!
//! Only the boot scan is whole (before the loop, as keepalived's read_procs()); a reload keeps
//! the processes of the patterns it keeps and counts the rest by the bounded scan.
//!
//! The steady path allocates nothing: one getdents buffer, a stack buffer per stat read, one
//! cmdline buffer sized for the longest pattern, and a matched-process table that grows only
//! when a new process matches.
use super::sys;
use crate::config::model::{ParamMatch, TrackProcess};
use crate::proto::{Agent, TrackProcessId};
use std::os::fd::{AsRawFd, OwnedFd};

/// Directory entries read per loop turn (each one an openat, a read and a close).
const SCAN_BATCH: usize = 128;
/// From the start of one scan to the start of the next: an advert interval (keepalived's
/// default advert_int), so a process that starts again (or, without pidfds, one that exits)
/// is seen within one advert of the peer's master-down bound.
pub(crate) const SCAN_INTERVAL_US: u64 = 1_000_000;
/// A scan that cost `t` of CPU is followed by at least `BUSY_FACTOR * t` of rest.
const BUSY_FACTOR: u64 = 9;
/// At most this many pidfds are held (a pattern as broad as `bash` on a big box must not
/// exhaust the fd limit); past it, exits are seen by the scans.
const MAX_PIDFDS: usize = 256;

/// What a tracked process is matched against: keepalived's comparison, without /proc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    name: Vec<u8>,
    params: Vec<u8>,
    param_match: ParamMatch,
    full_command: bool,
}

impl Pattern {
    pub(crate) fn new(p: &TrackProcess) -> Pattern {
        Pattern {
            name: p.process.as_bytes().to_vec(),
            params: p.params.clone(),
            param_match: p.param_match,
            full_command: p.full_command,
        }
    }

    /// The cmdline bytes worth reading: argv[0], its NUL, the arguments, and one byte more so
    /// that `Exact` sees an extra argument (keepalived reads the same amount).
    fn cmdline_len(&self) -> usize {
        self.name.len() + 1 + self.params.len() + 1
    }

    /// `comm` from /proc/PID/stat; `cmdline` the start of /proc/PID/cmdline (read only when
    /// `full_command`).
    pub(crate) fn matches(&self, comm: &[u8], cmdline: &[u8]) -> bool {
        if !self.full_command {
            return comm == self.name;
        }
        let end = cmdline.iter().position(|&b| b == 0).unwrap_or(cmdline.len());
        if cmdline[..end] != self.name[..] {
            return false;
        }
        let args = cmdline.get(end + 1..).unwrap_or(&[]);
        let want = &self.params[..];
        match self.param_match {
            ParamMatch::None => true,
            ParamMatch::Exact => args == want,
            ParamMatch::Partial => args.starts_with(want),
            // The last argument given is a prefix of the process's argument there.
            ParamMatch::Initial => {
                want.is_empty() || (args.len() >= want.len() && args.starts_with(&want[..want.len() - 1]))
            }
        }
    }
}

/// /proc/PID/stat: `pid (comm) state ppid ...`. The comm ends at the last ')' (a name can hold
/// one). Returns comm, state and ppid.
pub(crate) fn parse_stat(stat: &[u8]) -> Option<(&[u8], u8, i32)> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let comm = stat.get(open + 1..close)?;
    let mut fields = stat.get(close + 1..)?.split(|&b| b == b' ').filter(|f| !f.is_empty());
    let state = *fields.next()?.first()?;
    let ppid = pid_of(fields.next()?)?;
    Some((comm, state, ppid))
}

/// Decimal digits as a pid (a /proc entry that is a process, a ppid); None for anything else.
fn pid_of(name: &[u8]) -> Option<i32> {
    if name.is_empty() || name.len() > 9 {
        return None;
    }
    name.iter().try_fold(0i32, |n, &b| b.is_ascii_digit().then(|| n * 10 + i32::from(b - b'0')))
}

#[derive(Debug)]
struct Tracker {
    id: TrackProcessId,
    pattern: Pattern,
    /// The count the core last got.
    reported: u32,
    /// A process counted since then is a child of one counted before (keepalived fork_delay).
    forked: bool,
    /// Added by a reload and not counted yet: its first count waits for the end of a scan.
    fresh: bool,
}

/// One matching process of one tracker.
#[derive(Debug)]
struct Matched {
    pid: i32,
    tracker: usize,
    /// The scan that last saw it.
    generation: u32,
    /// Readable when it exits; None without pidfd_open.
    _pidfd: Option<OwnedFd>,
}

/// The tracked processes of the configuration in force.
pub(crate) struct Processes {
    trackers: Vec<Tracker>,
    matched: Vec<Matched>,
    proc_dir: Option<OwnedFd>,
    /// The inner epoll of the pidfds (token: the pid).
    exits: Option<mio::Poll>,
    events: mio::Events,
    /// getdents records, and the next record to look at.
    dents: Vec<u8>,
    dent_at: usize,
    dent_len: usize,
    cmdline: Vec<u8>,
    /// A scan is under way (the directory is part read).
    scanning: bool,
    generation: u32,
    /// CPU time of the scan under way, in microseconds.
    busy_us: u64,
    pidfds: bool,
}

impl Processes {
    /// Nothing is opened when the configuration tracks no process.
    pub(crate) fn new() -> Processes {
        Processes {
            trackers: Vec::new(),
            matched: Vec::new(),
            proc_dir: None,
            exits: None,
            events: mio::Events::with_capacity(16),
            dents: Vec::new(),
            dent_at: 0,
            dent_len: 0,
            cmdline: Vec::new(),
            scanning: false,
            generation: 0,
            busy_us: 0,
            pidfds: true,
        }
    }

    /// Takes the agent's tracked processes and returns the counts known at once, for
    /// `Input::ProcessCount`. At boot (keepalived reads /proc before the instances start) a
    /// whole scan runs here, before the loop. At a reload the loop is running, so no scan runs
    /// here: a tracker whose pattern an old one had keeps its processes and count at once,
    /// and the next scan, in `SCAN_BATCH` shares, counts the others (reported when it ends).
    pub(crate) fn configure(&mut self, agent: &Agent, boot: bool) -> Vec<(TrackProcessId, u32, bool)> {
        let old = std::mem::take(&mut self.trackers);
        self.trackers = agent
            .track_processes()
            .map(|(id, p, ..)| {
                let pattern = Pattern::new(p);
                let fresh = !old.iter().any(|t| t.pattern == pattern);
                Tracker { id, pattern, reported: u32::MAX, forked: false, fresh }
            })
            .collect();
        let trackers = &self.trackers;
        self.matched.retain_mut(|m| match trackers.iter().position(|t| t.pattern == old[m.tracker].pattern) {
            Some(t) => {
                m.tracker = t;
                true
            }
            None => false,
        });
        self.scanning = false;
        if self.trackers.is_empty() {
            return Vec::new();
        }
        if self.proc_dir.is_none() {
            match sys::open_dir(c"/proc") {
                Ok(fd) => self.proc_dir = Some(fd),
                Err(e) => log::error!("track_process: /proc: {e}; no process will be counted"),
            }
            self.dents = vec![0; 4096];
        }
        if self.exits.is_none() {
            self.exits = mio::Poll::new().map_err(|e| log::warn!("track_process: epoll: {e}")).ok();
        }
        let len = self.trackers.iter().filter(|t| t.pattern.full_command).map(|t| t.pattern.cmdline_len()).max();
        self.cmdline = vec![0; len.unwrap_or(0)];
        if boot {
            while !self.step(usize::MAX) {}
        }
        self.changes()
    }

    /// The fd the reactor polls for exits (the inner epoll's).
    pub(crate) fn exits_fd(&self) -> Option<std::os::fd::RawFd> {
        self.exits.as_ref().map(|p| p.as_raw_fd())
    }

    /// Whether the configuration tracks any process (a scan timer is needed).
    pub(crate) fn active(&self) -> bool {
        !self.trackers.is_empty() && self.proc_dir.is_some()
    }

    /// One loop turn's share of the scan. Returns the time the next share is due: now while
    /// the scan is under way, else the next scan's start.
    pub(crate) fn scan_turn(&mut self, now_us: u64) -> u64 {
        let done = self.step(SCAN_BATCH);
        self.busy_us += sys::monotonic_us().saturating_sub(now_us);
        if !done {
            return now_us;
        }
        let rest = (BUSY_FACTOR * std::mem::take(&mut self.busy_us)).max(SCAN_INTERVAL_US);
        now_us + rest
    }

    /// Exited processes (their pidfds readable): they stop counting at once.
    pub(crate) fn on_exits(&mut self) {
        let Some(poll) = self.exits.as_mut() else { return };
        loop {
            if let Err(e) = poll.poll(&mut self.events, Some(std::time::Duration::ZERO)) {
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                log::warn!("track_process: epoll_wait: {e}");
                return;
            }
            if self.events.is_empty() {
                return;
            }
            for ev in self.events.iter() {
                let pid = ev.token().0 as i32;
                // Dropping the pidfd takes it out of the inner epoll.
                self.matched.retain(|m| m.pid != pid);
            }
        }
    }

    /// Each tracker whose count differs from the one the core last got: (id, count, forked).
    pub(crate) fn changes(&mut self) -> Vec<(TrackProcessId, u32, bool)> {
        let mut out = Vec::new();
        for (n, t) in self.trackers.iter_mut().enumerate().filter(|(_, t)| !t.fresh) {
            let count = self.matched.iter().filter(|m| m.tracker == n).count() as u32;
            if count != t.reported {
                out.push((t.id, count, std::mem::take(&mut t.forked)));
                t.reported = count;
            }
        }
        out
    }

    /// Reads up to `budget` directory entries of the scan under way (starting one if none is);
    /// true when the scan has ended, the processes it did not see dropped.
    fn step(&mut self, budget: usize) -> bool {
        if self.proc_dir.is_none() {
            return true;
        }
        if !self.scanning {
            self.scanning = true;
            self.generation = self.generation.wrapping_add(1);
            self.dent_at = 0;
            self.dent_len = 0;
        }
        let mut rewind = self.dent_len == 0 && self.dent_at == 0;
        let mut left = budget;
        while left > 0 {
            if self.dent_at >= self.dent_len {
                let Some(dir) = self.proc_dir.as_ref() else { return true };
                match sys::getdents(dir, &mut self.dents, rewind) {
                    Ok(0) => return self.end_scan(),
                    Ok(n) => {
                        self.dent_len = n;
                        self.dent_at = 0;
                        rewind = false;
                    }
                    Err(e) => {
                        log::warn!("track_process: reading /proc: {e}");
                        return self.end_scan();
                    }
                }
            }
            // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), NUL-terminated name.
            let rec = &self.dents[self.dent_at..self.dent_len];
            let reclen = rec.get(16..18).map_or(0, |b| u16::from_ne_bytes([b[0], b[1]]) as usize);
            if reclen < 19 || reclen > rec.len() {
                return self.end_scan();
            }
            let name = &rec[19..reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            let pid = if rec[18] == libc::DT_DIR { pid_of(name) } else { None };
            self.dent_at += reclen;
            left -= 1;
            if let Some(pid) = pid {
                self.look_at(pid);
            }
        }
        false
    }

    /// Matches one process against every tracker.
    fn look_at(&mut self, pid: i32) {
        let Some(dir) = self.proc_dir.as_ref() else { return };
        // "PID/stat\0" and "PID/cmdline\0", built on the stack.
        let mut path = [0u8; 24];
        let mut digits = 0;
        let mut rest = pid;
        let mut reversed = [0u8; 10];
        loop {
            reversed[digits] = b'0' + (rest % 10) as u8;
            digits += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for k in 0..digits {
            path[k] = reversed[digits - 1 - k];
        }
        path[digits] = b'/';
        digits += 1;
        let with = |path: &mut [u8; 24], file: &[u8]| {
            path[digits..digits + file.len()].copy_from_slice(file);
            path[digits + file.len()] = 0;
            digits + file.len() + 1
        };
        let mut stat = [0u8; 256];
        let n = with(&mut path, b"stat");
        let Ok(len) = sys::read_at(dir, &path[..n], &mut stat) else { return };
        let Some((comm, state, ppid)) = parse_stat(&stat[..len]) else { return };
        if matches!(state, b'Z' | b'X') {
            return;
        }
        let mut cmdline_len = None;
        for t in 0..self.trackers.len() {
            let pattern = &self.trackers[t].pattern;
            let cmdline: &[u8] = if pattern.full_command {
                let len = *cmdline_len.get_or_insert_with(|| {
                    let n = with(&mut path, b"cmdline");
                    sys::read_at(dir, &path[..n], &mut self.cmdline).unwrap_or(0)
                });
                &self.cmdline[..len]
            } else {
                &[]
            };
            if !pattern.matches(comm, cmdline) {
                continue;
            }
            let generation = self.generation;
            if let Some(m) = self.matched.iter_mut().find(|m| m.pid == pid && m.tracker == t) {
                m.generation = generation;
                continue;
            }
            let room = self.matched.len() < MAX_PIDFDS;
            let pidfd = if room { watch_exit(self.exits.as_ref(), &mut self.pidfds, pid) } else { None };
            if self.matched.iter().any(|m| m.pid == ppid && m.tracker == t) {
                self.trackers[t].forked = true;
            }
            self.matched.push(Matched { pid, tracker: t, generation, _pidfd: pidfd });
        }
    }

    fn end_scan(&mut self) -> bool {
        self.scanning = false;
        self.trackers.iter_mut().for_each(|t| t.fresh = false);
        let generation = self.generation;
        self.matched.retain(|m| m.generation == generation);
        true
    }
}

/// A pidfd for `pid` in the inner epoll `exits`; None without pidfd_open (then scans see
/// exits; `pidfds` remembers that it is missing).
fn watch_exit(exits: Option<&mio::Poll>, pidfds: &mut bool, pid: i32) -> Option<OwnedFd> {
    let poll = exits?;
    if !*pidfds {
        return None;
    }
    match sys::pidfd_open(pid) {
        Ok(fd) => {
            let source = &mut mio::unix::SourceFd(&fd.as_raw_fd());
            poll.registry().register(source, mio::Token(pid as usize), mio::Interest::READABLE).ok()?;
            Some(fd)
        }
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
            log::info!("track_process: no pidfd_open (Linux 5.3); exits are seen by the next /proc scan");
            *pidfds = false;
            None
        }
        // ESRCH: it exited already; the next scan will not see it either.
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(name: &str, params: &[&str], param_match: ParamMatch, full_command: bool) -> Pattern {
        let mut p = Vec::new();
        for a in params {
            p.extend_from_slice(a.as_bytes());
            p.push(0);
        }
        Pattern { name: name.as_bytes().to_vec(), params: p, param_match, full_command }
    }

    /// An agent tracking processes named `names` (one tracker each, `tp0`, `tp1`...).
    fn agent(names: &[&str]) -> Agent {
        let mut text = String::new();
        let mut refs = String::new();
        for (n, name) in names.iter().enumerate() {
            text += &format!("vrrp_track_process tp{n} {{\n process {name}\n}}\n");
            refs += &format!("  tp{n}\n");
        }
        text += &format!(
            "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 7\n priority 100\n \
             virtual_ipaddress {{\n  10.0.0.100\n }}\n track_process {{\n{refs} }}\n}}\n"
        );
        Agent::new(crate::sim::config(&text), crate::proto::Instant::ZERO)
    }

    /// This test's own comm, a process that surely runs.
    /// A child `sleep` the scan is sure to find: not the test process itself, whose comm
    /// under qemu-user is the emulator's when read through the /proc directory (qemu only
    /// rewrites /proc/self), while a native child is itself everywhere.
    struct Sleeper(std::process::Child);
    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn a_reload_carries_the_counts_over_and_leaves_the_scan_to_the_bounded_turns() {
        let _sleeper = Sleeper(std::process::Command::new("sleep").arg("30").spawn().unwrap());
        let me = "sleep".to_string();
        let mut p = Processes::new();
        let boot = p.configure(&agent(&[&me]), true);
        assert!(matches!(boot[..], [(_, n, false)] if n >= 1), "boot scans whole: {boot:?}");
        let generation = p.generation;
        let reload = agent(&["no-such-process", &me]);
        let got = p.configure(&reload, false);
        assert_eq!(p.generation, generation, "no /proc entry read by a reload");
        let kept = reload.track_processes().nth(1).unwrap().0;
        assert!(matches!(got[..], [(id, n, false)] if id == kept && n >= 1), "carried at once: {got:?}");
        assert!(p.changes().is_empty(), "the new tracker waits for a scan's end");
        // The scan after it: one entry per call with a budget of one, the new count at its end.
        let entries = std::fs::read_dir("/proc").unwrap().count() + 2;
        let mut calls = 1;
        while !p.step(1) {
            calls += 1;
            assert!(p.changes().is_empty(), "nothing before the scan ends");
        }
        assert!(calls > entries / 2, "{calls} calls for about {entries} entries");
        let fresh = reload.track_processes().next().unwrap().0;
        assert_eq!(p.changes(), vec![(fresh, 0, false)]);
    }

    #[test]
    fn comm_is_compared_whole() {
        let p = pattern("nginx", &[], ParamMatch::None, false);
        assert!(p.matches(b"nginx", b""));
        assert!(!p.matches(b"nginx2", b""));
        assert!(!p.matches(b"ngin", b""));
        // A name longer than the kernel's 15 bytes never equals a comm.
        let long = pattern("a-very-long-daemon", &[], ParamMatch::None, false);
        assert!(!long.matches(b"a-very-long-dae", b""));
    }

    #[test]
    fn full_command_compares_argv0_and_ignores_arguments_without_param_match() {
        let p = pattern("/usr/sbin/nginx", &[], ParamMatch::None, true);
        assert!(p.matches(b"nginx", b"/usr/sbin/nginx\0-g\0daemon off;\0"));
        assert!(p.matches(b"x", b"/usr/sbin/nginx\0"));
        assert!(!p.matches(b"nginx", b"nginx\0"));
        // Truncated read: argv[0] longer than what was read never matches.
        assert!(!p.matches(b"nginx", b"/usr/sbin/nginxx"));
    }

    #[test]
    fn param_match_modes_as_keepalived_compares_them() {
        let exact = pattern("srv", &["-c", "/etc/a.conf"], ParamMatch::Exact, true);
        assert!(exact.matches(b"", b"srv\0-c\0/etc/a.conf\0"));
        assert!(!exact.matches(b"", b"srv\0-c\0/etc/a.conf\0-d\0"));
        assert!(!exact.matches(b"", b"srv\0-c\0"));
        let none = pattern("srv", &[], ParamMatch::Exact, true);
        assert!(none.matches(b"", b"srv\0"), "param_match without arguments: none allowed");
        assert!(!none.matches(b"", b"srv\0-d\0"));
        let partial = pattern("srv", &["-c", "/etc/a"], ParamMatch::Partial, true);
        assert!(partial.matches(b"", b"srv\0-c\0/etc/a\0-d\0"));
        assert!(!partial.matches(b"", b"srv\0-c\0/etc/a.conf\0"), "partial: whole arguments");
        let initial = pattern("srv", &["-c", "/etc/a"], ParamMatch::Initial, true);
        assert!(initial.matches(b"", b"srv\0-c\0/etc/a.conf\0"), "initial: the last one a prefix");
        assert!(initial.matches(b"", b"srv\0-c\0/etc/a\0-d\0"));
        assert!(!initial.matches(b"", b"srv\0-x\0/etc/a.conf\0"));
        assert!(!initial.matches(b"", b"srv\0-c\0/etc/b\0"));
    }

    #[test]
    fn stat_gives_comm_state_and_parent() {
        assert_eq!(parse_stat(b"42 (sleep) S 7 42 42 0 -1"), Some((&b"sleep"[..], b'S', 7)));
        assert_eq!(parse_stat(b"9 (a) b) (c) Z 1 9"), Some((&b"a) b) (c"[..], b'Z', 1)), "the last ')' ends comm");
        assert_eq!(parse_stat(b"9 (trunc"), None);
        assert_eq!(parse_stat(b""), None);
        assert_eq!(pid_of(b"1234"), Some(1234));
        assert_eq!(pid_of(b"self"), None);
        assert_eq!(pid_of(b""), None);
    }
}
