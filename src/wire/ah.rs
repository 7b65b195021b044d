//! The IP Authentication Header (RFC 2402 §2) of VRRPv2 `auth_type AH` (RFC 2338 §5.3.6.3),
//! as keepalived 2.2.7 sends it (vrrp.c vrrp_build_ipsecah(), vrrp_update_pkt()) and checks it
//! (vrrp_in_chk_ipsecah()): between the IPv4 header (protocol 51) and the VRRP advert.
//!
//! ```text
//! | next header 112 | payload len 4 | reserved 0 (16) | SPI (32) | sequence number (32) | ICV (96) |
//! ```
//! - The SPI is the sender's IPv4 source address, its bytes as they are in the IP header.
//! - The sequence number counts the sender's adverts from 1 (vrrpd keeps it in the core).
//! - The ICV is HMAC-MD5-96 (RFC 2403) keyed with the 8-byte, zero-padded `auth_pass`, over
//!   the IPv4 header with TOS, flags/fragment offset and header checksum zeroed (and the TTL
//!   too for a unicast instance: keepalived zeroes it only then), this header with a zero
//!   ICV, and the advert.
use super::{md5, Error, Result};

/// IANA protocol number of AH (RFC 2402 §2).
pub const PROTOCOL: u8 = 51;
/// Bytes of the header with its 96-bit ICV.
pub const HEADER_LEN: usize = 24;
/// Bytes of the ICV: an HMAC-MD5 truncated to 96 bits (RFC 2403 §2).
pub const ICV_LEN: usize = 12;
/// Payload Len: the header in 32-bit words minus 2 (RFC 2402 §2.2).
pub const PAYLOAD_LEN: u8 = (HEADER_LEN / 4 - 2) as u8;
/// The longest IPv4 header (IHL 15).
const MAX_IP_HEADER: usize = 60;

mod field {
    pub(crate) const NEXT_HEADER: usize = 0;
    pub(crate) const PAYLOAD_LEN: usize = 1;
    pub(crate) const SPI: std::ops::Range<usize> = 4..8;
    pub(crate) const SEQ: std::ops::Range<usize> = 8..12;
    pub(crate) const ICV: std::ops::Range<usize> = 12..24;
}

/// A view of at least [`HEADER_LEN`] bytes. The Payload Len is not trusted for the layout:
/// keepalived reads the advert at a fixed 24 bytes, and the ICV covers the field anyway.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that `buffer` holds the whole header.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Packet { buffer })
    }
    /// Next Header: 112 for VRRP.
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::NEXT_HEADER]
    }
    /// Payload Len (RFC 2402 §2.2).
    pub fn payload_len(&self) -> u8 {
        self.buffer.as_ref()[field::PAYLOAD_LEN]
    }
    /// Security Parameters Index, the 4 bytes as sent (keepalived: the source address).
    pub fn spi(&self) -> [u8; 4] {
        self.buffer.as_ref()[field::SPI].try_into().expect("4 bytes")
    }
    /// Sequence Number (RFC 2402 §2.5).
    pub fn seq(&self) -> u32 {
        u32::from_be_bytes(self.buffer.as_ref()[field::SEQ].try_into().expect("4 bytes"))
    }
    /// Integrity Check Value.
    pub fn icv(&self) -> [u8; ICV_LEN] {
        self.buffer.as_ref()[field::ICV].try_into().expect("12 bytes")
    }
}

/// The header's variable fields; Next Header is always VRRP's 112 when sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Next Header: the protocol after this header.
    pub next_header: u8,
    /// Security Parameters Index as sent (keepalived: the IPv4 source address).
    pub spi: [u8; 4],
    /// Sequence Number.
    pub seq: u32,
    /// Integrity Check Value (zero before [`seal`] fills it).
    pub icv: [u8; ICV_LEN],
}

impl Repr {
    /// Reads a view; a Payload Len other than 4 (another ICV size) is not keepalived's AH.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        if p.payload_len() != PAYLOAD_LEN {
            return Err(Error::Malformed);
        }
        Ok(Repr { next_header: p.next_header(), spi: p.spi(), seq: p.seq(), icv: p.icv() })
    }

    /// Bytes [`Repr::emit`] writes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header (reserved zero) into `b`, which must be [`HEADER_LEN`] bytes.
    pub fn emit(&self, b: &mut [u8]) -> Result<()> {
        if b.len() != HEADER_LEN {
            return Err(Error::BufferSize);
        }
        b[field::NEXT_HEADER] = self.next_header;
        b[field::PAYLOAD_LEN] = PAYLOAD_LEN;
        b[2..4].fill(0);
        b[field::SPI].copy_from_slice(&self.spi);
        b[field::SEQ].copy_from_slice(&self.seq.to_be_bytes());
        b[field::ICV].copy_from_slice(&self.icv);
        Ok(())
    }
}

/// The ICV of a datagram whose `header` is the IPv4 header (options included) followed by
/// the AH header, and whose `payload` is the advert after it. `zero_ttl`: the receiving or
/// sending instance is unicast (keepalived leaves the TTL in for multicast, where it is 255).
/// A `header` too short for both headers, or longer than the longest, has no ICV.
pub fn icv(header: &[u8], payload: &[u8], key: &[u8], zero_ttl: bool) -> Option<[u8; ICV_LEN]> {
    let ip_len = header.len().checked_sub(HEADER_LEN)?;
    if !(super::ipv4::HEADER_LEN..=MAX_IP_HEADER).contains(&ip_len) {
        return None;
    }
    let mut copy = [0u8; MAX_IP_HEADER + HEADER_LEN];
    let copy = &mut copy[..header.len()];
    copy.copy_from_slice(header);
    // RFC 2402 §3.3.3.1.1.1 mutable fields: TOS, flags + fragment offset, header checksum;
    // the TTL only in unicast, as keepalived has it.
    copy[1] = 0;
    copy[6..8].fill(0);
    copy[10..12].fill(0);
    if zero_ttl {
        copy[8] = 0;
    }
    copy[ip_len + field::ICV.start..].fill(0);
    let digest = md5::hmac_md5(key, &[copy, payload]);
    Some(digest[..ICV_LEN].try_into().expect("12 of 16 bytes"))
}

/// Fills the ICV of `datagram`: an IPv4 header without options, the AH header, the advert.
pub fn seal(datagram: &mut [u8], key: &[u8], zero_ttl: bool) -> Result<()> {
    let split = super::ipv4::HEADER_LEN + HEADER_LEN;
    if datagram.len() < split {
        return Err(Error::BufferSize);
    }
    let (header, payload) = datagram.split_at(split);
    let icv = icv(header, payload, key, zero_ttl).ok_or(Error::BufferSize)?;
    datagram[super::ipv4::HEADER_LEN + field::ICV.start..split].copy_from_slice(&icv);
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// keepalived 2.2.7 in a namespace (tcpdump -x), multicast: VRID 51, priority 200,
    /// `auth_pass secret12`, 1 s, VIP 192.168.31.240, from 192.168.31.20, its first advert.
    pub(crate) const KA_MULTICAST: [u8; 64] = [
        0x45, 0xc0, 0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0xff, 0x33, 0xfa, 0xfa, 0xc0, 0xa8, 0x1f, 0x14, 0xe0, 0x00,
        0x00, 0x12, 0x70, 0x04, 0x00, 0x00, 0xc0, 0xa8, 0x1f, 0x14, 0x00, 0x00, 0x00, 0x01, 0x95, 0x7f, 0x82, 0xfd,
        0xa0, 0x95, 0xe4, 0x68, 0x73, 0x74, 0xc9, 0x8f, 0x21, 0x33, 0xc8, 0x01, 0x02, 0x01, 0x34, 0x31, 0xc0, 0xa8,
        0x1f, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    /// The same, unicast to 192.168.31.30: VRID 52, priority 150, 2 s, `auth_pass abc`, VIP
    /// 192.168.31.241 (the TTL is out of this ICV).
    pub(crate) const KA_UNICAST: [u8; 64] = [
        0x45, 0xc0, 0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0xff, 0x33, 0xfb, 0x46, 0xc0, 0xa8, 0x1f, 0x14, 0xc0, 0xa8,
        0x1f, 0x1e, 0x70, 0x04, 0x00, 0x00, 0xc0, 0xa8, 0x1f, 0x14, 0x00, 0x00, 0x00, 0x01, 0xe3, 0x8e, 0x3b, 0x84,
        0xac, 0x93, 0xf8, 0x50, 0xa7, 0x14, 0xc1, 0x89, 0x21, 0x34, 0x96, 0x01, 0x02, 0x02, 0x66, 0x2e, 0xc0, 0xa8,
        0x1f, 0xf1, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    const KEY: [u8; 8] = *b"secret12";

    fn ah(d: &[u8]) -> &[u8] {
        &d[20..44]
    }

    #[test]
    fn fixture_to_repr() {
        let r = Repr::parse(&Packet::new_checked(ah(&KA_MULTICAST)).unwrap()).unwrap();
        assert_eq!(r.next_header, 112);
        assert_eq!(r.spi, [192, 168, 31, 20], "the SPI is the source address");
        assert_eq!(r.seq, 1, "the first advert is number 1");
        assert_eq!(r.icv, KA_MULTICAST[32..44]);
    }

    #[test]
    fn repr_to_fixture_into_a_dirty_buffer() {
        let r =
            Repr { next_header: 112, spi: [192, 168, 31, 20], seq: 1, icv: KA_MULTICAST[32..44].try_into().unwrap() };
        let mut b = [0xa5u8; HEADER_LEN];
        r.emit(&mut b).unwrap();
        assert_eq!(b, ah(&KA_MULTICAST));
        assert_eq!(r.emit(&mut [0u8; 23]), Err(Error::BufferSize));
    }

    #[test]
    fn parse_emit_parse_round_trip() {
        for d in [KA_MULTICAST, KA_UNICAST] {
            let r = Repr::parse(&Packet::new_checked(ah(&d)).unwrap()).unwrap();
            let mut b = [0xa5u8; HEADER_LEN];
            r.emit(&mut b).unwrap();
            assert_eq!(b, ah(&d));
            assert_eq!(Repr::parse(&Packet::new_checked(&b[..]).unwrap()).unwrap(), r);
        }
    }

    #[test]
    fn malformed_inputs() {
        assert_eq!(Packet::new_checked(&ah(&KA_MULTICAST)[..23]).unwrap_err(), Error::Truncated);
        let mut b: [u8; 24] = ah(&KA_MULTICAST).try_into().unwrap();
        b[1] = 6; // a 192-bit ICV: not keepalived's HMAC-MD5-96
        assert_eq!(Repr::parse(&Packet::new_checked(&b[..]).unwrap()).unwrap_err(), Error::Malformed);
        // An ICV needs both headers, and no more IPv4 header than IHL 15 allows.
        assert_eq!(icv(&KA_MULTICAST[..43], &[], &KEY, false), None);
        assert_eq!(icv(&[0x45; 85], &[], &KEY, false), None);
        assert_eq!(seal(&mut [0u8; 43], &KEY, false), Err(Error::BufferSize));
    }

    #[test]
    fn keepalived_s_icvs() {
        let (h, p) = KA_MULTICAST.split_at(44);
        assert_eq!(icv(h, p, &KEY, false).unwrap(), KA_MULTICAST[32..44]);
        // The padded field and the password are the same key (RFC 2104 pads with zeros).
        assert_eq!(icv(h, p, b"secret12\0", false).unwrap(), KA_MULTICAST[32..44]);
        assert_ne!(icv(h, p, b"secret13", false).unwrap(), KA_MULTICAST[32..44]);
        // Multicast keeps the TTL in; unicast zeroes it.
        assert_ne!(icv(h, p, &KEY, true).unwrap(), KA_MULTICAST[32..44]);
        let (h, p) = KA_UNICAST.split_at(44);
        assert_eq!(icv(h, p, b"abc\0\0\0\0\0", true).unwrap(), KA_UNICAST[32..44]);
        assert_ne!(icv(h, p, b"abc", false).unwrap(), KA_UNICAST[32..44]);
    }

    #[test]
    fn mutable_fields_do_not_count_and_the_rest_does() {
        let (h, p) = KA_MULTICAST.split_at(44);
        let want = icv(h, p, &KEY, false).unwrap();
        let mut m = KA_MULTICAST;
        m[1] = 0; // TOS
        m[6] = 0x40; // DF
        m[10] = 0x12; // header checksum
        m[32..44].fill(0x5a); // the ICV itself
        let (h, p) = m.split_at(44);
        assert_eq!(icv(h, p, &KEY, false).unwrap(), want);
        for at in [4, 8, 12, 16, 20, 24, 28, 46, 63] {
            let mut m = KA_MULTICAST;
            m[at] ^= 1;
            let (h, p) = m.split_at(44);
            assert_ne!(icv(h, p, &KEY, false).unwrap(), want, "byte {at} is covered");
        }
    }

    #[test]
    fn seal_rebuilds_keepalived_s_datagram() {
        let mut d = KA_MULTICAST;
        d[32..44].fill(0xa5);
        seal(&mut d, &KEY, false).unwrap();
        assert_eq!(d, KA_MULTICAST);
        let mut d = KA_UNICAST;
        d[32..44].fill(0);
        seal(&mut d, b"abc", true).unwrap();
        assert_eq!(d, KA_UNICAST);
    }
}
