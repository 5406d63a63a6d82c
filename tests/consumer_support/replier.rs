//! A request-reply replier on rmq's push consumer: answers every request with `re:<body>`.

use rmq::client::{ConsumeConcurrentlyStatus, DefaultMqPushConsumer, ListenerFn, MessageExt};

use super::{from_first, producer};

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
