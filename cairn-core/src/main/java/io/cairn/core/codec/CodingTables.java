package io.cairn.core.codec;

/**
 * A {@code rows x cols} coefficient matrix (row-major) together with the lookup tables a
 * {@link GfKernel} derives from it once, so repeated encodes reuse them.
 */
record CodingTables(byte[] matrix, int rows, int cols, byte[] expanded) {

    CodingTables {
        if (rows < 1 || cols < 1 || matrix.length != rows * cols) {
            throw new IllegalArgumentException("matrix is not " + rows + "x" + cols + ": " + matrix.length + " bytes");
        }
    }
}
