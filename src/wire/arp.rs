//! ARP over Ethernet (RFC 826) and keepalived's gratuitous ARP: an ARP *request* broadcast
//! from the interface MAC with sender = target = VIP and target hardware address
//! ff:ff:ff:ff:ff:ff (vrrp_arp.c), 42 bytes on the wire before the NIC pads it.
use super::{be16, ethernet, put16, Error, Result};
use std::net::Ipv4Addr;

/// Length of an Ethernet/IPv4 ARP packet, bytes: 8-byte header, then two MAC and IPv4 address pairs (RFC 826).
pub const PACKET_LEN: usize = 28;
/// Ethernet header plus ARP packet: 42 bytes, before the NIC pads the frame to its minimum.
pub const FRAME_LEN: usize = ethernet::HEADER_LEN + PACKET_LEN;
/// ARP opcode REQUEST (RFC 826 ares_op$REQUEST); keepalived's gratuitous ARP is one.
pub const OP_REQUEST: u16 = 1;
/// ARP opcode REPLY (RFC 826 ares_op$REPLY).
pub const OP_REPLY: u16 = 2;
const HTYPE_ETHERNET: u16 = 1;
const PTYPE_IPV4: u16 = 0x0800;

/// An Ethernet/IPv4 ARP packet (hardware type 1, protocol type 0x0800).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Opcode: [`OP_REQUEST`] or [`OP_REPLY`].
    pub operation: u16,
    /// Sender hardware address (ar$sha).
    pub sender_mac: [u8; 6],
    /// Sender protocol address (ar$spa).
    pub sender_ip: Ipv4Addr,
    /// Target hardware address (ar$tha): ff:ff:ff:ff:ff:ff in keepalived's gratuitous ARP.
    pub target_mac: [u8; 6],
    /// Target protocol address (ar$tpa): the VIP itself in a gratuitous ARP.
    pub target_ip: Ipv4Addr,
}

impl Repr {
    /// keepalived's gratuitous ARP for `vip` from `mac`.
    pub fn gratuitous(mac: [u8; 6], vip: Ipv4Addr) -> Repr {
        Repr { operation: OP_REQUEST, sender_mac: mac, sender_ip: vip, target_mac: ethernet::BROADCAST, target_ip: vip }
    }

    /// Parses the 28-byte ARP packet (Ethernet/IPv4 only).
    pub fn parse(b: &[u8]) -> Result<Repr> {
        if b.len() < PACKET_LEN {
            return Err(Error::Truncated);
        }
        if be16(b, 0) != HTYPE_ETHERNET || be16(b, 2) != PTYPE_IPV4 || b[4] != 6 || b[5] != 4 {
            return Err(Error::Malformed);
        }
        let mac = |at: usize| -> [u8; 6] { b[at..at + 6].try_into().expect("6 bytes") };
        let ip = |at: usize| -> Ipv4Addr { <[u8; 4]>::try_from(&b[at..at + 4]).expect("4 bytes").into() };
        Ok(Repr {
            operation: be16(b, 6),
            sender_mac: mac(8),
            sender_ip: ip(14),
            target_mac: mac(18),
            target_ip: ip(24),
        })
    }

    /// Bytes [`Repr::emit`] writes: always [`PACKET_LEN`].
    pub const fn buffer_len(&self) -> usize {
        PACKET_LEN
    }

    /// Writes the 28-byte ARP packet (no Ethernet header) into `b`, which must be [`PACKET_LEN`] bytes.
    pub fn emit(&self, b: &mut [u8]) -> Result<()> {
        if b.len() != PACKET_LEN {
            return Err(Error::BufferSize);
        }
        put16(b, 0, HTYPE_ETHERNET);
        put16(b, 2, PTYPE_IPV4);
        b[4] = 6;
        b[5] = 4;
        put16(b, 6, self.operation);
        b[8..14].copy_from_slice(&self.sender_mac);
        b[14..18].copy_from_slice(&self.sender_ip.octets());
        b[18..24].copy_from_slice(&self.target_mac);
        b[24..28].copy_from_slice(&self.target_ip.octets());
        Ok(())
    }

    /// The whole Ethernet frame of a gratuitous ARP: broadcast from the sender MAC.
    pub fn emit_frame(&self, b: &mut [u8]) -> Result<()> {
        if b.len() != FRAME_LEN {
            return Err(Error::BufferSize);
        }
        ethernet::Repr { dst: ethernet::BROADCAST, src: self.sender_mac, ethertype: ethernet::ETHERTYPE_ARP }.emit(b);
        self.emit(&mut b[ethernet::HEADER_LEN..])
    }

    /// Parses a frame: Ethernet header with the ARP ethertype, then the packet.
    pub fn parse_frame(b: &[u8]) -> Result<(ethernet::Repr, Repr)> {
        let eth = ethernet::Repr::parse(b)?;
        if eth.ethertype != ethernet::ETHERTYPE_ARP {
            return Err(Error::Malformed);
        }
        Ok((eth, Repr::parse(&b[ethernet::HEADER_LEN..])?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [2, 0, 0, 0, 0x0a, 1];

    #[test]
    fn gratuitous_arp_frame_round_trip() {
        let g = Repr::gratuitous(MAC, Ipv4Addr::new(10, 9, 0, 100));
        let mut b = [0xa5u8; FRAME_LEN];
        g.emit_frame(&mut b).unwrap();
        assert_eq!(&b[0..6], &[0xff; 6], "broadcast");
        assert_eq!(&b[20..22], &[0, 1], "an ARP request, as keepalived sends");
        let (eth, back) = Repr::parse_frame(&b).unwrap();
        assert_eq!((eth.src, back), (MAC, g));
        let mut again = [0u8; PACKET_LEN];
        back.emit(&mut again).unwrap();
        assert_eq!(&again[..], &b[14..]);
    }

    #[test]
    fn malformed_packets_are_refused() {
        let mut b = [0u8; FRAME_LEN];
        Repr::gratuitous(MAC, Ipv4Addr::new(10, 9, 0, 100)).emit_frame(&mut b).unwrap();
        assert_eq!(Repr::parse(&b[14..41]), Err(Error::Truncated));
        let mut ipv6 = b;
        ipv6[16..18].copy_from_slice(&[0x86, 0xdd]);
        assert_eq!(Repr::parse(&ipv6[14..]), Err(Error::Malformed));
        let mut not_arp = b;
        not_arp[12..14].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(Repr::parse_frame(&not_arp).unwrap_err(), Error::Malformed);
        assert_eq!(Repr::gratuitous(MAC, Ipv4Addr::LOCALHOST).emit(&mut [0u8; 27]), Err(Error::BufferSize));
    }
}
