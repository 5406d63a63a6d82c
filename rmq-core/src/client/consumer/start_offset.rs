//! Where a newly assigned queue starts: the committed offset, or per ConsumeFromWhere.

use super::offset_store::broker_of;
use super::push::PushInner;
use crate::client::ClientError;
use crate::protocol::body::{ConsumeFromWhere, MessageModel, MessageQueue};
use crate::protocol::header::*;
use crate::protocol::{RemotingCommand, RequestCode};

impl PushInner {
    pub(super) async fn queue_offset(
        &self,
        code: RequestCode,
        mq: &MessageQueue,
        timestamp: Option<i64>,
    ) -> Result<i64, ClientError> {
        let addr = broker_of(&self.instance, mq).await?;
        let req = match (code, timestamp) {
            (RequestCode::SearchOffsetByTimestamp, Some(ts)) => {
                RemotingCommand::request_with_header(
                    code,
                    &SearchOffsetRequestHeader {
                        topic: mq.topic.clone(),
                        queue_id: mq.queue_id,
                        timestamp: ts,
                        boundary_type: None,
                    },
                )
            }
            (RequestCode::GetMinOffset, _) => RemotingCommand::request_with_header(
                code,
                &GetMinOffsetRequestHeader {
                    topic: mq.topic.clone(),
                    queue_id: mq.queue_id,
                },
            ),
            _ => RemotingCommand::request_with_header(
                RequestCode::GetMaxOffset,
                &GetMaxOffsetRequestHeader {
                    topic: mq.topic.clone(),
                    queue_id: mq.queue_id,
                    committed: None,
                },
            ),
        };
        let resp = self
            .instance
            .remoting()
            .invoke(&addr, req, self.instance.api_timeout())
            .await?;
        resp.decode_header::<OffsetResponseHeader>()
            .map(|h| h.offset)
            .map_err(|e| ClientError::Decode {
                what: "offset",
                detail: e.to_string(),
            })
    }

    /// Where a newly assigned queue starts: the committed offset, else per ConsumeFromWhere.
    pub(super) async fn start_offset(&self, mq: &MessageQueue) -> Result<i64, ClientError> {
        if self.config.message_model == MessageModel::Broadcasting {
            if let Some(o) = self.offsets.get(mq) {
                return Ok(o);
            }
        } else {
            if let Some(o) = self
                .offsets
                .fetch(&self.instance, mq)
                .await?
                .filter(|o| *o >= 0)
            {
                self.offsets.update(mq, o);
                return Ok(o);
            }
        }
        let o = match self.config.consume_from_where {
            _ if mq.topic.starts_with("%RETRY%") => 0,
            ConsumeFromWhere::ConsumeFromFirstOffset | ConsumeFromWhere::ConsumeFromMinOffset => {
                self.queue_offset(RequestCode::GetMinOffset, mq, None)
                    .await?
            }
            ConsumeFromWhere::ConsumeFromTimestamp => {
                self.queue_offset(
                    RequestCode::SearchOffsetByTimestamp,
                    mq,
                    Some(self.config.consume_timestamp),
                )
                .await?
            }
            _ => {
                self.queue_offset(RequestCode::GetMaxOffset, mq, None)
                    .await?
            }
        };
        self.offsets.update(mq, o);
        Ok(o)
    }
}
