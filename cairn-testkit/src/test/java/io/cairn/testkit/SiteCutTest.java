package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Two sites and a tie-breaker, each on a network of its own ({@link SiteNetworks}: a network
 * namespace per site, 25 ms one way between the sites), and a network cut that leaves site1
 * running: every packet between site1 and the other two places is dropped, while clients of
 * site1 still reach its nodes. Site2 (with the tie-breaker, a majority of the voters) serves
 * every object byte for byte and every listing whole, and takes writes once the map marks site1
 * down; writes sent to site1's gateways during the cut may fail, but each one acknowledged
 * survives. When the cut heals, site1 rejoins, catches up, and every node serves everything.
 */
@ExtendWith(NodeLogsOnFailure.class)
class SiteCutTest {

    static final List<Integer> SITE1 = List.of(0, 2); // with meta voter 0
    static final List<Integer> SITE2 = List.of(1, 3); // with meta voter 1
    static final int TIEBREAKER = 4;
    static final long SITE_DELAY_MILLIS = 25;
    static final Duration FAILOVER = Duration.ofSeconds(90);
    /** Writes sent to site1's gateways during the cut, each to a key of its own. */
    static final int WRITES_INTO_CUT_SITE = 6;

    static long seed;

    SiteNetworks networks;
    TestCluster cluster;

    @BeforeAll
    static void seed() {
        seed = Long.getLong("cairn.seed", System.nanoTime());
        System.out.println("SiteCutTest seed=" + seed + " (reproduce: ./mvnw -pl cairn-testkit test -Dtest=SiteCutTest -Dcairn.seed="
                + seed + ")");
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (networks != null) {
            networks.close();
        }
    }

    @Test
    void a_site_cut_off_while_running_loses_no_acknowledged_write_and_the_other_site_serves_everything() throws Exception {
        networks = SiteNetworks.create(3);
        cluster = TestCluster.startSites(4, 2, SITE_DELAY_MILLIS, networks);
        assertThat(cluster.nodes()).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            assertThat(cluster.nodeStatus(i).path("site").asText()).as("node %d", i)
                    .isEqualTo(i == TIEBREAKER ? "site3" : SITE1.contains(i) ? "site1" : "site2");
            assertThat(cluster.endpoint(i)).as("node %d serves on its site's network", i)
                    .contains(networks.host(i == TIEBREAKER ? 2 : SITE1.contains(i) ? 0 : 1));
        }
        cluster.admin().createBucket("pair", "rep2", null);
        S3Client[] s3 = new S3Client[4];
        for (int i = 0; i < 4; i++) {
            s3[i] = cluster.s3(i);
        }
        s3[0].createBucket(b -> b.bucket("triple"));

        Random random = new Random(seed);
        Map<String, byte[]> written = new LinkedHashMap<>();
        for (int n = 0; n < 40; n++) {
            String bucket = n % 2 == 0 ? "pair" : "triple";
            // Mostly small objects (inline in their index records), some of several chunks' worth of blocks.
            byte[] body = new byte[n % 10 == 9 ? 200_000 + random.nextInt(100_000) : 1 + random.nextInt(32 * 1024)];
            random.nextBytes(body);
            String key = "before/" + n;
            s3[n % 4].putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
            written.put(bucket + "/" + key, body);
        }

        networks.cut(0);
        long cut = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        Map<String, byte[]> acknowledgedInCutSite = new ConcurrentHashMap<>();
        Map<String, String> refusedInCutSite = new ConcurrentHashMap<>();
        try {
            // Clients of site1 go on writing to it: what it acknowledges must not be lost.
            List<Future<?>> cutSiteWrites = new ArrayList<>();
            for (int n = 0; n < WRITES_INTO_CUT_SITE; n++) {
                String bucket = n % 2 == 0 ? "pair" : "triple";
                String key = "into-cut-site/" + n;
                byte[] body = ("sent to site1 during the cut " + n).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                int through = SITE1.get(n % 2);
                cutSiteWrites.add(pool.submit(() -> {
                    try (S3Client c = cluster.s3WithoutRetries(through, Duration.ofSeconds(150))) {
                        c.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
                        acknowledgedInCutSite.put(bucket + "/" + key, body);
                    } catch (RuntimeException e) {
                        refusedInCutSite.put(bucket + "/" + key, e.getClass().getSimpleName() + ": " + e.getMessage());
                    }
                    return null;
                }));
            }

            // Site2 serves every object and listing, first while site1 is still up in the map
            // (its holders silent), then after.
            java.util.concurrent.atomic.AtomicLong slowest = new java.util.concurrent.atomic.AtomicLong();
            List<Future<?>> reads = new ArrayList<>();
            for (int i : SITE2) {
                for (Map.Entry<String, byte[]> e : written.entrySet()) {
                    String[] bk = e.getKey().split("/", 2);
                    reads.add(pool.submit(() -> {
                        long t0 = System.nanoTime();
                        byte[] got = s3[i].getObjectAsBytes(b -> b.bucket(bk[0]).key(bk[1])).asByteArray();
                        slowest.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                        assertThat(got).as("%s through node %d during the cut", e.getKey(), i).isEqualTo(e.getValue());
                        return null;
                    }));
                }
                for (String bucket : List.of("pair", "triple")) {
                    reads.add(pool.submit(() -> {
                        List<String> keys = new ArrayList<>();
                        s3[i].listObjectsV2Paginator(b -> b.bucket(bucket).maxKeys(7)).contents().forEach(o -> keys.add(o.key()));
                        assertThat(keys).as("listing of %s through node %d during the cut", bucket, i).containsExactlyElementsOf(
                                written.keySet().stream().filter(k -> k.startsWith(bucket + "/")).map(k -> k.substring(bucket.length() + 1))
                                        .sorted().toList());
                        return null;
                    }));
                }
            }
            for (Future<?> f : reads) {
                f.get();
            }
            System.out.printf("SiteCutTest: with site1 cut off, every object and listing read through site2 in %.1f s (slowest GET %d ms)%n",
                    (System.nanoTime() - cut) / 1e9, slowest.get());

            Awaitility.await("site1 marked down").atMost(FAILOVER).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> cluster.admin(SITE2).status().path("sites").get(0).path("nodes_up").asInt() == 0);
            for (int i : SITE1) {
                assertThat(cluster.dev().pid(i)).as("node %d runs on behind the cut", i).isPresent();
            }
            long markedDown = System.nanoTime();
            for (int n = 0; n < 20; n++) {
                String bucket = n % 2 == 0 ? "pair" : "triple";
                String key = "during-cut/" + n;
                byte[] body = ("written in site2 while site1 was cut off " + n).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                int through = SITE2.get(n % 2);
                Awaitility.await("write " + key).atMost(FAILOVER).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions().until(() -> {
                            s3[through].putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
                            return true;
                        });
                written.put(bucket + "/" + key, body);
            }
            System.out.printf("SiteCutTest: site1 marked down %.1f s after the cut; 20 writes through site2 took %.1f s%n",
                    (markedDown - cut) / 1e9, (System.nanoTime() - markedDown) / 1e9);
            for (Future<?> f : cutSiteWrites) {
                f.get(3, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("SiteCutTest: of %d writes sent to site1 during the cut, %d were acknowledged, %d failed: %s%n",
                WRITES_INTO_CUT_SITE, acknowledgedInCutSite.size(), refusedInCutSite.size(), refusedInCutSite.values().stream()
                        .map(m -> m.length() > 160 ? m.substring(0, 160) + "..." : m).distinct().toList());
        written.putAll(acknowledgedInCutSite);

        networks.heal(0);
        long healed = System.nanoTime();
        for (int i : SITE1) {
            cluster.awaitUp(i, Duration.ofMinutes(2));
        }
        for (int i = 0; i < 4; i++) {
            int node = i;
            for (Map.Entry<String, byte[]> e : written.entrySet()) {
                String[] bk = e.getKey().split("/", 2);
                Awaitility.await(e.getKey() + " through node " + node + " after the cut healed").atMost(FAILOVER).pollDelay(Duration.ZERO)
                        .pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> java.util.Arrays.equals(
                                s3[node].getObjectAsBytes(b -> b.bucket(bk[0]).key(bk[1])).asByteArray(), e.getValue()));
            }
        }
        System.out.printf("SiteCutTest: %.1f s after the cut healed, every node served all %d acknowledged objects%n",
                (System.nanoTime() - healed) / 1e9, written.size());
    }
}
