//! Golden-vector tests: real client frames from the wire corpus, decoded and re-encoded.

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use super::body::{ConsumeType, HeartbeatData, LockBatchRequestBody, MessageModel};
use super::header::*;
use super::*;

pub(crate) fn hex_frame(hex: &str) -> BytesMut {
    let hex = hex.trim();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("test vector is hex"))
        .collect();
    BytesMut::from(&bytes[..])
}

fn decode_one(hex: &str) -> RemotingCommand {
    let mut buf = hex_frame(hex);
    let cmd = RemotingCodec::default()
        .decode(&mut buf)
        .expect("frame decodes")
        .expect("frame is complete");
    assert!(buf.is_empty(), "whole frame consumed");
    cmd
}

#[test]
fn cpp_send_message_with_numbers_and_zero_one_booleans() {
    let cmd = decode_one(include_str!("testdata/cpp_send_message.hex"));
    assert_eq!(cmd.code, RequestCode::SendMessage.code());
    assert_eq!(cmd.language, LanguageCode::Cpp);
    assert_eq!(cmd.version, 63);
    assert_eq!(cmd.remark, None, "empty remark is none");
    assert_eq!(cmd.body.len(), 64);
    let h = SendMessageRequestHeader::read_any(&cmd.ext_fields).unwrap();
    assert_eq!(h.producer_group, "peer_cpp_producer");
    assert_eq!(h.default_topic, "TBW102");
    assert_eq!(h.default_topic_queue_nums, 4);
    assert_eq!(h.batch, Some(false));
    assert!(h.properties.unwrap().contains("UNIQ_KEY\u{1}"));
}

#[test]
fn alions_send_v2_with_bare_json_scalars() {
    let cmd = decode_one(include_str!("testdata/alions_send_v2.hex"));
    assert_eq!(cmd.code, RequestCode::SendMessageV2.code());
    assert_eq!(cmd.serialize_type, SerializeType::Json);
    let h = SendMessageRequestHeader::read_any(&cmd.ext_fields).unwrap();
    assert_eq!(h.topic, "WireAlions");
    assert_eq!(h.queue_id, 2);
    assert_eq!(h.born_timestamp, 1_795_639_427_276);
    assert_eq!(h.unit_mode, Some(false));
}

#[test]
fn cpp_pull_header() {
    let cmd = decode_one(include_str!("testdata/cpp_pull.hex"));
    let h: PullMessageRequestHeader = cmd.decode_header().unwrap();
    assert_eq!(h.consumer_group, "GID_wire_push");
    assert_eq!(h.max_msg_nums, 32);
    assert_eq!(h.suspend_timeout_millis, 15_000);
    assert_eq!(h.sub_version, 1_795_639_401_302);
    assert_eq!(h.expression_type, None);
}

#[test]
fn cpp_query_offset_header() {
    let cmd = decode_one(include_str!("testdata/cpp_query_offset.hex"));
    let h: QueryConsumerOffsetRequestHeader = cmd.decode_header().unwrap();
    assert_eq!(h.topic, "WirePush");
    assert_eq!(h.queue_id, 0);
}

#[test]
fn cpp_heartbeat_with_integer_enums_and_string_sub_version() {
    let cmd = decode_one(include_str!("testdata/cpp_heartbeat.hex"));
    let hb: HeartbeatData = serde_json::from_slice(&cmd.body).unwrap();
    assert_eq!(hb.client_id, "4147-127.0.0.1@DEFAULT");
    assert!(hb.producer_data_set.is_empty());
    let c = &hb.consumer_data_set[0];
    assert_eq!(c.consume_type, ConsumeType::ConsumePassively);
    assert_eq!(c.message_model, MessageModel::Clustering);
    assert_eq!(c.subscription_data_set[0].sub_version, 1_795_639_401_302);
    assert_eq!(c.subscription_data_set[0].expression_type, "TAG");
    let b = decode_one(include_str!("testdata/cpp_broadcast_heartbeat.hex"));
    let hb: HeartbeatData = serde_json::from_slice(&b.body).unwrap();
    assert_eq!(
        hb.consumer_data_set[0].message_model,
        MessageModel::Broadcasting
    );
}

#[test]
fn alions_heartbeat_with_enum_names() {
    let cmd = decode_one(include_str!("testdata/alions_heartbeat.hex"));
    let hb: HeartbeatData = serde_json::from_slice(&cmd.body).unwrap();
    assert_eq!(hb.producer_data_set[0].group_name, "CLIENT_INNER_PRODUCER");
    assert_eq!(
        hb.consumer_data_set[0].message_model,
        MessageModel::Clustering
    );
}

#[test]
fn cpp_lock_batch_without_only_this_broker() {
    let cmd = decode_one(include_str!("testdata/cpp_lock_batch.hex"));
    let body: LockBatchRequestBody = serde_json::from_slice(&cmd.body).unwrap();
    assert!(!body.only_this_broker);
    assert_eq!(body.mq_set.len(), 1);
    assert_eq!(body.mq_set[0].topic, "WireOrderlyPush");
}

#[test]
fn json_round_trip_keeps_every_field() {
    for hex in [
        include_str!("testdata/cpp_send_message.hex"),
        include_str!("testdata/cpp_pull.hex"),
        include_str!("testdata/cpp_route.hex"),
    ] {
        let cmd = decode_one(hex);
        let mut out = BytesMut::new();
        RemotingCodec::default()
            .encode(cmd.clone(), &mut out)
            .unwrap();
        let again = RemotingCodec::default().decode(&mut out).unwrap().unwrap();
        assert_eq!(again, cmd);
    }
}

#[test]
fn binary_header_matches_reference_bytes() {
    // GET_ROUTEINFO_BY_TOPIC, topic T1, opaque 7, version 401, JAVA: remoting-protocol.md §1.8.
    let expected = hex_frame(
        "00000026010000220069000191000000070000000000000000000000\
         0d0005746f7069630000000254 31"
            .replace(' ', "")
            .as_str(),
    );
    let mut cmd = RemotingCommand::request(RequestCode::GetRouteinfoByTopic);
    cmd.language = LanguageCode::Java;
    cmd.version = 401;
    cmd.opaque = 7;
    cmd.serialize_type = SerializeType::RocketMq;
    cmd.ext_fields.insert("topic", "T1");
    let mut out = BytesMut::new();
    encode_command(&cmd, &mut out);
    assert_eq!(out, expected);
    let back = RemotingCodec::default().decode(&mut out).unwrap().unwrap();
    assert_eq!(back, cmd);
}

#[test]
fn json_header_without_serialize_type_and_with_numeric_language() {
    let header = br#"{"code":105,"language":1,"opaque":3,"flag":0,"extFields":{"topic":"T","n":1.0,"b":true,"z":null}}"#;
    let cmd = decode_json(header).unwrap();
    assert_eq!(cmd.language, LanguageCode::Cpp);
    assert_eq!(cmd.ext_fields.get("n").map(String::as_str), Some("1.0"));
    assert_eq!(cmd.ext_fields.get("b").map(String::as_str), Some("true"));
    assert!(!cmd.ext_fields.contains_key("z"));
    assert_eq!(required::<i32>(&cmd.ext_fields, "n"), Ok(1));
    assert_eq!(required::<bool>(&cmd.ext_fields, "b"), Ok(true));
}

#[test]
fn partial_frames_wait_for_more_bytes() {
    let full = hex_frame(include_str!("testdata/cpp_route.hex"));
    let mut codec = RemotingCodec::default();
    let mut buf = BytesMut::new();
    for (i, b) in full.iter().enumerate() {
        buf.extend_from_slice(&[*b]);
        let r = codec.decode(&mut buf).unwrap();
        assert_eq!(r.is_some(), i == full.len() - 1);
    }
}

#[test]
fn malformed_frames_are_errors() {
    let mut codec = RemotingCodec::default();
    // Length over 16 MiB.
    let mut buf = BytesMut::from(&[0x01u8, 0x00, 0x00, 0x01, 0, 0, 0, 0][..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(ProtocolError::BadFrameLength { .. })
    ));
    // Length below 4.
    let mut buf = BytesMut::from(&[0u8, 0, 0, 2, 0, 0][..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(ProtocolError::BadFrameLength { .. })
    ));
    // Header longer than the frame.
    let mut buf = BytesMut::from(&[0u8, 0, 0, 6, 0, 0, 0, 9, b'{', b'}'][..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(ProtocolError::HeaderTooLong { .. })
    ));
    // Unknown serialize type.
    let mut buf = BytesMut::from(&[0u8, 0, 0, 6, 7, 0, 0, 2, b'{', b'}'][..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(ProtocolError::UnknownSerializeType(7))
    ));
    // Invalid JSON.
    let mut buf = BytesMut::from(&[0u8, 0, 0, 6, 0, 0, 0, 2, b'{', b'x'][..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(ProtocolError::InvalidJsonHeader { .. })
    ));
    // Truncated binary header.
    let mut buf = BytesMut::from(&[0u8, 0, 0, 6, 1, 0, 0, 2, 0, 1][..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(ProtocolError::InvalidBinaryHeader(_))
    ));
}

#[test]
fn response_extfields_are_strings() {
    let req = decode_one(include_str!("testdata/cpp_send_message.hex"));
    let resp = req.success_to().with_header(&SendMessageResponseHeader {
        msg_id: "AB".into(),
        queue_id: 3,
        queue_offset: 42,
        ..Default::default()
    });
    let mut out = BytesMut::new();
    encode_command(&resp, &mut out);
    let header_len = u32::from_be_bytes([out[4], out[5], out[6], out[7]]) as usize;
    assert_eq!(out[4], 0, "JSON, high byte 0 for the C++ client");
    let json: serde_json::Value = serde_json::from_slice(&out[8..8 + header_len]).unwrap();
    assert_eq!(json["extFields"]["queueId"], "3");
    assert_eq!(json["extFields"]["queueOffset"], "42");
    assert_eq!(json["opaque"], req.opaque);
    assert_eq!(json["flag"], 1);
}

#[test]
fn json_header_is_what_serde_json_writes() {
    // The hand-written encoder must write exactly serde_json's bytes: same key order, same
    // escapes (properties carry \u0001 and \u0002 separators).
    let mut cmd = RemotingCommand::request(RequestCode::SendMessageV2);
    cmd.opaque = -5;
    cmd.flag = 2;
    cmd.remark = Some("a \"quoted\" \\ remark\n\twith\u{7f}ü and \u{1f}".into());
    // Entries are written in insertion order; these are inserted sorted, as json! writes them.
    cmd.ext_fields.insert("a", "group\r\u{8}\u{c}\u{0}");
    cmd.ext_fields
        .insert("e", "UNIQ_KEY\u{1}ABC\u{2}WAIT\u{1}true\u{2}");
    cmd.ext_fields.insert("ключ", "значение");
    let mut out = BytesMut::new();
    encode_json(&cmd, &mut out);
    let expected = serde_json::json!({
        "code": cmd.code,
        "extFields": cmd.ext_fields,
        "flag": cmd.flag,
        "language": cmd.language.name(),
        "opaque": cmd.opaque,
        "remark": cmd.remark,
        "serializeTypeCurrentRPC": "JSON",
        "version": cmd.version,
    });
    assert_eq!(std::str::from_utf8(&out).unwrap(), expected.to_string());
    assert_eq!(
        decode_json(&out).unwrap(),
        RemotingCommand {
            body: cmd.body.clone(),
            ..cmd.clone()
        }
    );

    // Without extFields and remark both keys are left out.
    let bare = RemotingCommand::request(RequestCode::HeartBeat);
    let mut out = BytesMut::new();
    encode_json(&bare, &mut out);
    let text = std::str::from_utf8(&out).unwrap();
    assert!(
        !text.contains("extFields") && !text.contains("remark"),
        "{text}"
    );
    assert_eq!(decode_json(&out).unwrap(), bare);
}
