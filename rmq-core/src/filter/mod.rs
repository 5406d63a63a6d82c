//! SQL92 message selectors as RocketMQ defines them (`MessageSelector.bySql`): the grammar of
//! `SelectorParser.jj` and the evaluation rules of its expression classes, reproduced so that
//! a message matches here exactly when it matches on an Apache broker.
//!
//! ```
//! use std::collections::HashMap;
//! use rmq_core::filter::Selector;
//!
//! let s = Selector::compile("a > 5 AND region IN ('eu', 'us')").unwrap();
//! let mut props = HashMap::new();
//! props.insert("a".to_owned(), "7".to_owned());
//! props.insert("region".to_owned(), "eu".to_owned());
//! assert!(s.matches(&props));
//! ```
//!
//! The broker compiles a subscription once and evaluates it per message; the client can
//! compile to validate an expression before subscribing.

mod ast;
mod eval;
mod java_num;
mod lexer;
mod parser;

use std::collections::HashMap;

pub use ast::{CmpOp, Expr, Literal, StrOp};
pub use eval::{EvalError, Value};

/// Why an expression does not compile. Every variant names where (1-based character column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A character no token starts with, or an unterminated string.
    #[error("Invalid MessageSelector: {message} at column {column}")]
    Lexical {
        /// Where.
        column: usize,
        /// What.
        message: String,
    },
    /// A token where the grammar expects something else.
    #[error(
        "Invalid MessageSelector: encountered \"{token}\" at column {column}, expected {expected}"
    )]
    Syntax {
        /// Where the token starts.
        column: usize,
        /// The token as written (`<EOF>` at the end).
        token: String,
        /// What would have been accepted.
        expected: String,
    },
    /// Well-formed but refused by Java's checks (e.g. `a > 'x'`, `a = NULL`, `5` alone).
    #[error("Invalid MessageSelector: {message}{}", .column.map(|c| format!(" (at column {c})")).unwrap_or_default())]
    Semantic {
        /// Where the operator is, when known.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },
}

/// Where a selector reads message properties from.
pub trait Properties {
    /// The value of property `name`, if the message has it.
    fn property(&self, name: &str) -> Option<&str>;
}

impl Properties for HashMap<String, String> {
    fn property(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Properties for [(&str, &str)] {
    fn property(&self, name: &str) -> Option<&str> {
        self.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

/// A message's encoded properties string (`k\u{1}v\u{2}…`), read in place as Java's
/// decoder reads it: a repeated key takes its last value; a pair with an empty name or value
/// is no property.
#[derive(Debug, Clone, Copy)]
pub struct EncodedProperties<'a>(pub &'a str);

impl Properties for EncodedProperties<'_> {
    fn property(&self, name: &str) -> Option<&str> {
        crate::protocol::message::property_pairs(self.0)
            .filter(|(k, v)| *k == name && !v.is_empty())
            .last()
            .map(|(_, v)| v)
    }
}

/// A compiled SQL92 selector.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    source: String,
    expr: Expr,
    /// The distinct property names the expression reads, for one-pass lookups.
    names: Vec<String>,
}

/// Most property names [`Selector::matches_encoded`] captures on the stack.
const STACK_NAMES: usize = 8;

/// The values of a selector's property names, captured in one pass over a message's
/// properties.
struct Captured<'n, 'v> {
    names: &'n [String],
    values: &'v [Option<&'v str>],
}

impl Properties for Captured<'_, '_> {
    fn property(&self, name: &str) -> Option<&str> {
        let i = self.names.iter().position(|n| n == name)?;
        self.values.get(i).copied().flatten()
    }
}

fn collect_names(e: &Expr, out: &mut Vec<String>) {
    let mut add = |n: &String| {
        if !out.contains(n) {
            out.push(n.clone());
        }
    };
    match e {
        Expr::Literal(_) => {}
        Expr::Property(n) => add(n),
        Expr::In { property, .. } => add(property),
        Expr::Negate(x) | Expr::Not(x) | Expr::BoolCast(x) => collect_names(x, out),
        Expr::Str { operand, .. } => collect_names(operand, out),
        Expr::And(l, r) | Expr::Or(l, r) | Expr::Equal(l, r) | Expr::Compare(_, l, r) => {
            collect_names(l, out);
            collect_names(r, out);
        }
    }
}

impl Selector {
    /// Compiles `source`; the error names the offending token or operand and its column.
    pub fn compile(source: &str) -> Result<Self, FilterError> {
        let expr = parser::parse(source)?;
        let mut names = Vec::new();
        collect_names(&expr, &mut names);
        Ok(Selector {
            source: source.to_owned(),
            expr,
            names,
        })
    }

    /// [`matches`](Self::matches) on a message's encoded properties string, reading it once
    /// for every property the expression uses (what the broker does per message).
    pub fn matches_encoded(&self, properties: &str) -> bool {
        let mut stack = [None; STACK_NAMES];
        let mut heap = Vec::new();
        let values: &mut [Option<&str>] = if self.names.len() <= STACK_NAMES {
            &mut stack[..self.names.len()]
        } else {
            heap.resize(self.names.len(), None);
            &mut heap
        };
        // One pass over the bytes: `name \u{1} value \u{2}`; a pair without a separator or
        // with an empty name or value is skipped, as Java's decoder does. (A plain loop: the
        // pairs are short, too short for a vectorised search to pay off.)
        let bytes = properties.as_bytes();
        let len = bytes.len();
        let mut i = 0;
        while i < len {
            let start = i;
            while i < len && bytes[i] != 1 && bytes[i] != 2 {
                i += 1;
            }
            if i == len || bytes[i] == 2 {
                // No name-value separator in this pair.
                i += 1;
                continue;
            }
            let sep = i;
            while i < len && bytes[i] != 2 {
                i += 1;
            }
            let key = &bytes[start..sep];
            if sep > start && sep + 1 < i {
                if let Some(n) = self.names.iter().position(|n| n.as_bytes() == key) {
                    // Both separators are ASCII: these are char boundaries.
                    values[n] = properties.get(sep + 1..i);
                }
            }
            i += 1;
        }
        self.matches(&Captured {
            names: &self.names,
            values,
        })
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The tree.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Java's raw result: `Ok(Some(b))`, `Ok(None)` when unknown (a missing property), or the
    /// error Java would throw (a property that does not read as the compared type).
    pub fn evaluate<P: Properties + ?Sized>(&self, props: &P) -> Result<Option<bool>, EvalError> {
        match eval::evaluate(&self.expr, props)? {
            Value::Bool(b) => Ok(Some(b)),
            _ => Ok(None),
        }
    }

    /// Whether a message with `props` is delivered: only a definite true matches.
    pub fn matches<P: Properties + ?Sized>(&self, props: &P) -> bool {
        matches!(self.evaluate(props), Ok(Some(true)))
    }
}

#[cfg(test)]
mod cases;
#[cfg(test)]
mod tests;
