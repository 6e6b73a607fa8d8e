package io.cairn.s3;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/** The body checksums S3 clients send (x-amz-checksum-*, Content-MD5), computed incrementally. */
public enum BodyChecksum {
  CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5;

  /** Incremental state of one checksum computation. */
  public interface State {
    void update(byte[] b, int off, int len);

    /** The checksum in its big-endian byte form (what S3 base64-encodes). */
    byte[] finish();
  }

  /** The header carrying this checksum, e.g. {@code x-amz-checksum-crc32}; Content-MD5 for MD5. */
  public String headerName() {
    return this == MD5 ? "content-md5" : "x-amz-checksum-" + name().toLowerCase(Locale.ROOT);
  }

  /** The checksum named by a header such as {@code x-amz-checksum-crc32c}, or null. */
  public static BodyChecksum fromHeaderName(String header) {
    String h = header.strip().toLowerCase(Locale.ROOT);
    for (BodyChecksum c : values()) if (c != MD5 && c.headerName().equals(h)) return c;
    return null;
  }

  public State newState() {
    return switch (this) {
      case CRC32 -> crc(new CRC32(), 4);
      case CRC32C -> crc(new CRC32C(), 4);
      case CRC64NVME -> new Crc64Nvme();
      case SHA1 -> digest("SHA-1");
      case SHA256 -> digest("SHA-256");
      case MD5 -> digest("MD5");
    };
  }

  private static State crc(Checksum checksum, int bytes) {
    return new State() {
      public void update(byte[] b, int off, int len) {
        checksum.update(b, off, len);
      }

      public byte[] finish() {
        long v = checksum.getValue();
        byte[] out = new byte[bytes];
        for (int i = 0; i < bytes; i++) out[i] = (byte) (v >>> (8 * (bytes - 1 - i)));
        return out;
      }
    };
  }

  private static State digest(String algorithm) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " missing from the JDK", e);
    }
    return new State() {
      public void update(byte[] b, int off, int len) {
        md.update(b, off, len);
      }

      public byte[] finish() {
        return md.digest();
      }
    };
  }

  /** CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, initial value and final xor all ones. */
  private static final class Crc64Nvme implements State {
    private static final long[] TABLE = new long[256];

    static {
      for (int i = 0; i < 256; i++) {
        long crc = i;
        for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x9a6c9329ac4bc9b5L : crc >>> 1;
        TABLE[i] = crc;
      }
    }

    private long crc = -1L;

    public void update(byte[] b, int off, int len) {
      long c = crc;
      for (int i = off; i < off + len; i++) c = TABLE[(int) ((c ^ b[i]) & 0xff)] ^ (c >>> 8);
      crc = c;
    }

    public byte[] finish() {
      long v = ~crc;
      byte[] out = new byte[8];
      for (int i = 0; i < 8; i++) out[i] = (byte) (v >>> (8 * (7 - i)));
      return out;
    }
  }
}
