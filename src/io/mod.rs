//! The shell around the pure layers: everything that asks the operating system.
pub mod host;
pub mod signals;
pub mod wheel;
