//! Measures the tagger against the labelled set in tests/fixtures/tagging/cases.jsonl:
//! precision/recall/F1 per condition tag and relevance accuracy, per split and overall.
//!
//! `cargo test --test tagging_quality -- --nocapture` prints the tables. Setting
//! `TAG_MISSES=tune` also lists every wrong case of that split (tuning only ever looks at
//! `tune`; the holdout is for measuring).

use std::collections::BTreeSet;

use ketlit::tag::{CONDITION_TAGS, TagInput, Tagger};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    id: String,
    split: String,
    title: String,
    #[serde(rename = "abstract")]
    abstract_: String,
    #[serde(default)]
    mesh: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    publication_types: Vec<String>,
    #[serde(default)]
    conditions: Vec<String>,
    relevant: bool,
    tags: Vec<String>,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
}

impl Counts {
    fn precision(self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn f1(self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

struct Report {
    name: String,
    n: u32,
    rel_ok: u32,
    per_tag: Vec<Counts>,
}

fn load() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tagging/cases.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("fixture readable");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("cases.jsonl line {}: {e}", i + 1))
        })
        .collect()
}

fn evaluate(tagger: &Tagger, cases: &[&Case], name: &str, show_misses: bool) -> Report {
    let mut r = Report {
        name: name.to_string(),
        n: 0,
        rel_ok: 0,
        per_tag: vec![Counts::default(); CONDITION_TAGS.len()],
    };
    for case in cases {
        let input = TagInput {
            title: &case.title,
            abstract_: &case.abstract_,
            mesh: &case.mesh,
            keywords: &case.keywords,
            publication_types: &case.publication_types,
            conditions: &case.conditions,
        };
        let got = tagger.classify(&input);
        let got_tags: BTreeSet<&str> = got.condition_tags().into_iter().collect();
        let want: BTreeSet<&str> = case.tags.iter().map(String::as_str).collect();
        r.n += 1;
        if got.relevant == case.relevant {
            r.rel_ok += 1;
        }
        for (i, t) in CONDITION_TAGS.iter().enumerate() {
            match (want.contains(t), got_tags.contains(t)) {
                (true, true) => r.per_tag[i].tp += 1,
                (false, true) => r.per_tag[i].fp += 1,
                (true, false) => r.per_tag[i].fn_ += 1,
                (false, false) => {}
            }
        }
        if show_misses && (got.relevant != case.relevant || got_tags != want) {
            println!(
                "MISS {} relevant want={} got={} | want {:?} got {:?}",
                case.id, case.relevant, got.relevant, want, got_tags
            );
            for t in &got.tags {
                println!(
                    "     {} <- {} {:?}",
                    t.tag, t.evidence.field, t.evidence.phrase
                );
            }
        }
    }
    r
}

fn print(r: &Report) {
    println!(
        "\n== {} ({} cases) relevance accuracy {:.3}",
        r.name,
        r.n,
        ratio(r.rel_ok, r.n)
    );
    println!(
        "{:<14} {:>4} {:>4} {:>4} {:>6} {:>6} {:>6}",
        "tag", "tp", "fp", "fn", "P", "R", "F1"
    );
    for (i, t) in CONDITION_TAGS.iter().enumerate() {
        let c = r.per_tag[i];
        println!(
            "{:<14} {:>4} {:>4} {:>4} {:>6.3} {:>6.3} {:>6.3}",
            t,
            c.tp,
            c.fp,
            c.fn_,
            c.precision(),
            c.recall(),
            c.f1()
        );
    }
}

fn failures(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let acc = ratio(r.rel_ok, r.n);
    if acc < 0.95 {
        out.push(format!("{}: relevance accuracy {acc:.3} < 0.95", r.name));
    }
    for (i, t) in CONDITION_TAGS.iter().enumerate() {
        let f1 = r.per_tag[i].f1();
        if f1 < 0.90 {
            out.push(format!("{}: {t} F1 {f1:.3} < 0.90", r.name));
        }
    }
    out
}

#[test]
fn labelled_set_is_well_formed() {
    let cases = load();
    assert!(cases.len() >= 260, "only {} cases", cases.len());
    let mut ids = BTreeSet::new();
    for c in &cases {
        assert!(ids.insert(c.id.as_str()), "duplicate id {}", c.id);
        assert!(
            c.split == "tune" || c.split == "holdout",
            "{}: bad split",
            c.id
        );
        for t in &c.tags {
            assert!(
                CONDITION_TAGS.contains(&t.as_str()),
                "{}: unknown tag {t}",
                c.id
            );
        }
        if c.tags.iter().any(|t| t == "trd") {
            assert!(
                c.tags.iter().any(|t| t == "depression"),
                "{}: trd without depression",
                c.id
            );
        }
        if !c.relevant {
            assert!(c.tags.is_empty(), "{}: irrelevant case with tags", c.id);
        }
    }
    for t in CONDITION_TAGS {
        let n = cases
            .iter()
            .filter(|c| c.tags.iter().any(|x| x == t))
            .count();
        assert!(n >= 25, "only {n} positives for {t}");
    }
}

#[test]
fn tagging_quality() {
    let tagger = Tagger::builtin();
    let cases = load();
    let show = std::env::var("TAG_MISSES").ok();
    let tune: Vec<&Case> = cases.iter().filter(|c| c.split == "tune").collect();
    let holdout: Vec<&Case> = cases.iter().filter(|c| c.split == "holdout").collect();
    let all: Vec<&Case> = cases.iter().collect();
    let rt = evaluate(&tagger, &tune, "tune", show.as_deref() == Some("tune"));
    let rh = evaluate(
        &tagger,
        &holdout,
        "holdout",
        show.as_deref() == Some("holdout"),
    );
    let ra = evaluate(&tagger, &all, "all", false);
    print(&rt);
    print(&rh);
    print(&ra);
    let mut fail = failures(&ra);
    fail.extend(failures(&rh));
    assert!(
        fail.is_empty(),
        "quality below the bar:\n{}",
        fail.join("\n")
    );
}
