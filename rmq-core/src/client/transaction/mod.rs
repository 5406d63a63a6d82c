//! `TransactionMqProducer`: sends a half message, runs the local transaction, then commits or
//! rolls back with a oneway END_TRANSACTION to the broker that stored it (Java's
//! `DefaultMQProducerImpl.sendMessageInTransaction`/`endTransaction`); answers the brokers'
//! CHECK_TRANSACTION_STATE with its listener's `check_local_transaction`.

mod check;

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

pub use check::TransactionCheckers;

use super::publish::AUTO_CREATE_TOPIC_KEY_TOPIC;
use super::{ClientConfig, ClientError, DefaultMqProducer, ProducerConfig, SendResult, SendStatus};
use crate::protocol::header::EndTransactionRequestHeader;
use crate::protocol::message::{
    decode_offset_msg_id, keys, Message, MessageExt, TRANSACTION_COMMIT_TYPE, TRANSACTION_NOT_TYPE,
    TRANSACTION_ROLLBACK_TYPE,
};
use crate::protocol::{RemotingCommand, RequestCode};

/// The outcome of a local transaction (Java's `LocalTransactionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalTransactionState {
    /// Deliver the message (`COMMIT_MESSAGE`).
    Commit,
    /// Drop the message (`ROLLBACK_MESSAGE`).
    Rollback,
    /// Not decided yet: the broker checks back later (`UNKNOW`).
    Unknown,
}

impl LocalTransactionState {
    /// The sysFlag transaction type END_TRANSACTION carries.
    pub fn commit_or_rollback(self) -> i32 {
        match self {
            LocalTransactionState::Commit => TRANSACTION_COMMIT_TYPE,
            LocalTransactionState::Rollback => TRANSACTION_ROLLBACK_TYPE,
            LocalTransactionState::Unknown => TRANSACTION_NOT_TYPE,
        }
    }
}

/// The producer's side of a transaction (Java's `TransactionListener`).
///
/// `execute_local_transaction` runs in the task that called
/// [`TransactionMqProducer::send_message_in_transaction`] (keep it short, or wrap long work in
/// `tokio::task::block_in_place` on a multi-threaded runtime); `check_local_transaction` runs
/// on tokio's blocking pool. A panic counts as [`LocalTransactionState::Unknown`].
pub trait TransactionListener: Send + Sync + 'static {
    /// Runs the local transaction of a half message the broker stored; `arg` is what the
    /// caller passed to `send_message_in_transaction`.
    fn execute_local_transaction(
        &self,
        msg: &Message,
        arg: &(dyn Any + Send + Sync),
    ) -> LocalTransactionState;

    /// Tells the broker how a transaction left open ended (the message is the half message
    /// under its real topic; `msg.msg_id()` is the transaction id).
    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState;
}

/// The outcome of [`TransactionMqProducer::send_message_in_transaction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSendResult {
    /// How the half message was stored.
    pub send_result: SendResult,
    /// What the local transaction decided (and END_TRANSACTION told the broker).
    pub local_transaction_state: LocalTransactionState,
    /// The transaction id (the message's `UNIQ_KEY`).
    pub transaction_id: String,
}

/// Transaction producer settings beyond [`ProducerConfig`].
#[derive(Debug, Clone)]
pub struct TransactionProducerConfig {
    /// How often the producer group is announced to the brokers so they know whom to check
    /// (Java's `heartbeatBrokerInterval`, 30 s): the period of the underlying producer's
    /// heartbeat, which each round also refreshes the `TBW102` route.
    pub heartbeat_broker_interval: Duration,
}

impl Default for TransactionProducerConfig {
    fn default() -> Self {
        TransactionProducerConfig {
            heartbeat_broker_interval: Duration::from_secs(30),
        }
    }
}

/// A producer of transactional messages (Java's `TransactionMQProducer`). Cheap to clone;
/// the heartbeat (the underlying producer's) stops when [`shutdown`](Self::shutdown) is
/// called or the last clone is dropped.
#[derive(Clone)]
pub struct TransactionMqProducer {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    producer: DefaultMqProducer,
    listener: Arc<dyn TransactionListener>,
    config: TransactionProducerConfig,
}

impl std::fmt::Debug for TransactionMqProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionMqProducer")
            .field("group", &self.inner.producer.wire_group())
            .finish()
    }
}

impl TransactionMqProducer {
    /// A transaction producer of `config.producer_group` answering checks with `listener`.
    /// Call [`start`](Self::start) before sending.
    pub fn new(
        client: ClientConfig,
        config: ProducerConfig,
        listener: Arc<dyn TransactionListener>,
    ) -> Result<Self, ClientError> {
        Self::with_config(
            client,
            config,
            TransactionProducerConfig::default(),
            listener,
        )
    }

    /// [`new`](Self::new) with transaction settings.
    pub fn with_config(
        client: ClientConfig,
        config: ProducerConfig,
        tx: TransactionProducerConfig,
        listener: Arc<dyn TransactionListener>,
    ) -> Result<Self, ClientError> {
        let producer = DefaultMqProducer::new(client, config)?;
        Ok(TransactionMqProducer {
            inner: Arc::new(Inner {
                producer,
                listener,
                config: tx,
            }),
        })
    }

    /// The underlying producer (routes, connections, plain sends).
    pub fn producer(&self) -> &DefaultMqProducer {
        &self.inner.producer
    }

    /// Registers the check handler, announces the producer group to the brokers (found
    /// through the `TBW102` route and the routes already cached) and keeps announcing it
    /// every `heartbeat_broker_interval` (through the underlying producer's heartbeat: one
    /// stream of HEART_BEATs per producer).
    pub async fn start(&self) -> Result<(), ClientError> {
        let producer = &self.inner.producer;
        let instance = producer.instance();
        instance
            .transaction_checkers()
            .register(producer.wire_group(), Arc::downgrade(&self.inner));
        if let Err(e) = instance.route(AUTO_CREATE_TOPIC_KEY_TOPIC).await {
            tracing::debug!(error = %e, "no TBW102 route: heartbeats go to brokers as they are found");
        }
        producer.set_heartbeat(self.inner.config.heartbeat_broker_interval, true);
        producer.announce_now().await;
        Ok(())
    }

    /// Stops answering checks and heartbeats, unregisters and closes the connections.
    pub async fn shutdown(&self) {
        let instance = self.inner.producer.instance();
        instance
            .transaction_checkers()
            .unregister(self.inner.producer.wire_group());
        self.inner.producer.shutdown().await;
    }

    /// Sends `msg` as a half message, runs the listener's local transaction with `arg`, and
    /// ends the transaction on the broker with its outcome (oneway; an `Unknown` outcome, or
    /// an END_TRANSACTION that got lost, is settled by the broker's check).
    ///
    /// # Errors
    /// The half message could not be sent (nothing was stored; the local transaction did not
    /// run), or the message is invalid (a delay level is dropped as in Java, not refused).
    pub async fn send_message_in_transaction(
        &self,
        msg: &Message,
        arg: &(dyn Any + Send + Sync),
    ) -> Result<TransactionSendResult, ClientError> {
        let inner = &self.inner;
        let mut half = msg.clone();
        half.properties.remove(keys::DELAY_TIME_LEVEL);
        half.properties
            .insert(keys::TRANSACTION_PREPARED.into(), "true".into());
        half.properties.insert(
            keys::PRODUCER_GROUP.into(),
            inner.producer.wire_group().to_owned(),
        );
        let send_result = inner.producer.send(&half).await?;
        let transaction_id = send_result.msg_id.clone();
        let state = if send_result.send_status == SendStatus::SendOk {
            half.properties.insert(
                keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX.into(),
                transaction_id.clone(),
            );
            half.properties
                .insert(keys::TRANSACTION_ID.into(), transaction_id.clone());
            let listener = &inner.listener;
            match std::panic::catch_unwind(AssertUnwindSafe(|| {
                listener.execute_local_transaction(&half, arg)
            })) {
                Ok(s) => s,
                Err(_) => {
                    tracing::warn!(%transaction_id, "execute_local_transaction panicked: state unknown");
                    LocalTransactionState::Unknown
                }
            }
        } else {
            LocalTransactionState::Rollback
        };
        if let Err(e) = self.end_transaction(&send_result, state).await {
            tracing::warn!(%transaction_id, ?state, error = %e, "local transaction ended but END_TRANSACTION failed: the broker will check");
        }
        // A broker seen for the first time learns the group before it may check.
        inner.producer.announce().await;
        Ok(TransactionSendResult {
            send_result,
            local_transaction_state: state,
            transaction_id,
        })
    }

    async fn end_transaction(
        &self,
        r: &SendResult,
        state: LocalTransactionState,
    ) -> Result<(), ClientError> {
        let producer = &self.inner.producer;
        let (store_addr, commit_log_offset) =
            decode_offset_msg_id(&r.offset_msg_id).ok_or_else(|| ClientError::Decode {
                what: "offset msgId",
                detail: r.offset_msg_id.clone(),
            })?;
        let addr = producer
            .instance()
            .master_addr(&r.message_queue.broker_name)
            .unwrap_or_else(|| store_addr.to_string());
        let header = EndTransactionRequestHeader {
            topic: Some(crate::client::wrap_namespace(
                producer.namespace(),
                &r.message_queue.topic,
            )),
            producer_group: producer.wire_group().to_owned(),
            tran_state_table_offset: r.queue_offset,
            commit_log_offset,
            commit_or_rollback: state.commit_or_rollback(),
            from_transaction_check: Some(false),
            msg_id: r.msg_id.clone(),
            transaction_id: Some(r.msg_id.clone()),
            broker_name: Some(r.message_queue.broker_name.clone()),
        };
        let req = RemotingCommand::request_with_header(RequestCode::EndTransaction, &header);
        producer
            .instance()
            .remoting()
            .invoke_oneway(&addr, req)
            .await?;
        Ok(())
    }
}
