//! Gratuitous ARP and unsolicited NA frames: parse never panics; accepted frames re-emit.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vrrpd::wire::{arp, ndisc};

fuzz_target!(|data: &[u8]| {
    if let Ok((_, r)) = arp::Repr::parse_frame(data) {
        let mut out = [0u8; arp::PACKET_LEN];
        r.emit(&mut out).unwrap();
        assert_eq!(&out[..], &data[14..14 + arp::PACKET_LEN]);
    }
    if let Ok(r) = ndisc::Repr::parse(data) {
        let mut out = [0u8; ndisc::FRAME_LEN];
        r.emit(&mut out).unwrap();
        assert_eq!(&out[..], data);
    }
});
