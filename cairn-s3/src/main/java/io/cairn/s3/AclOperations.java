package io.cairn.s3;

import java.io.IOException;

/**
 * Get/PutBucketAcl and Get/PutObjectAcl, as far as Cairn has ACLs: every bucket and object is
 * private to its owner. Reading an ACL shows the owner with FULL_CONTROL; setting the canned ACL
 * {@code private} is accepted (it changes nothing); any other ACL is NotImplemented.
 */
final class AclOperations {
  /** Largest AccessControlPolicy body read (and dropped). */
  static final int ACL_XML_BYTES_MAX = 64 * 1024;
  private static final String XSI = "http://www.w3.org/2001/XMLSchema-instance";

  private final ObjectBackend backend;

  AclOperations(ObjectBackend backend) {
    this.backend = backend;
  }

  void get(S3Exchange ex, Authentication auth, String bucket, String keyOrNull) throws S3Exception, IOException {
    exists(bucket, keyOrNull);
    String owner = auth.accessKey();
    XmlWriter xml = XmlWriter.document("AccessControlPolicy");
    xml.start("Owner").element("ID", owner).element("DisplayName", owner).end();
    xml.start("AccessControlList").start("Grant")
        .startWithAttribute("Grantee", "xmlns:xsi=\"" + XSI + "\" xsi:type=\"CanonicalUser\"")
        .element("ID", owner).element("DisplayName", owner).end()
        .element("Permission", "FULL_CONTROL").end().end();
    ex.sendXml(200, xml.toBytes());
  }

  void put(S3Exchange ex, Authentication auth, String bucket, String keyOrNull) throws S3Exception, IOException {
    String canned = ex.header("x-amz-acl");
    boolean grants = ex.headers().keySet().stream().anyMatch(h -> h.startsWith("x-amz-grant-"));
    if (grants || canned == null || !canned.strip().equals("private")) {
      throw new S3Exception(S3Error.NotImplemented,
          "Cairn keeps every bucket and object private to its owner; only the canned ACL 'private' can be set");
    }
    RequestBodyDecoder.open(ex, auth, false, ACL_XML_BYTES_MAX,
        "an access control policy is at most " + ACL_XML_BYTES_MAX + " bytes").stream().transferTo(java.io.OutputStream.nullOutputStream());
    exists(bucket, keyOrNull);
    ex.sendEmpty(200);
  }

  private void exists(String bucket, String keyOrNull) throws S3Exception {
    if (keyOrNull == null) backend.headBucket(bucket);
    else backend.headObject(bucket, keyOrNull);
  }
}
