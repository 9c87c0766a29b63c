//! Relevance: the feed `filter` query language, parsed once into an AST and evaluated per entry.
