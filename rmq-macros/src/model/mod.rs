//! The typed model of one `#[rocketmq_listener]`: parsed and validated, with no tokens
//! produced. Generators read only this.

mod args;
mod check;
pub mod enums;
mod handler;
pub mod lit;
mod reply;

use proc_macro2::TokenStream;
use syn::ItemFn;

pub use args::ListenerArgs;
pub use handler::{Handler, Payload};
pub use reply::{Reply, ReplyEncoding};

use crate::ctxt::Ctxt;

/// A validated listener: its attribute values and its handler.
pub struct Listener {
    pub args: ListenerArgs,
    pub handler: Handler,
}

impl Listener {
    /// Analyses the attribute and the function; every problem is reported, and `Err` combines
    /// them all.
    pub fn from_ast(attr: TokenStream, item: &ItemFn) -> syn::Result<Listener> {
        let cx = Ctxt::new();
        let args = ListenerArgs::parse(&cx, attr);
        check::check(&cx, &args);
        let handler = Handler::from_sig(&cx, &item.sig);
        cx.check()?;
        let handler = handler.expect("a handler that failed to analyse has reported an error");
        Ok(Listener { args, handler })
    }
}

#[cfg(test)]
mod tests;
