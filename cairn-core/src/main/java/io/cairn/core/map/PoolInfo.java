package io.cairn.core.map;

import java.util.Objects;

/**
 * A pool: a storage policy and a fixed number of partitions that every object index entry and
 * data chunk of the pool's buckets hash into.
 */
public record PoolInfo(String name, StoragePolicy policy, int partitions) {

    public static final int PARTITIONS_MAX = 65_536;

    public PoolInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(policy, "policy");
        if (partitions < 1 || partitions > PARTITIONS_MAX) {
            throw new IllegalArgumentException("partitions must be 1.." + PARTITIONS_MAX + ": " + partitions);
        }
    }
}
