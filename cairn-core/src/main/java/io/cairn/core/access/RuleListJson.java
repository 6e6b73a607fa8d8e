package io.cairn.core.access;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/** A bucket setting kept in the cluster map as a JSON list of rules (CORS, lifecycle). */
final class RuleListJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RuleListJson() {}

    /**
     * The rules of {@code json}; {@link IllegalArgumentException} with a rule's own reason when one
     * refuses itself, else naming {@code what} the JSON is not.
     */
    static <T> List<T> read(String json, TypeReference<List<T>> type, String what) {
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            Throwable cause = e.getCause();
            throw new IllegalArgumentException(cause instanceof IllegalArgumentException ? cause.getMessage()
                    : "not a " + what + ": " + e.getOriginalMessage(), e);
        }
    }

    /** {@code rules} as JSON. */
    static String write(List<?> rules) {
        try {
            return JSON.writeValueAsString(rules);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("rules did not serialize", e);
        }
    }
}
