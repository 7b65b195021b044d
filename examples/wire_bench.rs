//! `make bench`: VRRPv3/IPv4 advert with 8 VIPs: parse + validate, and emit (with the
//! pseudo-header checksum), in ns per operation (issue target: under 100 ns each).
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;
use vrrpd::wire::vrrp::{self, Addrs, ChecksumMode, Expect, RxMeta, V2Auth, Version};

fn main() {
    let vips: Vec<Ipv4Addr> = (1..=8).map(|i| Ipv4Addr::new(10, 9, 0, 100 + i)).collect();
    let src = Ipv4Addr::new(10, 9, 0, 1);
    let dst = Ipv4Addr::new(224, 0, 0, 18);
    let mode = ChecksumMode::PseudoV4 { src, dst };
    let repr = vrrp::Repr {
        version: Version::V3,
        vrid: 51,
        priority: 150,
        interval: 100,
        auth: V2Auth::NONE,
        addrs: Addrs::V4(&vips),
        reserved: 0,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut buf, mode).unwrap();
    let meta = RxMeta { src: IpAddr::V4(src), dst: IpAddr::V4(dst), ttl: 255, header_len: 20 };
    let expect = Expect {
        version: Version::V3,
        multicast: true,
        ttl_range: None,
        auth: V2Auth::NONE,
        ah_key: None,
        v2_interval: 1,
        v3_checksum_as_v2: false,
        vrid: repr.vrid,
        vips: Addrs::V4(&vips),
        check_vips: true,
    };

    const N: u32 = 5_000_000;
    let mut best_parse = f64::MAX;
    let mut best_emit = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..N {
            let ok = vrrp::validate(&[], black_box(&buf), black_box(&meta), black_box(&expect), &mut 0, 100).unwrap();
            black_box(ok.repr.priority);
        }
        best_parse = best_parse.min(t.elapsed().as_nanos() as f64 / N as f64);
        let t = Instant::now();
        for _ in 0..N {
            black_box(&repr).emit(black_box(&mut buf), black_box(mode)).unwrap();
        }
        best_emit = best_emit.min(t.elapsed().as_nanos() as f64 / N as f64);
    }
    println!("VRRPv3/IPv4, 8 VIPs ({} bytes): parse+validate {best_parse:.1} ns, emit {best_emit:.1} ns (target < 100 ns each; best of 5 x {N})", buf.len());
}
