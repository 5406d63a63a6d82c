package rmq.driver;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * {@code tx-produce}: the official {@link TransactionMQProducer}. Sends --count driver bodies in
 * transactions whose local state cycles through --states (commit,rollback,unknown); answers every
 * check with --check-answer; after sending, keeps answering checks until --expect-checks checks
 * came (or --linger seconds passed). One JSON line per send ({@code msg_id}, {@code state}) and
 * per check ({@code check}: true, {@code msg_id}, {@code answer}).
 */
final class Transactions {
    private Transactions() {
    }

    private static LocalTransactionState parse(String s) {
        switch (s) {
            case "commit": return LocalTransactionState.COMMIT_MESSAGE;
            case "rollback": return LocalTransactionState.ROLLBACK_MESSAGE;
            case "unknown": return LocalTransactionState.UNKNOW;
            default: throw new IllegalArgumentException("unknown transaction state " + s);
        }
    }

    static Map<String, Object> produce(Args a) throws Exception {
        String topic = a.str("topic", "RmqInteropTopic");
        int count = a.integer("count", 3);
        String[] states = a.str("states", "commit,rollback,unknown").split(",");
        LocalTransactionState answer = parse(a.str("check-answer", "commit"));
        int expectChecks = a.integer("expect-checks", 0);
        CountDownLatch checked = new CountDownLatch(expectChecks);
        Map<String, Integer> checks = new TreeMap<>();
        TransactionMQProducer p = new TransactionMQProducer(a.str("group", "java_interop_tx_producer"));
        JavaClient.configure(p, a);
        p.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                return parse((String) arg);
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                // The transaction id (UNIQ_KEY); getMsgId() of a checked message is its offset id.
                String id = msg.getTransactionId();
                synchronized (checks) {
                    checks.merge(id, 1, Integer::sum);
                }
                Json.emit(Json.obj("check", true, "msg_id", id, "offset_msg_id", msg.getMsgId(), "topic", msg.getTopic(),
                    "body", new String(msg.getBody(), java.nio.charset.StandardCharsets.UTF_8),
                    "answer", answer.name()));
                checked.countDown();
                return answer;
            }
        });
        p.start();
        int sent = 0;
        Map<String, Integer> errors = new TreeMap<>();
        for (int index = 0; index < count && !JavaClient.STOP.get(); index++) {
            String state = states[index % states.length];
            Message m = JavaClient.message(a, topic, index, 0, null, a.pairs("props"));
            try {
                TransactionSendResult r = p.sendMessageInTransaction(m, state);
                sent++;
                Json.emit(Json.obj("index", index, "msg_id", r.getMsgId(), "transaction_id", r.getTransactionId(),
                    "state", r.getLocalTransactionState().name(), "status", JavaClient.status(r),
                    "queue_id", r.getMessageQueue().getQueueId(), "queue_offset", r.getQueueOffset()));
            } catch (Exception e) {
                errors.merge(String.valueOf(e.getMessage()), 1, Integer::sum);
                Json.emit(Json.obj("index", index, "error", e.toString()));
            }
        }
        boolean checksCame = expectChecks == 0
            ? !JavaClient.await(new CountDownLatch(1), a.dbl("linger", 0))
            : JavaClient.await(checked, a.dbl("linger", 60));
        p.shutdown();
        Map<String, Integer> seen;
        synchronized (checks) {
            seen = new TreeMap<>(checks);
        }
        boolean ok = sent == count && checksCame;
        return Json.obj("summary", true, "cmd", "tx-produce", "topic", topic, "count", count, "sent", sent,
            "errors", errors, "checks", seen, "_exit", ok ? 0 : 1);
    }
}
