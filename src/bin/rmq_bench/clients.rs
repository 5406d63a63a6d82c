//! The clients every benchmark starts with: a name-server client and a producer in a group.

use rmq::client::{ClientConfig, ClientError, DefaultMqProducer, ProducerConfig};

/// A client of the name server `namesrv`.
pub fn client(namesrv: &str) -> ClientConfig {
    ClientConfig {
        name_server_addr: namesrv.to_owned(),
        ..Default::default()
    }
}

/// A producer of `client` in `group` (not yet sending).
pub fn producer(client: &ClientConfig, group: &str) -> Result<DefaultMqProducer, ClientError> {
    DefaultMqProducer::new(
        client.clone(),
        ProducerConfig {
            producer_group: group.into(),
            ..Default::default()
        },
    )
}
