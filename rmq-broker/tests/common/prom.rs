//! A small parser and checker of the Prometheus text exposition format (0.0.4), for the
//! metrics tests: rmq's `/metrics` and the Java broker's (OpenTelemetry exporter) output.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A parsed exposition: `# TYPE` declarations (in order) and the samples.
#[derive(Debug, Default)]
pub struct Exposition {
    /// `(name, type)` of each `# TYPE` line, in order.
    pub types: Vec<(String, String)>,
    /// `name` of each `# HELP` line, in order.
    pub helps: Vec<String>,
    pub samples: Vec<Sample>,
    /// For each sample, the name of the last `# TYPE` line before it.
    pub declared_before: Vec<Option<String>>,
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        && !n.starts_with(|c: char| c.is_ascii_digit())
}

fn parse_labels(s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    // s starts after '{'
    let mut labels = BTreeMap::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([' ', ',']);
        if let Some(r) = rest.strip_prefix('}') {
            return Ok((labels, r));
        }
        let eq = rest.find('=').ok_or("label without '='")?;
        let key = rest[..eq].trim().to_string();
        if !valid_name(&key) {
            return Err(format!("invalid label name {key:?}"));
        }
        rest = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or("label value not quoted")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err("unterminated label value".into()),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    other => return Err(format!("bad escape {other:?}")),
                },
                Some((_, c)) => value.push(c),
            }
        };
        if labels.insert(key.clone(), value).is_some() {
            return Err(format!("label {key} twice"));
        }
        rest = &rest[end + 1..];
    }
}

fn parse_value(v: &str) -> Result<f64, String> {
    match v {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => v.parse().map_err(|_| format!("invalid value {v:?}")),
    }
}

/// Parses the text; `Err` names the first malformed line.
pub fn parse(text: &str) -> Result<Exposition, String> {
    let mut e = Exposition::default();
    let mut last_type: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let err = |m: String| format!("line {}: {m}: {line:?}", i + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            let mut parts = c.trim_start().splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("TYPE"), Some(name), Some(kind)) => {
                    if !valid_name(name) {
                        return Err(err("invalid metric name".into()));
                    }
                    e.types.push((name.to_string(), kind.trim().to_string()));
                    last_type = Some(name.to_string());
                }
                (Some("HELP"), Some(name), _) => e.helps.push(name.to_string()),
                _ => {}
            }
            continue;
        }
        let name_end = line
            .find(['{', ' '])
            .ok_or_else(|| err("no value".into()))?;
        let name = &line[..name_end];
        if !valid_name(name) {
            return Err(err("invalid metric name".into()));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end + 1..]).map_err(err)?
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let mut fields = rest.split_whitespace();
        let value =
            parse_value(fields.next().ok_or_else(|| err("no value".into()))?).map_err(err)?;
        if let Some(ts) = fields.next() {
            ts.parse::<i64>()
                .map_err(|_| err("invalid timestamp".into()))?;
        }
        if fields.next().is_some() {
            return Err(err("trailing fields".into()));
        }
        e.samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
        e.declared_before.push(last_type.clone());
    }
    Ok(e)
}

/// The family a sample belongs to: `x_bucket`/`x_sum`/`x_count` of a histogram `x`, else its
/// own name.
pub fn family_of<'a>(e: &Exposition, name: &'a str) -> &'a str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix) {
            let bucket = format!("{base}_bucket");
            if e.samples
                .iter()
                .any(|s| s.name == bucket && s.labels.contains_key("le"))
            {
                return base;
            }
        }
    }
    name
}

/// Checks what a strict exposition must hold: every family declared once with `# HELP` and
/// `# TYPE` before its samples, samples of a family together and under its own TYPE line,
/// histograms consistent (`le` ascending, counts not decreasing, `+Inf` = `_count`, `_sum`
/// present), counters named `*_total` or histogram parts. Returns the problems.
pub fn check_strict(e: &Exposition) -> Vec<String> {
    let mut problems = Vec::new();
    let mut declared = BTreeSet::new();
    for (name, kind) in &e.types {
        if !declared.insert(name.clone()) {
            problems.push(format!("{name} declared twice"));
        }
        if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind.as_str()) {
            problems.push(format!("{name}: unknown type {kind}"));
        }
        if !e.helps.contains(name) {
            problems.push(format!("{name}: no HELP"));
        }
    }
    for (s, before) in e.samples.iter().zip(&e.declared_before) {
        let fam = family_of(e, &s.name);
        if before.as_deref() != Some(fam) {
            problems.push(format!("{}: not under its TYPE line ({before:?})", s.name));
        }
    }
    // Histograms.
    let kinds: BTreeMap<&str, &str> = e
        .types
        .iter()
        .map(|(n, k)| (n.as_str(), k.as_str()))
        .collect();
    for (name, kind) in &kinds {
        if *kind == "counter" && !name.ends_with("_total") {
            problems.push(format!("counter {name} not named *_total"));
        }
        if *kind != "histogram" {
            continue;
        }
        problems.extend(check_histogram(e, name));
    }
    problems
}

/// Bucket, sum and count consistency of histogram `name`, per label set.
pub fn check_histogram(e: &Exposition, name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    type LabelSet = Vec<(String, String)>;
    let mut series: BTreeMap<LabelSet, Vec<(f64, f64)>> = BTreeMap::new();
    let key = |s: &Sample| -> Vec<(String, String)> {
        s.labels
            .iter()
            .filter(|(k, _)| *k != "le")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    for s in e
        .samples
        .iter()
        .filter(|s| s.name == format!("{name}_bucket"))
    {
        let Some(le) = s.labels.get("le") else {
            problems.push(format!("{name}_bucket without le"));
            continue;
        };
        let le = parse_value(le).unwrap_or(f64::NAN);
        series.entry(key(s)).or_default().push((le, s.value));
    }
    for (labels, buckets) in &series {
        let les: Vec<f64> = buckets.iter().map(|b| b.0).collect();
        if les
            .windows(2)
            .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
        {
            problems.push(format!("{name}{labels:?}: le not ascending {les:?}"));
        }
        if buckets.windows(2).any(|w| w[1].1 < w[0].1) {
            problems.push(format!("{name}{labels:?}: bucket counts decrease"));
        }
        let inf = buckets.last().filter(|b| b.0.is_infinite()).map(|b| b.1);
        let find = |suffix: &str| {
            e.samples
                .iter()
                .find(|s| s.name == format!("{name}{suffix}") && key(s) == *labels)
                .map(|s| s.value)
        };
        match (inf, find("_count"), find("_sum")) {
            (Some(inf), Some(count), Some(_)) if inf == count => {}
            other => problems.push(format!("{name}{labels:?}: +Inf/count/sum {other:?}")),
        }
    }
    problems
}

/// The samples of `name` whose labels include every `(key, value)` of `want`.
pub fn values(e: &Exposition, name: &str, want: &[(&str, &str)]) -> Vec<f64> {
    e.samples
        .iter()
        .filter(|s| {
            s.name == name
                && want
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .collect()
}

/// The one value of `name` with these labels; panics naming the metric otherwise.
pub fn value(e: &Exposition, name: &str, want: &[(&str, &str)]) -> f64 {
    let v = values(e, name, want);
    assert_eq!(v.len(), 1, "one sample of {name}{want:?}, found {v:?}");
    v[0]
}

/// Families by sample-derived name with their type and label keys (histogram `le` left
/// out). The type comes from the `# TYPE` line naming the family, or, for Java's exporter
/// (which declares `rocketmq_storage_size` and writes `rocketmq_storage_size_bytes`), the
/// declaration the family name extends with a unit.
pub fn families(e: &Exposition) -> BTreeMap<String, (String, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for s in &e.samples {
        let fam = family_of(e, &s.name).to_string();
        let kind = e
            .types
            .iter()
            .filter(|(n, _)| {
                fam == *n
                    || ["_bytes", "_milliseconds", "_seconds"]
                        .iter()
                        .any(|u| fam == format!("{n}{u}"))
            })
            .map(|(_, k)| k.clone())
            .next()
            .unwrap_or_else(|| "untyped".into());
        let entry = out.entry(fam).or_insert_with(|| (kind, BTreeSet::new()));
        entry
            .1
            .extend(s.labels.keys().filter(|k| *k != "le").cloned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_checks_catch_problems() {
        let good = "# HELP a_total x\n# TYPE a_total counter\na_total{k=\"v\"} 1\n\
                    # HELP h y\n# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n";
        let e = parse(good).unwrap();
        assert!(check_strict(&e).is_empty(), "{:?}", check_strict(&e));
        let bad = "# HELP h y\n# TYPE h histogram\nh_bucket{le=\"1.0\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 1\nx 1\n";
        let e = parse(bad).unwrap();
        assert_eq!(check_strict(&e).len(), 3, "{:?}", check_strict(&e));
        assert!(parse("a{k=\"v} 1").is_err());
        assert!(parse("a 1 2 3").is_err());
    }
}
