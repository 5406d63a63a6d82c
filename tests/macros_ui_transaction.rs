//! Compile-time behaviour of `#[rocketmq_transaction_listener]`: every misuse is refused with
//! an error on the right span (`tests/ui/tx_fail/*.rs` against their `.stderr`), and the
//! supported forms compile and register (`tests/ui/tx_pass/*.rs`).
//!
//! Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test --test macros_ui_transaction`, then review every diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/tx_fail/*.rs");
    t.pass("tests/ui/tx_pass/*.rs");
}
