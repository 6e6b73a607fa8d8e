package io.cairn.testkit;

import static io.cairn.testkit.StatusChecks.metric;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.server.dev.DevCluster;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Three real node processes scrubbing every 2 s: a byte flipped in a copy that no request reads
 * (a chunk's copy on a holder other than its primary) is found by the scrub and rewritten from
 * another holder, and the node's metrics count it.
 */
@ExtendWith(NodeLogsOnFailure.class)
class ScrubTest {

    static final String BUCKET = "scrubbed";
    static final String KEY = "large/chunked";
    static final long SIZE = 10L << 20;
    static final long SCRUB_PAUSE_MILLIS = 2_000;

    static TestCluster cluster;
    static long seed;

    @BeforeAll
    static void start() throws Exception {
        seed = Long.getLong("cairn.seed", System.nanoTime());
        System.out.println("ScrubTest seed=" + seed + " (reproduce: ./mvnw -pl cairn-testkit test -Dtest=ScrubTest -Dcairn.seed=" + seed + ")");
        Map<Integer, DevCluster.NodeSettings> settings = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            settings.put(i, DevCluster.NodeSettings.scrubPause(SCRUB_PAUSE_MILLIS));
        }
        cluster = TestCluster.start(3, TestCluster.HEARTBEAT_INTERVAL_MILLIS, TestCluster.DOWN_AFTER_MILLIS, 0, settings);
        cluster.s3(0).createBucket(b -> b.bucket(BUCKET));
        cluster.s3(0).putObject(b -> b.bucket(BUCKET).key(KEY), RequestBody.fromInputStream(ObjectData.stream(seed, SIZE), SIZE));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aDamagedCopyNobodyReadsIsFoundAndRewritten() throws Exception {
        int chunkIndex = 0;
        JsonNode chunk = cluster.admin().localObject(cluster.endpoint(0), BUCKET, KEY).path("chunks").get(chunkIndex);
        String mirrorId = chunk.path("holders").get(1).asText();
        int mirror = cluster.nodeIndex(mirrorId);
        String endpoint = cluster.endpoint(mirror);
        JsonNode own = cluster.admin().localObject(endpoint, BUCKET, KEY).path("chunks").get(chunkIndex);
        int size = own.path("size").asInt();
        byte[] expected;
        try (var in = ObjectData.stream(seed, SIZE)) {
            expected = in.readNBytes(size);
        }
        double repairedBefore = metric(cluster.admin().metrics(endpoint), "cairn_scrub_repaired_total");
        System.out.printf("damaging chunk %d of %s on holder node %d (%s), not its primary %s%n", chunkIndex, KEY, mirror, mirrorId,
                chunk.path("holders").get(0).asText());
        CorruptionRepairTest.flipByte(own.path("location"), size / 3);
        long flippedAt = System.nanoTime();

        Awaitility.await("the scrub of node " + mirror + " rewrites the damaged copy").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> Arrays.equals(cluster.admin().localChunk(endpoint, BUCKET, KEY, chunkIndex), expected));
        System.out.printf("copy rewritten %.1f s after the flip%n", (System.nanoTime() - flippedAt) / 1e9);
        String metrics = cluster.admin().metrics(endpoint);
        assertThat(metric(metrics, "cairn_scrub_damaged_total")).as("damaged copies the scrub found").isGreaterThanOrEqualTo(1);
        assertThat(metric(metrics, "cairn_scrub_repaired_total")).as("copies the scrub rewrote").isGreaterThan(repairedBefore);
        assertThat(metric(metrics, "cairn_scrub_bytes_total")).as("bytes the scrub checked").isGreaterThanOrEqualTo(size);
    }
}
