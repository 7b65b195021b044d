//! IPv6 unsolicited Neighbour Advertisement (RFC 4861 §4.4, §7.2.6) as keepalived sends it for
//! IPv6 VIPs (vrrp_ndisc.c): from the VIP to ff02::1 (33:33:00:00:00:01), hop limit 255,
//! Override set, Router set when the interface forwards, Solicited clear, and a target
//! link-layer address option. The ICMPv6 checksum covers the IPv6 pseudo-header.
use super::{be16, checksum, ethernet, put16, Error, Result};
use std::net::Ipv6Addr;

pub const IPV6_HEADER_LEN: usize = 40;
/// ICMPv6 NA: type, code, checksum, flags + reserved, target, one 8-byte option.
pub const ICMP_LEN: usize = 4 + 4 + 16 + 8;
pub const PACKET_LEN: usize = IPV6_HEADER_LEN + ICMP_LEN;
pub const FRAME_LEN: usize = ethernet::HEADER_LEN + PACKET_LEN;
pub const NEXT_HEADER_ICMPV6: u8 = 58;
pub const ICMPV6_NEIGHBOR_ADVERT: u8 = 136;
const OPT_TARGET_LL_ADDR: u8 = 2;
const FLAG_ROUTER: u8 = 0x80;
const FLAG_SOLICITED: u8 = 0x40;
const FLAG_OVERRIDE: u8 = 0x20;
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub src_mac: [u8; 6],
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub hop_limit: u8,
    pub router: bool,
    pub solicited: bool,
    pub override_: bool,
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

    /// Parses a frame carrying an NA with a target link-layer address option; verifies the
    /// ICMPv6 checksum.
    pub fn parse(b: &[u8]) -> Result<Repr> {
        let eth = ethernet::Repr::parse(b)?;
        if eth.ethertype != ethernet::ETHERTYPE_IPV6 {
            return Err(Error::Malformed);
        }
        let ip = &b[ethernet::HEADER_LEN..];
        if ip.len() < IPV6_HEADER_LEN {
            return Err(Error::Truncated);
        }
        if ip[0] >> 4 != 6 || ip[6] != NEXT_HEADER_ICMPV6 {
            return Err(Error::Malformed);
        }
        let payload_len = be16(ip, 4) as usize;
        if payload_len < ICMP_LEN || ip.len() < IPV6_HEADER_LEN + payload_len {
            return Err(Error::Truncated);
        }
        let addr = |at: usize| -> Ipv6Addr { <[u8; 16]>::try_from(&ip[at..at + 16]).expect("16 bytes").into() };
        let (src, dst) = (addr(8), addr(24));
        let icmp = &ip[IPV6_HEADER_LEN..IPV6_HEADER_LEN + payload_len];
        if icmp[0] != ICMPV6_NEIGHBOR_ADVERT || icmp[1] != 0 {
            return Err(Error::Malformed);
        }
        if checksum::finish(checksum::sum(checksum::pseudo_v6(src, dst, NEXT_HEADER_ICMPV6, payload_len as u32), icmp))
            != 0
        {
            return Err(Error::Checksum);
        }
        // Walk the options for the target link-layer address.
        let mut target_mac = None;
        let mut opts = &icmp[24..];
        while opts.len() >= 8 {
            let len = opts[1] as usize * 8;
            if len == 0 || len > opts.len() {
                return Err(Error::BadLength);
            }
            if opts[0] == OPT_TARGET_LL_ADDR && len == 8 {
                target_mac = Some(<[u8; 6]>::try_from(&opts[2..8]).expect("6 bytes"));
            }
            opts = &opts[len..];
        }
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
            target_mac: target_mac.ok_or(Error::Malformed)?,
        })
    }
}
