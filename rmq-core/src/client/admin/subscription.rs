//! Subscription-group admin calls: list (201), create/update (200) and delete (207) on one
//! broker.

use super::consumer::decode_err;
use super::MqAdmin;
use crate::client::ClientError;
use crate::protocol::body::{
    from_fastjson_slice, SubscriptionGroupConfig, SubscriptionGroupWrapper,
};
use crate::protocol::header::DeleteSubscriptionGroupRequestHeader;
use crate::protocol::{RemotingCommand, RequestCode};

impl MqAdmin {
    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG of the broker at `addr`.
    pub async fn subscription_groups(
        &self,
        addr: &str,
    ) -> Result<SubscriptionGroupWrapper, ClientError> {
        let req = RemotingCommand::request(RequestCode::GetAllSubscriptiongroupConfig);
        let resp = self.call_ok(addr, req).await?;
        from_fastjson_slice(&resp.body).map_err(|e| decode_err("SubscriptionGroupWrapper", e))
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on the broker at `addr`.
    pub async fn update_subscription_group(
        &self,
        addr: &str,
        cfg: &SubscriptionGroupConfig,
    ) -> Result<(), ClientError> {
        let body = serde_json::to_vec(cfg).map_err(|e| decode_err("SubscriptionGroupConfig", e))?;
        let req =
            RemotingCommand::request(RequestCode::UpdateAndCreateSubscriptiongroup).with_body(body);
        self.call_ok(addr, req).await.map(|_| ())
    }

    /// DELETE_SUBSCRIPTIONGROUP on the broker at `addr`; `clean_offset` also drops the
    /// group's committed offsets there.
    pub async fn delete_subscription_group(
        &self,
        addr: &str,
        group: &str,
        clean_offset: bool,
    ) -> Result<(), ClientError> {
        let req = RemotingCommand::request_with_header(
            RequestCode::DeleteSubscriptiongroup,
            &DeleteSubscriptionGroupRequestHeader {
                group_name: group.to_owned(),
                clean_offset: Some(clean_offset),
            },
        );
        self.call_ok(addr, req).await.map(|_| ())
    }
}
