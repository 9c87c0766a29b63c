//! Tokenising text into the lowercase, diacritic-folded word tokens that filters match against.

use std::ops::Range;

use crate::model::RawEntry;

use super::Field;

/// Splits `text` into word tokens the same way documents are split, so query words and
/// document words always compare like with like.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    tokenize_into(text, &mut buf, &mut spans);
    spans
        .into_iter()
        .map(|r| utf8(&buf[r.start as usize..r.end as usize]).to_owned())
        .collect()
}

/// ASCII letters and digits map to their lowercase byte; everything else (including every
/// non-ASCII byte) to 0.
pub(crate) static ASCII_FOLD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            t[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    t
};

/// Appends the folded text of each token of `text` to `buf` and its byte range to `spans`.
/// Tokens are concatenated without separators: spans, not delimiters, mark the boundaries.
/// `buf` only ever receives whole UTF-8 encoded characters.
///
/// This loop is the main cost of building a `FilterDoc`, hence one table lookup per ASCII
/// byte (letters, digits, case and separators all at once) and chars decoded only for
/// non-ASCII bytes.
fn tokenize_into(text: &str, buf: &mut Vec<u8>, spans: &mut Vec<Range<u32>>) {
    const NONE: usize = usize::MAX;
    let bytes = text.as_bytes();
    let mut open = NONE;
    let close = |spans: &mut Vec<Range<u32>>, open: &mut usize, at: usize| {
        if *open != NONE && at > *open {
            spans.push(*open as u32..at as u32);
        }
        *open = NONE;
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            if ASCII_FOLD[b as usize] == 0 {
                close(spans, &mut open, buf.len());
                i += 1;
                continue;
            }
            if open == NONE {
                open = buf.len();
            }
            // Stay in this tight loop for the rest of the ASCII part of the word.
            while let Some(&b) = bytes.get(i) {
                let folded = ASCII_FOLD[b as usize];
                if folded == 0 {
                    break;
                }
                buf.push(folded);
                i += 1;
            }
            continue;
        }
        let c = text[i..].chars().next().expect("i is on a char boundary");
        i += c.len_utf8();
        if is_combining_mark(c) {
            // Decomposed accents ("e" + U+0301) must neither split the word nor survive
            // folding, so they are swallowed without ending the token.
        } else if c.is_alphanumeric() {
            if open == NONE {
                open = buf.len();
            }
            for lc in c.to_lowercase() {
                push_folded(buf, lc);
            }
        } else {
            close(spans, &mut open, buf.len());
        }
    }
    close(spans, &mut open, buf.len());
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// Folds Latin letters with diacritics (Latin-1 Supplement and Latin Extended-A) to their
/// base letters so "kétamine" matches "ketamine"; other scripts pass through lowercased.
pub(crate) fn push_folded(buf: &mut Vec<u8>, c: char) {
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
            buf.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            return;
        }
    };
    buf.extend_from_slice(folded.as_bytes());
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
/// Token text lives in one buffer; each token also has its first eight bytes packed into a
/// `u64` (zero-padded), so nearly every comparison during matching is one integer compare
/// instead of a slice compare, and the scan reads one dense array.
#[derive(Debug, Clone, Default)]
pub struct FilterDoc {
    /// Lowercased, folded text, valid UTF-8 (see `tokenize_into`).
    buf: Vec<u8>,
    spans: Vec<Range<u32>>,
    heads: Vec<u64>,
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
        // Roughly one token per 6 bytes of English prose.
        let est_tokens = text_len / 6 + 8;
        let mut doc = FilterDoc {
            buf: Vec::with_capacity(text_len + 16),
            spans: Vec::with_capacity(est_tokens),
            heads: Vec::with_capacity(est_tokens),
            segs: Vec::with_capacity(
                4 + entry.mesh.len() + entry.categories.len() + entry.authors.len(),
            ),
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
        let first = self.spans.len();
        tokenize_into(text, &mut self.buf, &mut self.spans);
        let buf = &self.buf;
        self.heads.extend(self.spans[first..].iter().map(|r| {
            let (start, len) = (r.start as usize, (r.end - r.start) as usize);
            // One unaligned 8-byte load and a mask where the buffer allows, rather than a
            // variable-length copy per token.
            match buf.get(start..start + 8) {
                Some(eight) => {
                    let h = u64::from_le_bytes(eight.try_into().expect("8 bytes"));
                    if len >= 8 {
                        h
                    } else {
                        h & ((1u64 << (8 * len)) - 1)
                    }
                }
                None => head(&buf[start..start + len]),
            }
        }));
        let last = self.spans.len();
        if last > first {
            self.segs.push(Segment {
                field,
                toks: first as u32..last as u32,
            });
        }
    }

    /// The tokens of one field, in order, across all its values (for debugging).
    pub fn tokens(&self, field: Field) -> Vec<&str> {
        self.segs
            .iter()
            .filter(|s| s.field == field)
            .flat_map(|s| s.toks.clone())
            .map(|i| utf8(self.token(i as usize)))
            .collect()
    }

    fn token(&self, i: usize) -> &[u8] {
        let r = &self.spans[i];
        &self.buf[r.start as usize..r.end as usize]
    }

    fn token_is(&self, i: usize, word: &Word) -> bool {
        // Tokens never contain NUL, so for words under 8 bytes equal zero-padded heads
        // mean equal tokens; longer words need the rest compared.
        self.heads[i] == word.head && (word.len < 8 || self.token(i) == word.bytes)
    }

    fn token_starts_with(&self, i: usize, word: &Word) -> bool {
        self.heads[i] & word.mask == word.head
            && (word.len <= 8 || self.token(i).starts_with(word.bytes))
    }

    /// Whether `words` occur as consecutive tokens within one value of a field in `fields`;
    /// with `prefix`, the last word need only start the last token.
    pub(super) fn contains(&self, fields: u8, words: &[String], prefix: bool) -> bool {
        let Some((last, init)) = words.split_last() else {
            return false;
        };
        let n = words.len();
        let last = Word::new(last);
        let mask = if prefix { last.mask } else { u64::MAX };
        for seg in self.segs.iter().filter(|s| fields & s.field.bit() != 0) {
            let (a, b) = (seg.toks.start as usize, seg.toks.end as usize);
            if b - a < n {
                continue;
            }
            // Anchor on the last word: for single words this is the whole test, and for
            // phrases it is usually the rarer word, so the inner loop seldom runs. The
            // masked head compare rejects almost every token without touching `buf`.
            let first_end = a + n - 1;
            let heads = &self.heads[first_end..b];
            // Chunks without an early exit let the compiler vectorise the common case.
            for (c, chunk) in heads.chunks(8).enumerate() {
                let any = chunk
                    .iter()
                    .fold(false, |acc, &h| acc | (h & mask == last.head));
                if !any {
                    continue;
                }
                for (off, &h) in chunk.iter().enumerate() {
                    if h & mask != last.head {
                        continue;
                    }
                    let end = first_end + c * 8 + off;
                    let last_ok = if prefix {
                        self.token_starts_with(end, &last)
                    } else {
                        self.token_is(end, &last)
                    };
                    if last_ok
                        && init
                            .iter()
                            .enumerate()
                            .all(|(k, w)| self.token_is(end + 1 - n + k, &Word::new(w)))
                    {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// A query word prepared for head comparisons.
struct Word<'a> {
    bytes: &'a [u8],
    len: usize,
    head: u64,
    /// Selects the bytes of `head` a prefix must match.
    mask: u64,
}

impl<'a> Word<'a> {
    fn new(word: &'a str) -> Self {
        let bytes = word.as_bytes();
        let len = bytes.len();
        Word {
            bytes,
            len,
            head: head(bytes),
            mask: if len >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * len)) - 1
            },
        }
    }
}

/// The first eight bytes, zero-padded, little-endian (so byte 0 is the low byte).
fn head(bytes: &[u8]) -> u64 {
    let mut h = [0u8; 8];
    let n = bytes.len().min(8);
    h[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(h)
}

/// Token ranges always cover whole characters, so this cannot fail.
fn utf8(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("tokens are whole UTF-8 characters")
}
