//! The kit's own calendar, kept apart from the mock's on purpose: a date bug they shared would pass unseen.
//!
//! Millisecond timestamps as the query strings carry them: RFC 3339 date-times and bare `YYYY-MM-DD` dates.
//! The kit formats date bounds to send (`format_*`) and the times of the webhook payloads it generates, and the
//! wiremock responder parses them (`parse_date`). Written out by hand (the civil-calendar algorithms of Howard
//! Hinnant's `chrono`-compatible date notes) so the kit needs no date crate and shares nothing with the mock's
//! parser. The kit formats and parses every date here and nowhere else.

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// `2025-12-01T10:00:00.123Z` for a millisecond instant.
pub fn format_rfc3339_ms(ms: i64) -> String {
    let (y, mo, d) = civil_from_days(ms.div_euclid(DAY_MS));
    let rem = ms.rem_euclid(DAY_MS);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// The same instant written with a `+HH:MM` offset and no fraction when the milliseconds are zero: a second
/// spelling of one bound, so a server that only handles `Z` is caught. `offset_minutes` is east of UTC.
pub fn format_rfc3339_offset(ms: i64, offset_minutes: i64) -> String {
    let local = ms + offset_minutes * 60_000;
    let (y, mo, d) = civil_from_days(local.div_euclid(DAY_MS));
    let rem = local.rem_euclid(DAY_MS);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.abs();
    let fraction = if milli == 0 {
        String::new()
    } else {
        format!(".{milli:03}")
    };
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{fraction}{sign}{:02}:{:02}",
        off / 60,
        off % 60
    )
}

/// `2025-12-01`: the UTC day of an instant.
pub fn format_bare_date(ms: i64) -> String {
    let (y, mo, d) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}-{mo:02}-{d:02}")
}

/// Midnight UTC of the day an instant falls on: the instant a bare date stands for.
pub fn midnight_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// Parses what the contract accepts as a date bound: RFC 3339 (`T`/`t`, `Z`/`z` or `±HH:MM`, any fraction
/// length, truncated to milliseconds, no leap seconds) or a bare `YYYY-MM-DD` (midnight UTC).
pub fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(0..4)?;
    let month = u32::try_from(digits(5..7)?).ok()?;
    let day = u32::try_from(digits(8..10)?).ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let midnight = days_from_civil(year, month, day) * DAY_MS;
    if b.len() == 10 {
        return Some(midnight);
    }
    if !matches!(b[10], b'T' | b't') || b.len() < 20 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, s) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let mut frac: String = text[start..i.min(start + 3)].to_string();
        while frac.len() < 3 {
            frac.push('0');
        }
        millis = frac.parse().ok()?;
    }
    let offset_ms = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = digits(i + 1..i + 3)?;
            let om = digits(i + 4..i + 6)?;
            let _ = (h1, h2, m1, m2);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = (oh * 60 + om) * 60_000;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    Some(midnight + ((h * 60 + mi) * 60 + s) * 1000 + millis - offset_ms)
}

/// Whether two date bounds denote the same millisecond: the rule for comparing dates a client sent (and a
/// server echoed). RFC 3339 has many spellings of one instant (`Z` or `+00:00`, any offset, any number of
/// fraction digits) and a bare date stands for midnight UTC; a typed client that formats `datetime`s its own
/// way is right as long as the instant is. `None` when they agree; otherwise how the instant moved, in words.
// Only the client suite compares the dates a client sent; the rule stays here, with the calendar, either way.
#[cfg_attr(not(feature = "client-suite"), allow(dead_code))]
pub fn instant_moved(asked: &str, sent: &str) -> Option<String> {
    let Some(want) = parse_date(asked) else {
        return (asked != sent).then(|| format!("{sent:?} was sent where {asked:?} was asked"));
    };
    let Some(got) = parse_date(sent) else {
        return Some(format!(
            "{sent:?} is not a date the contract accepts (asked {asked:?})"
        ));
    };
    if got == want {
        return None;
    }
    let delta = got - want;
    let why = if sent.len() == 10 {
        "the date only was sent: midnight UTC of that day".to_string()
    } else if got == want - want.rem_euclid(1000) {
        "the milliseconds were dropped".to_string()
    } else if delta % (15 * 60_000) == 0 {
        "a whole time-zone offset: a local time sent as UTC, or an offset applied twice".to_string()
    } else {
        "not by a rounding or an offset".to_string()
    };
    Some(format!(
        "the instant moved {} {} ({why}): asked {asked}, sent {sent}",
        span(delta.unsigned_abs()),
        if delta > 0 { "later" } else { "earlier" },
    ))
}

/// `2h 30m`, `1 ms`, `3d 4h 0.500s`: a duration for people.
#[cfg_attr(not(feature = "client-suite"), allow(dead_code))]
fn span(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms} ms");
    }
    let (d, h, m, s, milli) = (
        ms / 86_400_000,
        ms / 3_600_000 % 24,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000,
    );
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    match (s, milli) {
        (0, 0) => {}
        (s, 0) => parts.push(format!("{s}s")),
        (s, milli) => parts.push(format!("{s}.{milli:03}s")),
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_from_1600_to_2400_follows_the_one_before() {
        // 801 years of 365 days, and 195 leap days: every fourth year but 1700, 1800, 1900, 2100, 2200, 2300.
        let start = days_from_civil(1600, 1, 1);
        let end = days_from_civil(2400, 12, 31);
        assert_eq!(end - start + 1, 801 * 365 + 195);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(start), (1600, 1, 1));
        let mut before = (1600, 1, 1);
        for days in start + 1..=end {
            let (y, m, d) = before;
            let next = if d < days_in_month(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            assert_eq!(civil_from_days(days), next, "day {days}");
            assert_eq!(days_from_civil(next.0, next.1, next.2), days);
            before = next;
        }
        assert_eq!(before, (2400, 12, 31));
        assert_eq!(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn a_zero_offset_is_written_plus_zero_not_the_unknown_offset() {
        // RFC 3339 reads `-00:00` as "offset unknown"; the kit's second spelling of UTC is `+00:00`.
        assert_eq!(format_rfc3339_offset(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(format_rfc3339_offset(0, -60), "1969-12-31T23:00:00-01:00");
    }

    #[test]
    fn formats_round_trip_through_the_parser() {
        for ms in [
            0,
            1,
            999,
            1_764_547_200_000,
            1_764_590_400_123,
            951_782_400_000,
        ] {
            assert_eq!(parse_date(&format_rfc3339_ms(ms)), Some(ms));
            assert_eq!(parse_date(&format_rfc3339_offset(ms, 120)), Some(ms));
            assert_eq!(parse_date(&format_rfc3339_offset(ms, -330)), Some(ms));
            assert_eq!(parse_date(&format_bare_date(ms)), Some(midnight_of(ms)));
        }
        assert_eq!(
            format_rfc3339_ms(1_764_590_400_123),
            "2025-12-01T12:00:00.123Z"
        );
    }

    #[test]
    fn the_parser_rejects_what_the_contract_rejects() {
        for bad in [
            "",
            "2025-13-01",
            "2025-02-29",
            "2025-12-01T",
            "2025-12-01 10:00:00Z",
            "2025-12-01T24:00:00Z",
            "2025-12-01T10:00:60Z",
            "2025-12-01T10:00:00",
            "2025-12-01T10:00:00.Z",
            "20251201",
            "yesterday",
            // Each separator in its place, each one checked.
            "2025x12-01",
            "2025-12x01",
            "2025-12-01T10x00:00Z",
            "2025-12-01T10:00x00Z",
            // A sign where digits belong: Rust's integer parser would take it.
            "+025-12-01",
            "2025-+1-01",
            "2025-12-01T+1:00:00Z",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(
            parse_date("2025-12-01t10:00:00.1239z"),
            parse_date("2025-12-01T10:00:00.123Z")
        );
    }

    #[test]
    fn an_offset_is_hours_0_to_23_and_minutes_0_to_59() {
        let utc = parse_date("2025-12-01T10:00:00Z").unwrap();
        let minute = 60_000;
        for (offset, minutes) in [
            ("+23:59", 23 * 60 + 59),
            ("-23:00", -23 * 60),
            ("+00:59", 59),
        ] {
            let text = format!("2025-12-01T10:00:00{offset}");
            assert_eq!(parse_date(&text), Some(utc - minutes * minute), "{text}");
        }
        for offset in ["+24:00", "+25:00", "-99:00", "+00:60", "+00:61", "+24:60"] {
            let text = format!("2025-12-01T10:00:00{offset}");
            assert_eq!(parse_date(&text), None, "{text}");
        }
    }

    #[test]
    fn a_fraction_that_runs_to_the_end_has_no_offset() {
        // The fraction's digits end the text: no offset follows, and nothing past the end is read.
        for text in ["2025-12-01T10:00:00.1", "2025-12-01T10:00:00.123456"] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }

    #[test]
    fn a_bound_that_is_not_a_date_must_come_back_as_it_was() {
        assert_eq!(instant_moved("soon", "soon"), None);
        let moved = instant_moved("soon", "later").unwrap();
        assert_eq!(moved, r#""later" was sent where "soon" was asked"#);
    }

    #[test]
    fn a_span_is_milliseconds_under_a_second_then_units() {
        assert_eq!(span(999), "999 ms");
        assert_eq!(span(1_000), "1s");
        assert_eq!(span(90_061_001), "1d 1h 1m 1.001s");
        assert_eq!(span(3_600_000), "1h");
    }

    #[test]
    fn other_spellings_of_the_same_millisecond_are_the_same_instant() {
        let asked = "2020-09-13T12:26:40.001Z";
        for sent in [
            asked,
            "2020-09-13T12:26:40.001000Z",
            "2020-09-13T12:26:40.001+00:00",
            "2020-09-13T14:56:40.001+02:30",
            "2020-09-13T07:26:40.0010-05:00",
        ] {
            assert_eq!(instant_moved(asked, sent), None, "{sent}");
        }
        assert_eq!(instant_moved("2020-09-13", "2020-09-13T00:00:00Z"), None);
    }

    #[test]
    fn a_moved_instant_says_how_it_moved() {
        let asked = "2020-09-13T12:26:40.001Z";
        let dropped = instant_moved(asked, "2020-09-13T12:26:40Z").unwrap();
        assert!(
            dropped.starts_with("the instant moved 1 ms earlier (the milliseconds were dropped)"),
            "{dropped}"
        );
        let shifted = instant_moved(asked, "2020-09-13T14:26:40.001Z").unwrap();
        assert!(
            shifted.starts_with("the instant moved 2h later (a whole time-zone offset"),
            "{shifted}"
        );
        let date_only = instant_moved(asked, "2020-09-13").unwrap();
        assert!(
            date_only
                .starts_with("the instant moved 12h 26m 40.001s earlier (the date only was sent"),
            "{date_only}"
        );
        assert!(instant_moved(asked, "soon").unwrap().contains("not a date"));
    }
}
