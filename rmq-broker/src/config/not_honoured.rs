//! The broker.conf keys rmq-broker accepts but does not honour: each warns at start-up,
//! naming the key, the file and the line.

/// Keys RocketMQ defines that rmq accepts but does not honour: the value that matches what
/// rmq does anyway (`None`: any value is ignored) and what happens instead. Setting one to any
/// other value logs a warning naming the key, the file and the line.
#[rustfmt::skip]
pub(super) const NOT_HONOURED: &[(&str, Option<&str>, &str)] = &[
    ("brokerRole", Some("ASYNC_MASTER"), "there are no slaves to wait for: SYNC_MASTER acknowledges as ASYNC_MASTER"),
    ("brokerIP2", None, "there are no slaves: no HA address is announced"),
    ("haListenPort", None, "there are no slaves: no HA port is opened"),
    ("aclEnable", Some("false"), "ACL is not supported: requests are not authenticated"),
    ("enableDLegerCommitLog", Some("false"), "DLedger is not supported: the commit log is a single replica"),
    ("slaveReadEnable", Some("false"), "there are no slaves to read from"),
    ("transientStorePoolEnable", Some("false"), "there is no transient store pool: writes go to the mapped file"),
    ("fetchNamesrvAddrByAddressServer", Some("false"), "there is no address server: set namesrvAddr"),
    ("enableCalcFilterBitMap", Some("false"), "there is no SQL92 bit-map filter"),
    ("storePathCommitLog", None, "the commit log is always <storePathRootDir>/commitlog"),
    ("storePathConsumeQueue", None, "consume queues are always under <storePathRootDir>/consumequeue"),
    ("storePathIndex", None, "the index is always under <storePathRootDir>/index"),
    ("storeCheckpoint", None, "the checkpoint is always <storePathRootDir>/checkpoint"),
    ("abortFile", None, "the abort marker is always <storePathRootDir>/abort"),
    ("sendMessageThreadPoolNums", None, "requests run on the serverWorkerThreads runtime"),
    ("pullMessageThreadPoolNums", None, "requests run on the serverWorkerThreads runtime"),
    ("waitTimeMillsInSendQueue", None, "sends are not queued behind a thread pool"),
    ("useReentrantLockWhenPutMessage", None, "the commit log has its own lock"),
    ("maxTransferCountOnMessageInMemory", None, "a pull returns up to the request's maxMsgNums"),
    ("maxTransferBytesOnMessageInMemory", None, "a pull returns up to the request's maxMsgNums"),
    ("transferMsgByHeap", None, "pull answers are always built in memory"),
    ("maxErrorRateOfBloomFilter", None, "there is no SQL92 bit-map filter"),
    ("rocketmqHome", None, "rmq-broker needs no ROCKETMQ_HOME"),
    ("autoDeleteUnusedStats", None, "there are no per-topic statistics to delete"),
    ("isEnableBatchPush", None, "there is no batch push"),
    ("timerRollWindowSlots", None, "timer messages are never rolled: the wheel holds 7 days and timerMaxDelaySec is at most that"),
    ("timerCongestNumEachSlot", None, "there is no per-slot flow control of timer messages"),
    ("timerEnableDisruptor", None, "one task enqueues and delivers timer messages"),
    ("timerGetMessageThreadNum", None, "one task enqueues and delivers timer messages"),
    ("timerPutMessageThreadNum", None, "one task enqueues and delivers timer messages"),
    ("timerSkipUnknownError", None, "a failed re-put of a timer message is retried; one the store refuses is dropped with a warning"),
    ("timerInterceptDelayLevel", Some("false"), "delay levels keep using SCHEDULE_TOPIC_XXXX"),
];

/// Why `key = value` is not honoured, when it is one of [`NOT_HONOURED`] with another value.
pub(super) fn not_honoured(key: &str, value: &str) -> Option<&'static str> {
    NOT_HONOURED
        .iter()
        .find(|(k, _, _)| *k == key)
        .filter(|(_, same, _)| same.is_none_or(|s| !s.eq_ignore_ascii_case(value)))
        .map(|(_, _, why)| *why)
}
