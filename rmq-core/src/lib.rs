pub mod client;
pub mod clock;
pub mod config;
pub mod filter;
pub mod listener;
pub mod protocol;
pub mod remoting;
pub mod template;
