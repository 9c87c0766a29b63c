//! The token trie of every rule phrase, and leftmost-longest matching over a field's tokens.

use super::text::{LABEL, NONE, Tok, UNKNOWN};

/// Pattern token matching any one word (`*` in a rule phrase).
pub const ANY: u32 = u32::MAX - 2;
/// Pattern token matching any word that starts with a digit (`#` in a rule phrase).
pub const NUM: u32 = u32::MAX - 3;

#[derive(Debug, Clone, Default)]
pub struct Node {
    kids: Vec<(u32, u32)>,
    any: Option<u32>,
    num: Option<u32>,
    pub outs: Vec<u32>,
}

/// A token trie over every rule phrase. The root is a dense table indexed by token id, so the
/// common case (a word that starts no phrase) costs one array read.
#[derive(Debug, Clone, Default)]
pub struct Trie {
    root: Vec<u32>,
    root_num: Option<u32>,
    pub nodes: Vec<Node>,
}

impl Trie {
    pub fn new(vocab_len: usize) -> Trie {
        Trie {
            root: vec![NONE; vocab_len],
            root_num: None,
            nodes: Vec::new(),
        }
    }

    fn new_node(&mut self) -> u32 {
        self.nodes.push(Node::default());
        (self.nodes.len() - 1) as u32
    }

    /// Adds a phrase (`seq` never starts with ANY) ending in output `out`.
    pub fn insert(&mut self, seq: &[u32], out: u32) {
        let Some((&first, rest)) = seq.split_first() else {
            return;
        };
        let mut node = if first == NUM {
            match self.root_num {
                Some(n) => n,
                None => {
                    let n = self.new_node();
                    self.root_num = Some(n);
                    n
                }
            }
        } else {
            let slot = first as usize;
            if slot >= self.root.len() {
                self.root.resize(slot + 1, NONE);
            }
            if self.root[slot] == NONE {
                let n = self.new_node();
                self.root[slot] = n;
            }
            self.root[slot]
        };
        for &t in rest {
            let existing = match t {
                ANY => self.nodes[node as usize].any,
                NUM => self.nodes[node as usize].num,
                _ => self.nodes[node as usize]
                    .kids
                    .iter()
                    .find(|(k, _)| *k == t)
                    .map(|&(_, n)| n),
            };
            node = match existing {
                Some(n) => n,
                None => {
                    let n = self.new_node();
                    let nd = &mut self.nodes[node as usize];
                    match t {
                        ANY => nd.any = Some(n),
                        NUM => nd.num = Some(n),
                        _ => nd.kids.push((t, n)),
                    }
                    n
                }
            };
        }
        let outs = &mut self.nodes[node as usize].outs;
        if !outs.contains(&out) {
            outs.push(out);
        }
    }

    /// The longest phrase starting at `toks[at]` within one sentence whose outputs `accept`
    /// allows: (length in tokens, node).
    pub fn longest(
        &self,
        toks: &[Tok],
        at: usize,
        accept: &dyn Fn(&[u32], usize, usize) -> bool,
    ) -> Option<(usize, u32)> {
        let t = toks.get(at)?;
        if t.id == LABEL {
            return None;
        }
        let mut best = None;
        if let Some(&n) = self.root.get(t.id as usize)
            && n != NONE
        {
            self.walk(toks, at, at + 1, n, accept, &mut best);
        }
        if t.num
            && let Some(n) = self.root_num
        {
            self.walk(toks, at, at + 1, n, accept, &mut best);
        }
        best
    }

    fn walk(
        &self,
        toks: &[Tok],
        at: usize,
        pos: usize,
        node: u32,
        accept: &dyn Fn(&[u32], usize, usize) -> bool,
        best: &mut Option<(usize, u32)>,
    ) {
        let nd = &self.nodes[node as usize];
        let len = pos - at;
        if !nd.outs.is_empty() && best.is_none_or(|(l, _)| len > l) && accept(&nd.outs, at, pos) {
            *best = Some((len, node));
        }
        let Some(t) = toks.get(pos) else { return };
        if t.sent != toks[at].sent || t.id == LABEL {
            return;
        }
        if t.id != UNKNOWN
            && let Some(&(_, n)) = nd.kids.iter().find(|(k, _)| *k == t.id)
        {
            self.walk(toks, at, pos + 1, n, accept, best);
        }
        if t.num
            && let Some(n) = nd.num
        {
            self.walk(toks, at, pos + 1, n, accept, best);
        }
        if let Some(n) = nd.any {
            self.walk(toks, at, pos + 1, n, accept, best);
        }
    }
}
