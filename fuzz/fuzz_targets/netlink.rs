//! rtnetlink datagrams: iteration and parsing never panic; lengths stay inside the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vrrpd::wire::netlink;

fuzz_target!(|data: &[u8]| {
    for m in netlink::messages(data) {
        let Ok(m) = m else { break };
        assert_eq!(m.payload.len() + netlink::HEADER_LEN, m.header.len as usize);
        let _ = netlink::parse(&m);
        for a in netlink::attrs(m.payload) {
            let Ok(a) = a else { break };
            let _ = (a.str(), a.ip(), a.u32());
            for n in a.attrs() {
                if n.is_err() {
                    break;
                }
            }
        }
    }
});
