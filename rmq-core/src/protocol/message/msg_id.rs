//! Message ids: the broker's offset msgId and the client's UNIQ_KEY.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xF)] as char);
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The offset msgId: store host IP + port (i32) + commit-log offset (i64), in uppercase hex.
/// 32 chars for IPv4, 56 for IPv6.
pub fn offset_msg_id(store_host: SocketAddr, commit_log_offset: i64) -> String {
    let mut b = Vec::with_capacity(28);
    match store_host.ip() {
        IpAddr::V4(ip) => b.extend_from_slice(&ip.octets()),
        IpAddr::V6(ip) => b.extend_from_slice(&ip.octets()),
    }
    b.extend_from_slice(&i32::from(store_host.port()).to_be_bytes());
    b.extend_from_slice(&commit_log_offset.to_be_bytes());
    hex_upper(&b)
}

/// Decodes an offset msgId into the store address and the commit-log offset.
pub fn decode_offset_msg_id(id: &str) -> Option<(SocketAddr, i64)> {
    let b = unhex(id)?;
    let (ip, rest): (IpAddr, &[u8]) = match b.len() {
        16 => (IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])), &b[4..]),
        28 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[..16]);
            (IpAddr::V6(Ipv6Addr::from(a)), &b[16..])
        }
        _ => return None,
    };
    let port = i32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let mut off = [0u8; 8];
    off.copy_from_slice(&rest[4..12]);
    Some((SocketAddr::new(ip, port as u16), i64::from_be_bytes(off)))
}

/// Milliseconds since the start of the current month (UTC), as the Java id maker uses.
fn millis_since_month_start(now_ms: i64) -> i64 {
    let days = now_ms.div_euclid(86_400_000);
    // Civil-from-days (proleptic Gregorian): only the day of month is needed.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day_of_month = doy - (153 * mp + 2) / 5; // 0-based
    now_ms - (days - day_of_month) * 86_400_000
}

struct IdPrefix {
    bytes: [u8; 10],
}

fn prefix() -> &'static IdPrefix {
    static PREFIX: OnceLock<IdPrefix> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let mut bytes = [0u8; 10];
        bytes[..4].copy_from_slice(&[127, 0, 0, 1]);
        bytes[4..6].copy_from_slice(&(std::process::id() as u16).to_be_bytes());
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let salt = (nanos ^ (&bytes as *const _ as usize as u32)).rotate_left(7);
        bytes[6..10].copy_from_slice(&salt.to_be_bytes());
        IdPrefix { bytes }
    })
}

static COUNTER: AtomicU16 = AtomicU16::new(0);

/// A new client message id (`UNIQ_KEY`): 32 uppercase hex chars, unique per process.
pub fn new_uniq_id() -> String {
    let now = crate::clock::now_ms();
    let mut b = [0u8; 16];
    b[..10].copy_from_slice(&prefix().bytes);
    b[10..14].copy_from_slice(&(millis_since_month_start(now) as u32).to_be_bytes());
    b[14..16].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    hex_upper(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_msg_id_matches_reference_example() {
        let addr: SocketAddr = "192.168.0.2:10911".parse().unwrap();
        let id = offset_msg_id(addr, 0x1234);
        assert_eq!(id, "C0A8000200002A9F0000000000001234");
        assert_eq!(decode_offset_msg_id(&id), Some((addr, 0x1234)));
        let v6: SocketAddr = "[::1]:10911".parse().unwrap();
        let id6 = offset_msg_id(v6, 7);
        assert_eq!(id6.len(), 56);
        assert_eq!(decode_offset_msg_id(&id6), Some((v6, 7)));
        assert_eq!(decode_offset_msg_id("XYZ"), None);
    }

    #[test]
    fn uniq_ids_are_unique_32_hex() {
        let a = new_uniq_id();
        let b = new_uniq_id();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
    }

    #[test]
    fn month_start() {
        // 2024-03-02T00:00:01Z is 86_401_000 ms into March.
        assert_eq!(millis_since_month_start(1_709_337_601_000), 86_401_000);
    }
}
