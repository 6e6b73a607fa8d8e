package io.cairn.s3;

/** An error to report to the S3 client with its S3 code and HTTP status. */
public final class S3Exception extends Exception {
  private final S3Error error;

  public S3Exception(S3Error error, String message) {
    super(message, null, false, false);
    this.error = error;
  }

  public S3Error error() {
    return error;
  }
}
