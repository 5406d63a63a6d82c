//! `DefaultMqProducer`: sync, async, oneway, selector and batch sends with cached routes,
//! TBW102 auto-create, namespaces, retries on another broker and latency fault tolerance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

mod async_send;
mod batch;
mod heartbeat;
mod queue;
mod request;

pub use async_send::SendFuture;

use super::fault::LatencyFaultTolerance;
use super::publish::{PublishTable, TopicPublishInfo, AUTO_CREATE_TOPIC_KEY_TOPIC};
use super::{
    unwrap_namespace, wrap_namespace, ClientConfig, ClientError, ClientInstance, SendResult,
    SendStatus,
};
use crate::protocol::body::MessageQueue;
use crate::protocol::header::{
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use crate::protocol::message::{
    compress, is_reply, keys, new_uniq_id, push_property, Message, COMPRESSED_FLAG,
    TRANSACTION_PREPARED_TYPE,
};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode, SerializeType};
use crate::remoting::RemotingError;

/// Producer settings with RocketMQ's defaults. The name server address, the namespace and
/// the instance name are shared by every client of an instance and live in [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Producer group (`DEFAULT_PRODUCER`).
    pub producer_group: String,
    /// Budget of one send, retries included (3000 ms).
    pub send_msg_timeout: Duration,
    /// Bodies at least this long are zlib-compressed (4096).
    pub compress_msg_body_over_howmuch: usize,
    /// Largest body accepted (4 MiB).
    pub max_message_size: usize,
    /// Extra attempts of a failed sync send, each on another broker when there is one (2).
    pub retry_times_when_send_failed: u32,
    /// Extra attempts of a failed async send (2).
    pub retry_times_when_send_async_failed: u32,
    /// Retry a sync send on another broker when it was stored with a status other than
    /// `SendOk` (flush or slave timeouts); the last result is returned when no attempt is
    /// left (false).
    pub retry_another_broker_when_not_store_ok: bool,
    /// Put brokers that failed or answered slowly aside for a while (false, as Java's
    /// `sendLatencyFaultEnable`); when off, a retry only avoids the broker that just failed.
    pub send_latency_fault_enable: bool,
    /// Queues asked for an auto-created topic (4).
    pub default_topic_queue_nums: i32,
    /// Header encoding of send requests: JSON (Java's default) or the ROCKETMQ binary
    /// header (`-Drocketmq.serialize.type=ROCKETMQ`), which every 4.x/5.x broker accepts
    /// and which costs the broker less to decode.
    pub serialize_type: SerializeType,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            producer_group: "DEFAULT_PRODUCER".into(),
            send_msg_timeout: Duration::from_millis(3000),
            compress_msg_body_over_howmuch: 4096,
            max_message_size: 4 * 1024 * 1024,
            retry_times_when_send_failed: 2,
            retry_times_when_send_async_failed: 2,
            retry_another_broker_when_not_store_ok: false,
            send_latency_fault_enable: false,
            default_topic_queue_nums: 4,
            serialize_type: SerializeType::Json,
        }
    }
}

/// Response codes after which a sync send is retried on another broker (Java's
/// `retryResponseCodes`); any other error code is returned at once.
const RETRY_RESPONSE_CODES: [ResponseCode; 7] = [
    ResponseCode::TopicNotExist,
    ResponseCode::ServiceNotAvailable,
    ResponseCode::SystemError,
    ResponseCode::SystemBusy,
    ResponseCode::NoPermission,
    ResponseCode::NoBuyerId,
    ResponseCode::NotInCurrentUnit,
];

/// Sends messages to the brokers of a topic. Cheap to clone; clones share routes, fault
/// table and connections.
#[derive(Debug, Clone)]
pub struct DefaultMqProducer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ProducerConfig,
    namespace: String,
    /// The producer group as it goes on the wire.
    wire_group: String,
    instance: Arc<ClientInstance>,
    publish: Arc<PublishTable>,
    fault: LatencyFaultTolerance,
    /// Where and how often this producer announces its group (HEART_BEAT).
    heartbeat: heartbeat::Heartbeat,
}

/// A message ready for the wire: everything but the queue.
struct Prepared {
    /// Wire topic (namespace applied).
    topic: String,
    body: Bytes,
    sys_flag: i32,
    flag: i32,
    properties: String,
    batch: bool,
    /// A reply (`MSG_TYPE=reply`): sent with SEND_REPLY_MESSAGE_V2.
    reply: bool,
    /// `UNIQ_KEY`, or the ids of a batch joined by `,`.
    msg_id: String,
}

fn check_topic(topic: &str) -> Result<(), ClientError> {
    if topic.is_empty() || topic.len() > 127 {
        return Err(ClientError::InvalidMessage(format!(
            "topic {topic:?} must be 1..=127 characters"
        )));
    }
    if !topic
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
    {
        return Err(ClientError::InvalidMessage(format!(
            "topic {topic:?} contains characters outside ^[%|a-zA-Z0-9_-]+$"
        )));
    }
    if topic == AUTO_CREATE_TOPIC_KEY_TOPIC {
        return Err(ClientError::InvalidMessage(
            "topic TBW102 is reserved".into(),
        ));
    }
    Ok(())
}

fn timeout_error(what: &str, timeout: Duration) -> ClientError {
    ClientError::Remoting(RemotingError::Timeout {
        addr: what.to_owned(),
        timeout_ms: timeout.as_millis() as u64,
    })
}

impl DefaultMqProducer {
    /// A producer on `client` with `config`; fails when no name server is configured.
    pub fn new(client: ClientConfig, config: ProducerConfig) -> Result<Self, ClientError> {
        let namespace = client.namespace.clone();
        let interval = client.poll_name_server_interval;
        let instance = ClientInstance::new(client)?;
        let publish = Arc::new(PublishTable::new(
            instance.clone(),
            &namespace,
            config.default_topic_queue_nums,
            interval,
        ));
        Ok(DefaultMqProducer {
            inner: Arc::new(Inner {
                wire_group: wrap_namespace(&namespace, &config.producer_group),
                namespace,
                fault: LatencyFaultTolerance::new(config.send_latency_fault_enable),
                config,
                instance,
                publish,
                heartbeat: heartbeat::Heartbeat::default(),
            }),
        })
    }

    /// The shared client instance.
    pub fn instance(&self) -> &Arc<ClientInstance> {
        &self.inner.instance
    }

    /// The settings.
    pub fn config(&self) -> &ProducerConfig {
        &self.inner.config
    }

    /// The producer group as it goes on the wire (namespace applied).
    pub fn wire_group(&self) -> &str {
        &self.inner.wire_group
    }

    /// The namespace of the client (empty: none).
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// Closes the producer's connections (Java's `shutdown`). Oneway requests still queued
    /// on a connection may be dropped; sends started afterwards connect again.
    pub async fn shutdown(&self) {
        heartbeat::close(&self.inner);
        self.inner.instance.remoting().close_all().await;
    }

    /// The latency fault table (which brokers are put aside).
    pub fn fault_tolerance(&self) -> &LatencyFaultTolerance {
        &self.inner.fault
    }

    fn wire_topic(&self, topic: &str) -> String {
        wrap_namespace(&self.inner.namespace, topic)
    }

    fn validate(&self, msg: &Message, wire_topic: &str) -> Result<(), ClientError> {
        check_topic(wire_topic)?;
        if msg.body.is_empty() {
            return Err(ClientError::InvalidMessage(
                "the message body is empty".into(),
            ));
        }
        let max = self.inner.config.max_message_size;
        if msg.body.len() > max {
            return Err(ClientError::InvalidMessage(format!(
                "the message body size {} is over the limit maxMessageSize {max}",
                msg.body.len()
            )));
        }
        Ok(())
    }

    /// The publish info of a wire topic, bounded by what is left of the send budget.
    async fn publish_info(
        &self,
        wire_topic: &str,
        started: Instant,
    ) -> Result<Arc<TopicPublishInfo>, ClientError> {
        if let Some(info) = self.inner.publish.cached(wire_topic) {
            return Ok(info);
        }
        let timeout = self.inner.config.send_msg_timeout;
        let remaining = timeout.saturating_sub(started.elapsed());
        match tokio::time::timeout(remaining, self.inner.publish.get(wire_topic)).await {
            Ok(Ok(info)) => {
                // A route was learnt: the brokers it names hear of this producer.
                self.announce_soon();
                Ok(info)
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ClientError::NoRoute {
                topic: wire_topic.to_owned(),
                reason: format!(
                    "no route from the name servers within {} ms",
                    timeout.as_millis()
                ),
            }),
        }
    }

    /// The writable queues of a topic (from TBW102 when the topic is not created yet), with
    /// the namespace taken off; never empty: no writable queue is a `NoRoute` error.
    pub async fn publish_queues(&self, topic: &str) -> Result<Vec<MessageQueue>, ClientError> {
        let info = self
            .publish_info(&self.wire_topic(topic), Instant::now())
            .await?;
        Ok(info.user_queues.clone())
    }

    /// Validates `msg` and builds what every attempt sends.
    fn prepare(&self, msg: &Message) -> Result<Prepared, ClientError> {
        let topic = self.wire_topic(&msg.topic);
        self.validate(msg, &topic)?;
        let msg_id = msg
            .properties
            .get(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
            .cloned()
            .unwrap_or_else(new_uniq_id);
        let mut sys_flag = 0;
        if msg
            .properties
            .get(keys::TRANSACTION_PREPARED)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            sys_flag |= TRANSACTION_PREPARED_TYPE;
        }
        let body = if msg.body.len() >= self.inner.config.compress_msg_body_over_howmuch {
            sys_flag |= COMPRESSED_FLAG;
            Bytes::from(compress(&msg.body, 5))
        } else {
            msg.body.clone()
        };
        Ok(Prepared {
            properties: message_properties(msg, &msg_id),
            topic,
            body,
            sys_flag,
            flag: msg.flag,
            batch: false,
            reply: is_reply(msg),
            msg_id,
        })
    }

    fn wire_request(&self, p: &Prepared, mq: &MessageQueue) -> RemotingCommand {
        let h = SendMessageRequestHeaderV2::from(SendMessageRequestHeader {
            producer_group: self.inner.wire_group.clone(),
            topic: p.topic.clone(),
            default_topic: AUTO_CREATE_TOPIC_KEY_TOPIC.into(),
            default_topic_queue_nums: self.inner.config.default_topic_queue_nums,
            queue_id: mq.queue_id,
            sys_flag: p.sys_flag,
            born_timestamp: crate::clock::now_ms(),
            flag: p.flag,
            properties: Some(p.properties.clone()),
            reconsume_times: Some(0),
            unit_mode: Some(false),
            batch: Some(p.batch),
            ..Default::default()
        });
        let code = if p.batch {
            RequestCode::SendBatchMessage
        } else if p.reply {
            RequestCode::SendReplyMessageV2
        } else {
            RequestCode::SendMessageV2
        };
        let mut cmd = RemotingCommand::request_with_owned_header(code, h).with_body(p.body.clone());
        cmd.serialize_type = self.inner.config.serialize_type;
        cmd
    }

    /// Sends and waits for the broker's answer. A failed attempt is retried
    /// (`retry_times_when_send_failed`) on another broker when there is one, all within
    /// `send_msg_timeout`.
    pub async fn send(&self, msg: &Message) -> Result<SendResult, ClientError> {
        let started = Instant::now();
        let p = self.prepare(msg)?;
        let info = self.publish_info(&p.topic, started).await?;
        self.send_default(
            &p,
            &info,
            self.inner.config.retry_times_when_send_failed,
            started,
        )
        .await
    }

    /// `send` within `timeout` instead of `send_msg_timeout` (Java's `send(msg, timeout)`).
    pub async fn send_with_timeout(
        &self,
        msg: &Message,
        timeout: Duration,
    ) -> Result<SendResult, ClientError> {
        let started = Instant::now();
        let p = self.prepare(msg)?;
        let info = self.publish_info(&p.topic, started).await?;
        self.send_default_within(
            &p,
            &info,
            self.inner.config.retry_times_when_send_failed,
            started,
            timeout,
            None,
        )
        .await
    }

    /// Java's `sendDefaultImpl`: pick a queue (fault tolerance, avoiding the last broker on
    /// a retry), send, record the latency, retry what may be retried.
    async fn send_default(
        &self,
        p: &Prepared,
        info: &TopicPublishInfo,
        retries: u32,
        started: Instant,
    ) -> Result<SendResult, ClientError> {
        self.send_default_within(
            p,
            info,
            retries,
            started,
            self.inner.config.send_msg_timeout,
            None,
        )
        .await
    }

    /// `send_default` within `timeout`; the first attempt avoids `avoid` (the broker an
    /// async send just failed on) when there is another.
    async fn send_default_within(
        &self,
        p: &Prepared,
        info: &TopicPublishInfo,
        retries: u32,
        started: Instant,
        timeout: Duration,
        avoid: Option<&str>,
    ) -> Result<SendResult, ClientError> {
        let fault = &self.inner.fault;
        let mut last_broker: Option<&str> = avoid;
        let mut last_err = None;
        let mut not_stored_ok = None;
        for attempt in 0..=retries {
            let remaining = timeout.saturating_sub(started.elapsed());
            if remaining.is_zero() {
                break;
            }
            let mq = &info.queues[fault.select(&info.queues, &info.counter, last_broker)];
            last_broker = Some(&mq.broker_name);
            let begin = Instant::now();
            let outcome = self.send_kernel(p, mq, info, remaining).await;
            let latency = begin.elapsed();
            let e = match outcome {
                Ok(r) => {
                    fault.update(&mq.broker_name, latency, false);
                    if r.send_status != SendStatus::SendOk
                        && self.inner.config.retry_another_broker_when_not_store_ok
                        && attempt < retries
                    {
                        tracing::debug!(status = ?r.send_status, queue = %mq, "not stored ok, retrying on another broker");
                        not_stored_ok = Some(r);
                        continue;
                    }
                    return Ok(r);
                }
                Err(e) => e,
            };
            let retry = self.failed_attempt(&e, &mq.broker_name, latency, &p.topic);
            tracing::debug!(error = %e, queue = %mq, attempt, retry, "send failed");
            if !retry {
                return not_stored_ok.ok_or(e);
            }
            last_err = Some(e);
        }
        if let Some(r) = not_stored_ok {
            return Ok(r);
        }
        Err(last_err.unwrap_or_else(|| timeout_error(&p.topic, timeout)))
    }

    /// Records a failed attempt on `broker` (fault table, route refresh) and tells whether
    /// it may be retried: transport errors, Java's retry response codes, a missing route.
    fn failed_attempt(
        &self,
        e: &ClientError,
        broker: &str,
        latency: Duration,
        topic: &str,
    ) -> bool {
        let fault = &self.inner.fault;
        let retry = match e {
            ClientError::Remoting(_) => {
                fault.update(broker, latency, true);
                true
            }
            ClientError::Broker { code, .. } => {
                fault.update(broker, latency, true);
                RETRY_RESPONSE_CODES.iter().any(|c| c.code() == *code)
            }
            ClientError::NoRoute { .. } => {
                fault.update(broker, latency, false);
                true
            }
            _ => false,
        };
        self.inner.publish.invalidate(topic);
        retry
    }

    /// One attempt on one queue.
    async fn send_kernel(
        &self,
        p: &Prepared,
        mq: &MessageQueue,
        info: &TopicPublishInfo,
        timeout: Duration,
    ) -> Result<SendResult, ClientError> {
        let addr = info.master_of(&p.topic, mq)?;
        let req = self.wire_request(p, mq);
        let resp = self
            .inner
            .instance
            .remoting()
            .invoke(addr, req, timeout)
            .await?;
        self.send_result(addr, resp, mq, p.msg_id.clone())
    }

    fn send_result(
        &self,
        addr: &str,
        mut resp: RemotingCommand,
        mq: &MessageQueue,
        msg_id: String,
    ) -> Result<SendResult, ClientError> {
        let status = match ResponseCode::from_code(resp.code) {
            Some(ResponseCode::Success) => SendStatus::SendOk,
            Some(ResponseCode::FlushDiskTimeout) => SendStatus::FlushDiskTimeout,
            Some(ResponseCode::FlushSlaveTimeout) => SendStatus::FlushSlaveTimeout,
            Some(ResponseCode::SlaveNotAvailable) => SendStatus::SlaveNotAvailable,
            _ => {
                return Err(ClientError::Broker {
                    addr: addr.to_owned(),
                    code: resp.code,
                    remark: resp.remark_str().to_owned(),
                })
            }
        };
        let h: SendMessageResponseHeader = resp.take_header().map_err(|e| ClientError::Decode {
            what: "SendMessageResponseHeader",
            detail: e.to_string(),
        })?;
        Ok(SendResult {
            send_status: status,
            msg_id,
            offset_msg_id: h.msg_id,
            message_queue: MessageQueue::new(
                unwrap_namespace(&self.inner.namespace, &mq.topic),
                mq.broker_name.clone(),
                h.queue_id,
            ),
            queue_offset: h.queue_offset,
            region_id: h.msg_region,
        })
    }
}

/// The properties string of a message: UNIQ_KEY, WAIT (true unless the message says
/// otherwise), then the other properties sorted by key.
fn message_properties(msg: &Message, uniq: &str) -> String {
    let mut props = String::with_capacity(64);
    push_property(&mut props, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, uniq);
    let wait = msg
        .properties
        .get(keys::WAIT_STORE_MSG_OK)
        .map_or("true", String::as_str);
    push_property(&mut props, keys::WAIT_STORE_MSG_OK, wait);
    let mut user: Vec<_> = msg
        .properties
        .iter()
        .filter(|(k, _)| *k != keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX && *k != keys::WAIT_STORE_MSG_OK)
        .collect();
    user.sort_unstable();
    for (k, v) in user {
        push_property(&mut props, k, v);
    }
    props
}
