//! The shell around the pure layers: everything that asks the operating system. Only here is
//! `unsafe` allowed, and only in `sys`.
//!
//! - `reactor`: the `Daemon`, its mio loop and event dispatch, applying the agent's actions.
//! - `signals`: `--signum` names, and the signal flags with their self-pipe.
//! - `kernel`: the interface table, link/address events, VIPs, routes and rules (rtnetlink).
//! - `netlink`: the rtnetlink sockets themselves (requests with ACKs, dumps, monitor).
//! - `vrrp_sock`: the raw VRRP sockets: receiving and sending adverts, IPv4 IP IDs.
//! - `vmac`: the `use_vmac` macvlans: made, set up (sysctls), re-made, removed.
//! - `packet_sock`: the AF_PACKET socket for gratuitous ARP and unsolicited NA.
//! - `spawn`: child processes: track scripts, notifies, timeouts, kill escalation, reaping.
//! - `track_file`: `vrrp_track_file` values, read at start and on inotify events.
//! - `track_process`: `vrrp_track_process` counts from a bounded /proc scan and pidfds.
//! - `control`: the control socket (`vrrpd status` ...) and the `GET /metrics` listener.
//! - `demotions`: `vrrpd demote --persist`, kept beside the control socket across restarts.
//! - `dump`: the SIGUSR1/SIGUSR2/JSON dump files and the notify FIFOs.
//! - `error`: `DaemonError`, the start-up error.
//! - `wheel`: the timer wheel. `logger`: syslog and console. `host`: `config::Host` for this
//!   machine. `sys`: the libc wrappers.
mod control;
mod demotions;
mod dump;
mod error;
pub mod host;
mod kernel;
pub mod logger;
pub mod netlink;
mod packet_sock;
pub mod reactor;
pub mod signals;
mod spawn;
pub mod sys;
mod track_file;
mod track_process;
mod vmac;
mod vrrp_sock;
pub mod wheel;
