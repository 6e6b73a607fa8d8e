package io.cairn.testkit;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Deterministic object contents: the bytes of object {@code id} come from a seeded generator. */
final class ObjectData {
    private ObjectData() {}

    static byte[] bytes(long seed, int size) {
        byte[] out = new byte[size];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < size; i += 8) {
            long v = r.nextLong();
            for (int j = 0; j < 8 && i + j < size; j++) {
                out[i + j] = (byte) (v >>> (8 * j));
            }
        }
        return out;
    }

    /** A stream of {@code size} deterministic bytes, never held whole in memory. */
    static InputStream stream(long seed, long size) {
        return new InputStream() {
            private final SplittableRandom r = new SplittableRandom(seed);
            private long left = size;
            private long word;
            private int wordLeft;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                for (int i = 0; i < n; i++) {
                    if (wordLeft == 0) {
                        word = r.nextLong();
                        wordLeft = 8;
                    }
                    b[off + i] = (byte) word;
                    word >>>= 8;
                    wordLeft--;
                }
                left -= n;
                return n;
            }
        };
    }

    static String sha256(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) {
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
