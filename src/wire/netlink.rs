//! rtnetlink (RFC 3549, linux/netlink.h, linux/rtnetlink.h): message framing, attributes with
//! 4-byte alignment and nesting, error/ACK (with extended-ack text), multipart dumps ending
//! in NLMSG_DONE; links, addresses, routes and rules. Unknown message types and attributes
//! are skipped, never fatal: kernels add attributes every release.
//!
//! Parsing borrows the datagram; requests are written into a caller's buffer by [`Writer`]
//! without allocating.
use super::{Error, Result};
use std::net::{IpAddr, Ipv4Addr};

/// Length of struct nlmsghdr, bytes (linux/netlink.h).
pub const HEADER_LEN: usize = 16;
/// Length of an attribute header (struct nlattr / rtattr: u16 length, u16 type), bytes (linux/netlink.h).
pub const ATTR_HEADER_LEN: usize = 4;

/// NLMSG_NOOP: nothing, to be skipped (linux/netlink.h).
pub const NLMSG_NOOP: u16 = 1;
/// NLMSG_ERROR: an error, or with errno 0 an ACK (linux/netlink.h).
pub const NLMSG_ERROR: u16 = 2;
/// NLMSG_DONE: the end of a multipart dump (linux/netlink.h).
pub const NLMSG_DONE: u16 = 3;
/// NLMSG_OVERRUN: data was lost (linux/netlink.h).
pub const NLMSG_OVERRUN: u16 = 4;
/// RTM_NEWLINK: a link was created or changed; as a request, create one (linux/rtnetlink.h).
pub const RTM_NEWLINK: u16 = 16;
/// RTM_DELLINK: a link was removed; as a request, remove one (linux/rtnetlink.h).
pub const RTM_DELLINK: u16 = 17;
/// RTM_GETLINK: ask for one link or, with NLM_F_DUMP, all (linux/rtnetlink.h).
pub const RTM_GETLINK: u16 = 18;
/// RTM_NEWADDR: an address was added; as a request, add one (linux/rtnetlink.h).
pub const RTM_NEWADDR: u16 = 20;
/// RTM_DELADDR: an address was removed; as a request, remove one (linux/rtnetlink.h).
pub const RTM_DELADDR: u16 = 21;
/// RTM_GETADDR: ask for the addresses, with NLM_F_DUMP (linux/rtnetlink.h).
pub const RTM_GETADDR: u16 = 22;
/// RTM_NEWROUTE: add a route (linux/rtnetlink.h).
pub const RTM_NEWROUTE: u16 = 24;
/// RTM_DELROUTE: delete a route (linux/rtnetlink.h).
pub const RTM_DELROUTE: u16 = 25;
/// RTM_GETROUTE: ask for routes (linux/rtnetlink.h).
pub const RTM_GETROUTE: u16 = 26;
/// RTM_NEWRULE: add a policy routing rule (linux/rtnetlink.h).
pub const RTM_NEWRULE: u16 = 32;
/// RTM_DELRULE: delete a policy routing rule (linux/rtnetlink.h).
pub const RTM_DELRULE: u16 = 33;

/// NLM_F_REQUEST: the message is a request (linux/netlink.h).
pub const NLM_F_REQUEST: u16 = 0x1;
/// NLM_F_MULTI: part of a multipart reply ended by NLMSG_DONE (linux/netlink.h).
pub const NLM_F_MULTI: u16 = 0x2;
/// NLM_F_ACK: answer with an ACK (NLMSG_ERROR, errno 0) or the error (linux/netlink.h).
pub const NLM_F_ACK: u16 = 0x4;
/// NLM_F_DUMP: NLM_F_ROOT | NLM_F_MATCH, return the whole table (linux/netlink.h).
pub const NLM_F_DUMP: u16 = 0x300;
/// NLM_F_REPLACE, for a new object: replace an existing one (linux/netlink.h).
pub const NLM_F_REPLACE: u16 = 0x100;
/// NLM_F_EXCL, for a new object: fail if it exists (linux/netlink.h).
pub const NLM_F_EXCL: u16 = 0x200;
/// NLM_F_CREATE, for a new object: create it if it does not exist (linux/netlink.h).
pub const NLM_F_CREATE: u16 = 0x400;
/// NLM_F_CAPPED, in an NLMSG_ERROR: the request is echoed only up to its header (linux/netlink.h).
pub const NLM_F_CAPPED: u16 = 0x100;
/// NLM_F_ACK_TLVS, in an NLMSG_ERROR: extended-ack attributes follow the echoed request (linux/netlink.h).
pub const NLM_F_ACK_TLVS: u16 = 0x200;

const NLA_F_NESTED: u16 = 0x8000;
const NLA_TYPE_MASK: u16 = 0x3fff;
const NLMSGERR_ATTR_MSG: u16 = 1;

/// Address family IPv4 (sys/socket.h).
pub const AF_INET: u8 = 2;
/// Address family IPv6, as Linux numbers it (sys/socket.h).
pub const AF_INET6: u8 = 10;
/// No particular family: a dump of every family (sys/socket.h).
pub const AF_UNSPEC: u8 = 0;

/// IFF_UP: administratively up (linux/if.h).
pub const IFF_UP: u32 = 0x1;
/// IFF_LOOPBACK: a loopback interface (linux/if.h).
pub const IFF_LOOPBACK: u32 = 0x8;
/// IFF_RUNNING: operationally up, RFC 2863 OPER_UP (linux/if.h).
pub const IFF_RUNNING: u32 = 0x40;
/// IFF_MULTICAST: supports multicast (linux/if.h).
pub const IFF_MULTICAST: u32 = 0x1000;

/// IFLA_ADDRESS: the link-layer (MAC) address (linux/if_link.h).
pub const IFLA_ADDRESS: u16 = 1;
/// IFLA_BROADCAST: the link-layer broadcast address (linux/if_link.h).
pub const IFLA_BROADCAST: u16 = 2;
/// IFLA_IFNAME: the interface name, NUL-terminated (linux/if_link.h).
pub const IFLA_IFNAME: u16 = 3;
/// IFLA_MTU: the MTU in bytes, u32 (linux/if_link.h).
pub const IFLA_MTU: u16 = 4;
/// IFLA_LINK: ifindex of the lower device a macvlan or VLAN sits on, u32 (linux/if_link.h).
pub const IFLA_LINK: u16 = 5;
/// IFLA_MASTER: ifindex of the bridge or bond the link is enslaved to, u32 (linux/if_link.h).
pub const IFLA_MASTER: u16 = 10;
/// IFLA_OPERSTATE: the RFC 2863 operational state IF_OPER_*, u8 (linux/if_link.h).
pub const IFLA_OPERSTATE: u16 = 16;
/// IFLA_LINKINFO: nested, the link's kind and kind-specific data (linux/if_link.h).
pub const IFLA_LINKINFO: u16 = 18;
/// IFLA_INFO_KIND, in IFLA_LINKINFO: the kind as a string, "macvlan", "veth", ... (linux/if_link.h).
pub const IFLA_INFO_KIND: u16 = 1;
/// IFLA_INFO_DATA, in IFLA_LINKINFO: nested attributes of the kind (linux/if_link.h).
pub const IFLA_INFO_DATA: u16 = 2;
/// IFLA_MACVLAN_MODE, in a macvlan's IFLA_INFO_DATA: its mode, u32 (linux/if_link.h).
pub const IFLA_MACVLAN_MODE: u16 = 1;
/// MACVLAN_MODE_PRIVATE: no traffic between macvlans of one parent; keepalived's default for
/// `use_vmac` (linux/if_link.h).
pub const MACVLAN_MODE_PRIVATE: u32 = 1;

/// IFLA_AF_SPEC: nested, per address family settings of a link (linux/if_link.h).
pub const IFLA_AF_SPEC: u16 = 26;
/// IFLA_INET6_ADDR_GEN_MODE, in IFLA_AF_SPEC / AF_INET6: how the link-local is made, u8
/// (linux/if_link.h).
pub const IFLA_INET6_ADDR_GEN_MODE: u16 = 8;
/// IN6_ADDR_GEN_MODE_NONE: no automatic link-local address (linux/if_link.h); keepalived sets
/// it on a VMAC, RFC 5798 §7.4.
pub const IN6_ADDR_GEN_MODE_NONE: u8 = 1;

/// IFA_ADDRESS: the address, or the peer's on a point-to-point link (linux/if_addr.h).
pub const IFA_ADDRESS: u16 = 1;
/// IFA_LOCAL: the interface's own address (linux/if_addr.h).
pub const IFA_LOCAL: u16 = 2;
/// IFA_LABEL: the IPv4 address label, such as `eth0:1`, NUL-terminated (linux/if_addr.h).
pub const IFA_LABEL: u16 = 3;
/// IFA_BROADCAST: the IPv4 broadcast address (linux/if_addr.h).
pub const IFA_BROADCAST: u16 = 4;
/// IFA_CACHEINFO: struct ifa_cacheinfo, lifetimes and timestamps (linux/if_addr.h).
pub const IFA_CACHEINFO: u16 = 6;
/// IFA_FLAGS: all IFA_F_* flags as a u32; ifaddrmsg holds only the low 8 (linux/if_addr.h).
pub const IFA_FLAGS: u16 = 8;
/// IFA_F_NODAD: no IPv6 duplicate address detection (linux/if_addr.h).
pub const IFA_F_NODAD: u32 = 0x02;
/// IFA_F_HOMEADDRESS: a Mobile IPv6 home address (linux/if_addr.h).
pub const IFA_F_HOMEADDRESS: u32 = 0x10;
/// IFA_F_DEPRECATED: preferred lifetime over, not chosen as a source address (linux/if_addr.h).
pub const IFA_F_DEPRECATED: u32 = 0x20;
/// IFA_F_TENTATIVE: IPv6 duplicate address detection not yet done (linux/if_addr.h).
pub const IFA_F_TENTATIVE: u32 = 0x40;
/// IFA_F_PERMANENT: a static address, with no lifetime to expire (linux/if_addr.h).
pub const IFA_F_PERMANENT: u32 = 0x80;
/// IFA_F_MANAGETEMPADDR: derive temporary (privacy) addresses from this prefix (linux/if_addr.h).
pub const IFA_F_MANAGETEMPADDR: u32 = 0x100;
/// IFA_F_NOPREFIXROUTE: add no route for the address's prefix (linux/if_addr.h).
pub const IFA_F_NOPREFIXROUTE: u32 = 0x200;
/// IFA_F_MCAUTOJOIN: join the multicast group of a multicast address (linux/if_addr.h).
pub const IFA_F_MCAUTOJOIN: u32 = 0x400;

/// RTA_DST: the route's destination prefix (linux/rtnetlink.h).
pub const RTA_DST: u16 = 1;
/// RTA_SRC: the source prefix a route applies to (linux/rtnetlink.h).
pub const RTA_SRC: u16 = 2;
/// RTA_OIF: the output interface's ifindex, u32 (linux/rtnetlink.h).
pub const RTA_OIF: u16 = 4;
/// RTA_GATEWAY: the next-hop gateway address (linux/rtnetlink.h).
pub const RTA_GATEWAY: u16 = 5;
/// RTA_PRIORITY: the route metric, u32 (linux/rtnetlink.h).
pub const RTA_PRIORITY: u16 = 6;
/// RTA_PREFSRC: the preferred source address (linux/rtnetlink.h).
pub const RTA_PREFSRC: u16 = 7;
/// RTA_MULTIPATH: struct rtnexthop entries, each followed by its attributes (linux/rtnetlink.h).
pub const RTA_MULTIPATH: u16 = 9;
/// RTA_TABLE: the routing table id as a u32, for ids rtm_table cannot hold (linux/rtnetlink.h).
pub const RTA_TABLE: u16 = 15;
/// RTNH_F_ONLINK: the gateway is on the link even without a route to it (linux/rtnetlink.h).
pub const RTNH_F_ONLINK: u8 = 4;

/// FRA_DST: the destination prefix a rule matches (linux/fib_rules.h).
pub const FRA_DST: u16 = 1;
/// FRA_SRC: the source prefix a rule matches (linux/fib_rules.h).
pub const FRA_SRC: u16 = 2;
/// FRA_IIFNAME: the input interface name a rule matches (linux/fib_rules.h).
pub const FRA_IIFNAME: u16 = 3;
/// FRA_PRIORITY: the rule's preference, u32; lower is tried first (linux/fib_rules.h).
pub const FRA_PRIORITY: u16 = 6;
/// FRA_FWMARK: the firewall mark a rule matches, u32 (linux/fib_rules.h).
pub const FRA_FWMARK: u16 = 10;
/// FRA_TABLE: the routing table id as a u32 (linux/fib_rules.h).
pub const FRA_TABLE: u16 = 15;
/// FRA_FWMASK: the mask applied before comparing FRA_FWMARK, u32 (linux/fib_rules.h).
pub const FRA_FWMASK: u16 = 16;
/// FRA_OIFNAME: the output interface name a rule matches (linux/fib_rules.h).
pub const FRA_OIFNAME: u16 = 17;
/// FRA_PROTOCOL: who installed the rule, u8 (linux/fib_rules.h); keepalived marks its rules
/// RTPROT_KEEPALIVED (18), as `ip rule` shows ("proto keepalived").
pub const FRA_PROTOCOL: u16 = 21;
/// FR_ACT_TO_TBL: look the route up in the rule's table (linux/fib_rules.h).
pub const FR_ACT_TO_TBL: u8 = 1;
/// FR_ACT_NOP: do nothing and go on to the next rule (linux/fib_rules.h).
pub const FR_ACT_NOP: u8 = 3;
/// FR_ACT_BLACKHOLE: drop silently (linux/fib_rules.h).
pub const FR_ACT_BLACKHOLE: u8 = 6;
/// FR_ACT_UNREACHABLE: drop with "network unreachable" (linux/fib_rules.h).
pub const FR_ACT_UNREACHABLE: u8 = 7;
/// FR_ACT_PROHIBIT: drop with "administratively prohibited" (linux/fib_rules.h).
pub const FR_ACT_PROHIBIT: u8 = 8;

/// RTN_UNICAST: a gateway or direct route (linux/rtnetlink.h).
pub const RTN_UNICAST: u8 = 1;
/// RT_SCOPE_UNIVERSE: global scope (linux/rtnetlink.h).
pub const RT_SCOPE_UNIVERSE: u8 = 0;
/// RT_SCOPE_SITE: valid within the site (linux/rtnetlink.h).
pub const RT_SCOPE_SITE: u8 = 200;
/// RT_SCOPE_LINK: valid on the attached link only (linux/rtnetlink.h).
pub const RT_SCOPE_LINK: u8 = 253;
/// RT_SCOPE_HOST: valid on this host only (linux/rtnetlink.h).
pub const RT_SCOPE_HOST: u8 = 254;
/// RT_SCOPE_NOWHERE: a destination that does not exist (linux/rtnetlink.h).
pub const RT_SCOPE_NOWHERE: u8 = 255;
/// RTPROT_BOOT: route installed during boot, iproute2's default protocol (linux/rtnetlink.h).
pub const RTPROT_BOOT: u8 = 3;
/// RT_TABLE_MAIN: the main routing table (linux/rtnetlink.h).
pub const RT_TABLE_MAIN: u8 = 254;
/// RT_TABLE_LOCAL: the local table, where `ip route` puts local, broadcast and anycast routes
/// (linux/rtnetlink.h).
pub const RT_TABLE_LOCAL: u8 = 255;

/// Rounds up to the 4-byte netlink alignment.
pub const fn align(n: usize) -> usize {
    (n + 3) & !3
}

fn ne_u16(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}
fn ne_u32(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn ne_i32(b: &[u8], at: usize) -> i32 {
    ne_u32(b, at) as i32
}

/// nlmsghdr (host byte order, as every netlink field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// nlmsg_len: the message length in bytes, this header included.
    pub len: u32,
    /// nlmsg_type: NLMSG_* or RTM_*.
    pub kind: u16,
    /// nlmsg_flags: NLM_F_*.
    pub flags: u16,
    /// nlmsg_seq: the sequence number, echoed in replies to a request.
    pub seq: u32,
    /// nlmsg_pid: the sending socket's port ID (0 from the kernel).
    pub pid: u32,
}

impl Header {
    /// Reads the header at the start of `b`.
    pub fn parse(b: &[u8]) -> Result<Header> {
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Header { len: ne_u32(b, 0), kind: ne_u16(b, 4), flags: ne_u16(b, 6), seq: ne_u32(b, 8), pid: ne_u32(b, 12) })
    }
    /// Writes the header into the first [`HEADER_LEN`] bytes of `b`, which must be at least that long.
    pub fn emit(&self, b: &mut [u8]) {
        b[0..4].copy_from_slice(&self.len.to_ne_bytes());
        b[4..6].copy_from_slice(&self.kind.to_ne_bytes());
        b[6..8].copy_from_slice(&self.flags.to_ne_bytes());
        b[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        b[12..16].copy_from_slice(&self.pid.to_ne_bytes());
    }
}

/// One message of a datagram: its header and the bytes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// The message header.
    pub header: Header,
    /// The bytes after the header, up to nlmsg_len.
    pub payload: &'a [u8],
}

/// The messages of one received datagram (a dump sends several per datagram).
pub struct Messages<'a> {
    rest: &'a [u8],
}

/// Iterates over the messages of a datagram.
pub fn messages(datagram: &[u8]) -> Messages<'_> {
    Messages { rest: datagram }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let header = match Header::parse(self.rest) {
            Ok(h) => h,
            Err(e) => {
                self.rest = &[];
                return Some(Err(e));
            }
        };
        let len = header.len as usize;
        if len < HEADER_LEN || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(Error::BadLength));
        }
        let payload = &self.rest[HEADER_LEN..len];
        self.rest = &self.rest[align(len).min(self.rest.len())..];
        Some(Ok(Message { header, payload }))
    }
}

/// One attribute: type (flags masked off), whether it is nested, and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    /// The attribute type, with NLA_F_NESTED and NLA_F_NET_BYTEORDER masked off.
    pub kind: u16,
    /// NLA_F_NESTED was set: the payload is itself attributes.
    pub nested: bool,
    /// The bytes after the attribute header, without alignment padding.
    pub payload: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The payload as a u8 (its first byte).
    pub fn u8(&self) -> Option<u8> {
        self.payload.first().copied()
    }
    /// The payload as a u32 in host byte order, if it has 4 bytes.
    pub fn u32(&self) -> Option<u32> {
        (self.payload.len() >= 4).then(|| ne_u32(self.payload, 0))
    }
    /// A NUL-terminated string (the terminator is optional on input).
    pub fn str(&self) -> Option<&'a str> {
        let end = self.payload.iter().position(|&c| c == 0).unwrap_or(self.payload.len());
        std::str::from_utf8(&self.payload[..end]).ok()
    }
    /// The payload as an address: 4 bytes IPv4, 16 bytes IPv6, network byte order.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.payload.len() {
            4 => Some(IpAddr::V4(<[u8; 4]>::try_from(self.payload).ok()?.into())),
            16 => Some(IpAddr::V6(<[u8; 16]>::try_from(self.payload).ok()?.into())),
            _ => None,
        }
    }
    /// The attributes nested in the payload.
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs { rest: self.payload }
    }
}

/// Attributes after a fixed header; a malformed tail ends the iteration with an error.
#[derive(Clone)]
pub struct Attrs<'a> {
    rest: &'a [u8],
}

/// Iterates over the attributes in `b` (a message's payload after its fixed header).
pub fn attrs(b: &[u8]) -> Attrs<'_> {
    Attrs { rest: b }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < ATTR_HEADER_LEN {
            // Fewer than 4 bytes left can only be alignment padding.
            self.rest = &[];
            return None;
        }
        let len = ne_u16(self.rest, 0) as usize;
        let raw_kind = ne_u16(self.rest, 2);
        if len < ATTR_HEADER_LEN || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(Error::BadLength));
        }
        let attr = Attr {
            kind: raw_kind & NLA_TYPE_MASK,
            nested: raw_kind & NLA_F_NESTED != 0,
            payload: &self.rest[ATTR_HEADER_LEN..len],
        };
        self.rest = &self.rest[align(len).min(self.rest.len())..];
        Some(Ok(attr))
    }
}

/// NLMSG_ERROR: errno 0 is the ACK of a request with NLM_F_ACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorMsg<'a> {
    /// Positive errno (the kernel sends it negated), 0 for an ACK.
    pub errno: i32,
    /// The header of the request this answers.
    pub request: Header,
    /// Extended ACK text (NETLINK_EXT_ACK), when the kernel gives one.
    pub message: Option<&'a str>,
}

impl<'a> ErrorMsg<'a> {
    /// Parses an NLMSG_ERROR: errno, the echoed request header and any NLMSGERR_ATTR_MSG text.
    pub fn parse(m: &Message<'a>) -> Result<ErrorMsg<'a>> {
        let p = m.payload;
        if p.len() < 4 + HEADER_LEN {
            return Err(Error::Truncated);
        }
        // wrapping: a hostile or corrupt i32::MIN must not panic a debug build (found by the
        // wire mutation test run under qemu-arm, whose test builds keep overflow checks).
        let errno = ne_i32(p, 0).wrapping_neg();
        let request = Header::parse(&p[4..])?;
        let mut message = None;
        if m.header.flags & NLM_F_ACK_TLVS != 0 {
            // The request is echoed whole unless capped, then the TLVs follow.
            let echoed =
                if m.header.flags & NLM_F_CAPPED != 0 { HEADER_LEN } else { (request.len as usize).max(HEADER_LEN) };
            if let Some(tlvs) = p.get(4 + align(echoed)..) {
                for a in attrs(tlvs).flatten() {
                    if a.kind == NLMSGERR_ATTR_MSG {
                        message = a.str();
                    }
                }
            }
        }
        Ok(ErrorMsg { errno, request, message })
    }
}

/// RTM_NEWLINK / RTM_DELLINK (ifinfomsg + IFLA_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link<'a> {
    /// RTM_DELLINK: the link is gone.
    pub deleted: bool,
    /// ifi_index: the interface index.
    pub ifindex: u32,
    /// ifi_type: the ARPHRD_* hardware type (linux/if_arp.h).
    pub link_type: u16,
    /// ifi_flags: IFF_* (linux/if.h).
    pub flags: u32,
    /// IFLA_IFNAME: the interface name.
    pub name: Option<&'a str>,
    /// IFLA_ADDRESS, when it is a 6-byte (Ethernet) address.
    pub mac: Option<[u8; 6]>,
    /// IFLA_MTU, bytes.
    pub mtu: Option<u32>,
    /// IFLA_OPERSTATE: IF_OPER_* (RFC 2863).
    pub operstate: Option<u8>,
    /// IFLA_MASTER: the ifindex of the bridge or bond it is enslaved to.
    pub master: Option<u32>,
    /// IFLA_LINKINFO / IFLA_INFO_KIND: "veth", "macvlan", ...
    pub kind: Option<&'a str>,
}

impl<'a> Link<'a> {
    /// Length of struct ifinfomsg, the fixed part before the IFLA_* attributes (linux/rtnetlink.h).
    pub const FIXED_LEN: usize = 16;

    /// Parses an RTM_NEWLINK or RTM_DELLINK; unknown attributes are skipped.
    pub fn parse(m: &Message<'a>) -> Result<Link<'a>> {
        let p = m.payload;
        if p.len() < Self::FIXED_LEN {
            return Err(Error::Truncated);
        }
        let mut l = Link {
            deleted: m.header.kind == RTM_DELLINK,
            link_type: ne_u16(p, 2),
            ifindex: ne_u32(p, 4),
            flags: ne_u32(p, 8),
            name: None,
            mac: None,
            mtu: None,
            operstate: None,
            master: None,
            kind: None,
        };
        for a in attrs(&p[Self::FIXED_LEN..]) {
            let a = a?;
            match a.kind {
                IFLA_IFNAME => l.name = a.str(),
                IFLA_ADDRESS => l.mac = <[u8; 6]>::try_from(a.payload).ok(),
                IFLA_MTU => l.mtu = a.u32(),
                IFLA_OPERSTATE => l.operstate = a.u8(),
                IFLA_MASTER => l.master = a.u32(),
                IFLA_LINKINFO => {
                    for i in a.attrs() {
                        let i = i?;
                        if i.kind == IFLA_INFO_KIND {
                            l.kind = i.str();
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(l)
    }

    /// keepalived: an interface is up for VRRP when IFF_UP and IFF_RUNNING are both set.
    pub fn is_up(&self) -> bool {
        self.flags & (IFF_UP | IFF_RUNNING) == (IFF_UP | IFF_RUNNING)
    }
}

/// IFA_CACHEINFO: struct ifa_cacheinfo (linux/if_addr.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheInfo {
    /// ifa_prefered: the preferred lifetime, seconds (u32::MAX forever).
    pub preferred: u32,
    /// ifa_valid: the valid lifetime, seconds (u32::MAX forever).
    pub valid: u32,
    /// cstamp: when the address was created, hundredths of seconds.
    pub created: u32,
    /// tstamp: when the address was last updated, hundredths of seconds.
    pub updated: u32,
}

/// RTM_NEWADDR / RTM_DELADDR (ifaddrmsg + IFA_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addr<'a> {
    /// RTM_DELADDR: the address is gone.
    pub deleted: bool,
    /// ifa_family: AF_INET or AF_INET6.
    pub family: u8,
    /// ifa_prefixlen: the prefix length.
    pub prefix_len: u8,
    /// ifa_scope: RT_SCOPE_*.
    pub scope: u8,
    /// ifa_index: the interface's index.
    pub ifindex: u32,
    /// IFA_FLAGS when present (it carries the bits above 8), else the header's 8 bits.
    pub flags: u32,
    /// IFA_ADDRESS: the address, or the peer's on a point-to-point link.
    pub address: Option<IpAddr>,
    /// IFA_LOCAL: the interface's own address (IPv4).
    pub local: Option<IpAddr>,
    /// IFA_BROADCAST.
    pub broadcast: Option<IpAddr>,
    /// IFA_LABEL.
    pub label: Option<&'a str>,
    /// IFA_CACHEINFO: lifetimes and timestamps.
    pub cache: Option<CacheInfo>,
}

impl<'a> Addr<'a> {
    /// Length of struct ifaddrmsg, the fixed part before the IFA_* attributes (linux/if_addr.h).
    pub const FIXED_LEN: usize = 8;

    /// Parses an RTM_NEWADDR or RTM_DELADDR; unknown attributes are skipped.
    pub fn parse(m: &Message<'a>) -> Result<Addr<'a>> {
        let p = m.payload;
        if p.len() < Self::FIXED_LEN {
            return Err(Error::Truncated);
        }
        let mut a = Addr {
            deleted: m.header.kind == RTM_DELADDR,
            family: p[0],
            prefix_len: p[1],
            flags: p[2] as u32,
            scope: p[3],
            ifindex: ne_u32(p, 4),
            address: None,
            local: None,
            broadcast: None,
            label: None,
            cache: None,
        };
        for at in attrs(&p[Self::FIXED_LEN..]) {
            let at = at?;
            match at.kind {
                IFA_ADDRESS => a.address = at.ip(),
                IFA_LOCAL => a.local = at.ip(),
                IFA_BROADCAST => a.broadcast = at.ip(),
                IFA_LABEL => a.label = at.str(),
                IFA_FLAGS => a.flags = at.u32().unwrap_or(a.flags),
                IFA_CACHEINFO if at.payload.len() >= 16 => {
                    let b = at.payload;
                    a.cache = Some(CacheInfo {
                        preferred: ne_u32(b, 0),
                        valid: ne_u32(b, 4),
                        created: ne_u32(b, 8),
                        updated: ne_u32(b, 12),
                    });
                }
                _ => {}
            }
        }
        Ok(a)
    }

    /// The interface's own address: IFA_LOCAL for IPv4 (IFA_ADDRESS is the peer on
    /// point-to-point links), IFA_ADDRESS for IPv6.
    pub fn own_address(&self) -> Option<IpAddr> {
        self.local.or(self.address)
    }
}

/// A received message, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// NLMSG_ERROR: an error, or an ACK.
    Error(ErrorMsg<'a>),
    /// NLMSG_DONE: the end of a dump.
    Done,
    /// RTM_NEWLINK or RTM_DELLINK.
    Link(Link<'a>),
    /// RTM_NEWADDR or RTM_DELADDR.
    Addr(Addr<'a>),
    /// Anything else (routes, rules, noop): the type is kept, the body skipped.
    Other(u16),
}

/// Classifies a message and parses the kinds vrrpd follows.
pub fn parse<'a>(m: &Message<'a>) -> Result<Parsed<'a>> {
    Ok(match m.header.kind {
        NLMSG_ERROR => Parsed::Error(ErrorMsg::parse(m)?),
        NLMSG_DONE => Parsed::Done,
        RTM_NEWLINK | RTM_DELLINK => Parsed::Link(Link::parse(m)?),
        RTM_NEWADDR | RTM_DELADDR => Parsed::Addr(Addr::parse(m)?),
        other => Parsed::Other(other),
    })
}

/// Writes one request into a caller's buffer: header, fixed part, attributes (nested ones
/// through [`Writer::nest_start`] / [`Writer::nest_end`]); [`Writer::finish`] sets the length.
pub struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
    overflow: bool,
}

impl<'b> Writer<'b> {
    /// Starts a message of type `kind` with `flags` and `seq` (pid 0) at the start of `buf`.
    pub fn new(buf: &'b mut [u8], kind: u16, flags: u16, seq: u32) -> Writer<'b> {
        let mut w = Writer { buf, pos: 0, overflow: false };
        if let Some(h) = w.reserve(HEADER_LEN) {
            Header { len: 0, kind, flags, seq, pid: 0 }.emit(h);
        }
        w
    }

    fn reserve(&mut self, n: usize) -> Option<&mut [u8]> {
        let end = self.pos + align(n);
        if self.overflow || end > self.buf.len() {
            self.overflow = true;
            return None;
        }
        let start = self.pos;
        self.buf[start..end].fill(0);
        self.pos = end;
        Some(&mut self.buf[start..start + n])
    }

    /// The fixed header after nlmsghdr (ifaddrmsg, ifinfomsg, rtmsg, fib_rule_hdr).
    pub fn fixed(&mut self, bytes: &[u8]) {
        if let Some(b) = self.reserve(bytes.len()) {
            b.copy_from_slice(bytes);
        }
    }

    /// Appends an attribute with `payload`, padded to 4 bytes.
    pub fn attr(&mut self, kind: u16, payload: &[u8]) {
        if let Some(b) = self.reserve(ATTR_HEADER_LEN + payload.len()) {
            b[0..2].copy_from_slice(&((ATTR_HEADER_LEN + payload.len()) as u16).to_ne_bytes());
            b[2..4].copy_from_slice(&kind.to_ne_bytes());
            b[4..].copy_from_slice(payload);
        }
    }
    /// Appends a u32 attribute in host byte order.
    pub fn attr_u32(&mut self, kind: u16, v: u32) {
        self.attr(kind, &v.to_ne_bytes());
    }
    /// Appends a NUL-terminated string attribute.
    pub fn attr_str(&mut self, kind: u16, s: &str) {
        // With the terminating NUL, as iproute2 sends names.
        let n = s.len() + 1;
        if let Some(b) = self.reserve(ATTR_HEADER_LEN + n) {
            b[0..2].copy_from_slice(&((ATTR_HEADER_LEN + n) as u16).to_ne_bytes());
            b[2..4].copy_from_slice(&kind.to_ne_bytes());
            b[4..4 + s.len()].copy_from_slice(s.as_bytes());
            b[4 + s.len()] = 0;
        }
    }
    /// Appends an address attribute: 4 bytes for IPv4, 16 for IPv6, network byte order.
    pub fn attr_ip(&mut self, kind: u16, ip: IpAddr) {
        match ip {
            IpAddr::V4(a) => self.attr(kind, &a.octets()),
            IpAddr::V6(a) => self.attr(kind, &a.octets()),
        }
    }

    /// Opens a nested attribute; returns its offset for [`Writer::nest_end`].
    pub fn nest_start(&mut self, kind: u16) -> usize {
        let at = self.pos;
        if let Some(b) = self.reserve(ATTR_HEADER_LEN) {
            b[2..4].copy_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
        }
        at
    }
    /// Closes the nested attribute [`Writer::nest_start`] opened at `at`, setting its length.
    pub fn nest_end(&mut self, at: usize) {
        if !self.overflow {
            let len = (self.pos - at) as u16;
            self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
        }
    }

    /// Sets nlmsg_len; returns the message length, or BufferSize if it did not fit.
    pub fn finish(self) -> Result<usize> {
        if self.overflow {
            return Err(Error::BufferSize);
        }
        self.buf[0..4].copy_from_slice(&(self.pos as u32).to_ne_bytes());
        Ok(self.pos)
    }
}

fn family_of(ip: &IpAddr) -> u8 {
    if ip.is_ipv4() {
        AF_INET
    } else {
        AF_INET6
    }
}

/// A dump request: RTM_GETLINK or RTM_GETADDR for `family` (AF_UNSPEC for all).
pub fn dump_request(buf: &mut [u8], kind: u16, family: u8, seq: u32) -> Result<usize> {
    let mut w = Writer::new(buf, kind, NLM_F_REQUEST | NLM_F_DUMP, seq);
    match kind {
        RTM_GETLINK => w.fixed(&[family, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        _ => w.fixed(&[family, 0, 0, 0, 0, 0, 0, 0]),
    }
    w.finish()
}

/// An address to add or delete (a VIP): keepalived sets IFA_LOCAL and IFA_ADDRESS (so a
/// delete removes exactly this address even when a /32 VIP equals an interface's /24,
/// keepalived PR #155/#353), IFA_BROADCAST, IFA_LABEL, IFA_FLAGS and, for IPv6 lifetimes,
/// IFA_CACHEINFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrRequest<'a> {
    /// ifa_index: the interface to put the address on.
    pub ifindex: u32,
    /// The address itself (IFA_LOCAL).
    pub address: IpAddr,
    /// ifa_prefixlen: its prefix length.
    pub prefix_len: u8,
    /// keepalived `peer`: the point-to-point peer, sent as IFA_ADDRESS instead of the address.
    pub peer: Option<IpAddr>,
    /// keepalived `brd`: IFA_BROADCAST.
    pub broadcast: Option<Ipv4Addr>,
    /// ifa_scope: RT_SCOPE_* (keepalived `scope`).
    pub scope: u8,
    /// keepalived `label`: IFA_LABEL.
    pub label: Option<&'a str>,
    /// IFA_F_*: the low 8 bits go in ifa_flags; IFA_FLAGS carries all when any higher bit is set.
    pub flags: u32,
    /// (preferred, valid) lifetimes in seconds; u32::MAX is forever.
    pub lifetimes: Option<(u32, u32)>,
}

/// Writes RTM_NEWADDR (`add`, with NLM_F_CREATE and NLM_F_EXCL) or RTM_DELADDR for `r`, with
/// NLM_F_ACK, into `buf`; returns the message length.
pub fn addr_request(buf: &mut [u8], add: bool, r: &AddrRequest, seq: u32) -> Result<usize> {
    let (kind, flags) = if add {
        (RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
    } else {
        (RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK)
    };
    let mut w = Writer::new(buf, kind, flags, seq);
    let mut fixed = [0u8; 8];
    fixed[0] = family_of(&r.address);
    fixed[1] = r.prefix_len;
    fixed[2] = r.flags as u8;
    fixed[3] = r.scope;
    fixed[4..8].copy_from_slice(&r.ifindex.to_ne_bytes());
    w.fixed(&fixed);
    w.attr_ip(IFA_LOCAL, r.address);
    w.attr_ip(IFA_ADDRESS, r.peer.unwrap_or(r.address));
    if let Some(b) = r.broadcast {
        w.attr(IFA_BROADCAST, &b.octets());
    }
    if let Some(l) = r.label {
        w.attr_str(IFA_LABEL, l);
    }
    if r.flags > 0xff {
        w.attr_u32(IFA_FLAGS, r.flags);
    }
    if let (true, Some((preferred, valid))) = (add, r.lifetimes) {
        let mut ci = [0u8; 16];
        ci[0..4].copy_from_slice(&preferred.to_ne_bytes());
        ci[4..8].copy_from_slice(&valid.to_ne_bytes());
        w.attr(IFA_CACHEINFO, &ci);
    }
    w.finish()
}

/// A virtual route to add or delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteRequest<'a> {
    /// The destination network (RTA_DST, left out when `dst_len` is 0).
    pub dst: IpAddr,
    /// rtm_dst_len: the destination prefix length.
    pub dst_len: u8,
    /// keepalived `src`: the preferred source address (RTA_PREFSRC).
    pub src: Option<IpAddr>,
    /// Gateways: one, or several for a multipath route (`via A or B`).
    pub gateways: &'a [IpAddr],
    /// The output interface's ifindex (RTA_OIF, and each multipath next hop's).
    pub oif: Option<u32>,
    /// The table id: RTA_TABLE always; rtm_table too when below 256, else RT_TABLE_COMPAT (252).
    pub table: u32,
    /// keepalived `metric` (or `preference`, `priority`): RTA_PRIORITY.
    pub metric: Option<u32>,
    /// rtm_scope: RT_SCOPE_*.
    pub scope: u8,
    /// rtm_protocol: RTPROT_*, who installed the route.
    pub protocol: u8,
    /// rtm_type: RTN_*.
    pub route_type: u8,
    /// keepalived `onlink`: RTNH_F_ONLINK, in rtm_flags for one gateway or in each rtnexthop.
    pub onlink: bool,
}

/// Writes RTM_NEWROUTE (`add`, with NLM_F_CREATE and NLM_F_EXCL) or RTM_DELROUTE for `r`, with
/// NLM_F_ACK, into `buf`; returns the message length.
pub fn route_request(buf: &mut [u8], add: bool, r: &RouteRequest, seq: u32) -> Result<usize> {
    let (kind, flags) = if add {
        (RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
    } else {
        (RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK)
    };
    let mut w = Writer::new(buf, kind, flags, seq);
    let table_byte = if r.table < 256 { r.table as u8 } else { 252 }; // RT_TABLE_COMPAT
    let nh_flags: u32 = if r.onlink && r.gateways.len() == 1 { RTNH_F_ONLINK as u32 } else { 0 };
    let mut fixed = [0u8; 12];
    fixed[0] = family_of(&r.dst);
    fixed[1] = r.dst_len;
    fixed[4] = table_byte;
    fixed[5] = r.protocol;
    fixed[6] = r.scope;
    fixed[7] = r.route_type;
    fixed[8..12].copy_from_slice(&nh_flags.to_ne_bytes());
    w.fixed(&fixed);
    if r.dst_len > 0 {
        w.attr_ip(RTA_DST, r.dst);
    }
    if let Some(s) = r.src {
        w.attr_ip(RTA_PREFSRC, s);
    }
    if let Some(o) = r.oif {
        w.attr_u32(RTA_OIF, o);
    }
    if let Some(m) = r.metric {
        w.attr_u32(RTA_PRIORITY, m);
    }
    w.attr_u32(RTA_TABLE, r.table);
    match r.gateways {
        [] => {}
        [one] => w.attr_ip(RTA_GATEWAY, *one),
        many => {
            // RTA_MULTIPATH: rtnexthop {len u16, flags u8, hops u8, ifindex i32} + RTA_GATEWAY.
            let at = w.nest_start(RTA_MULTIPATH);
            for gw in many {
                let gw_len = if gw.is_ipv4() { 4 } else { 16 };
                let nh_len = 8 + ATTR_HEADER_LEN + gw_len;
                let mut nh = [0u8; 8];
                nh[0..2].copy_from_slice(&(nh_len as u16).to_ne_bytes());
                nh[2] = if r.onlink { RTNH_F_ONLINK } else { 0 };
                nh[4..8].copy_from_slice(&r.oif.unwrap_or(0).to_ne_bytes());
                w.fixed(&nh);
                w.attr_ip(RTA_GATEWAY, *gw);
            }
            // RTA_MULTIPATH is not flagged nested in rtnetlink: clear the bit we set.
            w.nest_end(at);
            if !w.overflow {
                w.buf[at + 2..at + 4].copy_from_slice(&RTA_MULTIPATH.to_ne_bytes());
            }
        }
    }
    w.finish()
}

/// A virtual rule to add or delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleRequest<'a> {
    /// fib_rule_hdr family: AF_INET or AF_INET6.
    pub family: u8,
    /// keepalived `from`: source prefix and length (FRA_SRC, src_len).
    pub src: Option<(IpAddr, u8)>,
    /// keepalived `to`: destination prefix and length (FRA_DST, dst_len).
    pub dst: Option<(IpAddr, u8)>,
    /// keepalived `table`: FRA_TABLE, and the header's table when below 256 (else RT_TABLE_COMPAT, 252).
    pub table: Option<u32>,
    /// keepalived `priority` / `preference` / `pref`: FRA_PRIORITY.
    pub priority: Option<u32>,
    /// keepalived `iif`: input interface name (FRA_IIFNAME).
    pub iif: Option<&'a str>,
    /// keepalived `oif`: output interface name (FRA_OIFNAME).
    pub oif: Option<&'a str>,
    /// keepalived `fwmark MARK[/MASK]`: FRA_FWMARK and, if given, FRA_FWMASK.
    pub fwmark: Option<(u32, Option<u32>)>,
    /// fib_rule_hdr tos: the TOS a rule matches (keepalived `tos`).
    pub tos: u8,
    /// fib_rule_hdr action: FR_ACT_*.
    pub action: u8,
}

/// Writes RTM_NEWRULE (`add`, with NLM_F_CREATE and NLM_F_EXCL) or RTM_DELRULE for `r`, with
/// NLM_F_ACK, into `buf`; returns the message length.
pub fn rule_request(buf: &mut [u8], add: bool, r: &RuleRequest, seq: u32) -> Result<usize> {
    let (kind, flags) = if add {
        (RTM_NEWRULE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
    } else {
        (RTM_DELRULE, NLM_F_REQUEST | NLM_F_ACK)
    };
    let mut w = Writer::new(buf, kind, flags, seq);
    let table = r.table.unwrap_or(0);
    let mut fixed = [0u8; 12];
    fixed[0] = r.family;
    fixed[1] = r.dst.map_or(0, |d| d.1);
    fixed[2] = r.src.map_or(0, |s| s.1);
    fixed[3] = r.tos;
    fixed[4] = if table < 256 { table as u8 } else { 252 };
    fixed[7] = r.action;
    w.fixed(&fixed);
    if let Some((a, _)) = r.dst {
        w.attr_ip(FRA_DST, a);
    }
    if let Some((a, _)) = r.src {
        w.attr_ip(FRA_SRC, a);
    }
    if let Some(p) = r.priority {
        w.attr_u32(FRA_PRIORITY, p);
    }
    if let Some(i) = r.iif {
        w.attr_str(FRA_IIFNAME, i);
    }
    if let Some(o) = r.oif {
        w.attr_str(FRA_OIFNAME, o);
    }
    if let Some((mark, mask)) = r.fwmark {
        w.attr_u32(FRA_FWMARK, mark);
        if let Some(m) = mask {
            w.attr_u32(FRA_FWMASK, m);
        }
    }
    if r.table.is_some() {
        w.attr_u32(FRA_TABLE, table);
    }
    w.attr(FRA_PROTOCOL, &[18]);
    w.finish()
}

/// A macvlan link for `use_vmac` (private mode, keepalived's default).
pub fn macvlan_request(buf: &mut [u8], name: &str, parent: u32, mac: [u8; 6], seq: u32) -> Result<usize> {
    let mut w = Writer::new(buf, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
    w.fixed(&[0u8; 16]);
    w.attr_str(IFLA_IFNAME, name);
    w.attr_u32(IFLA_LINK, parent);
    w.attr(IFLA_ADDRESS, &mac);
    let info = w.nest_start(IFLA_LINKINFO);
    w.attr_str(IFLA_INFO_KIND, "macvlan");
    let data = w.nest_start(IFLA_INFO_DATA);
    w.attr_u32(IFLA_MACVLAN_MODE, MACVLAN_MODE_PRIVATE);
    w.nest_end(data);
    w.nest_end(info);
    w.finish()
}

/// A change to link `ifindex`: up (IFF_UP in ifi_change and ifi_flags), and/or its IPv6
/// address generation mode (IFLA_AF_SPEC / AF_INET6 / IFLA_INET6_ADDR_GEN_MODE). The kernel
/// ignores IFLA_AF_SPEC in the request that creates a link, hence a second request; and up
/// goes in a third, or the link-local would be made before the mode applies (keepalived
/// netlink_link_add_vmac()).
pub fn link_set_request(buf: &mut [u8], ifindex: u32, up: bool, gen_mode: Option<u8>, seq: u32) -> Result<usize> {
    let mut w = Writer::new(buf, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
    let mut fixed = [0u8; 16];
    fixed[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    if up {
        fixed[8..12].copy_from_slice(&IFF_UP.to_ne_bytes());
        fixed[12..16].copy_from_slice(&IFF_UP.to_ne_bytes());
    }
    w.fixed(&fixed);
    if let Some(mode) = gen_mode {
        let spec = w.nest_start(IFLA_AF_SPEC);
        let inet6 = w.nest_start(AF_INET6 as u16);
        w.attr(IFLA_INET6_ADDR_GEN_MODE, &[mode]);
        w.nest_end(inet6);
        w.nest_end(spec);
    }
    w.finish()
}

/// RTM_DELLINK of link `ifindex`.
pub fn dellink_request(buf: &mut [u8], ifindex: u32, seq: u32) -> Result<usize> {
    let mut w = Writer::new(buf, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
    let mut fixed = [0u8; 16];
    fixed[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    w.fixed(&fixed);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(bytes: &[u8]) -> Message<'_> {
        let mut it = messages(bytes);
        let m = it.next().unwrap().unwrap();
        assert!(it.next().is_none());
        m
    }

    #[test]
    fn writer_into_dirty_buffer_round_trips_through_the_parser() {
        let mut buf = [0xa5u8; 128];
        let req = AddrRequest {
            ifindex: 7,
            address: "fe80::62".parse().unwrap(),
            prefix_len: 64,
            peer: None,
            broadcast: None,
            scope: RT_SCOPE_LINK,
            label: None,
            flags: IFA_F_NODAD | IFA_F_NOPREFIXROUTE,
            lifetimes: Some((0, u32::MAX)),
        };
        let n = addr_request(&mut buf, true, &req, 9).unwrap();
        let m = only(&buf[..n]);
        assert_eq!((m.header.kind, m.header.seq, m.header.len as usize), (RTM_NEWADDR, 9, n));
        // Parse it back as if the kernel had echoed it.
        let a = Addr::parse(&m).unwrap();
        assert_eq!(
            (a.ifindex, a.prefix_len, a.scope, a.flags),
            (7, 64, RT_SCOPE_LINK, IFA_F_NODAD | IFA_F_NOPREFIXROUTE)
        );
        assert_eq!((a.local, a.address), (Some(req.address), Some(req.address)));
        assert_eq!(a.cache.map(|c| (c.preferred, c.valid)), Some((0, u32::MAX)));
        // Deleting sends no lifetimes and no CREATE flag.
        let n = addr_request(&mut buf, false, &req, 10).unwrap();
        let d = only(&buf[..n]);
        assert_eq!(d.header.flags, NLM_F_REQUEST | NLM_F_ACK);
        assert!(Addr::parse(&d).unwrap().cache.is_none());
    }

    #[test]
    fn nested_attributes_of_a_macvlan_request() {
        let mut buf = [0u8; 128];
        let n = macvlan_request(&mut buf, "vrrp.51", 2, [0, 0, 0x5e, 0, 1, 51], 1).unwrap();
        let m = only(&buf[..n]);
        let l = Link::parse(&m).unwrap();
        assert_eq!((l.name, l.kind, l.mac), (Some("vrrp.51"), Some("macvlan"), Some([0, 0, 0x5e, 0, 1, 51])));
        let info = attrs(&m.payload[Link::FIXED_LEN..]).map(|a| a.unwrap()).find(|a| a.kind == IFLA_LINKINFO).unwrap();
        assert!(info.nested);
        let data = info.attrs().map(|a| a.unwrap()).find(|a| a.kind == IFLA_INFO_DATA).unwrap();
        let mode = data.attrs().next().unwrap().unwrap();
        assert_eq!((mode.kind, mode.u32()), (IFLA_MACVLAN_MODE, Some(MACVLAN_MODE_PRIVATE)));
    }

    /// `ip link add vrrp.51 link v0 address 00:00:5e:00:01:33 type macvlan mode private`
    /// (iproute2 6.x, strace): the same attributes, in another order.
    #[test]
    fn macvlan_request_holds_what_ip_link_add_sends() {
        let mut buf = [0xa5u8; 128];
        let n = macvlan_request(&mut buf, "vrrp.51", 3, [0, 0, 0x5e, 0, 1, 0x33], 7).unwrap();
        assert_eq!(n, 92, "the length ip sends");
        let m = only(&buf[..n]);
        assert_eq!(m.header.flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE);
        assert_eq!(&m.payload[..16], &[0u8; 16], "ifinfomsg all zero");
        let a: Vec<(u16, Vec<u8>)> =
            attrs(&m.payload[16..]).map(|a| a.unwrap()).map(|a| (a.kind, a.payload.to_vec())).collect();
        assert!(a.contains(&(IFLA_ADDRESS, vec![0, 0, 0x5e, 0, 1, 0x33])));
        assert!(a.contains(&(IFLA_LINK, 3u32.to_ne_bytes().to_vec())));
        assert!(a.contains(&(IFLA_IFNAME, b"vrrp.51\0".to_vec())));
        // IFLA_LINKINFO {kind "macvlan", data {mode private}}, byte for byte as ip sends it.
        let info = a.iter().find(|x| x.0 == IFLA_LINKINFO).unwrap();
        // The kind: ip sends 11 bytes (no NUL), we send the NUL too; both pad to 12.
        assert_eq!(&info.1[..12], &[12, 0, 1, 0, b'm', b'a', b'c', b'v', b'l', b'a', b'n', 0]);
        // ip leaves NLA_F_NESTED (0x8000) off; we set it, which the kernel masks off.
        assert_eq!(&info.1[12..], &[12, 0, 2, 0x80, 8, 0, 1, 0, 1, 0, 0, 0]);
    }

    /// `ip link set vrrp.51 addrgenmode none` and `ip link del vrrp.51` (strace), ifindex 4;
    /// the nests carry NLA_F_NESTED, which ip leaves off.
    #[test]
    fn addrgenmode_and_dellink_requests_match_ip() {
        let mut buf = [0xa5u8; 64];
        let n = link_set_request(&mut buf, 4, false, Some(IN6_ADDR_GEN_MODE_NONE), 9).unwrap();
        let mut want = vec![48, 0, 0, 0, 16, 0, 5, 0, 9, 0, 0, 0, 0, 0, 0, 0];
        want.extend([0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        want.extend([16, 0, 26, 0x80, 12, 0, 10, 0x80, 5, 0, 8, 0, 1, 0, 0, 0]);
        assert_eq!(&buf[..n], &want[..]);
        let n = dellink_request(&mut buf, 4, 10).unwrap();
        let mut want = vec![32, 0, 0, 0, 17, 0, 5, 0, 10, 0, 0, 0, 0, 0, 0, 0];
        want.extend([0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&buf[..n], &want[..]);
        // Up: IFF_UP in ifi_flags and ifi_change, no attribute; it parses back as a link.
        let n = link_set_request(&mut buf, 4, true, None, 11).unwrap();
        assert_eq!(n, 32);
        let l = Link::parse(&only(&buf[..n])).unwrap();
        assert_eq!((l.ifindex, l.flags), (4, IFF_UP));
        assert_eq!(&buf[28..32], &IFF_UP.to_ne_bytes());
        assert_eq!(link_set_request(&mut [0u8; 40], 4, false, Some(1), 1), Err(Error::BufferSize));
    }

    #[test]
    fn multipath_route_and_rule_requests() {
        let gws: [IpAddr; 2] = ["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        let r = RouteRequest {
            dst: "192.168.0.0".parse().unwrap(),
            dst_len: 16,
            src: None,
            gateways: &gws,
            oif: Some(3),
            table: 1000,
            metric: Some(5),
            scope: RT_SCOPE_UNIVERSE,
            protocol: RTPROT_BOOT,
            route_type: RTN_UNICAST,
            onlink: false,
        };
        let mut buf = [0u8; 256];
        let n = route_request(&mut buf, true, &r, 3).unwrap();
        let m = only(&buf[..n]);
        assert_eq!(m.payload[4], 252, "tables above 255 use RT_TABLE_COMPAT in rtmsg");
        let found: Vec<u16> = attrs(&m.payload[12..]).map(|a| a.unwrap().kind).collect();
        assert_eq!(found, [RTA_DST, RTA_OIF, RTA_PRIORITY, RTA_TABLE, RTA_MULTIPATH]);
        let mp = attrs(&m.payload[12..]).map(|a| a.unwrap()).find(|a| a.kind == RTA_MULTIPATH).unwrap();
        // Two rtnexthops of 8 + 8 bytes each.
        assert_eq!(mp.payload.len(), 32);
        assert_eq!(&mp.payload[12..16], &[10, 0, 0, 1]);
        assert_eq!(&mp.payload[28..32], &[10, 0, 0, 2]);

        let rule = RuleRequest {
            family: AF_INET,
            src: Some(("10.0.0.1".parse().unwrap(), 32)),
            dst: None,
            table: Some(100),
            priority: Some(100),
            iif: None,
            oif: None,
            fwmark: Some((0x10, Some(0xff))),
            tos: 0,
            action: FR_ACT_TO_TBL,
        };
        let n = rule_request(&mut buf, true, &rule, 4).unwrap();
        let m = only(&buf[..n]);
        assert_eq!((m.payload[2], m.payload[4], m.payload[7]), (32, 100, FR_ACT_TO_TBL));
        let kinds: Vec<u16> = attrs(&m.payload[12..]).map(|a| a.unwrap().kind).collect();
        assert_eq!(kinds, [FRA_SRC, FRA_PRIORITY, FRA_FWMARK, FRA_FWMASK, FRA_TABLE, FRA_PROTOCOL]);
    }

    #[test]
    fn malformed_input_ends_iteration_with_an_error() {
        assert_eq!(messages(&[0u8; 10]).next(), Some(Err(Error::Truncated)));
        let mut b = [0u8; 32];
        Header { len: 64, kind: NLMSG_DONE, flags: 0, seq: 0, pid: 0 }.emit(&mut b);
        assert_eq!(messages(&b).next(), Some(Err(Error::BadLength)), "length past the datagram");
        Header { len: 8, kind: NLMSG_DONE, flags: 0, seq: 0, pid: 0 }.emit(&mut b);
        assert_eq!(messages(&b).next(), Some(Err(Error::BadLength)), "length below the header");
        // Attribute longer than what is left; attribute shorter than its header.
        assert_eq!(attrs(&[8, 0, 1, 0, 0, 0]).next(), Some(Err(Error::BadLength)));
        assert_eq!(attrs(&[2, 0, 1, 0]).next(), Some(Err(Error::BadLength)));
        assert_eq!(attrs(&[0, 0]).next(), None, "fewer than 4 bytes is padding");
        // A truncated NLMSG_ERROR and ifinfomsg.
        let mut e = [0u8; 24];
        Header { len: 24, kind: NLMSG_ERROR, flags: 0, seq: 0, pid: 0 }.emit(&mut e);
        assert_eq!(parse(&only(&e)), Err(Error::Truncated));
        Header { len: 24, kind: RTM_NEWLINK, flags: 0, seq: 0, pid: 0 }.emit(&mut e);
        assert_eq!(parse(&only(&e)), Err(Error::Truncated));
        // Unknown message types are kept as Other, not errors.
        Header { len: 16, kind: 999, flags: 0, seq: 0, pid: 0 }.emit(&mut e);
        assert_eq!(parse(&only(&e[..16])), Ok(Parsed::Other(999)));
    }

    #[test]
    fn an_error_message_with_errno_i32_min_parses() {
        // NLMSG_ERROR (len 36) whose errno field is i32::MIN, echoing a 16-byte header.
        let mut b = [0u8; 36];
        b[0] = 36;
        b[4] = NLMSG_ERROR as u8;
        b[16..20].copy_from_slice(&i32::MIN.to_ne_bytes());
        b[20] = 16;
        let m = messages(&b).next().unwrap().unwrap();
        assert_eq!(ErrorMsg::parse(&m).unwrap().errno, i32::MIN);
    }

    #[test]
    fn requests_that_do_not_fit_are_refused() {
        let mut small = [0u8; 20];
        assert_eq!(dump_request(&mut small, RTM_GETLINK, AF_UNSPEC, 1), Err(Error::BufferSize));
        assert_eq!(dump_request(&mut [0u8; 32], RTM_GETLINK, AF_UNSPEC, 1), Ok(32));
        assert_eq!(dump_request(&mut [0u8; 32], RTM_GETADDR, AF_INET, 1), Ok(24));
    }
}
