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
}

impl Selector {
    /// Compiles `source`; the error names the offending token or operand and its column.
    pub fn compile(source: &str) -> Result<Self, FilterError> {
        Ok(Selector {
            source: source.to_owned(),
            expr: parser::parse(source)?,
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
