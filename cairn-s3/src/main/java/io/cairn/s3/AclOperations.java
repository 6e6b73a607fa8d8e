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
    xml.start("AccessControlList");
    // With ACLs disabled (BucketOwnerEnforced) the ACLs set before grant nothing: only the owner's grant is shown.
    // The group's grant comes first, as Ceph's gateway lists it (s3-tests' check of grants reads them in that order).
    boolean aclsDisabled = backend.objectOwnership(bucket).map(io.cairn.core.map.BucketInfo.OWNERSHIP_ENFORCED::equals).orElse(false);
    if (!aclsDisabled && (acl.publicRead() || objectPublic)) {
      xml.start("Grant").startWithAttribute("Grantee", "xmlns:xsi=\"" + XSI + "\" xsi:type=\"Group\"")
          .element("URI", ALL_USERS).end().element("Permission", "READ").end();
    }
    xml.start("Grant")
        .startWithAttribute("Grantee", "xmlns:xsi=\"" + XSI + "\" xsi:type=\"CanonicalUser\"")
        .element("ID", owner).element("DisplayName", owner).end()
        .element("Permission", "FULL_CONTROL").end();
    xml.end();
    ex.sendXml(200, xml.toBytes());
  }

  void put(S3Exchange ex, Authentication auth, String bucket, String keyOrNull) throws S3Exception, IOException {
    if (ex.header("x-amz-acl") == null) {
      throw new S3Exception(S3Error.NotImplemented, "only canned ACLs (x-amz-acl) can be set, not an access control policy document");
    }
    // The same canned ACLs as a bucket's creation or an object's write may ask for.
    boolean publicRead = keyOrNull == null ? publicReadOnCreate(ex) : publicReadOnObjectWrite(ex.headers());
    RequestBodyDecoder.open(ex, auth, false, ACL_XML_BYTES_MAX,
        "an access control policy is at most " + ACL_XML_BYTES_MAX + " bytes").stream().transferTo(java.io.OutputStream.nullOutputStream());
    if (keyOrNull == null) {
      backend.setPublicRead(bucket, publicRead);
    } else {
      backend.setObjectPublicRead(bucket, keyOrNull, publicRead);
    }
    ex.sendEmpty(200);
  }

  /** Canned ACLs that grant to everyone (or every signed caller): what BlockPublicAcls refuses. */
  private static final java.util.Set<String> PUBLIC_ACLS = java.util.Set.of("public-read", "public-read-write", "authenticated-read");

  /** The one canned ACL a bucket whose ACLs are disabled (BucketOwnerEnforced) takes, on objects: it says what is true anyway. */
  private static final String BUCKET_OWNER_FULL_CONTROL = "bucket-owner-full-control";

  /**
   * Refuses a request that sets an ACL its bucket's settings do not allow, before whether Cairn
   * keeps that ACL is asked, as S3 does: with ACLs disabled by Object Ownership
   * ({@code BucketOwnerEnforced}), {@code 400 AccessControlListNotSupported} for PutBucketAcl, and
   * for any ACL of an object but {@code bucket-owner-full-control}; with Block Public Access's
   * BlockPublicAcls, {@code 403} for a public canned ACL. {@code aclRequest}: a PutBucketAcl or
   * PutObjectAcl, not an object's write.
   */
  void refuseBlocked(S3Exchange ex, String bucket, String keyOrNull, boolean aclRequest) throws S3Exception {
    refuseBlocked(ex.headers(), bucket, keyOrNull, aclRequest);
  }

  /** As above, for a request whose lower-case {@code headers} are given (a form upload's fields). */
  void refuseBlocked(java.util.Map<String, String> headers, String bucket, String keyOrNull, boolean aclRequest) throws S3Exception {
    String header = headers.get("x-amz-acl");
    String canned = header == null ? null : header.strip();
    boolean grants = headers.keySet().stream().anyMatch(h -> h.startsWith("x-amz-grant-"));
    if (canned == null && !grants && !aclRequest) {
      return; // a write that sets no ACL
    }
    boolean allowedWhenDisabled = keyOrNull != null && !grants && (canned == null ? !aclRequest : canned.equals(BUCKET_OWNER_FULL_CONTROL));
    if (!allowedWhenDisabled && backend.objectOwnership(bucket).map(io.cairn.core.map.BucketInfo.OWNERSHIP_ENFORCED::equals).orElse(false)) {
      throw new S3Exception(S3Error.AccessControlListNotSupported,
          "the bucket does not allow ACLs: its Object Ownership is BucketOwnerEnforced");
    }
    if (canned != null && PUBLIC_ACLS.contains(canned)
        && backend.publicAccessBlock(bucket).map(io.cairn.core.access.PublicAccessBlock::blockPublicAcls).orElse(false)) {
      throw new S3Exception(S3Error.AccessDenied, "the bucket's public access block (BlockPublicAcls) refuses the public ACL " + canned);
    }
  }

  /** Canned ACLs a bucket takes. */
  private static final java.util.Set<String> BUCKET_ACLS = java.util.Set.of("private", "public-read");
  /** Canned ACLs an object takes: the bucket-owner ones leave it private here, its bucket's owner controlling it already. */
  private static final java.util.Set<String> OBJECT_ACLS = java.util.Set.of("private", "public-read", "bucket-owner-read",
      "bucket-owner-full-control");

  /**
   * Whether an object write (PutObject, CreateMultipartUpload, CopyObject) asks for the canned ACL
   * {@code public-read}; false for none, {@code private} and the bucket-owner ones;
   * NotImplemented for grant headers and any other canned ACL, which would not be kept.
   */
  static boolean publicReadOnObjectWrite(java.util.Map<String, String> headers) throws S3Exception {
    return publicRead(headers, OBJECT_ACLS,
        "only the canned ACLs 'private', 'public-read', 'bucket-owner-read' and 'bucket-owner-full-control' can be set on an object");
  }

  /** Every canned ACL S3 has; another name in {@code x-amz-acl} is InvalidArgument. */
  private static final java.util.List<String> CANNED_ACLS = java.util.List.of("private", "public-read", "public-read-write",
      "authenticated-read", "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write");

  /** The canned ACL a CreateBucket asks for: true for public-read; NotImplemented for any ACL but private and public-read. */
  static boolean publicReadOnCreate(S3Exchange ex) throws S3Exception {
    return publicRead(ex.headers(), BUCKET_ACLS,
        "only the canned ACLs 'private' and 'public-read' can be set on a bucket; other users get rights through the admin API");
  }

  /** Whether {@code headers} ask for {@code public-read}; NotImplemented for grant headers or a canned ACL not in {@code kept}. */
  private static boolean publicRead(java.util.Map<String, String> headers, java.util.Set<String> kept, String refusal) throws S3Exception {
    String canned = headers.get("x-amz-acl");
    String c = canned == null ? null : canned.strip();
    if (c != null && !CANNED_ACLS.contains(c)) {
      throw new S3Exception(S3Error.InvalidArgument, "x-amz-acl must be one of S3's canned ACLs " + CANNED_ACLS + ", not '" + c + "'");
    }
    if (headers.keySet().stream().anyMatch(h -> h.startsWith("x-amz-grant-")) || (c != null && !kept.contains(c))) {
      throw new S3Exception(S3Error.NotImplemented, refusal);
    }
    return "public-read".equals(c);
  }
}
