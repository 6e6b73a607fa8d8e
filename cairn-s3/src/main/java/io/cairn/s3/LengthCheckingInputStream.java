package io.cairn.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Fails a body that is shorter or longer than its declared length instead of reporting its end. */
public final class LengthCheckingInputStream extends FilterInputStream {
  private final long expectedLength;
  private long count;

  public LengthCheckingInputStream(InputStream in, long expectedLength) {
    super(in);
    if (expectedLength < 0) throw new IllegalArgumentException("expectedLength must be >= 0");
    this.expectedLength = expectedLength;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
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

  @Override
  public long skip(long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(8192, Math.max(0, n))];
    int r = read(buf, 0, buf.length);
    return Math.max(r, 0);
  }

  @Override
  public boolean markSupported() {
    return false;
  }
}
