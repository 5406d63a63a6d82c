use super::cases::{decoded, Outcome, CASES};
use super::*;

fn props(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn conformance_table() {
    let mut failures = Vec::new();
    for (expr, pairs, expected) in CASES {
        let got = match Selector::compile(expr) {
            Err(_) => Outcome::Invalid,
            Ok(s) if s.matches(&decoded(pairs)) => Outcome::Match,
            Ok(_) => Outcome::NoMatch,
        };
        if got != *expected {
            failures.push(format!(
                "{expr:?} {pairs:?}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_name_the_token_and_column() {
    let e = Selector::compile("a = 1 AND AND b = 2").unwrap_err();
    assert_eq!(
        e,
        FilterError::Syntax {
            column: 11,
            token: "AND".into(),
            expected: "a literal, a property name, NOT, +, - or (".into()
        }
    );
    assert!(e.to_string().contains("\"AND\" at column 11"), "{e}");
    let e = Selector::compile("a > 'x'").unwrap_err();
    assert!(e.to_string().contains("'x' cannot be compared"), "{e}");
    let e = Selector::compile("a = 1 #").unwrap_err();
    assert!(matches!(e, FilterError::Lexical { column: 7, .. }), "{e:?}");
    let e = Selector::compile("(a = 1").unwrap_err();
    assert!(e.to_string().contains("<EOF>"), "{e}");
}

#[test]
fn unknown_and_errors_are_told_apart() {
    let s = Selector::compile("a > 5").unwrap();
    assert_eq!(s.evaluate(&props(&[])), Ok(None));
    assert!(s.evaluate(&props(&[("a", "x")])).is_err());
    assert_eq!(s.evaluate(&props(&[("a", "6")])), Ok(Some(true)));
}

#[test]
fn encoded_properties_take_the_last_value() {
    let s = Selector::compile("a = 'y'").unwrap();
    assert!(s.matches(&EncodedProperties("a\u{1}x\u{2}a\u{1}y\u{2}")));
    assert!(!s.matches(&EncodedProperties("a\u{1}y\u{2}a\u{1}x\u{2}")));
}

/// The fuzz target's body run over random inputs in a normal test: compiling and evaluating
/// arbitrary text never panics (see `rmq-core/fuzz` for the coverage-guided version).
#[test]
fn random_text_never_panics() {
    let alphabet: &[&str] = &[
        "a",
        "b",
        "TAGS",
        " ",
        "=",
        "<>",
        ">",
        ">=",
        "<",
        "<=",
        "(",
        ")",
        ",",
        "'",
        "'x'",
        "''",
        "1",
        "0",
        "1.5",
        ".5",
        "5.",
        "1e3",
        "9999999999",
        "99999999999999999999",
        "L",
        "-",
        "+",
        "AND",
        "OR",
        "NOT",
        "BETWEEN",
        "IN",
        "IS",
        "NULL",
        "TRUE",
        "FALSE",
        "CONTAINS",
        "STARTSWITH",
        "ENDSWITH",
        "--",
        "\n",
        "/*",
        "*/",
        "#",
        "é",
        ".",
        "$",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let p = props(&[("a", "5"), ("b", "x"), ("TAGS", "1.5")]);
    let mut compiled = 0;
    for _ in 0..200_000 {
        let n = (next() % 12) as usize;
        let text: String = (0..n)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join(" ");
        if let Ok(s) = Selector::compile(&text) {
            compiled += 1;
            let _ = s.matches(&p);
        }
    }
    assert!(
        compiled > 1000,
        "only {compiled} random expressions compiled"
    );
}

#[test]
fn the_longest_string_literal_wins() {
    // Java's lexer: `'x'` then a stray quote after the expression's end, which is never read.
    let s = Selector::compile("a = 'x'' ").unwrap_err();
    assert!(matches!(s, FilterError::Lexical { .. }), "{s:?}");
    let s = Selector::compile("a = 'x' b 'y''").unwrap();
    assert!(s.matches(&props(&[("a", "x")])));
    let s = Selector::compile("a = 'it''s'").unwrap();
    assert!(s.matches(&props(&[("a", "it's")])));
}

#[test]
fn an_empty_value_is_no_property() {
    let s = Selector::compile("a IS NULL").unwrap();
    assert!(s.matches(&EncodedProperties("a\u{1}\u{2}b\u{1}1\u{2}")));
    assert!(!s.matches(&EncodedProperties("a\u{1}0\u{2}")));
}

#[test]
fn one_pass_lookup_agrees_with_the_map() {
    let encoded = "a\u{1}9\u{2}b\u{1}\u{2}TAGS\u{1}TagA\u{2}a\u{1}3\u{2}";
    for expr in [
        "a > 5",
        "a = 3 AND TAGS = 'TagA'",
        "b IS NULL",
        "c IS NULL AND NOT (a < 1)",
        "a IN ('3') OR x = 1",
    ] {
        let s = Selector::compile(expr).unwrap();
        assert_eq!(
            s.matches_encoded(encoded),
            s.matches(&EncodedProperties(encoded)),
            "{expr}"
        );
    }
    let many: Vec<String> = (0..12).map(|i| format!("p{i} = '{i}'")).collect();
    let s = Selector::compile(&many.join(" AND ")).unwrap();
    let props: String = (0..12).map(|i| format!("p{i}\u{1}{i}\u{2}")).collect();
    assert!(s.matches_encoded(&props));
}

#[test]
fn size_limits_refuse_instead_of_overflowing_the_stack() {
    let deep = format!("{}a = 1{}", "(".repeat(10_000), ")".repeat(10_000));
    let e = Selector::compile(&deep).unwrap_err();
    assert!(e.to_string().contains("nested deeper than"), "{e}");
    let nots = format!("{}a = 1", "NOT ".repeat(10_000));
    assert!(Selector::compile(&nots).is_err());
    let long = vec!["a = 1"; 20_000].join(" AND ");
    let e = Selector::compile(&long).unwrap_err();
    assert!(e.to_string().contains("longer than 1024 tokens"), "{e}");
    // Within the limits: a long chain compiles, evaluates and drops.
    let chain = vec!["a = 1"; 250].join(" AND ");
    let s = Selector::compile(&chain).unwrap();
    assert!(s.matches(&props(&[("a", "1")])));
    // The deepest tree the token limit allows: a left-deep `=` chain.
    let eq_chain = vec!["a"; 512].join(" = ");
    let s = Selector::compile(&eq_chain).unwrap();
    let _ = s.matches(&props(&[("a", "1")]));
    let nested = format!("{}a = 1{}", "(".repeat(100), ")".repeat(100));
    assert!(Selector::compile(&nested).is_ok());
}
