//! broker.conf parsing: keys, defaults, errors and warnings.

use super::*;

const SEED: &str = "brokerClusterName = DefaultCluster\nbrokerName = broker-a\nbrokerId = 0\n\
deleteWhen = 04\nfileReservedTime = 48\nbrokerRole = ASYNC_MASTER\nflushDiskType = ASYNC_FLUSH\n\
autoCreateTopicEnable=true\nbrokerIP1 = 127.0.0.1\n";

#[test]
fn seed_file_loads_as_is() {
    let mut c = BrokerConfig::default();
    c.apply_properties(SEED, Path::new("broker.conf")).unwrap();
    assert_eq!(c.broker_name, "broker-a");
    assert_eq!(c.store.file_reserved_time_hours, 48);
    assert_eq!(c.broker_role, BrokerRole::AsyncMaster);
    assert_eq!(c.store.flush_disk_type, FlushDiskType::AsyncFlush);
    assert!(c.auto_create_topic_enable);
    assert_eq!(c.broker_ip1.to_string(), "127.0.0.1");
    assert_eq!(c.listen_port, 10911);
    assert_eq!(c.store.max_message_size, 4_194_304);
}

#[test]
fn transaction_keys_have_rocketmq_5_defaults_and_are_read() {
    let c = BrokerConfig::default();
    assert_eq!(
        (
            c.transaction_check_interval,
            c.transaction_time_out,
            c.transaction_check_max
        ),
        (30_000, 6_000, 15)
    );
    let mut c = BrokerConfig::default();
    c.apply_properties(
        "transactionCheckInterval=500\ntransactionTimeOut=1000\ntransactionCheckMax=3\n",
        Path::new("broker.conf"),
    )
    .unwrap();
    assert_eq!(
        (
            c.transaction_check_interval,
            c.transaction_time_out,
            c.transaction_check_max
        ),
        (500, 1000, 3)
    );
    let err = BrokerConfig::default()
        .apply_properties("transactionCheckInterval=0\n", Path::new("broker.conf"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("transactionCheckInterval") && err.contains("at least 1 ms"),
        "{err}"
    );
}

#[test]
fn invalid_value_names_key_value_file_and_line() {
    let mut c = BrokerConfig::default();
    let err = c
        .apply_properties(
            "# c\nbrokerName=b\nflushDiskType = SOMETIMES\n",
            Path::new("/etc/broker.conf"),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("flushDiskType"), "{err}");
    assert!(err.contains("SOMETIMES"), "{err}");
    assert!(err.contains("/etc/broker.conf:3"), "{err}");
    assert!(err.contains("ASYNC_FLUSH or SYNC_FLUSH"), "{err}");
}

#[test]
fn every_invalid_value_of_a_file_is_reported_together() {
    let mut c = BrokerConfig::default();
    let err = c
        .apply_properties(
            "listenPort = port\nbrokerName = kept\ntraceOn = maybe\n\ndiskMaxUsedSpaceRatio = 200\n",
            Path::new("/etc/broker.conf"),
        )
        .unwrap_err();
    let ConfigError::Invalid(all) = &err else {
        panic!("{err:?}");
    };
    let at: Vec<_> = all.iter().map(|v| (v.key.as_str(), v.line)).collect();
    assert_eq!(
        at,
        [
            ("listenPort", 1),
            ("traceOn", 3),
            ("diskMaxUsedSpaceRatio", 5)
        ]
    );
    let text = err.to_string();
    assert!(text.starts_with("3 invalid values:"), "{text}");
    for needle in [
        "/etc/broker.conf:1",
        "/etc/broker.conf:3",
        "/etc/broker.conf:5",
        "\"200\"",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    assert_eq!(c.broker_name, "kept", "valid keys still apply");
}

#[test]
fn message_delay_level_with_a_non_ascii_unit_is_an_error_not_a_panic() {
    let mut c = BrokerConfig::default();
    let err = c
        .apply_properties(
            "brokerName=b\nmessageDelayLevel=1s 5秒\n",
            Path::new("b.conf"),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("messageDelayLevel"), "{err}");
    assert!(err.contains("1s 5秒"), "{err}");
    assert!(err.contains("b.conf:2"), "{err}");
    assert!(c.set("messageDelayLevel", "").is_err());
    assert_eq!(c.set("messageDelayLevel", "2s 1d"), Ok(true));
    assert_eq!(c.store.message_delay_level, "2s 1d");
}

#[test]
fn server_max_connections_is_a_positive_count() {
    let mut c = BrokerConfig::default();
    assert_eq!(c.server_max_connections, 10_000);
    assert_eq!(c.set("serverMaxConnections", "250"), Ok(true));
    assert_eq!(c.server_max_connections, 250);
    assert!(c.set("serverMaxConnections", "0").is_err());
    assert!(c.set("serverMaxConnections", "-5").is_err());
    assert!(c.set("serverMaxConnections", "lots").is_err());
    assert_eq!(c.server_max_connections, 250);
}

#[test]
fn store_keys_land_in_the_store_config() {
    let mut c = BrokerConfig::default();
    c.apply_properties(
        "storePathRootDir=/data/s\nflushDiskType=SYNC_FLUSH\nflushIntervalCommitLog=200\n\
         syncFlushTimeout=900\nmappedFileSizeCommitLog=8192\nmappedFileSizeConsumeQueue=130\n\
         maxMessageSize=77\ndeleteWhen=03;15\nfileReservedTime=5\ndiskMaxUsedSpaceRatio=80\n\
         diskSpaceWarningLevelRatio=0.5\nwarmMapedFileEnable=false\n",
        Path::new("b.conf"),
    )
    .unwrap();
    let s = &c.store;
    assert_eq!(s.store_path_root_dir, Path::new("/data/s"));
    assert_eq!(s.flush_disk_type, FlushDiskType::SyncFlush);
    assert_eq!(
        (s.flush_interval_commit_log_ms, s.sync_flush_timeout_ms),
        (200, 900)
    );
    assert_eq!(s.mapped_file_size_commit_log, 8192);
    assert_eq!(s.mapped_file_size_consume_queue, 120);
    assert_eq!(s.max_message_size, 77);
    assert_eq!(
        (s.delete_when.as_str(), s.file_reserved_time_hours),
        ("03;15", 5)
    );
    assert_eq!(s.disk_max_used_space_ratio, 80);
    assert_eq!(s.disk_space_warning_level_ratio, 0.5);
    assert!(!s.warm_mapped_file_enable);
}

#[test]
fn slave_role_is_refused_clearly() {
    let mut c = BrokerConfig::default();
    let err = c
        .apply_properties("brokerRole=SLAVE\n", Path::new("b.conf"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("SLAVE is not supported"), "{err}");
}

#[test]
fn keys_not_honoured_are_named_unless_they_match_what_rmq_does() {
    assert!(not_honoured("aclEnable", "true").is_some_and(|w| w.contains("ACL")));
    assert_eq!(not_honoured("aclEnable", "false"), None);
    assert!(not_honoured("brokerRole", "SYNC_MASTER").is_some());
    assert_eq!(not_honoured("brokerRole", "ASYNC_MASTER"), None);
    assert!(not_honoured("haListenPort", "10912").is_some());
    assert!(not_honoured("enablePropertyFilter", "true").is_none());
    assert!(not_honoured("enableDLegerCommitLog", "true").is_some());
    assert!(not_honoured("brokerIP2", "10.0.0.1").is_some());
    assert_eq!(not_honoured("listenPort", "10911"), None);
}

#[test]
fn unknown_keys_are_not_errors() {
    let mut c = BrokerConfig::default();
    c.apply_properties("noSuchKey=1\nbrokerIP2=1.2.3.4\n", Path::new("b.conf"))
        .unwrap();
}

#[test]
fn server_worker_threads_sizes_the_runtime() {
    let mut c = BrokerConfig::default();
    assert!(c.runtime_workers() >= 1);
    assert_eq!(c.set("serverWorkerThreads", "3"), Ok(true));
    assert_eq!(c.runtime_workers(), 3);
    assert!(c.set("serverWorkerThreads", "many").is_err());
}

#[test]
fn properties_syntax() {
    let p = parse_properties("a=1\n  b : two words \\\n   more\n! bang\nc 3\nd\n");
    assert_eq!(
        p,
        vec![
            (1, "a".into(), "1".into()),
            (2, "b".into(), "two words more".into()),
            (5, "c".into(), "3".into()),
            (6, "d".into(), "".into()),
        ]
    );
}
