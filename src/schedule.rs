//! When a feed runs next: its cron schedule, the server's hints as a lower bound, and
//! error backoff.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// Parses a 6-field cron expression (seconds first) exactly as tokio-cron-scheduler does.
///
/// Remembers what it parsed: a pass asks twice for each feed's next slot (the slot,
/// and the period its jitter is scaled to), and a config holds only a handful of
/// distinct expressions, so 500 feeds cost 1,000 parses where a few would do.
pub fn parse_cron(expr: &str) -> Result<Cron, String> {
    static PARSED: Mutex<Option<HashMap<String, Result<Cron, String>>>> = Mutex::new(None);
    // A poisoned lock only means a panic elsewhere mid-insert; the map is still whole.
    let mut memo = PARSED.lock().unwrap_or_else(|p| p.into_inner());
    let memo = memo.get_or_insert_with(HashMap::new);
    if let Some(done) = memo.get(expr) {
        return done.clone();
    }
    // Bounded: a long-running process fed ever new expressions (a user editing the
    // config again and again) must not grow without end.
    if memo.len() >= 256 {
        memo.clear();
    }
    let parsed = parse_cron_uncached(expr);
    memo.insert(expr.to_owned(), parsed.clone());
    parsed
}

fn parse_cron_uncached(expr: &str) -> Result<Cron, String> {
    if expr.split_whitespace().count() != 6 {
        return Err(format!(
            "expected 6 fields (sec min hour day-of-month month day-of-week), found {}",
            expr.split_whitespace().count()
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| e.to_string())
}

/// The first time strictly after `now` that `expr` fires; `None` if it never does.
pub fn next_cron(expr: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    parse_cron(expr)
        .ok()?
        .find_next_occurrence(&now, false)
        .ok()
}

/// Why a feed is due when it is.
#[derive(Debug, Clone, PartialEq)]
pub struct NextDue {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// The longest a failing feed waits between tries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// Exponential backoff after `errors` consecutive failures: `base` doubling, capped
/// at [`MAX_BACKOFF`].
pub fn backoff(base: Duration, errors: u32) -> Duration {
    let factor = 1u32 << errors.saturating_sub(1).min(16);
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

fn human(d: Duration) -> String {
    match d.as_secs() {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{:.1} h", s as f64 / 3600.0),
    }
}

/// Up to a tenth of the schedule's period (at most a minute) after `slot`, at random,
/// so feeds that share a schedule do not all start in the same second.
fn jitter(schedule: &str, slot: DateTime<Utc>) -> chrono::Duration {
    let period = next_cron(schedule, slot).map_or(0, |n| (n - slot).num_seconds());
    let max = (period / 10).min(60);
    chrono::Duration::seconds(if max > 0 { fastrand::i64(0..=max) } else { 0 })
}

/// `now + d`, saturating at the latest representable time instead of overflowing.
fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Next due time after a run: the cron slot (plus jitter), pushed later by a server
/// hint (`hint`, e.g. Cache-Control max-age or Retry-After) or by the backoff after
/// `errors` consecutive failures (`backoff_base` doubling, plus up to 25% jitter,
/// capped at 24 h).
pub fn next_due(
    schedule: &str,
    now: DateTime<Utc>,
    hint: Option<(Duration, &str)>,
    errors: u32,
    backoff_base: Duration,
) -> NextDue {
    let mut due = match next_cron(schedule, now) {
        Some(at) => NextDue {
            at: at.checked_add_signed(jitter(schedule, at)).unwrap_or(at),
            reason: format!("schedule {schedule}"),
        },
        None => NextDue {
            at: after(now, Duration::from_secs(3600)),
            reason: "schedule never fires; hourly".into(),
        },
    };
    let mut push = |d: Duration, why: String| {
        let at = after(now, d);
        if at > due.at {
            due = NextDue { at, reason: why };
        }
    };
    if let Some((d, what)) = hint {
        // A server's hint (Retry-After, max-age, Expires, ttl) can say anything; no
        // more than the backoff cap is honoured.
        let d = d.min(MAX_BACKOFF);
        push(d, format!("{what} {}", human(d)));
    }
    if errors > 0 {
        let d = backoff(backoff_base, errors)
            .mul_f64(1.0 + fastrand::f64() * 0.25)
            .min(MAX_BACKOFF);
        push(d, format!("backoff after {errors} error(s): {}", human(d)));
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn hourly_cron_fires_on_the_hour() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 10, 20, 0).unwrap();
        assert_eq!(
            next_cron("0 0 * * * *", now),
            Some(Utc.with_ymd_and_hms(2026, 1, 1, 11, 0, 0).unwrap())
        );
    }

    #[test]
    fn five_field_cron_is_refused() {
        assert!(parse_cron("0 * * * *").unwrap_err().contains("6 fields"));
        assert!(parse_cron("0 0 * * * * *").is_err());
        assert!(parse_cron("x 0 * * * *").is_err());
    }

    #[test]
    fn a_remembered_parse_is_the_same_as_a_fresh_one() {
        for e in ["0 0 * * * *", "0 */5 * * * *", "0 * * * *", "x 0 * * * *"] {
            for _ in 0..2 {
                assert_eq!(parse_cron(e), parse_cron_uncached(e), "{e}");
            }
        }
        // More expressions than are kept: older ones are forgotten, never mixed up.
        for round in 0..2 {
            for i in 0..300 {
                let e = format!("{} {} * * * *", i % 60, i / 60);
                assert_eq!(
                    parse_cron(&e),
                    parse_cron_uncached(&e),
                    "{e} (round {round})"
                );
            }
        }
    }

    #[test]
    fn a_far_future_server_delay_is_clamped_to_the_backoff_cap_instead_of_overflowing() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 10, 59, 0).unwrap();
        for secs in [10_000_000_000_000, u64::MAX, 1 << 40] {
            let hint = Some((Duration::from_secs(secs), "server asked to retry after"));
            let d = next_due("0 0 * * * *", now, hint, 0, FIVE_MIN);
            assert_eq!(d.at, now + chrono::Duration::hours(24), "{secs}");
            assert!(d.reason.contains("24.0 h"), "{}", d.reason);
            // With backoff on top, still no overflow and still capped.
            let d = next_due("0 0 * * * *", now, hint, 30, FIVE_MIN);
            assert!(d.at <= now + chrono::Duration::hours(24));
        }
        // Near the end of representable time, adding saturates.
        assert_eq!(
            after(DateTime::<Utc>::MAX_UTC, MAX_BACKOFF),
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn backoff_grows_and_caps() {
        let base = Duration::from_secs(300);
        assert_eq!(backoff(base, 1), Duration::from_secs(300));
        assert_eq!(backoff(base, 2), Duration::from_secs(600));
        assert_eq!(backoff(base, 30), MAX_BACKOFF);
    }

    const FIVE_MIN: Duration = Duration::from_secs(300);

    #[test]
    fn hints_and_backoff_only_push_later() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 10, 59, 0).unwrap();
        let slot = Utc.with_ymd_and_hms(2026, 1, 1, 11, 0, 0).unwrap();
        for _ in 0..50 {
            let short = Some((Duration::from_secs(10), "max-age"));
            let d = next_due("0 0 * * * *", now, short, 0, FIVE_MIN);
            assert!(
                d.at >= slot && d.at <= slot + chrono::Duration::seconds(60),
                "{}",
                d.at
            );
            let d = next_due("0 0 * * * *", now, None, 3, FIVE_MIN);
            let base = now + chrono::Duration::minutes(20);
            assert!(
                d.at >= base && d.at <= base + chrono::Duration::minutes(5),
                "{}",
                d.at
            );
            assert!(d.reason.starts_with("backoff after 3"));
        }
        let long = Some((Duration::from_secs(7200), "max-age"));
        let d = next_due("0 0 * * * *", now, long, 0, FIVE_MIN);
        assert_eq!(d.at, now + chrono::Duration::hours(2));
        assert!(d.reason.starts_with("max-age"));
        let d = next_due("0 0 * * * *", now, None, 40, FIVE_MIN);
        assert!(d.at <= now + chrono::Duration::hours(24));
    }
}
