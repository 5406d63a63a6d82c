//! RocketMQ `SimpleBatchProducer` and `SplitBatchProducer`: messages of one topic sent as
//! one request. `send_batch` splits a large list at the size limit by itself (what the Java
//! example's `ListSplitter` does by hand) and returns one result per request.
//!
//! ```bash
//! cargo run --example batch_producer
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example batch_producer
//! ```

use rmq::broker::EmbeddedBroker;
use rmq::client::{ClientConfig, DefaultMqProducer, Message, ProducerConfig};

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
            producer_group: "BatchProducerGroupName".into(),
            ..Default::default()
        },
    )?;

    // SimpleBatchProducer: three messages, one request.
    let messages = vec![
        Message::new("BatchTest", "Hello world 0")
            .with_tags("Tag")
            .with_keys("OrderID001"),
        Message::new("BatchTest", "Hello world 1")
            .with_tags("Tag")
            .with_keys("OrderID002"),
        Message::new("BatchTest", "Hello world 2")
            .with_tags("Tag")
            .with_keys("OrderID003"),
    ];
    for result in producer.send_batch(&messages).await? {
        println!(
            "{:?} ids={} queue={}",
            result.send_status, result.msg_id, result.message_queue
        );
    }

    // SplitBatchProducer: 100 × 100 KiB is more than one request may carry (4 MiB).
    let big: Vec<Message> = (0..100)
        .map(|i| {
            Message::new("BatchTest", vec![b'a' + (i % 26) as u8; 100 * 1024]).with_tags("Tag")
        })
        .collect();
    let results = producer.send_batch(&big).await?;
    println!("100 messages of 100 KiB went in {} requests", results.len());

    producer.shutdown().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
