package io.cairn.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The checksum S3 keeps of an object ({@code x-amz-checksum-*}), as the gateway stores it in the
 * object's headers.
 * <p>
 * A write that names an algorithm (a checksum header, a checksum trailer, or
 * {@code x-amz-sdk-checksum-algorithm}) carries {@link #ALGORITHM_HEADER} to the backend, which
 * computes the checksum of the body as it stores it ({@link #computing}) and keeps it under
 * {@link #HEADER} instead ({@link Computing#finish}). A multipart upload keeps the algorithm and
 * its type; each part's checksum is kept with the part; completing it keeps, as S3 does, either
 * the checksum of the parts' checksums with {@code -N} appended (COMPOSITE) or, for the CRCs, the
 * checksum of the whole object combined from the parts' (FULL_OBJECT).
 */
public final class ObjectChecksum {
  /** An object's checksum: {@code ALGORITHM TYPE BASE64}, e.g. {@code CRC32 FULL_OBJECT AAAAAA==}. */
  public static final String HEADER = ObjectHeaders.INTERNAL_PREFIX + "Checksum";
  /** What to compute, or an upload's algorithm: {@code ALGORITHM TYPE}, e.g. {@code SHA256 COMPOSITE}. */
  public static final String ALGORITHM_HEADER = ObjectHeaders.INTERNAL_PREFIX + "Checksum-Algorithm";
  /** The parts' checksums of an object completed from an upload with a checksum, base64, comma-separated. */
  public static final String PARTS_HEADER = ObjectHeaders.INTERNAL_PREFIX + "Part-Checksums";
  /** The algorithms of {@code x-amz-checksum-*} (every body checksum but Content-MD5's). */
  public static final List<BodyChecksum> ALGORITHMS = java.util.Arrays.stream(BodyChecksum.values())
      .filter(c -> c != BodyChecksum.MD5).toList();
  /** Parts whose checksums an object keeps at most (GetObjectAttributes lists them). */
  public static final int PARTS_KEPT_MAX = 1000;

  /** How the checksum of a multipart object is made; a single PUT's is FULL_OBJECT. */
  public enum Type { FULL_OBJECT, COMPOSITE }

  /** A kept checksum; {@code value} is base64, with {@code -N} for a COMPOSITE of N parts. */
  public record Stored(BodyChecksum algorithm, Type type, String value) {
    public String encode() {
      return algorithm + " " + type + " " + value;
    }

    /** The checksum kept in {@code headers}, if any. */
    public static Optional<Stored> of(Map<String, String> headers) {
      String v = headers.get(HEADER);
      return v == null ? Optional.empty() : Optional.of(decode(v));
    }

    /** The checksum {@link #encode} wrote. */
    public static Stored decode(String v) {
      String[] f = v.split(" ");
      if (f.length != 3) throw new IllegalStateException("a stored checksum is not ALGORITHM TYPE VALUE: " + v);
      return new Stored(BodyChecksum.valueOf(f[0]), Type.valueOf(f[1]), f[2]);
    }
  }

  /** An algorithm with the type of checksum to make of it. */
  public record Algorithm(BodyChecksum algorithm, Type type) {
    public String encode() {
      return algorithm + " " + type;
    }

    public static Optional<Algorithm> of(Map<String, String> headers) {
      String v = headers.get(ALGORITHM_HEADER);
      if (v == null) return Optional.empty();
      String[] f = v.split(" ");
      if (f.length != 2) throw new IllegalStateException("a stored checksum algorithm is not ALGORITHM TYPE: " + v);
      return Optional.of(new Algorithm(BodyChecksum.valueOf(f[0]), Type.valueOf(f[1])));
    }
  }

  private ObjectChecksum() {}

  /**
   * The algorithm a write names: by a checksum header ({@code x-amz-checksum-crc32: ...}), its
   * trailer ({@code x-amz-trailer}), {@code x-amz-sdk-checksum-algorithm} or
   * {@code x-amz-checksum-algorithm}; null if none. InvalidRequest if they name two.
   */
  public static BodyChecksum requested(Map<String, String> headers) throws S3Exception {
    BodyChecksum found = null;
    for (BodyChecksum c : ALGORITHMS) {
      if (headers.containsKey(c.headerName())) found = agree(found, c);
    }
    String trailer = headers.get("x-amz-trailer");
    BodyChecksum trailed = trailer == null ? null : BodyChecksum.fromHeaderName(trailer);
    if (trailed != null) found = agree(found, trailed);
    for (String h : List.of("x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm")) {
      String v = headers.get(h);
      if (v != null && !v.isBlank()) found = agree(found, named(v, h));
    }
    return found;
  }

  /** The algorithm a header value such as {@code CRC32} names. */
  public static BodyChecksum named(String value, String header) throws S3Exception {
    String v = value.strip().toUpperCase(Locale.ROOT);
    for (BodyChecksum c : ALGORITHMS) {
      if (c.name().equals(v)) return c;
    }
    throw new S3Exception(S3Error.InvalidRequest, "unknown checksum algorithm in " + header + ": " + value.strip()
        + " (CRC32, CRC32C, CRC64NVME, SHA1 or SHA256)");
  }

  private static BodyChecksum agree(BodyChecksum a, BodyChecksum b) throws S3Exception {
    if (a != null && a != b) {
      throw new S3Exception(S3Error.InvalidRequest, "the request names two checksum algorithms: " + a + " and " + b);
    }
    return b;
  }

  /**
   * The type a CreateMultipartUpload with {@code algorithm} asks for ({@code x-amz-checksum-type}):
   * by default COMPOSITE, but FULL_OBJECT for CRC64NVME (the only type S3 has for it); a SHA
   * cannot be FULL_OBJECT.
   */
  public static Type uploadType(BodyChecksum algorithm, String typeHeader) throws S3Exception {
    if (typeHeader == null || typeHeader.isBlank()) {
      return algorithm == BodyChecksum.CRC64NVME ? Type.FULL_OBJECT : Type.COMPOSITE;
    }
    Type t;
    try {
      t = Type.valueOf(typeHeader.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new S3Exception(S3Error.InvalidRequest, "x-amz-checksum-type must be COMPOSITE or FULL_OBJECT");
    }
    if (t == Type.FULL_OBJECT && !isCrc(algorithm)) {
      throw new S3Exception(S3Error.InvalidRequest, "the checksum type FULL_OBJECT is for CRC32, CRC32C and CRC64NVME, not " + algorithm);
    }
    if (t == Type.COMPOSITE && algorithm == BodyChecksum.CRC64NVME) {
      throw new S3Exception(S3Error.InvalidRequest, "the checksum type COMPOSITE is not supported for CRC64NVME");
    }
    return t;
  }

  static boolean isCrc(BodyChecksum c) {
    return c == BodyChecksum.CRC32 || c == BodyChecksum.CRC32C || c == BodyChecksum.CRC64NVME;
  }

  /**
   * For a backend: {@code body} with its checksum computed as it is read, if {@code headers}
   * (a write's, to be stored) carry {@link #ALGORITHM_HEADER}; else null.
   */
  public static Computing computing(Map<String, String> headers, InputStream body) {
    return Algorithm.of(headers).map(a -> new Computing(body, a.algorithm())).orElse(null);
  }

  /** A body whose checksum is computed as it passes. */
  public static final class Computing extends FilterInputStream {
    private final BodyChecksum algorithm;
    private final BodyChecksum.State state;
    private byte[] value;

    public Computing(InputStream in, BodyChecksum algorithm) {
      super(in);
      this.algorithm = algorithm;
      this.state = algorithm.newState();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) state.update(b, off, n);
      return n;
    }

    @Override
    public long skip(long n) {
      throw new UnsupportedOperationException("a checksummed body is read, not skipped");
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    /** The checksum of everything read; call once the body was read to its end. */
    public byte[] value() {
      if (value == null) value = state.finish();
      return value;
    }

    /** Puts the checksum of the body, read to its end, in {@code headers} in place of the algorithm asked for. */
    public void finish(Map<String, String> headers) {
      headers.remove(ALGORITHM_HEADER);
      headers.put(HEADER, new Stored(algorithm, Type.FULL_OBJECT, Base64.getEncoder().encodeToString(value())).encode());
    }
  }

  /** A part's checksum, as kept with it and sent back: base64. */
  public static String base64(byte[] checksum) {
    return Base64.getEncoder().encodeToString(checksum);
  }

  /**
   * The checksum of an object made of parts with these checksums (base64) and sizes: for
   * COMPOSITE, the checksum of their bytes one after another, with {@code -N}; for FULL_OBJECT, the
   * CRC of the whole object, combined from the parts'.
   */
  public static Stored ofParts(Algorithm a, List<String> partChecksums, List<Long> partSizes) {
    if (a.type() == Type.COMPOSITE) {
      BodyChecksum.State s = a.algorithm().newState();
      for (String c : partChecksums) {
        byte[] b = Base64.getDecoder().decode(c);
        s.update(b, 0, b.length);
      }
      return new Stored(a.algorithm(), Type.COMPOSITE, base64(s.finish()) + "-" + partChecksums.size());
    }
    CrcCombine crc = CrcCombine.of(a.algorithm());
    long whole = 0;
    for (int i = 0; i < partChecksums.size(); i++) {
      long part = crc.fromBytes(Base64.getDecoder().decode(partChecksums.get(i)));
      whole = i == 0 ? part : crc.combine(whole, part, partSizes.get(i));
    }
    return new Stored(a.algorithm(), Type.FULL_OBJECT, base64(crc.toBytes(whole)));
  }

  /** The headers a response carries for a kept checksum ({@code x-amz-checksum-crc32} and {@code x-amz-checksum-type}). */
  public static void write(S3Exchange ex, Stored s) {
    ex.setHeader(s.algorithm().headerName(), s.value());
    ex.setHeader("x-amz-checksum-type", s.type().name());
  }

  /** The elements a response body gives a kept checksum by: {@code ChecksumCRC32} (say) and {@code ChecksumType}. */
  static void xml(XmlWriter xml, Stored s) {
    xml.element(element(s.algorithm()), s.value()).element("ChecksumType", s.type().name());
  }

  /** The parts' checksums kept in {@code headers} (an object's), in part order, or null. */
  static String[] parts(Map<String, String> headers) {
    String v = headers.get(PARTS_HEADER);
    return v == null ? null : v.split(",");
  }

  /** The element a response body names a checksum by, e.g. {@code ChecksumCRC32}. */
  public static String element(BodyChecksum c) {
    return "Checksum" + c.name();
  }
}
