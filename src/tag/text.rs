//! Tokenising fields into folded word tokens with sentence, clause and section structure.

pub use super::trie::{ANY, NUM, Trie};
use crate::relevance::text::{ASCII_FOLD, push_folded};

/// Token id for words that no rule mentions.
pub const UNKNOWN: u32 = u32::MAX;
/// Token id for section-label words ("RESULTS:"), which must never match a phrase.
pub const LABEL: u32 = u32::MAX - 1;
pub const NONE: u32 = u32::MAX;

/// Vocabulary keys are short words, and SipHash would cost more than the rest of the
/// per-token work. (rustc-hash 2 rather than a hand-rolled multiply: a bare multiply leaves
/// the table's bucket bits depending on a word's first letters only, so words sharing a
/// prefix collide.)
pub type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// One word of a field.
#[derive(Debug, Clone, Copy)]
pub struct Tok {
    /// Byte range in the original text.
    pub start: u32,
    pub end: u32,
    /// Folded text in `FieldText::folded`.
    pub fstart: u32,
    pub fend: u32,
    pub id: u32,
    pub sent: u32,
    pub clause: u32,
    /// Written in capitals (abbreviations are case-sensitive).
    pub upper: bool,
    pub num: bool,
    /// Directly preceded by "(" and followed by ")" / ";" / "," (an abbreviation being defined).
    pub paren_before: bool,
    pub paren_after: bool,
    /// A comma follows (the word ends an item of a list).
    pub comma_after: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Sent {
    pub weight: f32,
    /// The first sentence of a text without section labels.
    pub opening: bool,
}

/// The word-level view of one field (or one item of a list field).
#[derive(Debug, Default)]
pub struct FieldText {
    pub toks: Vec<Tok>,
    pub sents: Vec<Sent>,
    pub folded: Vec<u8>,
}

impl FieldText {
    pub fn fold_of(&self, t: &Tok) -> &[u8] {
        &self.folded[t.fstart as usize..t.fend as usize]
    }
}

/// What the tokeniser needs from the compiled rules.
pub struct Lexicon {
    /// Words of up to eight bytes, packed into an integer: most words are short, and an
    /// integer key hashes in one multiply and compares without a memcmp.
    short: FxMap<u64, u32>,
    long: FxMap<Box<[u8]>, u32>,
    pub clause_breaks: Vec<bool>,
    /// Folded section label ("design setting and participants") → weight of its sentences.
    pub sections: FxMap<Box<[u8]>, f32>,
    /// The first word of every section label: most sentences start with another word,
    /// and are then done with in one lookup (trying every label length at every
    /// sentence was an eighth of the tagger's time).
    section_starts: rustc_hash::FxHashSet<Box<[u8]>>,
}

/// Folded words never contain a zero byte, so zero padding keeps packed keys distinct.
/// Built with shifts rather than a copy into a stack buffer: the wide load right after a
/// narrow copy stalls on store forwarding, and that stall was a tenth of the tagger's time.
fn pack(w: &[u8]) -> Option<u64> {
    if w.len() > 8 {
        return None;
    }
    let mut v = 0u64;
    for (k, &b) in w.iter().enumerate() {
        v |= u64::from(b) << (8 * k);
    }
    Some(v)
}

impl Lexicon {
    pub fn new(
        vocab: FxMap<Box<[u8]>, u32>,
        clause_breaks: Vec<bool>,
        sections: FxMap<Box<[u8]>, f32>,
    ) -> Lexicon {
        let mut short = FxMap::default();
        let mut long = FxMap::default();
        for (k, v) in vocab {
            match pack(&k) {
                Some(p) => {
                    short.insert(p, v);
                }
                None => {
                    long.insert(k, v);
                }
            }
        }
        let section_starts = sections
            .keys()
            .filter_map(|k| k.split(|&b| b == b' ').next())
            .map(Box::from)
            .collect();
        Lexicon {
            short,
            long,
            clause_breaks,
            sections,
            section_starts,
        }
    }

    pub fn lookup(&self, folded: &[u8]) -> u32 {
        match pack(folded) {
            Some(p) => self.short.get(&p).copied(),
            None => self.long.get(folded).copied(),
        }
        .unwrap_or(UNKNOWN)
    }
}

/// One raw word with what separated it from the previous word.
#[derive(Debug, Clone, Copy)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub fstart: usize,
    pub fend: usize,
    pub upper: bool,
    pub num: bool,
    /// A `.`, `!` or `?` followed by white space came before this word.
    pub after_stop: bool,
    /// A blank line came before this word.
    pub after_paragraph: bool,
    /// The last non-space character before this word was `(`.
    pub after_open_paren: bool,
    /// A `-` joined this word to the previous one ("post-traumatic").
    pub after_hyphen: bool,
    pub starts_upper: bool,
}

/// The separator state between two words.
#[derive(Default)]
struct Gap {
    stop: bool,
    ws: bool,
    newlines: u32,
    last_punct: u8,
    len: usize,
}

impl Gap {
    fn open(&mut self, at: usize, fstart: usize, first: char) -> Word {
        let w = Word {
            start: at,
            end: at,
            fstart,
            fend: fstart,
            upper: true,
            num: first.is_ascii_digit(),
            after_stop: self.stop && self.ws,
            after_paragraph: self.newlines >= 2,
            after_open_paren: self.last_punct == b'(',
            after_hyphen: self.len == 1 && self.last_punct == b'-',
            starts_upper: first.is_uppercase(),
        };
        *self = Gap::default();
        w
    }

    fn separator(&mut self, c: char, b: u8) {
        self.len += 1;
        match c {
            '.' | '!' | '?' => self.stop = true,
            '\n' => {
                self.ws = true;
                self.newlines += 1;
            }
            c if c.is_whitespace() => self.ws = true,
            _ => {}
        }
        if !c.is_whitespace() {
            self.last_punct = if b.is_ascii() { b } else { b'#' };
        }
    }
}

const ALNUM: u8 = 1;
const LOWER: u8 = 2;
const UPPER: u8 = 4;

/// What each byte is inside a word: zero for anything that ends an ASCII run (including
/// every non-ASCII byte).
static ASCII_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_lowercase() {
            ALNUM | LOWER
        } else if c.is_ascii_uppercase() {
            ALNUM | UPPER
        } else if c.is_ascii_digit() {
            ALNUM
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Splits `text` into words, appending folded text to `folded`. HTML tags and entities left
/// in feed text ("&lt;i&gt;", "<sup>") separate words and never become words themselves.
/// Used for documents and rule phrases alike so that both fold the same way.
///
/// This loop is most of the tagger's cost, hence the table-driven run over ASCII letters;
/// chars are decoded only for non-ASCII bytes.
pub fn words(text: &str, folded: &mut Vec<u8>, out: &mut Vec<Word>) {
    split(text, folded, |w, _| out.push(w));
}

/// [`words`], handing each word to `emit` with the folded text so far as it ends.
#[inline(always)]
fn split(text: &str, folded: &mut Vec<u8>, mut emit: impl FnMut(Word, &[u8])) {
    let bytes = text.as_bytes();
    folded.reserve(bytes.len());
    let mut i = 0;
    let mut cur: Option<Word> = None;
    let mut letter = false;
    let mut gap = Gap::default();
    let mut close = |cur: &mut Option<Word>, letter: &mut bool, end: usize, folded: &Vec<u8>| {
        if let Some(mut w) = cur.take() {
            w.end = end;
            w.fend = folded.len();
            // Only letters make an abbreviation; "2024" is not written in capitals.
            w.upper &= *letter;
            if w.fend > w.fstart {
                emit(w, folded);
            }
        }
        *letter = false;
    };
    while i < bytes.len() {
        let b = bytes[i];
        if b < 128 {
            if ASCII_FOLD[b as usize] != 0 {
                let w = match cur.as_mut() {
                    Some(w) => w,
                    None => cur.insert(gap.open(i, folded.len(), b as char)),
                };
                // Find the run first and fold it in one extend: a push per byte re-checks
                // the capacity every time.
                let start = i;
                let mut seen = 0u8;
                while let Some(&b) = bytes.get(i) {
                    let class = ASCII_CLASS[b as usize];
                    if class == 0 {
                        break;
                    }
                    seen |= class;
                    i += 1;
                }
                folded.extend(bytes[start..i].iter().map(|&b| ASCII_FOLD[b as usize]));
                if seen & LOWER != 0 {
                    w.upper = false;
                }
                if seen & (LOWER | UPPER) != 0 {
                    letter = true;
                }
                continue;
            }
            close(&mut cur, &mut letter, i, folded);
            if b == b'<' {
                if let Some(skip) = html_tag_len(&bytes[i..]) {
                    i += skip;
                    continue;
                }
            } else if b == b'&'
                && let Some(skip) = entity_len(&bytes[i..])
            {
                i += skip;
                continue;
            }
            gap.separator(b as char, b);
            i += 1;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        let len = c.len_utf8();
        let mark = matches!(c, '\u{0300}'..='\u{036F}');
        if mark && cur.is_some() {
            // A decomposed accent neither splits a word nor survives folding.
        } else if c.is_alphanumeric() {
            let w = match cur.as_mut() {
                Some(w) => w,
                None => cur.insert(gap.open(i, folded.len(), c)),
            };
            if c.is_lowercase() {
                w.upper = false;
            }
            if c.is_alphabetic() {
                letter = true;
            }
            for lc in c.to_lowercase() {
                push_folded(folded, lc);
            }
        } else if !mark {
            close(&mut cur, &mut letter, i, folded);
            gap.separator(c, b);
        }
        i += len;
    }
    close(&mut cur, &mut letter, bytes.len(), folded);
}

/// Length of an HTML tag at the start of `b` ("<i>", "</sup>", "<br/>"), if it is one.
fn html_tag_len(b: &[u8]) -> Option<usize> {
    let first = *b.get(1)?;
    if !(first.is_ascii_alphabetic() || first == b'/') {
        return None;
    }
    let lim = b.len().min(64);
    for (k, &c) in b.iter().enumerate().take(lim).skip(1) {
        match c {
            b'>' => return Some(k + 1),
            b'<' | b'\n' => return None,
            _ => {}
        }
    }
    None
}

/// Length of an escaped HTML tag ("&lt;i&gt;") or of a character entity ("&amp;", "&#8805;").
fn entity_len(b: &[u8]) -> Option<usize> {
    if b.starts_with(b"&lt;") {
        // An escaped tag is skipped whole so its name does not become a word.
        let rest = &b[4..];
        let first = *rest.first()?;
        if first.is_ascii_alphabetic() || first == b'/' {
            let lim = rest.len().min(64);
            if let Some(k) = (0..lim.saturating_sub(3)).find(|&k| rest[k..].starts_with(b"&gt;"))
                && rest[..k]
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b' ' | b'=' | b'"'))
            {
                return Some(4 + k + 4);
            }
        }
    }
    let lim = b.len().min(12);
    for (k, &c) in b.iter().enumerate().take(lim).skip(1) {
        if c == b';' {
            return (k > 1).then_some(k + 1);
        }
        if !(c.is_ascii_alphanumeric() || c == b'#') {
            return None;
        }
    }
    None
}

/// Builds the token view of one field: words looked up in the vocabulary, sentences split at
/// `. ! ?` before a capital, digit or opening bracket (and at blank lines), and structured-
/// abstract labels ("OBJECTIVE:", "Design, Setting, and Participants:") turned into sentence
/// weights for the section they open. In a text of three or more sentences without labels,
/// the first sentence is marked `opening`: it states the field's motivation as often as the
/// study ("Ketamine has rapid effects in TRD and PTSD. We studied healthy volunteers...").
pub fn tokenize(text: &str, lex: &Lexicon, ft: &mut FieldText) {
    ft.toks.clear();
    ft.sents.clear();
    ft.folded.clear();
    let bytes = text.as_bytes();
    let toks = &mut ft.toks;
    // Each word is looked up as it ends, its folded bytes still at hand, and becomes a
    // token at once: a list of words first, then tokens made from it, cost the tagger
    // 5% more. Until the sentences are numbered below, `sent` says whether the word
    // opens one.
    split(text, &mut ft.folded, |w, folded| {
        let opens = !toks.is_empty()
            && (w.after_paragraph
                || (w.after_stop && (w.starts_upper || w.num || w.after_open_paren)));
        let id = lex.lookup(&folded[w.fstart..w.fend]);
        toks.push(make_tok(&w, id, u32::from(opens), 0, bytes));
    });
    let mut sent = 0u32;
    let mut clause = 0u32;
    let mut weight = 1.0f32;
    let mut labelled = false;
    ft.sents.push(Sent {
        weight,
        opening: false,
    });
    let mut k = 0;
    while k < ft.toks.len() {
        let opens = ft.toks[k].sent != 0;
        if opens {
            sent += 1;
            clause += 1;
            ft.sents.push(Sent {
                weight,
                opening: false,
            });
        }
        if (k == 0 || opens)
            && let Some((n, wt)) = section_label(text, ft, k, lex)
        {
            weight = wt;
            labelled = true;
            ft.sents[sent as usize].weight = wt;
            for t in &mut ft.toks[k..k + n] {
                t.id = LABEL;
                t.sent = sent;
                t.clause = clause;
            }
            k += n;
            continue;
        }
        let t = &mut ft.toks[k];
        t.sent = sent;
        t.clause = clause;
        if t.id != UNKNOWN
            && lex
                .clause_breaks
                .get(t.id as usize)
                .copied()
                .unwrap_or(false)
        {
            clause += 1;
        }
        k += 1;
    }
    if !labelled && ft.sents.len() >= 3 {
        ft.sents[0].opening = true;
    }
}

fn make_tok(w: &Word, id: u32, sent: u32, clause: u32, bytes: &[u8]) -> Tok {
    let next = bytes[w.end..]
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    Tok {
        start: w.start as u32,
        end: w.end as u32,
        fstart: w.fstart as u32,
        fend: w.fend as u32,
        id,
        sent,
        clause,
        upper: w.upper,
        num: w.num,
        paren_before: w.after_open_paren,
        paren_after: matches!(next, b')' | b';' | b','),
        comma_after: next == b',',
    }
}

/// Recognises a structured-abstract label at token `at` of `ft`: up to six words ending in a
/// colon, or a capitalised label word run followed by a non-capital word. Returns how many
/// words it spans and the weight of its section.
fn section_label(text: &str, ft: &FieldText, at: usize, lex: &Lexicon) -> Option<(usize, f32)> {
    known_label(text, ft, at, lex).or_else(|| (at > 0).then(|| unknown_label(text, ft, at))?)
}

fn known_label(text: &str, ft: &FieldText, at: usize, lex: &Lexicon) -> Option<(usize, f32)> {
    let (bytes, ws) = (text.as_bytes(), &ft.toks[at..]);
    if !lex.section_starts.contains(ft.fold_of(ws.first()?)) {
        return None;
    }
    // Labels are short; a fixed buffer avoids an allocation per sentence.
    let mut key = [0u8; 64];
    let mut len = 0;
    for n in 1..=ws.len().min(6) {
        let w = &ws[n - 1];
        let word = ft.fold_of(w);
        if n > 1 {
            // A label may span "Design, Setting, and Participants" but not another sentence.
            let between = &text[ws[n - 2].end as usize..w.start as usize];
            if between.contains(['.', ':', '(', ')']) {
                return None;
            }
            if len == key.len() {
                return None;
            }
            key[len] = b' ';
            len += 1;
        }
        if len + word.len() > key.len() {
            return None;
        }
        key[len..len + word.len()].copy_from_slice(word);
        len += word.len();
        let next = bytes[w.end as usize..]
            .iter()
            .copied()
            .find(|b| *b != b' ' && *b != b'\t')
            .unwrap_or(0);
        if let Some(&wt) = lex.sections.get(&key[..len]) {
            let all_caps = ws[..n].iter().all(|w| w.upper) && len >= 4;
            let followed_by_text = ws.get(n).is_some_and(|nw| !nw.upper);
            if next == b':' || (all_caps && followed_by_text && next != b',') {
                return Some((n, wt));
            }
        }
    }
    None
}

/// A label the rules do not list ("AREAS COVERED:", "EXPERT OPINION:"): one to four words in
/// capitals, at least five letters, right before a colon, after the field's first sentence
/// (so that a title's "PTSD: ..." stays words). Its section reads at full weight: an unknown
/// label ends the section before it, often BACKGROUND.
fn unknown_label(text: &str, ft: &FieldText, at: usize) -> Option<(usize, f32)> {
    let ws = &ft.toks[at..];
    let mut letters = 0;
    for n in 1..=ws.len().min(4) {
        let w = &ws[n - 1];
        if !w.upper {
            return None;
        }
        if n > 1
            && !text[ws[n - 2].end as usize..w.start as usize]
                .trim()
                .is_empty()
        {
            // "METHODS/DESIGN:" and "AREAS COVERED:" but not "TRD, PTSD:".
            let between = &text[ws[n - 2].end as usize..w.start as usize];
            if between.trim() != "/" && between.trim() != "&" {
                return None;
            }
        }
        letters += (w.fend - w.fstart) as usize;
        let next = text.as_bytes()[w.end as usize..]
            .iter()
            .copied()
            .find(|b| *b != b' ' && *b != b'\t')
            .unwrap_or(0);
        if next == b':' {
            return (letters >= 5).then_some((n, 1.0));
        }
    }
    None
}
