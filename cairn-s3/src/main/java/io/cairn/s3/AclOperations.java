package io.cairn.s3;

import java.io.IOException;

/**
 * Get/PutBucketAcl and Get/PutObjectAcl, as far as Cairn has ACLs: a bucket is its owner's, other
 * users get rights through the admin API's grants, and the owner may make a bucket readable by
 * anyone (the canned ACL {@code public-read}) or private again. An object is readable by anyone
 * when its bucket is, or when it was written or later set {@code public-read} itself
 * ({@code x-amz-acl} on PutObject, CreateMultipartUpload, CopyObject, or PutObjectAcl); a copy
 * takes its own request's ACL, never its source's. The canned ACLs {@code bucket-owner-read} and
 * {@code bucket-owner-full-control} are {@code private} here: a bucket's owner controls every
 * object in it. Any other ACL (grant headers, an AccessControlPolicy document, other canned ACLs)
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
    boolean objectPublic = keyOrNull != null
        && ObjectHeaders.PUBLIC_READ.equals(backend.headObject(bucket, keyOrNull).otherHeaders().get(ObjectHeaders.ACL));
    BucketAcl acl = backend.bucketAcl(bucket);
    String owner = acl.owner();
    XmlWriter xml = XmlWriter.document("AccessControlPolicy");
    xml.start("Owner").element("ID", owner).element("DisplayName", owner).end();
    xml.start("AccessControlList").start("Grant")
        .startWithAttribute("Grantee", "xmlns:xsi=\"" + XSI + "\" xsi:type=\"CanonicalUser\"")
        .element("ID", owner).element("DisplayName", owner).end()
        .element("Permission", "FULL_CONTROL").end();
    if (acl.publicRead() || objectPublic) {
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
    boolean settable = "private".equals(c) || "public-read".equals(c)
        || (keyOrNull != null && c != null && OWNER_CONTROLLED.contains(c));
    if (grants || !settable) {
      throw new S3Exception(S3Error.NotImplemented, keyOrNull == null
          ? "only the canned ACLs 'private' and 'public-read' can be set on a bucket; other users get rights through the admin API"
          : "only the canned ACLs 'private', 'public-read', 'bucket-owner-read' and 'bucket-owner-full-control' can be set on an object");
    }
    RequestBodyDecoder.open(ex, auth, false, ACL_XML_BYTES_MAX,
        "an access control policy is at most " + ACL_XML_BYTES_MAX + " bytes").stream().transferTo(java.io.OutputStream.nullOutputStream());
    if (keyOrNull == null) {
      backend.setPublicRead(bucket, c.equals("public-read"));
    } else {
      backend.setObjectPublicRead(bucket, keyOrNull, c.equals("public-read"));
    }
    ex.sendEmpty(200);
  }

  /** Canned ACLs that leave an object private here: its bucket's owner controls it already. */
  private static final java.util.Set<String> OWNER_CONTROLLED = java.util.Set.of("bucket-owner-read", "bucket-owner-full-control");

  /**
   * Whether an object write (PutObject, CreateMultipartUpload, CopyObject) asks for the canned ACL
   * {@code public-read}; false for none, {@code private} and the bucket-owner ones;
   * NotImplemented for grant headers and any other canned ACL, which would not be kept.
   */
  static boolean publicReadOnObjectWrite(java.util.Map<String, String> headers) throws S3Exception {
    String canned = headers.get("x-amz-acl");
    boolean grants = headers.keySet().stream().anyMatch(h -> h.startsWith("x-amz-grant-"));
    String c = canned == null ? null : canned.strip();
    if (grants || (c != null && !c.equals("private") && !c.equals("public-read") && !OWNER_CONTROLLED.contains(c))) {
      throw new S3Exception(S3Error.NotImplemented,
          "only the canned ACLs 'private', 'public-read', 'bucket-owner-read' and 'bucket-owner-full-control' can be set on an object");
    }
    return "public-read".equals(c);
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
