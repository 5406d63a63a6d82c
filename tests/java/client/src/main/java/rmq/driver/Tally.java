package rmq.driver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;

import org.apache.rocketmq.common.message.MessageExt;

/** Counts deliveries of driver bodies against the expected indices (as the C++ driver's Tally). */
final class Tally {
    private final String prefix;
    private final Set<Integer> expected = new HashSet<>();
    private final Map<Integer, String> seen = new HashMap<>();
    private final Map<Integer, Integer> deliveries = new HashMap<>();
    private final Map<String, Integer> tags = new TreeMap<>();
    private final Map<String, Integer> perQueue = new TreeMap<>();
    private final Map<Integer, Integer> lastIndexPerShard = new HashMap<>();
    private final List<Long> delays = new ArrayList<>();
    private final int untilDeliveries;
    private int total;
    private int duplicates;
    private int unexpected;
    private int reconsumed;
    private int rejected;
    private int orderViolations;
    private int maxReconsumeTimes;
    final CountDownLatch done = new CountDownLatch(1);

    Tally(Args a) {
        prefix = a.str("prefix", "rmq");
        int expect = a.integer("expect", 0);
        String[] produced = a.str("produced-tags", "").isEmpty() ? new String[0] : a.str("produced-tags", "").split(",");
        Set<String> subscribed = new HashSet<>();
        for (String t : a.str("tag", "*").split("\\|\\|")) {
            subscribed.add(t.trim());
        }
        for (int i = 0; i < expect; i++) {
            if (produced.length == 0 || subscribed.contains("*") || subscribed.contains(produced[i % produced.length])) {
                expected.add(i);
            }
        }
        untilDeliveries = a.integer("until-deliveries", 0);
        if (expected.isEmpty() && untilDeliveries == 0) {
            done.countDown();
        }
    }

    /** Records one delivery; false when it is to be answered with RECONSUME_LATER. */
    synchronized boolean add(MessageExt msg, long recvMs, int rejectFirst) {
        total++;
        if (msg.getReconsumeTimes() > 0) {
            reconsumed++;
        }
        maxReconsumeTimes = Math.max(maxReconsumeTimes, msg.getReconsumeTimes());
        Object[] p = Bodies.parse(msg.getBody());
        if (p == null || !prefix.equals(p[0]) || !expected.contains((Integer) p[1])) {
            unexpected++;
            return true;
        }
        int index = (Integer) p[1];
        int shard = (Integer) p[2];
        long sentMs = (Long) p[3];
        int earlier = deliveries.getOrDefault(index, 0);
        deliveries.put(index, earlier + 1);
        if (untilDeliveries > 0 && deliveries.values().stream().mapToInt(Integer::intValue).sum() >= untilDeliveries) {
            done.countDown();
        }
        if (earlier < rejectFirst) {
            rejected++;
            return false;
        }
        if (seen.containsKey(index)) {
            duplicates++;
            return true;
        }
        seen.put(index, msg.getMsgId());
        String tag = msg.getTags() == null ? "" : msg.getTags();
        tags.merge(tag, 1, Integer::sum);
        perQueue.merge(String.valueOf(msg.getQueueId()), 1, Integer::sum);
        delays.add(recvMs - sentMs);
        Integer last = lastIndexPerShard.get(shard);
        if (last != null && index < last) {
            orderViolations++;
        }
        lastIndexPerShard.put(shard, last == null ? index : Math.max(last, index));
        if (seen.size() == expected.size() && untilDeliveries == 0) {
            done.countDown();
        }
        return true;
    }

    synchronized Map<String, Object> summary(String cmd, double elapsedMs, boolean strictOrder) {
        Map<String, Object> s = Json.obj("summary", true, "cmd", cmd, "expected", expected.size(),
            "received", seen.size(), "total", total, "duplicates", duplicates, "unexpected", unexpected,
            "reconsumed", reconsumed, "rejected", rejected, "max_reconsume_times", maxReconsumeTimes,
            "msg_ids", new ArrayList<>(new TreeSet<>(seen.values())), "tags", tags, "per_queue", perQueue,
            "order_violations", orderViolations,
            "max_delay_ms", delays.isEmpty() ? null : delays.stream().mapToLong(Long::longValue).max().getAsLong(),
            "min_delay_ms", delays.isEmpty() ? null : delays.stream().mapToLong(Long::longValue).min().getAsLong(),
            "deliveries", deliveries.values().stream().mapToInt(Integer::intValue).sum(),
            "elapsed_ms", Bodies.round(elapsedMs));
        List<Integer> missing = new ArrayList<>(new TreeSet<>(expected));
        missing.removeAll(seen.keySet());
        s.put("missing", missing.size());
        if (!missing.isEmpty()) {
            s.put("missing_indices", missing.subList(0, Math.min(50, missing.size())));
        }
        boolean ok = untilDeliveries > 0
            ? deliveries.values().stream().mapToInt(Integer::intValue).sum() >= untilDeliveries
            : seen.size() == expected.size() && (!strictOrder || orderViolations == 0);
        s.put("_exit", ok ? 0 : 1);
        return s;
    }

    /** One delivery as a JSON record. */
    static Map<String, Object> describe(MessageExt msg, long recvMs, boolean accepted) {
        Object[] p = Bodies.parse(msg.getBody());
        Map<String, Object> props = new TreeMap<>(msg.getProperties());
        return Json.obj("recv", Bodies.head(msg.getBody(), 40), "index", p == null ? null : p[1],
            "msg_id", msg.getMsgId(), "offset_msg_id", offsetMsgId(msg), "uniq_key", msg.getProperty("UNIQ_KEY"),
            "topic", msg.getTopic(), "queue_id", msg.getQueueId(), "queue_offset", msg.getQueueOffset(),
            "tag", msg.getTags() == null ? "" : msg.getTags(), "keys", msg.getKeys() == null ? "" : msg.getKeys(),
            "properties", props, "reconsume_times", msg.getReconsumeTimes(), "body_size",
            msg.getBody() == null ? 0 : msg.getBody().length, "body_crc",
            msg.getBody() == null ? 0 : crc(msg.getBody()), "born_host", String.valueOf(msg.getBornHost()),
            "store_host", String.valueOf(msg.getStoreHost()), "recv_ms", recvMs, "accepted", accepted);
    }

    static String offsetMsgId(MessageExt msg) {
        try {
            return (String) msg.getClass().getMethod("getOffsetMsgId").invoke(msg);
        } catch (ReflectiveOperationException e) {
            return msg.getMsgId();
        }
    }

    static long crc(byte[] body) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(body);
        return c.getValue();
    }

    static String text(byte[] b) {
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }
}
