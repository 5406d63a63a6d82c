package com.example.rmq.producer;

import static com.example.rmq.producer.JsonLines.obj;

import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.spring.core.RocketMQTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Sends {@code demo.count} messages to {@code demo.topic[:demo.tag]} with
 * {@link RocketMQTemplate#syncSend(String, Object)}, prints one JSON line per send and a summary
 * line, then exits (0 when every send returned, 1 when one threw).
 *
 * <pre>
 * {"sent": 0, "msg_id": "...", "status": "SEND_OK", "queue_id": 1, "destination": "boot-test"}
 * {"summary": true, "sent": 1}
 * {"summary": true, "error": "..."}
 * </pre>
 */
@SpringBootApplication
public class ProducerApplication implements CommandLineRunner, ExitCodeGenerator {

    @Autowired
    private RocketMQTemplate rocketMQTemplate;

    @Value("${demo.topic:boot-test}")
    private String topic;

    @Value("${demo.tag:}")
    private String tag;

    @Value("${demo.count:1}")
    private int count;

    @Value("${demo.payload:string}")
    private String payload;

    private volatile int exitCode;

    public static void main(String[] args) {
        int code;
        try {
            ConfigurableApplicationContext context = SpringApplication.run(ProducerApplication.class, args);
            // closes the context (shuts the producer down) and collects getExitCode()
            code = SpringApplication.exit(context);
        } catch (Throwable t) {
            // the context did not start (bad configuration, ...); Spring already logged why
            JsonLines.print(obj("summary", true, "error", describe(t)));
            code = 1;
        }
        System.exit(code);
    }

    @Override
    public void run(String... args) {
        String destination = tag == null || tag.isEmpty() ? topic : topic + ":" + tag;
        int sent = 0;
        try {
            if (!"string".equals(payload) && !"order".equals(payload)) {
                throw new IllegalArgumentException("demo.payload must be 'string' or 'order', not '" + payload + "'");
            }
            for (int i = 0; i < count; i++) {
                Object body = "order".equals(payload)
                        ? new Order(i, 100 + i, "order-" + i)
                        : "Hello, World! " + i;
                SendResult result = rocketMQTemplate.syncSend(destination, body);
                JsonLines.print(obj(
                        "sent", i,
                        "msg_id", result.getMsgId(),
                        "status", result.getSendStatus().name(),
                        "queue_id", result.getMessageQueue().getQueueId(),
                        "destination", destination));
                sent++;
            }
            JsonLines.print(obj("summary", true, "sent", sent));
        } catch (Exception e) {
            exitCode = 1;
            JsonLines.print(obj("summary", true, "error", describe(e)));
        }
    }

    @Override
    public int getExitCode() {
        return exitCode;
    }

    private static String describe(Throwable t) {
        String message = t.getMessage();
        return message == null ? t.toString() : message;
    }
}
