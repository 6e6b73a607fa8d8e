package io.cairn.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * The inner loop of a matrix codec: {@code out[r] = sum_j matrix[r][j] * in[j]} over GF(2^8),
 * byte by byte across blocks of equal length.
 */
interface GfKernel {

    /** {@code "java"} for the vector kernel, {@code "java-scalar"} for the byte-at-a-time one. */
    String name();

    /** What the kernel runs on, for logs (e.g. the vector width). */
    String description();

    /** Derives this kernel's lookup tables from a coefficient matrix. */
    CodingTables prepare(byte[] matrix, int rows, int cols);

    /**
     * Multiplies: {@code in} has {@code tables.cols()} segments, {@code out} {@code tables.rows()},
     * each at least {@code length} bytes; outputs are overwritten.
     */
    void multiply(CodingTables tables, MemorySegment[] in, MemorySegment[] out, long length);
}
