package com.example.rmq.producer;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Prints one JSON object per stdout line (the machine-readable output of this app; logs go to
 * stderr). Non-ASCII characters are written as backslash-u escapes, so a line is valid JSON whatever
 * the platform's default charset (Java 17 still derives it from the locale).
 */
final class JsonLines {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .build();

    private JsonLines() {
    }

    /** An ordered JSON object from alternating keys and values. */
    static Map<String, Object> obj(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    static void print(Map<String, ?> object) {
        String line;
        try {
            line = MAPPER.writeValueAsString(object);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON line", e);
        }
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
