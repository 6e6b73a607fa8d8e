package io.cairn.s3;

/** S3 error codes with their HTTP status. */
public enum S3Error {
  NoSuchBucket(404),
  NoSuchKey(404),
  NoSuchUpload(404),
  NoSuchVersion(404),
  BucketNotEmpty(409),
  BucketAlreadyOwnedByYou(409),
  BucketAlreadyExists(409),
  InvalidBucketName(400),
  TooManyBuckets(400),
  KeyTooLongError(400),
  AccessDenied(403),
  SignatureDoesNotMatch(403),
  InvalidAccessKeyId(403),
  RequestTimeTooSkewed(403),
  AuthorizationHeaderMalformed(400),
  AuthorizationQueryParametersError(400),
  XAmzContentSHA256Mismatch(400),
  InvalidRange(416),
  ServerSideEncryptionConfigurationNotFoundError(404),
  NoSuchBucketPolicy(404),
  NoSuchCORSConfiguration(404),
  NoSuchLifecycleConfiguration(404),
  NoSuchTagSet(404),
  NoSuchPublicAccessBlockConfiguration(404),
  OwnershipControlsNotFoundError(404),
  AccessControlListNotSupported(400),
  InvalidBucketAclWithObjectOwnership(400),
  MalformedPolicy(400),
  MalformedPOSTRequest(400),
  MaxPostPreDataLengthExceededError(400),
  IncorrectNumberOfFilesInPostRequest(400),
  InvalidPolicyDocument(400),
  MalformedXML(400),
  InvalidTag(400),
  InvalidArgument(400),
  InvalidRequest(400),
  InvalidDigest(400),
  BadDigest(400),
  IncompleteBody(400),
  RequestTimeout(400),
  EntityTooSmall(400),
  EntityTooLarge(400),
  InvalidPart(400),
  InvalidPartOrder(400),
  MissingContentLength(411),
  MethodNotAllowed(405),
  NotImplemented(501),
  PreconditionFailed(412),
  SlowDown(503),
  ServiceUnavailable(503),
  InsufficientStorage(507),
  InternalError(500);

  private final int httpStatus;

  S3Error(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
