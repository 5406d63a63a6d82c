//! The broker's per-message filter cost: an SQL92 selector of three terms against an exact
//! TAG match, each on a stored record (decoding it included, as the pull path does), and the
//! one-off compile. The target: the SQL92 filter costs at most 2x the TAG filter.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion};
use rmq_core::filter::Selector;
use rmq_core::protocol::body::SubscriptionData;
use rmq_core::protocol::message::{
    decode_record, encode_record, find_property, keys, RecordFields,
};

const EXPR: &str = "a > 5 AND region = 'eu' AND TAGS IN ('TagA', 'TagB')";

fn record() -> BytesMut {
    let host = "127.0.0.1:10911".parse().unwrap();
    let mut buf = BytesMut::new();
    encode_record(
        &RecordFields {
            topic: "bench",
            queue_id: 0,
            flag: 0,
            queue_offset: 7,
            physical_offset: 8400,
            sys_flag: 0,
            born_timestamp: 1,
            born_host: host,
            store_timestamp: 2,
            store_host: host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body: &[b'x'; 1024],
            properties: "UNIQ_KEY\u{1}7F0000010C3B18B4AAC2461C8D7E0000\u{2}WAIT\u{1}true\u{2}\
                         TAGS\u{1}TagA\u{2}KEYS\u{1}order-17\u{2}a\u{1}9\u{2}region\u{1}eu\u{2}\
                         CLUSTER\u{1}DefaultCluster\u{2}",
            body_crc: None,
        },
        &mut buf,
    );
    buf
}

fn bench_filter(c: &mut Criterion) {
    let rec = record();
    let sub = SubscriptionData::from_expression("bench", "TagA || TagB", 0);
    let sel = Selector::compile(EXPR).unwrap();
    let mut g = c.benchmark_group("filter_per_message");
    g.bench_function("tag", |b| {
        b.iter(|| {
            let v = decode_record(black_box(&rec), false).unwrap();
            black_box(sub.matches_tag(find_property(v.properties, keys::TAGS)))
        })
    });
    g.bench_function("sql92_3_terms", |b| {
        b.iter(|| {
            let v = decode_record(black_box(&rec), false).unwrap();
            black_box(sel.matches_encoded(v.properties))
        })
    });
    g.finish();
    let props = decode_record(&rec, false).unwrap().properties.to_owned();
    let mut g = c.benchmark_group("filter_on_properties");
    g.bench_function("tag", |b| {
        b.iter(|| black_box(sub.matches_tag(find_property(black_box(&props), keys::TAGS))))
    });
    g.bench_function("sql92_3_terms", |b| {
        b.iter(|| black_box(sel.matches_encoded(black_box(&props))))
    });
    g.finish();
    c.bench_function("sql92_compile_3_terms", |b| {
        b.iter(|| Selector::compile(black_box(EXPR)).unwrap())
    });
}

criterion_group!(benches, bench_filter);
criterion_main!(benches);
