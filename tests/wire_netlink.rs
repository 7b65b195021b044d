//! rtnetlink bytes captured from the kernel (tests/data/netlink, made by
//! tests/netns/capture-netlink.sh) parse into the expected values, and our requests equal
//! ones the kernel accepted.
mod common;
use common::data;
use std::net::IpAddr;
use vrrpd::wire::netlink::{self as nl, Parsed};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(data("netlink").join(name)).unwrap()
}

fn parsed(bytes: &[u8]) -> Vec<Parsed<'_>> {
    nl::messages(bytes).map(|m| nl::parse(&m.unwrap()).unwrap()).collect()
}

#[test]
fn link_dump() {
    let bytes = fixture("link-dump.bin");
    let msgs = parsed(&bytes);
    assert_eq!(msgs.last(), Some(&Parsed::Done), "a dump ends with NLMSG_DONE");
    let links: Vec<_> = msgs.iter().filter_map(|m| if let Parsed::Link(l) = m { Some(*l) } else { None }).collect();
    let names: Vec<_> = links.iter().map(|l| l.name.unwrap()).collect();
    assert_eq!(names, ["lo", "nl1", "nl0"]);
    let lo = links[0];
    assert!(lo.flags & nl::IFF_LOOPBACK != 0 && lo.ifindex == 1);
    let nl0 = links[2];
    assert_eq!(nl0.mac, Some([2, 0, 0, 0, 0x0b, 1]));
    assert_eq!(nl0.mtu, Some(1500));
    assert_eq!(nl0.kind, Some("veth"));
    assert!(nl0.is_up(), "IFF_UP and IFF_RUNNING");
    assert_eq!(nl0.operstate, Some(6), "IF_OPER_UP");
    // Every message of the dump is multipart.
    for m in nl::messages(&bytes) {
        let h = m.unwrap().header;
        assert_eq!((h.seq, h.flags & nl::NLM_F_MULTI), (1, nl::NLM_F_MULTI));
    }
}

#[test]
fn addr_dump() {
    let bytes = fixture("addr-dump.bin");
    let msgs = parsed(&bytes);
    assert_eq!(msgs.last(), Some(&Parsed::Done));
    let addrs: Vec<_> = msgs.iter().filter_map(|m| if let Parsed::Addr(a) = m { Some(*a) } else { None }).collect();
    let v4 = addrs.iter().find(|a| a.label == Some("nl0:main")).expect("10.9.0.1/24 label nl0:main");
    assert_eq!(
        (v4.own_address(), v4.prefix_len, v4.scope),
        (Some("10.9.0.1".parse().unwrap()), 24, nl::RT_SCOPE_UNIVERSE)
    );
    assert_eq!(v4.broadcast, Some("10.9.0.255".parse().unwrap()));
    assert!(v4.flags & nl::IFA_F_PERMANENT != 0);
    let v6 = addrs.iter().find(|a| a.address == Some("2001:db8::1".parse().unwrap())).expect("2001:db8::1/64");
    assert_eq!((v6.family, v6.prefix_len), (nl::AF_INET6, 64));
    assert!(v6.flags & nl::IFA_F_NODAD != 0, "nodad is in IFA_FLAGS");
    assert_eq!(v6.cache.map(|c| c.valid), Some(u32::MAX), "permanent: valid forever");
    let lo = addrs.iter().find(|a| a.own_address() == Some(IpAddr::from([127, 0, 0, 1]))).expect("127.0.0.1");
    assert_eq!(lo.scope, nl::RT_SCOPE_HOST);
}

#[test]
fn error_and_ack() {
    let bytes = fixture("error-eaddrnotavail.bin");
    match parsed(&bytes)[..] {
        [Parsed::Error(e)] => {
            assert_eq!(e.errno, 99, "EADDRNOTAVAIL");
            assert_eq!((e.request.kind, e.request.seq), (nl::RTM_DELADDR, 3));
        }
        ref other => panic!("{other:?}"),
    }
    let ack = fixture("ack-newaddr.bin");
    match parsed(&ack)[..] {
        [Parsed::Error(e)] => assert_eq!((e.errno, e.request.seq, e.message), (0, 4, None)),
        ref other => panic!("{other:?}"),
    }
    let exists = fixture("error-eexist-extack.bin");
    match parsed(&exists)[..] {
        [Parsed::Error(e)] => assert_eq!(e.errno, 17, "EEXIST"),
        ref other => panic!("{other:?}"),
    }
    let inval = fixture("error-einval-extack.bin");
    match parsed(&inval)[..] {
        [Parsed::Error(e)] => {
            assert_eq!(e.errno, 22, "EINVAL");
            let text = e.message.expect("the kernel explains an invalid prefix length");
            assert!(text.to_lowercase().contains("prefix"), "{text}");
        }
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn our_vip_request_equals_the_one_the_kernel_accepted() {
    let accepted = fixture("request-newaddr-vip.bin");
    let links = fixture("link-dump.bin");
    let ifindex = parsed(&links)
        .iter()
        .find_map(|m| if let Parsed::Link(l) = m { (l.name == Some("nl0")).then_some(l.ifindex) } else { None })
        .unwrap();
    let req = nl::AddrRequest {
        ifindex,
        address: "10.9.0.100".parse().unwrap(),
        prefix_len: 32,
        peer: None,
        broadcast: None,
        scope: nl::RT_SCOPE_UNIVERSE,
        label: Some("nl0:vip"),
        flags: 0,
        lifetimes: None,
    };
    let mut buf = [0xa5u8; 256];
    let n = nl::addr_request(&mut buf, true, &req, 4).unwrap();
    assert_eq!(&buf[..n], &accepted[..], "byte for byte");
    let ours = nl::messages(&buf[..n]).next().unwrap().unwrap();
    let theirs = nl::messages(&accepted).next().unwrap().unwrap();
    assert_eq!(ours.header, theirs.header);
    assert_eq!(&ours.payload[..8], &theirs.payload[..8], "ifaddrmsg");
    let attrs = |p: &[u8]| {
        let mut v: Vec<(u16, Vec<u8>)> =
            nl::attrs(&p[8..]).map(|a| a.unwrap()).map(|a| (a.kind, a.payload.to_vec())).collect();
        v.sort();
        v
    };
    assert_eq!(attrs(ours.payload), attrs(theirs.payload));
    assert_eq!(n, accepted.len());
}
