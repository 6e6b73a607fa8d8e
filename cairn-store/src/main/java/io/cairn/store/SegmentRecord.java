package io.cairn.store;

import io.cairn.core.store.BlobRead;
import io.cairn.core.store.StoreLimits;
import io.cairn.core.partition.Version;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The on-disk form of one blob inside a segment: a header, then the data.
 * Header: {@code [magic "CRNS": i32][identity length: u16][reserved: u16][data length: i32]
 * [data crc32c: i32][epoch: i64][seq: i64][identity][header crc32c: i32]}, where the identity
 * is the record's encoded partition and key and the header CRC32C covers every header byte
 * before it. Records follow each other with no padding.
 */
final class SegmentRecord {

    static final int MAGIC = 0x43524E53;
    static final int FIXED_HEADER_BYTES = 4 + 2 + 2 + 4 + 4 + 8 + 8 + 4;

    private SegmentRecord() {}

    static int headerBytes(int identityLength) {
        return FIXED_HEADER_BYTES + identityLength;
    }

    static int recordBytes(int identityLength, long dataLength) {
        return Math.toIntExact(headerBytes(identityLength) + dataLength);
    }

    static int crc32c(ByteBuffer data) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate());
        return (int) crc.getValue();
    }

    static ByteBuffer header(byte[] identity, Version version, int dataLength, int dataCrc32c) {
        if (identity.length > 0xffff) {
            throw new IllegalStateException("record identity too long: " + identity.length);
        }
        ByteBuffer header = ByteBuffer.allocate(headerBytes(identity.length))
                .putInt(MAGIC)
                .putShort((short) identity.length)
                .putShort((short) 0)
                .putInt(dataLength)
                .putInt(dataCrc32c)
                .putLong(version.epoch())
                .putLong(version.seq())
                .put(identity);
        header.putInt(crc32c(header.duplicate().flip()));
        return header.flip();
    }

    /** What a header says; parsed only after its own checksum matched. */
    record Header(byte[] identity, Version version, int dataLength, int dataCrc32c) {
        int recordBytes() {
            return SegmentRecord.recordBytes(identity.length, dataLength);
        }
    }

    /** Why a header could not be parsed, or null when it parsed; fills out[0] on success. */
    static String parseHeader(ByteBuffer bytes, Header[] out) {
        ByteBuffer b = bytes.duplicate();
        if (b.remaining() < FIXED_HEADER_BYTES) {
            return "record header truncated";
        }
        int start = b.position();
        if (b.getInt() != MAGIC) {
            return "record has a bad magic number";
        }
        int identityLength = b.getShort() & 0xffff;
        b.getShort();
        int dataLength = b.getInt();
        int dataCrc = b.getInt();
        long epoch = b.getLong();
        long seq = b.getLong();
        if (b.remaining() < identityLength + 4) {
            return "record header truncated";
        }
        byte[] identity = new byte[identityLength];
        b.get(identity);
        int headerCrc = b.getInt();
        if (crc32c(bytes.duplicate().position(start).limit(start + headerBytes(identityLength) - 4)) != headerCrc) {
            return "record header checksum mismatch";
        }
        if (dataLength < 0 || dataLength > StoreLimits.BLOB_BYTES_MAX || epoch < 0 || seq < 0) {
            return "record header holds impossible values";
        }
        out[0] = new Header(identity, new Version(epoch, seq), dataLength, dataCrc);
        return null;
    }

    /**
     * Checks a whole record read from a segment against the index entry that points at it
     * and returns its data, or the reason it is corrupt.
     */
    static BlobRead verify(ByteBuffer record, byte[] identity, RecordHeader expected) {
        Header[] parsed = new Header[1];
        String bad = parseHeader(record, parsed);
        if (bad != null) {
            return new BlobRead.Corrupt(bad);
        }
        Header h = parsed[0];
        if (!Arrays.equals(h.identity(), identity)) {
            return new BlobRead.Corrupt("record belongs to another key");
        }
        if (!h.version().equals(expected.version())) {
            return new BlobRead.Corrupt("record holds version " + h.version() + ", index says " + expected.version());
        }
        if (h.dataLength() != expected.blobLength() || h.dataCrc32c() != expected.blobCrc32c()) {
            return new BlobRead.Corrupt("record header disagrees with the index about length or checksum");
        }
        int dataStart = record.position() + headerBytes(identity.length);
        if (record.limit() - dataStart != h.dataLength()) {
            return new BlobRead.Corrupt("record truncated: " + (record.limit() - dataStart) + " of " + h.dataLength()
                    + " data bytes");
        }
        ByteBuffer data = record.duplicate().position(dataStart).slice();
        if (crc32c(data) != h.dataCrc32c()) {
            return new BlobRead.Corrupt("record data checksum mismatch");
        }
        return new BlobRead.Found(h.version(), data.asReadOnlyBuffer());
    }
}
