//! `clusterList`: the clusters, their brokers, addresses and load (GET_BROKER_RUNTIME_INFO).

use std::collections::BTreeMap;

use clap::Args;
use serde_json::json;

use crate::output::{Report, Table};
use crate::{AdminCliError, Common};

/// `clusterList` flags.
#[derive(Debug, Clone, Args)]
pub struct ClusterListArgs {
    /// Only this cluster.
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: Option<String>,
    /// Print the messages in and out yesterday and today instead of the load.
    #[arg(short = 'm', long = "moreStats")]
    pub more_stats: bool,
}

fn num(t: &BTreeMap<String, String>, k: &str) -> f64 {
    t.get(k).and_then(|v| v.trim().parse().ok()).unwrap_or(0.0)
}

fn int(t: &BTreeMap<String, String>, k: &str) -> i64 {
    t.get(k).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

fn first_tps(t: &BTreeMap<String, String>, k: &str) -> f64 {
    t.get(k)
        .and_then(|v| v.split(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn s<'a>(t: &'a BTreeMap<String, String>, k: &str) -> &'a str {
    t.get(k).map_or("", String::as_str)
}

/// The load columns mqadmin's `clusterList` derives from one broker's runtime info.
fn load_row(t: &BTreeMap<String, String>, now_ms: i64) -> [String; 8] {
    let hour = t
        .get("earliestMessageTimeStamp")
        .and_then(|v| v.parse::<i64>().ok())
        .map_or(0.0, |ts| (now_ms - ts) as f64 / 3_600_000.0);
    [
        s(t, "brokerVersionDesc").to_owned(),
        format!(
            "{:.2}({},{}ms)",
            first_tps(t, "putTps"),
            s(t, "sendThreadPoolQueueSize"),
            s(t, "sendThreadPoolQueueHeadWaitTimeMills")
        ),
        format!(
            "{:.2}({},{}ms|{},{}ms)",
            first_tps(t, "getTransferredTps"),
            s(t, "pullThreadPoolQueueSize"),
            s(t, "pullThreadPoolQueueHeadWaitTimeMills"),
            s(t, "ackThreadPoolQueueSize"),
            s(t, "ackThreadPoolQueueHeadWaitTimeMills")
        ),
        format!(
            "{}-{}({:.1}w, {:.1}, {:.1})",
            int(t, "timerReadBehind"),
            int(t, "timerOffsetBehind"),
            int(t, "timerCongestNum") as f64 / 10000.0,
            num(t, "timerEnqueueTps"),
            num(t, "timerDequeueTps")
        ),
        s(t, "pageCacheLockTimeMills").to_owned(),
        format!("{hour:.2}"),
        format!("{:.4}", num(t, "commitLogDiskRatio")),
        (s(t, "brokerActive") == "true").to_string(),
    ]
}

/// Lists every broker of every cluster (of `-c` only, if given) with its load, or with `-m`
/// the messages in and out yesterday and today.
pub async fn cluster_list(
    common: &Common,
    args: &ClusterListArgs,
) -> Result<Report, AdminCliError> {
    let admin = common.admin()?;
    let result = list(&admin, args).await;
    admin.close().await;
    result
}

async fn list(
    admin: &rmq_core::client::MqAdmin,
    args: &ClusterListArgs,
) -> Result<Report, AdminCliError> {
    let info = admin.cluster_info().await?;
    let mut table = if args.more_stats {
        Table::new([
            "#Cluster Name",
            "#Broker Name",
            "#InTotalYest",
            "#OutTotalYest",
            "#InTotalToday",
            "#OutTotalToday",
        ])
    } else {
        Table::new([
            "#Cluster Name",
            "#Broker Name",
            "#BID",
            "#Addr",
            "#Version",
            "#InTPS(LOAD)",
            "#OutTPS(LOAD)",
            "#Timer(Progress)",
            "#PCWait(ms)",
            "#Hour",
            "#SPACE",
            "#ACTIVATED",
        ])
    };
    let mut rows = Vec::new();
    let now = rmq_core::clock::now_ms();
    for (cluster, names) in &info.cluster_addr_table {
        if args.cluster.as_ref().is_some_and(|c| c != cluster) {
            continue;
        }
        for name in names {
            let Some(data) = info.broker_addr_table.get(name) else {
                continue;
            };
            for (id, addr) in &data.broker_addrs {
                // As mqadmin: a broker that does not answer still gets its row.
                let (rt, error) = match admin.broker_runtime_info(addr).await {
                    Ok(t) => (t, None),
                    Err(e) => (BTreeMap::new(), Some(e.to_string())),
                };
                let mut row =
                    json!({"cluster": cluster, "brokerName": name, "brokerId": id, "addr": addr});
                if args.more_stats {
                    let d = |a: &str, b: &str| int(&rt, a) - int(&rt, b);
                    let cells = [
                        d("msgPutTotalTodayMorning", "msgPutTotalYesterdayMorning"),
                        d("msgGetTotalTodayMorning", "msgGetTotalYesterdayMorning"),
                        d("msgPutTotalTodayNow", "msgPutTotalTodayMorning"),
                        d("msgGetTotalTodayNow", "msgGetTotalTodayMorning"),
                    ];
                    let mut r = vec![cluster.clone(), name.clone()];
                    r.extend(cells.iter().map(i64::to_string));
                    table.row(r);
                    row["inTotalYest"] = json!(cells[0]);
                    row["outTotalYest"] = json!(cells[1]);
                    row["inTotalToday"] = json!(cells[2]);
                    row["outTotalToday"] = json!(cells[3]);
                } else {
                    let load = load_row(&rt, now);
                    let mut r = vec![cluster.clone(), name.clone(), id.to_string(), addr.clone()];
                    r.extend(load.iter().cloned());
                    table.row(r);
                    for (k, v) in [
                        "version",
                        "inTps",
                        "outTps",
                        "timer",
                        "pcWaitMs",
                        "hour",
                        "space",
                        "activated",
                    ]
                    .iter()
                    .zip(load)
                    {
                        row[*k] = json!(v);
                    }
                    row["inTps"] = json!(first_tps(&rt, "putTps"));
                    row["outTps"] = json!(first_tps(&rt, "getTransferredTps"));
                    row["activated"] = json!(s(&rt, "brokerActive") == "true");
                }
                if let Some(e) = error {
                    row["error"] = json!(e);
                }
                rows.push(row);
            }
        }
    }
    Ok(Report::table(&table, json!({ "brokers": rows })))
}
