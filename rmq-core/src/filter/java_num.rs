//! Java's string-to-value conversions as the selector's comparisons use them
//! (`Integer.valueOf`, `Long.valueOf`, `Double.valueOf`, `Boolean.valueOf`).
//!
//! Known difference: Java also takes non-ASCII decimal digits and hexadecimal floating-point
//! text (`0x1p3`); these are refused here (no match instead of a match).

/// `Integer.valueOf(s)`: optional sign, ASCII digits, within `i32`.
pub fn parse_int(s: &str) -> Option<i32> {
    s.parse().ok()
}

/// `Long.valueOf(s)`: optional sign, ASCII digits, within `i64`.
pub fn parse_long(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// `Boolean.valueOf(s)`: true for `true` in any case, false for anything else.
pub fn parse_bool(s: &str) -> bool {
    s.eq_ignore_ascii_case("true")
}

/// `Double.valueOf(s)`: surrounding control characters and blanks trimmed, an optional sign,
/// `NaN`, `Infinity` or a decimal number with an optional exponent and an optional `f`/`d`
/// suffix.
pub fn parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let v = match body {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        _ => {
            let num = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
            if !is_decimal_number(num) {
                return None;
            }
            num.parse().ok()?
        }
    };
    Some(if neg { -v } else { v })
}

/// `digits [. digits] [e [sign] digits]` with at least one mantissa digit.
fn is_decimal_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac;
    }
    if int + frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_follow_java() {
        assert_eq!(parse_double(" 1.5 "), Some(1.5));
        assert_eq!(parse_double("1.5f"), Some(1.5));
        assert_eq!(parse_double("-2d"), Some(-2.0));
        assert_eq!(parse_double(".5"), Some(0.5));
        assert_eq!(parse_double("5."), Some(5.0));
        assert_eq!(parse_double("1e3"), Some(1000.0));
        assert_eq!(parse_double("Infinity"), Some(f64::INFINITY));
        assert!(parse_double("NaN").is_some_and(f64::is_nan));
        for bad in [
            "", ".", "1e", "inf", "nan", "1.5x", "1,5", "e5", "+", "1ff", "--1",
        ] {
            assert_eq!(parse_double(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn integers_follow_java() {
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("-7"), Some(-7));
        assert_eq!(parse_int("2147483648"), None);
        assert_eq!(parse_long("2147483648"), Some(2_147_483_648));
        for bad in ["", "+", "-", " 1", "1 ", "1.0", "0x10"] {
            assert_eq!(parse_long(bad), None, "{bad:?}");
        }
        assert!(parse_bool("TrUe"));
        assert!(!parse_bool("yes"));
    }
}
