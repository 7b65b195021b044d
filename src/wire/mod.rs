//! Every byte vrrpd reads or writes: VRRP adverts (v2/v3, IPv4/IPv6), the IPv4 header we send
//! with IP_HDRINCL, the IPsec AH header of `auth_type AH` (with MD5 for its ICV), gratuitous
//! ARP, unsolicited neighbour advertisements and rtnetlink.
//!
//! Pure and allocation-free: views (`Packet<T: AsRef<[u8]>>`) check lengths once in
//! `new_checked` and then read fields at fixed offsets; `Repr`s are plain values with `parse`,
//! `emit` into a caller's buffer of exactly `buffer_len()` bytes, and no hidden state. The
//! daemon, the simulator and the fuzz targets share them.
#![warn(missing_docs)]
pub mod ah;
pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod ipv4;
pub mod md5;
pub mod ndisc;
pub mod netlink;
pub mod vrrp;

use std::fmt;

/// Structural errors shared by the codecs. Protocol-level drops of VRRP adverts have their
/// own enum ([`vrrp::DropReason`]) mapping to keepalived's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the header or than a length field says.
    Truncated,
    /// A length field is inconsistent (too small, or not aligned as the format requires).
    BadLength,
    /// A field has a value the format does not allow (version, hardware type, ...).
    Malformed,
    /// The checksum does not verify.
    Checksum,
    /// The output buffer is not `buffer_len()` bytes.
    BufferSize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated",
            Error::BadLength => "inconsistent length field",
            Error::Malformed => "malformed field",
            Error::Checksum => "bad checksum",
            Error::BufferSize => "output buffer of the wrong size",
        })
    }
}

impl std::error::Error for Error {}

/// The result of a codec operation.
pub type Result<T> = core::result::Result<T, Error>;

/// Big-endian field access on byte slices (the one place these conversions live).
#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline]
pub(crate) fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

/// Address family of an instance and of its packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4: 4-byte addresses; VRRP v2 or v3.
    V4,
    /// IPv6: 16-byte addresses; VRRP v3 only (RFC 5798 §5.1.2).
    V6,
}

impl Family {
    /// Bytes of one address.
    pub const fn addr_len(self) -> usize {
        match self {
            Family::V4 => 4,
            Family::V6 => 16,
        }
    }
}
