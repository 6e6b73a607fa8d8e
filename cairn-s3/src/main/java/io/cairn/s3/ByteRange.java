package io.cairn.s3;

import java.util.Optional;

/** One satisfiable byte range of an object, {@code first..last} inclusive. */
public record ByteRange(long first, long last) {
  public ByteRange {
    if (first < 0 || last < first) throw new IllegalArgumentException("bad range " + first + "-" + last);
  }

  public long length() {
    return last - first + 1;
  }

  /** The Content-Range header value for an object of {@code size} bytes. */
  public String contentRange(long size) {
    return "bytes " + first + "-" + last + "/" + size;
  }

  /**
   * Parses a Range header ({@code bytes=a-b}, {@code bytes=a-}, {@code bytes=-n}) against an object
   * of {@code size} bytes. Empty means serve the whole object: no header, a header S3 ignores
   * (malformed, another unit, several ranges). Throws InvalidRange when the range is unsatisfiable.
   */
  public static Optional<ByteRange> parse(String header, long size) throws S3Exception {
    if (header == null) return Optional.empty();
    String h = header.strip();
    if (!h.startsWith("bytes=")) return Optional.empty();
    String spec = h.substring("bytes=".length()).strip();
    if (spec.indexOf(',') >= 0) return Optional.empty();
    int dash = spec.indexOf('-');
    if (dash < 0) return Optional.empty();
    String a = spec.substring(0, dash).strip(), b = spec.substring(dash + 1).strip();
    long first, last;
    try {
      if (a.isEmpty()) {
        if (b.isEmpty()) return Optional.empty();
        long suffix = parseDigits(b);
        if (suffix == 0 || size == 0) throw unsatisfiable(header, size);
        first = Math.max(0, size - suffix);
        last = size - 1;
      } else {
        first = parseDigits(a);
        last = b.isEmpty() ? Long.MAX_VALUE : parseDigits(b);
        if (last < first) return Optional.empty();
        if (first >= size) throw unsatisfiable(header, size);
        last = Math.min(last, size - 1);
      }
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    return Optional.of(new ByteRange(first, last));
  }

  private static long parseDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') throw new NumberFormatException(s);
    }
    return Long.parseLong(s);
  }

  private static S3Exception unsatisfiable(String header, long size) {
    return new S3Exception(S3Error.InvalidRange,
        "the requested range '" + header + "' is not satisfiable for an object of " + size + " bytes");
  }
}
