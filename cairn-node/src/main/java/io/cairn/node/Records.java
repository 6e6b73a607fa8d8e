package io.cairn.node;

import io.cairn.core.partition.PartitionId;
import io.cairn.node.rpc.Record;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * The records of the cluster's partitions as a gateway reads and writes them: through each
 * partition's primary ({@link PartitionClient}), or, on a backup site, as of the round it shows.
 * A failure to reach the records is a {@link ClusterException}.
 */
public interface Records {

    /**
     * These records as of one moment, for a request that reads many of them (a listing over
     * several shards): the same records where every read is of the newest; on a backup site, a
     * view that keeps the round it shows now, so that no shard is read at a later round than another.
     */
    default Records pinned() {
        return this;
    }

    /** The newest record of {@code key}, tombstones included; its blob only if asked for. */
    Optional<Record> get(PartitionId p, String key, boolean withBlob);

    /**
     * A record that never changes once written (a chunk), with its blob, from whichever holder
     * answers first; one an index entry names, so its partition's primary searches the other nodes
     * for it if it has no trace of it.
     */
    Optional<Record> getImmutable(PartitionId p, String key, int spread);

    /** As {@link #getImmutable(PartitionId, String, int)}, searched for only with {@code search}. */
    default Optional<Record> getImmutable(PartitionId p, String key, int spread, boolean search) {
        return getImmutable(p, key, spread);
    }

    /** Records by key order, from after {@code afterKey}, under {@code prefix}; see {@link PartitionClient#scan(PartitionId, String, String, int, String)}. */
    List<Record> scan(PartitionId p, String prefix, String afterKey, int limit, String delimiter);

    default List<Record> scan(PartitionId p, String prefix, String afterKey, int limit) {
        return scan(p, prefix, afterKey, limit, "");
    }

    /** Writes one record (a tombstone deletes); the record it replaced, if any. */
    Optional<Record> apply(PartitionId p, String key, boolean tombstone, byte[] meta, ByteBuffer blob);

    /** Writes one record only if the key's newest version is still {@code current}. */
    boolean applyIfStill(PartitionId p, String key, io.cairn.node.rpc.Version current, byte[] meta, ByteBuffer blob);

    /** Deletes one record only if the key's newest version is still {@code current}. */
    boolean deleteIfStill(PartitionId p, String key, io.cairn.node.rpc.Version current);
}
