//! Procedural macros for rmq: `#[rocketmq_listener]`.

use proc_macro::TokenStream;

/// Registers an `async fn` as a RocketMQ listener (placeholder until the macro lands).
#[proc_macro_attribute]
pub fn rocketmq_listener(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}
