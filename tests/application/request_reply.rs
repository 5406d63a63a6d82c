//! Request-reply the rocketmq-spring way: a `#[rocketmq_listener]` whose handler returns a
//! value replies with it (`RocketMQReplyListener<T, R>`), and `template.send_and_receive`
//! returns the reply decoded (`sendAndReceive`).

use std::time::{Duration, Instant};

use rmq::client::ClientError;
use rmq::{rocketmq_listener, Json, TemplateError};
use serde::{Deserialize, Serialize};

use crate::support::{app, fast_retries, SINK};

#[derive(Debug, Serialize, Deserialize)]
struct Quote {
    sku: String,
    qty: i64,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Price {
    sku: String,
    cents: i64,
}

#[rocketmq_listener(topic = "app-rr-quotes", consumer_group = "app-rr-quotes-group")]
async fn rr_price(q: Quote) -> anyhow::Result<Price> {
    anyhow::ensure!(q.qty > 0, "quantity {} is not positive", q.qty);
    Ok(Price {
        sku: q.sku,
        cents: q.qty * 250,
    })
}

#[rocketmq_listener(
    topic = "app-rr-shout",
    consumer_group = "app-rr-shout-group",
    consume_mode = "ORDERLY"
)]
async fn rr_shout(text: String) -> String {
    text.to_uppercase()
}

/// An acknowledging listener: a request it receives gets no reply.
#[rocketmq_listener(topic = "app-rr-silent", consumer_group = "app-rr-silent-group")]
async fn rr_silent(text: String) {
    SINK.push("rr-silent", text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replying_listeners_answer_send_and_receive() {
    let app = app(&["rr_price", "rr_shout", "rr_silent"])
        .embedded_broker(fast_retries())
        .start()
        .await
        .unwrap();
    let t = app.template();

    let price: Price = t
        .send_and_receive(
            "app-rr-quotes",
            Json(Quote {
                sku: "A-1".into(),
                qty: 4,
            }),
            Duration::from_secs(15),
        )
        .await
        .unwrap();
    assert_eq!(
        price,
        Price {
            sku: "A-1".into(),
            cents: 1000
        }
    );
    let loud: String = t
        .send_and_receive("app-rr-shout", "hello", Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(loud, "HELLO");
    let raw: Vec<u8> = t
        .send_and_receive("app-rr-shout", "bytes", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(raw, b"BYTES");

    // A handler error redelivers instead of replying: the requester times out, naming
    // the topic and the timeout.
    let started = Instant::now();
    let err = t
        .send_and_receive::<Price>(
            "app-rr-quotes",
            Json(Quote {
                sku: "B-2".into(),
                qty: 0,
            }),
            Duration::from_millis(1500),
        )
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert!(
        matches!(&err, TemplateError::Client(ClientError::RequestTimeout { topic, timeout_ms: 1500 }) if topic == "app-rr-quotes"),
        "{err:?}"
    );
    assert!(err.to_string().contains("1500 ms"), "{err}");

    // A unit handler acknowledges without replying.
    let err = t
        .send_and_receive::<String>("app-rr-silent", "quiet", Duration::from_millis(3000))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            TemplateError::Client(ClientError::RequestTimeout { .. })
        ),
        "{err:?}"
    );
    assert_eq!(SINK.wait_len("rr-silent", 1, 10).await, ["quiet"]);
    app.shutdown().await;
}
