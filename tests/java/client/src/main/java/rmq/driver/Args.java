package rmq.driver;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** {@code COMMAND --flag value --switch ...}; unknown flags are a usage error. */
final class Args {
    final String cmd;
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> switches = new HashSet<>();

    Args(String[] argv, Set<String> switchNames) {
        if (argv.length == 0) {
            throw new IllegalArgumentException("missing COMMAND");
        }
        cmd = argv[0];
        for (int i = 1; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + a);
            }
            String name = a.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (switchNames.contains(name)) {
                switches.add(name);
            } else if (inline != null) {
                values.put(name, inline);
            } else if (i + 1 < argv.length) {
                values.put(name, argv[++i]);
            } else {
                throw new IllegalArgumentException("--" + name + " needs a value");
            }
        }
    }

    String str(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

    int integer(String name, int dflt) {
        String v = values.get(name);
        return v == null ? dflt : Integer.parseInt(v);
    }

    double dbl(String name, double dflt) {
        String v = values.get(name);
        return v == null ? dflt : Double.parseDouble(v);
    }

    boolean on(String name) {
        return switches.contains(name);
    }

    /** {@code k=v,k2=v2} as an ordered map (empty when absent). */
    Map<String, String> pairs(String name) {
        Map<String, String> m = new LinkedHashMap<>();
        String v = values.get(name);
        if (v != null && !v.isEmpty()) {
            for (String kv : v.split(",")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--" + name + ": expected key=value, got " + kv);
                }
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return m;
    }
}
