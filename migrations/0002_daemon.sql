-- ketlit schema v2: what the daemon needs to heal feeds and to say it is alive.

-- Set when a server answers 410 Gone; the feed is skipped until `feeds retry` or a new URL.
ALTER TABLE feeds ADD COLUMN disabled_reason TEXT;
-- After three runs that all ended in the same permanent redirect (301/308), the feed is
-- fetched from here. The config file is never rewritten; `feeds list` shows the move.
ALTER TABLE feeds ADD COLUMN moved_to TEXT;
ALTER TABLE feeds ADD COLUMN redirect_target TEXT;
ALTER TABLE feeds ADD COLUMN redirect_count INTEGER NOT NULL DEFAULT 0;

-- The daemon's heartbeat: one row, rewritten at start and on every tick.
CREATE TABLE daemon (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    pid          INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    last_tick_at INTEGER,
    stopped_at   INTEGER
);
