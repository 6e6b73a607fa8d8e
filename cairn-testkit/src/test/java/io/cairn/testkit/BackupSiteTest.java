package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.server.dev.DevCluster;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A primary cluster of 3 real nodes, linked by {@code cairn admin replicate add} (after a wrong key
 * and a cluster that is no backup site were refused), ships its consistent cuts (a round every
 * 500 ms) to a backup cluster of 3 real nodes ({@code backup_site: true}) over the backup's signed
 * admin API. One
 * writer PUTs objects named by a counter, one after another, each acknowledged before the next
 * begins. Throughout, while backup nodes are SIGKILLed and started again (one, then two of three,
 * which leaves the backup without a majority of its map's voters: the link is as good as cut), what
 * the backup shows must be a prefix of the counter (no write missing below one that is there):
 * its kept states in the round shown ({@code /_cairn/backup/visible}) and its S3 listing of the
 * bucket through every node, whose newest object reads back byte for byte. At the end it shows
 * every acknowledged write and refuses writes; then the primary is SIGKILLed, the backup is
 * promoted, and it serves the writes of its last round, takes new ones, and deletes and overwrites
 * the old. The first up node then settles it (each key its own record, no state kept), and it fails
 * back: its nodes start again as a primary site's and ship to a backup site made anew.
 */
@ExtendWith(NodeLogsOnFailure.class)
class BackupSiteTest {

    static final int PARTITIONS = 8;
    static TestCluster backup;
    static TestCluster primary;
    /** The backup site made anew, where the primary was, once the promoted site fails back. */
    static TestCluster rebuilt;

    @BeforeAll
    static void start() throws Exception {
        Map<Integer, DevCluster.NodeSettings> backupNodes = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            backupNodes.put(i, DevCluster.NodeSettings.backupSiteNode());
        }
        backup = TestCluster.startWithPartitions(3, PARTITIONS, backupNodes);
        List<String> endpoints = new ArrayList<>();
        for (int i = 0; i < backup.nodes(); i++) {
            endpoints.add(backup.endpoint(i));
        }
        Map<Integer, DevCluster.NodeSettings> settings = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            settings.put(i, DevCluster.NodeSettings.cutInterval(500));
        }
        primary = TestCluster.startWithPartitions(3, PARTITIONS, settings);
        backupEndpoints = endpoints;
    }

    static List<String> backupEndpoints;

    @org.junit.jupiter.api.BeforeEach
    void link() throws Exception {
        String key = backup.accessKey() + ":" + backup.secretKey();
        assertThatThrownBy(() -> primary.admin().replicateAdd(backupEndpoints, backup.accessKey() + ":wrongsecretwrong", null))
                .as("a key the backup site does not know").hasMessageContaining("did not answer as a backup site");
        List<String> notABackup = List.of(primary.endpoint(1));
        assertThatThrownBy(() -> primary.admin().replicateAdd(notABackup, primary.accessKey() + ":" + primary.secretKey(), null))
                .as("a cluster that is no backup site").hasMessageContaining("not a backup site");
        assertThat(primary.admin().replicate().path("linked").asBoolean()).isFalse();
        JsonNode linked = primary.admin().replicateAdd(backupEndpoints, key, null);
        assertThat(linked.path("linked").asBoolean()).isTrue();
        assertThat(primary.admin().replicate().path("role").asText()).isEqualTo("primary");
        assertThat(linked.path("buckets_not_shipped").isObject()).as("the buckets the backup will not get, with why: %s", linked).isTrue();
        assertThat(linked.path("buckets_not_shipped").isEmpty()).as("every pool here is replicated").isTrue();
        assertThat(backup.admin().replicate().path("role").asText()).isEqualTo("backup");
    }

    @AfterAll
    static void stop() {
        if (primary != null) {
            primary.close();
        }
        if (backup != null) {
            backup.close();
        }
        if (rebuilt != null) {
            rebuilt.close();
        }
    }

    /** The counters the backup shows now, or null if it could not be read. */
    private static TreeSet<Integer> shown(AtomicLong round) {
        JsonNode v;
        try {
            v = backup.admin().backupVisible("i/");
        } catch (Exception e) {
            return null;
        }
        round.set(v.path("round").asLong());
        TreeSet<Integer> out = new TreeSet<>();
        for (JsonNode k : v.path("keys")) {
            String key = k.path("key").asText();
            int slash = key.lastIndexOf("/n-");
            if (slash >= 0) {
                out.add(Integer.parseInt(key.substring(slash + 3)));
            }
        }
        return out;
    }

    /** Over the backup's nodes since they started: records taken whole, held keys checked, and held keys not held. */
    private static long[] backupCounters() throws Exception {
        long[] out = new long[3];
        for (int i = 0; i < backup.nodes(); i++) {
            JsonNode own = backup.admin(List.of(i)).backup();
            out[0] += own.path("records_taken_here").asLong();
            out[1] += own.path("held_checked_here").asLong();
            out[2] += own.path("held_missing_here").asLong();
        }
        return out;
    }

    /** The counters the backup's S3 listing of the bucket shows now (through node {@code node}), or null if it could not be read. */
    private static TreeSet<Integer> listed(int node) {
        try {
            TreeSet<Integer> out = new TreeSet<>();
            backup.s3(node).listObjectsV2Paginator(r -> r.bucket("counter").maxKeys(250)).contents()
                    .stream().filter(o -> o.key().startsWith("n-")).forEach(o -> out.add(Integer.parseInt(o.key().substring(2))));
            return out;
        } catch (software.amazon.awssdk.core.exception.SdkException e) {
            return null;
        }
    }

    /** Fails with the gap if {@code shown} is not 0..n-1. */
    private static void assertPrefix(TreeSet<Integer> shown, String where) {
        if (!shown.isEmpty() && shown.last() != shown.size() - 1) {
            List<Integer> missing = new ArrayList<>();
            for (int i = 0; i < shown.last() && missing.size() < 10; i++) {
                if (!shown.contains(i)) {
                    missing.add(i);
                }
            }
            throw new AssertionError(String.format("%s shows %d writes, the newest n-%06d: writes below it are missing, first %s", where,
                    shown.size(), shown.last(), missing));
        }
    }

    /** Waits for {@code condition}, failing at once with the checker's finding if it found a gap. */
    private static void awaitShown(String alias, Duration atMost, AtomicReference<AssertionError> broken,
                                   java.util.concurrent.Callable<Boolean> condition) {
        Awaitility.await(alias).atMost(atMost).until(() -> {
            if (broken.get() != null) {
                throw broken.get();
            }
            return condition.call();
        });
    }

    @Test
    void theBackupAlwaysShowsAPrefixOfTheWritesAndAtLastAllOfThem() throws Exception {
        S3Client s3 = primary.s3(0);
        s3.createBucket(r -> r.bucket("counter"));
        // An object of chunks: once the backup is promoted and it is written again there, its chunks are freed.
        byte[] big = ObjectData.bytes(7, 300 << 10);
        s3.putObject(r -> r.bucket("counter").key("big"), RequestBody.fromBytes(big));
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = Thread.ofVirtual().start(() -> {
            for (int i = 0; writing.get(); ) {
                String key = String.format("n-%06d", i);
                try {
                    s3.putObject(r -> r.bucket("counter").key(key), RequestBody.fromString("write " + key));
                    // One key written again and again: the backup drops its states that no round shown needs.
                    s3.putObject(r -> r.bucket("counter").key("latest"), RequestBody.fromString(key));
                    i++;
                    acknowledged.set(i);
                } catch (RuntimeException e) {
                    // not acknowledged: the same counter again, so that the next is begun only after it
                }
            }
        });
        AtomicBoolean checking = new AtomicBoolean(true);
        AtomicReference<AssertionError> broken = new AtomicReference<>();
        AtomicInteger checks = new AtomicInteger();
        AtomicInteger listedChecks = new AtomicInteger();
        List<Double> lags = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger largestShown = new AtomicInteger();
        TreeSet<Long> rounds = new TreeSet<>();
        Thread checker = Thread.ofVirtual().start(() -> {
            AtomicLong round = new AtomicLong();
            while (checking.get() && broken.get() == null) {
                TreeSet<Integer> shown = shown(round);
                TreeSet<Integer> listed = listed(checks.get() % 3);
                if (listed != null) {
                    try {
                        assertPrefix(listed, "the backup's S3 listing");
                        listedChecks.incrementAndGet();
                        if (!listed.isEmpty()) {
                            String newest = String.format("n-%06d", listed.last());
                            assertThat(backup.s3(0).getObjectAsBytes(r -> r.bucket("counter").key(newest)).asUtf8String())
                                    .isEqualTo("write " + newest);
                        }
                    } catch (AssertionError e) {
                        broken.set(e);
                    } catch (software.amazon.awssdk.core.exception.SdkException e) {
                        // the backup lost a node meanwhile; the next check reads again
                    }
                }
                if (shown != null) {
                    try {
                        assertPrefix(shown, "round " + round.get());
                    } catch (AssertionError e) {
                        broken.set(e);
                    }
                    checks.incrementAndGet();
                    largestShown.accumulateAndGet(shown.size(), Math::max);
                    synchronized (rounds) {
                        rounds.add(round.get());
                    }
                }
                if (checks.get() % 5 == 0) {
                    try {
                        JsonNode b = primary.admin(List.of(checks.get() % 3)).status().path("backup_site");
                        if (b.path("reached").asBoolean() && b.path("lag_seconds").isNumber()) {
                            lags.add(b.path("lag_seconds").asDouble());
                        }
                    } catch (Exception e) {
                        // a primary node busy or restarting: the next sample
                    }
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            awaitShown("the backup shows writes", Duration.ofSeconds(60), broken, () -> largestShown.get() > 20);
            // Buckets follow the primary: a setting changed there, and a bucket emptied and deleted there.
            s3.createBucket(r -> r.bucket("gone"));
            s3.putObject(r -> r.bucket("gone").key("only"), RequestBody.fromString("soon gone"));
            Awaitility.await("a new bucket's object shown at the backup").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> backup.s3(0).getObjectAsBytes(r -> r.bucket("gone").key("only")).asUtf8String().equals("soon gone"));
            s3.putBucketTagging(r -> r.bucket("counter").tagging(t -> t.tagSet(
                    software.amazon.awssdk.services.s3.model.Tag.builder().key("site").value("primary").build())));
            s3.deleteObject(r -> r.bucket("gone").key("only"));
            s3.deleteBucket(r -> r.bucket("gone"));
            Awaitility.await("the primary's status shows how far its backup site is").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> {
                        JsonNode b = primary.admin().status().path("backup_site");
                        return b.path("reached").asBoolean() && b.path("shown_round").asLong() > 0 && b.path("lag_seconds").isNumber()
                                && b.path("rounds_behind").asLong() >= 0 && b.path("stage").asText().equals("shipping");
                    });

            backup.kill(2);
            int before = acknowledged.get();
            awaitShown("writes shown with a backup node down", Duration.ofSeconds(60), broken,
                    () -> largestShown.get() > before + 20);
            backup.restart(2);

            // Two of three backup nodes down: the backup's map has no majority, nothing can be taken.
            backup.kill(0);
            backup.kill(1);
            int cut = acknowledged.get();
            Thread.sleep(5_000);
            assertThat(acknowledged.get()).as("the primary takes writes while its backup site is gone").isGreaterThan(cut);
            // What the backup lacks piles up at the primary, in bytes as well as in rounds.
            long[] lagBytes = {0};
            Awaitility.await("the primary's status counts the bytes its backup lacks").atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> {
                        JsonNode b = primary.admin().status().path("backup_site");
                        lagBytes[0] = b.path("lag_bytes").asLong();
                        return lagBytes[0] > 0;
                    });
            System.out.printf("backup site: with the backup's majority down, the primary's status shows %d bytes not shipped%n", lagBytes[0]);
            backup.startAgain(0);
            backup.startAgain(1);
            backup.awaitUp(0, TestCluster.READY_TIMEOUT);
            backup.awaitUp(1, TestCluster.READY_TIMEOUT);
            int back = acknowledged.get();
            awaitShown("writes shown once the backup is back", Duration.ofSeconds(120), broken, () -> largestShown.get() > back);
        } finally {
            writing.set(false);
            writer.join();
        }
        int total = acknowledged.get();
        AtomicLong round = new AtomicLong();
        Awaitility.await("every acknowledged write shown").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    TreeSet<Integer> shown = shown(round);
                    return shown != null && shown.size() >= total;
                });
        Awaitility.await("nothing left to ship once every write is shown").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .pollInterval(Duration.ofMillis(500))
                .until(() -> primary.admin().status().path("backup_site").path("lag_bytes").asLong(-1) == 0);
        assertThat(StatusChecks.metric(primary.admin().metrics(primary.endpoint(0)), "cairn_backup_unshipped_bytes"))
                .as("a primary node's bytes not shipped, once every write is shown").isZero();
        checking.set(false);
        checker.join();
        if (broken.get() != null) {
            throw broken.get();
        }
        TreeSet<Integer> last = shown(round);
        assertThat(last).isNotNull();
        assertPrefix(last, "round " + round.get());
        assertThat(last.size()).as("writes shown at round %d", round.get()).isIn(total, total + 1);
        assertThat(checks.get()).isGreaterThan(20);
        assertThat(listedChecks.get()).as("S3 listings of the backup checked").isGreaterThan(20);
        TreeSet<Integer> listedAtEnd = listed(1);
        assertThat(listedAtEnd).as("the backup's S3 listing").isNotNull();
        assertThat(listedAtEnd.size()).isIn(total, total + 1);
        assertPrefix(listedAtEnd, "the backup's S3 listing");
        synchronized (rounds) {
            assertThat(rounds.size()).as("distinct rounds shown").isGreaterThan(5);
        }
        JsonNode state = backup.admin().backup();
        assertThat(state.path("partitions").asInt()).isEqualTo(PARTITIONS);
        assertThat(state.path("partitions_shipped").asInt()).isEqualTo(PARTITIONS);
        assertThat(state.path("visible_round").asLong()).isGreaterThanOrEqualTo(round.get());
        System.out.printf("backup site: %d writes, %d checks of the backup (%d through S3 listings), %d distinct rounds shown, "
                + "%d rounds with holes%n", total, checks.get(), listedChecks.get(), rounds.size(), state.path("rounds_with_holes").asInt());
        // Each partition's pages go to its primary at the backup (but while the link learns where that is again).
        long pages = 0;
        long byPrimary = 0;
        for (int i = 0; i < backup.nodes(); i++) {
            JsonNode own = backup.admin(List.of(i)).backup();
            pages += own.path("pages_taken_here").asLong();
            byPrimary += own.path("pages_taken_here_as_primary").asLong();
        }
        System.out.printf("backup site: of %d pages taken since the backup nodes last started, %d by the partition's primary%n", pages,
                byPrimary);
        assertThat(byPrimary).as("pages taken by their partition's primary, of %d", pages).isGreaterThan(pages / 2);

        assertThat(backup.s3(2).getObjectAsBytes(r -> r.bucket("counter").key("latest")).asUtf8String())
                .as("the key written again and again").isEqualTo(String.format("n-%06d", total - 1));

        List<Double> sorted;
        synchronized (lags) {
            sorted = lags.stream().sorted().toList();
        }
        assertThat(sorted).as("lag samples from the primary's status").isNotEmpty();
        System.out.printf("backup site: lag in the primary's status over %d samples: min %.1f s, median %.1f s, max %.1f s%n", sorted.size(),
                sorted.getFirst(), sorted.get(sorted.size() / 2), sorted.getLast());

        // The states of the key written again and again that no round shown needs are dropped.
        String latestKey = null;
        for (JsonNode k : backup.admin().backupVisible("i/").path("keys")) {
            if (k.path("key").asText().endsWith("/latest")) {
                latestKey = k.path("key").asText();
            }
        }
        assertThat(latestKey).as("the key written again and again, shown").isNotNull();
        String latestRecord = latestKey;
        Awaitility.await("old states of " + latestRecord + " dropped").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> backup.admin().backupStates(latestRecord).path("states").size() <= 2);

        Awaitility.await("the bucket's tags taken by the backup").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> backup.s3(1).getBucketTagging(r -> r.bucket("counter")).tagSet().stream()
                        .anyMatch(t -> t.key().equals("site") && t.value().equals("primary")));
        Awaitility.await("the bucket deleted at the primary dropped by the backup").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500)).until(() -> {
                    try {
                        backup.s3(2).headBucket(r -> r.bucket("gone"));
                        return false;
                    } catch (software.amazon.awssdk.services.s3.model.NoSuchBucketException e) {
                        return true;
                    }
                });

        // The primary's nodes start again: each walks its copies in its first rounds (what came to it
        // from peers before is not known), but sends the keys the backup holds as held, without bytes.
        long[] before = backupCounters();
        long roundBefore = backup.admin().backup().path("visible_round").asLong();
        for (int i = 0; i < primary.nodes(); i++) {
            primary.kill(i);
        }
        for (int i = 0; i < primary.nodes(); i++) {
            primary.startAgain(i);
        }
        for (int i = 0; i < primary.nodes(); i++) {
            primary.awaitUp(i, TestCluster.READY_TIMEOUT);
        }
        String marker = "after-restart";
        Awaitility.await("a write after the primary's restart").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> primary.s3(0).putObject(r -> r.bucket("counter").key(marker), RequestBody.fromString("x")) != null);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            try {
                if (backup.s3(0).getObjectAsBytes(r -> r.bucket("counter").key(marker)).asUtf8String().equals("x")) {
                    break;
                }
            } catch (software.amazon.awssdk.core.exception.SdkException e) {
                // not shown yet
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the write after the primary's restart not shown at the backup within 120 s; the backup: "
                        + backup.admin().backup() + "; the primary's status: " + primary.admin().status().path("backup_site"));
            }
            Thread.sleep(500);
        }
        long[] after = backupCounters();
        long heldChecked = after[1] - before[1];
        long recordsTaken = after[0] - before[0];
        System.out.printf("backup site: after the primary's nodes started again (round %d shown before), the backup took %d records "
                + "whole and checked %d keys held, of which %d were not (%d writes in all)%n", roundBefore, recordsTaken, heldChecked,
                after[2] - before[2], total);
        assertThat(heldChecked).as("keys the restarted primaries sent as held").isGreaterThanOrEqualTo(total);
        assertThat(recordsTaken).as("records sent whole after the restart, against %d held", heldChecked).isLessThan(heldChecked / 10);
        assertThat(shown(new AtomicLong()).size()).as("writes shown after the restart").isIn(total, total + 1);

        // A bucket gone from the primary's list is dropped only once the round shown has none of its objects.
        StringBuilder pools = new StringBuilder();
        for (JsonNode pool : backup.admin().status().path("pools")) {
            pools.append(pools.isEmpty() ? "" : ",").append(String.format("{\"name\": \"%s\", \"policy\": \"%s\", \"partitions\": %d}",
                    pool.path("name").asText(), pool.path("policy").asText(), pool.path("partitions").asInt()));
        }
        JsonNode taken = backup.admin().sendBackupBuckets("{\"buckets\": [], \"pools\": [" + pools + "], \"epoch\": 1000000}");
        assertThat(taken.path("waiting").toString()).as("what the backup did with a list without the counter bucket: %s", taken)
                .contains("\"counter\"");
        assertThat(taken.path("dropped").toString()).doesNotContain("\"counter\"");
        assertThat(backup.s3(0).headBucket(r -> r.bucket("counter"))).isNotNull();

        // Writes to the backup are refused until it is promoted.
        S3Client reader = backup.s3(1);
        assertThatThrownBy(() -> reader.putObject(r -> r.bucket("counter").key("early"), RequestBody.fromString("no")))
                .isInstanceOfSatisfying(software.amazon.awssdk.services.s3.model.S3Exception.class,
                        e -> assertThat(e.statusCode()).isEqualTo(403));

        // The chunks of the large object, as the backup shows them before it is promoted (once promoted, its first up node
        // settles it within seconds, and every state, these too, becomes a record of its own).
        List<String> bigChunks = new java.util.ArrayList<>();
        backup.admin().backupVisible("c/").path("keys").forEach(k -> bigChunks.add(k.path("key").asText()));
        assertThat(bigChunks).as("chunk records shown").isNotEmpty();

        // The primary site is lost; the backup is promoted and serves every write up to its last round, and takes new ones.
        for (int i = 0; i < primary.nodes(); i++) {
            primary.kill(i);
        }
        JsonNode promoted = backup.admin().promoteBackup();
        assertThat(promoted.path("stage").asText()).isEqualTo("promoted");
        long finalRound = promoted.path("round").asLong();
        Awaitility.await("writes taken once promoted").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> reader.putObject(r -> r.bucket("counter").key("n-999999"), RequestBody.fromString("after")) != null);
        String first = String.format("n-%06d", 0);
        assertThat(reader.getObjectAsBytes(r -> r.bucket("counter").key(first)).asUtf8String()).isEqualTo("write " + first);
        reader.deleteObject(r -> r.bucket("counter").key(first));
        assertThatThrownBy(() -> reader.getObjectAsBytes(r -> r.bucket("counter").key(first)))
                .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
        String second = String.format("n-%06d", 1);
        reader.putObject(r -> r.bucket("counter").key(second), RequestBody.fromString("overwritten"));
        assertThat(reader.getObjectAsBytes(r -> r.bucket("counter").key(second)).asUtf8String()).isEqualTo("overwritten");
        TreeSet<Integer> afterPromotion = listed(2);
        assertThat(afterPromotion).as("listed after the promotion").isNotNull();
        assertThat(afterPromotion).doesNotContain(0).contains(1, 999_999);
        assertThat(afterPromotion.size()).as("every write of round %d but the one deleted, and the new one", finalRound)
                .isEqualTo(listedAtEnd.size() - 1 + 1);
        assertThat(backup.admin().backup().path("stage").asText()).as("promoted, and settled already or not yet").isIn("promoted", "settled");

        // Written again on the promoted site, the object of chunks supersedes the state shown: its chunks are freed.
        assertThat(reader.getObjectAsBytes(r -> r.bucket("counter").key("big")).asByteArray()).isEqualTo(big);
        reader.putObject(r -> r.bucket("counter").key("big"), RequestBody.fromString("small now"));
        Awaitility.await("the chunks of the object written again freed").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    for (String chunk : bigChunks) {
                        if (!backup.admin().backupStates(chunk).path("states").isEmpty()) {
                            return false;
                        }
                    }
                    return true;
                });
        assertThat(reader.getObjectAsBytes(r -> r.bucket("counter").key("big")).asUtf8String()).isEqualTo("small now");
        // The first up node settles the promoted site: each key not written since gets its state shown as its own record, and
        // every state goes. What the site serves stays.
        Awaitility.await("the promoted site settled").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                .until(() -> backup.admin().backup().path("stage").asText().equals("settled"));
        long settledHere = 0;
        for (int i = 0; i < backup.nodes(); i++) {
            JsonNode b = backup.admin(List.of(i)).backup();
            if (b.path("settled_here").asBoolean()) {
                settledHere = b.path("states_settled_here").asLong();
                System.out.printf("backup site: the promoted site settled by node %d in %d ms, %d keys written as their own records%n", i,
                        b.path("settle_millis_here").asLong(), settledHere);
            }
        }
        assertThat(settledHere).as("keys written as their own records by the node that settled the site").isPositive();
        JsonNode latestStates = backup.admin().backupStates(latestRecord).path("states");
        assertThat(latestStates.isEmpty()).as("states of %s left: %s", latestRecord, latestStates).isTrue();
        for (String chunk : bigChunks) {
            assertThat(backup.admin().backupStates(chunk).path("states").isEmpty()).as("states of chunk %s", chunk).isTrue();
        }
        assertThat(listed(2)).isEqualTo(afterPromotion);
        assertThat(reader.getObjectAsBytes(r -> r.bucket("counter").key("latest")).asUtf8String())
                .isEqualTo(String.format("n-%06d", total - 1));
        String third = String.format("n-%06d", 2);
        assertThat(reader.getObjectAsBytes(r -> r.bucket("counter").key(third)).asUtf8String()).isEqualTo("write " + third);
        // An old primary still sending its buckets changes nothing here any more: not even a list without them drops one.
        assertThatThrownBy(() -> backup.admin().sendBackupBuckets("{\"buckets\": [], \"pools\": [], \"epoch\": 1000000}"))
                .hasMessageContaining("409");
        assertThat(reader.headBucket(r -> r.bucket("counter"))).isNotNull();

        failBack(afterPromotion);
    }

    /**
     * Fails back: the settled site's nodes start again as a primary site's (no {@code backup_site},
     * cuts every 500 ms), and ship to a backup site made anew where the old primary was; it comes to
     * show everything the promoted site has, the keys taken from the old primary and those written
     * since alike.
     */
    private static void failBack(TreeSet<Integer> afterPromotion) throws Exception {
        Map<Integer, DevCluster.NodeSettings> backupNodes = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            backupNodes.put(i, DevCluster.NodeSettings.backupSiteNode());
        }
        rebuilt = TestCluster.startWithPartitions(3, PARTITIONS, backupNodes);
        backup.runAsPrimarySite(500);
        for (int i = 0; i < backup.nodes(); i++) {
            backup.startAgain(i);
        }
        for (int i = 0; i < backup.nodes(); i++) {
            backup.awaitUp(i, TestCluster.READY_TIMEOUT);
        }
        List<String> endpoints = new ArrayList<>();
        for (int i = 0; i < rebuilt.nodes(); i++) {
            endpoints.add(rebuilt.endpoint(i));
        }
        long linkedAt = System.nanoTime();
        JsonNode linked = Awaitility.await("the former backup site links a backup site of its own").atMost(Duration.ofSeconds(30))
                .ignoreExceptions().until(() -> backup.admin().replicateAdd(endpoints, rebuilt.accessKey() + ":" + rebuilt.secretKey(), null),
                        j -> j.path("linked").asBoolean());
        assertThat(linked.path("buckets_not_shipped").isEmpty()).isTrue();
        S3Client promoted = backup.s3(0);
        promoted.putObject(r -> r.bucket("counter").key("n-999998"), RequestBody.fromString("after the fail-back link"));
        TreeSet<Integer> expected = new TreeSet<>(afterPromotion);
        expected.add(999_998);
        // Through every node: each reads the round shown on its own, every 500 ms.
        Awaitility.await("the rebuilt site shows every key of the promoted one").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(() -> {
                    for (int i = 0; i < rebuilt.nodes(); i++) {
                        TreeSet<Integer> out = new TreeSet<>();
                        rebuilt.s3(i).listObjectsV2Paginator(r -> r.bucket("counter")).contents()
                                .stream().filter(o -> o.key().startsWith("n-")).forEach(o -> out.add(Integer.parseInt(o.key().substring(2))));
                        if (!out.equals(expected)) {
                            return false;
                        }
                    }
                    return true;
                });
        System.out.printf("backup site: the promoted site's %d objects of the counter bucket shown in full at the new"
                + " backup site %.1f s after the link, each key whole (the new backup held none)%n",
                expected.size() + 2, (System.nanoTime() - linkedAt) / 1e9);
        S3Client copy = rebuilt.s3(2);
        for (String key : List.of("n-000001", "n-000002", "n-999998", "latest", "big")) {
            assertThat(copy.getObjectAsBytes(r -> r.bucket("counter").key(key)).asByteArray()).as(key)
                    .isEqualTo(promoted.getObjectAsBytes(r -> r.bucket("counter").key(key)).asByteArray());
        }
        assertThat(copy.getObjectAsBytes(r -> r.bucket("counter").key("n-000001")).asUtf8String()).isEqualTo("overwritten");
        assertThat(copy.getObjectAsBytes(r -> r.bucket("counter").key("big")).asUtf8String()).isEqualTo("small now");
        assertThat(rebuilt.s3(0).getBucketTagging(r -> r.bucket("counter")).tagSet())
                .as("the bucket's settings, sent on").anyMatch(t -> t.key().equals("site") && t.value().equals("primary"));
    }
}
