package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** The gateway with a memory backend, driven by the AWS SDK for Java v2 and by hand-signed raw requests. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3GatewayEndToEndTest {
  static final String ACCESS_KEY = "CAIRNTESTKEY";
  static final String SECRET = "cairn-test-secret-0123456789";
  static final long SEED = Long.getLong("cairn.test.seed", System.nanoTime());

  private MemoryObjectBackend backend;
  private S3Gateway gateway;
  private S3Client defaultClient;
  private S3Client whenRequiredClient;
  private RawS3Client raw;
  private final Random random = new Random(SEED);

  @BeforeAll
  void start() {
    System.out.println("S3GatewayEndToEndTest seed=" + SEED
        + " (reproduce: ./mvnw -o -pl cairn-s3 test -Dtest=S3GatewayEndToEndTest -Dcairn.test.seed=" + SEED + ")");
    backend = new MemoryObjectBackend(Map.of(ACCESS_KEY, SECRET));
    AdminHandler admin = (caller, method, path, query, headers, body) ->
        new AdminResponse(200, "text/plain", ("admin " + caller + " " + method + " " + path).getBytes(StandardCharsets.UTF_8));
    gateway = S3Gateway.start(S3GatewayConfig.of("127.0.0.1", 0), backend, admin);
    defaultClient = client(SECRET, RequestChecksumCalculation.WHEN_SUPPORTED);
    whenRequiredClient = client(SECRET, RequestChecksumCalculation.WHEN_REQUIRED);
    raw = new RawS3Client(gateway.port(), ACCESS_KEY, SECRET);
  }

  @AfterAll
  void stop() {
    defaultClient.close();
    whenRequiredClient.close();
    gateway.close();
  }

  private URI endpoint() {
    return URI.create("http://127.0.0.1:" + gateway.port());
  }

  private S3Client client(String secret, RequestChecksumCalculation checksums) {
    return S3Client.builder()
        .endpointOverride(endpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .requestChecksumCalculation(checksums)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, secret)))
        .build();
  }

  /** Names the two client configurations (JUnit would close S3Client arguments after each invocation). */
  static Stream<String> clients() {
    return Stream.of("default-checksums", "when-required-checksums");
  }

  private S3Client s3(String config) {
    return config.equals("default-checksums") ? defaultClient : whenRequiredClient;
  }

  private String newBucket(S3Client s3) {
    String name = "b" + Long.toHexString(random.nextLong() & Long.MAX_VALUE);
    s3.createBucket(b -> b.bucket(name));
    return name;
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static String errorCode(Throwable t) {
    return ((AwsServiceException) t).awsErrorDetails().errorCode();
  }

  @Test
  void bucketLifecycle() {
    S3Client s3 = defaultClient;
    String bucket = "life-" + Long.toHexString(random.nextLong() & 0xffffffL);
    s3.createBucket(b -> b.bucket(bucket).overrideConfiguration(o -> o.putHeader("x-cairn-policy", "ec4+2")));
    assertThat(backend.policyOf(bucket)).isEqualTo("ec4+2");
    assertThat(s3.listBuckets().buckets()).extracting(b -> b.name()).contains(bucket);
    s3.headBucket(b -> b.bucket(bucket));
    assertThat(s3.getBucketLocation(b -> b.bucket(bucket)).locationConstraintAsString()).isNullOrEmpty();
    assertThat(s3.getBucketVersioning(b -> b.bucket(bucket)).status()).isNull();
    // In us-east-1 S3 answers 200 when the owner creates the bucket again (legacy behaviour).
    s3.createBucket(b -> b.bucket(bucket));
    s3.putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromString("x"));
    assertThatThrownBy(() -> s3.deleteBucket(b -> b.bucket(bucket)))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("BucketNotEmpty"));
    s3.deleteObject(b -> b.bucket(bucket).key("k"));
    s3.deleteBucket(b -> b.bucket(bucket));
    assertThatThrownBy(() -> s3.headBucket(b -> b.bucket(bucket)))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(404));
  }

  /**
   * {@code x-amz-expiration} as S3 sends it: on a PUT, a CopyObject, a CompleteMultipartUpload, a
   * GET and a HEAD of an object an enabled rule expires, naming the rule that expires it soonest,
   * at midnight UTC after the days; none for an object no enabled rule selects.
   */
  @Test
  void objectsARuleExpiresSayWhenAndByWhichRule() {
    S3Client s3 = defaultClient;
    String bucket = newBucket(s3);
    s3.putBucketLifecycleConfiguration(r -> r.bucket(bucket).lifecycleConfiguration(c -> c.rules(
        software.amazon.awssdk.services.s3.model.LifecycleRule.builder().id("logs-rule")
            .status(software.amazon.awssdk.services.s3.model.ExpirationStatus.ENABLED)
            .filter(f -> f.prefix("logs/")).expiration(e -> e.days(3)).build(),
        software.amazon.awssdk.services.s3.model.LifecycleRule.builder().id("tagged")
            .status(software.amazon.awssdk.services.s3.model.ExpirationStatus.ENABLED)
            .filter(f -> f.tag(t -> t.key("expire").value("soon"))).expiration(e -> e.days(1)).build(),
        software.amazon.awssdk.services.s3.model.LifecycleRule.builder().id("dated")
            .status(software.amazon.awssdk.services.s3.model.ExpirationStatus.ENABLED)
            .filter(f -> f.prefix("dated/")).expiration(e -> e.date(java.time.Instant.parse("2030-01-01T00:00:00Z"))).build(),
        software.amazon.awssdk.services.s3.model.LifecycleRule.builder().id("off")
            .status(software.amazon.awssdk.services.s3.model.ExpirationStatus.DISABLED)
            .filter(f -> f.prefix("keep/")).expiration(e -> e.days(1)).build())));

    String put = s3.putObject(r -> r.bucket(bucket).key("logs/a"), RequestBody.fromString("a")).expiration();
    HeadObjectResponse head = s3.headObject(r -> r.bucket(bucket).key("logs/a"));
    assertExpiresAfterDays(put, head.lastModified(), 3, "logs-rule");
    assertThat(head.expiration()).isEqualTo(put);
    assertThat(s3.getObjectAsBytes(r -> r.bucket(bucket).key("logs/a")).response().expiration()).isEqualTo(put);

    // Two rules select it: the one that expires it first is named.
    s3.putObject(r -> r.bucket(bucket).key("logs/t").tagging("expire=soon"), RequestBody.fromString("t"));
    HeadObjectResponse tagged = s3.headObject(r -> r.bucket(bucket).key("logs/t"));
    assertExpiresAfterDays(tagged.expiration(), tagged.lastModified(), 1, "tagged");

    assertThat(s3.putObject(r -> r.bucket(bucket).key("dated/d"), RequestBody.fromString("d")).expiration())
        .isEqualTo("expiry-date=\"Tue, 01 Jan 2030 00:00:00 GMT\", rule-id=\"dated\"");
    assertThat(s3.putObject(r -> r.bucket(bucket).key("keep/k"), RequestBody.fromString("k")).expiration())
        .as("a disabled rule expires nothing").isNull();
    assertThat(s3.headObject(r -> r.bucket(bucket).key("keep/k")).expiration()).isNull();

    CopyObjectResponse copy = s3.copyObject(r -> r.sourceBucket(bucket).sourceKey("keep/k").destinationBucket(bucket).destinationKey("logs/copy"));
    assertExpiresAfterDays(copy.expiration(), copy.copyObjectResult().lastModified(), 3, "logs-rule");

    String upload = s3.createMultipartUpload(r -> r.bucket(bucket).key("logs/mp")).uploadId();
    String etag = s3.uploadPart(r -> r.bucket(bucket).key("logs/mp").uploadId(upload).partNumber(1), RequestBody.fromString("part")).eTag();
    String completed = s3.completeMultipartUpload(r -> r.bucket(bucket).key("logs/mp").uploadId(upload)
        .multipartUpload(CompletedMultipartUpload.builder().parts(CompletedPart.builder().partNumber(1).eTag(etag).build()).build()))
        .expiration();
    assertExpiresAfterDays(completed, s3.headObject(r -> r.bucket(bucket).key("logs/mp")).lastModified(), 3, "logs-rule");

    // A rule sent without an ID gets one, as S3 gives it, and the header names it.
    s3.putBucketLifecycleConfiguration(r -> r.bucket(bucket).lifecycleConfiguration(c -> c.rules(
        software.amazon.awssdk.services.s3.model.LifecycleRule.builder()
            .status(software.amazon.awssdk.services.s3.model.ExpirationStatus.ENABLED)
            .filter(f -> f.prefix("logs/")).expiration(e -> e.days(2)).build())));
    String given = s3.getBucketLifecycleConfiguration(r -> r.bucket(bucket)).rules().getFirst().id();
    assertThat(given).hasSize(48);
    HeadObjectResponse again = s3.headObject(r -> r.bucket(bucket).key("logs/a"));
    assertExpiresAfterDays(again.expiration(), again.lastModified(), 2, given);

    s3.deleteBucketLifecycle(r -> r.bucket(bucket));
    assertThat(s3.headObject(r -> r.bucket(bucket).key("logs/a")).expiration()).as("with the rules gone").isNull();
  }

  /** {@code header} names {@code rule} and the first midnight UTC at least {@code days} after {@code written} (to the second). */
  private static void assertExpiresAfterDays(String header, java.time.Instant written, int days, String rule) {
    assertThat(header).as("x-amz-expiration").isNotNull();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("expiry-date=\"([^\"]+)\", rule-id=\"([^\"]*)\"").matcher(header);
    assertThat(m.matches()).as("x-amz-expiration %s", header).isTrue();
    assertThat(m.group(2)).isEqualTo(rule);
    java.time.Instant at = java.time.ZonedDateTime.parse(m.group(1), java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    java.time.Instant earliest = written.plus(java.time.Duration.ofDays(days));
    assertThat(at).as("a midnight UTC").isEqualTo(at.truncatedTo(java.time.temporal.ChronoUnit.DAYS));
    // Last-Modified is to the second: the object was written up to a second after it.
    assertThat(at).isAfterOrEqualTo(earliest).isBefore(earliest.plus(java.time.Duration.ofDays(1)).plusSeconds(1));
  }

  @Test
  void invalidBucketNamesAreRejected() throws Exception {
    for (String name : List.of("Bad_Name", "192.168.1.1", "ab", "-abc", "a..b", "x".repeat(64))) {
      HttpResponse<String> r = raw.send("PUT", "/" + name, "", Map.of(), new byte[0]);
      assertThat(r.statusCode()).as(name).isEqualTo(400);
      assertThat(r.body()).as(name).contains("<Code>InvalidBucketName</Code>");
    }
    assertThat(backend.listBuckets(ACCESS_KEY)).extracting(BucketSummary::name).doesNotContain("Bad_Name", "192.168.1.1");
  }

  @Test
  void createBucketConfigurationIsParsedAndMalformedXmlRejected() throws Exception {
    String ok = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        + "<LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>";
    HttpResponse<String> r = raw.send("PUT", "/cfg-bucket", "", Map.of(), ok.getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).isEqualTo(200);
    HttpResponse<String> bad = raw.send("PUT", "/cfg-bucket-2", "", Map.of(),
        "<CreateBucketConfiguration><Loc".getBytes(StandardCharsets.UTF_8));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("<Code>MalformedXML</Code>").contains("<RequestId>");
    String xxe = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
        + "<CreateBucketConfiguration><LocationConstraint>&e;</LocationConstraint></CreateBucketConfiguration>";
    HttpResponse<String> dtd = raw.send("PUT", "/cfg-bucket-3", "", Map.of(), xxe.getBytes(StandardCharsets.UTF_8));
    assertThat(dtd.body()).contains("<Code>MalformedXML</Code>");
    assertThatThrownBy(() -> backend.headBucket("cfg-bucket-2")).isInstanceOf(S3Exception.class);
  }

  @ParameterizedTest
  @MethodSource("clients")
  void putGetHeadDeleteWithMetadataAndRanges(String config) throws Exception {
    S3Client s3 = s3(config);
    String bucket = newBucket(s3);
    byte[] data = randomBytes(3 * 1024 * 1024 + 17);
    String key = "dir/obj ü+&<>.bin";
    s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/x-test").metadata(Map.of("color", "blue"))
        .cacheControl("no-cache").contentDisposition("attachment"), RequestBody.fromBytes(data));
    ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
    assertThat(got.asByteArray()).isEqualTo(data);
    assertThat(got.response().contentType()).isEqualTo("application/x-test");
    assertThat(got.response().metadata()).containsEntry("color", "blue");
    assertThat(got.response().cacheControl()).isEqualTo("no-cache");
    assertThat(got.response().contentDisposition()).isEqualTo("attachment");
    assertThat(got.response().eTag()).isEqualTo("\"" + MemoryObjectBackend.md5Hex(data) + "\"");
    assertThat(got.response().contentEncoding()).isNull();

    HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key(key));
    assertThat(head.contentLength()).isEqualTo(data.length);
    assertThat(head.acceptRanges()).isEqualTo("bytes");

    var range = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key).range("bytes=10-19"));
    assertThat(range.asByteArray()).isEqualTo(java.util.Arrays.copyOfRange(data, 10, 20));
    assertThat(range.response().contentRange()).isEqualTo("bytes 10-19/" + data.length);
    var suffix = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key).range("bytes=-5"));
    assertThat(suffix.asByteArray()).isEqualTo(java.util.Arrays.copyOfRange(data, data.length - 5, data.length));
    var open = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key).range("bytes=" + (data.length - 3) + "-"));
    assertThat(open.asByteArray()).hasSize(3);
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key(key).range("bytes=" + data.length + "-")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidRange"))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(416));

    s3.putObject(b -> b.bucket(bucket).key("empty"), RequestBody.empty());
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("empty")).asByteArray()).isEmpty();

    s3.deleteObject(b -> b.bucket(bucket).key(key));
    s3.deleteObject(b -> b.bucket(bucket).key(key));
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("NoSuchKey"));
    assertThatThrownBy(() -> s3.headObject(b -> b.bucket(bucket).key(key)))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(404));
    assertThatThrownBy(() -> s3.putObject(b -> b.bucket("no-such-bucket").key("k"), RequestBody.fromString("x")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("NoSuchBucket"));
  }

  @Test
  void conditionalRequests() {
    S3Client s3 = defaultClient;
    String bucket = newBucket(s3);
    s3.putObject(b -> b.bucket(bucket).key("c"), RequestBody.fromString("conditional"));
    String etag = s3.headObject(b -> b.bucket(bucket).key("c")).eTag();
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("c").ifMatch(etag)).asUtf8String()).isEqualTo("conditional");
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("c").ifNoneMatch(etag)))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(304));
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("c").ifMatch("\"nope\"")))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(412));
    assertThatThrownBy(() -> s3.headObject(b -> b.bucket(bucket).key("c").ifMatch("\"nope\"")))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(412));
    java.time.Instant past = java.time.Instant.parse("2001-01-01T00:00:00Z");
    java.time.Instant future = java.time.Instant.now().plusSeconds(86400 * 365L * 50);
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("c").ifUnmodifiedSince(past)))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(412));
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("c").ifModifiedSince(future)))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(304));
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("c").ifModifiedSince(past)).asUtf8String())
        .isEqualTo("conditional");
  }

  @Test
  void listingWithPrefixDelimiterAndPagination() {
    S3Client s3 = defaultClient;
    String bucket = newBucket(s3);
    List<String> keys = List.of("a/1", "a/2", "a/b/3", "b/1", "c", "d e/f", "x+y", "z/é/1", "z/é/2", "\u00ff");
    for (String k : keys) s3.putObject(b -> b.bucket(bucket).key(k), RequestBody.fromString(k));

    List<String> all = new ArrayList<>();
    for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).maxKeys(3))) {
      assertThat(page.keyCount()).isLessThanOrEqualTo(3);
      page.contents().forEach(o -> all.add(o.key()));
    }
    assertThat(all).containsExactlyElementsOf(keys.stream().sorted(MemoryObjectBackendOrder.UTF8).toList());

    ListObjectsV2Response top = s3.listObjectsV2(b -> b.bucket(bucket).delimiter("/"));
    assertThat(top.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("a/", "b/", "d e/", "z/");
    assertThat(top.contents()).extracting(S3Object::key).containsExactly("c", "x+y", "\u00ff");

    List<String> mixed = new ArrayList<>();
    for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).delimiter("/").maxKeys(1))) {
      page.commonPrefixes().forEach(p -> mixed.add(p.prefix()));
      page.contents().forEach(o -> mixed.add(o.key()));
    }
    assertThat(mixed).containsExactly("a/", "b/", "c", "d e/", "x+y", "z/", "\u00ff");

    ListObjectsV2Response underA = s3.listObjectsV2(b -> b.bucket(bucket).prefix("a/").delimiter("/").fetchOwner(true));
    assertThat(underA.contents()).extracting(S3Object::key).containsExactly("a/1", "a/2");
    assertThat(underA.contents().getFirst().owner().id()).isEqualTo(ACCESS_KEY);
    assertThat(underA.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("a/b/");
    assertThat(s3.listObjectsV2(b -> b.bucket(bucket).prefix("z/é/")).contents()).hasSize(2);
    assertThat(s3.listObjectsV2(b -> b.bucket(bucket).startAfter("c")).contents().getFirst().key()).isEqualTo("d e/f");

    List<String> v1 = new ArrayList<>();
    for (ListObjectsResponse page : List.of(s3.listObjects(b -> b.bucket(bucket).delimiter("/").maxKeys(2)))) {
      ListObjectsResponse p = page;
      while (true) {
        List<String> entries = new ArrayList<>();
        p.commonPrefixes().forEach(c -> entries.add(c.prefix()));
        p.contents().forEach(o -> entries.add(o.key()));
        entries.sort(MemoryObjectBackendOrder.UTF8);
        v1.addAll(entries);
        if (!p.isTruncated()) break;
        String marker = p.nextMarker();
        p = s3.listObjects(b -> b.bucket(bucket).delimiter("/").maxKeys(2).marker(marker));
      }
    }
    assertThat(v1).containsExactly("a/", "b/", "c", "d e/", "x+y", "z/", "\u00ff");
    assertThat(s3.listObjectsV2(b -> b.bucket(bucket).maxKeys(0)).contents()).isEmpty();
    assertThatThrownBy(() -> s3.listObjectsV2(b -> b.bucket("missing-bucket")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("NoSuchBucket"));
  }

  @ParameterizedTest
  @MethodSource("clients")
  void multipartUpload(String config) {
    S3Client s3 = s3(config);
    String bucket = newBucket(s3);
    byte[] part1 = randomBytes(5 * 1024 * 1024);
    byte[] part2 = randomBytes(1024);
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key("mp").contentType("text/x-mp")).uploadId();
    assertThat(s3.listMultipartUploads(b -> b.bucket(bucket)).uploads()).extracting(u -> u.uploadId()).contains(uploadId);
    String e1 = s3.uploadPart(b -> b.bucket(bucket).key("mp").uploadId(uploadId).partNumber(1), RequestBody.fromBytes(part1)).eTag();
    String e2 = s3.uploadPart(b -> b.bucket(bucket).key("mp").uploadId(uploadId).partNumber(2), RequestBody.fromBytes(part2)).eTag();
    assertThat(s3.listParts(b -> b.bucket(bucket).key("mp").uploadId(uploadId)).parts())
        .extracting(p -> p.partNumber(), p -> p.size()).containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, (long) part1.length), org.assertj.core.groups.Tuple.tuple(2, (long) part2.length));
    assertThatThrownBy(() -> s3.completeMultipartUpload(b -> b.bucket(bucket).key("mp").uploadId(uploadId)
        .multipartUpload(CompletedMultipartUpload.builder().parts(
            CompletedPart.builder().partNumber(2).eTag(e2).build(), CompletedPart.builder().partNumber(1).eTag(e1).build()).build())))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidPartOrder"));
    s3.completeMultipartUpload(b -> b.bucket(bucket).key("mp").uploadId(uploadId)
        .multipartUpload(CompletedMultipartUpload.builder().parts(
            CompletedPart.builder().partNumber(1).eTag(e1).build(), CompletedPart.builder().partNumber(2).eTag(e2).build()).build()));
    var got = s3.getObjectAsBytes(b -> b.bucket(bucket).key("mp"));
    byte[] expected = new byte[part1.length + part2.length];
    System.arraycopy(part1, 0, expected, 0, part1.length);
    System.arraycopy(part2, 0, expected, part1.length, part2.length);
    assertThat(got.asByteArray()).isEqualTo(expected);
    assertThat(got.response().contentType()).isEqualTo("text/x-mp");
    assertThat(got.response().eTag()).endsWith("-2\"");

    String abortId = s3.createMultipartUpload(b -> b.bucket(bucket).key("gone")).uploadId();
    s3.abortMultipartUpload(b -> b.bucket(bucket).key("gone").uploadId(abortId));
    assertThatThrownBy(() -> s3.uploadPart(b -> b.bucket(bucket).key("gone").uploadId(abortId).partNumber(1),
        RequestBody.fromString("x"))).satisfies(e -> assertThat(errorCode(e)).isEqualTo("NoSuchUpload"));
  }

  @Test
  void copyObjectWithCopyAndReplaceDirectives() {
    S3Client s3 = defaultClient;
    String bucket = newBucket(s3);
    byte[] data = randomBytes(2 * 1024 * 1024 + 5);
    s3.putObject(b -> b.bucket(bucket).key("src/ü k").contentType("image/png").metadata(Map.of("a", "1")),
        RequestBody.fromBytes(data));
    CopyObjectResponse copied = s3.copyObject(b -> b.sourceBucket(bucket).sourceKey("src/ü k")
        .destinationBucket(bucket).destinationKey("dst/copy"));
    assertThat(copied.copyObjectResult().eTag()).isEqualTo("\"" + MemoryObjectBackend.md5Hex(data) + "\"");
    var got = s3.getObjectAsBytes(b -> b.bucket(bucket).key("dst/copy"));
    assertThat(got.asByteArray()).isEqualTo(data);
    assertThat(got.response().contentType()).isEqualTo("image/png");
    assertThat(got.response().metadata()).containsEntry("a", "1");

    s3.copyObject(b -> b.sourceBucket(bucket).sourceKey("src/ü k").destinationBucket(bucket).destinationKey("dst/replaced")
        .metadataDirective(MetadataDirective.REPLACE).contentType("text/plain").metadata(Map.of("b", "2")));
    var replaced = s3.headObject(b -> b.bucket(bucket).key("dst/replaced"));
    assertThat(replaced.contentType()).isEqualTo("text/plain");
    assertThat(replaced.metadata()).containsOnlyKeys("b");
    assertThatThrownBy(() -> s3.copyObject(b -> b.sourceBucket(bucket).sourceKey("src/ü k")
        .destinationBucket(bucket).destinationKey("src/ü k")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidRequest"));
    assertThatThrownBy(() -> s3.copyObject(b -> b.sourceBucket(bucket).sourceKey("missing")
        .destinationBucket(bucket).destinationKey("x")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("NoSuchKey"));
  }

  @ParameterizedTest
  @MethodSource("clients")
  void deleteObjectsQuietAndVerbose(String config) {
    S3Client s3 = s3(config);
    String bucket = newBucket(s3);
    for (String k : List.of("d1", "d2", "d3", "keep")) s3.putObject(b -> b.bucket(bucket).key(k), RequestBody.fromString(k));
    DeleteObjectsResponse verbose = s3.deleteObjects(b -> b.bucket(bucket).delete(Delete.builder().objects(
        ObjectIdentifier.builder().key("d1").build(), ObjectIdentifier.builder().key("never-existed").build()).build()));
    assertThat(verbose.deleted()).extracting(d -> d.key()).containsExactly("d1", "never-existed");
    DeleteObjectsResponse quiet = s3.deleteObjects(b -> b.bucket(bucket).delete(Delete.builder().quiet(true).objects(
        ObjectIdentifier.builder().key("d2").build(), ObjectIdentifier.builder().key("d3").build()).build()));
    assertThat(quiet.deleted()).isEmpty();
    assertThat(quiet.errors()).isEmpty();
    assertThat(s3.listObjectsV2(b -> b.bucket(bucket)).contents()).extracting(S3Object::key).containsExactly("keep");
  }

  @Test
  void presignedGet() throws Exception {
    String bucket = newBucket(defaultClient);
    defaultClient.putObject(b -> b.bucket(bucket).key("pre signed/ü"), RequestBody.fromString("presigned body"));
    try (S3Presigner presigner = S3Presigner.builder().endpointOverride(endpoint()).region(Region.US_EAST_1)
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET))).build()) {
      String url = presigner.presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5))
          .getObjectRequest(g -> g.bucket(bucket).key("pre signed/ü"))).url().toString();
      HttpResponse<String> ok = raw.get(url);
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).isEqualTo("presigned body");
      HttpResponse<String> tampered = raw.get(url.replace("X-Amz-Expires=300", "X-Amz-Expires=301"));
      assertThat(tampered.statusCode()).isEqualTo(403);
      assertThat(tampered.body()).contains("SignatureDoesNotMatch");
    }
  }

  @ParameterizedTest
  @MethodSource("clients")
  void wrongSecretIsRejectedAndStoresNothing(String config) {
    S3Client good = s3(config);
    String bucket = newBucket(good);
    try (S3Client bad = client("not-the-secret", RequestChecksumCalculation.WHEN_SUPPORTED)) {
      assertThatThrownBy(() -> bad.putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromBytes(randomBytes(100_000))))
          .satisfies(e -> assertThat(errorCode(e)).isEqualTo("SignatureDoesNotMatch"))
          .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(403));
    }
    assertThat(backend.objectCount(bucket)).isZero();
  }

  @Test
  void anonymousAndGarbledAuthorizationAreAccessDenied() throws Exception {
    HttpResponse<String> anonymous = raw.get("http://" + raw.host() + "/");
    assertThat(anonymous.statusCode()).isEqualTo(403);
    assertThat(anonymous.body()).contains("<Code>AccessDenied</Code>");
    HttpResponse<String> garbled = raw.send("GET", "/", "", Map.of("authorization", "AWS4-HMAC-SHA256 nonsense"),
        new byte[0], true);
    assertThat(garbled.statusCode()).isEqualTo(403);
    assertThat(garbled.body()).contains("<Code>AccessDenied</Code>").contains("malformed Authorization header");
  }

  @Test
  void keyOf1025BytesIsTooLong() {
    String bucket = newBucket(defaultClient);
    String longKey = "k".repeat(1025);
    assertThatThrownBy(() -> defaultClient.putObject(b -> b.bucket(bucket).key(longKey), RequestBody.fromString("x")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("KeyTooLongError"));
    defaultClient.putObject(b -> b.bucket(bucket).key("k".repeat(1024)), RequestBody.fromString("x"));
    assertThat(backend.objectCount(bucket)).isEqualTo(1);
  }

  @Test
  void wrongTrailerChecksumIsDetectedAndStoresNothing() throws Exception {
    String bucket = newBucket(defaultClient);
    byte[] data = randomBytes(70_000);
    String goodCrc = AwsChunkedInputStreamTest.crc32Base64(data);
    Map<String, String> headers = Map.of(
        "content-encoding", "aws-chunked",
        "x-amz-decoded-content-length", Integer.toString(data.length),
        "x-amz-trailer", "x-amz-checksum-crc32");

    String mode = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    byte[] corrupt = AwsChunkedInputStreamTest.unsignedTrailerBody(data, "x-amz-checksum-crc32:AAAAAA==", 8192);
    var signed = raw.sign("PUT", "/" + bucket + "/unsigned", "", headers, mode);
    HttpResponse<String> r = raw.send("PUT", "/" + bucket + "/unsigned", "", signed.headers(), corrupt, true);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("<Code>BadDigest</Code>");
    assertThat(backend.objectCount(bucket)).isZero();

    byte[] fine = AwsChunkedInputStreamTest.unsignedTrailerBody(data, "x-amz-checksum-crc32:" + goodCrc, 8192);
    signed = raw.sign("PUT", "/" + bucket + "/unsigned", "", headers, mode);
    assertThat(raw.send("PUT", "/" + bucket + "/unsigned", "", signed.headers(), fine, true).statusCode()).isEqualTo(200);
    assertThat(defaultClient.getObjectAsBytes(b -> b.bucket(bucket).key("unsigned")).asByteArray()).isEqualTo(data);

    String signedMode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    signed = raw.sign("PUT", "/" + bucket + "/signed", "", headers, signedMode);
    String date = signed.amzDate().substring(0, 8);
    byte[] tampered = new String(AwsChunkedInputStreamTest.signedTrailerBody(signed.signingKey(), signed.signature(), data,
        "x-amz-checksum-crc32:" + goodCrc, 8192, signed.amzDate(), date + "/us-east-1/s3/aws4_request"),
        StandardCharsets.ISO_8859_1).replace(goodCrc, "AAAAAA==").getBytes(StandardCharsets.ISO_8859_1);
    r = raw.send("PUT", "/" + bucket + "/signed", "", signed.headers(), tampered, true);
    assertThat(r.statusCode()).isIn(400, 403);
    assertThat(backend.objectCount(bucket)).isEqualTo(1);
  }

  @Test
  void badContentMd5AndPayloadHashStoreNothing() throws Exception {
    String bucket = newBucket(defaultClient);
    byte[] data = randomBytes(1000);
    HttpResponse<String> md5 = raw.send("PUT", "/" + bucket + "/md5", "",
        Map.of("content-md5", java.util.Base64.getEncoder().encodeToString(new byte[16])), data);
    assertThat(md5.statusCode()).isEqualTo(400);
    assertThat(md5.body()).contains("<Code>BadDigest</Code>");
    var signed = raw.sign("PUT", "/" + bucket + "/sha", "", Map.of(), SigV4Signer.EMPTY_SHA256);
    HttpResponse<String> sha = raw.send("PUT", "/" + bucket + "/sha", "", signed.headers(), data, true);
    assertThat(sha.body()).contains("<Code>XAmzContentSHA256Mismatch</Code>");
    HttpResponse<String> crc = raw.send("PUT", "/" + bucket + "/crc", "",
        Map.of("x-amz-checksum-crc32", "AAAAAA=="), data);
    assertThat(crc.body()).contains("<Code>BadDigest</Code>");
    assertThat(backend.objectCount(bucket)).isZero();
  }

  @Test
  void putWithoutContentLengthIsMissingContentLength() throws Exception {
    String bucket = newBucket(defaultClient);
    var signed = raw.sign("PUT", "/" + bucket + "/nolength", "", Map.of(), "UNSIGNED-PAYLOAD");
    StringBuilder req = new StringBuilder("PUT /" + bucket + "/nolength HTTP/1.1\r\nHost: " + raw.host() + "\r\n");
    signed.headers().forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    req.append("Connection: close\r\n\r\n");
    String response = raw.sendRawBytes(req.toString().getBytes(StandardCharsets.ISO_8859_1));
    assertThat(response).startsWith("HTTP/1.1 411");
    assertThat(backend.objectCount(bucket)).isZero();
  }

  @Test
  void adminRequestsGoToTheAdminHandler() throws Exception {
    HttpResponse<String> unsigned = raw.get("http://" + raw.host() + "/_cairn/status");
    assertThat(unsigned.statusCode()).isEqualTo(200);
    assertThat(unsigned.body()).isEqualTo("admin null GET /_cairn/status");
    HttpResponse<String> signed = raw.send("GET", "/_cairn/status", "", Map.of(), new byte[0]);
    assertThat(signed.body()).isEqualTo("admin " + ACCESS_KEY + " GET /_cairn/status");
    RawS3Client wrongSecret = new RawS3Client(gateway.port(), ACCESS_KEY, "not-the-secret");
    HttpResponse<String> forged = wrongSecret.send("GET", "/_cairn/status", "", Map.of(), new byte[0]);
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(forged.body()).contains("SignatureDoesNotMatch").doesNotContain("admin ");
  }

  @Test
  void keysWithDotSegmentsAndDoubleSlashesAreKeptVerbatim() {
    String bucket = newBucket(defaultClient);
    List<String> keys = List.of("a//b", "a/../b", "./c", "d/./e", "sp ace/%41");
    for (String k : keys) defaultClient.putObject(b -> b.bucket(bucket).key(k), RequestBody.fromString(k));
    for (String k : keys) {
      assertThat(defaultClient.getObjectAsBytes(b -> b.bucket(bucket).key(k)).asUtf8String()).isEqualTo(k);
    }
    assertThat(defaultClient.listObjectsV2(b -> b.bucket(bucket)).contents()).extracting(S3Object::key)
        .containsExactlyInAnyOrderElementsOf(keys);
  }

  @Test
  void unexpectedBackendFailureIsInternalErrorWithoutStackTrace() throws Exception {
    String bucket = newBucket(defaultClient);
    HttpResponse<String> r = raw.send("HEAD", "/" + bucket + "/" + MemoryObjectBackend.FAILING_KEY, "", Map.of(), new byte[0]);
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body()).isEmpty();
    assertThat(r.headers().firstValue("x-amz-request-id")).isPresent();
  }

  @Test
  void virtualHostStyleAddressing() throws Exception {
    S3GatewayConfig cfg = new S3GatewayConfig("127.0.0.1", 0, "us-east-1", 15 * 60 * 1000L, List.of("s3.cairn.test"), 64);
    try (S3Gateway vhost = S3Gateway.start(cfg, backend, null)) {
      String bucket = newBucket(defaultClient);
      defaultClient.putObject(b -> b.bucket(bucket).key("v/h"), RequestBody.fromString("virtual"));
      RawS3Client client = new RawS3Client(vhost.port(), ACCESS_KEY, SECRET, bucket + ".s3.cairn.test:" + vhost.port());
      var signed = client.sign("GET", "/v/h", "", Map.of(), SigV4Signer.EMPTY_SHA256);
      StringBuilder req = new StringBuilder("GET /v/h HTTP/1.1\r\nHost: " + client.host() + "\r\n");
      signed.headers().forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
      req.append("Connection: close\r\n\r\n");
      String response = client.sendRawBytes(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      assertThat(response).startsWith("HTTP/1.1 200");
      assertThat(response).endsWith("virtual");
    }
  }

  @Test
  void uploadPartCopyAssemblesAnObjectFromRangesOfAnother() {
    S3Client s3 = defaultClient;
    String bucket = newBucket(s3);
    byte[] data = randomBytes(6 * 1024 * 1024 + 100);
    s3.putObject(b -> b.bucket(bucket).key("big"), RequestBody.fromBytes(data));
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key("assembled")).uploadId();
    int split = 5 * 1024 * 1024;
    String e1 = s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey("big").destinationBucket(bucket)
        .destinationKey("assembled").uploadId(uploadId).partNumber(1).copySourceRange("bytes=0-" + (split - 1)))
        .copyPartResult().eTag();
    String e2 = s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey("big").destinationBucket(bucket)
        .destinationKey("assembled").uploadId(uploadId).partNumber(2).copySourceRange("bytes=" + split + "-" + (data.length - 1)))
        .copyPartResult().eTag();
    s3.completeMultipartUpload(b -> b.bucket(bucket).key("assembled").uploadId(uploadId)
        .multipartUpload(CompletedMultipartUpload.builder().parts(
            CompletedPart.builder().partNumber(1).eTag(e1).build(), CompletedPart.builder().partNumber(2).eTag(e2).build()).build()));
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("assembled")).asByteArray()).isEqualTo(data);
  }
}
