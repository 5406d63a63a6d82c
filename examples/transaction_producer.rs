//! RocketMQ `TransactionProducer`: a half message is stored but not delivered until the
//! local transaction decides. Commit delivers it, rollback drops it, and an undecided
//! (Unknown) transaction is settled when the broker checks back with the producer.
//!
//! On the embedded broker the checks come quickly (`transactionCheckInterval` 1 s,
//! `transactionTimeOut` 2 s; RocketMQ's defaults are 30 s and 6 s).
//!
//! ```bash
//! cargo run --example transaction_producer
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run --example transaction_producer
//! ```

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmq::broker::{EmbeddedBroker, EmbeddedConfig};
use rmq::client::consumer::ConsumeFromWhere;
use rmq::client::{
    ClientConfig, ConsumeConcurrentlyStatus, ConsumerConfig, DefaultMqPushConsumer, ListenerFn,
    LocalTransactionState, Message, MessageExt, ProducerConfig, TransactionListener,
    TransactionMqProducer,
};

/// Decides by the message's index: 1, 4, 7 commit; 2, 5, 8 roll back; the others stay
/// unknown until the broker asks, and then commit.
#[derive(Default)]
struct OrderTransactions {
    local: Mutex<HashMap<String, LocalTransactionState>>,
}

impl TransactionListener for OrderTransactions {
    fn execute_local_transaction(
        &self,
        msg: &Message,
        arg: &(dyn Any + Send + Sync),
    ) -> LocalTransactionState {
        let index = arg.downcast_ref::<usize>().copied().unwrap_or(0);
        let state = match index % 3 {
            1 => LocalTransactionState::Commit,
            2 => LocalTransactionState::Rollback,
            _ => LocalTransactionState::Unknown,
        };
        let id = msg.properties.get("UNIQ_KEY").cloned().unwrap_or_default();
        self.local.lock().unwrap().insert(id, state);
        state
    }

    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
        println!(
            "broker checks {} ({})",
            msg.msg_id(),
            String::from_utf8_lossy(&msg.body)
        );
        LocalTransactionState::Commit
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (namesrv, embedded) = match std::env::var("NAMESRV_ADDR") {
        Ok(addr) if !addr.is_empty() => (addr, None),
        _ => {
            let mut cfg = EmbeddedConfig::default();
            cfg.broker.transaction_check_interval = 1000;
            cfg.broker.transaction_time_out = 2000;
            let broker = EmbeddedBroker::start_with(cfg).await?;
            (broker.namesrv_addr().to_string(), Some(broker))
        }
    };
    let client = ClientConfig {
        name_server_addr: namesrv,
        ..Default::default()
    };

    let received = Arc::new(Mutex::new(Vec::new()));
    let r = received.clone();
    let consumer = DefaultMqPushConsumer::new(
        client.clone(),
        ConsumerConfig {
            consumer_group: "transaction_consumer_group".into(),
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            ..Default::default()
        },
        ListenerFn(move |msgs: Vec<MessageExt>| {
            let r = r.clone();
            async move {
                for m in msgs {
                    println!("consumed {}", String::from_utf8_lossy(&m.body));
                    r.lock().unwrap().push(m.msg_id());
                }
                ConsumeConcurrentlyStatus::ConsumeSuccess
            }
        }),
    )?;
    consumer.subscribe("TopicTransaction", "*");
    consumer.start().await?;

    let producer = TransactionMqProducer::new(
        client,
        ProducerConfig {
            producer_group: "please_rename_unique_group_name".into(),
            ..Default::default()
        },
        Arc::new(OrderTransactions::default()),
    )?;
    producer.start().await?;
    let tags = ["TagA", "TagB", "TagC", "TagD", "TagE"];
    for i in 0..10usize {
        let msg = Message::new("TopicTransaction", format!("Hello RocketMQ {i}"))
            .with_tags(tags[i % tags.len()])
            .with_keys(format!("KEY{i}"));
        let result = producer.send_message_in_transaction(&msg, &i).await?;
        println!(
            "sent {} → local transaction {:?}",
            result.transaction_id, result.local_transaction_state
        );
    }

    // 3 committed at once + 4 committed when checked; the 3 rolled back never arrive.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while received.lock().unwrap().len() < 7 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{} of 10 messages delivered",
        received.lock().unwrap().len()
    );

    producer.shutdown().await;
    consumer.shutdown().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
