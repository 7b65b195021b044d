//! rtnetlink sockets: a command socket whose every request is ACKed (errors typed with errno,
//! the operation and the kernel's extended-ack text) and a monitor socket for link and
//! address events. Bytes are built and parsed by `wire::netlink`.
use super::sys;
use crate::wire::netlink::{self as nl, Parsed};
use std::fmt;
use std::io;
use std::os::fd::OwnedFd;

const NETLINK_ROUTE: libc::c_int = 0;
const SOL_NETLINK: libc::c_int = 270;
const NETLINK_EXT_ACK: libc::c_int = 11;
const RTMGRP_LINK: u32 = 0x1;
const RTMGRP_IPV4_IFADDR: u32 = 0x10;
const RTMGRP_IPV6_IFADDR: u32 = 0x100;

#[derive(Debug)]
pub enum NetlinkError {
    /// A socket call failed.
    Io { op: &'static str, error: io::Error },
    /// The kernel refused a request.
    Refused { op: String, errno: i32, message: Option<String> },
    /// No answer within the wait (the kernel always answers; this means a bug).
    NoAnswer { op: String },
    /// The request did not fit the buffer.
    TooLarge { op: String },
}

impl fmt::Display for NetlinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetlinkError::Io { op, error } => write!(f, "netlink {op}: {error}"),
            NetlinkError::Refused { op, errno, message } => {
                write!(f, "{op}: {}", io::Error::from_raw_os_error(*errno))?;
                if let Some(m) = message {
                    write!(f, " ({m})")?;
                }
                Ok(())
            }
            NetlinkError::NoAnswer { op } => write!(f, "{op}: no answer from the kernel"),
            NetlinkError::TooLarge { op } => write!(f, "{op}: request too large"),
        }
    }
}

impl std::error::Error for NetlinkError {}

pub struct Netlink {
    pub fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

impl Netlink {
    fn open(groups: u32) -> Result<Netlink, NetlinkError> {
        let fd = sys::socket(libc::AF_NETLINK, libc::SOCK_RAW, NETLINK_ROUTE)
            .map_err(|error| NetlinkError::Io { op: "socket", error })?;
        sys::bind_netlink(&fd, groups).map_err(|error| NetlinkError::Io { op: "bind", error })?;
        // Extended ACKs give the kernel's reason in text; older kernels lack it (ignored).
        let _ = sys::setsockopt_int(&fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
        let _ = sys::setsockopt_int(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, 1 << 20);
        // 32 KiB holds any kernel dump datagram (they are at most one page or 16 KiB).
        Ok(Netlink { fd, seq: 1, buf: vec![0; 32 * 1024] })
    }

    pub fn command() -> Result<Netlink, NetlinkError> {
        Netlink::open(0)
    }

    pub fn monitor() -> Result<Netlink, NetlinkError> {
        Netlink::open(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR)
    }

    /// Receives one datagram into `self.buf`, waiting up to 2 s for it (the kernel answers
    /// requests at once, so this never stalls the loop in practice).
    fn recv_reply(&mut self, op: &str) -> Result<usize, NetlinkError> {
        loop {
            match sys::recv(&self.fd, &mut self.buf) {
                Ok(l) => return Ok(l),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !sys::wait_readable(&self.fd, 2000).map_err(|error| NetlinkError::Io { op: "poll", error })? {
                        return Err(NetlinkError::NoAnswer { op: op.to_string() });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(NetlinkError::Io { op: "recv", error }),
            }
        }
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.seq
    }

    /// Sends one request built by `build(buffer, seq)` and waits for its ACK. `dyn`: one copy
    /// of the loop in the binary, whatever the callers (the armv7 size budget).
    pub fn request(
        &mut self,
        op: &str,
        build: &mut dyn FnMut(&mut [u8], u32) -> crate::wire::Result<usize>,
    ) -> Result<(), NetlinkError> {
        let seq = self.next_seq();
        let mut req = [0u8; 1024];
        let n = build(&mut req, seq).map_err(|_| NetlinkError::TooLarge { op: op.to_string() })?;
        sys::send_netlink(&self.fd, &req[..n]).map_err(|error| NetlinkError::Io { op: "send", error })?;
        loop {
            let len = self.recv_reply(op)?;
            for m in nl::messages(&self.buf[..len]).flatten() {
                if let Ok(Parsed::Error(e)) = nl::parse(&m) {
                    if e.request.seq != seq {
                        continue;
                    }
                    return if e.errno == 0 {
                        Ok(())
                    } else {
                        Err(NetlinkError::Refused {
                            op: op.to_string(),
                            errno: e.errno,
                            message: e.message.map(str::to_string),
                        })
                    };
                }
            }
        }
    }

    /// Dumps links or addresses, calling `f` for each message, until NLMSG_DONE (`dyn` as
    /// for [`Netlink::request`]).
    pub fn dump(&mut self, kind: u16, f: &mut dyn FnMut(Parsed)) -> Result<(), NetlinkError> {
        let seq = self.next_seq();
        let mut req = [0u8; 64];
        let n = nl::dump_request(&mut req, kind, nl::AF_UNSPEC, seq)
            .map_err(|_| NetlinkError::TooLarge { op: "dump".into() })?;
        sys::send_netlink(&self.fd, &req[..n]).map_err(|error| NetlinkError::Io { op: "send", error })?;
        loop {
            let len = self.recv_reply("dump")?;
            for m in nl::messages(&self.buf[..len]).flatten() {
                if m.header.seq != seq {
                    continue;
                }
                match nl::parse(&m) {
                    Ok(Parsed::Done) => return Ok(()),
                    Ok(Parsed::Error(e)) if e.errno != 0 => {
                        return Err(NetlinkError::Refused {
                            op: "dump".into(),
                            errno: e.errno,
                            message: e.message.map(str::to_string),
                        })
                    }
                    Ok(p) => f(p),
                    Err(_) => {}
                }
            }
        }
    }

    /// Drains pending events until the socket would block (mio is edge-triggered: a socket
    /// left with data would not wake the loop again).
    /// Returns false on ENOBUFS (events were lost: the caller re-dumps).
    pub fn drain(&mut self, mut f: impl FnMut(Parsed)) -> Result<bool, NetlinkError> {
        loop {
            let len = match sys::recv(&self.fd, &mut self.buf) {
                Ok(l) => l,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => return Ok(false),
                Err(error) => return Err(NetlinkError::Io { op: "recv", error }),
            };
            for m in nl::messages(&self.buf[..len]).flatten() {
                if let Ok(p) = nl::parse(&m) {
                    f(p);
                }
            }
        }
    }
}
