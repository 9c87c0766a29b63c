//! Byte-to-UTF-8 decoding of feed documents (BOM, Appendix F, HTTP charset, XML declaration), and the entity pre-pass that follows it.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

mod entities;
pub use entities::fix_entities;

/// A character encoding a document can be in: one of encoding_rs's, or UTF-32,
/// which encoding_rs (following WHATWG) does not implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocEncoding {
    Rs(&'static Encoding),
    Utf32Le,
    Utf32Be,
}

impl DocEncoding {
    /// The encoding a label names (WHATWG labels, plus `utf-32`/`ucs-4` and
    /// their endian forms); `None` for an unknown label.
    pub fn for_label(label: &str) -> Option<DocEncoding> {
        let l = label.trim().to_ascii_lowercase();
        match l.as_str() {
            "utf-32le" | "ucs-4le" => Some(DocEncoding::Utf32Le),
            // Unmarked UTF-32 is big-endian (Unicode 3.10, D101) unless the bytes say otherwise.
            "utf-32" | "utf-32be" | "ucs-4" | "ucs-4be" | "iso-10646-ucs-4" => {
                Some(DocEncoding::Utf32Be)
            }
            _ => Encoding::for_label(l.as_bytes()).map(DocEncoding::Rs),
        }
    }

    /// The text, and whether any malformed sequence was replaced.
    fn decode(self, body: &[u8]) -> (Cow<'_, str>, bool) {
        match self {
            DocEncoding::Rs(enc) => enc.decode_without_bom_handling(body),
            DocEncoding::Utf32Le => decode_utf32(body, u32::from_le_bytes),
            DocEncoding::Utf32Be => decode_utf32(body, u32::from_be_bytes),
        }
    }

    /// Whether a label naming this encoding cannot be true of bytes that read
    /// as ASCII: UTF-16 and UTF-32 (wider units), and WHATWG's `replacement`
    /// (which would turn the whole document into one U+FFFD).
    fn denied_by_ascii_bytes(self) -> bool {
        match self {
            DocEncoding::Rs(enc) => enc.output_encoding() != enc,
            _ => true,
        }
    }
}

/// UTF-32 in either byte order; invalid scalar values and a trailing partial
/// unit become U+FFFD.
fn decode_utf32(body: &[u8], unit: fn([u8; 4]) -> u32) -> (Cow<'_, str>, bool) {
    let units = body.chunks_exact(4);
    let partial = !units.remainder().is_empty();
    let mut bad = partial;
    let mut out = String::with_capacity(body.len() / 4 + 4);
    for c in units {
        let u = unit([c[0], c[1], c[2], c[3]]);
        let c = char::from_u32(u);
        bad |= c.is_none();
        out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    if partial {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    (Cow::Owned(out), bad)
}

/// What the first bytes alone say (XML 1.0 Appendix F): a byte order mark and
/// its length, or the encoding family the pattern of zero bytes proves (a
/// document starts with `<` or whitespace, and XML text never holds NUL).
fn sniff_bytes(bytes: &[u8]) -> Option<(DocEncoding, usize)> {
    use DocEncoding::*;
    match bytes {
        [0, 0, 0xfe, 0xff, ..] => return Some((Utf32Be, 4)),
        [0xff, 0xfe, 0, 0, ..] => return Some((Utf32Le, 4)),
        _ => {}
    }
    if let Some((enc, len)) = Encoding::for_bom(bytes) {
        return Some((Rs(enc), len));
    }
    let pattern = match bytes {
        [0, 0, 0, x, ..] if *x != 0 => Utf32Be,
        [x, 0, 0, 0, ..] if *x != 0 => Utf32Le,
        [0, x, 0, y, ..] if *x != 0 && *y != 0 => Rs(encoding_rs::UTF_16BE),
        [x, 0, y, 0, ..] if *x != 0 && *y != 0 => Rs(encoding_rs::UTF_16LE),
        _ => return None,
    };
    Some((pattern, 0))
}

/// Decodes a document to UTF-8, per RFC 7303 and XML 1.0 Appendix F:
///
/// 1. a byte order mark, or the zero-byte pattern of UTF-16/UTF-32 (bytes that
///    can only be read one way outrank any label);
/// 2. the `charset` of the Content-Type (`text/xml` included: RFC 7303 gives
///    it no default of its own);
/// 3. the XML declaration's `encoding`;
/// 4. UTF-8.
///
/// A UTF-16/32 label on bytes that read as ASCII is a lie and means UTF-8.
/// Labels follow WHATWG, so `ISO-8859-1` is windows-1252. Malformed sequences
/// become U+FFFD; this never fails. Borrows when the input already is
/// BOM-less UTF-8.
///
/// The returned text no longer carries a misleading XML declaration: if it
/// declared a non-UTF-8 encoding, that value is rewritten to `utf-8` (the rss
/// crate's XML reader would otherwise re-decode the already decoded text).
pub fn decode_document<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Cow<'a, str> {
    let (encoding, fallback, body) = match sniff_bytes(bytes) {
        Some((enc, skip)) => (enc, None, &bytes[skip..]),
        None => {
            let usable = |e: &DocEncoding| !e.denied_by_ascii_bytes();
            let served = content_type
                .and_then(charset_of)
                .and_then(DocEncoding::for_label)
                .filter(usable);
            let declared = || {
                xml_declared_encoding(bytes)
                    .and_then(|l| DocEncoding::for_label(&l))
                    .filter(usable)
            };
            match served {
                // A server's blanket "UTF-8" over bytes that are not UTF-8 is
                // wrong; the document's own declaration is the next witness.
                Some(enc) if enc == DocEncoding::Rs(UTF_8) => (enc, declared(), bytes),
                Some(enc) => (enc, None, bytes),
                None => (declared().unwrap_or(DocEncoding::Rs(UTF_8)), None, bytes),
            }
        }
    };
    let (mut text, malformed) = encoding.decode(body);
    if malformed && let Some(other) = fallback.filter(|f| *f != encoding) {
        text = other.decode(body).0;
    }
    match neutralise_declared_encoding(&text) {
        Some(fixed) => Cow::Owned(fixed),
        None => text,
    }
}

/// The `encoding` pseudo-attribute of a leading `<?xml …?>` declaration.
fn xml_declared_encoding(bytes: &[u8]) -> Option<String> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = bytes.get(start..)?;
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.iter().take(512).position(|&b| b == b'>')?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    decl_attr(decl, "encoding").map(|(_, v)| v.to_string())
}

/// Finds `name="value"` (either quote) in a declaration; returns the value's byte range and text.
fn decl_attr<'a>(decl: &'a str, name: &str) -> Option<(std::ops::Range<usize>, &'a str)> {
    let pos = decl.find(name)?;
    let rest = &decl[pos + name.len()..];
    let eq = rest.find('=')?;
    if !rest[..eq].trim().is_empty() {
        return None;
    }
    let after_eq = &rest[eq + 1..];
    let ws = after_eq.len() - after_eq.trim_start().len();
    let quoted = &after_eq[ws..];
    let q = quoted.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let close = quoted[1..].find(q)?;
    let vstart = pos + name.len() + eq + 1 + ws + 1;
    Some((vstart..vstart + close, &quoted[1..1 + close]))
}

/// If the decoded text's XML declaration names an encoding other than UTF-8,
/// returns a copy with that value replaced by `utf-8` (line numbers unchanged).
fn neutralise_declared_encoding(text: &str) -> Option<String> {
    let start = text.len() - text.trim_start().len();
    let head = &text[start..];
    if !head.starts_with("<?xml") {
        return None;
    }
    let end = head.find('>').filter(|e| *e < 512)?;
    let (range, value) = decl_attr(&head[..end], "encoding")?;
    if value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("utf8") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start + range.start]);
    out.push_str("utf-8");
    out.push_str(&text[start + range.end..]);
    Some(out)
}

/// The `charset` parameter of a Content-Type header value.
pub fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_borrows() {
        let d = decode_document(b"<rss>caf\xc3\xa9</rss>", None);
        assert!(matches!(d, Cow::Borrowed(_)));
        assert_eq!(d, "<rss>café</rss>");
    }

    #[test]
    fn bom_wins() {
        let d = decode_document(
            b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>\xc3\xa9</a>",
            None,
        );
        assert_eq!(d, "<?xml version=\"1.0\" encoding=\"utf-8\"?><a>é</a>");
        let mut utf16: Vec<u8> = vec![0xff, 0xfe];
        for u in "<?xml version='1.0' encoding='UTF-16'?><a>é</a>".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(
            decode_document(&utf16, Some("text/xml; charset=latin1")),
            "<?xml version='1.0' encoding='utf-8'?><a>é</a>"
        );
    }

    #[test]
    fn http_charset_then_declaration() {
        let doc = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>\xc3\xa9</a>";
        assert_eq!(
            decode_document(doc, Some("text/xml; charset=utf-8")),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><a>é</a>"
        );
        assert_eq!(
            decode_document(doc, Some("text/xml")),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><a>Ã©</a>"
        );
        // Served as UTF-8 but not UTF-8: the declaration decides.
        let doc =
            b"<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<a>\x93Montr\xe9al\x94 \x92</a>";
        assert_eq!(
            decode_document(doc, Some("text/xml; charset=utf-8")),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<a>\u{201c}Montréal\u{201d} \u{2019}</a>"
        );
        assert_eq!(
            decode_document(
                b"<a>\xe9</a>",
                Some("application/rss+xml; charset=\"ISO-8859-1\"")
            ),
            "<a>é</a>"
        );
        assert_eq!(decode_document(b"<a>\xe9</a>", None), "<a>\u{fffd}</a>");
        // UTF-16 declared without a BOM: read as UTF-8.
        assert_eq!(
            decode_document(b"<?xml version='1.0' encoding='utf-16'?><a/>", None),
            "<?xml version='1.0' encoding='utf-8'?><a/>"
        );
    }

    #[test]
    fn charset_param() {
        assert_eq!(charset_of("text/xml; Charset=\"UTF-8\""), Some("UTF-8"));
        assert_eq!(charset_of("text/xml"), None);
    }

    #[test]
    fn utf32_both_orders_and_broken_units() {
        let le: Vec<u8> = "<a>é☕</a>"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert_eq!(decode_document(&le, None), "<a>é☕</a>");
        let mut be: Vec<u8> = vec![0, 0, 0xfe, 0xff];
        be.extend("<a/>".chars().flat_map(|c| (c as u32).to_be_bytes()));
        be.extend([0, 0x11, 0, 0, 0, 0]);
        assert_eq!(decode_document(&be, None), "<a/>\u{fffd}\u{fffd}");
        assert_eq!(
            DocEncoding::for_label(" UCS-4LE "),
            Some(DocEncoding::Utf32Le)
        );
        assert_eq!(
            DocEncoding::for_label("hz-gb-2312").map(|e| e.denied_by_ascii_bytes()),
            Some(true)
        );
        // A served label for UTF-32 over ASCII bytes is a lie too.
        assert_eq!(
            decode_document(b"<a>x</a>", Some("text/xml; charset=utf-32")),
            "<a>x</a>"
        );
    }
}
