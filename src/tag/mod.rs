//! The condition tagger: decides whether an entry studies a ketamine-class drug and which
//! conditions, drugs and publication types it is about, each with the evidence that set it.
//!
//! All knowledge lives in `feeds/conditions.toml` (see the schema at its top); this module
//! is a small evaluator: tokenise each field once, match every phrase with one trie walk per
//! token, weigh each match by its field, section and context cues, and sum per tag.

mod conditions;
mod context;
mod drugs;
mod rules;
mod schema;
mod text;
mod trie;
mod types;
mod validate;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wording_tests;

pub use types::{CONDITION_TAGS, Classification, Evidence, FieldKind, RulesError, Tag, TagInput};

use conditions::{Loc, Scores};
use context::Hit;
use rules::{Class, Compiled, MeshOut, Out, RuleFile};
use text::{FieldText, LABEL};

/// The shipped rules.
const BUILTIN: &str = include_str!("../../feeds/conditions.toml");

/// Compiled tagging rules. Build once, classify many entries; `classify` takes `&self` and
/// is safe to call from several threads.
pub struct Tagger {
    rules: RuleFile,
    c: Compiled,
}

impl std::fmt::Debug for Tagger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tagger")
            .field("fingerprint", &self.c.fingerprint)
            .finish_non_exhaustive()
    }
}

impl Tagger {
    /// The rules shipped in `feeds/conditions.toml`.
    pub fn builtin() -> Tagger {
        // The shipped file is checked by the tests; failing here is a build defect.
        Tagger::from_toml(BUILTIN, "feeds/conditions.toml")
            .unwrap_or_else(|e| panic!("built-in tagging rules are invalid: {e}"))
    }

    pub fn from_toml(text: &str, origin: &str) -> Result<Tagger, RulesError> {
        let rules = rules::parse(text, origin)?;
        let c = rules::compile(&rules);
        Ok(Tagger { rules, c })
    }

    /// Extends this rule set with a user's file: a rule whose id exists replaces it (so
    /// `disabled = true` switches it off), a new id adds a rule.
    pub fn with_overrides(self, text: &str, origin: &str) -> Result<Tagger, RulesError> {
        let over = rules::parse(text, origin)?;
        let rules = rules::merge(self.rules, over);
        let c = rules::compile(&rules);
        Ok(Tagger { rules, c })
    }

    /// Changes whenever the effective rules (or the engine's interpretation of them) change.
    pub fn rules_fingerprint(&self) -> String {
        self.c.fingerprint.clone()
    }

    pub fn classify(&self, input: &TagInput) -> Classification {
        classify(&self.c, input)
    }
}

/// One tokenised field or list item.
struct Part {
    field: FieldKind,
    item: usize,
    ft: FieldText,
    hits: Vec<Hit>,
    /// Indices in `hits` of the cues, in text order.
    cues: Vec<u32>,
}

impl Part {
    fn found<'a>(&'a self, doc: &'a context::Doc<'a>) -> context::Found<'a> {
        context::Found {
            ft: &self.ft,
            hits: &self.hits,
            cues: &self.cues,
            field: self.field.bit(),
            doc,
        }
    }
}

/// Buffers reused from one entry to the next, so classifying allocates little.
#[derive(Default)]
struct Scratch {
    parts: Vec<Part>,
    aliases: Vec<(Vec<u8>, Out)>,
    /// Per cue: whether its `doc_any`/`doc_none` hold in this entry (worked out when needed).
    doc_cache: Vec<std::cell::Cell<u8>>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

fn classify(c: &Compiled, input: &TagInput) -> Classification {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => classify_with(c, input, &mut s),
        // Only reachable if classify re-entered itself on this thread; stay correct anyway.
        Err(_) => classify_with(c, input, &mut Scratch::default()),
    })
}

/// What the matches of one entry add up to.
struct Tally {
    scores: Scores,
    /// Animal-work cues and human-participant cues seen.
    animal: u32,
    human: u32,
}

fn classify_with(c: &Compiled, input: &TagInput, s: &mut Scratch) -> Classification {
    let Scratch {
        parts,
        aliases,
        doc_cache,
    } = s;
    let used = tokenize_parts(c, input, parts);
    let parts = &mut parts[..used];
    aliases.clear();
    for p in parts.iter_mut() {
        scan(c, p, aliases);
        p.cues.clear();
        p.cues.extend(
            (0..p.hits.len() as u32).filter(|&k| matches!(p.hits[k as usize].out, Out::Cue(_))),
        );
    }
    doc_cache.clear();
    doc_cache.resize(c.cues.len(), std::cell::Cell::new(context::UNDECIDED));
    let fts: Vec<&FieldText> = parts.iter().map(|p| &p.ft).collect();
    let doc = context::Doc {
        fields: &fts,
        cache: doc_cache,
    };
    // A source that states publication types (PubMed, Europe PMC) decides the study types.
    let stated = c.publication_types_decide && !input.publication_types.is_empty();
    let mut tally = Tally {
        scores: Scores::new(c.tags.len()),
        animal: 0,
        human: 0,
    };
    for p in parts.iter() {
        score_text(c, p, &doc, stated, &mut tally);
    }
    score_lists(c, input, &mut tally);
    let Tally {
        mut scores,
        animal,
        human,
    } = tally;
    let animal_only = animal > 0 && human == 0;
    let mut set = conditions::decide(c, &mut scores, animal_only);
    let (relevant, rel_loc) = drugs::relevance(c, &scores, &set);
    drugs::enforce(c, relevant, &mut set);
    verdict(c, input, &scores, &set, relevant, rel_loc)
}

/// Tokenises the entry's fields into `parts` (reusing their buffers); returns how many.
fn tokenize_parts(c: &Compiled, input: &TagInput, parts: &mut Vec<Part>) -> usize {
    let mut used = 0;
    let mut add = |field: FieldKind, item: usize, text: &str| {
        if used == parts.len() {
            parts.push(Part {
                field,
                item,
                ft: FieldText::default(),
                hits: Vec::new(),
                cues: Vec::new(),
            });
        }
        let p = &mut parts[used];
        p.field = field;
        p.item = item;
        p.hits.clear();
        text::tokenize(text, &c.lex, &mut p.ft);
        used += 1;
    };
    // The abstract goes first so that abbreviations it defines ("single ascending dose
    // (SAD)") already hold when the title is read.
    add(FieldKind::Abstract, 0, input.abstract_);
    add(FieldKind::Title, 0, input.title);
    for (i, k) in input.keywords.iter().enumerate() {
        add(FieldKind::Keywords, i, k);
    }
    for (i, k) in input.conditions.iter().enumerate() {
        add(FieldKind::Conditions, i, k);
    }
    used
}

/// Adds what the phrases and cues found in one part are worth. With `stated` publication
/// types, the text sets no study types.
fn score_text(c: &Compiled, p: &Part, doc: &context::Doc, stated: bool, tally: &mut Tally) {
    let fw = c.field_weight[p.field as usize];
    for h in &p.hits {
        match h.out {
            Out::Cue(qi) => match c.cues[qi as usize].effect {
                rules::Effect::Animal => tally.animal += 1,
                rules::Effect::Human => {
                    let w = context::worth(c, p.found(doc), h, Class::Condition, &[], fw);
                    if w >= 0.5 {
                        tally.human += 1;
                    }
                }
                _ => {}
            },
            Out::Concept(ci) => {
                let concept = &c.concepts[ci as usize];
                if concept.tags.is_empty() || !conditions::sense_ok(concept, doc.fields) {
                    continue;
                }
                let loc = Loc {
                    field: p.field,
                    item: p.item,
                    start: p.ft.toks[h.start as usize].start as usize,
                    end: p.ft.toks[(h.end - 1) as usize].end as usize,
                };
                // A phrase may set tags of several classes ("ketamine misuse" is both
                // substance-use and drug:ketamine); each class reads its own cues.
                let mut done: [Option<f32>; 3] = [None; 3];
                for &t in &concept.tags {
                    let class = c.tags[t as usize].class;
                    if stated && class == Class::Type {
                        continue;
                    }
                    let slot = match class {
                        Class::Condition => 0,
                        Class::Drug => 1,
                        Class::Type => 2,
                    };
                    let w = *done[slot].get_or_insert_with(|| {
                        let base = fw * concept.weight;
                        context::worth(c, p.found(doc), h, class, &concept.tags, base)
                    });
                    if w > 0.0 {
                        tally.scores.add(t, w, loc);
                    }
                }
            }
        }
    }
}

/// Adds what the list fields say: registry conditions, MeSH headings, publication types.
fn score_lists(c: &Compiled, input: &TagInput, tally: &mut Tally) {
    // ClinicalTrials.gov conditions describe human participants.
    if !input.conditions.is_empty() {
        tally.human += 1;
    }
    // Registry conditions are often MeSH terms ("Depressive Disorder, Treatment-Resistant").
    let w = c.field_weight[FieldKind::Conditions as usize];
    for (i, cond) in input.conditions.iter().enumerate() {
        for o in c.mesh.get(&rules::heading_key(cond)).into_iter().flatten() {
            if let MeshOut::Tag(t) = *o {
                tally
                    .scores
                    .add(t, w, whole(FieldKind::Conditions, i, cond));
            }
        }
    }
    let w = c.field_weight[FieldKind::Mesh as usize];
    for (i, m) in input.mesh.iter().enumerate() {
        for o in c.mesh.get(&rules::heading_key(m)).into_iter().flatten() {
            match *o {
                MeshOut::Animal => tally.animal += 1,
                MeshOut::Human => tally.human += 1,
                MeshOut::Tag(t) => tally.scores.add(t, w, whole(FieldKind::Mesh, i, m)),
            }
        }
    }
    let w = c.field_weight[FieldKind::PublicationTypes as usize];
    for (i, pt) in input.publication_types.iter().enumerate() {
        for &t in c
            .pubtypes
            .get(&rules::heading_key(pt))
            .into_iter()
            .flatten()
        {
            let loc = whole(FieldKind::PublicationTypes, i, pt);
            tally.scores.add(t, w, loc);
        }
    }
}

/// The tags that hold, conditions first, each with its strongest evidence.
fn verdict(
    c: &Compiled,
    input: &TagInput,
    scores: &Scores,
    set: &[bool],
    relevant: bool,
    rel_loc: Option<Loc>,
) -> Classification {
    let text_of = |loc: &Loc| -> &str {
        fn item(list: &[String], i: usize) -> &str {
            list.get(i).map_or("", |s| s.as_str())
        }
        match loc.field {
            FieldKind::Title => input.title,
            FieldKind::Abstract => input.abstract_,
            FieldKind::Mesh => item(input.mesh, loc.item),
            FieldKind::Keywords => item(input.keywords, loc.item),
            FieldKind::PublicationTypes => item(input.publication_types, loc.item),
            FieldKind::Conditions => item(input.conditions, loc.item),
        }
    };
    let evidence = |loc: &Loc| Evidence {
        field: loc.field.as_str(),
        phrase: text_of(loc)
            .get(loc.start..loc.end)
            .unwrap_or("")
            .to_string(),
        span: [loc.start, loc.end],
    };
    let mut tags = Vec::new();
    for class in [Class::Condition, Class::Drug, Class::Type] {
        for (i, t) in c.tags.iter().enumerate() {
            if t.class != class || !set[i] {
                continue;
            }
            if let Some(loc) = &scores.acc[i].loc {
                tags.push(Tag {
                    tag: t.name.clone(),
                    evidence: evidence(loc),
                });
            }
        }
    }
    Classification {
        relevant,
        relevance: rel_loc.as_ref().map(evidence),
        tags,
    }
}

fn whole(field: FieldKind, item: usize, s: &str) -> Loc {
    Loc {
        field,
        item,
        start: 0,
        end: s.len(),
    }
}

/// Finds phrases and cues leftmost-longest, so a longer phrase claims its words
/// ("treatment-resistant OCD" is not also "OCD"; "respiratory depression" is not
/// "depression"). An abbreviation in brackets right after a phrase ("osteochondritis
/// dissecans (OCD)") becomes an alias for that phrase for the rest of the entry.
fn scan(c: &Compiled, p: &mut Part, aliases: &mut Vec<(Vec<u8>, Out)>) {
    let toks = &p.ft.toks;
    let field_bit = p.field.bit();
    let ok = |o: u32, s: usize, e: usize| -> bool {
        match c.outs[o as usize] {
            Out::Cue(qi) => c.cues[qi as usize].fields & field_bit != 0,
            Out::Concept(ci) => {
                let k = &c.concepts[ci as usize];
                k.fields & field_bit != 0 && (!k.upper || toks[s..e].iter().all(|t| t.upper))
            }
        }
    };
    let accept = |outs: &[u32], s: usize, e: usize| outs.iter().any(|&o| ok(o, s, e));
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if t.id == LABEL {
            i += 1;
            continue;
        }
        if t.upper {
            let f = p.ft.fold_of(t);
            if let Some((_, out)) = aliases.iter().find(|(k, _)| k.as_slice() == f) {
                p.hits.push(Hit {
                    start: i as u32,
                    end: i as u32 + 1,
                    out: *out,
                });
                i += 1;
                continue;
            }
        }
        let Some((len, node)) = c.trie.longest(toks, i, &accept) else {
            i += 1;
            continue;
        };
        let e = i + len;
        let mut concept_out = None;
        for &o in &c.trie.nodes[node as usize].outs {
            if ok(o, i, e) {
                let out = c.outs[o as usize];
                if concept_out.is_none() && matches!(out, Out::Concept(_)) {
                    concept_out = Some(out);
                }
                p.hits.push(Hit {
                    start: i as u32,
                    end: e as u32,
                    out,
                });
            }
        }
        if let (Some(out), Some(abbr)) = (concept_out, toks.get(e))
            && abbr.paren_before
            && abbr.paren_after
            && abbr.upper
            && abbr.sent == t.sent
        {
            let key = p.ft.fold_of(abbr).to_vec();
            if !aliases.iter().any(|(k, _)| *k == key) {
                aliases.push((key, out));
            }
            // The bracketed abbreviation is part of the definition, not a second mention.
            i = e + 1;
            continue;
        }
        i = e;
    }
}
