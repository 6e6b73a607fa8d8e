package io.cairn.core.access;

import java.util.List;
import java.util.Locale;

/**
 * What a request brings to a bucket policy's conditions: the values of each condition key it has
 * (such as {@code aws:SourceIp} or {@code s3:prefix}). A key the request lacks has no values
 * ({@code Null} and the {@code ...IfExists} operators tell the difference). Keys are looked up
 * only when a policy asks, so a request to a bucket without conditions costs nothing here.
 */
@FunctionalInterface
public interface RequestContext {

    /** A request that brings nothing (every key absent). */
    RequestContext EMPTY = key -> List.of();

    /** The values of condition key {@code lowerCaseKey}; empty when the request has none. */
    List<String> values(String lowerCaseKey);

    /** The values of condition key {@code key}, in any case. */
    default List<String> get(String key) {
        return values(key.toLowerCase(Locale.ROOT));
    }
}
