package io.cairn.core.codec;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * What both codecs share: the generator matrix, argument checks (all done before any byte is
 * written) and the decode plan. Subclasses supply the GF(2^8) matrix-times-blocks kernel.
 */
abstract sealed class MatrixErasureCodec implements ErasureCodec permits JavaErasureCodec, IsalErasureCodec {

    final int k;
    final int m;
    /** {@code (k + m) x k}, row-major; the top {@code k} rows are the identity. */
    final byte[] generator;

    MatrixErasureCodec(int k, int m, byte[] generator) {
        ErasureCodecs.checkShape(k, m);
        if (generator.length != (k + m) * k) {
            throw new IllegalArgumentException("generator must be " + (k + m) + "x" + k + ", got " + generator.length + " bytes");
        }
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                if (generator[i * k + j] != (i == j ? 1 : 0)) {
                    throw new IllegalArgumentException("generator is not systematic at row " + i + ", column " + j);
                }
            }
        }
        this.k = k;
        this.m = m;
        this.generator = generator.clone();
    }

    @Override
    public final int dataBlocks() {
        return k;
    }

    @Override
    public final int parityBlocks() {
        return m;
    }

    @Override
    public final void encode(ByteBuffer[] data, ByteBuffer[] parity) {
        if (data == null || parity == null) {
            throw new IllegalArgumentException("data and parity arrays are required");
        }
        if (data.length != k || parity.length != m) {
            throw new IllegalArgumentException(name() + " " + k + "+" + m + " encodes " + k + " data into " + m
                    + " parity blocks, got " + data.length + " and " + parity.length);
        }
        int length = -1;
        for (int i = 0; i < k; i++) {
            length = checkLength(data[i], "data[" + i + "]", length);
        }
        for (int i = 0; i < m; i++) {
            length = checkLength(parity[i], "parity[" + i + "]", length);
            checkOutput(parity[i], "parity[" + i + "]");
        }
        for (int i = 0; i < m; i++) {
            checkNoOverlap(parity[i], "parity[" + i + "]", data, "data", -1);
            checkNoOverlap(parity[i], "parity[" + i + "]", parity, "parity", i);
        }
        if (length > 0) {
            encodeBlocks(data, parity, length);
        }
    }

    @Override
    public final void decode(ByteBuffer[] blocks, boolean[] present) {
        int n = k + m;
        if (blocks == null || present == null) {
            throw new IllegalArgumentException("blocks and present arrays are required");
        }
        if (blocks.length != n || present.length != n) {
            throw new IllegalArgumentException(name() + " " + k + "+" + m + " decodes a stripe of " + n
                    + " blocks, got " + blocks.length + " blocks and " + present.length + " present flags");
        }
        int length = -1;
        int presentCount = 0;
        boolean[] wanted = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (present[i]) {
                length = checkLength(blocks[i], "blocks[" + i + "] (present)", length);
                presentCount++;
            } else if (blocks[i] != null) {
                length = checkLength(blocks[i], "blocks[" + i + "]", length);
                checkOutput(blocks[i], "blocks[" + i + "] (to rebuild)");
                wanted[i] = true;
            }
        }
        if (presentCount < k) {
            throw new IllegalArgumentException(name() + " " + k + "+" + m + " needs at least " + k
                    + " present blocks to decode, got " + presentCount);
        }
        for (int i = 0; i < n; i++) {
            if (wanted[i]) {
                checkNoOverlap(blocks[i], "blocks[" + i + "]", blocks, "blocks", i);
            }
        }
        DecodePlan plan = DecodePlan.of(generator, k, m, present, wanted, this::invert);
        if (plan.outputs().length == 0 || length == 0) {
            return;
        }
        ByteBuffer[] inputs = new ByteBuffer[k];
        for (int j = 0; j < k; j++) {
            inputs[j] = blocks[plan.survivors()[j]];
        }
        ByteBuffer[] outputs = new ByteBuffer[plan.outputs().length];
        for (int r = 0; r < outputs.length; r++) {
            outputs[r] = blocks[plan.outputs()[r]];
        }
        decodeBlocks(plan, inputs, outputs, length);
    }

    @Override
    public String toString() {
        return name() + " " + k + "+" + m;
    }

    /** Writes the parity blocks; all arguments are checked and {@code length > 0}. */
    abstract void encodeBlocks(ByteBuffer[] data, ByteBuffer[] parity, int length);

    /** Writes {@code outputs[r] = sum_j plan.matrix[r][j] * inputs[j]}; arguments are checked, {@code length > 0}. */
    abstract void decodeBlocks(DecodePlan plan, ByteBuffer[] inputs, ByteBuffer[] outputs, int length);

    /** Inverts an {@code n x n} matrix without changing it. */
    abstract byte[] invert(byte[] square, int n);

    private static int checkLength(ByteBuffer block, String what, int length) {
        if (block == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (length >= 0 && block.remaining() != length) {
            throw new IllegalArgumentException("blocks must have equal lengths: " + what + " has " + block.remaining()
                    + " bytes, the others " + length);
        }
        return block.remaining();
    }

    private static void checkOutput(ByteBuffer block, String what) {
        if (block.isReadOnly()) {
            throw new IllegalArgumentException(what + " is read-only but must be written");
        }
    }

    private static void checkNoOverlap(ByteBuffer output, String what, ByteBuffer[] others, String othersName, int self) {
        if (!output.hasRemaining()) {
            return;
        }
        MemorySegment target = MemorySegment.ofBuffer(output);
        for (int i = 0; i < others.length; i++) {
            ByteBuffer other = others[i];
            if (i == self || other == null || !other.hasRemaining()) {
                continue;
            }
            if (other == output || target.asOverlappingSlice(MemorySegment.ofBuffer(other)).isPresent()) {
                throw new IllegalArgumentException(what + " shares memory with " + othersName + "[" + i + "]");
            }
        }
    }
}
