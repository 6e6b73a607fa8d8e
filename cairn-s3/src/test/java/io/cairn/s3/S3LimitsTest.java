package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The gateway's limits on hostile clients: a source address that fails to authenticate too often
 * gets {@code SlowDown} for its failures while its good signatures are still served, and so does
 * an access key whose secret is guessed at from many addresses; a body
 * sent slower than the minimum upload rate is cut off with {@code RequestTimeout}, storing nothing;
 * a user past its request rate gets {@code SlowDown} while other users are served.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3LimitsTest {
  static final String ACCESS_KEY = "CAIRNLIMITKEY";
  static final String SECRET = "cairn-limits-secret-0123456789";
  static final String GUESSED_KEY = "CAIRNGUESSEDKEY";
  static final String GUESSED_SECRET = "cairn-guessed-secret-0123456789";
  static final int FAILURES_PER_MINUTE = 5;
  static final long MIN_UPLOAD_BYTES_PER_SECOND = 1024;

  private MemoryObjectBackend backend;
  private S3Gateway gateway;
  private S3Client s3;

  @BeforeAll
  void start() {
    backend = new MemoryObjectBackend(Map.of(ACCESS_KEY, SECRET, GUESSED_KEY, GUESSED_SECRET));
    gateway = S3Gateway.start(new S3GatewayConfig("127.0.0.1", 0, "us-east-1", 15 * 60 * 1000L, List.of(),
        S3GatewayConfig.DEFAULT_CONCURRENT_REQUESTS_MAX, S3GatewayConfig.BODY_BYTES_MAX, FAILURES_PER_MINUTE,
        MIN_UPLOAD_BYTES_PER_SECOND, S3GatewayConfig.DEFAULT_REQUEST_DEADLINE_MILLIS, 0), backend, null);
    s3 = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + gateway.port())).region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET))).build();
    s3.createBucket(b -> b.bucket("limits"));
  }

  @AfterAll
  void stop() {
    s3.close();
    gateway.close();
  }

  @Test
  void anAddressPastItsFailureLimitGetsSlowDownForFailuresButIsServedWhenItSigns() throws Exception {
    RawS3Client wrongSecret = new RawS3Client(gateway.port(), ACCESS_KEY, "not-the-secret");
    RawS3Client unknownKey = new RawS3Client(gateway.port(), "NOSUCHKEY123", SECRET);
    for (int i = 0; i < FAILURES_PER_MINUTE; i++) {
      var r = (i % 2 == 0 ? wrongSecret : unknownKey).send("GET", "/limits", "", Map.of(), new byte[0]);
      assertThat(r.statusCode()).as("failure %d", i).isEqualTo(403);
    }
    var slowed = wrongSecret.send("PUT", "/limits/forged", "", Map.of(), "x".getBytes(StandardCharsets.UTF_8));
    assertThat(slowed.statusCode()).isEqualTo(503);
    assertThat(slowed.body()).contains("<Code>SlowDown</Code>");
    assertThat(unknownKey.send("GET", "/limits", "", Map.of(), new byte[0]).statusCode()).isEqualTo(503);
    assertThat(backend.hasObject("limits", "forged")).isFalse();
    // The same address, signing with the right secret, is served.
    assertThat(s3.listObjectsV2(b -> b.bucket("limits")).contents()).isEmpty();
  }

  @Test
  void guessesAtOneKeySpreadOverManyAddressesGetSlowDownWhileItsOwnerIsServed() throws Exception {
    RawS3Client guesser = new RawS3Client(gateway.port(), GUESSED_KEY, "a-guess-at-the-secret");
    // One failure from each address: no address comes near its own limit.
    for (int i = 0; i < FAILURES_PER_MINUTE; i++) {
      assertThat(statusFrom("127.0.0." + (10 + i), guesser)).as("guess %d", i).startsWith("HTTP/1.1 403");
    }
    assertThat(statusFrom("127.0.0.30", guesser)).startsWith("HTTP/1.1 503").contains("SlowDown");
    // The key's owner, signing right, is served from any address.
    assertThat(statusFrom("127.0.0.31", new RawS3Client(gateway.port(), GUESSED_KEY, GUESSED_SECRET))).startsWith("HTTP/1.1 200");
    // Another key's wrong signature from a fresh address is not slowed by this key's count.
    assertThat(statusFrom("127.0.0.32", new RawS3Client(gateway.port(), ACCESS_KEY, "another-guess"))).startsWith("HTTP/1.1 403");
  }

  @Test
  void aUserPastItsRequestRateGetsSlowDownAndOtherUsersAreServed() throws Exception {
    int perSecond = 5;
    java.util.concurrent.atomic.AtomicLong nowMillis = new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());
    java.time.Clock clock = new java.time.Clock() {
      @Override public java.time.ZoneId getZone() { return java.time.ZoneOffset.UTC; }
      @Override public java.time.Clock withZone(java.time.ZoneId zone) { return this; }
      @Override public java.time.Instant instant() { return java.time.Instant.ofEpochMilli(nowMillis.get()); }
    };
    try (S3Gateway limited = S3Gateway.start(new S3GatewayConfig("127.0.0.1", 0, "us-east-1", 15 * 60 * 1000L, List.of(),
        S3GatewayConfig.DEFAULT_CONCURRENT_REQUESTS_MAX, S3GatewayConfig.BODY_BYTES_MAX, 0, 0, 0, perSecond), backend, null, clock)) {
      RawS3Client busy = new RawS3Client(limited.port(), ACCESS_KEY, SECRET);
      RawS3Client other = new RawS3Client(limited.port(), GUESSED_KEY, GUESSED_SECRET);
      for (int i = 0; i < perSecond; i++) {
        assertThat(busy.send("GET", "/limits", "", Map.of(), new byte[0]).statusCode()).as("request %d of the burst", i).isEqualTo(200);
      }
      var slowed = busy.send("PUT", "/limits/one-too-many", "", Map.of(), "x".getBytes(StandardCharsets.UTF_8));
      assertThat(slowed.statusCode()).isEqualTo(503);
      assertThat(slowed.body()).contains("<Code>SlowDown</Code>");
      assertThat(backend.hasObject("limits", "one-too-many")).as("a refused PUT stores nothing").isFalse();
      assertThat(other.send("GET", "/", "", Map.of(), new byte[0]).statusCode()).as("another user").isEqualTo(200);
      nowMillis.addAndGet(1000 / perSecond); // one request's worth of time
      assertThat(busy.send("GET", "/limits", "", Map.of(), new byte[0]).statusCode()).isEqualTo(200);
      assertThat(busy.send("GET", "/limits", "", Map.of(), new byte[0]).statusCode()).isEqualTo(503);
    }
  }

  @Test
  void aRequestStillRunningAtTheDeadlineIsCutOffHoweverSteadilyItsBodyComes() throws Exception {
    long deadlineMillis = 3_000;
    try (S3Gateway strict = S3Gateway.start(new S3GatewayConfig("127.0.0.1", 0, "us-east-1", 15 * 60 * 1000L, List.of(),
        S3GatewayConfig.DEFAULT_CONCURRENT_REQUESTS_MAX, S3GatewayConfig.BODY_BYTES_MAX, 0, 0, deadlineMillis, 0), backend, null)) {
      RawS3Client raw = new RawS3Client(strict.port(), ACCESS_KEY, SECRET);
      var signed = raw.sign("PUT", "/limits/endless", "", Map.of(), "UNSIGNED-PAYLOAD");
      StringBuilder head = new StringBuilder("PUT /limits/endless HTTP/1.1\r\nHost: " + raw.host() + "\r\n");
      signed.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      head.append("Content-Length: 1000000\r\n\r\n");
      long start = System.nanoTime();
      long cutAfterMillis = -1;
      try (Socket socket = new Socket("127.0.0.1", strict.port())) {
        OutputStream out = socket.getOutputStream();
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        // 4 KiB every 100 ms: a steady 40 KiB/s, which no rate limit would stop.
        byte[] piece = new byte[4096];
        try {
          while (System.nanoTime() - start < 15_000_000_000L) {
            out.write(piece);
            out.flush();
            Thread.sleep(100);
          }
        } catch (java.io.IOException closed) {
          cutAfterMillis = (System.nanoTime() - start) / 1_000_000;
        }
      }
      assertThat(cutAfterMillis).as("the connection was closed at the deadline").isBetween(deadlineMillis, 10_000L);
      assertThat(backend.hasObject("limits", "endless")).isFalse();
      // A request that ends in time is served as ever.
      assertThat(raw.send("PUT", "/limits/in-time", "", Map.of(), "ok".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(200);
    }
  }

  /** Sends a signed {@code GET /} (ListBuckets) from local address {@code source} and returns the response's head. */
  private String statusFrom(String source, RawS3Client client) throws Exception {
    var signed = client.sign("GET", "/", "", Map.of(), SigV4Signer.sha256Hex(new byte[0]));
    StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: " + client.host() + "\r\nConnection: close\r\n");
    signed.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("\r\n");
    try (Socket socket = new Socket()) {
      socket.bind(new java.net.InetSocketAddress(source, 0));
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", gateway.port()), 10_000);
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void aBodySentSlowerThanTheMinimumRateIsCutOffAndStoresNothing() throws Exception {
    RawS3Client raw = new RawS3Client(gateway.port(), ACCESS_KEY, SECRET);
    var signed = raw.sign("PUT", "/limits/slow", "", Map.of(), "UNSIGNED-PAYLOAD");
    StringBuilder head = new StringBuilder("PUT /limits/slow HTTP/1.1\r\nHost: " + raw.host() + "\r\n");
    signed.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("Content-Length: 100000\r\n\r\n");
    long start = System.nanoTime();
    try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      // A byte a second: past the grace, far slower than the minimum rate; each byte comes well within the idle timeout.
      while (in.available() == 0 && System.nanoTime() - start < 25_000_000_000L) {
        out.write('x');
        out.flush();
        Thread.sleep(1000);
      }
      String response = new String(in.readNBytes(512), StandardCharsets.ISO_8859_1);
      assertThat(response).startsWith("HTTP/1.1 400").contains("RequestTimeout").containsIgnoringCase("connection: close");
    }
    long seconds = (System.nanoTime() - start) / 1_000_000_000L;
    assertThat(seconds).as("cut off soon after the grace").isBetween(S3GatewayConfig.UPLOAD_GRACE_MILLIS / 1000, 20L);
    assertThat(backend.hasObject("limits", "slow")).isFalse();
  }
}
