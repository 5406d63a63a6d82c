//! Request-reply with the native client (Java's `RequestProducer` / `ResponseConsumer`
//! examples): a push consumer answers every request with `DefaultMqProducer::reply`, and
//! `DefaultMqProducer::request` waits for the reply (or a timeout naming the topic).
//!
//! ```bash
//! cargo run --example request_reply
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example request_reply
//! ```

use std::time::{Duration, Instant};

use rmq::broker::EmbeddedBroker;
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ClientConfig, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqProducer,
    DefaultMqPushConsumer, ListenerFn, Message, MessageExt, ProducerConfig,
};

const TOPIC: &str = "RequestTopic";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (namesrv, embedded) = match std::env::var("NAMESRV_ADDR") {
        Ok(addr) if !addr.is_empty() => (addr, None),
        _ => {
            let broker = EmbeddedBroker::start().await?;
            (broker.namesrv_addr().to_string(), Some(broker))
        }
    };
    let client = ClientConfig {
        name_server_addr: namesrv,
        ..Default::default()
    };

    // The replier: a consumer of the request topic and a producer for the replies.
    let replier = DefaultMqProducer::new(
        client.clone(),
        ProducerConfig {
            producer_group: "please_rename_unique_group_name".into(),
            ..Default::default()
        },
    )?;
    let consumer = DefaultMqPushConsumer::new(
        client.clone(),
        ConsumerConfig {
            consumer_group: "please_rename_unique_group_name_consumer".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let replier = replier.clone();
            async move {
                for msg in msgs {
                    let body = format!("reply to {}", String::from_utf8_lossy(&msg.body));
                    match replier.reply(&msg, body).await {
                        Ok(r) => println!("replied: {:?}", r.send_status),
                        Err(e) => println!("reply failed: {e}"),
                    }
                }
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    )?;
    consumer.subscribe(TOPIC, "*");
    consumer.start().await?;

    // The requester.
    let requester = DefaultMqProducer::new(
        client,
        ProducerConfig {
            producer_group: "please_rename_unique_group_name_requester".into(),
            ..Default::default()
        },
    )?;
    for i in 0..3 {
        let begin = Instant::now();
        let reply = requester
            .request(
                Message::new(TOPIC, format!("Hello world {i}")),
                Duration::from_secs(10),
            )
            .await?;
        println!(
            "request to <{TOPIC}> cost {} ms, reply: {}",
            begin.elapsed().as_millis(),
            String::from_utf8_lossy(&reply.body)
        );
    }

    consumer.shutdown().await;
    requester.shutdown().await;
    if let Some(b) = embedded {
        b.shutdown().await;
    }
    Ok(())
}
