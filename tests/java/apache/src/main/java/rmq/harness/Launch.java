package rmq.harness;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

import org.apache.rocketmq.broker.BrokerController;
import org.apache.rocketmq.broker.BrokerStartup;
import org.apache.rocketmq.namesrv.NamesrvController;
import org.apache.rocketmq.namesrv.NamesrvStartup;

/**
 * Starts an Apache RocketMQ NameServer or Broker through its own startup class
 * ({@code NamesrvStartup} / {@code BrokerStartup}, so configuration files are read exactly as
 * the shipped {@code mqnamesrv} / {@code mqbroker} scripts read them) and ties its life to the
 * test process that started it:
 *
 * <pre>
 *   java ... rmq.harness.Launch namesrv|broker WORK_DIR [startup arguments, e.g. -c broker.conf]
 * </pre>
 *
 * <p>Prints {@code RMQ_HARNESS_READY <role>} once the server started (a broker has then
 * registered with its name servers: {@code BrokerController.start} registers synchronously).
 * When stdin closes (the test process ended or dropped its handle) or reads {@code stop}, the
 * server is shut down the way its own shutdown hook does it, WORK_DIR is removed, and the JVM
 * halts. SIGTERM still runs the server's own shutdown hook (a graceful stop); SIGKILL is a
 * crash.
 */
public final class Launch {
    private Launch() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Launch namesrv|broker WORK_DIR [startup args]");
            System.exit(2);
        }
        String role = args[0];
        Path work = Paths.get(args[1]);
        String[] rest = Arrays.copyOfRange(args, 2, args.length);
        Runnable stop;
        switch (role) {
            case "namesrv": {
                NamesrvController controller = NamesrvStartup.main0(rest);
                if (controller == null) {
                    System.err.println("RMQ_HARNESS_FAILED namesrv");
                    System.exit(1);
                }
                stop = () -> NamesrvStartup.shutdown(controller);
                break;
            }
            case "broker": {
                BrokerController controller = BrokerStartup.createBrokerController(rest);
                if (controller == null) {
                    System.err.println("RMQ_HARNESS_FAILED broker");
                    System.exit(1);
                }
                BrokerStartup.start(controller);
                stop = controller::shutdown;
                break;
            }
            default:
                System.err.println("unknown role " + role);
                System.exit(2);
                return;
        }
        System.out.println("RMQ_HARNESS_READY " + role);
        System.out.flush();
        waitForStop(System.in);
        try {
            stop.run();
        } catch (Throwable t) {
            t.printStackTrace();
        }
        deleteTree(work);
        System.out.println("RMQ_HARNESS_STOPPED " + role);
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    /** Returns at end of stream or when a line reads "stop". */
    private static void waitForStop(InputStream in) {
        StringBuilder line = new StringBuilder();
        try {
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    if (line.toString().trim().equals("stop")) {
                        return;
                    }
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
        } catch (IOException e) {
            // a broken pipe means the test process is gone: stop as at end of stream
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<Path>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("cannot remove " + root + ": " + e);
        }
    }
}
