//! `producerConnection`: the connections of a producer group (GET_PRODUCER_CONNECTION_LIST).

use clap::Args;
use rmq_core::protocol::version_desc;
use serde_json::json;

use crate::output::Report;
use crate::{AdminCliError, Common};

/// `producerConnection` flags.
#[derive(Debug, Clone, Args)]
pub struct ProducerConnectionArgs {
    /// Producer group.
    #[arg(short = 'g', long = "producerGroup")]
    pub group: String,
    /// A topic the group sends to (its brokers are asked).
    #[arg(short = 't', long = "topic")]
    pub topic: String,
}

/// One line per connection: `NNNN  clientId  addr  language  version`, as mqadmin.
pub async fn producer_connection(
    common: &Common,
    args: &ProducerConnectionArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let conns = admin
        .producer_connection(args.group.trim(), args.topic.trim())
        .await;
    admin.close().await;
    let conns = conns?;
    let mut text = String::new();
    let mut rows = Vec::new();
    for (i, c) in conns.iter().enumerate() {
        let version = version_desc(c.version);
        text.push_str(&format!(
            "{:04}  {:<32} {:<22} {:<8} {version}\n",
            i + 1,
            c.client_id,
            c.client_addr,
            c.language
        ));
        rows.push(json!({"clientId": c.client_id, "clientAddr": c.client_addr, "language": c.language, "version": version}));
    }
    Ok(Report {
        text,
        json: json!({ "group": args.group, "connections": rows }),
    })
}
