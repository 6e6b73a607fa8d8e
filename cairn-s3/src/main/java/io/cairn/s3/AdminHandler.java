package io.cairn.s3;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Serves requests whose path starts with {@code /_cairn/} (status, metrics, administration). The
 * gateway checks their SigV4 signature (all but {@code /_cairn/health}) and passes the verified
 * access key; the handler decides what that key may do.
 */
@FunctionalInterface
public interface AdminHandler {
  /**
   * @param accessKeyOrNull the access key whose SigV4 signature the request carries, verified;
   *     null for an unsigned request (or for {@code /_cairn/health}, which is not checked)
   * @param query decoded query parameters (first value wins)
   * @param headers request headers, lower-case names
   * @param body the request body
   */
  AdminResponse handle(
      String accessKeyOrNull, String method, String path, Map<String, String> query, Map<String, String> headers, InputStream body)
      throws IOException;
}
