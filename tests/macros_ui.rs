//! Compile-time behaviour of `#[rocketmq_listener]` and `#[rocketmq_transaction_listener]`:
//! every misuse is refused with an error on the right span (`tests/ui/fail/*.rs` and
//! `tests/ui/tx_fail/*.rs` against their `.stderr`), and every supported form compiles
//! (`tests/ui/pass/*.rs`, `tests/ui/tx_pass/*.rs`). One trybuild project builds them all.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test macros_ui`, then
//! review every `.stderr` diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/tx_fail/*.rs");
    t.pass("tests/ui/tx_pass/*.rs");
}
