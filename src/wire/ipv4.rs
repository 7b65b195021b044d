//! The IPv4 header: the receive view of what a raw socket hands us (IHL with options, total
//! length, TTL; trailing Ethernet padding is ignored), and the header vrrpd writes itself with
//! IP_HDRINCL exactly as keepalived does (vrrp.c vrrp_build_ip4): TOS 0xc0, DF clear,
//! TTL 255 or `unicast_ttl`, an ID that increments and skips 0, protocol 112.
use super::{be16, checksum, put16, Error, Result};
use std::net::Ipv4Addr;

/// Length of an IPv4 header without options, bytes (IHL 5, RFC 791 §3.1).
pub const HEADER_LEN: usize = 20;
/// The TOS byte keepalived sends (vrrp.c vrrp_build_ip4): precedence 6, "internetwork
/// control" (RFC 791 §3.1).
pub const TOS_INTERNETWORK_CONTROL: u8 = 0xc0;

mod field {
    pub(crate) const VER_IHL: usize = 0;
    pub(crate) const TOS: usize = 1;
    pub(crate) const TOTAL_LEN: usize = 2;
    pub(crate) const IDENT: usize = 4;
    pub(crate) const FLAGS_FRAG: usize = 6;
    pub(crate) const TTL: usize = 8;
    pub(crate) const PROTOCOL: usize = 9;
    pub(crate) const CHECKSUM: usize = 10;
    pub(crate) const SRC: std::ops::Range<usize> = 12..16;
    pub(crate) const DST: std::ops::Range<usize> = 16..20;
}

/// A checked view: version 4, IHL >= 5, header and total length inside the buffer.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks version, IHL and Total Length against the buffer; see [`Packet`].
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if b[field::VER_IHL] >> 4 != 4 {
            return Err(Error::Malformed);
        }
        let p = Packet { buffer };
        let hl = p.header_len();
        let total = p.total_len() as usize;
        if hl < HEADER_LEN || total < hl {
            return Err(Error::BadLength);
        }
        if p.buffer.as_ref().len() < total {
            return Err(Error::Truncated);
        }
        Ok(p)
    }

    /// IHL × 4: the header length in bytes, options included.
    pub fn header_len(&self) -> usize {
        ((self.buffer.as_ref()[field::VER_IHL] & 0x0f) as usize) * 4
    }
    /// Type of Service byte.
    pub fn tos(&self) -> u8 {
        self.buffer.as_ref()[field::TOS]
    }
    /// Total Length: header plus payload, bytes.
    pub fn total_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::TOTAL_LEN)
    }
    /// Identification.
    pub fn ident(&self) -> u16 {
        be16(self.buffer.as_ref(), field::IDENT)
    }
    /// The DF (Don't Fragment) flag.
    pub fn dont_fragment(&self) -> bool {
        be16(self.buffer.as_ref(), field::FLAGS_FRAG) & 0x4000 != 0
    }
    /// Time to Live.
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }
    /// Protocol of the payload (112 for VRRP).
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[field::PROTOCOL]
    }
    /// Source address.
    pub fn src(&self) -> Ipv4Addr {
        let b: [u8; 4] = self.buffer.as_ref()[field::SRC].try_into().expect("4 bytes");
        Ipv4Addr::from(b)
    }
    /// Destination address.
    pub fn dst(&self) -> Ipv4Addr {
        let b: [u8; 4] = self.buffer.as_ref()[field::DST].try_into().expect("4 bytes");
        Ipv4Addr::from(b)
    }
    /// True if the header checksum (options included) verifies.
    pub fn verify_checksum(&self) -> bool {
        checksum::checksum(&self.buffer.as_ref()[..self.header_len()]) == 0
    }
    /// The payload up to the total length: Ethernet padding after it is not part of it.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..self.total_len() as usize]
    }
}

impl<'a> Packet<&'a [u8]> {
    /// The payload borrowing the underlying bytes rather than the view.
    pub fn payload_ref(&self) -> &'a [u8] {
        let b: &'a [u8] = self.buffer;
        &b[self.header_len()..self.total_len() as usize]
    }
}

/// The fields vrrpd sets or reads; options are never sent and are skipped on receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol of the payload (112 for VRRP).
    pub protocol: u8,
    /// Time to Live: 255 for multicast adverts (RFC 5798 §5.1.1.3), else `unicast_ttl`.
    pub ttl: u8,
    /// Type of Service byte ([`TOS_INTERNETWORK_CONTROL`] when vrrpd sends).
    pub tos: u8,
    /// Identification (see [`next_ident`]).
    pub ident: u16,
    /// Bytes after the header: Total Length minus the header length.
    pub payload_len: u16,
}

impl Repr {
    /// Reads a checked view after verifying its header checksum.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        if !p.verify_checksum() {
            return Err(Error::Checksum);
        }
        Ok(Repr {
            src: p.src(),
            dst: p.dst(),
            protocol: p.protocol(),
            ttl: p.ttl(),
            tos: p.tos(),
            ident: p.ident(),
            payload_len: p.total_len() - p.header_len() as u16,
        })
    }

    /// Bytes [`Repr::emit`] writes: always [`HEADER_LEN`], as vrrpd sends no options.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 20-byte header (DF clear, no options) with its checksum.
    pub fn emit(&self, b: &mut [u8]) -> Result<()> {
        if b.len() != HEADER_LEN {
            return Err(Error::BufferSize);
        }
        b[field::VER_IHL] = 0x45;
        b[field::TOS] = self.tos;
        put16(b, field::TOTAL_LEN, HEADER_LEN as u16 + self.payload_len);
        put16(b, field::IDENT, self.ident);
        put16(b, field::FLAGS_FRAG, 0);
        b[field::TTL] = self.ttl;
        b[field::PROTOCOL] = self.protocol;
        put16(b, field::CHECKSUM, 0);
        b[field::SRC].copy_from_slice(&self.src.octets());
        b[field::DST].copy_from_slice(&self.dst.octets());
        let c = checksum::checksum(b);
        put16(b, field::CHECKSUM, c);
        Ok(())
    }
}

/// keepalived's IP ID sequence: starts at 1, increments, and skips 0 on wrap.
pub fn next_ident(previous: u16) -> u16 {
    match previous.wrapping_add(1) {
        0 => 1,
        n => n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr() -> Repr {
        Repr {
            src: Ipv4Addr::new(10, 9, 0, 1),
            dst: Ipv4Addr::new(224, 0, 0, 18),
            protocol: 112,
            ttl: 255,
            tos: TOS_INTERNETWORK_CONTROL,
            ident: 7,
            payload_len: 20,
        }
    }

    #[test]
    fn emit_into_dirty_buffer_then_parse() {
        let mut b = [0xa5u8; 40];
        repr().emit(&mut b[..20]).unwrap();
        let p = Packet::new_checked(&b[..]).unwrap();
        assert!(!p.dont_fragment());
        assert_eq!(Repr::parse(&p).unwrap(), repr());
        assert_eq!(p.payload().len(), 20);
    }

    #[test]
    fn options_and_padding() {
        let mut b = [0u8; 24 + 20 + 6];
        repr().emit(&mut b[..20]).unwrap();
        // Rewrite as IHL 6 with 4 bytes of options; total length covers the payload only.
        let mut h = b[..20].to_vec();
        h[0] = 0x46;
        put16(&mut h, 2, 44);
        h.splice(20..20, [1, 1, 1, 1]);
        put16(&mut h, 10, 0);
        let c = checksum::checksum(&h);
        put16(&mut h, 10, c);
        b[..24].copy_from_slice(&h);
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!((p.header_len(), p.payload().len()), (24, 20), "padding after total length ignored");
        assert!(Repr::parse(&p).is_ok());
    }

    #[test]
    fn malformed() {
        let mut b = [0u8; 20];
        repr().emit(&mut b).unwrap();
        assert_eq!(Packet::new_checked(&b[..19]).unwrap_err(), Error::Truncated);
        assert_eq!(Packet::new_checked(&b[..]).unwrap_err(), Error::Truncated, "total length 40 > 20");
        let mut v6 = b;
        v6[0] = 0x65;
        assert_eq!(Packet::new_checked(&v6[..]).unwrap_err(), Error::Malformed);
        let mut short_ihl = b;
        short_ihl[0] = 0x44;
        assert_eq!(Packet::new_checked(&short_ihl[..]).unwrap_err(), Error::BadLength);
        let mut full = [0u8; 40];
        repr().emit(&mut full[..20]).unwrap();
        full[8] = 1;
        assert_eq!(Repr::parse(&Packet::new_checked(&full[..]).unwrap()).unwrap_err(), Error::Checksum);
    }

    #[test]
    fn ident_skips_zero() {
        assert_eq!(next_ident(0), 1);
        assert_eq!(next_ident(1), 2);
        assert_eq!(next_ident(u16::MAX), 1);
    }
}
