//! A request-reply replier on rmq's push consumer: answers every request with `re:<body>`.

use std::time::Duration;

use rmq::client::{
    ConsumeConcurrentlyStatus, DefaultMqProducer, DefaultMqPushConsumer, ListenerFn, Message,
    MessageExt,
};
use rmq::protocol::message::reply_keys;

use super::{from_first, producer};

/// Sends `n` requests `rq-<i>` to `topic` from `requester` and checks each reply is
/// `re:rq-<i>` addressed to it; returns the replies.
pub async fn request_echoes(
    requester: &DefaultMqProducer,
    topic: &str,
    n: usize,
) -> Vec<MessageExt> {
    let mut replies = Vec::with_capacity(n);
    for i in 0..n {
        let reply = requester
            .request(
                Message::new(topic, format!("rq-{i}")),
                Duration::from_secs(20),
            )
            .await
            .unwrap_or_else(|e| panic!("request {i} on {topic}: {e}"));
        assert_eq!(String::from_utf8_lossy(&reply.body), format!("re:rq-{i}"));
        assert_eq!(
            reply.property(reply_keys::REPLY_TO_CLIENT),
            Some(requester.instance().client_id())
        );
        replies.push(reply);
    }
    replies
}

/// A started consumer of `topic` in `group` (from the first offset) that replies to every
/// request with `re:<body>`; a failed reply fails the test.
pub async fn echo_replier(ns: &str, topic: &str, group: &str) -> DefaultMqPushConsumer {
    let replier = producer(ns);
    let c = from_first(
        ns,
        group,
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let replier = replier.clone();
            async move {
                for m in msgs {
                    let body = format!("re:{}", String::from_utf8_lossy(&m.body));
                    if let Err(e) = replier.reply(&m, body).await {
                        panic!("reply failed: {e}");
                    }
                }
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    );
    c.subscribe(topic, "*");
    c.start().await.unwrap();
    c
}
