package io.cairn.s3;

/**
 * The CRC of two byte strings one after the other from the CRC of each and the length of the
 * second, without the bytes (the method of zlib's {@code crc32_combine}: multiply the first CRC by
 * x^(8·length) modulo the polynomial). For the reflected CRCs S3 uses (CRC32, CRC32C, CRC64NVME),
 * all of which start from and end by xor with all ones.
 */
final class CrcCombine {
  private final int width;
  /** The reflected polynomial. */
  private final long poly;
  /** x^(2^k) modulo the polynomial, for every k a length in bytes (below 2^63) needs. */
  private final long[] powers;

  private CrcCombine(int width, long poly) {
    this.width = width;
    this.poly = poly;
    this.powers = new long[3 + 63];
    long p = top() >>> 1; // x^1
    powers[0] = p;
    for (int k = 1; k < powers.length; k++) powers[k] = p = multiply(p, p);
  }

  private static final CrcCombine CRC32 = new CrcCombine(32, 0xedb88320L);
  private static final CrcCombine CRC32C = new CrcCombine(32, 0x82f63b78L);
  private static final CrcCombine CRC64NVME = new CrcCombine(64, 0x9a6c9329ac4bc9b5L);

  static CrcCombine of(BodyChecksum c) {
    return switch (c) {
      case CRC32 -> CRC32;
      case CRC32C -> CRC32C;
      case CRC64NVME -> CRC64NVME;
      default -> throw new IllegalArgumentException(c + " is not a CRC");
    };
  }

  /** The bit standing for x^0 in the reflected form. */
  private long top() {
    return 1L << (width - 1);
  }

  /** a·b modulo the polynomial, both reflected. */
  private long multiply(long a, long b) {
    long m = top();
    long p = 0;
    while (true) {
      if ((a & m) != 0) {
        p ^= b;
        if ((a & (m - 1)) == 0) break;
      }
      m >>>= 1;
      b = (b & 1) != 0 ? (b >>> 1) ^ poly : b >>> 1;
    }
    return p;
  }

  /** x^(8·bytes) modulo the polynomial. */
  private long shiftBy(long bytes) {
    long p = top(); // x^0
    int k = 3; // 8 = 2^3
    for (long n = bytes; n != 0; n >>>= 1, k++) {
      if ((n & 1) != 0) p = multiply(powers[k], p);
    }
    return p;
  }

  /** The CRC of A then B, from the CRC of A, the CRC of B and the length of B. */
  long combine(long crcA, long crcB, long lengthB) {
    return multiply(shiftBy(lengthB), crcA) ^ crcB;
  }

  /** A CRC from its big-endian bytes (as S3 sends it, base64-decoded). */
  long fromBytes(byte[] b) {
    if (b.length != width / 8) throw new IllegalArgumentException("a CRC of " + width + " bits has " + width / 8 + " bytes, not " + b.length);
    long v = 0;
    for (byte x : b) v = (v << 8) | (x & 0xff);
    return v;
  }

  byte[] toBytes(long v) {
    byte[] out = new byte[width / 8];
    for (int i = 0; i < out.length; i++) out[i] = (byte) (v >>> (8 * (out.length - 1 - i)));
    return out;
  }
}
