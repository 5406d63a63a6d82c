//! The wrapper that decodes a message and calls the handler, and its registration.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::Ident;

use super::attrs::listener_attrs;
use crate::model::{Listener, Payload, Reply, ReplyEncoding};

/// The `const _: () = { .. };` block that follows the user's function.
pub fn registration(listener: &Listener) -> TokenStream {
    let handler = &listener.handler;
    let ident = &handler.ident;
    let name = Literal::string(&handler.name);
    let message = Ident::new("message", Span::call_site());
    let payload = Ident::new("payload", Span::call_site());
    let output = Ident::new("output", Span::call_site());

    let decode = match &handler.payload {
        Payload::Text => quote!(::rmq::__private::decode_text(&#message)?),
        Payload::Bytes => quote!(::rmq::__private::decode_bytes(&#message)?),
        Payload::Message => quote!(::rmq::__private::decode_message(&#message)?),
        Payload::Json(ty) => quote_spanned! {ty.span()=>
            ::rmq::__private::decode_json::<#ty>(&#message)?
        },
    };
    // A payload type that is not `Deserialize` is reported on the type, not the attribute.
    // It sits in the same body as `decode_json`, so rustc reports the bound only once.
    let assert_payload = match &handler.payload {
        Payload::Json(ty) => quote_spanned! {ty.span()=>
            ::rmq::__private::assert_deserialize::<#ty>();
        },
        _ => TokenStream::new(),
    };
    // A return type other than `()` or `Result<(), E: Display>` is reported on the type.
    let into_result = match (&handler.output, &handler.reply) {
        (Some(ty), Some(reply)) => reply_result(ty, reply, &output),
        (Some(ty), None) => quote_spanned! {ty.span()=>
            ::core::result::Result::map(
                <#ty as ::rmq::__private::IntoListenerResult>::into_listener_result(#output),
                |()| ::core::option::Option::None,
            )
        },
        (None, _) => quote! {
            ::core::result::Result::map(
                ::rmq::__private::IntoListenerResult::into_listener_result(#output),
                |()| ::core::option::Option::None,
            )
        },
    };
    // A JSON reply type that is not `Serialize` is reported on the type.
    let assert_reply = match &handler.reply {
        Some(reply) if reply.encoding == ReplyEncoding::Json => {
            let value = &reply.value;
            quote_spanned! {value.span()=>
                ::rmq::__private::assert_serialize::<#value>();
            }
        }
        _ => TokenStream::new(),
    };
    let attrs = listener_attrs(&listener.args);

    quote! {
        const _: () = {
            fn __rmq_listener_handle(
                #message: ::rmq::MessageExt,
            ) -> ::rmq::__private::HandlerFuture {
                #assert_payload
                #assert_reply
                ::std::boxed::Box::pin(async move {
                    let #payload = #decode;
                    let #output = #ident(#payload).await;
                    #into_result
                })
            }

            ::rmq::__private::inventory::submit! {
                ::rmq::__private::ListenerDefinition {
                    name: #name,
                    module_path: ::core::module_path!(),
                    attrs: #attrs,
                    handler: __rmq_listener_handle,
                }
            }
        };
    }
}

/// A replying handler's result: the value (or the `Err` that redelivers), encoded as the reply
/// body. Errors about the return type are spanned on it.
fn reply_result(ty: &syn::Type, reply: &Reply, output: &Ident) -> TokenStream {
    let value_ty = &reply.value;
    let value = Ident::new("value", Span::call_site());
    let take = if reply.fallible {
        quote_spanned! {ty.span()=>
            <#ty as ::rmq::__private::IntoReplyResult<#value_ty>>::into_reply_result(#output)?
        }
    } else {
        quote!(#output)
    };
    let encode = match reply.encoding {
        ReplyEncoding::Text => quote!(::rmq::__private::encode_text(#value)?),
        ReplyEncoding::Bytes => quote!(::rmq::__private::encode_bytes(#value)?),
        ReplyEncoding::Json => quote_spanned! {value_ty.span()=>
            ::rmq::__private::encode_json::<#value_ty>(&#value)?
        },
    };
    quote! {{
        let #value: #value_ty = #take;
        ::core::result::Result::Ok(::core::option::Option::Some(#encode))
    }}
}
