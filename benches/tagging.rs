//! Throughput of `Tagger::classify` on 250-word abstracts built from the labelled set.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ketlit::tag::{TagInput, Tagger};

struct Entry {
    title: String,
    abstract_: String,
    mesh: Vec<String>,
    publication_types: Vec<String>,
}

/// Realistic text: each entry's abstract is fixture abstracts run together up to 250 words,
/// so the phrase density matches real abstracts rather than a repeated sentence.
fn entries() -> Vec<Entry> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tagging/cases.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let cases: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let strs = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let mut words: Vec<&str> = Vec::new();
        let mut k = i;
        while words.len() < 250 {
            let a = cases[k % cases.len()]["abstract"].as_str().unwrap_or("");
            words.extend(a.split_whitespace());
            k += 1;
        }
        words.truncate(250);
        out.push(Entry {
            title: c["title"].as_str().unwrap_or("").to_string(),
            abstract_: words.join(" "),
            mesh: strs(&c["mesh"]),
            publication_types: strs(&c["publication_types"]),
        });
    }
    out
}

fn bench(c: &mut Criterion) {
    let tagger = Tagger::builtin();
    let entries = entries();
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(entries.len() as u64));
    g.bench_function("250-word abstracts", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for e in &entries {
                let input = TagInput {
                    title: &e.title,
                    abstract_: &e.abstract_,
                    mesh: &e.mesh,
                    keywords: &[],
                    publication_types: &e.publication_types,
                    conditions: &[],
                };
                n += black_box(tagger.classify(black_box(&input))).tags.len();
            }
            n
        })
    });
    g.finish();
    c.bench_function("builtin rules compile", |b| b.iter(Tagger::builtin));
}

criterion_group!(benches, bench);
criterion_main!(benches);
