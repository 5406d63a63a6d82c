//! `#[rocketmq_transaction_listener]`: parses the attribute and the `impl` it sits on, then
//! registers the implementing type as the transaction listener of a producer group.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemImpl, Lit, LitStr, MetaNameValue, Token};

use crate::ctxt::Ctxt;

/// The trait names the attribute accepts on the `impl`.
const TRAITS: [&str; 2] = ["RocketMqLocalTransactionListener", "TransactionListener"];

/// The parsed attribute and impl.
pub struct TransactionListener {
    producer_group: LitStr,
    ty: syn::Type,
}

fn producer_group(cx: &Ctxt, attr: TokenStream) -> LitStr {
    let mut group: Option<LitStr> = None;
    let args = match Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(attr) {
        Ok(a) => a,
        Err(e) => {
            cx.syn_error(syn::Error::new(
                e.span(),
                "expected `producer_group = \"...\"` (or no arguments)",
            ));
            return LitStr::new("", Span::call_site());
        }
    };
    for arg in args {
        if !arg.path.is_ident("producer_group") {
            cx.error_spanned_by(
                &arg.path,
                format!(
                    "unknown attribute `{}`; `#[rocketmq_transaction_listener]` takes `producer_group`",
                    arg.path.to_token_stream()
                ),
            );
            continue;
        }
        let Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) = &arg.value
        else {
            cx.error_spanned_by(&arg.value, "`producer_group` must be a string literal");
            continue;
        };
        if group.is_some() {
            cx.error_spanned_by(&arg.path, "duplicate attribute `producer_group`");
            continue;
        }
        let v = s.value();
        if v.matches("${").count() > v.matches('}').count() {
            cx.error_spanned_by(s, "unterminated `${` placeholder in `producer_group`");
        }
        group = Some(s.clone());
    }
    group.unwrap_or_else(|| LitStr::new("", Span::call_site()))
}

impl TransactionListener {
    /// Parses and validates; every mistake is reported on its own span.
    pub fn from_ast(attr: TokenStream, item: &ItemImpl) -> syn::Result<Self> {
        let cx = Ctxt::new();
        let producer_group = producer_group(&cx, attr);
        match &item.trait_ {
            None => cx.error_spanned_by(
                &item.self_ty,
                "`#[rocketmq_transaction_listener]` goes on `impl RocketMqLocalTransactionListener for YourType`, not on an inherent impl",
            ),
            Some((Some(bang), _, _)) => {
                cx.error_spanned_by(bang, "a negative impl cannot be a transaction listener")
            }
            Some((None, path, _)) => {
                let last = path.segments.last().map(|s| s.ident.to_string());
                if !last.is_some_and(|l| TRAITS.contains(&l.as_str())) {
                    cx.error_spanned_by(
                        path,
                        "expected `RocketMqLocalTransactionListener` (or the client's `TransactionListener`)",
                    );
                }
            }
        }
        if !item.generics.params.is_empty() {
            cx.error_spanned_by(
                &item.generics,
                "a transaction listener cannot be generic: the registry builds one concrete type",
            );
        }
        cx.check()?;
        Ok(TransactionListener {
            producer_group,
            ty: (*item.self_ty).clone(),
        })
    }

    /// The impl as written, then the registration.
    pub fn expand(&self, item: &ItemImpl) -> TokenStream {
        let ty = &self.ty;
        let group = &self.producer_group;
        let name = ty.to_token_stream().to_string().replace(' ', "");
        let assert = quote_spanned! {ty.span()=>
            const _: () = ::rmq::__private::assert_transaction_listener::<#ty>();
        };
        quote! {
            #item
            const _: () = {
                #assert
                fn __rmq_make_transaction_listener(
                ) -> ::std::sync::Arc<dyn ::rmq::__private::RocketMqLocalTransactionListener> {
                    ::std::sync::Arc::new(<#ty as ::core::default::Default>::default())
                }
                ::rmq::__private::inventory::submit! {
                    ::rmq::__private::TransactionListenerDefinition {
                        name: #name,
                        module_path: ::core::module_path!(),
                        producer_group: #group,
                        make: __rmq_make_transaction_listener,
                    }
                }
            };
        }
    }
}
