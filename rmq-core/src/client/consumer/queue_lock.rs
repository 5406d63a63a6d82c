//! Orderly consumers: LOCK_BATCH_MQ / UNLOCK_BATCH_MQ and lock renewal.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::offset_store::broker_of;
use super::push_inner::PushInner;
use crate::protocol::body::{LockBatchRequestBody, LockBatchResponseBody, MessageQueue};
use crate::protocol::{RemotingCommand, RequestCode};

impl PushInner {
    /// LOCK_BATCH_MQ (or UNLOCK_BATCH_MQ) per broker; returns the queues locked.
    pub(super) async fn lock_queues(
        &self,
        mqs: &[MessageQueue],
        unlock: bool,
    ) -> Vec<MessageQueue> {
        let mut by_broker: BTreeMap<String, Vec<MessageQueue>> = BTreeMap::new();
        for mq in mqs {
            by_broker
                .entry(mq.broker_name.clone())
                .or_default()
                .push(mq.clone());
        }
        let mut locked = Vec::new();
        for (_, set) in by_broker {
            let Ok(addr) = broker_of(&self.base.instance, &set[0]).await else {
                continue;
            };
            let body = LockBatchRequestBody {
                consumer_group: self.base.wire_group.clone(),
                client_id: self.base.instance.client_id().to_owned(),
                only_this_broker: false,
                mq_set: set,
            };
            let Ok(body) = serde_json::to_vec(&body) else {
                continue;
            };
            let code = if unlock {
                RequestCode::UnlockBatchMq
            } else {
                RequestCode::LockBatchMq
            };
            let req = RemotingCommand::request(code).with_body(body);
            match self
                .base
                .instance
                .remoting()
                .invoke(&addr, req, self.base.instance.api_timeout())
                .await
            {
                Ok(r) if r.code == 0 && !unlock => {
                    if let Ok(ok) = serde_json::from_slice::<LockBatchResponseBody>(&r.body) {
                        locked.extend(ok.lock_ok_mq_set);
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(%addr, error = %e, unlock, "queue lock request failed"),
            }
        }
        locked
    }

    /// Renews the locks of running queues; a queue whose lock was lost stops.
    pub(super) async fn renew_locks(self: &Arc<Self>) {
        let running: Vec<MessageQueue> = self.queues.lock().await.keys().cloned().collect();
        if running.is_empty() {
            return;
        }
        let locked = self.lock_queues(&running, false).await;
        let mut queues = self.queues.lock().await;
        for mq in &running {
            if locked.contains(mq) {
                if let Some(t) = queues.get(mq) {
                    t.pq.set_locked(true);
                }
            } else if let Some(t) = queues.remove(mq) {
                tracing::warn!(queue = %mq, "queue lock lost: stopping it");
                t.pq.set_locked(false);
                self.release_queue(mq, t).await;
            }
        }
    }
}
