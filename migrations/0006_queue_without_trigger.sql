-- ketlit schema v6: new entries are queued for search by ingest, not by a trigger.

-- A statement that fires a trigger and may fail a constraint keeps a journal of every
-- page it touches, so that it can undo itself; for the insert of each new entry that
-- copying was an eighth of ingest. Ingest now queues the row itself, right after the
-- insert and in the same transaction (Store ingest, `insert`).
DROP TRIGGER entries_fts_ai;

-- FTS5 writes a new segment whenever its in-memory buffer of new postings passes
-- 1 MB, and merges the small segments later. An 8 MB buffer, filled only while a batch
-- is indexed, writes fewer of them: less merging during a large pass.
INSERT INTO entries_fts(entries_fts, rank) VALUES ('hashsize', 8388608);
