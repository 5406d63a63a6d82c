//! Fuzzes the SQL92 selector: any text compiles or fails with an error, never panics, and a
//! compiled selector evaluates against a few property sets without panicking. The input's
//! first line is the expression; later lines `k=v` are extra properties.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use rmq_core::filter::{EncodedProperties, Selector};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (expr, rest) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(sel) = Selector::compile(expr) else {
        return;
    };
    let mut props: HashMap<String, String> = rest
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let _ = sel.evaluate(&props);
    for (k, v) in [("a", "5"), ("b", "x"), ("c", "1.5"), ("TAGS", "TagA"), ("d", "true")] {
        props.entry(k.to_owned()).or_insert_with(|| v.to_owned());
    }
    let _ = sel.evaluate(&props);
    let encoded: String = props.iter().map(|(k, v)| format!("{k}\u{1}{v}\u{2}")).collect();
    let _ = sel.matches(&EncodedProperties(&encoded));
});
