package io.cairn.store;

import io.cairn.core.store.StoredRecord;
import io.cairn.core.store.StoreLimits;
import io.cairn.core.partition.Version;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * The index value of one record: its version, flags, blob length and CRC32C, where the blob
 * lives (segment engine only), and meta. Encoded as {@code [format: u8][epoch: i64][seq: i64]
 * [flags: u8][blob length: i64][blob crc32c: i32][segment id: i64][offset: i64]
 * [record length: i32][meta length: i32][meta]}, then for a small blob kept in the index
 * {@code [inline length: i32][inline blob]}; the location fields are zero without one.
 */
record RecordHeader(Version version, boolean tombstone, boolean hasBlob, long blobLength, int blobCrc32c, byte[] meta,
        BlobLocation location, byte[] inline) {

    private static final byte FORMAT = 2;
    private static final int FLAG_TOMBSTONE = 1;
    private static final int FLAG_BLOB = 2;
    private static final int FLAG_LOCATION = 4;
    private static final int FLAG_INLINE = 8;
    private static final int FIXED_BYTES = 1 + 8 + 8 + 1 + 8 + 4 + 8 + 8 + 4 + 4;

    RecordHeader(Version version, boolean tombstone, boolean hasBlob, long blobLength, int blobCrc32c, byte[] meta) {
        this(version, tombstone, hasBlob, blobLength, blobCrc32c, meta, null, null);
    }

    RecordHeader {
        if (!hasBlob && (blobLength != 0 || blobCrc32c != 0 || location != null)) {
            throw new IllegalStateException("a record without a blob has no blob length, crc or location");
        }
        if (inline != null && (location != null || inline.length != blobLength)) {
            throw new IllegalStateException("an inline blob has no location and is the whole blob");
        }
        if (blobLength < 0 || blobLength > StoreLimits.BLOB_BYTES_MAX) {
            throw new IllegalStateException("blob length out of range: " + blobLength);
        }
    }

    int encodedLength() {
        return FIXED_BYTES + meta.length + (inline == null ? 0 : 4 + inline.length);
    }

    byte[] encode() {
        int flags = (tombstone ? FLAG_TOMBSTONE : 0) | (hasBlob ? FLAG_BLOB : 0)
                | (location != null ? FLAG_LOCATION : 0) | (inline != null ? FLAG_INLINE : 0);
        ByteBuffer out = ByteBuffer.allocate(encodedLength())
                .put(FORMAT)
                .putLong(version.epoch())
                .putLong(version.seq())
                .put((byte) flags)
                .putLong(blobLength)
                .putInt(blobCrc32c)
                .putLong(location == null ? 0 : location.segmentId())
                .putLong(location == null ? 0 : location.offset())
                .putInt(location == null ? 0 : location.recordLength())
                .putInt(meta.length)
                .put(meta);
        if (inline != null) {
            out.putInt(inline.length).put(inline);
        }
        return out.array();
    }

    /** Decodes an index value; a malformed one is an invariant violation, not a user error. */
    static RecordHeader decode(byte[] value) {
        try {
            ByteBuffer b = ByteBuffer.wrap(value);
            byte format = b.get();
            if (format != FORMAT) {
                throw new IllegalStateException("unknown record header format " + format);
            }
            Version version = new Version(b.getLong(), b.getLong());
            int flags = b.get();
            long blobLength = b.getLong();
            int crc = b.getInt();
            long segmentId = b.getLong();
            long offset = b.getLong();
            int recordLength = b.getInt();
            int metaLength = b.getInt();
            if (metaLength < 0 || metaLength > b.remaining()) {
                throw new IllegalStateException("record header meta length " + metaLength + " but " + b.remaining()
                        + " bytes follow");
            }
            byte[] meta = new byte[metaLength];
            b.get(meta);
            byte[] inline = null;
            if ((flags & FLAG_INLINE) != 0) {
                inline = new byte[b.getInt()];
                b.get(inline);
            }
            if (b.hasRemaining()) {
                throw new IllegalStateException("record header has " + b.remaining() + " trailing bytes");
            }
            BlobLocation location = (flags & FLAG_LOCATION) != 0
                    ? new BlobLocation(segmentId, offset, recordLength) : null;
            return new RecordHeader(version, (flags & FLAG_TOMBSTONE) != 0, (flags & FLAG_BLOB) != 0, blobLength, crc,
                    meta, location, inline);
        } catch (BufferUnderflowException | IllegalArgumentException | IllegalStateException e) {
            throw new IllegalStateException("malformed record header", e);
        }
    }

    RecordHeader at(BlobLocation where) {
        return new RecordHeader(version, tombstone, hasBlob, blobLength, blobCrc32c, meta, where, inline);
    }

    StoredRecord toStored(String key) {
        return new StoredRecord(key, version, tombstone, meta.clone(), blobLength, blobCrc32c);
    }

    boolean sameAs(RecordHeader o) {
        return version.equals(o.version) && tombstone == o.tombstone && hasBlob == o.hasBlob
                && blobLength == o.blobLength && blobCrc32c == o.blobCrc32c
                && java.util.Objects.equals(location, o.location);
    }
}
