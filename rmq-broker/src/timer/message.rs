//! What the timer does to a message: parking it in [`TIMER_TOPIC`] when it is sent
//! (`HookUtils.transformTimerMessage`) and restoring it when it is due
//! (`TimerMessageStore.convertMessage`).

use rmq_core::protocol::message::{
    find_property, keys as msg_keys, remove_property, set_property, transaction_type, RecordView,
    TRANSACTION_COMMIT_TYPE, TRANSACTION_NOT_TYPE,
};
use rmq_core::protocol::ResponseCode;

use super::{keys, TimerConfig, TIMER_TOPIC};
use crate::store::real_topic::{park_in, real_destination, without_real};
use crate::store::MessageInner;

/// The properties that ask for a delivery time, in the order RocketMQ reads them.
const REQUEST_KEYS: [&str; 3] = [
    msg_keys::TIMER_DELAY_SEC,
    msg_keys::TIMER_DELAY_MS,
    msg_keys::TIMER_DELIVER_MS,
];

/// A refused send: response code and remark.
pub type Refusal = (ResponseCode, String);

/// The remark of a delay over `timerMaxDelaySec` (RocketMQ's `WHEEL_TIMER_MSG_ILLEGAL`
/// remark, naming the key).
pub fn too_late_remark(cfg: &TimerConfig) -> String {
    format!(
        "timer message illegal, the delay time should not be bigger than the max delay {}ms (timerMaxDelaySec {}); or if set del msg, the delay time should be bigger than the current time",
        cfg.max_delay_sec * 1000,
        cfg.max_delay_sec
    )
}

/// Parks a timer message in [`TIMER_TOPIC`] queue 0 with `TIMER_OUT_MS`, `REAL_TOPIC` and
/// `REAL_QID` set. Returns whether it was parked: a message without timer properties, with a
/// delay level (which wins; the timer properties are dropped), or whose time has already
/// come is left to be stored as it is.
///
/// # Errors
/// `MESSAGE_ILLEGAL` for a value that is not a number, a delay over `timerMaxDelaySec` or a
/// cancellation (`TIMER_DEL_UNIQKEY`); `SYSTEM_ERROR` when `timerWheelEnable` is false.
pub fn park(cfg: &TimerConfig, msg: &mut MessageInner, now_ms: i64) -> Result<bool, Refusal> {
    let tx = transaction_type(msg.sys_flag);
    if tx != TRANSACTION_NOT_TYPE && tx != TRANSACTION_COMMIT_TYPE {
        return Ok(false);
    }
    if find_property(&msg.properties, msg_keys::DELAY_TIME_LEVEL)
        .and_then(|l| l.trim().parse::<i32>().ok())
        .is_some_and(|l| l > 0)
    {
        for k in REQUEST_KEYS {
            if find_property(&msg.properties, k).is_some() {
                msg.properties = remove_property(&msg.properties, k);
            }
        }
        return Ok(false);
    }
    if msg.topic == TIMER_TOPIC || find_property(&msg.properties, keys::TIMER_OUT_MS).is_some() {
        return Ok(false);
    }
    let Some((key, value)) = REQUEST_KEYS
        .into_iter()
        .find_map(|k| find_property(&msg.properties, k).map(|v| (k, v)))
    else {
        return Ok(false);
    };
    if !cfg.wheel_enable {
        return Err((
            ResponseCode::SystemError,
            "accurate timer message is not enabled, timerWheelEnable is false".into(),
        ));
    }
    let Ok(n) = value.trim().parse::<i64>() else {
        return Err((
            ResponseCode::MessageIllegal,
            format!("timer message illegal, {key} {value:?} is not a number"),
        ));
    };
    let deliver_ms = match key {
        msg_keys::TIMER_DELAY_SEC => now_ms.saturating_add(n.saturating_mul(1000)),
        msg_keys::TIMER_DELAY_MS => now_ms.saturating_add(n),
        _ => n,
    };
    if deliver_ms <= now_ms {
        return Ok(false);
    }
    if deliver_ms - now_ms > (cfg.max_delay_sec * 1000) as i64 {
        return Err((ResponseCode::MessageIllegal, too_late_remark(cfg)));
    }
    if find_property(&msg.properties, keys::TIMER_DEL_UNIQKEY).is_some() {
        return Err((
            ResponseCode::MessageIllegal,
            "timer message illegal, cancelling a timer message (TIMER_DEL_UNIQKEY) is not supported"
                .into(),
        ));
    }
    msg.properties = set_property(&msg.properties, keys::TIMER_OUT_MS, &deliver_ms.to_string());
    park_in(msg, TIMER_TOPIC, 0);
    Ok(true)
}

/// The delivery time of a parked message (`TIMER_OUT_MS`).
pub fn deliver_time(properties: &str) -> Option<i64> {
    find_property(properties, keys::TIMER_OUT_MS)?
        .trim()
        .parse()
        .ok()
}

/// The message to re-put for a parked record: its real topic and queue restored,
/// `TIMER_ENQUEUE_MS` and `TIMER_DEQUEUE_MS` set, not waiting for the disk. `None` when the
/// record lacks `REAL_TOPIC`/`REAL_QID`.
pub fn restore(view: &RecordView<'_>, enqueue_ms: i64, now_ms: i64) -> Option<MessageInner> {
    let (topic, queue_id) = real_destination(view.properties);
    let (topic, queue_id) = (topic?.to_owned(), queue_id?);
    let mut props = set_property(
        &without_real(view.properties),
        keys::TIMER_ENQUEUE_MS,
        &enqueue_ms.to_string(),
    );
    props = set_property(&props, keys::TIMER_DEQUEUE_MS, &now_ms.to_string());
    props = set_property(&props, msg_keys::WAIT_STORE_MSG_OK, "false");
    Some(MessageInner {
        topic,
        queue_id,
        flag: view.flag,
        body: bytes::Bytes::copy_from_slice(view.body),
        properties: props,
        sys_flag: view.sys_flag,
        born_timestamp: view.born_timestamp,
        born_host: view.born_host,
        reconsume_times: view.reconsume_times,
        prepared_transaction_offset: view.prepared_transaction_offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(props: &str) -> MessageInner {
        let mut m = MessageInner::new("T", 3, "b");
        m.properties = props.to_owned();
        m
    }

    fn prop(k: &str, v: &str) -> String {
        format!("{k}\u{1}{v}\u{2}")
    }

    #[test]
    fn parks_delays_and_refuses_past_the_maximum() {
        let cfg = TimerConfig::default();
        let mut m = msg(&prop("TIMER_DELAY_SEC", "10"));
        assert_eq!(park(&cfg, &mut m, 1_000), Ok(true));
        assert_eq!(m.topic, TIMER_TOPIC);
        assert_eq!(m.queue_id, 0);
        assert_eq!(deliver_time(&m.properties), Some(11_000));
        assert_eq!(find_property(&m.properties, "REAL_TOPIC"), Some("T"));
        assert_eq!(find_property(&m.properties, "REAL_QID"), Some("3"));

        let mut late = msg(&prop("TIMER_DELAY_SEC", "259201"));
        let (code, remark) = park(&cfg, &mut late, 0).unwrap_err();
        assert_eq!(code, ResponseCode::MessageIllegal);
        assert!(remark.contains("timerMaxDelaySec 259200"), "{remark}");

        let mut past = msg(&prop("TIMER_DELIVER_MS", "5"));
        assert_eq!(park(&cfg, &mut past, 10), Ok(false));
        assert_eq!(past.topic, "T");

        let mut bad = msg(&prop("TIMER_DELAY_MS", "soon"));
        assert_eq!(
            park(&cfg, &mut bad, 0).unwrap_err().0,
            ResponseCode::MessageIllegal
        );

        let mut level = msg(&(prop("DELAY", "2") + &prop("TIMER_DELAY_MS", "100")));
        assert_eq!(park(&cfg, &mut level, 0), Ok(false));
        assert_eq!(find_property(&level.properties, "TIMER_DELAY_MS"), None);

        let off = TimerConfig {
            wheel_enable: false,
            ..TimerConfig::default()
        };
        let (code, remark) = park(&off, &mut msg(&prop("TIMER_DELAY_MS", "100")), 0).unwrap_err();
        assert_eq!(code, ResponseCode::SystemError);
        assert!(remark.contains("timerWheelEnable"), "{remark}");
    }
}
