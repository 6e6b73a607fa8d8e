package io.cairn.meta;

import static io.cairn.meta.MetaFixtures.node;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailureDetectorTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long START = 5_000 * SECOND;

    private static ClusterMap map(NodeInfo... nodes) {
        return new ClusterMap(3, "c", List.of(nodes), List.of(), List.of(), List.of());
    }

    private static NodeInfo up(String id) {
        return node(id).withState(NodeState.UP).withIn(true);
    }

    private static NodeInfo down(String id) {
        return node(id).withState(NodeState.DOWN).withIn(true);
    }

    @Test
    void nobodyIsReportedBeforeAFullPeriodSinceStart() {
        FailureDetector detector = new FailureDetector(10 * SECOND, START);
        ClusterMap map = map(up("n1"), up("n2"));
        assertThat(detector.tick(START, map)).isEmpty();
        assertThat(detector.tick(START + 10 * SECOND - 1, map)).isEmpty();
        assertThat(detector.tick(START + 10 * SECOND, map)).containsExactly("n1", "n2");
    }

    @Test
    void heartbeatsKeepANodeAlive() {
        FailureDetector detector = new FailureDetector(10 * SECOND, START);
        ClusterMap map = map(up("n1"), up("n2"));
        detector.heartbeat("n1", START + 8 * SECOND);
        assertThat(detector.tick(START + 12 * SECOND, map)).containsExactly("n2");
        assertThat(detector.tick(START + 18 * SECOND - 1, map)).containsExactly("n2");
        assertThat(detector.tick(START + 18 * SECOND, map)).containsExactly("n1", "n2");
    }

    @Test
    void heartbeatsFromBeforeStartCountFromStart() {
        FailureDetector detector = new FailureDetector(10 * SECOND, START);
        detector.heartbeat("n1", START - 60 * SECOND);
        assertThat(detector.tick(START + 9 * SECOND, map(up("n1")))).isEmpty();
        assertThat(detector.tick(START + 10 * SECOND, map(up("n1")))).containsExactly("n1");
    }

    @Test
    void anOlderHeartbeatDoesNotRewindTheLastOne() {
        FailureDetector detector = new FailureDetector(10 * SECOND, START);
        detector.heartbeat("n1", START + 9 * SECOND);
        detector.heartbeat("n1", START + 2 * SECOND);
        assertThat(detector.tick(START + 15 * SECOND, map(up("n1")))).isEmpty();
    }

    @Test
    void downNodesAndNodesOutsideTheMapAreNotReported() {
        FailureDetector detector = new FailureDetector(10 * SECOND, START);
        detector.heartbeat("gone", START);
        assertThat(detector.tick(START + 60 * SECOND, map(down("n1"), up("n2")))).containsExactly("n2");
    }

    @Test
    void restartGivesEveryoneAFreshPeriod() {
        FailureDetector detector = new FailureDetector(10 * SECOND, START);
        ClusterMap map = map(up("n1"));
        assertThat(detector.tick(START + 30 * SECOND, map)).containsExactly("n1");
        detector.restart(START + 30 * SECOND);
        assertThat(detector.tick(START + 39 * SECOND, map)).isEmpty();
        assertThat(detector.tick(START + 40 * SECOND, map)).containsExactly("n1");
    }

    @Test
    void worksAcrossNanoTimeOverflow() {
        long start = Long.MAX_VALUE - 5 * SECOND;
        FailureDetector detector = new FailureDetector(10 * SECOND, start);
        detector.heartbeat("n1", start + 4 * SECOND);
        ClusterMap map = map(up("n1"));
        assertThat(detector.tick(start + 13 * SECOND, map)).isEmpty();
        assertThat(detector.tick(start + 14 * SECOND, map)).containsExactly("n1");
    }

    @Test
    void refusesANonPositivePeriod() {
        assertThatThrownBy(() -> new FailureDetector(0, START)).hasMessageContaining("downAfterNanos");
    }

    /** Heartbeats from every node in {@code alive} at {@code at}, each naming {@code suspects}. */
    private static void beat(FailureDetector d, long at, List<String> alive, List<String> suspects) {
        for (String id : alive) {
            d.heartbeat(id, at);
            d.suspicions(id, suspects, at);
        }
    }

    @Test
    void twoSuspectingPeersAndHalfTheSilenceMarkANodeDown() {
        FailureDetector d = new FailureDetector(10 * SECOND, START);
        ClusterMap map = map(up("n1"), up("n2"), up("n3"), up("n4"));
        beat(d, START + SECOND, List.of("n1", "n2", "n3", "n4"), List.of());
        // n4 goes silent; n1 alone suspects it first.
        d.suspicions("n1", List.of("n4"), START + 3 * SECOND);
        beat(d, START + 5 * SECOND, List.of("n2", "n3"), List.of());
        d.heartbeat("n1", START + 5 * SECOND);
        assertThat(d.tick(START + 6 * SECOND + 1, map)).as("one suspecting peer is not enough").isEmpty();
        d.suspicions("n2", List.of("n4"), START + 6 * SECOND);
        assertThat(d.suspectedBy("n4", START + 6 * SECOND, map)).containsExactly("n1", "n2");
        assertThat(d.tick(START + 6 * SECOND - 1, map)).as("less than half the silence").isEmpty();
        assertThat(d.tick(START + 6 * SECOND, map)).containsExactly("n4");
    }

    @Test
    void peersAloneNeverMarkDownANodeTheLeaderHears() {
        FailureDetector d = new FailureDetector(10 * SECOND, START);
        ClusterMap map = map(up("n1"), up("n2"), up("n3"));
        for (long t = 1; t <= 30; t++) {
            beat(d, START + t * SECOND, List.of("n1", "n2"), List.of("n3"));
            d.heartbeat("n3", START + t * SECOND);
            assertThat(d.tick(START + t * SECOND, map)).as("second %d", t).isEmpty();
        }
    }

    @Test
    void suspicionsTakenBackStaleOrFromDownNodesDoNotCount() {
        FailureDetector d = new FailureDetector(10 * SECOND, START);
        beat(d, START + SECOND, List.of("n1", "n2"), List.of("n3"));
        beat(d, START + 2 * SECOND, List.of("n1"), List.of()); // n1 hears n3 again
        ClusterMap map = map(up("n1"), up("n2"), up("n3"), up("n4"));
        assertThat(d.suspectedBy("n3", START + 2 * SECOND, map)).containsExactly("n2");
        assertThat(d.suspectedBy("n3", START + 11 * SECOND, map)).as("n2's word is older than the down-after period").isEmpty();
        ClusterMap n2Down = map(up("n1"), down("n2"), up("n3"), up("n4"));
        assertThat(d.suspectedBy("n3", START + 2 * SECOND, n2Down)).as("a down reporter").isEmpty();
        d.suspicions("n3", List.of("n3"), START + 3 * SECOND);
        assertThat(d.suspectedBy("n3", START + 3 * SECOND, map)).as("a node does not suspect itself").containsExactly("n2");
    }

    @Test
    void inATwoNodeClusterTheOtherNodesWordIsEnough() {
        FailureDetector d = new FailureDetector(10 * SECOND, START);
        ClusterMap map = map(up("n1"), up("n2"));
        beat(d, START, List.of("n1", "n2"), List.of());
        beat(d, START + 4 * SECOND, List.of("n1"), List.of("n2"));
        assertThat(d.tick(START + 5 * SECOND, map)).containsExactly("n2");
    }
}
