//! The wrapper that decodes a message and calls the handler, and its registration.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::Ident;

use super::attrs::listener_attrs;
use crate::model::{Listener, Payload};

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
    let into_result = match &handler.output {
        Some(ty) => quote_spanned! {ty.span()=>
            <#ty as ::rmq::__private::IntoListenerResult>::into_listener_result(#output)
        },
        None => quote!(::rmq::__private::IntoListenerResult::into_listener_result(#output)),
    };
    let attrs = listener_attrs(&listener.args);

    quote! {
        const _: () = {
            fn __rmq_listener_handle(
                #message: ::rmq::MessageExt,
            ) -> ::rmq::__private::HandlerFuture {
                #assert_payload
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
