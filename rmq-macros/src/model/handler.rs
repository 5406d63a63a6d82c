//! The handler's signature: an `async fn` taking one payload by value, returning `()` or a
//! `Result`. What the payload is decides how the message body is decoded.

use syn::ext::IdentExt as _;
use syn::{FnArg, GenericArgument, Ident, PathArguments, ReturnType, Signature, Type};

use crate::ctxt::Ctxt;

/// How the message reaches the handler, decided by the parameter's type (syntactically).
#[derive(Clone)]
pub enum Payload {
    /// `String`: the body as UTF-8.
    Text,
    /// `Vec<u8>`: the raw body.
    Bytes,
    /// `MessageExt`: the whole message.
    Message,
    /// Any other path type: the body as JSON of that type.
    Json(Box<Type>),
}

/// The analysed handler function.
pub struct Handler {
    /// The function's name (to call it).
    pub ident: Ident,
    /// Its name without `r#` (to register it).
    pub name: String,
    pub payload: Payload,
    /// The return type, `None` for `()`.
    pub output: Option<Type>,
    /// What the handler replies with, when it returns a value (not `()` / `Result<(), E>`).
    pub reply: Option<super::Reply>,
}

const SUPPORTED: &str = "supported payloads, taken by value: `String` (UTF-8 body), \
    `Vec<u8>` (raw body), `MessageExt` (the whole message) or a `serde::Deserialize` type \
    (JSON body)";

impl Handler {
    /// Checks the signature; reports every problem and returns `None` if there is one.
    pub fn from_sig(cx: &Ctxt, sig: &Signature) -> Option<Handler> {
        let mut ok = true;
        let mut fail = |obj: &dyn quote::ToTokens, msg: &str| {
            cx.error_spanned_by(obj.to_token_stream(), msg);
            ok = false;
        };
        if sig.asyncness.is_none() {
            fail(
                &sig.fn_token,
                "the `async` keyword is missing from the function declaration: \
                 `#[rocketmq_listener]` goes on an `async fn`",
            );
        }
        if let Some(unsafety) = &sig.unsafety {
            fail(unsafety, "a listener cannot be an `unsafe fn`");
        }
        if let Some(abi) = &sig.abi {
            fail(abi, "a listener cannot declare an ABI");
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            let (generics, where_clause) = (&sig.generics, &sig.generics.where_clause);
            fail(
                &quote::quote!(#generics #where_clause),
                "a listener cannot be generic: the payload type must be concrete \
                 (it decides how the body is decoded)",
            );
        }
        let payload = payload(cx, sig);
        let output = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        match payload {
            Some(payload) if ok => Some(Handler {
                ident: sig.ident.clone(),
                name: sig.ident.unraw().to_string(),
                payload,
                reply: super::reply::classify_output(output.as_ref()),
                output,
            }),
            _ => None,
        }
    }
}

/// The single parameter's payload kind; reports a receiver, a wrong arity or an
/// unsupported type.
fn payload(cx: &Ctxt, sig: &Signature) -> Option<Payload> {
    let mut inputs = sig.inputs.iter();
    let Some(first) = inputs.next() else {
        cx.error_at(
            sig.paren_token.span.join(),
            format!("a listener takes exactly one parameter, its payload (e.g. `msg: String`); {SUPPORTED}"),
        );
        return None;
    };
    let extra: Vec<&FnArg> = inputs.collect();
    if !extra.is_empty() {
        cx.error_spanned_by(
            quote::quote!(#(#extra),*),
            "a listener takes exactly one parameter, the payload: remove the others",
        );
    }
    let payload = match first {
        FnArg::Receiver(receiver) => {
            cx.error_spanned_by(
                receiver,
                "a listener must be a free function, not a method: remove `self`",
            );
            None
        }
        FnArg::Typed(typed) => classify(cx, &typed.ty),
    };
    payload.filter(|_| extra.is_empty())
}

fn classify(cx: &Ctxt, ty: &Type) -> Option<Payload> {
    match ty {
        Type::Group(group) => classify(cx, &group.elem),
        Type::Paren(paren) => classify(cx, &paren.elem),
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            let kind = match (last.ident.to_string().as_str(), &last.arguments) {
                ("String", PathArguments::None) => Payload::Text,
                ("MessageExt", PathArguments::None) => Payload::Message,
                ("Vec", PathArguments::AngleBracketed(args)) if is_u8_list(args) => Payload::Bytes,
                _ => Payload::Json(Box::new(ty.clone())),
            };
            Some(kind)
        }
        Type::Path(_) | Type::Macro(_) => Some(Payload::Json(Box::new(ty.clone()))),
        Type::Reference(reference) => {
            let hint = match &*reference.elem {
                Type::Path(p) if p.path.is_ident("str") => " (use `String`)",
                Type::Slice(s) if matches!(&*s.elem, Type::Path(p) if p.path.is_ident("u8")) => {
                    " (use `Vec<u8>`)"
                }
                _ => " (take it by value)",
            };
            cx.error_spanned_by(ty, format!("unsupported payload type{hint}; {SUPPORTED}"));
            None
        }
        _ => {
            cx.error_spanned_by(ty, format!("unsupported payload type; {SUPPORTED}"));
            None
        }
    }
}

/// `<u8>`.
fn is_u8_list(args: &syn::AngleBracketedGenericArguments) -> bool {
    args.args.len() == 1
        && matches!(args.args.first(), Some(GenericArgument::Type(Type::Path(p))) if p.path.is_ident("u8"))
}
