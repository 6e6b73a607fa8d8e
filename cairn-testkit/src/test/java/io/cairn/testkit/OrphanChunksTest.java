package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.server.admin.AdminClient;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The chunk sweep on 4 real nodes (4 MiB chunks). Two PUTs through node 3 stop mid-body, one
 * into a bucket that stays and one into a bucket deleted afterwards, and node 3 is SIGKILLed: the
 * chunks their gateway had written (copies in one bucket, erasure-coded blocks in the other) are named
 * by no object. A sweep ({@code POST /_cairn/chunks/sweep}) with a grace shorter than a PUT may take
 * is refused without {@code force}; with it, the sweep frees exactly those once they are older than its grace period, and
 * keeps the chunks of a PUT still under way (younger than it), of objects, of a completed multipart
 * upload and of the parts of one under way; every object then reads back byte-identical, the PUT
 * under way completes, and a last count finds nothing unnamed.
 */
@ExtendWith(NodeLogsOnFailure.class)
class OrphanChunksTest {

    static final int MIB = 1 << 20;
    static TestCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = TestCluster.start(4);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * A body of deterministic bytes ({@link ObjectData#stream}) that stops after {@code stallAt}
     * ({@link ErasureCodedClusterTest.KillingStream}) until let go or failed.
     */
    static final class StalledBody {
        private final CountDownLatch released = new CountDownLatch(1);
        private volatile boolean fail;
        final InputStream stream;

        StalledBody(long seed, long size, long stallAt) {
            this.stream = new ErasureCodedClusterTest.KillingStream(ObjectData.stream(seed, size), stallAt, this::stall);
        }

        private void stall() {
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (fail) {
                throw new java.io.UncheckedIOException(new IOException("the client gave up on this body"));
            }
        }

        void letGo() {
            released.countDown();
        }

        void fail() {
            fail = true;
            released.countDown();
        }
    }

    private static JsonNode count(AdminClient admin) throws IOException {
        return admin.sweepChunks(0L, true, false);
    }

    private static Future<?> put(ExecutorService clients, S3Client s3, String bucket, String key, StalledBody body, long size) {
        return clients.submit(() -> s3.putObject(r -> r.bucket(bucket).key(key),
                RequestBody.fromContentProvider(() -> body.stream, size, "application/octet-stream")));
    }

    @Test
    void chunksNoObjectNamesAreFreedOnceOlderThanTheGracePeriodAndNothingElse() throws Exception {
        S3Client s3 = cluster.s3(0);
        AdminClient admin = cluster.admin();
        s3.createBucket(r -> r.bucket("kept"));
        s3.createBucket(r -> r.bucket("gone").overrideConfiguration(o -> o.putHeader("x-cairn-policy", "ec2+1")));

        // Named: three objects of 10 MiB (3 chunks each), a completed upload of two 5 MiB parts (2 chunks
        // each), and an upload under way with one 5 MiB part (2 chunks): 15 chunks.
        for (int i = 0; i < 3; i++) {
            byte[] data = ObjectData.bytes(i, 10 * MIB);
            s3.putObject(r -> r.bucket("kept").key("object-" + data.length + "-" + data[0]), RequestBody.fromBytes(data));
        }
        String done = s3.createMultipartUpload(r -> r.bucket("kept").key("multipart")).uploadId();
        List<CompletedPart> parts = new java.util.ArrayList<>();
        for (int n = 1; n <= 2; n++) {
            int part = n;
            String etag = s3.uploadPart(r -> r.bucket("kept").key("multipart").uploadId(done).partNumber(part),
                    RequestBody.fromBytes(ObjectData.bytes(10 + part, 5 * MIB))).eTag();
            parts.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
        }
        s3.completeMultipartUpload(r -> r.bucket("kept").key("multipart").uploadId(done).multipartUpload(m -> m.parts(parts)));
        String underWay = s3.createMultipartUpload(r -> r.bucket("kept").key("under-way")).uploadId();
        String underWayEtag = s3.uploadPart(r -> r.bucket("kept").key("under-way").uploadId(underWay).partNumber(1),
                RequestBody.fromBytes(ObjectData.bytes(20, 5 * MIB))).eTag();
        JsonNode first = count(admin);
        assertThat(first.path("named").asLong()).as("named chunks: %s", first).isEqualTo(15);
        assertThat(first.path("freed").asLong()).as("unnamed chunks: %s", first).isZero();

        // Two PUTs through node 3 stop mid-body (a MiB past a chunk's end, as the client may hold back a little):
        // 21 MiB of 40 into kept (5 chunks written), 9 MiB of 16 into gone (2).
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
        S3Client viaThree = cluster.s3WithoutRetries(3, Duration.ofMinutes(3));
        StalledBody cut = new StalledBody(101, 40L * MIB, 21L * MIB);
        StalledBody cutGone = new StalledBody(102, 16L * MIB, 9L * MIB);
        Future<?> cutPut = put(clients, viaThree, "kept", "cut-short", cut, 40L * MIB);
        Future<?> cutGonePut = put(clients, viaThree, "gone", "cut-short", cutGone, 16L * MIB);
        Awaitility.await("the stalled PUTs' chunks are written").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(count(admin).path("freed").asLong()).isEqualTo(7));
        long orphansWritten = System.currentTimeMillis();
        cluster.kill(3);
        cut.fail();
        cutGone.fail();
        assertThatThrownBy(cutPut::get).isInstanceOf(ExecutionException.class);
        assertThatThrownBy(cutGonePut::get).isInstanceOf(ExecutionException.class);
        cluster.restart(3);
        s3.deleteBucket(r -> r.bucket("gone")); // empty: its one PUT never finished
        JsonNode orphans = count(admin);
        assertThat(orphans.path("freed").asLong()).as("unnamed: %s", orphans).isEqualTo(7);
        assertThat(orphans.path("freed_of_deleted_buckets").asLong()).as("of the deleted bucket: %s", orphans).isEqualTo(2);
        assertThat(orphans.path("named").asLong()).as("named: %s", orphans).isEqualTo(15);

        // A PUT under way, 20 s after the orphans were written: 9 MiB of 12 sent (2 chunks written).
        Thread.sleep(Math.max(0, orphansWritten + 20_000 - System.currentTimeMillis()));
        long putStarted = System.currentTimeMillis();
        StalledBody slow = new StalledBody(103, 12L * MIB, 9L * MIB);
        Future<?> slowPut = put(clients, cluster.s3WithoutRetries(0, Duration.ofMinutes(3)), "kept", "slow", slow, 12L * MIB);
        Awaitility.await("the PUT under way writes its first chunks").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(count(admin).path("freed").asLong()).isEqualTo(9));

        // A grace period halfway between the ages of the two: the orphans are older, the PUT's chunks younger.
        long now = System.currentTimeMillis();
        long graceSeconds = ((now - orphansWritten) + (now - putStarted)) / 2000;
        // Shorter than a PUT may take (request_deadline_seconds): refused without force, as is a negative one; nothing freed.
        assertThatThrownBy(() -> admin.sweepChunks(graceSeconds, false, false))
                .isInstanceOf(io.cairn.server.admin.AdminRequestException.class).hasMessageContaining("HTTP 400")
                .hasMessageContaining("request_deadline_seconds");
        assertThatThrownBy(() -> admin.sweepChunks(-1L, false, true)).hasMessageContaining("HTTP 400");
        JsonNode swept = admin.sweepChunks(graceSeconds, false, true);
        System.out.println("orphan chunks: sweep with a grace of " + graceSeconds + " s: " + swept.toString());
        assertThat(swept.path("dry_run").asBoolean()).isFalse();
        assertThat(swept.path("freed").asLong()).as("freed: %s", swept).isEqualTo(7);
        assertThat(swept.path("freed_of_deleted_buckets").asLong()).as("of the deleted bucket: %s", swept).isEqualTo(2);
        assertThat(swept.path("freed_bytes").asLong()).as("bytes freed: %s", swept).isEqualTo(28L * MIB);
        assertThat(swept.path("young").asLong()).as("the PUT under way: %s", swept).isEqualTo(2);
        assertThat(swept.path("named").asLong()).as("named: %s", swept).isEqualTo(15);
        assertThat(swept.path("changed_meanwhile").asLong()).isZero();
        assertThat(swept.path("skipped").size()).as("skipped: %s", swept).isZero();

        // The PUT under way completes, as does the upload under way; everything reads back as written.
        slow.letGo();
        slowPut.get();
        s3.completeMultipartUpload(r -> r.bucket("kept").key("under-way").uploadId(underWay)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(underWayEtag).build())));
        S3Client reader = cluster.s3(1);
        for (int i = 0; i < 3; i++) {
            byte[] data = ObjectData.bytes(i, 10 * MIB);
            assertThat(reader.getObjectAsBytes(r -> r.bucket("kept").key("object-" + data.length + "-" + data[0])).asByteArray())
                    .as("object %d", i).isEqualTo(data);
        }
        byte[] multipart = reader.getObjectAsBytes(r -> r.bucket("kept").key("multipart")).asByteArray();
        assertThat(java.util.Arrays.copyOfRange(multipart, 0, 5 * MIB)).isEqualTo(ObjectData.bytes(11, 5 * MIB));
        assertThat(java.util.Arrays.copyOfRange(multipart, 5 * MIB, 10 * MIB)).isEqualTo(ObjectData.bytes(12, 5 * MIB));
        assertThat(reader.getObjectAsBytes(r -> r.bucket("kept").key("under-way")).asByteArray()).isEqualTo(ObjectData.bytes(20, 5 * MIB));
        assertThat(ObjectData.sha256(reader.getObject(r -> r.bucket("kept").key("slow"))))
                .isEqualTo(ObjectData.sha256(ObjectData.stream(103, 12L * MIB)));
        assertThatThrownBy(() -> reader.headObject(r -> r.bucket("kept").key("cut-short")))
                .isInstanceOf(software.amazon.awssdk.services.s3.model.S3Exception.class);
        assertThatThrownBy(() -> reader.getObject(r -> r.bucket("kept").key("cut-short"))).isInstanceOf(NoSuchKeyException.class);

        JsonNode last = count(admin);
        assertThat(last.path("freed").asLong()).as("unnamed at the end: %s", last).isZero();
        assertThat(last.path("young").asLong()).isZero();
        assertThat(last.path("named").asLong()).as("named at the end: 9 + 4 + 2 + 3: %s", last).isEqualTo(18);
        clients.shutdownNow();
    }
}
