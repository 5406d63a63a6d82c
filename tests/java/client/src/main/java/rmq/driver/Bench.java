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

    private static final class Stats {
        final List<Double> lat = new ArrayList<>();
        long ok;
        long failed;
        final Map<String, Integer> errors = new TreeMap<>();

        synchronized void add(double ms, int n) {
            if (lat.size() < 5_000_000) {
                lat.add(ms);
            }
            ok += n;
        }

        synchronized void fail(String e) {
            failed++;
            errors.merge(e.length() > 200 ? e.substring(0, 200) : e, 1, Integer::sum);
        }
    }

    static Map<String, Object> produce(Args a) throws Exception {
        String mode = a.str("mode", "sync");
        String topic = a.str("topic", "BenchTopic");
        int threads = a.integer("threads", 1);
        int size = a.integer("size", 1024);
        int batch = a.integer("batch", 32);
        double duration = a.dbl("duration", 10);
        double warmup = a.dbl("warmup", 1);
        double rate = a.dbl("rate", 0);
        byte[] body = new byte[size];
        java.util.Arrays.fill(body, (byte) 'x');
        DefaultMQProducer p = JavaClient.producer(a);
        p.setRetryTimesWhenSendFailed(0);
        p.setRetryTimesWhenSendAsyncFailed(0);
        p.send(new Message(topic, body));
        Stats[] phase = {new Stats()};
        long[] bounds = new long[2];
        bounds[0] = System.nanoTime() + (long) (warmup * 1e9);
        bounds[1] = bounds[0] + (long) (duration * 1e9);
        Semaphore window = new Semaphore(a.integer("in-flight", 256));
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                long next = System.nanoTime();
                long interval = rate > 0 ? (long) (1e9 * threads / rate) : 0;
                while (!JavaClient.STOP.get() && System.nanoTime() < bounds[1]) {
                    if (interval > 0) {
                        long now = System.nanoTime();
                        if (now < next) {
                            java.util.concurrent.locks.LockSupport.parkNanos(next - now);
                        }
                        next += interval;
                    }
                    long s = System.nanoTime();
                    boolean counted = s >= bounds[0];
                    try {
                        switch (mode) {
                            case "sync": {
                                Message m = new Message(topic, body);
                                if (rate > 0) {
                                    m.putUserProperty("BENCH_SEND_US", Long.toString(nowUs()));
                                }
                                SendResult r = p.send(m);
                                if (counted) {
                                    if (r.getSendStatus() == SendStatus.SEND_OK) {
                                        phase[0].add((System.nanoTime() - s) / 1e6, 1);
                                    } else {
                                        phase[0].fail(r.getSendStatus().name());
                                    }
                                }
                                break;
                            }
                            case "async": {
                                window.acquire();
                                long st = System.nanoTime();
                                p.send(new Message(topic, body), JavaClient.callback((r, e) -> {
                                    window.release();
                                    if (st < bounds[0] || st >= bounds[1]) {
                                        return;
                                    }
                                    if (e != null) {
                                        phase[0].fail(e.getClass().getSimpleName() + ": " + e.getMessage());
                                    } else {
                                        phase[0].add((System.nanoTime() - st) / 1e6, 1);
                                    }
                                }));
                                break;
                            }
                            case "oneway":
                                p.sendOneway(new Message(topic, body));
                                if (counted) {
                                    phase[0].add((System.nanoTime() - s) / 1e6, 1);
                                }
                                break;
                            case "batch": {
                                List<Message> msgs = new ArrayList<>(batch);
                                for (int i = 0; i < batch; i++) {
                                    msgs.add(new Message(topic, body));
                                }
                                SendResult r = p.send(msgs);
                                if (counted && r.getSendStatus() == SendStatus.SEND_OK) {
                                    phase[0].add((System.nanoTime() - s) / 1e6, batch);
                                }
                                break;
                            }
                            default:
                                throw new IllegalArgumentException("unknown --mode " + mode);
                        }
                    } catch (IllegalArgumentException e) {
                        throw e;
                    } catch (Exception e) {
                        if (counted) {
                            phase[0].fail(e.getClass().getSimpleName() + ": " + e.getMessage());
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
        window.acquire(a.integer("in-flight", 256));
        double elapsed = Math.max(1e-9, Math.min(duration, (System.nanoTime() - bounds[0]) / 1e9));
        p.shutdown();
        Stats st = phase[0];
        Map<String, Object> s;
        synchronized (st) {
            s = Json.obj("summary", true, "cmd", "bench-produce", "mode", mode, "topic", topic,
                "threads", threads, "size", size, "duration_s", Bodies.round(elapsed), "sent", st.ok,
                "failed", st.failed, "tps", Math.round(st.ok / elapsed), "errors", st.errors,
                "_exit", st.ok > 0 && st.failed == 0 ? 0 : 1);
            Bodies.latency(s, st.lat);
        }
        return s;
    }

    static Map<String, Object> consume(Args a) throws Exception {
        String topic = a.str("topic", "BenchTopic");
        double duration = a.dbl("duration", 10);
        double warmup = a.dbl("warmup", 2);
        Stats st = new Stats();
        long[] bounds = new long[2];
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(a.str("group", "bench_consumer"));
        JavaClient.configure(c, a);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            long now = nowUs();
            long t = System.nanoTime();
            for (MessageExt m : msgs) {
                String stamp = m.getUserProperty("BENCH_SEND_US");
                if (t >= bounds[0] && t < bounds[1]) {
                    st.add(stamp == null ? 0 : (now - Long.parseLong(stamp)) / 1000.0, 1);
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        bounds[0] = System.nanoTime() + (long) (warmup * 1e9);
        bounds[1] = bounds[0] + (long) (duration * 1e9);
        Json.emit(Json.obj("ready", true, "cmd", "bench-consume", "topic", topic));
        JavaClient.sleepUnlessStopped(warmup + duration);
        c.shutdown();
        Map<String, Object> s;
        synchronized (st) {
            s = Json.obj("summary", true, "cmd", "bench-consume", "topic", topic, "received", st.ok,
                "tps", Math.round(st.ok / duration), "_exit", st.ok > 0 ? 0 : 1);
            Bodies.latency(s, st.lat);
        }
        return s;
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
