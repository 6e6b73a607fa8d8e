package io.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.NodeStats;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The capacity check: mark out only what the survivors can hold, else degraded mode with a reason. */
class ReprotectionCheckTest {

    private static final long GIB = 1L << 30;

    private static ClusterMap map(int nodes, String downId, boolean downIn, StoragePolicy policy) {
        List<NodeInfo> list = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            String id = "n" + i;
            list.add(new NodeInfo(id, "site", "zone-" + i, "127.0.0.1:" + (9000 + i), "127.0.0.1:" + (9100 + i), null, 10 * GIB,
                    id.equals(downId) ? NodeState.DOWN : NodeState.UP, !id.equals(downId) || downIn));
        }
        return new ClusterMap(7, "c", list, List.of(new PoolInfo("rep3", policy, 64)), List.of(), List.of());
    }

    private static Map<String, NodeStats> used(int nodes, long bytesEach) {
        Map<String, NodeStats> stats = new HashMap<>();
        for (int i = 0; i < nodes; i++) {
            stats.put("n" + i, new NodeStats("n" + i, 10 * GIB, bytesEach, false, 0, 0));
        }
        return stats;
    }

    @Test
    void aNodeDownLongEnoughIsMarkedOutWhenTheSurvivorsHaveRoom() {
        ClusterMap m = map(5, "n3", true, StoragePolicy.replicated(3));
        ReprotectionCheck.Decision d = ReprotectionCheck.decide(m, used(5, 2 * GIB), Set.of("n3"), 0.9);
        assertThat(d.markOut()).containsExactly("n3");
        assertThat(d.degradedReason()).isNull();
    }

    @Test
    void aNodeNotDownLongEnoughIsLeftAlone() {
        ClusterMap m = map(5, "n3", true, StoragePolicy.replicated(3));
        ReprotectionCheck.Decision d = ReprotectionCheck.decide(m, used(5, 2 * GIB), Set.of(), 0.9);
        assertThat(d.markOut()).isEmpty();
        assertThat(d.degradedReason()).isNull();
    }

    @Test
    void tooFewNodesForFullRedundancyIsDegradedModeAndNothingIsMarkedOut() {
        ClusterMap m = map(3, "n2", true, StoragePolicy.replicated(3));
        ReprotectionCheck.Decision d = ReprotectionCheck.decide(m, used(3, GIB), Set.of("n2"), 0.9);
        assertThat(d.markOut()).isEmpty();
        assertThat(d.degradedReason()).contains("only 2 nodes are up and in").contains("needs 3").contains("n2");
        // the same before the down-out interval has passed
        assertThat(ReprotectionCheck.decide(m, used(3, GIB), Set.of(), 0.9).degradedReason()).contains("needs 3");
    }

    @Test
    void aClusterThatNeverHadEnoughNodesIsNotInDegradedMode() {
        ClusterMap small = map(2, "none", true, StoragePolicy.replicated(3));
        assertThat(ReprotectionCheck.decide(small, used(2, GIB), Set.of(), 0.9).degradedReason()).isNull();
    }

    @Test
    void survivorsWithoutRoomBelowTheFullRatioRefuseReprotection() {
        ClusterMap m = map(4, "n1", true, StoragePolicy.replicated(3));
        // each node 10 GiB, 8.5 GiB used: 3 survivors have 0.5 GiB each below 90%, the down node held 8.5 GiB
        long used = 8 * GIB + GIB / 2;
        ReprotectionCheck.Decision d = ReprotectionCheck.decide(m, used(4, used), Set.of("n1"), 0.9);
        assertThat(d.markOut()).isEmpty();
        assertThat(d.degradedReason()).contains("needs more room").contains("n1").contains("90%");
        // an empty new node brings the room back
        List<NodeInfo> nodes = new ArrayList<>(m.nodes());
        nodes.add(new NodeInfo("n9", "site", "zone-9", "127.0.0.1:9009", "127.0.0.1:9109", null, 10 * GIB, NodeState.UP, true));
        ClusterMap grown = m.next(nodes, m.pools(), m.buckets(), m.users());
        Map<String, NodeStats> stats = used(4, used);
        stats.put("n9", new NodeStats("n9", 10 * GIB, 0, false, 0, 0));
        ReprotectionCheck.Decision after = ReprotectionCheck.decide(grown, stats, Set.of("n1"), 0.9);
        assertThat(after.markOut()).containsExactly("n1");
        assertThat(after.degradedReason()).isNull();
    }

    @Test
    void fullNodesOfferNoRoom() {
        ClusterMap m = map(5, "n0", true, StoragePolicy.replicated(3));
        Map<String, NodeStats> stats = new HashMap<>();
        for (int i = 0; i < 5; i++) {
            stats.put("n" + i, new NodeStats("n" + i, 10 * GIB, GIB, true, 0, 0));
        }
        ReprotectionCheck.Decision d = ReprotectionCheck.decide(m, stats, Set.of("n0"), 0.9);
        assertThat(d.markOut()).isEmpty();
        assertThat(d.degradedReason()).contains("needs more room");
    }

    @Test
    void anErasureCodedPoolNeedsKPlusMNodes() {
        ClusterMap m = map(6, "n5", true, StoragePolicy.erasureCoded(4, 2));
        ReprotectionCheck.Decision d = ReprotectionCheck.decide(m, used(6, GIB), Set.of("n5"), 0.9);
        assertThat(d.markOut()).isEmpty();
        assertThat(d.degradedReason()).contains("needs 6");
    }

    @Test
    void theStateMachineMarksOutLeavesDegradedModeAndAHeartbeatBringsTheNodeBackIn() {
        ClusterMapStateMachine sm = new ClusterMapStateMachine();
        ClusterMap m = map(5, "n3", true, StoragePolicy.replicated(3));
        MetaState s = new MetaState(m, Map.of());
        MetaState out = sm.apply(s, new MetaCommand.MarkOut("n3")).state();
        assertThat(out.map().node("n3").orElseThrow().in()).isFalse();
        assertThat(out.map().epoch()).isEqualTo(m.epoch() + 1);
        assertThat(sm.apply(out, new MetaCommand.MarkOut("n3")).state()).as("marking out twice is a no-op").isSameAs(out);
        assertThat(sm.apply(out, new MetaCommand.MarkIn("n3")).state().map().node("n3").orElseThrow().in())
                .as("an operator marks a drained node in again").isTrue();
        assertThat(sm.apply(out, new MetaCommand.MarkIn("nope")).result().ok()).isFalse();

        MetaState degraded = sm.apply(out, new MetaCommand.SetDegradedMode("why")).state();
        assertThat(degraded.map().degradedReason()).isEqualTo("why");
        assertThat(degraded.map().next(degraded.map().nodes(), degraded.map().pools(), degraded.map().buckets(),
                degraded.map().users()).degradedReason()).as("other changes keep the reason").isEqualTo("why");
        MetaState clean = sm.apply(degraded, new MetaCommand.SetDegradedMode(null)).state();
        assertThat(clean.map().degradedReason()).isNull();

        MetaState back = sm.apply(clean, new MetaCommand.Heartbeat(new NodeStats("n3", 10 * GIB, 0, false, 0, 0))).state();
        NodeInfo n3 = back.map().node("n3").orElseThrow();
        assertThat(n3.isUp()).isTrue();
        assertThat(n3.in()).as("a node that comes back is in again").isTrue();
    }

    @Test
    void theDetectorTimesDownNodesFromWhenItFirstSeesThemDown() {
        FailureDetector fd = new FailureDetector(1_000, 0);
        ClusterMap m = map(5, "n3", true, StoragePolicy.replicated(3));
        assertThat(fd.downLongerThan(100, m, 5_000)).isEmpty();
        assertThat(fd.downLongerThan(5_099, m, 5_000)).isEmpty();
        assertThat(fd.downLongerThan(5_100, m, 5_000)).containsExactly("n3");
        fd.restart(6_000);
        assertThat(fd.downLongerThan(6_000, m, 5_000)).as("a new leader starts the clock afresh").isEmpty();
        ClusterMap out = map(5, "n3", false, StoragePolicy.replicated(3));
        assertThat(fd.downLongerThan(20_000, out, 5_000)).as("out nodes are not candidates").isEmpty();
    }
}
