//! Ethernet II header for the frames vrrpd builds itself (GARP, unsolicited NA).
pub const HEADER_LEN: usize = 14;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const BROADCAST: [u8; 6] = [0xff; 6];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub dst: [u8; 6],
    pub src: [u8; 6],
    pub ethertype: u16,
}

impl Repr {
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

    pub fn emit(&self, b: &mut [u8]) {
        b[0..6].copy_from_slice(&self.dst);
        b[6..12].copy_from_slice(&self.src);
        super::put16(b, 12, self.ethertype);
    }
}
