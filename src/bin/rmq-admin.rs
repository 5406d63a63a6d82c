//! `rmq-admin`: Apache RocketMQ's `mqadmin` for rmq, over the remoting protocol only — it works
//! against rmq-broker, the embedded broker and any Apache RocketMQ 4.x/5.x cluster.
//!
//! ```text
//! rmq-admin clusterList -n 127.0.0.1:9876
//! NAMESRV_ADDR=127.0.0.1:9876 rmq-admin clusterList --json
//! ```
//!
//! Sub-commands and flags carry mqadmin's names (`-n/--namesrvAddr`, else `NAMESRV_ADDR`).
//! Each prints a table with mqadmin's columns, or one JSON document with `--json`. A wrong flag,
//! an unreachable name server or a refused request prints one line on stderr and exits non-zero.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[path = "rmq_admin/broker.rs"]
mod broker;
#[path = "rmq_admin/cluster.rs"]
mod cluster;
#[path = "rmq_admin/consumer.rs"]
mod consumer;
#[path = "rmq_admin/message.rs"]
mod message;
#[path = "rmq_admin/output.rs"]
mod output;
#[path = "rmq_admin/producer.rs"]
mod producer;
#[path = "rmq_admin/send.rs"]
mod send;
#[path = "rmq_admin/subscription.rs"]
mod subscription;
#[path = "rmq_admin/time.rs"]
mod time;
#[path = "rmq_admin/topic.rs"]
mod topic;

use output::Report;

/// Options every sub-command takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Name server address(es), `host:port[;host:port]`; else `NAMESRV_ADDR`.
    #[arg(short = 'n', long = "namesrvAddr", global = true)]
    pub namesrv: Option<String>,
    /// Print one JSON document instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Parser)]
#[command(
    name = "rmq-admin",
    version,
    about = "mqadmin for rmq: administer a RocketMQ cluster"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// mqadmin's sub-commands, with their names.
#[derive(Debug, Subcommand)]
#[command(rename_all = "camelCase")]
enum Command {
    /// List the clusters, their brokers and the brokers' load.
    ClusterList(cluster::ClusterListArgs),
    /// Fetch broker runtime status data.
    BrokerStatus(broker::BrokerStatusArgs),
    /// Get broker config by cluster or special broker.
    GetBrokerConfig(broker::GetBrokerConfigArgs),
    /// Update broker's config.
    UpdateBrokerConfig(broker::UpdateBrokerConfigArgs),
    /// Fetch all topic list from name server.
    TopicList(topic::TopicListArgs),
    /// Examine topic route info.
    TopicRoute(topic::TopicRouteArgs),
    /// Examine topic Status info.
    TopicStatus(topic::TopicStatusArgs),
    /// Update or create topic.
    UpdateTopic(topic::UpdateTopicArgs),
    /// Delete topic from broker and NameServer.
    DeleteTopic(topic::DeleteTopicArgs),
    /// Query producer's socket connection and client version.
    ProducerConnection(producer::ProducerConnectionArgs),
    /// A consumer group's progress per queue (broker offset, consumer offset, diff).
    ConsumerProgress(consumer::ConsumerProgressArgs),
    /// A consumer group's online clients and subscriptions.
    ConsumerConnection(consumer::ConsumerConnectionArgs),
    /// Reset a group's offsets on a topic to a point in time.
    ResetOffsetByTime(consumer::ResetOffsetByTimeArgs),
    /// Create or update a subscription group.
    UpdateSubGroup(subscription::UpdateSubGroupArgs),
    /// Delete a subscription group.
    DeleteSubGroup(subscription::DeleteSubGroupArgs),
    /// Show a message by id (and which groups consumed it), or have a client consume it.
    QueryMsgById(message::QueryMsgByIdArgs),
    /// Find messages by key.
    QueryMsgByKey(message::QueryMsgByKeyArgs),
    /// Show the message at a queue offset.
    QueryMsgByOffset(message::QueryMsgByOffsetArgs),
    /// Send one message.
    SendMessage(send::SendMessageArgs),
    /// Pull and print messages of a topic (commits nothing).
    ConsumeMessage(send::ConsumeMessageArgs),
}

/// Why a sub-command failed: printed on one line.
#[derive(Debug, thiserror::Error)]
pub enum AdminCliError {
    /// No name server given.
    #[error("no name server: pass -n host:port or set NAMESRV_ADDR")]
    NoNameServer,
    /// A flag's value is wrong.
    #[error("{0}")]
    Usage(String),
    /// The client failed (unreachable name server, refused request, ...).
    #[error(transparent)]
    Client(#[from] rmq_core::client::ClientError),
}

impl Common {
    /// An admin client on the name server.
    pub fn admin(&self) -> Result<rmq_core::client::MqAdmin, AdminCliError> {
        Ok(rmq_core::client::MqAdmin::new(self.client_config()?)?)
    }

    /// Client settings pointing at the name server.
    pub fn client_config(&self) -> Result<rmq_core::client::ClientConfig, AdminCliError> {
        let from_env = std::env::var("NAMESRV_ADDR").ok();
        let ns = self
            .namesrv
            .as_deref()
            .or(from_env.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(AdminCliError::NoNameServer)?;
        Ok(rmq_core::client::ClientConfig {
            name_server_addr: ns.to_owned(),
            ..Default::default()
        })
    }
}

async fn run(cli: Cli) -> Result<Report, AdminCliError> {
    let common = &cli.common;
    match &cli.command {
        Command::ClusterList(a) => cluster::cluster_list(common, a).await,
        Command::BrokerStatus(a) => broker::broker_status(common, a).await,
        Command::GetBrokerConfig(a) => broker::get_broker_config(common, a).await,
        Command::UpdateBrokerConfig(a) => broker::update_broker_config(common, a).await,
        Command::TopicList(a) => topic::topic_list(common, a).await,
        Command::TopicRoute(a) => topic::topic_route(common, a).await,
        Command::TopicStatus(a) => topic::topic_status(common, a).await,
        Command::UpdateTopic(a) => topic::update_topic(common, a).await,
        Command::DeleteTopic(a) => topic::delete_topic(common, a).await,
        Command::ProducerConnection(a) => producer::producer_connection(common, a).await,
        Command::ConsumerProgress(a) => consumer::consumer_progress(common, a).await,
        Command::ConsumerConnection(a) => consumer::consumer_connection(common, a).await,
        Command::ResetOffsetByTime(a) => consumer::reset_offset_by_time(common, a).await,
        Command::UpdateSubGroup(a) => subscription::update_sub_group(common, a).await,
        Command::DeleteSubGroup(a) => subscription::delete_sub_group(common, a).await,
        Command::QueryMsgById(a) => message::query_msg_by_id(common, a).await,
        Command::QueryMsgByKey(a) => message::query_msg_by_key(common, a).await,
        Command::QueryMsgByOffset(a) => message::query_msg_by_offset(common, a).await,
        Command::SendMessage(a) => send::send_message(common, a).await,
        Command::ConsumeMessage(a) => send::consume_message(common, a).await,
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::from(
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        2
                    } else {
                        0
                    },
                );
            }
            // One line: clap's first line ("error: unexpected argument '--x' found").
            let text = e.render().to_string();
            eprintln!(
                "rmq-admin: {}",
                text.lines()
                    .next()
                    .unwrap_or("invalid arguments")
                    .trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    let json = cli.common.json;
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rmq-admin: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(report) => {
            report.print(json);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rmq-admin: {}", e.to_string().replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
