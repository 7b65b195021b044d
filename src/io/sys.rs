//! Thin libc wrappers: the only `unsafe` in vrrpd (lib.rs denies it everywhere else). Each
//! returns `io::Result` with errno, takes and gives `OwnedFd`s, and documents why its call is
//! sound.
#![allow(unsafe_code)]
use std::ffi::CString;
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn check_size(ret: libc::ssize_t) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// CLOCK_MONOTONIC in microseconds: the one clock of the reactor, read once per loop turn.
pub fn monotonic_us() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1_000
}

/// A non-blocking, close-on-exec socket.
pub fn socket(domain: libc::c_int, kind: libc::c_int, protocol: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with integer arguments; on success the fd is new and owned here.
    let fd = check(unsafe { libc::socket(domain, kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, protocol) })?;
    // SAFETY: `fd` was just returned by socket() and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// setsockopt(2) with a value of type `T` (an int, ip_mreqn, ipv6_mreq, sock_fprog ...).
fn setsockopt_value<T>(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` is a live `T` of exactly the length passed; the kernel copies it.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            value as *const T as *const libc::c_void,
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

pub fn setsockopt_int(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    setsockopt_value(fd, level, name, &value)
}

pub fn setsockopt_bytes(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, value: &[u8]) -> io::Result<()> {
    // SAFETY: the pointer and length describe the live slice `value`.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            value.as_ptr() as *const libc::c_void,
            value.len() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// SO_BINDTODEVICE: receive and send only on `ifname`.
pub fn bind_to_device(fd: &OwnedFd, ifname: &str) -> io::Result<()> {
    setsockopt_bytes(fd, libc::SOL_SOCKET, libc::SO_BINDTODEVICE, ifname.as_bytes())
}

/// A classic BPF program of one instruction, `ret #0`: the kernel queues nothing on a
/// send-only socket (keepalived issues #839, #1973).
pub fn attach_drop_all_filter(fd: &OwnedFd) -> io::Result<()> {
    let mut insn = libc::sock_filter { code: (libc::BPF_RET | libc::BPF_K) as u16, jt: 0, jf: 0, k: 0 };
    // `prog` points to `insn`, alive for the call; the kernel copies the program.
    let prog = libc::sock_fprog { len: 1, filter: &mut insn };
    setsockopt_value(fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &prog)
}

/// IP_ADD_MEMBERSHIP on interface `ifindex` (struct ip_mreqn).
pub fn join_v4(fd: &OwnedFd, group: Ipv4Addr, ifindex: u32) -> io::Result<()> {
    let m = libc::ip_mreqn {
        imr_multiaddr: libc::in_addr { s_addr: u32::from_ne_bytes(group.octets()) },
        imr_address: libc::in_addr { s_addr: 0 },
        imr_ifindex: ifindex as libc::c_int,
    };
    setsockopt_value(fd, libc::IPPROTO_IP, libc::IP_ADD_MEMBERSHIP, &m)
}

/// Binds a netlink socket to our port id (chosen by the kernel) and `groups`.
pub fn bind_netlink(fd: &OwnedFd, groups: u32) -> io::Result<()> {
    // SAFETY: zeroed sockaddr_nl is valid; fields set below.
    let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    sa.nl_groups = groups;
    // SAFETY: `sa` is a live sockaddr_nl of the size passed.
    check(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            &sa as *const _ as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// The libc socket address types `sendto_sockaddr` takes: each starts with its family field.
trait SockAddr {}
impl SockAddr for libc::sockaddr_in {}
impl SockAddr for libc::sockaddr_in6 {}
impl SockAddr for libc::sockaddr_ll {}
impl SockAddr for libc::sockaddr_nl {}

/// sendto(2) with a typed socket address; its length is the type's size.
fn sendto_sockaddr<A: SockAddr>(fd: &OwnedFd, buf: &[u8], flags: libc::c_int, sa: &A) -> io::Result<usize> {
    // SAFETY: `buf` and `sa` are live for the call, with the lengths passed; `A` is a libc
    // sockaddr type (the SockAddr bound), so the kernel reads a well-formed address.
    check_size(unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            buf.as_ptr() as *const libc::c_void,
            buf.len(),
            flags,
            sa as *const A as *const libc::sockaddr,
            std::mem::size_of::<A>() as libc::socklen_t,
        )
    })
}

/// send() on a connected or netlink socket (to the kernel).
pub fn send_netlink(fd: &OwnedFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: zeroed sockaddr_nl addresses the kernel (pid 0).
    let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    sendto_sockaddr(fd, buf, 0, &sa)
}

pub fn recv(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is live and writable for its length.
    check_size(unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) })
}

/// sendto() an IPv4 destination (raw IP_HDRINCL sockets carry their own header).
pub fn sendto_v4(fd: &OwnedFd, buf: &[u8], dst: Ipv4Addr, flags: libc::c_int) -> io::Result<usize> {
    // SAFETY: zeroed sockaddr_in is valid; fields set below.
    let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_addr = libc::in_addr { s_addr: u32::from_ne_bytes(dst.octets()) };
    sendto_sockaddr(fd, buf, flags, &sa)
}

/// sendto() a link-layer frame on `ifindex` (AF_PACKET; the frame has its Ethernet header).
pub fn sendto_ll(fd: &OwnedFd, frame: &[u8], ifindex: u32, protocol: u16, dst_mac: [u8; 6]) -> io::Result<usize> {
    // SAFETY: zeroed sockaddr_ll is valid; fields set below.
    let mut sa: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sa.sll_family = libc::AF_PACKET as u16;
    sa.sll_protocol = protocol.to_be();
    sa.sll_ifindex = ifindex as libc::c_int;
    sa.sll_halen = 6;
    sa.sll_addr[..6].copy_from_slice(&dst_mac);
    sendto_sockaddr(fd, frame, 0, &sa)
}

/// A child process started by [`spawn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Child {
    pub pid: i32,
}

/// fork/exec without a shell: the child gets its own process group, default signal
/// dispositions and an empty mask, PR_SET_PDEATHSIG(SIGTERM), stdin/stdout/stderr on
/// /dev/null and the fds above 2 closed, and (when given) the uid/gid to run as. `argv[0]`
/// must be a path (resolved by the config loader).
pub fn spawn(argv: &[String], run_as: Option<(u32, u32)>) -> io::Result<Child> {
    let cargs: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<_, _>>()
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut ptrs: Vec<*const libc::c_char> = cargs.iter().map(|c| c.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // keepalived runs scripts with stdin, stdout and stderr on /dev/null: a chatty script must
    // not fill the journal of a daemon run in the foreground (-n under systemd or procd).
    let devnull = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null")?;
    let null_fd = devnull.as_raw_fd();
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: fork() in a single-threaded process; the child only calls async-signal-safe
    // functions (setpgid, dup2, sigprocmask, signal, close_range, setgroups, setgid, setuid,
    // prctl, getppid, execv, _exit) on memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: see above; every call uses only pre-fork data and never returns on success.
        unsafe {
            libc::setpgid(0, 0);
            for fd in 0..3 {
                libc::dup2(null_fd, fd);
            }
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            for sig in 1..32 {
                if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                    libc::signal(sig, libc::SIG_DFL);
                }
            }
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            if let Some((uid, gid)) = run_as {
                // keepalived set_privileges(): the script's own group only, no supplementary
                // groups of root's, then the gid, then the uid.
                let gid = gid as libc::gid_t;
                if libc::setgroups(1, &gid) != 0 || libc::setgid(gid) != 0 || libc::setuid(uid) != 0 {
                    libc::_exit(126);
                }
            }
            // After the credentials change, which clears it: the script hears of our death.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            libc::execv(ptrs[0], ptrs.as_ptr());
            libc::_exit(127);
        }
    }
    Ok(Child { pid })
}

/// Signals a whole process group (a script and what it started).
pub fn kill_group(pgid: i32, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: plain syscall with integer arguments.
    check(unsafe { libc::kill(-pgid, sig) })?;
    Ok(())
}

/// Some process is still in process group `pgid` (kill with signal 0 reaches it).
pub fn group_exists(pgid: i32) -> bool {
    // SAFETY: plain syscall with integer arguments; signal 0 only checks.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

/// Reaps one exited child without blocking: Some((pid, raw wait status)), or None.
pub fn reap() -> Option<(i32, i32)> {
    let mut status = 0;
    // SAFETY: `status` is a live c_int for the call.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    (pid > 0).then_some((pid, status))
}

/// Decodes a wait status: Ok(exit code) or Err(signal number).
pub fn exit_status(status: i32) -> Result<i32, i32> {
    if libc::WIFEXITED(status) {
        Ok(libc::WEXITSTATUS(status))
    } else {
        Err(libc::WTERMSIG(status))
    }
}

/// Waits up to `timeout_ms` for `fd` to become readable (used only for netlink ACKs, which
/// the kernel sends at once).
pub fn wait_readable(fd: &OwnedFd, timeout_ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: `p` is one live pollfd.
    let n = check(unsafe { libc::poll(&mut p, 1, timeout_ms) })?;
    Ok(n > 0)
}

/// Detaches from the terminal (unless -n): fork, the parent exits, setsid, stdio to
/// /dev/null. Returns in the child only.
pub fn daemonize() -> io::Result<()> {
    // SAFETY: called before any thread or fd other than std ones exists; the parent only exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid > 0 {
        // SAFETY: immediate exit of the parent without running destructors, as daemon(3) does.
        unsafe { libc::_exit(0) };
    }
    // SAFETY: plain syscall.
    check(unsafe { libc::setsid() })?;
    let null = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null")?;
    for target in 0..3 {
        // SAFETY: dup2 onto the standard descriptors, which this process owns.
        check(unsafe { libc::dup2(null.as_raw_fd(), target) })?;
    }
    Ok(())
}

/// setns(2) into the network namespace bound at `path` (`ip netns add` binds them under
/// /run/netns): keepalived's `-s NAME`. Sockets opened afterwards live in that namespace.
pub fn enter_netns(path: &std::path::Path) -> io::Result<()> {
    let ns = std::fs::File::open(path)?;
    // SAFETY: `ns` is an open namespace file for the duration of the call.
    check(unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) })?;
    Ok(())
}

/// if_nametoindex(3): the interface's index in the current network namespace. Unlike
/// /sys/class/net, it answers for the namespace entered with `enter_netns`.
pub fn if_index(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: `c` is a NUL-terminated name alive for the call.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (index != 0).then_some(index)
}

/// inotify_init1(IN_NONBLOCK | IN_CLOEXEC): the fd track files are watched through.
pub fn inotify_init() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; a non-negative result is a new fd that we own from here on.
    let fd = check(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) })?;
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// inotify_add_watch(2): watches `path` for the events in `mask`; returns the watch descriptor
/// (the same one for a path watched twice).
pub fn inotify_watch(fd: &impl AsRawFd, path: &std::path::Path, mask: u32) -> io::Result<i32> {
    use std::os::unix::ffi::OsStrExt;
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `c` is a NUL-terminated path alive for the call.
    check(unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c.as_ptr(), mask) })
}

/// umask(2) (keepalived `-u`): the mode bits files the daemon creates never get. Returns the
/// mask it replaces.
pub fn set_umask(mask: u32) -> u32 {
    // SAFETY: plain syscall; it cannot fail.
    unsafe { libc::umask(mask as libc::mode_t) as u32 }
}

/// The uid of the process at the other end of a Unix stream socket (SO_PEERCRED, as the
/// kernel recorded it at connect()).
pub fn peer_uid(fd: &impl AsRawFd) -> io::Result<u32> {
    let mut cred = libc::ucred { pid: 0, uid: u32::MAX, gid: u32::MAX };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are live and writable; `len` is the size of `cred`, so the
    // kernel writes at most that many bytes.
    check(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            &mut cred as *mut libc::ucred as *mut libc::c_void,
            &mut len,
        )
    })?;
    Ok(cred.uid)
}

/// keepalived `-m`: core dumps of any size (RLIMIT_CORE unlimited).
pub fn allow_core_dumps() -> io::Result<()> {
    let limit = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: `limit` is a live rlimit for the call.
    check(unsafe { libc::setrlimit(libc::RLIMIT_CORE, &limit) })?;
    Ok(())
}

/// mkfifo(3) with `mode`; an existing FIFO is fine.
pub fn mkfifo(path: &std::path::Path, mode: u32) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `c` is a NUL-terminated path alive for the call.
    let r = unsafe { libc::mkfifo(c.as_ptr(), mode as libc::mode_t) };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EEXIST) {
            return Err(e);
        }
    }
    Ok(())
}

/// IPV6_ADD_MEMBERSHIP on interface `ifindex`.
pub fn join_v6(fd: &OwnedFd, group: std::net::Ipv6Addr, ifindex: u32) -> io::Result<()> {
    let m = libc::ipv6_mreq { ipv6mr_multiaddr: libc::in6_addr { s6_addr: group.octets() }, ipv6mr_interface: ifindex };
    setsockopt_value(fd, libc::IPPROTO_IPV6, libc::IPV6_ADD_MEMBERSHIP, &m)
}

fn sockaddr_v6(addr: std::net::Ipv6Addr, scope_id: u32) -> libc::sockaddr_in6 {
    // SAFETY: zeroed sockaddr_in6 is valid; fields set below.
    let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    sa.sin6_addr = libc::in6_addr { s6_addr: addr.octets() };
    sa.sin6_scope_id = scope_id;
    sa
}

pub fn sendto_v6(fd: &OwnedFd, buf: &[u8], dst: std::net::Ipv6Addr, scope_id: u32) -> io::Result<usize> {
    let sa = sockaddr_v6(dst, scope_id);
    sendto_sockaddr(fd, buf, 0, &sa)
}

/// One IPv6 datagram with the ancillary data VRRP needs (IPV6_RECVHOPLIMIT and
/// IPV6_RECVPKTINFO must be enabled): (length, source, destination, hop limit).
pub fn recv_v6(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<(usize, std::net::Ipv6Addr, std::net::Ipv6Addr, u8)> {
    // SAFETY: zeroed structures are valid; pointers below reference live locals.
    let mut src: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    let mut control = [0u64; 16];
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr() as *mut libc::c_void, iov_len: buf.len() };
    // SAFETY: zeroed msghdr is valid before its fields are set.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = &mut src as *mut _ as *mut libc::c_void;
    msg.msg_namelen = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: `msg` points to live, correctly sized buffers for the duration of the call.
    let n = check_size(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, 0) })?;
    let mut dst = std::net::Ipv6Addr::UNSPECIFIED;
    let mut hops = 0u8;
    // SAFETY: the CMSG_* macros walk the control buffer the kernel filled, within
    // msg_controllen; each payload is read with read_unaligned at its documented type.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            let data = libc::CMSG_DATA(c);
            if (*c).cmsg_level == libc::IPPROTO_IPV6 && (*c).cmsg_type == libc::IPV6_HOPLIMIT {
                hops = std::ptr::read_unaligned(data as *const libc::c_int) as u8;
            } else if (*c).cmsg_level == libc::IPPROTO_IPV6 && (*c).cmsg_type == libc::IPV6_PKTINFO {
                let info = std::ptr::read_unaligned(data as *const libc::in6_pktinfo);
                dst = std::net::Ipv6Addr::from(info.ipi6_addr.s6_addr);
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok((n, std::net::Ipv6Addr::from(src.sin6_addr.s6_addr), dst, hops))
}

/// Reusable buffers for [`recv_batch`]: up to `BATCH` datagrams per recvmmsg(2).
pub const BATCH: usize = 16;

pub struct RecvBatch {
    bufs: Vec<[u8; 2048]>,
    pub lens: [usize; BATCH],
}

impl Default for RecvBatch {
    fn default() -> Self {
        RecvBatch { bufs: vec![[0u8; 2048]; BATCH], lens: [0; BATCH] }
    }
}

impl RecvBatch {
    pub fn datagram(&self, k: usize) -> &[u8] {
        &self.bufs[k][..self.lens[k]]
    }
}

/// recvmmsg(2) without blocking: how many datagrams arrived (0 means it would block).
pub fn recv_batch(fd: &OwnedFd, batch: &mut RecvBatch) -> io::Result<usize> {
    let mut iovs: [libc::iovec; BATCH] = [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; BATCH];
    // SAFETY: zeroed mmsghdr entries are valid; each is pointed at its own iovec below.
    let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
    for k in 0..BATCH {
        iovs[k] =
            libc::iovec { iov_base: batch.bufs[k].as_mut_ptr() as *mut libc::c_void, iov_len: batch.bufs[k].len() };
        msgs[k].msg_hdr.msg_iov = &mut iovs[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
    }
    // SAFETY: `msgs` and `iovs` point into live buffers owned by `batch` and this frame.
    let n = unsafe {
        libc::recvmmsg(
            fd.as_raw_fd(),
            msgs.as_mut_ptr(),
            BATCH as libc::c_uint,
            libc::MSG_DONTWAIT as _,
            std::ptr::null_mut(),
        )
    };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::WouldBlock { Ok(0) } else { Err(e) };
    }
    for (len, m) in batch.lens.iter_mut().zip(msgs.iter()).take(n as usize) {
        *len = m.msg_len as usize;
    }
    Ok(n as usize)
}

/// open(2) of a directory, read-only and close-on-exec: /proc, scanned with `getdents`.
pub fn open_dir(path: &std::ffi::CStr) -> io::Result<OwnedFd> {
    // SAFETY: `path` is NUL-terminated and alive for the call; a non-negative result is a new
    // fd that we own from here on.
    let fd = check(unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) })?;
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// getdents64(2): the next directory records into `buf` (0 at the end); `rewind` first
/// starts the directory again.
pub fn getdents(dir: &OwnedFd, buf: &mut [u8], rewind: bool) -> io::Result<usize> {
    if rewind {
        // SAFETY: plain syscall on a directory fd we own.
        if unsafe { libc::lseek(dir.as_raw_fd(), 0, libc::SEEK_SET) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // SAFETY: `buf` is live and writable for its length; the kernel writes at most that much.
    let n = unsafe { libc::syscall(libc::SYS_getdents64, dir.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
    check_size(n as libc::ssize_t)
}

/// Reads the start of file `rel` (NUL-terminated) under directory `dir` into `buf`: one
/// openat, one read, one close, no allocation (the /proc scan reads PID/stat this way).
pub fn read_at(dir: &OwnedFd, rel: &[u8], buf: &mut [u8]) -> io::Result<usize> {
    if rel.last() != Some(&0) {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    // SAFETY: `rel` is NUL-terminated (checked) and alive for the call.
    let fd = check(unsafe { libc::openat(dir.as_raw_fd(), rel.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) })?;
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
    let file = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: `buf` is live and writable for its length.
    check_size(unsafe { libc::read(file.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) })
}

/// pidfd_open(2) (Linux 5.3): an fd that becomes readable when process `pid` exits.
pub fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; a non-negative result is a new fd that we own from here on.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // The kernel sets close-on-exec on it: children never inherit it.
    let fd = check(fd as libc::c_int)?;
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
