//! HTML-to-plain-text conversion for titles and abstracts (tags stripped, entities decoded, whitespace collapsed).
//!
//! Output convention: every run of whitespace (including former block boundaries
//! such as `<p>` or `<br>`) becomes ONE space, and the result is trimmed. Paragraph
//! structure is deliberately not preserved: the text feeds full-text search and
//! relevance scoring, where a stable single-line form is what matters.

use std::borrow::Cow;

/// Converts an HTML fragment (or plain text) into single-line plain text.
///
/// Handles doubly escaped markup (`&lt;p&gt;Background&lt;/p&gt;`): after decoding
/// entities, if the text still contains tags it is stripped and decoded once more.
pub fn html_to_text(s: &str) -> String {
    // Fast path: most titles and many abstracts are plain text.
    if !s.bytes().any(|b| b == b'<' || b == b'&') {
        return collapse_ws(s);
    }
    let stripped = strip_tags(s);
    let decoded = decode_entities(&stripped);
    if has_tag(&decoded) {
        let again = strip_tags(&decoded);
        let decoded_again = decode_entities(&again);
        return collapse_ws(&decoded_again);
    }
    collapse_ws(&decoded)
}

/// Same as [`html_to_text`]; named separately for call sites that clean one-line
/// values such as titles, author names and journal names.
pub fn clean_inline(s: &str) -> String {
    html_to_text(s)
}

/// Collapses every run of Unicode whitespace (incl. NBSP) to one space and trims:
/// `s.split_whitespace()` joined by spaces. Text is mostly words parted by single
/// spaces, so it is copied in runs that take those spaces along, and characters are
/// decoded only for non-ASCII bytes: the generic splitter, then a copy per word, were
/// a quarter of parsing a feed.
pub fn collapse_ws(s: &str) -> String {
    if is_collapsed(s) {
        return s.to_owned();
    }
    // ASCII white space as `char::is_whitespace` has it (with the vertical tab).
    const fn ascii_ws(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
    }
    // Whether the character at `i` (a boundary) is white space, and its length.
    let at = |i: usize| -> (bool, usize) {
        let b = s.as_bytes()[i];
        if b.is_ascii() {
            (ascii_ws(b), 1)
        } else {
            let c = s[i..].chars().next().unwrap_or(' ');
            (c.is_whitespace(), c.len_utf8())
        }
    };
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let (space, len) = at(i);
        if space {
            i += len;
            continue;
        }
        // A run from a word's first character: through single ASCII spaces that
        // precede another plain ASCII character, to the first other white space.
        let start = i;
        while i < b.len() {
            let c = b[i];
            if c == b' ' {
                match b.get(i + 1) {
                    Some(&n) if n.is_ascii() && !ascii_ws(n) => i += 2,
                    _ => break,
                }
            } else if c.is_ascii() {
                if ascii_ws(c) {
                    break;
                }
                i += 1;
            } else {
                let (space, len) = at(i);
                if space {
                    break;
                }
                i += len;
            }
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&s[start..i]);
    }
    out
}

/// Whether `s` is already as [`collapse_ws`] would leave it: no white space
/// but single ASCII spaces between other characters. Most text is, and finding that
/// out takes whole-slice passes the compiler vectorises, where collapsing decides
/// byte by byte.
fn is_collapsed(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return true;
    };
    if first == b' ' || last == b' ' {
        return false;
    }
    // ASCII white space other than the space is below it; non-ASCII is checked below.
    let (control, wide) = b.iter().fold((false, false), |(c, w), &x| {
        (c | (x < b' '), w | (x >= 0x80))
    });
    let doubled = b
        .iter()
        .zip(&b[1..])
        .fold(false, |d, (&x, &y)| d | ((x == b' ') & (y == b' ')));
    if control || doubled {
        return false;
    }
    // Every non-ASCII white space character starts with one of these (lead) bytes.
    !wide
        || !b.iter().enumerate().any(|(i, &x)| {
            matches!(x, 0xC2 | 0xE1 | 0xE2 | 0xE3)
                && s[i..].chars().next().is_some_and(char::is_whitespace)
        })
}

/// Decodes all HTML5 named and numeric character references.
pub fn decode_entities(s: &str) -> Cow<'_, str> {
    if s.contains('&') {
        htmlize::unescape(s)
    } else {
        Cow::Borrowed(s)
    }
}

/// Tags whose boundaries separate words (so `<p>a</p><p>b</p>` is "a b", not "ab").
fn is_block_tag(name: &[u8]) -> bool {
    const BLOCK: &[&[u8]] = &[
        b"p",
        b"br",
        b"div",
        b"li",
        b"ul",
        b"ol",
        b"h1",
        b"h2",
        b"h3",
        b"h4",
        b"h5",
        b"h6",
        b"tr",
        b"td",
        b"th",
        b"table",
        b"blockquote",
        b"section",
        b"article",
        b"header",
        b"footer",
        b"hr",
        b"dt",
        b"dd",
        b"dl",
        b"pre",
        b"figure",
        b"figcaption",
        b"abstract",
        b"sec",
        b"title",
    ];
    BLOCK.iter().any(|b| b.eq_ignore_ascii_case(name))
}

/// Whether the text contains something that looks like real markup (a `<` that
/// starts a tag name, end tag or comment and is closed by `>`). `p < 0.05` and
/// `IC50<10` do not count.
fn has_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(off) = s[i..].find('<') {
        let at = i + off;
        if tag_end(b, at).is_some() {
            return true;
        }
        i = at + 1;
    }
    false
}

/// If a tag starts at `b[at] == b'<'`, returns the index just past its closing `>`.
fn tag_end(b: &[u8], at: usize) -> Option<usize> {
    let next = *b.get(at + 1)?;
    let name_start = match next {
        b'/' => at + 2,
        b'!' | b'?' => return find_byte(b, at + 2, b'>').map(|e| e + 1),
        _ => at + 1,
    };
    if !b.get(name_start)?.is_ascii_alphabetic() {
        return None;
    }
    let mut j = name_start;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b':' || b[j] == b'-') {
        j += 1;
    }
    match b.get(j)? {
        b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' => {}
        _ => return None,
    }
    // Quote-aware scan so `<a title="x>y">` is one tag; a `<` anywhere (even
    // inside quotes) means this was not a tag after all ("a <b and c <d>"), and
    // bounds every scan by the next `<`, keeping hostile input linear.
    let mut quote = 0u8;
    while j < b.len() {
        let c = b[j];
        if c == b'<' {
            return None;
        }
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b'"' || c == b'\'' {
            quote = c;
        } else if c == b'>' {
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

fn find_byte(b: &[u8], from: usize, needle: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == needle)
        .map(|p| from + p)
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = hay.get(from..)?;
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

/// Removes tags, comments and `<script>`/`<style>` bodies; leaves entities alone.
fn strip_tags(s: &str) -> Cow<'_, str> {
    if !s.contains('<') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0; // start of the not-yet-copied text run
    let mut i = 0;
    while let Some(off) = s[i..].find('<') {
        let at = i + off;
        let Some(end) = tag_end(b, at) else {
            i = at + 1;
            continue;
        };
        out.push_str(&s[copied..at]);
        let mut resume = end;
        if b[at + 1] == b'!' {
            if b[at..].starts_with(b"<!--") {
                resume = find_ci(b, at + 4, b"-->").map_or(b.len(), |e| e + 3);
            } else if b[at..].starts_with(b"<![CDATA[") {
                let body_end = find_ci(b, at + 9, b"]]>").unwrap_or(b.len());
                out.push_str(&s[at + 9..body_end]);
                resume = (body_end + 3).min(b.len());
            }
        } else {
            let closing = b[at + 1] == b'/';
            let name_start = if closing { at + 2 } else { at + 1 };
            let mut ne = name_start;
            while ne < end && b[ne].is_ascii_alphanumeric() {
                ne += 1;
            }
            let name = &b[name_start..ne];
            if !closing
                && (name.eq_ignore_ascii_case(b"script") || name.eq_ignore_ascii_case(b"style"))
            {
                let mut close = Vec::with_capacity(name.len() + 2);
                close.extend_from_slice(b"</");
                close.extend_from_slice(name);
                resume = match find_ci(b, end, &close) {
                    Some(c) => find_byte(b, c, b'>').map_or(b.len(), |e| e + 1),
                    None => b.len(),
                };
            } else if is_block_tag(name) {
                out.push(' ');
            }
        }
        copied = resume;
        i = resume;
        if i >= b.len() {
            break;
        }
    }
    if copied < b.len() {
        out.push_str(&s[copied..]);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_ws_matches_split_whitespace() {
        for s in [
            "",
            "   ",
            "a",
            "  a  b\t\tc\n",
            "x\u{0b}y\u{0c}z\r\nw",
            "nbsp\u{a0}here\u{2003}em\u{3000}ideo\u{85}nel",
            "\u{a0}\u{a0}lead and trail\u{2028}",
            "caf\u{e9} na\u{ef}ve \u{1F600} emoji",
            "tab\u{200b}zero-width is not a space",
            "a b  c \u{a0}d e\u{a0}",
            " x ",
            "x \u{e9}t\u{e9} y",
            "dose \u{2265}0.5 mg/kg \u{b1} SD, 40\u{2013}60 min \u{2019}s",
            "thin\u{2009}space",
            "ogham\u{1680}mark",
            "\u{2003}",
        ] {
            let want: Vec<&str> = s.split_whitespace().collect();
            assert_eq!(collapse_ws(s), want.join(" "), "{s:?}");
        }
        // Every short mix of words and kinds of white space.
        let parts = [
            "a", "\u{e9}", " ", "  ", "\t", "\u{a0}", "\u{2003}", "\n\n", "bc",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let s: String = (0..rng.usize(0..9))
                .map(|_| parts[rng.usize(..parts.len())])
                .collect();
            let want: Vec<&str> = s.split_whitespace().collect();
            assert_eq!(collapse_ws(&s), want.join(" "), "{s:?}");
        }
    }

    #[test]
    fn plain_text_fast_path() {
        assert_eq!(
            html_to_text("  Ketamine   for\n depression "),
            "Ketamine for depression"
        );
        assert_eq!(html_to_text(""), "");
    }

    #[test]
    fn strips_tags_and_blocks() {
        assert_eq!(
            html_to_text("<p><b>Background:</b> Esketamine</p><p>Methods: RCT<br/>n=40</p>"),
            "Background: Esketamine Methods: RCT n=40"
        );
        assert_eq!(
            html_to_text("ket<i>amine</i> and CO<sub>2</sub>"),
            "ketamine and CO2"
        );
        assert_eq!(html_to_text("<ul><li>one</li><li>two</li></ul>"), "one two");
        assert_eq!(
            html_to_text("<h2>Results</h2>Remission"),
            "Results Remission"
        );
    }

    #[test]
    fn drops_script_style_comments() {
        assert_eq!(
            html_to_text(
                "a<script type=\"x\">var x = '<p>';</script>b<style>p{}</style>c<!-- hi <p> -->d"
            ),
            "abcd"
        );
        assert_eq!(html_to_text("x<SCRIPT>alert(1)"), "x");
    }

    #[test]
    fn decodes_entities() {
        assert_eq!(
            html_to_text("Montr&eacute;al &amp; Qu&#233;bec&nbsp;&mdash; &#x2014;"),
            "Montréal & Québec — —"
        );
        assert_eq!(html_to_text("&lsquo;rapid&rsquo; &hellip;"), "‘rapid’ …");
    }

    #[test]
    fn doubly_escaped_html() {
        assert_eq!(
            html_to_text("&lt;p&gt;Background&lt;/p&gt;&lt;p&gt;Ketamine &amp;amp; ECT&lt;/p&gt;"),
            "Background Ketamine & ECT"
        );
    }

    #[test]
    fn lone_angle_brackets_are_text() {
        assert_eq!(
            html_to_text("p < 0.05 and IC50<10 nM"),
            "p < 0.05 and IC50<10 nM"
        );
        assert_eq!(html_to_text("p &lt; 0.05, n &gt; 30"), "p < 0.05, n > 30");
        assert_eq!(html_to_text("a <b and c"), "a <b and c");
        assert_eq!(html_to_text("unterminated <p"), "unterminated <p");
    }

    #[test]
    fn cdata_and_odd_input() {
        assert_eq!(html_to_text("<![CDATA[inner]]> text"), "inner text");
        for s in [
            "<",
            "<!",
            "<!--",
            "</",
            "&",
            "&#",
            "&#x;",
            "<a href='",
            "<<>>",
            "\u{0}<p\u{0}>",
        ] {
            let _ = html_to_text(s);
        }
    }

    #[test]
    fn nbsp_collapses() {
        assert_eq!(collapse_ws("a\u{a0}\u{a0} b\t\r\nc"), "a b c");
    }
}
