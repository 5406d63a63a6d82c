//! Pull-style consumption with `template.receive`, backed by a lite pull consumer that
//! `rocketmq.pull-consumer.{group, topic}` configures (rocketmq-spring's
//! `RocketMQTemplate.receive`). In `application.yml` that is:
//!
//! ```yaml
//! rocketmq:
//!   pull-consumer:
//!     group: boot-pull-group
//!     topic: boot-pull
//!     pull-batch-size: 10
//! ```
//!
//! ```bash
//! cargo run --example boot_receive
//! ```

use std::time::Duration;

use rmq::{Application, Json};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Task {
    id: u32,
    name: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = Application::builder()
        .set("rocketmq.pull-consumer.group", "boot-pull-group")
        .set("rocketmq.pull-consumer.topic", "boot-pull")
        .start()
        .await?;
    let template = app.template();
    for id in 0..25 {
        let task = Task {
            id,
            name: format!("task-{id}"),
        };
        template.sync_send("boot-pull", Json(task)).await?;
    }
    let mut received = 0;
    while received < 25 {
        // Up to pull-batch-size messages, or an empty batch after the timeout.
        let batch: Vec<Json<Task>> = template
            .receive_with_timeout(Duration::from_secs(5))
            .await?;
        if batch.is_empty() {
            break;
        }
        println!("received {} tasks: first {:?}", batch.len(), batch[0].0);
        received += batch.len();
    }
    println!("{received} of 25 received");
    app.shutdown().await;
    Ok(())
}
