package io.cairn.s3;

import java.io.IOException;
import java.io.OutputStream;

/** An opened object version: reads exactly that version even if the key is overwritten meanwhile. */
public interface ObjectHandle {
  ObjectInfo info();

  /** Writes {@code length} bytes starting at {@code offset} to {@code out}. */
  void writeTo(OutputStream out, long offset, long length) throws IOException;
}
