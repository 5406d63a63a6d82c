//! `Application`: the Spring Boot-style runtime. It loads `application.yml`, starts the
//! embedded broker when no name server is configured, builds the template's producer and one
//! push consumer per enabled `#[rocketmq_listener]`, and stops them all in order.

mod builder;
mod error;
mod listeners;
mod reply;
mod transactions;

use std::time::Duration;

use rmq_broker::EmbeddedBroker;
use std::sync::Arc;

use rmq_core::client::consumer::{LitePullConsumerConfig, MessageSelector};
use rmq_core::client::{
    ClientConfig, DefaultLitePullConsumer, DefaultMqProducer, DefaultMqPushConsumer, MqAdmin,
    ProducerConfig,
};
use rmq_core::config::{Config, MessageModelName, SelectorTypeName};
use rmq_core::protocol::body::MessageModel;
use rmq_core::template::RocketMqTemplate;

pub use builder::ApplicationBuilder;
pub use error::AppError;
pub use listeners::ResolvedListener;

/// A running rmq application.
///
/// ```no_run
/// # async fn demo() -> Result<(), rmq::AppError> {
/// let app = rmq::Application::start().await?; // ./application.yml (+ profile, env)
/// let result = app.template().sync_send("boot-test", "Hello, World!").await;
/// app.run_until_shutdown().await?;            // Ctrl-C / SIGTERM
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Application {
    config: Config,
    name_server: String,
    embedded: Option<EmbeddedBroker>,
    template: RocketMqTemplate,
    consumers: Vec<(ResolvedListener, DefaultMqPushConsumer)>,
    dashboard: Option<rmq_broker::dashboard::DashboardHandle>,
}

impl Application {
    /// Starts with `./application.yml`, the active profiles and the environment.
    pub async fn start() -> Result<Application, AppError> {
        ApplicationBuilder::default().start().await
    }

    /// A builder: explicit config file, profiles, overrides, listener selection.
    pub fn builder() -> ApplicationBuilder {
        ApplicationBuilder::default()
    }

    /// The template (a cheap clone sharing the application's producer).
    pub fn template(&self) -> RocketMqTemplate {
        self.template.clone()
    }

    /// The loaded configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The name server in use (the embedded one's address when it runs).
    pub fn name_server(&self) -> &str {
        &self.name_server
    }

    /// The embedded broker, when `rocketmq.name-server` was absent.
    pub fn embedded_broker(&self) -> Option<&EmbeddedBroker> {
        self.embedded.as_ref()
    }

    /// The web dashboard's address, when `rocketmq.dashboard.enabled` is true.
    pub fn dashboard_addr(&self) -> Option<std::net::SocketAddr> {
        self.dashboard.as_ref().map(|d| d.addr())
    }

    /// The listeners that run, with their resolved names.
    pub fn listeners(&self) -> impl Iterator<Item = &ResolvedListener> {
        self.consumers.iter().map(|(l, _)| l)
    }

    /// The push consumer of a listener's consumer group.
    pub fn consumer(&self, consumer_group: &str) -> Option<&DefaultMqPushConsumer> {
        self.consumers
            .iter()
            .find(|(l, _)| l.consumer_group == consumer_group)
            .map(|(_, c)| c)
    }

    /// Waits for Ctrl-C or SIGTERM, then shuts down.
    pub async fn run_until_shutdown(self) -> Result<(), AppError> {
        wait_for_signal().await?;
        tracing::info!("shutdown signal received");
        self.shutdown().await;
        Ok(())
    }

    /// Stops the listeners (offsets committed), the template's clients and the embedded
    /// broker, in that order.
    pub async fn shutdown(mut self) {
        if let Some(dashboard) = self.dashboard.take() {
            dashboard.shutdown().await;
        }
        for (listener, consumer) in &self.consumers {
            consumer.shutdown().await;
            tracing::info!(listener = %listener.name(), "listener stopped");
        }
        if let Some(pull) = self.template.pull_consumer() {
            pull.shutdown().await;
        }
        self.template.shutdown_transaction_producers().await;
        self.template.producer().shutdown().await;
        if let Some(embedded) = self.embedded {
            embedded.shutdown().await;
            tracing::info!("embedded broker stopped");
        }
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> Result<(), AppError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(AppError::Signal)?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map_err(AppError::Signal),
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> Result<(), AppError> {
    tokio::signal::ctrl_c().await.map_err(AppError::Signal)
}

/// Serves the dashboard of `rocketmq.dashboard.*` pointed at `name_server`, when enabled
/// (with the embedded broker's `/metrics`, when it runs).
async fn start_dashboard(
    config: &Config,
    name_server: &str,
    embedded: Option<&EmbeddedBroker>,
) -> Result<Option<rmq_broker::dashboard::DashboardHandle>, AppError> {
    use rmq_broker::dashboard::{serve, DashboardConfig};
    let d = &config.rocketmq().dashboard;
    if !d.enabled {
        return Ok(None);
    }
    let ip: std::net::IpAddr = d
        .address
        .parse()
        .map_err(|_| rmq_broker::dashboard::DashboardError::Address(d.address.clone()))?;
    let handle = serve(DashboardConfig {
        user: d.username.clone(),
        password: d.password.clone(),
        read_only: d.read_only,
        // Beside the embedded broker, the dashboard also serves its `/metrics`.
        extra_routes: embedded
            .and_then(|e| e.broker())
            .map(|b| b.metrics_handle().router()),
        ..DashboardConfig::new(std::net::SocketAddr::new(ip, d.port), name_server)
    })
    .await?;
    tracing::info!(addr = %handle.addr(), "dashboard started");
    Ok(Some(handle))
}

/// Checks that at least one of `addrs` (`a:9876;b:9876`) answers a name server request.
async fn check_name_server(addrs: &str, timeout: Duration) -> Result<(), AppError> {
    let client = ClientConfig {
        name_server_addr: addrs.to_owned(),
        mq_client_api_timeout: timeout,
        ..ClientConfig::default()
    };
    let admin = MqAdmin::new(client).map_err(|e| AppError::NameServerUnreachable {
        addr: addrs.to_owned(),
        reason: e.to_string(),
    })?;
    let result = admin.cluster_info().await;
    admin.close().await;
    result
        .map(|_| ())
        .map_err(|e| AppError::NameServerUnreachable {
            addr: addrs.to_owned(),
            reason: e.to_string(),
        })
}

fn producer_config(config: &Config) -> (ClientConfig, ProducerConfig) {
    let p = &config.rocketmq().producer;
    let client = ClientConfig {
        instance_name: p.instance_name.clone(),
        namespace: p.namespace.clone().unwrap_or_default(),
        ..ClientConfig::default()
    };
    let producer = ProducerConfig {
        producer_group: p
            .group
            .clone()
            .unwrap_or_else(|| "DEFAULT_PRODUCER".to_owned()),
        send_msg_timeout: Duration::from_millis(p.send_message_timeout),
        compress_msg_body_over_howmuch: p.compress_message_body_threshold,
        max_message_size: p.max_message_size,
        retry_times_when_send_failed: p.retry_times_when_send_failed,
        retry_times_when_send_async_failed: p.retry_times_when_send_async_failed,
        retry_another_broker_when_not_store_ok: p.retry_next_server,
        ..ProducerConfig::default()
    };
    (client, producer)
}

/// The lite pull consumer behind `template.receive`, when `rocketmq.pull-consumer` (or
/// rocketmq-spring's `rocketmq.consumer`) names a group and a topic.
async fn pull_consumer(
    config: &Config,
    name_server: &str,
    offset_store_dir: Option<&std::path::Path>,
) -> Result<Option<(Arc<DefaultLitePullConsumer>, Duration)>, AppError> {
    let rmq = config.rocketmq();
    let pull = rmq.pull_consumer.or_consumer(&rmq.consumer);
    let (Some(group), Some(topic)) = (pull.group.clone(), pull.topic.clone()) else {
        return Ok(None);
    };
    let message_model = match pull.message_model {
        MessageModelName::Clustering => MessageModel::Clustering,
        MessageModelName::Broadcasting => MessageModel::Broadcasting,
    };
    let selector = match pull.selector_type {
        SelectorTypeName::Tag => MessageSelector::by_tag(pull.selector_expression.clone()),
        SelectorTypeName::Sql92 => MessageSelector::sql92(pull.selector_expression.clone()),
    };
    if pull.tls_enable {
        return Err(AppError::Unsupported(
            "rocketmq.pull-consumer.tls-enable: TLS connections are not supported by rmq yet"
                .into(),
        ));
    }
    let client = ClientConfig {
        name_server_addr: name_server.to_owned(),
        instance_name: pull.instance_name.clone(),
        namespace: pull.namespace.clone().unwrap_or_default(),
        ..ClientConfig::default()
    };
    let lite = LitePullConsumerConfig {
        consumer_group: group.clone(),
        message_model,
        pull_batch_size: pull.pull_batch_size.max(1),
        instance_name: pull.instance_name.clone(),
        offset_store_dir: offset_store_dir.map(std::path::Path::to_path_buf),
        ..LitePullConsumerConfig::default()
    };
    let poll_timeout = lite.poll_timeout;
    let client_error = |source| AppError::Client {
        what: format!("the pull consumer of group {group}"),
        source,
    };
    let consumer = DefaultLitePullConsumer::with_config(client, lite).map_err(client_error)?;
    consumer
        .subscribe_with_selector(&topic, selector)
        .map_err(client_error)?;
    consumer.start().await.map_err(client_error)?;
    tracing::info!(%group, %topic, "pull consumer for template.receive started");
    Ok(Some((Arc::new(consumer), poll_timeout)))
}

fn template_producer(config: &Config, name_server: &str) -> Result<DefaultMqProducer, AppError> {
    let p = &config.rocketmq().producer;
    if p.tls_enable {
        return Err(AppError::Unsupported(
            "rocketmq.producer.tls-enable: TLS connections are not supported by rmq yet".into(),
        ));
    }
    if p.access_key.as_deref().is_some_and(|k| !k.is_empty()) {
        tracing::warn!("rocketmq.producer.access-key is set but ACL signing is not supported yet: requests go unsigned");
    }
    if p.enable_msg_trace {
        tracing::warn!(
            "rocketmq.producer.enable-msg-trace is set but message trace is not supported yet"
        );
    }
    if let Some(channel) = config
        .rocketmq()
        .access_channel
        .as_deref()
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("LOCAL"))
    {
        tracing::warn!(%channel, "rocketmq.access-channel is not honoured: rmq always connects as LOCAL");
    }
    let (mut client, producer) = producer_config(config);
    client.name_server_addr = name_server.to_owned();
    DefaultMqProducer::new(client, producer).map_err(|source| AppError::Client {
        what: "the template's producer".into(),
        source,
    })
}
