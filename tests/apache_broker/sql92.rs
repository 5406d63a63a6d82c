//! SQL92 filtering on the Java broker (`enablePropertyFilter=true` in every Apache broker's
//! conf, `rmq-broker/tests/common/apache.rs`): the
//! conformance table's expected answers are Apache's. Each row's message is sent with its
//! properties by rmq's producer, then every expression of the table is pulled with rmq's
//! protocol client (PULL_MESSAGE carrying expressionType SQL92): the rows it delivers must be
//! the table's, and for every other row's message the Java broker and rmq's evaluator must
//! agree. Expressions the table marks invalid must be refused by CHECK_CLIENT_CONFIG (the Java
//! broker's pull ignores an expression it cannot compile and delivers everything; rmq-broker
//! refuses the pull instead).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use rmq::client::Message;
use rmq_core::protocol::body::{CheckClientRequestBody, SubscriptionData};
use rmq_core::protocol::header::{
    PullMessageRequestHeader, PullMessageResponseHeader, PULL_FLAG_SUBSCRIPTION,
};
use rmq_core::protocol::message::MessageExt;
use rmq_core::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rmq_core::remoting::{RemotingClient, UnsupportedHandler};

use crate::support::*;

#[path = "../../rmq-broker/tests/sql92_table/mod.rs"]
mod sql92_table;

use sql92_table::{check_rows, Outcome, CASES, ROW};

const TOPIC: &str = "sql92-table";

async fn pull_all(
    client: &RemotingClient<UnsupportedHandler>,
    broker: &str,
    expr: &str,
) -> Result<Vec<MessageExt>, RemotingCommand> {
    let mut offset = 0;
    let mut out = Vec::new();
    loop {
        let h = PullMessageRequestHeader {
            consumer_group: "sql92-table-group".into(),
            topic: TOPIC.into(),
            queue_id: 0,
            queue_offset: offset,
            max_msg_nums: 32,
            sys_flag: PULL_FLAG_SUBSCRIPTION,
            commit_offset: 0,
            suspend_timeout_millis: 0,
            subscription: Some(expr.into()),
            sub_version: 1,
            expression_type: Some("SQL92".into()),
            max_msg_bytes: None,
        };
        let req = RemotingCommand::request_with_header(RequestCode::PullMessage, &h);
        let resp = client
            .invoke(broker, req, Duration::from_secs(10))
            .await
            .expect("pull answers");
        match ResponseCode::from_code(resp.code) {
            Some(ResponseCode::PullNotFound) => return Ok(out),
            Some(ResponseCode::Success) => {
                out.extend(MessageExt::decode_all(&resp.body).expect("decodes"))
            }
            Some(ResponseCode::PullRetryImmediately) => {}
            _ => return Err(resp),
        }
        let h: PullMessageResponseHeader = resp.decode_header().expect("pull header");
        assert!(
            h.next_begin_offset > offset,
            "{expr:?}: no progress at {offset}"
        );
        offset = h.next_begin_offset;
    }
}

fn check_request(expr: &str) -> RemotingCommand {
    let body = CheckClientRequestBody {
        client_id: "rmq-sql92".into(),
        group: "sql92-table-group".into(),
        subscription_data: Some(SubscriptionData::sql92(TOPIC, expr, 1)),
        namespace: None,
    };
    RemotingCommand::request(RequestCode::CheckClientConfig)
        .with_body(serde_json::to_vec(&body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_table_on_the_java_broker() {
    let ns = ns().await;
    create_topic(TOPIC, 1).await;
    let broker = shared().broker.addr();
    let p = producer(&ns);
    for (i, (_, props, _)) in CASES.iter().enumerate() {
        let mut m = Message::new(TOPIC, format!("row-{i}")).with_property(ROW, i.to_string());
        for (k, v) in props.iter() {
            m = m.with_property(*k, *v);
        }
        p.send(&m).await.unwrap_or_else(|e| panic!("row {i}: {e}"));
    }
    p.shutdown().await;
    let client = RemotingClient::new(Arc::new(UnsupportedHandler));
    let mut failures = Vec::new();
    let exprs: BTreeSet<&str> = CASES.iter().map(|(e, _, _)| *e).collect();
    for expr in exprs {
        let rows: Vec<usize> = (0..CASES.len()).filter(|&i| CASES[i].0 == expr).collect();
        if CASES[rows[0]].2 == Outcome::Invalid {
            let resp = client
                .invoke(&broker, check_request(expr), Duration::from_secs(10))
                .await
                .expect("check answers");
            if resp.code != ResponseCode::SubscriptionParseFailed.code() {
                failures.push(format!(
                    "{expr:?}: CHECK_CLIENT_CONFIG answered {} {:?}, want 23",
                    resp.code, resp.remark
                ));
            }
            continue;
        }
        let got = match pull_all(&client, &broker, expr).await {
            Ok(got) => got,
            Err(resp) => {
                failures.push(format!("{expr:?}: refused {} {:?}", resp.code, resp.remark));
                continue;
            }
        };
        let got_rows: BTreeSet<usize> = got
            .iter()
            .filter_map(|m| m.property(ROW)?.parse().ok())
            .collect();
        check_rows("Java broker", expr, &got_rows, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
