pub mod client;
pub mod listener;
pub mod protocol;
pub mod remoting;
