//! RocketMQ's selector grammar (`SelectorParser.jj`) by recursive descent, with the checks
//! Java makes while building the tree (operands `>`/`<` cannot take, `= NULL`, `BETWEEN`
//! bounds out of order, `IN` on a non-property, a non-boolean where a boolean is needed).
//!
//! Like Java's parser, it stops after one complete expression: tokens after it are not read.

use std::cmp::Ordering;

use super::ast::{CmpOp, Expr, Literal, StrOp};
use super::eval::{compare, Value};
use super::lexer::{Lexer, Token, TokenKind};
use super::FilterError;

/// Most tokens an expression may have: bounds the tree's depth (a left-deep `AND` chain),
/// which evaluation and dropping walk recursively.
pub const MAX_TOKENS: usize = 1024;
/// Deepest nesting of parentheses and unary operators (the parser recurses on them).
pub const MAX_NESTING: usize = 128;

/// Parses a selector into its tree.
pub fn parse(src: &str) -> Result<Expr, FilterError> {
    let mut p = Parser {
        lexer: Lexer::new(src),
        ahead: Vec::new(),
        tokens: 0,
        nesting: 0,
    };
    let e = p.or_expr()?;
    p.as_boolean(e, Some(1))
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    /// Tokens read but not consumed (at most two).
    ahead: Vec<Token>,
    /// Tokens read so far.
    tokens: usize,
    /// Current depth of parentheses and unary operators.
    nesting: usize,
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn describe(e: &Expr) -> String {
    match e {
        Expr::Literal(Literal::Str(s)) => format!("'{}'", s.replace('\'', "''")),
        Expr::Literal(Literal::Int(i)) => i.to_string(),
        Expr::Literal(Literal::Long(l)) => l.to_string(),
        Expr::Literal(Literal::Double(d)) => d.to_string(),
        Expr::Literal(Literal::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.into(),
        Expr::Literal(Literal::Null) => "NULL".into(),
        Expr::Property(p) => p.clone(),
        _ => "a boolean expression".into(),
    }
}

impl Parser<'_> {
    fn peek_n(&mut self, n: usize) -> Result<&Token, FilterError> {
        while self.ahead.len() <= n {
            let t = self.lexer.next_token()?;
            self.tokens += 1;
            if self.tokens > MAX_TOKENS {
                return Err(FilterError::Semantic {
                    column: Some(t.column),
                    message: format!("expression longer than {MAX_TOKENS} tokens"),
                });
            }
            self.ahead.push(t);
        }
        Ok(&self.ahead[n])
    }

    fn peek(&mut self) -> Result<&TokenKind, FilterError> {
        Ok(&self.peek_n(0)?.kind)
    }

    fn next(&mut self) -> Result<Token, FilterError> {
        self.peek_n(0)?;
        Ok(self.ahead.remove(0))
    }

    fn unexpected(t: &Token, expected: &str) -> FilterError {
        FilterError::Syntax {
            column: t.column,
            token: if t.kind == TokenKind::Eof {
                "<EOF>".into()
            } else {
                t.text.clone()
            },
            expected: expected.to_owned(),
        }
    }

    fn expect(&mut self, kind: TokenKind, expected: &str) -> Result<Token, FilterError> {
        let t = self.next()?;
        if t.kind == kind {
            Ok(t)
        } else {
            Err(Self::unexpected(&t, expected))
        }
    }

    /// Java's `asBooleanExpression`: a property becomes a boolean cast; a number or string
    /// is refused. `at` is the column of the operator needing the boolean.
    fn as_boolean(&self, e: Expr, at: Option<usize>) -> Result<Expr, FilterError> {
        if e.is_boolean() {
            Ok(e)
        } else if matches!(e, Expr::Property(_)) {
            Ok(Expr::BoolCast(bx(e)))
        } else {
            Err(FilterError::Semantic {
                column: at,
                message: format!(
                    "expression will not result in a boolean value: {}",
                    describe(&e)
                ),
            })
        }
    }

    fn or_expr(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and_expr()?;
        while *self.peek()? == TokenKind::Or {
            let op = self.next()?;
            let right = self.and_expr()?;
            let l = self.as_boolean(left, Some(op.column))?;
            let r = self.as_boolean(right, Some(op.column))?;
            left = Expr::Or(bx(l), bx(r));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.equality()?;
        while *self.peek()? == TokenKind::And {
            let op = self.next()?;
            let right = self.equality()?;
            let l = self.as_boolean(left, Some(op.column))?;
            let r = self.as_boolean(right, Some(op.column))?;
            left = Expr::And(bx(l), bx(r));
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.comparison()?;
        loop {
            match self.peek()? {
                TokenKind::Eq | TokenKind::Ne => {
                    let op = self.next()?;
                    let right = self.comparison()?;
                    let eq = create_equal(left, right, op.column)?;
                    left = if op.kind == TokenKind::Ne {
                        Expr::Not(bx(eq))
                    } else {
                        eq
                    };
                }
                TokenKind::Is => {
                    let is_null = self.peek_n(1)?.kind == TokenKind::Null;
                    self.next()?;
                    if !is_null {
                        self.expect(TokenKind::Not, "NOT or NULL after IS")?;
                    }
                    self.expect(TokenKind::Null, "NULL")?;
                    let eq = Expr::Equal(bx(left), bx(Expr::Literal(Literal::Null)));
                    left = if is_null { eq } else { Expr::Not(bx(eq)) };
                }
                _ => return Ok(left),
            }
        }
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        loop {
            let kind = self.peek()?.clone();
            let (not, kind) = if kind == TokenKind::Not {
                let second = self.peek_n(1)?.clone();
                match second.kind {
                    TokenKind::Contains
                    | TokenKind::StartsWith
                    | TokenKind::EndsWith
                    | TokenKind::Between
                    | TokenKind::In => {
                        self.next()?;
                        (true, second.kind)
                    }
                    _ => {
                        let not = self.next()?;
                        return Err(Self::unexpected(
                            &not,
                            "CONTAINS, STARTSWITH, ENDSWITH, BETWEEN or IN after NOT",
                        ));
                    }
                }
            } else {
                (false, kind)
            };
            let op = match kind {
                TokenKind::Gt => Some(CmpOp::Gt),
                TokenKind::Ge => Some(CmpOp::Ge),
                TokenKind::Lt => Some(CmpOp::Lt),
                TokenKind::Le => Some(CmpOp::Le),
                _ => None,
            };
            if let Some(op) = op {
                let t = self.next()?;
                let right = self.unary()?;
                left = create_compare(op, left, right, t.column)?;
                continue;
            }
            let str_op = match kind {
                TokenKind::Contains => Some(StrOp::Contains),
                TokenKind::StartsWith => Some(StrOp::StartsWith),
                TokenKind::EndsWith => Some(StrOp::EndsWith),
                _ => None,
            };
            if let Some(op) = str_op {
                self.next()?;
                let search = self.string_literal()?;
                left = Expr::Str {
                    op,
                    not,
                    operand: bx(left),
                    search,
                };
                continue;
            }
            match kind {
                TokenKind::Between => {
                    let t = self.next()?;
                    let low = self.unary()?;
                    self.expect(TokenKind::And, "AND between the BETWEEN bounds")?;
                    let high = self.unary()?;
                    left = create_between(left, low, high, not, t.column)?;
                }
                TokenKind::In => {
                    let t = self.next()?;
                    self.expect(TokenKind::LParen, "( after IN")?;
                    let mut list = vec![self.string_literal()?];
                    while *self.peek()? == TokenKind::Comma {
                        self.next()?;
                        list.push(self.string_literal()?);
                    }
                    self.expect(TokenKind::RParen, ", or ) in the IN list")?;
                    let Expr::Property(property) = left else {
                        return Err(FilterError::Semantic {
                            column: Some(t.column),
                            message: format!("expected a property for IN, got {}", describe(&left)),
                        });
                    };
                    left = Expr::In {
                        property,
                        list,
                        not,
                    };
                }
                _ => return Ok(left),
            }
        }
    }

    fn string_literal(&mut self) -> Result<String, FilterError> {
        let t = self.next()?;
        match t.kind {
            TokenKind::Str(s) => Ok(s),
            _ => Err(Self::unexpected(&t, "a string literal")),
        }
    }

    /// Enters one level of nesting; refused past [`MAX_NESTING`].
    fn nest(&mut self) -> Result<(), FilterError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            let column = self.peek_n(0)?.column;
            return Err(FilterError::Semantic {
                column: Some(column),
                message: format!("expression nested deeper than {MAX_NESTING} levels"),
            });
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        self.nest()?;
        let e = self.unary_inner();
        self.nesting -= 1;
        e
    }

    fn unary_inner(&mut self) -> Result<Expr, FilterError> {
        match self.peek()? {
            TokenKind::Plus => {
                self.next()?;
                self.unary()
            }
            TokenKind::Minus => {
                self.next()?;
                Ok(Expr::Negate(bx(self.unary()?)))
            }
            TokenKind::Not => {
                let t = self.next()?;
                let e = self.unary()?;
                Ok(Expr::Not(bx(self.as_boolean(e, Some(t.column))?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let t = self.next()?;
        let lit = match t.kind {
            TokenKind::Str(s) => Literal::Str(s),
            TokenKind::Decimal(ref d) => decimal(d, t.column)?,
            TokenKind::Float(ref f) => float(f, t.column)?,
            TokenKind::True => Literal::Bool(true),
            TokenKind::False => Literal::Bool(false),
            TokenKind::Null => Literal::Null,
            TokenKind::Id(name) => return Ok(Expr::Property(name)),
            TokenKind::LParen => {
                let e = self.or_expr()?;
                self.expect(TokenKind::RParen, ")")?;
                return Ok(e);
            }
            _ => {
                return Err(Self::unexpected(
                    &t,
                    "a literal, a property name, NOT, +, - or (",
                ))
            }
        };
        Ok(Expr::Literal(lit))
    }
}

/// `createFromDecimal`: an `Integer` when it fits, else a `Long`; beyond `Long` is an error.
fn decimal(text: &str, column: usize) -> Result<Literal, FilterError> {
    let digits = text.trim_end_matches(['l', 'L']);
    let v: i64 = digits.parse().map_err(|_| FilterError::Semantic {
        column: Some(column),
        message: format!("number {text} is out of the range of a long"),
    })?;
    Ok(match i32::try_from(v) {
        Ok(i) => Literal::Int(i),
        Err(_) => Literal::Long(v),
    })
}

/// `createFloat`: a `Double` that must be finite and at least `Double.MIN_VALUE` (so `0.0`
/// and values that round to zero are refused, as in Java).
fn float(text: &str, column: usize) -> Result<Literal, FilterError> {
    let v: f64 = text.parse().map_err(|_| FilterError::Semantic {
        column: Some(column),
        message: format!("bad floating-point number {text}"),
    })?;
    if v > f64::MAX {
        return Err(FilterError::Semantic {
            column: Some(column),
            message: format!("{text} is greater than {:e}", f64::MAX),
        });
    }
    // Double.MIN_VALUE: the smallest positive subnormal.
    if v < f64::from_bits(1) {
        return Err(FilterError::Semantic {
            column: Some(column),
            message: format!("{text} is less than 4.9E-324 (a floating-point literal must be positive and not round to zero)"),
        });
    }
    Ok(Literal::Double(v))
}

fn literal_of(e: &Expr) -> Option<&Literal> {
    match e {
        Expr::Literal(l) => Some(l),
        _ => None,
    }
}

/// `checkLessThanOperand`: `>`/`<` take no string, boolean or NULL constant and no boolean
/// expression.
fn check_less_than_operand(e: &Expr, column: usize) -> Result<(), FilterError> {
    let refused = match literal_of(e) {
        Some(l) => !matches!(l, Literal::Int(_) | Literal::Long(_) | Literal::Double(_)),
        None => e.is_boolean(),
    };
    if refused {
        return Err(FilterError::Semantic {
            column: Some(column),
            message: format!(
                "value {} cannot be compared with >, >=, < or <=",
                describe(e)
            ),
        });
    }
    Ok(())
}

fn create_compare(op: CmpOp, left: Expr, right: Expr, column: usize) -> Result<Expr, FilterError> {
    check_less_than_operand(&left, column)?;
    check_less_than_operand(&right, column)?;
    Ok(Expr::Compare(op, bx(left), bx(right)))
}

/// `createEqual`: neither side the NULL constant; a boolean constant not compared with a
/// non-boolean constant.
fn create_equal(left: Expr, right: Expr, column: usize) -> Result<Expr, FilterError> {
    for side in [&left, &right] {
        if matches!(literal_of(side), Some(Literal::Null)) {
            return Err(FilterError::Semantic {
                column: Some(column),
                message: "NULL cannot be compared with = or <> (use IS NULL)".into(),
            });
        }
    }
    if let (Some(l), Some(r)) = (literal_of(&left), literal_of(&right)) {
        if l.is_boolean() && !r.is_boolean() {
            return Err(FilterError::Semantic {
                column: Some(column),
                message: format!(
                    "{} cannot be compared with {}",
                    describe(&left),
                    describe(&right)
                ),
            });
        }
    }
    Ok(Expr::Equal(bx(left), bx(right)))
}

/// `createBetween` / `createNotBetween`: constant bounds must not be NULL and must be in
/// order.
fn create_between(
    value: Expr,
    low: Expr,
    high: Expr,
    not: bool,
    column: usize,
) -> Result<Expr, FilterError> {
    if not {
        let lt = create_compare(CmpOp::Lt, value.clone(), low, column)?;
        let gt = create_compare(CmpOp::Gt, value, high, column)?;
        return Ok(Expr::Or(bx(lt), bx(gt)));
    }
    if let (Some(l), Some(h)) = (literal_of(&low), literal_of(&high)) {
        let (lv, hv) = (Value::from_literal(l), Value::from_literal(h));
        if matches!(lv, Value::Null) || matches!(hv, Value::Null) {
            return Err(FilterError::Semantic {
                column: Some(column),
                message: "BETWEEN bounds cannot be NULL".into(),
            });
        }
        match compare(&hv, &lv) {
            Ok(Ordering::Less) => {
                return Err(FilterError::Semantic {
                    column: Some(column),
                    message: format!(
                        "BETWEEN bounds out of order: {} must be less than or equal to {}",
                        describe(&low),
                        describe(&high)
                    ),
                })
            }
            Ok(_) => {}
            Err(e) => {
                return Err(FilterError::Semantic {
                    column: Some(column),
                    message: format!("BETWEEN bounds cannot be compared: {e}"),
                })
            }
        }
    }
    let ge = create_compare(CmpOp::Ge, value.clone(), low, column)?;
    let le = create_compare(CmpOp::Le, value, high, column)?;
    Ok(Expr::And(bx(ge), bx(le)))
}
