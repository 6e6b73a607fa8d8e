package io.cairn.core.placement;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The stable 64-bit hash that maps keys to partitions and scores nodes for placement: XXH64
 * (xxHash, 64-bit variant) over the UTF-8 bytes of the text. Every node of every version must
 * compute the same value, so this is part of the on-disk and on-wire format: it must never
 * change. Strings are encoded with {@link StandardCharsets#UTF_8}; an unpaired surrogate encodes
 * as {@code '?'}, which is stable too.
 */
public final class PartitionHash {

    /** The seed for hashing keys; part of the format, like the function itself. */
    public static final long KEY_SEED = 0L;

    private static final long PRIME_1 = 0x9E3779B185EBCA87L;
    private static final long PRIME_2 = 0xC2B2AE3D27D4EB4FL;
    private static final long PRIME_3 = 0x165667B19E3779F9L;
    private static final long PRIME_4 = 0x85EBCA77C2B2AE63L;
    private static final long PRIME_5 = 0x27D4EB2F165667C5L;
    private static final int STRIPE_BYTES = 32;

    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private PartitionHash() {
    }

    /** XXH64 of the UTF-8 bytes of {@code text} with {@link #KEY_SEED}. */
    public static long hash64(String text) {
        Objects.requireNonNull(text, "text");
        return hash64(text.getBytes(StandardCharsets.UTF_8), KEY_SEED);
    }

    /** XXH64 of all of {@code bytes} with the given seed. */
    public static long hash64(byte[] bytes, long seed) {
        Objects.requireNonNull(bytes, "bytes");
        int length = bytes.length;
        int offset = 0;
        long h;
        if (length >= STRIPE_BYTES) {
            long v1 = seed + PRIME_1 + PRIME_2;
            long v2 = seed + PRIME_2;
            long v3 = seed;
            long v4 = seed - PRIME_1;
            int stripesEnd = length - STRIPE_BYTES;
            while (offset <= stripesEnd) {
                v1 = round(v1, (long) LONG_LE.get(bytes, offset));
                v2 = round(v2, (long) LONG_LE.get(bytes, offset + 8));
                v3 = round(v3, (long) LONG_LE.get(bytes, offset + 16));
                v4 = round(v4, (long) LONG_LE.get(bytes, offset + 24));
                offset += STRIPE_BYTES;
            }
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = mergeRound(h, v1);
            h = mergeRound(h, v2);
            h = mergeRound(h, v3);
            h = mergeRound(h, v4);
        } else {
            h = seed + PRIME_5;
        }
        h += length;
        while (offset + 8 <= length) {
            h ^= round(0, (long) LONG_LE.get(bytes, offset));
            h = Long.rotateLeft(h, 27) * PRIME_1 + PRIME_4;
            offset += 8;
        }
        if (offset + 4 <= length) {
            h ^= (Integer.toUnsignedLong((int) INT_LE.get(bytes, offset))) * PRIME_1;
            h = Long.rotateLeft(h, 23) * PRIME_2 + PRIME_3;
            offset += 4;
        }
        while (offset < length) {
            h ^= (bytes[offset] & 0xFFL) * PRIME_5;
            h = Long.rotateLeft(h, 11) * PRIME_1;
            offset++;
        }
        return avalanche(h);
    }

    /**
     * The partition, in {@code [0, partitions)}, that {@code key} belongs to: the high 64 bits of
     * the unsigned product {@code hash64(key) * partitions}, which maps the hash range onto the
     * partitions in equal slices (bias at most {@code partitions / 2^64}).
     *
     * @throws IllegalArgumentException if {@code partitions < 1}
     */
    public static int partitionOf(String key, int partitions) {
        Objects.requireNonNull(key, "key");
        return partitionOf(hash64(key), partitions);
    }

    /** The partition, in {@code [0, partitions)}, of an already computed {@link #hash64} value. */
    public static int partitionOf(long hash, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1: " + partitions);
        }
        int partition = (int) Math.unsignedMultiplyHigh(hash, partitions);
        assert partition >= 0 && partition < partitions : partition;
        return partition;
    }

    private static long round(long acc, long input) {
        acc += input * PRIME_2;
        acc = Long.rotateLeft(acc, 31);
        return acc * PRIME_1;
    }

    private static long mergeRound(long acc, long value) {
        acc ^= round(0, value);
        return acc * PRIME_1 + PRIME_4;
    }

    private static long avalanche(long h) {
        h ^= h >>> 33;
        h *= PRIME_2;
        h ^= h >>> 29;
        h *= PRIME_3;
        h ^= h >>> 32;
        return h;
    }
}
