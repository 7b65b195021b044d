//! RFC 1071 Internet checksum and the IPv4 / IPv6 pseudo-headers (RFC 5798 §5.2.8,
//! RFC 8200 §8.1).
use std::net::{Ipv4Addr, Ipv6Addr};

/// One's-complement sum of `data` as 16-bit big-endian words, added to `initial`, not folded.
pub fn sum(initial: u32, data: &[u8]) -> u32 {
    let mut acc = initial as u64;
    // RFC 1071 §2(B): the sum may be taken over 32-bit words and folded afterwards.
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        acc += u32::from_be_bytes([w[0], w[1], w[2], w[3]]) as u64;
    }
    let mut rest = words.remainder().chunks_exact(2);
    for c in &mut rest {
        acc += u16::from_be_bytes([c[0], c[1]]) as u64;
    }
    if let [last] = rest.remainder() {
        acc += (*last as u64) << 8;
    }
    // Fold to 32 bits so callers can keep adding.
    while acc > 0xffff_ffff {
        acc = (acc & 0xffff_ffff) + (acc >> 32);
    }
    acc as u32
}

/// Folds a running sum into the 16-bit one's complement checksum.
pub fn finish(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The RFC 1071 checksum of `data` alone; 0 when `data` includes a correct checksum field.
pub fn checksum(data: &[u8]) -> u16 {
    finish(sum(0, data))
}

/// IPv4 pseudo-header: source, destination, zero, protocol, upper-layer length.
pub fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, len: u16) -> u32 {
    let mut acc = sum(0, &src.octets());
    acc = sum(acc, &dst.octets());
    sum(acc, &[0, protocol, (len >> 8) as u8, len as u8])
}

/// IPv6 pseudo-header: source, destination, 32-bit length, 24 zero bits, next header.
pub fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, len: u32) -> u32 {
    let mut acc = sum(0, &src.octets());
    acc = sum(acc, &dst.octets());
    acc = sum(acc, &len.to_be_bytes());
    sum(acc, &[0, 0, 0, next_header])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2; checksum is its complement.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(sum(0, &data)), !0xddf2);
    }

    #[test]
    fn word_sums_equal_halfword_sums() {
        // The 32-bit fast path must give the RFC 1071 16-bit result for every length.
        let data: Vec<u8> = (0..67u32).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..data.len() {
            let mut acc = 0u32;
            for c in data[..len].chunks(2) {
                acc += (u32::from(c[0]) << 8) | u32::from(*c.get(1).unwrap_or(&0));
            }
            assert_eq!(finish(sum(0, &data[..len])), finish(acc), "length {len}");
        }
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(checksum(&[0x12, 0x34, 0x56]), checksum(&[0x12, 0x34, 0x56, 0x00]));
    }

    #[test]
    fn verifying_a_checksummed_buffer_gives_zero() {
        let mut data = [0x45u8, 0, 0, 20, 0, 1, 0, 0, 255, 112, 0, 0, 10, 0, 0, 1, 224, 0, 0, 18];
        let c = checksum(&data);
        data[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(checksum(&data), 0);
    }
}
