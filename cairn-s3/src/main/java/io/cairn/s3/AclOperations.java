package io.cairn.s3;

import java.io.IOException;

/**
 * Get/PutBucketAcl and Get/PutObjectAcl, as far as Cairn has ACLs: a bucket is its owner's, other
 * users get rights through the admin API's grants, and the owner may make a bucket readable by
 * anyone (the canned ACL {@code public-read}) or private again. Objects take their bucket's ACL:
 * reading an object's ACL shows it, and only {@code private} can be set on an object (it changes
 * nothing). Any other ACL (grant headers, an AccessControlPolicy document, other canned ACLs)
 * is NotImplemented.
 */
final class AclOperations {
  /** Largest AccessControlPolicy body read (and dropped). */
  static final int ACL_XML_BYTES_MAX = 64 * 1024;
  private static final String XSI = "http://www.w3.org/2001/XMLSchema-instance";
  private static final String ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

  private final ObjectBackend backend;

  AclOperations(ObjectBackend backend) {
    this.backend = backend;
  }

  void get(S3Exchange ex, Authentication auth, String bucket, String keyOrNull) throws S3Exception, IOException {
    if (keyOrNull != null) backend.headObject(bucket, keyOrNull);
    BucketAcl acl = backend.bucketAcl(bucket);
    String owner = acl.owner();
    XmlWriter xml = XmlWriter.document("AccessControlPolicy");
    xml.start("Owner").element("ID", owner).element("DisplayName", owner).end();
    xml.start("AccessControlList").start("Grant")
        .startWithAttribute("Grantee", "xmlns:xsi=\"" + XSI + "\" xsi:type=\"CanonicalUser\"")
        .element("ID", owner).element("DisplayName", owner).end()
        .element("Permission", "FULL_CONTROL").end();
    if (acl.publicRead()) {
      xml.start("Grant").startWithAttribute("Grantee", "xmlns:xsi=\"" + XSI + "\" xsi:type=\"Group\"")
          .element("URI", ALL_USERS).end().element("Permission", "READ").end();
    }
    xml.end();
    ex.sendXml(200, xml.toBytes());
  }

  void put(S3Exchange ex, Authentication auth, String bucket, String keyOrNull) throws S3Exception, IOException {
    String canned = ex.header("x-amz-acl");
    boolean grants = ex.headers().keySet().stream().anyMatch(h -> h.startsWith("x-amz-grant-"));
    String c = canned == null ? null : canned.strip();
    boolean settable = "private".equals(c) || (keyOrNull == null && "public-read".equals(c));
    if (grants || !settable) {
      throw new S3Exception(S3Error.NotImplemented, keyOrNull == null
          ? "only the canned ACLs 'private' and 'public-read' can be set on a bucket; other users get rights through the admin API"
          : "objects take their bucket's ACL: only the canned ACL 'private' can be set on an object");
    }
    RequestBodyDecoder.open(ex, auth, false, ACL_XML_BYTES_MAX,
        "an access control policy is at most " + ACL_XML_BYTES_MAX + " bytes").stream().transferTo(java.io.OutputStream.nullOutputStream());
    if (keyOrNull == null) {
      backend.setPublicRead(bucket, c.equals("public-read"));
    } else {
      backend.headObject(bucket, keyOrNull);
    }
    ex.sendEmpty(200);
  }

  /** The canned ACL a CreateBucket asks for: true for public-read; NotImplemented for any ACL but private and public-read. */
  static boolean publicReadOnCreate(S3Exchange ex) throws S3Exception {
    String canned = ex.header("x-amz-acl");
    boolean grants = ex.headers().keySet().stream().anyMatch(h -> h.startsWith("x-amz-grant-"));
    if (grants || (canned != null && !canned.strip().equals("private") && !canned.strip().equals("public-read"))) {
      throw new S3Exception(S3Error.NotImplemented,
          "only the canned ACLs 'private' and 'public-read' can be set on a bucket; other users get rights through the admin API");
    }
    return canned != null && canned.strip().equals("public-read");
  }
}
