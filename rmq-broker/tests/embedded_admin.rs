//! The embedded broker over real sockets: client management, offsets, admin and NameServer requests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_core::protocol::body::*;
use rmq_core::protocol::header::*;
use rmq_core::protocol::message::{decode_record, find_property, keys};
use rmq_core::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rmq_core::remoting::{RemotingClient, UnsupportedHandler};
mod fixture;

use fixture::{msgs, Fixture, T};

#[tokio::test]
async fn heartbeat_registers_consumers_and_locks_are_exclusive() {
    let f = Fixture::start().await;
    let hb = |client: &str| HeartbeatData {
        client_id: client.into(),
        producer_data_set: vec![],
        consumer_data_set: vec![ConsumerData {
            group_name: "HG".into(),
            subscription_data_set: vec![SubscriptionData::from_expression("hb-topic", "*", 1)],
            ..Default::default()
        }],
    };
    // Two clients on two connections.
    let c2 = RemotingClient::new(Arc::new(UnsupportedHandler));
    let req = RemotingCommand::request(RequestCode::HeartBeat)
        .with_body(serde_json::to_vec(&hb("a@1")).unwrap());
    assert_eq!(f.call(&f.broker(), req).await.code, 0);
    let req = RemotingCommand::request(RequestCode::HeartBeat)
        .with_body(serde_json::to_vec(&hb("b@2")).unwrap());
    assert_eq!(c2.invoke(&f.broker(), req, T).await.unwrap().code, 0);
    let req = RemotingCommand::request_with_header(
        RequestCode::GetConsumerListByGroup,
        &GetConsumerListByGroupRequestHeader {
            consumer_group: "HG".into(),
        },
    );
    let resp = f.call(&f.broker(), req).await;
    let ids: ConsumerIdList = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(
        ids.consumer_id_list,
        vec!["a@1".to_string(), "b@2".to_string()]
    );
    let _ = f.wait_route("%RETRY%HG").await;

    let lock = |client: &str| {
        RemotingCommand::request(RequestCode::LockBatchMq).with_body(
            serde_json::to_vec(&LockBatchRequestBody {
                consumer_group: "HG".into(),
                client_id: client.into(),
                only_this_broker: false,
                mq_set: vec![MessageQueue::new("hb-topic", "broker-a", 0)],
            })
            .unwrap(),
        )
    };
    let got: LockBatchResponseBody =
        serde_json::from_slice(&f.call(&f.broker(), lock("a@1")).await.body).unwrap();
    assert_eq!(got.lock_ok_mq_set.len(), 1);
    let got: LockBatchResponseBody =
        serde_json::from_slice(&f.call(&f.broker(), lock("b@2")).await.body).unwrap();
    assert!(got.lock_ok_mq_set.is_empty());

    // Closing b's connection removes it from the group.
    c2.close_all().await;
    drop(c2);
    let deadline = Instant::now() + T;
    loop {
        let req = RemotingCommand::request_with_header(
            RequestCode::GetConsumerListByGroup,
            &GetConsumerListByGroupRequestHeader {
                consumer_group: "HG".into(),
            },
        );
        let ids: ConsumerIdList =
            serde_json::from_slice(&f.call(&f.broker(), req).await.body).unwrap();
        if ids.consumer_id_list == vec!["a@1".to_string()] {
            break;
        }
        assert!(Instant::now() < deadline, "closed consumer still listed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn offsets_are_committed_and_queried() {
    let f = Fixture::start().await;
    assert_eq!(f.send("off", 0, b"x", &[]).await.code, 0);
    let q = |group: &str| {
        RemotingCommand::request_with_header(
            RequestCode::QueryConsumerOffset,
            &QueryConsumerOffsetRequestHeader {
                consumer_group: group.into(),
                topic: "off".into(),
                queue_id: 0,
                set_zero_if_not_found: None,
            },
        )
    };
    // A new group on a young queue starts at 0.
    let r = f.call(&f.broker(), q("OG")).await;
    assert_eq!(r.decode_header::<OffsetResponseHeader>().unwrap().offset, 0);
    let up = RemotingCommand::request_with_header(
        RequestCode::UpdateConsumerOffset,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "OG".into(),
            topic: "off".into(),
            queue_id: 0,
            commit_offset: 1,
        },
    );
    assert_eq!(f.call(&f.broker(), up).await.code, 0);
    let r = f.call(&f.broker(), q("OG")).await;
    assert_eq!(r.decode_header::<OffsetResponseHeader>().unwrap().offset, 1);
    let max = RemotingCommand::request_with_header(
        RequestCode::GetMaxOffset,
        &GetMaxOffsetRequestHeader {
            topic: "off".into(),
            queue_id: 0,
            committed: None,
        },
    );
    assert_eq!(
        f.call(&f.broker(), max)
            .await
            .decode_header::<OffsetResponseHeader>()
            .unwrap()
            .offset,
        1
    );
    let view = RemotingCommand::request_with_header(
        RequestCode::ViewMessageById,
        &ViewMessageRequestHeader {
            offset: 0,
            topic: None,
        },
    );
    let v = f.call(&f.broker(), view).await;
    assert_eq!(decode_record(&v.body, true).unwrap().topic, "off");
    let _ = find_property("", "");
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn admin_topic_stats_and_lookup() {
    let f = Fixture::start().await;
    let create = RemotingCommand::request_with_header(
        RequestCode::UpdateAndCreateTopic,
        &CreateTopicRequestHeader {
            topic: "adm".into(),
            default_topic: "TBW102".into(),
            read_queue_nums: 2,
            write_queue_nums: 2,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: None,
            order: false,
        },
    );
    assert_eq!(f.call(&f.broker(), create).await.code, 0);
    let route = f.wait_route("adm").await;
    assert_eq!(route.queue_datas[0].read_queue_nums, 2);
    let r = f
        .send("adm", 1, b"keyed", &[(keys::KEYS, "order-42 other")])
        .await;
    assert_eq!(r.code, 0);

    // Query by key.
    let q = RemotingCommand::request_with_header(
        RequestCode::QueryMessage,
        &QueryMessageRequestHeader {
            topic: "adm".into(),
            key: "order-42".into(),
            max_num: 32,
            begin_timestamp: 0,
            end_timestamp: i64::MAX,
            unique_key_query: None,
        },
    );
    let found = f.call(&f.broker(), q).await;
    assert_eq!(found.code, 0, "{:?}", found.remark);
    assert_eq!(&msgs(&found)[0].body[..], b"keyed");

    // Consume stats after a commit.
    let up = RemotingCommand::request_with_header(
        RequestCode::UpdateConsumerOffset,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "AG".into(),
            topic: "adm".into(),
            queue_id: 1,
            commit_offset: 1,
        },
    );
    assert_eq!(f.call(&f.broker(), up).await.code, 0);
    let stats = RemotingCommand::request_with_header(
        RequestCode::GetConsumeStats,
        &GetConsumeStatsRequestHeader {
            consumer_group: "AG".into(),
            topic: Some("adm".into()),
        },
    );
    let s = f.call(&f.broker(), stats).await;
    assert_eq!(s.code, 0);
    let text = String::from_utf8(s.body.to_vec()).unwrap();
    assert!(
        text.contains(r#""queueId":1,"topic":"adm"}:{"brokerOffset":1,"consumerOffset":1"#),
        "{text}"
    );

    // Runtime info is a KV table.
    let info = f
        .call(
            &f.broker(),
            RemotingCommand::request(RequestCode::GetBrokerRuntimeInfo),
        )
        .await;
    let kv: KvTable = serde_json::from_slice(&info.body).unwrap();
    assert!(kv.table["msgPutTotalTodayNow"].parse::<u64>().unwrap() >= 1);

    // Consumer connections: none online.
    let conns = RemotingCommand::request_with_header(
        RequestCode::GetConsumerConnectionList,
        &GetConsumerConnectionListRequestHeader {
            consumer_group: "AG".into(),
        },
    );
    assert_eq!(
        f.call(&f.broker(), conns).await.code,
        ResponseCode::ConsumerNotOnline.code()
    );

    // Delete removes the route.
    let del = RemotingCommand::request_with_header(
        RequestCode::DeleteTopicInBroker,
        &DeleteTopicRequestHeader {
            topic: "adm".into(),
        },
    );
    assert_eq!(f.call(&f.broker(), del).await.code, 0);
    let deadline = Instant::now() + T;
    loop {
        let req = RemotingCommand::request_with_header(
            RequestCode::GetRouteinfoByTopic,
            &GetRouteInfoRequestHeader {
                topic: "adm".into(),
                accept_standard_json_only: None,
            },
        );
        if f.call(&f.namesrv(), req).await.code == ResponseCode::TopicNotExist.code() {
            break;
        }
        assert!(Instant::now() < deadline, "deleted topic still routed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn namesrv_cluster_info_topic_list_and_kv_config() {
    let f = Fixture::start().await;
    f.wait_route("TBW102").await;
    let ci = f
        .call(
            &f.namesrv(),
            RemotingCommand::request(RequestCode::GetBrokerClusterInfo),
        )
        .await;
    let info: ClusterInfo = serde_json::from_slice(&ci.body).unwrap();
    assert!(info.cluster_addr_table["DefaultCluster"].contains("broker-a"));
    assert_eq!(
        info.broker_addr_table["broker-a"].master_addr(),
        Some(f.broker().as_str())
    );
    let tl = f
        .call(
            &f.namesrv(),
            RemotingCommand::request(RequestCode::GetAllTopicListFromNameserver),
        )
        .await;
    let list: TopicList = serde_json::from_slice(&tl.body).unwrap();
    assert!(list.topic_list.iter().any(|t| t == "TBW102"));

    let key = KvConfigKeyRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".into(),
        key: "ordered".into(),
    };
    let get = || RemotingCommand::request_with_header(RequestCode::GetKvConfig, &key);
    assert_eq!(
        f.call(&f.namesrv(), get()).await.code,
        ResponseCode::QueryNotFound.code()
    );
    let put = RemotingCommand::request_with_header(
        RequestCode::PutKvConfig,
        &PutKvConfigRequestHeader {
            namespace: "ORDER_TOPIC_CONFIG".into(),
            key: "ordered".into(),
            value: "broker-a:4".into(),
        },
    );
    assert_eq!(f.call(&f.namesrv(), put).await.code, 0);
    let got = f.call(&f.namesrv(), get()).await;
    assert_eq!(
        got.decode_header::<GetKvConfigResponseHeader>()
            .unwrap()
            .value
            .as_deref(),
        Some("broker-a:4")
    );
    let del = RemotingCommand::request_with_header(RequestCode::DeleteKvConfig, &key);
    assert_eq!(f.call(&f.namesrv(), del).await.code, 0);
    assert_eq!(
        f.call(&f.namesrv(), get()).await.code,
        ResponseCode::QueryNotFound.code()
    );
    let unknown = f
        .call(
            &f.namesrv(),
            RemotingCommand::request(RequestCode::SendMessage),
        )
        .await;
    assert_eq!(unknown.code, ResponseCode::RequestCodeNotSupported.code());
    f.embedded.shutdown().await;
}
