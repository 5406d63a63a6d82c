//! `clusterList`, `brokerStatus`, `getBrokerConfig`, `updateBrokerConfig` and the error cases.

use rmq::client::MqAdmin;

use crate::common::BrokerProcess;
use crate::consumer_support::client;
use crate::{admin, cells, header, on};

#[tokio::test]
async fn cluster_list_and_broker_status_show_the_broker() {
    let broker = BrokerProcess::start();
    let ns = broker.namesrv_addr();
    let addr = broker.broker_addr();

    let run = on(&ns, &["clusterList"]).await;
    let text = run.ok();
    assert_eq!(
        header(text),
        [
            "#Cluster Name",
            "#Broker Name",
            "#BID",
            "#Addr",
            "#Version",
            "#InTPS(LOAD)",
            "#OutTPS(LOAD)",
            "#Timer(Progress)",
            "#PCWait(ms)",
            "#Hour",
            "#SPACE",
            "#ACTIVATED"
        ]
    );
    let row = cells(text.lines().nth(1).expect("one broker row"));
    assert_eq!(
        row[..5],
        ["DefaultCluster", "broker-a", "0", &addr, "V4_9_4"]
    );
    assert_eq!(row[5], "0.00(0,0ms)");
    assert_eq!(row.last().unwrap(), "true");
    assert_eq!(text.lines().count(), 2, "{text}");

    let json = on(&ns, &["clusterList", "--json"]).await.json();
    let b = &json["brokers"][0];
    assert_eq!(b["addr"], addr.as_str());
    assert_eq!(b["brokerName"], "broker-a");
    assert_eq!(b["version"], "V4_9_4");
    assert_eq!(b["activated"], true);
    // -c filters; an unknown cluster lists nothing.
    let other = on(&ns, &["clusterList", "-c", "NoSuchCluster", "--json"]).await;
    assert_eq!(other.json()["brokers"].as_array().unwrap().len(), 0);

    let more = on(&ns, &["clusterList", "-m"]).await;
    assert_eq!(
        header(more.ok()),
        [
            "#Cluster Name",
            "#Broker Name",
            "#InTotalYest",
            "#OutTotalYest",
            "#InTotalToday",
            "#OutTotalToday"
        ]
    );

    let status = on(&ns, &["brokerStatus", "-b", &addr]).await;
    let line = status
        .ok()
        .lines()
        .find(|l| l.starts_with("brokerVersionDesc"))
        .expect("brokerVersionDesc line");
    assert_eq!(line, format!("{:<32}: V4_9_4", "brokerVersionDesc"));
    let json = on(&ns, &["brokerStatus", "-c", "DefaultCluster", "--json"])
        .await
        .json();
    assert_eq!(json["brokers"][&addr]["brokerActive"], "true");
    let by_cluster = on(&ns, &["brokerStatus", "-c", "DefaultCluster"]).await;
    assert!(by_cluster.ok().lines().all(|l| l.starts_with(&addr)));
    // Neither -b nor -c.
    on(&ns, &["brokerStatus"]).await.failed();
}

#[tokio::test]
async fn broker_config_updates_live_keys_persists_them_and_refuses_others() {
    let broker = BrokerProcess::start();
    let ns = broker.namesrv_addr();
    let addr = broker.broker_addr();

    let text = on(&ns, &["getBrokerConfig", "-b", &addr]).await;
    assert!(text
        .ok()
        .starts_with(&format!("============{addr}============\n")));
    assert!(text
        .ok()
        .contains(&format!("{:<50}=  broker-a\n", "brokerName")));
    let cfg = on(&ns, &["getBrokerConfig", "-b", &addr, "--json"])
        .await
        .json();
    assert_eq!(cfg[&addr]["longPollingEnable"], "true");

    let run = on(
        &ns,
        &[
            "updateBrokerConfig",
            "-b",
            &addr,
            "-k",
            "longPollingEnable",
            "-v",
            "false",
        ],
    )
    .await;
    assert_eq!(run.ok(), format!("update broker config success, {addr}\n"));
    let cfg = on(&ns, &["getBrokerConfig", "-c", "DefaultCluster", "--json"])
        .await
        .json();
    assert_eq!(cfg[&addr]["longPollingEnable"], "false");
    // Written back into the broker.conf the broker was started with.
    let conf = std::fs::read_to_string(broker.conf_path()).unwrap();
    assert!(
        conf.lines().any(|l| l == "longPollingEnable=false"),
        "{conf}"
    );
    assert!(conf.lines().any(|l| l == "brokerName=broker-a"), "{conf}");

    // brokerPermission applies at once: the name server's route turns read-only.
    let admin_client = MqAdmin::new(client(&ns)).unwrap();
    admin_client.create_topic("cfg-perm", 2).await.unwrap();
    on(
        &ns,
        &[
            "updateBrokerConfig",
            "-c",
            "DefaultCluster",
            "-k",
            "brokerPermission",
            "-v",
            "4",
        ],
    )
    .await
    .ok();
    let route = admin_client.topic_route("cfg-perm").await.unwrap();
    assert_eq!(route.queue_datas[0].perm, 4);
    on(
        &ns,
        &[
            "updateBrokerConfig",
            "-b",
            &addr,
            "-k",
            "brokerPermission",
            "-v",
            "6",
        ],
    )
    .await
    .ok();
    let route = admin_client.topic_route("cfg-perm").await.unwrap();
    assert_eq!(route.queue_datas[0].perm, 6);
    admin_client.close().await;

    // Restart-only and unknown keys are refused by name; nothing changes.
    let line = on(
        &ns,
        &[
            "updateBrokerConfig",
            "-b",
            &addr,
            "-k",
            "brokerName",
            "-v",
            "other",
        ],
    )
    .await;
    let line = line.failed();
    assert!(
        line.contains("not changeable while running") && line.contains("brokerName"),
        "{line}"
    );
    let line = on(
        &ns,
        &[
            "updateBrokerConfig",
            "-b",
            &addr,
            "-k",
            "noSuchKey",
            "-v",
            "1",
        ],
    )
    .await;
    assert!(line.failed().contains("unknown keys: noSuchKey"));
    let line = on(
        &ns,
        &[
            "updateBrokerConfig",
            "-b",
            &addr,
            "-k",
            "longPollingEnable",
            "-v",
            "maybe",
        ],
    )
    .await;
    assert!(line.failed().contains("invalid values"));
    let cfg = on(&ns, &["getBrokerConfig", "-b", &addr, "--json"])
        .await
        .json();
    assert_eq!(cfg[&addr]["brokerName"], "broker-a");
    assert_eq!(cfg[&addr]["longPollingEnable"], "false");
}

#[tokio::test]
async fn errors_are_one_line_with_a_non_zero_exit() {
    // Unreachable name server.
    let run = admin(&["clusterList", "-n", "127.0.0.1:1"]).await;
    assert!(run.failed().contains("127.0.0.1:1"));
    // A wrong flag: clap's message on one line, exit 2.
    let run = admin(&["topicList", "--bogus", "-n", "127.0.0.1:1"]).await;
    run.failed();
    assert_eq!(run.code, 2);
    // A missing required flag.
    let run = admin(&["topicRoute", "-n", "127.0.0.1:1"]).await;
    assert_eq!(run.code, 2);
    run.failed();
    // No name server at all.
    let run = admin(&["topicList"]).await;
    assert!(run.failed().contains("NAMESRV_ADDR"));
    // -b and -c together.
    let run = admin(&[
        "updateTopic",
        "-t",
        "x",
        "-b",
        "a:1",
        "-c",
        "c",
        "-n",
        "h:1",
    ])
    .await;
    assert_eq!(run.code, 2);
    run.failed();
    // A refused request (unknown topic) on a live cluster.
    let broker = BrokerProcess::start();
    let ns = broker.namesrv_addr();
    let run = on(&ns, &["topicRoute", "-t", "no-such-topic"]).await;
    assert!(run.failed().contains("no-such-topic"));
    let run = on(&ns, &["producerConnection", "-g", "nobody", "-t", "TBW102"]).await;
    assert!(run.failed().contains("not exist"));
}
