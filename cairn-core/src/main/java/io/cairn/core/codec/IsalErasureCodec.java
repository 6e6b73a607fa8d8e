package io.cairn.core.codec;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;

/**
 * The codec on Intel ISA-L: ISA-L builds the generator ({@code gf_gen_cauchy1_matrix}), inverts
 * decode matrices ({@code gf_invert_matrix}) and runs the SIMD kernels
 * ({@code ec_init_tables}, {@code ec_encode_data}). Direct buffers are passed to ISA-L as they
 * are; heap buffers are copied to and from native scratch memory for the call.
 */
final class IsalErasureCodec extends MatrixErasureCodec {

    /** Bytes of ISA-L lookup tables per matrix coefficient. */
    private static final int TABLE_BYTES_PER_COEFFICIENT = 32;
    /** Alignment of native scratch copies of heap blocks (one cache line). */
    private static final long SCRATCH_ALIGNMENT = 64;

    private final IsalLibrary library;
    private final MemorySegment parityTables;

    IsalErasureCodec(IsalLibrary library, int k, int m) {
        super(k, m, library.cauchyMatrix(k, m));
        this.library = library;
        Arena arena = Arena.ofAuto();
        MemorySegment parityRows = arena.allocate((long) m * k);
        MemorySegment.copy(generator, k * k, parityRows, JAVA_BYTE, 0, m * k);
        this.parityTables = arena.allocate((long) TABLE_BYTES_PER_COEFFICIENT * m * k, SCRATCH_ALIGNMENT);
        library.initTables(k, m, parityRows, parityTables);
    }

    @Override
    public String name() {
        return "isal";
    }

    @Override
    void encodeBlocks(ByteBuffer[] data, ByteBuffer[] parity, int length) {
        run(parityTables, data, parity, length);
    }

    @Override
    void decodeBlocks(DecodePlan plan, ByteBuffer[] inputs, ByteBuffer[] outputs, int length) {
        int rows = outputs.length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment matrix = arena.allocate(plan.matrix().length);
            MemorySegment.copy(plan.matrix(), 0, matrix, JAVA_BYTE, 0, plan.matrix().length);
            MemorySegment tables = arena.allocate((long) TABLE_BYTES_PER_COEFFICIENT * rows * k, SCRATCH_ALIGNMENT);
            library.initTables(k, rows, matrix, tables);
            run(tables, inputs, outputs, length);
        }
    }

    @Override
    byte[] invert(byte[] square, int n) {
        return library.invert(square, n);
    }

    private void run(MemorySegment tables, ByteBuffer[] inputs, ByteBuffer[] outputs, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sources = arena.allocate(ADDRESS, inputs.length);
            for (int j = 0; j < inputs.length; j++) {
                MemorySegment block = MemorySegment.ofBuffer(inputs[j]);
                if (!block.isNative()) {
                    block = arena.allocate(length, SCRATCH_ALIGNMENT).copyFrom(block);
                }
                sources.setAtIndex(ADDRESS, j, block);
            }
            MemorySegment targets = arena.allocate(ADDRESS, outputs.length);
            MemorySegment[] heapTargets = new MemorySegment[outputs.length];
            for (int r = 0; r < outputs.length; r++) {
                MemorySegment block = MemorySegment.ofBuffer(outputs[r]);
                if (!block.isNative()) {
                    heapTargets[r] = block;
                    block = arena.allocate(length, SCRATCH_ALIGNMENT);
                }
                targets.setAtIndex(ADDRESS, r, block);
            }
            library.encodeData(length, inputs.length, outputs.length, tables, sources, targets);
            for (int r = 0; r < outputs.length; r++) {
                if (heapTargets[r] != null) {
                    heapTargets[r].copyFrom(targets.getAtIndex(ADDRESS, r).reinterpret(length));
                }
            }
        } finally {
            Reference.reachabilityFence(inputs);
            Reference.reachabilityFence(outputs);
        }
    }
}
