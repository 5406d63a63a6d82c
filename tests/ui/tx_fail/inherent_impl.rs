use rmq::rocketmq_transaction_listener;

#[derive(Default)]
struct OrderTx;

#[rocketmq_transaction_listener]
impl OrderTx {
    fn helper(&self) {}
}

fn main() {}
