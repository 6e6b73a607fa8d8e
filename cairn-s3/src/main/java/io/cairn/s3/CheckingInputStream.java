package io.cairn.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A body filter that checks the bytes as they pass through {@link #read(byte[], int, int)}.
 * Single-byte reads and skips go through that same method, so no byte escapes the check, and
 * mark/reset is not offered, so none is checked twice.
 */
abstract class CheckingInputStream extends FilterInputStream {

  CheckingInputStream(InputStream in) {
    super(in);
  }

  @Override
  public abstract int read(byte[] b, int off, int len) throws IOException;

  @Override
  public final int read() throws IOException {
    return BlockInputStream.readOne(this);
  }

  @Override
  public final long skip(long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(8192, Math.max(0, n))];
    int r = read(buf, 0, buf.length);
    return Math.max(r, 0);
  }

  @Override
  public final boolean markSupported() {
    return false;
  }
}
