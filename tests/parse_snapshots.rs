//! Snapshot and robustness tests for `ketlit::parse::parse_document` over the feed fixtures.

use std::path::{Path, PathBuf};

use ketlit::model::{Format, Kind};
use ketlit::parse::{ParseError, parse_document};

mod hostile_inputs;

fn fixture_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn parse_fixture(rel: &str) -> Result<ketlit::model::ParsedFeed, ParseError> {
    let path = fixture_path(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(rel);
    parse_document(&bytes, None, Kind::Auto, name)
}

macro_rules! snapshot_test {
    ($test:ident, $file:expr) => {
        #[test]
        fn $test() {
            let parsed = parse_fixture($file).unwrap_or_else(|e| panic!("{e}"));
            insta::assert_json_snapshot!(parsed);
        }
    };
}

snapshot_test!(pubmed_rss2, "feeds/pubmed_rss2.xml");
snapshot_test!(nature_rdf, "feeds/nature_rdf.xml");
snapshot_test!(elsevier_toc_rss2, "feeds/elsevier_toc_rss2.xml");
snapshot_test!(arxiv_atom, "feeds/arxiv_atom.xml");
snapshot_test!(journal_atom03, "feeds/journal_atom03.xml");
snapshot_test!(jsonfeed, "feeds/jsonfeed.json");
snapshot_test!(windows1252_rss2, "feeds/windows1252_rss2.xml");
snapshot_test!(latin1_rss091, "feeds/latin1_rss091.xml");
snapshot_test!(rss090, "feeds/rss090.xml");
snapshot_test!(rss092, "feeds/rss092.xml");
snapshot_test!(html_entities_rss2, "feeds/html_entities_rss2.xml");
snapshot_test!(utf16_bom_atom, "feeds/utf16_bom_atom.xml");
snapshot_test!(real_biorxiv_rss1, "real/biorxiv/rss_1.0_biorxiv.xml");
// API documents (sniffed without a declared kind).
snapshot_test!(real_pubmed_38011560, "real/pubmed/38011560.xml");
snapshot_test!(real_pubmed_33856845, "real/pubmed/33856845.xml");
snapshot_test!(real_pubmed_34843274, "real/pubmed/34843274.xml");
snapshot_test!(real_pubmed_37822558, "real/pubmed/37822558.xml");
snapshot_test!(real_pubmed5, "real/pubmed/pubmed5.xml");
snapshot_test!(
    real_europepmc_core,
    "real/europepmc/search_cancer_core.json"
);
snapshot_test!(
    real_europepmc_lite,
    "real/europepmc/search_cancer_page2.json"
);
snapshot_test!(
    real_ctgov_nct03418623,
    "real/clinicaltrials/NCT03418623.json"
);
snapshot_test!(
    real_ctgov_nct03630471,
    "real/clinicaltrials/NCT03630471.json"
);
snapshot_test!(
    api_biorxiv_details,
    "api/biorxiv/details_medrxiv_synthetic.json"
);
snapshot_test!(api_biorxiv_pubs, "api/biorxiv/pubs_medrxiv_synthetic.json");

#[test]
fn formats_are_sniffed() {
    let cases = [
        ("feeds/pubmed_rss2.xml", Format::Rss2),
        ("feeds/nature_rdf.xml", Format::Rss1),
        ("feeds/arxiv_atom.xml", Format::Atom10),
        ("feeds/journal_atom03.xml", Format::Atom03),
        ("feeds/jsonfeed.json", Format::JsonFeed),
        ("feeds/latin1_rss091.xml", Format::Rss091),
        ("feeds/rss090.xml", Format::Rss090),
        ("feeds/rss092.xml", Format::Rss092),
        ("feeds/utf16_bom_atom.xml", Format::Atom10),
    ];
    for (file, want) in cases {
        let got = parse_fixture(file)
            .unwrap_or_else(|e| panic!("{e}"))
            .feed
            .format;
        assert_eq!(got, want, "{file}");
    }
}

#[test]
fn malformed_fixtures_fail_with_one_line_errors() {
    // (file, expected line for XML/JSON syntax errors)
    let cases: [(&str, Option<usize>); 4] = [
        ("malformed_unclosed.xml", Some(12)),
        ("malformed_truncated.xml", Some(12)),
        ("malformed.json", Some(5)),
        ("not_a_feed.html", None),
    ];
    for (file, line) in cases {
        let err = match parse_fixture(&format!("feeds/{file}")) {
            Ok(_) => panic!("{file} parsed but must fail"),
            Err(e) => e,
        };
        let msg = err.to_string();
        assert!(!msg.contains('\n'), "{file}: multi-line error: {msg:?}");
        assert!(
            msg.starts_with(&format!("{file}: ")),
            "{file}: error does not name the file: {msg}"
        );
        assert_eq!(err.line(), line, "{file}: {msg}");
        if let Some(l) = line {
            assert!(msg.contains(&format!(": line {l}: ")), "{msg}");
        }
    }
    let html = parse_fixture("feeds/not_a_feed.html")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        html.as_deref(),
        Some("not_a_feed.html: not a feed: root element <html>")
    );
    let unclosed = parse_fixture("feeds/malformed_unclosed.xml")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        unclosed.as_deref(),
        Some("malformed_unclosed.xml: line 12: mismatched closing tag </item> (expected </title>)")
    );
}

#[test]
fn real_biorxiv_entries_are_complete() {
    let feed = parse_fixture("real/biorxiv/rss_1.0_biorxiv.xml").unwrap_or_else(|e| panic!("{e}"));
    assert!(!feed.entries.is_empty());
    for e in &feed.entries {
        assert!(e.title.is_some(), "no title: {e:?}");
        assert!(e.link.is_some(), "no link: {e:?}");
        assert!(
            e.doi.as_deref().is_some_and(|d| d.starts_with("10.1101/")),
            "no doi: {e:?}"
        );
        assert!(e.published.is_some(), "no date: {e:?}");
    }
}

#[test]
fn windows1252_decodes_to_exact_utf8() {
    let feed = parse_fixture("feeds/windows1252_rss2.xml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        feed.feed.title.as_deref(),
        Some("Revue canadienne de psychiatrie \u{2013} articles récents")
    );
    let first = &feed.entries[0];
    assert_eq!(
        first.title.as_deref(),
        Some("\u{201c}Rapid relief\u{201d}: ketamine clinics in Montréal")
    );
    assert_eq!(
        first.summary.as_deref(),
        Some(
            "Patients\u{2019} experiences of ketamine treatment in Montréal and Québec City \u{2014} a qualitative study."
        )
    );
    assert_eq!(first.authors, ["Renée Tremblay"]);
    let latin1 = parse_fixture("feeds/latin1_rss091.xml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        latin1.entries[0].title.as_deref(),
        Some("Esketamin-Nasenspray: Erfahrungen aus der Praxis in München")
    );
}

#[test]
fn http_charset_is_used_without_declaration() {
    let doc = b"<rss version=\"2.0\"><channel><title>Caf\xe9</title><item><title>Montr\xe9al</title></item></channel></rss>";
    let feed = parse_document(
        doc,
        Some("application/rss+xml; charset=ISO-8859-1"),
        Kind::Auto,
        "x",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(feed.feed.title.as_deref(), Some("Café"));
    assert_eq!(feed.entries[0].title.as_deref(), Some("Montréal"));
}

#[test]
fn declared_kind_must_match() {
    let bytes = std::fs::read(fixture_path("feeds/arxiv_atom.xml")).unwrap_or_default();
    let err = parse_document(&bytes, None, Kind::Rss, "arxiv_atom.xml")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("arxiv_atom.xml: declared kind rss but the document is Atom 1.0")
    );
    assert!(parse_document(&bytes, None, Kind::Atom, "a").is_ok());
    let rdf = std::fs::read(fixture_path("feeds/nature_rdf.xml")).unwrap_or_default();
    assert!(parse_document(&rdf, None, Kind::Rdf, "n").is_ok());
    assert!(parse_document(&rdf, None, Kind::Rss, "n").is_ok());
    let rss2 = std::fs::read(fixture_path("feeds/pubmed_rss2.xml")).unwrap_or_default();
    assert!(parse_document(&rss2, None, Kind::Rdf, "p").is_err());
    assert!(parse_document(&rss2, None, Kind::JsonFeed, "p").is_err());
}

#[test]
fn api_kinds_name_what_they_found() {
    // Each API kind refuses a document of another kind with a one-line error.
    let cases: [(Kind, &[u8], &str); 5] = [
        (
            Kind::Pubmed,
            b"{\"resultList\":{\"result\":[]}}",
            "Europe PMC JSON",
        ),
        (
            Kind::EuropePmc,
            b"{\"studies\":[]}",
            "ClinicalTrials.gov JSON",
        ),
        (Kind::Biorxiv, b"<PubmedArticleSet/>", "PubMed XML"),
        (
            Kind::Ctgov,
            b"{\"messages\":[],\"collection\":[]}",
            "bioRxiv API JSON",
        ),
        (
            Kind::Arxiv,
            b"<rss version=\"2.0\"><channel/></rss>",
            "RSS 2.0",
        ),
    ];
    for (kind, doc, found) in cases {
        match parse_document(doc, None, kind, "src") {
            Err(e @ ParseError::KindMismatch { .. }) => {
                let msg = e.to_string();
                assert!(msg.starts_with("src: declared kind"), "{msg}");
                assert!(msg.ends_with(found), "{kind}: {msg}");
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
    let empty = b"<?xml version=\"1.0\"?><PubmedArticleSet><PubmedArticle/></PubmedArticleSet>";
    let feed = parse_document(empty, None, Kind::Auto, "o").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(feed.feed.format, Format::Pubmed);
}

#[test]
fn non_feed_roots_are_named() {
    let cases: [(&[u8], &str); 3] = [
        (
            b"<responseWrapper><x/></responseWrapper>",
            "root element <responseWrapper>",
        ),
        (b"   ", "empty document"),
        (
            b"{\"hello\": 1}",
            "JSON document without a https://jsonfeed.org/version/ version",
        ),
    ];
    for (doc, want) in cases {
        let msg = parse_document(doc, None, Kind::Auto, "o")
            .err()
            .map(|e| e.to_string());
        assert_eq!(msg, Some(format!("o: not a feed: {want}")));
    }
}

#[test]
fn rdf_root_with_other_prefix() {
    let doc = br#"<?xml version="1.0"?>
<r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel><title>T</title><link>https://e.org/</link></channel>
<item><title>Ketamine</title><link>https://e.org/1</link></item>
</r:RDF>"#;
    let feed = parse_document(doc, None, Kind::Auto, "o").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(feed.feed.format, Format::Rss1);
    assert_eq!(feed.entries.len(), 1);
}

#[test]
fn hostile_input_never_panics() {
    // Deterministic pseudo-random bytes (xorshift), with and without an XML/JSON prefix.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..300 {
        let len = (next() % 2048) as usize;
        let mut doc: Vec<u8> = match round % 4 {
            0 => b"<rss version=\"2.0\"><channel><item><title>".to_vec(),
            1 => {
                b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title type=\"html\">".to_vec()
            }
            2 => b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[".to_vec(),
            _ => Vec::new(),
        };
        doc.extend((0..len).map(|_| (next() & 0xff) as u8));
        let _ = parse_document(&doc, None, Kind::Auto, "random");
        let _ = parse_document(&doc, Some("text/xml; charset=utf-16"), Kind::Auto, "random");
    }

    let depth = 100_000;
    let mut nested = String::from("<rss version=\"2.0\"><channel><item><description>");
    nested.push_str(&"<a>".repeat(depth));
    nested.push_str(&"</a>".repeat(depth));
    nested.push_str("</description></item></channel></rss>");
    let _ = parse_document(nested.as_bytes(), None, Kind::Auto, "nested");
    let mut nested_atom =
        String::from("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content type=\"xhtml\">");
    nested_atom.push_str(&"<div>".repeat(depth));
    nested_atom.push_str(&"</div>".repeat(depth));
    nested_atom.push_str("</content></entry></feed>");
    let _ = parse_document(nested_atom.as_bytes(), None, Kind::Auto, "nested");
    let deep_json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let _ = parse_document(deep_json.as_bytes(), None, Kind::Auto, "deep-json");
    let deep_obj = format!("{{\"version\":{}", "[".repeat(depth));
    let _ = parse_document(deep_obj.as_bytes(), None, Kind::Auto, "deep-json");

    let huge_attr = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><link href=\"{}\"/><title x='{}'>t</title></entry></feed>",
        "h".repeat(5_000_000),
        "&amp;".repeat(200_000)
    );
    let _ = parse_document(huge_attr.as_bytes(), None, Kind::Auto, "huge");
    let entity_storm = format!(
        "<rss version=\"2.0\"><channel><title>{}</title></channel></rss>",
        "&eacute;&bogus;&".repeat(100_000)
    );
    let feed = parse_document(entity_storm.as_bytes(), None, Kind::Auto, "storm");
    assert!(feed.is_ok());

    hostile_inputs::large_non_ascii();
    hostile_inputs::deep_nesting();
    hostile_inputs::utf16_documents();
    hostile_inputs::control_characters();
}

#[test]
fn html_pages_are_not_feeds() {
    let pages: [&[u8]; 4] = [
        b"<!doctype html>\n<html><head><meta charset=utf-8></head></html>",
        b"\xef\xbb\xbf<!DOCTYPE html><!-- c --><html lang=\"en\"><body>x</body></html>",
        b"<html>\n<body><p>unclosed<br></body>",
        b"  \n<HTML><BODY>Moved</BODY></HTML>",
    ];
    for page in pages {
        let msg = parse_document(page, Some("text/html"), Kind::Auto, "page")
            .err()
            .map(|e| e.to_string());
        let msg = msg.unwrap_or_default();
        assert!(msg.starts_with("page: not a feed: root element <"), "{msg}");
        assert!(msg.to_ascii_lowercase().contains("<html>"), "{msg}");
    }
}

#[test]
fn rss_ttl_is_read() {
    let feed = parse_fixture("feeds/pubmed_rss2.xml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(feed.feed.ttl_minutes, Some(60));
}

#[test]
fn rss_without_channel_is_an_empty_feed() {
    // Issue 20: an RSS root without a channel is still a feed, with no entries.
    let feed = parse_document(b"<rss><foo/></rss>", None, Kind::Auto, "o")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(feed.feed.format, Format::Rss2);
    assert!(feed.entries.is_empty());
}

/// An RSS document of `n` items, each with entities, HTML and identifiers.
fn big_feed(n: usize) -> String {
    let item = "<item><title>Ketamine &eacute; trial &amp; more</title><link>https://e.org/x</link>\
<description>&lt;p&gt;Esketamine R&amp;D abstract text NCT01234567 &lt;/p&gt;</description>\
<pubDate>Wed, 01 May 2024 12:00:00 GMT</pubDate><dc:identifier>doi:10.1000/xyz</dc:identifier></item>\n";
    let mut doc = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>T</title>\n",
    );
    for _ in 0..n {
        doc.push_str(item);
    }
    doc.push_str("</channel></rss>\n");
    doc
}

#[test]
fn large_feed_parses_linearly() {
    // Guards against quadratic behaviour by a ratio, not a wall-clock bound: eight
    // times the items may take at most some twenty times as long (quadratic would be
    // sixty-four). Each size's best of a few runs, so one slow run cannot decide.
    let time = |n: usize, runs: usize| {
        let doc = big_feed(n);
        (0..runs)
            .map(|_| {
                let t = std::time::Instant::now();
                let feed = parse_document(doc.as_bytes(), None, Kind::Auto, "big")
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(feed.entries.len(), n);
                assert_eq!(
                    feed.entries[n - 1].title.as_deref(),
                    Some("Ketamine é trial & more")
                );
                t.elapsed()
            })
            .min()
            .unwrap()
    };
    let small = time(1_250, 5);
    let large = time(10_000, 2);
    assert!(
        large < small * 20,
        "{small:?} for 1,250 items, {large:?} for 10,000"
    );
}

#[test]
fn a_reference_to_no_character_becomes_a_replacement_character() {
    // The entity pre-pass repairs it rather than failing the whole feed.
    let doc = b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\">\n<channel>\n<title>x &#xD800; y</title></channel></rss>";
    let feed = parse_document(doc, None, Kind::Auto, "o").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(feed.feed.title.as_deref(), Some("x \u{fffd} y"));
}
