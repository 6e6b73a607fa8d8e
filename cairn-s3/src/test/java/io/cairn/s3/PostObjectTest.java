package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Browser-based uploads (POST Object) through the gateway with a memory backend: forms signed
 * with SigV4 and SigV2 (signed here from the secret, independently of the gateway's code), the
 * policy's conditions and expiration, the file's length range, the three kinds of answer, and
 * forms that must store nothing: expired, tampered, unsigned, truncated, too large.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostObjectTest {
  static final String ACCESS_KEY = "CAIRNPOSTKEY";
  static final String SECRET = "cairn-post-secret-0123456789";
  static final long SEED = Long.getLong("cairn.test.seed", System.nanoTime());
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private S3Gateway gateway;
  private S3Client s3;
  private final HttpClient http = HttpClient.newHttpClient();
  private final Random random = new Random(SEED);
  private String bucket;

  @BeforeAll
  void start() {
    System.out.println("PostObjectTest seed=" + SEED
        + " (reproduce: ./mvnw -o -pl cairn-s3 test -Dtest=PostObjectTest -Dcairn.test.seed=" + SEED + ")");
    gateway = S3Gateway.start(S3GatewayConfig.of("127.0.0.1", 0), new MemoryObjectBackend(Map.of(ACCESS_KEY, SECRET)), null);
    s3 = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + gateway.port())).region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET))).build();
    bucket = "post" + Long.toHexString(random.nextLong() & Long.MAX_VALUE);
    s3.createBucket(b -> b.bucket(bucket));
  }

  @AfterAll
  void stop() {
    s3.close();
    gateway.close();
  }

  // ---- building forms ----

  private static String policy(Instant expiration, String... conditions) {
    String json = "{\"expiration\": \"" + expiration.truncatedTo(ChronoUnit.MILLIS) + "\", \"conditions\": [" + String.join(", ", conditions) + "]}";
    return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] hmac(byte[] key, String data, String algorithm) throws Exception {
    Mac mac = Mac.getInstance(algorithm);
    mac.init(new SecretKeySpec(key, algorithm));
    return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }

  /** The SigV4 fields of a form: the policy's signature under the signing key of today in us-east-1. */
  private static List<String[]> signedV4(String policy, String secret) throws Exception {
    String amzDate = AMZ_DATE.format(Instant.now());
    String date = amzDate.substring(0, 8);
    byte[] k = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date, "HmacSHA256");
    k = hmac(k, "us-east-1", "HmacSHA256");
    k = hmac(k, "s3", "HmacSHA256");
    k = hmac(k, "aws4_request", "HmacSHA256");
    String signature = HexFormat.of().formatHex(hmac(k, policy, "HmacSHA256"));
    List<String[]> f = new ArrayList<>();
    f.add(new String[] {"x-amz-algorithm", "AWS4-HMAC-SHA256"});
    f.add(new String[] {"x-amz-credential", ACCESS_KEY + "/" + date + "/us-east-1/s3/aws4_request"});
    f.add(new String[] {"x-amz-date", amzDate});
    f.add(new String[] {"policy", policy});
    f.add(new String[] {"x-amz-signature", signature});
    return f;
  }

  /** The conditions a SigV4 form must name for its own signing fields. */
  private static String[] v4Conditions() {
    return new String[] {"[\"starts-with\", \"$x-amz-algorithm\", \"\"]", "[\"starts-with\", \"$x-amz-credential\", \"\"]",
        "[\"starts-with\", \"$x-amz-date\", \"\"]"};
  }

  private static String[] with(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static final String BOUNDARY = "----cairnFormBoundary7MA4YWxkTrZu0gW";

  /** A multipart/form-data body: {@code fields}, then the file (unless null), then {@code after}. */
  private static byte[] form(List<String[]> fields, String fileName, byte[] file, List<String[]> after, boolean closed) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String[] f : fields) part(out, f[0], null, f[1].getBytes(StandardCharsets.UTF_8));
    if (file != null) part(out, "file", fileName, file);
    for (String[] f : after) part(out, f[0], null, f[1].getBytes(StandardCharsets.UTF_8));
    if (closed) out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private static void part(ByteArrayOutputStream out, String name, String fileName, byte[] value) {
    String head = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
        + (fileName == null ? "" : "; filename=\"" + fileName + "\"\r\nContent-Type: application/octet-stream") + "\r\n\r\n";
    out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(value);
    out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  private HttpResponse<String> post(byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/" + bucket))
        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private String newKey() {
    return "uploads/" + Long.toHexString(random.nextLong() & Long.MAX_VALUE);
  }

  private void assertAbsent(String key) {
    assertThatThrownBy(() -> s3.headObject(b -> b.bucket(bucket).key(key))).as("%s must not exist", key)
        .isInstanceOf(software.amazon.awssdk.services.s3.model.S3Exception.class)
        .extracting(e -> ((software.amazon.awssdk.services.s3.model.S3Exception) e).statusCode()).isEqualTo(404);
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.body()).contains("<Code>" + code + "</Code>");
  }

  // ---- the tests ----

  @Test
  void aFormSignedWithSigV4StoresTheFileWithItsFields() throws Exception {
    String key = newKey();
    byte[] file = randomBytes(3 * 1024 * 1024 + random.nextInt(1000)); // several reads of the body, not one
    String policy = policy(Instant.now().plusSeconds(600), with(v4Conditions(), "{\"bucket\": \"" + bucket + "\"}",
        "[\"starts-with\", \"$key\", \"uploads/\"]", "{\"content-type\": \"image/png\"}", "[\"starts-with\", \"$x-amz-meta-owner\", \"\"]",
        "[\"content-length-range\", 1, 10485760]"));
    List<String[]> fields = new ArrayList<>();
    fields.add(new String[] {"key", key});
    fields.add(new String[] {"Content-Type", "image/png"});
    fields.add(new String[] {"x-amz-meta-owner", "alice"});
    fields.addAll(signedV4(policy, SECRET));
    HttpResponse<String> r = post(form(fields, "photo.png", file, List.<String[]>of(new String[] {"x-amz-meta-after", "dropped"}), true));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
    ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
    assertThat(got.asByteArray()).isEqualTo(file);
    assertThat(got.response().contentType()).isEqualTo("image/png");
    assertThat(got.response().metadata()).containsEntry("owner", "alice").doesNotContainKey("after");
    assertThat(r.headers().firstValue("ETag")).contains(got.response().eTag());
    assertThat(r.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/" + bucket + "/" + key));
  }

  @Test
  void aFormSignedWithSigV2AndItsFileNameInTheKey() throws Exception {
    byte[] file = randomBytes(1000);
    String prefix = newKey() + "/";
    String policy = policy(Instant.now().plusSeconds(600), "{\"bucket\": \"" + bucket + "\"}", "[\"starts-with\", \"$key\", \"" + prefix + "\"]");
    String signature = Base64.getEncoder().encodeToString(hmac(SECRET.getBytes(StandardCharsets.UTF_8), policy, "HmacSHA1"));
    List<String[]> fields = List.<String[]>of(new String[] {"key", prefix + "${filename}"}, new String[] {"AWSAccessKeyId", ACCESS_KEY},
        new String[] {"policy", policy}, new String[] {"signature", signature});
    HttpResponse<String> r = post(form(fields, "C:\\docs\\report.txt", file, List.of(), true));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key(prefix + "report.txt")).asByteArray()).isEqualTo(file);

    // The key is the file's name alone: a condition on $key holds on the key the object is stored under.
    String named = "report-" + Long.toHexString(random.nextLong() & Long.MAX_VALUE); // a file's name has no folder
    // A field whose condition is starts-with "" may be left out of the form.
    String byName = policy(Instant.now().plusSeconds(600), "{\"bucket\": \"" + bucket + "\"}", "[\"starts-with\", \"$key\", \"" + named + "\"]",
        "[\"starts-with\", \"$x-amz-meta-note\", \"\"]");
    String byNameSignature = Base64.getEncoder().encodeToString(hmac(SECRET.getBytes(StandardCharsets.UTF_8), byName, "HmacSHA1"));
    List<String[]> nameOnly = List.<String[]>of(new String[] {"key", "${filename}"}, new String[] {"AWSAccessKeyId", ACCESS_KEY},
        new String[] {"policy", byName}, new String[] {"signature", byNameSignature});
    HttpResponse<String> stored = post(form(nameOnly, named + ".txt", file, List.of(), true));
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(204);
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key(named + ".txt")).asByteArray()).isEqualTo(file);
    // A file whose name the condition does not admit stores nothing.
    assertError(post(form(nameOnly, "other.txt", file, List.of(), true)), 403, "AccessDenied");
    assertAbsent("other.txt");
  }

  @Test
  void successActionStatusAndRedirect() throws Exception {
    String key = newKey();
    String policy = policy(Instant.now().plusSeconds(600), with(v4Conditions(), "{\"bucket\": \"" + bucket + "\"}",
        "[\"starts-with\", \"$key\", \"\"]", "[\"starts-with\", \"$success_action_status\", \"\"]"));
    List<String[]> fields = new ArrayList<>();
    fields.add(new String[] {"key", key});
    fields.add(new String[] {"success_action_status", "201"});
    fields.addAll(signedV4(policy, SECRET));
    HttpResponse<String> created = post(form(fields, "a", "one".getBytes(StandardCharsets.UTF_8), List.of(), true));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(created.body()).contains("<PostResponse", "<Bucket>" + bucket + "</Bucket>", "<Key>" + key + "</Key>", "<ETag>&quot;")
        .containsPattern("<Location>http://[^<]+/" + bucket + "/" + key + "</Location>");

    String redirectPolicy = policy(Instant.now().plusSeconds(600), with(v4Conditions(), "{\"bucket\": \"" + bucket + "\"}",
        "[\"starts-with\", \"$key\", \"\"]", "[\"starts-with\", \"$success_action_redirect\", \"https://app.example/\"]"));
    fields = new ArrayList<>();
    fields.add(new String[] {"key", key});
    fields.add(new String[] {"success_action_redirect", "https://app.example/done?x=1"});
    fields.addAll(signedV4(redirectPolicy, SECRET));
    HttpResponse<String> redirected = post(form(fields, "a", "two".getBytes(StandardCharsets.UTF_8), List.of(), true));
    assertThat(redirected.statusCode()).as(redirected.body()).isEqualTo(303);
    String etag = s3.headObject(b -> b.bucket(bucket).key(key)).eTag();
    assertThat(redirected.headers().firstValue("Location")).contains("https://app.example/done?x=1&bucket=" + bucket + "&key="
        + key.replace("/", "%2F") + "&etag=" + etag.replace("\"", "%22"));
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String()).isEqualTo("two");
  }

  @Test
  void formsTheirPolicyDoesNotAllowStoreNothing() throws Exception {
    String key = newKey();
    String[] base = with(v4Conditions(), "{\"bucket\": \"" + bucket + "\"}", "[\"eq\", \"$key\", \"" + key + "\"]");
    byte[] file = randomBytes(100);

    // Expired.
    List<String[]> expired = new ArrayList<>(List.<String[]>of(new String[] {"key", key}));
    expired.addAll(signedV4(policy(Instant.now().minusSeconds(1), base), SECRET));
    HttpResponse<String> r = post(form(expired, "f", file, List.of(), true));
    assertError(r, 403, "AccessDenied");
    assertThat(r.body()).contains("Policy expired");

    // Another key than the policy names.
    List<String[]> otherKey = new ArrayList<>(List.<String[]>of(new String[] {"key", key + "-other"}));
    otherKey.addAll(signedV4(policy(Instant.now().plusSeconds(600), base), SECRET));
    assertError(post(form(otherKey, "f", file, List.of(), true)), 403, "AccessDenied");
    assertAbsent(key + "-other");

    // A field the policy does not name (it would make the object public).
    List<String[]> extra = new ArrayList<>(List.<String[]>of(new String[] {"key", key}, new String[] {"acl", "public-read"}));
    extra.addAll(signedV4(policy(Instant.now().plusSeconds(600), base), SECRET));
    r = post(form(extra, "f", file, List.of(), true));
    assertError(r, 403, "AccessDenied");
    assertThat(r.body()).contains("Extra input fields: acl");

    // Signed with another secret.
    List<String[]> forged = new ArrayList<>(List.<String[]>of(new String[] {"key", key}));
    forged.addAll(signedV4(policy(Instant.now().plusSeconds(600), base), "not-the-secret"));
    assertError(post(form(forged, "f", file, List.of(), true)), 403, "SignatureDoesNotMatch");

    // A policy altered after signing.
    List<String[]> altered = new ArrayList<>(List.<String[]>of(new String[] {"key", key}));
    altered.addAll(signedV4(policy(Instant.now().plusSeconds(600), base), SECRET));
    altered.set(4, new String[] {"policy", policy(Instant.now().plusSeconds(600), with(base, "[\"starts-with\", \"$acl\", \"\"]"))});
    assertError(post(form(altered, "f", file, List.of(), true)), 403, "SignatureDoesNotMatch");

    // Unsigned, to a bucket that takes no anonymous writes.
    assertError(post(form(List.<String[]>of(new String[] {"key", key}), "f", file, List.of(), true)), 403, "AccessDenied");

    assertAbsent(key);
  }

  @Test
  void theFileMustKeepItsLengthRange() throws Exception {
    String key = newKey();
    String policy = policy(Instant.now().plusSeconds(600), with(v4Conditions(), "{\"bucket\": \"" + bucket + "\"}",
        "[\"eq\", \"$key\", \"" + key + "\"]", "[\"content-length-range\", 10, 100000]"));
    List<String[]> fields = new ArrayList<>(List.<String[]>of(new String[] {"key", key}));
    fields.addAll(signedV4(policy, SECRET));

    assertError(post(form(fields, "f", randomBytes(100_001 + random.nextInt(500_000)), List.of(), true)), 400, "EntityTooLarge");
    assertError(post(form(fields, "f", randomBytes(9), List.of(), true)), 400, "EntityTooSmall");
    assertAbsent(key);
    assertThat(post(form(fields, "f", randomBytes(10), List.of(), true)).statusCode()).isEqualTo(204);
  }

  @Test
  void malformedFormsAreRefused() throws Exception {
    String key = newKey();
    String policy = policy(Instant.now().plusSeconds(600), with(v4Conditions(), "[\"starts-with\", \"$key\", \"\"]"));
    List<String[]> fields = new ArrayList<>(List.<String[]>of(new String[] {"key", key}));
    fields.addAll(signedV4(policy, SECRET));

    // No file part.
    assertError(post(form(fields, null, null, List.of(), true)), 400, "IncorrectNumberOfFilesInPostRequest");
    // The key after the file: S3 reads no field past it.
    assertError(post(form(fields.subList(1, fields.size()), "f", randomBytes(10), List.<String[]>of(new String[] {"key", key}), true)),
        400, "InvalidArgument");
    // A body cut off inside the file: nothing of it is stored.
    byte[] whole = form(fields, "f", randomBytes(200_000), List.of(), true);
    assertError(post(java.util.Arrays.copyOf(whole, whole.length - 100_000)), 400, "MalformedPOSTRequest");
    // No boundary.
    HttpResponse<String> noBoundary = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/" + bucket))
        .header("Content-Type", "multipart/form-data").POST(HttpRequest.BodyPublishers.ofString("x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertError(noBoundary, 400, "MalformedPOSTRequest");
    // Fields before the file past 20 KiB.
    List<String[]> big = new ArrayList<>(fields);
    big.add(new String[] {"x-ignore-padding", "p".repeat(FormUpload.FIELDS_BYTES_MAX)});
    assertError(post(form(big, "f", randomBytes(10), List.of(), true)), 400, "MaxPostPreDataLengthExceededError");
    assertAbsent(key);
  }

  @Test
  void policyDocumentsThatDoNotParseAreRefused() {
    assertThatThrownBy(() -> PostPolicy.parse("%%%")).hasMessageContaining("base64");
    assertThatThrownBy(() -> PostPolicy.parse(Base64.getEncoder().encodeToString("{\"conditions\": []}".getBytes(StandardCharsets.UTF_8))))
        .hasMessageContaining("expiration");
    assertThatThrownBy(() -> PostPolicy.parse(policy(Instant.now(), "[\"matches\", \"$key\", \"a\"]")))
        .hasMessageContaining("unknown condition");
    assertThatThrownBy(() -> PostPolicy.parse(policy(Instant.now(), "[\"content-length-range\", 5, 1]")))
        .hasMessageContaining("min <= max");
  }

  @Test
  void contentDispositionParameters() {
    assertThat(FormUpload.dispositionParameters("form-data; name=\"key\"")).containsExactly(Map.entry("name", "key"));
    assertThat(FormUpload.dispositionParameters("form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\""))
        .containsEntry("filename", "a \"b\".txt");
    assertThat(FormUpload.dispositionParameters("form-data; name=file; filename=C:\\x\\y.png")).containsEntry("name", "file")
        .containsEntry("filename", "C:\\x\\y.png");
  }
}
