package io.cairn.s3;

import java.nio.charset.StandardCharsets;

/** The S3 rule for object keys: 1 to 1024 bytes of UTF-8. */
public final class ObjectKeyRule {
  public static final int KEY_BYTES_MAX = 1024;

  private ObjectKeyRule() {}

  public static void check(String key) throws S3Exception {
    if (key == null || key.isEmpty()) throw new S3Exception(S3Error.InvalidArgument, "the object key must not be empty");
    if (key.getBytes(StandardCharsets.UTF_8).length > KEY_BYTES_MAX) {
      throw new S3Exception(S3Error.KeyTooLongError, "your key is too long: at most " + KEY_BYTES_MAX + " bytes of UTF-8");
    }
  }
}
