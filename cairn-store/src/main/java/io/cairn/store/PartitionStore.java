package io.cairn.store;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The node-local store: the records of every partition this node holds, each under a
 * string key, each stamped with the {@link Version} of the mutation that wrote it, plus a
 * few node-local values. Keys order by their UTF-8 bytes. Every method is thread-safe;
 * input beyond {@link StoreLimits} is rejected with {@link IllegalArgumentException} and
 * changes nothing.
 */
public interface PartitionStore extends AutoCloseable {

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

    /** The stored record of key, tombstones included. */
    Optional<StoredRecord> get(PartitionId p, String key);

    /** The whole blob of key, CRC32C verified. */
    BlobRead readBlob(PartitionId p, String key);

    /**
     * Records of p whose key starts with prefix and is > afterKey ("" = from the start), in
     * key order, at most limit.
     */
    List<StoredRecord> scan(PartitionId p, String prefix, String afterKey, int limit, boolean includeTombstones);

    /**
     * The partition log: the latest record of each key whose version is > after, in version
     * order, at most limit (tombstones included).
     */
    List<StoredRecord> since(PartitionId p, Version after, int limit);

    /** The highest version stored in p; {@link Version#ZERO} when p is empty. */
    Version lastVersion(PartitionId p);

    /**
     * The under-protected index: records of p applied with {@link Mutation#underProtected()}
     * whose version is > after and still the key's latest, in version order, at most limit.
     * Marks of versions superseded since are skipped (the newer write carries its own mark, or
     * none when it had all its copies).
     */
    List<StoredRecord> underProtected(PartitionId p, Version after, int limit);

    /** How many under-protected marks p holds (superseded ones included, until cleared). */
    long underProtectedMarks(PartitionId p);

    /** Forgets the under-protected marks of p up to and including {@code upTo}: those records have all their copies again. */
    void clearUnderProtected(PartitionId p, Version upTo) throws IOException;

    /** Partitions holding any record. */
    Set<PartitionId> partitions();

    /** Forgets a partition entirely. */
    void dropPartition(PartitionId p) throws IOException;

    /** Stores a small durable node-local value (e.g. node id, marks). */
    void putLocal(String key, byte[] value) throws IOException;

    /** A node-local value stored by {@link #putLocal}. */
    Optional<byte[]> getLocal(String key);

    StoreStats stats();

    @Override
    void close();
}
