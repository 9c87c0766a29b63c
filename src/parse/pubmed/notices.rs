//! Retraction, correction, concern and update notices: PubMed's
//! `CommentsCorrections@RefType` and publication types, and Europe PMC's
//! `commentCorrectionList` types, mapped to [`Notice`] values.

use quick_xml::events::{BytesStart, Event};

use super::Xml;
use crate::model::{Notice, NoticeKind, NoticeTarget};
use crate::normalize::ids::normalize_pmid;
use crate::parse::{ParseError, attr, non_empty};

/// The kind and direction of a relation type, given as PubMed spells it
/// (`RetractionIn`) or as Europe PMC does (`Retraction in`). Case and spaces are
/// ignored. `None` for the relations that are no notice (`Cites`, `CommentIn`, …).
pub(crate) fn relation(ref_type: &str) -> Option<(NoticeKind, NoticeTarget)> {
    use NoticeKind::*;
    use NoticeTarget::*;
    let key: String = ref_type
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    // "…In": the notice is elsewhere, about this record; "…Of/For/From": this
    // record is the notice (or the republished version), about the other.
    Some(match key.as_str() {
        "retractionin" | "retractedandrepublishedin" => (Retracted, This),
        "retractionof" | "retractedandrepublishedfrom" => (Retracted, Related),
        "partialretractionin" => (PartiallyRetracted, This),
        "partialretractionof" => (PartiallyRetracted, Related),
        "erratumin" | "correctedandrepublishedin" => (Corrected, This),
        "erratumfor" | "correctedandrepublishedfrom" => (Corrected, Related),
        "expressionofconcernin" => (ExpressionOfConcern, This),
        "expressionofconcernfor" => (ExpressionOfConcern, Related),
        "updatein" => (Updated, This),
        "updateof" => (Updated, Related),
        _ => return None,
    })
}

/// A notice from a relation, or None for a relation that is no notice.
pub(crate) fn notice(
    ref_type: &str,
    pmid: Option<&str>,
    citation: Option<String>,
) -> Option<Notice> {
    let (kind, applies_to) = relation(ref_type)?;
    Some(Notice {
        kind,
        applies_to,
        ref_type: ref_type.trim().to_string(),
        pmid: pmid.and_then(normalize_pmid),
        citation,
    })
}

/// The notice a publication type puts on the record itself. Only "Retracted
/// Publication" does: "Retraction of Publication", "Published Erratum" and
/// "Expression of Concern" mark the record as the notice, and what it is about
/// comes from its relations.
pub(crate) fn from_publication_types(types: &[String]) -> Option<Notice> {
    let t = types
        .iter()
        .find(|t| t.trim().eq_ignore_ascii_case("Retracted Publication"))?;
    Some(Notice {
        kind: NoticeKind::Retracted,
        applies_to: NoticeTarget::This,
        ref_type: t.trim().to_string(),
        pmid: None,
        citation: None,
    })
}

/// Adds `n` unless an equal notice is there already.
pub(crate) fn push(out: &mut Vec<Notice>, n: Notice) {
    if !out.contains(&n) {
        out.push(n);
    }
}

/// Reads one `CommentsCorrections` element (just opened): `RefSource` and `PMID`.
pub(super) fn read_comments_corrections(
    x: &mut Xml<'_>,
    s: &BytesStart<'_>,
) -> Result<Option<Notice>, ParseError> {
    let ref_type = attr(s, "RefType").unwrap_or_default();
    let (mut source, mut pmid) = (None, None);
    loop {
        match x.next()? {
            Event::Start(c) => {
                let name = c.name().as_ref().to_string();
                match name.as_str() {
                    "RefSource" => source = non_empty(x.text_of(&name)?),
                    "PMID" => pmid = non_empty(x.text_of(&name)?),
                    _ => x.skip(&c)?,
                }
            }
            Event::End(_) => break,
            Event::Eof => return Err(x.eof_err("CommentsCorrections")),
            _ => {}
        }
    }
    Ok(notice(&ref_type, pmid.as_deref(), source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions() {
        use NoticeKind::*;
        use NoticeTarget::*;
        for (t, want) in [
            ("RetractionIn", (Retracted, This)),
            ("RetractionOf", (Retracted, Related)),
            ("Retraction in", (Retracted, This)),
            ("Retraction of", (Retracted, Related)),
            ("PartialRetractionIn", (PartiallyRetracted, This)),
            ("ErratumIn", (Corrected, This)),
            ("Erratum for", (Corrected, Related)),
            ("ExpressionOfConcernIn", (ExpressionOfConcern, This)),
            ("Expression of concern for", (ExpressionOfConcern, Related)),
            ("CorrectedandRepublishedFrom", (Corrected, Related)),
            ("RetractedandRepublishedIn", (Retracted, This)),
            ("UpdateOf", (Updated, Related)),
        ] {
            assert_eq!(relation(t), Some(want), "{t}");
        }
        for t in ["Cites", "CommentIn", "CommentOn", "ReprintOf", ""] {
            assert_eq!(relation(t), None, "{t}");
        }
    }

    #[test]
    fn only_retracted_publication_marks_the_record() {
        let types = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for notice_type in [
            "Retraction of Publication",
            "Published Erratum",
            "Expression of Concern",
        ] {
            assert_eq!(from_publication_types(&types(&[notice_type])), None);
        }
        let n = from_publication_types(&types(&["Journal Article", "Retracted Publication"]));
        assert_eq!(
            n.map(|n| (n.kind, n.applies_to)),
            Some((NoticeKind::Retracted, NoticeTarget::This))
        );
    }
}
