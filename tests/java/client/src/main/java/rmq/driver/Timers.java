package rmq.driver;

import java.util.Collections;
import java.util.Map;

import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;

/**
 * {@code timer-produce}: sends --count RocketMQ 5.x timer messages through the 5.x
 * {@code Message} API, --delay-ms from now. --kind picks {@code deliver}
 * ({@code setDeliverTimeMs}), {@code delay-sec} ({@code setDelayTimeSec}, whole seconds),
 * {@code delay-ms} ({@code setDelayTimeMs}) or {@code mixed} (the three in turn). One JSON line
 * per message: its index, kind, {@code due_ms} (the earliest time it may be delivered) and
 * msg id, or the broker's {@code code} and {@code error} when refused.
 */
final class Timers {
    private static final String[] KINDS = {"deliver", "delay-sec", "delay-ms"};

    private Timers() {
    }

    static Map<String, Object> produce(Args a) throws Exception {
        String topic = a.str("topic", "RmqTimerTopic");
        int count = a.integer("count", 3);
        String kind = a.str("kind", "deliver");
        long delayMs = Long.parseLong(a.str("delay-ms", "2000"));
        Map<String, String> noProps = Collections.emptyMap();
        DefaultMQProducer p = JavaClient.producer(a);
        int sent = 0;
        int refused = 0;
        for (int index = 0; index < count && !JavaClient.STOP.get(); index++) {
            String k = kind.equals("mixed") ? KINDS[index % KINDS.length] : kind;
            Message m = JavaClient.message(a, topic, index, 0, null, noProps);
            long now = System.currentTimeMillis();
            long due;
            switch (k) {
                case "delay-sec":
                    m.setDelayTimeSec(delayMs / 1000);
                    due = now + delayMs / 1000 * 1000;
                    break;
                case "delay-ms":
                    m.setDelayTimeMs(delayMs);
                    due = now + delayMs;
                    break;
                default:
                    due = now + delayMs;
                    m.setDeliverTimeMs(due);
            }
            Map<String, Object> rec = Json.obj("index", index, "kind", k, "due_ms", due, "sent_ms", now);
            try {
                SendResult r = p.send(m);
                rec.put("msg_id", r.getMsgId());
                rec.put("status", JavaClient.status(r));
                sent++;
            } catch (MQBrokerException e) {
                rec.put("code", e.getResponseCode());
                rec.put("error", e.getErrorMessage());
                refused++;
            }
            Json.emit(rec);
        }
        p.shutdown();
        return Json.obj("summary", true, "cmd", "timer-produce", "topic", topic, "sent", sent,
            "refused", refused);
    }
}
