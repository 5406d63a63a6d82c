//! `rmq-broker`: run a NameServer, a Broker, or both in one process.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use rmq_broker::dashboard::{serve, DashboardConfig, DashboardHandle};
use rmq_broker::{Broker, BrokerConfig, NameServer};

#[derive(Parser)]
#[command(
    name = "rmq-broker",
    version,
    about = "RocketMQ-compatible NameServer and Broker"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a NameServer.
    Namesrv {
        /// Listen port (0 = ephemeral).
        #[arg(short = 'p', long, default_value_t = 9876)]
        port: u16,
        /// Listen address.
        #[arg(short = 'b', long, default_value = "0.0.0.0")]
        bind: IpAddr,
    },
    /// Run a Broker that registers with the name servers.
    Broker {
        /// broker.conf (Java properties with RocketMQ's keys).
        #[arg(short = 'c', long)]
        config: Option<PathBuf>,
        /// Name server addresses, `host:port;host:port` (overrides namesrvAddr).
        #[arg(short = 'n', long)]
        namesrv_addr: Option<String>,
    },
    /// Run a NameServer and a Broker in one process.
    Standalone {
        /// broker.conf (Java properties with RocketMQ's keys).
        #[arg(short = 'c', long)]
        config: Option<PathBuf>,
        /// NameServer port (0 = ephemeral).
        #[arg(long, default_value_t = 9876)]
        namesrv_port: u16,
    },
    /// Run the web dashboard against any name server (ours or Apache's).
    Dashboard {
        /// Name server addresses, `host:port;host:port`.
        #[arg(short = 'n', long, default_value = "127.0.0.1:9876")]
        namesrv: String,
        /// Listen port (0 = ephemeral).
        #[arg(short = 'p', long, default_value_t = rmq_broker::dashboard::DEFAULT_PORT)]
        port: u16,
        /// Listen address.
        #[arg(short = 'b', long, default_value = "0.0.0.0")]
        bind: IpAddr,
        /// Login user for state-changing calls (with --password).
        #[arg(long)]
        user: Option<String>,
        /// Login password.
        #[arg(long)]
        password: Option<String>,
        /// Refuse every state-changing call.
        #[arg(long)]
        read_only: bool,
    },
}

/// Serves broker.conf's `dashboardPort`, if set, pointed at `namesrv`, with the broker's
/// `/metrics` beside its pages.
async fn broker_dashboard(
    namesrv: &str,
    broker: &Broker,
) -> Result<Option<DashboardHandle>, Box<dyn std::error::Error>> {
    match DashboardConfig::from_broker(&broker.inner().config, namesrv) {
        Some(mut d) => {
            d.extra_routes = Some(broker.metrics_handle().router());
            Ok(Some(serve(d).await?))
        }
        None => Ok(None),
    }
}

fn load_config(path: Option<&PathBuf>) -> Result<BrokerConfig, rmq_broker::ConfigError> {
    match path {
        Some(p) => BrokerConfig::load(p),
        None => Ok(BrokerConfig::default()),
    }
}

/// Listens for SIGTERM and Ctrl-C from the moment it is called (the handlers are installed
/// before it returns), so that a signal that comes while the servers are still starting is
/// not fatal: it stops them once they are up. The returned future completes on the signal.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let streams = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut term, mut int) = streams;
            async fn recv(s: Option<&mut tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = recv(term.as_mut()) => {}
                _ = recv(int.as_mut()) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown signal received");
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let stop = shutdown_signal();
    match cli.command {
        Command::Namesrv { port, bind } => {
            let ns = NameServer::start(SocketAddr::new(bind, port)).await?;
            stop.await;
            ns.shutdown().await;
        }
        Command::Broker {
            config,
            namesrv_addr,
        } => {
            let mut cfg = load_config(config.as_ref())?;
            if let Some(addr) = namesrv_addr {
                cfg.namesrv_addr = Some(addr);
            }
            if cfg.namesrv_addrs().is_empty() {
                tracing::warn!("no name server configured (namesrvAddr or -n): the broker will not be routable");
            }
            let broker = Broker::start(cfg).await?;
            let namesrv = broker
                .inner()
                .config
                .namesrv_addr
                .clone()
                .unwrap_or_default();
            let dashboard = broker_dashboard(&namesrv, &broker).await?;
            stop.await;
            if let Some(d) = dashboard {
                d.shutdown().await;
            }
            broker.shutdown().await;
        }
        Command::Standalone {
            config,
            namesrv_port,
        } => {
            let mut cfg = load_config(config.as_ref())?;
            let ns = NameServer::start(SocketAddr::new(cfg.bind_ip(), namesrv_port)).await?;
            let local_ns = SocketAddr::new(cfg.broker_ip1, ns.addr().port()).to_string();
            cfg.namesrv_addr = Some(match cfg.namesrv_addr.take() {
                Some(other) if !other.is_empty() => format!("{local_ns};{other}"),
                _ => local_ns.clone(),
            });
            let broker = match Broker::start(cfg).await {
                Ok(b) => b,
                Err(e) => {
                    ns.shutdown().await;
                    return Err(e.into());
                }
            };
            let dashboard = broker_dashboard(&local_ns, &broker).await?;
            stop.await;
            if let Some(d) = dashboard {
                d.shutdown().await;
            }
            broker.shutdown().await;
            ns.shutdown().await;
        }
        Command::Dashboard {
            namesrv,
            port,
            bind,
            user,
            password,
            read_only,
        } => {
            let d = serve(DashboardConfig {
                user,
                password,
                read_only,
                ..DashboardConfig::new(SocketAddr::new(bind, port), namesrv)
            })
            .await?;
            println!("dashboard listening on http://{}", d.addr());
            stop.await;
            d.shutdown().await;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_ansi(false)
        .init();
    let cli = Cli::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    match &cli.command {
        // An unreadable file is reported by `run`, with the rest of the configuration.
        Command::Broker { config, .. } | Command::Standalone { config, .. } => {
            let workers = load_config(config.as_ref()).map_or_else(
                |_| BrokerConfig::default().runtime_workers(),
                |c| c.runtime_workers(),
            );
            builder.worker_threads(workers);
        }
        Command::Namesrv { .. } | Command::Dashboard { .. } => {}
    }
    let runtime = match builder.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rmq-broker: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("rmq-broker: {e}");
            ExitCode::FAILURE
        }
    }
}
