// Differential oracle: Apache RocketMQ's own SQL92 filter (rocketmq-filter 5.3.3) over the
// same inputs as rmq's. Reads lines "expression<TAB>k=v<US>k=v..." (expression with \n and \t
// escaped as \\n, \\t) and prints M (match), N (no match) or E (does not compile) per line.
// See rmq-core/fuzz/README.md for how to run it.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.rocketmq.filter.expression.BooleanExpression;
import org.apache.rocketmq.filter.expression.EvaluationContext;
import org.apache.rocketmq.filter.parser.SelectorParser;

public class FilterOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            int tab = line.indexOf('\t');
            String expr = unescape(tab < 0 ? line : line.substring(0, tab));
            Map<String, Object> props = new HashMap<>();
            if (tab >= 0 && tab + 1 < line.length()) {
                for (String kv : line.substring(tab + 1).split("\u001f")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) props.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            BooleanExpression e;
            try {
                e = SelectorParser.parse(expr);
            } catch (Throwable t) {
                out.append("E\n");
                continue;
            }
            Object r = null;
            try {
                r = e.evaluate(new EvaluationContext() {
                    public Object get(String name) { return props.get(name); }
                    public Map<String, Object> keyValues() { return props; }
                });
            } catch (Throwable t) {
                r = null;
            }
            out.append(r instanceof Boolean && (Boolean) r ? "M\n" : "N\n");
        }
        System.out.print(out);
    }

    static String unescape(String s) {
        return s.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\");
    }
}
