//! VRRP's raw sockets (IP protocol 112, and 51 for `auth_type AH`): receiving adverts and
//! sending ours.
//!
//! Per (interface, family) in use:
//! - one receive socket per protocol its instances use (keepalived opens `auth_type AH`
//!   instances' for protocol 51, vrrp_scheduler.c), bound to the device (SO_BINDTODEVICE)
//!   and joined to the group of each multicast instance on it (224.0.0.18 / ff02::12,
//!   RFC 5798 §5.1.1.2 / §5.1.2.2, unless keepalived's `mcast_dst_ip`, `vrrp_mcast_group4` or
//!   `vrrp_mcast_group6` say otherwise). IPv4 turns IP_MULTICAST_ALL off, so groups joined
//!   on other sockets are not delivered here; IPv6 asks for the hop limit and destination
//!   as ancillary data (the kernel strips the IPv6 header). Registered with the reactor's
//!   poll, one token each;
//! - one send-only socket (drop-all BPF filter, SO_RCVBUF 0), also bound to the device. IPv4
//!   has IP_HDRINCL: we write the IP header ourselves, with the advert's TTL, TOS
//!   internetwork control and an Identification counter per instance (keepalived keeps
//!   `ip_id` per vrrp_t). IPv6 has hop limit 255 for multicast (RFC 5798 §5.1.2.3) and
//!   keepalived's `unicast_ttl` for unicast, traffic class 0xc0, and the kernel fills in the
//!   checksum at offset 6 (IPV6_CHECKSUM), as keepalived has it.
//!
//! What is sent is exactly what the core's `Agent::advert` describes (VRRP fields, checksum
//! mode, addresses, TTL, multicast or not, AH); this module only gives it its IP ID.
//! IP_HDRINCL sends our header's protocol, so the one send socket serves AH too.
//! Multicast loopback is off on the send sockets, so our own adverts do not come back to us.
//! Sockets are opened at start and for new (interface, family[, protocol]) on reload; they are
//! closed only when a VMAC is made again ([`VrrpSockets::forget`]): its new receive socket
//! takes the old one's slot and token, the old one is closed then.
use super::error::{setup, DaemonError};
use super::kernel::Iface;
use super::sys;
use crate::config::model::{Auth, Config};
use crate::proto::{Advert, InstanceId};
use crate::wire::vrrp::RxMeta;
use crate::wire::{ah, ipv4, vrrp, Family};
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use std::collections::HashMap;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, OwnedFd};

/// linux/in.h.
const IP_MULTICAST_ALL: libc::c_int = 49;

#[derive(Default)]
pub(crate) struct VrrpSockets {
    /// (interface, family, IP protocol, socket).
    rx: Vec<(String, Family, u8, OwnedFd)>,
    tx: HashMap<(String, Family), OwnedFd>,
    /// The last IPv4 Identification sent, per instance.
    ip_ids: Vec<u16>,
    /// The IP ID sequence of released instances' last adverts.
    removed_ip_id: u16,
    batch: sys::RecvBatch,
    /// IPv6 receive buffer (a jumbo frame's worth).
    buf: Vec<u8>,
}

impl VrrpSockets {
    /// No sockets yet; IP ID counters for `instances` instances.
    pub(crate) fn new(instances: usize) -> VrrpSockets {
        VrrpSockets { ip_ids: vec![0; instances], buf: vec![0u8; 9000], ..VrrpSockets::default() }
    }

    /// After a reload: one IP ID counter per instance position (positions that remain keep
    /// counting).
    pub(crate) fn resize(&mut self, instances: usize) {
        self.ip_ids.resize(instances, 0);
    }

    /// Opens the receive and send sockets every instance of `cfg` needs that are not open
    /// yet, joins the multicast groups, and registers new receive sockets with `registry` as
    /// `Token(token_base + k)`, `k` being what [`VrrpSockets::receive`] takes. Instances
    /// without an interface, or whose interface is not in `ifaces`, are skipped.
    pub(crate) fn open(
        &mut self,
        cfg: &Config,
        ifaces: &HashMap<String, Iface>,
        registry: &Registry,
        token_base: usize,
    ) -> Result<(), DaemonError> {
        for inst in &cfg.instances {
            let Some(ifname) = inst.advert_interface().map(str::to_string) else { continue };
            let Some(index) = ifaces.get(&ifname).map(|i| i.index) else { continue };
            let fam = inst.family;
            let domain = if fam == Family::V4 { libc::AF_INET } else { libc::AF_INET6 };
            let proto = if matches!(inst.auth, Auth::Ah(_)) { ah::PROTOCOL } else { vrrp::PROTOCOL };
            let this = |(n, f, p, _): &&(String, Family, u8, OwnedFd)| *n == ifname && *f == fam && *p == proto;
            if !self.rx.iter().any(|r| this(&r)) {
                let fd = setup("VRRP socket", sys::socket(domain, libc::SOCK_RAW, proto as libc::c_int))?;
                setup("SO_BINDTODEVICE", sys::bind_to_device(&fd, &ifname))?;
                if fam == Family::V4 {
                    let _ = sys::setsockopt_int(&fd, libc::IPPROTO_IP, IP_MULTICAST_ALL, 0);
                } else {
                    setup(
                        "IPV6_RECVHOPLIMIT",
                        sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1),
                    )?;
                    setup("IPV6_RECVPKTINFO", sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1))?;
                }
                // A forgotten slot is reused (its old socket closed here), else a new one.
                let k = self.rx.iter().position(|r| r.0.is_empty()).unwrap_or(self.rx.len());
                let token = Token(token_base + k);
                setup("register", registry.register(&mut SourceFd(&fd.as_raw_fd()), token, Interest::READABLE))?;
                let entry = (ifname.clone(), fam, proto, fd);
                match self.rx.get_mut(k) {
                    Some(slot) => *slot = entry,
                    None => self.rx.push(entry),
                }
            }
            if inst.unicast_peers.is_empty() {
                let fd = &self.rx.iter().find(this).expect("just opened").3;
                // Joining twice gives EADDRINUSE: harmless.
                let _ = match inst.mcast_dst {
                    IpAddr::V4(g) => sys::join_v4(fd, g, index),
                    IpAddr::V6(g) => sys::join_v6(fd, g, index),
                };
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = self.tx.entry((ifname.clone(), fam)) {
                let fd = setup("VRRP send socket", sys::socket(domain, libc::SOCK_RAW, vrrp::PROTOCOL as libc::c_int))?;
                setup("SO_BINDTODEVICE", sys::bind_to_device(&fd, &ifname))?;
                if fam == Family::V4 {
                    setup("IP_HDRINCL", sys::setsockopt_int(&fd, libc::IPPROTO_IP, libc::IP_HDRINCL, 1))?;
                    let _ = sys::setsockopt_int(&fd, libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP, 0);
                } else {
                    setup(
                        "IPV6_MULTICAST_HOPS",
                        sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_HOPS, 255),
                    )?;
                    setup(
                        "IPV6_UNICAST_HOPS",
                        sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, inst.unicast_ttl as i32),
                    )?;
                    let _ = sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP, 0);
                    let _ = sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_IF, index as i32);
                    let _ = sys::setsockopt_int(
                        &fd,
                        libc::IPPROTO_IPV6,
                        libc::IPV6_TCLASS,
                        ipv4::TOS_INTERNETWORK_CONTROL as i32,
                    );
                    setup("IPV6_CHECKSUM", sys::setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_CHECKSUM, 6))?;
                }
                let _ = sys::setsockopt_int(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, 0);
                setup("send socket filter", sys::attach_drop_all_filter(&fd))?;
                slot.insert(fd);
            }
        }
        Ok(())
    }

    /// Drains receive socket `k` until it would block, handing each datagram to `deliver`
    /// as (interface, metadata, the headers before the advert, VRRP bytes). IPv4 reads up to
    /// 16 datagrams per recvmmsg and takes the metadata from the IP header (a datagram too
    /// short for one, or for its AH header, is dropped); IPv6 reads one per recvmsg with the
    /// metadata from the ancillary data.
    pub(crate) fn receive(&mut self, k: usize, mut deliver: impl FnMut(&str, RxMeta, &[u8], &[u8])) {
        let Some((ifname, fam, _, fd)) = self.rx.get(k) else { return };
        loop {
            if *fam == Family::V6 {
                let (n, src, dst, hops) = match sys::recv_v6(fd, &mut self.buf) {
                    Ok(r) => r,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                let meta = RxMeta { src: src.into(), dst: dst.into(), ttl: hops, header_len: 40 };
                deliver(ifname, meta, &[], &self.buf[..n]);
                continue;
            }
            // IPv4: up to 16 adverts per system call (recvmmsg), until it would block.
            let n = match sys::recv_batch(fd, &mut self.batch) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            for k in 0..n {
                let datagram = self.batch.datagram(k);
                let Ok(p) = ipv4::Packet::new_checked(datagram) else { continue };
                let ah_len = if p.protocol() == ah::PROTOCOL { ah::HEADER_LEN } else { 0 };
                let header_len = p.header_len() + ah_len;
                if p.payload().len() < ah_len {
                    continue;
                }
                let meta = RxMeta { src: p.src().into(), dst: p.dst().into(), ttl: p.ttl(), header_len };
                deliver(ifname, meta, &datagram[..header_len], &datagram[header_len..p.total_len() as usize]);
            }
            if n < sys::BATCH {
                break;
            }
        }
    }

    /// Drops the sockets of `interface` (a VMAC deleted and made again has a new index, which
    /// the old sockets, bound to the old one, never see): [`VrrpSockets::open`] opens new ones.
    /// A receive socket keeps its slot, so the other tokens stay valid; it is deregistered,
    /// and closed when [`VrrpSockets::open`] puts the new one in its slot.
    pub(crate) fn forget(&mut self, interface: &str, registry: &Registry) {
        for (name, _, _, fd) in self.rx.iter_mut().filter(|(n, _, _, _)| n == interface) {
            let _ = registry.deregister(&mut SourceFd(&fd.as_raw_fd()));
            name.clear();
        }
        self.tx.retain(|(n, _), _| n != interface);
    }

    /// Frames and sends `advert` (built by the core: `Agent::advert`) for instance `instance`
    /// on the send socket of its (interface, `family`): IPv4 with our header (TTL and
    /// MSG_DONTROUTE as the advert says, the instance's next IP ID), IPv6 as the bare payload
    /// (`ifindex` scopes the destination). Nothing is sent when that socket is not open, or
    /// to an IPv4 destination from an IPv6 source. Send errors are logged with the instance's
    /// `name`, except ENETUNREACH/ENETDOWN: keepalived is quiet while the interface is down.
    /// Frames and sends `advert`; `instance` picks its IP ID sequence (None: the advert of an
    /// instance a reload removed, which gets the next ID of a sequence of its own).
    pub(crate) fn send(
        &mut self,
        advert: &Advert,
        instance: Option<InstanceId>,
        family: Family,
        ifindex: u32,
        name: &str,
    ) {
        let Some(fd) = self.tx.get(&(advert.interface.to_string(), family)) else { return };
        let result = match (advert.src, advert.dst) {
            (IpAddr::V4(_), IpAddr::V4(dst4)) => {
                let ident = match instance {
                    Some(i) => &mut self.ip_ids[i.index()],
                    None => &mut self.removed_ip_id,
                };
                *ident = ipv4::next_ident(*ident);
                let Some(frame) = advert.ipv4_datagram(*ident) else { return };
                sys::sendto_v4(fd, &frame, dst4, if advert.multicast { libc::MSG_DONTROUTE } else { 0 })
            }
            (_, IpAddr::V6(dst6)) => {
                let mut payload = vec![0u8; advert.repr.buffer_len()];
                if advert.repr.emit(&mut payload, advert.checksum).is_err() {
                    return;
                }
                sys::sendto_v6(fd, &payload, dst6, ifindex)
            }
            _ => return,
        };
        if let Err(e) = result {
            // keepalived suppresses send errors while the interface is down.
            if e.raw_os_error() != Some(libc::ENETUNREACH) && e.raw_os_error() != Some(libc::ENETDOWN) {
                log::warn!("({name}) advert send to {} failed: {e}", advert.dst);
            }
        }
    }
}
