package io.cairn.s3;

import java.util.Map;

/** Evaluates If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since (RFC 9110 order, as S3). */
public final class ConditionalRequest {
  /** What to do with a conditional request. */
  public enum Outcome { PROCEED, NOT_MODIFIED, PRECONDITION_FAILED }

  private ConditionalRequest() {}

  /**
   * @param headers lower-case request headers
   * @param prefix "" for GET/HEAD, "x-amz-copy-source-" for the source of a copy
   */
  public static Outcome evaluate(Map<String, String> headers, String prefix, ObjectInfo info) {
    long modifiedSeconds = info.lastModifiedMillis() / 1000;
    String ifMatch = headers.get(prefix + "if-match");
    String ifUnmodifiedSince = headers.get(prefix + "if-unmodified-since");
    if (ifMatch != null) {
      if (!etagMatches(ifMatch, info.etag())) return Outcome.PRECONDITION_FAILED;
    } else if (ifUnmodifiedSince != null) {
      long t = HttpDates.parseRfc1123(ifUnmodifiedSince);
      if (t >= 0 && modifiedSeconds > t / 1000) return Outcome.PRECONDITION_FAILED;
    }
    String ifNoneMatch = headers.get(prefix + "if-none-match");
    String ifModifiedSince = headers.get(prefix + "if-modified-since");
    if (ifNoneMatch != null) {
      if (etagMatches(ifNoneMatch, info.etag())) return Outcome.NOT_MODIFIED;
    } else if (ifModifiedSince != null) {
      long t = HttpDates.parseRfc1123(ifModifiedSince);
      if (t >= 0 && modifiedSeconds <= t / 1000) return Outcome.NOT_MODIFIED;
    }
    return Outcome.PROCEED;
  }

  /** Whether a comma-separated list of (quoted or weak) entity tags, or "*", names {@code etag}. */
  static boolean etagMatches(String header, String etag) {
    for (String candidate : header.split(",")) {
      String c = candidate.strip();
      if (c.equals("*")) return true;
      if (c.startsWith("W/")) c = c.substring(2);
      if (c.length() >= 2 && c.startsWith("\"") && c.endsWith("\"")) c = c.substring(1, c.length() - 1);
      if (c.equals(etag)) return true;
    }
    return false;
  }
}
