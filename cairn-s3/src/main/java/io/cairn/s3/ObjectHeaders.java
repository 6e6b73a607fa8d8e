package io.cairn.s3;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Object metadata carried in HTTP headers: reading it from a PUT, writing it on a GET or HEAD. */
public final class ObjectHeaders {
  /** S3's limit on the total size of user metadata (names and values, UTF-8). */
  public static final int USER_METADATA_BYTES_MAX = 2048;
  public static final String DEFAULT_CONTENT_TYPE = "binary/octet-stream";
  /** Standard headers stored verbatim with the object. */
  public static final List<String> STORED_HEADERS =
      List.of("Content-Encoding", "Content-Disposition", "Cache-Control", "Expires", "Content-Language");
  static final String META_PREFIX = "x-amz-meta-";
  /** SSE-S3: asked for on a write, answered on every response about an encrypted object. */
  public static final String SSE = "x-amz-server-side-encryption";
  /** Stored headers that are the gateway's own and never reach a client start with this. */
  public static final String INTERNAL_PREFIX = "X-Cairn-";
  /**
   * Stored with an object that anyone may read (the canned ACL {@code public-read}, set by its
   * write or by PutObjectAcl), with the value {@link #PUBLIC_READ}; absent from a private one.
   */
  public static final String ACL = INTERNAL_PREFIX + "Acl";
  public static final String PUBLIC_READ = "public-read";

  private ObjectHeaders() {}

  /** The metadata of a PUT, POST ?uploads or CopyObject with REPLACE. */
  public static PutRequest putRequest(Map<String, String> headers, long contentLength) throws S3Exception {
    String contentType = headers.getOrDefault("content-type", DEFAULT_CONTENT_TYPE);
    Map<String, String> meta = new LinkedHashMap<>();
    int metaBytes = 0;
    for (var e : headers.entrySet()) {
      if (e.getKey().startsWith(META_PREFIX)) {
        String name = e.getKey().substring(META_PREFIX.length());
        meta.put(name, e.getValue());
        metaBytes += name.getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
      }
    }
    if (metaBytes > USER_METADATA_BYTES_MAX) {
      throw new S3Exception(S3Error.InvalidArgument,
          "your metadata headers exceed the maximum allowed metadata size of " + USER_METADATA_BYTES_MAX + " bytes");
    }
    Map<String, String> other = new LinkedHashMap<>();
    for (String name : STORED_HEADERS) {
      String value = headers.get(name.toLowerCase(Locale.ROOT));
      if (name.equals("Content-Encoding") && value != null) value = withoutAwsChunked(value);
      if (value != null && !value.isEmpty()) other.put(name, value);
    }
    String sse = headers.get(SSE);
    if (sse != null) other.put(SSE, sse.strip());
    String tags = storedTags(headers);
    if (tags != null) other.put(ObjectTagging.STORED, tags);
    if (AclOperations.publicReadOnObjectWrite(headers)) other.put(ACL, PUBLIC_READ);
    return new PutRequest(contentType, meta, contentLength, other);
  }

  /** The tags a request's {@code x-amz-tagging} header sets, as they are stored; null for none. */
  static String storedTags(java.util.Map<String, String> headers) throws S3Exception {
    String tagging = headers.get(ObjectTagging.HEADER);
    if (tagging == null) return null;
    java.util.Map<String, String> tags = ObjectTagging.fromHeader(tagging);
    return tags.isEmpty() ? null : ObjectTagging.encode(tags);
  }

  /** Writes the metadata headers of an object to a GET or HEAD response, with response-* overrides. */
  public static void write(S3Exchange ex, ObjectInfo info) {
    ex.setHeader("ETag", quote(info.etag()));
    ex.setHeader("Last-Modified", HttpDates.rfc1123(info.lastModifiedMillis()));
    ex.setHeader("Accept-Ranges", "bytes");
    ex.setHeader("Content-Type", info.contentType() == null ? DEFAULT_CONTENT_TYPE : info.contentType());
    for (var e : info.userMetadata().entrySet()) ex.setHeader(META_PREFIX + e.getKey(), e.getValue());
    for (var e : info.otherHeaders().entrySet()) {
      if (!e.getKey().regionMatches(true, 0, INTERNAL_PREFIX, 0, INTERNAL_PREFIX.length())) ex.setHeader(e.getKey(), e.getValue());
    }
    int tags = ObjectTagging.of(info).size();
    if (tags > 0) ex.setHeader("x-amz-tagging-count", Integer.toString(tags));
    QueryParameters q = ex.query();
    override(ex, q, "response-content-type", "Content-Type");
    override(ex, q, "response-content-language", "Content-Language");
    override(ex, q, "response-expires", "Expires");
    override(ex, q, "response-cache-control", "Cache-Control");
    override(ex, q, "response-content-disposition", "Content-Disposition");
    override(ex, q, "response-content-encoding", "Content-Encoding");
  }

  /** When a lifecycle rule expires an object, and which: {@code expiry-date="<RFC 1123 date>", rule-id="<ID>"}. */
  public static final String EXPIRATION = "x-amz-expiration";

  /**
   * Sets {@link #EXPIRATION} on a response about object {@code key}, {@code info} (a GET, a HEAD, or the write
   * that stored it) when an enabled rule of its bucket's lifecycle expires it, as S3 does. A
   * backend without lifecycle rules sets nothing.
   */
  static void writeExpiration(S3Exchange ex, ObjectBackend backend, String bucket, String key, ObjectInfo info) throws S3Exception {
    java.util.Optional<String> json;
    try {
      json = backend.bucketLifecycle(bucket);
    } catch (S3Exception e) {
      if (e.error() == S3Error.NotImplemented) return;
      throw e;
    }
    if (json.isEmpty()) return;
    io.cairn.core.access.BucketLifecycle.expiry(io.cairn.core.access.BucketLifecycle.parse(json.get()), key, info.size(),
            info.lastModifiedMillis(), ObjectTagging.of(info), backend.lifecycleDayMillis())
        .ifPresent(e -> ex.setHeader(EXPIRATION, "expiry-date=\"" + HttpDates.rfc1123(e.atMillis()) + "\", rule-id=\""
            + e.ruleId().replace("\\", "\\\\").replace("\"", "\\\"") + "\""));
  }

  /** Answers a write with the server-side encryption the stored object got, if any. */
  public static void writeEncryption(S3Exchange ex, java.util.Map<String, String> storedHeaders) {
    String sse = storedHeaders.get(SSE);
    if (sse != null) ex.setHeader(SSE, sse);
  }

  public static String quote(String etag) {
    return "\"" + etag + "\"";
  }

  private static void override(S3Exchange ex, QueryParameters q, String param, String header) {
    String v = q.first(param);
    if (v != null) ex.setHeader(header, v);
  }

  private static String withoutAwsChunked(String contentEncoding) {
    StringBuilder sb = new StringBuilder();
    for (String part : contentEncoding.split(",")) {
      String p = part.strip();
      if (p.isEmpty() || p.equalsIgnoreCase("aws-chunked")) continue;
      if (!sb.isEmpty()) sb.append(',');
      sb.append(part);
    }
    return sb.toString().strip();
  }
}
