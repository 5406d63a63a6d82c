//! CheckClientRequestBody (CHECK_CLIENT_CONFIG body): a consumer asks a broker, before
//! starting, whether it can filter by a subscription's expression type and expression.

use serde::{Deserialize, Serialize};

use super::SubscriptionData;

/// The body of CHECK_CLIENT_CONFIG (46).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckClientRequestBody {
    /// The asking client's id.
    #[serde(default)]
    pub client_id: String,
    /// Its consumer group.
    #[serde(default)]
    pub group: String,
    /// The subscription to check.
    #[serde(default)]
    pub subscription_data: Option<SubscriptionData>,
    /// The namespace (5.x), unused by the check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}
