package io.cairn.core.partition;

import java.util.Objects;

/** One partition of one pool. */
public record PartitionId(String pool, int partition) implements Comparable<PartitionId> {

    public PartitionId {
        Objects.requireNonNull(pool, "pool");
        if (partition < 0) {
            throw new IllegalArgumentException("partition must be >= 0: " + partition);
        }
    }

    @Override
    public int compareTo(PartitionId o) {
        int c = pool.compareTo(o.pool);
        return c != 0 ? c : Integer.compare(partition, o.partition);
    }

    @Override
    public String toString() {
        return pool + "/" + partition;
    }
}
