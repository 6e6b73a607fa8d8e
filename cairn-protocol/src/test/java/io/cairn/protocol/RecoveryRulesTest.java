package io.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.placement.PartitionPlacement;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecoveryRulesTest {

    private static final PartitionId P = new PartitionId("p", 0);

    private static NodeInfo node(String id, NodeState state, boolean in) {
        return new NodeInfo(id, "s", "z", "127.0.0.1:1", "127.0.0.1:2", null, 1 << 30, state, in);
    }

    private static ClusterMap map(NodeInfo... nodes) {
        return new ClusterMap(7, "c", List.of(nodes), List.of(), List.of(), List.of());
    }

    @Test
    void goodCopiesAreSoughtAtUpHoldersFirstThenAtEveryOtherUpNode() {
        ClusterMap map = map(node("a", NodeState.UP, true), node("b", NodeState.DOWN, true), node("c", NodeState.UP, true),
                node("d", NodeState.UP, false), node("e", NodeState.UP, true));
        PartitionPlacement placement = new PartitionPlacement(P, List.of("c", "b", "a"));
        assertThat(RecoveryRules.copySources(map, placement, "a")).containsExactly("c", "d", "e");
        assertThat(RecoveryRules.copySources(map, placement, "e")).containsExactly("c", "a", "d");
    }

    @Test
    void aRecordWithNoGoodCopyIsLeftOutOnlyOnceNoNodeMayReturnWithOne() {
        assertThat(RecoveryRules.mayLeaveOutUnrecoverable(map(node("a", NodeState.UP, true), node("b", NodeState.DOWN, true))))
                .as("b is down but in: it may come back with a good copy").isFalse();
        assertThat(RecoveryRules.mayLeaveOutUnrecoverable(map(node("a", NodeState.UP, true), node("b", NodeState.DOWN, false))))
                .isTrue();
    }

    @Test
    void aFormerHolderOffersItsRecordsThenDropsItsCopyOnlyOnceTheyAreHandedOver() {
        PartitionStateMachine stray = new PartitionStateMachine("x", new Version(3, 9), Version.ZERO);
        stray.onMap(4, List.of("a", "b"));
        PartitionPlacement placement = new PartitionPlacement(P, List.of("a", "b"));

        assertThat(RecoveryRules.offersHandOver(stray, "x", false, new Version(3, 1))).isTrue();
        assertThat(RecoveryRules.offersHandOver(stray, "x", true, new Version(3, 1))).as("erasure-coded").isFalse();
        assertThat(RecoveryRules.offersHandOver(stray, "x", false, new Version(3, 9))).as("all handed over").isFalse();
        assertThat(RecoveryRules.mayDrop(placement, "x", false, new Version(3, 9), new Version(3, 1), stray, false)).isFalse();
        assertThat(RecoveryRules.mayDrop(placement, "x", false, new Version(3, 9), new Version(3, 9), stray, true))
                .as("a hand-over on its way").isFalse();
        assertThat(RecoveryRules.mayDrop(placement, "x", false, new Version(3, 9), new Version(3, 9), stray, false)).isTrue();
        assertThat(RecoveryRules.mayDrop(placement, "x", true, new Version(3, 9), Version.ZERO, null, false))
                .as("erasure-coded copies are not handed over").isTrue();

        PartitionStateMachine holder = new PartitionStateMachine("a", new Version(3, 9), Version.ZERO);
        holder.onMap(4, List.of("a", "b"));
        assertThat(RecoveryRules.offersHandOver(holder, "a", false, Version.ZERO)).as("the primary itself").isFalse();
        assertThat(RecoveryRules.mayDrop(placement, "a", false, new Version(3, 9), new Version(3, 9), holder, false))
                .as("a holder keeps its copy").isFalse();
    }
}
