package io.cairn.s3;

/** What an S3 request needs on its bucket; each level includes the ones before it. */
public enum S3Permission {
  /** List the bucket, read its objects, uploads and parts. */
  READ,
  /** Write and delete objects, run multipart uploads. */
  WRITE,
  /** Delete the bucket, read and set its ACL. */
  OWNER
}
