package io.cairn.s3;

import java.util.Map;

/** Metadata of one stored object version; {@code etag} is without quotes. */
public record ObjectInfo(
    String key,
    long size,
    String etag,
    long lastModifiedMillis,
    String contentType,
    Map<String, String> userMetadata,
    Map<String, String> otherHeaders) {
  public ObjectInfo {
    userMetadata = Map.copyOf(userMetadata);
    otherHeaders = Map.copyOf(otherHeaders);
  }
}
