-- ketlit schema v4: the full-text queue knows which rows the index already holds.

-- A row queued because it was inserted has never been indexed, so indexing it needs
-- no delete first. Deleting a rowid that a contentless_delete FTS5 table does not
-- hold still writes a tombstone that every later merge must carry, and a backfill
-- would otherwise leave one for each new entry. Rows queued before this migration
-- keep `indexed = 1`, the safe answer.
ALTER TABLE fts_pending ADD COLUMN indexed INTEGER NOT NULL DEFAULT 1;

-- An entry inserted and then updated or deleted before the queue is indexed keeps
-- `indexed = 0`: INSERT OR IGNORE leaves the first queueing in place.
DROP TRIGGER entries_fts_ai;
CREATE TRIGGER entries_fts_ai AFTER INSERT ON entries BEGIN
    INSERT OR IGNORE INTO fts_pending (id, indexed) VALUES (new.id, 0);
END;
