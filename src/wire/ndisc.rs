//! IPv6 unsolicited Neighbour Advertisement (RFC 4861 §4.4, §7.2.6) as keepalived sends it for
//! IPv6 VIPs (vrrp_ndisc.c): from the VIP to ff02::1 (33:33:00:00:00:01), hop limit 255,
//! Override set, Router set when the interface forwards, Solicited clear, and a target
//! link-layer address option. The ICMPv6 checksum covers the IPv6 pseudo-header.
use super::{be16, checksum, ethernet, put16, Error, Result};
use std::net::Ipv6Addr;

/// Length of the fixed IPv6 header, bytes (RFC 8200 §3).
pub const IPV6_HEADER_LEN: usize = 40;
/// ICMPv6 NA: type, code, checksum, flags + reserved, target, one 8-byte option.
pub const ICMP_LEN: usize = 4 + 4 + 16 + 8;
/// IPv6 header plus the NA: 72 bytes.
pub const PACKET_LEN: usize = IPV6_HEADER_LEN + ICMP_LEN;
/// The whole Ethernet frame of an unsolicited NA: 86 bytes.
pub const FRAME_LEN: usize = ethernet::HEADER_LEN + PACKET_LEN;
/// Next Header value of ICMPv6 (RFC 4443 §1).
pub const NEXT_HEADER_ICMPV6: u8 = 58;
/// ICMPv6 type of a Neighbor Advertisement (RFC 4861 §4.4).
pub const ICMPV6_NEIGHBOR_ADVERT: u8 = 136;
const OPT_TARGET_LL_ADDR: u8 = 2;
const FLAG_ROUTER: u8 = 0x80;
const FLAG_SOLICITED: u8 = 0x40;
const FLAG_OVERRIDE: u8 = 0x20;
/// The link-local all-nodes group ff02::1 (RFC 4291 §2.7.1), where unsolicited NAs go (RFC 4861 §7.2.6).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// An unsolicited Neighbor Advertisement frame: Ethernet, IPv6 and ICMPv6 fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Ethernet source address: the interface's (or VMAC's) MAC.
    pub src_mac: [u8; 6],
    /// IPv6 source address: the VIP.
    pub src: Ipv6Addr,
    /// IPv6 destination: [`ALL_NODES`]; the Ethernet destination is derived from it.
    pub dst: Ipv6Addr,
    /// IPv6 hop limit: 255, as receivers require (RFC 4861 §7.1.2).
    pub hop_limit: u8,
    /// R flag: the sender is a router (keepalived sets it when the interface forwards).
    pub router: bool,
    /// S flag: a reply to a solicitation; clear in an unsolicited NA.
    pub solicited: bool,
    /// O flag: update existing neighbour cache entries; set in an unsolicited NA.
    pub override_: bool,
    /// Target Address: the VIP being announced.
    pub target: Ipv6Addr,
    /// Target link-layer address option.
    pub target_mac: [u8; 6],
}

impl Repr {
    /// keepalived's unsolicited NA for `vip`.
    pub fn unsolicited(mac: [u8; 6], vip: Ipv6Addr, router: bool) -> Repr {
        Repr {
            src_mac: mac,
            src: vip,
            dst: ALL_NODES,
            hop_limit: 255,
            router,
            solicited: false,
            override_: true,
            target: vip,
            target_mac: mac,
        }
    }

    /// Bytes [`Repr::emit`] writes: always [`FRAME_LEN`].
    pub const fn buffer_len(&self) -> usize {
        FRAME_LEN
    }

    /// The Ethernet multicast address of an IPv6 multicast destination (RFC 2464 §7).
    pub fn multicast_mac(dst: Ipv6Addr) -> [u8; 6] {
        let o = dst.octets();
        [0x33, 0x33, o[12], o[13], o[14], o[15]]
    }

    /// Writes the whole frame: Ethernet, IPv6 header, ICMPv6 NA with its option and checksum.
    pub fn emit(&self, b: &mut [u8]) -> Result<()> {
        if b.len() != FRAME_LEN {
            return Err(Error::BufferSize);
        }
        ethernet::Repr { dst: Self::multicast_mac(self.dst), src: self.src_mac, ethertype: ethernet::ETHERTYPE_IPV6 }
            .emit(b);
        let ip = &mut b[ethernet::HEADER_LEN..];
        ip[0..4].copy_from_slice(&[0x60, 0, 0, 0]);
        put16(ip, 4, ICMP_LEN as u16);
        ip[6] = NEXT_HEADER_ICMPV6;
        ip[7] = self.hop_limit;
        ip[8..24].copy_from_slice(&self.src.octets());
        ip[24..40].copy_from_slice(&self.dst.octets());
        let icmp = &mut ip[IPV6_HEADER_LEN..];
        icmp[0] = ICMPV6_NEIGHBOR_ADVERT;
        icmp[1] = 0;
        put16(icmp, 2, 0);
        icmp[4] = (if self.router { FLAG_ROUTER } else { 0 })
            | (if self.solicited { FLAG_SOLICITED } else { 0 })
            | (if self.override_ { FLAG_OVERRIDE } else { 0 });
        icmp[5..8].copy_from_slice(&[0, 0, 0]);
        icmp[8..24].copy_from_slice(&self.target.octets());
        icmp[24] = OPT_TARGET_LL_ADDR;
        icmp[25] = 1; // length in units of 8 bytes
        icmp[26..32].copy_from_slice(&self.target_mac);
        let c = checksum::finish(checksum::sum(
            checksum::pseudo_v6(self.src, self.dst, NEXT_HEADER_ICMPV6, ICMP_LEN as u32),
            icmp,
        ));
        put16(icmp, 2, c);
        Ok(())
    }

    /// Parses a frame of the form vrrpd and keepalived send: exactly one NA with one target
    /// link-layer address option, traffic class and flow label 0, reserved bits clear, and a
    /// valid ICMPv6 checksum. Anything else is refused, so what parses re-emits identically.
    pub fn parse(b: &[u8]) -> Result<Repr> {
        if b.len() != FRAME_LEN {
            return Err(if b.len() < FRAME_LEN { Error::Truncated } else { Error::BadLength });
        }
        let eth = ethernet::Repr::parse(b)?;
        if eth.ethertype != ethernet::ETHERTYPE_IPV6 {
            return Err(Error::Malformed);
        }
        let ip = &b[ethernet::HEADER_LEN..];
        if ip.len() < IPV6_HEADER_LEN {
            return Err(Error::Truncated);
        }
        if ip[0..4] != [0x60, 0, 0, 0] || ip[6] != NEXT_HEADER_ICMPV6 {
            return Err(Error::Malformed);
        }
        let payload_len = be16(ip, 4) as usize;
        if payload_len != ICMP_LEN {
            return Err(Error::BadLength);
        }
        if eth.dst != Self::multicast_mac(<[u8; 16]>::try_from(&ip[24..40]).expect("16 bytes").into()) {
            return Err(Error::Malformed);
        }
        let addr = |at: usize| -> Ipv6Addr { <[u8; 16]>::try_from(&ip[at..at + 16]).expect("16 bytes").into() };
        let (src, dst) = (addr(8), addr(24));
        let icmp = &ip[IPV6_HEADER_LEN..IPV6_HEADER_LEN + payload_len];
        if icmp[0] != ICMPV6_NEIGHBOR_ADVERT || icmp[1] != 0 || icmp[4] & 0x1f != 0 || icmp[5..8] != [0, 0, 0] {
            return Err(Error::Malformed);
        }
        if checksum::finish(checksum::sum(checksum::pseudo_v6(src, dst, NEXT_HEADER_ICMPV6, payload_len as u32), icmp))
            != 0
        {
            return Err(Error::Checksum);
        }
        if icmp[24] != OPT_TARGET_LL_ADDR || icmp[25] != 1 {
            return Err(Error::Malformed);
        }
        let target_mac = <[u8; 6]>::try_from(&icmp[26..32]).expect("6 bytes");
        let flags = icmp[4];
        Ok(Repr {
            src_mac: eth.src,
            src,
            dst,
            hop_limit: ip[7],
            router: flags & FLAG_ROUTER != 0,
            solicited: flags & FLAG_SOLICITED != 0,
            override_: flags & FLAG_OVERRIDE != 0,
            target: <[u8; 16]>::try_from(&icmp[8..24]).expect("16 bytes").into(),
            target_mac,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [2, 0, 0, 0, 0x0a, 1];

    fn vip() -> Ipv6Addr {
        "2001:db8::62".parse().unwrap()
    }

    #[test]
    fn emit_parse_round_trip_with_router_flag() {
        let r = Repr::unsolicited(MAC, vip(), true);
        let mut b = [0xa5u8; FRAME_LEN];
        r.emit(&mut b).unwrap();
        assert_eq!(&b[0..6], &[0x33, 0x33, 0, 0, 0, 1]);
        assert_eq!(b[54 + 4], 0xa0, "Router and Override, not Solicited");
        let back = Repr::parse(&b).unwrap();
        assert_eq!(back, r);
        let mut again = [0u8; FRAME_LEN];
        back.emit(&mut again).unwrap();
        assert_eq!(again, b);
    }

    #[test]
    fn malformed_frames_are_refused() {
        let mut b = [0u8; FRAME_LEN];
        Repr::unsolicited(MAC, vip(), false).emit(&mut b).unwrap();
        assert_eq!(Repr::parse(&b[..FRAME_LEN - 1]), Err(Error::Truncated));
        let mut sum = b;
        sum[FRAME_LEN - 1] ^= 1;
        assert_eq!(Repr::parse(&sum), Err(Error::Checksum));
        let mut kind = b;
        kind[54] = 135; // a solicitation
        assert_eq!(Repr::parse(&kind), Err(Error::Malformed));
        let mut v4 = b;
        v4[12..14].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(Repr::parse(&v4), Err(Error::Malformed));
        assert_eq!(Repr::unsolicited(MAC, vip(), false).emit(&mut [0u8; 10]), Err(Error::BufferSize));
    }
}
