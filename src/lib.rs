//! vrrpd: a keepalived-compatible VRRP agent for Linux appliances.
//!
//! Layers (ARCHITECTURE.md): [`config`] turns keepalived.conf text into a typed, validated
//! [`config::model::Config`]; [`wire`] parses and emits packets and netlink messages;
//! [`proto`] is the protocol core, a state machine with no clock, sockets or processes;
//! [`sim`] runs cores on a simulated LAN with a virtual clock. All four are pure. [`io`] is
//! the shell around them, the only place that asks the operating system anything (and the
//! only place with `unsafe`); [`cli`] parses keepalived's command line and the subcommands;
//! [`ctl`] is the client of the daemon's control socket.
#![deny(unsafe_code)]

pub mod check;
pub mod cli;
pub mod config;
pub mod ctl;
pub mod io;
pub mod proto;
pub mod sim;
pub mod wire;
