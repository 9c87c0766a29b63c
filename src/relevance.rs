//! Relevance: the feed `filter` query language, parsed once into an AST and evaluated per entry.
// TEMPORARY placeholder until the filter branch merges.
#[derive(Debug, Clone)]
pub struct Filter(String);
#[derive(Debug)]
pub struct FilterError(String);
impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
pub struct FilterDoc;
impl FilterDoc {
    pub fn from_entry(_: &crate::model::RawEntry) -> Self {
        FilterDoc
    }
}
impl Filter {
    pub fn parse(s: &str) -> Result<Filter, FilterError> {
        if s.trim().is_empty() {
            return Err(FilterError("column 1: empty filter".into()));
        }
        Ok(Filter(s.into()))
    }
    pub fn matches(&self, _: &FilterDoc) -> bool {
        true
    }
    pub fn source(&self) -> &str {
        &self.0
    }
}
