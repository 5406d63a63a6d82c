//! Dates as mqadmin prints and reads them, in UTC (mqadmin uses the JVM's zone; on a UTC
//! host both agree).

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's civil-from-days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parts(ms: i64) -> (i64, u32, u32, i64, i64, i64, i64) {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    (
        y,
        m,
        d,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        ms.rem_euclid(1000),
    )
}

/// `yyyy-MM-dd HH:mm:ss` (consumerProgress's #LastTime).
pub fn format_seconds(ms: i64) -> String {
    let (y, mo, d, h, mi, s, _) = parts(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// `yyyy-MM-dd HH:mm:ss,SSS` (Java's `timeMillisToHumanString2`).
pub fn format_millis(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = parts(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02},{milli:03}")
}

/// mqadmin's timestamp argument: `now`, milliseconds, or `yyyy-MM-dd#HH:mm:ss:SSS`.
pub fn parse_timestamp(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s == "now" {
        return Ok(rmq_core::clock::now_ms());
    }
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let bad = || {
        format!("invalid timestamp '{s}': expected now, milliseconds or yyyy-MM-dd#HH:mm:ss:SSS")
    };
    let (date, time) = s.split_once('#').ok_or_else(bad)?;
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    if d.len() != 3 || t.len() != 4 {
        return Err(bad());
    }
    let n = |v: &str| v.parse::<i64>().map_err(|_| bad());
    let (y, mo, day) = (n(d[0])?, n(d[1])?, n(d[2])?);
    let (h, mi, sec, milli) = (n(t[0])?, n(t[1])?, n(t[2])?, n(t[3])?);
    if !(1..=12).contains(&mo)
        || !(1..=31).contains(&day)
        || h > 23
        || mi > 59
        || sec > 59
        || milli > 999
    {
        return Err(bad());
    }
    let days = days_from_civil(y, mo as u32, day as u32);
    Ok(((days * 86_400 + h * 3600 + mi * 60 + sec) * 1000) + milli)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_mqadmin_dates() {
        assert_eq!(format_seconds(0), "1970-01-01 00:00:00");
        let ms = parse_timestamp("2024-02-29#13:05:09:042").unwrap();
        assert_eq!(ms, 1_709_211_909_042);
        assert_eq!(format_millis(ms), "2024-02-29 13:05:09,042");
        assert_eq!(parse_timestamp("1234").unwrap(), 1234);
        assert!(parse_timestamp("2024-13-01#00:00:00:000").is_err());
        assert!(parse_timestamp("yesterday").is_err());
    }
}
