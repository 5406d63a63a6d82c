//! The SQL92 case table (rmq-core/src/filter/cases.rs) and the check of a broker's answers
//! against it, shared by the embedded broker's and the Apache broker's tests.
#![allow(dead_code)]

use std::collections::BTreeSet;

use rmq_core::filter::Selector;

#[path = "../../../rmq-core/src/filter/cases.rs"]
pub mod cases;

pub use cases::{Outcome, CASES};

/// The property carrying a message's row number in the table.
pub const ROW: &str = "rmqRow";

/// Checks the rows `broker` delivered for the valid `expr` (`got_rows`) against the table's
/// rows for `expr`, and every row's message against rmq's evaluator; pushes one line per
/// disagreement onto `failures`.
pub fn check_rows(
    broker: &str,
    expr: &str,
    got_rows: &BTreeSet<usize>,
    failures: &mut Vec<String>,
) {
    for (i, (e, props, outcome)) in CASES.iter().enumerate() {
        let want = *outcome == Outcome::Match;
        if *e == expr && got_rows.contains(&i) != want {
            failures.push(format!(
                "{expr:?} row {i} {props:?}: table says {outcome:?}, {broker} {}",
                if want { "no match" } else { "match" }
            ));
        }
    }
    let sel = Selector::compile(expr).expect("compiles");
    for (row, (_, props, _)) in CASES.iter().enumerate() {
        let mut p = cases::decoded(props);
        p.insert(ROW.into(), row.to_string());
        if sel.matches(&p) != got_rows.contains(&row) {
            failures.push(format!(
                "{expr:?} on row {row}'s message {props:?}: {broker} {}, rmq evaluator {}",
                got_rows.contains(&row),
                sel.matches(&p)
            ));
        }
    }
}
