//! The table from request code to processor; each request family has its own file.

pub mod admin;
pub mod broker_config;
pub mod broker_stats;
pub mod client_manage;
pub mod consumer_admin;
pub mod consumer_offset;
pub mod end_transaction;
pub mod lock;
pub mod pull_message;
pub mod query_message;
pub mod reply_message;
pub mod send_back;
pub mod send_message;
pub mod topic_info;

use std::sync::Arc;

use rmq_core::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rmq_core::remoting::Channel;

use super::BrokerInner;

/// Decodes a typed header or returns the error response from the enclosing function.
macro_rules! header_or_reply {
    ($req:expr, $t:ty) => {
        match $req.decode_header::<$t>() {
            Ok(h) => h,
            Err(e) => {
                return Some(
                    $req.error_to(rmq_core::protocol::ResponseCode::SystemError, e.to_string()),
                )
            }
        }
    };
}
pub(crate) use header_or_reply;

/// Serializes a JSON body into a SUCCESS response.
pub(crate) fn json_response<T: serde::Serialize>(
    req: &RemotingCommand,
    value: &T,
) -> RemotingCommand {
    match serde_json::to_vec(value) {
        Ok(b) => req.success_to().with_body(b),
        Err(e) => req.error_to(ResponseCode::SystemError, e.to_string()),
    }
}

/// Parses a JSON body or returns the error response from the enclosing function.
macro_rules! body_or_reply {
    ($req:expr, $t:ty) => {
        match serde_json::from_slice::<$t>(&$req.body) {
            Ok(b) => b,
            Err(e) => {
                return Some($req.error_to(
                    rmq_core::protocol::ResponseCode::SystemError,
                    format!("invalid {} body: {e}", stringify!($t)),
                ))
            }
        }
    };
}
pub(crate) use body_or_reply;

/// Routes a request to its processor. `None` means no response now (held pull).
pub async fn dispatch(
    b: &Arc<BrokerInner>,
    ch: &Channel,
    mut req: RemotingCommand,
) -> Option<RemotingCommand> {
    use RequestCode as C;
    let Some(code) = RequestCode::from_code(req.code) else {
        return Some(not_supported(&req));
    };
    match code {
        C::SendMessage | C::SendMessageV2 => send_message::send(b, ch, &mut req).await,
        C::SendBatchMessage => send_message::send_batch(b, ch, &mut req).await,
        C::SendReplyMessage | C::SendReplyMessageV2 => {
            reply_message::send_reply(b, ch, &mut req).await
        }
        C::PullMessage | C::LitePullMessage => pull_message::pull(b, ch, &req),
        C::QueryConsumerOffset => consumer_offset::query_consumer_offset(b, &req),
        C::UpdateConsumerOffset => consumer_offset::update_consumer_offset(b, &req),
        C::GetMaxOffset => consumer_offset::get_max_offset(b, &req),
        C::GetMinOffset => consumer_offset::get_min_offset(b, &req),
        C::SearchOffsetByTimestamp => consumer_offset::search_offset(b, &req),
        C::GetEarliestMsgStoretime => consumer_offset::earliest_store_time(b, &req),
        C::HeartBeat => client_manage::heartbeat(b, ch, &req),
        C::UnregisterClient => client_manage::unregister_client(b, ch, &req),
        C::GetConsumerListByGroup => client_manage::consumer_list(b, &req),
        C::CheckClientConfig => client_manage::check_client_config(b, &req),
        C::LockBatchMq => lock::lock_batch(b, &req),
        C::UnlockBatchMq => lock::unlock_batch(b, &req),
        C::ConsumerSendMsgBack => send_back::consumer_send_msg_back(b, &req).await,
        C::ViewMessageById => query_message::view_message_by_id(b, &req),
        C::QueryMessage => query_message::query_message(b, &req),
        C::UpdateAndCreateTopic => admin::create_topic(b, &req).await,
        C::DeleteTopicInBroker => admin::delete_topic(b, &req).await,
        C::GetAllTopicConfig => admin::all_topic_config(b, &req),
        C::GetBrokerRuntimeInfo => admin::runtime_info(b, &req),
        C::GetConsumeStats => admin::consume_stats(b, &req),
        C::GetConsumerConnectionList => admin::consumer_connections(b, &req),
        C::GetAllConsumerOffset => admin::all_consumer_offsets(b, &req),
        C::GetAllDelayOffset => admin::all_delay_offsets(b, &req),
        C::GetAllSubscriptiongroupConfig => admin::all_subscription_groups(b, &req),
        C::UpdateAndCreateSubscriptiongroup => admin::update_subscription_group(b, &req),
        C::GetBrokerConfig => broker_config::get_broker_config(b, &req),
        C::UpdateBrokerConfig => broker_config::update_broker_config(b, &req).await,
        C::ViewBrokerStatsData => broker_stats::view_broker_stats(b, &req),
        C::GetProducerConnectionList => broker_stats::producer_connections(b, &req),
        C::GetTopicStatsInfo => topic_info::topic_stats(b, &req),
        C::GetTopicConfig => topic_info::topic_config(b, &req),
        C::QueryTopicConsumeByWho => topic_info::consume_by_who(b, &req),
        C::DeleteSubscriptiongroup => consumer_admin::delete_subscription_group(b, &req),
        C::GetConsumerRunningInfo => consumer_admin::consumer_running_info(b, &req).await,
        C::ConsumeMessageDirectly => consumer_admin::consume_message_directly(b, &req).await,
        C::InvokeBrokerToResetOffset => consumer_admin::reset_offset(b, &req).await,
        C::EndTransaction => end_transaction::end_transaction(b, ch, &req).await,
        _ => Some(not_supported(&req)),
    }
}

/// REQUEST_CODE_NOT_SUPPORTED with the remark naming the code.
pub fn not_supported(req: &RemotingCommand) -> RemotingCommand {
    req.error_to(
        ResponseCode::RequestCodeNotSupported,
        format!(" request type {} not supported", req.code),
    )
}
