use rmq::rocketmq_transaction_listener;

#[derive(Default)]
struct OrderTx;

#[rocketmq_transaction_listener]
impl Clone for OrderTx {
    fn clone(&self) -> Self {
        OrderTx
    }
}

fn main() {}
