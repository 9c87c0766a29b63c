//! A real ketlit database for the export/serve tests: fixtures ingested through the
//! library (PubMed RSS, a ClinicalTrials.gov study, bioRxiv preprints, Europe PMC
//! results), hand-made entries with awkward names and characters, and condition tags
//! written straight into `tags` (the tagger is built elsewhere).
//!
//! Include with `#[path = "common/corpus.rs"] mod corpus;`.
#![allow(dead_code)]

#[path = "fixtures.rs"]
mod fixtures;

use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use fixtures::{feed_config, fixture};
use ketlit::config::FeedConfig;
use ketlit::model::{Kind, RawEntry};
use ketlit::store::Store;

/// Title of the entry full of LaTeX and XML specials.
pub const NASTY_TITLE: &str =
    "Ketamine & NMDA: 50% {response} at $5 #1 a_b ~x^2 \\route — Müller's \"TRD\" p<0.05 trial";
pub const GROUP: &str = "NIMH Ketamine Study Group";

pub struct Corpus {
    /// Entry ids tagged `ptsd`.
    pub ptsd: Vec<i64>,
    pub trd: Vec<i64>,
    pub total: usize,
}

fn feed(name: &str, kind: Kind) -> FeedConfig {
    feed_config(name, kind, format!("https://example.org/{name}"))
}

fn ingest(store: &mut Store, feed: &str, kind: Kind, entries: Vec<RawEntry>) {
    let info = ketlit::model::FeedInfo {
        title: Some(format!("{feed} title")),
        link: None,
        format: kind.api_format().unwrap_or(ketlit::model::Format::Rss2),
        ttl_minutes: None,
    };
    store
        .ingest_entries(feed, info, entries, Vec::new())
        .unwrap();
}

fn parsed(name: &str, kind: Kind) -> Vec<RawEntry> {
    ketlit::parse::parse_document(&fixture(name), None, kind, name)
        .unwrap()
        .entries
}

fn handmade() -> Vec<RawEntry> {
    let recent = Utc::now() - Duration::days(20);
    let e = |guid: &str, title: &str, authors: &[&str], doi: Option<&str>| RawEntry {
        guid: Some(guid.into()),
        title: Some(title.into()),
        link: Some(format!("https://example.org/paper/{guid}?a=1&b=2")),
        summary: Some(format!(
            "Abstract of {guid}: 100% <safe> & {{braced}} text."
        )),
        published: Some(recent),
        authors: authors.iter().map(|a| a.to_string()).collect(),
        doi: doi.map(str::to_owned),
        journal: Some("Journal of Psychopharmacology & Affective Disorders".into()),
        ..Default::default()
    };
    vec![
        e(
            "nasty",
            NASTY_TITLE,
            &["Jan van der Berg", "Smith, J.", GROUP, "José García-López"],
            Some("10.1000/abc_def-1"),
        ),
        // Same first author, year and first word as the next one: keys must differ.
        e(
            "twin-a",
            "Ketamine for PTSD in veterans",
            &["Jan van der Berg", "Okafor CN"],
            Some("10.1000/twin-a"),
        ),
        e(
            "twin-b",
            "Ketamine for PTSD in first responders",
            &["Jan van der Berg"],
            Some("10.1000/twin-b"),
        ),
        RawEntry {
            guid: Some("old".into()),
            title: Some("Ketamine and obsessive-compulsive disorder: an older trial".into()),
            published: Some(Utc.with_ymd_and_hms(2023, 6, 15, 0, 0, 0).unwrap()),
            authors: vec!["Rodriguez CI".into()],
            pmid: Some("23000001".into()),
            ..Default::default()
        },
    ]
}

/// Builds the database at `db` and returns what was tagged.
pub fn build(db: &Path) -> Corpus {
    let mut store = Store::open(db).unwrap();
    let feeds = [
        feed("pubmed-rss", Kind::Auto),
        feed("clinicaltrials", Kind::Ctgov),
        feed("biorxiv", Kind::Biorxiv),
        feed("europepmc", Kind::EuropePmc),
        feed("handmade", Kind::Auto),
    ];
    store.sync_feeds(&feeds, Utc::now()).unwrap();
    ingest(
        &mut store,
        "pubmed-rss",
        Kind::Auto,
        parsed("feeds/pubmed_rss2.xml", Kind::Auto),
    );
    ingest(
        &mut store,
        "clinicaltrials",
        Kind::Ctgov,
        parsed("real/clinicaltrials/NCT03418623.json", Kind::Ctgov),
    );
    ingest(
        &mut store,
        "biorxiv",
        Kind::Biorxiv,
        parsed("api/biorxiv/details_medrxiv_synthetic.json", Kind::Biorxiv),
    );
    ingest(
        &mut store,
        "europepmc",
        Kind::EuropePmc,
        parsed("real/europepmc/search_cancer_core.json", Kind::EuropePmc),
    );
    ingest(&mut store, "handmade", Kind::Auto, handmade());

    let c = store.connection();
    let id_where = |sql: &str| -> Vec<i64> {
        let mut st = c
            .prepare(&format!("SELECT id FROM entries WHERE {sql} ORDER BY id"))
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let ptsd = id_where("title LIKE '%PTSD%' OR title LIKE '%post-traumatic%'");
    let trd = id_where("title LIKE '%treatment-resistant%' OR title LIKE '%TRD%'");
    let ocd = id_where("title LIKE '%obsessive%'");
    // A work's tags are lines of `entries.tags` (tag, field, start, end, phrase), in
    // display order: added here in that order (trd, ptsd, ocd, depression).
    let tag = |ids: &[i64], tag: &str| {
        for id in ids {
            c.execute(
                "UPDATE entries SET tags = tags || CASE tags WHEN '' THEN '' ELSE char(10) END
                     || ?2 || char(9) || 'title' || char(9) || '0' || char(9) || '1' || char(9) || ?2
                 WHERE id = ?1",
                rusqlite::params![id, tag],
            )
            .unwrap();
        }
    };
    tag(&trd, "trd");
    tag(&ptsd, "ptsd");
    tag(&ocd, "ocd");
    tag(&trd, "depression");
    let total = store.count_entries().unwrap() as usize;
    assert!(
        !ptsd.is_empty() && !trd.is_empty(),
        "corpus lacks tagged entries"
    );
    Corpus { ptsd, trd, total }
}
