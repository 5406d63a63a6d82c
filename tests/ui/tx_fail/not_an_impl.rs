use rmq::rocketmq_transaction_listener;

#[rocketmq_transaction_listener]
#[derive(Default)]
struct OrderTx;

fn main() {}
