//! Relevance: an entry is relevant when some ketamine-class `drug:` tag holds, i.e. the drug
//! is studied rather than mentioned in passing; irrelevant entries keep no condition or drug tags.

use super::conditions::{Loc, Scores};
use super::rules::{Class, Compiled};

/// Whether any drug tag holds, and the strongest evidence among those that do.
pub fn relevance(c: &Compiled, scores: &Scores, set: &[bool]) -> (bool, Option<Loc>) {
    let mut best: Option<(f32, Loc)> = None;
    for (i, t) in c.tags.iter().enumerate() {
        if t.class != Class::Drug || !set[i] {
            continue;
        }
        let a = &scores.acc[i];
        if let Some(loc) = a.loc
            && best.is_none_or(|(b, _)| a.best > b)
        {
            best = Some((a.best, loc));
        }
    }
    (best.is_some(), best.map(|(_, l)| l))
}

/// An irrelevant entry carries no condition tags (the spec) and no drug tags (none held).
pub fn enforce(c: &Compiled, relevant: bool, set: &mut [bool]) {
    if relevant {
        return;
    }
    for (i, t) in c.tags.iter().enumerate() {
        if matches!(t.class, Class::Condition | Class::Drug) {
            set[i] = false;
        }
    }
}
