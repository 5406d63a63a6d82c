//! Code generation from the validated model.

mod attrs;
mod listener;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::model::Listener;

/// The user's function, unchanged, followed by its registration.
pub fn expand(item: &ItemFn, listener: &Listener) -> TokenStream {
    let registration = listener::registration(listener);
    quote! {
        #item
        #registration
    }
}
