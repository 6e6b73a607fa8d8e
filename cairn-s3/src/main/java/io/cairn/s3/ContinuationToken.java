package io.cairn.s3;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The opaque ListObjectsV2 continuation token: the last key or common prefix returned, base64url.
 *
 * @param commonPrefix true when {@code last} is a common prefix (resume after everything under it)
 */
public record ContinuationToken(String last, boolean commonPrefix) {
  public String encode() {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(((commonPrefix ? "P" : "K") + last).getBytes(StandardCharsets.UTF_8));
  }

  public static ContinuationToken decode(String token) throws S3Exception {
    String s;
    try {
      s = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      s = "";
    }
    if (s.isEmpty() || (s.charAt(0) != 'P' && s.charAt(0) != 'K')) {
      throw new S3Exception(S3Error.InvalidArgument, "the continuation token provided is incorrect");
    }
    return new ContinuationToken(s.substring(1), s.charAt(0) == 'P');
  }
}
