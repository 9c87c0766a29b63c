//! Compiling merged rules into the evaluator's tables (token trie, cues, tag relations,
//! MeSH and publication-type maps).

pub use super::schema::{RuleFile, merge};
pub use super::validate::{expand, parse};

use super::text::{ANY, FxMap, Lexicon, NUM, Trie, Word, words};
use super::types::{CONDITION_TAGS, FieldKind};

/// Bumped when the meaning of a rule file changes, so stored tags are re-derived.
const ENGINE_VERSION: u32 = 2;
/// A window this wide reaches the edges of the sentence and ignores clause breaks.
pub const SENTENCE: u32 = 255;
/// How many spelled-out variants one phrase may expand to; guards against `{a|b}` blow-ups.
pub(super) const MAX_VARIANTS: usize = 4096;

/// What a tag is about; decides gating (animal work, relevance) and output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Condition,
    Drug,
    Type,
}

impl Class {
    pub fn of_tag(tag: &str) -> Class {
        if tag.starts_with("drug:") {
            Class::Drug
        } else if tag.starts_with("type:") {
            Class::Type
        } else {
            Class::Condition
        }
    }
    pub fn bit(self) -> u8 {
        match self {
            Class::Condition => 1,
            Class::Drug => 2,
            Class::Type => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Suppress,
    Demote,
    Affirm,
    Animal,
    Human,
    /// Claims its words and does nothing else ("with or without" is no negation).
    Claim,
    /// Marks a sentence as stating this study's aim or design ("we examined"): an opening
    /// sentence with one is not motivation.
    Aim,
}

#[derive(Debug, Clone, Copy)]
pub enum Out {
    Concept(u32),
    Cue(u32),
}

#[derive(Debug, Clone)]
pub struct Concept {
    pub tags: Vec<u16>,
    pub weight: f32,
    pub upper: bool,
    pub fields: u8,
    pub doc_any: Vec<Vec<u32>>,
    pub doc_none: Vec<Vec<u32>>,
}

#[derive(Debug, Clone)]
pub struct Cue {
    pub effect: Effect,
    pub applies: u8,
    pub tags: Vec<u16>,
    pub before: u32,
    pub after: u32,
    pub factor: f32,
    pub fields: u8,
    /// Commas around a match that make it an item of an enumeration (0: a phrase cue).
    pub list: u32,
    pub doc_any: Vec<Vec<u32>>,
    pub doc_none: Vec<Vec<u32>>,
}

impl Cue {
    /// Whether the cue acts on a match of `class` setting `tags`.
    pub fn acts_on(&self, class: Class, tags: &[u16]) -> bool {
        self.applies & class.bit() != 0
            && (self.tags.is_empty() || tags.iter().any(|t| self.tags.contains(t)))
    }

    /// Whether the cue's action depends on what else the entry says.
    pub fn conditional(&self) -> bool {
        !(self.doc_any.is_empty() && self.doc_none.is_empty())
    }
}

#[derive(Debug, Clone)]
pub struct TagInfo {
    pub name: std::sync::Arc<str>,
    pub class: Class,
    pub implies: Vec<u16>,
    pub unless: Vec<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeshOut {
    Tag(u16),
    Animal,
    Human,
}

/// The rules, ready to evaluate.
pub struct Compiled {
    pub lex: Lexicon,
    pub trie: Trie,
    pub outs: Vec<Out>,
    pub concepts: Vec<Concept>,
    pub cues: Vec<Cue>,
    /// The cues that act on enumerations rather than on phrases.
    pub list_cues: Vec<u32>,
    pub tags: Vec<TagInfo>,
    pub mesh: FxMap<Box<[u8]>, Vec<MeshOut>>,
    pub pubtypes: FxMap<Box<[u8]>, Vec<u16>>,
    pub field_weight: [f32; 6],
    pub threshold: f32,
    pub publication_types_decide: bool,
    pub opening_weight: f32,
    pub fingerprint: String,
}

pub(super) fn effect(s: &str) -> Option<Effect> {
    Some(match s {
        "suppress" => Effect::Suppress,
        "demote" => Effect::Demote,
        "affirm" => Effect::Affirm,
        "animal" => Effect::Animal,
        "human" => Effect::Human,
        "claim" => Effect::Claim,
        "aim" => Effect::Aim,
        _ => return None,
    })
}

pub(super) fn applies_bit(s: &str) -> Option<u8> {
    Some(match s {
        "conditions" => Class::Condition.bit(),
        "drugs" => Class::Drug.bit(),
        "types" => Class::Type.bit(),
        _ => return None,
    })
}

struct Builder {
    vocab: FxMap<Box<[u8]>, u32>,
    next_id: u32,
    tags: Vec<TagInfo>,
    /// [`Builder::word_variants`] by word: the rules spell the same words over and over
    /// (every alternation expands a phrase again), and working each out once is most
    /// of what compiling saves.
    variants: FxMap<Box<str>, Vec<Vec<u32>>>,
}

impl Builder {
    fn tok_id(&mut self, folded: &[u8]) -> u32 {
        if let Some(&id) = self.vocab.get(folded) {
            return id;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.vocab.insert(folded.into(), id);
        id
    }

    fn tag_id(&mut self, name: &str) -> u16 {
        if let Some(i) = self.tags.iter().position(|t| &*t.name == name) {
            return i as u16;
        }
        self.tags.push(TagInfo {
            name: name.into(),
            class: Class::of_tag(name),
            implies: Vec::new(),
            unless: Vec::new(),
        });
        (self.tags.len() - 1) as u16
    }

    /// Every token sequence a phrase stands for: alternations expanded, and each hyphenated
    /// word both split ("post traumatic") and joined ("posttraumatic").
    fn sequences(&mut self, phrase: &str) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        for v in expand(phrase).unwrap_or_default() {
            let mut seqs: Vec<Vec<u32>> = vec![Vec::new()];
            for w in v.split_whitespace() {
                let alts: Vec<Vec<u32>> = match w {
                    "*" => vec![vec![ANY]],
                    "#" => vec![vec![NUM]],
                    _ => self.word_variants(w),
                };
                if alts.is_empty() {
                    continue;
                }
                let mut next = Vec::new();
                for s in &seqs {
                    for a in &alts {
                        let mut n = s.clone();
                        n.extend_from_slice(a);
                        next.push(n);
                    }
                }
                seqs = next;
                if seqs.len() > MAX_VARIANTS {
                    break;
                }
            }
            out.extend(seqs.into_iter().filter(|s| !s.is_empty()));
        }
        out.sort();
        out.dedup();
        out
    }

    fn word_variants(&mut self, w: &str) -> Vec<Vec<u32>> {
        if let Some(v) = self.variants.get(w) {
            return v.clone();
        }
        let v = self.new_word_variants(w);
        self.variants.insert(w.into(), v.clone());
        v
    }

    fn new_word_variants(&mut self, w: &str) -> Vec<Vec<u32>> {
        let mut folded = Vec::new();
        let mut ws: Vec<Word> = Vec::new();
        words(w, &mut folded, &mut ws);
        if ws.is_empty() {
            return Vec::new();
        }
        let split: Vec<u32> = ws
            .iter()
            .map(|x| {
                let f = folded[x.fstart..x.fend].to_vec();
                self.tok_id(&f)
            })
            .collect();
        let mut variants = vec![split];
        if ws.iter().skip(1).any(|x| x.after_hyphen) {
            let mut joined = Vec::new();
            let mut cur: Vec<u8> = Vec::new();
            for (i, x) in ws.iter().enumerate() {
                if i > 0 && !x.after_hyphen {
                    let id = self.tok_id(&cur);
                    joined.push(id);
                    cur.clear();
                }
                cur.extend_from_slice(&folded[x.fstart..x.fend]);
            }
            let id = self.tok_id(&cur);
            joined.push(id);
            variants.push(joined);
        }
        variants
    }

    fn folded_key(text: &str) -> Box<[u8]> {
        let text = text.trim().trim_start_matches('*');
        let text = text.split('/').next().unwrap_or("");
        let mut folded = Vec::new();
        let mut ws = Vec::new();
        words(text, &mut folded, &mut ws);
        let mut key = Vec::with_capacity(folded.len() + ws.len());
        for (i, w) in ws.iter().enumerate() {
            if i > 0 {
                key.push(b' ');
            }
            key.extend_from_slice(&folded[w.fstart..w.fend]);
        }
        key.into_boxed_slice()
    }
}

/// The lookup key for a MeSH heading or publication type: folded words joined by one space,
/// with a major-topic `*` and a `/qualifier` removed.
pub fn heading_key(text: &str) -> Box<[u8]> {
    Builder::folded_key(text)
}

/// Turns merged rules into the evaluator's tables.
pub fn compile(rules: &RuleFile) -> Compiled {
    let mut b = Builder {
        vocab: FxMap::default(),
        next_id: 0,
        tags: Vec::new(),
        variants: FxMap::default(),
    };
    for t in CONDITION_TAGS {
        b.tag_id(t);
    }
    // Spelling variants share their canonical token's id, in text and in phrases alike.
    for (variant, canonical) in &rules.normalise {
        let c = Builder::folded_key(canonical);
        let id = b.tok_id(&c);
        let v = Builder::folded_key(variant);
        b.vocab.insert(v, id);
    }
    for t in rules.tag.iter().filter(|t| !t.disabled) {
        let me = b.tag_id(&t.tag);
        let implies: Vec<u16> = t.implies.iter().map(|x| b.tag_id(x)).collect();
        let unless: Vec<u16> = t.unless.iter().map(|x| b.tag_id(x)).collect();
        b.tags[me as usize].implies.extend(implies);
        b.tags[me as usize].unless.extend(unless);
    }
    let mut pending: Vec<(Vec<u32>, Out)> = Vec::new();
    let concepts = compile_phrases(rules, &mut b, &mut pending);
    let cues = compile_cues(rules, &mut b, &mut pending);
    let list_cues = (0..cues.len() as u32)
        .filter(|&q| cues[q as usize].list > 0)
        .collect();
    let clause_break_ids: Vec<u32> = rules
        .settings
        .clause_breaks
        .iter()
        .flatten()
        .map(|w| b.tok_id(&Builder::folded_key(w)))
        .collect();
    let sections = rules
        .section
        .iter()
        .filter(|s| !s.disabled)
        .flat_map(|s| s.labels.iter().map(|l| (Builder::folded_key(l), s.weight)))
        .collect();
    let mesh = compile_mesh(rules, &mut b);
    let pubtypes = compile_pubtypes(rules, &mut b);

    let vocab_len = b.next_id as usize;
    let mut trie = Trie::new(vocab_len);
    let mut outs: Vec<Out> = Vec::with_capacity(pending.len());
    for (seq, out) in pending {
        let oi = outs.len() as u32;
        outs.push(out);
        trie.insert(&seq, oi);
    }
    let mut clause_breaks = vec![false; vocab_len];
    for id in clause_break_ids {
        clause_breaks[id as usize] = true;
    }
    let settings = &rules.settings;
    let mut field_weight = [1.0f32; 6];
    for (k, v) in settings.field_weight.iter().flatten() {
        if let Some(f) = FieldKind::from_name(k) {
            field_weight[f as usize] = *v;
        }
    }
    let canonical = serde_json::to_string(rules).unwrap_or_default();
    let fingerprint = format!("v{ENGINE_VERSION}-{:016x}", fnv1a(canonical.as_bytes()));
    Compiled {
        lex: Lexicon::new(b.vocab, clause_breaks, sections),
        trie,
        outs,
        concepts,
        cues,
        list_cues,
        tags: b.tags,
        mesh,
        pubtypes,
        field_weight,
        threshold: settings.threshold.unwrap_or(1.0),
        publication_types_decide: settings.publication_types_decide.unwrap_or(false),
        opening_weight: settings.opening_weight.unwrap_or(1.0),
        fingerprint,
    }
}

/// The `[[phrase]]` rules as concepts, their phrases queued for the trie.
fn compile_phrases(
    rules: &RuleFile,
    b: &mut Builder,
    pending: &mut Vec<(Vec<u32>, Out)>,
) -> Vec<Concept> {
    let mut concepts = Vec::new();
    for p in rules.phrase.iter().filter(|p| !p.disabled) {
        let tags: Vec<u16> = p.tags.iter().map(|t| b.tag_id(t)).collect();
        let fields = fields_mask(&p.fields);
        let ci = concepts.len() as u32;
        concepts.push(Concept {
            tags,
            weight: p.weight,
            upper: p.upper,
            fields,
            doc_any: p.doc_any.iter().flat_map(|x| b.sequences(x)).collect(),
            doc_none: p.doc_none.iter().flat_map(|x| b.sequences(x)).collect(),
        });
        for ph in &p.phrases {
            for s in b.sequences(ph) {
                pending.push((s, Out::Concept(ci)));
            }
        }
    }
    concepts
}

/// The fields a rule is limited to, as a mask of [`FieldKind::bit`]s (all when none given).
fn fields_mask(names: &[String]) -> u8 {
    if names.is_empty() {
        return u8::MAX;
    }
    names
        .iter()
        .filter_map(|f| FieldKind::from_name(f))
        .fold(0, |m, f| m | f.bit())
}

/// The `[[context]]` rules as cues, their phrases queued for the trie.
fn compile_cues(rules: &RuleFile, b: &mut Builder, pending: &mut Vec<(Vec<u32>, Out)>) -> Vec<Cue> {
    let mut cues = Vec::new();
    for c in rules.context.iter().filter(|c| !c.disabled) {
        let Some(effect) = effect(&c.effect) else {
            continue;
        };
        let applies = if c.applies.is_empty() {
            Class::Condition.bit()
        } else {
            c.applies
                .iter()
                .filter_map(|a| applies_bit(a))
                .fold(0, |m, x| m | x)
        };
        let qi = cues.len() as u32;
        cues.push(Cue {
            effect,
            applies,
            tags: c.tags.iter().map(|t| b.tag_id(t)).collect(),
            before: c.before.min(SENTENCE),
            after: c.after.min(SENTENCE),
            factor: c.factor,
            fields: fields_mask(&c.fields),
            list: c.list,
            doc_any: c.doc_any.iter().flat_map(|x| b.sequences(x)).collect(),
            doc_none: c.doc_none.iter().flat_map(|x| b.sequences(x)).collect(),
        });
        for ph in &c.phrases {
            for s in b.sequences(ph) {
                pending.push((s, Out::Cue(qi)));
            }
        }
    }
    cues
}

/// MeSH headings (and registry conditions) by folded key.
fn compile_mesh(rules: &RuleFile, b: &mut Builder) -> FxMap<Box<[u8]>, Vec<MeshOut>> {
    let mut mesh: FxMap<Box<[u8]>, Vec<MeshOut>> = FxMap::default();
    for m in rules.mesh.iter().filter(|m| !m.disabled) {
        let outs: Vec<MeshOut> = m
            .tags
            .iter()
            .map(|t| match t.as_str() {
                "@animal" => MeshOut::Animal,
                "@human" => MeshOut::Human,
                _ => MeshOut::Tag(b.tag_id(t)),
            })
            .collect();
        for h in &m.headings {
            let e = mesh.entry(Builder::folded_key(h)).or_default();
            for o in &outs {
                if !e.contains(o) {
                    e.push(*o);
                }
            }
        }
    }
    mesh
}

/// Publication types by folded key.
fn compile_pubtypes(rules: &RuleFile, b: &mut Builder) -> FxMap<Box<[u8]>, Vec<u16>> {
    let mut pubtypes: FxMap<Box<[u8]>, Vec<u16>> = FxMap::default();
    for p in rules.pubtype.iter().filter(|p| !p.disabled) {
        let tags: Vec<u16> = p.tags.iter().map(|t| b.tag_id(t)).collect();
        for t in &p.types {
            let e = pubtypes.entry(Builder::folded_key(t)).or_default();
            for x in &tags {
                if !e.contains(x) {
                    e.push(*x);
                }
            }
        }
    }
    pubtypes
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
