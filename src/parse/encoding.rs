//! Byte-to-UTF-8 decoding of feed documents and the XML pre-pass that makes undeclared HTML entities parseable.

use std::borrow::Cow;
use std::fmt::Write as _;

use encoding_rs::{Encoding, UTF_8};

/// Decodes a document to UTF-8. Precedence: BOM, then the XML declaration's
/// `encoding`, then the HTTP `charset`, else UTF-8. Malformed sequences become
/// U+FFFD; this never fails. Borrows when the input already is BOM-less UTF-8.
///
/// The returned text no longer carries a misleading XML declaration: if it
/// declared a non-UTF-8 encoding, that value is rewritten to `utf-8` (the rss
/// crate's XML reader would otherwise re-decode the already decoded text).
pub fn decode_document<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Cow<'a, str> {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((enc, bom_len)) => (enc, &bytes[bom_len..]),
        None => {
            let declared = xml_declared_encoding(bytes)
                .and_then(|label| Encoding::for_label(label.as_bytes()))
                // A UTF-16 declaration without a BOM in bytes we could read as
                // ASCII is a lie; the WHATWG rule treats it as UTF-8.
                .map(|e| {
                    if e.output_encoding() == UTF_8 {
                        UTF_8
                    } else {
                        e
                    }
                });
            let enc = declared
                .or_else(|| {
                    content_type
                        .and_then(charset_of)
                        .and_then(|c| Encoding::for_label(c.as_bytes()))
                })
                .map(Encoding::output_encoding)
                .unwrap_or(UTF_8);
            (enc, bytes)
        }
    };
    let (text, _had_errors) = encoding.decode_without_bom_handling(body);
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

const XML_ENTITIES: [&str; 5] = ["lt", "gt", "amp", "quot", "apos"];

/// Makes HTML named entities acceptable to an XML parser: `&eacute;` becomes
/// `&#233;`, unknown `&name;` and bare `&` become `&amp;…` so the text survives
/// as written. The five XML entities, character references, entities declared
/// in the document's DTD and everything inside CDATA sections are untouched.
/// One pass; borrows when nothing needed replacing. Never adds line breaks, so
/// line numbers of later parse errors still match the source.
pub fn fix_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let declared = dtd_entity_names(text);
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    let mut cdata: Option<(usize, usize)> = next_cdata(text, 0);
    while let Some(off) = text[i..].find('&') {
        let at = i + off;
        i = at + 1;
        // Skip over CDATA sections lying before or around this ampersand.
        while let Some((cs, ce)) = cdata {
            if at < cs {
                break;
            }
            if at < ce {
                i = ce;
                break;
            }
            cdata = next_cdata(text, ce);
        }
        if i != at + 1 {
            continue;
        }
        if b.get(at + 1) == Some(&b'#') {
            continue;
        }
        let name_len = b[at + 1..]
            .iter()
            .take(40)
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let is_ref = name_len > 0 && b.get(at + 1 + name_len) == Some(&b';');
        let replacement: Cow<'_, str> = if is_ref {
            let name = &text[at + 1..at + 1 + name_len];
            if XML_ENTITIES.contains(&name) || declared.iter().any(|d| d == name) {
                continue;
            }
            match htmlize::ENTITIES.get(&b[at..at + name_len + 2]) {
                Some(expansion) => {
                    let mut r = String::new();
                    for c in String::from_utf8_lossy(expansion).chars() {
                        let _ = write!(r, "&#{};", c as u32);
                    }
                    i = at + name_len + 2;
                    Cow::Owned(r)
                }
                None => Cow::Borrowed("&amp;"),
            }
        } else {
            Cow::Borrowed("&amp;")
        };
        let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
        o.push_str(&text[copied..at]);
        o.push_str(&replacement);
        copied = if replacement == "&amp;" { at + 1 } else { i };
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

fn next_cdata(text: &str, from: usize) -> Option<(usize, usize)> {
    let s = from + text.get(from..)?.find("<![CDATA[")?;
    let e = text[s..].find("]]>").map_or(text.len(), |p| s + p + 3);
    Some((s, e))
}

/// Names declared with `<!ENTITY name …>` in an internal DTD subset.
fn dtd_entity_names(text: &str) -> Vec<String> {
    // Back off to a character boundary: byte 65,536 may fall inside a multi-byte character.
    let mut end = text.len().min(64 * 1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let Some(dt) = head.find("<!DOCTYPE") else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut rest = &head[dt..];
    while let Some(p) = rest.find("<!ENTITY") {
        rest = &rest[p + 8..];
        let name: String = rest
            .trim_start()
            .trim_start_matches('%')
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
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
    fn declaration_then_http_charset() {
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
    fn entities_fixed() {
        assert!(matches!(
            fix_entities("a &amp; &lt;b&gt; &#233; &#x2014;"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            fix_entities("Montr&eacute;al&nbsp;&mdash;"),
            "Montr&#233;al&#160;&#8212;"
        );
        assert_eq!(fix_entities("&bogus; AT&T &"), "&amp;bogus; AT&amp;T &amp;");
        assert_eq!(
            fix_entities("<![CDATA[&eacute; & x]]>&eacute;"),
            "<![CDATA[&eacute; & x]]>&#233;"
        );
        assert_eq!(fix_entities("&NotEqualTilde;"), "&#8770;&#824;");
        let dtd = "<!DOCTYPE rss [<!ENTITY eacute \"&#233;\">]><rss>&eacute;&egrave;</rss>";
        assert_eq!(
            fix_entities(dtd),
            "<!DOCTYPE rss [<!ENTITY eacute \"&#233;\">]><rss>&eacute;&#232;</rss>"
        );
        for s in [
            "&",
            "&;",
            "&#",
            "<![CDATA[",
            "<![CDATA[&",
            "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;",
        ] {
            let _ = fix_entities(s);
        }
    }
}
