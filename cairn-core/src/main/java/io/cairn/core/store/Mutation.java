package io.cairn.core.store;

import io.cairn.core.partition.Version;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A mutation to apply to one key of one partition. blob may be null (metadata-only record
 * or tombstone); a null meta means empty metadata. The blob buffer is read from its
 * position to its limit and is never modified.
 *
 * @param underProtected the write was acknowledged with fewer copies (or blocks) than its pool
 *                       asks for: the store also marks it in the partition's under-protected
 *                       index, atomically with the record, until {@link
 *                       PartitionStore#clearUnderProtected} says it has all its copies again
 */
public record Mutation(String key, Version version, boolean tombstone, byte[] meta, ByteBuffer blob, boolean underProtected) {

    public Mutation(String key, Version version, boolean tombstone, byte[] meta, ByteBuffer blob) {
        this(key, version, tombstone, meta, blob, false);
    }

    public Mutation {
        RecordKeys.recordKey(key);
        Objects.requireNonNull(version, "version");
        if (version.equals(Version.ZERO)) {
            throw new IllegalArgumentException("mutation version must be after " + Version.ZERO + " for key " + key);
        }
        meta = meta == null ? new byte[0] : meta.clone();
        if (meta.length > StoreLimits.META_BYTES_MAX) {
            throw new IllegalArgumentException("meta of " + key + " is " + meta.length + " bytes, more than "
                    + StoreLimits.META_BYTES_MAX);
        }
        if (tombstone && blob != null) {
            throw new IllegalArgumentException("a tombstone carries no blob: " + key);
        }
        if (blob != null && blob.remaining() > StoreLimits.BLOB_BYTES_MAX) {
            throw new IllegalArgumentException("blob of " + key + " is " + blob.remaining() + " bytes, more than "
                    + StoreLimits.BLOB_BYTES_MAX);
        }
    }
}
