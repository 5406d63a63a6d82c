//! `application.yml` loading: the seed layout, profiles, env relaxed binding, overrides, and
//! errors that name the key, the file and the line.

use std::path::{Path, PathBuf};

use rmq_core::config::{Config, ConfigError, ConfigSource, Origin};

const SEED_YML: &str = "\
spring:
  application:
    name: rocketmq-spring-boot-demo

rocketmq:
  name-server: 127.0.0.1:9876
  producer:
    group: boot-test-producer-group
    send-message-timeout: 3000
    retry-times-when-send-failed: 2
  consumer:
    group: boot-test-pull-group
    topic: boot-test
    listeners:
      boot-test-consumer-group:
        boot-test: false
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn load(file: &Path) -> Result<Config, ConfigError> {
    Config::load(&ConfigSource::default().file(file).read_env(false))
}

#[test]
fn seed_file_loads_with_its_spring_block() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "application.yml", SEED_YML);
    let config = load(&file).unwrap();
    let rmq = config.rocketmq();
    assert_eq!(rmq.name_server.as_deref(), Some("127.0.0.1:9876"));
    assert_eq!(
        rmq.producer.group.as_deref(),
        Some("boot-test-producer-group")
    );
    assert_eq!(rmq.producer.send_message_timeout, 3000);
    assert_eq!(
        rmq.producer.max_message_size,
        4 * 1024 * 1024,
        "default kept"
    );
    assert!(!rmq
        .consumer
        .listener_enabled("boot-test-consumer-group", "boot-test"));
    assert!(rmq
        .consumer
        .listener_enabled("boot-test-consumer-group", "other"));
    let pull = rmq.pull_consumer.or_consumer(&rmq.consumer);
    assert_eq!(pull.group.as_deref(), Some("boot-test-pull-group"));
    assert_eq!(pull.pull_batch_size, 10);
    assert_eq!(
        config.get_string("spring.application.name").as_deref(),
        Some("rocketmq-spring-boot-demo")
    );
}

#[test]
fn missing_file_means_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let config = load(&dir.path().join("application.yml")).unwrap();
    assert_eq!(config.rocketmq().name_server, None);
    assert_eq!(config.rocketmq().producer.retry_times_when_send_failed, 2);
}

#[test]
fn profile_file_overrides_main_file() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "application.yml",
        "spring:\n  profiles:\n    active: dev\nrocketmq:\n  producer:\n    group: main-group\n    send-message-timeout: 1000\n",
    );
    write(
        dir.path(),
        "application-dev.yml",
        "rocketmq:\n  producer:\n    group: dev-group\n",
    );
    write(
        dir.path(),
        "application-prod.yml",
        "rocketmq:\n  producer:\n    group: prod-group\n",
    );
    let config = load(&main).unwrap();
    assert_eq!(config.profiles(), ["dev"]);
    assert_eq!(
        config.rocketmq().producer.group.as_deref(),
        Some("dev-group")
    );
    assert_eq!(config.rocketmq().producer.send_message_timeout, 1000);

    let explicit = Config::load(
        &ConfigSource::default()
            .file(&main)
            .profile("prod")
            .read_env(false),
    )
    .unwrap();
    assert_eq!(
        explicit.rocketmq().producer.group.as_deref(),
        Some("prod-group")
    );
}

#[test]
fn overrides_win_and_placeholders_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(dir.path(), "application.yml", SEED_YML);
    let config = Config::load(
        &ConfigSource::default()
            .file(&main)
            .read_env(false)
            .set("rocketmq.name-server", "10.0.0.1:9876")
            .set("demo.topic", "from-override")
            .set("demo.count", 7),
    )
    .unwrap();
    assert_eq!(
        config.rocketmq().name_server.as_deref(),
        Some("10.0.0.1:9876")
    );
    assert_eq!(
        config
            .resolve("${demo.topic}-${demo.count}-${nope:fallback}", "test")
            .unwrap(),
        "from-override-7-fallback"
    );
    assert_eq!(
        config
            .resolve("${rocketmq.producer.group}", "test")
            .unwrap(),
        "boot-test-producer-group"
    );
    let err = config
        .resolve("${demo.missing}", "listener `x` attribute `topic`")
        .unwrap_err();
    assert!(err.to_string().contains("`${demo.missing}`"), "{err}");
}

#[test]
fn unknown_key_names_key_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "application.yml",
        "spring:\n  application:\n    name: x\nrocketmq:\n  name-server: 127.0.0.1:9876\n  producer:\n    gruop: oops\n",
    );
    let err = load(&main).unwrap_err();
    match &err {
        ConfigError::UnknownKey {
            key,
            origin,
            allowed,
        } => {
            assert_eq!(key, "rocketmq.producer.gruop");
            assert_eq!(
                origin,
                &Origin::File {
                    path: main.clone(),
                    line: Some(7)
                }
            );
            assert!(allowed.contains("group"), "{allowed}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("rocketmq.producer.gruop"), "{text}");
    assert!(text.contains(&format!("{}:7", main.display())), "{text}");
}

#[test]
fn unknown_key_in_profile_file_is_attributed_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "application.yml",
        "rocketmq:\n  producer:\n    group: g\n",
    );
    let dev = write(
        dir.path(),
        "application-dev.yml",
        "rocketmq:\n  producer:\n    colour: red\n",
    );
    let err = Config::load(
        &ConfigSource::default()
            .file(&main)
            .profile("dev")
            .read_env(false),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ConfigError::UnknownKey { key, origin: Origin::File { path, line: Some(3) }, .. }
            if key == "rocketmq.producer.colour" && *path == dev),
        "{err:?}"
    );
}

#[test]
fn wrong_type_names_key_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "application.yml",
        "rocketmq:\n  producer:\n    group: g\n    send-message-timeout: soon\n",
    );
    let err = load(&main).unwrap_err();
    match &err {
        ConfigError::InvalidValue {
            key,
            origin,
            reason,
        } => {
            assert_eq!(key, "rocketmq.producer.send-message-timeout");
            assert_eq!(
                origin,
                &Origin::File {
                    path: main.clone(),
                    line: Some(4)
                }
            );
            assert!(reason.contains("soon"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn override_with_wrong_type_is_attributed_to_the_override() {
    let dir = tempfile::tempdir().unwrap();
    let err = Config::load(
        &ConfigSource::default()
            .file(dir.path().join("application.yml"))
            .read_env(false)
            .set("rocketmq.producer.retry-next-server", "perhaps"),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ConfigError::InvalidValue { key, origin: Origin::Override, .. }
            if key == "rocketmq.producer.retry-next-server"),
        "{err:?}"
    );
}

#[test]
fn broken_yaml_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "application.yml",
        "rocketmq:\n  name-server: [unclosed\n",
    );
    let err = load(&main).unwrap_err();
    assert!(
        matches!(&err, ConfigError::File { path, .. } if *path == main),
        "{err:?}"
    );
}

/// The only test that touches the process environment (tests run on threads of one process).
#[test]
fn environment_relaxed_binding_and_profile() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(dir.path(), "application.yml", SEED_YML);
    write(
        dir.path(),
        "application-env.yml",
        "rocketmq:\n  producer:\n    group: env-profile-group\n",
    );
    // SAFETY: no other test of this binary reads or writes these variables.
    unsafe {
        std::env::set_var("ROCKETMQ_NAME_SERVER", "192.168.0.9:9876");
        std::env::set_var("ROCKETMQ_PRODUCER_SEND_MESSAGE_TIMEOUT", "4500");
        std::env::set_var("ROCKETMQ_HOME", "/opt/rocketmq");
        std::env::set_var("SPRING_PROFILES_ACTIVE", "env");
    }
    let loaded = Config::load(&ConfigSource::default().file(&main));
    unsafe {
        std::env::set_var("ROCKETMQ_PRODUCER_SEND_MESSAGE_TIMEOUT", "later");
    }
    let bad = Config::load(&ConfigSource::default().file(&main));
    unsafe {
        std::env::remove_var("ROCKETMQ_NAME_SERVER");
        std::env::remove_var("ROCKETMQ_PRODUCER_SEND_MESSAGE_TIMEOUT");
        std::env::remove_var("ROCKETMQ_HOME");
        std::env::remove_var("SPRING_PROFILES_ACTIVE");
    }
    let config = loaded.unwrap();
    assert_eq!(
        config.rocketmq().name_server.as_deref(),
        Some("192.168.0.9:9876")
    );
    assert_eq!(config.rocketmq().producer.send_message_timeout, 4500);
    assert_eq!(
        config.rocketmq().producer.group.as_deref(),
        Some("env-profile-group")
    );
    let err = bad.unwrap_err();
    assert!(
        matches!(&err, ConfigError::InvalidValue { key, origin: Origin::Env(name), .. }
            if key == "rocketmq.producer.send-message-timeout"
                && name == "ROCKETMQ_PRODUCER_SEND_MESSAGE_TIMEOUT"),
        "{err:?}"
    );
}

#[test]
fn placeholders_in_values_resolve_like_spring() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "application.yml",
        "spring:\n  application:\n    name: shop\nrocketmq:\n  producer:\n    group: ${spring.application.name}-producer\n    namespace: ${shop.ns:}\n",
    );
    let config = load(&main).unwrap();
    assert_eq!(
        config.rocketmq().producer.group.as_deref(),
        Some("shop-producer")
    );
    assert_eq!(config.rocketmq().producer.namespace.as_deref(), Some(""));

    let bad = write(
        dir.path(),
        "bad.yml",
        "rocketmq:\n  producer:\n    group: ${nowhere}\n",
    );
    let err = load(&bad).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, ConfigError::UnresolvedPlaceholder { name, .. } if name == "nowhere"),
        "{text}"
    );
    assert!(
        text.contains("rocketmq.producer.group") && text.contains(&format!("{}:3", bad.display())),
        "{text}"
    );
}

#[test]
fn enum_values_are_checked_with_key_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "application.yml",
        "rocketmq:\n  pull-consumer:\n    group: g\n    topic: t\n    message-model: CLUSTER\n",
    );
    let err = load(&main).unwrap_err();
    assert!(
        matches!(&err, ConfigError::InvalidValue { key, origin: Origin::File { line: Some(5), .. }, reason }
            if key == "rocketmq.pull-consumer.message-model" && reason.contains("CLUSTERING")),
        "{err}"
    );
}

#[test]
fn camel_and_snake_case_keys_bind_like_spring() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "application.yml",
        "rocketmq:\n  nameServer: 127.0.0.1:9876\n  producer:\n    group: g\n    sendMessageTimeout: 1234\n    retry_times_when_send_failed: 5\n  consumer:\n    listeners:\n      myGroup:\n        myTopic: false\n  pullConsumer:\n    pullBatchSize: 7\n    messageModel: BROADCASTING\n",
    );
    let config = load(&main).unwrap();
    let rmq = config.rocketmq();
    assert_eq!(rmq.name_server.as_deref(), Some("127.0.0.1:9876"));
    assert_eq!(rmq.producer.send_message_timeout, 1234);
    assert_eq!(rmq.producer.retry_times_when_send_failed, 5);
    assert!(
        !rmq.consumer.listener_enabled("myGroup", "myTopic"),
        "group and topic names kept as written"
    );
    assert_eq!(rmq.pull_consumer.pull_batch_size, 7);

    let bad = write(
        dir.path(),
        "bad.yml",
        "rocketmq:\n  producer:\n    sendMessageTimeOut: 1\n",
    );
    let err = load(&bad).unwrap_err();
    assert!(
        matches!(&err, ConfigError::UnknownKey { key, origin: Origin::File { line: Some(3), .. }, .. }
            if key == "rocketmq.producer.send-message-time-out"),
        "{err}"
    );
}

#[test]
fn every_error_of_one_file_is_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "application.yml",
        "rocketmq:\n  name-server: 127.0.0.1:9876\n  producer:\n    gruop: oops\n    send-message-timeout: soon\n  consumer:\n    pull-batch-size: 99999999999\n",
    );
    let err = load(&main).unwrap_err();
    let text = err.to_string();
    let errors = err.errors();
    assert_eq!(errors.len(), 3, "{text}");
    assert!(
        matches!(&err, ConfigError::Several(all) if all.len() == 3),
        "{err:?}"
    );
    let at = |line: usize| Origin::File {
        path: main.clone(),
        line: Some(line),
    };
    assert!(
        errors.iter().any(
            |e| matches!(e, ConfigError::UnknownKey { key, origin, allowed }
            if key == "rocketmq.producer.gruop" && *origin == at(4) && allowed.contains("group"))
        ),
        "{text}"
    );
    assert!(
        errors.iter().any(|e| matches!(e, ConfigError::InvalidValue { key, origin, reason }
            if key == "rocketmq.producer.send-message-timeout" && *origin == at(5) && reason.contains("soon"))),
        "{text}"
    );
    assert!(
        errors.iter().any(|e| matches!(e, ConfigError::InvalidValue { key, origin, reason }
            if key == "rocketmq.consumer.pull-batch-size" && *origin == at(7) && reason.contains("99999999999"))),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "a heading and one line per error: {text}");
    for (key, line) in [
        ("rocketmq.producer.gruop", 4),
        ("rocketmq.producer.send-message-timeout", 5),
        ("rocketmq.consumer.pull-batch-size", 7),
    ] {
        let place = format!("{}:{line}", main.display());
        assert!(
            lines.iter().any(|l| l.contains(key) && l.contains(&place)),
            "{key} at {place}: {text}"
        );
    }
}

#[test]
fn errors_of_keys_and_placeholders_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "application.yml",
        "rocketmq:\n  producer:\n    group: ${nowhere}\n  pull-consumer:\n    listeners: {}\n",
    );
    let err = load(&main).unwrap_err();
    let errors = err.errors();
    assert_eq!(errors.len(), 2, "{err}");
    assert!(
        matches!(&errors[0], ConfigError::UnknownKey { key, origin: Origin::File { line: Some(5), .. }, allowed }
            if key == "rocketmq.pull-consumer.listeners"
                && allowed.contains("pull-batch-size")
                && !allowed.contains("listeners")),
        "{err}"
    );
    assert!(
        matches!(&errors[1], ConfigError::UnresolvedPlaceholder { name, context }
            if name == "nowhere" && context.contains(&format!("{}:3", main.display()))),
        "{err}"
    );
}

#[test]
fn a_typo_in_either_consumer_layout_lists_that_layouts_keys() {
    let dir = tempfile::tempdir().unwrap();
    for (section, listeners_allowed) in [("consumer", true), ("pull-consumer", false)] {
        let main = write(
            dir.path(),
            "application.yml",
            &format!("rocketmq:\n  {section}:\n    gruop: g\n"),
        );
        let err = load(&main).unwrap_err();
        match &err {
            ConfigError::UnknownKey { key, allowed, .. } => {
                assert_eq!(key, &format!("rocketmq.{section}.gruop"));
                assert!(allowed.contains("instance-name"), "{allowed}");
                assert_eq!(
                    allowed.contains("listeners"),
                    listeners_allowed,
                    "{allowed}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
