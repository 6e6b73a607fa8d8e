package io.cairn.core.codec;

/** Square and rectangular matrices over GF(2^8), stored row-major in byte arrays. */
final class GaloisMatrix {

    private GaloisMatrix() {
    }

    /**
     * The inverse of the {@code n x n} matrix {@code square}, by Gauss-Jordan elimination; the
     * argument is left unchanged. Throws {@link IllegalStateException} if it is singular.
     */
    static byte[] invert(byte[] square, int n) {
        if (n < 1 || square.length != n * n) {
            throw new IllegalArgumentException("expected an " + n + "x" + n + " matrix, got " + square.length + " bytes");
        }
        byte[] work = square.clone();
        byte[] inverse = new byte[n * n];
        for (int i = 0; i < n; i++) {
            inverse[i * n + i] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            while (pivot < n && work[pivot * n + col] == 0) {
                pivot++;
            }
            if (pivot == n) {
                throw new IllegalStateException("singular matrix: column " + col + " has no pivot");
            }
            if (pivot != col) {
                swapRows(work, n, pivot, col);
                swapRows(inverse, n, pivot, col);
            }
            int scale = GaloisField.inv(work[col * n + col] & 0xFF);
            scaleRow(work, n, col, scale);
            scaleRow(inverse, n, col, scale);
            for (int row = 0; row < n; row++) {
                int factor = work[row * n + col] & 0xFF;
                if (row != col && factor != 0) {
                    addScaledRow(work, n, col, row, factor);
                    addScaledRow(inverse, n, col, row, factor);
                }
            }
        }
        return inverse;
    }

    /** The product {@code a x b} of an {@code r x inner} and an {@code inner x c} matrix. */
    static byte[] multiply(byte[] a, byte[] b, int r, int inner, int c) {
        if (a.length != r * inner || b.length != inner * c) {
            throw new IllegalArgumentException("matrix sizes do not match: " + a.length + " vs " + r + "x" + inner
                    + ", " + b.length + " vs " + inner + "x" + c);
        }
        byte[] product = new byte[r * c];
        for (int i = 0; i < r; i++) {
            for (int t = 0; t < inner; t++) {
                int factor = a[i * inner + t] & 0xFF;
                if (factor != 0) {
                    for (int j = 0; j < c; j++) {
                        product[i * c + j] ^= (byte) GaloisField.mul(factor, b[t * c + j] & 0xFF);
                    }
                }
            }
        }
        return product;
    }

    private static void swapRows(byte[] m, int n, int a, int b) {
        for (int j = 0; j < n; j++) {
            byte t = m[a * n + j];
            m[a * n + j] = m[b * n + j];
            m[b * n + j] = t;
        }
    }

    private static void scaleRow(byte[] m, int n, int row, int factor) {
        for (int j = 0; j < n; j++) {
            m[row * n + j] = (byte) GaloisField.mul(m[row * n + j] & 0xFF, factor);
        }
    }

    /** {@code row[target] ^= factor * row[source]}. */
    private static void addScaledRow(byte[] m, int n, int source, int target, int factor) {
        for (int j = 0; j < n; j++) {
            m[target * n + j] ^= (byte) GaloisField.mul(factor, m[source * n + j] & 0xFF);
        }
    }
}
