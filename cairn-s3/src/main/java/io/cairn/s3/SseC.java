package io.cairn.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Server-side encryption with a key the client sends with every request (SSE-C). The gateway
 * encrypts the object before the cluster sees a byte of it and decrypts it on the way out; the key
 * is never stored. What is stored next to the object is a marker: a random salt, an HMAC of the
 * salt under the key (to tell a wrong key from the right one without the key itself) and the
 * plaintext length.
 *
 * <p>The stored bytes are segments of {@link #SEGMENT} plaintext bytes, each sealed with
 * AES-256-GCM: a fresh 12-byte nonce, the ciphertext, a 16-byte tag. Each segment's associated
 * data is the object's salt and the segment's index, so segments cannot be reordered, dropped
 * from the end, or moved between objects without the read failing. A range read decrypts only
 * the segments it touches.
 */
final class SseC {
  static final String PREFIX = "x-amz-server-side-encryption-customer-";
  static final String COPY_SOURCE_PREFIX = "x-amz-copy-source-server-side-encryption-customer-";
  /** The stored marker, kept with the object's other headers and never sent to a client. */
  static final String MARKER_HEADER = "X-Cairn-Sse-C";
  static final int SEGMENT = 64 * 1024;
  static final int NONCE = 12;
  static final int TAG = 16;
  static final int OVERHEAD = NONCE + TAG;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A customer key from the request, checked against the MD5 the client sent with it. */
  record Key(byte[] bytes, String md5Base64) {}

  /** The marker of a stored SSE-C object. */
  record Marker(byte[] salt, byte[] check, long plainLength) {}

  private SseC() {}

  /**
   * The customer key in {@code headers} under {@code prefix} ({@link #PREFIX} or
   * {@link #COPY_SOURCE_PREFIX}); empty if the request names none. InvalidArgument when the
   * algorithm is not AES256, the key is not 256 bits or its MD5 does not match.
   */
  static Optional<Key> fromHeaders(Map<String, String> headers, String prefix) throws S3Exception {
    String algorithm = headers.get(prefix + "algorithm");
    String key = headers.get(prefix + "key");
    String md5 = headers.get(prefix + "key-md5");
    if (algorithm == null && key == null && md5 == null) return Optional.empty();
    if (algorithm == null || key == null || md5 == null) {
      throw new S3Exception(S3Error.InvalidArgument, "SSE-C needs " + prefix + "algorithm, " + prefix + "key and " + prefix + "key-MD5");
    }
    if (!algorithm.strip().equals("AES256")) {
      throw new S3Exception(S3Error.InvalidArgument, "the SSE-C algorithm must be AES256");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(key.strip());
    } catch (IllegalArgumentException e) {
      throw new S3Exception(S3Error.InvalidArgument, "the SSE-C key is not base64");
    }
    if (bytes.length != 32) {
      throw new S3Exception(S3Error.InvalidArgument, "the SSE-C key must be 256 bits");
    }
    String computed;
    try {
      computed = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(bytes));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    if (!MessageDigest.isEqual(computed.getBytes(StandardCharsets.US_ASCII), md5.strip().getBytes(StandardCharsets.US_ASCII))) {
      throw new S3Exception(S3Error.InvalidArgument, "the MD5 of the SSE-C key does not match the key-MD5 header");
    }
    return Optional.of(new Key(bytes, computed));
  }

  static byte[] newSalt() {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return salt;
  }

  static long cipherLength(long plain) {
    return plain + (plain + SEGMENT - 1) / SEGMENT * OVERHEAD;
  }

  static String marker(Key key, byte[] salt, long plainLength) {
    return "v1;" + Base64.getEncoder().encodeToString(salt) + ";" + Base64.getEncoder().encodeToString(check(key, salt)) + ";"
        + plainLength;
  }

  /** The marker of a stored object, or empty if it is not an SSE-C object. */
  static Optional<Marker> markerOf(ObjectInfo info) {
    String v = info.otherHeaders().get(MARKER_HEADER);
    if (v == null) return Optional.empty();
    String[] parts = v.split(";");
    if (parts.length != 4 || !parts[0].equals("v1")) {
      throw new IllegalStateException("unreadable SSE-C marker on " + info.key());
    }
    return Optional.of(new Marker(Base64.getDecoder().decode(parts[1]), Base64.getDecoder().decode(parts[2]), Long.parseLong(parts[3])));
  }

  /** The size clients see: the plaintext's for an SSE-C object. */
  static long visibleSize(ObjectInfo info) {
    return markerOf(info).map(Marker::plainLength).orElse(info.size());
  }

  /** Whether {@code key} is the key the object was stored with. */
  static boolean matches(Key key, Marker m) {
    return MessageDigest.isEqual(check(key, m.salt()), m.check());
  }

  private static byte[] check(Key key, byte[] salt) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.bytes(), "HmacSHA256"));
      mac.update("cairn sse-c key check".getBytes(StandardCharsets.US_ASCII));
      return mac.doFinal(salt);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] aad(byte[] salt, long segment) {
    return ByteBuffer.allocate(salt.length + 8).put(salt).putLong(segment).array();
  }

  /** The plaintext of {@code in} as sealed segments. */
  static InputStream encrypting(InputStream in, Key key, byte[] salt) {
    return new BlockInputStream() {
      private final byte[] plain = new byte[SEGMENT];
      private byte[] sealed = new byte[0];
      private int pos;
      private long segment;
      private boolean ended;

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (pos == sealed.length && !fill()) return -1;
        int n = Math.min(len, sealed.length - pos);
        System.arraycopy(sealed, pos, b, off, n);
        pos += n;
        return n;
      }

      private boolean fill() throws IOException {
        if (ended) return false;
        int got = in.readNBytes(plain, 0, SEGMENT);
        if (got < SEGMENT) ended = true;
        if (got == 0) return false;
        try {
          byte[] nonce = new byte[NONCE];
          RANDOM.nextBytes(nonce);
          Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
          c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key.bytes(), "AES"), new GCMParameterSpec(TAG * 8, nonce));
          c.updateAAD(aad(salt, segment++));
          byte[] ct = c.doFinal(plain, 0, got);
          sealed = new byte[NONCE + ct.length];
          System.arraycopy(nonce, 0, sealed, 0, NONCE);
          System.arraycopy(ct, 0, sealed, NONCE, ct.length);
          pos = 0;
          return true;
        } catch (GeneralSecurityException e) {
          throw new IOException("cannot encrypt: " + e.getMessage(), e);
        }
      }
    };
  }

  /** Where the sealed segments covering plaintext bytes {@code [offset, offset + length)} start, and how many bytes they take. */
  static long[] cipherRange(long offset, long length, long plainLength) {
    long first = offset / SEGMENT;
    long last = (offset + length - 1) / SEGMENT;
    long start = first * (SEGMENT + OVERHEAD);
    long end = Math.min(cipherLength(plainLength), (last + 1) * (SEGMENT + OVERHEAD));
    return new long[] {start, end - start, first};
  }

  /**
   * An output stream that takes the sealed segments from segment {@code firstSegment} on,
   * opens each, and writes plaintext bytes {@code [skip, skip + length)} of what they hold to
   * {@code out}. A segment that does not open (a wrong key, damaged or moved bytes) fails the write.
   */
  static OutputStream decrypting(OutputStream out, Key key, byte[] salt, long firstSegment, long skip, long length) {
    return new OutputStream() {
      private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(SEGMENT + OVERHEAD);
      private long segment = firstSegment;
      private long toSkip = skip;
      private long left = length;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
          int n = Math.min(len, SEGMENT + OVERHEAD - buffer.size());
          buffer.write(b, off, n);
          off += n;
          len -= n;
          if (buffer.size() == SEGMENT + OVERHEAD) open();
        }
      }

      @Override
      public void close() throws IOException {
        if (buffer.size() > 0) open();
        if (left != 0) throw new IOException("the encrypted object ended " + left + " bytes early");
      }

      private void open() throws IOException {
        byte[] sealed = buffer.toByteArray();
        buffer.reset();
        if (sealed.length <= OVERHEAD) throw new IOException("a sealed segment of " + sealed.length + " bytes is too short");
        byte[] plain;
        try {
          Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
          c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key.bytes(), "AES"), new GCMParameterSpec(TAG * 8, sealed, 0, NONCE));
          c.updateAAD(aad(salt, segment++));
          plain = c.doFinal(sealed, NONCE, sealed.length - NONCE);
        } catch (GeneralSecurityException e) {
          throw new IOException("segment " + (segment - 1) + " of the encrypted object does not open: " + e.getMessage(), e);
        }
        int from = (int) Math.min(toSkip, plain.length);
        toSkip -= from;
        int n = (int) Math.min(left, plain.length - from);
        out.write(plain, from, n);
        left -= n;
      }
    };
  }
}
