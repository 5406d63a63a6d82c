//! The `ListenerAttrs` constant of one listener: the written values over the defaults of
//! `ListenerAttrs::new(topic, consumer_group)` (a `const fn`, so this is a static initializer).

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::model::enums::{ConsumeMode, MessageModel, SelectorType};
use crate::model::lit::Spanned;
use crate::model::ListenerArgs;

/// `ListenerAttrs { written fields.., ..ListenerAttrs::new(topic, consumer_group) }`.
pub fn listener_attrs(args: &ListenerArgs) -> TokenStream {
    let required = |value: &Option<Spanned<String>>| {
        let value = value
            .as_ref()
            .expect("required attributes are checked before expansion");
        Literal::string(&value.value)
    };
    let topic = required(&args.topic);
    let consumer_group = required(&args.consumer_group);

    let mut fields = Fields::default();
    fields.str("selector_expression", &args.selector_expression);
    fields.str("access_key", &args.access_key);
    fields.str("secret_key", &args.secret_key);
    fields.str("customized_trace_topic", &args.customized_trace_topic);
    fields.str("name_server", &args.name_server);
    fields.str("access_channel", &args.access_channel);
    fields.str("tls_enable", &args.tls_enable);
    fields.str("namespace", &args.namespace);
    fields.str("instance_name", &args.instance_name);
    fields.int("consume_thread_number", &args.consume_thread_number);
    fields.int("max_reconsume_times", &args.max_reconsume_times);
    fields.int("consume_timeout", &args.consume_timeout);
    fields.int("reply_timeout", &args.reply_timeout);
    fields.int(
        "delay_level_when_next_consume",
        &args.delay_level_when_next_consume,
    );
    fields.int(
        "suspend_current_queue_time_millis",
        &args.suspend_current_queue_time_millis,
    );
    fields.int(
        "await_termination_millis_when_shutdown",
        &args.await_termination_millis_when_shutdown,
    );
    if let Some(v) = &args.enable_msg_trace {
        let value = v.value;
        fields.push("enable_msg_trace", quote!(#value));
    }
    if let Some(v) = &args.selector_type {
        let variant = match v.value {
            SelectorType::Tag => quote!(Tag),
            SelectorType::Sql92 => quote!(Sql92),
        };
        fields.push(
            "selector_type",
            quote!(::rmq::__private::SelectorType::#variant),
        );
    }
    if let Some(v) = &args.consume_mode {
        let variant = match v.value {
            ConsumeMode::Concurrently => quote!(Concurrently),
            ConsumeMode::Orderly => quote!(Orderly),
        };
        fields.push(
            "consume_mode",
            quote!(::rmq::__private::ConsumeMode::#variant),
        );
    }
    if let Some(v) = &args.message_model {
        let variant = match v.value {
            MessageModel::Clustering => quote!(Clustering),
            MessageModel::Broadcasting => quote!(Broadcasting),
        };
        fields.push(
            "message_model",
            quote!(::rmq::__private::MessageModel::#variant),
        );
    }

    let fields = fields.0;
    quote! {
        ::rmq::__private::ListenerAttrs {
            #(#fields,)*
            ..::rmq::__private::ListenerAttrs::new(#topic, #consumer_group)
        }
    }
}

/// `name: value` initializers.
#[derive(Default)]
struct Fields(Vec<TokenStream>);

impl Fields {
    fn push(&mut self, name: &str, value: TokenStream) {
        let name = format_ident!("{}", name);
        self.0.push(quote!(#name: #value));
    }

    fn str(&mut self, name: &str, value: &Option<Spanned<String>>) {
        if let Some(v) = value {
            let lit = Literal::string(&v.value);
            self.push(name, quote!(#lit));
        }
    }

    fn int(&mut self, name: &str, value: &Option<Spanned<i64>>) {
        if let Some(v) = value {
            let magnitude = Literal::u64_unsuffixed(v.value.unsigned_abs());
            let sign = (v.value < 0).then(|| quote!(-));
            self.push(name, quote!(#sign #magnitude));
        }
    }
}
