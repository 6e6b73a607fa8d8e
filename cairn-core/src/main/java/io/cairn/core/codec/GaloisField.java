package io.cairn.core.codec;

/**
 * Arithmetic in GF(2^8) with the reduction polynomial x^8 + x^4 + x^3 + x^2 + 1 ({@code 0x11D}),
 * the field ISA-L uses. Addition is XOR; multiplication goes through log/exp tables and a full
 * 256 x 256 product table for the byte-at-a-time kernels.
 */
final class GaloisField {

    /** The reduction polynomial, with the x^8 term. */
    static final int POLYNOMIAL = 0x11D;

    private static final int[] LOG = new int[256];
    private static final int[] EXP = new int[512];
    /** {@code PRODUCTS[(a << 8) | b] == mul(a, b)}. */
    private static final byte[] PRODUCTS = new byte[256 * 256];

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = x;
            LOG[x] = i;
            x <<= 1;
            if ((x & 0x100) != 0) {
                x ^= POLYNOMIAL;
            }
        }
        for (int i = 255; i < EXP.length; i++) {
            EXP[i] = EXP[i - 255];
        }
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                PRODUCTS[(a << 8) | b] = (byte) slowMul(a, b);
            }
        }
    }

    private GaloisField() {
    }

    static int mul(int a, int b) {
        checkElement(a);
        checkElement(b);
        return PRODUCTS[(a << 8) | b] & 0xFF;
    }

    /** The multiplicative inverse; zero has none. */
    static int inv(int a) {
        checkElement(a);
        if (a == 0) {
            throw new ArithmeticException("zero has no inverse in GF(2^8)");
        }
        return EXP[255 - LOG[a]];
    }

    /** The 256-entry row of products {@code c * x}, starting at {@code productRow(c)} in {@link #products()}. */
    static int productRow(int c) {
        checkElement(c);
        return c << 8;
    }

    /** The shared product table; callers only read it. */
    static byte[] products() {
        return PRODUCTS;
    }

    private static int slowMul(int a, int b) {
        if (a == 0 || b == 0) {
            return 0;
        }
        return EXP[LOG[a] + LOG[b]];
    }

    private static void checkElement(int a) {
        if ((a & ~0xFF) != 0) {
            throw new IllegalArgumentException("not a GF(2^8) element: " + a);
        }
    }
}
