//! Instants as the mock reads them: RFC 3339 date-times (the query's `created_after`/`created_before`, admin
//! bodies, `--anchor`) and Unix milliseconds. Formatting is [`openmic_fixtures::rfc3339_ms`].

use openmic_fixtures::{days_from_civil, days_in_month};

/// An instant given on the command line or in an admin body: an RFC 3339 date-time, a bare `YYYY-MM-DD`
/// (midnight UTC), or Unix milliseconds (digits only). `None` for anything else, or a time before 1970.
pub fn parse_instant(text: &str) -> Option<u64> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    parse_rfc3339_millis(text)
        .ok()
        .and_then(|ms| u64::try_from(ms).ok())
}

/// Parses an RFC 3339 date-time (`T`/`t` separator, `Z`/`z` or `+HH:MM`/`-HH:MM`, optional fraction of any
/// length) or a bare `YYYY-MM-DD` (midnight UTC) into Unix milliseconds. A fraction finer than a millisecond is
/// truncated: bounds compare with `start_timestamp` at millisecond precision. Leap seconds (`:60`) are
/// rejected, since no call can start in one.
pub fn parse_rfc3339_millis(s: &str) -> Result<i64, &'static str> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Result<i64, &'static str> {
        let part = b.get(range).ok_or("too short")?;
        if part.iter().all(u8::is_ascii_digit) {
            Ok(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
        } else {
            Err("expected digits")
        }
    };
    let year = digits(0..4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return Err("expected YYYY-MM-DD");
    }
    let month = digits(5..7)?;
    let day = digits(8..10)?;
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    // Both fit a u32: two digits each.
    let (month, day) = (month as u32, day as u32);
    if day < 1 || day > days_in_month(year, month) {
        return Err("day out of range for the month");
    }
    let date_ms = days_from_civil(year, month, day) * 86_400_000;
    if b.len() == 10 {
        return Ok(date_ms);
    }

    if !matches!(b.get(10), Some(b'T' | b't')) {
        return Err("expected 'T' between date and time");
    }
    let hour = digits(11..13)?;
    let minute = digits(14..16)?;
    let second = digits(17..19)?;
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return Err("expected HH:MM:SS");
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("time out of range");
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err("expected digits after '.'");
        }
        millis = b[start..i.min(start + 3)]
            .iter()
            .fold(0, |n, d| n * 10 + i64::from(d - b'0'));
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset_ms = match b.get(i) {
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            let sign = if *sign == b'+' { 1 } else { -1 };
            let oh = digits(i + 1..i + 3)?;
            let om = digits(i + 4..i + 6)?;
            if b.get(i + 3) != Some(&b':') {
                return Err("expected an offset as +HH:MM or -HH:MM");
            }
            if oh > 23 || om > 59 {
                return Err("offset out of range");
            }
            i += 6;
            sign * (oh * 3_600_000 + om * 60_000)
        }
        None => return Err("missing time zone: add Z or an offset such as +01:00"),
        Some(_) => return Err("expected Z or an offset such as +01:00"),
    };
    if i != b.len() {
        return Err("unexpected characters after the time zone");
    }
    Ok(date_ms + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis - offset_ms)
}
