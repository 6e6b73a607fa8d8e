package io.cairn.s3;

import java.io.IOException;
import java.io.InputStream;

/** A stream that reads in blocks only: a single-byte read is a block read of one byte. */
abstract class BlockInputStream extends InputStream {

  @Override
  public abstract int read(byte[] b, int off, int len) throws IOException;

  @Override
  public final int read() throws IOException {
    return readOne(this);
  }

  /** One byte of {@code in} read through its block read, or -1 at its end. */
  static int readOne(InputStream in) throws IOException {
    byte[] one = new byte[1];
    int n = in.read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }
}
