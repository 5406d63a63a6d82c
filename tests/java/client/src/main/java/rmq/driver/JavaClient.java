package rmq.driver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.remoting.protocol.heartbeat.MessageModel;

/**
 * A command line over the official Apache RocketMQ Java client (remoting protocol), for rmq's
 * interop tests. Commands and flags follow tests/interop/cpp_client.py:
 *
 * <pre>
 *   produce  --namesrv A --topic T [--mode sync|async|oneway|orderly|batch] [--count N] [--tag X | --tags A,B]
 *            [--keys] [--props k=v,..] [--delay-level L] [--size B] [--shards S] [--batch N] [--prefix P]
 *   consume  --namesrv A --topic T --group G --expect N [--tag EXPR | --sql EXPR] [--broadcast] [--orderly]
 *            [--fail-first K] [--until-deliveries N] [--max-reconsume-times M] [--verbose] [--timeout S]
 *   lite-pull --namesrv A --topic T --group G --expect N [--assign] [--seek OFFSET] [--manual-commit]
 *   bench-produce --namesrv A --topic T [--mode sync|async|batch] [--threads T] [--in-flight N] [--duration S]
 * </pre>
 *
 * <p>Every stdout line is one JSON object; the last has {@code "summary": true}. Exit status 0 =
 * expectations met, 1 = not met, 2 = usage error or a client that could not start. SIGTERM ends a
 * command early; the summary is still printed.
 */
public final class JavaClient {
    static final AtomicBoolean STOP = new AtomicBoolean();
    private static final CountDownLatch FINISHED = new CountDownLatch(1);
    private static final String[] STATUS = {"SEND_OK", "FLUSH_DISK_TIMEOUT", "FLUSH_SLAVE_TIMEOUT", "SLAVE_NOT_AVAILABLE"};

    private JavaClient() {
    }

    public static void main(String[] argv) {
        Args a;
        try {
            a = new Args(argv, new HashSet<>(Arrays.asList("keys", "quiet", "broadcast", "orderly", "verbose",
                "from-first", "fail-fast", "assign", "manual-commit", "seek-begin")));
        } catch (IllegalArgumentException e) {
            finish(Json.obj("summary", true, "error", "usage: " + e.getMessage(), "_exit", 2));
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            STOP.set(true);
            try {
                FINISHED.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                // exit now
            }
        }));
        try {
            switch (a.cmd) {
                case "produce": finish(Produce.run(a)); break;
                case "consume": finish(consume(a)); break;
                case "lite-pull": finish(litePull(a)); break;
                case "bench-produce": finish(Bench.produce(a)); break;
                case "bench-consume": finish(Bench.consume(a)); break;
                case "timer-produce": finish(Timers.produce(a)); break;
                case "request": finish(Requests.request(a)); break;
                case "reply-consume": finish(Requests.replyConsume(a)); break;
                case "tx-produce": finish(Transactions.produce(a)); break;
                default: finish(Json.obj("summary", true, "error", "unknown command " + a.cmd, "_exit", 2));
            }
        } catch (Throwable t) {
            StringBuilder chain = new StringBuilder(t.toString());
            for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                chain.append(" <- caused by: ").append(c);
            }
            finish(Json.obj("summary", true, "cmd", a.cmd, "error", chain.toString(), "_exit", 2));
        }
    }

    /** Prints the summary (without "_exit") and halts with its "_exit" status. */
    static void finish(Map<String, Object> summary) {
        Object code = summary.remove("_exit");
        Json.emit(summary);
        FINISHED.countDown();
        Runtime.getRuntime().halt(code instanceof Integer ? (Integer) code : 0);
    }

    static void sleepUnlessStopped(double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (!STOP.get() && System.nanoTime() < end) {
            try {
                Thread.sleep(Math.min(50, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static boolean await(CountDownLatch latch, double seconds) throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (!STOP.get()) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            if (latch.await(Math.min(left, 100_000_000L), TimeUnit.NANOSECONDS)) {
                return true;
            }
        }
        return false;
    }

    static String status(SendResult r) {
        return STATUS[r.getSendStatus().ordinal()];
    }

    /** The common client settings: name server, instance name, namespace. */
    static void configure(org.apache.rocketmq.client.ClientConfig c, Args a) {
        c.setNamesrvAddr(a.required("namesrv"));
        String instance = a.str("instance", null);
        if (instance != null) {
            c.setInstanceName(instance);
        }
        String ns = a.str("namespace", null);
        if (ns != null) {
            c.setNamespace(ns);
        }
        c.setVipChannelEnabled(false);
    }

    // ------------------------------------------------------------------------- consume

    static Map<String, Object> consume(Args a) throws Exception {
        Tally tally = new Tally(a);
        String group = a.str("group", "java_interop_consumer");
        String topic = a.str("topic", "RmqInteropTopic");
        boolean orderly = a.on("orderly");
        boolean verbose = a.on("verbose");
        int rejectFirst = a.integer("fail-first", 0);
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        configure(c, a);
        c.setMessageModel(a.on("broadcast") ? MessageModel.BROADCASTING : MessageModel.CLUSTERING);
        // The listener counts a delivery before it returns; shutdown must wait for that return
        // to be processed (a RECONSUME_LATER's send-back, an offset update), or the last
        // delivery's outcome is lost with the process.
        c.setAwaitTerminationMillisWhenShutdown(10_000);
        c.setConsumeFromWhere(a.on("from-first") ? ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET
            : ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
        if (a.integer("threads", 0) > 0) {
            c.setConsumeThreadMin(a.integer("threads", 0));
            c.setConsumeThreadMax(a.integer("threads", 0));
        }
        if (a.str("max-reconsume-times", null) != null) {
            c.setMaxReconsumeTimes(a.integer("max-reconsume-times", 16));
        }
        if (a.str("suspend-ms", null) != null) {
            c.setSuspendCurrentQueueTimeMillis(a.integer("suspend-ms", 1000));
        }
        String sql = a.str("sql", null);
        if (sql != null) {
            c.subscribe(topic, MessageSelector.bySql(sql));
        } else {
            c.subscribe(topic, a.str("tag", "*"));
        }
        if (orderly) {
            c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    long now = System.currentTimeMillis();
                    boolean ok = tally.add(m, now, rejectFirst);
                    if (verbose) {
                        Json.emit(Tally.describe(m, now, ok));
                    }
                    if (!ok) {
                        return ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT;
                    }
                }
                return ConsumeOrderlyStatus.SUCCESS;
            });
        } else {
            c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    long now = System.currentTimeMillis();
                    boolean ok = tally.add(m, now, rejectFirst);
                    if (verbose) {
                        Json.emit(Tally.describe(m, now, ok));
                    }
                    if (!ok) {
                        return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                    }
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
        }
        long t0 = System.nanoTime();
        c.start();
        Json.emit(Json.obj("ready", true, "cmd", "consume", "group", group, "topic", topic,
            "model", a.on("broadcast") ? "BROADCASTING" : "CLUSTERING", "orderly", orderly,
            "client_id", c.buildMQClientId(), "pid", ProcessHandle.current().pid()));
        if (await(tally.done, a.dbl("timeout", 60))) {
            sleepUnlessStopped(a.dbl("linger", 0));
        }
        double elapsed = (System.nanoTime() - t0) / 1e6;
        c.shutdown();
        Map<String, Object> s = tally.summary("consume", elapsed, orderly);
        s.put("group", group);
        s.put("topic", topic);
        s.put("stopped", STOP.get());
        return s;
    }

    // ------------------------------------------------------------------------- lite pull

    static Map<String, Object> litePull(Args a) throws Exception {
        Tally tally = new Tally(a);
        String group = a.str("group", "java_interop_lite");
        String topic = a.str("topic", "RmqInteropTopic");
        boolean verbose = a.on("verbose");
        DefaultLitePullConsumer c = new DefaultLitePullConsumer(group);
        configure(c, a);
        c.setAutoCommit(!a.on("manual-commit"));
        c.setPullBatchSize(a.integer("batch", 32));
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        Collection<MessageQueue> assigned = new ArrayList<>();
        if (a.on("assign")) {
            c.start();
            assigned = c.fetchMessageQueues(topic);
            c.assign(assigned);
            for (MessageQueue mq : assigned) {
                if (a.on("seek-begin")) {
                    seekRetrying(() -> c.seekToBegin(mq));
                } else if (a.str("seek", null) != null) {
                    long to = Long.parseLong(a.str("seek", "0"));
                    seekRetrying(() -> c.seek(mq, to));
                }
            }
        } else {
            c.subscribe(topic, a.str("tag", "*"));
            c.start();
        }
        Json.emit(Json.obj("ready", true, "cmd", "lite-pull", "group", group, "topic", topic,
            "assign", a.on("assign"), "queues", assigned.size()));
        long t0 = System.nanoTime();
        long end = t0 + (long) (a.dbl("timeout", 60) * 1e9);
        int polls = 0;
        while (!STOP.get() && tally.done.getCount() > 0 && System.nanoTime() < end) {
            List<MessageExt> msgs = c.poll(500);
            polls++;
            long now = System.currentTimeMillis();
            for (MessageExt m : msgs) {
                boolean ok = tally.add(m, now, 0);
                if (verbose) {
                    Json.emit(Tally.describe(m, now, ok));
                }
            }
            if (a.on("manual-commit") && !msgs.isEmpty()) {
                c.commitSync();
            }
        }
        double elapsed = (System.nanoTime() - t0) / 1e6;
        Map<String, Object> committed = new TreeMap<>();
        for (MessageQueue mq : assigned) {
            committed.put(mq.getBrokerName() + "/" + mq.getQueueId(), c.committed(mq));
        }
        c.shutdown();
        Map<String, Object> s = tally.summary("lite-pull", elapsed, false);
        s.put("group", group);
        s.put("topic", topic);
        s.put("polls", polls);
        s.put("committed", committed);
        return s;
    }

    interface Seek {
        void run() throws MQClientException;
    }

    /**
     * Runs a seek, again if the Java client failed it itself: seek interrupts the queue's pull
     * task, an interrupted synchronous pull surfaces as RemotingSendRequestException, and the
     * client then closes the broker channel it shares with the seek's own GET_MIN/MAX_OFFSET
     * ("Invoke Broker[..] exception" caused by a closed channel). The same happens against the
     * Java broker; the broker's answers are not involved.
     */
    static void seekRetrying(Seek seek) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                seek.run();
                return;
            } catch (MQClientException e) {
                if (attempt == 5 || e.getMessage() == null || !e.getMessage().contains("Invoke Broker")) {
                    throw e;
                }
                Thread.sleep(100L * attempt);
            }
        }
    }

    /** A Message with the driver's body, tag, keys and user properties. */
    static Message message(Args a, String topic, int index, int shard, String tag, Map<String, String> props) {
        long now = System.currentTimeMillis();
        Message m = new Message(topic, Bodies.make(a.str("prefix", "rmq"), index, shard, a.integer("size", 64), now));
        if (tag != null) {
            m.setTags(tag);
        }
        if (a.on("keys")) {
            m.setKeys(a.str("prefix", "rmq") + "-key-" + index);
        }
        for (Map.Entry<String, String> e : props.entrySet()) {
            m.putUserProperty(e.getKey(), e.getValue());
        }
        if (a.integer("delay-level", 0) > 0) {
            m.setDelayTimeLevel(a.integer("delay-level", 0));
        }
        return m;
    }

    static DefaultMQProducer producer(Args a) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(a.str("group", "java_interop_producer"));
        configure(p, a);
        p.setSendMsgTimeout(a.integer("send-timeout-ms", 3000));
        if (a.str("compress-over", null) != null) {
            p.setCompressMsgBodyOverHowmuch(a.integer("compress-over", 4096));
        }
        p.start();
        return p;
    }

    static SendCallback callback(SendCallbackFn fn) {
        return new SendCallback() {
            @Override
            public void onSuccess(SendResult r) {
                fn.done(r, null);
            }

            @Override
            public void onException(Throwable e) {
                fn.done(null, e);
            }
        };
    }

    interface SendCallbackFn {
        void done(SendResult r, Throwable e);
    }
}
