package rmq.driver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * The Java client side of the side-by-side benchmark (RocketMQ's benchmark/producer.sh and
 * consumer.sh, in short): {@code bench-produce} (sync threads, async with a window, batches,
 * or a fixed rate stamping {@code BENCH_SEND_US}) and {@code bench-consume} (born → consumed
 * latency from that stamp).
 */
final class Bench {
    private Bench() {
    }

    /** Microseconds since the epoch. */
    static long nowUs() {
        java.time.Instant i = java.time.Instant.now();
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
    }

    /**
     * Counts and latency samples in nanoseconds (a primitive array: no boxing, so recording
     * 100k+ samples a second does not load the client's GC). Percentiles are nearest rank,
     * {@code v[ceil(q * n) - 1]}, as rmq-bench computes them.
     */
    private static final class Stats {
        private long[] lat = new long[1 << 16];
        private int n;
        long ok;
        long failed;
        final Map<String, Integer> errors = new TreeMap<>();

        synchronized void add(long nanos, int msgs) {
            if (n == lat.length && n < 50_000_000) {
                lat = java.util.Arrays.copyOf(lat, Math.min(50_000_000, n * 2));
            }
            if (n < lat.length) {
                lat[n++] = nanos;
            }
            ok += msgs;
        }

        synchronized void fail(String e) {
            failed++;
            errors.merge(e == null ? "null" : e.length() > 200 ? e.substring(0, 200) : e, 1, Integer::sum);
        }

        /** p50/p99/p99.9/max and the mean in ms into {@code out}. */
        synchronized void latency(Map<String, Object> out) {
            long[] v = java.util.Arrays.copyOf(lat, n);
            java.util.Arrays.sort(v);
            double sum = 0;
            for (long x : v) {
                sum += x;
            }
            out.put("latency_samples", n);
            out.put("avg_ms", n == 0 ? null : ms(sum / n));
            out.put("p50_ms", pct(v, 50_000));
            out.put("p99_ms", pct(v, 99_000));
            out.put("p999_ms", pct(v, 99_900));
            out.put("max_ms", n == 0 ? null : ms(v[n - 1]));
        }

        private static Double pct(long[] sorted, long per100k) {
            if (sorted.length == 0) {
                return null;
            }
            long rank = (per100k * sorted.length + 99_999) / 100_000;
            rank = Math.max(1, Math.min(sorted.length, rank));
            return ms(sorted[(int) rank - 1]);
        }

        private static double ms(double nanos) {
            return Math.round(nanos / 1000.0) / 1000.0;
        }
    }

    /**
     * {@code bench-produce}: sends for {@code --warmup} + {@code --duration} seconds. A send
     * counts when it started after the warm-up and finished within the measured window (as in
     * rmq-bench); TPS is the counted messages over {@code --duration}. Latency is per request
     * (a batch is one request). With {@code --rate} every thread paces its sends to
     * {@code rate / threads} a second and sync sends carry their send time in µs since the
     * epoch in the user property {@code BENCH_SEND_US} (what bench-consume reads).
     */
    static Map<String, Object> produce(Args a) throws Exception {
        String mode = a.str("mode", "sync");
        String topic = a.str("topic", "BenchTopic");
        int threads = Math.max(1, a.integer("threads", 1));
        int size = a.integer("size", 1024);
        int batch = a.integer("batch", 32);
        int inFlight = Math.max(1, a.integer("in-flight", 256));
        double duration = a.dbl("duration", 10);
        double warmup = a.dbl("warmup", 1);
        double rate = a.dbl("rate", 0);
        if (!java.util.Arrays.asList("sync", "async", "oneway", "batch").contains(mode)) {
            throw new IllegalArgumentException("unknown --mode " + mode);
        }
        byte[] body = new byte[size];
        java.util.Arrays.fill(body, (byte) 'x');
        DefaultMQProducer p = JavaClient.producer(a);
        p.setRetryTimesWhenSendFailed(0);
        p.setRetryTimesWhenSendAsyncFailed(0);
        // Route and connection ready before the clock starts.
        p.send(new Message(topic, body));
        Stats stats = new Stats();
        long start = System.nanoTime() + (long) (warmup * 1e9);
        long end = start + (long) (duration * 1e9);
        Semaphore window = new Semaphore(inFlight);
        long interval = rate > 0 ? (long) (1e9 * threads / rate) : 0;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                long next = System.nanoTime();
                while (!JavaClient.STOP.get()) {
                    if (mode.equals("async")) {
                        window.acquireUninterruptibly();
                    }
                    if (System.nanoTime() >= end) {
                        if (mode.equals("async")) {
                            window.release();
                        }
                        break;
                    }
                    if (interval > 0) {
                        long now = System.nanoTime();
                        if (now < next) {
                            java.util.concurrent.locks.LockSupport.parkNanos(next - now);
                        }
                        next += interval;
                    }
                    long s = System.nanoTime();
                    try {
                        switch (mode) {
                            case "sync": {
                                Message m = new Message(topic, body);
                                if (rate > 0) {
                                    m.putUserProperty("BENCH_SEND_US", Long.toString(nowUs()));
                                }
                                SendResult r = p.send(m);
                                long done = System.nanoTime();
                                if (s >= start && done <= end) {
                                    if (r.getSendStatus() == SendStatus.SEND_OK) {
                                        stats.add(done - s, 1);
                                    } else {
                                        stats.fail(r.getSendStatus().name());
                                    }
                                }
                                break;
                            }
                            case "async": {
                                boolean[] issued = {false};
                                try {
                                    p.send(new Message(topic, body), JavaClient.callback((r, e) -> {
                                        long done = System.nanoTime();
                                        window.release();
                                        if (s < start || done > end) {
                                            return;
                                        }
                                        if (e != null) {
                                            stats.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
                                        } else {
                                            stats.add(done - s, 1);
                                        }
                                    }));
                                    issued[0] = true;
                                } finally {
                                    if (!issued[0]) {
                                        // thrown before the callback was registered: it never runs
                                        window.release();
                                    }
                                }
                                break;
                            }
                            case "oneway": {
                                p.sendOneway(new Message(topic, body));
                                long done = System.nanoTime();
                                if (s >= start && done <= end) {
                                    stats.add(done - s, 1);
                                }
                                break;
                            }
                            default: {
                                List<Message> msgs = new ArrayList<>(batch);
                                for (int i = 0; i < batch; i++) {
                                    msgs.add(new Message(topic, body));
                                }
                                SendResult r = p.send(msgs);
                                long done = System.nanoTime();
                                if (s >= start && done <= end) {
                                    if (r.getSendStatus() == SendStatus.SEND_OK) {
                                        stats.add(done - s, batch);
                                    } else {
                                        stats.fail(r.getSendStatus().name());
                                    }
                                }
                                break;
                            }
                        }
                    } catch (Exception e) {
                        long done = System.nanoTime();
                        if (s >= start && done <= end) {
                            stats.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
                        }
                    }
                }
            });
            th.start();
            workers.add(th);
        }
        for (Thread th : workers) {
            th.join();
        }
        // Every outstanding async send answers (or times out) and gives its permit back.
        window.tryAcquire(inFlight, 4L * a.integer("send-timeout-ms", 3000), java.util.concurrent.TimeUnit.MILLISECONDS);
        double elapsed = Math.max(1e-9, Math.min(duration, (System.nanoTime() - start) / 1e9));
        p.shutdown();
        Map<String, Object> s;
        synchronized (stats) {
            s = Json.obj("summary", true, "cmd", "bench-produce", "mode", mode, "topic", topic,
                "threads", threads, "size", size, "duration_s", Bodies.round(elapsed), "sent", stats.ok,
                "failed", stats.failed, "tps", Math.round(stats.ok / elapsed), "errors", stats.errors,
                "_exit", stats.ok > 0 && stats.failed == 0 ? 0 : 1);
            if (mode.equals("batch")) {
                s.put("batch", batch);
            }
            stats.latency(s);
        }
        return s;
    }

    /**
     * {@code bench-consume}: a push consumer (CONSUME_FROM_LAST_OFFSET); messages consumed in
     * the window {@code --warmup} .. {@code --warmup + --duration} seconds after it started
     * count; latency is born → consumed, from the {@code BENCH_SEND_US} stamp (µs) when the
     * message has one, else from the ms-resolution born timestamp (as rmq-bench does).
     */
    static Map<String, Object> consume(Args a) throws Exception {
        String topic = a.str("topic", "BenchTopic");
        double duration = a.dbl("duration", 10);
        double warmup = a.dbl("warmup", 2);
        Stats st = new Stats();
        java.util.concurrent.atomic.AtomicLongArray bounds = new java.util.concurrent.atomic.AtomicLongArray(2);
        bounds.set(0, Long.MAX_VALUE);
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(a.str("group", "bench_consumer"));
        JavaClient.configure(c, a);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            long now = nowUs();
            long t = System.nanoTime();
            if (t >= bounds.get(0) && t <= bounds.get(1)) {
                for (MessageExt m : msgs) {
                    String stamp = m.getUserProperty("BENCH_SEND_US");
                    long sentUs;
                    try {
                        sentUs = stamp != null ? Long.parseLong(stamp) : m.getBornTimestamp() * 1000L;
                    } catch (NumberFormatException e) {
                        sentUs = m.getBornTimestamp() * 1000L;
                    }
                    st.add(Math.max(0, now - sentUs) * 1000L, 1);
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        long subVersion = subVersion(c, topic);
        c.start();
        brokerKnowsSubscription(c, topic, subVersion);
        long start = System.nanoTime() + (long) (warmup * 1e9);
        bounds.set(1, start + (long) (duration * 1e9));
        bounds.set(0, start);
        Json.emit(Json.obj("ready", true, "cmd", "bench-consume", "topic", topic));
        JavaClient.sleepUnlessStopped(warmup + duration);
        c.shutdown();
        Map<String, Object> s;
        synchronized (st) {
            s = Json.obj("summary", true, "cmd", "bench-consume", "topic", topic, "received", st.ok,
                "tps", Math.round(st.ok / duration), "_exit", st.ok > 0 ? 0 : 1);
            st.latency(s);
        }
        return s;
    }

    private static long subVersion(DefaultMQPushConsumer c, String topic) {
        org.apache.rocketmq.remoting.protocol.heartbeat.SubscriptionData sd =
            c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getSubscriptionInner().get(topic);
        return sd == null ? -1 : sd.getSubVersion();
    }

    /**
     * Waits until the first rebalance bumped the subscription version, then sends heartbeats
     * until one gets the client's heartbeat lock. The client's own heartbeat after a rebalance
     * is skipped when the start-up or scheduled heartbeat holds that lock ("lock heartBeat, but
     * failed"); the broker then answers every pull SUBSCRIPTION_NOT_LATEST until the next
     * scheduled heartbeat, up to 30 s later (apache/rocketmq#3434, #8970). That start-up race
     * would otherwise decide at random whether a run consumes at all.
     */
    private static void brokerKnowsSubscription(DefaultMQPushConsumer c, String topic, long before)
        throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (subVersion(c, topic) == before && System.nanoTime() < deadline && !JavaClient.STOP.get()) {
            Thread.sleep(10);
        }
        org.apache.rocketmq.client.impl.factory.MQClientInstance f =
            c.getDefaultMQPushConsumerImpl().getmQClientFactory();
        for (int i = 0; i < 500 && !f.sendHeartbeatToAllBrokerWithLock() && !JavaClient.STOP.get(); i++) {
            Thread.sleep(10);
        }
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
