//! The official C++ client against the embedded (in-process) broker.

mod common;

use common::*;

#[test]
fn cpp_produces_to_and_consumes_from_the_embedded_broker() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let embedded = rt
        .block_on(rmq_broker::EmbeddedBroker::start())
        .expect("embedded broker starts");
    let ns = embedded.namesrv_addr().to_string();
    let produced = cpp(&[
        "produce",
        "--namesrv",
        &ns,
        "--topic",
        "emb",
        "--count",
        "100",
        "--tag",
        "TagA",
    ]);
    produced.assert_ok();
    let pulled = cpp(&[
        "pull",
        "--namesrv",
        &ns,
        "--topic",
        "emb",
        "--group",
        "gemb",
        "--expect",
        "100",
        "--timeout",
        "60",
    ]);
    pulled.assert_ok();
    let mut sent: Vec<String> = produced
        .records("msg_id")
        .filter(|r| r["status"] == "SEND_OK")
        .filter_map(|r| r["msg_id"].as_str().map(str::to_owned))
        .collect();
    sent.sort();
    let mut got = pulled.strings("msg_ids");
    got.sort();
    assert_eq!(sent, got);
    rt.block_on(embedded.shutdown());
}
