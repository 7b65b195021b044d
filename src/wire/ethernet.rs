//! Ethernet II header for the frames vrrpd builds itself (GARP, unsolicited NA).
/// Ethernet II header length in bytes: destination, source, EtherType.
pub const HEADER_LEN: usize = 14;
/// EtherType of ARP (RFC 826).
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// EtherType of IPv6 (RFC 2464 §3).
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// The Ethernet broadcast address ff:ff:ff:ff:ff:ff.
pub const BROADCAST: [u8; 6] = [0xff; 6];

/// An Ethernet II header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Destination MAC address.
    pub dst: [u8; 6],
    /// Source MAC address.
    pub src: [u8; 6],
    /// EtherType of the payload (host order here, big-endian on the wire).
    pub ethertype: u16,
}

impl Repr {
    /// Reads the header at the start of `b`; the payload after it is not looked at.
    pub fn parse(b: &[u8]) -> super::Result<Repr> {
        if b.len() < HEADER_LEN {
            return Err(super::Error::Truncated);
        }
        let mut dst = [0; 6];
        let mut src = [0; 6];
        dst.copy_from_slice(&b[0..6]);
        src.copy_from_slice(&b[6..12]);
        Ok(Repr { dst, src, ethertype: super::be16(b, 12) })
    }

    /// Writes the header into the first [`HEADER_LEN`] bytes of `b`, which must be at least that long.
    pub fn emit(&self, b: &mut [u8]) {
        b[0..6].copy_from_slice(&self.dst);
        b[6..12].copy_from_slice(&self.src);
        super::put16(b, 12, self.ethertype);
    }
}
