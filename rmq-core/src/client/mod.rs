//! The native RocketMQ client: routes, producers and (later) consumers.

mod admin;
pub mod consumer;
mod error;
mod fault;
mod instance;
mod namespace;
mod producer;
mod publish;
mod reply_table;
mod selector;
mod send_result;
mod transaction;

pub use admin::BrokerAddr;
pub use admin::{parse_offset_table, MqAdmin, QueueStats};
pub use admin::{MessageTrack, PullBatch, ResetOutcome, RollbackStats, TrackType};
pub use consumer::{
    ConsumeConcurrentlyStatus, ConsumeFromWhere, ConsumeOrderlyStatus, ConsumerConfig,
    DefaultLitePullConsumer, DefaultMqPushConsumer, ExpressionType, ListenerFn,
    LitePullConsumerConfig, MessageListenerConcurrently, MessageListenerOrderly, MessageModel,
    MessageSelector, OrderlyListenerFn,
};
pub use error::ClientError;
pub use fault::LatencyFaultTolerance;
pub use instance::{ClientConfig, ClientInstance};
pub use namespace::{unwrap_namespace, wrap_namespace};
pub use producer::{DefaultMqProducer, ProducerConfig, SendFuture};
pub use reply_table::ReplyTable;
pub use selector::{java_string_hash_code, select_by_hash_key};
pub use send_result::{SendResult, SendStatus};
pub use transaction::{
    LocalTransactionState, TransactionCheckers, TransactionListener, TransactionMqProducer,
    TransactionProducerConfig, TransactionSendResult,
};
