//! Loading, validating, merging (override/extend/disable by id) and compiling the TOML rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::text::{ANY, FxMap, Lexicon, NUM, Trie, Word, words};
use super::types::{CONDITION_TAGS, FieldKind, RulesError};

/// Bumped when the meaning of a rule file changes, so stored tags are re-derived.
const ENGINE_VERSION: u32 = 1;
/// A window this wide reaches the edges of the sentence and ignores clause breaks.
pub const SENTENCE: u32 = 255;
/// How many spelled-out variants one phrase may expand to; guards against `{a|b}` blow-ups.
const MAX_VARIANTS: usize = 4096;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub normalise: BTreeMap<String, String>,
    #[serde(default)]
    pub section: Vec<SectionRule>,
    #[serde(default)]
    pub tag: Vec<TagRule>,
    #[serde(default)]
    pub phrase: Vec<PhraseRule>,
    #[serde(default)]
    pub context: Vec<ContextRule>,
    #[serde(default)]
    pub mesh: Vec<MeshRule>,
    #[serde(default)]
    pub pubtype: Vec<PubtypeRule>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub threshold: Option<f32>,
    pub clause_breaks: Option<Vec<String>>,
    pub field_weight: Option<BTreeMap<String, f32>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionRule {
    pub id: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default = "one")]
    pub weight: f32,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagRule {
    pub id: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub implies: Vec<String>,
    #[serde(default)]
    pub unless: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhraseRule {
    pub id: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub phrases: Vec<String>,
    #[serde(default = "one")]
    pub weight: f32,
    #[serde(default)]
    pub upper: bool,
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub doc_any: Vec<String>,
    #[serde(default)]
    pub doc_none: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextRule {
    pub id: String,
    #[serde(default)]
    pub effect: String,
    #[serde(default)]
    pub applies: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub before: u32,
    #[serde(default)]
    pub after: u32,
    #[serde(default = "fifth")]
    pub factor: f32,
    #[serde(default)]
    pub phrases: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshRule {
    pub id: String,
    #[serde(default)]
    pub headings: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PubtypeRule {
    pub id: String,
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

fn one() -> f32 {
    1.0
}
fn fifth() -> f32 {
    0.2
}

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
    pub tags: Vec<TagInfo>,
    pub mesh: FxMap<Box<[u8]>, Vec<MeshOut>>,
    pub pubtypes: FxMap<Box<[u8]>, Vec<u16>>,
    pub field_weight: [f32; 6],
    pub threshold: f32,
    pub fingerprint: String,
}

/// Parses one rule file and checks everything that can be checked without the others.
pub fn parse(text: &str, origin: &str) -> Result<RuleFile, RulesError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| {
        let (line, line_text) = match e.span() {
            Some(span) => line_at(text, span.start),
            None => (1, ""),
        };
        let message = e.message().trim().replace('\n', " ");
        let key = line_text
            .split_once('=')
            .map(|(k, _)| k.trim().to_string())
            .filter(|k| !k.is_empty() && !k.starts_with('['))
            .or_else(|| backticked(&message))
            .unwrap_or_else(|| line_text.trim().to_string());
        RulesError {
            origin: origin.to_string(),
            line,
            key,
            message,
        }
    })?;
    validate(&file, text, origin)?;
    Ok(file)
}

fn backticked(msg: &str) -> Option<String> {
    let a = msg.find('`')?;
    let b = msg[a + 1..].find('`')?;
    Some(msg[a + 1..a + 1 + b].to_string())
}

fn line_at(text: &str, byte: usize) -> (usize, &str) {
    let byte = byte.min(text.len());
    let line = text.as_bytes()[..byte]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    (line, text.lines().nth(line - 1).unwrap_or(""))
}

/// The line of `key` inside the table whose `id` is `id` (or of the id itself), for errors
/// found after parsing, when serde's spans are gone.
fn locate(text: &str, id: &str, key: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let is_id = |l: &str| {
        l.trim()
            .strip_prefix("id")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('='))
            .is_some_and(|r| r.trim().trim_matches('"') == id)
    };
    let Some(at) = lines.iter().position(|l| is_id(l)) else {
        return 1;
    };
    let is_header = |l: &str| l.trim_start().starts_with('[');
    let mut first = at;
    while first > 0 && !is_header(lines[first]) {
        first -= 1;
    }
    let mut last = at + 1;
    while last < lines.len() && !is_header(lines[last]) {
        last += 1;
    }
    (first..last)
        .find(|&k| {
            lines[k]
                .trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map_or(at + 1, |k| k + 1)
}

fn validate(f: &RuleFile, text: &str, origin: &str) -> Result<(), RulesError> {
    let err = |id: &str, key: &str, message: String| RulesError {
        origin: origin.to_string(),
        line: locate(text, id, key),
        key: key.to_string(),
        message,
    };
    let mut seen: std::collections::BTreeSet<(&'static str, String)> = Default::default();
    let mut check_id = |kind: &'static str, id: &str| -> Result<(), RulesError> {
        if id.trim().is_empty() {
            return Err(err(
                id,
                "id",
                format!("a [[{kind}]] rule needs a non-empty id"),
            ));
        }
        if !seen.insert((kind, id.to_string())) {
            return Err(err(id, "id", format!("duplicate [[{kind}]] id `{id}`")));
        }
        Ok(())
    };
    if let Some(fw) = &f.settings.field_weight {
        for (k, v) in fw {
            if FieldKind::from_name(k).is_none() {
                return Err(RulesError {
                    origin: origin.to_string(),
                    line: find_line(text, k),
                    key: k.clone(),
                    message: "unknown field; expected title, abstract, mesh, keywords, publication_types or conditions".into(),
                });
            }
            if !v.is_finite() || *v < 0.0 {
                return Err(RulesError {
                    origin: origin.to_string(),
                    line: find_line(text, k),
                    key: k.clone(),
                    message: "weight must be a finite number ≥ 0".into(),
                });
            }
        }
    }
    for s in &f.section {
        check_id("section", &s.id)?;
        if !s.weight.is_finite() || s.weight < 0.0 {
            return Err(err(
                &s.id,
                "weight",
                "weight must be a finite number ≥ 0".into(),
            ));
        }
    }
    for t in &f.tag {
        check_id("tag", &t.id)?;
        if !t.disabled && t.tag.trim().is_empty() {
            return Err(err(&t.id, "tag", "missing tag name".into()));
        }
    }
    for p in &f.phrase {
        check_id("phrase", &p.id)?;
        if p.disabled {
            continue;
        }
        if p.phrases.is_empty() {
            return Err(err(&p.id, "phrases", "no phrases given".into()));
        }
        for ph in p.phrases.iter().chain(&p.doc_any).chain(&p.doc_none) {
            check_phrase(ph).map_err(|m| err(&p.id, "phrases", m))?;
        }
        if !p.weight.is_finite() || p.weight < 0.0 {
            return Err(err(
                &p.id,
                "weight",
                "weight must be a finite number ≥ 0".into(),
            ));
        }
        for fname in &p.fields {
            if FieldKind::from_name(fname).is_none() {
                return Err(err(&p.id, "fields", format!("unknown field `{fname}`")));
            }
        }
        for t in &p.tags {
            if t.trim().is_empty() || t.starts_with('@') {
                return Err(err(&p.id, "tags", format!("invalid tag name `{t}`")));
            }
        }
    }
    for c in &f.context {
        check_id("context", &c.id)?;
        if c.disabled {
            continue;
        }
        if effect(&c.effect).is_none() {
            return Err(err(
                &c.id,
                "effect",
                format!(
                    "unknown effect `{}`; expected suppress, demote, affirm, animal, human or claim",
                    c.effect
                ),
            ));
        }
        if c.phrases.is_empty() {
            return Err(err(&c.id, "phrases", "no phrases given".into()));
        }
        for ph in &c.phrases {
            check_phrase(ph).map_err(|m| err(&c.id, "phrases", m))?;
        }
        for a in &c.applies {
            if applies_bit(a).is_none() {
                return Err(err(
                    &c.id,
                    "applies",
                    format!("unknown class `{a}`; expected conditions, drugs or types"),
                ));
            }
        }
        if !c.factor.is_finite() || c.factor < 0.0 {
            return Err(err(
                &c.id,
                "factor",
                "factor must be a finite number ≥ 0".into(),
            ));
        }
    }
    for m in &f.mesh {
        check_id("mesh", &m.id)?;
    }
    for p in &f.pubtype {
        check_id("pubtype", &p.id)?;
    }
    Ok(())
}

fn find_line(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(needle))
        .map_or(1, |n| n + 1)
}

fn effect(s: &str) -> Option<Effect> {
    Some(match s {
        "suppress" => Effect::Suppress,
        "demote" => Effect::Demote,
        "affirm" => Effect::Affirm,
        "animal" => Effect::Animal,
        "human" => Effect::Human,
        "claim" => Effect::Claim,
        _ => return None,
    })
}

fn applies_bit(s: &str) -> Option<u8> {
    Some(match s {
        "conditions" => Class::Condition.bit(),
        "drugs" => Class::Drug.bit(),
        "types" => Class::Type.bit(),
        _ => return None,
    })
}

fn check_phrase(p: &str) -> Result<(), String> {
    let variants = expand(p)?;
    for v in &variants {
        let first = v.split_whitespace().next();
        match first {
            None => return Err(format!("phrase `{p}` has an empty variant")),
            Some("*") => return Err(format!("phrase `{p}` may not start with `*`")),
            _ => {}
        }
    }
    Ok(())
}

/// Expands `{a|b|}` alternations (not nested) into every spelled-out variant.
pub fn expand(p: &str) -> Result<Vec<String>, String> {
    let mut out = vec![String::new()];
    let mut rest = p;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| format!("unclosed `{{` in phrase `{p}`"))?;
        let alts: Vec<&str> = rest[open + 1..close].split('|').collect();
        if alts.iter().any(|a| a.contains('{')) {
            return Err(format!("nested `{{` in phrase `{p}`"));
        }
        let prefix = &rest[..open];
        let mut next = Vec::with_capacity(out.len() * alts.len());
        for o in &out {
            for a in &alts {
                next.push(format!("{o}{prefix}{a}"));
            }
        }
        if next.len() > MAX_VARIANTS {
            return Err(format!(
                "phrase `{p}` expands to more than {MAX_VARIANTS} variants"
            ));
        }
        out = next;
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("unmatched `}}` in phrase `{p}`"));
    }
    for o in &mut out {
        o.push_str(rest);
    }
    Ok(out)
}

/// Applies `over` to `base`: a rule with a known id replaces that rule (so `disabled = true`
/// switches it off), a new id is appended, settings and spellings are overridden key by key.
pub fn merge(mut base: RuleFile, over: RuleFile) -> RuleFile {
    fn by_id<T>(base: &mut Vec<T>, over: Vec<T>, id: impl Fn(&T) -> &str) {
        for r in over {
            match base.iter().position(|b| id(b) == id(&r)) {
                Some(i) => base[i] = r,
                None => base.push(r),
            }
        }
    }
    if let Some(t) = over.settings.threshold {
        base.settings.threshold = Some(t);
    }
    if let Some(c) = over.settings.clause_breaks {
        base.settings.clause_breaks = Some(c);
    }
    if let Some(fw) = over.settings.field_weight {
        base.settings
            .field_weight
            .get_or_insert_with(BTreeMap::new)
            .extend(fw);
    }
    base.normalise.extend(over.normalise);
    by_id(&mut base.section, over.section, |r| &r.id);
    by_id(&mut base.tag, over.tag, |r| &r.id);
    by_id(&mut base.phrase, over.phrase, |r| &r.id);
    by_id(&mut base.context, over.context, |r| &r.id);
    by_id(&mut base.mesh, over.mesh, |r| &r.id);
    by_id(&mut base.pubtype, over.pubtype, |r| &r.id);
    base
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
    let mut concepts = Vec::new();
    for p in rules.phrase.iter().filter(|p| !p.disabled) {
        let tags: Vec<u16> = p.tags.iter().map(|t| b.tag_id(t)).collect();
        let fields = if p.fields.is_empty() {
            u8::MAX
        } else {
            p.fields
                .iter()
                .filter_map(|f| FieldKind::from_name(f))
                .fold(0, |m, f| m | f.bit())
        };
        let doc_any = p.doc_any.iter().flat_map(|x| b.sequences(x)).collect();
        let doc_none = p.doc_none.iter().flat_map(|x| b.sequences(x)).collect();
        let ci = concepts.len() as u32;
        concepts.push(Concept {
            tags,
            weight: p.weight,
            upper: p.upper,
            fields,
            doc_any,
            doc_none,
        });
        for ph in &p.phrases {
            for s in b.sequences(ph) {
                pending.push((s, Out::Concept(ci)));
            }
        }
    }
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
        let tags = c.tags.iter().map(|t| b.tag_id(t)).collect();
        let qi = cues.len() as u32;
        cues.push(Cue {
            effect,
            applies,
            tags,
            before: c.before.min(SENTENCE),
            after: c.after.min(SENTENCE),
            factor: c.factor,
        });
        for ph in &c.phrases {
            for s in b.sequences(ph) {
                pending.push((s, Out::Cue(qi)));
            }
        }
    }
    let mut clause_break_ids = Vec::new();
    for w in rules.settings.clause_breaks.iter().flatten() {
        let k = Builder::folded_key(w);
        clause_break_ids.push(b.tok_id(&k));
    }
    let mut sections: FxMap<Box<[u8]>, f32> = FxMap::default();
    for s in rules.section.iter().filter(|s| !s.disabled) {
        for l in &s.labels {
            sections.insert(Builder::folded_key(l), s.weight);
        }
    }
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
    let mut field_weight = [1.0f32; 6];
    for (k, v) in rules.settings.field_weight.iter().flatten() {
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
        tags: b.tags,
        mesh,
        pubtypes,
        field_weight,
        threshold: rules.settings.threshold.unwrap_or(1.0),
        fingerprint,
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
