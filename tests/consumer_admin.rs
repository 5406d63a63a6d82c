//! Server-initiated requests and selectors, through a proxy standing in for the broker (the
//! test sends GET_CONSUMER_RUNNING_INFO / CONSUME_MESSAGE_DIRECTLY over the connection the
//! consumer opened, as a broker relaying an admin's request would; tests/admin_cli has the
//! broker relay them):
//! running info, direct consumption, REQUEST_CODE_NOT_SUPPORTED, SQL92 subscriptions through
//! the push and lite pull consumers (the expression and its type in every pull), and SQL92
//! expressions our broker cannot compile (refused, logged once per queue, backed off, the
//! consumer keeps running).

mod consumer_support;

use std::time::Duration;

use consumer_support::log_capture::captured;
use consumer_support::proxy::Proxied;
use consumer_support::{client, from_first, produce, wait_until, Seen};
use rmq::broker::EmbeddedConfig;
use rmq::client::consumer::{
    CmResult, ConsumeFromWhere, ConsumeMessageDirectlyResult, ConsumerRunningInfo,
    LitePullConsumerConfig, MessageSelector,
};
use rmq::client::{
    ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, ConsumerConfig, DefaultLitePullConsumer,
    DefaultMqPushConsumer, ListenerFn, MessageExt, OrderlyListenerFn,
};
use rmq::protocol::body::{
    HeartbeatData, PROP_CONSUMER_START_TIMESTAMP, PROP_CONSUME_TYPE, PROP_NAMESERVER_ADDR,
    PROP_THREADPOOL_CORE_SIZE,
};
use rmq::protocol::header::{
    ConsumeMessageDirectlyResultRequestHeader, GetConsumerRunningInfoRequestHeader,
};
use rmq::protocol::message::{encode_properties, encode_record, RecordFields};
use rmq::protocol::{RemotingCommand, RequestCode, ResponseCode};

fn recorder(ns: &str, group: &str, fail_body: &'static [u8]) -> (DefaultMqPushConsumer, Seen) {
    let seen: Seen = Default::default();
    let s = seen.clone();
    let c = from_first(
        ns,
        group,
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let s = s.clone();
            async move {
                let fail = msgs.iter().any(|m| &m.body[..] == fail_body);
                s.lock().unwrap().extend(msgs);
                if fail {
                    ConsumeConcurrentlyStatus::ReconsumeLater
                } else {
                    ConsumeConcurrentlyStatus::ConsumeSuccess
                }
            }
        }),
    );
    (c, seen)
}

async fn channel_of(env: &Proxied, client_id: &str) -> rmq_core::remoting::Channel {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(ch) = env.proxy.client_channel(client_id) {
            return ch;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{client_id} never heartbeated"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn running_info_request(group: &str, client_id: &str) -> RemotingCommand {
    RemotingCommand::request_with_header(
        RequestCode::GetConsumerRunningInfo,
        &GetConsumerRunningInfoRequestHeader {
            consumer_group: group.into(),
            client_id: client_id.into(),
            jstack_enable: Some(false),
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_info_is_served_over_the_client_connection() {
    let env = Proxied::start(EmbeddedConfig::default()).await;
    let ns = env.ns();
    produce(&ns, "ca-info", 3, "m").await;
    let (c, seen) = recorder(&ns, "ca-info-group", b"");
    c.subscribe("ca-info", "TagA || TagB");
    c.start().await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while c.assigned_queues().await.len() < 5 {
        assert!(std::time::Instant::now() < deadline, "never got 5 queues");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ch = channel_of(&env, c.client_id()).await;
    let resp = ch
        .invoke(
            running_info_request("ca-info-group", c.client_id()),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(resp.code, 0, "{}", resp.remark_str());
    let text = String::from_utf8_lossy(&resp.body).into_owned();
    assert!(
        text.contains("\"mqTable\":{{"),
        "fastjson object keys: {text}"
    );
    let info = ConsumerRunningInfo::decode(&resp.body).unwrap();
    assert_eq!(info.properties[PROP_CONSUME_TYPE], "CONSUME_PASSIVELY");
    assert_eq!(info.properties[PROP_THREADPOOL_CORE_SIZE], "20");
    assert_eq!(info.properties[PROP_NAMESERVER_ADDR], format!("{ns};"));
    assert!(
        info.properties[PROP_CONSUMER_START_TIMESTAMP]
            .parse::<i64>()
            .unwrap()
            > 0
    );
    assert_eq!(info.properties["consumerGroup"], "ca-info-group");
    let sub = info
        .subscription_set
        .iter()
        .find(|s| s.topic == "ca-info")
        .unwrap();
    assert_eq!(sub.tags_set, vec!["TagA".to_owned(), "TagB".to_owned()]);
    assert!(info
        .subscription_set
        .iter()
        .any(|s| s.topic == "%RETRY%ca-info-group"));
    assert_eq!(info.mq_table.len(), 5, "4 topic queues and the retry queue");
    assert!(info
        .mq_table
        .values()
        .all(|q| q.commit_offset >= 0 && !q.droped));
    assert!(
        seen.lock().unwrap().is_empty(),
        "untagged messages filtered out"
    );

    // A group this client does not have, and a request not built.
    let resp = ch
        .invoke(
            running_info_request("nope", c.client_id()),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(resp.code, ResponseCode::SystemError.code());
    assert!(resp.remark_str().contains("not exist in this consumer"));
    let resp = ch
        .invoke(
            RemotingCommand::request(RequestCode::GetConsumerStatusFromClient),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(resp.code, ResponseCode::RequestCodeNotSupported.code());

    // The lite pull consumer answers as a CONSUME_ACTIVELY member.
    let lite = DefaultLitePullConsumer::with_config(
        client(&ns),
        LitePullConsumerConfig {
            consumer_group: "ca-info-lite".into(),
            ..Default::default()
        },
    )
    .unwrap();
    lite.subscribe("ca-info", "*").unwrap();
    lite.start().await.unwrap();
    let lch = channel_of(&env, lite.client_id()).await;
    let resp = lch
        .invoke(
            running_info_request("ca-info-lite", lite.client_id()),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    let info = ConsumerRunningInfo::decode(&resp.body).unwrap();
    assert_eq!(info.properties[PROP_CONSUME_TYPE], "CONSUME_ACTIVELY");
    assert_eq!(info.mq_table.len(), 4);
    lite.shutdown().await;
    c.shutdown().await;
    env.shutdown().await;
}

fn direct_request(group: &str, client_id: &str, body: &str) -> RemotingCommand {
    let props = encode_properties([("UNIQ_KEY", "DIRECT-1"), ("TAGS", "TagA")]);
    let host: std::net::SocketAddr = ([127, 0, 0, 1], 10911).into();
    let mut dst = Default::default();
    encode_record(
        &RecordFields {
            topic: "ca-direct",
            queue_id: 1,
            flag: 0,
            queue_offset: 7,
            physical_offset: 1234,
            sys_flag: 0,
            born_timestamp: 1,
            born_host: host,
            store_timestamp: 2,
            store_host: host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body: body.as_bytes(),
            properties: &props,
            body_crc: None,
        },
        &mut dst,
    );
    RemotingCommand::request_with_header(
        RequestCode::ConsumeMessageDirectly,
        &ConsumeMessageDirectlyResultRequestHeader {
            consumer_group: group.into(),
            client_id: Some(client_id.into()),
            msg_id: Some("DIRECT-1".into()),
            broker_name: Some("broker-a".into()),
            ..Default::default()
        },
    )
    .with_body(dst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_message_directly_hands_the_message_to_the_listener() {
    let env = Proxied::start(EmbeddedConfig::default()).await;
    let ns = env.ns();
    // A route to a broker first: clients heartbeat to the brokers of their topics.
    produce(&ns, "ca-direct", 1, "warm").await;
    let (c, seen) = recorder(&ns, "ca-direct-group", b"later");
    c.subscribe("ca-direct", "*");
    c.start().await.unwrap();
    let ch = channel_of(&env, c.client_id()).await;
    wait_until("the warm-up message", 20, || {
        seen.lock().unwrap().len() == 1
    })
    .await;
    seen.lock().unwrap().clear();
    let call = |body: &str| {
        let req = direct_request("ca-direct-group", c.client_id(), body);
        let ch = ch.clone();
        async move {
            let resp = ch.invoke(req, Duration::from_secs(5)).await.unwrap();
            assert_eq!(resp.code, 0, "{}", resp.remark_str());
            serde_json::from_slice::<ConsumeMessageDirectlyResult>(&resp.body).unwrap()
        }
    };
    let ok = call("hello").await;
    assert_eq!(ok.consume_result, Some(CmResult::CrSuccess));
    assert!(!ok.order && ok.auto_commit);
    let later = call("later").await;
    assert_eq!(later.consume_result, Some(CmResult::CrLater));
    {
        let s = seen.lock().unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(&s[0].body[..], b"hello");
        assert_eq!(s[0].msg_id(), "DIRECT-1");
        assert_eq!(s[0].queue_offset, 7);
    }

    // An orderly consumer answers with order = true.
    let ord_seen: Seen = Default::default();
    let s = ord_seen.clone();
    let ord = DefaultMqPushConsumer::new_orderly(
        client(&ns),
        ConsumerConfig {
            consumer_group: "ca-direct-ord".into(),
            ..Default::default()
        },
        OrderlyListenerFn(move |m: MessageExt| {
            let s = s.clone();
            async move {
                s.lock().unwrap().push(m);
                ConsumeOrderlyStatus::Success
            }
        }),
    )
    .unwrap();
    ord.subscribe("ca-direct", "*");
    ord.start().await.unwrap();
    let och = channel_of(&env, ord.client_id()).await;
    let resp = och
        .invoke(
            direct_request("ca-direct-ord", ord.client_id(), "in order"),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    let r: ConsumeMessageDirectlyResult = serde_json::from_slice(&resp.body).unwrap();
    assert!(r.order);
    assert_eq!(r.consume_result, Some(CmResult::CrSuccess));
    assert!(ord_seen
        .lock()
        .unwrap()
        .iter()
        .any(|m| &m.body[..] == b"in order"));
    // Wrong group.
    let resp = och
        .invoke(
            direct_request("ca-direct-group", ord.client_id(), "x"),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(resp.code, ResponseCode::SystemError.code());
    ord.shutdown().await;
    c.shutdown().await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql92_refusal_is_logged_once_per_queue_and_backed_off() {
    // An expression the broker cannot compile is refused with SUBSCRIPTION_PARSE_FAILED.
    let logs = captured();
    let env = Proxied::start(EmbeddedConfig::default()).await;
    let ns = env.ns();
    produce(&ns, "ca-sql", 4, "s").await;
    produce(&ns, "ca-sql-tag", 1, "warm").await;
    let (c, seen) = recorder(&ns, "ca-sql-group", b"");
    c.subscribe_with_selector("ca-sql", MessageSelector::sql92("a >"));
    c.subscribe("ca-sql-tag", "*");
    c.start().await.unwrap();
    let lite = DefaultLitePullConsumer::with_config(
        client(&ns),
        LitePullConsumerConfig {
            consumer_group: "ca-sql-lite".into(),
            ..Default::default()
        },
    )
    .unwrap();
    lite.subscribe_with_selector("ca-sql", MessageSelector::sql92("a >"))
        .unwrap();
    lite.start().await.unwrap();

    // The TAG subscription of the same consumer keeps working.
    wait_until("the tag topic's message", 20, || {
        seen.lock().unwrap().iter().any(|m| m.topic == "ca-sql-tag")
    })
    .await;
    assert!(lite
        .poll(Duration::from_millis(500))
        .await
        .unwrap()
        .is_empty());
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert!(
        seen.lock().unwrap().iter().all(|m| m.topic != "ca-sql"),
        "nothing from the refused subscription"
    );

    // SQL92 travels in heartbeats and pulls.
    let hb_sql = env.proxy.seen(RequestCode::HeartBeat).iter().any(|s| {
        serde_json::from_slice::<HeartbeatData>(&s.body).is_ok_and(|hb| {
            hb.consumer_data_set.iter().any(|c| {
                c.group_name == "ca-sql-group"
                    && c.subscription_data_set.iter().any(|sd| {
                        sd.topic == "ca-sql"
                            && sd.expression_type == "SQL92"
                            && sd.sub_string == "a >"
                    })
            })
        })
    });
    assert!(hb_sql, "heartbeat carries the SQL92 subscription");
    let pulls: Vec<_> = env
        .proxy
        .seen(RequestCode::PullMessage)
        .into_iter()
        .filter(|s| {
            s.ext_fields.get("consumerGroup").map(String::as_str) == Some("ca-sql-group")
                && s.ext_fields.get("topic").map(String::as_str) == Some("ca-sql")
        })
        .collect();
    assert!(pulls
        .iter()
        .all(|s| s.ext_fields.get("expressionType").map(String::as_str) == Some("SQL92")));
    for q in 0..4 {
        let n = pulls
            .iter()
            .filter(|s| s.ext_fields.get("queueId").map(String::as_str) == Some(&q.to_string()))
            .count();
        // Refusals back off 1 s, 2 s, 4 s, ... (the consumers' shared pause after a refused
        // pull, Java's pullTimeDelayMillsWhenException, doubled up to 30 s): pulls at about
        // 0, 1, 3 and 7 s.
        assert!(
            (1..=4).contains(&n),
            "queue {q}: {n} pulls in ~8 s (backing off, not a hot loop)"
        );
    }
    let errors = |group: &str| {
        logs.lock()
            .unwrap()
            .iter()
            .filter(|(l, t)| {
                *l == tracing::Level::ERROR
                    && t.contains("SUBSCRIPTION_PARSE_FAILED")
                    && t.contains(&format!("group=\"{group}\""))
            })
            .count()
    };
    assert_eq!(errors("ca-sql-group"), 4, "one error per queue");
    assert_eq!(errors("ca-sql-lite"), 4, "one error per queue (lite pull)");
    lite.shutdown().await;
    c.shutdown().await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql92_push_and_lite_pull_consumers_get_only_matching_messages() {
    let env = Proxied::start(EmbeddedConfig::default()).await;
    let ns = env.ns();
    let p = consumer_support::producer(&ns);
    for i in 0..12 {
        let m = rmq::client::Message::new("ca-sql-ok", format!("m-{i}"))
            .with_tags(if i % 2 == 0 { "even" } else { "odd" })
            .with_property("a", i.to_string());
        p.send(&m).await.unwrap();
    }
    p.shutdown().await;
    let expr = "a > 5 AND TAGS = 'even'";
    let want: Vec<String> = ["m-10", "m-6", "m-8"].map(String::from).to_vec();

    let (c, seen) = recorder(&ns, "ca-sql-ok-push", b"");
    c.subscribe_with_selector("ca-sql-ok", MessageSelector::sql92(expr));
    c.start().await.unwrap();
    let lite = DefaultLitePullConsumer::with_config(
        client(&ns),
        LitePullConsumerConfig {
            consumer_group: "ca-sql-ok-lite".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
    )
    .unwrap();
    lite.subscribe_with_selector("ca-sql-ok", MessageSelector::sql92(expr))
        .unwrap();
    lite.start().await.unwrap();

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut polled = Vec::new();
    while polled.len() < want.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "lite pull got {polled:?}"
        );
        for m in lite.poll(Duration::from_millis(500)).await.unwrap() {
            polled.push(String::from_utf8_lossy(&m.body).to_string());
        }
    }
    wait_until("the push consumer's 3 matching messages", 30, || {
        seen.lock().unwrap().len() >= want.len()
    })
    .await;
    // Anything else would have come with them (same queues, earlier offsets).
    let mut pushed: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).to_string())
        .collect();
    pushed.sort();
    polled.sort();
    assert_eq!(pushed, want);
    assert_eq!(polled, want);

    // Both consumers' pulls carry the expression and its type.
    for group in ["ca-sql-ok-push", "ca-sql-ok-lite"] {
        let mut seen_pulls = env.proxy.seen(RequestCode::PullMessage);
        seen_pulls.extend(env.proxy.seen(RequestCode::LitePullMessage));
        let pulls: Vec<_> = seen_pulls
            .into_iter()
            .filter(|s| {
                s.ext_fields.get("consumerGroup").map(String::as_str) == Some(group)
                    && s.ext_fields.get("topic").map(String::as_str) == Some("ca-sql-ok")
            })
            .collect();
        assert!(!pulls.is_empty(), "{group} pulled");
        assert!(pulls.iter().all(|s| {
            s.ext_fields.get("expressionType").map(String::as_str) == Some("SQL92")
                && s.ext_fields.get("subscription").map(String::as_str) == Some(expr)
        }));
    }
    lite.shutdown().await;
    c.shutdown().await;
    env.shutdown().await;
}
