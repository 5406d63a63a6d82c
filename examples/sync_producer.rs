//! RocketMQ `SyncProducer`: reliable synchronous sends; each call returns once the broker
//! stored the message (or fails after `retry_times_when_send_failed` retries).
//!
//! ```bash
//! cargo run --example sync_producer
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example sync_producer
//! ```

use rmq::broker::EmbeddedBroker;
use rmq::client::{ClientConfig, DefaultMqProducer, Message, ProducerConfig, SendStatus};

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
            retry_times_when_send_failed: 2,
            ..Default::default()
        },
    )?;
    for i in 0..100 {
        let msg = Message::new("TopicTest", format!("Hello RocketMQ {i}"))
            .with_tags("TagA")
            .with_keys(format!("KEY{i}"));
        let result = producer.send(&msg).await?;
        assert_eq!(result.send_status, SendStatus::SendOk);
        println!(
            "{:?} msg_id={} queue={} offset={}",
            result.send_status, result.msg_id, result.message_queue, result.queue_offset
        );
    }

    producer.shutdown().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
