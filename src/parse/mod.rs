//! Feed parsing: sniff the format, then run exactly one parser into `RawEntry` values.
// TEMPORARY placeholder until the parse branch merges.
use crate::model::{Kind, ParsedFeed};
#[derive(Debug, thiserror::Error)]
#[error("{origin}: unsupported")]
pub struct ParseError {
    origin: String,
}
pub fn parse_document(
    _bytes: &[u8],
    _content_type: Option<&str>,
    _kind: Kind,
    origin: &str,
) -> Result<ParsedFeed, ParseError> {
    Err(ParseError {
        origin: origin.into(),
    })
}
