package io.cairn.core.store;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The index side of a {@link PartitionStore}: what is stored, without blob bytes. Lookups of the
 * index are quick and are made in place by the replication protocol; blob reads and every write
 * go through the store's executor as effects.
 */
public interface StoreView {

    /** The stored record of key, tombstones included. */
    Optional<StoredRecord> get(PartitionId p, String key);

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

    /** Partitions holding any record. */
    Set<PartitionId> partitions();

    /** A node-local value stored by {@link PartitionStore#putLocal}. */
    Optional<byte[]> getLocal(String key);

    StoreStats stats();
}
