package io.cairn.s3;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** ListObjectsV2 and ListObjects (V1): prefix, delimiter roll-up into CommonPrefixes, pagination. */
final class ListOperations {
  /** Keys per listing page (S3's limit and default). */
  static final int MAX_KEYS_LIMIT = 1000;
  /** The version id S3 gives objects in a bucket that never had versioning. */
  static final String NULL_VERSION_ID = "null";
  /**
   * Appended to a common prefix to form a cursor after every key under it: U+10FFFF is the largest
   * code point, and 256 of them make the cursor longer than any legal key.
   */
  private static final String AFTER_ALL = "\uDBFF\uDFFF".repeat(256);

  /** One page of a listing. */
  record Page(List<ObjectInfo> contents, List<String> commonPrefixes, boolean truncated, String last, boolean lastIsPrefix) {}

  private final ObjectBackend backend;

  ListOperations(ObjectBackend backend) {
    this.backend = backend;
  }

  void listV2(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    QueryParameters q = ex.query();
    String prefix = q.firstOr("prefix", "");
    String delimiter = q.firstOr("delimiter", "");
    int maxKeys = maxKeys(q.first("max-keys"));
    boolean urlEncoding = encodingType(q.first("encoding-type"));
    String token = q.first("continuation-token");
    String startAfter = q.firstOr("start-after", "");
    String cursor;
    if (token != null && !token.isEmpty()) {
      ContinuationToken t = ContinuationToken.decode(token);
      cursor = t.commonPrefix() ? t.last() + AFTER_ALL : t.last();
    } else {
      cursor = startAfter;
    }
    boolean fetchOwner = "true".equals(q.first("fetch-owner"));
    Page page = page(bucket, prefix, delimiter, cursor, maxKeys);
    XmlWriter xml = XmlWriter.document("ListBucketResult");
    xml.element("Name", bucket).element("Prefix", encode(prefix, urlEncoding));
    if (token != null) xml.element("ContinuationToken", token);
    if (!startAfter.isEmpty()) xml.element("StartAfter", encode(startAfter, urlEncoding));
    xml.element("KeyCount", page.contents().size() + page.commonPrefixes().size()).element("MaxKeys", maxKeys);
    if (!delimiter.isEmpty()) xml.element("Delimiter", encode(delimiter, urlEncoding));
    if (urlEncoding) xml.element("EncodingType", "url");
    xml.element("IsTruncated", page.truncated());
    if (page.truncated()) {
      xml.element("NextContinuationToken", new ContinuationToken(page.last(), page.lastIsPrefix()).encode());
    }
    contents(xml, page, urlEncoding, fetchOwner ? backend.bucketAcl(bucket).owner() : null);
    ex.sendXml(200, xml.toBytes());
  }

  void listV1(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    QueryParameters q = ex.query();
    String prefix = q.firstOr("prefix", "");
    String delimiter = q.firstOr("delimiter", "");
    int maxKeys = maxKeys(q.first("max-keys"));
    boolean urlEncoding = encodingType(q.first("encoding-type"));
    String marker = q.firstOr("marker", "");
    String cursor = cursorAfterMarker(marker, prefix, delimiter);
    Page page = page(bucket, prefix, delimiter, cursor, maxKeys);
    XmlWriter xml = XmlWriter.document("ListBucketResult");
    xml.element("Name", bucket).element("Prefix", encode(prefix, urlEncoding))
        .element("Marker", encode(marker, urlEncoding)).element("MaxKeys", maxKeys);
    if (!delimiter.isEmpty()) xml.element("Delimiter", encode(delimiter, urlEncoding));
    if (urlEncoding) xml.element("EncodingType", "url");
    xml.element("IsTruncated", page.truncated());
    if (page.truncated()) xml.element("NextMarker", encode(page.last(), urlEncoding));
    contents(xml, page, urlEncoding, backend.bucketAcl(bucket).owner());
    ex.sendXml(200, xml.toBytes());
  }

  /**
   * ListObjectVersions for a bucket without versioning: every object is its own only version, with
   * the version id "null", as S3 reports objects written while versioning was never enabled.
   */
  void listVersions(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    String owner = backend.bucketAcl(bucket).owner();
    QueryParameters q = ex.query();
    String prefix = q.firstOr("prefix", "");
    String delimiter = q.firstOr("delimiter", "");
    int maxKeys = maxKeys(q.first("max-keys"));
    boolean urlEncoding = encodingType(q.first("encoding-type"));
    String keyMarker = q.firstOr("key-marker", "");
    String versionIdMarker = q.firstOr("version-id-marker", "");
    if (!versionIdMarker.isEmpty() && keyMarker.isEmpty()) {
      throw new S3Exception(S3Error.InvalidArgument, "a version-id-marker cannot be specified without a key-marker");
    }
    if (!versionIdMarker.isEmpty() && !versionIdMarker.equals(NULL_VERSION_ID)) {
      throw new S3Exception(S3Error.InvalidArgument, "invalid version id specified");
    }
    Page page = page(bucket, prefix, delimiter, cursorAfterMarker(keyMarker, prefix, delimiter), maxKeys);
    XmlWriter xml = XmlWriter.document("ListVersionsResult");
    xml.element("Name", bucket).element("Prefix", encode(prefix, urlEncoding))
        .element("KeyMarker", encode(keyMarker, urlEncoding)).element("VersionIdMarker", versionIdMarker)
        .element("MaxKeys", maxKeys);
    if (!delimiter.isEmpty()) xml.element("Delimiter", encode(delimiter, urlEncoding));
    if (urlEncoding) xml.element("EncodingType", "url");
    xml.element("IsTruncated", page.truncated());
    if (page.truncated()) {
      xml.element("NextKeyMarker", encode(page.last(), urlEncoding));
      if (!page.lastIsPrefix()) xml.element("NextVersionIdMarker", NULL_VERSION_ID);
    }
    for (ObjectInfo o : page.contents()) {
      xml.start("Version")
          .element("Key", encode(o.key(), urlEncoding))
          .element("VersionId", NULL_VERSION_ID)
          .element("IsLatest", true)
          .element("LastModified", HttpDates.iso8601(o.lastModifiedMillis()))
          .element("ETag", ObjectHeaders.quote(o.etag()));
      java.util.Optional<ObjectChecksum.Stored> checksum = ObjectChecksum.Stored.of(o.otherHeaders());
      if (checksum.isPresent()) {
        xml.element("ChecksumAlgorithm", checksum.get().algorithm().name()).element("ChecksumType", checksum.get().type().name());
      }
      xml.element("Size", SseC.visibleSize(o))
          .element("StorageClass", "STANDARD");
      xml.start("Owner").element("ID", owner).element("DisplayName", owner).end();
      xml.end();
    }
    for (String p : page.commonPrefixes()) xml.start("CommonPrefixes").element("Prefix", encode(p, urlEncoding)).end();
    ex.sendXml(200, xml.toBytes());
  }

  /**
   * The listing cursor after a V1 marker: a marker that is a common prefix (it ends with the
   * delimiter right after the prefix) skips every key under it.
   */
  private static String cursorAfterMarker(String marker, String prefix, String delimiter) {
    if (!delimiter.isEmpty() && marker.startsWith(prefix) && marker.endsWith(delimiter)
        && marker.indexOf(delimiter, prefix.length()) == marker.length() - delimiter.length()) {
      return marker + AFTER_ALL;
    }
    return marker;
  }

  /** Lists up to {@code maxKeys} keys and common prefixes after {@code cursor}. */
  Page page(String bucket, String prefix, String delimiter, String cursor, int maxKeys) throws S3Exception {
    List<ObjectInfo> contents = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    if (maxKeys == 0) {
      backend.headBucket(bucket);
      return new Page(contents, prefixes, false, "", false);
    }
    String last = "";
    boolean lastIsPrefix = false;
    boolean truncated = false;
    int count = 0;
    KeyListing listing = backend.listing(bucket, prefix, delimiter, cursor, Math.min(MAX_KEYS_LIMIT, maxKeys) + 1);
    while (true) {
      Optional<ObjectInfo> next = listing.next();
      if (next.isEmpty()) break;
      ObjectInfo o = next.get();
      String key = o.key();
      String commonPrefix = null;
      if (!delimiter.isEmpty()) {
        int at = key.indexOf(delimiter, prefix.length());
        if (at >= 0) commonPrefix = key.substring(0, at + delimiter.length());
      }
      if (count == maxKeys) {
        truncated = true;
        break;
      }
      count++;
      if (commonPrefix != null) {
        prefixes.add(commonPrefix);
        last = commonPrefix;
        lastIsPrefix = true;
        listing.skipTo(commonPrefix + AFTER_ALL); // every other key under it rolls up into it
        continue;
      }
      contents.add(o);
      last = key;
      lastIsPrefix = false;
    }
    return new Page(contents, prefixes, truncated, last, lastIsPrefix);
  }

  private static void contents(XmlWriter xml, Page page, boolean urlEncoding, String ownerOrNull) {
    for (ObjectInfo o : page.contents()) {
      xml.start("Contents")
          .element("Key", encode(o.key(), urlEncoding))
          .element("LastModified", HttpDates.iso8601(o.lastModifiedMillis()))
          .element("ETag", ObjectHeaders.quote(o.etag()));
      java.util.Optional<ObjectChecksum.Stored> checksum = ObjectChecksum.Stored.of(o.otherHeaders());
      if (checksum.isPresent()) {
        xml.element("ChecksumAlgorithm", checksum.get().algorithm().name()).element("ChecksumType", checksum.get().type().name());
      }
      xml.element("Size", SseC.visibleSize(o))
          .element("StorageClass", "STANDARD");
      if (ownerOrNull != null) xml.start("Owner").element("ID", ownerOrNull).element("DisplayName", ownerOrNull).end();
      xml.end();
    }
    for (String p : page.commonPrefixes()) xml.start("CommonPrefixes").element("Prefix", encode(p, urlEncoding)).end();
  }

  private static int maxKeys(String value) throws S3Exception {
    if (value == null) return MAX_KEYS_LIMIT;
    try {
      int v = Integer.parseInt(value.strip());
      if (v < 0) throw new NumberFormatException();
      return Math.min(v, MAX_KEYS_LIMIT);
    } catch (NumberFormatException e) {
      throw new S3Exception(S3Error.InvalidArgument, "max-keys must be a non-negative integer");
    }
  }

  private static boolean encodingType(String value) throws S3Exception {
    if (value == null) return false;
    if (value.equalsIgnoreCase("url")) return true;
    throw new S3Exception(S3Error.InvalidArgument, "invalid encoding-type '" + value + "': only 'url' is supported");
  }

  private static String encode(String s, boolean url) {
    return url ? SigV4Signer.uriEncode(s, true) : s;
  }
}
