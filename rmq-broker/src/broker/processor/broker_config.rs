//! GET_BROKER_CONFIG (26) and UPDATE_BROKER_CONFIG (25).
//!
//! Updates apply only to the keys in [`LIVE_KEYS`] (`brokerPermission`,
//! `autoCreateSubscriptionGroup`, `notifyConsumerIdsChangedEnable`, `longPollingEnable`,
//! `shortPollingTimeMills`). A request naming any other key — known broker.conf keys that need a
//! restart and unknown keys alike — is refused as a whole, its remark naming those keys. When
//! the broker was started with a config file, the changed keys are written back into it (the
//! other lines and comments stay), as Java rewrites its config file.

use rmq_core::protocol::header::GetBrokerConfigResponseHeader;
use rmq_core::protocol::{RemotingCommand, ResponseCode};

use crate::broker::{rewrite_properties, BrokerInner, LIVE_KEYS};
use crate::config::parse_properties;

/// GET_BROKER_CONFIG (26): the effective configuration as properties text, live keys at their
/// current values.
pub fn get_broker_config(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let c = &b.config;
    let s = &c.store;
    let pairs: Vec<(&str, String)> = vec![
        (
            "autoCreateSubscriptionGroup",
            b.groups.auto_create().to_string(),
        ),
        (
            "autoCreateTopicEnable",
            c.auto_create_topic_enable.to_string(),
        ),
        ("brokerClusterName", c.broker_cluster_name.clone()),
        ("brokerIP1", c.broker_ip1.to_string()),
        ("brokerId", c.broker_id.to_string()),
        ("brokerName", c.broker_name.clone()),
        ("brokerPermission", b.live.broker_permission().to_string()),
        (
            "brokerRole",
            match c.broker_role {
                crate::config::BrokerRole::AsyncMaster => "ASYNC_MASTER",
                crate::config::BrokerRole::SyncMaster => "SYNC_MASTER",
            }
            .to_owned(),
        ),
        (
            "channelExpiredTimeout",
            c.channel_expired_timeout.to_string(),
        ),
        (
            "defaultTopicQueueNums",
            c.default_topic_queue_nums.to_string(),
        ),
        ("deleteWhen", s.delete_when.clone()),
        (
            "diskMaxUsedSpaceRatio",
            s.disk_max_used_space_ratio.to_string(),
        ),
        ("enablePropertyFilter", c.enable_property_filter.to_string()),
        ("fileReservedTime", s.file_reserved_time_hours.to_string()),
        ("flushDiskType", s.flush_disk_type.to_string()),
        ("listenPort", b.store_host.port().to_string()),
        (
            "longPollingEnable",
            b.live.long_polling_enable().to_string(),
        ),
        (
            "mappedFileSizeCommitLog",
            s.mapped_file_size_commit_log.to_string(),
        ),
        ("maxMessageSize", s.max_message_size.to_string()),
        ("messageDelayLevel", s.message_delay_level.clone()),
        ("namesrvAddr", c.namesrv_addr.clone().unwrap_or_default()),
        (
            "notifyConsumerIdsChangedEnable",
            b.live.notify_consumer_ids_changed_enable().to_string(),
        ),
        (
            "shortPollingTimeMills",
            b.live.short_polling_time_mills().to_string(),
        ),
        (
            "storePathRootDir",
            s.store_path_root_dir.display().to_string(),
        ),
        ("transactionCheckMax", c.transaction_check_max.to_string()),
        ("transactionTimeOut", c.transaction_time_out.to_string()),
    ];
    let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    Some(
        req.success_to()
            .with_header(&GetBrokerConfigResponseHeader {
                version: Some(format!(
                    "{{\"counter\":0,\"timestamp\":{}}}",
                    rmq_core::clock::now_ms() - b.started.elapsed().as_millis() as i64
                )),
            })
            .with_body(text.into_bytes()),
    )
}

/// UPDATE_BROKER_CONFIG (25): see the module doc for which keys apply.
pub async fn update_broker_config(
    b: &BrokerInner,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    let text = String::from_utf8_lossy(&req.body);
    let updates: Vec<(String, String)> = parse_properties(&text)
        .into_iter()
        .map(|(_, k, v)| (k, v))
        .collect();
    if updates.is_empty() {
        return Some(req.success_to());
    }
    // Validate on a copy: unknown keys, restart-only keys and bad values are all refused.
    let mut next = b.config.clone();
    next.broker_permission = b.live.broker_permission();
    next.auto_create_subscription_group = b.groups.auto_create();
    next.notify_consumer_ids_changed_enable = b.live.notify_consumer_ids_changed_enable();
    next.long_polling_enable = b.live.long_polling_enable();
    next.short_polling_time_mills = b.live.short_polling_time_mills();
    let (mut unknown, mut restart, mut invalid) = (Vec::new(), Vec::new(), Vec::new());
    for (k, v) in &updates {
        match next.set(k, v) {
            Ok(false) => unknown.push(k.clone()),
            Ok(true) if !LIVE_KEYS.contains(&k.as_str()) => restart.push(k.clone()),
            Ok(true) => {}
            Err(expected) => invalid.push(format!("{k}={v} (expected {expected})")),
        }
    }
    use rmq_core::protocol::body::{PERM_PRIORITY, PERM_READ, PERM_WRITE};
    if next.broker_permission & !(PERM_PRIORITY | PERM_READ | PERM_WRITE) != 0 {
        invalid.push(format!(
            "brokerPermission={} (expected 2, 4 or 6, optionally with 8)",
            next.broker_permission
        ));
    }
    let mut why = Vec::new();
    if !unknown.is_empty() {
        why.push(format!("unknown keys: {}", unknown.join(", ")));
    }
    if !restart.is_empty() {
        why.push(format!(
            "keys not changeable while running (set them in broker.conf and restart): {}",
            restart.join(", ")
        ));
    }
    if !invalid.is_empty() {
        why.push(format!("invalid values: {}", invalid.join(", ")));
    }
    if !why.is_empty() {
        return Some(req.error_to(
            ResponseCode::SystemError,
            format!(
                "broker config not updated: {}; keys that can be updated: {}",
                why.join("; "),
                LIVE_KEYS.join(", ")
            ),
        ));
    }
    if let Some(path) = &b.config.config_file {
        let old = std::fs::read_to_string(path).unwrap_or_default();
        if let Err(e) = std::fs::write(path, rewrite_properties(&old, &updates)) {
            return Some(req.error_to(
                ResponseCode::SystemError,
                format!("cannot write {}: {e}", path.display()),
            ));
        }
    }
    let perm_changed = next.broker_permission != b.live.broker_permission();
    b.live.apply(&next);
    b.groups
        .set_auto_create(next.auto_create_subscription_group);
    tracing::info!(?updates, "broker config updated");
    if perm_changed {
        // As Java: the name servers learn the new permission at once.
        b.topics.bump_version();
        b.register_all().await;
    }
    Some(req.success_to())
}
