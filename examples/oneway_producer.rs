//! RocketMQ `OnewayProducer`: fire-and-forget sends (logs, metrics): no response is
//! awaited. The example then watches the broker's offsets until all 100 are stored.
//!
//! ```bash
//! cargo run --example oneway_producer
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example oneway_producer
//! ```

use std::time::{Duration, Instant};

use rmq::broker::EmbeddedBroker;
use rmq::client::{ClientConfig, DefaultMqProducer, Message, MqAdmin, ProducerConfig};

const MESSAGE_COUNT: i64 = 100;

/// Messages stored in `topic` so far (sum of the queues' max offsets).
async fn stored(admin: &MqAdmin, topic: &str) -> Result<i64, Box<dyn std::error::Error>> {
    let stats = admin.consume_stats("oneway_example_watch", topic).await?;
    Ok(stats.values().map(|s| s.broker_offset).sum())
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
    let producer = DefaultMqProducer::new(
        client.clone(),
        ProducerConfig {
            producer_group: "please_rename_unique_group_name".into(),
            ..Default::default()
        },
    )?;
    let admin = MqAdmin::new(client)?;

    // The topic exists once a first message went through (auto-create); count from there.
    producer
        .send(&Message::new("TopicTest", "before").with_tags("TagA"))
        .await?;
    let before = stored(&admin, "TopicTest").await?;
    for i in 0..MESSAGE_COUNT {
        let msg = Message::new("TopicTest", format!("Hello RocketMQ {i}")).with_tags("TagA");
        producer.send_oneway(&msg).await?;
    }
    println!("{MESSAGE_COUNT} oneway sends queued");

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = stored(&admin, "TopicTest").await? - before;
        if n >= MESSAGE_COUNT {
            println!("the broker stored all {n}");
            break;
        }
        if Instant::now() > deadline {
            println!("only {n} stored after 10 s (oneway sends may be lost)");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    admin.close().await;
    producer.shutdown().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
