package io.cairn.core.codec;

import java.nio.ByteBuffer;

/**
 * How a chunk of {@code chunkLength} bytes is cut into the {@code k} equal data blocks of one
 * stripe: block {@code j} holds chunk bytes {@code [j * blockLength, (j + 1) * blockLength)},
 * where {@code blockLength = ceil(chunkLength / k)}; bytes past the chunk's end are zero. The
 * {@code m} parity blocks have the same length. The chunk length must be kept (e.g. in the
 * index entry) to {@link #join} the blocks back.
 */
public record StripeLayout(int dataBlocks, int parityBlocks, int chunkLength) {

    public StripeLayout {
        ErasureCodecs.checkShape(dataBlocks, parityBlocks);
        if (chunkLength < 0) {
            throw new IllegalArgumentException("chunk length must be >= 0: " + chunkLength);
        }
    }

    /** The layout of a chunk for a codec's {@code k + m}. */
    public static StripeLayout of(ErasureCodec codec, int chunkLength) {
        return new StripeLayout(codec.dataBlocks(), codec.parityBlocks(), chunkLength);
    }

    /** {@code ceil(chunkLength / k)}: the length of every block, data and parity. */
    public int blockLength() {
        return Math.ceilDiv(chunkLength, dataBlocks);
    }

    /** {@code k + m}. */
    public int totalBlocks() {
        return dataBlocks + parityBlocks;
    }

    /** Bytes stored for the whole stripe, padding and parity included. */
    public long storedBytes() {
        return (long) blockLength() * totalBlocks();
    }

    /** The data block holding chunk byte {@code offset} (for range reads). */
    public int dataBlockOf(int offset) {
        if (offset < 0 || offset >= chunkLength) {
            throw new IllegalArgumentException("offset " + offset + " is outside the chunk of " + chunkLength + " bytes");
        }
        return offset / blockLength();
    }

    /**
     * The {@code k} data blocks of {@code chunk} (its bytes from position to limit, which must be
     * {@link #chunkLength} many; its position is not moved). Blocks that lie wholly inside the
     * chunk are slices sharing its memory; a block that needs padding is a new zero-padded buffer,
     * direct if the chunk is.
     */
    public ByteBuffer[] split(ByteBuffer chunk) {
        if (chunk == null || chunk.remaining() != chunkLength) {
            throw new IllegalArgumentException("chunk must have " + chunkLength + " bytes remaining, has "
                    + (chunk == null ? "none (null)" : chunk.remaining()));
        }
        int blockLength = blockLength();
        ByteBuffer[] blocks = new ByteBuffer[dataBlocks];
        for (int j = 0; j < dataBlocks; j++) {
            int start = j * blockLength;
            int inside = Math.clamp(chunkLength - start, 0, blockLength);
            if (inside == blockLength) {
                blocks[j] = chunk.slice(chunk.position() + start, blockLength);
            } else {
                ByteBuffer padded = allocate(blockLength, chunk.isDirect());
                if (inside > 0) {
                    padded.put(0, chunk, chunk.position() + start, inside);
                }
                blocks[j] = padded;
            }
        }
        return blocks;
    }

    /** {@code m} new zero-filled parity blocks, direct or on the heap. */
    public ByteBuffer[] allocateParity(boolean direct) {
        ByteBuffer[] parity = new ByteBuffer[parityBlocks];
        for (int i = 0; i < parityBlocks; i++) {
            parity[i] = allocate(blockLength(), direct);
        }
        return parity;
    }

    /**
     * Copies the chunk's {@link #chunkLength} bytes out of the {@code k} data blocks into
     * {@code target} at its position, advancing it. Padding is dropped.
     */
    public void join(ByteBuffer[] data, ByteBuffer target) {
        checkData(data);
        if (target == null || target.isReadOnly() || target.remaining() < chunkLength) {
            throw new IllegalArgumentException("target must be writable with " + chunkLength + " bytes remaining");
        }
        int blockLength = blockLength();
        for (int j = 0; j < dataBlocks; j++) {
            int inside = Math.clamp(chunkLength - (long) j * blockLength, 0, blockLength);
            if (inside > 0) {
                target.put(target.position(), data[j], data[j].position(), inside);
                target.position(target.position() + inside);
            }
        }
    }

    /** The chunk's bytes, joined into a new heap buffer (position 0, limit {@link #chunkLength}). */
    public ByteBuffer join(ByteBuffer[] data) {
        ByteBuffer chunk = ByteBuffer.allocate(chunkLength);
        join(data, chunk);
        return chunk.flip();
    }

    private void checkData(ByteBuffer[] data) {
        if (data == null || data.length != dataBlocks) {
            throw new IllegalArgumentException("expected " + dataBlocks + " data blocks, got "
                    + (data == null ? "null" : data.length));
        }
        for (int j = 0; j < dataBlocks; j++) {
            if (data[j] == null || data[j].remaining() != blockLength()) {
                throw new IllegalArgumentException("data[" + j + "] must have " + blockLength() + " bytes remaining, has "
                        + (data[j] == null ? "none (null)" : data[j].remaining()));
            }
        }
    }

    private static ByteBuffer allocate(int length, boolean direct) {
        return direct ? ByteBuffer.allocateDirect(length) : ByteBuffer.allocate(length);
    }
}
