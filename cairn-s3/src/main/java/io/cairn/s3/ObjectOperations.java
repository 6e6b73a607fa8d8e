package io.cairn.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

/** PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects and CopyObject. */
final class ObjectOperations {
  private static final Logger LOG = LoggerFactory.getLogger(ObjectOperations.class);
  /** S3's largest single PUT. */
  static final long PUT_BYTES_MAX = 5L * 1024 * 1024 * 1024;
  /** Keys per DeleteObjects request (S3's limit). */
  static final int DELETE_KEYS_MAX = 1000;
  /** Largest DeleteObjects body accepted. */
  static final int DELETE_XML_BYTES_MAX = 2 * 1024 * 1024;
  /** Buffer between the copy source reader and the copy destination writer. */
  static final int COPY_PIPE_BYTES = 1024 * 1024;

  private final ObjectBackend backend;
  /** The largest body of one PUT this gateway accepts (at most {@link #PUT_BYTES_MAX}). */
  private final long bodyBytesMax;

  ObjectOperations(ObjectBackend backend, long bodyBytesMax) {
    this.backend = backend;
    this.bodyBytesMax = bodyBytesMax;
  }

  /** A size in words for an error message: "5 GiB", "1048576 bytes". */
  static String describeBytes(long bytes) {
    long gib = 1024L * 1024 * 1024;
    return bytes % gib == 0 ? bytes / gib + " GiB" : bytes + " bytes";
  }

  void put(S3Exchange ex, Authentication auth, String bucket, String key) throws S3Exception, IOException {
    DecodedBody body = RequestBodyDecoder.open(ex, auth, true, Math.min(PUT_BYTES_MAX, bodyBytesMax),
        "an object of one PUT is at most " + describeBytes(Math.min(PUT_BYTES_MAX, bodyBytesMax)));
    java.util.Optional<SseC.Key> sse = SseC.fromHeaders(ex.headers(), SseC.PREFIX);
    PutRequest req = withChecksum(ObjectHeaders.putRequest(ex.headers(), body.length()), ex.headers(), sse.isPresent());
    ConditionalWrite.check(ex.headers(), backend, bucket, key);
    java.io.InputStream stream = body.stream();
    if (sse.isPresent()) {
      if (body.length() < 0) {
        throw new S3Exception(S3Error.MissingContentLength, "an SSE-C upload needs its length (Content-Length or x-amz-decoded-content-length)");
      }
      byte[] salt = SseC.newSalt();
      java.util.Map<String, String> headers = new java.util.LinkedHashMap<>(req.otherHeaders());
      headers.put(SseC.MARKER_HEADER, SseC.marker(sse.get(), salt, body.length()));
      req = new PutRequest(req.contentType(), req.userMetadata(), SseC.cipherLength(body.length()), headers);
      stream = SseC.encrypting(stream, sse.get(), salt);
    }
    ObjectInfo info = backend.putObject(bucket, key, req, stream);
    ex.setHeader("ETag", ObjectHeaders.quote(info.etag()));
    ObjectChecksum.Stored.of(info.otherHeaders()).ifPresent(c -> ObjectChecksum.write(ex, c));
    sse.ifPresent(k -> sseHeaders(ex, k));
    ObjectHeaders.writeEncryption(ex, info.otherHeaders());
    ObjectHeaders.writeExpiration(ex, backend, bucket, key, info);
    ex.sendEmpty(200);
  }

  /**
   * {@code req} with the checksum to keep of the body, if the request names an algorithm: the
   * value the client sent in a header (the body is checked against it as it is read), else the
   * algorithm, for the backend to compute as it stores the body. An SSE-C body reaches the backend
   * encrypted, so a checksum the client sends only in a trailer is not kept with it.
   */
  static PutRequest withChecksum(PutRequest req, java.util.Map<String, String> headers, boolean customerKey) throws S3Exception {
    BodyChecksum c = ObjectChecksum.requested(headers);
    if (c == null) return req;
    java.util.Map<String, String> other = new java.util.LinkedHashMap<>(req.otherHeaders());
    String sent = headers.get(c.headerName());
    if (sent != null) {
      other.put(ObjectChecksum.HEADER, new ObjectChecksum.Stored(c, ObjectChecksum.Type.FULL_OBJECT, sent.strip()).encode());
    } else if (!customerKey) {
      other.put(ObjectChecksum.ALGORITHM_HEADER, new ObjectChecksum.Algorithm(c, ObjectChecksum.Type.FULL_OBJECT).encode());
    } else {
      return req;
    }
    return new PutRequest(req.contentType(), req.userMetadata(), req.contentLength(), other);
  }

  private static void writeChecksum(S3Exchange ex, ObjectInfo stored, Slice slice) {
    java.util.Optional<ObjectChecksum.Stored> c = ObjectChecksum.Stored.of(stored.otherHeaders());
    if (c.isEmpty()) return;
    if (!slice.partial()) {
      ObjectChecksum.write(ex, c.get());
      return;
    }
    String[] each = ObjectChecksum.parts(stored.otherHeaders());
    String n = ex.query().first("partNumber");
    if (slice.partsCount() == 0 || each == null || n == null) return;
    int number = Integer.parseInt(n.strip());
    if (each.length == slice.partsCount() && number >= 1 && number <= each.length) {
      ObjectChecksum.write(ex, new ObjectChecksum.Stored(c.get().algorithm(), c.get().type(), each[number - 1]));
    }
  }

  /** Whether a GET or HEAD asks for the object's checksum ({@code x-amz-checksum-mode: ENABLED}). */
  static boolean checksumMode(S3Exchange ex) {
    String mode = ex.header("x-amz-checksum-mode");
    return mode != null && mode.strip().equalsIgnoreCase("ENABLED");
  }

  private static void sseHeaders(S3Exchange ex, SseC.Key k) {
    ex.setHeader("x-amz-server-side-encryption-customer-algorithm", "AES256");
    ex.setHeader("x-amz-server-side-encryption-customer-key-MD5", k.md5Base64());
  }

  /**
   * The customer key a read of {@code info} needs: InvalidRequest when an SSE-C object is read
   * without one or a plain object with one, AccessDenied for a key that is not the object's.
   */
  private static java.util.Optional<SseC.Key> readKey(S3Exchange ex, ObjectInfo info) throws S3Exception {
    java.util.Optional<SseC.Key> key = SseC.fromHeaders(ex.headers(), SseC.PREFIX);
    java.util.Optional<SseC.Marker> marker = SseC.markerOf(info);
    if (marker.isEmpty()) {
      if (key.isPresent()) {
        throw new S3Exception(S3Error.InvalidRequest, "the object was not stored with SSE-C: the encryption parameters do not apply to it");
      }
      return key;
    }
    if (key.isEmpty()) {
      throw new S3Exception(S3Error.InvalidRequest,
          "the object was stored with SSE-C: the request must send its customer key (x-amz-server-side-encryption-customer-*)");
    }
    if (!SseC.matches(key.get(), marker.get())) {
      throw new S3Exception(S3Error.AccessDenied, "the SSE-C key is not the key the object was stored with");
    }
    return key;
  }

  void get(S3Exchange ex, String bucket, String key, boolean withBody) throws S3Exception, IOException {
    ObjectHandle handle = withBody ? backend.openObject(bucket, key) : null;
    ObjectInfo stored = withBody ? handle.info() : backend.headObject(bucket, key);
    java.util.Optional<SseC.Key> sse = readKey(ex, stored);
    // An SSE-C object is served as its plaintext: its size and ranges are the plaintext's.
    ObjectInfo info = sse.isEmpty() ? stored : new ObjectInfo(stored.key(), SseC.visibleSize(stored), stored.etag(),
        stored.lastModifiedMillis(), stored.contentType(), stored.userMetadata(), stored.otherHeaders());
    switch (ConditionalRequest.evaluate(ex.headers(), "", info)) {
      case PRECONDITION_FAILED -> throw new S3Exception(S3Error.PreconditionFailed, "at least one of the pre-conditions you specified did not hold");
      case NOT_MODIFIED -> {
        ex.setHeader("ETag", ObjectHeaders.quote(info.etag()));
        ex.setHeader("Last-Modified", HttpDates.rfc1123(info.lastModifiedMillis()));
        ex.sendEmpty(304);
        return;
      }
      case PROCEED -> { }
    }
    Slice slice = partOrRange(ex, stored, info);
    ObjectHeaders.write(ex, info);
    ObjectHeaders.writeExpiration(ex, backend, bucket, key, stored);
    // The whole object's checksum, or a part's (kept of an object from an upload with a checksum):
    // a range goes without one, since a client checks what it got against it.
    if (checksumMode(ex)) writeChecksum(ex, stored, slice);
    sse.ifPresent(k -> sseHeaders(ex, k));
    long offset = slice.offset();
    long length = slice.length();
    if (slice.partsCount() > 0) ex.setHeader("x-amz-mp-parts-count", Integer.toString(slice.partsCount()));
    if (slice.partial() && length > 0) ex.setHeader("Content-Range", new ByteRange(offset, offset + length - 1).contentRange(info.size()));
    int status = slice.partial() ? 206 : 200;
    if (!withBody) {
      ex.setHeader("Content-Length", Long.toString(length));
      ex.sendEmpty(status);
      return;
    }
    try (OutputStream out = ex.startBody(status, length)) {
      if (length > 0 && sse.isPresent()) {
        SseC.Marker m = SseC.markerOf(stored).orElseThrow();
        long[] c = SseC.cipherRange(offset, length, m.plainLength());
        OutputStream plain = SseC.decrypting(out, sse.get(), m.salt(), c[2], offset - c[2] * SseC.SEGMENT, length);
        handle.writeTo(plain, c[0], c[1]);
        plain.close();
      } else if (length > 0) {
        handle.writeTo(out, offset, length);
      }
    }
  }

  /**
   * What a GET or HEAD serves of an object: all of it ({@code partial} false), a range of it, or
   * one part; {@code partsCount} is the object's parts when a part was asked for (0: not said).
   */
  private record Slice(long offset, long length, boolean partial, int partsCount) {}

  /**
   * The slice of {@code info} (as served: an SSE-C object's plaintext) that the request's
   * {@code Range} or {@code partNumber} asks for. With {@code partNumber}, as in S3: an object
   * completed from a multipart upload serves that part (206, with {@code x-amz-mp-parts-count});
   * one stored in one piece is its own part 1 (the whole object); a part past the last is
   * InvalidPart; a Range as well is InvalidRequest. A multipart object completed before its
   * parts' sizes were kept serves its whole self as part 1, and any later part is NotImplemented.
   */
  private static Slice partOrRange(S3Exchange ex, ObjectInfo stored, ObjectInfo info) throws S3Exception {
    String value = ex.query().first("partNumber");
    if (value == null) {
      Optional<ByteRange> range;
      try {
        range = ByteRange.parse(ex.header("range"), info.size());
      } catch (S3Exception e) {
        ex.setHeader("Content-Range", "bytes */" + info.size());
        throw e;
      }
      return range.map(r -> new Slice(r.first(), r.length(), true, 0)).orElse(new Slice(0, info.size(), false, 0));
    }
    int partNumber;
    try {
      partNumber = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      partNumber = 0;
    }
    if (partNumber < 1 || partNumber > MultipartOperations.PART_NUMBER_MAX) {
      throw new S3Exception(S3Error.InvalidArgument,
          "partNumber must be an integer between 1 and " + MultipartOperations.PART_NUMBER_MAX);
    }
    if (ex.header("range") != null) {
      throw new S3Exception(S3Error.InvalidRequest, "Cannot specify both Range header and partNumber query parameter");
    }
    ObjectParts parts = storedParts(stored);
    if (parts == null) {
      if (partNumber == 1) return new Slice(0, info.size(), false, 0);
      if (info.etag().indexOf('-') < 0) {
        throw new S3Exception(S3Error.InvalidPart, "the requested partnumber is not satisfiable: the object has one part");
      }
      throw new S3Exception(S3Error.NotImplemented,
          "this object was completed before Cairn kept its parts' sizes: only its part 1 (the whole object) can be read by number");
    }
    long[] part = parts.offsetAndLength(partNumber);
    if (part == null) {
      throw new S3Exception(S3Error.InvalidPart, "the requested partnumber is not satisfiable: the object has " + parts.count() + " parts");
    }
    if (parts.total() != info.size()) {
      throw new S3Exception(S3Error.InternalError, "the object's stored part sizes add up to " + parts.total() + " bytes, not its "
          + info.size());
    }
    return new Slice(part[0], part[1], true, parts.count());
  }

  /** The attributes GetObjectAttributes answers, as {@code x-amz-object-attributes} names them. */
  private static final java.util.Set<String> OBJECT_ATTRIBUTES = java.util.Set.of("ETag", "Checksum", "ObjectParts", "StorageClass",
      "ObjectSize");

  /**
   * GetObjectAttributes: what {@code x-amz-object-attributes} asks for of ETag (without quotes),
   * Checksum, ObjectParts, StorageClass and ObjectSize, from the object's metadata alone (Checksum
   * only of an object stored with one, as in S3). A multipart object's ObjectParts gives its parts' count and its
   * parts (number, size and, from an upload with a checksum, the part's), a page of them after {@code x-amz-part-number-marker}, at most
   * {@code x-amz-max-parts} (1,000 unless it says fewer); one completed before its parts' sizes
   * were kept gives the count only. An SSE-C object needs its key, and its size is the plaintext's.
   */
  void attributes(S3Exchange ex, String bucket, String key) throws S3Exception, IOException {
    String header = ex.header("x-amz-object-attributes");
    if (header == null || header.isBlank()) {
      throw new S3Exception(S3Error.InvalidArgument, "x-amz-object-attributes must name at least one of " + OBJECT_ATTRIBUTES);
    }
    java.util.Set<String> wanted = new java.util.HashSet<>();
    for (String a : header.split(",")) {
      String name = a.strip();
      if (!OBJECT_ATTRIBUTES.contains(name)) {
        throw new S3Exception(S3Error.InvalidArgument, "invalid attribute name specified: '" + name + "'; the attributes are " + OBJECT_ATTRIBUTES);
      }
      wanted.add(name);
    }
    ObjectInfo stored = backend.headObject(bucket, key);
    java.util.Optional<SseC.Key> sse = readKey(ex, stored);
    long size = sse.isEmpty() ? stored.size() : SseC.visibleSize(stored);
    XmlWriter xml = XmlWriter.document("GetObjectAttributesResponse");
    if (wanted.contains("ETag")) xml.element("ETag", stored.etag());
    java.util.Optional<ObjectChecksum.Stored> checksum = ObjectChecksum.Stored.of(stored.otherHeaders());
    if (wanted.contains("Checksum") && checksum.isPresent()) {
      xml.start("Checksum");
      ObjectChecksum.xml(xml, checksum.get());
      xml.end();
    }
    String[] partChecksums = checksum.isPresent() ? ObjectChecksum.parts(stored.otherHeaders()) : null;
    int dash = stored.etag().lastIndexOf('-');
    if (wanted.contains("ObjectParts") && dash > 0 && stored.etag().substring(dash + 1).chars().allMatch(Character::isDigit)) {
      xml.start("ObjectParts").element("PartsCount", Long.parseLong(stored.etag().substring(dash + 1)));
      ObjectParts parts = storedParts(stored);
      if (parts != null) {
        int marker = attributesNumber(ex, "x-amz-part-number-marker", 0, MultipartOperations.PART_NUMBER_MAX);
        int max = attributesNumber(ex, "x-amz-max-parts", 1000, 1000);
        int last = Math.min(parts.count(), marker + max);
        xml.element("PartNumberMarker", marker).element("NextPartNumberMarker", Math.max(marker, last)).element("MaxParts", max)
            .element("IsTruncated", last < parts.count());
        for (int n = marker + 1; n <= last; n++) {
          xml.start("Part").element("PartNumber", n).element("Size", parts.size(n));
          if (partChecksums != null && partChecksums.length == parts.count()) {
            xml.element(ObjectChecksum.element(checksum.get().algorithm()), partChecksums[n - 1]);
          }
          xml.end();
        }
      }
      xml.end();
    }
    if (wanted.contains("StorageClass")) xml.element("StorageClass", "STANDARD");
    if (wanted.contains("ObjectSize")) xml.element("ObjectSize", size);
    ex.setHeader("Last-Modified", HttpDates.rfc1123(stored.lastModifiedMillis()));
    ex.sendXml(200, xml.toBytes());
  }

  /** The parts kept with {@code stored}, or null for none; InternalError when what is stored cannot be read. */
  private static ObjectParts storedParts(ObjectInfo stored) throws S3Exception {
    try {
      return ObjectParts.of(stored.otherHeaders());
    } catch (RuntimeException e) {
      throw new S3Exception(S3Error.InternalError, "the object's stored part sizes cannot be read: " + e.getMessage());
    }
  }

  /** A whole number header of GetObjectAttributes, from 0 to {@code max}; {@code absent} when it is not sent. */
  private static int attributesNumber(S3Exchange ex, String header, int absent, int max) throws S3Exception {
    String v = ex.header(header);
    if (v == null) return absent;
    try {
      int n = Integer.parseInt(v.strip());
      if (n >= 0 && n <= max) return n;
    } catch (NumberFormatException e) {
      // refused below, with the header's name
    }
    throw new S3Exception(S3Error.InvalidArgument, header + " must be a whole number from 0 to " + max + ", not '" + v + "'");
  }

  /** GetObjectTagging: the object's tags in key order (an empty set when it has none). */
  void getTagging(S3Exchange ex, String bucket, String key) throws S3Exception, IOException {
    // In key order, as S3-compatible stores answer (s3-tests' test_put_obj_with_tags asks for it).
    ex.sendXml(200, ObjectTagging.xml(new java.util.TreeMap<>(ObjectTagging.of(backend.headObject(bucket, key)))));
  }

  /** PutObjectTagging: replaces the object's tags, its data and other metadata unchanged. */
  void putTagging(S3Exchange ex, Authentication auth, String bucket, String key) throws S3Exception, IOException {
    java.util.Map<String, String> tags = ObjectTagging.readBody(ex, auth);
    backend.setObjectTags(bucket, key, tags.isEmpty() ? null : ObjectTagging.encode(tags));
    ex.sendEmpty(200);
  }

  /** DeleteObjectTagging: the object keeps no tags. */
  void deleteTagging(S3Exchange ex, String bucket, String key) throws S3Exception, IOException {
    backend.setObjectTags(bucket, key, null);
    ex.sendEmpty(204);
  }

  void delete(S3Exchange ex, String bucket, String key) throws S3Exception, IOException {
    backend.deleteObject(bucket, key);
    ex.sendEmpty(204);
  }

  void deleteMany(S3Exchange ex, Authentication auth, String bucket, io.cairn.core.access.RequestContext ctx)
      throws S3Exception, IOException {
    DecodedBody body = RequestBodyDecoder.open(ex, auth, false, DELETE_XML_BYTES_MAX,
        "a Delete document is at most " + DELETE_XML_BYTES_MAX + " bytes");
    Element root = SafeXmlParser.parse(body.stream(), DELETE_XML_BYTES_MAX);
    if (!SafeXmlParser.name(root).equals("Delete")) {
      throw new S3Exception(S3Error.MalformedXML, "the body must be a Delete document");
    }
    boolean quiet = "true".equalsIgnoreCase(String.valueOf(SafeXmlParser.childText(root, "Quiet")).strip());
    List<Element> objects = SafeXmlParser.children(root, "Object");
    if (objects.isEmpty() || objects.size() > DELETE_KEYS_MAX) {
      throw new S3Exception(S3Error.MalformedXML, "a Delete document names 1 to " + DELETE_KEYS_MAX + " objects");
    }
    List<String[]> keys = new ArrayList<>(objects.size());
    for (Element o : objects) {
      String k = SafeXmlParser.childText(o, "Key");
      if (k == null) throw new S3Exception(S3Error.MalformedXML, "every Object needs a Key");
      keys.add(new String[] {k, SafeXmlParser.childText(o, "VersionId")});
    }
    backend.headBucket(bucket);
    XmlWriter xml = XmlWriter.document("DeleteResult");
    for (String[] entry : keys) {
      String k = entry[0], versionId = entry[1];
      try {
        ObjectKeyRule.check(k);
        backend.authorize(auth.accessKey(), bucket, k, S3Permission.WRITE, "s3:DeleteObject", ctx);
        if (versionId != null && !versionId.equals(ListOperations.NULL_VERSION_ID)) {
          throw new S3Exception(S3Error.NoSuchVersion, "the version " + versionId + " does not exist");
        }
        backend.deleteObject(bucket, k);
        if (!quiet) {
          xml.start("Deleted").element("Key", k);
          if (versionId != null) xml.element("VersionId", versionId);
          xml.end();
        }
      } catch (S3Exception e) {
        xml.start("Error").element("Key", k);
        if (versionId != null) xml.element("VersionId", versionId);
        xml.element("Code", e.error().name()).element("Message", e.getMessage()).end();
      }
    }
    ex.sendXml(200, xml.toBytes());
  }

  void copy(S3Exchange ex, String bucket, String key) throws S3Exception, IOException {
    String[] source = copySource(ex.header("x-amz-copy-source"));
    String directive = ex.headers().getOrDefault("x-amz-metadata-directive", "COPY").strip();
    if (!directive.equals("COPY") && !directive.equals("REPLACE")) {
      throw new S3Exception(S3Error.InvalidArgument, "x-amz-metadata-directive must be COPY or REPLACE");
    }
    String tagDirective = ex.headers().getOrDefault("x-amz-tagging-directive", "COPY").strip();
    if (!tagDirective.equals("COPY") && !tagDirective.equals("REPLACE")) {
      throw new S3Exception(S3Error.InvalidArgument, "x-amz-tagging-directive must be COPY or REPLACE");
    }
    if (source[0].equals(bucket) && source[1].equals(key) && directive.equals("COPY") && ex.header(ObjectHeaders.SSE) == null) {
      throw new S3Exception(S3Error.InvalidRequest,
          "this copy request is illegal because it is trying to copy an object to itself without changing the object's metadata");
    }
    ObjectHandle handle = backend.openObject(source[0], source[1]);
    ObjectInfo src = handle.info();
    refuseSseCSource(src);
    if (ConditionalRequest.evaluate(ex.headers(), "x-amz-copy-source-", src) != ConditionalRequest.Outcome.PROCEED) {
      throw new S3Exception(S3Error.PreconditionFailed, "at least one of the pre-conditions you specified did not hold");
    }
    if (src.size() > PUT_BYTES_MAX) {
      throw new S3Exception(S3Error.InvalidRequest, "the source is larger than the maximum allowable size for a copy");
    }
    PutRequest req;
    if (directive.equals("COPY")) {
      // The copy's encryption is its own request's (or its bucket's default), never the source's.
      java.util.Map<String, String> headers = new java.util.LinkedHashMap<>(src.otherHeaders());
      headers.keySet().removeIf(h -> h.equals(ObjectHeaders.SSE)
          || h.regionMatches(true, 0, ObjectHeaders.INTERNAL_PREFIX, 0, ObjectHeaders.INTERNAL_PREFIX.length()));
      String sse = ex.header(ObjectHeaders.SSE);
      if (sse != null) headers.put(ObjectHeaders.SSE, sse.strip());
      req = new PutRequest(src.contentType(), src.userMetadata(), src.size(), headers);
    } else {
      req = ObjectHeaders.putRequest(ex.headers(), src.size());
    }
    // The copy's tags: the source's (COPY, the default), or those the request sends (REPLACE).
    java.util.Map<String, String> copyHeaders = new java.util.LinkedHashMap<>(req.otherHeaders());
    copyHeaders.remove(ObjectTagging.STORED);
    String tags = tagDirective.equals("COPY") ? src.otherHeaders().get(ObjectTagging.STORED)
        : ObjectHeaders.storedTags(ex.headers());
    if (tags != null) copyHeaders.put(ObjectTagging.STORED, tags);
    // The copy's ACL: its own request's, never the source's.
    copyHeaders.remove(ObjectHeaders.ACL);
    if (AclOperations.publicReadOnObjectWrite(ex.headers())) copyHeaders.put(ObjectHeaders.ACL, ObjectHeaders.PUBLIC_READ);
    // The copy's checksum: of the algorithm the request names, else the source's, computed anew over the whole copy.
    String asked = ex.header("x-amz-checksum-algorithm");
    BodyChecksum checksum = asked != null && !asked.isBlank() ? ObjectChecksum.named(asked, "x-amz-checksum-algorithm")
        : ObjectChecksum.Stored.of(src.otherHeaders()).map(ObjectChecksum.Stored::algorithm).orElse(null);
    copyHeaders.remove(ObjectChecksum.HEADER);
    copyHeaders.remove(ObjectChecksum.PARTS_HEADER);
    if (checksum != null) {
      copyHeaders.put(ObjectChecksum.ALGORITHM_HEADER, new ObjectChecksum.Algorithm(checksum, ObjectChecksum.Type.FULL_OBJECT).encode());
    }
    req = new PutRequest(req.contentType(), req.userMetadata(), req.contentLength(), copyHeaders);
    PutRequest request = req;
    ObjectInfo stored = copyThroughPipe(handle, 0, src.size(), ex.requestId(),
        body -> backend.putObject(bucket, key, request, body));
    ObjectHeaders.writeEncryption(ex, stored.otherHeaders());
    ObjectHeaders.writeExpiration(ex, backend, bucket, key, stored);
    XmlWriter xml = XmlWriter.document("CopyObjectResult")
        .element("LastModified", HttpDates.iso8601(stored.lastModifiedMillis()))
        .element("ETag", ObjectHeaders.quote(stored.etag()));
    ObjectChecksum.Stored.of(stored.otherHeaders()).ifPresent(c -> ObjectChecksum.xml(xml, c));
    ex.sendXml(200, xml.toBytes());
  }

  /** Copying an SSE-C object (or a part of one) is not implemented. */
  static void refuseSseCSource(ObjectInfo src) throws S3Exception {
    if (SseC.markerOf(src).isPresent()) {
      throw new S3Exception(S3Error.NotImplemented, "copying an object stored with SSE-C is not implemented");
    }
  }

  /** What receives the bytes of a copy. */
  @FunctionalInterface
  interface CopyTarget<T> {
    T write(InputStream body) throws S3Exception, IOException;
  }

  /**
   * Streams {@code length} bytes of {@code source} from {@code offset} into {@code target} through a
   * bounded pipe: a virtual thread writes the source, the caller's thread runs the target. A source
   * failure reaches the target as an error, never as a short body.
   */
  static <T> T copyThroughPipe(ObjectHandle source, long offset, long length, String requestId, CopyTarget<T> target)
      throws S3Exception, IOException {
    BoundedPipe pipe = new BoundedPipe(COPY_PIPE_BYTES);
    Thread writer = Thread.ofVirtual().name("s3-copy-" + requestId).start(() -> {
      OutputStream out = pipe.output();
      try {
        if (length > 0) source.writeTo(out, offset, length);
        out.close();
      } catch (Throwable t) {
        pipe.fail(t);
      }
    });
    InputStream in = pipe.input();
    try {
      return target.write(new LengthCheckingInputStream(in, length));
    } finally {
      in.close();
      try {
        writer.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        LOG.warn("request {}: interrupted while waiting for the copy source", requestId);
      }
    }
  }

  /** Splits x-amz-copy-source ("/bucket/key" or "bucket/key", URL-encoded) into bucket and key. */
  static String[] copySource(String header) throws S3Exception {
    String s = header.strip();
    int q = s.indexOf('?');
    if (q >= 0) s = s.substring(0, q);
    s = QueryParameters.decode(s, false);
    if (s.startsWith("/")) s = s.substring(1);
    int slash = s.indexOf('/');
    if (slash <= 0 || slash == s.length() - 1) {
      throw new S3Exception(S3Error.InvalidArgument, "x-amz-copy-source must be <bucket>/<key>");
    }
    String key = s.substring(slash + 1);
    ObjectKeyRule.check(key);
    return new String[] {s.substring(0, slash), key};
  }
}
