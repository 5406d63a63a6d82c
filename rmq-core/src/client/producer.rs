//! `DefaultMqProducer`: sync and oneway sends with route lookup, TBW102 auto-create and
//! retries on another queue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::{ClientConfig, ClientError, ClientInstance, SendResult, SendStatus};
use crate::protocol::body::{MessageQueue, TopicRouteData, PERM_WRITE};
use crate::protocol::header::{
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use crate::protocol::message::{
    batch_entry_size, compress, encode_batch_entry, keys, new_uniq_id, push_property, Message,
    COMPRESSED_FLAG,
};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Producer settings with RocketMQ's defaults.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Producer group.
    pub producer_group: String,
    /// Per-send timeout (3000 ms).
    pub send_msg_timeout: Duration,
    /// Bodies at least this long are zlib-compressed (4096).
    pub compress_msg_body_over_howmuch: usize,
    /// Largest body accepted (4 MiB).
    pub max_message_size: usize,
    /// Extra attempts of a failed sync send (2).
    pub retry_times_when_send_failed: u32,
    /// Extra attempts of a failed async send (2).
    pub retry_times_when_send_async_failed: u32,
    /// Queues asked for an auto-created topic (4).
    pub default_topic_queue_nums: i32,
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
            default_topic_queue_nums: 4,
        }
    }
}

/// Sends messages to the brokers of a topic.
#[derive(Debug, Clone)]
pub struct DefaultMqProducer {
    config: ProducerConfig,
    instance: Arc<ClientInstance>,
    next_queue: Arc<AtomicUsize>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
    if topic == "TBW102" {
        return Err(ClientError::InvalidMessage(
            "topic TBW102 is reserved".into(),
        ));
    }
    Ok(())
}

impl DefaultMqProducer {
    /// A producer on `client` with `config`.
    pub fn new(client: ClientConfig, config: ProducerConfig) -> Result<Self, ClientError> {
        Ok(DefaultMqProducer {
            config,
            instance: ClientInstance::new(client)?,
            next_queue: Arc::new(AtomicUsize::new(rand_start())),
        })
    }

    /// The shared client instance.
    pub fn instance(&self) -> &Arc<ClientInstance> {
        &self.instance
    }

    fn validate(&self, msg: &Message) -> Result<(), ClientError> {
        check_topic(&msg.topic)?;
        if msg.body.is_empty() {
            return Err(ClientError::InvalidMessage(
                "the message body is empty".into(),
            ));
        }
        if msg.body.len() > self.config.max_message_size {
            return Err(ClientError::InvalidMessage(format!(
                "the message body size {} is over the limit maxMessageSize {}",
                msg.body.len(),
                self.config.max_message_size
            )));
        }
        Ok(())
    }

    /// The writable queues of a topic (from TBW102 when the topic is not created yet); never
    /// empty: no writable queue is a `NoRoute` error.
    pub async fn publish_queues(&self, topic: &str) -> Result<Vec<MessageQueue>, ClientError> {
        let route = match self.instance.route(topic).await {
            Ok(r) => r,
            Err(ClientError::NoRoute { .. }) => {
                let mut tbw =
                    self.instance
                        .route("TBW102")
                        .await
                        .map_err(|e| ClientError::NoRoute {
                            topic: topic.to_owned(),
                            reason: format!("topic unknown and no auto-create template: {e}"),
                        })?;
                for q in &mut tbw.queue_datas {
                    let n = q.write_queue_nums.min(self.config.default_topic_queue_nums);
                    q.write_queue_nums = n;
                    q.read_queue_nums = n;
                }
                tbw
            }
            Err(e) => return Err(e),
        };
        let queues = queues_of(topic, &route);
        if queues.is_empty() {
            return Err(ClientError::NoRoute {
                topic: topic.to_owned(),
                reason: "no writable queue".into(),
            });
        }
        Ok(queues)
    }

    fn build_request(&self, msg: &Message, mq: &MessageQueue, uniq: &str) -> RemotingCommand {
        let props = message_properties(msg, uniq);
        let mut sys_flag = 0;
        let body = if msg.body.len() >= self.config.compress_msg_body_over_howmuch {
            sys_flag |= COMPRESSED_FLAG;
            Bytes::from(compress(&msg.body, 5))
        } else {
            msg.body.clone()
        };
        let h = SendMessageRequestHeaderV2::from(SendMessageRequestHeader {
            producer_group: self.config.producer_group.clone(),
            topic: msg.topic.clone(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: self.config.default_topic_queue_nums,
            queue_id: mq.queue_id,
            sys_flag,
            born_timestamp: now_ms(),
            flag: msg.flag,
            properties: Some(props),
            reconsume_times: Some(0),
            unit_mode: Some(false),
            batch: Some(false),
            ..Default::default()
        });
        RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(body)
    }

    fn master_of(&self, msg: &Message, mq: &MessageQueue) -> Result<String, ClientError> {
        self.instance
            .master_addr(&mq.broker_name)
            .ok_or_else(|| ClientError::NoRoute {
                topic: msg.topic.clone(),
                reason: format!("no master for broker {}", mq.broker_name),
            })
    }

    /// Sends and waits for the broker's answer; retries on another queue after a failure.
    pub async fn send(&self, msg: &Message) -> Result<SendResult, ClientError> {
        self.send_with_retries(msg, self.config.retry_times_when_send_failed)
            .await
    }

    /// Starts a send in the background; await the handle for the result.
    pub fn send_async(
        &self,
        msg: Message,
    ) -> tokio::task::JoinHandle<Result<SendResult, ClientError>> {
        let producer = self.clone();
        tokio::spawn(async move {
            producer
                .send_with_retries(&msg, producer.config.retry_times_when_send_async_failed)
                .await
        })
    }

    /// Starts a send in the background and calls `callback` with the outcome.
    pub fn send_async_with_callback<F>(&self, msg: Message, callback: F)
    where
        F: FnOnce(Result<SendResult, ClientError>) + Send + 'static,
    {
        let producer = self.clone();
        tokio::spawn(async move {
            let r = producer
                .send_with_retries(&msg, producer.config.retry_times_when_send_async_failed)
                .await;
            callback(r);
        });
    }

    async fn send_with_retries(
        &self,
        msg: &Message,
        retries: u32,
    ) -> Result<SendResult, ClientError> {
        self.validate(msg)?;
        let queues = self.publish_queues(&msg.topic).await?;
        let uniq = msg
            .properties
            .get(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
            .cloned()
            .unwrap_or_else(new_uniq_id);
        let mut last_err = None;
        for _ in 0..=retries {
            let i = self.next_queue.fetch_add(1, Ordering::Relaxed);
            let mq = &queues[i % queues.len()];
            match self.send_to(msg, mq, &uniq).await {
                Ok(r) => return Ok(r),
                Err(e) => {
                    tracing::debug!(error = %e, queue = %mq, "send failed, retrying");
                    let _ = self.instance.fetch_route(&msg.topic).await;
                    last_err = Some(e);
                }
            }
        }
        Err(last_err.unwrap_or_else(|| ClientError::InvalidMessage("no attempt made".into())))
    }

    /// Sends to the queue `select` picks from the publish list (ordered messages).
    pub async fn send_with_selector<F>(
        &self,
        msg: &Message,
        select: F,
    ) -> Result<SendResult, ClientError>
    where
        F: FnOnce(&[MessageQueue]) -> usize,
    {
        self.validate(msg)?;
        let queues = self.publish_queues(&msg.topic).await?;
        let i = select(&queues) % queues.len();
        self.send_to(msg, &queues[i], &new_uniq_id()).await
    }

    /// Sends to one queue.
    pub async fn send_to(
        &self,
        msg: &Message,
        mq: &MessageQueue,
        uniq: &str,
    ) -> Result<SendResult, ClientError> {
        let addr = self.master_of(msg, mq)?;
        let req = self.build_request(msg, mq, uniq);
        self.invoke_send(&addr, req, mq, uniq.to_owned()).await
    }

    async fn invoke_send(
        &self,
        addr: &str,
        req: RemotingCommand,
        mq: &MessageQueue,
        msg_id: String,
    ) -> Result<SendResult, ClientError> {
        let resp = self
            .instance
            .remoting()
            .invoke(addr, req, self.config.send_msg_timeout)
            .await?;
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
        let h: SendMessageResponseHeader =
            resp.decode_header().map_err(|e| ClientError::Decode {
                what: "SendMessageResponseHeader",
                detail: e.to_string(),
            })?;
        Ok(SendResult {
            send_status: status,
            msg_id,
            offset_msg_id: h.msg_id,
            message_queue: MessageQueue::new(mq.topic.clone(), mq.broker_name.clone(), h.queue_id),
            queue_offset: h.queue_offset,
            region_id: h.msg_region,
        })
    }

    /// Sends messages of one topic as batches (SEND_BATCH_MESSAGE), split so that each
    /// request stays under `max_message_size`. Returns one result per request; its `msg_id`
    /// joins the messages' ids with `,`.
    pub async fn send_batch(&self, msgs: &[Message]) -> Result<Vec<SendResult>, ClientError> {
        let Some(first) = msgs.first() else {
            return Err(ClientError::InvalidMessage("the batch is empty".into()));
        };
        for m in msgs {
            self.validate(m)?;
            if m.topic != first.topic {
                return Err(ClientError::InvalidMessage(format!(
                    "a batch holds one topic; got {} and {}",
                    first.topic, m.topic
                )));
            }
            if m.delay_time_level().is_some_and(|l| l > 0) {
                return Err(ClientError::InvalidMessage(
                    "batch messages do not support delay levels".into(),
                ));
            }
        }
        let queues = self.publish_queues(&first.topic).await?;
        let mut results = Vec::new();
        let mut body = bytes::BytesMut::new();
        let mut ids = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            let uniq = new_uniq_id();
            let props = message_properties(m, &uniq);
            if batch_entry_size(m.body.len(), props.len()) > self.config.max_message_size {
                return Err(ClientError::InvalidMessage(format!(
                    "a batch entry of {} bytes is over the limit maxMessageSize {}",
                    m.body.len(),
                    self.config.max_message_size
                )));
            }
            if !body.is_empty()
                && body.len() + batch_entry_size(m.body.len(), props.len())
                    > self.config.max_message_size
            {
                results.push(
                    self.send_batch_body(first, &queues, body.split().freeze(), &ids)
                        .await?,
                );
                ids.clear();
            }
            encode_batch_entry(m.flag, &m.body, &props, &mut body);
            ids.push(uniq);
            if i + 1 == msgs.len() {
                results.push(
                    self.send_batch_body(first, &queues, body.split().freeze(), &ids)
                        .await?,
                );
            }
        }
        Ok(results)
    }

    async fn send_batch_body(
        &self,
        first: &Message,
        queues: &[MessageQueue],
        body: Bytes,
        ids: &[String],
    ) -> Result<SendResult, ClientError> {
        let mq = &queues[self.next_queue.fetch_add(1, Ordering::Relaxed) % queues.len()];
        let addr = self.master_of(first, mq)?;
        let mut wrapper = String::new();
        push_property(
            &mut wrapper,
            keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
            &new_uniq_id(),
        );
        push_property(&mut wrapper, keys::WAIT_STORE_MSG_OK, "true");
        let h = SendMessageRequestHeaderV2::from(SendMessageRequestHeader {
            producer_group: self.config.producer_group.clone(),
            topic: first.topic.clone(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: self.config.default_topic_queue_nums,
            queue_id: mq.queue_id,
            sys_flag: 0,
            born_timestamp: now_ms(),
            flag: 0,
            properties: Some(wrapper),
            reconsume_times: Some(0),
            unit_mode: Some(false),
            batch: Some(true),
            ..Default::default()
        });
        let req =
            RemotingCommand::request_with_header(RequestCode::SendBatchMessage, &h).with_body(body);
        self.invoke_send(&addr, req, mq, ids.join(",")).await
    }

    /// Sends without waiting for the broker.
    pub async fn send_oneway(&self, msg: &Message) -> Result<(), ClientError> {
        self.validate(msg)?;
        let queues = self.publish_queues(&msg.topic).await?;
        let mq = &queues[self.next_queue.fetch_add(1, Ordering::Relaxed) % queues.len()];
        let addr = self.master_of(msg, mq)?;
        let req = self.build_request(msg, mq, &new_uniq_id());
        self.instance.remoting().invoke_oneway(&addr, req).await?;
        Ok(())
    }
}

/// The properties string of a message: UNIQ_KEY, WAIT, then the user's properties.
fn message_properties(msg: &Message, uniq: &str) -> String {
    let mut props = String::new();
    push_property(&mut props, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, uniq);
    push_property(&mut props, keys::WAIT_STORE_MSG_OK, "true");
    let mut user: Vec<_> = msg.properties.iter().collect();
    user.sort();
    for (k, v) in user {
        if k != keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX && k != keys::WAIT_STORE_MSG_OK {
            push_property(&mut props, k, v);
        }
    }
    props
}

/// The writable queues of a route, sorted by broker name.
pub fn queues_of(topic: &str, route: &TopicRouteData) -> Vec<MessageQueue> {
    let mut datas = route.queue_datas.clone();
    datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    let mut out = Vec::new();
    for q in datas {
        if q.perm & PERM_WRITE == 0 {
            continue;
        }
        let has_master = route
            .broker_datas
            .iter()
            .any(|b| b.broker_name == q.broker_name && b.master_addr().is_some());
        if !has_master {
            continue;
        }
        for id in 0..q.write_queue_nums {
            out.push(MessageQueue::new(topic, q.broker_name.clone(), id));
        }
    }
    out
}

fn rand_start() -> usize {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0)
}
