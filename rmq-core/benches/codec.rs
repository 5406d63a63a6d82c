//! Frame encode/decode throughput for a typical SEND_MESSAGE_V2 request (1 KiB body) and a
//! pull response carrying 32 stored messages.

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rmq_core::protocol::header::{SendMessageRequestHeader, SendMessageRequestHeaderV2};
use rmq_core::protocol::message::{encode_properties, encode_record, RecordFields};
use rmq_core::protocol::{encode_command, RemotingCodec, RemotingCommand, RequestCode};
use tokio_util::codec::Decoder;

fn send_request() -> RemotingCommand {
    let h = SendMessageRequestHeaderV2::from(SendMessageRequestHeader {
        producer_group: "bench-producer".into(),
        topic: "bench".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 3,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some(encode_properties([
            ("UNIQ_KEY", "7F0000010C3B18B4AAC2461C8D7E0000"),
            ("WAIT", "true"),
            ("TAGS", "TagA"),
        ])),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        batch: Some(false),
        ..Default::default()
    });
    RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h)
        .with_body(Bytes::from(vec![b'x'; 1024]))
}

fn pull_response() -> RemotingCommand {
    let mut body = BytesMut::new();
    let host = "127.0.0.1:10911".parse().unwrap();
    for i in 0..32 {
        encode_record(
            &RecordFields {
                topic: "bench",
                queue_id: 0,
                flag: 0,
                queue_offset: i,
                physical_offset: i * 1200,
                sys_flag: 0,
                born_timestamp: 1,
                born_host: host,
                store_timestamp: 2,
                store_host: host,
                reconsume_times: 0,
                prepared_transaction_offset: 0,
                body: &[b'x'; 1024],
                properties: "TAGS\u{1}TagA\u{2}",
                body_crc: None,
            },
            &mut body,
        );
    }
    let req = RemotingCommand::request(RequestCode::PullMessage);
    req.success_to().with_body(body.freeze())
}

fn bench_codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Elements(1));
    let req = send_request();
    g.bench_function("encode_send_1k", |b| {
        let mut buf = BytesMut::with_capacity(4096);
        b.iter(|| {
            buf.clear();
            encode_command(&req, &mut buf);
        })
    });
    let mut frame = BytesMut::new();
    encode_command(&req, &mut frame);
    let frame = frame.freeze();
    g.bench_function("decode_send_1k", |b| {
        let mut codec = RemotingCodec::default();
        b.iter(|| {
            let mut buf = BytesMut::from(&frame[..]);
            codec.decode(&mut buf).unwrap().unwrap()
        })
    });
    let resp = pull_response();
    g.bench_function("encode_pull_32x1k", |b| {
        let mut buf = BytesMut::with_capacity(64 * 1024);
        b.iter(|| {
            buf.clear();
            encode_command(&resp, &mut buf);
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2));
    targets = bench_codec
}
criterion_main!(benches);
