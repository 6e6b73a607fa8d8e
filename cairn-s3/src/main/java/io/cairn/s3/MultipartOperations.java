package io.cairn.s3;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.w3c.dom.Element;

/** CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads. */
final class MultipartOperations {
  /** The only form x-amz-copy-source-range takes: both ends given. */
  private static final Pattern COPY_RANGE = Pattern.compile("bytes=(\\d{1,19})-(\\d{1,19})");
  /** Part numbers run from 1 to this (S3's limit). */
  static final int PART_NUMBER_MAX = 10_000;
  /** Largest part (S3's limit). */
  static final long PART_BYTES_MAX = 5L * 1024 * 1024 * 1024;
  /** Largest CompleteMultipartUpload body accepted. */
  static final int COMPLETE_XML_BYTES_MAX = 4 * 1024 * 1024;
  /** Entries per ListParts / ListMultipartUploads page. */
  static final int LIST_MAX = 1000;

  private final ObjectBackend backend;

  /** The largest body of one part this gateway accepts (at most {@link #PART_BYTES_MAX}). */
  private final long bodyBytesMax;

  MultipartOperations(ObjectBackend backend, long bodyBytesMax) {
    this.bodyBytesMax = bodyBytesMax;
    this.backend = backend;
  }

  void create(S3Exchange ex, String bucket, String key) throws S3Exception, IOException {
    PutRequest req = ObjectHeaders.putRequest(ex.headers(), -1);
    // The upload's checksum: each part's is kept, and the object's made of them on completion.
    BodyChecksum checksum = ObjectChecksum.requested(ex.headers());
    String typeHeader = ex.header("x-amz-checksum-type");
    ObjectChecksum.Algorithm algorithm = null;
    if (checksum != null) {
      algorithm = new ObjectChecksum.Algorithm(checksum, ObjectChecksum.uploadType(checksum, typeHeader));
      java.util.Map<String, String> other = new java.util.LinkedHashMap<>(req.otherHeaders());
      other.put(ObjectChecksum.ALGORITHM_HEADER, algorithm.encode());
      req = new PutRequest(req.contentType(), req.userMetadata(), req.contentLength(), other);
    } else if (typeHeader != null && !typeHeader.isBlank()) {
      throw new S3Exception(S3Error.InvalidRequest, "x-amz-checksum-type needs x-amz-checksum-algorithm");
    }
    String uploadId = backend.createMultipartUpload(bucket, key, req);
    if (algorithm != null) {
      ex.setHeader("x-amz-checksum-algorithm", algorithm.algorithm().name());
      ex.setHeader("x-amz-checksum-type", algorithm.type().name());
    }
    // The upload is encrypted if it asked to be, or by its bucket's default (unless it brought its own key).
    if (!req.otherHeaders().containsKey(ObjectHeaders.SSE) && backend.sseS3Available()
        && ex.header(SseC.PREFIX + "algorithm") == null) {
      backend.bucketEncryption(bucket).ifPresent(a -> ex.setHeader(ObjectHeaders.SSE, a));
    }
    ObjectHeaders.writeEncryption(ex, req.otherHeaders());
    ex.sendXml(200, XmlWriter.document("InitiateMultipartUploadResult")
        .element("Bucket", bucket).element("Key", key).element("UploadId", uploadId).toBytes());
  }

  void uploadPart(S3Exchange ex, Authentication auth, String bucket, String key) throws S3Exception, IOException {
    String uploadId = ex.query().first("uploadId");
    int partNumber = partNumber(ex.query().first("partNumber"));
    if (ex.header("x-amz-copy-source") != null) {
      uploadPartCopy(ex, bucket, key, uploadId, partNumber);
      return;
    }
    DecodedBody body = RequestBodyDecoder.open(ex, auth, true, Math.min(PART_BYTES_MAX, bodyBytesMax), "a part is at most "
        + ObjectOperations.describeBytes(Math.min(PART_BYTES_MAX, bodyBytesMax)));
    PartInfo part = backend.uploadPart(bucket, key, uploadId, partNumber, body.length(), body.stream(),
        ObjectChecksum.requested(ex.headers()));
    ex.setHeader("ETag", ObjectHeaders.quote(part.etag()));
    if (part.checksum() != null) ex.setHeader(part.checksum().algorithm().headerName(), part.checksum().value());
    ex.sendEmpty(200);
  }

  private void uploadPartCopy(S3Exchange ex, String bucket, String key, String uploadId, int partNumber)
      throws S3Exception, IOException {
    String[] source = ObjectOperations.copySource(ex.header("x-amz-copy-source"));
    backend.listParts(bucket, key, uploadId);
    ObjectHandle handle = backend.openObject(source[0], source[1]);
    ObjectInfo src = handle.info();
    ObjectOperations.refuseSseCSource(src);
    if (ConditionalRequest.evaluate(ex.headers(), "x-amz-copy-source-", src) != ConditionalRequest.Outcome.PROCEED) {
      throw new S3Exception(S3Error.PreconditionFailed, "at least one of the pre-conditions you specified did not hold");
    }
    long offset = 0, length = src.size();
    String rangeHeader = ex.header("x-amz-copy-source-range");
    if (rangeHeader != null) {
      Matcher m = COPY_RANGE.matcher(rangeHeader.strip());
      if (!m.matches()) {
        throw new S3Exception(S3Error.InvalidArgument, "x-amz-copy-source-range must be bytes=first-last");
      }
      long first, last;
      try {
        first = Long.parseLong(m.group(1));
        last = Long.parseLong(m.group(2));
      } catch (NumberFormatException e) {
        throw new S3Exception(S3Error.InvalidArgument, "x-amz-copy-source-range must be bytes=first-last");
      }
      if (first > last || last >= src.size()) {
        throw new S3Exception(S3Error.InvalidRange, "the range " + rangeHeader.strip()
            + " is not within the source object of " + src.size() + " bytes");
      }
      offset = first;
      length = last - first + 1;
    }
    if (length > PART_BYTES_MAX) throw new S3Exception(S3Error.EntityTooLarge, "a part is at most 5 GiB");
    long partLength = length;
    PartInfo part = ObjectOperations.copyThroughPipe(handle, offset, length, ex.requestId(),
        body -> backend.uploadPart(bucket, key, uploadId, partNumber, partLength, body, null));
    XmlWriter xml = XmlWriter.document("CopyPartResult")
        .element("LastModified", HttpDates.iso8601(part.lastModifiedMillis()))
        .element("ETag", ObjectHeaders.quote(part.etag()));
    if (part.checksum() != null) xml.element(ObjectChecksum.element(part.checksum().algorithm()), part.checksum().value());
    ex.sendXml(200, xml.toBytes());
  }

  void complete(S3Exchange ex, Authentication auth, String bucket, String key) throws S3Exception, IOException {
    String uploadId = ex.query().first("uploadId");
    // An x-amz-checksum-* header here is the whole object's, checked below, not the document's.
    DecodedBody body = RequestBodyDecoder.open(ex, auth, false, COMPLETE_XML_BYTES_MAX,
        "a CompleteMultipartUpload document is at most " + COMPLETE_XML_BYTES_MAX + " bytes", false);
    Element root = SafeXmlParser.parse(body.stream(), COMPLETE_XML_BYTES_MAX);
    if (!SafeXmlParser.name(root).equals("CompleteMultipartUpload")) {
      throw new S3Exception(S3Error.MalformedXML, "the body must be a CompleteMultipartUpload document");
    }
    List<Element> partElements = SafeXmlParser.children(root, "Part");
    if (partElements.isEmpty() || partElements.size() > PART_NUMBER_MAX) {
      throw new S3Exception(S3Error.MalformedXML, "a CompleteMultipartUpload names 1 to " + PART_NUMBER_MAX + " parts");
    }
    List<CompletedPart> parts = new ArrayList<>(partElements.size());
    for (Element p : partElements) {
      String number = SafeXmlParser.childText(p, "PartNumber");
      String etag = SafeXmlParser.childText(p, "ETag");
      if (number == null || etag == null) throw new S3Exception(S3Error.MalformedXML, "every Part needs PartNumber and ETag");
      int n;
      try {
        n = Integer.parseInt(number.strip());
      } catch (NumberFormatException e) {
        throw new S3Exception(S3Error.MalformedXML, "PartNumber must be an integer");
      }
      String e = etag.strip();
      if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
      ObjectChecksum.Stored partChecksum = null;
      for (BodyChecksum c : ObjectChecksum.ALGORITHMS) {
        String v = SafeXmlParser.childText(p, ObjectChecksum.element(c));
        if (v == null) continue;
        if (partChecksum != null) throw new S3Exception(S3Error.InvalidRequest, "part " + n + " names two checksums");
        partChecksum = new ObjectChecksum.Stored(c, ObjectChecksum.Type.FULL_OBJECT, v.strip());
      }
      parts.add(new CompletedPart(n, e, partChecksum));
    }
    for (int i = 1; i < parts.size(); i++) {
      if (parts.get(i).partNumber() <= parts.get(i - 1).partNumber()) {
        throw new S3Exception(S3Error.InvalidPartOrder, "the list of parts was not in ascending order");
      }
    }
    ConditionalWrite.check(ex.headers(), backend, bucket, key);
    ObjectChecksum.Stored expected = null;
    for (BodyChecksum c : ObjectChecksum.ALGORITHMS) {
      String v = ex.header(c.headerName());
      if (v != null) expected = new ObjectChecksum.Stored(c, ObjectChecksum.Type.FULL_OBJECT, v.strip());
    }
    ObjectInfo info;
    try {
      info = backend.completeMultipartUpload(bucket, key, uploadId, parts, expected);
    } catch (S3Exception e) {
      info = e.error() == S3Error.NoSuchUpload ? alreadyCompleted(bucket, key, parts).orElseThrow(() -> e) : null;
      if (info == null) throw e;
    }
    ObjectHeaders.writeEncryption(ex, info.otherHeaders());
    ObjectHeaders.writeExpiration(ex, backend, bucket, key, info);
    XmlWriter xml = XmlWriter.document("CompleteMultipartUploadResult")
        .element("Location", "/" + bucket + "/" + SigV4Signer.uriEncode(key, true))
        .element("Bucket", bucket).element("Key", key).element("ETag", ObjectHeaders.quote(info.etag()));
    ObjectChecksum.Stored.of(info.otherHeaders()).ifPresent(c -> ObjectChecksum.xml(xml, c));
    ex.sendXml(200, xml.toBytes());
  }

  /**
   * The object a retried CompleteMultipartUpload already made: its upload is gone, and the current
   * object carries the multipart ETag of exactly these parts (S3 answers such a retry with success).
   */
  private Optional<ObjectInfo> alreadyCompleted(String bucket, String key, List<CompletedPart> parts) {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 missing from the JDK", e);
    }
    try {
      for (CompletedPart p : parts) md5.update(HexFormat.of().parseHex(p.etag()));
      String expected = HexFormat.of().formatHex(md5.digest()) + "-" + parts.size();
      ObjectInfo current = backend.headObject(bucket, key);
      return expected.equals(current.etag()) ? Optional.of(current) : Optional.empty();
    } catch (IllegalArgumentException | S3Exception notThatObject) {
      return Optional.empty();
    }
  }

  void abort(S3Exchange ex, String bucket, String key) throws S3Exception, IOException {
    backend.abortMultipartUpload(bucket, key, ex.query().first("uploadId"));
    ex.sendEmpty(204);
  }

  void listParts(S3Exchange ex, Authentication auth, String bucket, String key) throws S3Exception, IOException {
    String uploadId = ex.query().first("uploadId");
    int maxParts = boundedInt(ex.query().first("max-parts"), LIST_MAX, LIST_MAX, "max-parts");
    int marker = boundedInt(ex.query().first("part-number-marker"), 0, PART_NUMBER_MAX, "part-number-marker");
    List<PartInfo> all = backend.listParts(bucket, key, uploadId);
    List<PartInfo> page = new ArrayList<>();
    boolean truncated = false;
    for (PartInfo p : all) {
      if (p.partNumber() <= marker) continue;
      if (page.size() == maxParts) {
        truncated = true;
        break;
      }
      page.add(p);
    }
    String owner = backend.bucketAcl(bucket).owner();
    XmlWriter xml = XmlWriter.document("ListPartsResult")
        .element("Bucket", bucket).element("Key", key).element("UploadId", uploadId)
        .element("PartNumberMarker", marker)
        .element("NextPartNumberMarker", page.isEmpty() ? marker : page.getLast().partNumber())
        .element("MaxParts", maxParts).element("IsTruncated", truncated).element("StorageClass", "STANDARD");
    xml.start("Initiator").element("ID", owner).element("DisplayName", owner).end();
    xml.start("Owner").element("ID", owner).element("DisplayName", owner).end();
    java.util.Optional<ObjectChecksum.Algorithm> checksum = backend.uploadChecksum(bucket, key, uploadId);
    if (checksum.isPresent()) {
      xml.element("ChecksumAlgorithm", checksum.get().algorithm().name()).element("ChecksumType", checksum.get().type().name());
    }
    for (PartInfo p : page) {
      xml.start("Part").element("PartNumber", p.partNumber())
          .element("LastModified", HttpDates.iso8601(p.lastModifiedMillis()))
          .element("ETag", ObjectHeaders.quote(p.etag())).element("Size", p.size());
      if (p.checksum() != null) xml.element(ObjectChecksum.element(p.checksum().algorithm()), p.checksum().value());
      xml.end();
    }
    ex.sendXml(200, xml.toBytes());
  }

  void listUploads(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    String prefix = ex.query().firstOr("prefix", "");
    int maxUploads = boundedInt(ex.query().first("max-uploads"), LIST_MAX, LIST_MAX, "max-uploads");
    String keyMarker = ex.query().firstOr("key-marker", "");
    String uploadIdMarker = ex.query().firstOr("upload-id-marker", "");
    List<UploadInfo> all = backend.listMultipartUploads(bucket, prefix);
    List<UploadInfo> page = new ArrayList<>();
    boolean truncated = false;
    boolean pastMarker = keyMarker.isEmpty();
    for (UploadInfo u : all) {
      if (!pastMarker) {
        int c = u.key().compareTo(keyMarker);
        boolean after = c > 0 || (c == 0 && !uploadIdMarker.isEmpty() && u.uploadId().compareTo(uploadIdMarker) > 0);
        if (!after) continue;
        pastMarker = true;
      }
      if (page.size() == maxUploads) {
        truncated = true;
        break;
      }
      page.add(u);
    }
    XmlWriter xml = XmlWriter.document("ListMultipartUploadsResult")
        .element("Bucket", bucket).element("KeyMarker", keyMarker).element("UploadIdMarker", uploadIdMarker)
        .element("NextKeyMarker", page.isEmpty() ? "" : page.getLast().key())
        .element("NextUploadIdMarker", page.isEmpty() ? "" : page.getLast().uploadId())
        .element("Prefix", prefix).element("MaxUploads", maxUploads).element("IsTruncated", truncated);
    String owner = backend.bucketAcl(bucket).owner();
    for (UploadInfo u : page) {
      xml.start("Upload").element("Key", u.key()).element("UploadId", u.uploadId());
      xml.start("Initiator").element("ID", owner).element("DisplayName", owner).end();
      xml.start("Owner").element("ID", owner).element("DisplayName", owner).end();
      xml.element("StorageClass", "STANDARD").element("Initiated", HttpDates.iso8601(u.initiatedMillis())).end();
    }
    ex.sendXml(200, xml.toBytes());
  }

  private static int partNumber(String value) throws S3Exception {
    try {
      int n = Integer.parseInt(value == null ? "" : value.strip());
      if (n >= 1 && n <= PART_NUMBER_MAX) return n;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new S3Exception(S3Error.InvalidArgument, "partNumber must be an integer between 1 and " + PART_NUMBER_MAX);
  }

  private static int boundedInt(String value, int fallback, int max, String name) throws S3Exception {
    if (value == null) return fallback;
    try {
      int v = Integer.parseInt(value.strip());
      if (v < 0) throw new NumberFormatException();
      return Math.min(v, max);
    } catch (NumberFormatException e) {
      throw new S3Exception(S3Error.InvalidArgument, name + " must be a non-negative integer");
    }
  }
}
