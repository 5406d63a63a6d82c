//! RocketMQ `ordermessage.Producer`: 100 messages tagged `TagA`..`TagE` in turn; a selector
//! sends every message of one order (`order_id = i % 10`) to the same queue
//! (`order_id % queues`), so an orderly consumer sees each order's messages in sequence.
//!
//! ```bash
//! cargo run --example ordered_producer
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example ordered_producer
//! ```

use rmq::broker::EmbeddedBroker;
use rmq::client::{ClientConfig, DefaultMqProducer, Message, MessageQueue, ProducerConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (namesrv, embedded) = match std::env::var("NAMESRV_ADDR") {
        Ok(addr) if !addr.is_empty() => (addr, None),
        _ => {
            let broker = EmbeddedBroker::start().await?;
            (broker.namesrv_addr().to_string(), Some(broker))
        }
    };
    let producer = DefaultMqProducer::new(
        ClientConfig {
            name_server_addr: namesrv,
            ..Default::default()
        },
        ProducerConfig {
            producer_group: "please_rename_unique_group_name".into(),
            ..Default::default()
        },
    )?;

    let tags = ["TagA", "TagB", "TagC", "TagD", "TagE"];
    for i in 0..100usize {
        let order_id = i % 10;
        let msg = Message::new("TopicTest", format!("Hello RocketMQ {i}"))
            .with_tags(tags[i % tags.len()])
            .with_keys(format!("KEY{i}"));
        // The MessageQueueSelector: the order id picks the queue.
        let result = producer
            .send_with_selector(&msg, |mqs: &[MessageQueue]| order_id % mqs.len())
            .await?;
        println!(
            "{:?} {} order {order_id} -> {}",
            result.send_status, result.msg_id, result.message_queue
        );
    }
    // By a string key instead (Java's SelectMessageQueueByHash):
    let r = producer
        .send_with_selector(
            &Message::new("TopicTest", "by hash").with_tags("TagA"),
            rmq::client::select_by_hash_key("order-42"),
        )
        .await?;
    println!("key order-42 -> {}", r.message_queue);

    producer.shutdown().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
