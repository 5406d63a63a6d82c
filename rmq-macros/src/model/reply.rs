//! The handler's return type, read syntactically: `()`, nothing or `Result<(), E>`
//! acknowledge; any other type makes the listener reply with the value (rocketmq-spring's
//! `RocketMQReplyListener<T, R>`), `Result<R, E>` replying with `R` or redelivering on `Err`.

use syn::{GenericArgument, PathArguments, Type};

/// How a reply value becomes the reply body (as payloads are decoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyEncoding {
    /// `String`: UTF-8.
    Text,
    /// `Vec<u8>`: as is.
    Bytes,
    /// Any other type: JSON (it must be `serde::Serialize`).
    Json,
}

/// A replying handler's return type.
#[derive(Clone)]
pub struct Reply {
    /// The reply value's type `R`.
    pub value: Type,
    /// Whether the handler returns `Result<R, E>` rather than `R`.
    pub fallible: bool,
    pub encoding: ReplyEncoding,
}

/// The reply of a return type, `None` when the handler only acknowledges.
pub fn classify_output(output: Option<&Type>) -> Option<Reply> {
    let ty = strip(output?);
    if is_unit(ty) {
        return None;
    }
    let (value, fallible) = match result_ok_type(ty) {
        Some(Some(ok)) if is_unit(strip(ok)) => return None,
        Some(Some(ok)) => (strip(ok).clone(), true),
        // `Result` without arguments (an alias we cannot see through): acknowledge.
        Some(None) => return None,
        None => (ty.clone(), false),
    };
    let encoding = encoding(&value);
    Some(Reply {
        value,
        fallible,
        encoding,
    })
}

fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => strip(&g.elem),
        Type::Paren(p) => strip(&p.elem),
        other => other,
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

/// For a path ending in `Result`: `Some(first type argument)`; `None` for any other type.
fn result_ok_type(ty: &Type) -> Option<Option<&Type>> {
    let Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    Some(match &last.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    })
}

fn encoding(value: &Type) -> ReplyEncoding {
    let Type::Path(path) = value else {
        return ReplyEncoding::Json;
    };
    let Some(last) = path.path.segments.last() else {
        return ReplyEncoding::Json;
    };
    match (last.ident.to_string().as_str(), &last.arguments) {
        ("String", PathArguments::None) => ReplyEncoding::Text,
        ("Vec", PathArguments::AngleBracketed(args))
            if args.args.len() == 1
                && matches!(args.args.first(), Some(GenericArgument::Type(Type::Path(p))) if p.path.is_ident("u8")) =>
        {
            ReplyEncoding::Bytes
        }
        _ => ReplyEncoding::Json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(src: &str) -> Option<(String, bool, ReplyEncoding)> {
        let ty: Type = syn::parse_str(src).unwrap();
        classify_output(Some(&ty)).map(|r| {
            let v = &r.value;
            (quote::quote!(#v).to_string(), r.fallible, r.encoding)
        })
    }

    #[test]
    fn unit_and_unit_results_acknowledge() {
        assert!(classify_output(None).is_none());
        for src in [
            "()",
            "Result<(), String>",
            "anyhow::Result<()>",
            "std::result::Result<(), E>",
            "Result",
        ] {
            assert!(reply(src).is_none(), "{src}");
        }
    }

    #[test]
    fn other_types_reply_with_their_encoding() {
        assert_eq!(
            reply("String"),
            Some(("String".into(), false, ReplyEncoding::Text))
        );
        assert_eq!(
            reply("anyhow::Result<Price>"),
            Some(("Price".into(), true, ReplyEncoding::Json))
        );
        assert_eq!(
            reply("Result<Vec<u8>, std::io::Error>"),
            Some(("Vec < u8 >".into(), true, ReplyEncoding::Bytes))
        );
        assert_eq!(
            reply("Result<String, E>"),
            Some(("String".into(), true, ReplyEncoding::Text))
        );
        assert_eq!(
            reply("i32"),
            Some(("i32".into(), false, ReplyEncoding::Json))
        );
    }
}
