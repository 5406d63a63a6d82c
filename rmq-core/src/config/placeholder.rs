//! `${key}` and `${key:default}` placeholders, as Spring resolves them.

use super::ConfigError;

/// Replaces every `${key}` / `${key:default}` in `value` with `lookup(key)`, else the default.
/// `context` names the value's owner in errors.
pub fn resolve(
    value: &str,
    context: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let inner_and_after = &rest[start + 2..];
        let Some(end) = inner_and_after.find('}') else {
            return Err(ConfigError::MalformedPlaceholder {
                value: value.to_owned(),
                context: context.to_owned(),
            });
        };
        let inner = &inner_and_after[..end];
        let (key, default) = match inner.split_once(':') {
            Some((key, default)) => (key.trim(), Some(default)),
            None => (inner.trim(), None),
        };
        if key.is_empty() {
            return Err(ConfigError::MalformedPlaceholder {
                value: value.to_owned(),
                context: context.to_owned(),
            });
        }
        match lookup(key).or_else(|| default.map(str::to_owned)) {
            Some(v) => out.push_str(&v),
            None => {
                return Err(ConfigError::UnresolvedPlaceholder {
                    name: key.to_owned(),
                    context: context.to_owned(),
                })
            }
        }
        rest = &inner_and_after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(key: &str) -> Option<String> {
        (key == "a.b").then(|| "X".to_owned())
    }

    #[test]
    fn resolves_keys_and_defaults() {
        assert_eq!(resolve("plain", "t", lookup).unwrap(), "plain");
        assert_eq!(resolve("${a.b}", "t", lookup).unwrap(), "X");
        assert_eq!(
            resolve("p-${a.b}-${c:d}-${e:}", "t", lookup).unwrap(),
            "p-X-d-"
        );
        assert_eq!(
            resolve("${c:127.0.0.1:9876}", "t", lookup).unwrap(),
            "127.0.0.1:9876"
        );
        let err = resolve("${missing}", "listener `f` attribute `topic`", lookup).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unresolved placeholder `${missing}` in listener `f` attribute `topic`"
        );
        assert!(matches!(
            resolve("${oops", "t", lookup),
            Err(ConfigError::MalformedPlaceholder { .. })
        ));
    }
}
