package io.cairn.s3;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * What the S3 gateway needs from the storage cluster: users, buckets, objects and multipart uploads.
 *
 * <p>Request bodies handed to the backend are verifying streams: a digest, signature or length
 * mismatch makes {@code read} throw instead of returning end-of-stream. An implementation must
 * therefore read every body until {@code read} returns -1 and make nothing visible if any read
 * throws. Errors S3 clients should see are reported as {@link S3Exception}.
 */
public interface ObjectBackend {

  /**
   * Why the backend takes no writes now (a backup site not promoted), or null when it does: every
   * request but a GET, a HEAD or a CORS preflight is then refused with AccessDenied and this reason.
   */
  default String readOnlyReason() {
    return null;
  }

  /** The secret key of an access key, or empty when the access key is unknown. */
  Optional<String> secretKey(String accessKey);

  /**
   * As {@link #secretKey}, but from what the gateway knows already: an unknown key costs no
   * lookup elsewhere (asked for sources that failed to sign too often).
   */
  default Optional<String> knownSecretKey(String accessKey) {
    return secretKey(accessKey);
  }

  /**
   * Whether this backend encrypts objects with keys it keeps (SSE-S3): a write whose
   * {@code otherHeaders} carry {@code x-amz-server-side-encryption: AES256}, or into a bucket
   * whose default says so, is stored encrypted, and its info then carries that header.
   */
  default boolean sseS3Available() {
    return false;
  }

  /** The bucket's default server-side encryption ({@code AES256}), or empty for none. */
  default Optional<String> bucketEncryption(String bucket) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "server-side encryption is not implemented");
  }

  /** Sets (or, with null, removes) the bucket's default server-side encryption. */
  default void setBucketEncryption(String bucket, String algorithmOrNull) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "server-side encryption is not implemented");
  }

  /**
   * Refuses the request unless its caller may take S3 action {@code action} (such as
   * {@code s3:GetObject}), which needs {@code needed}, on object {@code keyOrNull} of
   * {@code bucket} (the bucket itself when null): NoSuchBucket when there is no such bucket,
   * AccessDenied when the caller may not.
   *
   * @param accessKeyOrNull the verified access key of the caller; null for an anonymous request
   * @param ctx what the request brings to the conditions of a bucket policy ({@link PolicyContexts})
   */
  void authorize(String accessKeyOrNull, String bucket, String keyOrNull, S3Permission needed, String action,
      io.cairn.core.access.RequestContext ctx) throws S3Exception;

  /**
   * Sets the tags stored with object {@code key} (in {@link ObjectTagging}'s encoding; null
   * removes them), keeping its data and every other piece of its metadata: NoSuchKey when there
   * is no such object.
   */
  default void setObjectTags(String bucket, String key, String encodedTagsOrNull) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "object tagging is not implemented");
  }

  /**
   * Makes object {@code key} readable by anyone ({@code public-read}) or private again, keeping
   * its data and every other piece of its metadata: NoSuchKey when there is no such object.
   */
  default void setObjectPublicRead(String bucket, String key, boolean publicRead) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "object ACLs are not implemented");
  }

  /**
   * Whether a request, anonymous ({@code accessKeyOrNull} null) or signed by a key that the
   * bucket's ACL, grants and policy alone do not let read, may read object {@code key} for its own
   * ACL ({@code public-read}, a grant to everyone, signed or not): false when the object is private
   * or missing (a missing key must look no different to a stranger), when the key was deleted, or
   * when the bucket's policy denies the action to the caller.
   */
  default boolean objectReadableByAnyone(String accessKeyOrNull, String bucket, String key, String action,
      io.cairn.core.access.RequestContext ctx) throws S3Exception {
    return false;
  }

  /**
   * How long a day of the lifecycle rules lasts: a day ({@link io.cairn.core.access.BucketLifecycle#DAY_MILLIS}),
   * or less where a test shortens it; the lifecycle pass expires objects by the same day.
   */
  default long lifecycleDayMillis() {
    return io.cairn.core.access.BucketLifecycle.DAY_MILLIS;
  }

  /** The bucket's lifecycle rules (JSON of {@link io.cairn.core.access.BucketLifecycle}), or empty for none. */
  default Optional<String> bucketLifecycle(String bucket) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "lifecycle configuration is not implemented");
  }

  /** Sets (or, with null, removes) the bucket's lifecycle rules. */
  default void setBucketLifecycle(String bucket, String lifecycleJsonOrNull) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "lifecycle configuration is not implemented");
  }

  /** The bucket's CORS rules (JSON of {@link io.cairn.core.access.BucketCors}), or empty for none. */
  default Optional<String> bucketCors(String bucket) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "CORS is not implemented");
  }

  /** Sets (or, with null, removes) the bucket's CORS rules. */
  default void setBucketCors(String bucket, String corsJsonOrNull) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "CORS is not implemented");
  }

  /** The bucket's tags ({@code k1=v1&k2=v2}, URL-encoded, in the order set), or empty for none. */
  default Optional<String> bucketTags(String bucket) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "bucket tagging is not implemented");
  }

  /** Sets (or, with null, removes) the bucket's tags. */
  default void setBucketTags(String bucket, String encodedTagsOrNull) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "bucket tagging is not implemented");
  }

  /** The bucket's Block Public Access settings, or empty when none were set (a backend that cannot set them has none). */
  default Optional<io.cairn.core.access.PublicAccessBlock> publicAccessBlock(String bucket) throws S3Exception {
    return Optional.empty();
  }

  /** Sets (or, with null, removes) the bucket's Block Public Access settings. */
  default void setPublicAccessBlock(String bucket, io.cairn.core.access.PublicAccessBlock blockOrNull) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "Block Public Access is not implemented");
  }

  /** The bucket's S3 Object Ownership (BucketOwnerEnforced or BucketOwnerPreferred), or empty when none was set. */
  default Optional<String> objectOwnership(String bucket) throws S3Exception {
    return Optional.empty();
  }

  /**
   * Sets (or, with null, removes) the bucket's Object Ownership; BucketOwnerEnforced is refused
   * (InvalidBucketAclWithObjectOwnership) while the bucket's ACL is public-read.
   */
  default void setObjectOwnership(String bucket, String ownershipOrNull) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "Object Ownership is not implemented");
  }

  /** Whether the bucket is public: its policy is ({@link io.cairn.core.access.BucketPolicy#isPublic()}) or its ACL is public-read. */
  default boolean bucketIsPublic(String bucket) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "the policy status is not implemented");
  }

  /** The bucket's policy (JSON), or empty for none. */
  default Optional<String> bucketPolicy(String bucket) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "bucket policies are not implemented");
  }

  /** Sets (or, with null, removes) the bucket's policy; MalformedPolicy, or NotImplemented for what is not implemented. */
  default void setBucketPolicy(String bucket, String policyOrNull) throws S3Exception {
    throw new S3Exception(S3Error.NotImplemented, "bucket policies are not implemented");
  }

  /**
   * Refuses (AccessDenied) a caller that may not list its buckets, or, with {@code write}, create
   * one: an anonymous request, or a read-only key that would create.
   */
  void authorizeAccount(String accessKeyOrNull, boolean write) throws S3Exception;

  /** The owner of a bucket and whether it is public-read: NoSuchBucket. */
  BucketAcl bucketAcl(String bucket) throws S3Exception;

  /** Makes a bucket readable without signing (the canned ACL public-read), or private again. */
  void setPublicRead(String bucket, boolean publicRead) throws S3Exception;

  /** The user owning the buckets of {@code accessKey}: the name lists show as owner. */
  String ownerName(String accessKey);

  /** Buckets owned by the user of {@code accessKey}, sorted by name. */
  List<BucketSummary> listBuckets(String accessKey);

  /**
   * Creates a bucket owned by the user of {@code accessKey}; {@code policyOrNull} names a storage
   * policy such as "rep3" or "ec4+2".
   */
  void createBucket(String bucket, String accessKey, String policyOrNull) throws S3Exception;

  /** The bucket, or NoSuchBucket. */
  BucketSummary headBucket(String bucket) throws S3Exception;

  /** Deletes an empty bucket: NoSuchBucket, BucketNotEmpty. */
  void deleteBucket(String bucket) throws S3Exception;

  /**
   * Streams body into the cluster; must not buffer the whole object. {@code req.contentLength()} is
   * -1 if unknown. Nothing becomes visible unless the body is read to its end without error.
   */
  ObjectInfo putObject(String bucket, String key, PutRequest req, InputStream body)
      throws S3Exception, IOException;

  /** The current version's metadata: NoSuchBucket, NoSuchKey. */
  ObjectInfo headObject(String bucket, String key) throws S3Exception;

  /** Opens the current version; the handle reads exactly that version even if it is replaced meanwhile. */
  ObjectHandle openObject(String bucket, String key) throws S3Exception;

  /** Deletes a key; deleting a missing key is not an error (S3), a missing bucket is. */
  void deleteObject(String bucket, String key) throws S3Exception;

  /**
   * Keys of bucket starting with prefix, strictly after startAfter ("" = from the start), sorted by
   * UTF-8 binary order, at most limit. {@code startAfter} may be any string, including one longer
   * than the longest legal key.
   */
  List<ObjectInfo> listObjects(String bucket, String prefix, String startAfter, int limit)
      throws S3Exception;

  /**
   * The keys of bucket starting with prefix, strictly after startAfter, read lazily in UTF-8
   * binary order; {@code pageHint} is how many keys the caller expects to take (a page, plus one).
   * NoSuchBucket is thrown here, not by the listing.
   */
  default KeyListing listing(String bucket, String prefix, String startAfter, int pageHint) throws S3Exception {
    return new KeyListing.Paged(this, bucket, prefix, startAfter, pageHint);
  }

  /**
   * As {@link #listing(String, String, String, int)}, for a listing by {@code delimiter} (non-empty):
   * of the keys under one common prefix (prefix, then up to and including the first delimiter
   * after it) the listing must return at least the first; it may leave out the others, which the
   * caller skips with {@link KeyListing#skipTo} anyway.
   */
  default KeyListing listing(String bucket, String prefix, String delimiter, String startAfter, int pageHint) throws S3Exception {
    return listing(bucket, prefix, startAfter, pageHint);
  }

  /** Starts a multipart upload and returns its upload id. */
  String createMultipartUpload(String bucket, String key, PutRequest req) throws S3Exception;

  /** Stores one part (same body contract as {@link #putObject}): NoSuchUpload. */
  PartInfo uploadPart(
      String bucket, String key, String uploadId, int partNumber, long contentLength, InputStream body)
      throws S3Exception, IOException;

  /**
   * As {@link #uploadPart(String, String, String, int, long, InputStream)}, for a request that names
   * the checksum algorithm {@code requested} (null: none). A backend that keeps checksums computes
   * the part's of the upload's algorithm ({@link ObjectChecksum}), refuses a part whose request
   * names another (InvalidRequest), and returns it.
   */
  default PartInfo uploadPart(String bucket, String key, String uploadId, int partNumber, long contentLength, InputStream body,
      BodyChecksum requested) throws S3Exception, IOException {
    return uploadPart(bucket, key, uploadId, partNumber, contentLength, body);
  }

  /** Assembles the listed parts into the object: InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload. */
  ObjectInfo completeMultipartUpload(String bucket, String key, String uploadId, List<CompletedPart> parts)
      throws S3Exception;

  /**
   * As {@link #completeMultipartUpload(String, String, String, List)}, where the request sent the
   * whole object's checksum ({@code expected}, or null): a backend that keeps checksums makes the
   * object's of its parts', answers BadDigest if it is not {@code expected}, and InvalidPart if a
   * part's named in {@code parts} is not the one kept.
   */
  default ObjectInfo completeMultipartUpload(String bucket, String key, String uploadId, List<CompletedPart> parts,
      ObjectChecksum.Stored expected) throws S3Exception {
    return completeMultipartUpload(bucket, key, uploadId, parts);
  }

  /** Discards an upload and its parts: NoSuchUpload. */
  void abortMultipartUpload(String bucket, String key, String uploadId) throws S3Exception;

  /** The checksum algorithm and type an upload was created with, if any: NoSuchUpload. */
  default java.util.Optional<ObjectChecksum.Algorithm> uploadChecksum(String bucket, String key, String uploadId) throws S3Exception {
    listParts(bucket, key, uploadId);
    return java.util.Optional.empty();
  }

  /** Parts uploaded so far, sorted by part number: NoSuchUpload. */
  List<PartInfo> listParts(String bucket, String key, String uploadId) throws S3Exception;

  /** Uploads in progress whose key starts with prefix, sorted by key then initiation time. */
  List<UploadInfo> listMultipartUploads(String bucket, String prefix) throws S3Exception;
}
