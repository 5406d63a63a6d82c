//! The SQL92 conformance table: (expression, message properties, expected outcome).
//!
//! The outcomes are Apache RocketMQ 5.3.3's (checked against its broker by
//! `tests/apache_broker/sql92.rs`); rmq's evaluator (`rmq-core` unit tests) and rmq-broker
//! (`rmq-broker/tests/embedded_sql92.rs`) must give the same. Shared by `#[path]` include.

/// What a selector does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Match,
    /// Not delivered (false, unknown, or an evaluation error).
    NoMatch,
    /// The expression does not compile (the property set is not used).
    Invalid,
}

use Outcome::{Invalid as E, Match as M, NoMatch as N};

/// One row.
pub type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    Outcome,
);

/// A row's properties as the broker reads them from the stored message: like Java's
/// `MessageDecoder.string2messageProperties`, a pair with an empty name or value is dropped.
pub fn decoded(props: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
    props
        .iter()
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The table.
pub const CASES: &[Case] = &[
    // comparisons: a property (a string) against numbers
    ("a = 5", &[("a", "5")], M),
    ("a = 5", &[("a", "6")], N),
    ("a = 5", &[], N),
    ("a = 5", &[("a", "x")], N),
    ("a = 5", &[("a", "5.0")], N),
    ("a = 5.0", &[("a", "5")], M),
    ("a > 5", &[("a", "10")], M),
    ("a > 5", &[("a", "3")], N),
    ("a > 5", &[("a", "+7")], M),
    ("a > 5", &[("a", " 7")], N),
    ("a > 5", &[("a", "abc")], N),
    ("a > 5", &[("a", "3000000000")], N),
    ("a > 3000000000", &[("a", "3000000001")], M),
    ("a >= 5", &[("a", "5")], M),
    ("a < 5", &[("a", "-1")], M),
    ("a <= 5", &[("a", "6")], N),
    ("a > 1.5", &[("a", "1.6")], M),
    ("a > 1.5", &[("a", " 1.6 ")], M),
    ("a > 1.5", &[("a", "2d")], M),
    ("a > 1.5", &[("a", "NaN")], M),
    ("a < 1.5", &[("a", "-Infinity")], M),
    ("a > -5", &[("a", "-4")], M),
    ("a > - -5", &[("a", "6")], M),
    ("a = 10L", &[("a", "10")], M),
    ("a <> 5", &[("a", "6")], M),
    ("a <> 5", &[], N),
    ("a <> 5", &[("a", "x")], N),
    // strings
    ("a = 'x'", &[("a", "x")], M),
    ("a = 'x'", &[("a", "X")], N),
    ("a = 'it''s'", &[("a", "it's")], M),
    ("a <> 'x'", &[("a", "y")], M),
    ("a = b", &[("a", "1"), ("b", "1")], M),
    ("a = b", &[], M),
    ("a > b", &[("a", "2"), ("b", "10")], N),
    ("a > b", &[("a", "10"), ("b", "2")], M),
    ("a > b", &[("a", "x"), ("b", "2")], N),
    ("a > b OR c = 1", &[("a", "x"), ("b", "2"), ("c", "1")], N),
    ("c = 1 OR a > b", &[("a", "x"), ("b", "2"), ("c", "1")], M),
    ("a = TRUE", &[("a", "true")], M),
    ("a = TRUE", &[("a", "TRUE")], M),
    ("a = FALSE", &[("a", "yes")], M),
    ("TRUE = a", &[("a", "true")], N),
    ("5 = a", &[("a", "5")], M),
    // property names: case kept, TAGS is a property
    ("TAGS = 'TagA'", &[("TAGS", "TagA")], M),
    ("tags = 'TagA'", &[("TAGS", "TagA")], N),
    ("A = '1'", &[("a", "1")], N),
    ("$x_1 = '1'", &[("$x_1", "1")], M),
    // keywords ignore case
    ("a = 1 and b = 2", &[("a", "1"), ("b", "2")], M),
    ("a = 1 Or b = 2", &[("a", "0"), ("b", "2")], M),
    ("a is not null", &[("a", "x")], M),
    // an empty value is no property: the broker's decoding drops it
    ("a is not null", &[("a", "")], N),
    ("a = true", &[("a", "true")], M),
    // BETWEEN, IN
    ("a BETWEEN 1 AND 10", &[("a", "10")], M),
    ("a BETWEEN 1 AND 10", &[("a", "11")], N),
    ("a NOT BETWEEN 1 AND 10", &[("a", "11")], M),
    ("a NOT BETWEEN 1 AND 10", &[("a", "5")], N),
    ("a NOT BETWEEN 1 AND 10", &[], N),
    ("a BETWEEN 1.5 AND 2", &[("a", "2")], M),
    ("a IN ('x', 'y')", &[("a", "y")], M),
    ("a IN ('x', 'y')", &[("a", "z")], N),
    ("a IN ('x', 'y')", &[], N),
    ("a NOT IN ('x', 'y')", &[("a", "z")], M),
    ("a NOT IN ('x', 'y')", &[], N),
    ("a IN ('1','2','3','4','5','6')", &[("a", "6")], M),
    // NULL handling
    ("a IS NULL", &[], M),
    ("a IS NULL", &[("a", "")], M),
    ("a IS NOT NULL", &[("a", "1")], M),
    ("NOT (a = 1)", &[], N),
    ("NOT (a = 1)", &[("a", "2")], M),
    ("NOT a = 1", &[("a", "x")], N),
    ("a = 1 OR b IS NULL", &[], M),
    ("a = 1 AND b IS NULL", &[], N),
    ("a", &[("a", "true")], N),
    ("NOT a", &[("a", "true")], M),
    ("NOT a", &[], N),
    ("TRUE", &[], M),
    ("FALSE OR TRUE", &[], M),
    ("NULL", &[], N),
    ("NOT NULL", &[], N),
    // string functions (5.x)
    ("a CONTAINS 'ell'", &[("a", "hello")], M),
    ("a CONTAINS 'xyz'", &[("a", "hello")], N),
    ("a NOT CONTAINS 'xyz'", &[("a", "hello")], M),
    ("a NOT CONTAINS 'xyz'", &[], N),
    ("a STARTSWITH 'he'", &[("a", "hello")], M),
    ("a NOT STARTSWITH 'he'", &[("a", "hello")], N),
    ("a ENDSWITH 'lo'", &[("a", "hello")], M),
    ("a NOT ENDSWITH 'lo'", &[("a", "help")], M),
    ("a CONTAINS ''", &[("a", "hello")], N),
    ("a NOT CONTAINS ''", &[("a", "hello")], N),
    // three terms, comments, trailing text
    (
        "a > 5 AND b = 'x' AND c IN ('1', '2')",
        &[("a", "6"), ("b", "x"), ("c", "2")],
        M,
    ),
    (
        "(a > 5 OR b = 'x') AND NOT c = '1'",
        &[("a", "6"), ("c", "2")],
        N,
    ),
    (
        "a = 1 /* comment */ AND b = 2",
        &[("a", "1"), ("b", "2")],
        M,
    ),
    ("a = 1 -- comment\n AND b = 2", &[("a", "1"), ("b", "2")], M),
    ("a = 1 b = 2", &[("a", "1")], M),
    // refused at compile time
    ("", &[], E),
    ("a >", &[], E),
    ("a > 'x'", &[], E),
    ("a > TRUE", &[], E),
    ("a > NULL", &[], E),
    ("a = NULL", &[], E),
    ("a BETWEEN 10 AND 1", &[], E),
    ("a BETWEEN 'a' AND 'b'", &[], E),
    ("TRUE = 1", &[], E),
    ("5", &[], E),
    ("'x'", &[], E),
    ("a = 1 AND 5", &[], E),
    ("(a = 1", &[], E),
    ("a IN ()", &[], E),
    ("a IN (1, 2)", &[], E),
    ("5 IN ('x')", &[], E),
    ("a > 0.0", &[], E),
    ("a = 99999999999999999999", &[], E),
    ("a # 1", &[], E),
    ("a = 'x", &[], E),
    ("a = 1 NOT b", &[], E),
    ("a > 1 > 0", &[], E),
    ("a IS 1", &[], E),
    ("a.b = 1", &[], E),
];
