package io.cairn.testkit;

import static io.cairn.testkit.StatusChecks.metric;
import static io.cairn.testkit.StatusChecks.partitions;
import static io.cairn.testkit.StatusChecks.summary;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.server.dev.DevCluster;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Self-healing with real node processes: a node that stays down past the down-out interval is
 * marked out and its copies are re-created on the others; when the survivors cannot hold full
 * redundancy the node stays in, the cluster says it is degraded and still takes writes, and
 * re-protects them once the node is back.
 */
@ExtendWith(NodeLogsOnFailure.class)
class SelfHealingTest {

    static final String BUCKET = "heal";
    /** Down-out interval of these clusters: at least {@link TestCluster#DOWN_AFTER_MILLIS}. */
    static final long DOWN_OUT_INTERVAL_MILLIS = 15_000;
    static final int WRITERS = 8;
    static final int SIZE_MIN = 1024;
    static final int SIZE_MAX = 8 * 1024;
    /**
     * How long "clean" must hold before it counts. A node's stats carry no epoch: right after a
     * map change the status still shows the recovering counts heartbeated under the old map, so
     * a single clean reading may come before the new holders report their catch-up.
     */
    static final Duration CLEAN_STABLE = Duration.ofSeconds(3);
    /** Objects whose copies are checked on every holder directly. */
    static final int SAMPLED_OBJECTS = 50;

    static long seed;

    TestCluster cluster;
    /** key -> {size, content seed} of every acknowledged object. */
    final Map<String, long[]> written = new ConcurrentHashMap<>();

    @BeforeAll
    static void seed() {
        seed = TestSeed.of(SelfHealingTest.class);
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aNodeDownPastTheIntervalIsMarkedOutAndItsCopiesAreRecreated() throws Exception {
        int killed = 3; // not a meta voter (nodes 0..2) and not the node the test reads through
        long t0 = System.nanoTime();
        cluster = TestCluster.startWithDownOutInterval(5, DOWN_OUT_INTERVAL_MILLIS);
        System.out.printf("5-node cluster ready in %.1f s%n", seconds(t0));
        cluster.s3(0).createBucket(b -> b.bucket(BUCKET));
        writeObjects("obj-", 1_000, seed, allNodes());
        JsonNode before = cluster.admin().status();
        for (int i = 0; i < cluster.nodes(); i++) {
            assertThat(node(before, i).path("suspected_by").isEmpty()).as("node %d suspected by its peers while all are up: %s", i,
                    node(before, i).path("suspected_by")).isTrue();
        }

        cluster.kill(killed);
        long killedAt = System.nanoTime();
        AtomicReference<String> suspectedBy = new AtomicReference<>("");
        awaitStatus("node " + killed + " down", Duration.ofSeconds(60), Duration.ZERO, s -> {
            if (!node(s, killed).path("suspected_by").isEmpty()) {
                suspectedBy.set(node(s, killed).path("suspected_by").toString());
            }
            return "down".equals(node(s, killed).path("state").asText());
        });
        double downAfter = seconds(killedAt);
        System.out.printf("node %d marked down %.1f s after SIGKILL (down-after %d s; suspected by %s)%n", killed, downAfter,
                TestCluster.DOWN_AFTER_MILLIS / 1000, suspectedBy.get());
        // Its peers stop hearing it at once and say so; with their word the leader needs only
        // half the down-after silence. Alone it would wait the whole of it after the last
        // heartbeat, which came at most a heartbeat interval before the kill.
        assertThat(downAfter).as("seconds from SIGKILL to down, with peers suspecting the node")
                .isLessThan((TestCluster.DOWN_AFTER_MILLIS - 1000) / 1000.0);
        awaitStatus("node " + killed + " out", Duration.ofSeconds(120), Duration.ZERO, s -> !node(s, killed).path("in").asBoolean(true));
        System.out.printf("node %d marked out %.1f s after SIGKILL (down-out interval %d s)%n", killed, seconds(killedAt),
                DOWN_OUT_INTERVAL_MILLIS / 1000);
        JsonNode clean = awaitStatus("node " + killed + " out and every partition clean", Duration.ofSeconds(180), CLEAN_STABLE,
                s -> !node(s, killed).path("in").asBoolean(true) && partitions(s, "degraded") == 0 && partitions(s, "recovering") == 0);
        System.out.printf("clean %.1f s after SIGKILL: %s%n", seconds(killedAt), clean.path("partitions"));

        assertThat(node(clean, killed).path("state").asText()).isEqualTo("down");
        assertThat(node(clean, killed).path("partitions_held").asInt())
                .as("partitions placed on the out node").isZero();
        assertThat(clean.path("degraded_mode").isNull()).as("degraded_mode with 4 of 5 nodes up: %s", clean.path("degraded_mode")).isTrue();
        String killedId = node(clean, killed).path("id").asText();
        List<String> sample = sample(written.keySet(), SAMPLED_OBJECTS, seed ^ 0xA11L);
        int copies = assertCopiesOnEveryHolder(sample, clean, killedId);
        System.out.printf("%d sampled objects have all %d copies on their holders, none on node %d%n", sample.size(), copies, killed);
        double pulled = 0;
        for (int i = 0; i < cluster.nodes(); i++) {
            if (i == killed) {
                continue;
            }
            String metrics = cluster.admin().metrics(cluster.endpoint(i));
            assertThat(metric(metrics, "cairn_nodes_out")).as("node %d's metrics count the out node", i).isEqualTo(1.0);
            assertThat(metric(metrics, "cairn_degraded_mode")).isZero();
            pulled += metric(metrics, "cairn_recovery_bytes_total");
        }
        System.out.printf("survivors pulled %.1f MiB for catch-up and re-protection (metrics)%n", pulled / (1 << 20));
        assertThat(pulled).as("bytes pulled to re-protect the out node's copies").isPositive();
        for (int reader : new int[] {0, 1}) {
            assertAllReadable(cluster.s3(reader), reader);
        }
    }

    @Test
    void withoutRoomForFullRedundancyTheNodeStaysInAndWritesGoOnDegraded() throws Exception {
        int killed = 2; // a voter: two of three remain
        long t0 = System.nanoTime();
        cluster = TestCluster.startWithDownOutInterval(3, DOWN_OUT_INTERVAL_MILLIS);
        System.out.printf("3-node cluster ready in %.1f s%n", seconds(t0));
        cluster.s3(0).createBucket(b -> b.bucket(BUCKET));
        writeObjects("before-", 300, seed, allNodes());

        cluster.kill(killed);
        long killedAt = System.nanoTime();
        awaitStatus("node " + killed + " down", Duration.ofSeconds(60), Duration.ZERO, s -> "down".equals(node(s, killed).path("state").asText()));
        System.out.printf("node %d marked down %.1f s after SIGKILL%n", killed, seconds(killedAt));

        // For longer than the down-out interval after the down mark the node must still be in:
        // two nodes cannot hold a third copy.
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
        JsonNode degraded = cluster.admin().status();
        System.out.printf("node %d still in %.1f s after SIGKILL; degraded_mode: %s%n", killed, seconds(killedAt),
                degraded.path("degraded_mode"));
        String reason = degraded.path("degraded_mode").path("reason").asText("");
        assertThat(reason).as("degraded_mode.reason; status: %s", summary(degraded)).isNotBlank();
        // "2 nodes up and in, 3 needed", in whatever words: both counts are named.
        assertThat(reason).as("the reason names the nodes left and the nodes needed").containsPattern("\\b2\\b").containsPattern("\\b3\\b");
        assertThat(partitions(degraded, "degraded")).as("partitions degraded while a holder is down").isPositive();

        // Writes go on with the copies the cluster can give, and read back.
        List<String> whileDegraded = writeObjects("degraded-", 50, seed * 31 + 7, new int[] {0, 1});
        for (int reader : new int[] {0, 1}) {
            assertAllReadable(cluster.s3(reader), reader);
        }
        // Each of those writes is marked under-protected in its partition (index records and
        // bucket listings both: at least one mark per object), and the status counts them.
        JsonNode marked = awaitStatus("under-protected writes counted", Duration.ofSeconds(30), Duration.ZERO,
                s -> s.path("repair").path("under_protected_records").asLong() >= whileDegraded.size());
        System.out.printf("under-protected records while degraded: %d%n", marked.path("repair").path("under_protected_records").asLong());

        long restartAt = System.nanoTime();
        cluster.restart(killed);
        System.out.printf("node %d restarted and up in %.1f s%n", killed, seconds(restartAt));
        JsonNode clean = awaitStatus("not degraded and every partition clean", Duration.ofSeconds(180), CLEAN_STABLE,
                s -> s.path("degraded_mode").isNull() && partitions(s, "degraded") == 0 && partitions(s, "recovering") == 0);
        System.out.printf("clean %.1f s after the restart: %s%n", seconds(restartAt), clean.path("partitions"));
        assertThat(node(clean, killed).path("in").asBoolean(false)).isTrue();
        assertThat(node(clean, killed).path("state").asText()).isEqualTo("up");
        // The returning node copied the under-protected records ahead of the rest (in the
        // partitions it became primary of, peering copied them before any write), and once every
        // holder had them the marks went.
        double copiedFirst = metric(cluster.admin().metrics(cluster.endpoint(killed)), "cairn_recovery_under_protected_copied_total");
        assertThat(copiedFirst).as("under-protected records the returning node copied first").isPositive();
        JsonNode protectedAgain = awaitStatus("no record under-protected", Duration.ofSeconds(60), Duration.ZERO,
                s -> s.path("repair").path("under_protected_records").asLong() == 0);
        System.out.printf("returning node copied %.0f under-protected records first; none left %.1f s after the restart%n",
                copiedFirst, seconds(restartAt));
        for (int i = 0; i < cluster.nodes(); i++) {
            assertThat(metric(cluster.admin().metrics(cluster.endpoint(i)), "cairn_records_under_protected"))
                    .as("node %d's count of under-protected records", i).isZero();
        }
        assertThat(protectedAgain.path("repair").path("under_protected_records").asLong()).isZero();

        // Objects written while degraded now have their index record (holding the data) on every node.
        List<String> sample = sample(whileDegraded, 10, seed ^ 0x5EEDL);
        for (String key : sample) {
            long[] meta = written.get(key);
            for (int i = 0; i < cluster.nodes(); i++) {
                JsonNode local = cluster.admin().localObject(cluster.endpoint(i), BUCKET, key);
                assertThat(local.path("index_holders").size()).as("index holders of %s", key).isEqualTo(3);
                assertThat(local.path("index").isObject()).as("node %d holds the index record of %s: %s", i, key, local).isTrue();
                assertThat(local.path("index").path("inline").asBoolean()).as("%s of %d bytes is inline", key, meta[0]).isTrue();
                assertThat(Arrays.equals(cluster.admin().localInline(cluster.endpoint(i), BUCKET, key),
                        ObjectData.bytes(meta[1], (int) meta[0]))).as("node %d's own copy of %s", i, key).isTrue();
            }
        }
        System.out.printf("%d objects written while degraded have their index record on all %d nodes%n", sample.size(), cluster.nodes());
        assertAllReadable(cluster.s3(killed), killed);
    }

    @Test
    void anErasureCodedPoolKeepsItsBlocksInTheirSlotsWhenANodeIsMarkedOut() throws Exception {
        int killed = 3;
        cluster = TestCluster.startWithDownOutInterval(4, DOWN_OUT_INTERVAL_MILLIS);
        String bucket = "coded-heal";
        try (S3Client s3 = cluster.s3(0)) {
            s3.createBucket(b -> b.bucket(bucket).overrideConfiguration(o -> o.putHeader("x-cairn-policy", "ec2+1")));
            Random r = new Random(seed * 19 + 5);
            for (int i = 0; i < 24; i++) {
                String key = "coded-" + i;
                long contentSeed = seed * 23 + i;
                int size = (256 << 10) + r.nextInt(1 << 20); // past the inline limit: erasure-coded chunks
                s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(ObjectData.bytes(contentSeed, size)));
                written.put(key, new long[] {size, contentSeed});
            }
        }
        cluster.kill(killed);
        long killedAt = System.nanoTime();
        JsonNode clean = awaitStatus("node " + killed + " out and every partition clean", Duration.ofSeconds(180), CLEAN_STABLE,
                s -> !node(s, killed).path("in").asBoolean(true) && partitions(s, "degraded") == 0 && partitions(s, "recovering") == 0
                        && s.path("partitions").path("moving").asInt() == 0);
        System.out.printf("ec2+1 on 4 nodes: clean %.1f s after SIGKILL of node %d: %s%n", seconds(killedAt), killed, clean.path("partitions"));

        // Every block is now at the holder whose slot matches its index: the replacement rebuilt
        // the lost node's slot and the others kept theirs, so reads take the data blocks as
        // they are and decode nothing.
        for (int reader : new int[] {0, 1}) {
            double decodedBefore = metric(cluster.admin().metrics(cluster.endpoint(reader)), "cairn_stripes_decoded_total");
            try (S3Client s3 = cluster.s3(reader)) {
                for (Map.Entry<String, long[]> e : written.entrySet()) {
                    byte[] got = s3.getObjectAsBytes(b -> b.bucket(bucket).key(e.getKey())).asByteArray();
                    assertThat(Arrays.equals(got, ObjectData.bytes(e.getValue()[1], (int) e.getValue()[0])))
                            .as("%s via node %d after node %d was marked out", e.getKey(), reader, killed).isTrue();
                }
            }
            double decoded = metric(cluster.admin().metrics(cluster.endpoint(reader)), "cairn_stripes_decoded_total") - decodedBefore;
            assertThat(decoded).as("chunk reads via node %d that had to decode after re-protection", reader).isZero();
        }
        System.out.printf("%d erasure-coded objects read back through nodes 0 and 1 without a decode%n", written.size());
    }

    @Test
    void withMinCopiesAWriteThatCannotReachEnoughHoldersIsRefusedAndChangesNothing() throws Exception {
        Map<Integer, DevCluster.NodeSettings> settings = new HashMap<>();
        for (int i = 0; i < 4; i++) {
            settings.put(i, DevCluster.NodeSettings.minCopies(2));
        }
        cluster = TestCluster.start(4, TestCluster.HEARTBEAT_INTERVAL_MILLIS, TestCluster.DOWN_AFTER_MILLIS, 0, 0, settings);
        cluster.s3(0).createBucket(b -> b.bucket(BUCKET));
        List<String> keys = writeObjects("obj-", 40, seed * 7 + 1, allNodes());

        // Node 3 and one meta voter go (two voters keep the quorum). The voter is chosen so that
        // some objects' index records (small objects live in them) lose two of their three
        // holders and others do not.
        JsonNode status = cluster.admin().status();
        Map<String, List<String>> holders = new HashMap<>();
        for (String key : keys) {
            List<String> ids = new ArrayList<>();
            cluster.admin().localObject(cluster.endpoint(0), BUCKET, key).path("index_holders").forEach(h -> ids.add(h.asText()));
            holders.put(key, ids);
        }
        String lost3 = node(status, 3).path("id").asText();
        int voter = -1;
        for (int x = 0; x < 3 && voter < 0; x++) {
            String lostX = node(status, x).path("id").asText();
            long both = keys.stream().filter(k -> holders.get(k).contains(lost3) && holders.get(k).contains(lostX)).count();
            if (both > 0 && both < keys.size()) {
                voter = x;
            }
        }
        assertThat(voter).as("a voter sharing some, not all, index partitions with node 3: %s", holders).isNotNegative();
        String lostVoter = node(status, voter).path("id").asText();
        Set<String> expectRefused = new TreeSet<>();
        for (String key : keys) {
            if (holders.get(key).contains(lost3) && holders.get(key).contains(lostVoter)) {
                expectRefused.add(key);
            }
        }
        int gateway = voter == 0 ? 1 : 0;
        int lostNode = voter;
        cluster.kill(3);
        cluster.kill(voter);
        awaitStatus("nodes 3 and " + voter + " down", Duration.ofSeconds(60), Duration.ZERO,
                s -> "down".equals(node(s, 3).path("state").asText()) && "down".equals(node(s, lostNode).path("state").asText()));

        // Overwrites where one holder is up are refused at once, and leave the old object;
        // where two are up they are accepted.
        Set<String> refused = java.util.concurrent.ConcurrentHashMap.newKeySet();
        long t0 = System.nanoTime();
        try (S3Client s3 = cluster.s3(gateway); ExecutorService pool = Executors.newFixedThreadPool(WRITERS)) {
            List<Future<?>> puts = new ArrayList<>();
            for (String key : keys) {
                long contentSeed = seed * 13 + key.hashCode();
                puts.add(pool.submit(() -> {
                    try {
                        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(ObjectData.bytes(contentSeed, SIZE_MIN)));
                        written.put(key, new long[] {SIZE_MIN, contentSeed});
                    } catch (S3Exception e) {
                        assertThat(e.statusCode()).as("status of the refused PUT of %s: %s", key, e.getMessage()).isEqualTo(503);
                        assertThat(e.awsErrorDetails().errorMessage()).as("why %s was refused", key).contains("min_copies");
                        refused.add(key);
                    }
                    return null;
                }));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        }
        System.out.printf("with nodes 3 and %d down and min_copies 2: %d of %d overwrites refused (%.1f s with the client's retries)%n",
                voter, refused.size(), keys.size(), seconds(t0));
        assertThat(new TreeSet<>(refused)).as("overwrites refused: exactly the objects whose index partition has one holder up")
                .isEqualTo(expectRefused);
        assertAllReadable(cluster.s3(gateway), gateway);

        cluster.restart(voter);
        awaitStatus("node " + voter + " up", Duration.ofSeconds(60), Duration.ZERO,
                s -> "up".equals(node(s, lostNode).path("state").asText()));
        try (S3Client s3 = cluster.s3(gateway)) {
            for (String key : refused) {
                long contentSeed = seed * 17 + key.hashCode();
                s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(ObjectData.bytes(contentSeed, SIZE_MIN)));
                written.put(key, new long[] {SIZE_MIN, contentSeed});
            }
        }
        System.out.printf("with node %d back, the %d refused overwrites went through%n", voter, refused.size());
        assertAllReadable(cluster.s3(voter), voter);
    }

    private int[] allNodes() {
        int[] all = new int[cluster.nodes()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }

    /**
     * PUTs {@code count} objects of 1–8 KiB with {@link #WRITERS} writers, spread over
     * {@code gateways}; returns their keys. Contents derive from {@code keySeed}.
     */
    private List<String> writeObjects(String prefix, int count, long keySeed, int[] gateways) throws Exception {
        Random r = new Random(keySeed);
        int[] sizes = new int[count];
        for (int i = 0; i < count; i++) {
            sizes[i] = SIZE_MIN + r.nextInt(SIZE_MAX - SIZE_MIN + 1);
        }
        S3Client[] clients = new S3Client[gateways.length];
        for (int g = 0; g < gateways.length; g++) {
            clients[g] = cluster.s3(gateways[g]);
        }
        List<String> keys = new ArrayList<>();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(WRITERS)) {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String key = prefix + i;
                long contentSeed = keySeed * 1_000_003L + i;
                int size = sizes[i];
                S3Client c = clients[i % clients.length];
                keys.add(key);
                puts.add(pool.submit(() -> {
                    c.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(ObjectData.bytes(contentSeed, size)));
                    written.put(key, new long[] {size, contentSeed});
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
        System.out.printf("put %d objects (%s*) in %.1f s%n", count, prefix, seconds(t0));
        return keys;
    }

    /** Reads every acknowledged object through {@code s3} and compares it byte for byte. */
    private void assertAllReadable(S3Client s3, int node) throws Exception {
        long t0 = System.nanoTime();
        try (s3; ExecutorService pool = Executors.newFixedThreadPool(WRITERS)) {
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

    /** {@code count} keys of {@code keys} chosen with {@code sampleSeed}, in a reproducible order. */
    private static List<String> sample(Collection<String> keys, int count, long sampleSeed) {
        List<String> all = new ArrayList<>(keys);
        Collections.sort(all);
        Collections.shuffle(all, new Random(sampleSeed));
        return List.copyOf(all.subList(0, Math.min(count, all.size())));
    }

    /**
     * Asks every index holder of each key, directly, for its own copy: there must be as many
     * holders as the policy has copies, none of them {@code absentNodeId}, and each must hold the
     * object's index record with the right bytes. Returns the number of copies checked.
     */
    private int assertCopiesOnEveryHolder(List<String> keys, JsonNode status, String absentNodeId) throws IOException {
        Map<String, String> endpointById = new HashMap<>();
        for (JsonNode n : status.path("nodes")) {
            endpointById.put(n.path("id").asText(), "http://" + n.path("public_address").asText());
        }
        int copies = 0;
        for (String key : keys) {
            long[] meta = written.get(key);
            JsonNode holders = cluster.admin().localObject(cluster.endpoint(0), BUCKET, key).path("index_holders");
            assertThat(holders.size()).as("index holders of %s: %s", key, holders).isEqualTo(3);
            for (JsonNode h : holders) {
                String id = h.asText();
                assertThat(id).as("holder of %s", key).isNotEqualTo(absentNodeId);
                String endpoint = endpointById.get(id);
                assertThat(endpoint).as("holder %s of %s in the status", id, key).isNotNull();
                JsonNode local = cluster.admin().localObject(endpoint, BUCKET, key);
                assertThat(local.path("index").isObject()).as("holder %s holds the index record of %s: %s", id, key, local).isTrue();
                assertThat(Arrays.equals(cluster.admin().localInline(endpoint, BUCKET, key), ObjectData.bytes(meta[1], (int) meta[0])))
                        .as("holder %s's own copy of %s", id, key).isTrue();
                copies++;
            }
        }
        return copies;
    }

    private JsonNode awaitStatus(String what, Duration atMost, Duration stableFor, Predicate<JsonNode> condition) {
        return StatusChecks.awaitStatus(cluster, what, atMost, stableFor, condition);
    }

    private JsonNode node(JsonNode status, int i) {
        return StatusChecks.node(cluster, status, i);
    }



    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    /** The value of a metric without labels other than the node's, from Prometheus text. */

}
