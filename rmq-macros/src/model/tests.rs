//! The model on token streams, without a compiler run (the UI tests cover the spans).

use quote::quote;
use syn::ItemFn;

use super::enums::{ConsumeMode, MessageModel, SelectorType};
use super::{Listener, Payload};

fn listener(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<Listener> {
    let item: ItemFn = syn::parse2(item).expect("test item parses");
    Listener::from_ast(attr, &item)
}

fn messages(err: syn::Error) -> Vec<String> {
    err.into_iter().map(|e| e.to_string()).collect()
}

#[test]
fn every_attribute_is_read() {
    let l = listener(
        quote!(
            consumer_group = "${app.group:g}",
            topic = "t",
            selector_type = "SQL92",
            selector_expression = "a > 1",
            consume_mode = "CONCURRENTLY",
            message_model = "BROADCASTING",
            consume_thread_number = 4,
            max_reconsume_times = -1,
            consume_timeout = 30,
            reply_timeout = 5000,
            access_key = "ak",
            secret_key = "sk",
            enable_msg_trace = true,
            customized_trace_topic = "trace",
            name_server = "127.0.0.1:9876",
            access_channel = "CLOUD",
            tls_enable = true,
            namespace = "ns",
            suspend_current_queue_time_millis = 10,
            await_termination_millis_when_shutdown = 20,
            instance_name = "i",
            delay_level_when_next_consume = -1
        ),
        quote!(
            async fn f(msg: String) {}
        ),
    )
    .expect("valid listener");
    let a = &l.args;
    let s = |v: &Option<super::lit::Spanned<String>>| v.as_ref().map(|v| v.value.clone());
    let i = |v: &Option<super::lit::Spanned<i64>>| v.as_ref().map(|v| v.value);
    assert_eq!(s(&a.consumer_group).as_deref(), Some("${app.group:g}"));
    assert_eq!(
        a.selector_type.as_ref().map(|v| v.value),
        Some(SelectorType::Sql92)
    );
    assert_eq!(
        a.consume_mode.as_ref().map(|v| v.value),
        Some(ConsumeMode::Concurrently)
    );
    assert_eq!(
        a.message_model.as_ref().map(|v| v.value),
        Some(MessageModel::Broadcasting)
    );
    assert_eq!(i(&a.max_reconsume_times), Some(-1));
    assert_eq!(
        i(&a.delay_level_when_next_consume),
        Some(-1),
        "last position"
    );
    assert_eq!(i(&a.consume_timeout), Some(30));
    assert_eq!(s(&a.tls_enable).as_deref(), Some("true"));
    assert_eq!(s(&a.access_channel).as_deref(), Some("CLOUD"));
    assert!(a.enable_msg_trace.as_ref().is_some_and(|v| v.value));
}

#[test]
fn payload_kind_follows_the_parameter_type() {
    let kind = |item| match listener(quote!(topic = "t", consumer_group = "g"), item) {
        Ok(l) => match l.handler.payload {
            Payload::Text => "text",
            Payload::Bytes => "bytes",
            Payload::Message => "message",
            Payload::Json(_) => "json",
        },
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        kind(quote!(
            async fn f(m: String) {}
        )),
        "text"
    );
    assert_eq!(
        kind(quote!(
            async fn f(m: std::string::String) {}
        )),
        "text"
    );
    assert_eq!(
        kind(quote!(
            async fn f(m: Vec<u8>) {}
        )),
        "bytes"
    );
    assert_eq!(
        kind(quote!(
            async fn f(m: rmq::MessageExt) {}
        )),
        "message"
    );
    assert_eq!(
        kind(quote!(
            async fn f(m: Vec<Order>) {}
        )),
        "json"
    );
    assert_eq!(
        kind(quote!(
            async fn f((a, b): Pair) {}
        )),
        "json"
    );
}

#[test]
fn every_mistake_is_reported_at_once() {
    let err = listener(
        quote!(
            topic = "t",
            topic = "u",
            consume_thread_number = "20",
            retries = 3
        ),
        quote!(
            fn f(a: &str, b: u8) {}
        ),
    )
    .err()
    .expect("invalid listener");
    let messages = messages(err);
    assert_eq!(messages.len(), 7, "{messages:#?}");
    assert!(messages[0].starts_with("duplicate attribute `topic`"));
    assert!(messages[2].starts_with("unknown attribute `retries`"));
    assert!(messages[3].starts_with("missing required attribute `consumer_group`"));
    assert!(messages[4].starts_with("the `async` keyword is missing"));
    assert!(messages[5].starts_with("a listener takes exactly one parameter"));
    assert!(messages[6].starts_with("unsupported payload type (use `String`)"));
}

#[test]
fn a_misspelled_required_key_is_not_also_missing() {
    let err = listener(
        quote!(topic = "t", consumer_grop = "g"),
        quote!(
            async fn f(m: String) {}
        ),
    )
    .err()
    .expect("invalid listener");
    assert_eq!(
        messages(err),
        ["unknown attribute `consumer_grop`; did you mean `consumer_group`?"]
    );
}

#[test]
fn integers_out_of_range_are_refused() {
    for value in [
        quote!(0),
        quote!(1001),
        quote!(-5),
        quote!(99999999999999999999999),
    ] {
        let err = listener(
            quote!(topic = "t", consumer_group = "g", consume_thread_number = #value),
            quote!(
                async fn f(m: String) {}
            ),
        )
        .err()
        .expect("out of range");
        assert!(err.to_string().contains("between 1 and 1000"), "{err}");
    }
}
