package io.cairn.s3;

/** An error to report to the S3 client with its S3 code and HTTP status. */
public final class S3Exception extends Exception {
  private final S3Error error;
  /** The access key a signature was checked against and did not match; null for any other failure. */
  private final String mismatchedAccessKey;

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

  public S3Error error() {
    return error;
  }
}
