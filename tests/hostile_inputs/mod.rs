//! Hostile documents for `hostile_input_never_panics`: large non-ASCII documents, deep
//! nesting, UTF-16 and control characters, each parsed under every declared kind.

use ketlit::model::{Kind, ParsedFeed};
use ketlit::parse::parse_document;

/// Parses `doc` under every kind (and with a UTF-16 charset): no panic, and every refusal
/// is one line. Returns the auto-sniffed result.
pub fn parse_all_kinds(doc: &[u8], origin: &str) -> Option<ParsedFeed> {
    for kind in Kind::ALL {
        parse_one_line(doc, Some("text/xml; charset=utf-16"), kind, origin);
        parse_one_line(doc, None, kind, origin);
    }
    parse_one_line(doc, None, Kind::Auto, origin)
}

fn parse_one_line(doc: &[u8], ct: Option<&str>, kind: Kind, origin: &str) -> Option<ParsedFeed> {
    match parse_document(doc, ct, kind, origin) {
        Ok(feed) => Some(feed),
        Err(e) => {
            let msg = e.to_string();
            assert!(
                !msg.contains(['\n', '\r']),
                "{origin}: not one line: {msg:?}"
            );
            None
        }
    }
}

const NON_ASCII: [&str; 8] = [
    "Müller",
    "Ødegård",
    "Łukasz",
    "ケタミン",
    "氯胺酮",
    "депрессия",
    "🧠",
    "naïve",
];

/// `head` + numbered items + `tail`, over `size` bytes, padded so that a multi-byte
/// character covers byte `size` itself (where a byte-offset slice would split it).
fn grown(head: &str, item: impl Fn(usize) -> String, tail: &str, size: usize) -> (String, usize) {
    let mut body = String::new();
    let mut n = 0;
    while head.len() + body.len() < size + 1000 {
        body.push_str(&item(n));
        n += 1;
    }
    let lead = (size - 4000..)
        .find(|&i| body.as_bytes()[i - head.len()] >= 0xC2)
        .unwrap_or(size);
    let pad = " ".repeat(size - 1 - lead);
    (format!("{head}{pad}{body}{tail}"), n)
}

/// Valid RSS, Atom, JSON Feed and PubMed documents over 64 KiB and over 1 MiB, with
/// `&`, entities and non-ASCII text across the size boundary: all parse, every entry kept.
pub fn large_non_ascii() {
    for size in [64 * 1024, 1024 * 1024 + 7] {
        let word = |i: usize| NON_ASCII[i % NON_ASCII.len()];
        let rss_item = |i| {
            format!(
                "<item><title>{} &amp; ketamine {i}</title><description>{} &eacute; &</description></item>",
                word(i),
                word(i + 1)
            )
        };
        let atom_entry = |i| {
            format!(
                "<entry><id>u:{i}</id><title type=\"html\">{} &amp;amp; {}</title></entry>",
                word(i),
                word(i + 2)
            )
        };
        let json_item = |i| format!("{{\"id\":\"{i}\",\"title\":\"{} & ketamine\"}},", word(i));
        let pubmed = |i| {
            format!(
                "<PubmedArticle><MedlineCitation><PMID>{}</PMID><Article><ArticleTitle>{} &amp; \
                 ketamine</ArticleTitle></Article></MedlineCitation></PubmedArticle>",
                10_000_000 + i,
                word(i)
            )
        };
        let docs = [
            grown(
                "<rss version=\"2.0\"><channel><title>T</title>",
                rss_item,
                "</channel></rss>",
                size,
            ),
            grown(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title>",
                atom_entry,
                "</feed>",
                size,
            ),
            grown(
                "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"T\",\"items\":[",
                json_item,
                "{\"id\":\"last\"}]}",
                size,
            ),
            grown(
                "<!DOCTYPE PubmedArticleSet><PubmedArticleSet>",
                pubmed,
                "</PubmedArticleSet>",
                size,
            ),
        ];
        for (i, (doc, items)) in docs.iter().enumerate() {
            let origin = format!("large-{size}-{i}");
            // Every kind on the smaller size; the 1 MiB ones only as sniffed (debug speed).
            let feed = if size < 1024 * 1024 {
                parse_all_kinds(doc.as_bytes(), &origin)
            } else {
                parse_one_line(doc.as_bytes(), None, Kind::Auto, &origin)
            };
            let feed = feed.unwrap_or_else(|| panic!("{origin} does not parse"));
            let want = if i == 2 { items + 1 } else { *items };
            assert_eq!(feed.entries.len(), want, "{origin}");
        }
    }
}

/// Nesting a recursive parser would overflow the stack on: elements inside a PubMed
/// title, RDF items and JSON Feed objects, 100,000 deep.
pub fn deep_nesting() {
    let depth = 100_000;
    let pubmed = format!(
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>{}{}</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>",
        "<i>".repeat(depth),
        "</i>".repeat(depth)
    );
    parse_all_kinds(pubmed.as_bytes(), "deep-pubmed");
    let rdf = format!(
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\"><channel><title>T</title></channel><item><title>{}</title></item></rdf:RDF>",
        "<b>".repeat(depth)
    );
    parse_all_kinds(rdf.as_bytes(), "deep-rdf");
    let json = format!(
        "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{{\"id\":\"1\",\"x\":{}1{}}}]}}",
        "{\"a\":".repeat(depth),
        "}".repeat(depth)
    );
    parse_all_kinds(json.as_bytes(), "deep-json-objects");
    let ctgov = format!("{{\"studies\":[{}]}}", "[".repeat(depth));
    parse_all_kinds(ctgov.as_bytes(), "deep-ctgov");
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out: Vec<u8> = match (bom, big_endian) {
        (false, _) => Vec::new(),
        (true, false) => vec![0xFF, 0xFE],
        (true, true) => vec![0xFE, 0xFF],
    };
    for u in text.encode_utf16() {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

/// UTF-16 in both byte orders, with and without a BOM, truncated to an odd length, and
/// with unpaired surrogates: never a panic, and the BOM-marked ones keep their text.
pub fn utf16_documents() {
    let doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>T</title><item><title>Ketamine für Ødegård 🧠</title></item></channel></rss>";
    for big_endian in [false, true] {
        let bytes = utf16(doc, big_endian, true);
        let feed = parse_all_kinds(&bytes, "utf16").unwrap_or_else(|| panic!("utf16 {big_endian}"));
        assert_eq!(
            feed.entries[0].title.as_deref(),
            Some("Ketamine für Ødegård 🧠")
        );
        parse_all_kinds(&utf16(doc, big_endian, false), "utf16-no-bom");
        parse_all_kinds(&bytes[..bytes.len() - 1], "utf16-odd");
        let mut lone = bytes.clone();
        let at = (lone.len() / 2) & !1;
        lone[at..at + 2].copy_from_slice(if big_endian {
            &[0xD8, 0x3D]
        } else {
            &[0x3D, 0xD8]
        });
        parse_all_kinds(&lone, "utf16-lone-surrogate");
    }
    let json = utf16(
        "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{\"id\":\"é\"}]}",
        false,
        true,
    );
    parse_all_kinds(&json, "utf16-json");
}

/// NUL bytes, C0 and C1 controls and escape sequences in titles, names and JSON strings.
pub fn control_characters() {
    let nasty = [
        "\0",
        "\u{1}\u{7}\u{8}",
        "\u{1b}[2J\u{1b}]0;x\u{7}",
        "\u{85}\u{9b}31m",
        "\u{feff}",
        "\r\r\n",
    ];
    for (i, c) in nasty.iter().enumerate() {
        let docs = [
            format!(
                "<rss version=\"2.0\"><channel><title>T{c}</title><item><title>a{c}b</title><link>https://e.org/{c}</link></item></channel></rss>"
            ),
            format!(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>{c}</id><title>{c}</title></entry></feed>"
            ),
            format!("<rss{c} version=\"2.0\"><chan{c}nel></rss>"),
            format!("{c}<?xml version=\"1.0\"?><rss version=\"2.0\"/>"),
            format!(
                "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{{\"id\":\"1\",\"title\":\"{c}\"}}]}}"
            ),
            format!("{{\"resultList\":{{\"result\":[{{\"id\":\"{c}\",\"title\":\"{c}\"}}]}}}}"),
        ];
        for (j, doc) in docs.iter().enumerate() {
            parse_all_kinds(doc.as_bytes(), &format!("controls-{i}-{j}"));
        }
    }
    let escaped = "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{\"id\":\"\\u0000\",\"title\":\"\\u001b[31m\\ud800\"}]}";
    parse_all_kinds(escaped.as_bytes(), "controls-escaped");
    let nul_run: Vec<u8> = b"<rss version=\"2.0\"><channel><title>"
        .iter()
        .copied()
        .chain([0u8; 70_000])
        .collect();
    parse_all_kinds(&nul_run, "controls-nul-run");
}
