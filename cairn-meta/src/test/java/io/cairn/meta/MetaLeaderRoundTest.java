package io.cairn.meta;

import static io.cairn.meta.MetaFixtures.node;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.NodeStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MetaLeaderRoundTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long START = 1_000 * SECOND;
    static final MetaLeaderRound.Settings SETTINGS = new MetaLeaderRound.Settings(60_000, 0.9);

    private static MetaState state(List<String> up, List<String> down, Map<String, List<String>> suspects) {
        List<NodeInfo> nodes = new ArrayList<>();
        up.forEach(id -> nodes.add(node(id).withState(NodeState.UP).withIn(true)));
        down.forEach(id -> nodes.add(node(id).withState(NodeState.DOWN).withIn(true)));
        ClusterMap map = new ClusterMap(5, "c", nodes, List.of(), List.of(), List.of());
        Map<String, NodeStats> stats = new TreeMap<>();
        List<String> all = new ArrayList<>(up);
        all.addAll(down);
        for (String id : all) {
            stats.put(id, new NodeStats(id, 1L << 30, 0, false, 0, 0, 5, 0, 0, suspects.getOrDefault(id, List.of()),
                    all.stream().filter(x -> !x.equals(id)).toList()));
        }
        return new MetaState(map, stats);
    }

    @Test
    void aSilentNodeAndAnUnreachableOneAreBothMarkedDownEachOnce() {
        MetaState s = state(List.of("a", "b", "c", "d"), List.of(), Map.of("a", List.of("d"), "b", List.of("d"), "c", List.of("d")));
        FailureDetector detector = new FailureDetector(10 * SECOND, START);
        for (String id : List.of("a", "b", "d")) {
            detector.heartbeat(id, START + 9 * SECOND);
        }
        // c is silent to the leader for the whole down-after; d heartbeats but its peers cannot reach it.
        List<MetaLeaderRound.Step> steps = MetaLeaderRound.decide(s, detector, START + 10 * SECOND, SETTINGS);
        assertThat(steps).extracting(MetaLeaderRound.Step::command)
                .containsExactly(new MetaCommand.MarkDown("c"), new MetaCommand.MarkDown("d"));
        assertThat(steps.get(1).why()).contains("still heartbeats").contains("[a, b, c]");
    }

    @Test
    void aQuietHealthyClusterNeedsNothing() {
        MetaState s = state(List.of("a", "b", "c"), List.of(), Map.of());
        FailureDetector detector = new FailureDetector(10 * SECOND, START);
        for (String id : List.of("a", "b", "c")) {
            detector.heartbeat(id, START + SECOND);
        }
        assertThat(MetaLeaderRound.decide(s, detector, START + 2 * SECOND, SETTINGS)).isEmpty();
    }

    @Test
    void aNodeThatIsFirstToNameTwoPeersThatDiedIsNotTakenForCutOff() {
        // a and d were killed two seconds ago; c has already named both (it pings a, b and d),
        // b has not yet. c suspects most of the peers it pings, as a node whose outbound traffic
        // is lost would, but the leader does not hear a or d either: they are the ones gone.
        MetaState s = state(List.of("a", "b", "c", "d"), List.of(), Map.of("c", List.of("a", "d")));
        FailureDetector detector = new FailureDetector(10 * SECOND, START);
        for (String id : List.of("a", "b", "c", "d")) {
            detector.heartbeat(id, START + SECOND);
        }
        for (String id : List.of("b", "c")) {
            detector.heartbeat(id, START + 3 * SECOND);
        }
        assertThat(MetaLeaderRound.decide(s, detector, START + 3 * SECOND, SETTINGS)).isEmpty();

        // The same report while a and d still heartbeat: c is the one that cannot reach the others.
        for (String id : List.of("a", "d")) {
            detector.heartbeat(id, START + 3 * SECOND);
        }
        assertThat(MetaLeaderRound.decide(s, detector, START + 3 * SECOND, SETTINGS)).extracting(MetaLeaderRound.Step::command)
                .containsExactly(new MetaCommand.MarkDown("c"));
    }

    @Test
    void aNewLeaderJudgesPeerReportsOnlyOnceItCanHaveHeardEveryNode() {
        // A leader that just took over has heard only d, which cannot reach a or b: the others, not heard yet, are quiet
        // only because the leader just came. It waits the quiet time (a quarter of down-after here) before it judges.
        MetaState s = state(List.of("a", "b", "c", "d"), List.of(), Map.of("d", List.of("a", "b")));
        FailureDetector detector = new FailureDetector(4 * SECOND, START);
        detector.restart(START + 20 * SECOND);
        detector.heartbeat("d", START + 20 * SECOND + SECOND / 2);
        assertThat(MetaLeaderRound.decide(s, detector, START + 20 * SECOND + SECOND / 2, SETTINGS)).isEmpty();
        for (String id : List.of("a", "b", "c", "d")) {
            detector.heartbeat(id, START + 21 * SECOND);
        }
        assertThat(MetaLeaderRound.decide(s, detector, START + 21 * SECOND, SETTINGS)).extracting(MetaLeaderRound.Step::command)
                .containsExactly(new MetaCommand.MarkDown("d"));
    }
}
