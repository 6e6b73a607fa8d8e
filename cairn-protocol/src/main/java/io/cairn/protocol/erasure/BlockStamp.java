package io.cairn.protocol.erasure;

import io.cairn.core.codec.StripeLayout;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What a holder of an erasure-coded chunk stores beside its block: which block of the stripe it
 * is, the stripe's shape, and the length and CRC32C of the whole chunk. Together with the
 * record's version {@code (epoch, seq)}, which every block of one stripe shares, it is the
 * block's sequencing indicator: a reader only combines blocks whose versions are equal and whose
 * stamps agree, and checks the rebuilt chunk against {@link #chunkCrc32c}.
 *
 * <p>It is kept in front of the record's metadata: {@link #wrap} prepends {@value #BYTES} bytes,
 * {@link #parse} and {@link #innerMeta} take them off again.
 */
public record BlockStamp(int index, int dataBlocks, int parityBlocks, int chunkLength, int chunkCrc32c) {

    /** Bytes the stamp adds in front of a record's metadata. */
    public static final int BYTES = 14;
    private static final byte MAGIC = (byte) 0xEC;
    private static final byte FORMAT = 1;

    public BlockStamp {
        new StripeLayout(dataBlocks, parityBlocks, chunkLength); // checks the shape
        if (index < 0 || index >= dataBlocks + parityBlocks) {
            throw new IllegalArgumentException("block index " + index + " is outside a stripe of " + (dataBlocks + parityBlocks));
        }
    }

    /** The stamp of another block of the same stripe. */
    public BlockStamp forIndex(int otherIndex) {
        return new BlockStamp(otherIndex, dataBlocks, parityBlocks, chunkLength, chunkCrc32c);
    }

    public StripeLayout layout() {
        return new StripeLayout(dataBlocks, parityBlocks, chunkLength);
    }

    /** Whether {@code other} describes a block of the same stripe shape and chunk. */
    public boolean sameStripe(BlockStamp other) {
        return dataBlocks == other.dataBlocks && parityBlocks == other.parityBlocks
                && chunkLength == other.chunkLength && chunkCrc32c == other.chunkCrc32c;
    }

    /** This stamp followed by {@code innerMeta}. */
    public byte[] wrap(byte[] innerMeta) {
        byte[] inner = innerMeta == null ? new byte[0] : innerMeta;
        ByteBuffer out = ByteBuffer.allocate(BYTES + inner.length);
        out.put(MAGIC).put(FORMAT).put((byte) index).put((byte) dataBlocks).put((byte) parityBlocks).put((byte) 0)
                .putInt(chunkLength).putInt(chunkCrc32c).put(inner);
        return out.array();
    }

    /** Whether {@code meta} starts with a stamp. */
    public static boolean isStamped(byte[] meta) {
        return meta != null && meta.length >= BYTES && meta[0] == MAGIC && meta[1] == FORMAT;
    }

    /** The stamp in front of {@code meta}; throws {@link IllegalArgumentException} if there is none or it is malformed. */
    public static BlockStamp parse(byte[] meta) {
        if (!isStamped(meta)) {
            throw new IllegalArgumentException("record metadata carries no erasure-coding block stamp");
        }
        ByteBuffer in = ByteBuffer.wrap(meta);
        in.position(2);
        int index = Byte.toUnsignedInt(in.get());
        int k = Byte.toUnsignedInt(in.get());
        int m = Byte.toUnsignedInt(in.get());
        in.get();
        return new BlockStamp(index, k, m, in.getInt(), in.getInt());
    }

    /** {@code meta} without its stamp. */
    public static byte[] innerMeta(byte[] meta) {
        if (!isStamped(meta)) {
            throw new IllegalArgumentException("record metadata carries no erasure-coding block stamp");
        }
        return Arrays.copyOfRange(meta, BYTES, meta.length);
    }
}
