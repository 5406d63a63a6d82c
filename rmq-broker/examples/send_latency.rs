//! Sync-send round trips with rmq's own producer against a running name server: a baseline for
//! the broker's share of the C++ client's send latency.
//!
//! ```text
//! cargo run --release -p rmq-broker --example send_latency -- 127.0.0.1:9876 [SECONDS]
//! ```

use std::time::{Duration, Instant};

use rmq_core::client::{ClientConfig, DefaultMqProducer, ProducerConfig};
use rmq_core::protocol::message::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let secs: u64 = args.next().map_or(Ok(10), |s| s.parse())?;
    let producer = DefaultMqProducer::new(
        ClientConfig {
            name_server_addr: namesrv,
            ..Default::default()
        },
        ProducerConfig::default(),
    )?;
    let msg = Message::new("latency", vec![b'x'; 1024]);
    // Warm up: route lookup, topic auto-creation, connection.
    for _ in 0..1000 {
        producer.send(&msg).await?;
    }
    let mut lat = Vec::new();
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        let t = Instant::now();
        producer.send(&msg).await?;
        lat.push(t.elapsed());
    }
    lat.sort();
    let q = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1e3;
    println!(
        "{{\"sent\":{},\"tps\":{:.0},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"p999_ms\":{:.3}}}",
        lat.len(),
        lat.len() as f64 / secs as f64,
        q(0.5),
        q(0.99),
        q(0.999)
    );
    Ok(())
}
