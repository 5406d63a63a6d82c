package rmq.driver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** Message bodies in the C++ driver's format: {@code <prefix>-<index:08d>-s<shard>-t<unix_ms>|xxx}. */
final class Bodies {
    private Bodies() {
    }

    static byte[] make(String prefix, int index, int shard, int size, long sentMs) {
        StringBuilder sb = new StringBuilder(String.format("%s-%08d-s%d-t%d|", prefix, index, shard, sentMs));
        while (sb.length() < size) {
            sb.append('x');
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** {prefix, index, shard, sentMs} or null. */
    static Object[] parse(byte[] body) {
        if (body == null) {
            return null;
        }
        int bar = -1;
        for (int i = 0; i < body.length && i < 512; i++) {
            if (body[i] == '|') {
                bar = i;
                break;
            }
        }
        if (bar < 0) {
            return null;
        }
        String head = new String(body, 0, bar, StandardCharsets.US_ASCII);
        String[] parts = head.split("-");
        if (parts.length < 4) {
            return null;
        }
        int n = parts.length;
        String shard = parts[n - 2];
        String sent = parts[n - 1];
        if (!shard.startsWith("s") || !sent.startsWith("t")) {
            return null;
        }
        try {
            String prefix = String.join("-", java.util.Arrays.copyOfRange(parts, 0, n - 3));
            return new Object[] {prefix, Integer.parseInt(parts[n - 3]), Integer.parseInt(shard.substring(1)),
                Long.parseLong(sent.substring(1))};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static String head(byte[] body, int max) {
        if (body == null) {
            return "";
        }
        return new String(body, 0, Math.min(max, body.length), StandardCharsets.UTF_8);
    }

    /** p50/p99/p99.9/max of latencies in ms (nearest rank). */
    static void latency(Map<String, Object> out, List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        out.put("p50_ms", pct(v, 0.50));
        out.put("p99_ms", pct(v, 0.99));
        out.put("p999_ms", pct(v, 0.999));
        out.put("max_ms", v.isEmpty() ? null : round(v.get(v.size() - 1)));
    }

    private static Double pct(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return null;
        }
        int i = (int) Math.min(sorted.size() - 1, Math.max(0, Math.round(q * (sorted.size() - 1))));
        return round(sorted.get(i));
    }

    static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
