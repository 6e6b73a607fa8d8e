package io.cairn.s3;

import java.util.Map;

/**
 * The conditions of a conditional write (PutObject, CompleteMultipartUpload):
 * {@code If-None-Match: *} (only create) or {@code If-None-Match: <etag>} (not over that version),
 * and {@code If-Match: <etag>} or {@code *} (only replace that version, or any existing object).
 * They are checked against the current object before the write; two writers racing past the check
 * at the same moment are not told apart.
 */
final class ConditionalWrite {
  private ConditionalWrite() {}

  /** Throws PreconditionFailed (or NoSuchKey for If-Match on a missing key) when the write must not happen. */
  static void check(Map<String, String> headers, ObjectBackend backend, String bucket, String key) throws S3Exception {
    String ifNoneMatch = headers.get("if-none-match");
    String ifMatch = headers.get("if-match");
    if (ifNoneMatch == null && ifMatch == null) return;
    ObjectInfo current;
    try {
      current = backend.headObject(bucket, key);
    } catch (S3Exception e) {
      if (e.error() != S3Error.NoSuchKey) throw e;
      current = null;
    }
    if (ifNoneMatch != null && current != null && ConditionalRequest.etagMatches(ifNoneMatch, current.etag())) {
      throw new S3Exception(S3Error.PreconditionFailed, "the current object matches If-None-Match");
    }
    if (ifMatch != null) {
      if (current == null) throw new S3Exception(S3Error.NoSuchKey, "the key " + key + " does not exist (If-Match)");
      if (!ConditionalRequest.etagMatches(ifMatch, current.etag())) {
        throw new S3Exception(S3Error.PreconditionFailed, "the object's ETag does not match If-Match");
      }
    }
  }
}
