//! Finding the line of a dotted key in a YAML file, for error messages.

/// The 1-based line where `path` (e.g. `["rocketmq", "producer", "group"]`) is written in
/// block-style YAML `text`, if it can be found.
pub fn line_of_key(text: &str, path: &[String]) -> Option<usize> {
    let mut stack: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
            continue;
        }
        let indent = raw.len() - trimmed.len();
        let Some(key) = key_of(trimmed) else {
            continue;
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        stack.push((indent, key));
        if stack.len() == path.len()
            && stack
                .iter()
                .zip(path)
                .all(|((_, k), p)| k == p || super::relaxed::kebab(k) == *p)
        {
            return Some(index + 1);
        }
    }
    None
}

fn key_of(line: &str) -> Option<String> {
    let line = line.strip_prefix("- ").unwrap_or(line);
    let colon = line.find(':')?;
    let after = &line[colon + 1..];
    if !(after.is_empty() || after.starts_with(' ') || after.starts_with('\t')) {
        return None;
    }
    let key = line[..colon].trim();
    let key = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
        .unwrap_or(key);
    Some(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> Vec<String> {
        s.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn finds_nested_keys() {
        let text = "spring:\n  application:\n    name: demo\n\nrocketmq:\n  # comment\n  name-server: 127.0.0.1:9876\n  producer:\n    group: g\n    \"send-message-timeout\": 10\n";
        assert_eq!(line_of_key(text, &path("rocketmq.name-server")), Some(7));
        assert_eq!(line_of_key(text, &path("rocketmq.producer.group")), Some(9));
        assert_eq!(
            line_of_key(text, &path("rocketmq.producer.send-message-timeout")),
            Some(10)
        );
        assert_eq!(line_of_key(text, &path("rocketmq.producer.other")), None);
        assert_eq!(line_of_key(text, &path("spring.application.name")), Some(3));
    }
}
