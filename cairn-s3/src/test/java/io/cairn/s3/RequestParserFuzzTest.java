package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Randomized requests against the S3 parsers: header values, query strings, byte ranges,
 * conditional dates, copy sources, XML documents and aws-chunked framing, most of them malformed,
 * each signed correctly (so that it passes authentication and reaches the parser under test) or
 * not at all. Every request must get a clear answer: an HTTP status below 500, or 501 for a
 * feature Cairn does not implement (never an internal error), within the socket timeout (never
 * a hang); a PUT that was refused stores nothing; and a
 * canary object reads back unchanged at the end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestParserFuzzTest {
  static final String ACCESS_KEY = "CAIRNFUZZKEY";
  static final String SECRET = "cairn-fuzz-secret-0123456789";
  static final long SEED = Long.getLong("cairn.test.seed", System.nanoTime());
  static final int REQUESTS = Integer.getInteger("cairn.fuzz.requests", 1500);
  static final String BUCKET = "fuzz";
  static final byte[] CANARY = "the canary must never change".getBytes(StandardCharsets.UTF_8);

  private MemoryObjectBackend backend;
  private S3Gateway gateway;
  private RawS3Client raw;
  private S3Client sdk;
  private final Random random = new Random(SEED);

  @BeforeAll
  void start() {
    System.out.println("RequestParserFuzzTest seed=" + SEED + " requests=" + REQUESTS
        + " (reproduce: ./mvnw -o -pl cairn-s3 test -Dtest=RequestParserFuzzTest -Dcairn.test.seed=" + SEED + ")");
    backend = new MemoryObjectBackend(Map.of(ACCESS_KEY, SECRET));
    gateway = S3Gateway.start(new S3GatewayConfig("127.0.0.1", 0, "us-east-1", 15 * 60 * 1000L, List.of(),
        S3GatewayConfig.DEFAULT_CONCURRENT_REQUESTS_MAX, 8L << 20), backend, null);
    raw = new RawS3Client(gateway.port(), ACCESS_KEY, SECRET);
    sdk = S3Client.builder().endpointOverride(java.net.URI.create("http://127.0.0.1:" + gateway.port()))
        .region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET))).build();
    sdk.createBucket(b -> b.bucket(BUCKET));
    sdk.putObject(b -> b.bucket(BUCKET).key("canary"), RequestBody.fromBytes(CANARY));
  }

  @AfterAll
  void stop() {
    sdk.close();
    gateway.close();
  }

  /** A request to send: method, raw path, raw query, headers (without Host), body. */
  record Req(String method, String path, String query, Map<String, String> headers, byte[] body, String putKey) {}

  @Test
  void malformedRequestsGetClearErrorsAndChangeNothing() throws Exception {
    List<String> refusedPuts = new ArrayList<>();
    Map<Integer, Integer> statuses = new java.util.TreeMap<>();
    for (int i = 0; i < REQUESTS; i++) {
      Req r = request(i);
      boolean sign = random.nextInt(10) != 0;
      byte[] wire = wire(r, sign);
      int status = send(wire, i, r);
      statuses.merge(status, 1, Integer::sum);
      assertThat(status).as("request %d (seed %d): %s %s?%s %s", i, SEED, r.method(), r.path(), r.query(), r.headers())
          .satisfiesAnyOf(s -> assertThat(s).isBetween(200, 499), s -> assertThat(s).as("NotImplemented").isEqualTo(501));
      if (r.putKey() != null && status >= 300) {
        refusedPuts.add(r.putKey());
      }
    }
    System.out.println("RequestParserFuzzTest statuses: " + statuses);
    for (String rawKey : refusedPuts) {
      String key;
      try {
        key = QueryParameters.decode(rawKey, false);
      } catch (RuntimeException | S3Exception undecodable) {
        continue; // the path itself was refused
      }
      assertThat(backend.hasObject(BUCKET, key)).as("refused PUT of %s stored it (seed %d)", key, SEED).isFalse();
    }
    assertThat(sdk.getObjectAsBytes(b -> b.bucket(BUCKET).key("canary")).asByteArray()).isEqualTo(CANARY);
  }

  private Req request(int i) {
    String key = "k" + i + "-" + randomKeyPart();
    return switch (random.nextInt(8)) {
      case 0 -> new Req("PUT", "/" + BUCKET + "/" + key, "", randomHeaders(), randomBytes(random.nextInt(2048)), key);
      case 1 -> new Req("GET", "/" + BUCKET + "/canary", maybe(() -> "partNumber=" + garbageNumber()), readHeaders(), new byte[0], null);
      case 2 -> new Req("GET", "/" + BUCKET, listQuery(), Map.of(), new byte[0], null);
      case 3 -> new Req("POST", "/" + BUCKET, "delete", Map.of("content-type", "application/xml"), xml(), null);
      case 4 -> new Req("POST", "/" + BUCKET + "/" + key, "uploadId=" + garbageToken(), Map.of(), xml(), null);
      case 5 -> chunked(key);
      case 6 -> new Req("PUT", "/" + BUCKET + "/" + key, "", Map.of("x-amz-copy-source", copySource()), new byte[0], key);
      // ACLs on the bucket and the canary (a PUT there always names ?acl: a plain PUT of the canary would rightly replace it),
      // and GETs with odd subresources.
      default -> random.nextBoolean()
          ? new Req("PUT", "/" + BUCKET + (random.nextBoolean() ? "" : "/canary"), "acl", aclHeaders(), xml(), null)
          : new Req("GET", "/" + BUCKET + (random.nextBoolean() ? "" : "/canary"), random.nextBoolean() ? "acl" : randomQuery(),
              aclHeaders(), new byte[0], null);
    };
  }

  private String randomKeyPart() {
    StringBuilder b = new StringBuilder();
    int n = random.nextInt(12);
    for (int j = 0; j < n; j++) {
      int c = random.nextInt(4);
      if (c == 0) b.append('%').append(String.format("%02X", random.nextInt(256)));
      else if (c == 1) b.append("%2F");
      else b.append((char) ('a' + random.nextInt(26)));
    }
    return b.toString();
  }

  private String garbage() {
    String[] pool = {"", " ", "-1", "0", "99999999999999999999", "abc", "\u00e9t\u00e9", "%zz", "bytes=", "bytes=5-2",
        "bytes=-0", "bytes=0-", "bytes=1-2,3-4", "=", ";", "\"", "<x>", "Tue, 31 Feb 2025 25:61:61 GMT", "2025-13-45T99:99:99Z",
        "AES256", "aws:kms", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-checksum-crc32", "AAAA", "////",
        "a".repeat(3000), "NaN", "true", "null", "\t", "1e9", "0x10"};
    return pool[random.nextInt(pool.length)];
  }

  private String garbageNumber() {
    String[] pool = {"0", "1", "2", "10000", "-5", "abc", "", "2147483648", "1.5"};
    return pool[random.nextInt(pool.length)];
  }

  private String garbageToken() {
    String[] pool = {"", "x", "AAAA", "%00", "00000000-0000-0000-0000-000000000000", "a%2Fb", "..", "Zm9v"};
    return pool[random.nextInt(pool.length)];
  }

  private Map<String, String> randomHeaders() {
    String[] names = {"content-type", "content-md5", "x-amz-meta-a", "x-amz-meta-\u00fcber", "cache-control", "content-disposition",
        "content-encoding", "expires", "x-amz-checksum-crc32", "x-amz-checksum-sha256", "x-amz-storage-class",
        "x-amz-tagging", "x-amz-acl", "if-none-match", "if-match", "x-amz-website-redirect-location", "x-amz-sdk-checksum-algorithm",
        "x-amz-trailer", "x-amz-decoded-content-length", "x-amz-object-lock-mode"};
    Map<String, String> h = new LinkedHashMap<>();
    int n = random.nextInt(4);
    for (int j = 0; j < n; j++) {
      String v = garbage();
      if (v.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f) || random.nextBoolean()) {
        h.put(names[random.nextInt(names.length)], v.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f) ? v : "x");
      }
    }
    return h;
  }

  private Map<String, String> readHeaders() {
    String[] names = {"range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"};
    Map<String, String> h = new LinkedHashMap<>();
    int n = 1 + random.nextInt(3);
    for (int j = 0; j < n; j++) {
      String v = garbage();
      h.put(names[random.nextInt(names.length)], v.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f) ? v : "bytes=0-1");
    }
    return h;
  }

  private Map<String, String> aclHeaders() {
    Map<String, String> h = new LinkedHashMap<>();
    if (random.nextBoolean()) h.put("x-amz-acl", new String[] {"private", "public-read", "public-read-write", "bogus", ""}[random.nextInt(5)]);
    if (random.nextInt(4) == 0) h.put("x-amz-grant-read", "id=" + garbageToken());
    return h;
  }

  private String listQuery() {
    String[] params = {"list-type", "max-keys", "prefix", "delimiter", "marker", "continuation-token", "start-after",
        "encoding-type", "fetch-owner", "uploads", "versions", "key-marker", "upload-id-marker", "max-uploads"};
    List<String> parts = new ArrayList<>();
    int n = random.nextInt(5);
    for (int j = 0; j < n; j++) {
      String name = params[random.nextInt(params.length)];
      String value = random.nextBoolean() ? garbageNumber() : garbageToken();
      parts.add(name + (random.nextInt(5) == 0 ? "" : "=" + value));
    }
    return String.join("&", parts);
  }

  private String randomQuery() {
    String[] pool = {"", "acl", "tagging", "versioning", "location", "uploads", "policy", "x=%", "a=%G1", "&&", "=x", "a=b=c"};
    return pool[random.nextInt(pool.length)];
  }

  private String copySource() {
    String[] pool = {"/" + BUCKET + "/canary", BUCKET + "/canary", "/" + BUCKET, "/", "", "/nope/x", "/" + BUCKET + "/canary?versionId=1",
        "/" + BUCKET + "/%zz", "%2F" + BUCKET + "%2Fcanary", "/" + BUCKET + "/canary?versionId=null"};
    return pool[random.nextInt(pool.length)];
  }

  private byte[] xml() {
    String[] pool = {
        "", "<", "<Delete/>", "<Delete><Object><Key>canary</Key></Object>", "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">"
            + "<!ENTITY b \"&a;&a;&a;&a;\">]><Delete><Object><Key>&b;</Key></Object></Delete>",
        "<!DOCTYPE x SYSTEM \"file:///etc/passwd\"><Delete><Object><Key>x</Key></Object></Delete>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber></Part></CompleteMultipartUpload>",
        "<Delete><Quiet>maybe</Quiet><Object><Key></Key></Object></Delete>", "<a>".repeat(500) + "</a>".repeat(500),
        "<AccessControlPolicy><Owner><ID>x</ID></Owner></AccessControlPolicy>", "\u0000\u0001\u0002", "<Delete>" + "<Object><Key>k</Key></Object>".repeat(1001) + "</Delete>"};
    return pool[random.nextInt(pool.length)].getBytes(StandardCharsets.UTF_8);
  }

  /** An aws-chunked PUT, unsigned-payload with a trailer, its framing often broken. */
  private Req chunked(String key) {
    byte[] data = randomBytes(random.nextInt(3000));
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int off = 0;
    while (off < data.length) {
      int n = Math.min(data.length - off, 1 + random.nextInt(1500));
      String size = switch (random.nextInt(12)) {
        case 0 -> "zz";
        case 1 -> Integer.toHexString(n + 7);
        case 2 -> "ffffffffffff";
        case 3 -> "-1";
        default -> Integer.toHexString(n);
      };
      b.writeBytes((size + (random.nextInt(15) == 0 ? "\n" : "\r\n")).getBytes(StandardCharsets.US_ASCII));
      b.write(data, off, n);
      b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      off += n;
    }
    if (random.nextInt(6) != 0) b.writeBytes("0\r\n".getBytes(StandardCharsets.US_ASCII));
    if (random.nextBoolean()) b.writeBytes("x-amz-checksum-crc32:AAAAAA==\r\n".getBytes(StandardCharsets.US_ASCII));
    b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    Map<String, String> h = new LinkedHashMap<>();
    h.put("content-encoding", "aws-chunked");
    h.put("x-amz-decoded-content-length", random.nextInt(8) == 0 ? garbageNumber() : Integer.toString(data.length));
    if (random.nextBoolean()) h.put("x-amz-trailer", random.nextBoolean() ? "x-amz-checksum-crc32" : garbageToken());
    return new Req("PUT", "/" + BUCKET + "/" + key, "", h, b.toByteArray(), key);
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private String maybe(java.util.function.Supplier<String> s) {
    return random.nextBoolean() ? s.get() : "";
  }

  /** The request as bytes on the wire, signed with SigV4 (the payload mode its headers ask for), or not signed. */
  private byte[] wire(Req r, boolean sign) throws Exception {
    Map<String, String> headers = new LinkedHashMap<>(r.headers());
    if (sign) {
      String payload = "aws-chunked".equals(headers.get("content-encoding")) ? "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
          : random.nextInt(5) == 0 ? "UNSIGNED-PAYLOAD" : SigV4Signer.sha256Hex(r.body());
      try {
        headers = new LinkedHashMap<>(raw.sign(r.method(), r.path(), r.query(), headers, payload).headers());
      } catch (S3Exception | IllegalArgumentException unsignable) {
        // a query the signer itself cannot parse goes out unsigned
      }
    }
    StringBuilder head = new StringBuilder(r.method()).append(' ').append(r.path())
        .append(r.query().isEmpty() ? "" : "?" + r.query()).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(raw.host()).append("\r\n");
    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("Content-Length: ").append(r.body().length).append("\r\nConnection: close\r\n\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
    out.writeBytes(r.body());
    return out.toByteArray();
  }

  /** Sends the request and returns the HTTP status it got; a request with no answer in 10 s fails the test. */
  private int send(byte[] wire, int i, Req r) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(wire);
        out.flush();
      } catch (IOException closedEarly) {
        // the server answered and closed before the whole body was sent
      }
      InputStream in = socket.getInputStream();
      byte[] first = new byte[12];
      int got = 0;
      try {
        while (got < 12) {
          int n = in.read(first, got, 12 - got);
          if (n < 0) break;
          got += n;
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError("request " + i + " (seed " + SEED + ") got no answer in 10 s: " + r.method() + " " + r.path()
            + "?" + r.query() + " " + r.headers(), e);
      }
      String line = new String(first, 0, got, StandardCharsets.ISO_8859_1);
      assertThat(line).as("request %d (seed %d) got no status line: %s %s?%s", i, SEED, r.method(), r.path(), r.query())
          .startsWith("HTTP/1.1 ");
      return Integer.parseInt(line.substring(9, 12));
    }
  }
}
