package com.example.rmq.consumer;

import static com.example.rmq.consumer.JsonLines.obj;

import org.apache.rocketmq.spring.annotation.MessageModel;
import org.apache.rocketmq.spring.annotation.RocketMQMessageListener;
import org.apache.rocketmq.spring.core.RocketMQListener;
import org.springframework.stereotype.Component;

/**
 * JSON bodies of {@code demo.order-topic} decoded into {@link Order} by the starter's message
 * converter, printed as {@code {"order": {"id": 0, "amount": 100, "note": "order-0"}}}.
 */
@Component
@RocketMQMessageListener(topic = "${demo.order-topic:boot-orders}",
                         consumerGroup = "${demo.order-group:boot-order-consumer-group}",
                         messageModel = MessageModel.CLUSTERING)
public class OrderListener implements RocketMQListener<Order> {

    @Override
    public void onMessage(Order order) {
        JsonLines.print(obj("order", obj(
                "id", order.getId(),
                "amount", order.getAmount(),
                "note", order.getNote())));
    }
}
