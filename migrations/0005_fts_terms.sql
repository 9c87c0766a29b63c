-- ketlit schema v5: the indexed vocabulary, for expanding search prefixes.

-- FTS5 answers `glutam*` by first merging the rows of every term with that prefix,
-- which on a large database costs as much as reading all of them. Listing the terms
-- here (one seek each, in the `instance` form, which does not count rows) lets a
-- search ask for their OR instead, which FTS5 walks newest first and stops early.
CREATE VIRTUAL TABLE entries_terms USING fts5vocab(entries_fts, instance);
