//! Reading one attribute value: the literal kinds a key accepts, and `${..}` placeholders.
//!
//! Each reader reports its own errors on the value's span and returns `None` for a bad value,
//! so one build shows every mistake.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, ExprUnary, Lit, LitStr, UnOp};

use crate::ctxt::Ctxt;
use crate::symbol::Symbol;

/// A value with the span it came from.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// The bounds an integer attribute accepts, and why.
pub struct IntRange {
    pub min: i64,
    pub max: i64,
    pub why: &'static str,
}

/// A string literal; `${key}` / `${key:default}` placeholders are kept verbatim but their
/// syntax is checked.
pub fn string(cx: &Ctxt, key: Symbol, expr: &Expr) -> Option<Spanned<String>> {
    let lit = expect_str(cx, key, expr)?;
    check_placeholders(cx, key, lit);
    Some(spanned_str(lit))
}

/// A string literal without placeholders, one of `values` (enum-like attributes).
pub fn choice<T: Copy>(
    cx: &Ctxt,
    key: Symbol,
    expr: &Expr,
    values: &[(&'static str, T)],
) -> Option<Spanned<T>> {
    let lit = expect_str(cx, key, expr)?;
    let text = lit.value();
    let expected = list(values.iter().map(|(name, _)| *name));
    if text.contains("${") {
        cx.error_spanned_by(
            lit,
            format!("`{key}` must be a literal value, not a placeholder: one of {expected}"),
        );
        return None;
    }
    if let Some((_, value)) = values.iter().find(|(name, _)| *name == text) {
        return Some(Spanned {
            value: *value,
            span: lit.span(),
        });
    }
    let names = values.iter().map(|(name, _)| *name);
    let hint = match crate::symbol::closest(&text, names) {
        Some(name) => format!("; did you mean \"{name}\"?"),
        None => String::new(),
    };
    cx.error_spanned_by(
        lit,
        format!("unknown `{key}` value {text:?}: expected one of {expected}{hint}"),
    );
    None
}

/// An integer literal, optionally negative, within `range`.
pub fn int(cx: &Ctxt, key: Symbol, expr: &Expr, range: &IntRange) -> Option<Spanned<i64>> {
    let (negative, lit) = match strip_group(expr) {
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr: inner,
            ..
        }) => (true, strip_group(inner)),
        other => (false, other),
    };
    let Expr::Lit(ExprLit {
        lit: Lit::Int(int), ..
    }) = lit
    else {
        let found = match lit {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) if s.value().trim().parse::<i64>().is_ok() => {
                format!(", not a string: write `{key} = {}`", s.value().trim())
            }
            Expr::Lit(ExprLit {
                lit: Lit::Str(_), ..
            }) => ", not a string (placeholders are only read in string attributes)".to_owned(),
            _ => format!(", e.g. `{key} = 20`"),
        };
        cx.error_spanned_by(expr, format!("`{key}` takes an integer literal{found}"));
        return None;
    };
    // i128 holds any literal a user writes, so the range check sees the real value.
    let magnitude = int.base10_parse::<i128>().unwrap_or(i128::MAX);
    let value = if negative { -magnitude } else { magnitude };
    if !(i128::from(range.min)..=i128::from(range.max)).contains(&value) {
        cx.error_spanned_by(
            expr,
            format!(
                "`{key}` must be between {} and {} ({}), got {value}",
                range.min, range.max, range.why
            ),
        );
        return None;
    }
    Some(Spanned {
        value: i64::try_from(value).expect("an i64 range was checked"),
        span: expr.span(),
    })
}

/// A `true` / `false` literal.
pub fn boolean(cx: &Ctxt, key: Symbol, expr: &Expr) -> Option<Spanned<bool>> {
    match strip_group(expr) {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Some(Spanned {
            value: b.value,
            span: b.span,
        }),
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) if matches!(s.value().as_str(), "true" | "false") => {
            cx.error_spanned_by(
                expr,
                format!(
                    "`{key}` takes a bool literal, not a string: write `{key} = {}`",
                    s.value()
                ),
            );
            None
        }
        _ => {
            cx.error_spanned_by(
                expr,
                format!("`{key}` takes a bool literal: `{key} = true` or `{key} = false`"),
            );
            None
        }
    }
}

/// A string holding a boolean, as rocketmq-spring's `tlsEnable`: `"true"`, `"false"`, a
/// placeholder, or a bool literal (turned into its string).
pub fn bool_string(cx: &Ctxt, key: Symbol, expr: &Expr) -> Option<Spanned<String>> {
    if let Expr::Lit(ExprLit {
        lit: Lit::Bool(b), ..
    }) = strip_group(expr)
    {
        return Some(Spanned {
            value: b.value.to_string(),
            span: b.span,
        });
    }
    let value = string(cx, key, expr)?;
    let text = value.value.as_str();
    if !text.contains("${")
        && !text.eq_ignore_ascii_case("true")
        && !text.eq_ignore_ascii_case("false")
    {
        cx.error_at(
            value.span,
            format!(
                "`{key}` must be \"true\" or \"false\" (or a `${{key}}` placeholder), got {text:?}"
            ),
        );
        return None;
    }
    Some(value)
}

/// A string that, unless empty or a placeholder, is one of `values`.
pub fn string_choice(
    cx: &Ctxt,
    key: Symbol,
    expr: &Expr,
    values: &[&'static str],
) -> Option<Spanned<String>> {
    let value = string(cx, key, expr)?;
    let text = value.value.as_str();
    if text.is_empty() || text.contains("${") || values.contains(&text) {
        return Some(value);
    }
    cx.error_at(
        value.span,
        format!(
            "unknown `{key}` value {text:?}: expected one of {} (or a `${{key}}` placeholder)",
            list(values.iter().copied())
        ),
    );
    None
}

/// Checks that every `${` has its `}` and a non-empty key, as the runtime resolver expects.
fn check_placeholders(cx: &Ctxt, key: Symbol, lit: &LitStr) {
    let text = lit.value();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            cx.error_spanned_by(
                lit,
                format!("unterminated placeholder in `{key}`: `${{` has no closing `}}`; write `${{some.key}}` or `${{some.key:default}}`"),
            );
            return;
        };
        let inner = &after[..end];
        let name = inner.split_once(':').map_or(inner, |(name, _)| name);
        if name.trim().is_empty() {
            cx.error_spanned_by(
                lit,
                format!("empty placeholder `${{{inner}}}` in `{key}`: write `${{some.key}}` or `${{some.key:default}}`"),
            );
        }
        rest = &after[end + 1..];
    }
}

fn expect_str<'a>(cx: &Ctxt, key: Symbol, expr: &'a Expr) -> Option<&'a LitStr> {
    match strip_group(expr) {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        Expr::Lit(_) | Expr::Unary(_) => {
            cx.error_spanned_by(
                expr,
                format!("`{key}` takes a string literal: `{key} = \"...\"`"),
            );
            None
        }
        _ => {
            cx.error_spanned_by(
                expr,
                format!("`{key}` takes a string literal; constants and expressions are not supported (a `${{key}}` placeholder reads the configuration)"),
            );
            None
        }
    }
}

fn spanned_str(lit: &LitStr) -> Spanned<String> {
    Spanned {
        value: lit.value(),
        span: lit.span(),
    }
}

/// Looks through the invisible groups a `macro_rules!` caller may leave around a value.
fn strip_group(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(group) => strip_group(&group.expr),
        other => other,
    }
}

/// `"A", "B" or "C"`.
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("\"{n}\"")).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.concat(),
    }
}
