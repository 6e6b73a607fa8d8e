package io.cairn.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Hand-built SigV4 requests for what the AWS SDK will not send (corrupt bodies, odd framing). */
final class RawS3Client {
  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /** A request about to be sent: its headers (without Host) and the signature they carry. */
  record Signed(Map<String, String> headers, String signature, String amzDate, byte[] signingKey) {}

  private final int port;
  private final String accessKey;
  private final String secret;
  private final String hostHeader;
  private final HttpClient http = HttpClient.newHttpClient();

  RawS3Client(int port, String accessKey, String secret) {
    this(port, accessKey, secret, "127.0.0.1:" + port);
  }

  /** A client that signs and sends {@code hostHeader} as the Host (virtual-host style addressing). */
  RawS3Client(int port, String accessKey, String secret, String hostHeader) {
    this.port = port;
    this.accessKey = accessKey;
    this.secret = secret;
    this.hostHeader = hostHeader;
  }

  String host() {
    return hostHeader;
  }

  /** Signs a request; {@code payloadHash} is the x-amz-content-sha256 to send. */
  Signed sign(String method, String rawPath, String rawQuery, Map<String, String> headers, String payloadHash)
      throws S3Exception {
    String amzDate = AMZ_DATE.format(Instant.now());
    String date = amzDate.substring(0, 8);
    Map<String, String> all = new TreeMap<>();
    headers.forEach((k, v) -> all.put(k.toLowerCase(Locale.ROOT), v));
    all.put("x-amz-date", amzDate);
    all.put("x-amz-content-sha256", payloadHash);
    Map<String, String> withHost = new TreeMap<>(all);
    withHost.put("host", host());
    List<String> signed = new ArrayList<>(withHost.keySet());
    String canonical = SigV4Signer.canonicalRequest(method, SigV4Signer.canonicalUri(rawPath),
        SigV4Signer.canonicalQuery(QueryParameters.parse(rawQuery).all()), signed, withHost, payloadHash);
    byte[] key = SigV4Signer.signingKey(secret, date, "us-east-1");
    String signature = SigV4Signer.signature(key,
        SigV4Signer.stringToSign(amzDate, SigV4Signer.scope(date, "us-east-1"), canonical));
    Map<String, String> out = new LinkedHashMap<>(all);
    out.put("authorization", "AWS4-HMAC-SHA256 Credential=" + accessKey + "/" + date + "/us-east-1/s3/aws4_request, "
        + "SignedHeaders=" + String.join(";", signed) + ", Signature=" + signature);
    return new Signed(out, signature, amzDate, key);
  }

  /** Sends a request whose body is signed with its hex SHA-256. */
  HttpResponse<String> send(String method, String rawPath, String rawQuery, Map<String, String> headers, byte[] body)
      throws Exception {
    Signed s = sign(method, rawPath, rawQuery, headers, SigV4Signer.sha256Hex(body));
    return send(method, rawPath, rawQuery, s.headers(), body, true);
  }

  HttpResponse<String> send(String method, String rawPath, String rawQuery, Map<String, String> headers, byte[] body,
      boolean unused) throws IOException, InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + port + rawPath + (rawQuery.isEmpty() ? "" : "?" + rawQuery));
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Sends exactly these bytes on a fresh connection and returns the status line and headers. */
  String sendRawBytes(byte[] request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[8192];
      int n = in.read(buf);
      return n < 0 ? "" : new String(buf, 0, n, StandardCharsets.ISO_8859_1);
    }
  }
}
