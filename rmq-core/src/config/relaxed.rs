//! Spring's relaxed binding for YAML keys under `rocketmq`: `nameServer`, `name_server` and
//! `name-server` all mean `name-server`. Map keys chosen by the user (the consumer groups and
//! topics under `rocketmq.consumer.listeners`) are left as written.

use std::path::PathBuf;

use figment::providers::{Format, Yaml};
use figment::value::{Dict, Map, Value};
use figment::{Error, Metadata, Profile, Provider};

/// A YAML file whose `rocketmq` keys are normalized to kebab case.
pub struct RelaxedYaml {
    path: PathBuf,
}

impl RelaxedYaml {
    /// The file at exactly `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        RelaxedYaml { path: path.into() }
    }
}

/// `sendMessageTimeout` / `send_message_timeout` → `send-message-timeout`.
pub fn kebab(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for (i, c) in key.chars().enumerate() {
        if c == '_' {
            out.push('-');
        } else if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn normalize(dict: &mut Dict, path: &mut Vec<String>) {
    let entries: Vec<(String, Value)> = std::mem::take(dict).into_iter().collect();
    for (key, mut value) in entries {
        let free_form = path.last().is_some_and(|k| k == "listeners");
        let key = if free_form { key } else { kebab(&key) };
        // Below `listeners` everything (groups, then topics) is as the user wrote it.
        if let (false, Value::Dict(_, inner)) = (free_form, &mut value) {
            path.push(key.clone());
            normalize(inner, path);
            path.pop();
        }
        dict.insert(key, value);
    }
}

impl Provider for RelaxedYaml {
    fn metadata(&self) -> Metadata {
        Yaml::file_exact(&self.path).metadata()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        let mut data = Yaml::file_exact(&self.path).data()?;
        for dict in data.values_mut() {
            if let Some(Value::Dict(_, rocketmq)) = dict.get_mut("rocketmq") {
                normalize(rocketmq, &mut vec!["rocketmq".to_owned()]);
            }
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case() {
        assert_eq!(kebab("nameServer"), "name-server");
        assert_eq!(kebab("send_message_timeout"), "send-message-timeout");
        assert_eq!(kebab("name-server"), "name-server");
        assert_eq!(kebab("pullConsumer"), "pull-consumer");
    }
}
