package io.cairn.s3;

import java.io.IOException;

/**
 * Thrown from a request body stream when the body fails verification (digest, signature, length).
 * It is an {@link IOException} so that it travels through backend code that only reads streams.
 */
public final class S3BodyException extends IOException {
  private final S3Error error;

  public S3BodyException(S3Error error, String message) {
    super(message);
    this.error = error;
  }

  public S3Error error() {
    return error;
  }

  public S3Exception toS3Exception() {
    return new S3Exception(error, getMessage());
  }
}
