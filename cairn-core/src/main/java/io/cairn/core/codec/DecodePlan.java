package io.cairn.core.codec;

import java.util.Arrays;

/**
 * How to rebuild the wanted blocks of a stripe: the {@code k} surviving blocks to read
 * ({@code survivors}, stripe indexes) and one row of {@code k} coefficients per rebuilt block
 * ({@code outputs}), so that {@code block[outputs[r]] = sum_j matrix[r][j] * block[survivors[j]]}.
 *
 * <p>The survivors are the first {@code k} present blocks (data blocks first, so the inverted
 * submatrix is mostly identity). A missing data block's row is the matching row of the inverse of
 * the survivors' generator rows; a missing parity block's row is its generator row times that
 * inverse.
 */
record DecodePlan(int[] survivors, int[] outputs, byte[] matrix) {

    /** Inverts an {@code n x n} GF(2^8) matrix, leaving the argument unchanged. */
    @FunctionalInterface
    interface Inverter {
        byte[] invert(byte[] square, int n);
    }

    static DecodePlan of(byte[] generator, int k, int m, boolean[] present, boolean[] wanted, Inverter inverter) {
        int n = k + m;
        int[] survivors = new int[k];
        int found = 0;
        for (int i = 0; i < n && found < k; i++) {
            if (present[i]) {
                survivors[found++] = i;
            }
        }
        if (found < k) {
            throw new IllegalArgumentException("need " + k + " present blocks, have " + found);
        }
        int[] outputs = new int[n];
        int rows = 0;
        for (int i = 0; i < n; i++) {
            if (wanted[i]) {
                if (present[i]) {
                    throw new IllegalArgumentException("block " + i + " is both present and wanted");
                }
                outputs[rows++] = i;
            }
        }
        outputs = Arrays.copyOf(outputs, rows);
        if (rows == 0) {
            return new DecodePlan(survivors, outputs, new byte[0]);
        }
        byte[] square = new byte[k * k];
        for (int j = 0; j < k; j++) {
            System.arraycopy(generator, survivors[j] * k, square, j * k, k);
        }
        byte[] inverse = inverter.invert(square, k);
        byte[] matrix = new byte[rows * k];
        for (int r = 0; r < rows; r++) {
            int block = outputs[r];
            byte[] row = block < k
                    ? Arrays.copyOfRange(inverse, block * k, block * k + k)
                    : GaloisMatrix.multiply(Arrays.copyOfRange(generator, block * k, block * k + k), inverse, 1, k, k);
            System.arraycopy(row, 0, matrix, r * k, k);
        }
        return new DecodePlan(survivors, outputs, matrix);
    }
}
