package io.cairn.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The byte-at-a-time kernel: one product-table lookup per coefficient and byte. It runs where
 * the Vector API is missing and on the tails the vector kernel leaves.
 */
final class ScalarGfKernel implements GfKernel {

    @Override
    public String name() {
        return "java-scalar";
    }

    @Override
    public String description() {
        return "byte-at-a-time table lookups";
    }

    @Override
    public CodingTables prepare(byte[] matrix, int rows, int cols) {
        return new CodingTables(matrix.clone(), rows, cols, new byte[0]);
    }

    @Override
    public void multiply(CodingTables tables, MemorySegment[] in, MemorySegment[] out, long length) {
        multiplyRange(tables, in, out, 0, length);
    }

    /** The product over byte offsets {@code [from, to)} only. */
    static void multiplyRange(CodingTables tables, MemorySegment[] in, MemorySegment[] out, long from, long to) {
        byte[] products = GaloisField.products();
        byte[] matrix = tables.matrix();
        int cols = tables.cols();
        for (int r = 0; r < tables.rows(); r++) {
            MemorySegment target = out[r];
            for (int j = 0; j < cols; j++) {
                MemorySegment source = in[j];
                int row = GaloisField.productRow(matrix[r * cols + j] & 0xFF);
                if (j == 0) {
                    for (long i = from; i < to; i++) {
                        byte x = source.get(ValueLayout.JAVA_BYTE, i);
                        target.set(ValueLayout.JAVA_BYTE, i, products[row | (x & 0xFF)]);
                    }
                } else {
                    for (long i = from; i < to; i++) {
                        byte x = source.get(ValueLayout.JAVA_BYTE, i);
                        byte acc = target.get(ValueLayout.JAVA_BYTE, i);
                        target.set(ValueLayout.JAVA_BYTE, i, (byte) (acc ^ products[row | (x & 0xFF)]));
                    }
                }
            }
        }
    }
}
