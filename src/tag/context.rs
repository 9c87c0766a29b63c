//! Context windows: how negation, exclusion-criteria, background, adverse-event, future-work,
//! contrast, animal-model and drug-use cues near a match change what that match is worth.

use std::cell::Cell;

use super::conditions::doc_ok;
use super::rules::{Class, Compiled, Cue, Effect, Out, SENTENCE};
use super::text::{FieldText, Tok};

/// A phrase or cue found in a field: tokens `start..end`.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub start: u32,
    pub end: u32,
    pub out: Out,
}

/// A tokenised field and what was found in it: every hit in text order, and the
/// indices of the cue hits among them; and the entry it belongs to.
#[derive(Clone, Copy)]
pub struct Found<'a> {
    pub ft: &'a FieldText,
    pub hits: &'a [Hit],
    pub cues: &'a [u32],
    /// The field's [`FieldKind::bit`](super::types::FieldKind).
    pub field: u8,
    pub doc: &'a Doc<'a>,
}

pub const UNDECIDED: u8 = 0;
const ACTIVE: u8 = 1;
const INACTIVE: u8 = 2;

/// The whole entry, for cues that act only where some phrase does (or does not) occur in
/// it. Each such cue is decided once per entry, and only when it would change a match.
pub struct Doc<'a> {
    pub fields: &'a [&'a FieldText],
    pub cache: &'a [Cell<u8>],
}

impl Doc<'_> {
    fn active(&self, qi: u32, cue: &Cue) -> bool {
        let cell = &self.cache[qi as usize];
        match cell.get() {
            ACTIVE => true,
            INACTIVE => false,
            _ => {
                let ok = doc_ok(&cue.doc_any, &cue.doc_none, self.fields);
                cell.set(if ok { ACTIVE } else { INACTIVE });
                ok
            }
        }
    }
}

/// The worth of a match of class `class` with tags `tags` at `h`, after every cue whose window
/// covers it: `base` × the section weight × the strongest demotion, or 0 when suppressed.
/// An `affirm` cue (e.g. "randomised to") cancels suppressions and demotions: it marks the
/// mention as studied whatever else the sentence says.
pub fn worth(c: &Compiled, found: Found, h: &Hit, class: Class, tags: &[u16], base: f32) -> f32 {
    let Found {
        ft,
        hits,
        cues,
        field,
        doc,
    } = found;
    let toks = &ft.toks;
    let first = &toks[h.start as usize];
    let last = &toks[(h.end - 1) as usize];
    let sent = ft.sents.get(first.sent as usize);
    let mut aim = false;
    let mut fx = Effects::default();
    // `cues` lists the cue hits in text order, so this sentence's are one contiguous
    // run; phrase hits, most of a dense sentence, are never looked at.
    let sent_of = |k: &u32| toks[hits[*k as usize].start as usize].sent;
    let from = cues.partition_point(|k| sent_of(k) < first.sent);
    for k in &cues[from..] {
        if sent_of(k) != first.sent {
            break;
        }
        let q = &hits[*k as usize];
        let Out::Cue(qi) = q.out else { continue };
        let cue = &c.cues[qi as usize];
        aim |= cue.effect == Effect::Aim;
        if !cue.acts_on(class, tags) {
            continue;
        }
        let qf = &toks[q.start as usize];
        let covered = if q.start >= h.end {
            // The cue follows the match: its `before` window looks back at it.
            within(q.start - h.end, cue.before, last, qf)
        } else if q.end <= h.start {
            let ql = &toks[(q.end - 1) as usize];
            within(h.start - q.end, cue.after, ql, first)
        } else {
            false
        };
        if !covered || (cue.conditional() && !doc.active(qi, cue)) {
            continue;
        }
        fx.apply(cue);
    }
    for &qi in &c.list_cues {
        let cue = &c.cues[qi as usize];
        let here = cue.fields & field != 0;
        if here && cue.acts_on(class, tags) && in_list(ft, h, cue) && doc.active(qi, cue) {
            fx.apply(cue);
        }
    }
    let section = match sent {
        // A drug named at the opening is as often the one studied as the motivation.
        Some(s) if s.opening && !aim && class != Class::Drug => c.opening_weight,
        Some(s) => s.weight,
        None => 1.0,
    };
    if fx.affirmed {
        return base * section;
    }
    if fx.suppressed {
        return 0.0;
    }
    base * section * fx.demote
}

/// What the cues covering one match do to it.
struct Effects {
    suppressed: bool,
    affirmed: bool,
    demote: f32,
}

impl Default for Effects {
    fn default() -> Effects {
        Effects {
            suppressed: false,
            affirmed: false,
            demote: 1.0,
        }
    }
}

impl Effects {
    fn apply(&mut self, cue: &Cue) {
        match cue.effect {
            Effect::Suppress | Effect::Animal => self.suppressed = true,
            Effect::Demote => self.demote = self.demote.min(cue.factor),
            Effect::Affirm => self.affirmed = true,
            Effect::Human | Effect::Claim | Effect::Aim => {}
        }
    }
}

/// Whether the match is one item of an enumeration: at least `cue.list` commas within the
/// cue's window around it, in its sentence ("alcohol, cannabis, cocaine, and ketamine").
fn in_list(ft: &FieldText, h: &Hit, cue: &Cue) -> bool {
    let toks = &ft.toks;
    let sent = toks[h.start as usize].sent;
    let from = (h.start as usize).saturating_sub(cue.before as usize);
    let to = (h.end as usize + cue.after as usize).min(toks.len());
    let commas = toks[from..to]
        .iter()
        .filter(|t| t.sent == sent && t.comma_after)
        .count();
    commas >= cue.list as usize
}

/// Whether `gap` tokens between a cue and a match fall inside a window of `window` tokens.
/// Narrow windows stop at clause breaks ("but", "whereas"); sentence-wide ones do not.
fn within(gap: u32, window: u32, a: &Tok, b: &Tok) -> bool {
    if window >= SENTENCE {
        return true;
    }
    gap <= window && a.clause == b.clause
}
