//! Entry points shared by the cargo-fuzz targets in `fuzz/` and the stable corpus replay
//! test: each takes arbitrary bytes, drives one input-facing API, and panics only when
//! that API breaks one of its own promises (a panic inside the API is the bug itself).

use std::cell::RefCell;
use std::sync::OnceLock;

use chrono::{DateTime, TimeZone, Utc};

use crate::model::{Kind, RawEntry};
use crate::tag::{TagInput, Tagger};

/// One fuzz target's entry point.
pub type Entry = fn(&[u8]);

/// The fuzz targets, by the name of their `fuzz/fuzz_targets/*.rs` file and corpus folder.
pub const TARGETS: [(&str, Entry); 6] = [
    ("parse_document", parse_document),
    ("relevance_filter", relevance_filter),
    ("search_query", search_query),
    ("dates", dates),
    ("config", config),
    ("tagger", tagger),
];

/// Byte 0 picks the declared kind (and whether a UTF-16 or Latin-1 charset comes with
/// it); the rest is the document.
pub fn parse_document(data: &[u8]) {
    let Some((&sel, doc)) = data.split_first() else {
        return;
    };
    let kind = Kind::ALL[usize::from(sel) % Kind::ALL.len()];
    let content_type = match sel / 64 {
        1 => Some("application/xml; charset=utf-16"),
        2 => Some("text/xml; charset=iso-8859-1"),
        _ => None,
    };
    if let Err(e) = crate::parse::parse_document(doc, content_type, kind, "fuzz") {
        assert_one_line(&e.to_string());
    }
}

/// A feed filter: it parses or is refused with a column, its normal form parses back to
/// the same tree, and evaluating it on an entry terminates.
pub fn relevance_filter(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    let Ok(filter) = crate::relevance::Filter::parse(&src) else {
        return;
    };
    let printed = filter.to_string();
    let again = crate::relevance::Filter::parse(&printed)
        .unwrap_or_else(|e| panic!("normal form {printed:?} does not parse: {e:?}"));
    assert_eq!(filter.expr(), again.expr(), "normal form {printed:?}");
    let _ = filter.matches_entry(sample_entry());
}

/// A search box text: the translation is either nothing or a query FTS5 accepts on a
/// table shaped like the search index.
pub fn search_query(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let expand =
        |p: &str| (!p.len().is_multiple_of(3)).then(|| vec![p.to_string(), format!("{p}x")]);
    let Some(q) = crate::query::fts_query_expanding(&input, expand) else {
        return;
    };
    FTS.with(|conn| {
        let conn = conn.borrow();
        let mut stmt = conn
            .prepare_cached("SELECT count(*) FROM fts WHERE fts MATCH ?1")
            .unwrap_or_else(|e| panic!("prepare: {e}"));
        if let Err(e) = stmt.query_row([&q.text], |r| r.get::<_, i64>(0)) {
            panic!("FTS5 rejects {:?} (from {input:?}): {e}", q.text);
        }
    });
}

thread_local! {
    static FTS: RefCell<rusqlite::Connection> = RefCell::new(fts_table());
}

fn fts_table() -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    conn.execute_batch(
        "CREATE VIRTUAL TABLE fts USING fts5(title, abstract, authors, journal,
             tokenize = 'unicode61 remove_diacritics 2');
         INSERT INTO fts VALUES ('Ketamine for depression', 'An open-label trial', 'Lee A', 'BMJ'),
                                ('Esketamine nasal spray', 'Résumé: dépression', 'Roe B', 'JAMA');",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    conn
}

/// A feed date and a `--since`/`--until` value.
pub fn dates(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let _ = crate::normalize::dates::parse_date(&s);
    let now: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let _ = crate::query::parse_when(&s, now);
    let _ = crate::query::parse_until(&s, now);
}

/// A config file over the built-in defaults; a refusal is one line.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = crate::config::Config::from_str_with_origin(&text, "fuzz.toml") {
        assert_one_line(&e.to_string());
    }
}

/// An entry for the built-in tagger: fields separated by U+001E (title, abstract, MeSH,
/// keywords, publication types, conditions), list items by U+001F.
pub fn tagger(data: &[u8]) {
    static TAGGER: OnceLock<Tagger> = OnceLock::new();
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\u{1e}');
    let mut next = || fields.next().unwrap_or("");
    let (title, abstract_) = (next(), next());
    let mut list = || -> Vec<String> {
        let f = next();
        f.split('\u{1f}')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (mesh, keywords, publication_types, conditions) = (list(), list(), list(), list());
    let input = TagInput {
        title,
        abstract_,
        mesh: &mesh,
        keywords: &keywords,
        publication_types: &publication_types,
        conditions: &conditions,
    };
    let _ = TAGGER.get_or_init(Tagger::builtin).classify(&input);
}

fn sample_entry() -> &'static RawEntry {
    static ENTRY: OnceLock<RawEntry> = OnceLock::new();
    ENTRY.get_or_init(|| RawEntry {
        title: Some("Esketamine nasal spray in treatment-resistant depression".into()),
        summary: Some("Résumé: (2R,6R)-HNK, ketamine's metabolite, in mice.".into()),
        categories: vec!["Psychiatry".into()],
        mesh: vec!["Depressive Disorder, Treatment-Resistant".into()],
        ..RawEntry::default()
    })
}

fn assert_one_line(msg: &str) {
    assert!(
        !msg.contains(['\n', '\r']),
        "error is not one line: {msg:?}"
    );
}
