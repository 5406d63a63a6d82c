//! SQL92 property filtering on the embedded broker over real sockets: the conformance table
//! (the answers Apache's broker gives, `tests/apache_broker/sql92.rs`), held pulls woken only
//! by matching messages, CHECK_CLIENT_CONFIG, heartbeat-registered expressions, and
//! `enablePropertyFilter=false`.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use rmq_broker::EmbeddedConfig;
use rmq_core::protocol::body::{
    CheckClientRequestBody, ConsumerData, HeartbeatData, SubscriptionData,
};
use rmq_core::protocol::header::*;
use rmq_core::protocol::{RemotingCommand, RequestCode, ResponseCode};
mod fixture;

mod sql92_table;

use fixture::{msgs, Fixture, T};
use sql92_table::{check_rows, Outcome, CASES, ROW};

fn sql_pull_request(
    group: &str,
    topic: &str,
    offset: i64,
    expr: &str,
    suspend_ms: i64,
    flag: bool,
) -> RemotingCommand {
    let h = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id: 0,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: if flag { PULL_FLAG_SUBSCRIPTION } else { 0 }
            | if suspend_ms > 0 { PULL_FLAG_SUSPEND } else { 0 },
        commit_offset: 0,
        suspend_timeout_millis: suspend_ms,
        subscription: Some(expr.into()),
        sub_version: 0,
        expression_type: Some("SQL92".into()),
        max_msg_bytes: None,
    };
    RemotingCommand::request_with_header(RequestCode::PullMessage, &h)
}

/// Pulls queue 0 of `topic` from 0 to its end with `expr`: the messages' properties, or the
/// refusal.
async fn pull_all(
    f: &Fixture,
    topic: &str,
    expr: &str,
) -> Result<Vec<HashMap<String, String>>, RemotingCommand> {
    let mut offset = 0;
    let mut out = Vec::new();
    loop {
        let resp = f
            .call(
                &f.broker(),
                sql_pull_request("sqlG", topic, offset, expr, 0, true),
            )
            .await;
        let code = ResponseCode::from_code(resp.code);
        let code = code.unwrap_or(ResponseCode::SystemError);
        if code == ResponseCode::PullNotFound {
            return Ok(out);
        }
        if code != ResponseCode::Success && code != ResponseCode::PullRetryImmediately {
            return Err(resp);
        }
        out.extend(msgs(&resp).into_iter().map(|m| m.properties));
        let h: PullMessageResponseHeader = resp.decode_header().expect("pull header");
        assert!(
            h.next_begin_offset > offset,
            "pull made no progress at {offset}"
        );
        offset = h.next_begin_offset;
    }
}

#[tokio::test]
async fn conformance_table_on_rmq_broker() {
    let f = Fixture::start().await;
    let topic = "sql92-table";
    for (i, (_, props, _)) in CASES.iter().enumerate() {
        let row = i.to_string();
        let mut p: Vec<(&str, &str)> = props.to_vec();
        p.push((ROW, &row));
        let r = f.send(topic, 0, b"m", &p).await;
        assert_eq!(r.code, 0, "{:?}", r.remark);
    }
    let mut failures = Vec::new();
    let exprs: BTreeSet<&str> = CASES.iter().map(|(e, _, _)| *e).collect();
    for expr in exprs {
        let rows: Vec<usize> = (0..CASES.len()).filter(|&i| CASES[i].0 == expr).collect();
        let invalid = CASES[rows[0]].2 == Outcome::Invalid;
        match pull_all(&f, topic, expr).await {
            Err(resp) => {
                let remark = resp.remark.clone().unwrap_or_default();
                if !invalid {
                    failures.push(format!("{expr:?}: refused {} {remark}", resp.code));
                } else if resp.code != ResponseCode::SubscriptionParseFailed.code()
                    || !remark.contains("column")
                {
                    failures.push(format!(
                        "{expr:?}: refused with {} {remark:?}, want 23 naming a column",
                        resp.code
                    ));
                }
            }
            Ok(got) => {
                if invalid {
                    failures.push(format!(
                        "{expr:?}: accepted, want SUBSCRIPTION_PARSE_FAILED"
                    ));
                    continue;
                }
                let got_rows: BTreeSet<usize> = got
                    .iter()
                    .filter_map(|p| p.get(ROW)?.parse().ok())
                    .collect();
                check_rows("rmq-broker", expr, &got_rows, &mut failures);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn bad_expression_is_refused_naming_the_token() {
    let f = Fixture::start().await;
    f.send("sql92-bad", 0, b"m", &[("a", "1")]).await;
    let resp = pull_all(&f, "sql92-bad", "a = 1 AND AND b = 2")
        .await
        .unwrap_err();
    assert_eq!(resp.code, ResponseCode::SubscriptionParseFailed.code());
    let remark = resp.remark.unwrap_or_default();
    assert!(remark.contains("\"AND\" at column 11"), "{remark}");
    // A property of the wrong type is no match, not an error.
    assert_eq!(pull_all(&f, "sql92-bad", "a > 0").await.unwrap().len(), 1);
    f.send("sql92-bad", 0, b"m", &[("a", "x")]).await;
    assert_eq!(pull_all(&f, "sql92-bad", "a > 0").await.unwrap().len(), 1);
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn held_pull_is_answered_with_matching_messages_only() {
    let f = Fixture::start().await;
    let topic = "sql92-hold";
    f.wait_route("TBW102").await;
    // Creates the topic; queue 0 stays empty.
    f.send(topic, 1, b"probe", &[("a", "0")]).await;
    let addr = f.broker();
    let held = f.client.invoke(
        &addr,
        sql_pull_request("holdG", topic, 0, "a > 5", 8000, true),
        T + Duration::from_secs(8),
    );
    tokio::pin!(held);
    // The pull reaches the broker and is held.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut held)
            .await
            .is_err(),
        "answered before any message"
    );
    f.send(topic, 0, b"small", &[("a", "1")]).await;
    f.send(topic, 0, b"big", &[("a", "9")]).await;
    let resp = tokio::time::timeout(T, held)
        .await
        .expect("woken")
        .expect("answer");
    // Woken by the non-matching message's queue growth (PULL_RETRY_IMMEDIATELY past it) or by
    // the matching one: never with the non-matching message.
    let bodies: Vec<_> = msgs(&resp).iter().map(|m| m.body.clone()).collect();
    if resp.code == 0 {
        assert_eq!(bodies, vec![bytes::Bytes::from("big")]);
    } else {
        assert_eq!(
            resp.code,
            ResponseCode::PullRetryImmediately.code(),
            "{:?}",
            resp.remark
        );
        let h: PullMessageResponseHeader = resp.decode_header().unwrap();
        assert!(h.next_begin_offset >= 1);
        let again = f
            .call(
                &addr,
                sql_pull_request("holdG", topic, h.next_begin_offset, "a > 5", 0, true),
            )
            .await;
        let bodies: Vec<_> = msgs(&again).iter().map(|m| m.body.clone()).collect();
        assert_eq!(bodies, vec![bytes::Bytes::from("big")]);
    }
    f.embedded.shutdown().await;
}

fn check_request(expr: &str, ty: &str) -> RemotingCommand {
    let body = CheckClientRequestBody {
        client_id: "c1".into(),
        group: "checkG".into(),
        subscription_data: Some(SubscriptionData {
            topic: "t".into(),
            sub_string: expr.into(),
            expression_type: ty.into(),
            ..Default::default()
        }),
        namespace: None,
    };
    RemotingCommand::request(RequestCode::CheckClientConfig)
        .with_body(bytes::Bytes::from(serde_json::to_vec(&body).unwrap()))
}

#[tokio::test]
async fn check_client_config_answers_like_java() {
    let f = Fixture::start().await;
    let ok = f.call(&f.broker(), check_request("a > 5", "SQL92")).await;
    assert_eq!(ok.code, 0, "{:?}", ok.remark);
    let tag = f
        .call(&f.broker(), check_request("TagA || TagB", "TAG"))
        .await;
    assert_eq!(tag.code, 0);
    let bad = f.call(&f.broker(), check_request("a > 'x'", "SQL92")).await;
    assert_eq!(bad.code, ResponseCode::SubscriptionParseFailed.code());
    assert!(bad
        .remark
        .unwrap_or_default()
        .contains("'x' cannot be compared"));
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn property_filter_disabled_refuses_sql92_like_java() {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.enable_property_filter = false;
    let f = Fixture::start_with(cfg).await;
    f.send("sql92-off", 0, b"m", &[("a", "1")]).await;
    let resp = pull_all(&f, "sql92-off", "a = 1").await.unwrap_err();
    assert_eq!(resp.code, ResponseCode::SystemError.code());
    assert!(resp
        .remark
        .unwrap_or_default()
        .contains("does not support consumer to filter message by SQL92"));
    let check = f.call(&f.broker(), check_request("a = 1", "SQL92")).await;
    assert_eq!(check.code, ResponseCode::SystemError.code());
    // TAG subscriptions are unaffected.
    assert_eq!(f.pull("g", "sql92-off", 0, 0, "*", 0).await.code, 0);
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn heartbeat_registered_expression_filters_pulls_without_one() {
    let f = Fixture::start().await;
    let topic = "sql92-hb";
    for a in ["1", "7"] {
        f.send(topic, 0, a.as_bytes(), &[("a", a)]).await;
    }
    let hb = HeartbeatData {
        client_id: "hb-client".into(),
        consumer_data_set: vec![ConsumerData {
            group_name: "hbG".into(),
            subscription_data_set: vec![SubscriptionData::sql92(topic, "a > 5", 1)],
            ..Default::default()
        }],
        ..Default::default()
    };
    let resp = f
        .call(
            &f.broker(),
            RemotingCommand::request(RequestCode::HeartBeat)
                .with_body(bytes::Bytes::from(serde_json::to_vec(&hb).unwrap())),
        )
        .await;
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    // No subscription flag: the registered expression filters.
    let resp = f
        .call(&f.broker(), sql_pull_request("hbG", topic, 0, "", 0, false))
        .await;
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    let bodies: Vec<_> = msgs(&resp).iter().map(|m| m.body.clone()).collect();
    assert_eq!(bodies, vec![bytes::Bytes::from("7")]);
    // A bad registered expression: the heartbeat is accepted (as Java), the pull refused.
    let mut hb = hb;
    hb.consumer_data_set[0].subscription_data_set = vec![SubscriptionData::sql92(topic, "a >", 2)];
    let resp = f
        .call(
            &f.broker(),
            RemotingCommand::request(RequestCode::HeartBeat)
                .with_body(bytes::Bytes::from(serde_json::to_vec(&hb).unwrap())),
        )
        .await;
    assert_eq!(resp.code, 0);
    let resp = f
        .call(&f.broker(), sql_pull_request("hbG", topic, 0, "", 0, false))
        .await;
    assert_eq!(
        resp.code,
        ResponseCode::SubscriptionParseFailed.code(),
        "{:?}",
        resp.remark
    );
    f.embedded.shutdown().await;
}

/// Benchmark, not a timed test: pulls the same 4096 messages (all matching) with an exact TAG
/// subscription and with a 3-term SQL92 one, alternated, and prints the median time of each.
/// `cargo test --release -p rmq-broker --test embedded_sql92 -- --ignored --nocapture`
#[tokio::test]
#[ignore = "benchmark"]
async fn pull_throughput_tag_vs_sql92() {
    let f = Fixture::start().await;
    let topic = "sql92-bench";
    let body = vec![b'x'; 1024];
    for i in 0..4096 {
        let a = (10 + i % 90).to_string();
        f.send(
            topic,
            0,
            &body,
            &[("TAGS", "TagA"), ("a", &a), ("region", "eu")],
        )
        .await;
    }
    let pull_tag = |offset: i64| {
        let h = PullMessageRequestHeader {
            consumer_group: "benchG".into(),
            topic: topic.into(),
            queue_id: 0,
            queue_offset: offset,
            max_msg_nums: 32,
            sys_flag: PULL_FLAG_SUBSCRIPTION,
            commit_offset: 0,
            suspend_timeout_millis: 0,
            subscription: Some("TagA || TagB".into()),
            sub_version: 0,
            expression_type: None,
            max_msg_bytes: None,
        };
        RemotingCommand::request_with_header(RequestCode::PullMessage, &h)
    };
    let expr = "a > 5 AND region = 'eu' AND TAGS IN ('TagA', 'TagB')";
    let mut times: HashMap<&str, Vec<Duration>> = HashMap::new();
    for round in 0..10 {
        for kind in ["tag", "sql92"] {
            let started = std::time::Instant::now();
            let (mut offset, mut n) = (0, 0);
            while offset < 4096 {
                let req = if kind == "tag" {
                    pull_tag(offset)
                } else {
                    sql_pull_request("benchG", topic, offset, expr, 0, true)
                };
                let resp = f.call(&f.broker(), req).await;
                assert_eq!(resp.code, 0, "{:?}", resp.remark);
                let h: PullMessageResponseHeader = resp.decode_header().unwrap();
                n += 32.min(h.next_begin_offset - offset);
                offset = h.next_begin_offset;
            }
            assert_eq!(n, 4096);
            if round > 0 {
                times.entry(kind).or_default().push(started.elapsed());
            }
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let tag = median(times.get_mut("tag").unwrap());
    let sql = median(times.get_mut("sql92").unwrap());
    println!(
        "pull 4096 x 1 KiB messages, 32 per pull: TAG median {tag:?} ({:.0} msg/s), SQL92 3-term median {sql:?} ({:.0} msg/s), ratio {:.2}",
        4096.0 / tag.as_secs_f64(),
        4096.0 / sql.as_secs_f64(),
        sql.as_secs_f64() / tag.as_secs_f64()
    );
    f.embedded.shutdown().await;
}
