package io.cairn.core.codec;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@code jdk.incubator.vector} kernel: a GF(2^8) product {@code c * x} is
 * {@code low[x & 15] ^ high[x >>> 4]}, two 16-entry table lookups done lane-wise with
 * {@link ByteVector#selectFrom} (one byte permute each on x86) over the widest species the CPU
 * offers. Output rows go in groups of up to four, so each input vector is loaded and split into
 * nibbles once per group; tails shorter than a vector go to {@link ScalarGfKernel}.
 *
 * <p>Loaded reflectively by {@link JavaErasureCodec}, so that a JVM without the incubator module
 * still gets the scalar kernel.
 */
final class VectorGfKernel implements GfKernel {

    private static final VectorSpecies<Byte> SPECIES = ByteVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int GROUP_ROWS_MAX = 4;
    /** Below this width the vector kernel gains nothing over the scalar one. */
    static final int LANES_MIN = 16;

    VectorGfKernel() {
        if (LANES < LANES_MIN) {
            throw new UnsupportedOperationException("preferred byte vector has " + LANES + " lanes, need " + LANES_MIN);
        }
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public String description() {
        return "jdk.incubator.vector, " + SPECIES.vectorBitSize() + "-bit byte vectors";
    }

    /** Two tables of {@code LANES} bytes per coefficient (low then high nibble), the 16 entries repeated. */
    @Override
    public CodingTables prepare(byte[] matrix, int rows, int cols) {
        byte[] expanded = new byte[rows * cols * 2 * LANES];
        for (int e = 0; e < rows * cols; e++) {
            int c = matrix[e] & 0xFF;
            int base = e * 2 * LANES;
            for (int lane = 0; lane < LANES; lane++) {
                int nibble = lane & 15;
                expanded[base + lane] = (byte) GaloisField.mul(c, nibble);
                expanded[base + LANES + lane] = (byte) GaloisField.mul(c, nibble << 4);
            }
        }
        return new CodingTables(matrix.clone(), rows, cols, expanded);
    }

    @Override
    public void multiply(CodingTables tables, MemorySegment[] in, MemorySegment[] out, long length) {
        long vectorEnd = SPECIES.loopBound(length);
        int rows = tables.rows();
        int cols = tables.cols();
        byte[] t = tables.expanded();
        for (int r = 0; r < rows; r += GROUP_ROWS_MAX) {
            int group = Math.min(GROUP_ROWS_MAX, rows - r);
            int stride = cols * 2 * LANES;
            int base = r * stride;
            switch (group) {
                case 4 -> rows4(t, base, stride, in, out[r], out[r + 1], out[r + 2], out[r + 3], vectorEnd);
                case 3 -> rows3(t, base, stride, in, out[r], out[r + 1], out[r + 2], vectorEnd);
                case 2 -> rows2(t, base, stride, in, out[r], out[r + 1], vectorEnd);
                default -> rows1(t, base, in, out[r], vectorEnd);
            }
        }
        if (vectorEnd < length) {
            ScalarGfKernel.multiplyRange(tables, in, out, vectorEnd, length);
        }
    }

    private static ByteVector product(byte[] t, int at, ByteVector low, ByteVector high) {
        ByteVector lowProduct = low.selectFrom(ByteVector.fromArray(SPECIES, t, at));
        ByteVector highProduct = high.selectFrom(ByteVector.fromArray(SPECIES, t, at + LANES));
        return lowProduct.lanewise(VectorOperators.XOR, highProduct);
    }

    private static void rows1(byte[] t, int base, MemorySegment[] in, MemorySegment o0, long end) {
        int cols = in.length;
        for (long i = 0; i < end; i += LANES) {
            ByteVector a0 = ByteVector.zero(SPECIES);
            for (int j = 0; j < cols; j++) {
                ByteVector x = ByteVector.fromMemorySegment(SPECIES, in[j], i, ORDER);
                ByteVector low = x.and((byte) 0x0F);
                ByteVector high = x.lanewise(VectorOperators.LSHR, 4);
                int at = base + j * 2 * LANES;
                a0 = a0.lanewise(VectorOperators.XOR, product(t, at, low, high));
            }
            a0.intoMemorySegment(o0, i, ORDER);
        }
    }

    private static void rows2(byte[] t, int base, int stride, MemorySegment[] in, MemorySegment o0, MemorySegment o1,
            long end) {
        int cols = in.length;
        for (long i = 0; i < end; i += LANES) {
            ByteVector a0 = ByteVector.zero(SPECIES);
            ByteVector a1 = a0;
            for (int j = 0; j < cols; j++) {
                ByteVector x = ByteVector.fromMemorySegment(SPECIES, in[j], i, ORDER);
                ByteVector low = x.and((byte) 0x0F);
                ByteVector high = x.lanewise(VectorOperators.LSHR, 4);
                int at = base + j * 2 * LANES;
                a0 = a0.lanewise(VectorOperators.XOR, product(t, at, low, high));
                a1 = a1.lanewise(VectorOperators.XOR, product(t, at + stride, low, high));
            }
            a0.intoMemorySegment(o0, i, ORDER);
            a1.intoMemorySegment(o1, i, ORDER);
        }
    }

    private static void rows3(byte[] t, int base, int stride, MemorySegment[] in, MemorySegment o0, MemorySegment o1,
            MemorySegment o2, long end) {
        int cols = in.length;
        for (long i = 0; i < end; i += LANES) {
            ByteVector a0 = ByteVector.zero(SPECIES);
            ByteVector a1 = a0;
            ByteVector a2 = a0;
            for (int j = 0; j < cols; j++) {
                ByteVector x = ByteVector.fromMemorySegment(SPECIES, in[j], i, ORDER);
                ByteVector low = x.and((byte) 0x0F);
                ByteVector high = x.lanewise(VectorOperators.LSHR, 4);
                int at = base + j * 2 * LANES;
                a0 = a0.lanewise(VectorOperators.XOR, product(t, at, low, high));
                a1 = a1.lanewise(VectorOperators.XOR, product(t, at + stride, low, high));
                a2 = a2.lanewise(VectorOperators.XOR, product(t, at + 2 * stride, low, high));
            }
            a0.intoMemorySegment(o0, i, ORDER);
            a1.intoMemorySegment(o1, i, ORDER);
            a2.intoMemorySegment(o2, i, ORDER);
        }
    }

    private static void rows4(byte[] t, int base, int stride, MemorySegment[] in, MemorySegment o0, MemorySegment o1,
            MemorySegment o2, MemorySegment o3, long end) {
        int cols = in.length;
        for (long i = 0; i < end; i += LANES) {
            ByteVector a0 = ByteVector.zero(SPECIES);
            ByteVector a1 = a0;
            ByteVector a2 = a0;
            ByteVector a3 = a0;
            for (int j = 0; j < cols; j++) {
                ByteVector x = ByteVector.fromMemorySegment(SPECIES, in[j], i, ORDER);
                ByteVector low = x.and((byte) 0x0F);
                ByteVector high = x.lanewise(VectorOperators.LSHR, 4);
                int at = base + j * 2 * LANES;
                a0 = a0.lanewise(VectorOperators.XOR, product(t, at, low, high));
                a1 = a1.lanewise(VectorOperators.XOR, product(t, at + stride, low, high));
                a2 = a2.lanewise(VectorOperators.XOR, product(t, at + 2 * stride, low, high));
                a3 = a3.lanewise(VectorOperators.XOR, product(t, at + 3 * stride, low, high));
            }
            a0.intoMemorySegment(o0, i, ORDER);
            a1.intoMemorySegment(o1, i, ORDER);
            a2.intoMemorySegment(o2, i, ORDER);
            a3.intoMemorySegment(o3, i, ORDER);
        }
    }
}
