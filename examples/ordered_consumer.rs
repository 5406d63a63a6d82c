//! RocketMQ `ordermessage.Consumer`: an orderly push consumer of `TopicTest` with tags
//! `TagA || TagC || TagD`. Queues are locked on the broker and each queue's messages reach
//! the listener one at a time, in the order they were stored.
//!
//! With an in-process broker it first sends the ordered producer's 100 messages itself,
//! checks that every order's messages arrive in sequence, and ends once it got the 60 that
//! match the tags; against `NAMESRV_ADDR` it ends after 5 s without a new message.
//!
//! ```bash
//! cargo run --example ordered_consumer
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example ordered_consumer
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq::broker::EmbeddedBroker;
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ClientConfig, ConsumeOrderlyStatus, ConsumerConfig, DefaultMqProducer, DefaultMqPushConsumer,
    Message, MessageExt, MessageQueue, OrderlyListenerFn, ProducerConfig,
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

    let expected = if embedded.is_some() {
        let producer = DefaultMqProducer::new(client.clone(), ProducerConfig::default())?;
        let tags = ["TagA", "TagB", "TagC", "TagD", "TagE"];
        for i in 0..100usize {
            let order_id = i % 10;
            let msg =
                Message::new("TopicTest", format!("Hello RocketMQ {i}")).with_tags(tags[i % 5]);
            producer
                .send_with_selector(&msg, |mqs: &[MessageQueue]| order_id % mqs.len())
                .await?;
        }
        producer.shutdown().await;
        Some(60) // TagA, TagC and TagD
    } else {
        None
    };

    // Last message number seen per order: each order must only move forward.
    let last_of_order: Arc<Mutex<HashMap<usize, usize>>> = Arc::default();
    let received = Arc::new(Mutex::new(0usize));
    let (seen, count) = (last_of_order.clone(), received.clone());
    let consumer = DefaultMqPushConsumer::new_orderly(
        client,
        ConsumerConfig {
            consumer_group: "please_rename_unique_group_name_3".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        OrderlyListenerFn(move |msg: MessageExt| {
            let body = String::from_utf8_lossy(&msg.body).into_owned();
            println!(
                "queue {} offset {}: {} [{}]",
                msg.queue_id,
                msg.queue_offset,
                body,
                msg.tags().unwrap_or("")
            );
            if let Some(i) = body
                .strip_prefix("Hello RocketMQ ")
                .and_then(|n| n.parse::<usize>().ok())
            {
                let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(prev) = seen.insert(i % 10, i) {
                    assert!(prev < i, "order {} went back from {prev} to {i}", i % 10);
                }
            }
            *count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            std::future::ready(ConsumeOrderlyStatus::Success)
        }),
    )?;
    consumer.subscribe("TopicTest", "TagA || TagC || TagD");
    consumer.start().await?;
    println!("Consumer Started.");

    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut last_count, mut last_change) = (0, Instant::now());
    loop {
        let n = *received.lock().unwrap_or_else(|e| e.into_inner());
        if n != last_count {
            (last_count, last_change) = (n, Instant::now());
        }
        let done = match expected {
            Some(e) => n >= e,
            None => last_change.elapsed() > Duration::from_secs(5),
        };
        if done || Instant::now() > deadline {
            println!("received {n} message(s), every order in sequence");
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
