//! `Application::builder()`: configuration file, profiles, overrides, listener selection.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rmq_broker::{EmbeddedBroker, EmbeddedConfig};
use rmq_core::client::MqAdmin;
use rmq_core::config::{Config, ConfigSource};
use rmq_core::listener::{registered, ListenerDefinition};
use rmq_core::template::RocketMqTemplate;

use super::listeners::{check_groups, resolve, start_consumer};
use super::{check_name_server, pull_consumer, template_producer, AppError, Application};

type ListenerFilter = Arc<dyn Fn(&ListenerDefinition) -> bool + Send + Sync>;

/// Builds an [`Application`] with an explicit configuration.
#[derive(Clone, Default)]
pub struct ApplicationBuilder {
    source: ConfigSource,
    filter: Option<ListenerFilter>,
    no_logging: bool,
    embedded: Option<EmbeddedConfig>,
    offset_store_dir: Option<PathBuf>,
}

impl std::fmt::Debug for ApplicationBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicationBuilder")
            .field("source", &self.source)
            .field("filtered", &self.filter.is_some())
            .finish_non_exhaustive()
    }
}

impl ApplicationBuilder {
    /// Reads this file instead of `./application.yml` (profile files sit next to it).
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = self.source.file(path);
        self
    }

    /// Activates a profile (`application-{profile}.yml`); may be called several times.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.source = self.source.profile(profile);
        self
    }

    /// Sets a dotted key, winning over files and environment:
    /// `.set("rocketmq.name-server", "127.0.0.1:9876")`.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.source = self.source.set(key, value);
        self
    }

    /// Whether environment variables are read (default true).
    pub fn read_env(mut self, read: bool) -> Self {
        self.source = self.source.read_env(read);
        self
    }

    /// Runs only the listeners `keep` accepts (default: every registered listener).
    pub fn listeners(
        mut self,
        keep: impl Fn(&ListenerDefinition) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.filter = Some(Arc::new(keep));
        self
    }

    /// Runs no listener at all (a producer-only application).
    pub fn without_listeners(self) -> Self {
        self.listeners(|_| false)
    }

    /// Leaves logging to the caller (by default a `tracing` subscriber printing INFO, or
    /// `RUST_LOG`, is installed when none is).
    pub fn without_logging(mut self) -> Self {
        self.no_logging = true;
        self
    }

    /// Settings of the embedded broker (used only when `rocketmq.name-server` is absent).
    pub fn embedded_broker(mut self, config: EmbeddedConfig) -> Self {
        self.embedded = Some(config);
        self
    }

    /// Where broadcasting listeners keep their offsets (default `~/.rocketmq_offsets`, like
    /// Java's `rocketmq.client.localOffsetStoreDir`).
    pub fn local_offset_store_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.offset_store_dir = Some(dir.into());
        self
    }

    /// Loads the configuration and starts everything.
    pub async fn start(self) -> Result<Application, AppError> {
        if !self.no_logging {
            init_logging();
        }
        let config = Config::load(&self.source)?;
        let mut listeners = Vec::new();
        for definition in registered() {
            if self.filter.as_ref().is_some_and(|keep| !keep(definition)) {
                continue;
            }
            if let Some(resolved) = resolve(definition, &config)? {
                listeners.push(resolved);
            }
        }
        check_groups(&listeners)?;

        let pull = config
            .rocketmq()
            .pull_consumer
            .or_consumer(&config.rocketmq().consumer);
        if let (Some(group), Some(_)) = (&pull.group, &pull.topic) {
            if let Some(listener) = listeners.iter().find(|l| &l.consumer_group == group) {
                return Err(AppError::GroupConflict {
                    group: group.clone(),
                    first: listener.name(),
                    second: "template.receive's pull consumer".into(),
                    detail: " (rocketmq.pull-consumer.group)".into(),
                });
            }
        }

        let configured = match config.rocketmq().name_server.as_deref() {
            Some(ns) => Some(config.resolve(ns, "rocketmq.name-server")?).filter(|s| !s.is_empty()),
            None => None,
        };
        let api_timeout = Duration::from_millis(config.rocketmq().producer.send_message_timeout);
        let mut own_servers: Vec<&str> = listeners
            .iter()
            .filter_map(|l| l.name_server.as_deref())
            .filter(|ns| Some(*ns) != configured.as_deref())
            .collect();
        own_servers.sort_unstable();
        own_servers.dedup();
        for ns in own_servers {
            check_name_server(ns, api_timeout).await?;
        }
        let (name_server, embedded) = match configured {
            Some(ns) => {
                check_name_server(&ns, api_timeout).await?;
                tracing::info!(name_server = %ns, "using the configured name server");
                (ns, None)
            }
            None => {
                let broker =
                    EmbeddedBroker::start_with(self.embedded.clone().unwrap_or_default()).await?;
                let ns = broker.namesrv_addr().to_string();
                tracing::info!(
                    name_server = %ns,
                    broker = %broker.broker_addr(),
                    "rocketmq.name-server is not set: started the embedded broker"
                );
                (ns, Some(broker))
            }
        };
        let template =
            match build_template(&config, &name_server, self.offset_store_dir.as_deref()).await {
                Ok(template) => template,
                Err(e) => {
                    if let Some(embedded) = embedded {
                        embedded.shutdown().await;
                    }
                    return Err(e);
                }
            };
        if let Err(e) =
            super::transactions::start_transaction_producers(&config, &name_server, &template).await
        {
            template.shutdown_transaction_producers().await;
            template.producer().shutdown().await;
            if let Some(embedded) = embedded {
                embedded.shutdown().await;
            }
            return Err(e);
        }
        let mut app = Application {
            template,
            config,
            name_server,
            embedded,
            consumers: Vec::new(),
            dashboard: None,
        };
        if let Err(e) = app
            .start_listeners(listeners, self.offset_store_dir.as_deref())
            .await
        {
            app.shutdown().await;
            return Err(e);
        }
        match super::start_dashboard(&app.config, &app.name_server, app.embedded.as_ref()).await {
            Ok(d) => app.dashboard = d,
            Err(e) => {
                app.shutdown().await;
                return Err(e);
            }
        }
        Ok(app)
    }
}

async fn build_template(
    config: &Config,
    name_server: &str,
    offset_store_dir: Option<&std::path::Path>,
) -> Result<RocketMqTemplate, AppError> {
    let producer = template_producer(config, name_server)?;
    Ok(
        match pull_consumer(config, name_server, offset_store_dir).await? {
            Some((consumer, poll_timeout)) => {
                RocketMqTemplate::with_pull_consumer(producer, consumer, poll_timeout)
            }
            None => RocketMqTemplate::new(producer),
        },
    )
}

impl Application {
    async fn start_listeners(
        &mut self,
        listeners: Vec<super::ResolvedListener>,
        offset_store_dir: Option<&std::path::Path>,
    ) -> Result<(), AppError> {
        if self.embedded.is_some() {
            // A little better than auto-creation on first send: the listeners' topics exist
            // before anything is sent, so consumers get their queues at once.
            let admin = MqAdmin::new(rmq_core::client::ClientConfig {
                name_server_addr: self.name_server.clone(),
                ..Default::default()
            })
            .map_err(|source| AppError::Client {
                what: "the embedded broker's admin".into(),
                source,
            })?;
            for listener in &listeners {
                if let Err(e) = admin.create_topic(&listener.topic, 4).await {
                    tracing::warn!(topic = %listener.topic, error = %e, "cannot create the topic; it will be auto-created on first send");
                }
            }
            admin.close().await;
        }
        for listener in listeners {
            let consumer = start_consumer(&listener, &self.name_server, offset_store_dir).await?;
            self.consumers.push((listener, consumer));
        }
        Ok(())
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Another subscriber may already be installed (tests, the caller's own setup): keep it.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
