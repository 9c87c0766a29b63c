//! The filter lexer and recursive-descent parser: source text to `Expr`, with column-exact errors.

use super::{Expr, Field, FilterError, Term, tokenize};

/// Bounds recursion in the parser, the evaluator and `Display` against hostile input.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Minus,
    Field(Field),
    Term { words: Vec<String>, prefix: bool },
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// 1-based character column of the token's first character.
    col: usize,
}

impl Token {
    fn starts_unary(&self) -> bool {
        matches!(
            self.kind,
            Kind::LParen | Kind::Not | Kind::Minus | Kind::Field(_) | Kind::Term { .. }
        )
    }
}

pub(super) fn parse(src: &str) -> Result<Expr, FilterError> {
    if src.trim().is_empty() {
        return Err(FilterError::new(1, "empty filter"));
    }
    let mut p = Parser {
        chars: src.chars().collect(),
        pos: 0,
        peeked: None,
        depth: 0,
        open_parens: 0,
        scope: None,
    };
    let expr = p.parse_or()?;
    let tok = p.next()?;
    match tok.kind {
        Kind::Eof => Ok(expr),
        Kind::RParen => Err(FilterError::new(tok.col, "unbalanced \")\"")),
        // parse_or stops only before ")" or the end.
        _ => Err(FilterError::new(tok.col, "unexpected input")),
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    peeked: Option<Token>,
    depth: usize,
    open_parens: usize,
    scope: Option<Field>,
}

impl Parser {
    // Lexing is on demand so that errors are reported in source order.
    fn peek(&mut self) -> Result<&Token, FilterError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lex()?);
        }
        Ok(self.peeked.as_ref().expect("just filled"))
    }

    fn next(&mut self) -> Result<Token, FilterError> {
        self.peek()?;
        Ok(self.peeked.take().expect("just peeked"))
    }

    fn lex(&mut self) -> Result<Token, FilterError> {
        let chars = &self.chars;
        while self.pos < chars.len() && chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
        let start = self.pos;
        let col = start + 1;
        let tok = |kind| Ok(Token { kind, col });
        let Some(&c) = chars.get(start) else {
            return tok(Kind::Eof);
        };
        match c {
            '(' => {
                self.pos += 1;
                tok(Kind::LParen)
            }
            ')' => {
                self.pos += 1;
                tok(Kind::RParen)
            }
            '"' => {
                let Some(len) = chars[start + 1..].iter().position(|&c| c == '"') else {
                    return Err(FilterError::new(col, "unclosed quote"));
                };
                self.pos = start + len + 2;
                let kind = term(&chars[start + 1..start + 1 + len], col + 1, true)?;
                tok(kind)
            }
            '-' if chars
                .get(start + 1)
                .is_some_and(|&n| !n.is_whitespace() && n != ')') =>
            {
                self.pos += 1;
                tok(Kind::Minus)
            }
            _ => {
                let len = chars[start..]
                    .iter()
                    .position(|&c| c.is_whitespace() || matches!(c, '(' | ')' | '"'))
                    .unwrap_or(chars.len() - start);
                let run = &chars[start..start + len];
                match run {
                    ['A', 'N', 'D'] => {
                        self.pos += len;
                        return tok(Kind::And);
                    }
                    ['O', 'R'] => {
                        self.pos += len;
                        return tok(Kind::Or);
                    }
                    ['N', 'O', 'T'] => {
                        self.pos += len;
                        return tok(Kind::Not);
                    }
                    _ => {}
                }
                if let Some(colon) = run.iter().position(|&c| c == ':')
                    && colon > 0
                    && run[..colon].iter().all(char::is_ascii_alphabetic)
                {
                    let name: String = run[..colon].iter().collect();
                    let Some(field) = Field::from_name(&name) else {
                        return Err(FilterError::new(
                            col,
                            format!(
                                "unknown field \"{name}\" (expected title, abstract, mesh, \
                                 author, journal, category)"
                            ),
                        ));
                    };
                    // The rest of the run (if any) is lexed as the scoped atom.
                    self.pos = start + colon + 1;
                    return tok(Kind::Field(field));
                }
                self.pos += len;
                tok(term(run, col, false)?)
            }
        }
    }

    fn expect_operand(&mut self, after: &str) -> Result<(), FilterError> {
        let tok = self.peek()?;
        if tok.starts_unary() {
            Ok(())
        } else {
            Err(FilterError::new(
                tok.col,
                format!("expected a term after {after}"),
            ))
        }
    }

    fn parse_or(&mut self) -> Result<Expr, FilterError> {
        let mut items = vec![self.parse_and()?];
        while self.peek()?.kind == Kind::Or {
            self.next()?;
            self.expect_operand("OR")?;
            items.push(self.parse_and()?);
        }
        Ok(join(items, Expr::Or, |e| match e {
            Expr::Or(v) => Ok(v),
            e => Err(e),
        }))
    }

    fn parse_and(&mut self) -> Result<Expr, FilterError> {
        let mut items = vec![self.parse_unary()?];
        loop {
            let tok = self.peek()?;
            if tok.kind == Kind::And {
                self.next()?;
                self.expect_operand("AND")?;
            } else if !tok.starts_unary() {
                break;
            }
            items.push(self.parse_unary()?);
        }
        Ok(join(items, Expr::And, |e| match e {
            Expr::And(v) => Ok(v),
            e => Err(e),
        }))
    }

    fn parse_unary(&mut self) -> Result<Expr, FilterError> {
        let tok = self.next()?;
        match tok.kind {
            Kind::Not | Kind::Minus => {
                self.expect_operand(if tok.kind == Kind::Not {
                    "NOT"
                } else {
                    "\"-\""
                })?;
                self.descend(tok.col)?;
                let inner = self.parse_unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Kind::Field(field) => {
                if let Some(outer) = self.scope {
                    return Err(FilterError::new(
                        tok.col,
                        format!("field scope \"{field}:\" inside \"{outer}:(…)\""),
                    ));
                }
                let next = self.peek()?;
                if !matches!(next.kind, Kind::Term { .. } | Kind::LParen) {
                    return Err(FilterError::new(
                        next.col,
                        format!("expected a term, phrase or \"(\" after {field}:"),
                    ));
                }
                self.scope = Some(field);
                let atom = self.parse_unary();
                self.scope = None;
                atom
            }
            Kind::LParen => {
                let next = self.peek()?;
                if next.kind == Kind::RParen {
                    return Err(FilterError::new(next.col, "empty parentheses"));
                }
                self.expect_operand("\"(\"")?;
                self.descend(tok.col)?;
                self.open_parens += 1;
                let inner = self.parse_or()?;
                self.open_parens -= 1;
                self.depth -= 1;
                let close = self.next()?;
                match close.kind {
                    Kind::RParen => Ok(inner),
                    _ => Err(FilterError::new(tok.col, "unclosed \"(\"")),
                }
            }
            Kind::Term { words, prefix } => Ok(Expr::Term(Term {
                field: self.scope,
                words,
                prefix,
            })),
            Kind::And => Err(FilterError::new(tok.col, "expected a term before AND")),
            Kind::Or => Err(FilterError::new(tok.col, "expected a term before OR")),
            Kind::RParen if self.open_parens == 0 => {
                Err(FilterError::new(tok.col, "unbalanced \")\""))
            }
            Kind::RParen | Kind::Eof => Err(FilterError::new(tok.col, "expected a term")),
        }
    }

    fn descend(&mut self, col: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(
                col,
                format!("filter nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        Ok(())
    }
}

/// Builds an AND/OR node, splicing in operands that are already the same operator
/// (parenthesised groups), since both are associative.
fn join(
    items: Vec<Expr>,
    make: fn(Vec<Expr>) -> Expr,
    same: fn(Expr) -> Result<Vec<Expr>, Expr>,
) -> Expr {
    if items.len() == 1 {
        return items.into_iter().next().expect("one item");
    }
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match same(item) {
            Ok(inner) => flat.extend(inner),
            Err(e) => flat.push(e),
        }
    }
    make(flat)
}

/// Turns a bare word or phrase body into a term; `col` is the column of `text[0]`.
fn term(text: &[char], col: usize, quoted: bool) -> Result<Kind, FilterError> {
    // Trailing spaces inside quotes should not stop `"nasal spr* "` from being a prefix.
    let trimmed_len = if quoted {
        text.len() - text.iter().rev().take_while(|c| c.is_whitespace()).count()
    } else {
        text.len()
    };
    let body = &text[..trimmed_len];
    if let Some(i) = body.iter().position(|&c| c == '*')
        && i + 1 != body.len()
    {
        return Err(FilterError::new(col + i, "\"*\" may only end a term"));
    }
    let prefix = body.last() == Some(&'*');
    let body: String = body[..body.len() - usize::from(prefix)].iter().collect();
    let words = tokenize(&body);
    if words.is_empty() {
        let text: String = text.iter().collect();
        let message = match (quoted, text.trim().is_empty()) {
            (true, true) => "empty phrase".to_owned(),
            // The phrase may span lines; keep the message on one.
            (true, false) => "phrase has no letters or digits".to_owned(),
            (false, _) => format!("term \"{text}\" has no letters or digits"),
        };
        // Point at the opening quote, not inside the phrase.
        return Err(FilterError::new(col - usize::from(quoted), message));
    }
    Ok(Kind::Term { words, prefix })
}
