//! Conformance cases for character encodings, entities and dates (issue 20, classes 2, 6 and
//! 7), written from XML 1.0 Appendix F, RFC 7303, the HTML 4 entity list, W3C-DTF, ISO 8601
//! and RFC 822/2822/5322; plus the 64 KiB entity-scan regression (issue 18), through the
//! library and through the real binary.

use std::process::Output;

use ketlit::model::{Kind, ParsedFeed};
use ketlit::parse::parse_document;

fn parse(bytes: &[u8], content_type: Option<&str>) -> ParsedFeed {
    parse_document(bytes, content_type, Kind::Auto, "case").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `ketlit` with `args` in an empty home.
fn ketlit(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    assert_cmd::Command::cargo_bin("ketlit")
        .unwrap()
        .args(args)
        .env("HOME", home.path())
        .env("KETLIT_CONFIG", home.path().join("config.toml"))
        .env("KETLIT_DB", home.path().join("db.sqlite"))
        .output()
        .unwrap()
}

/// An RSS 2.0 document over 64 KiB with a DOCTYPE and entities, whose byte 65,536 is the
/// second byte of an `é` (accented author names in a long page).
fn rss_cut_inside_a_char() -> Vec<u8> {
    let mut doc = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY pub \"Journal &amp; Co\">]>\n\
         <rss version=\"2.0\"><channel><title>&pub;</title><link>https://example.org/</link>\
         <description>d</description>\n",
    );
    let mut i = 0;
    while doc.len() < 70_000 {
        let item = format!(
            "<item><title>Étude {i} &amp; suite</title><link>https://example.org/{i}</link>\
             <author>Dupré</author></item>\n"
        );
        doc.push_str(&item);
        i += 1;
    }
    while doc.is_char_boundary(65_536) {
        doc.insert(doc.find("<item>").unwrap(), ' ');
    }
    doc.push_str("</channel></rss>\n");
    doc.into_bytes()
}

#[test]
fn an_entity_scan_cut_inside_a_utf8_character_does_not_panic() {
    let doc = rss_cut_inside_a_char();
    let feed = parse(&doc, None);
    assert!(feed.entries.len() > 300);
    assert_eq!(feed.entries[0].title.as_deref(), Some("Étude 0 & suite"));
}

#[test]
fn an_entity_scan_cut_inside_a_utf8_character_does_not_panic_in_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.xml");
    std::fs::write(&path, rss_cut_inside_a_char()).unwrap();
    let out = ketlit(&["parse", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["entries"].as_array().unwrap().len() > 300);
}
