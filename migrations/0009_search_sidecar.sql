-- ketlit schema v9: the full-text index moves to a database file of its own.

-- SQLite lets one connection write a database file at a time, so while the index
-- lived here the writer had to index every batch itself: a third of its work in a
-- large pass, during which nothing else was stored. The index now lives in
-- `<database>.search` (see src/store/search.rs), written by its own thread and
-- connection while the writer goes on storing. It is derived data: this file stays
-- the only source of truth, and a missing or foreign index file is rebuilt from it.
DROP TABLE entries_terms;
DROP TABLE entries_fts;
DROP TRIGGER entries_fts_ad;
DROP TRIGGER entries_fts_au;
DROP TABLE fts_pending;

-- What changed, in order: an entry's id each time its indexed text may have changed.
-- The index file records the last `seq` it has applied, in the same transaction as
-- the index rows, so it resumes exactly where it stopped after a crash. Rows at or
-- below that mark are deleted later, all but the last: `seq` must never be handed
-- out twice, and SQLite gives a new row one more than the largest it holds.
CREATE TABLE fts_log (
    seq INTEGER PRIMARY KEY,
    id  INTEGER NOT NULL
);
-- New entries are logged by ingest itself (see migration 0006); these catch every
-- other change, from any writer.
CREATE TRIGGER entries_fts_ad AFTER DELETE ON entries BEGIN
    INSERT INTO fts_log (id) VALUES (old.id);
END;
CREATE TRIGGER entries_fts_au AFTER UPDATE OF title, abstract, authors, journal ON entries BEGIN
    INSERT INTO fts_log (id) VALUES (new.id);
END;

-- Which database an index file belongs to: a copied, replaced or restored database
-- does not reuse an index built for another.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value ANY NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('search_id', lower(hex(randomblob(16))));
