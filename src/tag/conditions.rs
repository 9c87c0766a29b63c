//! Turning scored matches into tags: accumulation per tag, the animal-work gate, abbreviation
//! sense checks, `implies` (trd ⇒ depression) and `unless` (no type:rct on a review).

use super::rules::{Class, Compiled, Concept};
use super::text::{ANY, FieldText, NUM, Tok, UNKNOWN};
use super::types::FieldKind;

/// Where the strongest evidence for a tag is: field, item index (list fields), byte range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loc {
    pub field: FieldKind,
    pub item: usize,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Acc {
    pub score: f32,
    pub best: f32,
    pub loc: Option<Loc>,
}

/// Per-tag running totals for one entry.
pub struct Scores {
    pub acc: Vec<Acc>,
}

/// Title evidence is the most readable, so it wins ties.
fn rank(f: FieldKind) -> u8 {
    match f {
        FieldKind::Title => 0,
        FieldKind::Mesh => 1,
        FieldKind::Conditions => 2,
        FieldKind::Abstract => 3,
        FieldKind::PublicationTypes => 4,
        FieldKind::Keywords => 5,
    }
}

impl Scores {
    pub fn new(n: usize) -> Scores {
        Scores {
            acc: vec![Acc::default(); n],
        }
    }

    pub fn add(&mut self, tag: u16, score: f32, loc: Loc) {
        let a = &mut self.acc[tag as usize];
        a.score += score;
        let better = match a.loc {
            None => true,
            Some(old) => {
                score > a.best + 1e-6
                    || ((score - a.best).abs() <= 1e-6 && rank(loc.field) < rank(old.field))
            }
        };
        if better {
            a.best = score;
            a.loc = Some(loc);
        }
    }
}

/// Whether an ambiguous phrase (an abbreviation like OCD or SAD) has the sense its rule wants:
/// some `doc_any` phrase appears somewhere in the entry and no `doc_none` phrase does.
pub fn sense_ok(concept: &Concept, fields: &[&FieldText]) -> bool {
    doc_ok(&concept.doc_any, &concept.doc_none, fields)
}

/// Some `any` sequence occurs in the entry (or `any` is empty) and no `none` sequence does.
pub fn doc_ok(any: &[Vec<u32>], none: &[Vec<u32>], fields: &[&FieldText]) -> bool {
    if any.is_empty() && none.is_empty() {
        return true;
    }
    let present = |seq: &Vec<u32>| fields.iter().any(|ft| contains(&ft.toks, seq));
    (any.is_empty() || any.iter().any(present)) && !none.iter().any(present)
}

fn contains(toks: &[Tok], seq: &[u32]) -> bool {
    if seq.is_empty() || toks.len() < seq.len() {
        return false;
    }
    toks.windows(seq.len()).any(|w| {
        w.iter().zip(seq).all(|(t, &s)| match s {
            ANY => true,
            NUM => t.num,
            _ => t.id == s && s != UNKNOWN,
        })
    })
}

/// Which tags hold, in index order: those whose accumulated score reaches the threshold,
/// minus condition tags on animal-only work, plus implied tags (carrying the implying tag's
/// evidence), minus tags vetoed by an `unless` tag.
pub fn decide(c: &Compiled, scores: &mut Scores, animal_only: bool) -> Vec<bool> {
    let n = c.tags.len();
    let mut set: Vec<bool> = (0..n)
        .map(|i| scores.acc[i].score + 1e-4 >= c.threshold && scores.acc[i].loc.is_some())
        .collect();
    if animal_only {
        for (i, t) in c.tags.iter().enumerate() {
            if t.class == Class::Condition {
                set[i] = false;
            }
        }
    }
    // Implications chain (a ⇒ b ⇒ c), so repeat until nothing changes; n bounds the depth.
    for _ in 0..n {
        let mut changed = false;
        for i in 0..n {
            if !set[i] {
                continue;
            }
            for &j in &c.tags[i].implies {
                let j = j as usize;
                if !set[j] {
                    set[j] = true;
                    if scores.acc[j].loc.is_none() || scores.acc[j].score < c.threshold {
                        scores.acc[j].loc = scores.acc[i].loc;
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let vetoed: Vec<bool> = (0..n)
        .map(|i| set[i] && c.tags[i].unless.iter().any(|&u| set[u as usize]))
        .collect();
    for i in 0..n {
        if vetoed[i] {
            set[i] = false;
        }
    }
    set
}
