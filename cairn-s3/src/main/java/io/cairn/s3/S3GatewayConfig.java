package io.cairn.s3;

import java.util.List;

/**
 * Where and how the S3 gateway listens.
 *
 * @param host address to bind
 * @param port port to bind, 0 for any free port
 * @param region the region clients sign for
 * @param maxSkewMillis largest accepted difference between a request's signing time and ours
 * @param virtualHostDomains domains under which {@code bucket.domain} addresses a bucket (may be empty)
 * @param concurrentRequestsMax requests served at once; more are answered with SlowDown
 * @param bodyBytesMax the largest body of one PUT or one part, at most S3's 5 GiB, whatever the
 *     framing: a declared length, an aws-chunked decoded length, or a chunked transfer counted as it arrives
 * @param failedSignaturesPerMinute failed authentications one source address may make in a
 *     sliding minute; past it, its unknown access keys cost no map read and its failures are
 *     answered {@code SlowDown}; 0 for no limit
 * @param minUploadBytesPerSecond the slowest a client may send a request body, counted over the
 *     time the gateway waits for it (not the time it spends storing what came), after a grace of
 *     {@link #UPLOAD_GRACE_MILLIS}; slower is {@code RequestTimeout}; 0 for no limit
 * @param requestDeadlineMillis the longest one request may take from its headers to the end of its
 *     answer, however steadily its body or answer moves; past it the connection is closed; 0 for
 *     no deadline
 * @param userRequestsPerSecond requests one user (or, unsigned, one source address) may make of
 *     this gateway per second, with bursts of as many; past it, {@code SlowDown}; 0 for no limit
 */
public record S3GatewayConfig(
    String host,
    int port,
    String region,
    long maxSkewMillis,
    List<String> virtualHostDomains,
    int concurrentRequestsMax,
    long bodyBytesMax,
    int failedSignaturesPerMinute,
    long minUploadBytesPerSecond,
    long requestDeadlineMillis,
    int userRequestsPerSecond) {

  public static final String DEFAULT_REGION = "us-east-1";
  public static final long DEFAULT_MAX_SKEW_MILLIS = 15 * 60 * 1000L;
  public static final int DEFAULT_CONCURRENT_REQUESTS_MAX = 1024;
  /** S3's largest object of one PUT, and largest part. */
  public static final long BODY_BYTES_MAX = 5L * 1024 * 1024 * 1024;
  public static final int DEFAULT_FAILED_SIGNATURES_PER_MINUTE = 600;
  public static final long DEFAULT_MIN_UPLOAD_BYTES_PER_SECOND = 1024;
  /** Two hours: a 5 GiB body at 1 MiB/s takes 85 minutes. */
  public static final long DEFAULT_REQUEST_DEADLINE_MILLIS = 2 * 60 * 60 * 1000L;
  /** How long the gateway waits for a body before its rate is checked. */
  public static final long UPLOAD_GRACE_MILLIS = 10_000;

  public S3GatewayConfig {
    if (host == null || host.isBlank()) throw new IllegalArgumentException("host is required");
    if (port < 0 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
    if (region == null || region.isBlank()) region = DEFAULT_REGION;
    if (maxSkewMillis <= 0) throw new IllegalArgumentException("maxSkewMillis must be positive");
    virtualHostDomains = virtualHostDomains == null ? List.of() : List.copyOf(virtualHostDomains);
    if (concurrentRequestsMax <= 0) throw new IllegalArgumentException("concurrentRequestsMax must be positive");
    if (bodyBytesMax <= 0 || bodyBytesMax > BODY_BYTES_MAX) {
      throw new IllegalArgumentException("bodyBytesMax must be from 1 to " + BODY_BYTES_MAX);
    }
    if (failedSignaturesPerMinute < 0) throw new IllegalArgumentException("failedSignaturesPerMinute must be >= 0");
    if (minUploadBytesPerSecond < 0) throw new IllegalArgumentException("minUploadBytesPerSecond must be >= 0");
    if (requestDeadlineMillis < 0) throw new IllegalArgumentException("requestDeadlineMillis must be >= 0");
    if (userRequestsPerSecond < 0) throw new IllegalArgumentException("userRequestsPerSecond must be >= 0");
  }

  public S3GatewayConfig(
      String host, int port, String region, long maxSkewMillis, List<String> virtualHostDomains, int concurrentRequestsMax,
      long bodyBytesMax) {
    this(host, port, region, maxSkewMillis, virtualHostDomains, concurrentRequestsMax, bodyBytesMax,
        DEFAULT_FAILED_SIGNATURES_PER_MINUTE, DEFAULT_MIN_UPLOAD_BYTES_PER_SECOND, DEFAULT_REQUEST_DEADLINE_MILLIS, 0);
  }

  public S3GatewayConfig(
      String host, int port, String region, long maxSkewMillis, List<String> virtualHostDomains, int concurrentRequestsMax) {
    this(host, port, region, maxSkewMillis, virtualHostDomains, concurrentRequestsMax, BODY_BYTES_MAX);
  }

  public S3GatewayConfig(String host, int port, String region, long maxSkewMillis) {
    this(host, port, region, maxSkewMillis, List.of(), DEFAULT_CONCURRENT_REQUESTS_MAX, BODY_BYTES_MAX);
  }

  /** Defaults: region us-east-1, 15 minutes of skew, path-style addressing only. */
  public static S3GatewayConfig of(String host, int port) {
    return new S3GatewayConfig(host, port, DEFAULT_REGION, DEFAULT_MAX_SKEW_MILLIS);
  }
}
