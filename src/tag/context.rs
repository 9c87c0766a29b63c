//! Context windows: how negation, exclusion-criteria, background, adverse-event, future-work,
//! contrast, animal-model and drug-use cues near a match change what that match is worth.

use super::rules::{Class, Compiled, Effect, Out, SENTENCE};
use super::text::{FieldText, Tok};

/// A phrase or cue found in a field: tokens `start..end`.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub start: u32,
    pub end: u32,
    pub out: Out,
}

/// A tokenised field and what was found in it: every hit in text order, and the
/// indices of the cue hits among them.
#[derive(Clone, Copy)]
pub struct Found<'a> {
    pub ft: &'a FieldText,
    pub hits: &'a [Hit],
    pub cues: &'a [u32],
}

/// The worth of a match of class `class` with tags `tags` at `h`, after every cue whose window
/// covers it: `base` × the section weight × the strongest demotion, or 0 when suppressed.
/// An `affirm` cue (e.g. "randomised to") cancels suppressions and demotions: it marks the
/// mention as studied whatever else the sentence says.
pub fn worth(c: &Compiled, found: Found, h: &Hit, class: Class, tags: &[u16], base: f32) -> f32 {
    let Found { ft, hits, cues } = found;
    let toks = &ft.toks;
    let first = &toks[h.start as usize];
    let last = &toks[(h.end - 1) as usize];
    let section = ft.sents.get(first.sent as usize).map_or(1.0, |s| s.weight);
    let mut suppressed = false;
    let mut affirmed = false;
    let mut demote = 1.0f32;
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
        if cue.applies & class.bit() == 0 {
            continue;
        }
        if !cue.tags.is_empty() && !tags.iter().any(|t| cue.tags.contains(t)) {
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
        if !covered {
            continue;
        }
        match cue.effect {
            Effect::Suppress | Effect::Animal => suppressed = true,
            Effect::Demote => demote = demote.min(cue.factor),
            Effect::Affirm => affirmed = true,
            Effect::Human | Effect::Claim => {}
        }
    }
    if affirmed {
        return base * section;
    }
    if suppressed {
        return 0.0;
    }
    base * section * demote
}

/// Whether `gap` tokens between a cue and a match fall inside a window of `window` tokens.
/// Narrow windows stop at clause breaks ("but", "whereas"); sentence-wide ones do not.
fn within(gap: u32, window: u32, a: &Tok, b: &Tok) -> bool {
    if window >= SENTENCE {
        return true;
    }
    gap <= window && a.clause == b.clause
}
