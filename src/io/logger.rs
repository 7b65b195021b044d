//! Logging as keepalived does it: syslog to /dev/log (ident `Keepalived_vrrp`, busybox syslogd
//! compatible: a plain `<PRI>ident[pid]: message` datagram) and, with `-l`, the console with a
//! `Tue Nov 24 18:00:18 2026: ` prefix. `-D` enables the detail messages.
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;

pub struct Logger {
    /// `Keepalived_vrrp`, or `Keepalived_vrrp_NAME` in network namespace NAME (`-s`).
    ident: String,
    console: bool,
    detail: bool,
    facility: u8,
    syslog: Mutex<Option<UnixDatagram>>,
}

impl Logger {
    pub fn install(ident: String, console: bool, detail: bool, facility: u8, syslog: bool) {
        let sock = if syslog { UnixDatagram::unbound().ok().filter(|s| s.connect("/dev/log").is_ok()) } else { None };
        let logger = Logger { ident, console, detail, facility, syslog: Mutex::new(sock) };
        // The logger lives as long as the process: leaking it is what set_boxed_logger does too.
        let _ = log::set_logger(Box::leak(Box::new(logger)));
        log::set_max_level(if detail { log::LevelFilter::Debug } else { log::LevelFilter::Info });
    }
}

/// `Wed Nov 25 14:53:20 2026` in UTC from seconds since the epoch (no time crate needed).
pub fn timestamp(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, mo, d, h, mi, s, wd) = crate::proto::time::civil_utc(secs);
    format!("{} {} {d:2} {h:02}:{mi:02}:{s:02} {y}", DAYS[wd as usize], MONTHS[(mo - 1) as usize])
}

impl log::Log for Logger {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Info || self.detail
    }

    fn log(&self, r: &log::Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let msg = r.args().to_string();
        if self.console {
            let secs =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            let _ = writeln!(std::io::stderr(), "{}: {msg}", timestamp(secs));
        }
        if let Ok(guard) = self.syslog.lock() {
            if let Some(s) = guard.as_ref() {
                let severity = match r.level() {
                    log::Level::Error => 3,
                    log::Level::Warn => 4,
                    log::Level::Info => 6,
                    _ => 7,
                };
                let line =
                    format!("<{}>{}[{}]: {msg}", (self.facility as u32) * 8 + severity, self.ident, std::process::id());
                let _ = s.send(line.as_bytes());
            }
        }
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    #[test]
    fn keepalived_console_timestamp() {
        // 2026-11-24 18:00:18 UTC was a Tuesday (the module doc's keepalived console prefix).
        assert_eq!(super::timestamp(1_795_543_218), "Tue Nov 24 18:00:18 2026");
        assert_eq!(super::timestamp(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(super::timestamp(951_782_400), "Tue Feb 29 00:00:00 2000");
    }
}
