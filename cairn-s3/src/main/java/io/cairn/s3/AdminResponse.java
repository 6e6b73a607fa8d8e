package io.cairn.s3;

/** What an {@link AdminHandler} answers: status, content type and body bytes. */
public record AdminResponse(int status, String contentType, byte[] body) {
  public AdminResponse {
    if (status < 100 || status > 599) throw new IllegalArgumentException("bad HTTP status " + status);
    if (contentType == null) contentType = "application/octet-stream";
    body = body == null ? new byte[0] : body;
  }
}
