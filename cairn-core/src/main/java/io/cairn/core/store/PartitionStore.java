package io.cairn.core.store;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.io.IOException;

/**
 * The node-local store: the records of every partition this node holds, each under a
 * string key, each stamped with the {@link Version} of the mutation that wrote it, plus a
 * few node-local values. Keys order by their UTF-8 bytes. Every method is thread-safe;
 * input beyond {@link StoreLimits} is rejected with {@link IllegalArgumentException} and
 * changes nothing.
 */
public interface PartitionStore extends StoreView, AutoCloseable {

    /**
     * Applies m if m.version is newer than the stored version of m.key (or the key is
     * absent). Durable (fsync'd blob + synced index) before it returns. Atomic per key
     * under concurrency.
     */
    ApplyOutcome apply(PartitionId p, Mutation m) throws IOException;

    /**
     * Rewrites the blob (and meta) of a record whose stored version equals m.version — used
     * to repair a corrupt copy with a good one. Returns false if the stored version differs
     * (or the key is absent).
     */
    boolean repair(PartitionId p, Mutation m) throws IOException;

    /** The whole blob of key, CRC32C verified. */
    BlobRead readBlob(PartitionId p, String key);

    /** Forgets the under-protected marks of p up to and including {@code upTo}: those records have all their copies again. */
    void clearUnderProtected(PartitionId p, Version upTo) throws IOException;

    /** Forgets a partition entirely. */
    void dropPartition(PartitionId p) throws IOException;

    /** Stores a small durable node-local value (e.g. node id, marks). */
    void putLocal(String key, byte[] value) throws IOException;

    @Override
    void close();
}
