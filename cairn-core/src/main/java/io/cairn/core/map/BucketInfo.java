package io.cairn.core.map;

import java.util.Objects;

/**
 * A bucket: its pool decides the redundancy of its objects; its index is spread over
 * {@code indexShards} partitions so a listing merges a few sorted streams.
 */
public record BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards) {

    public static final int INDEX_SHARDS_DEFAULT = 8;

    public BucketInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(owner, "owner");
        if (indexShards < 1) {
            throw new IllegalArgumentException("indexShards must be >= 1: " + indexShards);
        }
    }
}
