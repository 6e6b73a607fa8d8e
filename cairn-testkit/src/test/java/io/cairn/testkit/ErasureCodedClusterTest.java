package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Six real node processes and an {@code ec4+2} bucket: 500 objects of 1 KiB to 64 MiB go in; a
 * byte flipped in a stored block is served right and the block rewritten; with two nodes
 * SIGKILLed every object reads back byte-identical through every surviving node; and a writing
 * node SIGKILLed in the middle of large PUTs, 20 times, leaves each object either as it was
 * before or absent, never a mix; a chunk sweep then frees what those writers left and nothing an
 * object names.
 */
@ExtendWith(NodeLogsOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ErasureCodedClusterTest {

    static final String BUCKET = "coded";
    static final int OBJECTS = 500;
    static final int NODES = 6;
    /** Rounds of the torn-write test; more with -Dcairn.tornRounds=N. */
    static final int TORN_ROUNDS = Integer.getInteger("cairn.tornRounds", 6);
    static final long TORN_OBJECT_BYTES = 24L << 20;

    static TestCluster cluster;
    static long seed;
    /** Object key to its size; its bytes come from {@code objectSeed(key)}. */
    static final Map<String, Long> objects = new HashMap<>();
    /** Torn-write key to the seed of its last complete version (absent: never completely written). */
    static final Map<String, Long> torn = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        seed = Long.getLong("cairn.seed", System.nanoTime());
        System.out.println("ErasureCodedClusterTest seed=" + seed
                + " (reproduce: ./mvnw -pl cairn-testkit test -Dtest=ErasureCodedClusterTest -Dcairn.seed=" + seed + ")");
        long t0 = System.nanoTime();
        cluster = TestCluster.start(NODES);
        System.out.printf("%d-node cluster ready in %.1f s%n", NODES, (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void stop() {
        for (S3Client c : clients) {
            if (c != null) {
                c.close();
            }
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    static long objectSeed(String key) {
        return seed * 1_000_003 + key.hashCode();
    }

    private static final S3Client[] clients = new S3Client[NODES];

    static synchronized S3Client s3(int node) {
        if (clients[node] == null) {
            clients[node] = cluster.s3(node);
        }
        return clients[node];
    }

    @Test
    @Order(1)
    void aBucketChoosesItsPolicyAndBadPoliciesAreRefused() throws Exception {
        assertThatThrownBy(() -> s3(0).createBucket(b -> b.bucket("typo").overrideConfiguration(
                o -> o.putHeader("x-cairn-policy", "ec4-2"))))
                .isInstanceOf(S3Exception.class).hasMessageContaining("ec4-2");
        assertThatThrownBy(() -> s3(0).createBucket(b -> b.bucket("too-wide").overrideConfiguration(
                o -> o.putHeader("x-cairn-policy", "ec8+3"))))
                .isInstanceOf(S3Exception.class).hasMessageContaining("11");
        assertThat(s3(0).listBuckets().buckets()).as("refused buckets are not created").isEmpty();

        s3(1).createBucket(b -> b.bucket(BUCKET).overrideConfiguration(o -> o.putHeader("x-cairn-policy", "ec4+2")));
        JsonNode status = cluster.admin().status();
        boolean found = false;
        for (JsonNode pool : status.path("pools")) {
            found |= pool.path("policy").asText().equals("ec4+2");
        }
        assertThat(found).as("status lists an ec4+2 pool: %s", status.path("pools")).isTrue();
    }

    @Test
    @Order(2)
    void fiveHundredObjectsOfMixedSizesGoIn() throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < OBJECTS; i++) {
            long size;
            if (i == 0) {
                size = 64L << 20;
            } else if (i == 1) {
                size = (32L << 20) + 12_345;
            } else if (i < 10) {
                size = r.nextLong(4L << 20, 12L << 20);
            } else if (i < 50) {
                size = r.nextLong(128 << 10, 2L << 20);
            } else {
                size = r.nextLong(1 << 10, 128 << 10);
            }
            objects.put("obj/" + i, size);
        }
        long t0 = System.nanoTime();
        long bytes = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> puts = new ArrayList<>();
            int i = 0;
            for (Map.Entry<String, Long> o : objects.entrySet()) {
                int node = i++ % NODES;
                bytes += o.getValue();
                puts.add(pool.submit(() -> {
                    s3(node).putObject(b -> b.bucket(BUCKET).key(o.getKey()),
                            RequestBody.fromInputStream(ObjectData.stream(objectSeed(o.getKey()), o.getValue()), o.getValue()));
                    return null;
                }));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        }
        System.out.printf("%d objects, %.1f MiB, written in %.1f s%n", OBJECTS, bytes / 1048576.0, (System.nanoTime() - t0) / 1e9);

        JsonNode large = cluster.admin().localObject(cluster.endpoint(0), BUCKET, "obj/0");
        JsonNode chunk = large.path("chunks").get(0);
        assertThat(chunk.path("holders").size()).as("an ec4+2 chunk has 6 holders").isEqualTo(6);
        assertThat(chunk.path("partition").asText()).startsWith("ec4+2");
    }

    @Test
    @Order(3)
    void aFlippedByteInAStoredBlockIsServedRightAndTheBlockRewritten() throws Exception {
        String key = "obj/0";
        int chunkIndex = 2;
        JsonNode chunk = cluster.admin().localObject(cluster.endpoint(0), BUCKET, key).path("chunks").get(chunkIndex);
        int slot = 1; // a data block: the fast path would read it without parity
        int holder = cluster.nodeIndex(chunk.path("holders").get(slot).asText());
        JsonNode own = cluster.admin().localObject(cluster.endpoint(holder), BUCKET, key).path("chunks").get(chunkIndex);
        assertThat(own.path("local").asBoolean()).isTrue();
        assertThat(own.path("block_index").asInt()).isEqualTo(slot);
        JsonNode at = own.path("location");
        long chunkSize = own.path("size").asLong();
        long chunkOffset = own.path("offset").asLong();
        int blockLength = (int) ((chunkSize + 3) / 4);
        assertThat(at.path("data_bytes").asLong()).as("node %d stores one block of %d bytes", holder, blockLength).isEqualTo(blockLength);
        byte[] expectedBlock = slice(key, chunkOffset + (long) slot * blockLength, blockLength);
        assertThat(cluster.admin().localChunk(cluster.endpoint(holder), BUCKET, key, chunkIndex)).isEqualTo(expectedBlock);

        CorruptionRepairTest.flipByte(at, blockLength / 3);
        assertThatThrownBy(() -> cluster.admin().localChunk(cluster.endpoint(holder), BUCKET, key, chunkIndex))
                .hasMessageContaining("corrupt");

        int gateway = (holder + 1) % NODES;
        long rangeStart = chunkOffset + (long) slot * blockLength + 1000;
        byte[] range = s3(gateway).getObjectAsBytes(b -> b.bucket(BUCKET).key(key)
                .range("bytes=" + rangeStart + "-" + (rangeStart + 99_999))).asByteArray();
        assertThat(Arrays.equals(range, slice(key, rangeStart, 100_000))).as("range through the damaged block").isTrue();
        assertWhole(gateway, key);

        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(cluster.admin().localChunk(cluster.endpoint(holder), BUCKET, key, chunkIndex))
                        .as("node %d's block rewritten", holder).isEqualTo(expectedBlock));
        System.out.printf("block %d of chunk %d of %s on node %d: flipped, served right, rewritten%n", slot, chunkIndex, key, holder);
    }

    @Test
    @Order(4)
    void withTwoNodesKilledEveryObjectReadsBackThroughEverySurvivor() throws Exception {
        int[] victims = {2, 5}; // one meta voter and one other node
        for (int v : victims) {
            cluster.kill(v);
        }
        long t0 = System.nanoTime();
        for (int node = 0; node < NODES; node++) {
            if (node == victims[0] || node == victims[1]) {
                continue;
            }
            long n0 = System.nanoTime();
            int n = node;
            try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
                List<Future<?>> reads = new ArrayList<>();
                for (String key : objects.keySet()) {
                    reads.add(pool.submit(() -> {
                        assertWhole(n, key);
                        return null;
                    }));
                }
                for (Future<?> f : reads) {
                    f.get();
                }
            }
            System.out.printf("all %d objects read back byte-identical through node %d in %.1f s%n",
                    objects.size(), node, (System.nanoTime() - n0) / 1e9);
        }
        System.out.printf("reads with nodes %s killed took %.1f s%n", Arrays.toString(victims), (System.nanoTime() - t0) / 1e9);
        for (int v : victims) {
            cluster.restart(v);
        }
    }

    @Test
    @Order(5)
    void aWriterKilledInTheMiddleOfLargePutsLeavesEachObjectWholeOrAbsent() throws Exception {
        // key -> seed of its last complete version (absent: never completely written)
        Map<String, Long> complete = torn;
        for (int k = 0; k < 2; k++) {
            String key = "torn/" + k;
            long s = objectSeed(key) + 1;
            s3(0).putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromInputStream(ObjectData.stream(s, TORN_OBJECT_BYTES), TORN_OBJECT_BYTES));
            complete.put(key, s);
        }
        SplittableRandom r = new SplittableRandom(seed ^ 0x7043);
        // Writers rotate over the nodes that are not meta voters (0..2), so the map keeps its
        // quorum; a killed writer restarts while the next rounds run, and at most two nodes
        // (within m = 2) are down at once.
        int[] writers = {3, 4, 5};
        List<Future<?>> restarts = new ArrayList<>();
        try (ExecutorService restarter = Executors.newCachedThreadPool()) {
            for (int round = 0; round < TORN_ROUNDS; round++) {
                if (round >= 2) {
                    restarts.get(round - 2).get();
                }
                String key = "torn/" + (round % 4);
                int writer = writers[round % writers.length];
                long killAfter = r.nextLong(4L << 20, 20L << 20);
                long versionSeed = objectSeed(key) + 100 + round;
                AtomicBoolean killed = new AtomicBoolean();
                InputStream body = new KillingStream(ObjectData.stream(versionSeed, TORN_OBJECT_BYTES), killAfter, () -> {
                    if (killed.compareAndSet(false, true)) {
                        cluster.kill(writer);
                    }
                });
                try (S3Client client = cluster.s3(writer)) {
                    client.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromInputStream(body, TORN_OBJECT_BYTES));
                    // The whole body went out before the kill landed: the new version is complete.
                    complete.put(key, versionSeed);
                } catch (RuntimeException e) {
                    // expected: the node died under the request
                }
                assertThat(killed.get()).as("round %d: node %d was killed mid-PUT", round, writer).isTrue();
                restarts.add(restarter.submit(() -> {
                    cluster.startAgain(writer);
                    cluster.awaitUp(writer, TestCluster.READY_TIMEOUT);
                    return null;
                }));
                int reader = round % 3;
                String want = Optional.ofNullable(complete.get(key)).map(s -> sha(s, TORN_OBJECT_BYTES)).orElse(null);
                String newSha = sha(versionSeed, TORN_OBJECT_BYTES);
                String got = readSha(reader, key);
                assertThat(got).as("round %d (seed %d): %s after killing writer node %d at %d bytes is the last complete version, "
                        + "the new one, or absent if it never had one", round, seed, key, writer, killAfter)
                        .isIn(Arrays.asList(want, newSha));
                if (newSha.equals(got)) {
                    complete.put(key, versionSeed);
                }
            }
            for (Future<?> f : restarts) {
                f.get();
            }
        }
        cluster.dev().awaitReady(TestCluster.READY_TIMEOUT);
        for (int node = 0; node < NODES; node++) {
            for (int k = 0; k < 4; k++) {
                String key = "torn/" + k;
                Long s = complete.get(key);
                assertThat(readSha(node, key)).as("%s through node %d after all rounds", key, node)
                        .isEqualTo(s == null ? null : sha(s, TORN_OBJECT_BYTES));
            }
        }
    }

    @Test
    @Order(6)
    void theChunksKilledWritersLeftAreSweptAndEveryObjectStillReads() throws Exception {
        io.cairn.server.admin.AdminClient admin = cluster.admin();
        JsonNode before = admin.sweepChunks(0L, true, false);
        System.out.println("ec4+2 chunks no object names, counted: " + before);
        assertThat(before.path("skipped").size()).as("skipped: %s", before).isZero();
        assertThat(before.path("named").asLong()).as("named: %s", before).isPositive();
        // No PUT is under way: a grace of 0 frees only what no object names (what the killed writers
        // left, and any old version whose freeing is still on its way: that one counts as changed).
        JsonNode swept = admin.sweepChunks(0L, false, true);
        System.out.println("ec4+2 chunk sweep: " + swept);
        assertThat(swept.path("freed").asLong() + swept.path("changed_meanwhile").asLong()).as("swept: %s", swept)
                .isLessThanOrEqualTo(before.path("freed").asLong());
        assertThat(swept.path("named").asLong()).as("named: %s", swept).isEqualTo(before.path("named").asLong());
        for (int i = 0; i < 50; i++) {
            assertWhole(i % NODES, "obj/" + i);
        }
        for (int k = 0; k < 4; k++) {
            String key = "torn/" + k;
            Long s = torn.get(key);
            assertThat(readSha(k % NODES, key)).as("%s after the sweep", key).isEqualTo(s == null ? null : sha(s, TORN_OBJECT_BYTES));
        }
        JsonNode after = admin.sweepChunks(0L, true, false);
        assertThat(after.path("freed").asLong()).as("unnamed after the sweep: %s", after).isZero();
        assertThat(after.path("named").asLong()).as("named after the sweep: %s", after).isEqualTo(before.path("named").asLong());
    }

    static void assertWhole(int node, String key) throws Exception {
        long size = objects.get(key);
        String want = sha(objectSeed(key), size);
        String got;
        try (InputStream in = s3(node).getObject(b -> b.bucket(BUCKET).key(key))) {
            got = ObjectData.sha256(in);
        }
        assertThat(got).as("%s (%d bytes) through node %d", key, size, node).isEqualTo(want);
    }

    /** The SHA-256 of an object read through a node, or null if it does not exist. */
    static String readSha(int node, String key) throws Exception {
        try (InputStream in = s3(node).getObject(b -> b.bucket(BUCKET).key(key))) {
            return ObjectData.sha256(in);
        } catch (NoSuchKeyException e) {
            return null;
        }
    }

    static String sha(long objectSeed, long size) {
        try (InputStream in = ObjectData.stream(objectSeed, size)) {
            return ObjectData.sha256(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] slice(String key, long offset, int size) throws IOException {
        try (InputStream in = ObjectData.stream(objectSeed(key), objects.get(key))) {
            in.skipNBytes(offset);
            return in.readNBytes(size);
        }
    }

    /** A body that runs an action once {@code after} bytes have been read from it. */
    static final class KillingStream extends InputStream {
        private final InputStream in;
        private final long after;
        private final Runnable action;
        private long read;

        KillingStream(InputStream in, long after, Runnable action) {
            this.in = in;
            this.after = after;
            this.action = action;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (read >= after) {
                action.run();
            }
            int n = in.read(b, off, read < after ? (int) Math.min(len, after - read) : len);
            if (n > 0) {
                read += n;
            }
            return n;
        }
    }
}
