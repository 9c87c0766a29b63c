//! HTTP fetching: one client, conditional GET, streaming body caps, per-host politeness.
