//! Held (long-polling) pull requests: parked when their queue has nothing at the offset yet,
//! answered from the store when a message arrives on their queue, when the queue has grown past
//! their offset, or at their deadline.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq_core::filter::Selector;
use rmq_core::protocol::body::SubscriptionData;
use rmq_core::protocol::header::PullMessageRequestHeader;
use rmq_core::protocol::message::decode_record;
use rmq_core::protocol::RemotingCommand;
use rmq_core::remoting::Channel;
use tokio::sync::mpsc;

use super::{pull_answer, BrokerInner};
use crate::store::MessageArrivingListener;

/// Longest hold of a pull (a peer's larger suspend timeout is capped).
const MAX_SUSPEND_MS: i64 = 60_000;
/// How often held pulls are checked (deadline or missed wake-up).
const HOLD_CHECK_INTERVAL: Duration = Duration::from_millis(500);

/// One suspended PULL_MESSAGE.
#[derive(Debug)]
pub struct HeldPull {
    /// Where the answer goes.
    pub channel: Channel,
    /// The original request (its opaque is reused for the answer).
    pub request: RemotingCommand,
    /// The queue offset the consumer asked for.
    pub queue_offset: i64,
    /// When to answer PULL_NOT_FOUND at the latest.
    pub deadline: Instant,
    /// The subscription, to wake only on matching tags.
    pub subscription: SubscriptionData,
    /// Its compiled SQL92 expression, to wake only on matching properties.
    pub selector: Option<Arc<Selector>>,
}

impl HeldPull {
    /// Whether a message arriving at `queue_offset` with `tags_code` and `properties` (when
    /// known) satisfies this pull.
    fn woken_by(&self, queue_offset: i64, tags_code: i64, properties: Option<&str>) -> bool {
        queue_offset >= self.queue_offset
            && arrival_matches(
                &self.subscription,
                self.selector.as_deref(),
                tags_code,
                properties,
            )
    }
}

/// Whether an arriving message passes a held pull's filter: its expression over the
/// message's properties (when they could be read), else its tag code.
fn arrival_matches(
    sub: &SubscriptionData,
    selector: Option<&Selector>,
    tags_code: i64,
    properties: Option<&str>,
) -> bool {
    match (selector, properties) {
        (Some(sel), Some(p)) => sel.matches_encoded(p),
        (Some(_), None) => true,
        (None, _) => sub.matches_code(tags_code),
    }
}

type QueueKey = (String, i32);

/// A message arrived: topic, queue, its queue offset and tag code.
pub type Arrival = (String, i32, i64, i64);

/// The held requests by topic and queue.
#[derive(Debug, Default)]
pub struct PullRequestHoldService {
    held: Mutex<HashMap<QueueKey, Vec<HeldPull>>>,
    /// How many are held, read without the lock by [`ArrivalForwarder`].
    count: Arc<AtomicUsize>,
}

impl PullRequestHoldService {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<QueueKey, Vec<HeldPull>>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Parks a request. The caller checks the queue once more afterwards: an arrival that
    /// saw no held request before this was not forwarded.
    pub fn suspend(&self, topic: &str, queue_id: i32, pull: HeldPull) {
        let mut held = self.lock();
        held.entry((topic.to_owned(), queue_id))
            .or_default()
            .push(pull);
        self.count.fetch_add(1, Ordering::SeqCst);
    }

    fn taken(&self, pulls: Vec<HeldPull>) -> Vec<HeldPull> {
        if !pulls.is_empty() {
            self.count.fetch_sub(pulls.len(), Ordering::SeqCst);
        }
        pulls
    }

    /// A forwarder of store arrivals to `tx` that skips them while nothing is held.
    pub fn forwarder(&self, tx: mpsc::UnboundedSender<Arrival>) -> ArrivalForwarder {
        ArrivalForwarder {
            tx,
            held: self.count.clone(),
        }
    }

    /// Whether a pull held on the queue filters by SQL92 (an arrival then needs the
    /// message's properties).
    pub fn has_selector(&self, topic: &str, queue_id: i32) -> bool {
        self.lock()
            .get(&(topic.to_owned(), queue_id))
            .is_some_and(|l| l.iter().any(|p| p.selector.is_some()))
    }

    /// Removes the requests of a queue that a new message at `queue_offset` with `tags_code`
    /// (and `properties`, read when a held pull filters by SQL92) satisfies.
    pub fn take_for_arrival(
        &self,
        topic: &str,
        queue_id: i32,
        queue_offset: i64,
        tags_code: i64,
        properties: Option<&str>,
    ) -> Vec<HeldPull> {
        let mut held = self.lock();
        let Some(list) = held.get_mut(&(topic.to_owned(), queue_id)) else {
            return Vec::new();
        };
        let (wake, keep): (Vec<_>, Vec<_>) = std::mem::take(list)
            .into_iter()
            .partition(|p| p.woken_by(queue_offset, tags_code, properties));
        *list = keep;
        self.taken(wake)
    }

    /// Removes requests past their deadline, or whose queue now has data beyond their offset.
    pub fn take_ready(&self, now: Instant, max_offset: impl Fn(&str, i32) -> i64) -> Vec<HeldPull> {
        let mut held = self.lock();
        let mut out = Vec::new();
        for ((topic, queue_id), list) in held.iter_mut() {
            let max = max_offset(topic, *queue_id);
            let (wake, keep): (Vec<_>, Vec<_>) = std::mem::take(list)
                .into_iter()
                .partition(|p| now >= p.deadline || max > p.queue_offset || p.channel.is_closed());
            *list = keep;
            out.extend(wake);
        }
        held.retain(|_, l| !l.is_empty());
        self.taken(out)
    }

    /// Removes every held request (shutdown).
    pub fn take_all(&self) -> Vec<HeldPull> {
        let all = self.lock().drain().flat_map(|(_, l)| l).collect();
        self.taken(all)
    }

    /// How many requests are held.
    pub fn len(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Forwards store arrivals to the long-polling task.
#[derive(Debug)]
pub struct ArrivalForwarder {
    tx: mpsc::UnboundedSender<Arrival>,
    held: Arc<AtomicUsize>,
}

impl MessageArrivingListener for ArrivalForwarder {
    fn arriving(&self, topic: &str, queue_id: i32, queue_offset: i64, tags_code: i64) {
        // The queue's max offset is already updated; a pull suspended after this load
        // finds the message when it checks the queue once more.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.held.load(Ordering::SeqCst) == 0 {
            return;
        }
        let _ = self
            .tx
            .send((topic.to_owned(), queue_id, queue_offset, tags_code));
    }
}

/// Holds a pull that found nothing: up to the consumer's suspend timeout with
/// `longPollingEnable`, else `shortPollingTimeMills`. A message that landed between the read
/// and the suspension is found by checking the queue once more.
pub fn hold(
    b: &Arc<BrokerInner>,
    ch: &Channel,
    req: &RemotingCommand,
    h: &PullMessageRequestHeader,
    subscription: SubscriptionData,
    selector: Option<Arc<Selector>>,
) {
    let hold = if b.live.long_polling_enable() {
        Duration::from_millis(h.suspend_timeout_millis.clamp(0, MAX_SUSPEND_MS) as u64)
    } else {
        Duration::from_millis(b.live.short_polling_time_mills())
    };
    b.holds.suspend(
        &h.topic,
        h.queue_id,
        HeldPull {
            channel: ch.clone(),
            request: req.clone(),
            queue_offset: h.queue_offset,
            deadline: Instant::now() + hold,
            subscription,
            selector,
        },
    );
    if b.store.max_offset_in_queue(&h.topic, h.queue_id) > h.queue_offset {
        let store = b.store.clone();
        for held in b
            .holds
            .take_ready(Instant::now(), |t, q| store.max_offset_in_queue(t, q))
        {
            tokio::spawn(answer(b.clone(), held));
        }
    }
}

/// Answers a held pull now, from the store (it is not held again).
pub async fn answer(b: Arc<BrokerInner>, held: HeldPull) {
    let HeldPull {
        channel, request, ..
    } = held;
    if channel.is_closed() {
        return;
    }
    let answer = pull_answer::header(&request)
        .and_then(|h| pull_answer::read(&b, &channel, &request, &h))
        .map_or_else(|refused| refused, |read| read.answer);
    let _ = channel.send(answer).await;
}

/// The properties of the message just stored at `offset` (Java hands them to the hold
/// service with the arrival; here they are read back from the store, only when a held pull
/// filters by SQL92). `None` when it cannot be read: the pull is then woken and filters on
/// its read.
fn arrived_properties(b: &BrokerInner, topic: &str, queue_id: i32, offset: i64) -> Option<String> {
    let got = b
        .store
        .get_message(topic, queue_id, offset, 1, usize::MAX, &|_| true);
    let record = got.messages.first()?;
    decode_record(record, false)
        .ok()
        .map(|v| v.properties.to_owned())
}

/// Answers held pulls as messages arrive, and every [`HOLD_CHECK_INTERVAL`] those past their
/// deadline or whose queue grew past their offset (a missed wake-up).
pub(super) async fn run(inner: Arc<BrokerInner>, mut arrivals: mpsc::UnboundedReceiver<Arrival>) {
    let mut tick = tokio::time::interval(HOLD_CHECK_INTERVAL);
    loop {
        let ready = tokio::select! {
            a = arrivals.recv() => match a {
                Some((topic, qid, offset, code)) => {
                    let props = if inner.holds.has_selector(&topic, qid) {
                        arrived_properties(&inner, &topic, qid, offset)
                    } else {
                        None
                    };
                    inner.holds.take_for_arrival(&topic, qid, offset, code, props.as_deref())
                }
                None => return,
            },
            _ = tick.tick() => {
                let store = inner.store.clone();
                inner.holds.take_ready(Instant::now(), |t, q| store.max_offset_in_queue(t, q))
            }
        };
        for held in ready {
            tokio::spawn(answer(inner.clone(), held));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_core::protocol::message::tags_hash_code;

    #[test]
    fn arrivals_wake_only_matching_pulls() {
        let all = SubscriptionData::from_expression("t", "*", 0);
        let tag_a = SubscriptionData::from_expression("t", "TagA", 0);
        let sql = Selector::compile("a > 5").unwrap();
        let code_b = tags_hash_code("TagB");
        let small = Some("a\u{1}1\u{2}TAGS\u{1}TagB\u{2}");
        let big = Some("a\u{1}9\u{2}TAGS\u{1}TagB\u{2}");
        assert!(!arrival_matches(&all, Some(&sql), code_b, small));
        assert!(arrival_matches(&all, Some(&sql), code_b, big));
        // Properties unreadable: woken, the pull's read filters.
        assert!(arrival_matches(&all, Some(&sql), code_b, None));
        assert!(!arrival_matches(&tag_a, None, code_b, big));
        assert!(arrival_matches(&tag_a, None, tags_hash_code("TagA"), None));
    }
}
