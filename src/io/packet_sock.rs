//! The AF_PACKET socket for gratuitous ARP (IPv4) and unsolicited Neighbour Advertisements
//! (IPv6). The agent asks for them on becoming MASTER (RFC 5798 §6.4.1, §6.4.2 / RFC 3768
//! §6.4.1, §6.4.2) and again as keepalived's `garp_master_*` / `vrrp_garp_master_*`
//! settings say; the NA flags follow RFC 4861 §7.2.6. Like keepalived without `use_vmac`,
//! they carry the interface's own MAC.
//!
//! Send only: a one-instruction BPF filter drops everything, so the kernel never queues
//! frames on it. Frames are built whole (Ethernet header included) by `wire::arp` and
//! `wire::ndisc`; send errors are ignored (a GARP is best effort).
use super::error::{setup, DaemonError};
use super::kernel::Kernel;
use super::sys;
use crate::config::model::Instance;
use crate::wire::{arp, ethernet, ndisc};
use std::net::IpAddr;
use std::os::fd::OwnedFd;

pub(crate) struct PacketSocket {
    fd: OwnedFd,
}

impl PacketSocket {
    pub(crate) fn open() -> Result<PacketSocket, DaemonError> {
        // AF_PACKET for GARPs: send only, so it must never queue what it would receive.
        let fd = setup("packet socket", sys::socket(libc::AF_PACKET, libc::SOCK_RAW, 0))?;
        setup("packet socket filter", sys::attach_drop_all_filter(&fd))?;
        Ok(PacketSocket { fd })
    }

    /// A gratuitous ARP (IPv4) or unsolicited NA (IPv6) for `addr` of instance `c`, on the
    /// VIP's own `dev` if it has one, else on the instance's interface, with that interface's
    /// MAC. Nothing is sent for an interface missing from the table.
    pub(crate) fn send_garp(&self, c: &Instance, kernel: &Kernel, addr: IpAddr) {
        let dev = c.vip_interface(addr);
        let Some(dev) = dev else { return };
        let Some(iface) = kernel.iface(dev) else { return };
        match addr {
            IpAddr::V4(vip) => {
                let mut frame = [0u8; arp::FRAME_LEN];
                if arp::Repr::gratuitous(iface.mac, vip).emit_frame(&mut frame).is_ok() {
                    let _ = sys::sendto_ll(&self.fd, &frame, iface.index, ethernet::ETHERTYPE_ARP, ethernet::BROADCAST);
                }
            }
            IpAddr::V6(vip) => {
                // RFC 4861 §7.2.6: Override set; Router set when the interface forwards, read
                // at each send as keepalived does (only GARP bursts pay for it).
                let router = super::host::ipv6_forwarding(dev);
                let na = ndisc::Repr::unsolicited(iface.mac, vip, router);
                let mut frame = [0u8; ndisc::FRAME_LEN];
                if na.emit(&mut frame).is_ok() {
                    let _ = sys::sendto_ll(
                        &self.fd,
                        &frame,
                        iface.index,
                        ethernet::ETHERTYPE_IPV6,
                        ndisc::Repr::multicast_mac(na.dst),
                    );
                }
            }
        }
    }
}
