//! `producerConnection`: the connections of a producer group (GET_PRODUCER_CONNECTION_LIST).

use clap::Args;
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

/// Java's `MQVersion.getVersionDesc` for an ordinal (4.0.0 onwards; older ones by number).
fn version_desc(ordinal: i32) -> String {
    if ordinal >= 612 {
        return "HIGHER_VERSION".into();
    }
    if ordinal < 212 {
        return format!("V3 ({ordinal})");
    }
    let idx = (ordinal - 212) / 2;
    let snapshot = if (ordinal - 212) % 2 == 0 {
        "_SNAPSHOT"
    } else {
        ""
    };
    format!(
        "V{}_{}_{}{snapshot}",
        4 + idx / 100,
        idx % 100 / 10,
        idx % 10
    )
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
