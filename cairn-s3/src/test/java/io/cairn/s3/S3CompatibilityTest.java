package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
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
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ObjectAttributes;
import software.amazon.awssdk.services.s3.model.Payer;
import software.amazon.awssdk.services.s3.model.ObjectVersion;

/**
 * Behaviours real clients and the public S3 test suites rely on, through the AWS SDK for Java v2
 * against the gateway with a memory backend: ListObjectVersions on unversioned buckets,
 * conditional writes, retried CompleteMultipartUpload, partNumber reads, strict copy ranges.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3CompatibilityTest {
  static final String ACCESS_KEY = "CAIRNTESTKEY";
  static final String SECRET = "cairn-test-secret-0123456789";
  static final long SEED = Long.getLong("cairn.test.seed", System.nanoTime());

  private S3Gateway gateway;
  private S3Client s3;
  private final Random random = new Random(SEED);

  @BeforeAll
  void start() {
    System.out.println("S3CompatibilityTest seed=" + SEED
        + " (reproduce: ./mvnw -o -pl cairn-s3 test -Dtest=S3CompatibilityTest -Dcairn.test.seed=" + SEED + ")");
    gateway = S3Gateway.start(S3GatewayConfig.of("127.0.0.1", 0), new MemoryObjectBackend(Map.of(ACCESS_KEY, SECRET)), null);
    s3 = S3Client.builder()
        .endpointOverride(URI.create("http://127.0.0.1:" + gateway.port()))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET)))
        .build();
  }

  @AfterAll
  void stop() {
    s3.close();
    gateway.close();
  }

  private String newBucket() {
    String name = "c" + Long.toHexString(random.nextLong() & Long.MAX_VALUE);
    s3.createBucket(b -> b.bucket(name));
    return name;
  }

  private static String errorCode(Throwable t) {
    return ((AwsServiceException) t).awsErrorDetails().errorCode();
  }

  @Test
  void listObjectVersionsShowsEveryObjectAsItsNullVersion() {
    String bucket = newBucket();
    for (String k : new String[] {"a", "d/x", "d/y", "z"}) s3.putObject(b -> b.bucket(bucket).key(k), RequestBody.fromString(k));
    ListObjectVersionsResponse all = s3.listObjectVersions(b -> b.bucket(bucket));
    assertThat(all.versions()).extracting(ObjectVersion::key).containsExactly("a", "d/x", "d/y", "z");
    assertThat(all.versions()).allSatisfy(v -> {
      assertThat(v.versionId()).isEqualTo("null");
      assertThat(v.isLatest()).isTrue();
    });
    ListObjectVersionsResponse rolled = s3.listObjectVersions(b -> b.bucket(bucket).delimiter("/").maxKeys(2));
    assertThat(rolled.versions()).extracting(ObjectVersion::key).containsExactly("a");
    assertThat(rolled.commonPrefixes()).extracting(p -> p.prefix()).containsExactly("d/");
    assertThat(rolled.isTruncated()).isTrue();
    ListObjectVersionsResponse rest = s3.listObjectVersions(b -> b.bucket(bucket).delimiter("/")
        .keyMarker(rolled.nextKeyMarker()));
    assertThat(rest.versions()).extracting(ObjectVersion::key).containsExactly("z");
    assertThat(rest.isTruncated()).isFalse();
  }

  @Test
  void deleteObjectsWithTheNullVersionDeletesAndAnotherVersionIsAnError() {
    String bucket = newBucket();
    s3.putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromString("x"));
    var result = s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(
        o -> o.key("k").versionId("null"), o -> o.key("k").versionId("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"))));
    assertThat(result.deleted()).extracting(d -> d.key()).containsExactly("k");
    assertThat(result.errors()).extracting(e -> e.code()).containsExactly("NoSuchVersion");
    assertThat(s3.listObjectsV2(b -> b.bucket(bucket)).contents()).isEmpty();
  }

  @Test
  void ifNoneMatchStarOnlyCreatesAndIfMatchOnlyReplacesThatVersion() {
    String bucket = newBucket();
    String etag = s3.putObject(b -> b.bucket(bucket).key("k").ifNoneMatch("*"), RequestBody.fromString("first")).eTag();
    assertThatThrownBy(() -> s3.putObject(b -> b.bucket(bucket).key("k").ifNoneMatch("*"), RequestBody.fromString("second")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("PreconditionFailed"));
    assertThatThrownBy(() -> s3.putObject(b -> b.bucket(bucket).key("k").ifMatch("\"0123\""), RequestBody.fromString("third")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("PreconditionFailed"));
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("k")).asUtf8String()).isEqualTo("first");
    assertThatThrownBy(() -> s3.putObject(b -> b.bucket(bucket).key("k").ifNoneMatch(etag), RequestBody.fromString("x")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("PreconditionFailed"));
    s3.putObject(b -> b.bucket(bucket).key("k").ifMatch(etag), RequestBody.fromString("fourth"));
    s3.putObject(b -> b.bucket(bucket).key("k").ifNoneMatch(etag), RequestBody.fromString("fifth"));
    s3.putObject(b -> b.bucket(bucket).key("k").ifMatch("*"), RequestBody.fromString("sixth"));
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("k")).asUtf8String()).isEqualTo("sixth");
    assertThatThrownBy(() -> s3.putObject(b -> b.bucket(bucket).key("new").ifMatch(etag), RequestBody.fromString("x")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("NoSuchKey"));
  }

  @Test
  void aRetriedCompleteMultipartUploadSucceedsWithTheSameETag() {
    String bucket = newBucket();
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key("mp")).uploadId();
    String e1 = s3.uploadPart(b -> b.bucket(bucket).key("mp").uploadId(uploadId).partNumber(1),
        RequestBody.fromString("only part")).eTag();
    CompletedMultipartUpload parts = CompletedMultipartUpload.builder()
        .parts(CompletedPart.builder().partNumber(1).eTag(e1).build()).build();
    String first = s3.completeMultipartUpload(b -> b.bucket(bucket).key("mp").uploadId(uploadId).multipartUpload(parts)).eTag();
    String again = s3.completeMultipartUpload(b -> b.bucket(bucket).key("mp").uploadId(uploadId).multipartUpload(parts)).eTag();
    assertThat(again).isEqualTo(first).endsWith("-1\"");
    s3.putObject(b -> b.bucket(bucket).key("mp"), RequestBody.fromString("replaced"));
    assertThatThrownBy(() -> s3.completeMultipartUpload(b -> b.bucket(bucket).key("mp").uploadId(uploadId).multipartUpload(parts)))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("NoSuchUpload"));
  }

  @Test
  void getObjectAttributesAnswersWhatItIsAskedFor() {
    String bucket = newBucket();
    byte[] body = new byte[1 + random.nextInt(100_000)];
    random.nextBytes(body);
    String etag = s3.putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromBytes(body)).eTag();
    var all = s3.getObjectAttributes(b -> b.bucket(bucket).key("k").objectAttributes(ObjectAttributes.E_TAG,
        ObjectAttributes.OBJECT_SIZE, ObjectAttributes.STORAGE_CLASS, ObjectAttributes.OBJECT_PARTS, ObjectAttributes.CHECKSUM));
    assertThat(all.eTag()).isEqualTo(etag.replace("\"", ""));
    assertThat(all.objectSize()).isEqualTo(body.length);
    assertThat(all.storageClassAsString()).isEqualTo("STANDARD");
    assertThat(all.objectParts()).as("an object of one PUT has no parts").isNull();
    assertThat(all.checksum()).as("no checksum is kept").isNull();
    assertThat(all.lastModified()).isNotNull();
    var sizeOnly = s3.getObjectAttributes(b -> b.bucket(bucket).key("k").objectAttributes(ObjectAttributes.OBJECT_SIZE));
    assertThat(sizeOnly.objectSize()).isEqualTo(body.length);
    assertThat(sizeOnly.eTag()).isNull();

    int parts = 2 + random.nextInt(3);
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key("mp")).uploadId();
    List<CompletedPart> done = new java.util.ArrayList<>();
    for (int i = 1; i <= parts; i++) {
      int n = i;
      String e = s3.uploadPart(b -> b.bucket(bucket).key("mp").uploadId(uploadId).partNumber(n),
          RequestBody.fromBytes(new byte[n < parts ? 5 * 1024 * 1024 : 10])).eTag();
      done.add(CompletedPart.builder().partNumber(n).eTag(e).build());
    }
    s3.completeMultipartUpload(b -> b.bucket(bucket).key("mp").uploadId(uploadId).multipartUpload(m -> m.parts(done)));
    var mp = s3.getObjectAttributes(b -> b.bucket(bucket).key("mp").objectAttributes(ObjectAttributes.OBJECT_PARTS,
        ObjectAttributes.OBJECT_SIZE));
    assertThat(mp.objectParts().totalPartsCount()).isEqualTo(parts);
    assertThat(mp.objectSize()).isEqualTo((parts - 1) * 5L * 1024 * 1024 + 10);
    assertThat(mp.objectParts().parts()).extracting(p -> p.partNumber() + ":" + p.size())
        .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, parts)
            .mapToObj(n -> n + ":" + (n < parts ? 5 * 1024 * 1024 : 10)).toList());
    assertThat(mp.objectParts().isTruncated()).isFalse();
    // A page of one part after part 1.
    var page = s3.getObjectAttributes(b -> b.bucket(bucket).key("mp").objectAttributes(ObjectAttributes.OBJECT_PARTS)
        .maxParts(1).partNumberMarker(1));
    assertThat(page.objectParts().parts()).extracting(p -> p.partNumber() + ":" + p.size()).containsExactly("2:" + (2 < parts ? 5 * 1024 * 1024 : 10));
    assertThat(page.objectParts().isTruncated()).isEqualTo(parts > 2);
    assertThat(page.objectParts().nextPartNumberMarker()).isEqualTo(2);
    assertThat(page.objectParts().maxParts()).isEqualTo(1);
    assertThatThrownBy(() -> s3.getObjectAttributes(b -> b.bucket(bucket).key("mp").objectAttributes(ObjectAttributes.OBJECT_PARTS)
        .maxParts(-1))).satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidArgument"));

    assertThatThrownBy(() -> s3.getObjectAttributes(b -> b.bucket(bucket).key("missing").objectAttributes(ObjectAttributes.E_TAG)))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(404));
    assertThatThrownBy(() -> s3.getObjectAttributes(b -> b.bucket(bucket).key("k").objectAttributesWithStrings("Colour")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidArgument"));
  }

  @Test
  void requestPaymentIsTheOwnersAndLoggingIsOff() {
    String bucket = newBucket();
    assertThat(s3.getBucketRequestPayment(b -> b.bucket(bucket)).payer()).isEqualTo(Payer.BUCKET_OWNER);
    s3.putBucketRequestPayment(b -> b.bucket(bucket).requestPaymentConfiguration(c -> c.payer(Payer.BUCKET_OWNER)));
    assertThatThrownBy(() -> s3.putBucketRequestPayment(b -> b.bucket(bucket).requestPaymentConfiguration(c -> c.payer(Payer.REQUESTER))))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(501));
    assertThat(s3.getBucketRequestPayment(b -> b.bucket(bucket)).payer()).isEqualTo(Payer.BUCKET_OWNER);

    assertThat(s3.getBucketLogging(b -> b.bucket(bucket)).loggingEnabled()).isNull();
    s3.putBucketLogging(b -> b.bucket(bucket).bucketLoggingStatus(st -> st.build()));
    assertThatThrownBy(() -> s3.putBucketLogging(b -> b.bucket(bucket).bucketLoggingStatus(st -> st.loggingEnabled(
        l -> l.targetBucket(bucket).targetPrefix("logs/")))))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(501));
    assertThat(s3.getBucketLogging(b -> b.bucket(bucket)).loggingEnabled()).isNull();
    assertThatThrownBy(() -> s3.getBucketLogging(b -> b.bucket("no-such-bucket-here")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("NoSuchBucket"));
  }

  @Test
  void anObjectsTagsComeInKeyOrder() {
    String bucket = newBucket();
    s3.putObject(b -> b.bucket(bucket).key("k").tagging("foo=bar&bar"), RequestBody.fromString("body"));
    assertThat(s3.getObjectTagging(b -> b.bucket(bucket).key("k")).tagSet()).extracting(t -> t.key() + "=" + t.value())
        .containsExactly("bar=", "foo=bar");
  }

  @Test
  void aReadThatAsksForSseS3IsRefused() {
    String bucket = newBucket();
    s3.putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromString("body"));
    assertThatThrownBy(() -> s3.headObject(b -> b.bucket(bucket).key("k")
        .overrideConfiguration(o -> o.putHeader("x-amz-server-side-encryption", "AES256"))))
        .satisfies(e -> assertThat(((AwsServiceException) e).statusCode()).isEqualTo(400));
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("k")
        .overrideConfiguration(o -> o.putHeader("x-amz-server-side-encryption", "AES256"))))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidArgument"));
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("k")).asUtf8String()).isEqualTo("body");
  }

  @Test
  void partNumberOneOfASinglePartObjectIsTheObject() {
    String bucket = newBucket();
    s3.putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromString("body"));
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("k").partNumber(1)).asUtf8String()).isEqualTo("body");
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("k").partNumber(2)))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidPart"));
  }

  /**
   * GET and HEAD with partNumber of an object completed from parts: that part's bytes (206, with
   * Content-Range), the whole object's ETag, and the parts' count; a part past the last is
   * InvalidPart, and a Range beside it InvalidRequest (as s3-tests' test_multipart_get_part has it).
   */
  @Test
  void partNumberOfAMultipartObjectIsThatPart() throws Exception {
    String bucket = newBucket();
    int[] sizes = {5 * 1024 * 1024, 5 * 1024 * 1024, 5 * 1024 * 1024 + 3, 1024 * 1024};
    byte[][] data = new byte[sizes.length][];
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key("mp")).uploadId();
    List<CompletedPart> done = new java.util.ArrayList<>();
    for (int i = 0; i < sizes.length; i++) {
      data[i] = new byte[sizes[i]];
      random.nextBytes(data[i]);
      int n = i + 1;
      byte[] bytes = data[i];
      String e = s3.uploadPart(b -> b.bucket(bucket).key("mp").uploadId(uploadId).partNumber(n), RequestBody.fromBytes(bytes)).eTag();
      done.add(CompletedPart.builder().partNumber(n).eTag(e).build());
    }
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("mp").partNumber(1)))
        .as("a part before the upload is complete").satisfies(e -> assertThat(errorCode(e)).isEqualTo("NoSuchKey"));
    String etag = s3.completeMultipartUpload(b -> b.bucket(bucket).key("mp").uploadId(uploadId).multipartUpload(m -> m.parts(done))).eTag();
    long total = java.util.Arrays.stream(sizes).asLongStream().sum();
    long offset = 0;
    for (int i = 0; i < sizes.length; i++) {
      int n = i + 1;
      var head = s3.headObject(b -> b.bucket(bucket).key("mp").partNumber(n));
      assertThat(head.partsCount()).isEqualTo(sizes.length);
      assertThat(head.eTag()).isEqualTo(etag);
      assertThat(head.contentLength()).isEqualTo(sizes[i]);
      var got = s3.getObjectAsBytes(b -> b.bucket(bucket).key("mp").partNumber(n));
      assertThat(got.response().partsCount()).isEqualTo(sizes.length);
      assertThat(got.response().eTag()).isEqualTo(etag);
      assertThat(got.response().contentRange()).isEqualTo("bytes " + offset + "-" + (offset + sizes[i] - 1) + "/" + total);
      assertThat(got.asByteArray()).as("part %d", n).isEqualTo(data[i]);
      offset += sizes[i];
    }
    var whole = s3.getObjectAsBytes(b -> b.bucket(bucket).key("mp"));
    assertThat(whole.response().partsCount()).as("a GET of the whole object does not count its parts").isNull();
    assertThat(whole.response().contentLength()).isEqualTo(total);
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("mp").partNumber(sizes.length + 1)))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidPart"));
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("mp").partNumber(2).range("bytes=0-9")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidRequest"));
    // A copy is an object of one piece: its part 1 is all of it.
    s3.copyObject(b -> b.sourceBucket(bucket).sourceKey("mp").destinationBucket(bucket).destinationKey("copy"));
    var copy = s3.getObjectAsBytes(b -> b.bucket(bucket).key("copy").partNumber(1));
    assertThat(copy.response().partsCount()).isNull();
    assertThat(copy.response().contentLength()).isEqualTo(total);
    assertThatThrownBy(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key("copy").partNumber(2)))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidPart"));
  }

  @Test
  void copySourceRangeBeyondTheSourceIsInvalidRange() {
    String bucket = newBucket();
    s3.putObject(b -> b.bucket(bucket).key("src"), RequestBody.fromString("12345"));
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key("dst")).uploadId();
    assertThatThrownBy(() -> s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey("src").destinationBucket(bucket)
        .destinationKey("dst").uploadId(uploadId).partNumber(1).copySourceRange("bytes=0-21")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidRange"));
    String etag = s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey("src").destinationBucket(bucket)
        .destinationKey("dst").uploadId(uploadId).partNumber(1).copySourceRange("bytes=1-3")).copyPartResult().eTag();
    s3.completeMultipartUpload(b -> b.bucket(bucket).key("dst").uploadId(uploadId).multipartUpload(
        CompletedMultipartUpload.builder().parts(CompletedPart.builder().partNumber(1).eTag(etag).build()).build()));
    assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("dst")).asUtf8String()).isEqualTo("234");
  }

  @Test
  void recreatingYourOwnBucketInUsEast1SucceedsAndAnEmptyContinuationTokenStartsOver() {
    String bucket = newBucket();
    s3.createBucket(b -> b.bucket(bucket));
    s3.putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromString("x"));
    var page = s3.listObjectsV2(b -> b.bucket(bucket).continuationToken(""));
    assertThat(page.contents()).extracting(o -> o.key()).containsExactly("k");
  }

  @Test
  void aclsShowTheOwnerWithFullControlAndOnlyPrivateOrPublicReadCanBeSet() {
    String bucket = newBucket();
    s3.putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromString("x"));
    var bucketAcl = s3.getBucketAcl(b -> b.bucket(bucket));
    assertThat(bucketAcl.owner().id()).isEqualTo(ACCESS_KEY);
    assertThat(bucketAcl.grants()).singleElement().satisfies(g -> {
      assertThat(g.permissionAsString()).isEqualTo("FULL_CONTROL");
      assertThat(g.grantee().id()).isEqualTo(ACCESS_KEY);
      assertThat(g.grantee().typeAsString()).isEqualTo("CanonicalUser");
    });
    assertThat(s3.getObjectAcl(b -> b.bucket(bucket).key("k")).grants()).hasSize(1);
    s3.putObjectAcl(b -> b.bucket(bucket).key("k").acl("private"));
    s3.putBucketAcl(b -> b.bucket(bucket).acl("private"));
    s3.putObjectAcl(b -> b.bucket(bucket).key("k").acl("public-read"));
    assertThat(s3.getObjectAcl(b -> b.bucket(bucket).key("k")).grants()).hasSize(2)
        .anyMatch(g -> "http://acs.amazonaws.com/groups/global/AllUsers".equals(g.grantee().uri()));
    assertThat(s3.getBucketAcl(b -> b.bucket(bucket)).grants()).as("the bucket stays private").hasSize(1);
    // A name S3 has no canned ACL of is a bad request, not a missing feature.
    assertThatThrownBy(() -> s3.putBucketAcl(b -> b.bucket(bucket).overrideConfiguration(o -> o.putHeader("x-amz-acl", "public-ready"))))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("InvalidArgument"));
    for (String unkept : new String[] {"authenticated-read", "public-read-write"}) {
      assertThatThrownBy(() -> s3.putObjectAcl(b -> b.bucket(bucket).key("k").acl(unkept)))
          .satisfies(e -> assertThat(errorCode(e)).isEqualTo("NotImplemented"));
      assertThatThrownBy(() -> s3.putObject(b -> b.bucket(bucket).key("unkept").acl(unkept), RequestBody.fromString("x")))
          .satisfies(e -> assertThat(errorCode(e)).isEqualTo("NotImplemented"));
    }
    assertThatThrownBy(() -> s3.getObjectAcl(b -> b.bucket(bucket).key("missing")))
        .satisfies(e -> assertThat(errorCode(e)).isEqualTo("NoSuchKey"));
  }

  @Test
  void listBucketsPagesWithMaxBucketsAndContinuationToken() {
    String prefix = "p" + Long.toHexString(random.nextLong() & 0xffffffL) + "-";
    for (String suffix : new String[] {"a", "b", "c"}) s3.createBucket(b -> b.bucket(prefix + suffix));
    var first = s3.listBuckets(b -> b.prefix(prefix).maxBuckets(2));
    assertThat(first.buckets()).extracting(x -> x.name()).containsExactly(prefix + "a", prefix + "b");
    assertThat(first.continuationToken()).isNotNull();
    var second = s3.listBuckets(b -> b.prefix(prefix).maxBuckets(2).continuationToken(first.continuationToken()));
    assertThat(second.buckets()).extracting(x -> x.name()).containsExactly(prefix + "c");
    assertThat(second.continuationToken()).isNull();
    assertThat(s3.listBuckets().buckets()).extracting(x -> x.name()).contains(prefix + "a", prefix + "b", prefix + "c");
  }

  @Test
  void contentEncodingIsKeptAsSentWithoutAwsChunked() {
    String bucket = newBucket();
    s3.putObject(b -> b.bucket(bucket).key("k").contentEncoding("deflate, gzip"),
        RequestBody.fromBytes("x".getBytes(StandardCharsets.UTF_8)));
    assertThat(s3.headObject(b -> b.bucket(bucket).key("k")).contentEncoding()).isEqualTo("deflate, gzip");
  }
}
