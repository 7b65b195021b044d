//! MD5 (RFC 1321) and HMAC-MD5 (RFC 2104), for the ICV of keepalived's `auth_type AH`
//! (HMAC-MD5-96, RFC 2403). Allocation-free; the message may come in several parts (the AH
//! ICV covers a header copy with its mutable fields zeroed, then the payload in place).
//! MD5 is broken for collision resistance; HMAC-MD5 is what keepalived 2.2.7 sends, so it is
//! what interoperates.

/// Bytes of an MD5 digest.
pub const DIGEST_LEN: usize = 16;
const BLOCK_LEN: usize = 64;

/// RFC 1321 §3.4: T[i] = floor(2^32 × |sin(i + 1)|), four per round.
const T: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8,
    0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87,
    0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
    0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391,
];
/// RFC 1321 §3.4: the rotation amounts, four per round.
const S: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/// An MD5 computation under way.
struct Md5 {
    state: [u32; 4],
    block: [u8; BLOCK_LEN],
    /// Message bytes so far (RFC 1321 §3.2 appends their count in bits).
    len: u64,
}

impl Md5 {
    fn new() -> Md5 {
        // RFC 1321 §3.3.
        Md5 { state: [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476], block: [0; BLOCK_LEN], len: 0 }
    }

    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let at = (self.len % BLOCK_LEN as u64) as usize;
            let n = (BLOCK_LEN - at).min(data.len());
            self.block[at..at + n].copy_from_slice(&data[..n]);
            self.len += n as u64;
            data = &data[n..];
            if at + n == BLOCK_LEN {
                self.compress();
            }
        }
    }

    /// RFC 1321 §3.4: one 64-byte block into the state.
    fn compress(&mut self) {
        let mut x = [0u32; 16];
        for (w, c) in x.iter_mut().zip(self.block.chunks_exact(4)) {
            *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        let [mut a, mut b, mut c, mut d] = self.state;
        for i in 0..64 {
            let (f, k) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((b & d) | (c & !d), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let sum = a.wrapping_add(f).wrapping_add(T[i]).wrapping_add(x[k]);
            (a, d, c) = (d, c, b);
            b = b.wrapping_add(sum.rotate_left(S[(i / 16) * 4 + i % 4]));
        }
        for (s, v) in self.state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }

    /// RFC 1321 §3.1-3.2 padding and length, §3.5 output (little-endian words).
    fn finish(mut self) -> [u8; DIGEST_LEN] {
        let bits = self.len.wrapping_mul(8);
        self.update(&[0x80]);
        while self.len % BLOCK_LEN as u64 != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_le_bytes());
        let mut out = [0u8; DIGEST_LEN];
        for (o, s) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&s.to_le_bytes());
        }
        out
    }
}

/// MD5 of the concatenation of `parts`.
pub fn md5(parts: &[&[u8]]) -> [u8; DIGEST_LEN] {
    let mut h = Md5::new();
    parts.iter().for_each(|p| h.update(p));
    h.finish()
}

/// HMAC-MD5 (RFC 2104 §2) of the concatenation of `parts` under `key`; a key longer than
/// the 64-byte block is hashed first, a shorter one zero-padded (so trailing zero bytes of a
/// key do not change the result, which is why keepalived's zero-padded 8-byte `auth_pass`
/// field and the password itself give the same ICV).
pub fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; DIGEST_LEN] {
    let mut k = [0u8; BLOCK_LEN];
    if key.len() > BLOCK_LEN {
        k[..DIGEST_LEN].copy_from_slice(&md5(&[key]));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.map(|b| b ^ byte);
    let mut inner = Md5::new();
    inner.update(&pad(0x36));
    parts.iter().for_each(|p| inner.update(p));
    let inner = inner.finish();
    md5(&[&pad(0x5c), &inner])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn rfc1321_test_suite() {
        // RFC 1321 Appendix A.5.
        let cases: [(&str, &str); 7] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (msg, digest) in cases {
            assert_eq!(hex(&md5(&[msg.as_bytes()])), digest, "MD5({msg:?})");
        }
    }

    #[test]
    fn parts_hash_like_their_concatenation() {
        let msg: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        let whole = md5(&[&msg]);
        for cut in [0, 1, 55, 56, 63, 64, 65, 128, 299, 300] {
            assert_eq!(md5(&[&msg[..cut], &msg[cut..]]), whole, "cut at {cut}");
        }
    }

    #[test]
    fn rfc2202_hmac_md5_test_cases() {
        // RFC 2202 §2, test cases 1-7.
        let aa80 = [0xaau8; 80];
        let cases: [(&[u8], &[u8], &str); 7] = [
            (&[0x0b; 16], b"Hi There", "9294727a3638bb1c13f48ef8158bfc9d"),
            (b"Jefe", b"what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"),
            (&[0xaa; 16], &[0xdd; 50], "56be34521d144c88dbb8c733f0e8b3f6"),
            (
                &[
                    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
                    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
                ],
                &[0xcd; 50],
                "697eaf0aca3a3aea3a75164746ffaa79",
            ),
            (&[0x0c; 16], b"Test With Truncation", "56461ef2342edc00f9bab995690efd4c"),
            (&aa80, b"Test Using Larger Than Block-Size Key - Hash Key First", "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"),
            (
                &aa80,
                b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
                "6f630fad67cda0ee1fb1f562db3aa53e",
            ),
        ];
        for (n, (key, data, digest)) in cases.iter().enumerate() {
            assert_eq!(hex(&hmac_md5(key, &[data])), *digest, "RFC 2202 test case {}", n + 1);
        }
        // Case 5's HMAC-MD5-96 (RFC 2403 truncation) is the first 12 bytes.
        assert_eq!(hex(&hmac_md5(&[0x0c; 16], &[b"Test With Truncation"])[..12]), "56461ef2342edc00f9bab995");
    }
}
