//! The daemon's start-up error: which set-up step failed and the OS error it met. Every
//! shell module reports through it, so `main` logs one line and exits with keepalived's fatal
//! code. Failures after start-up are logged where they happen and never end the loop.
use super::netlink::NetlinkError;

#[derive(Debug)]
pub enum DaemonError {
    /// A socket, pipe or registration call failed; `what` names the step.
    Setup { what: &'static str, error: std::io::Error },
    /// Opening the rtnetlink sockets or the first link/address dump failed.
    Netlink(NetlinkError),
}

impl std::fmt::Display for DaemonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DaemonError::Setup { what, error } => write!(f, "{what}: {error}"),
            DaemonError::Netlink(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DaemonError {}

/// Tags an OS error with the set-up step it came from.
pub(crate) fn setup<T>(what: &'static str, r: std::io::Result<T>) -> Result<T, DaemonError> {
    r.map_err(|error| DaemonError::Setup { what, error })
}
