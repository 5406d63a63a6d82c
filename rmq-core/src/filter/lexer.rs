//! Tokens of RocketMQ's selector grammar, read one at a time on demand (as Java's generated
//! parser does: text after the end of a complete expression is never read).

use super::FilterError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// `NOT` (keywords ignore case).
    Not,
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `BETWEEN`
    Between,
    /// `IN`
    In,
    /// `TRUE`
    True,
    /// `FALSE`
    False,
    /// `NULL`
    Null,
    /// `IS`
    Is,
    /// `CONTAINS`
    Contains,
    /// `STARTSWITH`
    StartsWith,
    /// `ENDSWITH`
    EndsWith,
    /// A decimal integer literal as written (`0`, `12`, `12L`).
    Decimal(String),
    /// A floating-point literal as written (`1.5`, `.5`, `5.`, `1e3`).
    Float(String),
    /// A string literal, decoded (`''` → `'`).
    Str(String),
    /// An identifier: a property name, case kept.
    Id(String),
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// The end of the text.
    Eof,
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Its text as written.
    pub text: String,
    /// 1-based character position of its first character.
    pub column: usize,
}

/// Reads tokens from selector text.
#[derive(Debug)]
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    /// A byte offset and its character count: columns are counted on from there (tokens
    /// come in order), so a long expression is not re-counted from its start per token.
    counted: (usize, usize),
}

fn is_id_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_id_part(c: u8) -> bool {
    is_id_start(c) || c.is_ascii_digit()
}

fn keyword(word: &str) -> Option<TokenKind> {
    const KEYWORDS: &[(&str, TokenKind)] = &[
        ("NOT", TokenKind::Not),
        ("AND", TokenKind::And),
        ("OR", TokenKind::Or),
        ("BETWEEN", TokenKind::Between),
        ("IN", TokenKind::In),
        ("TRUE", TokenKind::True),
        ("FALSE", TokenKind::False),
        ("NULL", TokenKind::Null),
        ("IS", TokenKind::Is),
        ("CONTAINS", TokenKind::Contains),
        ("STARTSWITH", TokenKind::StartsWith),
        ("ENDSWITH", TokenKind::EndsWith),
    ];
    KEYWORDS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(word))
        .map(|(_, t)| t.clone())
}

/// Length of `[0-9]*` at `i`.
fn digits(b: &[u8], i: usize) -> usize {
    b[i.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

/// Length of an exponent `[eE][+-]?[0-9]+` at `i`, or 0.
fn exponent(b: &[u8], i: usize) -> usize {
    if !matches!(b.get(i), Some(b'e' | b'E')) {
        return 0;
    }
    let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
    match digits(b, i + 1 + sign) {
        0 => 0,
        n => 1 + sign + n,
    }
}

/// Length of the longest floating-point literal at `i`, or 0.
fn float_len(b: &[u8], i: usize) -> usize {
    let int = digits(b, i);
    if b.get(i + int) == Some(&b'.') {
        let frac = digits(b, i + int + 1);
        if int == 0 && frac == 0 {
            return 0;
        }
        let end = i + int + 1 + frac;
        return end - i + exponent(b, end);
    }
    if int == 0 {
        return 0;
    }
    match exponent(b, i + int) {
        0 => 0,
        e => int + e,
    }
}

/// Length of the decimal literal at `i` (`0`, or `[1-9][0-9]*[lL]?`), or 0.
fn decimal_len(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'0') => 1,
        Some(b'1'..=b'9') => {
            let n = digits(b, i);
            n + usize::from(matches!(b.get(i + n), Some(b'l' | b'L')))
        }
        _ => 0,
    }
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`.
    pub fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            counted: (0, 0),
        }
    }

    fn column(&mut self, byte: usize) -> usize {
        let (at, chars) = self.counted;
        if byte < at {
            return self.src[..byte].chars().count() + 1;
        }
        let chars = chars + self.src[at..byte].chars().count();
        self.counted = (byte, chars);
        chars + 1
    }

    fn error(&mut self, at: usize, what: String) -> FilterError {
        FilterError::Lexical {
            column: self.column(at),
            message: what,
        }
    }

    /// Skips blanks and comments. A `--` comment needs a line end; without one the dashes are
    /// minus signs (as in Java's grammar).
    fn skip(&mut self) {
        let b = self.src.as_bytes();
        loop {
            match b.get(self.pos) {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0c) => self.pos += 1,
                Some(b'-') if b.get(self.pos + 1) == Some(&b'-') => {
                    match b[self.pos..].iter().position(|&c| c == b'\n' || c == b'\r') {
                        Some(n) => {
                            self.pos += n;
                            // "\r\n" ends the comment as one line end.
                            if b[self.pos] == b'\r' && b.get(self.pos + 1) == Some(&b'\n') {
                                self.pos += 2;
                            } else {
                                self.pos += 1;
                            }
                        }
                        None => return,
                    }
                }
                Some(b'/') if b.get(self.pos + 1) == Some(&b'*') => {
                    match self.src[self.pos + 2..].find("*/") {
                        Some(n) => self.pos += 2 + n + 2,
                        None => return,
                    }
                }
                _ => return,
            }
        }
    }

    /// The next token (`Eof` at the end), or a lexical error naming the character.
    pub fn next_token(&mut self) -> Result<Token, FilterError> {
        self.skip();
        let b = self.src.as_bytes();
        let start = self.pos;
        let column = self.column(start);
        let Some(&c) = b.get(start) else {
            return Ok(Token {
                kind: TokenKind::Eof,
                text: String::new(),
                column,
            });
        };
        let (kind, len) = match c {
            b'\'' => self.string(start)?,
            b'0'..=b'9' | b'.' => {
                let (d, f) = (decimal_len(b, start), float_len(b, start));
                if f > d {
                    (TokenKind::Float(self.src[start..start + f].to_owned()), f)
                } else if d > 0 {
                    (TokenKind::Decimal(self.src[start..start + d].to_owned()), d)
                } else {
                    return Err(self.error(start, "unexpected character '.'".into()));
                }
            }
            c if is_id_start(c) => {
                let n = b[start..].iter().take_while(|&&c| is_id_part(c)).count();
                let word = &self.src[start..start + n];
                (
                    keyword(word).unwrap_or_else(|| TokenKind::Id(word.to_owned())),
                    n,
                )
            }
            b'=' => (TokenKind::Eq, 1),
            b'<' => match b.get(start + 1) {
                Some(b'>') => (TokenKind::Ne, 2),
                Some(b'=') => (TokenKind::Le, 2),
                _ => (TokenKind::Lt, 1),
            },
            b'>' => match b.get(start + 1) {
                Some(b'=') => (TokenKind::Ge, 2),
                _ => (TokenKind::Gt, 1),
            },
            b'(' => (TokenKind::LParen, 1),
            b')' => (TokenKind::RParen, 1),
            b',' => (TokenKind::Comma, 1),
            b'+' => (TokenKind::Plus, 1),
            b'-' => (TokenKind::Minus, 1),
            _ => {
                let ch = self.src[start..].chars().next().unwrap_or('?');
                let what = if ch == '/' {
                    "unexpected character '/' (an unterminated /* comment?)".to_owned()
                } else {
                    format!("unexpected character {ch:?}")
                };
                return Err(self.error(start, what));
            }
        };
        self.pos = start + len;
        Ok(Token {
            kind,
            text: self.src[start..start + len].to_owned(),
            column,
        })
    }

    /// A string literal at `start` (a quote): its decoded text and length in bytes. The
    /// longest literal wins, as in Java's lexer: in `'a''` (no quote after) the literal is
    /// `'a'`, and the last quote starts the next token.
    fn string(&mut self, start: usize) -> Result<(TokenKind, usize), FilterError> {
        let b = self.src.as_bytes();
        let mut out = String::new();
        let mut i = start + 1;
        let mut run = i;
        // The literal ending at the last quote seen: its text's length and its own.
        let mut last_close: Option<(usize, usize)> = None;
        loop {
            match b.get(i) {
                None => {
                    return match last_close {
                        Some((text_len, len)) => {
                            out.truncate(text_len);
                            Ok((TokenKind::Str(out), len))
                        }
                        None => Err(self.error(start, "unterminated string literal".into())),
                    };
                }
                Some(b'\'') if b.get(i + 1) == Some(&b'\'') => {
                    last_close = Some((out.len() + (i - run), i + 1 - start));
                    out.push_str(&self.src[run..=i]);
                    i += 2;
                    run = i;
                }
                Some(b'\'') => {
                    out.push_str(&self.src[run..i]);
                    return Ok((TokenKind::Str(out), i + 1 - start));
                }
                Some(_) => i += 1,
            }
        }
    }
}
