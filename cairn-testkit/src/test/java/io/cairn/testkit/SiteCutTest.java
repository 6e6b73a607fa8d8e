package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Two sites of two nodes and a tie-breaker, each on a network of its own ({@link SiteNetworks}:
 * a network namespace per place, 25 ms one way between the sites), cut apart with every node
 * left running:
 * <ul>
 * <li>site1 cut off from the other two places, while clients of site1 still reach its nodes:
 *     site2 (with the tie-breaker, a majority of the voters) serves every object byte for byte
 *     and every listing whole, and takes writes once the map marks site1 down;</li>
 * <li>only the link between the two sites cut, both still reaching the tie-breaker: one site is
 *     marked down, and the other serves every object and takes writes.</li>
 * </ul>
 * Writes sent to the site that loses may fail, but each one acknowledged must be in the other
 * site before the cut heals (a stretched cluster acknowledges a write once both sites have it,
 * and the losing site could as well be gone for good). When the cut heals, every node serves
 * every acknowledged object.
 */
@ExtendWith(NodeLogsOnFailure.class)
class SiteCutTest {

    static final List<Integer> SITE1 = List.of(0, 2); // with meta voter 0
    static final List<Integer> SITE2 = List.of(1, 3); // with meta voter 1
    static final int TIEBREAKER = 4;
    static final List<Integer> DATA_NODES = List.of(0, 1, 2, 3);
    static final long SITE_DELAY_MILLIS = 25;
    static final Duration FAILOVER = Duration.ofSeconds(90);
    /**
     * The node-to-node deadline ({@code rpc_timeout_millis}, 30 s by default): shorter than the
     * gateway's retry budget (30 s), so a write sent to the losing site is tried twice, rereading
     * the map from a meta service out of reach in between, before it fails.
     */
    static final long RPC_TIMEOUT_MILLIS = 10_000;
    /** Writes sent to the losing site's gateways during a cut, each to a key of its own. */
    static final int WRITES_INTO_LOSING_SITE = 6;

    static long seed;

    SiteNetworks networks;
    TestCluster cluster;
    S3Client[] s3;
    final Map<String, byte[]> written = new LinkedHashMap<>();

    @BeforeAll
    static void seed() {
        seed = TestSeed.of(SiteCutTest.class);
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
        start();
        networks.cut(0);
        long cut = System.nanoTime();
        afterCut("site1 cut off", SITE1, SITE2, cut, true);
        // Cut off from the meta service, site1's nodes say so to a load balancer's health check.
        for (int i : SITE1) {
            Awaitility.await("node " + i + " reports itself cut off").atMost(FAILOVER).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions().until(() -> cluster.admin().health(cluster.endpoint(i)).statusCode() == 503);
            assertThat(cluster.admin().health(cluster.endpoint(i)).body()).as("node %d's health while cut off", i).contains("\"cut_off\"");
        }
        networks.heal(0);
        afterHeal();
        for (int i : SITE1) {
            assertThat(cluster.admin().health(cluster.endpoint(i)).statusCode()).as("node %d's health once the cut healed", i).isEqualTo(200);
        }
    }

    @Test
    void a_cut_between_the_two_sites_leaves_one_serving_everything_and_loses_no_acknowledged_write() throws Exception {
        start();
        networks.cutBetween(0, 1);
        long cut = System.nanoTime();
        // Both sites still reach the tie-breaker; the map (as the tie-breaker, a voter, has it)
        // must take one of them out, and which one is the cluster's choice.
        AtomicLong losing = new AtomicLong(-1);
        Awaitility.await("one site marked down").atMost(FAILOVER).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> {
                    JsonNode sites = cluster.admin(List.of(TIEBREAKER)).status().path("sites");
                    int up1 = sites.get(0).path("nodes_up").asInt();
                    int up2 = sites.get(1).path("nodes_up").asInt();
                    if (up1 == 0 && up2 == 2 || up1 == 2 && up2 == 0) {
                        losing.set(up1 == 0 ? 0 : 1);
                        return true;
                    }
                    return false;
                });
        List<Integer> loser = losing.get() == 0 ? SITE1 : SITE2;
        List<Integer> winner = losing.get() == 0 ? SITE2 : SITE1;
        System.out.printf("SiteCutTest: with the link between the sites cut, site%d was marked down %.1f s after the cut%n",
                losing.get() + 1, (System.nanoTime() - cut) / 1e9);
        JsonNode decided = cluster.admin(List.of(TIEBREAKER)).status();
        afterCut("the link between the sites cut", loser, winner, cut, false);
        // The decision held all through the cut: the losing site stayed down and the other up (a
        // leader once took nodes of each side out and let them back in turn, 31 map epochs in 10 s,
        // and each side acknowledged writes the other then lacked).
        JsonNode before = cluster.admin(List.of(TIEBREAKER)).status();
        int losingSite = (int) losing.get();
        assertThat(before.path("sites").get(losingSite).path("nodes_up").asInt()).as("nodes of the losing site up before the heal").isZero();
        assertThat(before.path("sites").get(1 - losingSite).path("nodes_up").asInt()).as("nodes of the other site up before the heal").isEqualTo(2);
        long epochs = before.path("epoch").asLong() - decided.path("epoch").asLong();
        System.out.printf("SiteCutTest: %d map epochs from the decision to the heal (%.0f s)%n", epochs, (System.nanoTime() - cut) / 1e9);
        assertThat(epochs).as("map epochs from the decision to the heal").isLessThan(10);
        networks.heal(0);
        networks.heal(1);
        afterHeal();
    }

    /** Starts the cluster on its site networks and writes 40 objects through every data node. */
    private void start() throws Exception {
        networks = SiteNetworks.create(3);
        Map<Integer, io.cairn.server.dev.DevCluster.NodeSettings> settings = new java.util.HashMap<>();
        for (int i : DATA_NODES) {
            settings.put(i, io.cairn.server.dev.DevCluster.NodeSettings.rpcTimeout(RPC_TIMEOUT_MILLIS));
        }
        cluster = TestCluster.startSites(4, 2, SITE_DELAY_MILLIS, networks, settings);
        assertThat(cluster.nodes()).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            assertThat(cluster.nodeStatus(i).path("site").asText()).as("node %d", i)
                    .isEqualTo(i == TIEBREAKER ? "site3" : SITE1.contains(i) ? "site1" : "site2");
            assertThat(cluster.endpoint(i)).as("node %d serves on its site's network", i)
                    .contains(networks.host(i == TIEBREAKER ? 2 : SITE1.contains(i) ? 0 : 1));
        }
        cluster.admin().createBucket("pair", "rep2", null);
        s3 = new S3Client[4];
        for (int i : DATA_NODES) {
            s3[i] = cluster.s3(i);
        }
        s3[0].createBucket(b -> b.bucket("triple"));
        Random random = new Random(seed);
        for (int n = 0; n < 40; n++) {
            String bucket = n % 2 == 0 ? "pair" : "triple";
            // Mostly small objects (inline in their index records), some of several chunks' worth of blocks.
            byte[] body = new byte[n % 10 == 9 ? 200_000 + random.nextInt(100_000) : 1 + random.nextInt(32 * 1024)];
            random.nextBytes(body);
            String key = "before/" + n;
            s3[n % 4].putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
            written.put(bucket + "/" + key, body);
        }
    }

    /**
     * With a cut in place that the {@code loser} site is to lose: clients of the losing site write
     * to it (what it acknowledges must reach the winner), the winner serves every object and
     * listing, the map marks the loser down, and the winner takes writes. {@code cut}: when the cut began.
     */
    /**
     * @param cutOffFromMeta the losing site reaches no meta voter: its gateways fail writes that
     *                       need the other site as soon as they count themselves cut off, saying so,
     *                       not at the node-to-node deadline
     */
    private void afterCut(String what, List<Integer> loser, List<Integer> winner, long cut, boolean cutOffFromMeta) throws Exception {
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        Map<String, byte[]> acknowledged = new ConcurrentHashMap<>();
        Map<String, String> failed = new ConcurrentHashMap<>();
        // Writes the gateway never answered: the client's socket timeout (2 minutes) ended them.
        Map<String, String> unanswered = new ConcurrentHashMap<>();
        // How long each write sent to the losing site took to be answered, either way.
        List<Long> losingSiteMillis = java.util.Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<?>> losingSiteWrites = new ArrayList<>();
            for (int n = 0; n < WRITES_INTO_LOSING_SITE; n++) {
                String bucket = n % 2 == 0 ? "pair" : "triple";
                String key = "into-losing-site/" + n;
                byte[] body = ("sent to the losing site during the cut " + n).getBytes(StandardCharsets.UTF_8);
                int through = loser.get(n % loser.size());
                losingSiteWrites.add(pool.submit(() -> {
                    long sent = System.nanoTime();
                    try (S3Client c = cluster.s3WithoutRetries(through, Duration.ofSeconds(150))) {
                        c.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
                        acknowledged.put(bucket + "/" + key, body);
                        losingSiteMillis.add((System.nanoTime() - sent) / 1_000_000);
                    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
                        failed.put(bucket + "/" + key, e.getClass().getSimpleName() + ": " + e.getMessage());
                        losingSiteMillis.add((System.nanoTime() - sent) / 1_000_000);
                    } catch (RuntimeException e) {
                        unanswered.put(bucket + "/" + key, e.getClass().getSimpleName() + ": " + e.getMessage());
                    }
                    return null;
                }));
            }

            ReadEverything.Figures figures = ReadEverything.through(s3, winner, written, List.of("pair", "triple"), "with " + what);
            System.out.printf("SiteCutTest: with %s, every object and listing read through the other site in %.1f s (slowest GET %d ms)%n",
                    what, (System.nanoTime() - start) / 1e9, figures.slowestGetMillis());

            int losingSite = SITE1.equals(loser) ? 0 : 1;
            Awaitility.await("the losing site marked down").atMost(FAILOVER).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> cluster.admin(winner).status().path("sites").get(losingSite).path("nodes_up").asInt() == 0);
            for (int i : loser) {
                assertThat(cluster.dev().pid(i)).as("node %d runs on behind the cut", i).isPresent();
            }
            long markedDown = System.nanoTime();
            for (int n = 0; n < 20; n++) {
                String bucket = n % 2 == 0 ? "pair" : "triple";
                String key = "during-cut/" + n;
                byte[] body = ("written in the serving site during the cut " + n).getBytes(StandardCharsets.UTF_8);
                int through = winner.get(n % winner.size());
                Awaitility.await("write " + key).atMost(FAILOVER).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions().until(() -> {
                            s3[through].putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
                            return true;
                        });
                written.put(bucket + "/" + key, body);
            }
            System.out.printf("SiteCutTest: the losing site marked down %.1f s after the cut; 20 writes through the other took %.1f s%n",
                    (markedDown - cut) / 1e9, (System.nanoTime() - markedDown) / 1e9);
            for (Future<?> f : losingSiteWrites) {
                f.get(3, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("SiteCutTest: of %d writes sent to the losing site during the cut, %d were acknowledged, %d failed,"
                        + " answered after %s ms: %s%n", WRITES_INTO_LOSING_SITE, acknowledged.size(), failed.size(),
                losingSiteMillis.stream().sorted().toList(), failed.values().stream()
                        .map(m -> m.length() > 400 ? m.substring(0, 400) + "..." : m).distinct().toList());
        // A gateway cut off from the meta service answers within its retry budget: each map read it
        // makes on the way gives up after a few timed-out tries (they once held it for minutes).
        assertThat(unanswered).as("writes the losing site's gateways never answered").isEmpty();
        if (cutOffFromMeta) {
            assertThat(failed.values()).as("why writes sent to the site cut off failed")
                    .allSatisfy(m -> assertThat(m).contains("heard nothing from the meta service"));
        }
        for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
            String[] bk = e.getKey().split("/", 2);
            for (int i : winner) {
                assertThat(s3[i].getObjectAsBytes(b -> b.bucket(bk[0]).key(bk[1])).asByteArray())
                        .as("%s, acknowledged by the losing site during the cut, through node %d of the other", e.getKey(), i)
                        .isEqualTo(e.getValue());
            }
        }
        written.putAll(acknowledged);
    }

    /** Once the cut healed: every data node up again, and every acknowledged object read through each. */
    private void afterHeal() throws Exception {
        long healed = System.nanoTime();
        for (int i : DATA_NODES) {
            cluster.awaitUp(i, Duration.ofMinutes(2));
        }
        for (int node : DATA_NODES) {
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
