//! Request-reply properties and the reply message a replier sends back (Java's
//! `MessageConst` reply keys and `MessageUtil.createReplyMessage`).

use super::{keys, Message, MessageExt};

/// Property names of request-reply messages.
pub mod reply_keys {
    /// Pairs a reply with its request (a unique id set by the requester).
    pub const CORRELATION_ID: &str = "CORRELATION_ID";
    /// The client id of the requester: where the broker pushes the reply.
    pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
    /// How long the requester waits for the reply, in ms.
    pub const TTL: &str = "TTL";
    /// When the requester received the reply (ms), set by the requester's client.
    pub const ARRIVE_TIME: &str = "ARRIVE_TIME";
    /// When the broker pushed the reply (ms).
    pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
    /// The message type; [`REPLY_MESSAGE_FLAG`](super::REPLY_MESSAGE_FLAG) marks a reply.
    pub const MSG_TYPE: &str = "MSG_TYPE";
}

/// `MSG_TYPE` of a reply: the producer sends it with SEND_REPLY_MESSAGE_V2.
pub const REPLY_MESSAGE_FLAG: &str = "reply";
/// Suffix of a cluster's reply topic.
pub const REPLY_TOPIC_POSTFIX: &str = "REPLY_TOPIC";

/// The reply topic of a cluster: `<cluster>_REPLY_TOPIC`.
pub fn reply_topic(cluster: &str) -> String {
    format!("{cluster}_{REPLY_TOPIC_POSTFIX}")
}

/// Whether a message to send is a reply (`MSG_TYPE=reply`).
pub fn is_reply(msg: &Message) -> bool {
    msg.properties
        .get(reply_keys::MSG_TYPE)
        .is_some_and(|t| t == REPLY_MESSAGE_FLAG)
}

/// Why a reply cannot be built for a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The request has no `CLUSTER` property (the broker stamps it when storing), so the
    /// reply topic is unknown.
    #[error("cannot reply to message {msg_id}: property CLUSTER is missing (was it a request stored by a broker?)")]
    NoCluster { msg_id: String },
    /// The message was not sent as a request.
    #[error(
        "cannot reply to message {msg_id}: property {key} is missing (was it sent with request()?)"
    )]
    NotARequest { msg_id: String, key: &'static str },
}

/// Builds the reply to a request: topic `<cluster>_REPLY_TOPIC`, `MSG_TYPE=reply` and the
/// request's `CORRELATION_ID`, `REPLY_TO_CLIENT` and `TTL`.
pub fn create_reply_message(
    request: &MessageExt,
    body: impl Into<bytes::Bytes>,
) -> Result<Message, ReplyError> {
    let cluster = request
        .property(keys::CLUSTER)
        .ok_or_else(|| ReplyError::NoCluster {
            msg_id: request.msg_id(),
        })?;
    let mut reply = Message::new(reply_topic(cluster), body)
        .with_property(reply_keys::MSG_TYPE, REPLY_MESSAGE_FLAG);
    for key in [reply_keys::CORRELATION_ID, reply_keys::REPLY_TO_CLIENT] {
        let value = request
            .property(key)
            .ok_or_else(|| ReplyError::NotARequest {
                msg_id: request.msg_id(),
                key,
            })?;
        reply.properties.insert(key.to_owned(), value.to_owned());
    }
    if let Some(ttl) = request.property(reply_keys::TTL) {
        reply
            .properties
            .insert(reply_keys::TTL.to_owned(), ttl.to_owned());
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn request(props: &[(&str, &str)]) -> MessageExt {
        let addr: SocketAddr = "127.0.0.1:10911".parse().unwrap();
        MessageExt {
            topic: "Quotes".into(),
            flag: 0,
            properties: props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: bytes::Bytes::from_static(b"q"),
            queue_id: 0,
            store_size: 0,
            queue_offset: 0,
            sys_flag: 0,
            born_timestamp: 0,
            born_host: addr,
            store_timestamp: 0,
            store_host: addr,
            commit_log_offset: 0,
            body_crc: 0,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
        }
    }

    #[test]
    fn reply_carries_the_request_ids_to_the_cluster_reply_topic() {
        let req = request(&[
            (keys::CLUSTER, "DefaultCluster"),
            (reply_keys::CORRELATION_ID, "c-1"),
            (reply_keys::REPLY_TO_CLIENT, "10.0.0.1@1#2"),
            (reply_keys::TTL, "3000"),
        ]);
        let reply = create_reply_message(&req, "p").unwrap();
        assert_eq!(reply.topic, "DefaultCluster_REPLY_TOPIC");
        assert!(is_reply(&reply));
        assert_eq!(reply.properties[reply_keys::CORRELATION_ID], "c-1");
        assert_eq!(
            reply.properties[reply_keys::REPLY_TO_CLIENT],
            "10.0.0.1@1#2"
        );
        assert_eq!(reply.properties[reply_keys::TTL], "3000");
    }

    #[test]
    fn reply_needs_cluster_and_ids() {
        let err = create_reply_message(&request(&[]), "p").unwrap_err();
        assert!(err.to_string().contains("CLUSTER"), "{err}");
        let err = create_reply_message(&request(&[(keys::CLUSTER, "C")]), "p").unwrap_err();
        assert!(err.to_string().contains("CORRELATION_ID"), "{err}");
    }
}
