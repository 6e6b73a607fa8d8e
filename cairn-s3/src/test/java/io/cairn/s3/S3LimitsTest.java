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
 * gets {@code SlowDown} for its failures while its good signatures are still served, and a body
 * sent slower than the minimum upload rate is cut off with {@code RequestTimeout}, storing nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3LimitsTest {
  static final String ACCESS_KEY = "CAIRNLIMITKEY";
  static final String SECRET = "cairn-limits-secret-0123456789";
  static final int FAILURES_PER_MINUTE = 5;
  static final long MIN_UPLOAD_BYTES_PER_SECOND = 1024;

  private MemoryObjectBackend backend;
  private S3Gateway gateway;
  private S3Client s3;

  @BeforeAll
  void start() {
    backend = new MemoryObjectBackend(Map.of(ACCESS_KEY, SECRET));
    gateway = S3Gateway.start(new S3GatewayConfig("127.0.0.1", 0, "us-east-1", 15 * 60 * 1000L, List.of(),
        S3GatewayConfig.DEFAULT_CONCURRENT_REQUESTS_MAX, S3GatewayConfig.BODY_BYTES_MAX, FAILURES_PER_MINUTE,
        MIN_UPLOAD_BYTES_PER_SECOND), backend, null);
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
