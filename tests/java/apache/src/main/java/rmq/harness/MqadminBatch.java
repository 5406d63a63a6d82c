package rmq.harness;

import java.util.ArrayList;
import java.util.List;

import org.apache.rocketmq.tools.command.MQAdminStartup;

/**
 * Runs several {@code mqadmin} sub-commands in one JVM, one after another, through
 * {@code MQAdminStartup.main0} (exactly what the {@code mqadmin} script runs):
 *
 * <pre>
 *   java ... rmq.harness.MqadminBatch clusterList -n ADDR --next topicStatus -t T -n ADDR --next ...
 * </pre>
 *
 * <p>Before each command it prints {@code ===RMQ_MQADMIN=== <command line>}; the command's
 * output (stderr too: stack traces of failed commands) follows on stdout.
 */
public final class MqadminBatch {
    private MqadminBatch() {
    }

    public static void main(String[] args) {
        System.setErr(System.out);
        List<String> current = new ArrayList<>();
        List<List<String>> commands = new ArrayList<>();
        for (String a : args) {
            if (a.equals("--next")) {
                commands.add(current);
                current = new ArrayList<>();
            } else {
                current.add(a);
            }
        }
        commands.add(current);
        for (List<String> cmd : commands) {
            if (cmd.isEmpty()) {
                continue;
            }
            System.out.println("===RMQ_MQADMIN=== " + String.join(" ", cmd));
            System.out.flush();
            MQAdminStartup.main0(cmd.toArray(new String[0]), null);
            System.out.flush();
        }
        System.out.println("===RMQ_MQADMIN=== end");
        System.out.flush();
        System.exit(0);
    }
}
