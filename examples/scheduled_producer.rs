//! RocketMQ `ScheduledMessageProducer` + `ScheduledMessageConsumer`: a message sent with
//! delay level 3 (10 s with the default `messageDelayLevel`) reaches the consumer about
//! 10 s after it was stored.
//!
//! ```bash
//! cargo run --example scheduled_producer      # takes ~10 s
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example scheduled_producer
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmq::broker::EmbeddedBroker;
use rmq::client::{
    ClientConfig, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqProducer,
    DefaultMqPushConsumer, ListenerFn, Message, MessageExt, ProducerConfig,
};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

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

    // The consumer first, so that it sees the message whenever it is delivered.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let consumer = DefaultMqPushConsumer::new(
        client.clone(),
        ConsumerConfig {
            consumer_group: "ExampleConsumer".into(),
            ..Default::default()
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            for m in msgs {
                // Delivered ~10 s after it was sent.
                println!(
                    "Receive message[msgId={}] {} ms later",
                    m.msg_id(),
                    now_ms() - m.born_timestamp
                );
                let _ = tx.send(m.msg_id());
            }
            std::future::ready(ConsumeConcurrentlyStatus::ConsumeSuccess)
        }),
    )?;
    consumer.subscribe("TestTopic", "*");
    consumer.start().await?;

    let producer = DefaultMqProducer::new(
        client,
        ProducerConfig {
            producer_group: "ExampleProducerGroup".into(),
            ..Default::default()
        },
    )?;
    let msg = Message::new("TestTopic", "Hello scheduled message").with_delay_time_level(3);
    let sent = producer.send(&msg).await?;
    println!("sent {} with delay level 3", sent.msg_id);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(id)) if id == sent.msg_id => break,
            Ok(Some(_)) => continue,
            _ => {
                println!("the delayed message did not arrive within 30 s");
                break;
            }
        }
    }

    consumer.shutdown().await;
    producer.shutdown().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
