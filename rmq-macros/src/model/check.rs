//! Rules across attributes, one small check each, with the reason it exists.

use proc_macro2::Span;

use super::args::ListenerArgs;
use super::enums::{ConsumeMode, MessageModel, SelectorType};
use super::lit::Spanned;
use crate::ctxt::Ctxt;
use crate::symbol::{Symbol, CONSUMER_GROUP, SELECTOR_EXPRESSION, TOPIC};

/// Runs every check.
pub fn check(cx: &Ctxt, args: &ListenerArgs) {
    check_required(cx, args, TOPIC);
    check_required(cx, args, CONSUMER_GROUP);
    check_name(cx, TOPIC, &args.topic, 127);
    check_name(cx, CONSUMER_GROUP, &args.consumer_group, 255);
    check_orderly_broadcasting(cx, args);
    check_sql92_expression(cx, args);
}

/// A consumer cannot subscribe without a topic and a group (both are required by
/// rocketmq-spring too). Reported on the attribute itself, as there is no value to point at.
fn check_required(cx: &Ctxt, args: &ListenerArgs, key: Symbol) {
    if !args.is_written(key) {
        cx.error_at(
            Span::call_site(),
            format!("missing required attribute `{key}`: add `{key} = \"...\"`"),
        );
    }
}

/// A literal topic or group must be a valid RocketMQ name (`^[%|a-zA-Z0-9_-]+$`, bounded
/// length); the broker would refuse it at start-up otherwise. Placeholders are checked when
/// they are resolved.
fn check_name(cx: &Ctxt, key: Symbol, value: &Option<Spanned<String>>, max_len: usize) {
    let Some(Spanned { value, span }) = value else {
        return;
    };
    if value.contains("${") {
        return;
    }
    if value.is_empty() {
        cx.error_at(*span, format!("`{key}` must not be empty"));
    } else if value.len() > max_len {
        cx.error_at(
            *span,
            format!(
                "`{key}` is {} characters long, at most {max_len} are allowed",
                value.len()
            ),
        );
    } else if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '%' | '|' | '_' | '-')))
    {
        cx.error_at(
            *span,
            format!("`{key}` contains {bad:?}; RocketMQ names match ^[%|a-zA-Z0-9_-]+$"),
        );
    }
}

/// RocketMQ has no orderly broadcasting: orderly consumption locks queues on the broker for
/// one member of a group, which broadcasting members never do (rocketmq-spring refuses it
/// too).
fn check_orderly_broadcasting(cx: &Ctxt, args: &ListenerArgs) {
    if let (
        Some(Spanned {
            value: ConsumeMode::Orderly,
            span,
        }),
        Some(Spanned {
            value: MessageModel::Broadcasting,
            ..
        }),
    ) = (&args.consume_mode, &args.message_model)
    {
        cx.error_at(
            *span,
            "`consume_mode = \"ORDERLY\"` cannot be combined with \
             `message_model = \"BROADCASTING\"`: RocketMQ does not support orderly broadcasting; \
             use \"CONCURRENTLY\" or \"CLUSTERING\"",
        );
    }
}

/// The default expression `"*"` is a tag expression; an SQL92 selector needs its own
/// condition, or the broker refuses the subscription.
fn check_sql92_expression(cx: &Ctxt, args: &ListenerArgs) {
    if let Some(Spanned {
        value: SelectorType::Sql92,
        span,
    }) = &args.selector_type
    {
        if !args.is_written(SELECTOR_EXPRESSION) {
            cx.error_at(
                *span,
                "`selector_type = \"SQL92\"` needs a `selector_expression`, e.g. \
                 `selector_expression = \"amount > 100\"` (the default \"*\" is a tag expression)",
            );
        }
    }
}
