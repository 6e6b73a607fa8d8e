package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PresignedPutObjectRequest;

/**
 * Requests that must be refused and change nothing: bodies past the size limit in every framing,
 * presigned URLs with headers their signer did not sign, and server-side encryption, which Cairn
 * does not implement.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3HardeningTest {
  static final String ACCESS_KEY = "CAIRNHARDKEY";
  static final String SECRET = "cairn-hardening-secret-0123456789";
  /** A small body limit, so that bodies past it are cheap to send. */
  static final long BODY_BYTES_MAX = 1024 * 1024;

  private MemoryObjectBackend backend;
  private S3Gateway gateway;
  private S3Client s3;
  private RawS3Client raw;
  private final Random random = new Random(42);
  private int buckets;

  @BeforeAll
  void start() {
    backend = new MemoryObjectBackend(Map.of(ACCESS_KEY, SECRET));
    gateway = S3Gateway.start(new S3GatewayConfig("127.0.0.1", 0, "us-east-1", 15 * 60 * 1000L, List.of(),
        S3GatewayConfig.DEFAULT_CONCURRENT_REQUESTS_MAX, BODY_BYTES_MAX), backend, null);
    s3 = S3Client.builder().endpointOverride(endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET))).build();
    raw = new RawS3Client(gateway.port(), ACCESS_KEY, SECRET);
  }

  @AfterAll
  void stop() {
    s3.close();
    gateway.close();
  }

  private URI endpoint() {
    return URI.create("http://127.0.0.1:" + gateway.port());
  }

  private String newBucket() {
    String name = "hard" + (buckets++);
    s3.createBucket(b -> b.bucket(name));
    return name;
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /**
   * Sends a signed (UNSIGNED-PAYLOAD) request whose body goes in HTTP chunks and returns what the
   * server answered; the server may answer and close before the whole body is written.
   */
  private String sendChunked(String method, String rawPath, String rawQuery, byte[] body) throws Exception {
    var signed = raw.sign(method, rawPath, rawQuery, Map.of(), "UNSIGNED-PAYLOAD");
    StringBuilder head = new StringBuilder(method + " " + rawPath + (rawQuery.isEmpty() ? "" : "?" + rawQuery)
        + " HTTP/1.1\r\nHost: " + raw.host() + "\r\n");
    signed.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        for (int off = 0; off < body.length; off += 65536) {
          int n = Math.min(65536, body.length - off);
          out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          out.write(body, off, n);
          out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } catch (IOException closedEarly) {
        // The server refused the body part-way and closed: its answer is still to be read.
      }
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void chunkedBodiesWithinTheLimitAreStoredWhole() throws Exception {
    String bucket = newBucket();
    byte[] body = randomBytes((int) BODY_BYTES_MAX);
    String response = sendChunked("PUT", "/" + bucket + "/fits", "", body);
    assertThat(response).startsWith("HTTP/1.1 200");
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("fits")).asByteArray()).isEqualTo(body);
  }

  @Test
  void aChunkedBodyPastTheLimitIsEntityTooLargeAndStoresNothing() throws Exception {
    String bucket = newBucket();
    String response = sendChunked("PUT", "/" + bucket + "/too-big", "", randomBytes((int) BODY_BYTES_MAX + 1));
    assertThat(response).startsWith("HTTP/1.1 400").contains("<Code>EntityTooLarge</Code>");
    assertThat(backend.objectCount(bucket)).isZero();
  }

  @Test
  void aChunkedPartPastTheLimitIsEntityTooLarge() throws Exception {
    String bucket = newBucket();
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key("parts")).uploadId();
    String response = sendChunked("PUT", "/" + bucket + "/parts", "partNumber=1&uploadId=" + uploadId,
        randomBytes((int) BODY_BYTES_MAX + 4096));
    assertThat(response).startsWith("HTTP/1.1 400").contains("<Code>EntityTooLarge</Code>");
    assertThat(s3.listParts(b -> b.bucket(bucket).key("parts").uploadId(uploadId)).parts()).isEmpty();
  }

  @Test
  void aDeclaredLengthPastTheLimitIsRefusedBeforeTheBodyIsSent() throws Exception {
    String bucket = newBucket();
    var signed = raw.sign("PUT", "/" + bucket + "/declared", "", Map.of(), "UNSIGNED-PAYLOAD");
    StringBuilder req = new StringBuilder("PUT /" + bucket + "/declared HTTP/1.1\r\nHost: " + raw.host() + "\r\n");
    signed.headers().forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    req.append("Content-Length: ").append(BODY_BYTES_MAX + 1).append("\r\nConnection: close\r\n\r\n");
    // No body byte is sent: the answer comes from the declared length alone.
    String response = raw.sendRawBytes(req.toString().getBytes(StandardCharsets.ISO_8859_1));
    assertThat(response).startsWith("HTTP/1.1 400").contains("EntityTooLarge");
    assertThat(backend.objectCount(bucket)).isZero();
  }

  /**
   * A header value beyond ASCII is signed as the text the client sent: botocore sends the UTF-8
   * bytes of {@code café} and signs them; a client that sends the ISO-8859-1 byte and signs the
   * text's UTF-8 is taken too. The object keeps the bytes sent, and a wrong signature is refused.
   */
  @Test
  void headerValuesBeyondAsciiAreSignedAsTheTextSent() throws Exception {
    String bucket = newBucket();
    byte[] body = "bar".getBytes(StandardCharsets.UTF_8);
    for (var wire : Map.of("utf8", StandardCharsets.UTF_8, "latin1", StandardCharsets.ISO_8859_1).entrySet()) {
      String key = "meta-" + wire.getKey();
      var signed = raw.sign("PUT", "/" + bucket + "/" + key, "", Map.of("x-amz-meta-m1", "Hello World\u00e9"),
          SigV4Signer.sha256Hex(body));
      java.io.ByteArrayOutputStream req = new java.io.ByteArrayOutputStream();
      req.writeBytes(("PUT /" + bucket + "/" + key + " HTTP/1.1\r\nHost: " + raw.host() + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      signed.headers().forEach((k, v) -> req.writeBytes((k + ": " + v + "\r\n").getBytes(wire.getValue())));
      req.writeBytes(("Content-Length: 3\r\nConnection: close\r\n\r\nbar").getBytes(StandardCharsets.ISO_8859_1));
      assertThat(raw.sendRawBytes(req.toByteArray())).as(wire.getKey()).startsWith("HTTP/1.1 200");
      String stored = backend.headObject(bucket, key).userMetadata().get("m1");
      assertThat(stored.getBytes(StandardCharsets.ISO_8859_1)).as("the bytes sent, kept")
          .isEqualTo("Hello World\u00e9".getBytes(wire.getValue()));
    }
    var signed = raw.sign("PUT", "/" + bucket + "/forged", "", Map.of("x-amz-meta-m1", "Hello World\u00e9"),
        SigV4Signer.sha256Hex(body));
    java.io.ByteArrayOutputStream req = new java.io.ByteArrayOutputStream();
    req.writeBytes(("PUT /" + bucket + "/forged HTTP/1.1\r\nHost: " + raw.host() + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    signed.headers().forEach((k, v) -> req.writeBytes((k + ": " + (k.equals("x-amz-meta-m1") ? "Hello World\u00ea" : v) + "\r\n")
        .getBytes(StandardCharsets.UTF_8)));
    req.writeBytes(("Content-Length: 3\r\nConnection: close\r\n\r\nbar").getBytes(StandardCharsets.ISO_8859_1));
    assertThat(raw.sendRawBytes(req.toByteArray())).as("another value than the one signed").startsWith("HTTP/1.1 403")
        .contains("SignatureDoesNotMatch");
  }

  /** A PUT whose signature is wrong, so that it is refused on its headers before its body is read. */
  private String forgedPut(String bucket, String key, String framing) throws Exception {
    var signed = raw.sign("PUT", "/" + bucket + "/" + key, "", Map.of(), "UNSIGNED-PAYLOAD");
    StringBuilder req = new StringBuilder("PUT /" + bucket + "/" + key + " HTTP/1.1\r\nHost: " + raw.host() + "\r\n");
    signed.headers().forEach((k, v) -> req.append(k).append(": ")
        .append(k.equals("authorization") ? v.substring(0, v.length() - 4) + "0000" : v).append("\r\n"));
    return req.append(framing).append("\r\n").toString();
  }

  /** Reads one response (status line, headers and a Content-Length body); null if the server closed first. */
  private static String readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) return head.isEmpty() ? null : head.toString();
      head.append((char) b);
    }
    var length = java.util.regex.Pattern.compile("(?im)^content-length: *(\\d+)").matcher(head);
    int n = length.find() ? Integer.parseInt(length.group(1)) : 0;
    return head + new String(in.readNBytes(n), StandardCharsets.ISO_8859_1);
  }

  @Test
  void aRefusedSmallBodyIsReadSoTheConnectionGoesOn() throws Exception {
    String bucket = newBucket();
    try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 3; i++) {
        // Headers first, body after: the refusal comes before the body is there to read.
        out.write(forgedPut(bucket, "k" + i, "Content-Length: 7\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        Thread.sleep(50);
        out.write("defaced".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        String response = readResponse(in);
        assertThat(response).as("answer %d on one connection", i).startsWith("HTTP/1.1 403")
            .contains("SignatureDoesNotMatch").doesNotContainIgnoringCase("connection: close");
      }
    }
    assertThat(backend.objectCount(bucket)).isZero();
  }

  /**
   * A client that expects no {@code 100 Continue} sends its whole body before it reads the answer
   * (the AWS SDK's default client does so below 1 MiB). Refused on its headers before the body
   * came, it must still read the refusal, not a reset connection: the gateway reads and drops the
   * body it is sent.
   */
  @Test
  void aBodySentAfterTheRefusalDoesNotCostTheClientItsAnswer() throws Exception {
    String bucket = newBucket();
    byte[] body = new byte[4 << 20];
    for (String framing : List.of("Content-Length: " + body.length + "\r\n", "Transfer-Encoding: chunked\r\n")) {
      try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(forgedPut(bucket, "k", framing).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        Thread.sleep(200); // the refusal is written before any of the body is sent
        boolean chunked = framing.startsWith("Transfer");
        for (int off = 0; off < body.length; off += 64 * 1024) {
          if (chunked) out.write((Integer.toHexString(64 * 1024) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          out.write(body, off, 64 * 1024);
          if (chunked) out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        if (chunked) out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        assertThat(readResponse(socket.getInputStream())).as(framing).startsWith("HTTP/1.1 403").contains("SignatureDoesNotMatch");
      }
    }
    assertThat(backend.objectCount(bucket)).isZero();
  }

  @Test
  void aRefusedBodyLeftUnreadClosesTheConnectionAndSaysSo() throws Exception {
    String bucket = newBucket();
    for (String framing : List.of("Content-Length: " + (S3Exchange.SMALL_BODY_BYTES + 1) + "\r\n",
        "Transfer-Encoding: chunked\r\n", "Content-Length: 7\r\nExpect: 100-continue\r\n")) {
      try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(forgedPut(bucket, "k", framing).getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        assertThat(readResponse(in)).as(framing).startsWith("HTTP/1.1 403").containsIgnoringCase("connection: close");
        assertThat(in.read()).as("the server closes after %s", framing).isEqualTo(-1);
      }
    }
    assertThat(backend.objectCount(bucket)).isZero();
  }

  @Test
  void aPresignedPutRefusesHeadersItsSignerDidNotSign() throws Exception {
    String bucket = newBucket();
    s3.putObject(b -> b.bucket(bucket).key("secret"), RequestBody.fromString("not for the URL holder"));
    try (S3Presigner presigner = S3Presigner.builder().endpointOverride(endpoint()).region(Region.US_EAST_1)
        .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder().pathStyleAccessEnabled(true).build())
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET))).build()) {
      PresignedPutObjectRequest put = presigner.presignPutObject(p -> p.signatureDuration(Duration.ofMinutes(5))
          .putObjectRequest(o -> o.bucket(bucket).key("upload").metadata(Map.of("origin", "signed"))));
      HttpClient http = HttpClient.newHttpClient();
      // The holder of the URL adds x-amz-copy-source to turn the upload into a copy of "secret".
      HttpRequest.Builder copy = HttpRequest.newBuilder(put.url().toURI())
          .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[0]))
          .header("x-amz-copy-source", "/" + bucket + "/secret");
      put.signedHeaders().forEach((k, v) -> { if (!k.equalsIgnoreCase("host")) v.forEach(x -> copy.header(k, x)); });
      HttpResponse<String> refused = http.send(copy.build(), HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(refused.body()).contains("<Code>AccessDenied</Code>").contains("x-amz-copy-source");
      assertThat(s3.listObjectsV2(b -> b.bucket(bucket)).contents()).extracting(o -> o.key()).containsExactly("secret");
      // An unsigned metadata header is refused too, and the URL used as signed works.
      HttpRequest.Builder extra = HttpRequest.newBuilder(put.url().toURI())
          .PUT(HttpRequest.BodyPublishers.ofString("uploaded")).header("x-amz-meta-added", "by the holder");
      put.signedHeaders().forEach((k, v) -> { if (!k.equalsIgnoreCase("host")) v.forEach(x -> extra.header(k, x)); });
      assertThat(http.send(extra.build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);
      HttpRequest.Builder ok = HttpRequest.newBuilder(put.url().toURI()).PUT(HttpRequest.BodyPublishers.ofString("uploaded"));
      put.signedHeaders().forEach((k, v) -> { if (!k.equalsIgnoreCase("host")) v.forEach(x -> ok.header(k, x)); });
      assertThat(http.send(ok.build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("upload")).asUtf8String()).isEqualTo("uploaded");
      assertThat(s3.headObject(b -> b.bucket(bucket).key("upload")).metadata()).containsEntry("origin", "signed");
    }
  }

  @Test
  void serverSideEncryptionIsNotImplementedAndStoresNothing() {
    String bucket = newBucket();
    assertNotImplemented(() -> s3.putObject(b -> b.bucket(bucket).key("sse-s3").serverSideEncryption(ServerSideEncryption.AES256),
        RequestBody.fromString("would be stored in clear")));
    assertNotImplemented(() -> s3.putObject(b -> b.bucket(bucket).key("sse-kms").serverSideEncryption(ServerSideEncryption.AWS_KMS),
        RequestBody.fromString("would be stored in clear")));
    String customerKey = java.util.Base64.getEncoder().encodeToString(randomBytes(32));
    String customerKeyMd5 = md5Base64(java.util.Base64.getDecoder().decode(customerKey));
    assertNotImplemented(() -> s3.createMultipartUpload(b -> b.bucket(bucket).key("sse-mpu")
        .serverSideEncryption(ServerSideEncryption.AES256)));
    assertNotImplemented(() -> s3.createMultipartUpload(b -> b.bucket(bucket).key("sse-c-mpu").sseCustomerAlgorithm("AES256")
        .sseCustomerKey(customerKey).sseCustomerKeyMD5(customerKeyMd5)));
    assertThat(backend.objectCount(bucket)).isZero();
    s3.putObject(b -> b.bucket(bucket).key("plain"), RequestBody.fromString("plain"));
    assertNotImplemented(() -> s3.copyObject(b -> b.sourceBucket(bucket).sourceKey("plain").destinationBucket(bucket)
        .destinationKey("copy").serverSideEncryption(ServerSideEncryption.AES256)));
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("plain").sseCustomerAlgorithm("AES256")
        .sseCustomerKey(customerKey).sseCustomerKeyMD5(customerKeyMd5)))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(400));
    assertThat(s3.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
    assertThat(backend.objectCount(bucket)).isEqualTo(1);
  }

  @Test
  void sseCObjectsAreStoredEncryptedAndReadOnlyWithTheirKey() throws Exception {
    String bucket = newBucket();
    byte[] key = randomBytes(32);
    String k64 = java.util.Base64.getEncoder().encodeToString(key);
    String md5 = md5Base64(key);
    byte[] other = randomBytes(32);
    // Plaintext with a pattern to look for in what the backend stores, over several 64 KiB segments.
    byte[] plain = ("CAIRN-SSE-C-PLAINTEXT-" + "x".repeat(41)).repeat(3000).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    var put = s3.putObject(b -> b.bucket(bucket).key("secret").sseCustomerAlgorithm("AES256").sseCustomerKey(k64).sseCustomerKeyMD5(md5),
        RequestBody.fromBytes(plain));
    assertThat(put.sseCustomerKeyMD5()).isEqualTo(md5);
    byte[] stored = backend.storedBytes(bucket, "secret");
    assertThat(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("CAIRN-SSE-C-PLAINTEXT");
    assertThat(stored.length).isGreaterThan(plain.length);

    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("secret").sseCustomerAlgorithm("AES256").sseCustomerKey(k64)
        .sseCustomerKeyMD5(md5)).asByteArray()).isEqualTo(plain);
    for (long[] r : new long[][] {{0, 9}, {65530, 65545}, {65536, 65536 * 2 + 5}, {plain.length - 7, plain.length - 1}}) {
      byte[] part = s3.getObjectAsBytes(b -> b.bucket(bucket).key("secret").range("bytes=" + r[0] + "-" + r[1])
          .sseCustomerAlgorithm("AES256").sseCustomerKey(k64).sseCustomerKeyMD5(md5)).asByteArray();
      assertThat(part).isEqualTo(java.util.Arrays.copyOfRange(plain, (int) r[0], (int) r[1] + 1));
    }
    assertThat(s3.headObject(b -> b.bucket(bucket).key("secret").sseCustomerAlgorithm("AES256").sseCustomerKey(k64)
        .sseCustomerKeyMD5(md5)).contentLength()).isEqualTo(plain.length);
    assertThat(s3.listObjectsV2(b -> b.bucket(bucket)).contents().getFirst().size()).isEqualTo(plain.length);

    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("secret")))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).as("no key").isEqualTo(400));
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("secret").sseCustomerAlgorithm("AES256")
        .sseCustomerKey(java.util.Base64.getEncoder().encodeToString(other)).sseCustomerKeyMD5(md5Base64(other))))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).as("another key").isEqualTo(403));
    assertThatThrownBy(() -> s3.headObject(b -> b.bucket(bucket).key("secret")))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(400));
    assertThatThrownBy(() -> s3.putObject(b -> b.bucket(bucket).key("bad-md5").sseCustomerAlgorithm("AES256").sseCustomerKey(k64)
        .sseCustomerKeyMD5(md5Base64(other)), RequestBody.fromString("x")))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(400));
    assertNotImplemented(() -> s3.copyObject(b -> b.sourceBucket(bucket).sourceKey("secret").destinationBucket(bucket)
        .destinationKey("copy")));
    assertThat(backend.hasObject(bucket, "bad-md5")).isFalse();
    assertThat(backend.hasObject(bucket, "copy")).isFalse();
  }

  private static void assertNotImplemented(Runnable call) {
    assertThatThrownBy(call::run)
        .isInstanceOf(AwsServiceException.class)
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(501))
        .satisfies(e -> assertThat(((AwsServiceException) e).awsErrorDetails().errorCode()).isEqualTo("NotImplemented"));
  }

  private static String md5Base64(byte[] bytes) {
    try {
      return java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("MD5").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
