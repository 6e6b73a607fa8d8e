package io.cairn.s3;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/** UTF-8 binary order of keys, the order S3 lists in. */
final class MemoryObjectBackendOrder {
  static final Comparator<String> UTF8 =
      (a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  private MemoryObjectBackendOrder() {}
}
