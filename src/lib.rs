//! ketlit: tracks the ketamine and esketamine research literature (library half of the crate).

pub mod fetch;
pub mod model;
pub mod normalize;
pub mod parse;
pub mod relevance;
