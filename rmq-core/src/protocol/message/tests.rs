//! Stored-layout tests against a real pull body from the wire corpus.

use std::net::SocketAddr;

use bytes::BytesMut;
use tokio_util::codec::Decoder;

use super::*;
use crate::protocol::header::SendMessageRequestHeader;
use crate::protocol::tests::hex_frame;
use crate::protocol::RemotingCodec;

#[test]
fn decodes_corpus_pull_body_and_re_encodes_identically() {
    let mut buf = hex_frame(include_str!("../testdata/cpp_pull_found.hex"));
    let cmd = RemotingCodec::default().decode(&mut buf).unwrap().unwrap();
    let view = decode_record(&cmd.body, true).unwrap();
    assert_eq!(view.total_size, 277);
    assert_eq!(view.magic, MESSAGE_MAGIC_CODE_V1);
    assert_eq!(view.topic, "WirePush");
    assert_eq!(view.born_timestamp, 1_795_639_390_620);
    assert_eq!(
        view.store_host,
        "127.0.0.1:10911".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(
        find_property(view.properties, keys::CLUSTER),
        Some("DefaultCluster")
    );
    let mut out = BytesMut::new();
    let f = RecordFields {
        topic: view.topic,
        queue_id: view.queue_id,
        flag: view.flag,
        queue_offset: view.queue_offset,
        physical_offset: view.physical_offset,
        sys_flag: view.sys_flag,
        born_timestamp: view.born_timestamp,
        born_host: view.born_host,
        store_timestamp: view.store_timestamp,
        store_host: view.store_host,
        reconsume_times: view.reconsume_times,
        prepared_transaction_offset: view.prepared_transaction_offset,
        body: view.body,
        properties: view.properties,
        body_crc: None,
    };
    assert_eq!(encode_record(&f, &mut out), 277);
    assert_eq!(&out[..], &cmd.body[..]);
    let msgs = MessageExt::decode_all(&cmd.body).unwrap();
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].body.starts_with(b"warm-00000000-s0-"));
    assert_eq!(msgs[0].offset_msg_id(), "7F00000100002A9F0000000000000000");
}

#[test]
fn compressed_cpp_body_inflates() {
    let mut buf = hex_frame(include_str!("../testdata/cpp_large_body.hex"));
    let cmd = RemotingCodec::default().decode(&mut buf).unwrap().unwrap();
    let h = SendMessageRequestHeader::read_any(&cmd.ext_fields).unwrap();
    assert_eq!(h.sys_flag & COMPRESSED_FLAG, COMPRESSED_FLAG);
    let body = decompress(&cmd.body, 1 << 20).unwrap();
    assert_eq!(body.len(), 10_240);
}

#[test]
fn ipv6_and_v2_topic_round_trip() {
    let topic = "t".repeat(200);
    let host: SocketAddr = "[::1]:10911".parse().unwrap();
    let f = RecordFields {
        topic: &topic,
        queue_id: 1,
        flag: 2,
        queue_offset: 3,
        physical_offset: 4,
        sys_flag: 0,
        born_timestamp: 5,
        born_host: host,
        store_timestamp: 6,
        store_host: host,
        reconsume_times: 7,
        prepared_transaction_offset: 8,
        body: b"hello",
        properties: "TAGS\u{1}x\u{2}",
        body_crc: None,
    };
    let mut out = BytesMut::new();
    let n = encode_record(&f, &mut out);
    assert_eq!(n, out.len());
    let v = decode_record(&out, true).unwrap();
    assert_eq!(v.magic, MESSAGE_MAGIC_CODE_V2);
    assert_eq!(v.topic, topic);
    assert_eq!(v.sys_flag & (BORNHOST_V6_FLAG | STOREHOST_V6_FLAG), 0x30);
    assert_eq!(v.born_host, host);
    assert_eq!(v.body, b"hello");
    // A flipped body byte fails the CRC check.
    let mut bad = out.clone();
    let body_at = n - 7 - 2 - topic.len() - 2 - 5;
    bad[body_at] ^= 0xFF;
    assert!(matches!(
        decode_record(&bad, true),
        Err(MessageDecodeError::BadCrc { .. })
    ));
    // Truncation is detected.
    assert!(decode_record(&out[..n - 1], false).is_err());
}
