package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.ObjectAttributes;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Four real node processes and the AWS SDK: write 1,000 small and 3 large objects, read and list
 * them, SIGKILL a node, keep reading and writing through the others, restart it and check that
 * its own copies caught up; then object tags, set with a write, later, and by copies; and a
 * bucket's CORS rules answering preflights and actual requests; and the checksums writers send
 * (x-amz-checksum-*), kept and given back, of single PUTs, copies and multipart uploads.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(NodeLogsOnFailure.class)
class ClusterEndToEndTest {

    static final String BUCKET = "e2e";
    static final int SMALL_OBJECTS = 1_000;
    static final int LARGE_OBJECTS = 3;
    static final long LARGE_SIZE = 64L << 20;
    static final int KILLED = 1;

    static TestCluster cluster;
    static S3Client[] clients;
    static long seed;
    /** key -> size of every acknowledged object, and its content seed. */
    static final Map<String, long[]> written = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        seed = Long.getLong("cairn.seed", System.nanoTime());
        System.out.println("ClusterEndToEndTest seed=" + seed
                + " (reproduce: ./mvnw -pl cairn-testkit test -Dtest=ClusterEndToEndTest -Dcairn.seed=" + seed + ")");
        long t0 = System.nanoTime();
        cluster = TestCluster.start(4);
        clients = new S3Client[cluster.nodes()];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = cluster.s3(i);
        }
        System.out.printf("4-node cluster ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static String smallKey(int i) {
        return "dir" + (i % 10) + "/sub" + (i / 10 % 5) + "/obj-" + i;
    }

    @Test
    @Order(1)
    void writesReadsAndListsThousandsOfObjects() throws Exception {
        S3Client s3 = cluster.s3(0);
        s3.createBucket(b -> b.bucket(BUCKET));
        Random r = new Random(seed);
        int[] sizes = new int[SMALL_OBJECTS];
        for (int i = 0; i < SMALL_OBJECTS; i++) {
            sizes[i] = 1024 + r.nextInt(63 * 1024 + 1);
        }
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < SMALL_OBJECTS; i++) {
                int n = i;
                puts.add(pool.submit(() -> {
                    S3Client c = clients[n % clients.length];
                    c.putObject(b -> b.bucket(BUCKET).key(smallKey(n)), RequestBody.fromBytes(ObjectData.bytes(seed + n, sizes[n])));
                    written.put(smallKey(n), new long[] {sizes[n], seed + n});
                    return null;
                }));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        }
        System.out.printf("put %d small objects in %.1f s%n", SMALL_OBJECTS, (System.nanoTime() - t0) / 1e9);
        t0 = System.nanoTime();
        for (int i = 0; i < LARGE_OBJECTS; i++) {
            String key = "large/obj-" + i;
            long contentSeed = seed * 31 + i;
            clients[i % clients.length].putObject(b -> b.bucket(BUCKET).key(key),
                    RequestBody.fromInputStream(ObjectData.stream(contentSeed, LARGE_SIZE), LARGE_SIZE));
            written.put(key, new long[] {LARGE_SIZE, contentSeed});
        }
        System.out.printf("put %d objects of 64 MiB in %.1f s%n", LARGE_OBJECTS, (System.nanoTime() - t0) / 1e9);

        for (int node = 0; node < cluster.nodes(); node++) {
            assertAllReadable(cluster.s3(node), node);
        }

        // Listing: everything, paginated.
        List<String> all = listAll(s3, "", null);
        assertThat(all).hasSize(SMALL_OBJECTS + LARGE_OBJECTS);
        assertThat(all).isSorted();
        // Delimiter at the root: ten dirN/ prefixes and large/.
        ListObjectsV2Response root = s3.listObjectsV2(b -> b.bucket(BUCKET).delimiter("/"));
        assertThat(root.commonPrefixes().stream().map(CommonPrefix::prefix))
                .containsExactly("dir0/", "dir1/", "dir2/", "dir3/", "dir4/", "dir5/", "dir6/", "dir7/", "dir8/", "dir9/", "large/");
        assertThat(root.contents()).isEmpty();
        ListObjectsV2Response dir3 = cluster.s3(2).listObjectsV2(b -> b.bucket(BUCKET).prefix("dir3/").delimiter("/"));
        assertThat(dir3.commonPrefixes().stream().map(CommonPrefix::prefix))
                .containsExactly("dir3/sub0/", "dir3/sub1/", "dir3/sub2/", "dir3/sub3/", "dir3/sub4/");
        String metrics = cluster.admin().metrics(cluster.endpoint(0));
        assertThat(metrics).contains("cairn_map_epoch").contains("cairn_store_corruptions_detected_total");
        assertThat(metrics.lines().filter(l -> l.startsWith("cairn_store_used_bytes"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum()).isPositive();
        List<String> sub = listAll(cluster.s3(3), "dir3/sub2/", null);
        assertThat(sub).hasSize((int) written.keySet().stream().filter(k -> k.startsWith("dir3/sub2/")).count()).isNotEmpty();
    }

    static List<String> listAll(S3Client s3, String prefix, String delimiter) {
        List<String> keys = new ArrayList<>();
        String token = null;
        do {
            String t = token;
            ListObjectsV2Response page = s3.listObjectsV2(ListObjectsV2Request.builder().bucket(BUCKET).prefix(prefix)
                    .delimiter(delimiter).maxKeys(250).continuationToken(t).build());
            page.contents().stream().map(S3Object::key).forEach(keys::add);
            token = page.isTruncated() ? page.nextContinuationToken() : null;
        } while (token != null);
        return keys;
    }

    static void assertAllReadable(S3Client s3, int node) throws Exception {
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> gets = new ArrayList<>();
            for (Map.Entry<String, long[]> e : written.entrySet()) {
                gets.add(pool.submit(() -> {
                    long size = e.getValue()[0];
                    long contentSeed = e.getValue()[1];
                    try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(BUCKET).key(e.getKey()))) {
                        assertThat(in.response().contentLength()).as(e.getKey()).isEqualTo(size);
                        if (size > (1 << 20)) {
                            assertThat(ObjectData.sha256(in)).as(e.getKey() + " via node " + node)
                                    .isEqualTo(ObjectData.sha256(ObjectData.stream(contentSeed, size)));
                        } else {
                            assertThat(Arrays.equals(in.readAllBytes(), ObjectData.bytes(contentSeed, (int) size)))
                                    .as(e.getKey() + " via node " + node).isTrue();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : gets) {
                f.get();
            }
        }
        System.out.printf("read %d objects via node %d in %.1f s%n", written.size(), node, (System.nanoTime() - t0) / 1e9);
    }

    @Test
    @Order(2)
    void survivesTheLossOfANodeAndCatchesItUp() throws Exception {
        cluster.kill(KILLED);
        long killedAt = System.nanoTime();
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
            JsonNode s = cluster.admin().status();
            for (JsonNode n : s.path("nodes")) {
                if (n.path("public_address").asText().endsWith(":" + (cluster.dev().layout().s3Port(KILLED))) && n.path("state").asText().equals("down")) {
                    return true;
                }
            }
            return false;
        });
        System.out.printf("node %d marked down %.1f s after SIGKILL%n", KILLED, (System.nanoTime() - killedAt) / 1e9);

        for (int node = 0; node < cluster.nodes(); node++) {
            if (node != KILLED) {
                assertAllReadable(cluster.s3(node), node);
            }
        }
        // New writes go on while the node is away.
        List<String> whileDown = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String key = "while-down/obj-" + i;
            int size = 10_000 + i * 1000;
            long contentSeed = seed * 7 + i;
            cluster.s3(i % 2 == 0 ? 0 : 2).putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(ObjectData.bytes(contentSeed, size)));
            written.put(key, new long[] {size, contentSeed});
            whileDown.add(key);
        }
        String bigKey = "while-down/big";
        written.put(bigKey, new long[] {20L << 20, seed * 11});
        cluster.s3(3).putObject(b -> b.bucket(BUCKET).key(bigKey), RequestBody.fromInputStream(ObjectData.stream(seed * 11, 20L << 20), 20L << 20));
        whileDown.add(bigKey);

        long restartAt = System.nanoTime();
        cluster.restart(KILLED);
        Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
            JsonNode p = cluster.admin().status().path("partitions");
            return p.path("clean").asInt() == p.path("total").asInt();
        });
        System.out.printf("node %d rejoined and caught up in %.1f s%n", KILLED, (System.nanoTime() - restartAt) / 1e9);

        // Its own copies (read directly, no other node asked) hold the right bytes.
        String endpoint = cluster.endpoint(KILLED);
        String self = cluster.admin().localObject(endpoint, BUCKET, whileDown.getFirst()).path("node").asText();
        int checkedChunks = 0;
        int checkedInline = 0;
        for (String key : whileDown) {
            JsonNode local = cluster.admin().localObject(endpoint, BUCKET, key);
            long[] meta = written.get(key);
            if (contains(local.path("index_holders"), self)) {
                assertThat(local.path("index").isObject()).as("node %s holds the index entry of %s", self, key).isTrue();
                if (local.path("index").path("inline").asBoolean()) {
                    byte[] got = cluster.admin().localInline(endpoint, BUCKET, key);
                    assertThat(Arrays.equals(got, slice(meta, 0, (int) meta[0]))).as("inline data of %s on node %s", key, self).isTrue();
                    checkedInline++;
                }
            }
            for (JsonNode chunk : local.path("chunks")) {
                if (!contains(chunk.path("holders"), self)) {
                    continue;
                }
                assertThat(chunk.path("local").asBoolean()).as("node %s holds chunk %s of %s", self, chunk.path("index"), key).isTrue();
                byte[] got = cluster.admin().localChunk(endpoint, BUCKET, key, chunk.path("index").asInt());
                byte[] want = slice(meta, chunk.path("offset").asLong(), chunk.path("size").asInt());
                assertThat(Arrays.equals(got, want)).as("chunk %s of %s on node %s", chunk.path("index"), key, self).isTrue();
                checkedChunks++;
            }
        }
        assertThat(checkedChunks).isPositive();
        assertThat(checkedInline).isPositive();
        System.out.printf("checked %d chunks and %d inline objects held by the restarted node%n", checkedChunks, checkedInline);
        assertAllReadable(cluster.s3(KILLED), KILLED);
    }

    @Test
    @Order(3)
    void objectTagsAreKeptWithTheObjectSetLaterAndCopied() throws Exception {
        S3Client s0 = clients[0];
        S3Client s2 = clients[2];
        s0.createBucket(b -> b.bucket("tagged"));
        s0.putObject(b -> b.bucket("tagged").key("small").tagging("team=blue&stage=raw%20data"), RequestBody.fromString("tagged bytes"));
        byte[] big = new byte[(5 << 20) + 17];
        new Random(seed).nextBytes(big);
        s0.putObject(b -> b.bucket("tagged").key("big").tagging("team=red"), RequestBody.fromBytes(big));
        assertThat(tags(s2, "small")).isEqualTo(Map.of("team", "blue", "stage", "raw data"));
        assertThat(tags(s2, "big")).isEqualTo(Map.of("team", "red"));
        var got = s2.getObjectAsBytes(b -> b.bucket("tagged").key("small"));
        assertThat(got.response().tagCount()).isEqualTo(2);
        String etag = got.response().eTag();

        // Set later: the data, the ETag and the other metadata stay; a GET through any node sees the new tags.
        s2.putObjectTagging(b -> b.bucket("tagged").key("big").tagging(t -> t.tagSet(
                software.amazon.awssdk.services.s3.model.Tag.builder().key("team").value("green").build(),
                software.amazon.awssdk.services.s3.model.Tag.builder().key("keep").value("").build())));
        assertThat(tags(s0, "big")).isEqualTo(Map.of("team", "green", "keep", ""));
        assertThat(s0.getObjectAsBytes(b -> b.bucket("tagged").key("big")).asByteArray()).isEqualTo(big);
        s2.deleteObjectTagging(b -> b.bucket("tagged").key("small"));
        assertThat(tags(s0, "small")).isEmpty();
        var after = s0.getObjectAsBytes(b -> b.bucket("tagged").key("small"));
        assertThat(after.asUtf8String()).isEqualTo("tagged bytes");
        assertThat(after.response().eTag()).isEqualTo(etag);
        assertThat(after.response().tagCount()).isNull();

        // Copies take the source's tags, or the request's with REPLACE; a multipart upload keeps those it began with.
        s0.copyObject(b -> b.sourceBucket("tagged").sourceKey("big").destinationBucket("tagged").destinationKey("big-copy"));
        assertThat(tags(s2, "big-copy")).isEqualTo(Map.of("team", "green", "keep", ""));
        s0.copyObject(b -> b.sourceBucket("tagged").sourceKey("big").destinationBucket("tagged").destinationKey("big-retagged")
                .taggingDirective(software.amazon.awssdk.services.s3.model.TaggingDirective.REPLACE).tagging("copy=yes"));
        assertThat(tags(s2, "big-retagged")).isEqualTo(Map.of("copy", "yes"));
        String upload = s0.createMultipartUpload(b -> b.bucket("tagged").key("parts").tagging("multi=part")).uploadId();
        String part = s0.uploadPart(b -> b.bucket("tagged").key("parts").uploadId(upload).partNumber(1),
                RequestBody.fromString("one part")).eTag();
        s0.completeMultipartUpload(b -> b.bucket("tagged").key("parts").uploadId(upload)
                .multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(part))));
        assertThat(tags(s2, "parts")).isEqualTo(Map.of("multi", "part"));

        // Bad tags are refused and change nothing; a missing object has no tags to set.
        StringBuilder eleven = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            eleven.append(i == 0 ? "" : "&").append("k").append(i).append("=v");
        }
        for (String bad : List.of(eleven.toString(), "aws:reserved=x", "k=" + "v".repeat(257), "x".repeat(129) + "=v", "dup=1&dup=2")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.putObject(b -> b.bucket("tagged").key("small").tagging(bad),
                    RequestBody.fromString("replaced"))).as(bad.length() > 40 ? bad.substring(0, 40) : bad)
                    .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidTag"));
        }
        assertThat(s0.getObjectAsBytes(b -> b.bucket("tagged").key("small")).asUtf8String()).isEqualTo("tagged bytes");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.getObjectTagging(b -> b.bucket("tagged").key("absent")))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchKey"));
    }

    @Test
    @Order(4)
    void aBucketsCorsRulesAnswerBrowsersThroughEveryNode() throws Exception {
        S3Client s0 = clients[0];
        s0.createBucket(b -> b.bucket("web"));
        s0.putObject(b -> b.bucket("web").key("index.html"), RequestBody.fromString("<p>hi</p>"));
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String url = cluster.endpoint(3) + "/web/index.html";
        assertThat(preflight(http, url, "https://app.example.com", "PUT", "content-type").statusCode()).as("no CORS yet").isEqualTo(403);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.getBucketCors(b -> b.bucket("web")))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchCORSConfiguration"));

        s0.putBucketCors(b -> b.bucket("web").corsConfiguration(c -> c.corsRules(
                r -> r.allowedOrigins("https://*.example.com").allowedMethods("GET", "PUT").allowedHeaders("content-type", "x-amz-*")
                        .exposeHeaders("ETag").maxAgeSeconds(600),
                r -> r.allowedOrigins("*").allowedMethods("GET"))));
        var rules = s0.getBucketCors(b -> b.bucket("web")).corsRules();
        assertThat(rules).hasSize(2);
        assertThat(rules.get(0).allowedOrigins()).containsExactly("https://*.example.com");
        assertThat(rules.get(0).maxAgeSeconds()).isEqualTo(600);

        Awaitility.await("the rules reach every gateway").atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .until(() -> clients[2].getBucketCors(b -> b.bucket("web")).corsRules().size() == 2
                        && preflight(http, url, "https://app.example.com", "PUT", "Content-Type, X-Amz-Date").statusCode() == 200);
        var ok = preflight(http, url, "https://app.example.com", "PUT", "Content-Type, X-Amz-Date");
        assertThat(ok.headers().firstValue("access-control-allow-origin")).contains("https://app.example.com");
        assertThat(ok.headers().firstValue("access-control-allow-methods")).contains("GET, PUT");
        assertThat(ok.headers().firstValue("access-control-allow-headers")).contains("content-type, x-amz-date");
        assertThat(ok.headers().firstValue("access-control-max-age")).contains("600");
        assertThat(preflight(http, url, "https://app.example.com", "DELETE", null).statusCode()).isEqualTo(403);
        assertThat(preflight(http, url, "https://app.example.com", "PUT", "authorization").statusCode()).isEqualTo(403);
        assertThat(preflight(http, url, "http://other.test", "PUT", null).statusCode()).isEqualTo(403);
        var anyone = preflight(http, url, "http://other.test", "GET", null);
        assertThat(anyone.statusCode()).isEqualTo(200);
        assertThat(anyone.headers().firstValue("access-control-allow-origin")).contains("*");

        // An actual request from an allowed origin carries the headers (here a 403: the bucket is not public).
        var get = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).header("Origin", "https://app.example.com")
                .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(403);
        assertThat(get.headers().firstValue("access-control-allow-origin")).contains("https://app.example.com");
        assertThat(get.headers().firstValue("access-control-expose-headers")).contains("ETag");

        // Malformed and unsupported rules are refused and change nothing; DELETE removes them.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.putBucketCors(b -> b.bucket("web").corsConfiguration(c -> c.corsRules(
                        r -> r.allowedOrigins("*").allowedMethods("PATCH")))))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(400));
        assertThat(s0.getBucketCors(b -> b.bucket("web")).corsRules()).hasSize(2);
        s0.deleteBucketCors(b -> b.bucket("web"));
        Awaitility.await("CORS is off on every gateway").atMost(Duration.ofSeconds(15))
                .until(() -> preflight(http, url, "http://other.test", "GET", null).statusCode() == 403);
    }

    @Test
    @Order(5)
    void aBucketsTagsAreSetReadAndRemovedThroughEveryNode() {
        S3Client s0 = clients[0];
        s0.createBucket(b -> b.bucket("tagged"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.getBucketTagging(b -> b.bucket("tagged")))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchTagSet");
                });
        s0.putBucketTagging(b -> b.bucket("tagged").tagging(t -> t.tagSet(
                software.amazon.awssdk.services.s3.model.Tag.builder().key("team").value("storage").build(),
                software.amazon.awssdk.services.s3.model.Tag.builder().key("cost centre").value("é & = ?").build(),
                software.amazon.awssdk.services.s3.model.Tag.builder().key("empty").value("").build())));
        // Another change of the bucket keeps its tags.
        s0.putBucketCors(b -> b.bucket("tagged").corsConfiguration(c -> c.corsRules(r -> r.allowedOrigins("*").allowedMethods("GET"))));
        Awaitility.await("the tags reach every gateway").atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .until(() -> clients[3].getBucketTagging(b -> b.bucket("tagged")).tagSet().size() == 3);
        assertThat(clients[3].getBucketTagging(b -> b.bucket("tagged")).tagSet())
                .extracting(software.amazon.awssdk.services.s3.model.Tag::key, software.amazon.awssdk.services.s3.model.Tag::value)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("team", "storage"), org.assertj.core.groups.Tuple.tuple("cost centre", "é & = ?"),
                        org.assertj.core.groups.Tuple.tuple("empty", ""));

        // 51 tags, a reserved key, a key twice: refused, and the tags stay as they were.
        java.util.List<software.amazon.awssdk.services.s3.model.Tag> tooMany = new java.util.ArrayList<>();
        for (int i = 0; i < 51; i++) {
            tooMany.add(software.amazon.awssdk.services.s3.model.Tag.builder().key("k" + i).value("v").build());
        }
        for (java.util.List<software.amazon.awssdk.services.s3.model.Tag> bad : java.util.List.of(tooMany,
                java.util.List.of(software.amazon.awssdk.services.s3.model.Tag.builder().key("aws:owner").value("x").build()),
                java.util.List.of(software.amazon.awssdk.services.s3.model.Tag.builder().key("a").value("1").build(),
                        software.amazon.awssdk.services.s3.model.Tag.builder().key("a").value("2").build()))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.putBucketTagging(b -> b.bucket("tagged").tagging(t -> t.tagSet(bad))))
                    .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidTag"));
        }
        assertThat(s0.getBucketTagging(b -> b.bucket("tagged")).tagSet()).hasSize(3);
        tooMany.remove(50);
        s0.putBucketTagging(b -> b.bucket("tagged").tagging(t -> t.tagSet(tooMany)));
        assertThat(s0.getBucketTagging(b -> b.bucket("tagged")).tagSet()).as("50 tags, the most a bucket has").hasSize(50);

        s0.deleteBucketTagging(b -> b.bucket("tagged"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.getBucketTagging(b -> b.bucket("tagged")))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchTagSet"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.getBucketTagging(b -> b.bucket("no-such-bucket")))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchBucket"));
    }

    @Test
    @Order(6)
    void anObjectMadePublicReadIsReadByAnyoneInAPrivateBucket() throws Exception {
        S3Client s0 = clients[0];
        s0.createBucket(b -> b.bucket("shared"));
        s0.putObject(b -> b.bucket("shared").key("public.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ),
                RequestBody.fromString("for everyone"));
        s0.putObject(b -> b.bucket("shared").key("private.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.BUCKET_OWNER_FULL_CONTROL),
                RequestBody.fromString("for the owner"));
        java.util.function.Function<String, java.net.http.HttpResponse<String>> anonymous = key -> anonymousGet(cluster.endpoint(2) + "/shared/" + key);
        var got = anonymous.apply("public.txt");
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.body()).isEqualTo("for everyone");
        assertThat(got.headers().map().keySet()).as("the ACL is never a header").noneMatch(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("x-cairn"));
        assertThat(anonymous.apply("private.txt").statusCode()).isEqualTo(403);
        assertThat(anonymous.apply("missing.txt").statusCode()).as("a missing key looks like a private one").isEqualTo(403);
        var overridden = anonymous.apply("public.txt?response-content-type=text%2Fhtml");
        assertThat(overridden.statusCode()).as("response-* overrides are for signed requests, as in S3").isEqualTo(400);
        assertThat(overridden.body()).contains("<Code>InvalidRequest</Code>");
        assertThat(s0.getObjectAcl(b -> b.bucket("shared").key("public.txt")).grants())
                .anyMatch(g -> "http://acs.amazonaws.com/groups/global/AllUsers".equals(g.grantee().uri()) && g.permissionAsString().equals("READ"));
        assertThat(s0.getObjectAcl(b -> b.bucket("shared").key("private.txt")).grants()).hasSize(1);
        var anonymousList = anonymousGet(cluster.endpoint(2) + "/shared");
        assertThat(anonymousList.statusCode()).as("the bucket stays private").isEqualTo(403);

        // PutObjectAcl both ways; an overwrite or a copy takes its own request's ACL.
        s0.putObjectAcl(b -> b.bucket("shared").key("public.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PRIVATE));
        assertThat(anonymous.apply("public.txt").statusCode()).isEqualTo(403);
        s0.putObjectAcl(b -> b.bucket("shared").key("private.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ));
        assertThat(anonymous.apply("private.txt").body()).isEqualTo("for the owner");
        s0.putObject(b -> b.bucket("shared").key("private.txt"), RequestBody.fromString("overwritten"));
        assertThat(anonymous.apply("private.txt").statusCode()).as("an overwrite without an ACL is private").isEqualTo(403);
        s0.putObjectAcl(b -> b.bucket("shared").key("public.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ));
        s0.copyObject(b -> b.sourceBucket("shared").sourceKey("public.txt").destinationBucket("shared").destinationKey("copy.txt"));
        assertThat(anonymous.apply("copy.txt").statusCode()).as("a copy does not take its source's ACL").isEqualTo(403);
        s0.copyObject(b -> b.sourceBucket("shared").sourceKey("public.txt").destinationBucket("shared").destinationKey("copy.txt")
                .acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ));
        assertThat(anonymous.apply("copy.txt").body()).isEqualTo("for everyone");

        // An ACL Cairn does not keep is refused, and nothing is written.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.putObject(b -> b.bucket("shared").key("other.txt")
                        .acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.AUTHENTICATED_READ), RequestBody.fromString("x")))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(501));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.headObject(b -> b.bucket("shared").key("other.txt")))
                .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);

        // The bucket's policy denying everyone the object wins over the object's ACL.
        s0.putBucketPolicy(b -> b.bucket("shared").policy("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\","
                + "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::shared/public.txt\"}]}"));
        Awaitility.await("the policy reaches the gateway").atMost(Duration.ofSeconds(15))
                .until(() -> anonymous.apply("public.txt").statusCode() == 403);
        assertThat(anonymous.apply("copy.txt").statusCode()).isEqualTo(200);
        s0.deleteBucketPolicy(b -> b.bucket("shared"));
    }

    @Test
    @Order(7)
    void aBucketsPublicAccessBlockRefusesAndIgnoresWhatIsPublic() throws Exception {
        S3Client s0 = clients[0];
        S3Client s3 = clients[3];
        s0.createBucket(b -> b.bucket("guarded"));
        java.util.function.Consumer<org.assertj.core.api.ThrowableAssert.ThrowingCallable> denied = call ->
                org.assertj.core.api.Assertions.assertThatThrownBy(call)
                        .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class, e -> {
                            assertThat(e.statusCode()).isEqualTo(403);
                            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
                        });
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.getPublicAccessBlock(b -> b.bucket("guarded")))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchPublicAccessBlockConfiguration");
                });
        assertThat(s0.getBucketPolicyStatus(b -> b.bucket("guarded")).policyStatus().isPublic()).isFalse();

        // Public before the block: the bucket's ACL and an object's ACL let anyone read.
        s0.putBucketAcl(b -> b.bucket("guarded").acl(software.amazon.awssdk.services.s3.model.BucketCannedACL.PUBLIC_READ));
        s0.putObject(b -> b.bucket("guarded").key("open.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ),
                RequestBody.fromString("open"));
        assertThat(s0.getBucketPolicyStatus(b -> b.bucket("guarded")).policyStatus().isPublic()).as("public by its ACL").isTrue();
        java.util.function.Function<String, Integer> anonymous = path -> anonymousGet(cluster.endpoint(2) + "/guarded" + path).statusCode();
        Awaitility.await("the ACL reaches node 2").atMost(Duration.ofSeconds(15)).until(() -> anonymous.apply("/open.txt") == 200);
        assertThat(anonymous.apply("")).as("an anonymous listing").isEqualTo(200);

        // BlockPublicAcls and BlockPublicPolicy: public ACLs and policies are refused, whatever the ACL.
        s0.putPublicAccessBlock(b -> b.bucket("guarded").publicAccessBlockConfiguration(c -> c.blockPublicAcls(true).blockPublicPolicy(true)));
        Awaitility.await("the block reaches node 3").atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .until(() -> s3.getPublicAccessBlock(b -> b.bucket("guarded")).publicAccessBlockConfiguration().blockPublicAcls());
        var got = s3.getPublicAccessBlock(b -> b.bucket("guarded")).publicAccessBlockConfiguration();
        assertThat(java.util.List.of(got.blockPublicAcls(), got.ignorePublicAcls(), got.blockPublicPolicy(), got.restrictPublicBuckets()))
                .containsExactly(true, false, true, false);
        for (var acl : java.util.List.of(software.amazon.awssdk.services.s3.model.BucketCannedACL.PUBLIC_READ,
                software.amazon.awssdk.services.s3.model.BucketCannedACL.PUBLIC_READ_WRITE,
                software.amazon.awssdk.services.s3.model.BucketCannedACL.AUTHENTICATED_READ)) {
            denied.accept(() -> s3.putBucketAcl(b -> b.bucket("guarded").acl(acl)));
        }
        denied.accept(() -> s3.putObject(b -> b.bucket("guarded").key("new.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ),
                RequestBody.fromString("new")));
        denied.accept(() -> s3.putObjectAcl(b -> b.bucket("guarded").key("open.txt")
                .acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ_WRITE)));
        denied.accept(() -> s3.createMultipartUpload(b -> b.bucket("guarded").key("big.bin")
                .acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ)));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s3.headObject(b -> b.bucket("guarded").key("new.txt")))
                .as("nothing was written").isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
        s3.putObject(b -> b.bucket("guarded").key("closed.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PRIVATE),
                RequestBody.fromString("closed"));
        String publicPolicy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                + "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::guarded/*\"}]}";
        denied.accept(() -> s3.putBucketPolicy(b -> b.bucket("guarded").policy(publicPolicy)));
        String fromOneNetwork = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                + "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::guarded/*\","
                + "\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}}]}";
        s3.putBucketPolicy(b -> b.bucket("guarded").policy(fromOneNetwork)); // limited to fixed addresses: not public
        s3.deleteBucketPolicy(b -> b.bucket("guarded"));
        assertThat(anonymous.apply("/open.txt")).as("existing public ACLs still count").isEqualTo(200);

        // IgnorePublicAcls: the bucket's and the objects' public ACLs grant nothing, and are kept.
        s0.putPublicAccessBlock(b -> b.bucket("guarded").publicAccessBlockConfiguration(c -> c.ignorePublicAcls(true)));
        Awaitility.await("the block reaches node 2").atMost(Duration.ofSeconds(15)).until(() -> anonymous.apply("/open.txt") == 403);
        assertThat(anonymous.apply("")).isEqualTo(403);
        assertThat(s0.getBucketAcl(b -> b.bucket("guarded")).grants()).hasSize(2);

        // RestrictPublicBuckets: a public policy grants anonymous requests nothing.
        s0.putBucketAcl(b -> b.bucket("guarded").acl(software.amazon.awssdk.services.s3.model.BucketCannedACL.PRIVATE));
        s0.putObjectAcl(b -> b.bucket("guarded").key("open.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PRIVATE));
        s0.putBucketPolicy(b -> b.bucket("guarded").policy(publicPolicy));
        assertThat(s0.getBucketPolicyStatus(b -> b.bucket("guarded")).policyStatus().isPublic()).as("public by its policy").isTrue();
        Awaitility.await("the policy lets anyone read").atMost(Duration.ofSeconds(15)).until(() -> anonymous.apply("/closed.txt") == 200);
        s0.putPublicAccessBlock(b -> b.bucket("guarded").publicAccessBlockConfiguration(c -> c.restrictPublicBuckets(true)));
        Awaitility.await("the block reaches node 2").atMost(Duration.ofSeconds(15)).until(() -> anonymous.apply("/closed.txt") == 403);
        assertThat(s0.getObject(b -> b.bucket("guarded").key("closed.txt"), software.amazon.awssdk.core.sync.ResponseTransformer.toBytes())
                .asUtf8String()).as("the owner still reads").isEqualTo("closed");
        s0.deletePublicAccessBlock(b -> b.bucket("guarded"));
        Awaitility.await("without the block, the policy lets anyone read again").atMost(Duration.ofSeconds(15))
                .until(() -> anonymous.apply("/closed.txt") == 200);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.getPublicAccessBlock(b -> b.bucket("guarded")))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchPublicAccessBlockConfiguration"));
        s0.deleteBucketPolicy(b -> b.bucket("guarded"));
    }

    @Test
    @Order(8)
    void aBucketsObjectOwnershipDisablesItsAclsThroughEveryNode() throws Exception {
        S3Client s0 = clients[0];
        S3Client s1 = clients[1];
        java.util.function.BiConsumer<String, org.assertj.core.api.ThrowableAssert.ThrowingCallable> refused = (code, call) ->
                org.assertj.core.api.Assertions.assertThatThrownBy(call).as(code)
                        .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                                e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code));
        s0.createBucket(b -> b.bucket("owned"));
        refused.accept("OwnershipControlsNotFoundError", () -> s0.getBucketOwnershipControls(b -> b.bucket("owned")));
        s0.putObject(b -> b.bucket("owned").key("was-public.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ),
                RequestBody.fromString("was public"));
        java.util.function.Function<String, Integer> anonymous = key -> anonymousGet(cluster.endpoint(2) + "/owned/" + key).statusCode();
        assertThat(anonymous.apply("was-public.txt")).isEqualTo(200);

        // BucketOwnerEnforced: ACLs are disabled. Setting one is refused, the ones set before grant nothing.
        s0.putBucketOwnershipControls(b -> b.bucket("owned").ownershipControls(c -> c.rules(r -> r.objectOwnership(
                software.amazon.awssdk.services.s3.model.ObjectOwnership.BUCKET_OWNER_ENFORCED))));
        Awaitility.await("the setting reaches node 1").atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .until(() -> s1.getBucketOwnershipControls(b -> b.bucket("owned")).ownershipControls().rules().getFirst().objectOwnership()
                        == software.amazon.awssdk.services.s3.model.ObjectOwnership.BUCKET_OWNER_ENFORCED);
        Awaitility.await("the old public-read grants nothing on node 2").atMost(Duration.ofSeconds(15))
                .until(() -> anonymous.apply("was-public.txt") == 403);
        assertThat(s1.getObjectAcl(b -> b.bucket("owned").key("was-public.txt")).grants()).as("only the owner's grant").hasSize(1);
        refused.accept("AccessControlListNotSupported", () -> s1.putBucketAcl(b -> b.bucket("owned")
                .acl(software.amazon.awssdk.services.s3.model.BucketCannedACL.PUBLIC_READ)));
        refused.accept("AccessControlListNotSupported", () -> s1.putObjectAcl(b -> b.bucket("owned").key("was-public.txt")
                .acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ)));
        refused.accept("AccessControlListNotSupported", () -> s1.putObject(b -> b.bucket("owned").key("new.txt")
                .acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PRIVATE), RequestBody.fromString("new")));
        refused.accept("AccessControlListNotSupported", () -> s1.createMultipartUpload(b -> b.bucket("owned").key("big.bin")
                .acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.PUBLIC_READ)));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s1.headObject(b -> b.bucket("owned").key("new.txt")))
                .as("nothing was written").isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
        s1.putObject(b -> b.bucket("owned").key("new.txt").acl(software.amazon.awssdk.services.s3.model.ObjectCannedACL.BUCKET_OWNER_FULL_CONTROL),
                RequestBody.fromString("new"));
        s1.putObject(b -> b.bucket("owned").key("plain.txt"), RequestBody.fromString("plain"));
        assertThat(s0.getObjectAsBytes(b -> b.bucket("owned").key("new.txt")).asUtf8String()).isEqualTo("new");

        // ObjectWriter is not implemented (the bucket's owner owns every object in Cairn); a value S3 does not know is malformed.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.putBucketOwnershipControls(b -> b.bucket("owned").ownershipControls(
                c -> c.rules(r -> r.objectOwnership(software.amazon.awssdk.services.s3.model.ObjectOwnership.OBJECT_WRITER)))))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(501));
        refused.accept("MalformedXML", () -> s0.putBucketOwnershipControls(b -> b.bucket("owned").ownershipControls(
                c -> c.rules(r -> r.objectOwnership("Everyone")))));
        assertThat(s0.getBucketOwnershipControls(b -> b.bucket("owned")).ownershipControls().rules().getFirst().objectOwnershipAsString())
                .as("unchanged by the refusals").isEqualTo("BucketOwnerEnforced");

        // BucketOwnerPreferred: ACLs work again, and the old public-read with them.
        s0.putBucketOwnershipControls(b -> b.bucket("owned").ownershipControls(c -> c.rules(r -> r.objectOwnership(
                software.amazon.awssdk.services.s3.model.ObjectOwnership.BUCKET_OWNER_PREFERRED))));
        Awaitility.await("ACLs work again on node 2").atMost(Duration.ofSeconds(15)).until(() -> anonymous.apply("was-public.txt") == 200);
        s0.putBucketAcl(b -> b.bucket("owned").acl(software.amazon.awssdk.services.s3.model.BucketCannedACL.PUBLIC_READ));
        refused.accept("InvalidBucketAclWithObjectOwnership", () -> s0.putBucketOwnershipControls(b -> b.bucket("owned").ownershipControls(
                c -> c.rules(r -> r.objectOwnership(software.amazon.awssdk.services.s3.model.ObjectOwnership.BUCKET_OWNER_ENFORCED)))));
        s0.putBucketAcl(b -> b.bucket("owned").acl(software.amazon.awssdk.services.s3.model.BucketCannedACL.PRIVATE));
        s0.deleteBucketOwnershipControls(b -> b.bucket("owned"));
        refused.accept("OwnershipControlsNotFoundError", () -> s0.getBucketOwnershipControls(b -> b.bucket("owned")));

        // At creation: x-amz-object-ownership, refused with a public ACL under BucketOwnerEnforced, and nothing is made.
        s1.createBucket(b -> b.bucket("owned-at-birth").objectOwnership(software.amazon.awssdk.services.s3.model.ObjectOwnership.BUCKET_OWNER_ENFORCED));
        assertThat(s1.getBucketOwnershipControls(b -> b.bucket("owned-at-birth")).ownershipControls().rules().getFirst().objectOwnershipAsString())
                .isEqualTo("BucketOwnerEnforced");
        refused.accept("InvalidBucketAclWithObjectOwnership", () -> s1.createBucket(b -> b.bucket("owned-in-public")
                .acl(software.amazon.awssdk.services.s3.model.BucketCannedACL.PUBLIC_READ)
                .objectOwnership(software.amazon.awssdk.services.s3.model.ObjectOwnership.BUCKET_OWNER_ENFORCED)));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s1.headBucket(b -> b.bucket("owned-in-public")))
                .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchBucketException.class);
        s1.deleteBucket(b -> b.bucket("owned-at-birth"));
    }

    /** An unsigned GET of {@code url}, as a browser or curl would send it. */
    private static java.net.http.HttpResponse<String> anonymousGet(String url) {
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static java.net.http.HttpResponse<String> preflight(java.net.http.HttpClient http, String url, String origin, String method,
                                                               String headers) throws Exception {
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin).header("Access-Control-Request-Method", method);
        if (headers != null) {
            req.header("Access-Control-Request-Headers", headers);
        }
        return http.send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(9)
    void objectsKeepTheChecksumsTheirWritersSentAndGiveThemBack() throws Exception {
        S3Client s0 = clients[0];
        S3Client s2 = clients[2];
        s0.createBucket(b -> b.bucket("sums"));
        byte[] small = "checksummed bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String sha = base64(java.security.MessageDigest.getInstance("SHA-256").digest(small));

        // A PUT naming SHA256: the checksum is kept, answered, and given back on request through any node.
        var put = s0.putObject(b -> b.bucket("sums").key("sha").checksumAlgorithm(ChecksumAlgorithm.SHA256), RequestBody.fromBytes(small));
        assertThat(put.checksumSHA256()).isEqualTo(sha);
        assertThat(s2.headObject(b -> b.bucket("sums").key("sha").checksumMode(ChecksumMode.ENABLED)).checksumSHA256()).isEqualTo(sha);
        assertThat(s2.headObject(b -> b.bucket("sums").key("sha")).checksumSHA256()).isNull();
        var got = s2.getObjectAsBytes(b -> b.bucket("sums").key("sha").checksumMode(ChecksumMode.ENABLED));
        assertThat(got.asByteArray()).isEqualTo(small);
        assertThat(got.response().checksumSHA256()).isEqualTo(sha);
        assertThat(got.response().checksumTypeAsString()).isEqualTo("FULL_OBJECT");
        // A range is served without the whole object's checksum.
        assertThat(s2.getObjectAsBytes(b -> b.bucket("sums").key("sha").range("bytes=0-3").checksumMode(ChecksumMode.ENABLED))
                .response().checksumSHA256()).isNull();
        assertThat(s0.listObjectsV2(b -> b.bucket("sums")).contents().getFirst().checksumAlgorithmAsStrings()).containsExactly("SHA256");

        // A checksum that is not the body's is BadDigest, and the object stays as it was.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.putObject(b -> b.bucket("sums").key("sha")
                .checksumSHA256(base64(new byte[32])), RequestBody.fromString("other bytes")))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("BadDigest"));
        assertThat(s2.getObjectAsBytes(b -> b.bucket("sums").key("sha")).asByteArray()).isEqualTo(small);

        // A copy naming another algorithm has that one, computed over the copy.
        var copy = s0.copyObject(b -> b.sourceBucket("sums").sourceKey("sha").destinationBucket("sums").destinationKey("copy")
                .checksumAlgorithm(ChecksumAlgorithm.CRC32_C));
        java.util.zip.CRC32C crc32c = new java.util.zip.CRC32C();
        crc32c.update(small);
        assertThat(copy.copyObjectResult().checksumCRC32C()).isEqualTo(base64(java.nio.ByteBuffer.allocate(4).putInt((int) crc32c.getValue()).array()));

        // Multipart, CRC32 of the whole object (combined from the parts') and SHA256 of the parts' (composite).
        byte[] big = new byte[(5 << 20) + 4099];
        new Random(seed).nextBytes(big);
        byte[] first = Arrays.copyOfRange(big, 0, 5 << 20);
        byte[] second = Arrays.copyOfRange(big, 5 << 20, big.length);
        java.util.zip.CRC32 crc32 = new java.util.zip.CRC32();
        crc32.update(big);
        String wholeCrc = base64(java.nio.ByteBuffer.allocate(4).putInt((int) crc32.getValue()).array());
        String upload = s0.createMultipartUpload(b -> b.bucket("sums").key("crc").checksumAlgorithm(ChecksumAlgorithm.CRC32)
                .checksumType(ChecksumType.FULL_OBJECT)).uploadId();
        String c1 = s0.uploadPart(b -> b.bucket("sums").key("crc").uploadId(upload).partNumber(1).checksumAlgorithm(ChecksumAlgorithm.CRC32),
                RequestBody.fromBytes(first)).checksumCRC32();
        var p2 = s2.uploadPart(b -> b.bucket("sums").key("crc").uploadId(upload).partNumber(2).checksumAlgorithm(ChecksumAlgorithm.CRC32),
                RequestBody.fromBytes(second));
        String e1 = s0.listParts(b -> b.bucket("sums").key("crc").uploadId(upload)).parts().getFirst().eTag();
        var listed = s0.listParts(b -> b.bucket("sums").key("crc").uploadId(upload));
        assertThat(listed.parts().getFirst().checksumCRC32()).isEqualTo(c1);
        assertThat(listed.checksumAlgorithmAsString()).isEqualTo("CRC32");
        assertThat(listed.checksumTypeAsString()).isEqualTo("FULL_OBJECT");
        var done = s2.completeMultipartUpload(b -> b.bucket("sums").key("crc").uploadId(upload).checksumCRC32(wholeCrc)
                .multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(e1).checksumCRC32(c1),
                        p -> p.partNumber(2).eTag(p2.eTag()).checksumCRC32(p2.checksumCRC32()))));
        assertThat(done.checksumCRC32()).isEqualTo(wholeCrc);
        assertThat(done.checksumTypeAsString()).isEqualTo("FULL_OBJECT");
        var whole = s0.getObjectAsBytes(b -> b.bucket("sums").key("crc").checksumMode(ChecksumMode.ENABLED));
        assertThat(whole.asByteArray()).isEqualTo(big);
        assertThat(whole.response().checksumCRC32()).isEqualTo(wholeCrc);

        java.security.MessageDigest ofParts = java.security.MessageDigest.getInstance("SHA-256");
        String composite = s0.createMultipartUpload(b -> b.bucket("sums").key("sha-parts").checksumAlgorithm(ChecksumAlgorithm.SHA256)).uploadId();
        List<String> partSums = new ArrayList<>();
        List<String> etags = new ArrayList<>();
        for (byte[] part : List.of(first, second)) {
            int n = etags.size() + 1;
            var r = s0.uploadPart(b -> b.bucket("sums").key("sha-parts").uploadId(composite).partNumber(n)
                    .checksumAlgorithm(ChecksumAlgorithm.SHA256), RequestBody.fromBytes(part));
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(part);
            assertThat(r.checksumSHA256()).isEqualTo(base64(digest));
            ofParts.update(digest);
            partSums.add(r.checksumSHA256());
            etags.add(r.eTag());
        }
        String expected = base64(ofParts.digest()) + "-2";
        // A part's checksum that is not the one kept is InvalidPart.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.completeMultipartUpload(b -> b.bucket("sums").key("sha-parts")
                .uploadId(composite).multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(etags.get(0)).checksumSHA256(partSums.get(1)),
                        p -> p.partNumber(2).eTag(etags.get(1))))))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidPart"));
        var sha2 = s0.completeMultipartUpload(b -> b.bucket("sums").key("sha-parts").uploadId(composite)
                .multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(etags.get(0)), p -> p.partNumber(2).eTag(etags.get(1)))));
        assertThat(sha2.checksumSHA256()).isEqualTo(expected);
        var attributes = s2.getObjectAttributes(b -> b.bucket("sums").key("sha-parts")
                .objectAttributes(ObjectAttributes.CHECKSUM, ObjectAttributes.OBJECT_PARTS));
        assertThat(attributes.checksum().checksumSHA256()).isEqualTo(expected);
        assertThat(attributes.checksum().checksumTypeAsString()).isEqualTo("COMPOSITE");
        assertThat(attributes.objectParts().parts()).extracting(p -> p.checksumSHA256()).containsExactlyElementsOf(partSums);
        assertThat(s2.headObject(b -> b.bucket("sums").key("sha-parts").partNumber(2).checksumMode(ChecksumMode.ENABLED)).checksumSHA256())
                .isEqualTo(partSums.get(1));
    }

    private static String base64(byte[] b) {
        return java.util.Base64.getEncoder().encodeToString(b);
    }

    private static Map<String, String> tags(S3Client s3, String key) {
        Map<String, String> out = new java.util.HashMap<>();
        s3.getObjectTagging(b -> b.bucket("tagged").key(key)).tagSet().forEach(t -> out.put(t.key(), t.value()));
        return out;
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode n : array) {
            if (n.asText().equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] slice(long[] meta, long offset, int size) throws Exception {
        try (var in = ObjectData.stream(meta[1], meta[0])) {
            in.skipNBytes(offset);
            return in.readNBytes(size);
        }
    }
}
