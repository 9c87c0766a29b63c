//! Conformance cases for feed dates (issue 20, class 7), written from W3C-DTF, ISO 8601,
//! RFC 822/2822/5322, RFC 850 and C's asctime, read through a whole RSS 2.0 document.

use ketlit::model::Kind;
use ketlit::parse::parse_document;

/// The entry's `published`, as RFC 3339, from an RSS 2.0 item whose `pubDate` is `date`.
fn published(date: &str) -> Option<String> {
    let doc = format!(
        "<rss version=\"2.0\"><channel><title>t</title><link>https://example.org/</link>\
         <description>d</description><item><title>i</title><pubDate>{date}</pubDate></item>\
         </channel></rss>"
    );
    let feed =
        parse_document(doc.as_bytes(), None, Kind::Auto, "case").unwrap_or_else(|e| panic!("{e}"));
    feed.entries[0].published.map(|d| d.to_rfc3339())
}

/// One date case: the instant it must be read as (`None`: unreadable, so null, and the
/// document still parses), snapshotted.
macro_rules! date_case {
    ($test:ident, $date:expr, $want:expr) => {
        #[test]
        fn $test() {
            let got = published($date);
            assert_eq!(got.as_deref(), $want, "{:?}", $date);
            insta::assert_snapshot!(format!("{:?} -> {got:?}", $date));
        }
    };
}

const MAY7: Option<&str> = Some("2024-05-07T10:20:30+00:00");
const MAY7_1020: Option<&str> = Some("2024-05-07T10:20:00+00:00");
const MIDNIGHT: Option<&str> = Some("2024-05-07T00:00:00+00:00");

// Class 7: dates. W3C-DTF, including its partial forms.
date_case!(date_w3cdtf_year, "2024", Some("2024-01-01T00:00:00+00:00"));
date_case!(
    date_w3cdtf_year_month,
    "2024-05",
    Some("2024-05-01T00:00:00+00:00")
);
date_case!(date_w3cdtf_date, "2024-05-07", MIDNIGHT);
date_case!(date_w3cdtf_minutes, "2024-05-07T12:20+02:00", MAY7_1020);
date_case!(date_w3cdtf_seconds, "2024-05-07T10:20:30Z", MAY7);
date_case!(
    date_w3cdtf_fraction,
    "2024-05-07T05:20:30.25-05:00",
    Some("2024-05-07T10:20:30.250+00:00")
);
// ISO 8601, extended and basic, with and without seconds and fractions; ordinal dates.
date_case!(date_iso_basic, "20240507T102030Z", MAY7);
date_case!(date_iso_basic_offset, "20240507T122030+0200", MAY7);
date_case!(date_iso_basic_no_seconds, "20240507T1020Z", MAY7_1020);
date_case!(date_iso_basic_date, "20240507", MIDNIGHT);
date_case!(
    date_iso_basic_fraction,
    "20240507T102030.5Z",
    Some("2024-05-07T10:20:30.500+00:00")
);
date_case!(
    date_iso_comma_fraction,
    "2024-05-07T10:20:30,75Z",
    Some("2024-05-07T10:20:30.750+00:00")
);
date_case!(date_iso_extended_no_zone, "2024-05-07T10:20:30", MAY7);
date_case!(date_iso_extended_space, "2024-05-07 10:20", MAY7_1020);
date_case!(date_iso_hour_offset, "2024-05-07T12:20:30+02", MAY7);
date_case!(date_iso_ordinal, "2024-128", MIDNIGHT);
date_case!(date_iso_ordinal_basic, "2024128", MIDNIGHT);
date_case!(date_iso_ordinal_time, "2024-128T10:20:30Z", MAY7);
date_case!(date_iso_week, "2024-W19-2", MIDNIGHT);
// RFC 822/2822/5322: two-digit years, no seconds, no weekday; RFC 850.
date_case!(date_rfc822_full, "Tue, 07 May 2024 10:20:30 GMT", MAY7);
date_case!(
    date_rfc822_two_digit_year,
    "Tue, 07 May 24 10:20:30 GMT",
    MAY7
);
date_case!(
    date_rfc822_two_digit_year_last_century,
    "Fri, 07 May 99 10:20:30 GMT",
    Some("1999-05-07T10:20:30+00:00")
);
date_case!(
    date_rfc822_no_seconds,
    "Tue, 07 May 2024 10:20 +0000",
    MAY7_1020
);
date_case!(date_rfc822_no_weekday, "07 May 2024 10:20:30 +0000", MAY7);
date_case!(
    date_rfc822_no_weekday_no_seconds,
    "7 May 24 10:20 UT",
    MAY7_1020
);
date_case!(
    date_rfc822_comment,
    "Tue, 07 May 2024 10:20:30 +0000 (UTC)",
    MAY7
);
date_case!(date_rfc850, "Tuesday, 07-May-24 10:20:30 GMT", MAY7);
// Named zones: North American and RFC 822's military letters.
date_case!(date_zone_est, "Tue, 07 May 2024 05:20:30 EST", MAY7);
date_case!(date_zone_edt, "Tue, 07 May 2024 06:20:30 EDT", MAY7);
date_case!(date_zone_cst, "Tue, 07 May 2024 04:20:30 CST", MAY7);
date_case!(date_zone_cdt, "Tue, 07 May 2024 05:20:30 CDT", MAY7);
date_case!(date_zone_mst, "Tue, 07 May 2024 03:20:30 MST", MAY7);
date_case!(date_zone_mdt, "Tue, 07 May 2024 04:20:30 MDT", MAY7);
date_case!(date_zone_pst, "Tue, 07 May 2024 02:20:30 PST", MAY7);
date_case!(date_zone_pdt, "Tue, 07 May 2024 03:20:30 PDT", MAY7);
date_case!(date_zone_military_a, "Tue, 07 May 2024 09:20:30 A", MAY7);
date_case!(date_zone_military_m, "Mon, 06 May 2024 22:20:30 M", MAY7);
date_case!(date_zone_military_n, "Tue, 07 May 2024 11:20:30 N", MAY7);
date_case!(date_zone_military_y, "Tue, 07 May 2024 22:20:30 Y", MAY7);
date_case!(date_zone_military_z, "Tue, 07 May 2024 10:20:30 Z", MAY7);
// asctime.
date_case!(date_asctime, "Tue May  7 10:20:30 2024", MAY7);
date_case!(date_asctime_zone, "Tue May 7 06:20:30 EDT 2024", MAY7);
// Unreadable: null, never an error.
date_case!(date_unreadable_text, "next Tuesday", None);
date_case!(date_unreadable_month, "2024-13-07", None);
date_case!(date_unreadable_offset, "2024-05-07T10:20:30+99:00", None);
date_case!(
    date_unreadable_year,
    "Tue, 07 May 99999999999 10:20:30 GMT",
    None
);
date_case!(date_unreadable_empty, "", None);
