package io.cairn.s3;

import java.io.IOException;
import java.io.InputStream;

/** Fails a body that is shorter or longer than its declared length instead of reporting its end. */
public final class LengthCheckingInputStream extends CheckingInputStream {
  private final long expectedLength;
  private long count;

  public LengthCheckingInputStream(InputStream in, long expectedLength) {
    super(in);
    if (expectedLength < 0) throw new IllegalArgumentException("expectedLength must be >= 0");
    this.expectedLength = expectedLength;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      count += n;
      if (count > expectedLength) {
        throw new S3BodyException(S3Error.IncompleteBody, "the body is longer than the declared " + expectedLength + " bytes");
      }
    } else if (n < 0 && count != expectedLength) {
      throw new S3BodyException(S3Error.IncompleteBody,
          "you did not provide the number of bytes specified: got " + count + " of " + expectedLength);
    }
    return n;
  }
}
