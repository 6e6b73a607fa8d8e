package io.cairn.s3;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/** One HTTP request and its response, seen the way the S3 operations need them. */
public final class S3Exchange {
  /** Response buffer for streamed object bodies. */
  public static final int RESPONSE_BUFFER_BYTES = 64 * 1024;

  private final Request request;
  private final Response response;
  private final String requestId;
  private final String method;
  private final String rawPath;
  private final QueryParameters query;
  private final Map<String, String> headers;
  private final long minUploadBytesPerSecond;

  S3Exchange(Request request, Response response, String requestId, QueryParameters query, long minUploadBytesPerSecond) {
    this.request = request;
    this.minUploadBytesPerSecond = minUploadBytesPerSecond;
    this.response = response;
    this.requestId = requestId;
    this.method = request.getMethod();
    String path = request.getHttpURI().getPath();
    this.rawPath = path == null || path.isEmpty() ? "/" : path;
    this.query = query;
    Map<String, String> h = new LinkedHashMap<>();
    for (HttpField f : request.getHeaders()) {
      String name = f.getName().toLowerCase(Locale.ROOT);
      String value = f.getValue() == null ? "" : f.getValue();
      h.merge(name, value, (a, b) -> a + "," + b);
    }
    this.headers = Map.copyOf(h);
    response.getHeaders().put("x-amz-request-id", requestId);
    response.getHeaders().put("x-amz-id-2", requestId);
    response.getHeaders().put(HttpHeader.SERVER, "Cairn");
  }

  public String requestId() {
    return requestId;
  }

  /** Whether the request came over TLS. */
  public boolean secure() {
    return request.isSecure();
  }

  /** The client's IP address, as its connection shows it. */
  public String remoteAddress() {
    return Request.getRemoteAddr(request);
  }

  public String method() {
    return method;
  }

  public String rawPath() {
    return rawPath;
  }

  public QueryParameters query() {
    return query;
  }

  /** Lower-case header names to comma-joined values. */
  public Map<String, String> headers() {
    return headers;
  }

  public String header(String lowerCaseName) {
    return headers.get(lowerCaseName);
  }

  /**
   * The raw request body as sent (still aws-chunked if it was). A client that sends it slower
   * than the gateway's minimum upload rate, counted over the time the gateway waited in this
   * stream's reads (not the time it spent storing what came), fails the read with
   * {@code RequestTimeout}.
   */
  public InputStream rawBody() {
    if (body == null) {
      InputStream in = Content.Source.asInputStream(request);
      body = new java.io.FilterInputStream(in) {
        @Override
        public int read() throws java.io.IOException {
          byte[] one = new byte[1];
          int n = read(one, 0, 1);
          return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws java.io.IOException {
          long start = System.nanoTime();
          int n = in.read(buf, off, len);
          waitedNanos += System.nanoTime() - start;
          if (n > 0) bodyBytesRead += n;
          else if (n < 0) bodyEnded = true;
          checkUploadRate();
          return n;
        }
      };
    }
    return body;
  }

  private void checkUploadRate() throws S3BodyException {
    long waitedMillis = waitedNanos / 1_000_000;
    if (minUploadBytesPerSecond > 0 && !bodyEnded && waitedMillis > S3GatewayConfig.UPLOAD_GRACE_MILLIS
        && bodyBytesRead < minUploadBytesPerSecond * waitedMillis / 1000) {
      throw new S3BodyException(S3Error.RequestTimeout, "your socket connection to the server was not read from or written to"
          + " within the timeout period: " + bodyBytesRead + " bytes of the body came in " + waitedMillis
          + " ms, slower than " + minUploadBytesPerSecond + " bytes per second");
    }
  }

  private InputStream body;
  private long bodyBytesRead;
  private long waitedNanos;
  private boolean bodyEnded;

  /** A declared body up to this size that nobody read is read and dropped before an error answer. */
  static final long SMALL_BODY_BYTES = 64 * 1024;

  /** How long {@link #lingerOnBody} waits for more of a body before it gives up on it. */
  static final long LINGER_IDLE_MILLIS = 2_000;
  /** How long {@link #lingerOnBody} reads a body at most. */
  static final long LINGER_MAX_MILLIS = 10_000;

  /**
   * Settles the request body before an error answer, so that the client reads that answer and
   * knows whether the connection goes on. A body whose reading had begun (a refusal in the middle
   * of a large upload, a full disk) is read and dropped up to {@code bytesMax}, so that a client
   * still sending it reads the error rather than a reset connection; so is a small declared body
   * nobody read (a request refused on its headers). Any other unread body (large, chunked, or
   * awaiting {@code 100-continue}) is not waited for: the answer says {@code Connection: close},
   * for the server drops the connection after it, and a client that was not told would send its
   * next request into a closed socket.
   *
   * @return whether the client may still be sending a body nobody read: one with no {@code
   *     100-continue} to wait for. The caller then {@linkplain #lingerOnBody lingers on it} after
   *     the answer, before the connection closes.
   */
  boolean settleBody(long bytesMax) {
    if (bodyEnded) return false;
    long declared = request.getLength();
    boolean expectsContinue = "100-continue".equalsIgnoreCase(headers.get("expect"));
    long drain = bodyBytesRead > 0 ? bytesMax
        : declared > 0 && declared <= SMALL_BODY_BYTES && !expectsContinue ? declared : 0;
    if (drain > 0) {
      try {
        InputStream in = rawBody();
        byte[] buf = new byte[64 * 1024];
        long left = drain;
        while (left > 0) {
          int n = in.read(buf, 0, (int) Math.min(buf.length, left));
          if (n < 0) break;
          left -= n;
        }
        if (!bodyEnded) in.read(buf, 0, 1); // the end of a body read exactly to its length
      } catch (java.io.IOException | RuntimeException e) {
        // the client went away or sends too slowly: the connection is closed below
      }
    }
    if (bodyEnded) return false;
    // A body not drained above and not waiting for 100-continue is read after the answer (Jetty
    // fails a body's later reads once it has consumed what is there); any other is dropped as far
    // as it came.
    boolean stillComing = drain == 0 && !expectsContinue && declared != 0;
    if (!stillComing && request.consumeAvailable()) return false;
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
    return stillComing;
  }

  /**
   * After an error answer that says {@code Connection: close}, ends the server's side of the
   * connection and reads and drops what the client still sends of its body, up to {@code
   * bytesMax}, until it ends, pauses {@link #LINGER_IDLE_MILLIS} or has been read {@link
   * #LINGER_MAX_MILLIS}. A client sending its whole body before it reads the answer (HTTP/1.1
   * without {@code 100-continue}) then reads that answer; a connection closed on a body it was
   * still sending would be reset, and the client would lose the answer with it.
   */
  void lingerOnBody(long bytesMax) {
    // The connection is this request's alone in HTTP/1 (the only version the gateway speaks).
    if (request.getConnectionMetaData().getHttpVersion().getVersion() < 20) {
      request.getConnectionMetaData().getConnection().getEndPoint().shutdownOutput();
    }
    long deadline = System.nanoTime() + LINGER_MAX_MILLIS * 1_000_000;
    long left = bytesMax;
    while (left > 0 && System.nanoTime() < deadline) {
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        CountDownLatch more = new CountDownLatch(1);
        request.demand(more::countDown);
        try {
          if (!more.await(LINGER_IDLE_MILLIS, TimeUnit.MILLISECONDS)) return;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        continue;
      }
      try {
        if (Content.Chunk.isFailure(chunk)) return;
        left -= chunk.remaining();
        if (chunk.isLast()) {
          bodyEnded = true;
          return;
        }
      } finally {
        chunk.release();
      }
    }
  }

  public boolean committed() {
    return response.isCommitted();
  }

  public void setHeader(String name, String value) {
    response.getHeaders().put(name, value);
  }

  /** Sends a complete response with no body. */
  public void sendEmpty(int status) throws IOException {
    response.setStatus(status);
    if (status != 304 && !method.equals("HEAD")) response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0L);
    Content.Sink.write(response, true, ByteBuffer.allocate(0));
  }

  public void sendXml(int status, byte[] xml) throws IOException {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, xml.length);
    Content.Sink.write(response, true, ByteBuffer.wrap(xml));
  }

  public void sendBytes(int status, String contentType, byte[] body) throws IOException {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    Content.Sink.write(response, true, ByteBuffer.wrap(body));
  }

  /** Starts a streamed response of {@code contentLength} bytes; the caller closes the stream. */
  public OutputStream startBody(int status, long contentLength) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, contentLength);
    return new BufferedOutputStream(Content.Sink.asOutputStream(response), RESPONSE_BUFFER_BYTES);
  }

  /** Sends an S3 error document (headers only for HEAD). */
  public void sendError(S3Error error, String message) throws IOException {
    sendError(error, message, null);
  }

  /**
   * Sends an S3 error document (headers only for HEAD); with {@code region}, the region the
   * request should have been signed for, as a {@code Region} element and an
   * {@code x-amz-bucket-region} header.
   */
  public void sendError(S3Error error, String message, String region) throws IOException {
    response.setStatus(error.httpStatus());
    if (region != null) {
      response.getHeaders().put("x-amz-bucket-region", region);
    }
    if (method.equals("HEAD")) {
      Content.Sink.write(response, true, ByteBuffer.allocate(0));
      return;
    }
    XmlWriter doc = XmlWriter.plainDocument("Error")
        .element("Code", error.name())
        .element("Message", message);
    if (region != null) {
      doc.element("Region", region);
    }
    byte[] xml = doc.element("Resource", rawPath)
        .element("RequestId", requestId)
        .toBytes();
    sendXml(error.httpStatus(), xml);
  }
}
