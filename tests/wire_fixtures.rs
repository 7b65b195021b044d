//! Bytes captured from keepalived 2.2.7 (tests/data/capture, made by
//! tests/netns/capture-keepalived.sh): our parse gives the expected values and our emit of
//! those values reproduces the captured bytes exactly.
mod common;
use common::{data, pcap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vrrpd::wire::vrrp::{self, Addrs, ChecksumMode, Expect, RxMeta, V2Auth, Version};
use vrrpd::wire::{ah, arp, ethernet, ipv4, ndisc, Family};

const KA_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0a, 0x01];

fn capture(name: &str) -> Vec<pcap::Frame> {
    pcap::read(&data("capture").join(name))
}

/// What ka-main.conf configures, per VRID.
fn expected(vrid: u8) -> (Version, u16, V2Auth, Vec<IpAddr>, bool) {
    let v4 = |s: &[&str]| s.iter().map(|a| a.parse().unwrap()).collect::<Vec<IpAddr>>();
    let pass = V2Auth::pass(*b"secret12");
    match vrid {
        51 => (Version::V2, 1, pass, v4(&["10.9.0.100"]), true),
        52 => (Version::V2, 1, V2Auth::NONE, v4(&["10.9.0.101", "10.9.0.102"]), true),
        60 => (Version::V3, 50, V2Auth::NONE, v4(&["10.9.0.110"]), true),
        61 => (Version::V3, 50, V2Auth::NONE, v4(&["10.9.0.111"]), false),
        62 => (Version::V3, 50, V2Auth::NONE, v4(&["fe80::62", "2001:db8::62"]), true),
        70 => (Version::V3, 50, V2Auth::NONE, v4(&["10.9.0.120"]), true),
        other => panic!("unexpected VRID {other}"),
    }
}

#[test]
fn every_captured_advert_validates_and_re_emits_byte_for_byte() {
    let mut seen = std::collections::BTreeMap::new();
    for file in ["ka-main.pcap", "ka-csum-as-v2.pcap"] {
        // keepalived keeps one IP ID sequence per instance: 1, 2, 3 ...
        let mut last_ident = std::collections::HashMap::<u8, u16>::new();
        for f in capture(file) {
            let eth = ethernet::Repr::parse(&f.data).unwrap();
            let l3 = &f.data[ethernet::HEADER_LEN..];
            let (meta, payload, ip_header): (RxMeta, &[u8], Option<ipv4::Repr>) = match eth.ethertype {
                0x0800 => {
                    let p = ipv4::Packet::new_checked(l3).unwrap();
                    if p.protocol() != vrrp::PROTOCOL {
                        continue;
                    }
                    let ip = ipv4::Repr::parse(&p).unwrap();
                    // keepalived's IPv4 header: TOS 0xc0, TTL 255, DF clear, IDs increase, never 0.
                    assert_eq!((ip.tos, ip.ttl, p.dont_fragment()), (0xc0, 255, false));
                    let prev = last_ident.insert(p.payload()[1], ip.ident).unwrap_or(0);
                    assert_eq!(ip.ident, ipv4::next_ident(prev), "IP ID sequence of VRID {}", p.payload()[1]);
                    let meta =
                        RxMeta { src: ip.src.into(), dst: ip.dst.into(), ttl: ip.ttl, header_len: p.header_len() };
                    (meta, p.payload_ref(), Some(ip))
                }
                0x86dd if l3[6] == vrrp::PROTOCOL => {
                    // IPv6: traffic class 0xc0, hop limit 255 (the kernel writes this header).
                    assert_eq!(((l3[0] & 0x0f) << 4) | (l3[1] >> 4), 0xc0);
                    assert_eq!(l3[7], 255);
                    let src = Ipv6Addr::from(<[u8; 16]>::try_from(&l3[8..24]).unwrap());
                    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&l3[24..40]).unwrap());
                    (RxMeta { src: src.into(), dst: dst.into(), ttl: l3[7], header_len: 40 }, &l3[40..], None)
                }
                _ => continue,
            };
            let vrid = payload[1];
            let (version, interval, auth, vips, multicast) = expected(vrid);
            let family = if meta.src.is_ipv4() { Family::V4 } else { Family::V6 };
            let v4s: Vec<Ipv4Addr> =
                vips.iter().filter_map(|a| if let IpAddr::V4(a) = a { Some(*a) } else { None }).collect();
            let v6s: Vec<Ipv6Addr> =
                vips.iter().filter_map(|a| if let IpAddr::V6(a) = a { Some(*a) } else { None }).collect();
            let ours = if family == Family::V4 { Addrs::V4(&v4s) } else { Addrs::V6(&v6s) };
            let expect = Expect {
                version,
                multicast,
                ttl_range: None,
                auth,
                v2_interval: interval,
                v3_checksum_as_v2: false,
                vrid,
                vips: ours,
                check_vips: true,
                ah_key: None,
            };
            let ok = vrrp::validate(&[], payload, &meta, &expect, &mut 0, interval)
                .unwrap_or_else(|d| panic!("{file} VRID {vrid}: dropped: {d}"));
            assert!(!ok.interval_differs, "VRID {vrid}");
            let r = ok.repr;
            assert_eq!((r.version, r.vrid, r.interval, r.auth, r.addrs), (version, vrid, interval, auth, ours));
            assert!(r.priority == 255 || r.priority == 0, "priority {}", r.priority);
            if !multicast {
                assert_eq!(meta.dst, "10.9.0.2".parse::<IpAddr>().unwrap(), "unicast goes to the peer");
            }
            // Re-emit from values, not from the captured bytes.
            let sent = vrrp::Repr { version, vrid, priority: r.priority, interval, auth, addrs: ours, reserved: 0 };
            let mode = ChecksumMode::for_packet(version, meta.src, meta.dst, false);
            let mut out = vec![0xa5u8; sent.buffer_len()];
            sent.emit(&mut out, mode).unwrap();
            assert_eq!(out, payload, "{file} VRID {vrid} prio {}", r.priority);
            if let Some(ip) = ip_header {
                let mut hdr = [0xa5u8; ipv4::HEADER_LEN];
                ipv4::Repr { payload_len: out.len() as u16, ..ip }.emit(&mut hdr).unwrap();
                assert_eq!(&hdr[..], &l3[..20], "IPv4 header of VRID {vrid}");
            }
            *seen.entry((vrid, r.priority)).or_insert(0) += 1;
        }
    }
    let kinds: Vec<_> = seen.keys().copied().collect();
    for vrid in [51, 52, 60, 61, 62, 70] {
        assert!(
            kinds.contains(&(vrid, 255)) && kinds.contains(&(vrid, 0)),
            "VRID {vrid} adverts and its priority-0 advert: {seen:?}"
        );
    }
}

#[test]
fn captured_ah_adverts_validate_in_sequence_and_re_emit_byte_for_byte() {
    // ka-ah.conf: VRID 53 multicast (auth_pass secret12), VRID 54 unicast to 10.9.0.2 (abc).
    let mut seqs = std::collections::HashMap::<u8, u32>::new();
    let mut checked = 0;
    for f in capture("ka-ah.pcap") {
        let l3 = &f.data[ethernet::HEADER_LEN..];
        if ethernet::Repr::parse(&f.data).unwrap().ethertype != 0x0800 || l3[9] != ah::PROTOCOL {
            continue;
        }
        let p = ipv4::Packet::new_checked(l3).unwrap();
        let ip = ipv4::Repr::parse(&p).unwrap();
        let l3 = &l3[..p.total_len() as usize];
        let (header, payload) = l3.split_at(ipv4::HEADER_LEN + ah::HEADER_LEN);
        let header_ah = ah::Repr::parse(&ah::Packet::new_checked(&header[ipv4::HEADER_LEN..]).unwrap()).unwrap();
        let vrid = payload[1];
        let (key, multicast, vips): (&[u8; 8], bool, Vec<Ipv4Addr>) = match vrid {
            53 => (b"secret12", true, vec!["10.9.0.130".parse().unwrap()]),
            54 => (b"abc\0\0\0\0\0", false, vec!["10.9.0.131".parse().unwrap(), "10.9.0.132".parse().unwrap()]),
            other => panic!("unexpected VRID {other}"),
        };
        let expect = Expect {
            version: Version::V2,
            multicast,
            ttl_range: None,
            auth: V2Auth::AH,
            ah_key: Some(*key),
            v2_interval: 1,
            v3_checksum_as_v2: false,
            vrid,
            vips: Addrs::V4(&vips),
            check_vips: true,
        };
        let meta = RxMeta { src: ip.src.into(), dst: ip.dst.into(), ttl: ip.ttl, header_len: header.len() };
        // One instance's counter: each advert must be numbered above the last (1, 2, 3).
        let seq = seqs.entry(vrid).or_insert(0);
        let before = *seq;
        let ok = vrrp::validate(header, payload, &meta, &expect, seq, 100)
            .unwrap_or_else(|d| panic!("VRID {vrid} seq {}: dropped: {d}", header_ah.seq));
        assert_eq!((before + 1, *seq), (header_ah.seq, header_ah.seq), "VRID {vrid}: numbered from 1, by 1");
        assert_eq!(ok.repr.auth, V2Auth::AH, "auth type 2, zero auth data");
        assert_eq!(header_ah.spi, ip.src.octets(), "the SPI is the source address");
        // Our emit of the same values, into dirty buffers, sealed with our ICV.
        let mut out = vec![0xa5u8; l3.len()];
        ipv4::Repr { payload_len: (out.len() - ipv4::HEADER_LEN) as u16, ..ip }.emit(&mut out[..20]).unwrap();
        ah::Repr { icv: [0xa5; ah::ICV_LEN], ..header_ah }.emit(&mut out[20..44]).unwrap();
        let sent = vrrp::Repr { addrs: Addrs::V4(&vips), ..ok.repr };
        sent.emit(&mut out[44..], ChecksumMode::Plain).unwrap();
        ah::seal(&mut out, key, !multicast).unwrap();
        assert_eq!(out, l3, "VRID {vrid} seq {}", header_ah.seq);
        checked += 1;
    }
    // Two adverts and the priority-0 one at SIGTERM, per instance.
    assert_eq!((checked, seqs[&53], seqs[&54]), (6, 3, 3));
}

#[test]
fn keepalived_2_2_7_keeps_the_pseudo_header_even_with_v3_checksum_as_v2() {
    // 2.2.7 does not know v3_checksum_as_v2 ("Unknown keyword"): its v3/IPv4 checksum always
    // includes the pseudo-header. Our Plain mode must therefore reject these packets.
    let mut checked = 0;
    for f in capture("ka-csum-as-v2.pcap") {
        let l3 = &f.data[ethernet::HEADER_LEN..];
        if ethernet::Repr::parse(&f.data).unwrap().ethertype != 0x0800 {
            continue;
        }
        let p = ipv4::Packet::new_checked(l3).unwrap();
        let v = vrrp::Packet::new_checked(p.payload(), Family::V4).unwrap();
        assert!(v.verify_checksum(ChecksumMode::PseudoV4 { src: p.src(), dst: p.dst() }));
        assert!(!v.verify_checksum(ChecksumMode::Plain));
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
fn v3_checksum_without_pseudo_header_matches_the_reference() {
    // reference/keepalived.md §4.1-4.2: 31 3c c8 01 00 32 11 8e 0a 07 00 64 carries 0x118e
    // with the pseudo-header; without it (v3_checksum_as_v2, RFC 9568) the sum is 0xfc24.
    let addrs = ["10.7.0.100".parse::<Ipv4Addr>().unwrap()];
    let r = vrrp::Repr {
        version: Version::V3,
        vrid: 60,
        priority: 200,
        interval: 50,
        auth: V2Auth::NONE,
        addrs: Addrs::V4(&addrs),
        reserved: 0,
    };
    let mut out = [0u8; 12];
    r.emit(&mut out, ChecksumMode::Plain).unwrap();
    assert_eq!(out, [0x31, 0x3c, 0xc8, 0x01, 0x00, 0x32, 0xfc, 0x24, 0x0a, 0x07, 0x00, 0x64]);
    let p = vrrp::Packet::new_checked(&out[..], Family::V4).unwrap();
    assert_eq!(vrrp::Repr::parse(&p, ChecksumMode::Plain).unwrap(), r);
}

#[test]
fn captured_gratuitous_arps_and_unsolicited_nas() {
    let vips4: Vec<Ipv4Addr> = ["10.9.0.100", "10.9.0.101", "10.9.0.102", "10.9.0.110", "10.9.0.111"]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    let vips6: Vec<Ipv6Addr> = ["fe80::62", "2001:db8::62"].iter().map(|a| a.parse().unwrap()).collect();
    let (mut garps, mut nas) = (0, 0);
    for f in capture("ka-main.pcap") {
        let eth = ethernet::Repr::parse(&f.data).unwrap();
        if eth.ethertype == ethernet::ETHERTYPE_ARP {
            let (_, a) = arp::Repr::parse_frame(&f.data).unwrap();
            if a.sender_ip != a.target_ip {
                continue; // the kernel's own ARP for the unicast peer
            }
            assert!(vips4.contains(&a.sender_ip));
            let ours = arp::Repr::gratuitous(KA_MAC, a.sender_ip);
            assert_eq!(a, ours);
            let mut out = [0xa5u8; arp::FRAME_LEN];
            ours.emit_frame(&mut out).unwrap();
            assert_eq!(&out[..], &f.data[..], "GARP for {}", a.sender_ip);
            garps += 1;
        } else if eth.ethertype == ethernet::ETHERTYPE_IPV6
            && f.data[20] == ndisc::NEXT_HEADER_ICMPV6
            && f.data[54] == ndisc::ICMPV6_NEIGHBOR_ADVERT
        {
            let na = ndisc::Repr::parse(&f.data).unwrap();
            let ours = ndisc::Repr::unsolicited(KA_MAC, na.target, false);
            assert!(vips6.contains(&na.target));
            assert_eq!(na, ours);
            let mut out = [0xa5u8; ndisc::FRAME_LEN];
            ours.emit(&mut out).unwrap();
            assert_eq!(&out[..], &f.data[..], "NA for {}", na.target);
            nas += 1;
        }
    }
    // garp_master_repeat 5 per VIP, one batch (vrrp_garp_master_delay 0).
    assert_eq!((garps, nas), (25, 10));
}
