-- ketlit schema v12: status events, the append-only history of what happened to a
-- work after it was first stored (a retraction, a correction, an expression of
-- concern, ...). Rows are never updated except to follow their work through a
-- merge, and never deleted except with it.

CREATE TABLE status_events (
    id            INTEGER PRIMARY KEY,
    entry_id      INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,        -- retracted | partially-retracted | corrected | expression-of-concern | ...
    date          INTEGER,              -- when it happened (the notice's date), if known
    source        TEXT NOT NULL,        -- the feed it was learnt from, or a source kind
    detail        TEXT NOT NULL DEFAULT '',
    link          TEXT,                 -- the notice, or the new version
    related_id    INTEGER,              -- the other stored work (the notice, the original), when stored
    related_pmid  TEXT,                 -- the other work's PMID as the source named it
    dedup_key     TEXT NOT NULL,        -- link, else detail: the same notice seen again adds nothing
    first_seen_at INTEGER NOT NULL,
    UNIQUE (entry_id, kind, dedup_key)
);
-- The unique index above also answers "the events (and so the status) of a work".
-- `changes`: newest first, from a time.
CREATE INDEX status_events_seen ON status_events(first_seen_at DESC, id DESC);
-- `--status S`: the works with an event of a kind.
CREATE INDEX status_events_kind ON status_events(kind, entry_id);
