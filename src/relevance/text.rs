//! Tokenising text into the lowercase, diacritic-folded word tokens that filters match against.

use std::ops::Range;

use crate::model::RawEntry;

use super::Field;

/// Splits `text` into word tokens the same way documents are split, so query words and
/// document words always compare like with like.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut buf = String::new();
    let mut toks = Vec::new();
    tokenize_into(text, &mut buf, &mut toks);
    toks.into_iter()
        .map(|r| buf[r.start as usize..r.end as usize].to_owned())
        .collect()
}

/// Appends the tokens of `text` to `buf`, recording each token's byte range.
/// Tokens are concatenated without separators: ranges, not delimiters, mark the boundaries.
fn tokenize_into(text: &str, buf: &mut String, toks: &mut Vec<Range<u32>>) {
    let mut start = buf.len();
    let mut close = |buf: &mut String, start: &mut usize| {
        if buf.len() > *start {
            toks.push(*start as u32..buf.len() as u32);
        }
        *start = buf.len();
    };
    for c in text.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                buf.push(c.to_ascii_lowercase());
            } else {
                close(buf, &mut start);
            }
        } else if is_combining_mark(c) {
            // Decomposed accents ("e" + U+0301) must neither split the word nor survive
            // folding, so they are swallowed without ending the token.
        } else if c.is_alphanumeric() {
            for lc in c.to_lowercase() {
                push_folded(buf, lc);
            }
        } else {
            close(buf, &mut start);
        }
    }
    close(buf, &mut start);
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// Folds Latin letters with diacritics (Latin-1 Supplement and Latin Extended-A) to their
/// base letters so "kétamine" matches "ketamine"; other scripts pass through lowercased.
fn push_folded(buf: &mut String, c: char) {
    let folded: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' | 'ĸ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŋ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ſ' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        // Lowercasing "İ" yields "i" + U+0307; the mark must not reach the buffer.
        c if is_combining_mark(c) => "",
        c => {
            buf.push(c);
            return;
        }
    };
    buf.push_str(folded);
}

/// One field value: a run of tokens a phrase may match inside but never across, so the
/// MeSH headings "Ketamine" and "Depression" do not form the phrase "ketamine depression".
#[derive(Debug, Clone)]
struct Segment {
    field: Field,
    toks: Range<u32>,
}

/// An entry tokenised once, ready for any number of filters.
///
/// All tokens live in one buffer to keep building cheap (one allocation for the text,
/// one for the ranges, one for the segments) and scanning cache-friendly.
#[derive(Debug, Clone, Default)]
pub struct FilterDoc {
    buf: String,
    toks: Vec<Range<u32>>,
    segs: Vec<Segment>,
}

impl FilterDoc {
    /// An empty document (matches only filters that are pure negations).
    pub fn new() -> Self {
        Self::default()
    }

    /// Tokenises the fields a filter can see: title, summary (as the abstract), MeSH
    /// headings, categories, authors and journal.
    pub fn from_entry(entry: &RawEntry) -> Self {
        let text_len = entry.title.as_deref().map_or(0, str::len)
            + entry.summary.as_deref().map_or(0, str::len)
            + entry.journal.as_deref().map_or(0, str::len)
            + [&entry.mesh, &entry.categories, &entry.authors]
                .iter()
                .flat_map(|v| v.iter())
                .map(String::len)
                .sum::<usize>();
        let mut doc = FilterDoc {
            buf: String::with_capacity(text_len),
            // Roughly one token per 6 bytes of English prose.
            toks: Vec::with_capacity(text_len / 6 + 8),
            segs: Vec::with_capacity(4 + entry.mesh.len() + entry.categories.len()),
        };
        if let Some(t) = &entry.title {
            doc.push(Field::Title, t);
        }
        if let Some(s) = &entry.summary {
            doc.push(Field::Abstract, s);
        }
        for m in &entry.mesh {
            doc.push(Field::Mesh, m);
        }
        for c in &entry.categories {
            doc.push(Field::Category, c);
        }
        for a in &entry.authors {
            doc.push(Field::Author, a);
        }
        if let Some(j) = &entry.journal {
            doc.push(Field::Journal, j);
        }
        doc
    }

    /// Adds one field value as its own segment; call repeatedly for list fields.
    pub fn push(&mut self, field: Field, text: &str) {
        let first = self.toks.len() as u32;
        tokenize_into(text, &mut self.buf, &mut self.toks);
        let last = self.toks.len() as u32;
        if last > first {
            self.segs.push(Segment {
                field,
                toks: first..last,
            });
        }
    }

    /// The tokens of one field, in order, across all its values (for debugging).
    pub fn tokens(&self, field: Field) -> Vec<&str> {
        self.segs
            .iter()
            .filter(|s| s.field == field)
            .flat_map(|s| s.toks.clone())
            .map(|i| self.token(i as usize))
            .collect()
    }

    fn token(&self, i: usize) -> &str {
        let r = &self.toks[i];
        &self.buf[r.start as usize..r.end as usize]
    }

    /// Whether `words` occur as consecutive tokens within one value of a field in `fields`;
    /// with `prefix`, the last word need only start the last token.
    pub(super) fn contains(&self, fields: u8, words: &[String], prefix: bool) -> bool {
        let Some((last, init)) = words.split_last() else {
            return false;
        };
        let n = words.len();
        let bytes = self.buf.as_bytes();
        let tok = |i: usize| {
            let r = &self.toks[i];
            &bytes[r.start as usize..r.end as usize]
        };
        let last = last.as_bytes();
        let matches_last = |t: &[u8]| {
            if prefix {
                t.starts_with(last)
            } else {
                t == last
            }
        };
        for seg in self.segs.iter().filter(|s| fields & s.field.bit() != 0) {
            let (a, b) = (seg.toks.start as usize, seg.toks.end as usize);
            if b - a < n {
                continue;
            }
            // Anchor on the last word: for single words this is the whole test, and for
            // phrases it is usually the rarer word, so the inner loop seldom runs.
            for end in a + n - 1..b {
                if matches_last(tok(end))
                    && init
                        .iter()
                        .enumerate()
                        .all(|(k, w)| tok(end + 1 - n + k) == w.as_bytes())
                {
                    return true;
                }
            }
        }
        false
    }
}
