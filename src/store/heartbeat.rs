//! The daemon's heartbeat row: who runs, since when, and when it last ticked.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::feeds::ts;
use super::{Result, Store};

#[derive(Debug, Clone, Serialize)]
pub struct Heartbeat {
    pub pid: u32,
    pub started_at: Option<DateTime<Utc>>,
    pub last_tick_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
}

impl Store {
    pub fn heartbeat_start(&mut self, pid: u32, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO daemon (id, pid, started_at, last_tick_at, stopped_at) VALUES (1, ?1, ?2, NULL, NULL)
                 ON CONFLICT(id) DO UPDATE SET pid = ?1, started_at = ?2, last_tick_at = NULL, stopped_at = NULL",
                params![pid, now.timestamp()],
            )
            .map(drop)
        })
    }

    pub fn heartbeat_tick(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE daemon SET last_tick_at = ?1 WHERE id = 1",
                [now.timestamp()],
            )
            .map(drop)
        })
    }

    pub fn heartbeat_stop(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE daemon SET stopped_at = ?1 WHERE id = 1",
                [now.timestamp()],
            )
            .map(drop)
        })
    }

    pub fn heartbeat(&self) -> Result<Option<Heartbeat>> {
        self.conn
            .query_row(
                "SELECT pid, started_at, last_tick_at, stopped_at FROM daemon WHERE id = 1",
                [],
                |r| {
                    Ok(Heartbeat {
                        pid: r.get(0)?,
                        started_at: ts(r.get(1)?),
                        last_tick_at: ts(r.get(2)?),
                        stopped_at: ts(r.get(3)?),
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}
