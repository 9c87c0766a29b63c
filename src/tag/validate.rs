//! Parsing a rule file and checking it before use: one-line errors naming the file, line
//! and key; phrase syntax (`{a|b}` alternations) and its expansion.

use super::rules::{MAX_VARIANTS, applies_bit, effect};
use super::schema::{ContextRule, PhraseRule, RuleFile};
use super::types::{FieldKind, RulesError};

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
    let mut c = Checker {
        text,
        origin,
        seen: Default::default(),
    };
    c.settings(f)?;
    for s in &f.section {
        c.id("section", &s.id)?;
        c.weight(&s.id, "weight", s.weight)?;
    }
    for t in &f.tag {
        c.id("tag", &t.id)?;
        if !t.disabled && t.tag.trim().is_empty() {
            return Err(c.err(&t.id, "tag", "missing tag name".into()));
        }
    }
    for p in &f.phrase {
        c.phrase(p)?;
    }
    for x in &f.context {
        c.context(x)?;
    }
    for m in &f.mesh {
        c.id("mesh", &m.id)?;
    }
    for p in &f.pubtype {
        c.id("pubtype", &p.id)?;
    }
    Ok(())
}

/// Checks one file's rules, remembering the ids seen so far.
struct Checker<'a> {
    text: &'a str,
    origin: &'a str,
    seen: std::collections::BTreeSet<(&'static str, String)>,
}

impl Checker<'_> {
    fn err(&self, id: &str, key: &str, message: String) -> RulesError {
        RulesError {
            origin: self.origin.to_string(),
            line: locate(self.text, id, key),
            key: key.to_string(),
            message,
        }
    }

    fn at_key(&self, key: &str, message: &str) -> RulesError {
        RulesError {
            origin: self.origin.to_string(),
            line: find_line(self.text, key),
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn id(&mut self, kind: &'static str, id: &str) -> Result<(), RulesError> {
        if id.trim().is_empty() {
            let msg = format!("a [[{kind}]] rule needs a non-empty id");
            return Err(self.err(id, "id", msg));
        }
        if !self.seen.insert((kind, id.to_string())) {
            return Err(self.err(id, "id", format!("duplicate [[{kind}]] id `{id}`")));
        }
        Ok(())
    }

    fn weight(&self, id: &str, key: &str, w: f32) -> Result<(), RulesError> {
        if !w.is_finite() || w < 0.0 {
            let msg = format!("{key} must be a finite number ≥ 0");
            return Err(self.err(id, key, msg));
        }
        Ok(())
    }

    fn phrases<'p>(
        &self,
        id: &str,
        key: &str,
        list: impl IntoIterator<Item = &'p String>,
    ) -> Result<(), RulesError> {
        for ph in list {
            check_phrase(ph).map_err(|m| self.err(id, key, m))?;
        }
        Ok(())
    }

    fn settings(&self, f: &RuleFile) -> Result<(), RulesError> {
        for (k, v) in f.settings.field_weight.iter().flatten() {
            if FieldKind::from_name(k).is_none() {
                return Err(self.at_key(k, "unknown field; expected title, abstract, mesh, keywords, publication_types or conditions"));
            }
            if !v.is_finite() || *v < 0.0 {
                return Err(self.at_key(k, "weight must be a finite number ≥ 0"));
            }
        }
        if let Some(w) = f.settings.opening_weight
            && !(w.is_finite() && (0.0..=1.0).contains(&w))
        {
            return Err(self.at_key("opening_weight", "must be a number from 0 to 1"));
        }
        Ok(())
    }

    fn phrase(&mut self, p: &PhraseRule) -> Result<(), RulesError> {
        self.id("phrase", &p.id)?;
        if p.disabled {
            return Ok(());
        }
        if p.phrases.is_empty() {
            return Err(self.err(&p.id, "phrases", "no phrases given".into()));
        }
        self.phrases(
            &p.id,
            "phrases",
            p.phrases.iter().chain(&p.doc_any).chain(&p.doc_none),
        )?;
        self.weight(&p.id, "weight", p.weight)?;
        for fname in &p.fields {
            if FieldKind::from_name(fname).is_none() {
                return Err(self.err(&p.id, "fields", format!("unknown field `{fname}`")));
            }
        }
        for t in &p.tags {
            if t.trim().is_empty() || t.starts_with('@') {
                return Err(self.err(&p.id, "tags", format!("invalid tag name `{t}`")));
            }
        }
        Ok(())
    }

    fn context(&mut self, c: &ContextRule) -> Result<(), RulesError> {
        self.id("context", &c.id)?;
        if c.disabled {
            return Ok(());
        }
        if effect(&c.effect).is_none() {
            let msg = format!(
                "unknown effect `{}`; expected suppress, demote, affirm, animal, human, claim or aim",
                c.effect
            );
            return Err(self.err(&c.id, "effect", msg));
        }
        if c.phrases.is_empty() == (c.list == 0) {
            let msg = "give either phrases or a list size".into();
            return Err(self.err(&c.id, "phrases", msg));
        }
        self.phrases(&c.id, "phrases", &c.phrases)?;
        self.phrases(&c.id, "doc_any", &c.doc_any)?;
        self.phrases(&c.id, "doc_none", &c.doc_none)?;
        for fname in &c.fields {
            if FieldKind::from_name(fname).is_none() {
                return Err(self.err(&c.id, "fields", format!("unknown field `{fname}`")));
            }
        }
        for a in &c.applies {
            if applies_bit(a).is_none() {
                let msg = format!("unknown class `{a}`; expected conditions, drugs or types");
                return Err(self.err(&c.id, "applies", msg));
            }
        }
        self.weight(&c.id, "factor", c.factor)
    }
}

fn find_line(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(needle))
        .map_or(1, |n| n + 1)
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
