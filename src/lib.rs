//! vrrpd: a keepalived-compatible VRRP agent for Linux appliances.
//!
//! Layers (see DESIGN.md): `config` turns keepalived.conf text into a typed, validated
//! [`config::Config`]; it is pure except for reading the files it is told to read. `io` is the
//! shell around it: the only place that asks the operating system anything.
#![deny(unsafe_code)]

pub mod cli;
pub mod config;
pub mod io;
pub mod proto;
pub mod wire;
