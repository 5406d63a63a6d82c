//! RocketMQ `LitePullConsumerAssign`: a lite pull consumer takes the first half of
//! `TopicTest`'s queues itself (assign mode), moves the first one to offset 10, then polls
//! and commits by hand (auto-commit off).
//!
//! With an in-process broker it first sends 80 messages (20 per queue) and ends once it
//! polled the 30 it should see (10 + 20); against `NAMESRV_ADDR` it ends after three empty
//! polls in a row.
//!
//! ```bash
//! cargo run --example pull_consumer
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example pull_consumer
//! ```

use std::time::{Duration, Instant};

use rmq::broker::EmbeddedBroker;
use rmq::client::consumer::{ConsumeFromWhere, LitePullConsumerConfig};
use rmq::client::{
    ClientConfig, DefaultLitePullConsumer, DefaultMqProducer, Message, ProducerConfig,
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
        for i in 0..80 {
            producer
                .send(&Message::new("TopicTest", format!("Hello RocketMQ {i}")).with_tags("TagA"))
                .await?;
        }
        producer.shutdown().await;
        Some(30)
    } else {
        None
    };

    let consumer = DefaultLitePullConsumer::with_config(
        client,
        LitePullConsumerConfig {
            consumer_group: "please_rename_unique_group_name".into(),
            auto_commit: false,
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
    )?;
    consumer.start().await?;
    let mut queues = consumer.fetch_message_queues("TopicTest").await?;
    queues.sort();
    let half = queues[..queues.len() / 2].to_vec();
    consumer.assign(half.clone()).await?;
    if let Err(e) = consumer.seek(&half[0], 10).await {
        println!("cannot seek {}: {e}", half[0]);
    }

    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut total, mut empty_polls) = (0, 0);
    while Instant::now() < deadline {
        let msgs = consumer.poll(Duration::from_secs(1)).await?;
        if msgs.is_empty() {
            empty_polls += 1;
        } else {
            empty_polls = 0;
        }
        for m in &msgs {
            println!(
                "queue {} offset {}: {}",
                m.queue_id,
                m.queue_offset,
                String::from_utf8_lossy(&m.body)
            );
        }
        total += msgs.len();
        consumer.commit().await;
        let done = match expected {
            Some(e) => total >= e,
            None => empty_polls >= 3,
        };
        if done {
            break;
        }
    }
    println!("polled {total} message(s) from {} queue(s)", half.len());

    consumer.shutdown().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
