package io.cairn.s3;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The keys of a bucket under a prefix, in UTF-8 binary order, read lazily: a listing page takes
 * keys one by one, and skips every key under a common prefix at once ({@link #skipTo}) instead
 * of reading them.
 */
public interface KeyListing {

  /** The next key after everything returned or skipped so far, or empty at the end. */
  Optional<ObjectInfo> next() throws S3Exception;

  /** Skips every key up to and including {@code after} (which may be longer than any legal key). */
  void skipTo(String after);

  /** Compares two strings by the UTF-8 binary order of their encodings (code point order). */
  static int compareUtf8(String a, String b) {
    return io.cairn.core.store.RecordKeys.UTF8_ORDER.compare(a, b);
  }

  /**
   * A listing read in pages of {@link ObjectBackend#listObjects}: what a backend without a
   * listing of its own gets.
   */
  final class Paged implements KeyListing {
    private final ObjectBackend backend;
    private final String bucket;
    private final String prefix;
    private final int pageSize;
    private final Deque<ObjectInfo> buffer = new ArrayDeque<>();
    private String cursor;
    private boolean exhausted;

    public Paged(ObjectBackend backend, String bucket, String prefix, String startAfter, int pageSize) throws S3Exception {
      this.backend = backend;
      this.bucket = bucket;
      this.prefix = prefix;
      this.pageSize = Math.max(1, pageSize);
      this.cursor = startAfter;
      fill(); // a missing bucket is reported here
    }

    private void fill() throws S3Exception {
      List<ObjectInfo> page = backend.listObjects(bucket, prefix, cursor, pageSize);
      buffer.addAll(page);
      if (!page.isEmpty()) {
        cursor = page.getLast().key();
      }
      exhausted = page.size() < pageSize;
    }

    @Override
    public Optional<ObjectInfo> next() throws S3Exception {
      if (buffer.isEmpty() && !exhausted) {
        fill();
      }
      return Optional.ofNullable(buffer.poll());
    }

    @Override
    public void skipTo(String after) {
      while (!buffer.isEmpty() && compareUtf8(buffer.peek().key(), after) <= 0) {
        buffer.poll();
      }
      if (buffer.isEmpty() && compareUtf8(after, cursor) > 0) {
        cursor = after;
      }
    }
  }
}
