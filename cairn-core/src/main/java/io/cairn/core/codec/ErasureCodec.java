package io.cairn.core.codec;

import java.nio.ByteBuffer;

/**
 * A systematic Reed-Solomon erasure code over GF(2^8): {@code k} data blocks produce {@code m}
 * parity blocks, and any {@code k} of the {@code k + m} blocks give back all the others.
 *
 * <p>Every implementation uses the same generator matrix ({@link CauchyMatrix}, ISA-L's
 * {@code gf_gen_cauchy1_matrix}) and field (polynomial {@code 0x11D}), so blocks written by one
 * decode with any other, byte for byte.
 *
 * <p>A block is the bytes between a buffer's position and its limit; all blocks of one call have
 * the same length (use {@link StripeLayout} to cut a chunk into equal blocks). The codec reads
 * and writes with absolute indexes and never moves positions or limits. Direct buffers avoid a
 * copy in the native codec. Arguments are checked before anything is written: a call that
 * throws {@link IllegalArgumentException} has changed no output. Instances are immutable and may
 * be shared by threads, as long as no two calls write the same buffer.
 */
public interface ErasureCodec {

    int DATA_BLOCKS_MAX = 32;
    int PARITY_BLOCKS_MAX = 16;

    /**
     * The best codec for this machine: ISA-L when the native library loads, else the pure-Java
     * one (see {@link ErasureCodecs#best}).
     */
    static ErasureCodec create(int dataBlocks, int parityBlocks) {
        return ErasureCodecs.best(dataBlocks, parityBlocks);
    }

    /** {@code k}, the number of data blocks in a stripe, 1 to {@value #DATA_BLOCKS_MAX}. */
    int dataBlocks();

    /** {@code m}, the number of parity blocks in a stripe, 1 to {@value #PARITY_BLOCKS_MAX}. */
    int parityBlocks();

    /** {@code k + m}. */
    default int totalBlocks() {
        return dataBlocks() + parityBlocks();
    }

    /** The engine: {@code "isal"}, {@code "java"} (Vector API) or {@code "java-scalar"}. */
    String name();

    /**
     * Computes the {@code m} parity blocks of {@code k} data blocks.
     *
     * @param data   {@code k} blocks of equal length, read only
     * @param parity {@code m} writable blocks of the same length, overwritten
     */
    void encode(ByteBuffer[] data, ByteBuffer[] parity);

    /**
     * Rebuilds missing blocks of a stripe from any {@code k} present ones.
     *
     * @param blocks  {@code k + m} entries in stripe order (data {@code 0..k-1}, then parity);
     *                a present block is read, a missing one is either {@code null} (not wanted)
     *                or a writable buffer that receives the rebuilt block
     * @param present which entries hold their block's bytes; at least {@code k} must
     */
    void decode(ByteBuffer[] blocks, boolean[] present);
}
