//! Configuration the Spring Boot way: `application.yml`, then `application-{profile}.yml`,
//! then environment variables (relaxed binding: `ROCKETMQ_NAME_SERVER` →
//! `rocketmq.name-server`), then code overrides — merged with `figment`.
//!
//! Only the `rocketmq` block is checked (other blocks such as `spring.application.name` load
//! and are ignored); a wrong type or an unknown key there is an error naming the key, the file
//! and the line, and all such errors of one load are reported together.
//!
//! ```no_run
//! use rmq_core::config::{Config, ConfigSource};
//!
//! let config = Config::load(&ConfigSource::default().profile("dev"))?;
//! println!("{:?}", config.rocketmq().name_server);
//! # Ok::<(), rmq_core::config::ConfigError>(())
//! ```

mod env;
mod error;
mod locate;
mod placeholder;
mod properties;
mod relaxed;
mod report;

use std::path::{Path, PathBuf};

use figment::providers::{Env, Serialized};
use figment::value::Value;
use figment::Figment;
use serde::Deserialize;

pub use env::{env_name_of, key_of_env};
pub use error::{ConfigError, Origin};
pub use properties::{
    ConsumerKeys, ConsumerProperties, DashboardProperties, ListenerSwitches, ListenersField,
    MessageModelName, NoListeners, ProducerProperties, PullConsumerProperties, RocketMqProperties,
    SelectorTypeName, KNOWN_KEYS,
};
use report::Located;

/// Where the configuration comes from.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    /// The main file (`application.yml`, else `application.yaml`, in the working directory).
    pub file: Option<PathBuf>,
    /// Active profiles; empty: `SPRING_PROFILES_ACTIVE` (when the environment is read), else
    /// `spring.profiles.active` of the main file.
    pub profiles: Vec<String>,
    /// Dotted keys set from code; they win over everything.
    pub overrides: Vec<(String, serde_json::Value)>,
    /// Whether environment variables are read (true).
    pub read_env: bool,
}

impl Default for ConfigSource {
    fn default() -> Self {
        ConfigSource {
            file: None,
            profiles: Vec::new(),
            overrides: Vec::new(),
            read_env: true,
        }
    }
}

impl ConfigSource {
    /// Reads this file instead of `./application.yml`.
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = Some(path.into());
        self
    }

    /// Activates a profile (`application-{profile}.yml` next to the main file).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profiles.push(profile.into());
        self
    }

    /// Sets a dotted key, e.g. `("rocketmq.name-server", "127.0.0.1:9876")`.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.overrides.push((key.into(), value.into()));
        self
    }

    /// Whether environment variables are read.
    pub fn read_env(mut self, read: bool) -> Self {
        self.read_env = read;
        self
    }
}

/// The document as checked: only its `rocketmq` block.
#[derive(Deserialize)]
struct Root {
    #[serde(default)]
    rocketmq: RocketMqProperties,
}

/// The loaded configuration: the typed `rocketmq` block and every other key for placeholders.
#[derive(Debug, Clone)]
pub struct Config {
    figment: Figment,
    rocketmq: RocketMqProperties,
    files: Vec<PathBuf>,
    profiles: Vec<String>,
    read_env: bool,
    overridden: Vec<String>,
}

impl Config {
    /// Loads and checks the configuration; every bad key and unresolved placeholder of the
    /// `rocketmq` block is reported, together (see [`ConfigError::from_all`]).
    pub fn load(source: &ConfigSource) -> Result<Config, ConfigError> {
        let main = source.file.clone().unwrap_or_else(default_file);
        check_readable(&main)?;
        let profiles = active_profiles(source, &main)?;
        let mut files = vec![main.clone()];
        let mut figment = merge_file(Figment::new(), &main);
        for profile in &profiles {
            let file = profile_file(&main, profile);
            check_readable(&file)?;
            figment = merge_file(figment, &file);
            files.push(file);
        }
        let mut env_bindings = Vec::new();
        if source.read_env {
            for (name, _) in
                std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
            {
                if let Some(key) = key_of_env(&name) {
                    env_bindings.push((name, key));
                }
            }
            figment = figment.merge(
                Env::raw()
                    .filter_map(|name| key_of_env(name.as_str()).map(|key| key.to_owned().into())),
            );
        }
        for (key, value) in &source.overrides {
            figment = figment.merge(Serialized::default(key, value.clone()));
        }
        let located = Located {
            files: &files,
            env: &env_bindings,
            overrides: &source.overrides,
        };
        let (root, mut errors) = located.extract(&figment)?;
        let mut config = Config {
            figment,
            rocketmq: root.rocketmq,
            files: files.clone(),
            profiles,
            read_env: source.read_env,
            overridden: source.overrides.iter().map(|(k, _)| k.clone()).collect(),
        };
        config.rocketmq = config.resolve_properties(&located, &mut errors)?;
        match ConfigError::from_all(errors) {
            Some(error) => Err(error),
            None => {
                tracing::debug!(files = ?config.files, profiles = ?config.profiles, "configuration loaded");
                Ok(config)
            }
        }
    }

    /// Resolves `${..}` placeholders in every string of the `rocketmq` block, as Spring does
    /// for every property value (`group: ${spring.application.name}-producer`); a placeholder
    /// that cannot be resolved is added to `errors` and its value left as written.
    fn resolve_properties(
        &self,
        located: &Located<'_>,
        errors: &mut Vec<ConfigError>,
    ) -> Result<RocketMqProperties, ConfigError> {
        fn walk(
            config: &Config,
            located: &Located<'_>,
            path: &mut Vec<String>,
            value: &mut serde_json::Value,
            errors: &mut Vec<ConfigError>,
        ) {
            match value {
                serde_json::Value::String(s) if s.contains("${") => {
                    let key = path.join(".");
                    match config.resolve(s, &format!("`{key}`")) {
                        Ok(resolved) => *s = resolved,
                        Err(ConfigError::UnresolvedPlaceholder { name, .. }) => {
                            errors.push(ConfigError::UnresolvedPlaceholder {
                                name,
                                context: format!("`{key}`{}", located.origin(path, None)),
                            })
                        }
                        Err(other) => errors.push(other),
                    }
                }
                serde_json::Value::Object(map) => {
                    for (k, v) in map.iter_mut() {
                        path.push(k.clone());
                        walk(config, located, path, v, errors);
                        path.pop();
                    }
                }
                _ => {}
            }
        }
        let mut value =
            serde_json::to_value(&self.rocketmq).map_err(|e| ConfigError::InvalidValue {
                key: "rocketmq".into(),
                origin: Origin::Unknown,
                reason: e.to_string(),
            })?;
        walk(
            self,
            located,
            &mut vec!["rocketmq".to_owned()],
            &mut value,
            errors,
        );
        serde_json::from_value(value).map_err(|e| ConfigError::InvalidValue {
            key: "rocketmq".into(),
            origin: Origin::Unknown,
            reason: format!("after resolving placeholders: {e}"),
        })
    }

    /// The `rocketmq` block.
    pub fn rocketmq(&self) -> &RocketMqProperties {
        &self.rocketmq
    }

    /// The files that were read (missing ones included: they count as empty).
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The active profiles.
    pub fn profiles(&self) -> &[String] {
        &self.profiles
    }

    /// A key as text, with Spring's precedence: a builder override, then (when the
    /// environment is read) an environment variable of that exact name or its relaxed name
    /// (`A_B_C`), then the files.
    pub fn get_string(&self, key: &str) -> Option<String> {
        let from_files = || {
            self.figment
                .find_value(key)
                .ok()
                .and_then(|value| scalar_text(&value))
        };
        if self.overridden.iter().any(|k| k == key) {
            return from_files();
        }
        if self.read_env {
            if let Some(v) = std::env::var(key)
                .ok()
                .or_else(|| std::env::var(env_name_of(key)).ok())
            {
                return Some(v);
            }
        }
        from_files()
    }

    /// Resolves `${key}` / `${key:default}` placeholders in `value`; `context` names its owner.
    pub fn resolve(&self, value: &str, context: &str) -> Result<String, ConfigError> {
        placeholder::resolve(value, context, |key| self.get_string(key))
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(_, s) => Some(s.clone()),
        Value::Char(_, c) => Some(c.to_string()),
        Value::Bool(_, b) => Some(b.to_string()),
        Value::Num(_, n) => Some(
            n.to_u128()
                .map(|v| v.to_string())
                .or_else(|| n.to_i128().map(|v| v.to_string()))
                .or_else(|| n.to_f64().map(|v| v.to_string()))
                .unwrap_or_default(),
        ),
        _ => None,
    }
}

/// Merges a YAML file; a missing one contributes nothing.
fn merge_file(figment: Figment, path: &Path) -> Figment {
    if path.exists() {
        figment.merge(relaxed::RelaxedYaml::file(path))
    } else {
        figment
    }
}

fn default_file() -> PathBuf {
    let yml = PathBuf::from("application.yml");
    let yaml = PathBuf::from("application.yaml");
    if !yml.exists() && yaml.exists() {
        yaml
    } else {
        yml
    }
}

fn profile_file(main: &Path, profile: &str) -> PathBuf {
    let stem = main
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "application".into());
    let ext = main
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "yml".into());
    main.with_file_name(format!("{stem}-{profile}.{ext}"))
}

fn check_readable(path: &Path) -> Result<(), ConfigError> {
    if path.exists() {
        if let Err(e) = std::fs::read(path) {
            return Err(ConfigError::File {
                path: path.to_owned(),
                reason: e.to_string(),
            });
        }
    }
    Ok(())
}

fn active_profiles(source: &ConfigSource, main: &Path) -> Result<Vec<String>, ConfigError> {
    let split = |s: &str| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    if !source.profiles.is_empty() {
        return Ok(source.profiles.clone());
    }
    if source.read_env {
        if let Ok(active) = std::env::var("SPRING_PROFILES_ACTIVE") {
            return Ok(split(&active));
        }
    }
    let base = merge_file(Figment::new(), main);
    match base.find_value("spring.profiles.active") {
        Ok(value) => Ok(scalar_text(&value).map(|s| split(&s)).unwrap_or_default()),
        Err(_) => {
            // A parse error surfaces here first; report it against the file.
            if let Err(e) = base.extract::<serde::de::IgnoredAny>() {
                return Err(ConfigError::File {
                    path: main.to_owned(),
                    reason: e.kind.to_string(),
                });
            }
            Ok(Vec::new())
        }
    }
}
