package io.cairn.core.codec;

/**
 * The systematic generator matrix both codecs share, laid out as ISA-L's
 * {@code gf_gen_cauchy1_matrix} lays it out: {@code (k + m)} rows of {@code k} bytes, row-major;
 * the top {@code k} rows are the identity (the data blocks themselves) and parity row {@code i}
 * ({@code k <= i < k + m}), column {@code j}, is {@code 1 / (i XOR j)} in GF(2^8).
 *
 * <p>The parity rows form a Cauchy matrix over the disjoint sets {@code {k..k+m-1}} and
 * {@code {0..k-1}}, so every square submatrix of them is invertible and any {@code k} of the
 * {@code k + m} rows can be inverted: the code is MDS.
 */
final class CauchyMatrix {

    private CauchyMatrix() {
    }

    static byte[] generator(int k, int m) {
        ErasureCodecs.checkShape(k, m);
        byte[] matrix = new byte[(k + m) * k];
        for (int i = 0; i < k; i++) {
            matrix[i * k + i] = 1;
        }
        for (int i = k; i < k + m; i++) {
            for (int j = 0; j < k; j++) {
                matrix[i * k + j] = (byte) GaloisField.inv(i ^ j);
            }
        }
        return matrix;
    }
}
