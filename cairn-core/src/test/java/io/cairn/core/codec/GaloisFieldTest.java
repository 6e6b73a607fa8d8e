package io.cairn.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** GF(2^8) with polynomial 0x11D, and matrices over it, against definitions computed the slow way. */
class GaloisFieldTest {

    /** Carry-less multiplication reduced by 0x11D, bit by bit. */
    private static int reference(int a, int b) {
        int product = 0;
        for (int bit = 0; bit < 8; bit++) {
            if ((b >>> bit & 1) != 0) {
                product ^= a << bit;
            }
        }
        for (int bit = 15; bit >= 8; bit--) {
            if ((product >>> bit & 1) != 0) {
                product ^= GaloisField.POLYNOMIAL << (bit - 8);
            }
        }
        return product;
    }

    @Test
    void multiplicationIsCarrylessProductModulo0x11D() {
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                assertThat(GaloisField.mul(a, b)).as("%d * %d", a, b).isEqualTo(reference(a, b));
            }
        }
        assertThat(GaloisField.mul(0x80, 2)).isEqualTo(0x1D);
    }

    @Test
    void everyNonZeroElementHasAnInverse() {
        for (int a = 1; a < 256; a++) {
            assertThat(GaloisField.mul(a, GaloisField.inv(a))).as("%d * inv(%d)", a, a).isEqualTo(1);
        }
        assertThatThrownBy(() -> GaloisField.inv(0)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> GaloisField.mul(256, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cauchyGeneratorIsSystematicWithInverseXorEntries() {
        byte[] g = CauchyMatrix.generator(4, 2);
        assertThat(g).hasSize(24);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                assertThat(g[i * 4 + j]).isEqualTo((byte) (i == j ? 1 : 0));
            }
        }
        assertThat(g[4 * 4] & 0xFF).isEqualTo(GaloisField.inv(4));
        assertThat(g[5 * 4 + 3] & 0xFF).isEqualTo(GaloisField.inv(5 ^ 3));
        assertThatThrownBy(() -> CauchyMatrix.generator(33, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CauchyMatrix.generator(1, 17)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void inverseTimesMatrixIsIdentity() {
        long seed = 0x5EED;
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            int n = 1 + random.nextInt(32);
            byte[] square = new byte[n * n];
            random.nextBytes(square);
            byte[] original = square.clone();
            byte[] inverse;
            try {
                inverse = GaloisMatrix.invert(square, n);
            } catch (IllegalStateException singular) {
                continue;
            }
            assertThat(square).as("input unchanged").isEqualTo(original);
            byte[] identity = new byte[n * n];
            for (int i = 0; i < n; i++) {
                identity[i * n + i] = 1;
            }
            assertThat(GaloisMatrix.multiply(square, inverse, n, n, n)).as("round %d, n=%d", round, n).isEqualTo(identity);
            assertThat(GaloisMatrix.multiply(inverse, square, n, n, n)).isEqualTo(identity);
        }
    }

    @Test
    void singularMatricesAreRejected() {
        byte[] twoEqualRows = {1, 2, 3, 1, 2, 3, 4, 5, 6};
        assertThatThrownBy(() -> GaloisMatrix.invert(twoEqualRows, 3)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("singular");
        assertThatThrownBy(() -> GaloisMatrix.invert(new byte[8], 3)).isInstanceOf(IllegalArgumentException.class);
    }
}
