package rmq.driver;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;

import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;

/** {@code produce}: sends --count driver bodies; one JSON line per message (unless --quiet). */
final class Produce {
    private Produce() {
    }

    private static final class State {
        int sent;
        int failed;
        final Map<String, Integer> statuses = new TreeMap<>();
        final Map<String, Integer> errors = new TreeMap<>();
        final List<Double> lat = new ArrayList<>();

        synchronized void ok(String status, double ms) {
            sent++;
            statuses.merge(status, 1, Integer::sum);
            lat.add(ms);
        }

        synchronized void fail(Throwable e) {
            failed++;
            String k = String.valueOf(e.getMessage());
            errors.merge(k.length() > 300 ? k.substring(0, 300) : k, 1, Integer::sum);
        }
    }

    static Map<String, Object> run(Args a) throws Exception {
        String mode = a.str("mode", "sync");
        String topic = a.str("topic", "RmqInteropTopic");
        int count = a.integer("count", 10);
        int start = a.integer("start-index", 0);
        int shards = a.integer("shards", 4);
        int batch = a.integer("batch", 8);
        boolean quiet = a.on("quiet");
        String tagList = a.str("tags", null);
        String[] tags = tagList != null ? tagList.split(",") : a.str("tag", null) != null ? new String[] {a.str("tag", null)} : new String[0];
        Map<String, String> props = a.pairs("props");
        DefaultMQProducer p = JavaClient.producer(a);
        State st = new State();
        Semaphore inFlight = new Semaphore(a.integer("in-flight", 64));
        CountDownLatch pending = new CountDownLatch(mode.equals("async") ? count : 0);
        long t0 = System.nanoTime();
        List<Message> pendingBatch = new ArrayList<>();
        List<Map<String, Object>> pendingRecs = new ArrayList<>();
        for (int index = start; index < start + count && !JavaClient.STOP.get(); index++) {
            int shard = mode.equals("orderly") ? index % shards : 0;
            String tag = tags.length > 0 ? tags[index % tags.length] : null;
            Message m = JavaClient.message(a, topic, index, shard, tag, props);
            Map<String, Object> rec = Json.obj("index", index, "shard", shard, "tag", tag);
            long s = System.nanoTime();
            try {
                switch (mode) {
                    case "sync":
                        record(rec, p.send(m), s, st, quiet);
                        break;
                    case "orderly":
                        SendResult r = p.send(m, (mqs, msg, arg) -> mqs.get((Integer) arg % mqs.size()), shard);
                        record(rec, r, s, st, quiet);
                        break;
                    case "oneway":
                        p.sendOneway(m);
                        st.ok("ONEWAY", (System.nanoTime() - s) / 1e6);
                        break;
                    case "async":
                        inFlight.acquire();
                        p.send(m, JavaClient.callback((res, e) -> {
                            inFlight.release();
                            if (e != null) {
                                st.fail(e);
                                rec.put("error", e.toString());
                                Json.emit(rec);
                            } else {
                                record(rec, res, s, st, quiet);
                            }
                            pending.countDown();
                        }));
                        break;
                    case "batch":
                        pendingBatch.add(m);
                        pendingRecs.add(rec);
                        if (pendingBatch.size() == batch || index == start + count - 1) {
                            sendBatch(p, pendingBatch, pendingRecs, st, quiet);
                        }
                        break;
                    default:
                        throw new IllegalArgumentException("unknown --mode " + mode);
                }
            } catch (IllegalArgumentException e) {
                throw e;
            } catch (Exception e) {
                st.fail(e);
                rec.put("error", e.toString());
                Json.emit(rec);
                if (a.on("fail-fast")) {
                    break;
                }
            }
        }
        JavaClient.await(pending, 60);
        double elapsed = (System.nanoTime() - t0) / 1e6;
        p.shutdown();
        boolean ok;
        synchronized (st) {
            ok = st.sent == count && st.failed == 0
                && st.statuses.keySet().stream().allMatch(k -> k.equals("SEND_OK") || k.equals("ONEWAY"));
        }
        Map<String, Object> s = Json.obj("summary", true, "cmd", "produce", "mode", mode, "topic", topic,
            "count", count, "sent", st.sent, "failed", st.failed, "statuses", st.statuses, "errors", st.errors,
            "elapsed_ms", Bodies.round(elapsed), "stopped", JavaClient.STOP.get(), "_exit", ok ? 0 : 1);
        Bodies.latency(s, st.lat);
        return s;
    }

    private static void sendBatch(DefaultMQProducer p, List<Message> msgs, List<Map<String, Object>> recs,
        State st, boolean quiet) throws Exception {
        long s = System.nanoTime();
        try {
            SendResult r = p.send(new ArrayList<>(msgs));
            double ms = (System.nanoTime() - s) / 1e6;
            String[] ids = r.getMsgId().split(",");
            String[] offsetIds = r.getOffsetMsgId() == null ? new String[0] : r.getOffsetMsgId().split(",");
            for (int i = 0; i < recs.size(); i++) {
                Map<String, Object> rec = recs.get(i);
                rec.put("msg_id", i < ids.length ? ids[i] : null);
                rec.put("offset_msg_id", i < offsetIds.length ? offsetIds[i] : null);
                rec.put("queue_id", r.getMessageQueue().getQueueId());
                rec.put("broker", r.getMessageQueue().getBrokerName());
                rec.put("queue_offset", r.getQueueOffset() + i);
                rec.put("status", JavaClient.status(r));
                rec.put("latency_ms", Bodies.round(ms));
                st.ok(JavaClient.status(r), ms);
                if (!quiet) {
                    Json.emit(rec);
                }
            }
        } catch (Exception e) {
            for (Map<String, Object> rec : recs) {
                st.fail(e);
                rec.put("error", e.toString());
                Json.emit(rec);
            }
        } finally {
            msgs.clear();
            recs.clear();
        }
    }

    private static void record(Map<String, Object> rec, SendResult r, long startNs, State st, boolean quiet) {
        double ms = (System.nanoTime() - startNs) / 1e6;
        rec.put("msg_id", r.getMsgId());
        rec.put("offset_msg_id", r.getOffsetMsgId());
        rec.put("queue_id", r.getMessageQueue().getQueueId());
        rec.put("broker", r.getMessageQueue().getBrokerName());
        rec.put("queue_offset", r.getQueueOffset());
        rec.put("status", JavaClient.status(r));
        rec.put("latency_ms", Bodies.round(ms));
        st.ok(JavaClient.status(r), ms);
        if (!quiet) {
            Json.emit(rec);
        }
    }
}
