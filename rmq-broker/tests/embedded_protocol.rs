//! The embedded broker over real sockets, driven with raw remoting commands.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rmq_broker::EmbeddedConfig;
use rmq_core::protocol::header::*;
use rmq_core::protocol::message::{encode_batch_entry, encode_properties, keys, new_uniq_id};
use rmq_core::protocol::{RemotingCommand, RequestCode, ResponseCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
mod fixture;

use fixture::{msgs, Fixture, T};

#[tokio::test]
async fn send_then_pull_round_trip_with_route_and_auto_create() {
    let f = Fixture::start().await;
    let tbw = f.wait_route("TBW102").await;
    assert_eq!(tbw.queue_datas[0].perm, 7);
    let resp = f
        .send(
            "rt-topic",
            1,
            b"hello",
            &[(keys::TAGS, "TagA"), (keys::KEYS, "k1")],
        )
        .await;
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    let h: SendMessageResponseHeader = resp.decode_header().unwrap();
    assert_eq!(h.queue_id, 1);
    assert_eq!(h.queue_offset, 0);
    assert_eq!(h.msg_id.len(), 32);
    let route = f.wait_route("rt-topic").await;
    assert_eq!(route.queue_datas[0].write_queue_nums, 4);
    let pulled = f.pull("G1", "rt-topic", 1, 0, "*", 0).await;
    assert_eq!(pulled.code, 0);
    let m = msgs(&pulled);
    assert_eq!(m.len(), 1);
    assert_eq!(&m[0].body[..], b"hello");
    assert_eq!(m[0].offset_msg_id(), h.msg_id);
    assert_eq!(m[0].tags(), Some("TagA"));
    assert_eq!(m[0].property(keys::CLUSTER), Some("DefaultCluster"));
    let ph: PullMessageResponseHeader = pulled.decode_header().unwrap();
    assert_eq!(
        (ph.next_begin_offset, ph.min_offset, ph.max_offset),
        (1, 0, 1)
    );
    // Caught up, no suspension: PULL_NOT_FOUND.
    assert_eq!(
        f.pull("G1", "rt-topic", 1, 1, "*", 0).await.code,
        ResponseCode::PullNotFound.code()
    );
    // Offset beyond the end: PULL_OFFSET_MOVED.
    assert_eq!(
        f.pull("G1", "rt-topic", 1, 9, "*", 0).await.code,
        ResponseCode::PullOffsetMoved.code()
    );
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn tag_filter_skips_other_tags() {
    let f = Fixture::start().await;
    for (i, tag) in ["TagA", "TagB", "TagC", "TagA"].iter().enumerate() {
        let r = f
            .send("tags", 0, format!("m{i}").as_bytes(), &[(keys::TAGS, tag)])
            .await;
        assert_eq!(r.code, 0);
    }
    let resp = f.pull("G", "tags", 0, 0, "TagA || TagC", 0).await;
    let bodies: Vec<_> = msgs(&resp).iter().map(|m| m.body.clone()).collect();
    assert_eq!(
        bodies,
        vec![Bytes::from("m0"), Bytes::from("m2"), Bytes::from("m3")]
    );
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn long_polling_answers_as_soon_as_a_message_arrives() {
    let f = Arc::new(Fixture::start().await);
    assert_eq!(f.send("lp", 0, b"first", &[]).await.code, 0);
    let puller = {
        let f = f.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let resp = f.pull("G", "lp", 0, 1, "*", 20_000).await;
            (resp, started.elapsed())
        })
    };
    // Wait until the pull is held, then send.
    let deadline = Instant::now() + T;
    while f.embedded.broker().unwrap().inner().holds.is_empty() {
        assert!(Instant::now() < deadline, "pull was never held");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(f.send("lp", 0, b"second", &[]).await.code, 0);
    let (resp, waited) = puller.await.unwrap();
    assert_eq!(resp.code, 0);
    assert_eq!(&msgs(&resp)[0].body[..], b"second");
    assert!(
        waited < Duration::from_secs(10),
        "answered on arrival, not at the deadline: {waited:?}"
    );
}

#[tokio::test]
async fn held_pull_times_out_with_not_found() {
    let f = Fixture::start().await;
    assert_eq!(f.send("lp2", 0, b"x", &[]).await.code, 0);
    let started = Instant::now();
    let resp = f.pull("G", "lp2", 0, 1, "*", 600).await;
    assert_eq!(resp.code, ResponseCode::PullNotFound.code());
    assert!(started.elapsed() >= Duration::from_millis(600));
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn bad_requests_get_rocketmq_codes_and_remarks() {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.store.max_message_size = 1024;
    let f = Fixture::start_with(cfg).await;
    let big = vec![b'x'; 1025];
    let r = f.send("limits", 0, &big, &[]).await;
    assert_eq!(r.code, ResponseCode::MessageIllegal.code());
    assert!(
        r.remark_str().contains("maxMessageSize 1024"),
        "{:?}",
        r.remark
    );
    let r = f.send("bad topic!", 0, b"x", &[]).await;
    assert_eq!(r.code, ResponseCode::MessageIllegal.code());
    assert!(
        r.remark_str().contains("illegal characters"),
        "{:?}",
        r.remark
    );
    let r = f.send(&"t".repeat(128), 0, b"x", &[]).await;
    assert_eq!(r.code, ResponseCode::MessageIllegal.code());
    assert!(r.remark_str().contains("127"), "{:?}", r.remark);
    let r = f.send("SCHEDULE_TOPIC_XXXX", 0, b"x", &[]).await;
    assert_eq!(r.code, ResponseCode::NoPermission.code());
    let r = f.call(&f.broker(), RemotingCommand::request(9999)).await;
    assert_eq!(r.code, ResponseCode::RequestCodeNotSupported.code());
    assert!(r.remark_str().contains("9999"));
    // Nothing refused was stored.
    assert_eq!(
        f.pull("G", "limits", 0, 0, "*", 0).await.code,
        ResponseCode::PullNotFound.code()
    );
    f.embedded.shutdown().await;
}

async fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> usize {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut buf = [0u8; 64];
    // The broker closes the connection: read returns 0 (or a reset) within the deadline.
    match tokio::time::timeout(T, s.read(&mut buf)).await {
        Ok(Ok(n)) => n,
        Ok(Err(_)) => 0,
        Err(_) => panic!("connection not closed after a malformed frame"),
    }
}

#[tokio::test]
async fn malformed_frames_close_only_their_connection() {
    let f = Fixture::start().await;
    let addr = f.embedded.broker_addr();
    let cases: Vec<Vec<u8>> = vec![
        vec![0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0], // length over 16 MiB
        vec![0, 0, 0, 1, 0],                      // length below 4
        vec![0, 0, 0, 6, 0, 0, 0, 99, b'{', b'}'], // header longer than frame
        vec![0, 0, 0, 6, 5, 0, 0, 2, b'{', b'}'], // unknown serialize type
        vec![0, 0, 0, 8, 0, 0, 0, 4, b'{', b'x', b'y', b'z'], // invalid JSON
    ];
    for c in &cases {
        assert_eq!(raw_exchange(addr, c).await, 0);
    }
    // A healthy client on its own connection is still served.
    assert_eq!(f.send("still-ok", 0, b"x", &[]).await.code, 0);
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn oneway_request_then_close_is_still_stored() {
    let f = Fixture::start().await;
    let h = SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: "oneway-close".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        born_timestamp: 1,
        ..Default::default()
    };
    let req = RemotingCommand::request_with_header(RequestCode::SendMessage, &h)
        .with_body(Bytes::from_static(b"bye"))
        .oneway();
    let mut frame = bytes::BytesMut::new();
    rmq_core::protocol::encode_command(&req, &mut frame);
    let mut s = TcpStream::connect(f.embedded.broker_addr()).await.unwrap();
    s.write_all(&frame).await.unwrap();
    drop(s);
    let deadline = Instant::now() + T;
    loop {
        let r = f.pull("G", "oneway-close", 0, 0, "*", 0).await;
        if r.code == 0 {
            assert_eq!(&msgs(&r)[0].body[..], b"bye");
            break;
        }
        assert!(Instant::now() < deadline, "oneway message never stored");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn batch_send_gets_consecutive_offsets() {
    let f = Fixture::start().await;
    let mut body = bytes::BytesMut::new();
    for i in 0..3 {
        let props =
            encode_properties([(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, new_uniq_id().as_str())]);
        encode_batch_entry(0, format!("b{i}").as_bytes(), &props, &mut body);
    }
    let h = SendMessageRequestHeaderV2::from(SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: "batch".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 2,
        born_timestamp: 1,
        batch: Some(true),
        ..Default::default()
    });
    let req = RemotingCommand::request_with_header(RequestCode::SendBatchMessage, &h)
        .with_body(body.freeze());
    let resp = f.call(&f.broker(), req).await;
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    let rh: SendMessageResponseHeader = resp.decode_header().unwrap();
    assert_eq!(rh.msg_id.split(',').count(), 3);
    assert_eq!(rh.queue_offset, 0);
    let pulled = msgs(&f.pull("G", "batch", 2, 0, "*", 0).await);
    assert_eq!(pulled.len(), 3);
    assert_eq!(
        pulled.iter().map(|m| m.queue_offset).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn delay_level_delivers_after_the_delay() {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.store.message_delay_level = "1s 2s".into();
    let f = Fixture::start_with(cfg).await;
    let sent = Instant::now();
    let r = f
        .send("delayed", 0, b"later", &[(keys::DELAY_TIME_LEVEL, "1")])
        .await;
    assert_eq!(r.code, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let got = loop {
        let resp = f.pull("G", "delayed", 0, 0, "*", 0).await;
        if resp.code == 0 {
            break msgs(&resp);
        }
        assert!(Instant::now() < deadline, "delayed message never delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let elapsed = sent.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1000),
        "delivered too early: {elapsed:?}"
    );
    assert_eq!(&got[0].body[..], b"later");
    assert_eq!(got[0].property(keys::REAL_TOPIC), Some("delayed"));
    assert!(got[0].store_timestamp - got[0].born_timestamp >= 0);
    f.embedded.shutdown().await;
}

#[tokio::test]
async fn send_back_retries_then_dead_letters() {
    let mut cfg = EmbeddedConfig::default();
    cfg.broker.store.message_delay_level = "1s 1s 1s 1s 1s".into();
    let f = Fixture::start_with(cfg).await;
    let r = f.send("sb", 0, b"fails", &[]).await;
    assert_eq!(r.code, 0);
    let original = msgs(&f.pull("CG", "sb", 0, 0, "*", 0).await).remove(0);
    let back = |offset: i64, max: i32| ConsumerSendMsgBackRequestHeader {
        offset,
        group: "CG".into(),
        delay_level: 0,
        origin_msg_id: Some(original.msg_id()),
        origin_topic: Some("sb".into()),
        unit_mode: None,
        max_reconsume_times: Some(max),
    };
    let mut current = original.clone();
    for (retry_offset, attempt) in (1..=2).enumerate() {
        let retry_offset = retry_offset as i64;
        let req = RemotingCommand::request_with_header(
            RequestCode::ConsumerSendMsgBack,
            &back(current.commit_log_offset, 2),
        );
        assert_eq!(f.call(&f.broker(), req).await.code, 0);
        let deadline = Instant::now() + Duration::from_secs(15);
        current = loop {
            let resp = f.pull("CG", "%RETRY%CG", 0, retry_offset, "*", 0).await;
            if resp.code == 0 {
                break msgs(&resp).remove(0);
            }
            assert!(Instant::now() < deadline, "retry {attempt} never arrived");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(current.reconsume_times, attempt);
        assert_eq!(current.property(keys::RETRY_TOPIC), Some("sb"));
        assert_eq!(
            current.property(keys::ORIGIN_MESSAGE_ID),
            Some(original.msg_id().as_str())
        );
    }
    // reconsume_times (2) reached max (2): the next failure goes to the DLQ at once.
    let req = RemotingCommand::request_with_header(
        RequestCode::ConsumerSendMsgBack,
        &back(current.commit_log_offset, 2),
    );
    assert_eq!(f.call(&f.broker(), req).await.code, 0);
    let dlq = f.pull("CG", "%DLQ%CG", 0, 0, "*", 0).await;
    assert_eq!(dlq.code, 0, "{:?}", dlq.remark);
    let dead = msgs(&dlq).remove(0);
    assert_eq!(&dead.body[..], b"fails");
    assert_eq!(dead.reconsume_times, 3);
    f.embedded.shutdown().await;
}
