package io.cairn.s3;

import java.util.Map;

/**
 * The metadata of an object being written.
 *
 * @param userMetadata x-amz-meta-* headers, lower-cased names without the prefix
 * @param contentLength decoded body length in bytes, -1 if unknown
 * @param otherHeaders Content-Encoding, Content-Disposition, Cache-Control, Expires, Content-Language, verbatim
 */
public record PutRequest(
    String contentType, Map<String, String> userMetadata, long contentLength, Map<String, String> otherHeaders) {
  public PutRequest {
    userMetadata = Map.copyOf(userMetadata);
    otherHeaders = Map.copyOf(otherHeaders);
  }
}
