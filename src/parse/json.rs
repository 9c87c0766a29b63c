//! The small JSON helpers the API parsers (Europe PMC, bioRxiv, ClinicalTrials.gov)
//! share: lenient field access over `serde_json::Value`, and syntax errors with a line.

use serde_json::Value;

use super::{ParseError, non_empty};
use crate::normalize::text::clean_inline;

/// Parses JSON text into a `Value`, with the line of a syntax error in front.
pub(crate) fn parse_json(text: &str, origin: &str, what: &str) -> Result<Value, ParseError> {
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        ParseError::syntax(
            origin,
            e.line().max(1),
            format!("invalid {what} JSON: {msg} (column {})", e.column()),
        )
    })
}

/// A scalar field as text: strings trimmed, numbers and booleans written out,
/// anything else (null, arrays, objects) absent. Servers are not always
/// consistent about quoting numbers.
pub(crate) fn text_at(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => non_empty(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A count that may be a JSON number or a numeric string.
pub(crate) fn u64_at(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `v[key]` as an array; a single object where an array was expected counts as one.
pub(crate) fn items<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    match v.get(key) {
        Some(Value::Array(a)) => a,
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        _ => &[],
    }
}

/// Strings of `v[key]` whether it is an array of strings or one string.
pub(crate) fn strings_at(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str())
            .map(clean_inline)
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) => non_empty(clean_inline(s)).into_iter().collect(),
        _ => Vec::new(),
    }
}
