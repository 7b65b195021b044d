//! A minimal pcap (libpcap 2.4, Ethernet) reader for the captured fixtures.
pub struct Frame {
    pub data: Vec<u8>,
}

pub fn read(path: &std::path::Path) -> Vec<Frame> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(b.len() >= 24, "pcap header");
    let le = match &b[0..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] => false,
        m => panic!("not a microsecond pcap: {m:x?}"),
    };
    let u32_at = |at: usize| {
        let a: [u8; 4] = b[at..at + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    assert_eq!(u32_at(20), 1, "link type Ethernet");
    let mut frames = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let incl = u32_at(at + 8) as usize;
        frames.push(Frame { data: b[at + 16..at + 16 + incl].to_vec() });
        at += 16 + incl;
    }
    frames
}
