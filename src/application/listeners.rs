//! From registered `#[rocketmq_listener]` handlers to running push consumers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rmq_core::client::consumer::MessageSelector;
use rmq_core::client::{
    ClientConfig, ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, ConsumerConfig,
    DefaultMqPushConsumer, ListenerFn, OrderlyListenerFn,
};
use rmq_core::config::Config;
use rmq_core::listener::{ConsumeMode, HandlerFn, ListenerDefinition, SelectorType};
use rmq_core::protocol::body::MessageModel;
use rmq_core::protocol::message::MessageExt;

use super::reply::Replier;
use super::AppError;

/// A listener with its placeholders resolved against the configuration.
#[derive(Debug, Clone)]
pub struct ResolvedListener {
    /// The registered definition.
    pub definition: &'static ListenerDefinition,
    /// Topic.
    pub topic: String,
    /// Consumer group.
    pub consumer_group: String,
    /// TAG or SQL92.
    pub selector_type: SelectorType,
    /// Selector expression.
    pub selector_expression: String,
    /// Concurrently or orderly.
    pub consume_mode: ConsumeMode,
    /// Clustering or broadcasting.
    pub message_model: MessageModel,
    /// The listener's own name server, when it has one.
    pub name_server: Option<String>,
    /// Namespace.
    pub namespace: String,
    /// Instance name.
    pub instance_name: String,
}

impl ResolvedListener {
    /// `module::function` of the handler.
    pub fn name(&self) -> String {
        self.definition.qualified_name()
    }

    fn subscription(&self) -> (String, SelectorType, String, MessageModel, ConsumeMode) {
        (
            self.topic.clone(),
            self.selector_type,
            self.selector_expression.clone(),
            self.message_model,
            self.consume_mode,
        )
    }
}

/// Resolves one definition; `Ok(None)` when `rocketmq.consumer.listeners.<group>.<topic>` is
/// false.
pub fn resolve(
    definition: &'static ListenerDefinition,
    config: &Config,
) -> Result<Option<ResolvedListener>, AppError> {
    let name = definition.qualified_name();
    let attrs = &definition.attrs;
    let field = |attr: &str, value: &str| -> Result<String, AppError> {
        Ok(config.resolve(value, &format!("listener `{name}` attribute `{attr}`"))?)
    };
    let listener_error = |reason: String| AppError::Listener {
        listener: name.clone(),
        reason,
    };
    let topic = field("topic", attrs.topic)?;
    let consumer_group = field("consumer_group", attrs.consumer_group)?;
    if topic.is_empty() || consumer_group.is_empty() {
        return Err(listener_error(
            "topic and consumer_group must not be empty".into(),
        ));
    }
    if !config
        .rocketmq()
        .consumer
        .listener_enabled(&consumer_group, &topic)
    {
        tracing::info!(listener = %name, %consumer_group, %topic, "listener switched off by rocketmq.consumer.listeners");
        return Ok(None);
    }
    let tls = field("tls_enable", attrs.tls_enable)?;
    if tls.eq_ignore_ascii_case("true") {
        return Err(listener_error(
            "tls_enable = \"true\": TLS connections are not supported by rmq yet".into(),
        ));
    }
    // Resolved for their errors (an unresolved placeholder stops start-up) even though
    // ACL, trace and access channels are not used yet.
    field("secret_key", attrs.secret_key)?;
    field("customized_trace_topic", attrs.customized_trace_topic)?;
    let channel = field("access_channel", attrs.access_channel)?;
    if !channel.is_empty() && !channel.eq_ignore_ascii_case("LOCAL") {
        tracing::warn!(listener = %name, access_channel = %channel, "access_channel is not honoured: rmq always connects as LOCAL");
    }
    if !field("access_key", attrs.access_key)?.is_empty() {
        tracing::warn!(listener = %name, "access_key is set but ACL signing is not supported yet: requests go unsigned");
    }
    if attrs.enable_msg_trace {
        tracing::warn!(listener = %name, "enable_msg_trace is set but message trace is not supported yet");
    }
    let name_server = Some(field("name_server", attrs.name_server)?).filter(|s| !s.is_empty());
    Ok(Some(ResolvedListener {
        definition,
        topic,
        consumer_group,
        selector_type: attrs.selector_type,
        selector_expression: field("selector_expression", attrs.selector_expression)?,
        consume_mode: attrs.consume_mode,
        message_model: attrs.message_model,
        name_server,
        // rocketmq-spring: an empty attribute falls back to rocketmq.consumer.namespace.
        namespace: match field("namespace", attrs.namespace)? {
            ns if ns.is_empty() => config
                .rocketmq()
                .consumer
                .namespace
                .clone()
                .unwrap_or_default(),
            ns => ns,
        },
        instance_name: field("instance_name", attrs.instance_name)?,
    }))
}

/// Refuses two enabled listeners in one consumer group (RocketMQ allows one consumer per
/// group in a client instance).
pub fn check_groups(listeners: &[ResolvedListener]) -> Result<(), AppError> {
    let mut seen: BTreeMap<&str, &ResolvedListener> = BTreeMap::new();
    for listener in listeners {
        if let Some(first) = seen.insert(&listener.consumer_group, listener) {
            let detail = if first.subscription() != listener.subscription() {
                format!(
                    " with different subscriptions ({} `{}` vs {} `{}`)",
                    first.topic,
                    first.selector_expression,
                    listener.topic,
                    listener.selector_expression
                )
            } else {
                String::new()
            };
            return Err(AppError::GroupConflict {
                group: listener.consumer_group.clone(),
                first: first.name(),
                second: listener.name(),
                detail,
            });
        }
    }
    Ok(())
}

/// One handler call, and its reply when the handler returned a value. A panic is not caught
/// here: the consumer underneath catches it and treats it as a failed call (RECONSUME_LATER,
/// or a suspended queue when orderly).
async fn call(handler: HandlerFn, replier: &Replier, msg: MessageExt) -> Result<(), String> {
    let request = Replier::request_of(&msg);
    match handler(msg).await {
        Ok(Some(body)) => {
            replier.reply(request, body).await;
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Creates, subscribes and starts the push consumer of one listener.
pub async fn start_consumer(
    listener: &ResolvedListener,
    name_server: &str,
    offset_store_dir: Option<&std::path::Path>,
) -> Result<DefaultMqPushConsumer, AppError> {
    let attrs = &listener.definition.attrs;
    let name = listener.name();
    let client = ClientConfig {
        name_server_addr: listener
            .name_server
            .clone()
            .unwrap_or_else(|| name_server.to_owned()),
        instance_name: listener.instance_name.clone(),
        namespace: listener.namespace.clone(),
        ..ClientConfig::default()
    };
    let config = ConsumerConfig {
        consumer_group: listener.consumer_group.clone(),
        message_model: listener.message_model,
        consume_thread_max: usize::try_from(attrs.consume_thread_number.max(1)).unwrap_or(1),
        max_reconsume_times: attrs.max_reconsume_times,
        delay_level_when_next_consume: attrs.delay_level_when_next_consume,
        consume_timeout: Duration::from_secs(
            u64::try_from(attrs.consume_timeout.max(1)).unwrap_or(15) * 60,
        ),
        suspend_current_queue_time_millis: u64::try_from(attrs.suspend_current_queue_time_millis)
            .unwrap_or(1000),
        await_termination: Duration::from_millis(
            u64::try_from(attrs.await_termination_millis_when_shutdown).unwrap_or(1000),
        ),
        instance_name: listener.instance_name.clone(),
        offset_store_dir: offset_store_dir.map(std::path::Path::to_path_buf),
        ..ConsumerConfig::default()
    };
    let handler = listener.definition.handler;
    let replier = Arc::new(Replier::new(&name, client.clone(), attrs.reply_timeout));
    let client_error = |source| AppError::Client {
        what: format!("listener `{name}`"),
        source,
    };
    let consumer = match listener.consume_mode {
        ConsumeMode::Concurrently => {
            let name = name.clone();
            let replier = replier.clone();
            DefaultMqPushConsumer::new(
                client,
                config,
                ListenerFn(move |msgs: Vec<MessageExt>| {
                    let name = name.clone();
                    let replier = replier.clone();
                    async move {
                        for msg in msgs {
                            let id = msg.msg_id();
                            let times = msg.reconsume_times;
                            if let Err(reason) = call(handler, &replier, msg).await {
                                tracing::warn!(listener = %name, msg_id = %id, reconsume_times = times, %reason, "RECONSUME_LATER");
                                return ConsumeConcurrentlyStatus::ReconsumeLater;
                            }
                        }
                        ConsumeConcurrentlyStatus::ConsumeSuccess
                    }
                }),
            )
        }
        ConsumeMode::Orderly => {
            let name = name.clone();
            let replier = replier.clone();
            DefaultMqPushConsumer::new_orderly(
                client,
                config,
                OrderlyListenerFn(move |msg: MessageExt| {
                    let name = name.clone();
                    let replier = replier.clone();
                    async move {
                        let id = msg.msg_id();
                        match call(handler, &replier, msg).await {
                            Ok(()) => ConsumeOrderlyStatus::Success,
                            Err(reason) => {
                                tracing::warn!(listener = %name, msg_id = %id, %reason, "SUSPEND_CURRENT_QUEUE_A_MOMENT");
                                ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
                            }
                        }
                    }
                }),
            )
        }
    }
    .map_err(client_error)?;
    let selector = match listener.selector_type {
        SelectorType::Tag => MessageSelector::by_tag(listener.selector_expression.clone()),
        SelectorType::Sql92 => MessageSelector::sql92(listener.selector_expression.clone()),
    };
    consumer.subscribe_with_selector(&listener.topic, selector);
    consumer.start().await.map_err(client_error)?;
    tracing::info!(
        listener = %name,
        topic = %listener.topic,
        consumer_group = %listener.consumer_group,
        selector = %listener.selector_expression,
        "listener started"
    );
    Ok(consumer)
}
