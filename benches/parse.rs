//! Throughput of `parse_document` on large feeds built by repeating the fixtures' items.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ketlit::model::Kind;
use ketlit::parse::parse_document;

fn fixture(rel: &str) -> String {
    let path = format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fixture with its run of `<tag …>…</tag>` elements repeated until the
/// document is at least `min_bytes` long.
fn enlarge(doc: &str, tag: &str, min_bytes: usize) -> String {
    // `<item>` or `<item …>`, not `<items>`.
    let first = doc
        .match_indices(&format!("<{tag}"))
        .map(|(i, _)| i)
        .find(|&i| {
            matches!(
                doc.as_bytes()[i + 1 + tag.len()],
                b'>' | b' ' | b'\n' | b'\t' | b'\r'
            )
        })
        .expect("first item");
    let close = format!("</{tag}>");
    let last = doc.rfind(&close).expect("last item") + close.len();
    let items = &doc[first..last];
    let mut out = String::with_capacity(min_bytes + doc.len());
    out.push_str(&doc[..first]);
    while out.len() < min_bytes {
        out.push_str(items);
        out.push('\n');
    }
    out.push_str(&doc[last..]);
    out
}

fn bench(c: &mut Criterion) {
    let docs = [
        (
            "rss2_pubmed",
            enlarge(&fixture("feeds/pubmed_rss2.xml"), "item", 2 << 20),
        ),
        (
            "rss2_elsevier",
            enlarge(&fixture("feeds/elsevier_toc_rss2.xml"), "item", 2 << 20),
        ),
        (
            "rss1_nature",
            enlarge(&fixture("feeds/nature_rdf.xml"), "item", 2 << 20),
        ),
        (
            "rss1_biorxiv",
            enlarge(
                &fixture("real/biorxiv/rss_1.0_biorxiv.xml"),
                "item",
                2 << 20,
            ),
        ),
        (
            "atom10_arxiv",
            enlarge(&fixture("feeds/arxiv_atom.xml"), "entry", 2 << 20),
        ),
        (
            "atom03_journal",
            enlarge(&fixture("feeds/journal_atom03.xml"), "entry", 2 << 20),
        ),
    ];
    let mut group = c.benchmark_group("parse");
    group.sample_size(20);
    for (name, doc) in &docs {
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| {
                let feed = parse_document(black_box(doc.as_bytes()), None, Kind::Auto, name)
                    .expect("parses");
                black_box(feed.entries.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
