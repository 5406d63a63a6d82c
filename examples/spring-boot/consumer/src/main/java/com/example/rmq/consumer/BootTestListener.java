package com.example.rmq.consumer;

import static com.example.rmq.consumer.JsonLines.obj;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.spring.annotation.MessageModel;
import org.apache.rocketmq.spring.annotation.RocketMQMessageListener;
import org.apache.rocketmq.spring.core.RocketMQListener;
import org.springframework.stereotype.Component;

/**
 * Prints every message of {@code demo.topic} (tag filter {@code demo.tag}, default all) as
 * <pre>
 * {"received": "Hello, World! 0", "msg_id": "...", "topic": "boot-test", "tags": "", "keys": "",
 *  "queue_id": 1, "reconsume_times": 0, "properties": {"UNIQ_KEY": "...", ...}}
 * </pre>
 * (one line; {@code properties} holds the user and system properties, sorted by name).
 */
@Component
@RocketMQMessageListener(topic = "${demo.topic:boot-test}", consumerGroup = "${demo.group:boot-test-consumer-group}",
                         selectorExpression = "${demo.tag:*}", messageModel = MessageModel.CLUSTERING)
public class BootTestListener implements RocketMQListener<MessageExt> {

    @Override
    public void onMessage(MessageExt msg) {
        Map<String, String> properties = new TreeMap<>();
        if (msg.getProperties() != null) {
            msg.getProperties().forEach((k, v) -> properties.put(k, String.valueOf(v)));
        }
        byte[] body = msg.getBody() == null ? new byte[0] : msg.getBody();
        JsonLines.print(obj(
                "received", new String(body, StandardCharsets.UTF_8),
                "msg_id", msg.getMsgId(),
                "topic", msg.getTopic(),
                "tags", msg.getTags() == null ? "" : msg.getTags(),
                "keys", msg.getKeys() == null ? "" : msg.getKeys(),
                "queue_id", msg.getQueueId(),
                "reconsume_times", msg.getReconsumeTimes(),
                "properties", properties));
    }
}
