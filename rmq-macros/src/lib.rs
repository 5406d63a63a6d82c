//! Procedural macros for rmq: `#[rocketmq_listener]` and `#[rocketmq_transaction_listener]`.
//!
//! The crate follows serde_derive's layout: [`model`] parses and validates the attribute and
//! the function into a typed model (reporting every mistake, each on its own span), and
//! [`expand`] generates code from that model only. This file only glues the two.

mod ctxt;
mod expand;
mod model;
mod symbol;
mod transaction;

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;
use syn::ItemFn;

/// Registers an `async fn` as a RocketMQ listener, like rocketmq-spring's
/// `@RocketMQMessageListener`.
///
/// The function stays as written. The macro adds a wrapper that decodes each message into
/// the function's parameter and maps its return value, and submits a
/// `rmq::listener::ListenerDefinition` to the registry; `rmq::Application` starts one push
/// consumer per registered listener.
///
/// # Attributes
///
/// Every attribute of `@RocketMQMessageListener`, in snake_case. String values may hold
/// `${key}` / `${key:default}` placeholders, resolved against the configuration at start-up
/// (an unterminated `${` is a compile error). Enum values are checked at compile time and
/// cannot be placeholders.
///
/// | attribute | type | default |
/// |---|---|---|
/// | `consumer_group` | string | **required** |
/// | `topic` | string | **required** |
/// | `selector_type` | `"TAG"` or `"SQL92"` | `"TAG"` |
/// | `selector_expression` | string | `"*"` |
/// | `consume_mode` | `"CONCURRENTLY"` or `"ORDERLY"` | `"CONCURRENTLY"` |
/// | `message_model` | `"CLUSTERING"` or `"BROADCASTING"` | `"CLUSTERING"` |
/// | `consume_thread_number` | integer, 1..=1000 | `20` |
/// | `max_reconsume_times` | integer, −1 means 16 | `-1` |
/// | `consume_timeout` | integer, minutes | `15` |
/// | `reply_timeout` | integer, ms | `3000` |
/// | `access_key` | string | `"${rocketmq.consumer.access-key:}"` |
/// | `secret_key` | string | `"${rocketmq.consumer.secret-key:}"` |
/// | `enable_msg_trace` | bool | `false` |
/// | `customized_trace_topic` | string | `"${rocketmq.consumer.customized-trace-topic:}"` |
/// | `name_server` | string | `"${rocketmq.name-server:}"` |
/// | `access_channel` | string: `"LOCAL"` or `"CLOUD"` | `"${rocketmq.access-channel:}"` |
/// | `tls_enable` | string `"true"`/`"false"` (a bool literal is accepted) | `"false"` |
/// | `namespace` | string | `""` |
/// | `delay_level_when_next_consume` | integer: −1 DLQ, 0 broker decides, > 0 that level | `0` |
/// | `suspend_current_queue_time_millis` | integer, ms | `1000` |
/// | `await_termination_millis_when_shutdown` | integer, ms | `1000` |
/// | `instance_name` | string | `"DEFAULT"` |
///
/// `consume_mode = "ORDERLY"` with `message_model = "BROADCASTING"` is refused (RocketMQ has
/// no orderly broadcasting), and `selector_type = "SQL92"` needs a `selector_expression`.
///
/// # The function
///
/// An `async fn`, not generic, not a method, with exactly one parameter whose type (read
/// syntactically) decides how the message body is decoded:
///
/// | parameter type | receives | a body that does not decode |
/// |---|---|---|
/// | `String` | the body as UTF-8 | `ListenerError::Decode` |
/// | `Vec<u8>` | the raw body | — |
/// | `MessageExt` (any path ending in it) | the whole message | — |
/// | any other type `T: serde::Deserialize` | the body as JSON | `ListenerError::Decode` |
///
/// References (`&str`, `&[u8]`), tuples, slices and `impl Trait` are refused. The function
/// returns `()` (acknowledged) or `Result<(), E>` with `E: Display` (`Err` is redelivered
/// later, logged with its text), e.g. `anyhow::Result<()>`.
///
/// # Replying (request-reply)
///
/// A function that returns a value — `R`, or `Result<R, E>` with `E: Display` such as
/// `anyhow::Result<Price>` — replies to requests with it (rocketmq-spring's
/// `RocketMQReplyListener<T, R>`; `RocketMqTemplate::send_and_receive` is the requester).
/// The value is encoded as payloads are decoded: `String` as UTF-8, `Vec<u8>` as is, any
/// other type as JSON (it must be `serde::Serialize`; the error is reported on the type). The
/// reply is sent within `reply_timeout`; an `Err` redelivers the request without replying.
///
/// ```ignore
/// #[rocketmq_listener(topic = "quotes", consumer_group = "pricing")]
/// async fn price(q: Quote) -> anyhow::Result<Price> {
///     Ok(Price { sku: q.sku, cents: 1250 })
/// }
/// ```
///
/// # Examples
///
/// ```ignore
/// use rmq::rocketmq_listener;
///
/// #[rocketmq_listener(topic = "boot-test", consumer_group = "boot-test-consumer-group",
///                     message_model = "CLUSTERING")]
/// async fn on_boot_test(msg: String) -> anyhow::Result<()> {
///     tracing::info!("received {msg}");
///     Ok(())
/// }
///
/// #[derive(serde::Deserialize)]
/// struct Order { id: u64, amount: i64 }
///
/// #[rocketmq_listener(topic = "orders", consumer_group = "${app.group:order-group}",
///                     selector_expression = "created || paid")]
/// async fn on_order(order: Order) {}   // JSON body; `()` acknowledges
/// ```
///
/// `on_boot_test` expands to the function as written, followed by:
///
/// ```ignore
/// const _: () = {
///     fn __rmq_listener_handle(message: ::rmq::MessageExt) -> ::rmq::__private::HandlerFuture {
///         ::std::boxed::Box::pin(async move {
///             let payload = ::rmq::__private::decode_text(&message)?;
///             let output = on_boot_test(payload).await;
///             // `Ok(None)`: acknowledged without a reply.
///             ::core::result::Result::map(
///                 ::rmq::__private::IntoListenerResult::into_listener_result(output),
///                 |()| ::core::option::Option::None,
///             )
///         })
///     }
///     ::rmq::__private::inventory::submit! {
///         ::rmq::__private::ListenerDefinition {
///             name: "on_boot_test",
///             module_path: ::core::module_path!(),
///             attrs: ::rmq::__private::ListenerAttrs {
///                 message_model: ::rmq::__private::MessageModel::Clustering,
///                 ..::rmq::__private::ListenerAttrs::new("boot-test", "boot-test-consumer-group")
///             },
///             handler: __rmq_listener_handle,
///         }
///     }
/// };
/// ```
///
/// A JSON payload `T` also gets `const _: () = assert_deserialize::<T>();`, spanned on `T`,
/// so a type without `Deserialize` is reported on the parameter.
///
/// # Errors
///
/// Compile errors, all reported in one build: an unknown attribute (with the closest valid
/// name), a duplicate, a missing `topic` or `consumer_group`, a value of the wrong kind or
/// out of range, an unknown enum value, a malformed placeholder, a non-`async` function, a
/// wrong number of parameters, an unsupported payload or return type. When the attribute is
/// wrong the function is still emitted unchanged, so the rest of the crate keeps compiling.
#[proc_macro_attribute]
pub fn rocketmq_listener(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[rocketmq_listener]` goes on an `async fn` that takes the message payload",
            )
            .to_compile_error();
            return quote!(#item #error).into();
        }
    };
    match model::Listener::from_ast(attr.into(), &func) {
        Ok(listener) => expand::expand(&func, &listener).into(),
        Err(errors) => {
            let errors = errors.to_compile_error();
            quote!(#item #errors).into()
        }
    }
}

/// Registers an `impl RocketMqLocalTransactionListener for T` as the transaction listener of
/// a producer group, like rocketmq-spring's `@RocketMQTransactionListener`.
///
/// `rmq::Application` starts one transaction producer per registered listener and adds it to
/// the template; `template.send_message_in_transaction(destination, payload, &arg)` uses the
/// listener of the template's producer group (or the only one), and
/// `template.send_message_in_transaction_with_group(group, destination, payload, &arg)` names
/// the group. Unlike rocketmq-spring (one listener per template), an application may have
/// several listeners, each bound to its own group; two for one group are refused at start-up.
///
/// # Attributes
///
/// | attribute | type | default |
/// |---|---|---|
/// | `producer_group` | string, may hold `${key:default}` placeholders | the template's group (`rocketmq.producer.group`) |
///
/// The type must implement `Default` (the registry builds it) and must not be generic.
///
/// # Examples
///
/// ```ignore
/// use rmq::{rocketmq_transaction_listener, Message, MessageExt};
/// use rmq::{RocketMqLocalTransactionListener, RocketMqLocalTransactionState};
///
/// #[derive(Default)]
/// struct OrderTx;
///
/// #[rocketmq_transaction_listener(producer_group = "order-tx")]
/// impl RocketMqLocalTransactionListener for OrderTx {
///     fn execute_local_transaction(&self, msg: &Message, arg: &(dyn std::any::Any + Send + Sync))
///         -> RocketMqLocalTransactionState { RocketMqLocalTransactionState::Commit }
///     fn check_local_transaction(&self, msg: &MessageExt) -> RocketMqLocalTransactionState {
///         RocketMqLocalTransactionState::Commit
///     }
/// }
/// ```
///
/// # Errors
///
/// Compile errors, each on its own span: the attribute on anything but a trait impl, an
/// inherent or negative impl, another trait, a generic impl, an unknown or duplicate
/// attribute, a `producer_group` that is not a string literal or has an unterminated `${`,
/// and a type without `Default` (on the type).
#[proc_macro_attribute]
pub fn rocketmq_transaction_listener(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let imp: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[rocketmq_transaction_listener]` goes on `impl RocketMqLocalTransactionListener for YourType`",
            )
            .to_compile_error();
            return quote!(#item #error).into();
        }
    };
    match transaction::TransactionListener::from_ast(attr.into(), &imp) {
        Ok(listener) => listener.expand(&imp).into(),
        Err(errors) => {
            let errors = errors.to_compile_error();
            quote!(#item #errors).into()
        }
    }
}
