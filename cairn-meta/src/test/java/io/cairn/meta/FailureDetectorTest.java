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
}
