//! ketlit: tracks the ketamine and esketamine research literature (library half of the crate).

pub mod cli;
pub mod config;
pub mod cpu;
pub mod daemon;
pub mod dedup;
pub mod export;
pub mod fetch;
#[doc(hidden)]
pub mod fuzzing;
pub mod lock;
pub mod model;
pub mod normalize;
pub mod parse;
pub mod pipeline;
pub mod query;
pub mod relevance;
pub mod schedule;
pub mod serve;
pub mod sources;
pub mod store;
pub mod tag;
