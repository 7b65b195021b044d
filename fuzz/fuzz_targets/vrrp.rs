//! VRRP adverts: validation never panics, and whatever parses re-emits to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vrrpd::wire::vrrp::{self, Addrs, ChecksumMode, Expect, RxMeta, V2Auth, Version};
use vrrpd::wire::Family;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else { return };
    let v6 = sel & 1 != 0;
    let (src, dst): (IpAddr, IpAddr) = if v6 {
        (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1).into(), Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12).into())
    } else {
        (Ipv4Addr::new(10, 9, 0, 1).into(), Ipv4Addr::new(224, 0, 0, 18).into())
    };
    let vip = [Ipv4Addr::new(10, 9, 0, 100)];
    let expect = Expect {
        version: if sel & 2 != 0 { Version::V3 } else { Version::V2 },
        multicast: sel & 4 != 0,
        ttl_range: (sel & 8 != 0).then_some((200, 255)),
        auth: match (sel & 16 != 0, sel & 128 != 0) {
            (_, true) => V2Auth::AH,
            (true, _) => V2Auth::pass(*b"secret12"),
            _ => V2Auth::NONE,
        },
        ah_key: (sel & 128 != 0).then_some(*b"secret12"),
        v2_interval: 1,
        v3_checksum_as_v2: sel & 32 != 0,
        vrid: 51,
        vips: Addrs::V4(&vip),
        check_vips: sel & 64 != 0,
    };
    // With AH, the first 44 bytes (if there are) are the IPv4 and AH headers the ICV covers.
    let (header, bytes) = if sel & 128 != 0 { bytes.split_at(bytes.len().min(44)) } else { (&[][..], bytes) };
    let header_len = if v6 { 40 } else { 20.max(header.len()) };
    let meta = RxMeta { src, dst, ttl: 255, header_len };
    let _ = vrrp::validate(header, bytes, &meta, &expect, &mut 0, 100);
    let family = if v6 { Family::V6 } else { Family::V4 };
    if let Ok(p) = vrrp::Packet::new_checked(bytes, family) {
        if let Some(version) = p.version() {
            let mode = ChecksumMode::for_packet(version, src, dst, sel & 32 != 0);
            if let Ok(r) = vrrp::Repr::parse(&p, mode) {
                let mut out = vec![0u8; r.buffer_len()];
                r.emit(&mut out, mode).unwrap();
                assert!(p.same_as_emitted(&out));
            }
        }
    }
});
