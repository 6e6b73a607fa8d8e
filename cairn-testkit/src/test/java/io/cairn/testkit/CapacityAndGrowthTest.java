package io.cairn.testkit;

import static io.cairn.testkit.StatusChecks.partitions;
import static io.cairn.testkit.StatusChecks.summary;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * The capacity check and growth with real node processes: a node down past the down-out
 * interval stays in while the survivors lack room for its data, and is marked out and
 * re-protected once a new node adds room; a node added under steady load takes its share of
 * the data without a single request failing.
 */
@ExtendWith(NodeLogsOnFailure.class)
class CapacityAndGrowthTest {

    static final String BUCKET = "grow";
    static final long MIB = 1024 * 1024;
    /** Down-out interval of the capacity test's cluster: at least {@link TestCluster#DOWN_AFTER_MILLIS}. */
    static final long DOWN_OUT_INTERVAL_MILLIS = 15_000;
    /** The meta leader's default full ratio, which the capacity check measures room against. */
    static final double FULL_RATIO = 0.90;
    /** Declared capacity of every node of the capacity test. */
    static final long CAPACITY_BYTES = 96 * MIB;
    static final int LARGE_OBJECT_BYTES = (int) MIB;
    /**
     * 1 MiB objects the capacity test writes, each stored three times. Why 94 (about 73% of
     * every node's capacity on average rather than 55-65%): with 4 nodes of capacity c holding
     * D bytes of objects three times over, the 3 survivors of one node have room
     * {@code sum (0.9 c - used_i) = 2.7 c - (3 D - used_dead)}, and the check refuses to
     * re-protect when {@code used_dead > room}, that is when {@code 3 D > 2.7 c}, whatever the
     * dead node's share: each node must be over 67.5% full on average, so 55-65% would pass the
     * check. With one more empty node the room grows by 0.9 c and the check passes while
     * {@code 3 D <= 3.6 c}, provided no node is over 90% (it would have no room at all). 94 MiB
     * of objects on 96 MiB nodes gives 3 D = 282 MiB: 22.8 MiB over the 259.2 MiB where the
     * check starts to fail with 4 nodes, and 63.6 MiB under the 345.6 MiB where it would still
     * fail with 5; the average of 70.5 MiB per node leaves room for the uneven spread of 64
     * partitions (a node held up to 15% more than the average in trials) below 90%.
     */
    static final int LARGE_OBJECTS = 94;
    static final int WRITERS = 4;
    /** Threads of the steady load in the growth test. */
    static final int LOADERS = 4;
    static final int LOAD_SIZE_MIN = 1024;
    /**
     * Largest object of the load. Objects up to 128 KiB live inside their index record, and a
     * bucket's index has 32 shards (about 25 distinct partitions of the 64): with small objects
     * alone, the new node's share comes in steps of about 1/75. Above 128 KiB, an object's
     * chunks spread over all 64 partitions of the pool, so most of the bytes move in even steps.
     */
    static final int LOAD_SIZE_MAX = 256 * 1024;
    /** Objects the load writes before the node is added, so that there is data to move. */
    static final int LOAD_OBJECTS_BEFORE_GROWTH = 400;
    /** How long the load goes on after the cluster is clean again. */
    static final Duration LOAD_AFTER_CLEAN = Duration.ofSeconds(10);
    /** Upper bound on the requests one growth test records. */
    static final int REQUESTS_MAX = 500_000;
    /** How long "clean" must hold before it counts (see {@link SelfHealingTest#CLEAN_STABLE}). */
    static final Duration CLEAN_STABLE = Duration.ofSeconds(3);

    static long seed;

    TestCluster cluster;
    /** key -> {size, content seed} of every acknowledged object. */
    final Map<String, long[]> written = new ConcurrentHashMap<>();

    @BeforeAll
    static void seed() {
        seed = TestSeed.of(CapacityAndGrowthTest.class);
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void withoutRoomTheDownNodeStaysInUntilANewNodeAddsRoom() throws Exception {
        int killed = 3; // not a meta voter (nodes 0..2) and not the node the test reads through
        long t0 = System.nanoTime();
        cluster = TestCluster.start(4, TestCluster.HEARTBEAT_INTERVAL_MILLIS, TestCluster.DOWN_AFTER_MILLIS, DOWN_OUT_INTERVAL_MILLIS,
                CAPACITY_BYTES, Map.of());
        System.out.printf("4-node cluster of %d MiB nodes ready in %.1f s%n", CAPACITY_BYTES / MIB, seconds(t0));
        cluster.s3(0).createBucket(b -> b.bucket(BUCKET));
        writeLargeObjects();

        long stored = 3L * LARGE_OBJECTS * LARGE_OBJECT_BYTES;
        JsonNode full = awaitStatus("the nodes' used bytes to count every copy", Duration.ofSeconds(60), Duration.ZERO,
                s -> usedSum(s) >= stored);
        long usedSum = usedSum(full);
        for (JsonNode n : full.path("nodes")) {
            System.out.printf("node %s: used %d of %d bytes (%.1f%%)%n", n.path("public_address").asText(), n.path("used_bytes").asLong(),
                    n.path("capacity_bytes").asLong(), 100.0 * n.path("used_bytes").asLong() / n.path("capacity_bytes").asLong());
            assertThat(n.path("capacity_bytes").asLong()).as("capacity of %s", n.path("public_address").asText()).isEqualTo(CAPACITY_BYTES);
        }
        double failsAbove = 3 * FULL_RATIO * CAPACITY_BYTES;
        double passesBelow = 4 * FULL_RATIO * CAPACITY_BYTES;
        System.out.printf("used on all nodes %d bytes; the check fails with 3 survivors above %.0f and passes with 4 below %.0f%n",
                usedSum, failsAbove, passesBelow);
        assertThat((double) usedSum).as("used bytes in all, for a check that clearly fails with 4 nodes and passes with 5")
                .isGreaterThan(failsAbove * 1.05).isLessThan(passesBelow * 0.95);

        cluster.kill(killed);
        long killedAt = System.nanoTime();
        awaitStatus("node " + killed + " down", Duration.ofSeconds(60), Duration.ZERO, s -> "down".equals(node(s, killed).path("state").asText()));
        System.out.printf("node %d marked down %.1f s after SIGKILL%n", killed, seconds(killedAt));

        // For longer than the down-out interval after the down mark the node must still be in.
        Duration holdFor = Duration.ofMillis(DOWN_OUT_INTERVAL_MILLIS + 5_000);
        AtomicReference<JsonNode> last = new AtomicReference<>();
        try {
            Awaitility.await("node " + killed + " stays down and in").during(holdFor).atMost(holdFor.plusSeconds(30))
                    .pollInterval(Duration.ofMillis(500)).ignoreExceptionsInstanceOf(IOException.class)
                    .until(() -> {
                        JsonNode s = cluster.admin().status();
                        last.set(s);
                        JsonNode n = node(s, killed);
                        return "down".equals(n.path("state").asText()) && n.path("in").asBoolean(false);
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("node " + killed + " did not stay down and in for " + holdFor.toSeconds() + " s; last status: "
                    + summary(last.get()), e);
        }
        JsonNode degraded = awaitStatus("a degraded-mode reason", Duration.ofSeconds(30), Duration.ZERO,
                s -> !s.path("degraded_mode").path("reason").asText("").isBlank());
        String reason = degraded.path("degraded_mode").path("reason").asText();
        System.out.printf("node %d still in %.1f s after SIGKILL; degraded_mode.reason: %s%n", killed, seconds(killedAt), reason);
        assertThat(reason).as("degraded_mode.reason; status: %s", summary(degraded)).contains("needs more room");
        assertThat(node(degraded, killed).path("in").asBoolean(false)).as("node %d in", killed).isTrue();

        long addedAt = System.nanoTime();
        int added = cluster.dev().addNode();
        cluster.awaitUp(added, TestCluster.READY_TIMEOUT);
        System.out.printf("node %d added and up in %.1f s%n", added, seconds(addedAt));
        JsonNode clean = awaitStatus("node " + killed + " out, not degraded and every partition clean", Duration.ofSeconds(240),
                CLEAN_STABLE, s -> !node(s, killed).path("in").asBoolean(true) && s.path("degraded_mode").isNull()
                        && partitions(s, "degraded") == 0 && partitions(s, "recovering") == 0);
        System.out.printf("clean %.1f s after node %d was added: %s%n", seconds(addedAt), added, clean.path("partitions"));
        for (JsonNode n : clean.path("nodes")) {
            System.out.printf("node %s %s%s: used %d bytes (%.1f%%), %d partitions held%n", n.path("public_address").asText(),
                    n.path("state").asText(), n.path("in").asBoolean() ? " in" : " out", n.path("used_bytes").asLong(),
                    100.0 * n.path("used_bytes").asLong() / n.path("capacity_bytes").asLong(), n.path("partitions_held").asInt());
        }
        assertThat(node(clean, killed).path("partitions_held").asInt()).as("partitions placed on the out node").isZero();
        assertThat(node(clean, added).path("in").asBoolean(false)).as("the added node is in").isTrue();
        assertThat(node(clean, added).path("partitions_held").asInt()).as("partitions placed on the added node").isPositive();
        assertAllReadable(0);
    }

    @Test
    void aNodeAddedUnderLoadTakesItsShareWithoutAFailedRequest() throws Exception {
        long t0 = System.nanoTime();
        cluster = TestCluster.start(4);
        System.out.printf("4-node cluster ready in %.1f s%n", seconds(t0));
        cluster.s3(0).createBucket(b -> b.bucket(BUCKET));

        Queue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        List<String> acknowledged = new ArrayList<>();
        AtomicLong stopAtNanos = new AtomicLong(Long.MAX_VALUE);
        AtomicInteger puts = new AtomicInteger();
        long loadStart = System.nanoTime();
        List<S3Client> clients = new ArrayList<>();
        List<Future<?>> loaders = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(LOADERS);
        try {
            for (int t = 0; t < LOADERS; t++) {
                S3Client s3 = strictClient(t % cluster.nodes());
                clients.add(s3);
                int loader = t;
                loaders.add(pool.submit(() -> load(loader, s3, acknowledged, outcomes, puts, stopAtNanos, loadStart)));
            }
            awaitCondition("the load to write " + LOAD_OBJECTS_BEFORE_GROWTH + " objects", Duration.ofSeconds(120),
                    () -> puts.get() >= LOAD_OBJECTS_BEFORE_GROWTH || loaders.stream().anyMatch(Future::isDone));
            System.out.printf("%d objects put by %d loaders in %.1f s%n", puts.get(), LOADERS, seconds(loadStart));

            long addedAt = System.nanoTime();
            int added = cluster.dev().addNode();
            cluster.awaitUp(added, TestCluster.READY_TIMEOUT);
            System.out.printf("node %d added and up in %.1f s (%.1f s into the load)%n", added, seconds(addedAt),
                    (addedAt - loadStart) / 1e9);
            JsonNode clean = awaitStatus("5 nodes up and in, the new one holding partitions, every partition clean",
                    Duration.ofSeconds(240), CLEAN_STABLE, s -> {
                        for (int i = 0; i < cluster.nodes(); i++) {
                            JsonNode n = node(s, i);
                            if (!"up".equals(n.path("state").asText()) || !n.path("in").asBoolean(false)) {
                                return false;
                            }
                        }
                        return node(s, added).path("partitions_held").asInt() > 0 && s.path("degraded_mode").isNull()
                                && partitions(s, "degraded") == 0 && partitions(s, "recovering") == 0;
                    });
            System.out.printf("clean %.1f s after node %d was added: %s%n", seconds(addedAt), added, clean.path("partitions"));
            stopAtNanos.set(System.nanoTime() + LOAD_AFTER_CLEAN.toNanos());
            for (Future<?> f : loaders) {
                f.get();
            }
            System.out.printf("load stopped %.1f s after node %d was added%n", seconds(addedAt), added);

            long total = usedSum(clean);
            long onNew = node(clean, added).path("used_bytes").asLong();
            for (JsonNode n : clean.path("nodes")) {
                System.out.printf("node %s: used %d bytes, %d partitions held%n", n.path("public_address").asText(),
                        n.path("used_bytes").asLong(), n.path("partitions_held").asInt());
            }
            double moved = (double) onNew / total;
            System.out.printf("fraction of the data on the new node once clean: %d of %d bytes = %.3f (even share 0.2)%n", onNew, total,
                    moved);

            report(outcomes, addedAt);

            // Each partition the new node took moved from one old holder, which drops its copy
            // once the cluster has settled (after handing its records over).
            int taken = node(clean, added).path("partitions_held").asInt();
            long droppedAt = System.nanoTime();
            Awaitility.await("the old holders drop their copies of the " + taken + " partitions the new node took")
                    .atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .until(() -> sumOfMetric("cairn_partitions_not_held") == 0);
            long droppedMillis = System.currentTimeMillis();
            // The used bytes in the status come with heartbeats: wait for one from every node after the drops.
            JsonNode settled = StatusChecks.awaitStatus(cluster, "a heartbeat from every node after the drops", Duration.ofSeconds(30),
                    Duration.ZERO, s -> {
                        for (JsonNode n : s.path("nodes")) {
                            if (n.path("last_heartbeat_millis").asLong() <= droppedMillis) {
                                return false;
                            }
                        }
                        return true;
                    });
            double share = (double) node(settled, added).path("used_bytes").asLong() / usedSum(settled);
            System.out.printf("old holders dropped %.0f copies (of the %d partitions the new node took; empty ones have none)"
                    + " %.1f s after the load stopped; the new node now holds %.3f of all stored bytes%n",
                    sumOfMetric("cairn_partitions_dropped_total"), taken, seconds(droppedAt), share);
            assertThat(sumOfMetric("cairn_partitions_dropped_total")).as("copies dropped").isBetween(1.0, (double) taken);
            List<Outcome> failed = outcomes.stream().filter(o -> o.failure() != null).toList();
            assertThat(failed).as("failed requests (first: %s)", failed.isEmpty() ? "" : failed.getFirst()).isEmpty();
            assertThat(outcomes.size()).as("requests recorded").isLessThan(REQUESTS_MAX);
            // Once the old holders dropped what moved, the share is what the new node holds for good
            // (at "clean" the moved copies still count twice).
            assertThat(share).as("new node's used bytes / all used bytes, after the old copies were dropped (%.3f at clean)", moved)
                    .isBetween(0.1, 0.35);
        } finally {
            stopAtNanos.set(0);
            pool.close();
            for (S3Client c : clients) {
                c.close();
            }
        }
    }

    /** A metric summed over every node. */
    private double sumOfMetric(String name) throws IOException {
        double sum = 0;
        for (int i = 0; i < cluster.nodes(); i++) {
            sum += StatusChecks.metric(cluster.admin().metrics(cluster.endpoint(i)), name);
        }
        return sum;
    }

    /** One request of the load: what it was, when it started (from the load's start), how long it took, and how it failed. */
    record Outcome(String operation, String key, long startNanos, long latencyNanos, String failure) {}

    /**
     * Runs PUTs of new objects and GETs of acknowledged ones (checked byte for byte) through
     * {@code s3} until {@code stopAtNanos}, recording every request's outcome.
     */
    private Void load(int loader, S3Client s3, List<String> acknowledged, Queue<Outcome> outcomes, AtomicInteger puts,
            AtomicLong stopAtNanos, long loadStart) {
        Random r = new Random(seed * 31 + loader);
        int n = 0;
        while (System.nanoTime() < stopAtNanos.get() && outcomes.size() < REQUESTS_MAX) {
            String readKey = null;
            synchronized (acknowledged) {
                if (!acknowledged.isEmpty() && r.nextBoolean()) {
                    readKey = acknowledged.get(r.nextInt(acknowledged.size()));
                }
            }
            long start = System.nanoTime();
            if (readKey == null) {
                String key = "load-" + loader + "-" + n++;
                int size = LOAD_SIZE_MIN + r.nextInt(LOAD_SIZE_MAX - LOAD_SIZE_MIN + 1);
                long contentSeed = seed * 1_000_003L + loader * 10_000_019L + n;
                String failure = null;
                try {
                    s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(ObjectData.bytes(contentSeed, size)));
                    written.put(key, new long[] {size, contentSeed});
                    synchronized (acknowledged) {
                        acknowledged.add(key);
                    }
                    puts.incrementAndGet();
                } catch (RuntimeException e) {
                    failure = e.toString();
                }
                outcomes.add(new Outcome("PUT", key, start - loadStart, System.nanoTime() - start, failure));
            } else {
                long[] meta = written.get(readKey);
                String key = readKey;
                String failure = null;
                try {
                    byte[] got = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray();
                    if (!Arrays.equals(got, ObjectData.bytes(meta[1], (int) meta[0]))) {
                        failure = "wrong bytes: " + got.length + " read, " + meta[0] + " written";
                    }
                } catch (RuntimeException e) {
                    failure = e.toString();
                }
                outcomes.add(new Outcome("GET", key, start - loadStart, System.nanoTime() - start, failure));
            }
        }
        return null;
    }

    /** Prints the load's counts per operation, its failures and its worst latency. */
    private static void report(Queue<Outcome> outcomes, long addedAt) {
        long failures = outcomes.stream().filter(o -> o.failure() != null).count();
        for (String op : List.of("PUT", "GET")) {
            List<Outcome> of = outcomes.stream().filter(o -> o.operation().equals(op)).toList();
            long failed = of.stream().filter(o -> o.failure() != null).count();
            Outcome worst = of.stream().max((a, b) -> Long.compare(a.latencyNanos(), b.latencyNanos())).orElse(null);
            System.out.printf("%s: %d requests, %d failed, worst latency %s%n", op, of.size(), failed,
                    worst == null ? "-" : String.format("%.3f s (%s, started %.1f s into the load)", worst.latencyNanos() / 1e9,
                            worst.key(), worst.startNanos() / 1e9));
        }
        System.out.printf("%d requests in all, %d failed%n", outcomes.size(), failures);
        outcomes.stream().filter(o -> o.failure() != null).limit(20).forEach(o -> System.out.println("failed: " + o));
    }

    /**
     * An AWS SDK client on node {@code i} that never retries: every request's outcome is the
     * cluster's own answer.
     */
    private S3Client strictClient(int i) {
        return cluster.s3WithoutRetries(i, Duration.ofMinutes(2));
    }

    /** PUTs {@link #LARGE_OBJECTS} objects of 1 MiB through all nodes with {@link #WRITERS} writers. */
    private void writeLargeObjects() throws Exception {
        long t0 = System.nanoTime();
        List<S3Client> clients = new ArrayList<>();
        for (int g = 0; g < cluster.nodes(); g++) {
            clients.add(cluster.s3(g));
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(WRITERS)) {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < LARGE_OBJECTS; i++) {
                String key = "large-" + i;
                long contentSeed = seed * 1_000_003L + i;
                S3Client c = clients.get(i % clients.size());
                puts.add(pool.submit(() -> {
                    c.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(ObjectData.bytes(contentSeed, LARGE_OBJECT_BYTES)));
                    written.put(key, new long[] {LARGE_OBJECT_BYTES, contentSeed});
                    return null;
                }));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        } finally {
            for (S3Client c : clients) {
                c.close();
            }
        }
        System.out.printf("put %d objects of %d bytes in %.1f s%n", LARGE_OBJECTS, LARGE_OBJECT_BYTES, seconds(t0));
    }

    /** Reads every acknowledged object through node {@code node} and compares it byte for byte. */
    private void assertAllReadable(int node) throws Exception {
        long t0 = System.nanoTime();
        try (S3Client s3 = cluster.s3(node); ExecutorService pool = Executors.newFixedThreadPool(WRITERS)) {
            List<Future<?>> gets = new ArrayList<>();
            for (Map.Entry<String, long[]> e : written.entrySet()) {
                gets.add(pool.submit(() -> {
                    byte[] got = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(e.getKey())).asByteArray();
                    byte[] want = ObjectData.bytes(e.getValue()[1], (int) e.getValue()[0]);
                    assertThat(Arrays.equals(got, want)).as("%s via node %d (%d bytes, got %d)", e.getKey(), node, want.length, got.length)
                            .isTrue();
                    return null;
                }));
            }
            for (Future<?> f : gets) {
                f.get();
            }
        }
        System.out.printf("read %d objects via node %d in %.1f s%n", written.size(), node, seconds(t0));
    }

    private static void awaitCondition(String what, Duration atMost, java.util.concurrent.Callable<Boolean> condition) {
        Awaitility.await(what).atMost(atMost).pollInterval(Duration.ofMillis(200)).until(condition);
    }

    private JsonNode awaitStatus(String what, Duration atMost, Duration stableFor, Predicate<JsonNode> condition) {
        return StatusChecks.awaitStatus(cluster, what, atMost, stableFor, condition);
    }

    private JsonNode node(JsonNode status, int i) {
        return StatusChecks.node(cluster, status, i);
    }

    private static long usedSum(JsonNode status) {
        long sum = 0;
        for (JsonNode n : status.path("nodes")) {
            sum += n.path("used_bytes").asLong();
        }
        return sum;
    }



    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }
}
