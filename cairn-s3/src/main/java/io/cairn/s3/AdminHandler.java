package io.cairn.s3;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Serves requests whose path starts with {@code /_cairn/} (status, metrics, administration). The
 * gateway does not authenticate these requests; the handler decides.
 */
@FunctionalInterface
public interface AdminHandler {
  /**
   * @param query decoded query parameters (first value wins)
   * @param headers request headers, lower-case names
   * @param body the request body
   */
  AdminResponse handle(
      String method, String path, Map<String, String> query, Map<String, String> headers, InputStream body)
      throws IOException;
}
