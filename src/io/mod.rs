//! The shell around the pure layers: everything that asks the operating system.
pub mod daemon;
pub mod host;
pub mod logger;
pub mod netlink;
pub mod signals;
pub mod sys;
pub mod wheel;
