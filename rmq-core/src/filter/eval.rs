//! Evaluating a selector against a message's properties, with Java's three-valued logic and
//! type rules: a missing property is unknown (no match), a property is always a string that a
//! comparison with a number converts (and a conversion failure is an error, which is no
//! match), strings order with `>`/`<` only when both sides read as numbers.

use std::cmp::Ordering;

use super::ast::{CmpOp, Expr, Literal, StrOp};
use super::java_num::{parse_bool, parse_double, parse_int, parse_long};
use super::Properties;

/// A value during evaluation, typed as in Java (`Integer`, `Long`, `Double`, `String`,
/// `Boolean`, `null`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// `null`: unknown.
    Null,
    /// `Boolean`
    Bool(bool),
    /// `Integer`
    Int(i32),
    /// `Long`
    Long(i64),
    /// `Double`
    Double(f64),
    /// `String`
    Str(&'a str),
}

impl<'a> Value<'a> {
    /// The value of a literal.
    pub fn from_literal(l: &'a Literal) -> Self {
        match l {
            Literal::Str(s) => Value::Str(s),
            Literal::Int(i) => Value::Int(*i),
            Literal::Long(v) => Value::Long(*v),
            Literal::Double(d) => Value::Double(*d),
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Null => Value::Null,
        }
    }
}

/// What Java throws while evaluating (the message then does not match).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

fn nfe(s: &str) -> EvalError {
    EvalError(format!("NumberFormatException: For input string: \"{s}\""))
}

/// `Double.compare`: NaN above everything and equal to itself, -0.0 below 0.0.
fn cmp_double(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.total_cmp(&b),
    }
}

/// Java's `ComparisonExpression.__compare` with string conversion on: values of different
/// types are converted towards each other; types that cannot meet compare as "less".
pub fn compare(lv: &Value<'_>, rv: &Value<'_>) -> Result<Ordering, EvalError> {
    use Value::*;
    Ok(match (*lv, *rv) {
        (Null, _) | (_, Null) => {
            return Err(EvalError("NullPointerException: null compared".into()))
        }
        (Bool(a), Bool(b)) => a.cmp(&b),
        (Bool(_), Str(_)) => {
            return Err(EvalError(
                "ClassCastException: Boolean cannot be cast to String".into(),
            ))
        }
        (Bool(_), _) => Ordering::Less,
        (Int(a), Int(b)) => a.cmp(&b),
        (Int(a), Long(b)) => i64::from(a).cmp(&b),
        (Int(a), Double(b)) => cmp_double(f64::from(a), b),
        (Int(a), Str(b)) => a.cmp(&parse_int(b).ok_or_else(|| nfe(b))?),
        (Long(a), Int(b)) => a.cmp(&i64::from(b)),
        (Long(a), Long(b)) => a.cmp(&b),
        (Long(a), Double(b)) => cmp_double(a as f64, b),
        (Long(a), Str(b)) => a.cmp(&parse_long(b).ok_or_else(|| nfe(b))?),
        (Int(_) | Long(_), Bool(_)) => Ordering::Less,
        (Double(a), Int(b)) => cmp_double(a, f64::from(b)),
        (Double(a), Long(b)) => cmp_double(a, b as f64),
        (Double(a), Double(b)) => cmp_double(a, b),
        (Double(a), Str(b)) => cmp_double(a, parse_double(b).ok_or_else(|| nfe(b))?),
        (Double(_), Bool(_)) => Ordering::Less,
        (Str(a), Bool(b)) => parse_bool(a).cmp(&b),
        (Str(a), Int(b)) => parse_int(a).ok_or_else(|| nfe(a))?.cmp(&b),
        (Str(a), Long(b)) => parse_long(a).ok_or_else(|| nfe(a))?.cmp(&b),
        (Str(a), Double(b)) => cmp_double(parse_double(a).ok_or_else(|| nfe(a))?, b),
        // String.compareTo orders by UTF-16 code units.
        (Str(a), Str(b)) => a.encode_utf16().cmp(b.encode_utf16()),
    })
}

/// Java's `equals` between two values: same type and same value (`Double` by bits).
fn java_equals(lv: &Value<'_>, rv: &Value<'_>) -> bool {
    match (lv, rv) {
        (Value::Double(a), Value::Double(b)) => {
            let canon = |d: f64| {
                if d.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    d.to_bits()
                }
            };
            canon(*a) == canon(*b)
        }
        _ => lv == rv,
    }
}

fn as_bool(v: Value<'_>) -> Result<Option<bool>, EvalError> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        other => Err(EvalError(format!(
            "ClassCastException: {other:?} is not a Boolean"
        ))),
    }
}

fn from_opt(b: Option<bool>) -> Value<'static> {
    b.map_or(Value::Null, Value::Bool)
}

/// Evaluates `e` against `props`: `Ok(Bool)`, `Ok(Null)` (unknown) or the error Java throws.
pub fn evaluate<'a, P: Properties + ?Sized>(
    e: &'a Expr,
    props: &'a P,
) -> Result<Value<'a>, EvalError> {
    Ok(match e {
        Expr::Literal(l) => Value::from_literal(l),
        Expr::Property(name) => props.property(name).map_or(Value::Null, Value::Str),
        Expr::Negate(inner) => match evaluate(inner, props)? {
            Value::Int(i) => Value::Int(i.wrapping_neg()),
            Value::Long(l) => Value::Long(l.wrapping_neg()),
            Value::Double(d) => Value::Double(-d),
            _ => Value::Null,
        },
        Expr::Not(inner) => from_opt(as_bool(evaluate(inner, props)?)?.map(|b| !b)),
        Expr::BoolCast(inner) => match evaluate(inner, props)? {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            _ => Value::Bool(false),
        },
        Expr::And(l, r) => {
            let lv = as_bool(evaluate(l, props)?)?;
            if lv == Some(false) {
                return Ok(Value::Bool(false));
            }
            let rv = as_bool(evaluate(r, props)?)?;
            if rv == Some(false) {
                return Ok(Value::Bool(false));
            }
            if lv.is_none() || rv.is_none() {
                Value::Null
            } else {
                Value::Bool(true)
            }
        }
        Expr::Or(l, r) => {
            let lv = as_bool(evaluate(l, props)?)?;
            if lv == Some(true) {
                return Ok(Value::Bool(true));
            }
            let rv = as_bool(evaluate(r, props)?)?;
            if rv == Some(true) {
                return Ok(Value::Bool(true));
            }
            if lv.is_none() || rv.is_none() {
                Value::Null
            } else {
                Value::Bool(false)
            }
        }
        Expr::Equal(l, r) => {
            let lv = evaluate(l, props)?;
            let rv = evaluate(r, props)?;
            match (lv, rv) {
                (Value::Null, Value::Null) => Value::Bool(true),
                (Value::Null, _) => Value::Null,
                (_, Value::Null) => Value::Bool(false),
                _ if java_equals(&lv, &rv) => Value::Bool(true),
                _ => Value::Bool(compare(&lv, &rv)? == Ordering::Equal),
            }
        }
        Expr::Compare(op, l, r) => {
            let lv = evaluate(l, props)?;
            if lv == Value::Null {
                return Ok(Value::Null);
            }
            let rv = evaluate(r, props)?;
            if rv == Value::Null {
                return Ok(Value::Null);
            }
            let ord = match (lv, rv) {
                (Value::Str(a), Value::Str(b)) => {
                    let (Some(x), Some(y)) = (parse_double(a), parse_double(b)) else {
                        return Err(EvalError(format!(
                            "it's illegal to compare string by '>=', '>', '<', '<='. lv={a}, rv={b}"
                        )));
                    };
                    cmp_double(x, y)
                }
                _ => compare(&lv, &rv)?,
            };
            Value::Bool(match op {
                CmpOp::Gt => ord == Ordering::Greater,
                CmpOp::Ge => ord != Ordering::Less,
                CmpOp::Lt => ord == Ordering::Less,
                CmpOp::Le => ord != Ordering::Greater,
            })
        }
        Expr::In {
            property,
            list,
            not,
        } => match props.property(property) {
            None => Value::Null,
            Some(v) => Value::Bool(list.iter().any(|s| s == v) ^ not),
        },
        Expr::Str {
            op,
            not,
            operand,
            search,
        } => {
            if search.is_empty() {
                return Ok(Value::Bool(false));
            }
            match evaluate(operand, props)? {
                Value::Str(s) => Value::Bool(
                    match op {
                        StrOp::Contains => s.contains(search.as_str()),
                        StrOp::StartsWith => s.starts_with(search.as_str()),
                        StrOp::EndsWith => s.ends_with(search.as_str()),
                    } ^ not,
                ),
                _ => Value::Bool(false),
            }
        }
    })
}
