//! `#[rocketmq_transaction_listener]` implementations become transaction producers of the
//! template, one per producer group.

use std::collections::BTreeMap;

use rmq_core::client::{ClientError, ProducerConfig, TransactionMqProducer};
use rmq_core::config::Config;
use rmq_core::listener::{registered_transaction_listeners, TransactionListenerDefinition};
use rmq_core::template::RocketMqTemplate;

use super::{producer_config, AppError};

/// The producer group of each registered transaction listener (placeholders resolved; empty:
/// the template's group). Two listeners for one group are refused.
fn resolve_groups(
    config: &Config,
    template_group: &str,
) -> Result<BTreeMap<String, &'static TransactionListenerDefinition>, AppError> {
    let mut by_group: BTreeMap<String, &'static TransactionListenerDefinition> = BTreeMap::new();
    for def in registered_transaction_listeners() {
        let group = config.resolve(def.producer_group, "producer_group")?;
        let group = if group.is_empty() {
            template_group.to_owned()
        } else {
            group
        };
        if let Some(first) = by_group.get(&group) {
            return Err(AppError::Listener {
                listener: def.qualified_name(),
                reason: format!(
                    "producer group `{group}` already has the transaction listener `{}`; give each its own producer_group",
                    first.qualified_name()
                ),
            });
        }
        by_group.insert(group, def);
    }
    Ok(by_group)
}

/// Starts one transaction producer per registered transaction listener and adds it to the
/// template.
pub(super) async fn start_transaction_producers(
    config: &Config,
    name_server: &str,
    template: &RocketMqTemplate,
) -> Result<(), AppError> {
    let template_group = template.producer().config().producer_group.clone();
    for (group, def) in resolve_groups(config, &template_group)? {
        let (mut client, producer) = producer_config(config);
        client.name_server_addr = name_server.to_owned();
        let what = || format!("the transaction producer of `{}`", def.qualified_name());
        let p = TransactionMqProducer::new(
            client,
            ProducerConfig {
                producer_group: group.clone(),
                ..producer
            },
            (def.make)(),
        )
        .map_err(|source| AppError::Client {
            what: what(),
            source,
        })?;
        p.start().await.map_err(|source| AppError::Client {
            what: what(),
            source,
        })?;
        template
            .add_transaction_producer(p)
            .map_err(|e| AppError::Client {
                what: what(),
                source: ClientError::Config(e.to_string()),
            })?;
        tracing::info!(%group, listener = %def.qualified_name(), "transaction listener started");
    }
    Ok(())
}
