package rmq.driver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.RequestCallback;
import org.apache.rocketmq.client.utils.MessageUtil;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Request-reply with the official client:
 *
 * <pre>
 *   request       --namesrv A --topic T [--count N] [--prefix P] [--request-timeout-ms MS] [--mode callback|sync]
 *                 sends bodies P-0..P-(N-1) with DefaultMQProducer.request; one line per reply
 *   reply-consume --namesrv A --topic T --group G [--expect N] [--timeout S]
 *                 answers every request with "re:" + its body (MessageUtil.createReplyMessage)
 * </pre>
 *
 * <p>The default mode is the callback form, {@code request(msg, RequestCallback, timeout)}, whose
 * callback is only trusted with a non-null message: in rocketmq-client 5.3.3 the send's success
 * releases the waiting request too (apache/rocketmq#8272, undone by #9608), so the sync form
 * throws "OK, but wait reply message timeout" at once whenever the send response comes before the
 * reply, and the callback form is first called with {@code null}. This happens with any broker.
 */
final class Requests {
    private Requests() {
    }

    static Map<String, Object> request(Args a) throws Exception {
        String topic = a.required("topic");
        int count = a.integer("count", 10);
        String prefix = a.str("prefix", "rq");
        long timeout = a.integer("request-timeout-ms", 10_000);
        DefaultMQProducer p = JavaClient.producer(a);
        int replies = 0;
        Map<String, Integer> errors = new TreeMap<>();
        List<Double> lat = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < count && !JavaClient.STOP.get(); i++) {
            String body = prefix + "-" + i;
            long s = System.nanoTime();
            try {
                Message request = new Message(topic, body.getBytes(StandardCharsets.UTF_8));
                Message reply = a.str("mode", "callback").equals("sync") ? p.request(request, timeout)
                    : requestWithCallback(p, request, timeout);
                double ms = (System.nanoTime() - s) / 1e6;
                lat.add(ms);
                replies++;
                Json.emit(Json.obj("index", i, "reply", new String(reply.getBody(), StandardCharsets.UTF_8),
                    "topic", reply.getTopic(),
                    "correlation_id", reply.getProperty(MessageConst.PROPERTY_CORRELATION_ID),
                    "reply_to", reply.getProperty(MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT),
                    "latency_ms", Bodies.round(ms)));
            } catch (Exception e) {
                errors.merge(String.valueOf(e.getMessage()), 1, Integer::sum);
                Json.emit(Json.obj("index", i, "error", e.toString()));
            }
        }
        double elapsed = (System.nanoTime() - t0) / 1e6;
        String clientId = p.buildMQClientId();
        p.shutdown();
        Map<String, Object> s = Json.obj("summary", true, "cmd", "request", "topic", topic, "count", count,
            "replies", replies, "errors", errors, "client_id", clientId, "elapsed_ms", Bodies.round(elapsed),
            "_exit", replies == count ? 0 : 1);
        Bodies.latency(s, lat);
        return s;
    }

    /** The callback form, waited for: the first non-null reply or the exception. */
    private static Message requestWithCallback(DefaultMQProducer p, Message request, long timeout) throws Exception {
        CompletableFuture<Message> reply = new CompletableFuture<>();
        p.request(request, new RequestCallback() {
            @Override
            public void onSuccess(Message m) {
                if (m != null) {
                    reply.complete(m);
                }
            }

            @Override
            public void onException(Throwable e) {
                reply.completeExceptionally(e);
            }
        }, timeout);
        try {
            return reply.get(timeout + 2_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    static Map<String, Object> replyConsume(Args a) throws Exception {
        String topic = a.required("topic");
        String group = a.str("group", "java_interop_replier");
        int expect = a.integer("expect", 1);
        DefaultMQProducer replier = JavaClient.producer(a);
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        JavaClient.configure(c, a);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        AtomicInteger replied = new AtomicInteger();
        Map<String, Integer> errors = new TreeMap<>();
        CountDownLatch done = new CountDownLatch(expect);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                try {
                    Message reply = MessageUtil.createReplyMessage(m, ("re:" + body).getBytes(StandardCharsets.UTF_8));
                    replier.send(reply);
                    replied.incrementAndGet();
                    Json.emit(Json.obj("replied", body, "reply_to", MessageUtil.getReplyToClient(m),
                        "cluster", m.getProperty(MessageConst.PROPERTY_CLUSTER)));
                } catch (Exception e) {
                    synchronized (errors) {
                        errors.merge(String.valueOf(e.getMessage()), 1, Integer::sum);
                    }
                    Json.emit(Json.obj("request", body, "error", e.toString()));
                }
                done.countDown();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        Json.emit(Json.obj("ready", true, "cmd", "reply-consume", "group", group, "topic", topic));
        JavaClient.await(done, a.dbl("timeout", 60));
        c.shutdown();
        replier.shutdown();
        Map<String, Object> s;
        synchronized (errors) {
            s = Json.obj("summary", true, "cmd", "reply-consume", "topic", topic, "expect", expect,
                "replied", replied.get(), "errors", errors, "_exit", replied.get() >= expect ? 0 : 1);
        }
        return s;
    }
}
