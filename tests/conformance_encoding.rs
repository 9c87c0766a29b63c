//! Conformance cases for character encodings and entities (issue 20, classes 2 and 6),
//! written from XML 1.0 Appendix F, RFC 7303, WHATWG Encoding and the HTML 4 entity list;
//! plus the 64 KiB entity-scan regression (issue 18), through the library and through the
//! real binary. Dates (class 7) are in `conformance_dates.rs`.

use std::process::Output;

#[path = "common/http_server.rs"]
mod http_server;
#[path = "common/test_home.rs"]
mod test_home;

use http_server::{Reply, Routes, TestServer};

test_home::home_newtype!(Home);

use ketlit::model::{Kind, ParsedFeed};
use ketlit::parse::parse_document;

fn parse(bytes: &[u8], content_type: Option<&str>) -> ParsedFeed {
    parse_document(bytes, content_type, Kind::Auto, "case").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `ketlit` with `args` in a home with a config that has no feeds.
fn ketlit(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "include_builtin_feeds = false\n[http]\nuser_agent = \"ketlit-test/1\"\nper_host_interval_ms = 0\n",
    )
    .unwrap();
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

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/conformance/encoding")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The feed's title and its first entry's title.
fn titles(feed: &ParsedFeed) -> (&str, &str) {
    let first = feed.entries.first().expect("an entry");
    (
        feed.feed.title.as_deref().unwrap_or_default(),
        first.title.as_deref().unwrap_or_default(),
    )
}

/// One conformance case: parse the fixture (served with the Content-Type, if
/// any), check both titles, and snapshot the whole parse.
macro_rules! titles_case {
    ($test:ident, $file:expr, $content_type:expr, $feed_title:expr, $item_title:expr) => {
        #[test]
        fn $test() {
            let feed = parse(&fixture($file), $content_type);
            assert_eq!(titles(&feed), ($feed_title, $item_title));
            insta::assert_json_snapshot!(feed);
        }
    };
}

const T: &str = "Café — “quoted” ☕";

// Class 2: encodings. XML 1.0 Appendix F: BOMs, and the zero-byte patterns without them.
titles_case!(enc_utf8_bom, "utf8_bom.xml", None, T, T);
titles_case!(enc_utf16le_bom, "utf16le_bom.xml", None, T, T);
titles_case!(enc_utf16be_bom, "utf16be_bom.xml", None, T, T);
titles_case!(enc_utf16le_nobom, "utf16le_nobom.xml", None, T, T);
titles_case!(enc_utf16be_nobom, "utf16be_nobom.xml", None, T, T);
titles_case!(
    enc_utf16le_nobom_nodecl,
    "utf16le_nobom_nodecl.xml",
    None,
    T,
    T
);
titles_case!(
    enc_utf16be_nobom_nodecl,
    "utf16be_nobom_nodecl.xml",
    None,
    T,
    T
);
titles_case!(
    enc_utf16le_bom_leading_ws,
    "utf16le_bom_leading_ws.xml",
    None,
    T,
    T
);
titles_case!(enc_utf32le_bom, "utf32le_bom.xml", None, T, T);
titles_case!(enc_utf32be_bom, "utf32be_bom.xml", None, T, T);
titles_case!(enc_utf32le_nobom, "utf32le_nobom.xml", None, T, T);
titles_case!(enc_utf32be_nobom, "utf32be_nobom.xml", None, T, T);
titles_case!(
    enc_utf32le_nobom_nodecl,
    "utf32le_nobom_nodecl.xml",
    None,
    T,
    T
);
titles_case!(
    enc_utf32be_nobom_nodecl,
    "utf32be_nobom_nodecl.xml",
    None,
    T,
    T
);
// A BOM outranks a served charset that contradicts it (RFC 7303 section 3).
titles_case!(
    enc_bom_beats_served_charset,
    "utf16be_bom.xml",
    Some("application/rss+xml; charset=iso-8859-1"),
    T,
    T
);
// A served unmarked "utf-16" takes its byte order from the bytes.
titles_case!(
    enc_served_utf16_takes_the_byte_order_of_the_bytes,
    "utf16be_nobom_nodecl.xml",
    Some("text/xml; charset=utf-16"),
    T,
    T
);
// Legacy encodings named in the XML declaration.
titles_case!(
    enc_big5,
    "legacy_big5.xml",
    None,
    "臺灣 新聞 研究",
    "臺灣 新聞 研究"
);
titles_case!(
    enc_euc_kr,
    "legacy_euckr.xml",
    None,
    "한국어 뉴스 연구",
    "한국어 뉴스 연구"
);
titles_case!(
    enc_gb2312,
    "legacy_gb2312.xml",
    None,
    "中文 新闻 研究",
    "中文 新闻 研究"
);
titles_case!(
    enc_gbk,
    "legacy_gbk.xml",
    None,
    "中文 新聞 研究",
    "中文 新聞 研究"
);
titles_case!(
    enc_shift_jis,
    "legacy_shiftjis.xml",
    None,
    "日本語 ニュース 研究",
    "日本語 ニュース 研究"
);
titles_case!(
    enc_euc_jp,
    "legacy_eucjp.xml",
    None,
    "日本語 ニュース 研究",
    "日本語 ニュース 研究"
);
titles_case!(
    enc_windows1251,
    "legacy_windows1251.xml",
    None,
    "Кетамин и депрессия",
    "Кетамин и депрессия"
);
// WHATWG: the label ISO-8859-1 means windows-1252.
titles_case!(
    enc_latin1_label_is_windows1252,
    "latin1_label_smart_quotes.xml",
    None,
    "“Montréal” – ‘naïve’ …",
    "Cost: 5 € ™"
);
// RFC 7303: the served charset outranks the XML declaration.
titles_case!(
    enc_served_charset_beats_declaration,
    "declared_latin1_is_utf8.xml",
    Some("application/rss+xml; charset=utf-8"),
    "Café",
    "Münch"
);
titles_case!(
    enc_served_charset_beats_declaration_text_xml,
    "declared_koi8r_is_1251.xml",
    Some("text/xml; charset=windows-1251"),
    "Кетамин",
    "Депрессия"
);
titles_case!(
    enc_served_charset_without_declaration,
    "undeclared_latin1.xml",
    Some("application/xml; charset=\"ISO-8859-1\""),
    "Café",
    "Münch"
);
// text/xml without a charset has no us-ascii default under RFC 7303: the declaration decides.
titles_case!(
    enc_text_xml_without_charset_uses_declaration,
    "legacy_windows1251.xml",
    Some("text/xml"),
    "Кетамин и депрессия",
    "Кетамин и депрессия"
);
// Served as UTF-8 but not UTF-8: the declaration is the next witness.
titles_case!(
    enc_served_utf8_over_latin1_bytes_falls_back_to_declaration,
    "latin1_label_smart_quotes.xml",
    Some("text/xml; charset=UTF-8"),
    "“Montréal” – ‘naïve’ …",
    "Cost: 5 € ™"
);
// An unknown served label is no label.
titles_case!(
    enc_unknown_served_charset_is_ignored,
    "legacy_big5.xml",
    Some("text/xml; charset=x-no-such-thing"),
    "臺灣 新聞 研究",
    "臺灣 新聞 研究"
);
// A UTF-16 label on bytes that read as ASCII is a lie.
titles_case!(
    enc_utf16_declared_over_ascii_bytes,
    "declared_utf16_is_ascii.xml",
    None,
    "Plain",
    "ASCII"
);
titles_case!(
    enc_utf16_served_over_ascii_bytes,
    "declared_utf8_is_latin1.xml",
    Some("text/xml; charset=utf-16"),
    "Caf\u{fffd}",
    "M\u{fffd}nch"
);

// Class 6: entities.
titles_case!(
    ent_dtd_entities_in_text,
    "dtd_entities.xml",
    None,
    "Journal of Ketamine Studies & Co — é",
    "Journal of Ketamine Studies news"
);
titles_case!(
    ent_numeric_references_x_and_upper_x,
    "numeric_references.xml",
    None,
    "———ééé",
    "“q” – ’s"
);
titles_case!(
    ent_stray_ampersands,
    "stray_ampersands.xml",
    None,
    "AT&T & friends",
    "Q&A: a=1&b=2"
);
titles_case!(
    ent_unknown_entity_kept_as_text,
    "unknown_entity.xml",
    None,
    "&bogus; &",
    "x &zzz y &123;"
);
titles_case!(
    ent_cdata_untouched,
    "entities_in_cdata.xml",
    None,
    "é & raw",
    "é &"
);

#[test]
fn ent_stray_ampersand_in_a_link() {
    let feed = parse(&fixture("stray_ampersands.xml"), None);
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("https://example.org/s?a=1&b=2&c=3")
    );
}

#[test]
fn ent_dtd_entity_in_a_link_and_an_attribute() {
    let feed = parse(&fixture("dtd_entities.xml"), None);
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("https://example.org/1")
    );
    let feed = parse(&fixture("dtd_entity_in_attribute.xml"), None);
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("https://example.org/a")
    );
    assert_eq!(feed.entries[0].categories, ["https://example.org"]);
    insta::assert_json_snapshot!(feed);
}

/// The 253 HTML 4 entities (HTML 4.01's 252 and XHTML's `apos`), name and code point.
fn html4_entities() -> Vec<(String, char)> {
    let list = String::from_utf8(fixture("html4_entity_names.txt")).unwrap();
    list.lines()
        .map(|l| {
            let (name, cp) = l.split_once(' ').unwrap();
            (
                name.to_string(),
                char::from_u32(cp.parse().unwrap()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn ent_all_html4_entities_in_text() {
    let want = html4_entities();
    assert_eq!(want.len(), 253);
    let feed = parse(&fixture("html4_entities_text.xml"), None);
    assert_eq!(feed.entries.len(), 253);
    for ((name, c), entry) in want.iter().zip(&feed.entries) {
        let title = entry.title.as_deref().unwrap_or_default();
        // Titles are whitespace-normalised, so the two spaces read as nothing.
        let expected = if matches!(name.as_str(), "nbsp" | "ensp" | "emsp" | "thinsp") {
            title.to_string()
        } else {
            c.to_string()
        };
        assert_eq!(title, expected, "&{name};");
        assert!(
            !title.contains('&') || name == "amp",
            "&{name}; left as {title:?}"
        );
    }
    insta::assert_json_snapshot!(feed);
}

#[test]
fn ent_all_html4_entities_in_attributes() {
    let want = html4_entities();
    let feed = parse(&fixture("html4_entities_attributes.xml"), None);
    let entry = &feed.entries[0];
    assert_eq!(
        entry.link.as_deref(),
        Some("https://example.org/?q=café&r=1")
    );
    let got: Vec<char> = entry
        .categories
        .iter()
        .filter_map(|c| c.chars().next())
        .collect();
    let missing: Vec<&str> = want
        .iter()
        .filter(|(_, c)| !c.is_whitespace() && !got.contains(c))
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "entities lost in attributes: {missing:?}"
    );
    insta::assert_json_snapshot!(feed);
}

#[test]
fn enc_parse_file_with_a_charset_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("koi8.xml");
    std::fs::write(&path, fixture("declared_koi8r_is_1251.xml")).unwrap();
    let out = ketlit(&["parse", path.to_str().unwrap(), "--charset", "windows-1251"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["feed"]["title"], "Кетамин");
    assert_eq!(json["entries"][0]["title"], "Депрессия");
}

#[test]
fn enc_a_bad_charset_label_is_a_one_line_error_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.xml");
    std::fs::write(&path, fixture("utf8_bom.xml")).unwrap();
    let out = ketlit(&["parse", path.to_str().unwrap(), "--charset", "klingon"]);
    // ketlit's exit status for bad usage, like a bad --kind.
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--charset") && stderr.contains("klingon"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn enc_parse_url_honours_the_served_charset() {
    let routes = Routes::new()
        .reply(
            "/koi8.xml",
            Reply::ok(fixture("declared_koi8r_is_1251.xml"))
                .header("Content-Type", "text/xml; charset=windows-1251"),
        )
        .reply(
            "/plain.xml",
            Reply::ok(fixture("declared_koi8r_is_1251.xml")).header("Content-Type", "text/xml"),
        );
    let server = TestServer::start(routes).await;
    let (served, plain) = (server.url("/koi8.xml"), server.url("/plain.xml"));
    let (a, b, c) = tokio::task::spawn_blocking(move || {
        (
            ketlit(&["parse", &served]),
            ketlit(&["parse", &plain]),
            ketlit(&["parse", &plain, "--charset", "cp1251"]),
        )
    })
    .await
    .unwrap();
    let title = |out: &Output| {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["feed"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(title(&a), "Кетамин");
    // Without a served charset the (wrong) koi8-r declaration decides.
    assert_ne!(title(&b), "Кетамин");
    assert_eq!(title(&c), "Кетамин");
}

/// Documents assembled at random from the fragments the decoder, the entity pass and the
/// date parser look at, some grown past 64 KiB, none of which may panic.
#[test]
fn hostile_fragments_never_panic_the_decoder_entity_pass_or_date_parser() {
    const FRAGMENTS: &[&str] = &[
        "&",
        "&#",
        "&#x",
        "&#X",
        ";",
        "9",
        "f",
        "é",
        "日",
        "☕",
        "<!DOCTYPE r [",
        "]>",
        ">",
        "<!ENTITY a \"",
        "<!ENTITY % p '",
        "\"",
        "'",
        "&a;",
        "<![CDATA[",
        "]]>",
        "\0",
        "\u{feff}",
        "<?xml version='1.0' encoding='",
        "utf-16",
        "big5",
        "'?>",
        "<rss>",
        "-",
        ":",
        "T",
        "Z",
        "+",
        " ",
        "W",
        ",",
        ".",
        "2024",
        "May",
        "GMT",
        "A",
    ];
    let mut rng = fastrand::Rng::with_seed(20);
    for round in 0..400 {
        let mut doc = String::new();
        let target = if round % 50 == 0 {
            70_000
        } else {
            rng.usize(0..200)
        };
        while doc.len() < target {
            doc.push_str(FRAGMENTS[rng.usize(..FRAGMENTS.len())]);
        }
        let fixed = ketlit::parse::encoding::fix_entities(&doc);
        assert!(fixed.len() <= doc.len() * 20 + 5 * 1024 * 1024);
        let mut bytes = doc.clone().into_bytes();
        if rng.bool() {
            let cut = rng.usize(..=bytes.len());
            bytes.truncate(cut);
        }
        for ct in [
            None,
            Some("text/xml; charset=utf-16be"),
            Some("text/xml; charset=utf-32"),
        ] {
            let _ = ketlit::parse::encoding::decode_document(&bytes, ct);
            let _ = parse_document(&bytes, ct, Kind::Auto, "hostile");
        }
        let _ = ketlit::normalize::dates::parse_date(&doc[..doc.floor(60)]);
    }
}

trait Floor {
    fn floor(&self, i: usize) -> usize;
}

impl Floor for String {
    /// The largest char boundary at or below `i`.
    fn floor(&self, i: usize) -> usize {
        (0..=i.min(self.len()))
            .rev()
            .find(|&j| self.is_char_boundary(j))
            .unwrap_or(0)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn enc_fetch_decodes_with_the_served_charset() {
    let routes = Routes::new().reply(
        "/koi8.xml",
        Reply::ok(fixture("declared_koi8r_is_1251.xml"))
            .header("Content-Type", "application/rss+xml; charset=windows-1251"),
    );
    let server = TestServer::start(routes).await;
    let home = Home(test_home::TestHome::new());
    home.write_config_with_feeds(
        "include_builtin_feeds = false\n[http]\nuser_agent = \"ketlit-test/1\"\nper_host_interval_ms = 0\n",
        &[("cyrillic", server.url("/koi8.xml"), "")],
    );
    let out = home.run(&["fetch"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = home.list_all().await.to_string();
    assert!(listed.contains("Депрессия"), "{listed}");
}
