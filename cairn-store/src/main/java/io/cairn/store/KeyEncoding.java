package io.cairn.store;

import io.cairn.core.store.StoreLimits;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.RecordKeys;
import io.cairn.core.store.StoreLimits;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Byte encodings of store keys. A partition prefix is
 * {@code [pool length: u16][pool UTF-8][partition: u32 big-endian]}; the set of prefixes is
 * prefix-free, so a range of one partition never holds another partition's keys. Record
 * keys follow the prefix as UTF-8; log keys follow it with the version (epoch, seq as
 * big-endian longs) and then the record key.
 */
final class KeyEncoding {

    static final int VERSION_BYTES = 16;

    private KeyEncoding() {}

    static byte[] recordKey(String key) {
        return RecordKeys.recordKey(key);
    }

    static byte[] keyBound(String bound, String what) {
        return RecordKeys.keyBound(bound, what);
    }

    static byte[] utf8(String s, String what, int maxBytes) {
        return RecordKeys.utf8(s, what, maxBytes);
    }

    static byte[] partitionPrefix(PartitionId p) {
        return partitionPrefix(p.pool(), p.partition());
    }

    /** The smallest key greater than every key of partition p. */
    static byte[] partitionEnd(PartitionId p) {
        return partitionPrefix(p.pool(), p.partition() + 1L);
    }

    private static byte[] partitionPrefix(String pool, long partition) {
        if (pool.isEmpty()) {
            throw new IllegalArgumentException("pool name must be non-empty");
        }
        byte[] poolBytes = utf8(pool, "pool name", StoreLimits.POOL_NAME_BYTES_MAX);
        return ByteBuffer.allocate(2 + poolBytes.length + 4)
                .putShort((short) poolBytes.length)
                .put(poolBytes)
                .putInt((int) partition)
                .array();
    }

    /** The length of the partition prefix that starts {@code key}. */
    static int partitionPrefixLength(byte[] key) {
        int poolLength = ((key[0] & 0xff) << 8) | (key[1] & 0xff);
        int length = 2 + poolLength + 4;
        if (poolLength == 0 || key.length < length) {
            throw new IllegalStateException("stored key has a malformed partition prefix: " + Arrays.toString(key));
        }
        return length;
    }

    static PartitionId decodePartition(byte[] key) {
        int prefixLength = partitionPrefixLength(key);
        String pool = new String(key, 2, prefixLength - 6, StandardCharsets.UTF_8);
        int partition = ByteBuffer.wrap(key, prefixLength - 4, 4).getInt();
        return new PartitionId(pool, partition);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] logKey(byte[] partitionPrefix, Version v, byte[] recordKey) {
        return ByteBuffer.allocate(partitionPrefix.length + VERSION_BYTES + recordKey.length)
                .put(partitionPrefix)
                .putLong(v.epoch())
                .putLong(v.seq())
                .put(recordKey)
                .array();
    }

    static Version logVersion(byte[] logKey, int prefixLength) {
        ByteBuffer b = ByteBuffer.wrap(logKey, prefixLength, VERSION_BYTES);
        return new Version(b.getLong(), b.getLong());
    }

    static String logRecordKey(byte[] logKey, int prefixLength) {
        int offset = prefixLength + VERSION_BYTES;
        return new String(logKey, offset, logKey.length - offset, StandardCharsets.UTF_8);
    }

    static String suffix(byte[] key, int offset) {
        return new String(key, offset, key.length - offset, StandardCharsets.UTF_8);
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
}
