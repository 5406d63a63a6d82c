//! rmq facade
