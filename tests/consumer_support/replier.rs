//! A request-reply replier on rmq's push consumer: answers every request with `re:<body>`.

use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqPushConsumer, ListenerFn, MessageExt,
};

use super::{client, producer};

/// A started consumer of `topic` in `group` (from the first offset) that replies to every
/// request with `re:<body>`; a failed reply fails the test.
pub async fn echo_replier(ns: &str, topic: &str, group: &str) -> DefaultMqPushConsumer {
    let replier = producer(ns);
    let c = DefaultMqPushConsumer::new(
        client(ns),
        ConsumerConfig {
            consumer_group: group.into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
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
    )
    .unwrap();
    c.subscribe(topic, "*");
    c.start().await.unwrap();
    c
}
