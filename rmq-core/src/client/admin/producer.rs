//! `MqAdmin` calls about producers: the connections of a producer group (204).

use super::{check, MqAdmin};
use crate::client::ClientError;
use crate::protocol::body::{from_fastjson_slice, Connection, ProducerConnection};
use crate::protocol::header::GetProducerConnectionListRequestHeader;
use crate::protocol::{RemotingCommand, RequestCode};

impl MqAdmin {
    /// GET_PRODUCER_CONNECTION_LIST (204) from every master serving `topic`: the group's
    /// connections, sorted by client id. A group no broker knows is an error (as mqadmin).
    pub async fn producer_connection(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<Vec<Connection>, ClientError> {
        let mut out: Vec<Connection> = Vec::new();
        let mut last_err = None;
        let mut any = false;
        for addr in self.topic_masters(topic).await? {
            let req = RemotingCommand::request_with_header(
                RequestCode::GetProducerConnectionList,
                &GetProducerConnectionListRequestHeader {
                    producer_group: group.to_owned(),
                },
            );
            let resp = self.call(&addr, req).await?;
            if let Err(e) = check(&addr, &resp) {
                last_err = Some(e);
                continue;
            }
            any = true;
            let body: ProducerConnection =
                from_fastjson_slice(&resp.body).map_err(|e| ClientError::Decode {
                    what: "ProducerConnection",
                    detail: e.to_string(),
                })?;
            for c in body.connection_set {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        if !any {
            if let Some(e) = last_err {
                return Err(e);
            }
        }
        out.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(out)
    }
}
