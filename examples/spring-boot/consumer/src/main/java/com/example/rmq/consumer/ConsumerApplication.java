package com.example.rmq.consumer;

import static com.example.rmq.consumer.JsonLines.obj;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;

/**
 * Runs the two {@code @RocketMQMessageListener}s ({@link BootTestListener}, {@link OrderListener})
 * until SIGTERM / Ctrl-C. The starter's listener containers start while the context refreshes,
 * so {@code {"ready": true}} is printed after both consumers have started.
 */
@SpringBootApplication
public class ConsumerApplication {

    public static void main(String[] args) {
        SpringApplication.run(ConsumerApplication.class, args);
    }

    @EventListener(ApplicationReadyEvent.class)
    public void ready() {
        JsonLines.print(obj("ready", true));
    }
}
