//! User-facing query syntax: the `search` text turned into a safe FTS5 query, and the
//! `--since`/`--until` date forms.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

/// Turns a user's search text into an FTS5 query that cannot be a syntax error.
/// Words and "quoted phrases" are ANDed; `OR`, `AND`, `NOT` (upper case) and
/// parentheses pass through; `word*` is a prefix. Everything else is quoted, so
/// `treatment-resistant` or `(2R,6R)-HNK` search as phrases instead of failing.
/// Returns None when nothing searchable is left.
pub fn fts_query(input: &str) -> Option<String> {
    fts_query_expanding(input, |_| None).map(|q| q.text)
}

/// An FTS5 query and, for each of its phrases in order, the user's word or phrase
/// it came from: the terms a prefix expands to share one, so that ranking can count
/// them as the one word the user typed.
#[derive(Debug, Clone, PartialEq)]
pub struct FtsQuery {
    pub text: String,
    pub groups: Vec<usize>,
}

/// [`fts_query`], with each plain prefix (`word*`, ASCII letters and digits) offered
/// to `expand` as the token prefix FTS5 would match (lower case). When `expand`
/// returns the indexed terms that start with it, the prefix becomes their OR group:
/// the same matches, but FTS5 can walk them newest first and stop early, where a
/// prefix query first merges every matching row. `None` keeps the prefix as it is.
pub fn fts_query_expanding(
    input: &str,
    mut expand: impl FnMut(&str) -> Option<Vec<String>>,
) -> Option<FtsQuery> {
    let mut out: Vec<String> = Vec::new();
    let mut groups: Vec<usize> = Vec::new();
    let mut group = 0;
    let mut depth = 0i32;
    // FTS5 reads the query as a C string: a NUL inside a quoted term ends it early
    // ("unterminated string"), so control characters separate words like spaces.
    let cleaned: String;
    let input = if input.contains(char::is_control) {
        cleaned = input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        cleaned.as_str()
    } else {
        input
    };
    let mut chars = input.chars().peekable();
    let mut ignored = 0; // parentheses past MAX_GROUP_DEPTH, dropped with their closers
    let mut pending_op = false; // an operator was just emitted and needs an operand
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let phrase: String = chars.by_ref().take_while(|&c| c != '"').collect();
            if phrase.chars().any(char::is_alphanumeric) {
                join_operand(&mut out, false);
                out.push(quote(&phrase));
                groups.push(group);
                group += 1;
                pending_op = false;
            }
        } else if c == '(' {
            chars.next();
            if depth >= MAX_GROUP_DEPTH {
                ignored += 1;
                continue;
            }
            join_operand(&mut out, true);
            out.push("(".into());
            depth += 1;
            pending_op = true;
        } else if c == ')' {
            chars.next();
            if ignored > 0 {
                ignored -= 1;
            } else if depth > 0 && !pending_op {
                out.push(")".into());
                depth -= 1;
            }
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' || c == '(' || c == ')' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            match word.as_str() {
                "AND" | "OR" | "NOT" => {
                    let starts = out.is_empty() || out.last().is_some_and(|l| l == "(");
                    if !starts && !pending_op {
                        out.push(word);
                        pending_op = true;
                    }
                }
                _ => {
                    let prefix = word.ends_with('*');
                    let bare = word.trim_end_matches('*');
                    if bare.chars().any(char::is_alphanumeric) {
                        let terms = (prefix && bare.bytes().all(|b| b.is_ascii_alphanumeric()))
                            .then(|| expand(&bare.to_ascii_lowercase()))
                            .flatten()
                            .filter(|t| !t.is_empty());
                        join_operand(&mut out, terms.is_some());
                        out.push(match terms {
                            Some(t) => {
                                groups.extend(std::iter::repeat_n(group, t.len()));
                                format!(
                                    "( {} )",
                                    t.iter().map(|t| quote(t)).collect::<Vec<_>>().join(" OR ")
                                )
                            }
                            None => {
                                groups.push(group);
                                if prefix {
                                    format!("{}*", quote(bare))
                                } else {
                                    quote(bare)
                                }
                            }
                        });
                        group += 1;
                        pending_op = false;
                    }
                }
            }
        }
    }
    // Drop a dangling operator or empty group at the end.
    while out
        .last()
        .is_some_and(|l| matches!(l.as_str(), "AND" | "OR" | "NOT" | "("))
    {
        if out.pop().as_deref() == Some("(") {
            depth -= 1;
        }
    }
    if out.is_empty() {
        return None;
    }
    for _ in 0..depth {
        out.push(")".into());
    }
    Some(FtsQuery {
        text: out.join(" "),
        groups,
    })
}

/// How deep a search's parentheses may nest; deeper ones are dropped. FTS5's parser
/// stack overflows ("parser stack overflow") at some 32 levels of `( a AND`.
const MAX_GROUP_DEPTH: i32 = 16;

/// FTS5 ANDs two adjacent phrases implicitly, but a parenthesised group next to
/// anything is a syntax error there, so that junction gets an explicit `AND`.
fn join_operand(out: &mut Vec<String>, opens_group: bool) {
    let Some(last) = out.last() else { return };
    let after_phrase = last.ends_with('"') || last.ends_with("\"*");
    if last.ends_with(')') || (opens_group && after_phrase) {
        out.push("AND".into());
    }
}

/// Parses `--since`/`--until`: `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, an RFC 3339 time, or a
/// span back from `now`: `7d`, `12w`, `6m` (30-day months), `1y`.
pub fn parse_when(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Some(num) = s.strip_suffix(['d', 'w', 'm', 'y'])
        && let Ok(n) = num.parse::<i64>()
    {
        let per = match s.as_bytes()[s.len() - 1] {
            b'd' => 1,
            b'w' => 7,
            b'm' => 30,
            _ => 365,
        };
        if n < 0 {
            return Err(format!("{s:?}: a span back from now cannot be negative"));
        }
        return n
            .checked_mul(per)
            .and_then(Duration::try_days)
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| format!("{s:?} is too far back"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d"))
        .or_else(|_| NaiveDate::parse_from_str(&format!("{s}-01-01"), "%Y-%m-%d"))
        .map_err(|_| {
            format!(
                "{s:?} is not a date (use YYYY-MM-DD, YYYY-MM, YYYY, RFC 3339, or 7d, 12w, 6m, 1y)"
            )
        })?;
    Ok(Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default()))
}

/// The exclusive end of an `--until` value: a bare date includes that whole day
/// (month, year).
pub fn parse_until(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let start = parse_when(s, now)?;
    let t = s.trim();
    let is_date = |len: usize| t.len() == len && t.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    Ok(if is_date(10) {
        start.checked_add_signed(Duration::days(1)).unwrap_or(start)
    } else if is_date(7) {
        start
            .date_naive()
            .checked_add_months(chrono::Months::new(1))
            .map_or(start, |d| {
                Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            })
    } else if is_date(4) {
        start
            .date_naive()
            .checked_add_months(chrono::Months::new(12))
            .map_or(start, |d| {
                Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            })
    } else {
        start
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_words_and_keeps_operators() {
        assert_eq!(fts_query("ketamine").as_deref(), Some("\"ketamine\""));
        assert_eq!(
            fts_query("esketamine OR arketamine").as_deref(),
            Some("\"esketamine\" OR \"arketamine\"")
        );
        assert_eq!(
            fts_query("treatment-resistant depress*").as_deref(),
            Some("\"treatment-resistant\" \"depress\"*")
        );
        assert_eq!(
            fts_query("\"nasal spray\" NOT rat").as_deref(),
            Some("\"nasal spray\" NOT \"rat\"")
        );
        assert_eq!(
            fts_query("(2R,6R)-HNK").as_deref(),
            Some("( \"2R,6R\" ) AND \"-HNK\"")
        );
    }

    #[test]
    fn plain_prefixes_expand_to_the_terms_offered() {
        let mut asked = Vec::new();
        let q = fts_query_expanding("Glutam* NOT rat* treatment-resist* \"nmda\"*", |p| {
            asked.push(p.to_owned());
            match p {
                "glutam" => Some(vec!["glutamate".into(), "glutamatergic".into()]),
                "rat" => Some(vec!["rat".into()]),
                _ => None,
            }
        });
        let q = q.unwrap();
        assert_eq!(
            q.text,
            "( \"glutamate\" OR \"glutamatergic\" ) NOT ( \"rat\" ) AND \"treatment-resist\"* \"nmda\""
        );
        // Both expansions of `glutam*` count as the one word typed.
        assert_eq!(q.groups, [0, 0, 1, 2, 3]);
        // Only plain ASCII words are offered; phrases and hyphenated words keep FTS5's
        // own prefix matching.
        assert_eq!(asked, ["glutam", "rat"]);
        // No terms (or too many) leaves the prefix to FTS5.
        assert_eq!(
            fts_query_expanding("ketamin*", |_| Some(Vec::new())).map(|q| q.text),
            Some("\"ketamin\"*".to_string())
        );
    }

    #[test]
    fn fts_query_group_next_to_a_phrase_is_not_an_fts5_syntax_error() {
        // Found by the search_query fuzz target: FTS5 has no implicit AND around groups.
        let q = fts_query_expanding("treatment-resistant depress*", |_| {
            Some(vec!["depression".into(), "depressive".into()])
        });
        assert_eq!(
            q.map(|q| q.text).as_deref(),
            Some("\"treatment-resistant\" AND ( \"depression\" OR \"depressive\" )")
        );
        assert_eq!(
            fts_query("ketamine (depression OR anxiety) rats").as_deref(),
            Some("\"ketamine\" AND ( \"depression\" OR \"anxiety\" ) AND \"rats\"")
        );
        assert_eq!(
            fts_query("(a) (b)").as_deref(),
            Some("( \"a\" ) AND ( \"b\" )")
        );
        assert_eq!(fts_query("a ( ) b").as_deref(), Some("\"a\" AND ( \"b\" )"));
        assert_eq!(fts_query("a (").as_deref(), Some("\"a\""));
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(a); INSERT INTO t VALUES ('x');")
            .unwrap();
        for input in [
            "ketamine (depression OR anxiety) rats",
            "(a) (b)",
            "a NOT (b) c",
        ] {
            let q = fts_query(input).unwrap();
            let run = conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&q], |r| {
                r.get::<_, i64>(0)
            });
            assert!(run.is_ok(), "{q}: {run:?}");
        }
    }

    #[test]
    fn fts_query_nul_in_a_word_is_not_an_unterminated_fts5_string() {
        // Found by the search_query fuzz target: "Mül\0ler" ended the FTS5 string at the NUL.
        assert_eq!(
            fts_query("Mül\0\0ler caf\u{1b}é*").as_deref(),
            Some("\"Mül\" \"ler\" \"caf\" \"é\"*")
        );
        assert_eq!(fts_query("\"a\0b\"").as_deref(), Some("\"a b\""));
        assert_eq!(fts_query("\0\u{7}"), None);
    }

    #[test]
    fn fts_query_deep_parentheses_do_not_overflow_the_fts5_parser() {
        // Found by the search_query fuzz target: 40 nested groups overflowed FTS5's stack.
        let input = format!("{}b{}", "(a ".repeat(100), ")".repeat(100));
        let q = fts_query(&input).unwrap();
        assert_eq!(q.matches('(').count(), MAX_GROUP_DEPTH as usize);
        assert_eq!(q.matches(')').count(), MAX_GROUP_DEPTH as usize);
        assert!(
            q.starts_with("( \"a\" AND ( ") && q.contains("\"a\" \"b\" ) )"),
            "{q}"
        );
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(a); INSERT INTO t VALUES ('a b');")
            .unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&q], |r| {
                r.get(0)
            })
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(n, 1);
        assert_eq!(
            fts_query("((((((((((((((((((x) y")
                .as_deref()
                .map(|q| q.matches('(').count()),
            Some(16)
        );
    }

    #[test]
    fn fts_query_repairs_dangling_syntax() {
        assert_eq!(
            fts_query("OR ketamine AND").as_deref(),
            Some("\"ketamine\"")
        );
        assert_eq!(
            fts_query("(ketamine OR").as_deref(),
            Some("( \"ketamine\" )")
        );
        assert_eq!(fts_query("ketamine)").as_deref(), Some("\"ketamine\""));
        assert_eq!(fts_query("a \"b"), Some("\"a\" \"b\"".into()));
        assert_eq!(fts_query("  * \"\" () "), None);
        assert_eq!(
            fts_query("say \"hi\"\"there\""),
            Some("\"say\" \"hi\" \"there\"".into())
        );
    }

    #[test]
    fn a_huge_or_negative_since_span_is_an_error_not_an_overflow() {
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
        for s in [
            "9223372036854775807w",
            "9223372036854775807y",
            "1317624576693539401m",
            "999999999d",
        ] {
            assert!(
                parse_when(s, now).unwrap_err().contains("too far back"),
                "{s}"
            );
        }
        assert!(parse_when("-5d", now).unwrap_err().contains("negative"));
    }

    #[test]
    fn parse_when_span_too_large_to_multiply_is_an_error() {
        // Found by the dates fuzz target: 7777777777777777777w overflowed the day count.
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
        for s in ["7777777777777777777w", "9223372036854775807y"] {
            let err = parse_when(s, now).unwrap_err();
            assert_eq!(err, format!("{s:?} is too far back"));
            assert!(parse_until(s, now).is_err());
        }
        assert_eq!(
            parse_when("25000000m", now).unwrap_err(),
            "\"25000000m\" is too far back"
        );
    }

    #[test]
    fn when_forms() {
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
        assert_eq!(parse_when("7d", now).unwrap(), now - Duration::days(7));
        assert_eq!(parse_when("2w", now).unwrap(), now - Duration::days(14));
        assert_eq!(
            parse_when("2024-05-01", now).unwrap(),
            Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(
            parse_when("2024", now).unwrap(),
            Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
        );
        assert!(
            parse_when("yesterday", now)
                .unwrap_err()
                .contains("not a date")
        );
        assert_eq!(
            parse_until("2024-05-01", now).unwrap(),
            Utc.with_ymd_and_hms(2024, 5, 2, 0, 0, 0).unwrap()
        );
        assert_eq!(
            parse_until("2024-12", now).unwrap(),
            Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
        );
    }
}
