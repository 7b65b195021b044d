//! Signals: keepalived's signal functions for `--signum`, and the daemon's handlers.
//!
//! The handlers (installed by signal-hook) only set an atomic flag and write a byte to a
//! non-blocking socketpair; the reactor polls the read end, so a signal wakes `epoll_wait`
//! and is acted on in the loop, never inside the handler. The byte says "look at the flags";
//! the flags say which signals came (several of one kind between two turns count once).
//!
//! keepalived's mapping: SIGTERM/SIGINT stop, SIGHUP reloads, SIGCHLD means children to reap,
//! SIGUSR1 writes keepalived.data, SIGUSR2 keepalived.stats, SIGRTMIN+2 keepalived.json.
use super::error::{setup, DaemonError};
use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// keepalived's signal functions (`--signum`), with the numbers of the C library we run on
/// (SIGRTMIN differs between glibc and musl, which is why scripts ask us).
pub fn signum(name: &str) -> Option<i32> {
    Some(match name {
        "STOP" => libc::SIGTERM,
        "RELOAD" => libc::SIGHUP,
        "DATA" => libc::SIGUSR1,
        "STATS" => libc::SIGUSR2,
        "STATS_CLEAR" => libc::SIGRTMAX() - 1,
        "JSON" => libc::SIGRTMIN() + 2,
        "TDATA" => libc::SIGRTMAX() - 2,
        _ => return None,
    })
}

/// What the signal handlers raised since the last turn.
struct SignalFlags {
    term: Arc<AtomicBool>,
    hup: Arc<AtomicBool>,
    chld: Arc<AtomicBool>,
    data: Arc<AtomicBool>,
    stats: Arc<AtomicBool>,
    json: Arc<AtomicBool>,
}

/// The signals that fired, as [`Signals::drain`] found them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Fired {
    /// SIGTERM or SIGINT: stop.
    pub(crate) term: bool,
    /// SIGHUP: reload the configuration.
    pub(crate) hup: bool,
    /// SIGCHLD: reap children.
    pub(crate) chld: bool,
    /// SIGUSR1: keepalived.data.
    pub(crate) data: bool,
    /// SIGUSR2: keepalived.stats.
    pub(crate) stats: bool,
    /// keepalived's JSON signal: keepalived.json.
    pub(crate) json: bool,
}

/// The installed handlers: their flags and the read end of the wake-up socketpair.
pub(crate) struct Signals {
    rx: UnixStream,
    flags: SignalFlags,
}

impl Signals {
    /// Installs the handlers. Each signal sets its flag, then writes to the socketpair (the
    /// write end is cloned per signal and owned by signal-hook from then on).
    pub(crate) fn install() -> Result<Signals, DaemonError> {
        let (rx, tx) = setup("socketpair", UnixStream::pair())?;
        setup("signal pipe", rx.set_nonblocking(true))?;
        setup("signal pipe", tx.set_nonblocking(true))?;
        let flag = || Arc::new(AtomicBool::new(false));
        let flags = SignalFlags { term: flag(), hup: flag(), chld: flag(), data: flag(), stats: flag(), json: flag() };
        // keepalived's JSON signal is SIGRTMIN+2 (36 on glibc, 37 on musl).
        let json_sig = signum("JSON").unwrap_or(libc::SIGRTMIN() + 2);
        for (sig, flag) in [
            (signal_hook::consts::SIGTERM, &flags.term),
            (signal_hook::consts::SIGINT, &flags.term),
            (signal_hook::consts::SIGHUP, &flags.hup),
            (signal_hook::consts::SIGCHLD, &flags.chld),
            (signal_hook::consts::SIGUSR1, &flags.data),
            (signal_hook::consts::SIGUSR2, &flags.stats),
            (json_sig, &flags.json),
        ] {
            setup("signal", signal_hook::flag::register(sig, flag.clone()))?;
            setup("signal", signal_hook::low_level::pipe::register(sig, setup("signal pipe", tx.try_clone())?))?;
        }
        Ok(Signals { rx, flags })
    }

    /// The descriptor to poll for readability.
    pub(crate) fn fd(&self) -> RawFd {
        self.rx.as_raw_fd()
    }

    /// Empties the socketpair, then takes (and clears) every flag.
    pub(crate) fn drain(&mut self) -> Fired {
        let mut sink = [0u8; 64];
        while matches!(self.rx.read(&mut sink), Ok(n) if n > 0) {}
        let take = |f: &AtomicBool| f.swap(false, Ordering::SeqCst);
        Fired {
            chld: take(&self.flags.chld),
            hup: take(&self.flags.hup),
            data: take(&self.flags.data),
            stats: take(&self.flags.stats),
            json: take(&self.flags.json),
            term: take(&self.flags.term),
        }
    }
}
