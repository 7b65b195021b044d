//! VRRP advertisements: version 2 (RFC 3768 §5) over IPv4 and version 3 (RFC 5798 §5) over
//! IPv4 and IPv6, byte-compatible with keepalived 2.2.7.
//!
//! ```text
//! v2:  | 2|1 | VRID | prio | count | auth type | adver int (s) | checksum | addrs.. | auth data (8) |
//! v3:  | 3|1 | VRID | prio | count | rsvd(4) max adver int (12, cs) | checksum | addrs.. |
//! ```
//! Checksums: v2 covers the VRRP bytes only (auth data included); v3 over IPv4 adds the IPv4
//! pseudo-header (RFC 5798 §5.2.8, keepalived's default) unless `v3_checksum_as_v2`
//! (RFC 9568 practice); v3 over IPv6 adds the IPv6 pseudo-header.
//!
//! [`validate`] applies keepalived's receive checks in keepalived's order (vrrp.c
//! vrrp_check_packet) and names each drop after the counter keepalived increments; for
//! `auth_type AH` that includes the AH header before the advert ([`super::ah`]).
use super::{ah, be16, checksum, put16, Error, Result};
use crate::wire::Family;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IANA protocol number of VRRP (RFC 5798 §5.1.1.4, RFC 3768 §5.2.4).
pub const PROTOCOL: u8 = 112;
/// Type of an ADVERTISEMENT, the only VRRP packet type (RFC 5798 §5.2.2).
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// Length of the fixed VRRP header before the addresses, bytes (RFC 5798 §5.1).
pub const HEADER_LEN: usize = 8;
/// Length of the v2 Authentication Data after the addresses, bytes (RFC 3768 §5.3.10).
pub const V2_AUTH_LEN: usize = 8;
/// v2 Auth Type 0: no authentication (RFC 3768 §5.3.6).
pub const AUTH_NONE: u8 = 0;
/// v2 Auth Type 1: simple text password (RFC 2338 §5.3.6; keepalived `auth_type PASS`).
pub const AUTH_PASS: u8 = 1;
/// v2 Auth Type 2: IP Authentication Header (RFC 2338 §5.3.6; keepalived `auth_type AH`).
pub const AUTH_AH: u8 = 2;
/// The 12-bit Max Adver Int field of VRRPv3: its mask and largest value, centiseconds
/// (RFC 5798 §5.2.7).
pub const V3_MAX_INTERVAL: u16 = 0x0fff;

mod field {
    pub(crate) const VER_TYPE: usize = 0;
    pub(crate) const VRID: usize = 1;
    pub(crate) const PRIORITY: usize = 2;
    pub(crate) const COUNT: usize = 3;
    pub(crate) const V2_AUTH_TYPE: usize = 4;
    pub(crate) const V2_INTERVAL: usize = 5;
    pub(crate) const V3_INTERVAL: usize = 4;
    pub(crate) const CHECKSUM: usize = 6;
    pub(crate) const ADDRS: usize = 8;
}

/// The VRRP version of an advert or instance (keepalived `version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// VRRPv2 (RFC 3768): IPv4 only, interval in seconds, authentication fields.
    V2,
    /// VRRPv3 (RFC 5798): IPv4 and IPv6, interval in centiseconds, no authentication.
    V3,
}

impl Version {
    /// The Version nibble: 2 or 3 (RFC 5798 §5.2.1).
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// The v2 authentication fields: type and the 8 data bytes (zero for none, the zero-padded
/// password for PASS). Absent in v3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V2Auth {
    /// Auth Type: [`AUTH_NONE`], [`AUTH_PASS`] or [`AUTH_AH`].
    pub kind: u8,
    /// Authentication Data: the password zero-padded to 8 bytes for PASS, else zeros.
    pub data: [u8; 8],
}

impl V2Auth {
    /// No authentication: type 0 and zero data (also what a parsed v3 advert holds).
    pub const NONE: V2Auth = V2Auth { kind: AUTH_NONE, data: [0; 8] };
    /// AH authentication: type 2, and zero data (keepalived sends none; the AH header
    /// before the advert carries the ICV).
    pub const AH: V2Auth = V2Auth { kind: AUTH_AH, data: [0; 8] };
    /// PASS authentication with `data`, the password zero-padded to 8 bytes.
    pub fn pass(data: [u8; 8]) -> V2Auth {
        V2Auth { kind: AUTH_PASS, data }
    }
}

/// The address list of an advert: either the raw bytes of a received packet (no copy), or
/// addresses to send.
#[derive(Debug, Clone, Copy)]
pub enum Addrs<'a> {
    /// Received: the packed addresses as they are on the wire.
    Raw {
        /// Which family the bytes hold: 4 or 16 bytes per address.
        family: Family,
        /// The addresses back to back, network byte order.
        bytes: &'a [u8],
    },
    /// IPv4 addresses to send.
    V4(&'a [Ipv4Addr]),
    /// IPv6 addresses to send.
    V6(&'a [Ipv6Addr]),
}

impl<'a> Addrs<'a> {
    /// The family of the addresses.
    pub fn family(&self) -> Family {
        match self {
            Addrs::Raw { family, .. } => *family,
            Addrs::V4(_) => Family::V4,
            Addrs::V6(_) => Family::V6,
        }
    }

    /// The number of addresses.
    pub fn len(&self) -> usize {
        match self {
            Addrs::Raw { family, bytes } => bytes.len() / family.addr_len(),
            Addrs::V4(a) => a.len(),
            Addrs::V6(a) => a.len(),
        }
    }

    /// True if there are no addresses.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th address, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<IpAddr> {
        match self {
            Addrs::Raw { family: Family::V4, bytes } => {
                let b: [u8; 4] = bytes.get(i * 4..i * 4 + 4)?.try_into().ok()?;
                Some(IpAddr::V4(b.into()))
            }
            Addrs::Raw { family: Family::V6, bytes } => {
                let b: [u8; 16] = bytes.get(i * 16..i * 16 + 16)?.try_into().ok()?;
                Some(IpAddr::V6(b.into()))
            }
            Addrs::V4(a) => a.get(i).map(|a| IpAddr::V4(*a)),
            Addrs::V6(a) => a.get(i).map(|a| IpAddr::V6(*a)),
        }
    }

    /// The addresses in order.
    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + '_ {
        (0..self.len()).map_while(|i| self.get(i))
    }

    fn byte_len(&self) -> usize {
        self.len() * self.family().addr_len()
    }

    fn write(&self, out: &mut [u8]) {
        match self {
            Addrs::Raw { bytes, .. } => out.copy_from_slice(bytes),
            Addrs::V4(a) => {
                for (chunk, addr) in out.chunks_exact_mut(4).zip(a.iter()) {
                    chunk.copy_from_slice(&addr.octets());
                }
            }
            Addrs::V6(a) => {
                for (chunk, addr) in out.chunks_exact_mut(16).zip(a.iter()) {
                    chunk.copy_from_slice(&addr.octets());
                }
            }
        }
    }
}

impl Eq for Addrs<'_> {}

impl PartialEq for Addrs<'_> {
    fn eq(&self, other: &Self) -> bool {
        if self.family() != other.family() || self.len() != other.len() {
            return false;
        }
        // Received bytes against configured addresses: compare octets, no IpAddr per entry.
        fn raw_eq(bytes: &[u8], other: &Addrs) -> bool {
            match other {
                Addrs::Raw { bytes: b, .. } => bytes == *b,
                Addrs::V4(a) => bytes.chunks_exact(4).zip(a.iter()).all(|(c, a)| c == a.octets()),
                Addrs::V6(a) => bytes.chunks_exact(16).zip(a.iter()).all(|(c, a)| c == a.octets()),
            }
        }
        match (self, other) {
            (Addrs::Raw { bytes, .. }, o) | (o, Addrs::Raw { bytes, .. }) => raw_eq(bytes, o),
            (Addrs::V4(a), Addrs::V4(b)) => a == b,
            (Addrs::V6(a), Addrs::V6(b)) => a == b,
            _ => false,
        }
    }
}

/// How the checksum is computed, which depends on version, family and keepalived options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumMode {
    /// v2, and v3/IPv4 with `v3_checksum_as_v2`: the VRRP bytes only.
    Plain,
    /// v3/IPv4 default: with the IPv4 pseudo-header. In unicast the destination is the peer.
    PseudoV4 {
        /// Source address of the IPv4 header.
        src: Ipv4Addr,
        /// Destination address of the IPv4 header.
        dst: Ipv4Addr,
    },
    /// v3/IPv6: with the IPv6 pseudo-header.
    PseudoV6 {
        /// Source address of the IPv6 header.
        src: Ipv6Addr,
        /// Destination address of the IPv6 header.
        dst: Ipv6Addr,
    },
}

impl ChecksumMode {
    /// The mode for an advert of `version` between `src` and `dst`.
    pub fn for_packet(version: Version, src: IpAddr, dst: IpAddr, v3_checksum_as_v2: bool) -> ChecksumMode {
        match (version, src, dst) {
            (Version::V2, _, _) => ChecksumMode::Plain,
            (Version::V3, IpAddr::V4(s), IpAddr::V4(d)) if !v3_checksum_as_v2 => {
                ChecksumMode::PseudoV4 { src: s, dst: d }
            }
            (Version::V3, IpAddr::V6(s), IpAddr::V6(d)) => ChecksumMode::PseudoV6 { src: s, dst: d },
            _ => ChecksumMode::Plain,
        }
    }

    fn initial(&self, len: usize) -> u32 {
        match *self {
            ChecksumMode::Plain => 0,
            ChecksumMode::PseudoV4 { src, dst } => checksum::pseudo_v4(src, dst, PROTOCOL, len as u16),
            ChecksumMode::PseudoV6 { src, dst } => checksum::pseudo_v6(src, dst, PROTOCOL, len as u32),
        }
    }

    /// The checksum over `bytes` with this mode (field included as it is in `bytes`).
    pub fn compute(&self, bytes: &[u8]) -> u16 {
        checksum::finish(checksum::sum(self.initial(bytes.len()), bytes))
    }
}

/// A checked view of VRRP bytes: long enough for the header and for the address count and
/// authentication its version implies. Trailing bytes are allowed here (Ethernet padding);
/// [`validate`] decides whether they are acceptable.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    family: Family,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that `buffer` holds the header and what its version and count imply for `family`.
    pub fn new_checked(buffer: T, family: Family) -> Result<Packet<T>> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let p = Packet { buffer, family };
        if p.buffer.as_ref().len() < p.expected_len() {
            return Err(Error::Truncated);
        }
        Ok(p)
    }

    /// The raw version nibble.
    pub fn version_number(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TYPE] >> 4
    }
    /// The version, or `None` if the nibble is neither 2 nor 3.
    pub fn version(&self) -> Option<Version> {
        match self.version_number() {
            2 => Some(Version::V2),
            3 => Some(Version::V3),
            _ => None,
        }
    }
    /// The Type nibble (1 for an advertisement).
    pub fn kind(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TYPE] & 0x0f
    }
    /// Virtual Rtr ID (RFC 5798 §5.2.3).
    pub fn vrid(&self) -> u8 {
        self.buffer.as_ref()[field::VRID]
    }
    /// Priority: 255 for the address owner, 0 when a master resigns (RFC 5798 §5.2.4).
    pub fn priority(&self) -> u8 {
        self.buffer.as_ref()[field::PRIORITY]
    }
    /// Count IPvX Addr: the number of addresses (RFC 5798 §5.2.5).
    pub fn count(&self) -> u8 {
        self.buffer.as_ref()[field::COUNT]
    }
    /// v2: seconds; v3: centiseconds (low 12 bits).
    pub fn interval(&self) -> u16 {
        let b = self.buffer.as_ref();
        match self.version() {
            Some(Version::V3) => be16(b, field::V3_INTERVAL) & V3_MAX_INTERVAL,
            _ => b[field::V2_INTERVAL] as u16,
        }
    }
    /// The Checksum field as received.
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHECKSUM)
    }
    /// v3: the reserved high nibble of the interval field.
    pub fn reserved(&self) -> u8 {
        match self.version() {
            Some(Version::V3) => self.buffer.as_ref()[field::V3_INTERVAL] >> 4,
            _ => 0,
        }
    }
    /// Length implied by version and count: header, addresses, and v2 auth data.
    pub fn expected_len(&self) -> usize {
        let auth = if self.version_number() == 3 { 0 } else { V2_AUTH_LEN };
        HEADER_LEN + self.count() as usize * self.family.addr_len() + auth
    }
    /// The address list, borrowing this view.
    pub fn addrs(&self) -> Addrs<'_> {
        Addrs::Raw { family: self.family, bytes: &self.buffer.as_ref()[self.addr_range()] }
    }
    fn addr_range(&self) -> std::ops::Range<usize> {
        field::ADDRS..field::ADDRS + self.count() as usize * self.family.addr_len()
    }
    /// v2: Auth Type and the Authentication Data after the addresses. Only a version-2 view is
    /// checked to hold them.
    pub fn v2_auth(&self) -> V2Auth {
        let b = self.buffer.as_ref();
        let start = field::ADDRS + self.count() as usize * self.family.addr_len();
        let mut data = [0u8; 8];
        data.copy_from_slice(&b[start..start + V2_AUTH_LEN]);
        V2Auth { kind: b[field::V2_AUTH_TYPE], data }
    }
    /// The bytes the checksum covers.
    pub fn covered(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.expected_len()]
    }
    /// True if the covered bytes checksum to zero under `mode`.
    pub fn verify_checksum(&self, mode: ChecksumMode) -> bool {
        mode.compute(self.covered()) == 0
    }
    /// True if `emitted` (our re-emission of this advert) has the same bytes, allowing only
    /// RFC 1071's second zero: when the other fields sum to 0xffff, a checksum field of 0xffff
    /// verifies exactly like the 0x0000 that keepalived and we compute.
    pub fn same_as_emitted(&self, emitted: &[u8]) -> bool {
        let ours = self.covered();
        if ours == emitted {
            return true;
        }
        ours.len() == emitted.len()
            && ours[..field::CHECKSUM] == emitted[..field::CHECKSUM]
            && ours[field::CHECKSUM + 2..] == emitted[field::CHECKSUM + 2..]
            && ours[field::CHECKSUM..field::CHECKSUM + 2] == [0xff, 0xff]
            && emitted[field::CHECKSUM..field::CHECKSUM + 2] == [0, 0]
    }
}

/// An advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// VRRP version.
    pub version: Version,
    /// Virtual Rtr ID (RFC 5798 §5.2.3; keepalived `virtual_router_id`).
    pub vrid: u8,
    /// Priority: 255 for the address owner, 0 when a master resigns (RFC 5798 §5.2.4).
    pub priority: u8,
    /// v2: Adver Int in seconds (8 bits); v3: Max Adver Int in centiseconds (12 bits).
    pub interval: u16,
    /// v2 only; ignored when emitting v3.
    pub auth: V2Auth,
    /// The virtual addresses (IPvX Address(es), RFC 5798 §5.2.9).
    pub addrs: Addrs<'a>,
    /// v3: the 4 reserved bits before Max Adver Int (RFC 5798 §5.2.6: zero when sent, ignored
    /// on receive). Kept so that a parsed advert re-emits to the same bytes; 0 to send.
    pub reserved: u8,
}

impl<'a> Packet<&'a [u8]> {
    /// The address list borrowing the underlying bytes rather than the view.
    pub fn addrs_ref(&self) -> Addrs<'a> {
        let bytes: &'a [u8] = self.buffer;
        Addrs::Raw { family: self.family, bytes: &bytes[self.addr_range()] }
    }
}

impl<'a> Repr<'a> {
    /// Structural parse plus checksum; protocol checks are [`validate`]'s.
    pub fn parse(p: &Packet<&'a [u8]>, mode: ChecksumMode) -> Result<Repr<'a>> {
        let version = p.version().ok_or(Error::Malformed)?;
        if p.kind() != TYPE_ADVERTISEMENT {
            return Err(Error::Malformed);
        }
        if !p.verify_checksum(mode) {
            return Err(Error::Checksum);
        }
        Ok(Repr {
            version,
            vrid: p.vrid(),
            priority: p.priority(),
            interval: p.interval(),
            auth: if version == Version::V2 { p.v2_auth() } else { V2Auth::NONE },
            addrs: p.addrs_ref(),
            reserved: p.reserved(),
        })
    }

    /// Bytes [`Repr::emit`] writes: header, addresses, and for v2 the authentication data.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.addrs.byte_len() + if self.version == Version::V2 { V2_AUTH_LEN } else { 0 }
    }

    /// Writes the advert with its checksum into `b`, which must be `buffer_len()` bytes.
    pub fn emit(&self, b: &mut [u8], mode: ChecksumMode) -> Result<()> {
        if b.len() != self.buffer_len() || self.addrs.len() > 255 {
            return Err(Error::BufferSize);
        }
        b[field::VER_TYPE] = (self.version.number() << 4) | TYPE_ADVERTISEMENT;
        b[field::VRID] = self.vrid;
        b[field::PRIORITY] = self.priority;
        b[field::COUNT] = self.addrs.len() as u8;
        match self.version {
            Version::V2 => {
                b[field::V2_AUTH_TYPE] = self.auth.kind;
                b[field::V2_INTERVAL] = self.interval as u8;
                let start = field::ADDRS + self.addrs.byte_len();
                b[start..start + V2_AUTH_LEN].copy_from_slice(&self.auth.data);
            }
            Version::V3 => {
                put16(b, field::V3_INTERVAL, ((self.reserved as u16 & 0xf) << 12) | (self.interval & V3_MAX_INTERVAL))
            }
        }
        put16(b, field::CHECKSUM, 0);
        self.addrs.write(&mut b[field::ADDRS..field::ADDRS + self.addrs.byte_len()]);
        let c = mode.compute(b);
        put16(b, field::CHECKSUM, c);
        Ok(())
    }
}

/// Why an advert was dropped; each maps to the keepalived statistic it increments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Not exactly as long as its header says (`packet_len_err`). For IPv4 the lengths
    /// include the IP header, as keepalived logs them. The kernel has already trimmed any
    /// link-layer padding to the IP total length, so there is no allowance for it.
    PacketLength {
        /// Bytes received.
        got: usize,
        /// Bytes the version and address count imply.
        expected: usize,
    },
    /// TTL / hop limit not 255 in multicast, or outside a unicast peer's min/max (`ip_ttl_err`).
    IpTtl {
        /// The TTL / hop limit received.
        got: u8,
    },
    /// Not the configured VRRP version (`version` in keepalived's log; no stat).
    Version {
        /// The version nibble received.
        got: u8,
        /// Our version.
        expected: u8,
    },
    /// v2 auth type not 0, 1 or 2 (`invalid_authtype`).
    InvalidAuthType {
        /// The Auth Type received.
        got: u8,
    },
    /// v2 auth type differs from ours (`authtype_mismatch`).
    AuthTypeMismatch {
        /// The Auth Type received.
        got: u8,
        /// The Auth Type we are configured with.
        expected: u8,
    },
    /// v2 password differs (`auth_failure`).
    AuthFailure,
    /// AH: the ICV does not verify: another `auth_pass`, or a changed packet (`auth_failure`).
    AhIcv,
    /// AH: the SPI is not the sender's address (`auth_failure`).
    AhSpi {
        /// The SPI received, as sent.
        spi: [u8; 4],
        /// The IPv4 source address.
        src: [u8; 4],
    },
    /// AH: a sequence number not above the last one seen, a replay (`auth_failure`).
    AhSequence {
        /// The sequence number received.
        got: u32,
        /// The instance's sequence number (the last received or sent).
        local: u32,
    },
    /// v2 advert interval differs from ours (`advert_interval_err`).
    AdvertInterval {
        /// The Adver Int received, seconds.
        got: u16,
        /// Our Adver Int, seconds.
        expected: u16,
    },
    /// Type is not ADVERTISEMENT (`invalid_type_rcvd`).
    InvalidType {
        /// The Type nibble received.
        got: u8,
    },
    /// The advert carries another number of addresses than we have VIPs (`addr_list_err`;
    /// RFC 3768 §7.1 "MAY verify that the IP Address(es) associated with the VRID are valid").
    AddrCount {
        /// Count IPvX Addr received.
        got: u8,
        /// Our VIPs of the instance's family.
        expected: usize,
    },
    /// Checksum does not verify (`checksum` in the log).
    Checksum {
        /// The advert's version, named in keepalived's message.
        version: u8,
    },
    /// A multicast instance received a unicast advert, or the other way round
    /// (`addr_list_err`, as keepalived counts it).
    CastMismatch {
        /// The instance is multicast.
        expected_multicast: bool,
    },
    /// One of our VIPs is not in the advert (`addr_list_err`). keepalived counts the advert as
    /// received before this check.
    AddrList {
        /// Our VIP that the advert lacks.
        missing: IpAddr,
        /// Our VRID.
        vrid: u8,
    },
}

impl DropReason {
    /// The keepalived statistic (keepalived.stats / JSON `stats`) this drop counts in.
    pub fn counter(&self) -> &'static str {
        match self {
            DropReason::PacketLength { .. } => "packet_len_err",
            DropReason::IpTtl { .. } => "ip_ttl_err",
            DropReason::Version { .. } => "version",
            DropReason::InvalidAuthType { .. } => "invalid_authtype",
            DropReason::AuthTypeMismatch { .. } => "authtype_mismatch",
            DropReason::AuthFailure | DropReason::AhIcv | DropReason::AhSpi { .. } | DropReason::AhSequence { .. } => {
                "auth_failure"
            }
            DropReason::AdvertInterval { .. } => "advert_interval_err",
            DropReason::InvalidType { .. } => "invalid_type_rcvd",
            DropReason::AddrCount { .. } | DropReason::CastMismatch { .. } | DropReason::AddrList { .. } => {
                "addr_list_err"
            }
            DropReason::Checksum { .. } => "checksum",
        }
    }

    /// A small number per reason (for "log each reason once").
    pub fn kind(&self) -> u8 {
        match self {
            DropReason::PacketLength { .. } => 0,
            DropReason::IpTtl { .. } => 1,
            DropReason::Version { .. } => 2,
            DropReason::InvalidAuthType { .. } => 3,
            DropReason::AuthTypeMismatch { .. } => 4,
            DropReason::AuthFailure => 5,
            DropReason::AdvertInterval { .. } => 6,
            DropReason::InvalidType { .. } => 7,
            DropReason::AddrCount { .. } => 8,
            DropReason::Checksum { .. } => 9,
            DropReason::CastMismatch { .. } => 10,
            DropReason::AddrList { .. } => 11,
            DropReason::AhIcv => 12,
            DropReason::AhSpi { .. } => 13,
            DropReason::AhSequence { .. } => 14,
        }
    }

    /// keepalived counts the advert in `advert_rcvd` before this check dropped it.
    pub fn counted_as_received(&self) -> bool {
        matches!(self, DropReason::AddrList { .. })
    }
}

/// keepalived 2.2.7's log text for each drop (vrrp.c vrrp_check_packet()), after "(VI_1) ".
impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::PacketLength { got, expected } => {
                let which = if got > expected { "long" } else { "short" };
                write!(f, "vrrp packet too {which}, length {got} and expect {expected}")
            }
            DropReason::IpTtl { got } => write!(f, "invalid TTL/HL. Received {got} and expect 255"),
            DropReason::Version { got, expected } => write!(f, "wrong version. Received {got} and expect {expected}"),
            DropReason::InvalidAuthType { got } => write!(f, "Invalid auth type: {got}"),
            DropReason::AuthTypeMismatch { got, expected } => write!(f, "received a {got} auth, expecting {expected}!"),
            DropReason::AuthFailure => write!(f, "received an invalid passwd!"),
            DropReason::AhIcv => {
                write!(f, "IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !")
            }
            // keepalived prints both as the u32 of their network-order bytes on a little-endian
            // host (every vrrpd target).
            DropReason::AhSpi { spi, src } => write!(
                f,
                "IPSEC AH : invalid IPSEC SPI value. {} and expect {}",
                u32::from_le_bytes(*src),
                u32::from_le_bytes(*spi)
            ),
            DropReason::AhSequence { got, local } => {
                write!(f, "IPSEC-AH : sequence number {got} already processed. Packet dropped. Local({local})")
            }
            DropReason::AdvertInterval { got, expected } => {
                write!(f, "advertisement interval mismatch mine={expected} sec rcv'd={got} sec")
            }
            DropReason::InvalidType { got } => write!(f, "Invalid packet type. {got} and expect {TYPE_ADVERTISEMENT}"),
            DropReason::AddrCount { got, expected } => {
                write!(f, "received an unexpected ip number count {got}, expected {expected}!")
            }
            DropReason::Checksum { version } => write!(f, "Invalid VRRPv{version} checksum"),
            DropReason::CastMismatch { expected_multicast: true } => {
                write!(f, "Expected multicast packet but received unicast packet")
            }
            DropReason::CastMismatch { expected_multicast: false } => {
                write!(f, "Expected unicast packet but received multicast packet")
            }
            DropReason::AddrList { missing, vrid } => {
                write!(f, "ip address associated with VRID {vrid} not present in MASTER advert: {missing}")
            }
        }
    }
}

/// What the receiving instance expects (its configuration).
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// The configured version (keepalived `version`); an advert of another version is dropped.
    pub version: Version,
    /// Multicast instance: the TTL / hop limit must be 255 (RFC 5798 §7.1).
    pub multicast: bool,
    /// Unicast: the peer's `min_ttl`/`max_ttl`, if any.
    pub ttl_range: Option<(u8, u8)>,
    /// v2: our authentication; compared in constant time.
    pub auth: V2Auth,
    /// `auth_type AH`: the key, the 8-byte zero-padded `auth_pass` (set exactly when
    /// `auth.kind` is [`AUTH_AH`]).
    pub ah_key: Option<[u8; 8]>,
    /// v2: our Adver Int in seconds (a mismatch drops, RFC 3768 §7.1).
    pub v2_interval: u16,
    /// keepalived `v3_checksum_as_v2`: v3 over IPv4 is checksummed without the pseudo-header.
    pub v3_checksum_as_v2: bool,
    /// Our VRID (named in the address-list message).
    pub vrid: u8,
    /// Our VIPs of the instance's family.
    pub vips: Addrs<'a>,
    /// Check the address count and list (keepalived: off only with
    /// `vrrp_skip_check_adv_addr` for adverts from the master already accepted).
    pub check_vips: bool,
}

/// Where and how the advert arrived (from the IPv4 header, or IPv6 ancillary data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RxMeta {
    /// Source address of the IP header: the sender.
    pub src: IpAddr,
    /// Destination address: the VRRP group or, in unicast, our own address.
    pub dst: IpAddr,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// Bytes of the received datagram before the VRRP payload (the IPv4 header with its
    /// options, and the AH header after it for IP protocol 51; 40 for IPv6): keepalived's
    /// length messages count IPv4 adverts with it.
    pub header_len: usize,
}

/// An accepted advert and the non-fatal findings keepalived logs about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted<'a> {
    /// The advert, borrowing the received bytes.
    pub repr: Repr<'a>,
    /// v3: the master's interval differs from ours (the backup adopts it).
    pub interval_differs: bool,
    /// v3 over IPv4: the checksum matched only the form we do not send (with the
    /// pseudo-header when we have `v3_checksum_as_v2`, without it otherwise). RFC 5798 §5.2.8
    /// (and keepalived's default) includes the pseudo-header, RFC 9568 §5.2.8 leaves it out;
    /// both forms are in the field, so vrrpd accepts either; keepalived drops the other.
    pub other_checksum_form: bool,
}

/// Receive validation in keepalived's order (vrrp.c vrrp_check_packet()): length, TTL,
/// version, v2 auth (for AH its header: ICV, SPI, sequence number) and interval, type,
/// address count, checksum, multicast or unicast, address list. `bytes` is the VRRP payload, exactly the
/// rest of the IP datagram; `header` the bytes before it (the IPv4 header and, for AH, the AH
/// header; only AH reads it). `ah_seq` is the instance's AH sequence number: an advert that
/// passes the AH check raises it to its own, even when a later check drops the advert.
pub fn validate<'a>(
    header: &[u8],
    bytes: &'a [u8],
    meta: &RxMeta,
    expect: &Expect<'_>,
    ah_seq: &mut u32,
    our_v3_interval: u16,
) -> core::result::Result<Accepted<'a>, DropReason> {
    let family = if meta.src.is_ipv4() { Family::V4 } else { Family::V6 };
    // keepalived measures IPv4 adverts with their IP header, IPv6 ones without.
    let ip_part = if family == Family::V4 { meta.header_len } else { 0 };
    // 1. Length: exactly header + addresses (+ v2 auth). The kernel trimmed any Ethernet
    // padding to the IP total length already, so a longer payload carries extra bytes.
    if bytes.len() < HEADER_LEN {
        return Err(DropReason::PacketLength { got: ip_part + bytes.len(), expected: ip_part + HEADER_LEN });
    }
    let view = Packet { buffer: bytes, family };
    let expected = view.expected_len();
    if bytes.len() != expected {
        return Err(DropReason::PacketLength { got: ip_part + bytes.len(), expected: ip_part + expected });
    }
    // 2. TTL / hop limit.
    if expect.multicast {
        if meta.ttl != 255 {
            return Err(DropReason::IpTtl { got: meta.ttl });
        }
    } else if let Some((min, max)) = expect.ttl_range {
        if meta.ttl < min || meta.ttl > max {
            return Err(DropReason::IpTtl { got: meta.ttl });
        }
    }
    // 3. Version.
    let version = match view.version() {
        Some(v) if v == expect.version => v,
        _ => return Err(DropReason::Version { got: view.version_number(), expected: expect.version.number() }),
    };
    // 4. v2: authentication and interval.
    if version == Version::V2 {
        let auth = view.v2_auth();
        if auth.kind > AUTH_AH {
            return Err(DropReason::InvalidAuthType { got: auth.kind });
        }
        if auth.kind != expect.auth.kind {
            return Err(DropReason::AuthTypeMismatch { got: auth.kind, expected: expect.auth.kind });
        }
        if auth.kind == AUTH_PASS && !constant_time_eq(&auth.data, &expect.auth.data) {
            return Err(DropReason::AuthFailure);
        }
        if auth.kind == AUTH_AH {
            check_ah(header, bytes, meta, expect, ah_seq)?;
        }
        if view.interval() != expect.v2_interval {
            return Err(DropReason::AdvertInterval { got: view.interval(), expected: expect.v2_interval });
        }
    }
    // 5. Type.
    if view.kind() != TYPE_ADVERTISEMENT {
        return Err(DropReason::InvalidType { got: view.kind() });
    }
    // 6. The address count (RFC 3768 §7.1: a router whose adverts name other VIPs is another
    // virtual router that reused our VRID, or a spoofer; it must not win an election).
    if expect.check_vips && view.count() as usize != expect.vips.len() {
        return Err(DropReason::AddrCount { got: view.count(), expected: expect.vips.len() });
    }
    // 7. Checksum (the v3 interval difference is only noted). Our own form first; for v3 over
    // IPv4 the other one only when that fails (with the IPv4 pseudo-header as RFC 5798 and
    // keepalived, or without it as RFC 9568 §5.2.8), so a LAN of one form pays one sum per
    // advert.
    let mode = ChecksumMode::for_packet(version, meta.src, meta.dst, expect.v3_checksum_as_v2);
    let mut other_checksum_form = false;
    if !view.verify_checksum(mode) {
        let other = match (version, meta.src, meta.dst) {
            (Version::V3, IpAddr::V4(src), IpAddr::V4(dst)) if mode == ChecksumMode::Plain => {
                Some(ChecksumMode::PseudoV4 { src, dst })
            }
            _ if matches!(mode, ChecksumMode::PseudoV4 { .. }) => Some(ChecksumMode::Plain),
            _ => None,
        };
        if !other.is_some_and(|m| view.verify_checksum(m)) {
            return Err(DropReason::Checksum { version: version.number() });
        }
        other_checksum_form = true;
    }
    // 8. Multicast or unicast as configured.
    if expect.multicast != meta.dst.is_multicast() {
        return Err(DropReason::CastMismatch { expected_multicast: expect.multicast });
    }
    let repr = Repr {
        version,
        vrid: view.vrid(),
        priority: view.priority(),
        interval: view.interval(),
        auth: if version == Version::V2 { view.v2_auth() } else { V2Auth::NONE },
        addrs: view.addrs_ref(),
        reserved: view.reserved(),
    };
    // 9. Every one of our VIPs is in the advert.
    if expect.check_vips {
        if let Some(missing) = expect.vips.iter().find(|v| !repr.addrs.iter().any(|a| a == *v)) {
            return Err(DropReason::AddrList { missing, vrid: expect.vrid });
        }
    }
    Ok(Accepted {
        interval_differs: version == Version::V3 && repr.interval != our_v3_interval,
        other_checksum_form,
        repr,
    })
}

/// keepalived vrrp_in_chk_ipsecah(), in its order: the ICV (compared in constant time), the
/// SPI against the source address, then the sequence number, which must be above
/// `last_seq` and becomes it (the anti-replay check, RFC 2402 §3.4.3, without a window).
fn check_ah(
    header: &[u8],
    bytes: &[u8],
    meta: &RxMeta,
    expect: &Expect<'_>,
    last_seq: &mut u32,
) -> core::result::Result<(), DropReason> {
    let key = expect.ah_key.unwrap_or_default();
    let at = header.len().saturating_sub(ah::HEADER_LEN);
    let view = ah::Packet::new_checked(&header[at..]).map_err(|_| DropReason::AhIcv)?;
    let icv = ah::icv(header, bytes, &key, !expect.multicast);
    if !icv.is_some_and(|v| constant_time_eq(&v, &view.icv())) {
        return Err(DropReason::AhIcv);
    }
    let src = match meta.src {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(_) => [0; 4],
    };
    if view.spi() != src {
        return Err(DropReason::AhSpi { spi: view.spi(), src });
    }
    if view.seq() <= *last_seq {
        return Err(DropReason::AhSequence { got: view.seq(), local: *last_seq });
    }
    *last_seq = view.seq();
    Ok(())
}

/// Compares secrets of one length without an early exit (keepalived memcmp_constant_time()).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// keepalived 2.2.7, VRID 51, priority 255, PASS "secret12", 1 s, VIP 10.9.0.100
    /// (tests/data/capture/ka-main.pcap, the VRRP part of the first advert).
    const V2_PASS: [u8; 20] = [
        0x21, 0x33, 0xff, 0x01, 0x01, 0x01, 0x66, 0xde, 0x0a, 0x09, 0x00, 0x64, b's', b'e', b'c', b'r', b'e', b't',
        b'1', b'2',
    ];
    /// keepalived 2.2.7, VRID 62, IPv6, 50 cs, VIPs fe80::62 and 2001:db8::62.
    const V3_V6: [u8; 40] = [
        0x31, 0x3e, 0xff, 0x02, 0x00, 0x32, 0x9b, 0x5f, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x62, 0x20,
        0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x62,
    ];
    const VIP: [Ipv4Addr; 1] = [Ipv4Addr::new(10, 9, 0, 100)];

    fn v6_src() -> Ipv6Addr {
        "fe80::ff:fe00:a01".parse().unwrap()
    }
    fn v6_vips() -> [Ipv6Addr; 2] {
        ["fe80::62".parse().unwrap(), "2001:db8::62".parse().unwrap()]
    }
    fn v2_repr() -> Repr<'static> {
        Repr {
            version: Version::V2,
            vrid: 51,
            priority: 255,
            interval: 1,
            auth: V2Auth::pass(*b"secret12"),
            addrs: Addrs::V4(&VIP),
            reserved: 0,
        }
    }
    fn meta4() -> RxMeta {
        RxMeta {
            src: Ipv4Addr::new(10, 9, 0, 1).into(),
            dst: Ipv4Addr::new(224, 0, 0, 18).into(),
            ttl: 255,
            header_len: 20,
        }
    }
    fn expect4() -> Expect<'static> {
        Expect {
            version: Version::V2,
            multicast: true,
            ttl_range: None,
            auth: V2Auth::pass(*b"secret12"),
            ah_key: None,
            v2_interval: 1,
            v3_checksum_as_v2: false,
            vrid: V2_PASS[1],
            vips: Addrs::V4(&VIP),
            check_vips: true,
        }
    }

    #[test]
    fn fixture_to_repr() {
        let p = Packet::new_checked(&V2_PASS[..], Family::V4).unwrap();
        assert_eq!(Repr::parse(&p, ChecksumMode::Plain).unwrap(), v2_repr());
        let vips = v6_vips();
        let p6 = Packet::new_checked(&V3_V6[..], Family::V6).unwrap();
        let mode = ChecksumMode::PseudoV6 { src: v6_src(), dst: "ff02::12".parse().unwrap() };
        let r = Repr::parse(&p6, mode).unwrap();
        assert_eq!((r.version, r.vrid, r.interval, r.addrs), (Version::V3, 62, 50, Addrs::V6(&vips)));
    }

    #[test]
    fn repr_to_fixture_into_a_dirty_buffer() {
        let mut b = [0xa5u8; 20];
        v2_repr().emit(&mut b, ChecksumMode::Plain).unwrap();
        assert_eq!(b, V2_PASS);
        let vips = v6_vips();
        let r = Repr {
            version: Version::V3,
            vrid: 62,
            priority: 255,
            interval: 50,
            auth: V2Auth::NONE,
            addrs: Addrs::V6(&vips),
            reserved: 0,
        };
        let mut b6 = [0xa5u8; 40];
        r.emit(&mut b6, ChecksumMode::PseudoV6 { src: v6_src(), dst: "ff02::12".parse().unwrap() }).unwrap();
        assert_eq!(b6, V3_V6);
        assert_eq!(r.emit(&mut [0u8; 39], ChecksumMode::Plain), Err(Error::BufferSize));
    }

    #[test]
    fn parse_emit_parse_round_trip() {
        let many: Vec<Ipv4Addr> = (1..=8).map(|i| Ipv4Addr::new(192, 0, 2, i)).collect();
        for version in [Version::V2, Version::V3] {
            let r = Repr {
                version,
                vrid: 200,
                priority: 1,
                interval: 0xfff,
                auth: V2Auth::NONE,
                addrs: Addrs::V4(&many),
                reserved: 0,
            };
            let r = if version == Version::V2 { Repr { interval: 255, ..r } } else { r };
            let mode = ChecksumMode::for_packet(version, meta4().src, meta4().dst, false);
            let mut b = vec![0u8; r.buffer_len()];
            r.emit(&mut b, mode).unwrap();
            let p = Packet::new_checked(&b[..], Family::V4).unwrap();
            let back = Repr::parse(&p, mode).unwrap();
            assert_eq!(back, r);
            let mut again = vec![0u8; back.buffer_len()];
            back.emit(&mut again, mode).unwrap();
            assert_eq!(again, b);
        }
    }

    fn drop_of(bytes: &[u8], meta: RxMeta, expect: Expect) -> DropReason {
        validate(&[], bytes, &meta, &expect, &mut 0, 100).unwrap_err()
    }

    /// Rewrites the v2 checksum after a field change so only the intended check fails.
    fn fix_sum(mut b: Vec<u8>) -> Vec<u8> {
        b[6] = 0;
        b[7] = 0;
        let c = ChecksumMode::Plain.compute(&b);
        put16(&mut b, 6, c);
        b
    }

    #[test]
    fn accepted_fixture() {
        let ok = validate(&[], &V2_PASS, &meta4(), &expect4(), &mut 0, 100).unwrap();
        assert_eq!(ok.repr, v2_repr());
    }

    #[test]
    fn every_drop_reason_in_keepalived_order() {
        // Length, with the 20-byte IP header as keepalived counts it: short, long, and bytes
        // after the advert inside the datagram even where an Ethernet frame would be padded
        // (the kernel trimmed link padding to the IP total length already).
        assert_eq!(drop_of(&V2_PASS[..7], meta4(), expect4()), DropReason::PacketLength { got: 27, expected: 28 });
        assert_eq!(drop_of(&V2_PASS[..19], meta4(), expect4()), DropReason::PacketLength { got: 39, expected: 40 });
        let mut long = V2_PASS.to_vec();
        long.extend_from_slice(&[0; 8]);
        assert_eq!(drop_of(&long, meta4(), expect4()), DropReason::PacketLength { got: 48, expected: 40 });
        let mut trailing = long.clone();
        trailing.truncate(26); // 20 IP + 26 = 46: what a padded minimum frame would carry
        assert_eq!(drop_of(&trailing, meta4(), expect4()), DropReason::PacketLength { got: 46, expected: 40 });
        assert_eq!(
            DropReason::PacketLength { got: 46, expected: 40 }.to_string(),
            "vrrp packet too long, length 46 and expect 40"
        );
        // TTL: multicast needs 255; unicast checks only the peer's range.
        assert_eq!(drop_of(&V2_PASS, RxMeta { ttl: 254, ..meta4() }, expect4()), DropReason::IpTtl { got: 254 });
        let unicast = Expect { multicast: false, ..expect4() };
        let to_us = RxMeta { dst: Ipv4Addr::new(10, 9, 0, 2).into(), ttl: 64, ..meta4() };
        assert!(validate(&[], &V2_PASS, &to_us, &unicast, &mut 0, 100).is_ok());
        let ranged = Expect { multicast: false, ttl_range: Some((250, 255)), ..expect4() };
        assert_eq!(drop_of(&V2_PASS, to_us, ranged), DropReason::IpTtl { got: 64 });
        // Version.
        assert_eq!(
            drop_of(&V2_PASS, meta4(), Expect { version: Version::V3, ..expect4() }),
            DropReason::Version { got: 2, expected: 3 }
        );
        let mut v9 = V2_PASS.to_vec();
        v9[0] = 0x91;
        assert_eq!(drop_of(&v9, meta4(), expect4()), DropReason::Version { got: 9, expected: 2 });
        // v2 authentication: unknown type, mismatch, wrong password.
        let mut bad_type = V2_PASS.to_vec();
        bad_type[4] = 7;
        assert_eq!(drop_of(&fix_sum(bad_type), meta4(), expect4()), DropReason::InvalidAuthType { got: 7 });
        let none = Expect { auth: V2Auth::NONE, ..expect4() };
        assert_eq!(drop_of(&V2_PASS, meta4(), none), DropReason::AuthTypeMismatch { got: 1, expected: 0 });
        let other_pw = Expect { auth: V2Auth::pass(*b"secret13"), ..expect4() };
        assert_eq!(drop_of(&V2_PASS, meta4(), other_pw), DropReason::AuthFailure);
        // v2 interval mismatch drops (RFC 3768 §7.1).
        assert_eq!(
            drop_of(&V2_PASS, meta4(), Expect { v2_interval: 2, ..expect4() }),
            DropReason::AdvertInterval { got: 1, expected: 2 }
        );
        // Type.
        let mut t = V2_PASS.to_vec();
        t[0] = 0x22;
        assert_eq!(drop_of(&fix_sum(t), meta4(), expect4()), DropReason::InvalidType { got: 2 });
        // Checksum.
        let mut c = V2_PASS.to_vec();
        c[2] = 100;
        assert_eq!(drop_of(&c, meta4(), expect4()), DropReason::Checksum { version: 2 });
        // Multicast instance, unicast destination.
        let to_us = RxMeta { dst: Ipv4Addr::new(10, 9, 0, 2).into(), ..meta4() };
        assert_eq!(drop_of(&V2_PASS, to_us, expect4()), DropReason::CastMismatch { expected_multicast: true });
        // Counter names follow keepalived's statistics.
        assert_eq!(DropReason::Checksum { version: 2 }.counter(), "checksum");
        assert_eq!(DropReason::CastMismatch { expected_multicast: true }.counter(), "addr_list_err");
        assert_eq!(DropReason::AuthFailure.counter(), "auth_failure");
    }

    #[test]
    fn both_rfc1071_zeros_verify_and_we_send_keepalived_s() {
        // Found by cargo fuzz (vrrp target): fields summing to 0xffff make 0x0000 and 0xffff
        // both valid checksums.
        let b: [u8; 24] = [33, 52, 255, 2, 0, 1, 255, 255, 202, 234, 10, 9, 0, 101, 10, 9, 0, 102, 0, 0, 0, 0, 0, 0];
        let p = Packet::new_checked(&b[..], Family::V4).unwrap();
        let r = Repr::parse(&p, ChecksumMode::Plain).unwrap();
        let mut out = [0u8; 24];
        r.emit(&mut out, ChecksumMode::Plain).unwrap();
        assert_eq!(&out[6..8], &[0, 0]);
        assert!(p.same_as_emitted(&out));
        let mut other = out;
        other[2] = 1;
        assert!(!p.same_as_emitted(&other));
    }

    #[test]
    fn v3_reserved_bits_are_ignored_but_kept() {
        let vips = v6_vips();
        let mut b = V3_V6;
        b[4] |= 0x70;
        let mode = ChecksumMode::PseudoV6 { src: v6_src(), dst: "ff02::12".parse().unwrap() };
        let c = mode.compute(&{
            let mut z = b;
            z[6] = 0;
            z[7] = 0;
            z
        });
        put16(&mut b, 6, c);
        let p = Packet::new_checked(&b[..], Family::V6).unwrap();
        let r = Repr::parse(&p, mode).unwrap();
        assert_eq!((r.interval, r.reserved, r.addrs), (50, 7, Addrs::V6(&vips)));
        let mut out = [0u8; 40];
        r.emit(&mut out, mode).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn another_address_list_is_dropped_and_a_v3_interval_difference_only_noted() {
        // Same count, another address: keepalived names our VIP the advert lacks.
        let other = [Ipv4Addr::new(10, 9, 0, 99)];
        let e = Expect { vips: Addrs::V4(&other), ..expect4() };
        let d = drop_of(&V2_PASS, meta4(), e);
        assert_eq!(d, DropReason::AddrList { missing: other[0].into(), vrid: V2_PASS[1] });
        assert!(d.counted_as_received() && d.counter() == "addr_list_err");
        assert_eq!(
            d.to_string(),
            format!("ip address associated with VRID {} not present in MASTER advert: 10.9.0.99", V2_PASS[1])
        );
        // Another count.
        let two = [VIP[0], Ipv4Addr::new(10, 9, 0, 99)];
        let d = drop_of(&V2_PASS, meta4(), Expect { vips: Addrs::V4(&two), ..expect4() });
        assert_eq!(d, DropReason::AddrCount { got: 1, expected: 2 });
        assert!(!d.counted_as_received());
        // vrrp_skip_check_adv_addr for the known master: not checked.
        assert!(validate(&[], &V2_PASS, &meta4(), &Expect { check_vips: false, ..e }, &mut 0, 100).is_ok());
        let vips = v6_vips();
        let meta6 = RxMeta {
            src: v6_src().into(),
            dst: "ff02::12".parse::<Ipv6Addr>().unwrap().into(),
            ttl: 255,
            header_len: 40,
        };
        let e6 = Expect { version: Version::V3, auth: V2Auth::NONE, vips: Addrs::V6(&vips), ..expect4() };
        let ok = validate(&[], &V3_V6, &meta6, &e6, &mut 0, 100).unwrap();
        assert!(ok.interval_differs);
        // v3/IPv6 with a different source breaks the pseudo-header checksum.
        let spoofed = RxMeta { src: "fe80::1".parse::<Ipv6Addr>().unwrap().into(), ..meta6 };
        assert_eq!(validate(&[], &V3_V6, &spoofed, &e6, &mut 0, 50).unwrap_err(), DropReason::Checksum { version: 3 });
    }

    #[test]
    fn ah_checks_in_keepalived_s_order() {
        use crate::wire::ah::tests::{KA_MULTICAST, KA_UNICAST};
        let vip = [Ipv4Addr::new(192, 168, 31, 240)];
        let e = Expect { auth: V2Auth::AH, ah_key: Some(*b"secret12"), vrid: 51, vips: Addrs::V4(&vip), ..expect4() };
        let meta = RxMeta {
            src: Ipv4Addr::new(192, 168, 31, 20).into(),
            dst: Ipv4Addr::new(224, 0, 0, 18).into(),
            ttl: 255,
            header_len: 44,
        };
        let check = |d: &[u8], e: &Expect, seq: &mut u32| {
            let (h, b) = d.split_at(44.min(d.len()));
            validate(h, b, &RxMeta { header_len: h.len(), ..meta }, e, seq, 100).map(|a| a.repr.priority)
        };
        let mut seq = 0;
        assert_eq!(check(&KA_MULTICAST, &e, &mut seq), Ok(200));
        assert_eq!(seq, 1, "the sequence number seen");
        // The same advert again is a replay.
        let d = check(&KA_MULTICAST, &e, &mut seq).unwrap_err();
        assert_eq!(d, DropReason::AhSequence { got: 1, local: 1 });
        assert_eq!(d.to_string(), "IPSEC-AH : sequence number 1 already processed. Packet dropped. Local(1)");
        assert_eq!(d.counter(), "auth_failure");
        // Another auth_pass: the ICV fails first, and the sequence number stays.
        let mut seq = 0;
        let other = Expect { ah_key: Some(*b"secret13"), ..e };
        let d = check(&KA_MULTICAST, &other, &mut seq).unwrap_err();
        assert_eq!((d, seq), (DropReason::AhIcv, 0));
        assert_eq!(d.to_string(), "IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !");
        // A unicast instance leaves the TTL out of the ICV: a multicast advert fails it.
        assert_eq!(check(&KA_MULTICAST, &Expect { multicast: false, ..e }, &mut 0), Err(DropReason::AhIcv));
        // An SPI that is not the source address, under a valid ICV.
        let mut spoof = KA_MULTICAST;
        spoof[24] = 10;
        crate::wire::ah::seal(&mut spoof, b"secret12", false).unwrap();
        let d = check(&spoof, &e, &mut 0).unwrap_err();
        assert_eq!(d, DropReason::AhSpi { spi: [10, 168, 31, 20], src: [192, 168, 31, 20] });
        assert_eq!(d.to_string(), "IPSEC AH : invalid IPSEC SPI value. 337619136 and expect 337618954");
        // Earlier checks come first: the advert's own auth type, the length (AH header
        // counted), the TTL.
        let mut none = KA_MULTICAST;
        none[48] = AUTH_NONE;
        assert_eq!(check(&none, &e, &mut 0), Err(DropReason::AuthTypeMismatch { got: 0, expected: 2 }));
        assert_eq!(check(&KA_MULTICAST[..63], &e, &mut 0), Err(DropReason::PacketLength { got: 63, expected: 64 }));
        let low_ttl = validate(&KA_MULTICAST[..44], &KA_MULTICAST[44..], &RxMeta { ttl: 254, ..meta }, &e, &mut 0, 100);
        assert_eq!(low_ttl.unwrap_err(), DropReason::IpTtl { got: 254 });
        // A later drop (another interval) still records the sequence number, as keepalived.
        let mut seq = 0;
        let d = check(&KA_MULTICAST, &Expect { v2_interval: 2, ..e }, &mut seq).unwrap_err();
        assert_eq!((d, seq), (DropReason::AdvertInterval { got: 1, expected: 2 }, 1));
        // keepalived's unicast advert, its 3-byte auth_pass zero-padded.
        let vip = [Ipv4Addr::new(192, 168, 31, 241)];
        let u = Expect {
            multicast: false,
            ah_key: Some(*b"abc\0\0\0\0\0"),
            vrid: 52,
            v2_interval: 2,
            vips: Addrs::V4(&vip),
            ..e
        };
        let (h, b) = KA_UNICAST.split_at(44);
        let to_b = RxMeta { dst: Ipv4Addr::new(192, 168, 31, 30).into(), ..meta };
        assert_eq!(validate(h, b, &to_b, &u, &mut 0, 100).map(|a| a.repr.priority), Ok(150));
    }

    #[test]
    fn v3_over_ipv4_accepts_both_checksum_forms_and_says_which() {
        // A v3 IPv4 advert with the pseudo-header (RFC 5798) or without it (RFC 9568 §5.2.8).
        let m = meta4();
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (m.src, m.dst) else { unreachable!() };
        let repr = Repr { version: Version::V3, auth: V2Auth::NONE, interval: 100, ..v2_repr() };
        let mut pseudo = vec![0xa5; repr.buffer_len()];
        repr.emit(&mut pseudo, ChecksumMode::PseudoV4 { src, dst }).unwrap();
        let mut plain = vec![0xa5; repr.buffer_len()];
        repr.emit(&mut plain, ChecksumMode::Plain).unwrap();
        assert_ne!(pseudo, plain);
        let e = Expect { version: Version::V3, auth: V2Auth::NONE, ..expect4() };
        for as_v2 in [false, true] {
            let e = Expect { v3_checksum_as_v2: as_v2, ..e };
            let ours = if as_v2 { &plain } else { &pseudo };
            let theirs = if as_v2 { &pseudo } else { &plain };
            assert!(!validate(&[], ours, &m, &e, &mut 0, 100).unwrap().other_checksum_form);
            assert!(validate(&[], theirs, &m, &e, &mut 0, 100).unwrap().other_checksum_form);
            // A checksum that fits neither form is still dropped.
            let mut bad = theirs.clone();
            bad[7] ^= 1;
            assert_eq!(validate(&[], &bad, &m, &e, &mut 0, 100).unwrap_err(), DropReason::Checksum { version: 3 });
        }
        // v2 has one form: a v2 advert is never accepted with another sum.
        let mut v2 = V2_PASS;
        v2[7] ^= 1;
        assert_eq!(drop_of(&v2, m, expect4()), DropReason::Checksum { version: 2 });
        assert!(!validate(&[], &V2_PASS, &m, &expect4(), &mut 0, 100).unwrap().other_checksum_form);
    }
}
