package io.cairn.s3;

import java.io.IOException;
import java.io.InputStream;

/**
 * Fails a body of unknown length (HTTP chunked transfer, an aws-chunked body without a decoded
 * length) as soon as it passes the largest size the operation accepts, so that no framing gets
 * around the limit that a declared length is checked against.
 */
final class CappedInputStream extends CheckingInputStream {
  private final long bytesMax;
  private final String what;
  private long count;

  /** @param what the limit, in words, for the error: "an object is at most 5 GiB" */
  CappedInputStream(InputStream in, long bytesMax, String what) {
    super(in);
    if (bytesMax < 0) throw new IllegalArgumentException("bytesMax must be >= 0");
    this.bytesMax = bytesMax;
    this.what = what;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    // Never ask for more than one byte past the limit: the excess is not even read.
    int n = in.read(b, off, (int) Math.min(len, bytesMax - count + 1));
    if (n > 0) {
      count += n;
      if (count > bytesMax) throw new S3BodyException(S3Error.EntityTooLarge, "the body is too large: " + what);
    }
    return n;
  }
}
