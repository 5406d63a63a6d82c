//! RocketMQ quickstart `Consumer`: a push consumer of `TopicTest` (all tags) that starts
//! from the first offset and prints what it receives.
//!
//! With an in-process broker (no `NAMESRV_ADDR`) it first sends ten messages itself and
//! ends once it got them; against `NAMESRV_ADDR` it ends after 5 s without a new message
//! (at most 30 s).
//!
//! ```bash
//! cargo run --example simple_consumer
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example simple_consumer
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq::broker::EmbeddedBroker;
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ClientConfig, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqProducer,
    DefaultMqPushConsumer, ListenerFn, Message, MessageExt, ProducerConfig,
};

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

    // Something to consume when the broker is our own.
    let expected = if embedded.is_some() {
        let producer = DefaultMqProducer::new(client.clone(), ProducerConfig::default())?;
        for i in 0..10 {
            producer
                .send(&Message::new("TopicTest", format!("Hello RocketMQ {i}")).with_tags("TagA"))
                .await?;
        }
        producer.shutdown().await;
        Some(10)
    } else {
        None
    };

    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let consumer = DefaultMqPushConsumer::new(
        client,
        ConsumerConfig {
            consumer_group: "please_rename_unique_group_name_4".into(),
            // Where a brand-new group starts.
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            for m in &msgs {
                println!(
                    "Receive New Messages: {} {}",
                    m.msg_id(),
                    String::from_utf8_lossy(&m.body)
                );
            }
            counter.fetch_add(msgs.len(), Ordering::SeqCst);
            std::future::ready(ConsumeConcurrentlyStatus::ConsumeSuccess)
        }),
    )?;
    consumer.subscribe("TopicTest", "*");
    consumer.start().await?;
    println!("Consumer Started.");

    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut last_count, mut last_change) = (0, Instant::now());
    loop {
        let n = received.load(Ordering::SeqCst);
        if n != last_count {
            (last_count, last_change) = (n, Instant::now());
        }
        let done = match expected {
            Some(e) => n >= e,
            None => last_change.elapsed() > Duration::from_secs(5),
        };
        if done || Instant::now() > deadline {
            println!("received {n} message(s)");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    consumer.shutdown().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
