//! RocketMQ quickstart `Producer`: synchronous sends of "Hello RocketMQ i" to `TopicTest`
//! with tag `TagA`, printing each `SendResult`.
//!
//! ```bash
//! cargo run --example simple_producer                           # in-process broker
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example simple_producer
//! ```

use rmq::broker::EmbeddedBroker;
use rmq::client::{ClientConfig, DefaultMqProducer, Message, ProducerConfig};

/// The Java quickstart sends 1000; ten keep the example quick.
const MESSAGE_COUNT: usize = 10;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // NAMESRV_ADDR, or a NameServer + Broker started in this process.
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
    for i in 0..MESSAGE_COUNT {
        let msg = Message::new("TopicTest", format!("Hello RocketMQ {i}")).with_tags("TagA");
        let result = producer.send(&msg).await?;
        println!("{result:?}");
    }

    producer.shutdown().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
