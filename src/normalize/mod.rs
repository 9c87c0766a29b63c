//! Normalisation helpers shared by every parser: text, identifiers and dates.
