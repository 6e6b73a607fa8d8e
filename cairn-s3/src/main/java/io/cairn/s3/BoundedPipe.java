package io.cairn.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A byte pipe between one writer thread and one reader thread through a fixed-size ring buffer. A
 * writer failure reaches the reader as an exception rather than as end-of-stream, so a partial copy
 * is never mistaken for a complete one; a reader that stops makes the writer fail.
 */
public final class BoundedPipe {
  private final byte[] ring;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private int head;
  private int size;
  private boolean writerClosed;
  private boolean readerClosed;
  private Throwable writerFailure;

  public BoundedPipe(int capacityBytes) {
    if (capacityBytes <= 0) throw new IllegalArgumentException("capacityBytes must be positive");
    ring = new byte[capacityBytes];
  }

  /** Makes the reader fail with {@code cause} once the buffered bytes are consumed. */
  public void fail(Throwable cause) {
    lock.lock();
    try {
      writerFailure = cause;
      writerClosed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  public OutputStream output() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        lock.lock();
        try {
          while (len > 0) {
            while (size == ring.length && !readerClosed) await();
            if (readerClosed) throw new IOException("the pipe reader has stopped");
            if (writerClosed) throw new IOException("the pipe writer is closed");
            int tail = (head + size) % ring.length;
            int n = Math.min(len, Math.min(ring.length - size, ring.length - tail));
            System.arraycopy(b, off, ring, tail, n);
            size += n;
            off += n;
            len -= n;
            changed.signalAll();
          }
        } finally {
          lock.unlock();
        }
      }

      @Override
      public void close() {
        lock.lock();
        try {
          writerClosed = true;
          changed.signalAll();
        } finally {
          lock.unlock();
        }
      }
    };
  }

  public InputStream input() {
    return new BlockInputStream() {

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        lock.lock();
        try {
          while (size == 0 && !writerClosed) await();
          if (size == 0) {
            if (writerFailure != null) throw new IOException("the copy source failed", writerFailure);
            return -1;
          }
          int n = Math.min(len, Math.min(size, ring.length - head));
          System.arraycopy(ring, head, b, off, n);
          head = (head + n) % ring.length;
          size -= n;
          changed.signalAll();
          return n;
        } finally {
          lock.unlock();
        }
      }

      @Override
      public void close() {
        lock.lock();
        try {
          readerClosed = true;
          changed.signalAll();
        } finally {
          lock.unlock();
        }
      }
    };
  }

  private void await() throws InterruptedIOException {
    try {
      changed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting on the pipe");
    }
  }
}
