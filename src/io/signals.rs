//! keepalived's signal functions (`--signum`), with the numbers of the C library we run on
//! (SIGRTMIN differs between glibc and musl, which is why scripts ask us).
pub fn signum(name: &str) -> Option<i32> {
    Some(match name {
        "STOP" => libc::SIGTERM,
        "RELOAD" => libc::SIGHUP,
        "DATA" => libc::SIGUSR1,
        "STATS" => libc::SIGUSR2,
        "STATS_CLEAR" => libc::SIGRTMAX() - 1,
        "JSON" => libc::SIGRTMIN() + 2,
        "TDATA" => libc::SIGRTMAX() - 2,
        _ => return None,
    })
}
