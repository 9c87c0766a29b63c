//! Lenient date parsing for feed timestamps (RFC 3339, RFC 822/2822 and the sloppy variants real feeds send), always to UTC.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parses a feed date into UTC. Dates without a zone are taken as UTC; dates
/// without a time are midnight; `2024-05` is the first of the month and `2024`
/// the first of January. Two-digit years below 70 are 20xx, others 19xx.
/// Returns `None` for anything unrecognised; never panics.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.len() > 100 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.to_utc());
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.to_utc());
    }
    let b = s.as_bytes();
    if b.len() >= 4
        && b[..4].iter().all(u8::is_ascii_digit)
        && matches!(b.get(4), None | Some(b'-' | b'/'))
    {
        return parse_iso_like(s);
    }
    parse_loose(s)
}

/// `2024-05-01T12:30:00+0000`, `2024-05-01 12:30`, `2024/05/01`, `2024-05`, `2024`.
fn parse_iso_like(s: &str) -> Option<DateTime<Utc>> {
    let owned;
    let s = if let Some(head) = s.strip_suffix(['Z', 'z']) {
        owned = format!("{head}+0000");
        owned.as_str()
    } else {
        s
    };
    const ZONED: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M %z",
    ];
    for f in ZONED {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.to_utc());
        }
    }
    const NAIVE: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ];
    for f in NAIVE {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc());
        }
    }
    let date = match s.len() {
        4 => NaiveDate::from_ymd_opt(s.parse().ok()?, 1, 1),
        7 => NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(&format!("{s}/01"), "%Y/%m/%d"))
            .ok(),
        _ => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
            .ok(),
    }?;
    date.and_hms_opt(0, 0, 0).map(|d| d.and_utc())
}

/// Offsets of the named zones RFC 822 allows (plus a few common extras).
/// Single military letters are ambiguous in practice and are read as UTC.
fn zone_offset_secs(name: &str) -> Option<i32> {
    let h = match name.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "BST" => 1,
        "CET" => 1,
        "CEST" => 2,
        n if n.len() == 1 && n.as_bytes()[0].is_ascii_uppercase() && n != "J" => 0,
        _ => return None,
    };
    Some(h * 3600)
}

/// `+0000`, `-05:00`, `+01`.
fn numeric_offset_secs(tok: &str) -> Option<i32> {
    let sign = match tok.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = tok[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    (h < 24 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn is_weekday(tok: &str) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    tok.len() >= 3
        && tok.bytes().all(|b| b.is_ascii_alphabetic() || b == b'.')
        && tok
            .get(..3)
            .is_some_and(|p| DAYS.iter().any(|d| d.eq_ignore_ascii_case(p)))
}

/// RFC 822-ish and prose dates: weekday optional (and ignored, so a wrong one is
/// harmless), day/month in either order, full or short month names, optional
/// seconds, two-digit years, named or numeric zones, trailing `(comment)`.
fn parse_loose(s: &str) -> Option<DateTime<Utc>> {
    let s = s.split('(').next().unwrap_or(s);
    let mut toks: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    if toks.first().is_some_and(|t| is_weekday(t)) {
        toks.remove(0);
    }
    let mut offset = 0;
    if let Some(last) = toks.last().copied()
        && toks.len() > 3
        && let Some(o) = numeric_offset_secs(last).or_else(|| zone_offset_secs(last))
    {
        offset = o;
        toks.pop();
    }
    if toks.len() < 3 || toks.len() > 4 {
        return None;
    }
    let canon = toks.join(" ");
    const DATE_FORMATS: [&str; 3] = ["%d %B %Y", "%B %d %Y", "%Y %B %d"];
    let naive = if toks.len() == 4 {
        let mut found = None;
        'outer: for d in DATE_FORMATS {
            for t in [" %H:%M:%S", " %H:%M"] {
                if let Ok(v) = NaiveDateTime::parse_from_str(&canon, &format!("{d}{t}")) {
                    found = Some(v);
                    break 'outer;
                }
            }
        }
        found?
    } else {
        DATE_FORMATS
            .iter()
            .find_map(|d| NaiveDate::parse_from_str(&canon, d).ok())?
            .and_hms_opt(0, 0, 0)?
    };
    let naive = fix_two_digit_year(naive)?;
    let tz = FixedOffset::east_opt(offset)?;
    tz.from_local_datetime(&naive).single().map(|d| d.to_utc())
}

fn fix_two_digit_year(d: NaiveDateTime) -> Option<NaiveDateTime> {
    match d.year() {
        y @ 0..=69 => d.with_year(2000 + y),
        y @ 70..=99 => d.with_year(1900 + y),
        _ => Some(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        parse_date(s)
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| format!("NONE for {s:?}"))
    }

    #[test]
    fn rfc3339() {
        assert_eq!(iso("2024-05-01T12:30:00Z"), "2024-05-01T12:30:00+00:00");
        assert_eq!(
            iso("2024-05-01T12:30:00.123-04:00"),
            "2024-05-01T16:30:00.123+00:00"
        );
        assert_eq!(iso("2024-05-01T12:30:00+0200"), "2024-05-01T10:30:00+00:00");
        assert_eq!(iso("2024-05-01T12:30Z"), "2024-05-01T12:30:00+00:00");
    }

    #[test]
    fn rfc822_and_variants() {
        let want = "2024-05-01T12:30:00+00:00";
        assert_eq!(iso("Wed, 01 May 2024 12:30:00 GMT"), want);
        assert_eq!(iso("Wed, 01 May 2024 12:30:00 +0000"), want);
        assert_eq!(iso("Wed, 01 May 2024 12:30:00 +00:00"), want);
        assert_eq!(iso("01 May 2024 12:30:00 UT"), want);
        assert_eq!(iso("Mon, 01 May 2024 12:30:00 GMT"), want, "wrong weekday");
        assert_eq!(
            iso("Wed, 1 May 2024 12:30 GMT"),
            want,
            "single digit day, no seconds"
        );
        assert_eq!(iso("Wed, 01 May 24 12:30:00 GMT"), want, "two-digit year");
        assert_eq!(iso("Wed, 01 May 2024 08:30:00 EDT"), want);
        assert_eq!(iso("Wed, 01 May 2024 04:30:00 PST"), want);
        assert_eq!(iso("Wed, 01 May 2024 07:30:00 CDT"), want);
        assert_eq!(iso("Wed, 01 May 2024 12:30:00 +0000 (UTC)"), want);
        assert_eq!(iso("Wednesday, 1 May 2024 12:30:00 Z"), want);
        assert_eq!(iso("1 May 2024 12:30:00"), want);
        assert_eq!(iso("  Wed,  01   May 2024 12:30:00   GMT "), want);
        assert_eq!(iso("Wed, 01 May 2024 12:30:00 A"), want, "military letter");
        assert_eq!(
            iso("Fri, 01 Jan 99 00:00:00 GMT"),
            "1999-01-01T00:00:00+00:00"
        );
    }

    #[test]
    fn dates_without_zone_or_time() {
        let midnight = "2024-05-01T00:00:00+00:00";
        assert_eq!(iso("2024-05-01"), midnight);
        assert_eq!(iso("2024/05/01"), midnight);
        assert_eq!(iso("2024-05"), midnight);
        assert_eq!(iso("2024"), "2024-01-01T00:00:00+00:00");
        assert_eq!(iso("May 1, 2024"), midnight);
        assert_eq!(iso("1 May 2024"), midnight);
        assert_eq!(iso("1 September 2024"), "2024-09-01T00:00:00+00:00");
        assert_eq!(iso("2024 May 1"), midnight);
        assert_eq!(iso("2024-05-01 12:30:00"), "2024-05-01T12:30:00+00:00");
        assert_eq!(iso("2024-05-01T12:30:00"), "2024-05-01T12:30:00+00:00");
    }

    #[test]
    fn garbage_is_none_and_never_panics() {
        for s in [
            "",
            " ",
            "x",
            "2024-13-01",
            "2024-02-30",
            "Wed, 32 May 2024",
            "99999",
            "-",
            "+",
            "1 May",
            "May",
            "2024-",
            "2024/",
            "T",
            "Z",
            "Mon, 01 Foo 2024 12:00:00 GMT",
            "01 May 2024 25:61:00 GMT",
            "01 May 2024 12:00:00 +9999",
            "\u{0}\u{ffff}",
            "é é é é",
            "2024-05-01T",
            "2024-05-01T12:30:00+",
            "(",
            "((((",
            ",,,,",
            "1 1 1 1 1",
            "٣ May 2024",
            "12:00",
            "Sun, 00 Jan 0000 00:00:00 GMT",
        ] {
            let _ = parse_date(s);
        }
        assert_eq!(parse_date("not a date"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        let long = "1".repeat(10_000);
        assert_eq!(parse_date(&long), None);
    }
}
