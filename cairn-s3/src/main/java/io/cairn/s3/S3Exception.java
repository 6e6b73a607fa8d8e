package io.cairn.s3;

/** An error to report to the S3 client with its S3 code and HTTP status. */
public final class S3Exception extends Exception {
  private final S3Error error;
  /** The access key a signature was checked against and did not match; null for any other failure. */
  private final String mismatchedAccessKey;
  /** The region a request should have been signed for, when a wrong one is what failed; null otherwise. */
  private String expectedRegion;

  public S3Exception(S3Error error, String message) {
    this(error, message, null);
  }

  private S3Exception(S3Error error, String message, String mismatchedAccessKey) {
    super(message, null, false, false);
    this.error = error;
    this.mismatchedAccessKey = mismatchedAccessKey;
  }

  /** {@code SignatureDoesNotMatch} for a request signed in the name of {@code accessKey}, an existing key. */
  static S3Exception signatureMismatch(String accessKey) {
    return new S3Exception(S3Error.SignatureDoesNotMatch,
        "the request signature we calculated does not match the signature you provided; check your key and signing method",
        accessKey);
  }

  /** The existing access key whose signature did not match, when that is what failed. */
  java.util.Optional<String> mismatchedAccessKey() {
    return java.util.Optional.ofNullable(mismatchedAccessKey);
  }

  /**
   * {@code AuthorizationHeaderMalformed} (or, presigned, {@code AuthorizationQueryParametersError})
   * for a request signed for another region than {@code expected}: its error document names the
   * region (as S3's does, so that clients such as s3cmd sign again for it) and so does its
   * {@code x-amz-bucket-region} header.
   */
  static S3Exception wrongRegion(boolean presigned, String signedFor, String expected) {
    S3Exception e = new S3Exception(presigned ? S3Error.AuthorizationQueryParametersError : S3Error.AuthorizationHeaderMalformed,
        "the region '" + signedFor + "' is wrong; expecting '" + expected + "'");
    e.expectedRegion = expected;
    return e;
  }

  /** The region the request should have been signed for, when a wrong region is what failed. */
  public java.util.Optional<String> expectedRegion() {
    return java.util.Optional.ofNullable(expectedRegion);
  }

  public S3Error error() {
    return error;
  }
}
