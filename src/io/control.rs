//! The control socket (`vrrpd status`, `events`, `demote`, `promote`, `metrics`) and the
//! optional `GET /metrics` listener, served by the reactor's loop. Never blocks it: every
//! socket is non-blocking, every reply is built in memory, and each client's output is
//! bounded; a client that does not read is dropped, never waited for.
//!
//! Protocol (one request line per connection, then the server talks): the client sends
//! `VERB ARG... \n`; the server answers `ok\n` or `error: WHY\n`, then the body, then closes;
//! `events` never closes; `demote` writes one line per instance as each handover ends, then
//! `exit N\n`. The client is `vrrpd` itself (`src/ctl.rs`).
//!
//! Safety of the path: the daemon never follows a symlink at it (it refuses to start the
//! socket), replaces a stale socket only, and binds with umask 0177, so the socket is 0600
//! and root's. Commands that change anything also check the peer's uid (SO_PEERCRED) is 0,
//! for a socket someone made readable to others.
use super::sys;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// Client slot `k` is `Token(base + k)`.
pub(crate) const MAX_CLIENTS: usize = 64;
/// Of those, at most this many HTTP clients: a scraper's network can never fill the slots
/// the operator's `vrrpd status` and `demote` need.
const MAX_HTTP_CLIENTS: usize = 16;
/// A request line (or an HTTP request head) longer than this is refused.
const MAX_REQUEST: usize = 8 * 1024;
/// An `events` client with more than this unread is dropped.
const MAX_EVENT_BACKLOG: usize = 256 * 1024;
/// A client with a reply still unread, or no request, after this long is dropped (µs).
pub(crate) const CLIENT_DEADLINE_US: u64 = 10_000_000;
/// The same for an HTTP client (a scrape is one request and one reply).
pub(crate) const HTTP_DEADLINE_US: u64 = 2_000_000;

/// What a client asked for, for the reactor to answer from the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    Status {
        instance: Option<String>,
        json: bool,
    },
    Events {
        json: bool,
    },
    Metrics {
        openmetrics: bool,
    },
    /// `for_us`: the demotion's length; `persist`: it survives a restart of the daemon.
    Demote {
        instance: Option<String>,
        for_us: Option<u64>,
        force: bool,
        persist: bool,
    },
    Promote {
        instance: Option<String>,
    },
}

impl Request {
    fn changes_state(&self) -> bool {
        matches!(self, Request::Demote { .. } | Request::Promote { .. })
    }

    /// Parses `VERB ARG...` (the client's `vrrpd VERB` options, already normalised by it).
    pub(crate) fn parse(line: &str) -> Result<Request, String> {
        let mut words = line.split_ascii_whitespace();
        let verb = words.next().unwrap_or("");
        let mut instance = None;
        let (mut json, mut force, mut for_us, mut all, mut persist) = (false, false, None, false, false);
        for w in words {
            match w {
                "json" => json = true,
                "force" => force = true,
                "persist" => persist = true,
                "all" => all = true,
                "openmetrics" => json = true,
                w if w.starts_with("for=") => {
                    for_us = Some(w[4..].parse::<u64>().map_err(|_| format!("bad duration {w}"))?);
                }
                w if w.starts_with("instance=") => instance = Some(w[9..].to_string()),
                w => return Err(format!("unexpected {w}")),
            }
        }
        let target = |instance: Option<String>| match (instance, all) {
            (Some(_), true) => Err("both an instance and --all".to_string()),
            (None, false) => Err("name an instance or --all".to_string()),
            (i, _) => Ok(i),
        };
        match verb {
            "status" => Ok(Request::Status { instance, json }),
            "events" => Ok(Request::Events { json }),
            "metrics" => Ok(Request::Metrics { openmetrics: json }),
            "demote" => Ok(Request::Demote { instance: target(instance)?, for_us, force, persist }),
            "promote" => Ok(Request::Promote { instance: target(instance)? }),
            v => Err(format!("unknown command {v:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    /// Control client: waiting for its request line.
    Request,
    /// HTTP client: waiting for its request head.
    Http,
    /// Its request is with the reactor (answered in the same turn).
    Pending,
    /// Writing a reply; closed once written.
    Reply,
    /// Subscribed to events.
    Events { json: bool },
    /// Waiting for these instances' handovers; `failed`: one of them found nobody.
    Demote { waiting: Vec<String>, failed: bool },
}

struct Client {
    stream: UnixOrTcp,
    uid: Option<u32>,
    input: Vec<u8>,
    output: Vec<u8>,
    /// Bytes of `output` already written.
    written: usize,
    mode: Mode,
    /// Came in on the metrics listener: answered in HTTP.
    http: bool,
    /// Counted in `Control::subscribers` (events, or waiting for a handover).
    subscribed: bool,
    /// Set when the client is to go (an error, EOF, done).
    closing: bool,
    /// The slot's generation, so a deadline set for an earlier client is ignored.
    generation: u64,
}

enum UnixOrTcp {
    Unix(UnixStream),
    Tcp(std::net::TcpStream),
}

impl UnixOrTcp {
    fn fd(&self) -> i32 {
        match self {
            UnixOrTcp::Unix(s) => s.as_raw_fd(),
            UnixOrTcp::Tcp(s) => s.as_raw_fd(),
        }
    }
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            UnixOrTcp::Unix(s) => s.read(buf),
            UnixOrTcp::Tcp(s) => s.read(buf),
        }
    }
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            UnixOrTcp::Unix(s) => s.write(buf),
            UnixOrTcp::Tcp(s) => s.write(buf),
        }
    }
}

/// Why the control socket could not be set up.
#[derive(Debug)]
pub(crate) enum ControlError {
    Symlink(PathBuf),
    NotASocket(PathBuf),
    InUse(PathBuf),
    Io(PathBuf, &'static str, io::Error),
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlError::Symlink(p) => write!(f, "control socket {}: is a symlink; not following it", p.display()),
            ControlError::NotASocket(p) => write!(f, "control socket {}: exists and is not a socket", p.display()),
            ControlError::InUse(p) => write!(f, "control socket {}: another daemon answers on it", p.display()),
            ControlError::Io(p, call, e) => write!(f, "control socket {}: {call}: {e}", p.display()),
        }
    }
}

/// Binds the control socket at `path`: never through a symlink, replacing only a stale
/// socket, mode 0600 (umask 0177 around bind()).
pub(crate) fn bind_control(path: &Path) -> Result<UnixListener, ControlError> {
    let err = |call, e| ControlError::Io(path.to_path_buf(), call, e);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| err("mkdir", e))?;
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Err(ControlError::Symlink(path.to_path_buf())),
        Ok(m) if m.file_type().is_socket() => {
            if UnixStream::connect(path).is_ok() {
                return Err(ControlError::InUse(path.to_path_buf()));
            }
            std::fs::remove_file(path).map_err(|e| err("unlink", e))?;
        }
        Ok(_) => return Err(ControlError::NotASocket(path.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(err("lstat", e)),
    }
    let old = sys::set_umask(0o177);
    let bound = UnixListener::bind(path);
    sys::set_umask(old);
    let l = bound.map_err(|e| err("bind", e))?;
    l.set_nonblocking(true).map_err(|e| err("fcntl", e))?;
    Ok(l)
}

/// The control socket, the metrics listener and their clients.
pub(crate) struct Control {
    unix: Option<(UnixListener, PathBuf)>,
    /// The socket file's inode, so that we never remove another daemon's socket.
    inode: Option<u64>,
    http: Option<std::net::TcpListener>,
    clients: Vec<Option<Client>>,
    base: usize,
    generation: u64,
    /// Event sequence numbers: the next one to hand out.
    next_seq: u64,
    subscribers: usize,
}

/// A client that just connected: its slot and generation, for its deadline.
pub(crate) struct Accepted {
    pub(crate) slot: usize,
    pub(crate) generation: u64,
}

impl Control {
    pub(crate) fn new(
        unix: Option<(UnixListener, PathBuf)>,
        http: Option<std::net::TcpListener>,
        registry: &Registry,
        unix_token: Token,
        http_token: Token,
        base: usize,
    ) -> io::Result<Control> {
        if let Some((l, _)) = &unix {
            registry.register(&mut SourceFd(&l.as_raw_fd()), unix_token, Interest::READABLE)?;
        }
        if let Some(l) = &http {
            registry.register(&mut SourceFd(&l.as_raw_fd()), http_token, Interest::READABLE)?;
        }
        let inode = unix.as_ref().and_then(|(_, p)| std::fs::symlink_metadata(p).ok()).map(|m| {
            use std::os::unix::fs::MetadataExt;
            m.ino()
        });
        Ok(Control {
            unix,
            inode,
            http,
            clients: (0..MAX_CLIENTS).map(|_| None).collect(),
            base,
            generation: 0,
            next_seq: 1,
            subscribers: 0,
        })
    }

    /// Accepts every pending connection on the control socket (`http` false) or the metrics
    /// listener; beyond MAX_CLIENTS a connection is closed at once.
    pub(crate) fn accept(&mut self, registry: &Registry, http: bool) -> Vec<Accepted> {
        let mut out = Vec::new();
        loop {
            let accepted = if http {
                self.http.as_ref().map(|l| l.accept().map(|(s, _)| UnixOrTcp::Tcp(s)))
            } else {
                self.unix.as_ref().map(|(l, _)| l.accept().map(|(s, _)| UnixOrTcp::Unix(s)))
            };
            let stream = match accepted {
                Some(Ok(s)) => s,
                // A connection reset before we took it: the next one may be waiting.
                Some(Err(e)) if matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted) => {
                    continue
                }
                // Would block (all taken), or out of fds: wait for the next readiness.
                _ => break,
            };
            let http_clients = self.clients.iter().flatten().filter(|c| c.http).count();
            let Some(slot) = self.clients.iter().position(|c| c.is_none()) else {
                continue; // dropped: full
            };
            if http && http_clients >= MAX_HTTP_CLIENTS {
                continue; // dropped: the HTTP share is full
            }
            let nonblocking = match &stream {
                UnixOrTcp::Unix(s) => s.set_nonblocking(true),
                UnixOrTcp::Tcp(s) => s.set_nonblocking(true),
            };
            let fd = stream.fd();
            let interest = Interest::READABLE | Interest::WRITABLE;
            if nonblocking.is_err() || registry.register(&mut SourceFd(&fd), Token(self.base + slot), interest).is_err()
            {
                continue;
            }
            let uid = match &stream {
                UnixOrTcp::Unix(s) => sys::peer_uid(s).ok(),
                UnixOrTcp::Tcp(_) => None,
            };
            self.generation += 1;
            let mode = if http { Mode::Http } else { Mode::Request };
            self.clients[slot] = Some(Client {
                stream,
                uid,
                input: Vec::new(),
                output: Vec::new(),
                written: 0,
                mode,
                http,
                subscribed: false,
                closing: false,
                generation: self.generation,
            });
            out.push(Accepted { slot, generation: self.generation });
        }
        out
    }

    /// The slot a token names, if it is a client's.
    pub(crate) fn slot_of(&self, token: Token) -> Option<usize> {
        token.0.checked_sub(self.base).filter(|&k| k < MAX_CLIENTS)
    }

    /// Client `slot` is readable or writable: reads its request (returned once complete, with
    /// the requester's right to change state), writes what is pending.
    /// `hung_up`: the peer closed both directions (EPOLLHUP or an error).
    pub(crate) fn on_ready(&mut self, registry: &Registry, slot: usize, hung_up: bool) -> Option<Request> {
        let mut request = None;
        if let Some(c) = self.clients[slot].as_mut() {
            request = read_request(c);
            flush(c);
            if hung_up && request.is_none() {
                c.closing = true;
            }
        }
        let request = match request {
            Some(Ok(r))
                if r.changes_state() && self.clients[slot].as_ref().is_some_and(|c| c.http || c.uid != Some(0)) =>
            {
                self.fail(slot, "permission denied: only root may demote or promote");
                None
            }
            Some(Ok(r)) => Some(r),
            Some(Err(why)) => {
                self.fail(slot, &why);
                None
            }
            None => None,
        };
        self.reap(registry, slot);
        request
    }

    fn fail(&mut self, slot: usize, why: &str) {
        if let Some(c) = self.clients[slot].as_mut() {
            if c.http {
                let body = format!("{}\n", why.strip_prefix("http:").unwrap_or(why));
                let head = format!(
                    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                c.output.extend_from_slice(head.as_bytes());
                c.output.extend_from_slice(body.as_bytes());
            } else {
                c.output.extend_from_slice(format!("error: {why}\n").as_bytes());
            }
            c.mode = Mode::Reply;
            flush(c);
        }
    }

    /// Answers client `slot` with `body` (after `ok`; an HTTP client gets a 200 with
    /// `content_type`), and closes it once written.
    pub(crate) fn reply(&mut self, registry: &Registry, slot: usize, content_type: &str, body: &str) {
        if let Some(c) = self.clients[slot].as_mut() {
            if c.http {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                c.output.extend_from_slice(head.as_bytes());
            } else {
                c.output.extend_from_slice(b"ok\n");
            }
            c.output.extend_from_slice(body.as_bytes());
            c.mode = Mode::Reply;
            flush(c);
        }
        self.reap(registry, slot);
    }

    /// Answers an error.
    pub(crate) fn reply_error(&mut self, registry: &Registry, slot: usize, why: &str) {
        self.fail(slot, why);
        self.reap(registry, slot);
    }

    /// Client `slot` now receives every event.
    pub(crate) fn subscribe(&mut self, registry: &Registry, slot: usize, json: bool) {
        if let Some(c) = self.clients[slot].as_mut() {
            c.output.extend_from_slice(b"ok\n");
            c.mode = Mode::Events { json };
            c.subscribed = true;
            self.subscribers += 1;
            flush(c);
        }
        self.reap(registry, slot);
    }

    /// Client `slot` waits for the handovers of `instances`; `lines` are written first.
    pub(crate) fn await_handovers(&mut self, registry: &Registry, slot: usize, instances: Vec<String>) {
        if let Some(c) = self.clients[slot].as_mut() {
            c.output.extend_from_slice(b"ok\n");
            c.mode = Mode::Demote { waiting: instances, failed: false };
            c.subscribed = true;
            self.subscribers += 1;
            finish_demote_if_done(c);
            flush(c);
        }
        self.reap(registry, slot);
    }

    /// Numbers `event` and sends it to every `events` client, and its outcome to the
    /// `demote` clients waiting for it. `text`/`json` render it lazily, once per form.
    pub(crate) fn publish(&mut self, registry: &Registry, event: &crate::proto::Event, unix_us: u64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.subscribers == 0 {
            return;
        }
        let (mut text, mut json) = (None, None);
        for slot in 0..MAX_CLIENTS {
            let Some(c) = self.clients[slot].as_mut() else { continue };
            match &mut c.mode {
                Mode::Events { json: as_json } => {
                    let line = if *as_json {
                        json.get_or_insert_with(|| crate::proto::stream::json(seq, unix_us, event))
                    } else {
                        text.get_or_insert_with(|| crate::proto::stream::text(seq, unix_us, event))
                    };
                    if c.output.len() - c.written + line.len() > MAX_EVENT_BACKLOG {
                        // It does not read: drop it (it sees the gap in `seq` if it comes back).
                        c.closing = true;
                    } else {
                        c.output.extend_from_slice(line.as_bytes());
                    }
                }
                Mode::Demote { waiting, failed } => {
                    let crate::proto::Event::Handover { instance, outcome } = event else { continue };
                    let Some(k) = waiting.iter().position(|w| w == instance) else { continue };
                    waiting.remove(k);
                    *failed |= matches!(
                        outcome,
                        crate::proto::Handover::TookBack
                            | crate::proto::Handover::Nobody
                            | crate::proto::Handover::Interrupted
                    );
                    // The event's text without its sequence number.
                    let line = crate::proto::stream::text(seq, unix_us, event);
                    c.output.extend_from_slice(line.split_once(' ').map_or("", |x| x.1).as_bytes());
                    finish_demote_if_done(c);
                }
                _ => continue,
            }
            flush(c);
            self.reap(registry, slot);
        }
    }

    /// A client's deadline: one still without a request or with a reply unread goes.
    pub(crate) fn deadline(&mut self, registry: &Registry, slot: usize, generation: u64) {
        if let Some(c) = self.clients[slot].as_mut() {
            if c.generation == generation && matches!(c.mode, Mode::Request | Mode::Http | Mode::Pending | Mode::Reply)
            {
                c.closing = true;
            }
        }
        self.reap(registry, slot);
    }

    /// Drops client `slot` when it is done or gone.
    fn reap(&mut self, registry: &Registry, slot: usize) {
        let done = self.clients[slot]
            .as_ref()
            .is_some_and(|c| c.closing || (c.mode == Mode::Reply && c.written == c.output.len()));
        if done {
            if let Some(c) = self.clients[slot].take() {
                if c.subscribed {
                    self.subscribers -= 1;
                }
                let _ = registry.deregister(&mut SourceFd(&c.stream.fd()));
            }
        }
    }

    /// At exit: the socket file goes (only when it is still the one we bound).
    pub(crate) fn remove_socket(&mut self) {
        use std::os::unix::fs::MetadataExt;
        if let Some((_, path)) = self.unix.take() {
            let ours = std::fs::symlink_metadata(&path)
                .is_ok_and(|m| m.file_type().is_socket() && Some(m.ino()) == self.inode);
            if ours {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// The demote reply ends when no handover is awaited: `exit N` (3 when nobody took over, or
/// the instance left MASTER another way first).
fn finish_demote_if_done(c: &mut Client) {
    if let Mode::Demote { waiting, failed } = &c.mode {
        if waiting.is_empty() {
            let code = if *failed { 3 } else { 0 };
            c.output.extend_from_slice(format!("exit {code}\n").as_bytes());
            c.mode = Mode::Reply;
        }
    }
}

/// Reads what the client sent; a complete request is returned once.
fn read_request(c: &mut Client) -> Option<Result<Request, String>> {
    let mut buf = [0u8; 2048];
    loop {
        match c.stream.read(&mut buf) {
            Ok(0) => {
                // EOF: a client done with its request half-closes; an events client that
                // closes is gone. Keep replying to the first.
                if matches!(c.mode, Mode::Events { .. })
                    || (matches!(c.mode, Mode::Request | Mode::Http) && c.input.is_empty())
                {
                    c.closing = true;
                }
                break;
            }
            Ok(n) => {
                if matches!(c.mode, Mode::Request | Mode::Http) {
                    c.input.extend_from_slice(&buf[..n]);
                    if c.input.len() > MAX_REQUEST {
                        return Some(Err("request too long".into()));
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => {
                c.closing = true;
                break;
            }
        }
    }
    match c.mode {
        Mode::Request => {
            let end = c.input.iter().position(|&b| b == b'\n')?;
            let line = String::from_utf8_lossy(&c.input[..end]).into_owned();
            c.mode = Mode::Pending;
            Some(Request::parse(&line))
        }
        Mode::Http => {
            let head_end = c.input.windows(4).position(|w| w == b"\r\n\r\n")?;
            let head = String::from_utf8_lossy(&c.input[..head_end]).into_owned();
            c.mode = Mode::Pending;
            Some(parse_http(&head))
        }
        _ => None,
    }
}

/// `GET /metrics`: Prometheus text, or OpenMetrics when the Accept header asks for it.
fn parse_http(head: &str) -> Result<Request, String> {
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or("");
    let mut parts = first.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    if method != "GET" || path != "/metrics" {
        return Err(format!("only GET /metrics is served here, not {method} {path}"));
    }
    let openmetrics = lines.any(|l| {
        l.split_once(':')
            .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("accept") && v.contains("application/openmetrics-text"))
    });
    Ok(Request::Metrics { openmetrics })
}

/// Writes what is pending, as much as the socket takes now.
fn flush(c: &mut Client) {
    while c.written < c.output.len() {
        match c.stream.write(&c.output[c.written..]) {
            Ok(0) => break,
            Ok(n) => c.written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => {
                c.closing = true;
                break;
            }
        }
    }
    if c.written == c.output.len() && c.written > 0 {
        c.output.clear();
        c.written = 0;
        if c.mode == Mode::Reply {
            // Everything is written: mark the reply done for reap().
            c.closing = true;
        }
    } else if c.written > 0 {
        // A reader a little behind: keep only what it has not read, so the buffer's size is
        // its backlog (MAX_EVENT_BACKLOG bounds it).
        c.output.drain(..c.written);
        c.written = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_as_the_client_writes_them() {
        assert_eq!(Request::parse("status json"), Ok(Request::Status { instance: None, json: true }));
        assert_eq!(
            Request::parse("status instance=VI_1"),
            Ok(Request::Status { instance: Some("VI_1".into()), json: false })
        );
        assert_eq!(
            Request::parse("demote instance=VI_1 for=30000000 force"),
            Ok(Request::Demote {
                instance: Some("VI_1".into()),
                for_us: Some(30_000_000),
                force: true,
                persist: false
            })
        );
        assert_eq!(Request::parse("promote all"), Ok(Request::Promote { instance: None }));
        assert!(Request::parse("demote").is_err(), "an instance or --all is required");
        assert!(Request::parse("demote all instance=VI_1").is_err());
        assert!(Request::parse("reboot").is_err());
    }

    #[test]
    fn http_serves_metrics_only() {
        assert_eq!(parse_http("GET /metrics HTTP/1.1\r\nHost: x"), Ok(Request::Metrics { openmetrics: false }));
        assert_eq!(
            parse_http("GET /metrics?x=1 HTTP/1.1\r\nAccept: application/openmetrics-text;version=1.0.0"),
            Ok(Request::Metrics { openmetrics: true })
        );
        assert!(parse_http("POST /metrics HTTP/1.1").is_err());
        assert!(parse_http("GET / HTTP/1.1").is_err());
    }
}
