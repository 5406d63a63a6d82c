//! Differential test of rmq's SQL92 selector against Apache RocketMQ's own (the
//! `rocketmq-filter` 5.3.3 jar run by `rmq-core/fuzz/oracle/FilterOracle.java`): the
//! conformance table plus random grammar-shaped expressions over random property sets must
//! give the same match / no match / does-not-compile answers.
//!
//! Needs `javac`, `java` and the jars in `~/.m2` (`rocketmq-filter` 5.3.3, guava); ignored by
//! default: `cargo test -p rmq-core --test sql92_oracle -- --ignored` (`SQL92_ORACLE_CASES`
//! sets how many random cases, 20000 by default).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use rmq_core::filter::Selector;

#[path = "../src/filter/cases.rs"]
#[allow(dead_code)]
mod cases;

fn m2() -> PathBuf {
    PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".m2/repository")
}

fn classpath() -> String {
    let m = m2();
    [
        m.join("org/apache/rocketmq/rocketmq-filter/5.3.3/rocketmq-filter-5.3.3.jar"),
        m.join("com/google/guava/guava/32.0.1-jre/guava-32.0.1-jre.jar"),
    ]
    .iter()
    .map(|p| {
        assert!(
            p.exists(),
            "{} is missing (fetch it with Maven)",
            p.display()
        );
        p.display().to_string()
    })
    .collect::<Vec<_>>()
    .join(":")
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

const PROPS: &[&str] = &["a", "b", "c", "TAGS"];
const VALUES: &[&str] = &[
    "5",
    "5.0",
    " 7",
    "+7",
    "-3",
    "abc",
    "",
    "true",
    "TRUE",
    "false",
    "NaN",
    "1e3",
    "3000000000",
    "-0",
    "0.0",
    "Infinity",
    "x'y",
    "hello",
    "2147483648",
    "1.5f",
    "0x10",
    "1,5",
    "10",
];
const LITERALS: &[&str] = &[
    "5",
    "0",
    "10L",
    "3000000000",
    "1.5",
    ".5",
    "5.",
    "1e3",
    "'x'",
    "'hello'",
    "'5'",
    "''",
    "'it''s'",
    "TRUE",
    "FALSE",
    "NULL",
    "99999999999999999999",
    "0.0",
];

fn operand(r: &mut Rng, depth: u32) -> String {
    match r.next() % 10 {
        0..=4 => r.pick(PROPS).to_string(),
        5..=7 => r.pick(LITERALS).to_string(),
        8 => format!("-{}", operand(r, depth)),
        _ if depth > 0 => format!("({})", expr(r, depth - 1)),
        _ => r.pick(PROPS).to_string(),
    }
}

fn predicate(r: &mut Rng, depth: u32) -> String {
    let x = operand(r, depth);
    let not = if r.chance(20) { "NOT " } else { "" };
    match r.next() % 12 {
        0 => format!("{x} = {}", operand(r, depth)),
        1 => format!("{x} <> {}", operand(r, depth)),
        2 => format!(
            "{x} {} {}",
            r.pick(&[">", ">=", "<", "<="]),
            operand(r, depth)
        ),
        3 => format!(
            "{x} {not}BETWEEN {} AND {}",
            operand(r, depth),
            operand(r, depth)
        ),
        4 => {
            let n = 1 + r.next() % 6;
            let list: Vec<String> = (0..n)
                .map(|_| format!("'{}'", r.pick(VALUES).replace('\'', "''")))
                .collect();
            format!("{x} {not}IN ({})", list.join(", "))
        }
        5 => format!("{x} IS {not}NULL"),
        6 => format!(
            "{x} {not}{} {}",
            r.pick(&["CONTAINS", "STARTSWITH", "ENDSWITH"]),
            r.pick(&["'l'", "'he'", "''", "'5'", "'x'"])
        ),
        7 => format!("NOT {}", predicate(r, depth)),
        8 => x,
        _ => format!("{x} = {}", operand(r, depth)),
    }
}

fn expr(r: &mut Rng, depth: u32) -> String {
    let mut s = predicate(r, depth);
    while r.chance(40) {
        s = format!(
            "{s} {} {}",
            r.pick(&["AND", "OR", "and", "Or"]),
            predicate(r, depth)
        );
    }
    s
}

/// Small damage to a well-formed expression: drop, duplicate or swap a few characters.
fn mutate(r: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..1 + r.next() % 3 {
        if chars.is_empty() {
            break;
        }
        let i = (r.next() % chars.len() as u64) as usize;
        match r.next() % 3 {
            0 => {
                chars.remove(i);
            }
            1 => {
                let c = chars[i];
                chars.insert(i, c);
            }
            _ => chars[i] = *r.pick(&['(', ')', '\'', ' ', '-', '.', 'e', '=', '#', 'N']),
        }
    }
    chars.into_iter().collect()
}

fn rmq_outcome(expr: &str, props: &HashMap<String, String>) -> char {
    match Selector::compile(expr) {
        Err(_) => 'E',
        Ok(s) if s.matches(props) => 'M',
        Ok(_) => 'N',
    }
}

#[test]
#[ignore = "needs java and the rocketmq-filter jar; run with --ignored"]
fn rmq_agrees_with_apache_filter() {
    let dir = std::env::temp_dir().join(format!("rmq-sql92-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cp = classpath();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/oracle/FilterOracle.java");
    let ok = Command::new("javac")
        .args(["-d", dir.to_str().unwrap(), "-cp", &cp, src])
        .status()
        .expect("javac");
    assert!(ok.success(), "javac failed");

    let mut inputs: Vec<(String, HashMap<String, String>)> = cases::CASES
        .iter()
        .map(|(e, p, _)| ((*e).to_owned(), cases::decoded(p)))
        .collect();
    let n: usize = std::env::var("SQL92_ORACLE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let seed = std::env::var("SQL92_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_1234_u64);
    let mut r = Rng(seed | 1);
    for _ in 0..n {
        let mut e = expr(&mut r, 2);
        if r.chance(25) {
            e = mutate(&mut r, &e);
        }
        let mut props = HashMap::new();
        for k in PROPS {
            if r.chance(70) {
                props.insert((*k).to_owned(), r.pick(VALUES).to_string());
            }
        }
        inputs.push((e, props));
    }
    let text: String = inputs
        .iter()
        .map(|(e, p)| {
            let props: Vec<String> = p.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(
                "{}\t{}\n",
                e.replace('\\', "\\\\")
                    .replace('\n', "\\n")
                    .replace('\t', "\\t"),
                props.join("\u{1f}")
            )
        })
        .collect();
    let mut child = Command::new("java")
        .args(["-cp", &format!("{}:{cp}", dir.display()), "FilterOracle"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("java");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let java: Vec<char> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.chars().next().unwrap_or('?'))
        .collect();
    assert_eq!(
        java.len(),
        inputs.len(),
        "oracle answered {} of {} lines",
        java.len(),
        inputs.len()
    );
    let mut diffs = Vec::new();
    for ((e, p), j) in inputs.iter().zip(&java) {
        let ours = rmq_outcome(e, p);
        if ours != *j {
            diffs.push(format!("{e:?} {p:?}: apache {j}, rmq {ours}"));
        }
    }
    let table_diffs: Vec<String> = cases::CASES
        .iter()
        .zip(&java)
        .filter(|((_, _, o), j)| {
            let want = match o {
                cases::Outcome::Match => 'M',
                cases::Outcome::NoMatch => 'N',
                cases::Outcome::Invalid => 'E',
            };
            want != **j
        })
        .map(|((e, p, o), j)| format!("table row {e:?} {p:?}: table says {o:?}, apache {j}"))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    let counts = ['M', 'N', 'E'].map(|c| java.iter().filter(|&&j| j == c).count());
    eprintln!("{} cases: apache M/N/E = {counts:?}", java.len());
    assert!(table_diffs.is_empty(), "{}", table_diffs.join("\n"));
    assert!(
        diffs.is_empty(),
        "{} disagreements:\n{}",
        diffs.len(),
        diffs
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
