//! Queue allocation among the members of a consumer group.

use crate::protocol::body::MessageQueue;

/// How queues are divided among a group's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllocateStrategy {
    /// Contiguous ranges (AllocateMessageQueueAveragely).
    #[default]
    Averagely,
    /// Round-robin (AllocateMessageQueueAveragelyByCircle).
    AveragelyByCircle,
}

impl AllocateStrategy {
    /// The queues of `all` (sorted) that member `me` of `cids` (sorted) gets.
    pub fn allocate(self, all: &[MessageQueue], cids: &[String], me: &str) -> Vec<MessageQueue> {
        match self {
            AllocateStrategy::Averagely => allocate_averagely(all, cids, me),
            AllocateStrategy::AveragelyByCircle => allocate_averagely_by_circle(all, cids, me),
        }
    }
}

/// AllocateMessageQueueAveragely: member i gets a contiguous range; the first `n % c`
/// members get one extra queue.
pub fn allocate_averagely(all: &[MessageQueue], cids: &[String], me: &str) -> Vec<MessageQueue> {
    let Some(i) = cids.iter().position(|c| c == me) else {
        return Vec::new();
    };
    let (n, c) = (all.len(), cids.len());
    if n == 0 {
        return Vec::new();
    }
    let m = n % c;
    let avg = if n <= c {
        1
    } else if m > 0 && i < m {
        n / c + 1
    } else {
        n / c
    };
    let start = if m > 0 && i < m { i * avg } else { i * avg + m };
    let range = avg.min(n.saturating_sub(start));
    all.iter().skip(start).take(range).cloned().collect()
}

/// AllocateMessageQueueAveragelyByCircle: member i gets queues i, i + c, i + 2c, …
pub fn allocate_averagely_by_circle(
    all: &[MessageQueue],
    cids: &[String],
    me: &str,
) -> Vec<MessageQueue> {
    let Some(i) = cids.iter().position(|c| c == me) else {
        return Vec::new();
    };
    all.iter().skip(i).step_by(cids.len()).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(n: i32) -> Vec<MessageQueue> {
        (0..n).map(|i| MessageQueue::new("T", "b", i)).collect()
    }

    fn ids(mqs: &[MessageQueue]) -> Vec<i32> {
        mqs.iter().map(|q| q.queue_id).collect()
    }

    #[test]
    fn averagely_matches_java() {
        let c: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let all = queues(8);
        assert_eq!(ids(&allocate_averagely(&all, &c, "a")), vec![0, 1, 2]);
        assert_eq!(ids(&allocate_averagely(&all, &c, "b")), vec![3, 4, 5]);
        assert_eq!(ids(&allocate_averagely(&all, &c, "c")), vec![6, 7]);
        let two = queues(2);
        assert_eq!(ids(&allocate_averagely(&two, &c, "c")), Vec::<i32>::new());
        assert!(allocate_averagely(&all, &c, "zz").is_empty());
    }

    #[test]
    fn by_circle() {
        let c: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            ids(&allocate_averagely_by_circle(&queues(5), &c, "b")),
            vec![1, 3]
        );
    }
}
