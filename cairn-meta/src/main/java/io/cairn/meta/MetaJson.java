package io.cairn.meta;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The one JSON form of everything the meta service stores or sends: commands, results and the
 * replicated state. Only record components are written (derived accessors such as
 * {@code NodeInfo.isUp()} are not), map keys are sorted, and unknown fields are refused, so
 * equal values always produce equal bytes.
 */
public final class MetaJson {

    /** Largest JSON document accepted, in bytes. */
    public static final int DOCUMENT_BYTES_MAX = 64 * 1024 * 1024;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .visibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
            .visibility(PropertyAccessor.CREATOR, JsonAutoDetect.Visibility.ANY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private MetaJson() {
    }

    /** The shared, configured mapper; thread-safe. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getSimpleName() + " as JSON: " + e.getMessage(), e);
        }
    }

    public static String writeString(Object value) {
        return new String(write(value), StandardCharsets.UTF_8);
    }

    /** Reads {@code type} from JSON; throws {@link IllegalArgumentException} naming the problem. */
    public static <T> T read(byte[] json, Class<T> type) {
        if (json.length > DOCUMENT_BYTES_MAX) {
            throw new IllegalArgumentException(type.getSimpleName() + " JSON too large: " + json.length + " bytes");
        }
        try {
            return MAPPER.readValue(json, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("bad " + type.getSimpleName() + " JSON: " + e.getMessage(), e);
        }
    }
}
