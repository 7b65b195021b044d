//! Parsers for keepalived's value syntax: integers, decimal seconds (to integer microseconds,
//! no floats), booleans, addresses and prefixes. Pure functions returning typed errors; the
//! caller attaches the location.
use super::model::Micros;
use std::fmt;
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    NotANumber(String),
    OutOfRange { value: String, min: i64, max: i64 },
    NotATime(String),
    NotABool(String),
    NotAnAddress(String),
    BadPrefix { value: String, max: u8 },
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::NotANumber(v) => write!(f, "'{v}' is not a number"),
            ValueError::OutOfRange { value, min, max } => write!(f, "number '{value}' outside range [{min}, {max}]"),
            ValueError::NotATime(v) => write!(f, "'{v}' is not a time in seconds"),
            ValueError::NotABool(v) => write!(f, "'{v}' is not one of on/off/true/false/yes/no"),
            ValueError::NotAnAddress(v) => write!(f, "'{v}' is not an IP address"),
            ValueError::BadPrefix { value, max } => write!(f, "prefix length '{value}' must be 0..{max}"),
        }
    }
}

pub fn int(s: &str, min: i64, max: i64) -> Result<i64, ValueError> {
    let v: i64 = s.parse().map_err(|_| ValueError::NotANumber(s.to_string()))?;
    if v < min || v > max {
        return Err(ValueError::OutOfRange { value: s.to_string(), min, max });
    }
    Ok(v)
}

/// Decimal seconds (`2`, `0.5`, `1.25`) to microseconds, exactly; digits past the sixth
/// decimal are truncated. `max_secs` bounds the value.
pub fn seconds(s: &str, max_secs: u64) -> Result<Micros, ValueError> {
    let bad = || ValueError::NotATime(s.to_string());
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if (whole.is_empty() && frac.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    if whole > max_secs {
        return Err(ValueError::OutOfRange { value: s.to_string(), min: 0, max: max_secs as i64 });
    }
    let mut micros = 0u64;
    for (i, d) in frac.bytes().take(6).enumerate() {
        micros += u64::from(d - b'0') * 10u64.pow(5 - i as u32);
    }
    let total = whole * 1_000_000 + micros;
    if total > max_secs * 1_000_000 {
        return Err(ValueError::OutOfRange { value: s.to_string(), min: 0, max: max_secs as i64 });
    }
    Ok(total)
}

pub fn boolean(s: &str) -> Result<bool, ValueError> {
    match s {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(ValueError::NotABool(s.to_string())),
    }
}

pub fn addr(s: &str) -> Result<IpAddr, ValueError> {
    s.parse().map_err(|_| ValueError::NotAnAddress(s.to_string()))
}

/// An address as keepalived reads `unicast_src_ip`, `mcast_src_ip`, `unicast_peer` entries,
/// `mcast_dst_ip` and `vrrp_mcast_group4/6` (inet_stosockaddr()): everything from the first
/// `-` or `/` on is dropped without a word, so `192.168.0.91/24` (and even `10.0.0.1/99` or a
/// range `10.0.0.1-9`) is the address `192.168.0.91`.
pub fn sockaddr(s: &str) -> Result<IpAddr, ValueError> {
    let end = s.find(['-', '/']).unwrap_or(s.len());
    s[..end].parse().map_err(|_| ValueError::NotAnAddress(s.to_string()))
}

/// `ADDR[/LEN]`; the default length is the full host length.
pub fn prefix(s: &str) -> Result<(IpAddr, u8), ValueError> {
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let ip = addr(a)?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(v) if v <= max => v,
            _ => return Err(ValueError::BadPrefix { value: l.to_string(), max }),
        },
    };
    Ok((ip, len))
}

/// Formats microseconds as decimal seconds without trailing zeros (`2`, `0.5`, `0.01`).
pub fn format_seconds(us: Micros) -> String {
    let whole = us / 1_000_000;
    let frac = us % 1_000_000;
    if frac == 0 {
        return whole.to_string();
    }
    let f = format!("{frac:06}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_exact_integers() {
        assert_eq!(seconds("2", 100), Ok(2_000_000));
        assert_eq!(seconds("0.01", 100), Ok(10_000));
        assert_eq!(seconds("1.5", 100), Ok(1_500_000));
        assert_eq!(seconds(".25", 100), Ok(250_000));
        assert_eq!(seconds("0.1234567", 100), Ok(123_456));
        assert!(seconds("1e3", 100).is_err());
        assert!(seconds("-1", 100).is_err());
        assert!(seconds(".", 100).is_err());
        assert!(seconds("101", 100).is_err());
        assert!(seconds("99999999999999999999999", 100).is_err());
    }

    #[test]
    fn format_seconds_round_trips() {
        for s in ["2", "0.5", "0.01", "40.95", "1.000001"] {
            assert_eq!(format_seconds(seconds(s, 1000).unwrap()), s);
        }
    }

    #[test]
    fn prefixes_default_to_host_length() {
        assert_eq!(prefix("10.0.0.1").unwrap().1, 32);
        assert_eq!(prefix("fe80::1").unwrap().1, 128);
        assert_eq!(prefix("10.0.0.1/24").unwrap().1, 24);
        assert!(prefix("10.0.0.1/33").is_err());
        assert!(prefix("10.0.0.256").is_err());
    }

    #[test]
    fn sockaddrs_drop_a_prefix_or_range_as_keepalived_does() {
        assert_eq!(sockaddr("192.168.0.91/24").unwrap().to_string(), "192.168.0.91");
        assert_eq!(sockaddr("192.168.0.91/99").unwrap().to_string(), "192.168.0.91");
        assert_eq!(sockaddr("10.0.0.1-9").unwrap().to_string(), "10.0.0.1");
        assert_eq!(sockaddr("fe80::1/64").unwrap().to_string(), "fe80::1");
        assert_eq!(sockaddr("/24"), Err(ValueError::NotAnAddress("/24".into())));
        assert!(sockaddr("10.0.0/24").is_err());
    }

    #[test]
    fn ints_check_range() {
        assert_eq!(int("255", 1, 255), Ok(255));
        assert!(matches!(int("256", 1, 255), Err(ValueError::OutOfRange { .. })));
        assert!(matches!(int("x", 1, 255), Err(ValueError::NotANumber(_))));
    }
}
