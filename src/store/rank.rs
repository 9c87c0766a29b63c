//! Relevance ranking for `search`: an FTS5 auxiliary function that reports, for the
//! row under the cursor, each column's length and each phrase's hits per column, and
//! the BM25 score computed from those in Rust.
//!
//! FTS5's own `bm25()` first counts, for every phrase, all the rows in the index that
//! contain it (its IDF), so a query with a common word costs a pass over that word's
//! whole doclist however few rows are ranked: about 60 ms per phrase on a million
//! entries. Ranking a bounded window of candidates needs per-row statistics only, and
//! this module takes the document frequencies from the window itself.

use std::ffi::{c_int, c_void};
use std::ptr;

use rusqlite::{Connection, ffi};

/// The SQL name of the auxiliary function: `ketlit_hits(entries_fts)` returns a blob of
/// little-endian u32s: column count, phrase count, the index's row count and total
/// tokens (each as two u32s, low first), the row's length of each column, then each
/// phrase's hit count in each column (phrase-major).
pub(super) const HITS: &str = "ketlit_hits";

/// Column weights (title, abstract, authors, journal), as the ranking has used since
/// the first release: a word in the title counts ten times one in the abstract.
const WEIGHTS: [f64; 4] = [10.0, 1.0, 3.0, 2.0];

unsafe extern "C" fn hits(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    _n: c_int,
    _values: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: FTS5 calls this with a valid API table and context for the current row.
    unsafe {
        let api = &*api;
        let (
            Some(column_count),
            Some(phrase_count),
            Some(column_size),
            Some(inst_count),
            Some(inst),
            Some(row_count),
            Some(total_size),
        ) = (
            api.xColumnCount,
            api.xPhraseCount,
            api.xColumnSize,
            api.xInstCount,
            api.xInst,
            api.xRowCount,
            api.xColumnTotalSize,
        )
        else {
            ffi::sqlite3_result_error_code(ctx, ffi::SQLITE_ERROR);
            return;
        };
        let ncol = column_count(fts).max(0) as usize;
        let nphrase = phrase_count(fts).max(0) as usize;
        let mut out: Vec<u32> = Vec::with_capacity(6 + ncol + nphrase * ncol);
        out.push(ncol as u32);
        out.push(nphrase as u32);
        // FTS5 loads these totals once per statement, so every row may ask.
        let (mut rows, mut tokens): (i64, i64) = (0, 0);
        if row_count(fts, &mut rows) != ffi::SQLITE_OK
            || total_size(fts, -1, &mut tokens) != ffi::SQLITE_OK
        {
            ffi::sqlite3_result_error_code(ctx, ffi::SQLITE_ERROR);
            return;
        }
        for v in [rows.max(0) as u64, tokens.max(0) as u64] {
            out.push(v as u32);
            out.push((v >> 32) as u32);
        }
        for c in 0..ncol {
            let mut n: c_int = 0;
            let rc = column_size(fts, c as c_int, &mut n);
            if rc != ffi::SQLITE_OK {
                ffi::sqlite3_result_error_code(ctx, rc);
                return;
            }
            out.push(n.max(0) as u32);
        }
        let base = out.len();
        out.resize(base + nphrase * ncol, 0);
        let mut n_inst: c_int = 0;
        let rc = inst_count(fts, &mut n_inst);
        if rc != ffi::SQLITE_OK {
            ffi::sqlite3_result_error_code(ctx, rc);
            return;
        }
        for i in 0..n_inst {
            let (mut p, mut c, mut off): (c_int, c_int, c_int) = (0, 0, 0);
            if inst(fts, i, &mut p, &mut c, &mut off) != ffi::SQLITE_OK {
                continue;
            }
            let (p, c) = (p as usize, c as usize);
            if p < nphrase && c < ncol {
                out[base + p * ncol + c] += 1;
            }
        }
        let bytes: Vec<u8> = out.iter().flat_map(|v| v.to_le_bytes()).collect();
        ffi::sqlite3_result_blob(
            ctx,
            bytes.as_ptr().cast::<c_void>(),
            bytes.len() as c_int,
            ffi::SQLITE_TRANSIENT(),
        );
    }
}

/// Registers [`HITS`] on `conn` (every connection that searches needs it).
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let fail = |msg: &str| super::failure(format!("registering the ranking function: {msg}"));
    // SAFETY: the documented way to reach the FTS5 API: bind a pointer to an
    // `fts5_api*` under the type name "fts5_api_ptr" to `SELECT fts5(?1)`. The handle
    // outlives this call and the statement is finalised before returning.
    unsafe {
        let db = conn.handle();
        let mut api: *mut ffi::fts5_api = ptr::null_mut();
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        if ffi::sqlite3_prepare_v2(
            db,
            c"SELECT fts5(?1)".as_ptr(),
            -1,
            &mut stmt,
            ptr::null_mut(),
        ) != ffi::SQLITE_OK
        {
            return Err(fail("FTS5 is not available"));
        }
        ffi::sqlite3_bind_pointer(
            stmt,
            1,
            (&raw mut api).cast::<c_void>(),
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        ffi::sqlite3_step(stmt);
        ffi::sqlite3_finalize(stmt);
        if api.is_null() {
            return Err(fail("FTS5 is not available"));
        }
        let Some(create) = (*api).xCreateFunction else {
            return Err(fail("FTS5 has no xCreateFunction"));
        };
        let name = std::ffi::CString::new(HITS).map_err(|_| fail("bad name"))?;
        if create(api, name.as_ptr(), ptr::null_mut(), Some(hits), None) != ffi::SQLITE_OK {
            return Err(fail("xCreateFunction failed"));
        }
    }
    Ok(())
}

/// One candidate's statistics, decoded from a [`HITS`] blob.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Hits {
    /// Rows in the whole index.
    pub rows: u64,
    /// Tokens in the whole index, all columns.
    pub tokens: u64,
    /// Tokens in each column of this row.
    pub sizes: Vec<u32>,
    /// `counts[phrase][column]`.
    pub counts: Vec<Vec<u32>>,
}

impl Hits {
    pub(super) fn decode(blob: &[u8]) -> Option<Hits> {
        let words: Vec<u32> = blob
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let [ncol, nphrase, r0, r1, t0, t1, rest @ ..] = words.as_slice() else {
            return None;
        };
        let (ncol, nphrase) = (*ncol as usize, *nphrase as usize);
        if rest.len() != ncol + ncol * nphrase {
            return None;
        }
        let (sizes, counts) = rest.split_at(ncol);
        let wide = |lo: u32, hi: u32| u64::from(lo) | (u64::from(hi) << 32);
        Some(Hits {
            rows: wide(*r0, *r1),
            tokens: wide(*t0, *t1),
            sizes: sizes.to_vec(),
            counts: counts.chunks(ncol.max(1)).map(<[u32]>::to_vec).collect(),
        })
    }

    /// Adds up the counts of phrases that stand for one word of the query (the terms
    /// a prefix was expanded to; `groups[phrase]` names its word), so that BM25 sees
    /// the word the user typed: a rare spelling among them earns no rarity bonus, and
    /// a row using several of them is not counted once per spelling. Leaves the counts
    /// alone if the groups do not describe this row's phrases.
    pub(super) fn merge_phrases(&mut self, groups: &[usize]) {
        if groups.len() != self.counts.len() {
            return;
        }
        let words = groups.iter().max().map_or(0, |m| m + 1);
        let mut merged = vec![vec![0u32; self.sizes.len()]; words];
        for (counts, &g) in self.counts.iter().zip(groups) {
            for (sum, n) in merged[g].iter_mut().zip(counts) {
                *sum += n;
            }
        }
        self.counts = merged;
    }

    fn weighted(&self, v: &[u32]) -> f64 {
        v.iter()
            .zip(WEIGHTS.iter().chain(std::iter::repeat(&1.0)))
            .map(|(&n, w)| f64::from(n) * w)
            .sum()
    }
}

/// BM25 (k1 = 1.2, b = 0.75, the same formula and column weights as FTS5's `bm25()`)
/// for every candidate, higher is better. Document frequencies come from the
/// candidates; the row count and average length from the whole index.
pub(super) fn bm25(candidates: &[Hits]) -> Vec<f64> {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let Some(first) = candidates.first() else {
        return Vec::new();
    };
    let rows = first.rows as f64;
    let avg_len = first.tokens as f64 / rows.max(1.0);
    let nphrase = candidates.iter().map(|h| h.counts.len()).max().unwrap_or(0);
    let idf: Vec<f64> = (0..nphrase)
        .map(|p| {
            let df = candidates
                .iter()
                .filter(|h| h.counts.get(p).is_some_and(|c| c.iter().any(|&n| n > 0)))
                .count() as f64;
            let rows = rows.max(df);
            let idf = ((rows - df + 0.5) / (df + 0.5)).ln();
            if idf <= 0.0 { 1e-6 } else { idf }
        })
        .collect();
    let avg_len = if avg_len > 0.0 { avg_len } else { 1.0 };
    candidates
        .iter()
        .map(|h| {
            let len: f64 = h.sizes.iter().map(|&n| f64::from(n)).sum();
            h.counts
                .iter()
                .zip(&idf)
                .map(|(c, idf)| {
                    let f = h.weighted(c);
                    idf * (f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * len / avg_len))
                })
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_round_trips_and_refuses_garbage() {
        let words: [u32; 12] = [2, 2, 7, 0, 1, 1, 10, 4, 1, 0, 0, 2];
        let blob: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let h = Hits::decode(&blob).unwrap();
        assert_eq!((h.rows, h.tokens), (7, (1 << 32) + 1));
        assert_eq!(h.sizes, vec![10, 4]);
        assert_eq!(h.counts, vec![vec![1, 0], vec![0, 2]]);
        assert_eq!(Hits::decode(&blob[..blob.len() - 4]), None);
        assert_eq!(Hits::decode(&[1, 2]), None);
    }

    #[test]
    fn expanded_phrases_merge_into_their_word() {
        let mut h = Hits {
            rows: 10,
            tokens: 100,
            sizes: vec![3, 7],
            counts: vec![vec![1, 0], vec![0, 2], vec![1, 1]],
        };
        let unchanged = h.clone();
        h.merge_phrases(&[0, 1]);
        assert_eq!(h, unchanged, "groups for other phrases change nothing");
        h.merge_phrases(&[0, 0, 1]);
        assert_eq!(h.counts, vec![vec![1, 2], vec![1, 1]]);
    }

    #[test]
    fn title_hits_outrank_abstract_hits_and_rare_phrases_count_more() {
        let doc = |title: u32, abstract_: u32, other: u32| Hits {
            rows: 1000,
            tokens: 215_000,
            sizes: vec![10, 200, 2, 3],
            counts: vec![vec![title, abstract_, 0, 0], vec![0, other, 0, 0]],
        };
        let scores = bm25(&[doc(1, 0, 0), doc(0, 1, 0), doc(0, 1, 1)]);
        assert!(scores[0] > scores[1], "{scores:?}");
        assert!(scores[2] > scores[1], "{scores:?}");
    }
}
