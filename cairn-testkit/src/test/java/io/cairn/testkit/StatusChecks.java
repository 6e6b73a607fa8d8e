package io.cairn.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;

/** Waits on and reads the status document of a test cluster, for the self-healing tests. */
final class StatusChecks {

    private StatusChecks() {}

    /**
     * Polls the status until {@code condition} holds (without a break for {@code stableFor}); the
     * failure names what was awaited and the last status.
     */
    static JsonNode awaitStatus(TestCluster cluster, String what, Duration atMost, Duration stableFor, Predicate<JsonNode> condition) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        try {
            ConditionFactory poll = Awaitility.await(what).atMost(atMost).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptionsInstanceOf(IOException.class);
            if (!stableFor.isZero()) {
                poll = poll.during(stableFor);
            }
            poll.until(() -> {
                JsonNode s = cluster.admin().status();
                last.set(s);
                return condition.test(s);
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not " + what + " after " + atMost.toSeconds() + " s; last status: " + summary(last.get()), e);
        }
        return last.get();
    }

    /** Node {@code i}'s entry in a status document, found by its S3 address. */
    static JsonNode node(TestCluster cluster, JsonNode status, int i) {
        String address = cluster.dev().layout().publicAddress(i);
        for (JsonNode n : status.path("nodes")) {
            if (n.path("public_address").asText().equals(address)) {
                return n;
            }
        }
        throw new IllegalStateException("node " + i + " (" + address + ") is not in the status");
    }

    static int partitions(JsonNode status, String field) {
        return status.path("partitions").path(field).asInt(-1);
    }

    /** The parts of a status document that explain a self-healing failure. */
    static String summary(JsonNode status) {
        if (status == null) {
            return "(no status answered)";
        }
        StringBuilder s = new StringBuilder("epoch " + status.path("epoch").asLong() + ", partitions " + status.path("partitions")
                + ", degraded_mode " + status.path("degraded_mode") + ", capacity " + status.path("capacity") + ", nodes:");
        for (JsonNode n : status.path("nodes")) {
            s.append(" [").append(n.path("public_address").asText()).append(' ').append(n.path("state").asText())
                    .append(n.path("in").asBoolean() ? " in" : " out").append(" used ").append(n.path("used_bytes").asLong())
                    .append(" of ").append(n.path("capacity_bytes").asLong()).append(" held ").append(n.path("partitions_held").asInt())
                    .append(" primary ").append(n.path("partitions_primary").asInt()).append(']');
        }
        return s.toString();
    }

    /** The value of metric {@code name} (its first series) in a Prometheus text exposition. */
    static double metric(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no metric " + name));
    }
}
