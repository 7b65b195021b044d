//! Seeded random/mutation test of every wire codec (no crates): VRRPD_WIRE_FUZZ_ITERATIONS
//! inputs per codec (default 20000; `make test` runs 1000000). Asserts no panic and that
//! whatever a parser accepts re-emits to the same bytes. Prints the seed on failure.
mod common;
use common::rng::Rng;
use common::{data, pcap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vrrpd::wire::vrrp::{self, Addrs, ChecksumMode, Expect, RxMeta, V2Auth, Version};
use vrrpd::wire::{ah, arp, ethernet, ipv4, ndisc, netlink, Family};

fn iterations() -> u64 {
    std::env::var("VRRPD_WIRE_FUZZ_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

fn seed() -> u64 {
    std::env::var("VRRPD_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5752_4550_0000_0001)
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    for _ in 0..1 + rng.pick(4) {
        let len = input.len();
        match rng.pick(6) {
            0 if len > 0 => {
                let i = rng.pick(len);
                input[i] ^= 1 << rng.pick(8);
            }
            1 if len > 0 => {
                let i = rng.pick(len);
                input[i] = rng.next() as u8;
            }
            2 if len > 0 => {
                let at = rng.pick(len);
                input.truncate(at);
            }
            3 => {
                let at = rng.pick(len + 1);
                input.insert(at, rng.next() as u8);
            }
            4 if len > 1 => {
                // Interesting values in length/count-like positions.
                let i = rng.pick(len);
                input[i] = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff][rng.pick(8)];
            }
            _ => input.extend((0..rng.pick(16)).map(|_| rng.next() as u8)),
        }
    }
}

/// Runs `check` on mutated corpus inputs; a panic reports seed and iteration.
fn run(name: &str, corpus: &[Vec<u8>], mut check: impl FnMut(&[u8]) -> bool) {
    let (n, seed) = (iterations(), seed());
    let mut rng = Rng::new(seed ^ name.len() as u64);
    let mut accepted = 0u64;
    for i in 0..n {
        let mut input = corpus[rng.pick(corpus.len())].clone();
        if i % 8 != 0 {
            mutate(&mut rng, &mut input);
        }
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&input)));
        match r {
            Ok(true) => accepted += 1,
            Ok(false) => {}
            Err(_) => panic!("{name}: seed {seed} iteration {i}: input {input:02x?}"),
        }
    }
    println!("{name}: {n} inputs, {accepted} accepted (seed {seed})");
    assert!(accepted > 0, "{name}: nothing parsed; the corpus or the mutator is broken");
}

fn frames(file: &str) -> Vec<Vec<u8>> {
    pcap::read(&data("capture").join(file)).into_iter().map(|f| f.data).collect()
}

fn vrrp_payloads() -> Vec<(Vec<u8>, RxMeta)> {
    let mut out = Vec::new();
    for f in frames("ka-main.pcap") {
        let eth = ethernet::Repr::parse(&f).unwrap();
        let l3 = &f[14..];
        if eth.ethertype == 0x0800 && l3[9] == 112 {
            let p = ipv4::Packet::new_checked(l3).unwrap();
            out.push((
                p.payload().to_vec(),
                RxMeta { src: p.src().into(), dst: p.dst().into(), ttl: p.ttl(), header_len: 20 },
            ));
        } else if eth.ethertype == 0x86dd && l3[6] == 112 {
            let src: Ipv6Addr = <[u8; 16]>::try_from(&l3[8..24]).unwrap().into();
            let dst: Ipv6Addr = <[u8; 16]>::try_from(&l3[24..40]).unwrap().into();
            out.push((l3[40..].to_vec(), RxMeta { src: src.into(), dst: dst.into(), ttl: 255, header_len: 40 }));
        }
    }
    out
}

#[test]
fn vrrp_adverts() {
    let payloads = vrrp_payloads();
    let metas: Vec<RxMeta> = payloads.iter().map(|p| p.1).collect();
    let corpus: Vec<Vec<u8>> = payloads.into_iter().map(|p| p.0).collect();
    let vip4 = [Ipv4Addr::new(10, 9, 0, 100)];
    let mut k = 0usize;
    run("vrrp", &corpus, |bytes| {
        k += 1;
        let meta = metas[k % metas.len()];
        let family = if meta.src.is_ipv4() { Family::V4 } else { Family::V6 };
        for version in [Version::V2, Version::V3] {
            let expect = Expect {
                version,
                multicast: !k.is_multiple_of(3),
                ttl_range: k.is_multiple_of(5).then_some((250, 255)),
                auth: if k.is_multiple_of(2) { V2Auth::pass(*b"secret12") } else { V2Auth::NONE },
                v2_interval: 1,
                v3_checksum_as_v2: k.is_multiple_of(7),
                vrid: 51,
                vips: Addrs::V4(&vip4),
                check_vips: k.is_multiple_of(11),
                ah_key: None,
            };
            let _ = vrrp::validate(&[], bytes, &meta, &expect, &mut 0, 50);
        }
        let Ok(p) = vrrp::Packet::new_checked(bytes, family) else { return false };
        let Some(version) = p.version() else { return false };
        let mode = ChecksumMode::for_packet(version, meta.src, meta.dst, false);
        let Ok(r) = vrrp::Repr::parse(&p, mode) else { return false };
        let mut out = vec![0u8; r.buffer_len()];
        r.emit(&mut out, mode).unwrap();
        assert!(p.same_as_emitted(&out), "re-emit of an accepted advert: {out:02x?}");
        true
    });
}

#[test]
fn ah_adverts() {
    // The IPv4 datagrams of keepalived's AH adverts, whole: the AH header and the ICV check.
    let corpus: Vec<Vec<u8>> = frames("ka-ah.pcap")
        .into_iter()
        .filter(|f| f[12..14] == [8, 0] && f[14 + 9] == ah::PROTOCOL)
        .map(|f| f[14..].to_vec())
        .collect();
    let vip = [Ipv4Addr::new(10, 9, 0, 130)];
    let mut k = 0u32;
    run("ah", &corpus, |bytes| {
        k += 1;
        let split = bytes.len().min(44 + (k % 3) as usize * 4 - 4);
        let (header, payload) = bytes.split_at(split);
        let expect = Expect {
            version: Version::V2,
            multicast: k.is_multiple_of(2),
            ttl_range: None,
            auth: V2Auth::AH,
            ah_key: Some(*b"secret12"),
            v2_interval: 1,
            v3_checksum_as_v2: false,
            vrid: 53,
            vips: Addrs::V4(&vip),
            check_vips: true,
        };
        let meta = RxMeta {
            src: Ipv4Addr::new(10, 9, 0, 1).into(),
            dst: Ipv4Addr::new(224, 0, 0, 18).into(),
            ttl: 255,
            header_len: header.len(),
        };
        let mut seq = k % 4;
        let _ = vrrp::validate(header, payload, &meta, &expect, &mut seq, 100);
        let Some(at) = bytes.get(20..) else { return false };
        let Ok(p) = ah::Packet::new_checked(at) else { return false };
        let Ok(r) = ah::Repr::parse(&p) else { return false };
        let mut out = [0u8; ah::HEADER_LEN];
        r.emit(&mut out).unwrap();
        // Only the reserved bytes are not kept.
        assert_eq!((&out[..2], &out[4..]), (&at[..2], &at[4..ah::HEADER_LEN]));
        true
    });
}

#[test]
fn ipv4_headers() {
    let corpus: Vec<Vec<u8>> =
        frames("ka-main.pcap").into_iter().filter(|f| f[12..14] == [8, 0]).map(|f| f[14..].to_vec()).collect();
    run("ipv4", &corpus, |bytes| {
        let Ok(p) = ipv4::Packet::new_checked(bytes) else { return false };
        let _ = p.payload();
        let Ok(r) = ipv4::Repr::parse(&p) else { return false };
        // Only a plain header (no options, no flags/fragment) is what vrrpd itself sends.
        if p.header_len() == 20 && bytes[6..8] == [0, 0] {
            let mut out = [0u8; 20];
            r.emit(&mut out).unwrap();
            assert_eq!(&out[..], &bytes[..20]);
        }
        true
    });
}

#[test]
fn gratuitous_arp() {
    let corpus: Vec<Vec<u8>> = frames("ka-main.pcap").into_iter().filter(|f| f[12..14] == [8, 6]).collect();
    run("arp", &corpus, |bytes| {
        let Ok((_, r)) = arp::Repr::parse_frame(bytes) else { return false };
        let mut out = [0u8; arp::PACKET_LEN];
        r.emit(&mut out).unwrap();
        assert_eq!(&out[..], &bytes[14..14 + arp::PACKET_LEN]);
        true
    });
}

#[test]
fn neighbour_advertisements() {
    let corpus: Vec<Vec<u8>> =
        frames("ka-main.pcap").into_iter().filter(|f| f.len() == ndisc::FRAME_LEN && f[54] == 136).collect();
    run("ndisc", &corpus, |bytes| {
        let Ok(r) = ndisc::Repr::parse(bytes) else { return false };
        let mut out = [0u8; ndisc::FRAME_LEN];
        r.emit(&mut out).unwrap();
        // The Ethernet source is the only field parse does not tie to the payload.
        assert_eq!(&out[..], bytes);
        true
    });
}

#[test]
fn netlink_messages() {
    let dir = data("netlink");
    let corpus: Vec<Vec<u8>> =
        std::fs::read_dir(&dir).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    run("netlink", &corpus, |bytes| {
        let mut any = false;
        let mut consumed = 0usize;
        for m in netlink::messages(bytes) {
            let Ok(m) = m else { break };
            consumed += netlink::align(m.header.len as usize);
            assert!(m.payload.len() + netlink::HEADER_LEN == m.header.len as usize);
            if let Ok(p) = netlink::parse(&m) {
                any = true;
                if let netlink::Parsed::Addr(a) = p {
                    // An address the kernel reports can be sent back as a request.
                    if let Some(addr) = a.own_address() {
                        let req = netlink::AddrRequest {
                            ifindex: a.ifindex,
                            address: addr,
                            prefix_len: a.prefix_len,
                            peer: None,
                            broadcast: None,
                            scope: a.scope,
                            label: a.label,
                            flags: a.flags,
                            lifetimes: None,
                        };
                        let mut buf = [0u8; 512];
                        let n = netlink::addr_request(&mut buf, true, &req, 1).unwrap();
                        let back =
                            netlink::Addr::parse(&netlink::messages(&buf[..n]).next().unwrap().unwrap()).unwrap();
                        assert_eq!((back.local, back.prefix_len, back.ifindex), (Some(addr), a.prefix_len, a.ifindex));
                        assert_eq!(back.label, a.label.filter(|l| !l.is_empty()).or(back.label));
                    }
                }
            }
        }
        assert!(consumed <= bytes.len() + 3);
        any
    });
    let _ = IpAddr::V4(Ipv4Addr::LOCALHOST);
}
