//! RocketMQ `AsyncProducer`: 100 asynchronous sends with a callback each (no retry, as the
//! Java example sets `retryTimesWhenSendAsyncFailed(0)`), then a wait of at most 5 s for
//! every callback (Java's `CountDownLatch.await(5, SECONDS)`). The future form follows.
//!
//! ```bash
//! cargo run --example async_producer
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example async_producer
//! ```

use std::time::Duration;

use rmq::broker::EmbeddedBroker;
use rmq::client::{ClientConfig, DefaultMqProducer, Message, ProducerConfig};

const MESSAGE_COUNT: usize = 100;

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
            retry_times_when_send_async_failed: 0,
            ..Default::default()
        },
    )?;

    // Callback form.
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    for index in 0..MESSAGE_COUNT {
        let msg = Message::new("Jodie_topic_1023", "Hello world")
            .with_tags("TagA")
            .with_keys("OrderID188");
        let done = done_tx.clone();
        producer.send_async_with_callback(msg, move |result| {
            match result {
                Ok(r) => println!("{index:<10} OK {}", r.msg_id),
                Err(e) => println!("{index:<10} Exception {e}"),
            }
            let _ = done.send(());
        });
    }
    let all_done = async {
        for _ in 0..MESSAGE_COUNT {
            done_rx.recv().await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), all_done)
        .await
        .is_err()
    {
        println!("not every callback ran within 5 s");
    }

    // Future form: the send runs in the background; await the handle for its result.
    let handle =
        producer.send_async(Message::new("Jodie_topic_1023", "Hello future").with_tags("TagA"));
    let result = handle.await?;
    println!("future OK {}", result.msg_id);

    producer.shutdown().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
