package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.server.dev.DevCluster;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Consistent cuts on 3 real nodes taking a round every 200 ms ({@code cut_interval_millis}), the
 * protocol's rounds over gRPC and the meta service's Raft state: rounds are recorded while two
 * writers PUT through two nodes; with the third node SIGKILLed and marked down, no round is
 * recorded (a round needs every node that is in) while the writes go on; once it is back, rounds
 * are recorded again, and every acknowledged object reads back through it. The simulator checks
 * that each recorded cut is consistent ({@code SimulationTest}); this checks the wiring.
 */
@ExtendWith(NodeLogsOnFailure.class)
class CutsTest {

    static TestCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        Map<Integer, DevCluster.NodeSettings> settings = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            settings.put(i, DevCluster.NodeSettings.cutInterval(200));
        }
        cluster = TestCluster.start(3, TestCluster.HEARTBEAT_INTERVAL_MILLIS, TestCluster.DOWN_AFTER_MILLIS, 0, settings);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static JsonNode cuts() throws Exception {
        return cluster.admin().status().path("consistent_cuts");
    }

    @Test
    void roundsAreRecordedWhileEveryNodeIsUpAndWritesGoOnWithoutThem() throws Exception {
        S3Client s3 = cluster.s3(0);
        s3.createBucket(r -> r.bucket("cuts"));
        Map<String, String> written = new ConcurrentHashMap<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong acknowledged = new AtomicLong();
        Thread[] writers = new Thread[2];
        for (int w = 0; w < writers.length; w++) {
            int node = w;
            writers[w] = Thread.ofVirtual().start(() -> {
                S3Client c = cluster.s3(node);
                for (int i = 0; writing.get(); i++) {
                    String key = "w" + node + "/" + i;
                    String body = key + " at " + System.nanoTime();
                    try {
                        c.putObject(r -> r.bucket("cuts").key(key), RequestBody.fromString(body));
                        written.put(key, body);
                        acknowledged.incrementAndGet();
                    } catch (RuntimeException e) {
                        // a write refused while the cluster changes; the next one goes on
                    }
                }
            });
        }

        Awaitility.await("rounds recorded").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> cuts().path("last_recorded").asLong() >= 10);

        cluster.kill(2);
        StatusChecks.awaitStatus(cluster, "node 2 down", Duration.ofSeconds(40), Duration.ZERO,
                s -> "down".equals(StatusChecks.node(cluster, s, 2).path("state").asText()));
        long recordedWhileDown = cuts().path("last_recorded").asLong();
        long writesBefore = acknowledged.get();
        Thread.sleep(3_000);
        assertThat(cuts().path("last_recorded").asLong()).as("rounds recorded with a node that is in down").isEqualTo(recordedWhileDown);
        assertThat(acknowledged.get() - writesBefore).as("writes acknowledged in 3 s with the node down").isGreaterThan(10);

        cluster.restart(2);
        Awaitility.await("rounds recorded again once the node is back").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> cuts().path("last_recorded").asLong() >= recordedWhileDown + 5);

        writing.set(false);
        for (Thread t : writers) {
            t.join();
        }
        S3Client back = cluster.s3(2);
        for (Map.Entry<String, String> e : written.entrySet()) {
            assertThat(back.getObjectAsBytes(r -> r.bucket("cuts").key(e.getKey())).asUtf8String()).as(e.getKey()).isEqualTo(e.getValue());
        }
        System.out.printf("cuts: %d objects written, %d rounds recorded, rounds up to %d fenced%n", written.size(),
                cuts().path("last_recorded").asLong(), cuts().path("fenced_up_to").asLong());
    }
}
