package io.cairn.protocol;

import io.cairn.core.partition.Version;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.StoredRecord;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One record of a partition as it travels between nodes: in a mirror, a log page, a read. The
 * blob is present only where it was asked for ({@code blob} is null otherwise, while {@code
 * hasBlob} and the length and CRC32C still describe the stored one).
 *
 * @param underProtected acknowledged with fewer copies (or blocks) than its pool asks for; each
 *                       holder marks it in its under-protected index until the partition has all
 *                       its copies again
 */
public record LogRecord(String key, Version version, boolean tombstone, byte[] meta, ByteBuffer blob, boolean hasBlob,
                        long blobLength, int blobCrc32c, boolean underProtected) {

    public LogRecord {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(version, "version");
        meta = meta == null ? new byte[0] : meta;
        blob = blob == null ? null : blob.asReadOnlyBuffer();
    }

    /** The record a store holds, without its blob bytes. */
    public static LogRecord of(StoredRecord r) {
        return new LogRecord(r.key(), r.version(), r.tombstone(), r.meta(), null, r.blobLength() > 0, r.blobLength(), r.blobCrc32c(),
                false);
    }

    public LogRecord withBlob(ByteBuffer data) {
        return new LogRecord(key, version, tombstone, meta, data, hasBlob, blobLength, blobCrc32c, underProtected);
    }

    public LogRecord withUnderProtected(boolean under) {
        return new LogRecord(key, version, tombstone, meta, blob, hasBlob, blobLength, blobCrc32c, under);
    }

    /** Whether the record's data is part of it (not a tombstone, not metadata only). */
    public boolean carriesData() {
        return hasBlob && !tombstone;
    }

    /**
     * The mutation that stores this record with {@code data} as its blob (null for records
     * without data). Throws {@link IllegalArgumentException} on a malformed record.
     */
    public Mutation mutation(ByteBuffer data) {
        return new Mutation(key, version, tombstone, meta, tombstone ? null : data, underProtected);
    }

    @Override
    public String toString() {
        return key + "@" + version + (tombstone ? " (tombstone)" : hasBlob ? " (" + blobLength + " bytes)" : "");
    }
}
