//! Unit tests of the evaluator, the tokeniser and rule loading.

use super::*;
