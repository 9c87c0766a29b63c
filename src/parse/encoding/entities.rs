//! The entity pre-pass: rewrites HTML named entities, internal DTD entities, sloppy character
//! references and stray ampersands into text an XML parser accepts, meaning what was written.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

const XML_ENTITIES: [&str; 5] = ["lt", "gt", "amp", "quot", "apos"];

/// How far into a document the `<!DOCTYPE` is looked for: it must precede the
/// root element, so it is always near the start.
pub(super) const DOCTYPE_SCAN_LIMIT: usize = 64 * 1024;

/// The largest replacement text kept for one DTD entity, after expanding the
/// entities it refers to.
const MAX_ENTITY_VALUE: usize = 16 * 1024;

/// The most text DTD entity references may add to one document, so that nested
/// entities ("billion laughs") cannot grow it without bound.
const MAX_EXPANSION: usize = 4 * 1024 * 1024;

/// The entities declared in the internal DTD subset: name to replacement text.
/// A map, so that many references to many entities stay linear.
type Declared = rustc_hash::FxHashMap<String, String>;

/// Makes a document's references acceptable to an XML parser, meaning what
/// was written:
///
/// - an entity declared in the internal DTD subset is replaced by its text;
/// - an HTML 4/5 named entity (`&eacute;`) becomes character references (`&#233;`);
/// - `&#X2014;` becomes `&#x2014;`; `&#150;` (windows-1252's range, as HTML reads it)
///   becomes `&#8211;`; a reference to no XML character becomes U+FFFD; a missing
///   `;` is supplied;
/// - an unknown `&name;` and a bare `&` (`?a=1&b=2`) become `&amp;`, so the text
///   survives as written.
///
/// The five XML entities, the DOCTYPE itself and CDATA sections are untouched.
/// One pass; borrows when nothing needed replacing. Never adds line breaks of
/// its own, so line numbers of later parse errors still match the source.
pub fn fix_entities(text: &str) -> Cow<'_, str> {
    if memchr::memchr(b'&', text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    let dtd = doctype(text);
    let declared = dtd
        .clone()
        .map(|r| declared_entities(&text[r]))
        .unwrap_or_default();
    rewrite(text, &declared, dtd)
}

/// The pass itself; `skip` is the DOCTYPE's range, left as written.
fn rewrite<'a>(text: &'a str, declared: &Declared, skip: Option<Range<usize>>) -> Cow<'a, str> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    let mut cdata = next_cdata(text, 0);
    let mut budget = MAX_EXPANSION;
    while let Some(off) = memchr::memchr(b'&', &b[i..]) {
        let at = i + off;
        i = at + 1;
        if let Some(r) = skip.as_ref().filter(|r| r.contains(&at)) {
            i = r.end;
            continue;
        }
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
        let Some((replacement, end)) = replacement(b, at, declared, &mut budget) else {
            continue;
        };
        let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
        o.push_str(&text[copied..at]);
        o.push_str(&replacement);
        copied = end;
        i = end;
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

/// What the `&` at `at` must become, and the offset where the replaced text
/// ends (always just after an ASCII byte); `None` when it is fine as written.
fn replacement<'d>(
    b: &[u8],
    at: usize,
    declared: &'d Declared,
    budget: &mut usize,
) -> Option<(Cow<'d, str>, usize)> {
    let amp = |at: usize| Some((Cow::Borrowed("&amp;"), at + 1));
    if b.get(at + 1) == Some(&b'#') {
        return char_ref(b, at);
    }
    let name_len = b[at + 1..]
        .iter()
        .take(64)
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':'))
        .count();
    let end = at + name_len + 2;
    if name_len == 0 || b.get(end - 1) != Some(&b';') {
        return amp(at);
    }
    // ASCII bytes only, so this cannot fail.
    let name = std::str::from_utf8(&b[at + 1..end - 1]).ok()?;
    if XML_ENTITIES.contains(&name) {
        return None;
    }
    if let Some(value) = declared.get(name) {
        if value.len() > *budget {
            return amp(at);
        }
        *budget -= value.len();
        return Some((Cow::Borrowed(value.as_str()), end));
    }
    // HTML 4 gave these two the angle brackets of U+2329/U+232A; HTML 5 moved them.
    let html4 = match name {
        "lang" => Some("&#9001;"),
        "rang" => Some("&#9002;"),
        _ => None,
    };
    if let Some(r) = html4 {
        return Some((Cow::Borrowed(r), end));
    }
    match htmlize::ENTITIES.get(&b[at..end]) {
        Some(expansion) => {
            let mut r = String::new();
            for c in String::from_utf8_lossy(expansion).chars() {
                let _ = write!(r, "&#{};", c as u32);
            }
            Some((Cow::Owned(r), end))
        }
        None => amp(at),
    }
}

/// A numeric reference starting at `at` (`&#…`): `None` when it is already a
/// well-formed reference to an XML character; the rewritten reference
/// otherwise; `&amp;#` when no digits follow.
fn char_ref(b: &[u8], at: usize) -> Option<(Cow<'static, str>, usize)> {
    let marker = b.get(at + 2).copied();
    let hex = matches!(marker, Some(b'x' | b'X'));
    let digits_at = at + 2 + usize::from(hex);
    let n = b[digits_at.min(b.len())..]
        .iter()
        .take_while(|c| {
            if hex {
                c.is_ascii_hexdigit()
            } else {
                c.is_ascii_digit()
            }
        })
        .count();
    if n == 0 {
        return Some((Cow::Borrowed("&amp;"), at + 1));
    }
    let digits = std::str::from_utf8(&b[digits_at..digits_at + n]).ok()?;
    let terminated = b.get(digits_at + n) == Some(&b';');
    let end = digits_at + n + usize::from(terminated);
    let code = u32::from_str_radix(digits, if hex { 16 } else { 10 }).ok();
    let as_written = code.and_then(char::from_u32).filter(|c| is_xml_char(*c));
    let meant = code.and_then(html_char_ref).filter(|c| is_xml_char(*c));
    if terminated && marker != Some(b'X') && as_written.is_some() && as_written == meant {
        return None;
    }
    let c = meant.unwrap_or(char::REPLACEMENT_CHARACTER);
    Some((Cow::Owned(format!("&#{};", c as u32)), end))
}

/// The character a numeric reference means as HTML reads it: 128–159 are
/// windows-1252's printable characters there (`&#150;` is an en dash).
fn html_char_ref(code: u32) -> Option<char> {
    if (0x80..=0x9f).contains(&code) {
        let byte = [code as u8];
        let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
        return s.chars().next();
    }
    char::from_u32(code)
}

/// XML 1.0's `Char` production (surrogates cannot be a `char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

fn next_cdata(text: &str, from: usize) -> Option<(usize, usize)> {
    let s = from + text.get(from..)?.find("<![CDATA[")?;
    let e = text[s..].find("]]>").map_or(text.len(), |p| s + p + 3);
    Some((s, e))
}

/// The document type declaration's byte range, from `<!DOCTYPE` to its closing
/// `]>` (or `>` when it has no internal subset). Searched over bytes, so the
/// scan limit may fall inside a multi-byte character; both ends are at ASCII
/// bytes, hence character boundaries.
pub(super) fn doctype(text: &str) -> Option<Range<usize>> {
    let b = text.as_bytes();
    let head = &b[..b.len().min(DOCTYPE_SCAN_LIMIT)];
    let start = memchr::memmem::find(head, b"<!DOCTYPE")?;
    // Only in the prolog: after the root element starts it is text, not a declaration.
    let element_before = head[..start]
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'_' | b':')));
    if element_before {
        return None;
    }
    let decl = &b[start..];
    let first_gt = memchr::memchr(b'>', decl).unwrap_or(decl.len());
    let end = match memchr::memchr(b'[', &decl[..first_gt]) {
        Some(_) => memchr::memmem::find(decl, b"]>").map_or(decl.len(), |p| p + 2),
        None => (first_gt + 1).min(decl.len()),
    };
    Some(start..start + end)
}

/// The general entities an internal DTD subset declares with a literal value
/// (`<!ENTITY name "text">`), each value with the references in it already
/// rewritten (entities declared earlier expanded). Parameter and external
/// entities are left out: an external one is never fetched, so `&name;` of it
/// stays visible as text.
fn declared_entities(dtd: &str) -> Declared {
    let mut found = Declared::default();
    let mut rest = dtd;
    while let Some(p) = rest.find("<!ENTITY") {
        rest = rest[p + 8..].trim_start();
        if rest.starts_with('%') {
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '>')
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_end);
        let after = after.trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(close) = after[1..].find(quote) else {
            break;
        };
        let value = rewrite(&after[1..1 + close], &found, None);
        // The first declaration of a name binds (XML 1.0 section 4.2).
        if !name.is_empty() && value.len() <= MAX_ENTITY_VALUE && !found.contains_key(name) {
            let value = value.into_owned();
            found.insert(name.to_string(), value);
        }
        rest = &after[1 + close..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document over 64 KiB with a DOCTYPE and an `&`, where byte 65,536 is the
    /// second byte of an `é`.
    fn doc_cut_inside_a_char() -> String {
        let mut doc = String::from("<!DOCTYPE rss [<!ENTITY who \"W\">]><rss>&who; ");
        while doc.len() < DOCTYPE_SCAN_LIMIT - 1 {
            doc.push('a');
        }
        doc.push_str("é &amp; é</rss>");
        assert!(!doc.is_char_boundary(DOCTYPE_SCAN_LIMIT));
        doc
    }

    #[test]
    fn an_entity_scan_cut_inside_a_utf8_character_does_not_panic() {
        let doc = doc_cut_inside_a_char();
        assert_eq!(fix_entities(&doc), doc.replacen("&who;", "W", 1));
        // The DOCTYPE itself straddling the limit, or never closed.
        let mut late = "é".repeat(DOCTYPE_SCAN_LIMIT / 2 - 4);
        late.push_str("x<!DOCTYPE rss [<!ENTITY a \"é\"> é");
        let _ = fix_entities(&(late.clone() + "&a;"));
        let _ = fix_entities(&(late + "]>&a; &"));
        let t = "<!DOCTYPE rss [ é";
        assert_eq!(doctype(t).map(|r| &t[r]), Some(t));
        assert_eq!(doctype("<!DOCTYPE rss"), Some(0..13));
        assert_eq!(doctype("<!DOCTYPE rss>é"), Some(0..14));
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
        assert_eq!(fix_entities("?a=1&b=2&c"), "?a=1&amp;b=2&amp;c");
        for s in [
            "&",
            "&;",
            "&#",
            "&#x",
            "&#;",
            "<![CDATA[",
            "<![CDATA[&",
            "<!DOCTYPE",
            "<!DOCTYPE [<!ENTITY",
            "<!DOCTYPE [<!ENTITY a",
            "<!DOCTYPE [<!ENTITY a \"",
            "<!DOCTYPE [<!ENTITY % a \"b\"><!ENTITY é 'x'>]>&é;",
            "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;",
        ] {
            let _ = fix_entities(s);
        }
    }

    #[test]
    fn dtd_entities_are_expanded_in_order() {
        let doc = "<!DOCTYPE rss [<!ENTITY eacute \"&#233;\"><!ENTITY j 'J &amp; &eacute;'>\
                   <!ENTITY ext SYSTEM \"http://x/\">]><rss a=\"&j;\">&eacute;&egrave;&j;&ext;</rss>";
        assert_eq!(
            fix_entities(doc),
            "<!DOCTYPE rss [<!ENTITY eacute \"&#233;\"><!ENTITY j 'J &amp; &eacute;'>\
             <!ENTITY ext SYSTEM \"http://x/\">]><rss a=\"J &amp; &#233;\">&#233;&#232;J &amp; &#233;&amp;ext;</rss>"
        );
    }

    #[test]
    fn a_doctype_after_the_root_element_declares_nothing() {
        let doc = "<rss><![CDATA[<!DOCTYPE x [<!ENTITY a 'A'>]>]]> &a; &amp; AT&T</rss>";
        assert_eq!(doctype(doc), None);
        assert_eq!(
            fix_entities(doc),
            "<rss><![CDATA[<!DOCTYPE x [<!ENTITY a 'A'>]>]]> &amp;a; &amp; AT&amp;T</rss>"
        );
        assert_eq!(
            doctype("<?xml version='1.0'?><!-- c --><!DOCTYPE r><r/>"),
            Some(31..43)
        );
    }

    #[test]
    fn nested_entities_cannot_grow_a_document_without_bound() {
        let mut doc = String::from("<!DOCTYPE r [<!ENTITY a0 \"0123456789\">");
        for i in 1..12 {
            let p = i - 1;
            doc.push_str(&format!(
                "<!ENTITY a{i} \"&a{p};&a{p};&a{p};&a{p};&a{p};\">"
            ));
        }
        doc.push_str("]><r>");
        doc.push_str(&"&a11;".repeat(1000));
        doc.push_str("</r>");
        let fixed = fix_entities(&doc);
        assert!(
            fixed.len() < doc.len() + MAX_EXPANSION + 10_000,
            "{}",
            fixed.len()
        );
    }

    #[test]
    fn numeric_references_are_repaired() {
        assert_eq!(
            fix_entities("&#X2014;&#x2014;&#XE9;"),
            "&#8212;&#x2014;&#233;"
        );
        assert_eq!(
            fix_entities("&#150; &#x93;q&#x94;"),
            "&#8211; &#8220;q&#8221;"
        );
        assert_eq!(
            fix_entities("&#0; &#xD800; &#1114112; &#99999999999999;"),
            "&#65533; &#65533; &#65533; &#65533;"
        );
        assert_eq!(fix_entities("it&#8217s &#233"), "it&#8217;s &#233;");
        assert_eq!(fix_entities("&#; &#x; &#a"), "&amp;#; &amp;#x; &amp;#a");
    }
}
