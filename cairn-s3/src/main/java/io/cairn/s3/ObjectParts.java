package io.cairn.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The parts of an object completed from a multipart upload, kept with it so that a GET or HEAD
 * with {@code partNumber} reads one part. Stored among the object's gateway-only headers, under
 * {@link #HEADER}, as the parts' sizes in order, runs of equal sizes written once:
 * {@code 5242880*3,1048576} is three parts of 5 MiB and one of 1 MiB. Part {@code n} is the
 * {@code n}-th part listed when the upload was completed (counting from 1), as clients number
 * them when they upload parts 1 to N.
 */
public final class ObjectParts {
  /** The stored header; a gateway-only header ({@link ObjectHeaders#INTERNAL_PREFIX}), never sent to a client. */
  public static final String HEADER = ObjectHeaders.INTERNAL_PREFIX + "Part-Sizes";

  private final long[] sizes;

  private ObjectParts(long[] sizes) {
    this.sizes = sizes;
  }

  /** {@code sizes}, in order, as {@link #HEADER} stores them. */
  public static String encode(List<Long> sizes) {
    if (sizes.isEmpty()) {
      throw new IllegalArgumentException("an object of parts has at least one");
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < sizes.size(); ) {
      long size = sizes.get(i);
      int run = 1;
      while (i + run < sizes.size() && sizes.get(i + run) == size) run++;
      if (!out.isEmpty()) out.append(',');
      out.append(size);
      if (run > 1) out.append('*').append(run);
      i += run;
    }
    return out.toString();
  }

  /** The parts of an object whose stored headers are {@code headers}; null for an object stored in one piece (or before parts were kept). */
  public static ObjectParts of(Map<String, String> headers) {
    String v = headers.get(HEADER);
    if (v == null) return null;
    List<Long> sizes = new ArrayList<>();
    for (String run : v.split(",")) {
      int star = run.indexOf('*');
      long size = Long.parseLong(star < 0 ? run : run.substring(0, star));
      int count = star < 0 ? 1 : Integer.parseInt(run.substring(star + 1));
      if (size < 0 || count < 1 || sizes.size() + count > MultipartOperations.PART_NUMBER_MAX) {
        throw new IllegalStateException("the stored part sizes " + v + " are not an object's parts");
      }
      for (int i = 0; i < count; i++) sizes.add(size);
    }
    return new ObjectParts(sizes.stream().mapToLong(Long::longValue).toArray());
  }

  public int count() {
    return sizes.length;
  }

  /** Part {@code number} (from 1) as a range of the object's bytes; null for a part past the last. An empty part has no range. */
  public long[] offsetAndLength(int number) {
    if (number < 1 || number > sizes.length) return null;
    long offset = 0;
    for (int i = 0; i < number - 1; i++) offset += sizes[i];
    return new long[] {offset, size(number)};
  }

  /** The size of part {@code number} (from 1 to {@link #count()}). */
  public long size(int number) {
    return sizes[number - 1];
  }

  /** The sum of the parts' sizes: the object's size. */
  public long total() {
    long t = 0;
    for (long s : sizes) t += s;
    return t;
  }
}
