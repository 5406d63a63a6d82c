//! One pull of one queue, shared by the push consumer's pull loop and the lite pull
//! consumer's pull task (Java's `PullAPIWrapper.pullKernelImpl` / `processPullResult` and
//! `MQClientAPIImpl.processPullResponse`): the request, the broker lookup, the call, the
//! decoding and the response codes; plus what both consumers do after a failed or refused
//! pull and after the broker moved the offset. Each consumer keeps its own flow control and
//! delivery.
//!
//! The rules both consumers follow (they used to differ):
//! - a failed or refused pull pauses the queue [`PULL_ERROR_BACKOFF`] (1 s): Java's
//!   `ClientConfig.pullTimeDelayMillsWhenException`, which `DefaultMQPushConsumerImpl` and
//!   `DefaultLitePullConsumerImpl` both copy in their constructors (the push impl's field
//!   initializer of 3000 is overwritten there) and use in `onException` / the pull task's
//!   `catch`;
//! - PULL_OFFSET_MOVED (`OFFSET_ILLEGAL`): the queue continues from the broker's
//!   `nextBeginOffset` and the group's offset of the queue is set to it and committed
//!   ([`adopt_moved_offset`]): Java's push rule (`pullRequest.setNextOffset`,
//!   `offsetStore.updateAndFreezeOffset` + `persist`); Java's lite pull only moves its pull
//!   offset (`updatePullOffset`), which committing the new offset includes.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::base::ConsumerBase;
use super::offset_store::broker_of;
use crate::client::ClientError;
use crate::protocol::body::{MessageQueue, SubscriptionData};
use crate::protocol::header::{
    PullMessageRequestHeader, PullMessageResponseHeader, PULL_FLAG_COMMIT_OFFSET,
};
use crate::protocol::message::{keys, MessageExt};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Pause after a failed or refused pull, in both consumers (Java's
/// `ClientConfig.pullTimeDelayMillsWhenException`, 1000 ms; see the module docs).
pub(super) const PULL_ERROR_BACKOFF: Duration = Duration::from_millis(1000);
/// Pause while a process queue (or the lite poll buffer) is over its thresholds (Java's
/// `PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL`, both consumers).
pub(super) const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// The longest pause after repeated refusals of a subscription.
pub(super) const MAX_REFUSED_BACKOFF: Duration = Duration::from_secs(30);

/// What a pull asks for besides the queue, the offset and the subscription.
pub(super) struct PullSpec {
    /// PULL_MESSAGE (push) or LITE_PULL_MESSAGE.
    pub(super) code: RequestCode,
    /// `PULL_FLAG_*` bits; PULL_FLAG_COMMIT_OFFSET is added with `commit_offset`.
    pub(super) sys_flag: i32,
    /// A committed offset the broker stores with the pull.
    pub(super) commit_offset: Option<i64>,
    /// Messages per pull.
    pub(super) batch: i32,
    /// How long the broker may hold the pull.
    pub(super) suspend: Duration,
    /// How long the call may take.
    pub(super) timeout: Duration,
}

/// How a pull ended (Java's `PullStatus`, plus the failures Java throws).
#[derive(Debug)]
pub(super) enum PullOutcome {
    /// SUCCESS (`FOUND`): what the client-side tag filter let through (maybe nothing) and
    /// the offset after the pulled messages.
    Found { msgs: Vec<MessageExt>, next: i64 },
    /// PULL_NOT_FOUND or PULL_RETRY_IMMEDIATELY (`NO_NEW_MSG` / `NO_MATCHED_MSG`).
    NoNew { next: i64 },
    /// PULL_OFFSET_MOVED (`OFFSET_ILLEGAL`): the offset asked for is out of range; the
    /// broker's next offset.
    OffsetMoved { next: i64 },
    /// Any other answer (Java throws `MQBrokerException`).
    Refused { code: i32, remark: String },
    /// No broker, a transport failure or an undecodable answer.
    Failed(ClientError),
    /// The queue's token fired during the call.
    Cancelled,
}

/// Pulls `mq` from `offset` once.
pub(super) async fn pull_once(
    base: &ConsumerBase,
    mq: &MessageQueue,
    offset: i64,
    sub: &SubscriptionData,
    spec: &PullSpec,
    cancel: &CancellationToken,
) -> PullOutcome {
    let addr = match broker_of(&base.instance, mq).await {
        Ok(a) => a,
        Err(e) => return PullOutcome::Failed(e),
    };
    let req = request(base, mq, offset, sub, spec);
    let resp = tokio::select! {
        _ = cancel.cancelled() => return PullOutcome::Cancelled,
        r = base.instance.remoting().invoke(&addr, req, spec.timeout) => r,
    };
    match resp {
        Ok(resp) => outcome(&resp, sub),
        Err(e) => PullOutcome::Failed(e.into()),
    }
}

fn request(
    base: &ConsumerBase,
    mq: &MessageQueue,
    offset: i64,
    sub: &SubscriptionData,
    spec: &PullSpec,
) -> RemotingCommand {
    let mut sys_flag = spec.sys_flag;
    if spec.commit_offset.is_some() {
        sys_flag |= PULL_FLAG_COMMIT_OFFSET;
    }
    RemotingCommand::request_with_header(
        spec.code,
        &PullMessageRequestHeader {
            consumer_group: base.wire_group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            queue_offset: offset,
            max_msg_nums: spec.batch,
            sys_flag,
            commit_offset: spec.commit_offset.unwrap_or(0),
            suspend_timeout_millis: i64::try_from(spec.suspend.as_millis()).unwrap_or(i64::MAX),
            subscription: Some(sub.sub_string.clone()),
            sub_version: sub.sub_version,
            expression_type: Some(sub.expression_type.clone()),
            max_msg_bytes: None,
        },
    )
}

/// Java's `processPullResponse` + `processPullResult`: the four pull codes need the response
/// header (an undecodable one is a failure, as Java's decoding exception), others refuse.
fn outcome(resp: &RemotingCommand, sub: &SubscriptionData) -> PullOutcome {
    let code = ResponseCode::from_code(resp.code);
    if !matches!(
        code,
        Some(
            ResponseCode::Success
                | ResponseCode::PullNotFound
                | ResponseCode::PullRetryImmediately
                | ResponseCode::PullOffsetMoved
        )
    ) {
        return PullOutcome::Refused {
            code: resp.code,
            remark: resp.remark_str().to_owned(),
        };
    }
    let header = match resp.decode_header::<PullMessageResponseHeader>() {
        Ok(h) => h,
        Err(e) => {
            return PullOutcome::Failed(ClientError::Decode {
                what: "pull response header",
                detail: e.to_string(),
            })
        }
    };
    let next = header.next_begin_offset;
    match code {
        Some(ResponseCode::Success) => match MessageExt::decode_all(&resp.body) {
            Ok(msgs) => PullOutcome::Found {
                msgs: filter_pulled(msgs, sub, Some(&header)),
                next,
            },
            Err(e) => PullOutcome::Failed(ClientError::Decode {
                what: "pull body",
                detail: e.to_string(),
            }),
        },
        Some(ResponseCode::PullOffsetMoved) => PullOutcome::OffsetMoved { next },
        _ => PullOutcome::NoNew { next },
    }
}

/// Keeps the messages the client-side tag filter lets through (Java's `processPullResult`:
/// only a non-empty tag set filters) and stamps MIN_OFFSET / MAX_OFFSET on them.
fn filter_pulled(
    msgs: Vec<MessageExt>,
    sub: &SubscriptionData,
    header: Option<&PullMessageResponseHeader>,
) -> Vec<MessageExt> {
    msgs.into_iter()
        .filter(|m| {
            sub.tags_set.is_empty()
                || sub.class_filter_mode
                || m.tags()
                    .is_some_and(|t| sub.tags_set.iter().any(|s| s == t))
        })
        .map(|mut m| {
            if let Some(h) = header {
                m.properties
                    .insert(keys::MIN_OFFSET.to_owned(), h.min_offset.to_string());
                m.properties
                    .insert(keys::MAX_OFFSET.to_owned(), h.max_offset.to_string());
            }
            m
        })
        .collect()
}

/// The broker moved `mq` from `from` to `next` (PULL_OFFSET_MOVED): the group's offset of
/// the queue becomes `next` and is committed now (Java's push `OFFSET_ILLEGAL` branch:
/// `updateAndFreezeOffset` + `persist`). The caller pulls from `next` on.
pub(super) async fn adopt_moved_offset(
    base: &ConsumerBase,
    mq: &MessageQueue,
    from: i64,
    next: i64,
) {
    tracing::warn!(group = %base.group, queue = %mq, from, to = next, "pull offset moved");
    base.offsets.set(mq, next);
    base.persist_offset(mq).await;
}

/// Logs failed and refused pulls without flooding and says how long to wait: a refused
/// subscription (SQL92 on a broker without property filtering) is an error once per queue
/// and backs off up to [`MAX_REFUSED_BACKOFF`]; other refusals are a warning when the code
/// changes.
pub(super) struct Refusals {
    /// The consumer group, for the logs.
    group: String,
    last_code: Option<i32>,
    parse_failed_logged: bool,
    backoff: Option<Duration>,
}

impl Refusals {
    /// No refusal yet, for a queue of `group`.
    pub(super) fn new(group: &str) -> Self {
        Refusals {
            group: group.to_owned(),
            last_code: None,
            parse_failed_logged: false,
            backoff: None,
        }
    }

    /// The pause before the next pull after `outcome`: none after an answer the consumer
    /// goes on with (which also ends a run of refusals), [`PULL_ERROR_BACKOFF`] after a
    /// failure, the refusal back-off after a refusal.
    pub(super) fn delay_after(
        &mut self,
        mq: &MessageQueue,
        sub: &SubscriptionData,
        outcome: &PullOutcome,
    ) -> Option<Duration> {
        match outcome {
            PullOutcome::Found { .. } | PullOutcome::NoNew { .. } => {
                self.last_code = None;
                self.backoff = None;
                None
            }
            PullOutcome::OffsetMoved { .. } | PullOutcome::Cancelled => None,
            PullOutcome::Failed(e @ ClientError::Decode { .. }) => {
                tracing::warn!(group = self.group.as_str(), queue = %mq, error = %e, "undecodable pull answer");
                Some(PULL_ERROR_BACKOFF)
            }
            PullOutcome::Failed(e) => {
                tracing::debug!(group = self.group.as_str(), queue = %mq, error = %e, "pull failed");
                Some(PULL_ERROR_BACKOFF)
            }
            PullOutcome::Refused { code, remark } => Some(self.refused(mq, sub, *code, remark)),
        }
    }

    fn refused(
        &mut self,
        mq: &MessageQueue,
        sub: &SubscriptionData,
        code: i32,
        remark: &str,
    ) -> Duration {
        if code == ResponseCode::SubscriptionParseFailed.code() {
            if !self.parse_failed_logged {
                self.parse_failed_logged = true;
                tracing::error!(
                    group = self.group.as_str(), queue = %mq, expression_type = %sub.expression_type,
                    expression = %sub.sub_string, remark,
                    "the broker cannot filter this subscription (SUBSCRIPTION_PARSE_FAILED): \
                     check the expression (the remark names the offending token); SQL92 also \
                     needs enablePropertyFilter=true on the broker. Retrying with back-off."
                );
            }
            let next = self
                .backoff
                .map_or(PULL_ERROR_BACKOFF, |b| (b * 2).min(MAX_REFUSED_BACKOFF));
            self.backoff = Some(next);
            return next;
        }
        if self.last_code != Some(code) {
            tracing::warn!(group = self.group.as_str(), queue = %mq, code, remark, "pull refused");
        } else {
            tracing::debug!(group = self.group.as_str(), queue = %mq, code, remark, "pull refused");
        }
        self.last_code = Some(code);
        PULL_ERROR_BACKOFF
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq() -> MessageQueue {
        MessageQueue::new("t", "b", 0)
    }

    fn answer(code: ResponseCode, next: Option<i64>) -> RemotingCommand {
        let resp = RemotingCommand::request(RequestCode::PullMessage).response_to(code.code());
        match next {
            Some(next) => resp.with_header(&PullMessageResponseHeader {
                suggest_which_broker_id: 0,
                next_begin_offset: next,
                min_offset: 0,
                max_offset: next,
            }),
            None => resp,
        }
    }

    #[test]
    fn the_shared_back_off_is_java_pull_time_delay_mills_when_exception() {
        // ClientConfig.pullTimeDelayMillsWhenException = 1000, used by both Java consumers.
        assert_eq!(PULL_ERROR_BACKOFF, Duration::from_millis(1000));
        let sub = SubscriptionData::from_expression("t", "*", 1);
        let mut r = Refusals::new("g");
        let failed = PullOutcome::Failed(ClientError::Config("down".into()));
        assert_eq!(
            r.delay_after(&mq(), &sub, &failed),
            Some(PULL_ERROR_BACKOFF)
        );
        let refused = PullOutcome::Refused {
            code: ResponseCode::SubscriptionNotLatest.code(),
            remark: String::new(),
        };
        assert_eq!(
            r.delay_after(&mq(), &sub, &refused),
            Some(PULL_ERROR_BACKOFF)
        );
        let moved = PullOutcome::OffsetMoved { next: 3 };
        assert_eq!(r.delay_after(&mq(), &sub, &moved), None);
        assert_eq!(
            r.delay_after(&mq(), &sub, &PullOutcome::NoNew { next: 3 }),
            None
        );
    }

    #[test]
    fn a_refused_subscription_backs_off_from_the_shared_pause_up_to_30_s() {
        let sub = SubscriptionData::from_expression("t", "*", 1);
        let mut r = Refusals::new("g");
        let parse_failed = PullOutcome::Refused {
            code: ResponseCode::SubscriptionParseFailed.code(),
            remark: String::new(),
        };
        let waits: Vec<Option<Duration>> = (0..7)
            .map(|_| r.delay_after(&mq(), &sub, &parse_failed))
            .collect();
        let secs = |s: u64| Some(Duration::from_secs(s));
        assert_eq!(
            waits,
            [
                secs(1),
                secs(2),
                secs(4),
                secs(8),
                secs(16),
                secs(30),
                secs(30)
            ]
        );
        // An answer ends the run: the next refusal starts from the shared pause again.
        assert_eq!(
            r.delay_after(&mq(), &sub, &PullOutcome::NoNew { next: 0 }),
            None
        );
        assert_eq!(r.delay_after(&mq(), &sub, &parse_failed), secs(1));
    }

    #[test]
    fn response_codes_as_java_process_pull_response() {
        let sub = SubscriptionData::from_expression("t", "*", 1);
        let found = answer(ResponseCode::Success, Some(5));
        assert!(matches!(
            outcome(&found, &sub),
            PullOutcome::Found { ref msgs, next: 5 } if msgs.is_empty()
        ));
        for code in [
            ResponseCode::PullNotFound,
            ResponseCode::PullRetryImmediately,
        ] {
            assert!(matches!(
                outcome(&answer(code, Some(7)), &sub),
                PullOutcome::NoNew { next: 7 }
            ));
        }
        assert!(matches!(
            outcome(&answer(ResponseCode::PullOffsetMoved, Some(9)), &sub),
            PullOutcome::OffsetMoved { next: 9 }
        ));
        assert!(matches!(
            outcome(&answer(ResponseCode::PullOffsetMoved, None), &sub),
            PullOutcome::Failed(ClientError::Decode { .. })
        ));
        assert!(matches!(
            outcome(&answer(ResponseCode::SubscriptionNotLatest, None), &sub),
            PullOutcome::Refused { .. }
        ));
    }
}
