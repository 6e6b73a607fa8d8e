package io.cairn.protocol.erasure;

import io.cairn.core.codec.ErasureCodec;
import io.cairn.core.codec.ErasureCodecs;
import io.cairn.core.codec.StripeLayout;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Cuts a chunk into the {@code k + m} blocks of its stripe and puts it back together, with one
 * shared {@link ErasureCodec} per stripe shape (ISA-L where installed, else the Java codec).
 */
public final class StripeCoder {

    private StripeCoder() {}

    public static ErasureCodec codec(int dataBlocks, int parityBlocks) {
        return ErasureCodecs.shared(dataBlocks, parityBlocks);
    }

    /** The {@code k + m} blocks of {@code chunk} (its remaining bytes; its position is not moved). */
    public static ByteBuffer[] encode(int dataBlocks, int parityBlocks, ByteBuffer chunk) {
        StripeLayout layout = new StripeLayout(dataBlocks, parityBlocks, chunk.remaining());
        ByteBuffer[] data = layout.split(chunk);
        ByteBuffer[] parity = layout.allocateParity(false);
        codec(dataBlocks, parityBlocks).encode(data, parity);
        ByteBuffer[] all = new ByteBuffer[dataBlocks + parityBlocks];
        System.arraycopy(data, 0, all, 0, dataBlocks);
        System.arraycopy(parity, 0, all, dataBlocks, parityBlocks);
        return all;
    }

    /**
     * Rebuilds, in place, every data block that is not present and every slot listed in
     * {@code alsoRebuild}; {@code blocks[i]} must be non-null where {@code present[i]}.
     */
    public static void rebuild(BlockStamp stamp, ByteBuffer[] blocks, boolean[] present, Iterable<Integer> alsoRebuild) {
        StripeLayout layout = stamp.layout();
        ByteBuffer[] work = new ByteBuffer[blocks.length];
        boolean missing = false;
        for (int i = 0; i < blocks.length; i++) {
            if (present[i]) {
                work[i] = blocks[i];
            } else if (i < stamp.dataBlocks()) {
                work[i] = ByteBuffer.allocate(layout.blockLength());
                missing = true;
            }
        }
        for (int slot : alsoRebuild) {
            if (!present[slot]) {
                work[slot] = ByteBuffer.allocate(layout.blockLength());
                missing = true;
            }
        }
        if (missing) {
            codec(stamp.dataBlocks(), stamp.parityBlocks()).decode(work, present.clone());
        }
        for (int i = 0; i < blocks.length; i++) {
            if (!present[i] && work[i] != null) {
                blocks[i] = work[i];
            }
        }
    }

    /** The chunk joined from the {@code k} data blocks, checked against the stamp's CRC32C. */
    public static ByteBuffer joinChecked(BlockStamp stamp, ByteBuffer[] blocks) throws ChunkDamagedException {
        ByteBuffer[] data = new ByteBuffer[stamp.dataBlocks()];
        for (int j = 0; j < data.length; j++) {
            data[j] = blocks[j].duplicate();
        }
        ByteBuffer chunk = stamp.layout().join(data);
        int crc = crc32c(chunk);
        if (crc != stamp.chunkCrc32c()) {
            throw new ChunkDamagedException(String.format("rebuilt chunk has CRC32C %08x, its stamp says %08x", crc, stamp.chunkCrc32c()));
        }
        return chunk;
    }

    public static int crc32c(ByteBuffer data) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate());
        return (int) crc.getValue();
    }

    /** A stripe's agreeing blocks did not give back the chunk their stamp describes. */
    public static final class ChunkDamagedException extends Exception {
        public ChunkDamagedException(String message) {
            super(message);
        }
    }
}
