package io.cairn.meta;

import static io.cairn.meta.MetaFixtures.node;
import static io.cairn.meta.MetaFixtures.pool;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.NodeStats;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When the cluster counts as settled, so that nodes may drop copies of partitions they no longer hold. */
class MetaStateTest {

    static final long EPOCH = 12;

    private static NodeInfo up(String id) {
        return node(id).withState(NodeState.UP).withIn(true);
    }

    private static ClusterMap map(String degradedReason, NodeInfo... nodes) {
        return new ClusterMap(EPOCH, "c", List.of(nodes), List.of(pool("rep3", "rep3", 8)), List.of(), List.of(), degradedReason);
    }

    private static NodeStats reported(String id, long epoch, int recovering) {
        return new NodeStats(id, 1L << 30, 0, false, recovering, 0, epoch);
    }

    private static Map<String, NodeStats> allCurrent(String... ids) {
        Map<String, NodeStats> stats = new HashMap<>();
        for (String id : ids) {
            stats.put(id, reported(id, EPOCH, 0));
        }
        return stats;
    }

    @Test
    void theWholeStateRoundTripsThroughJsonAsReadsAndSnapshotsCarryIt() {
        ClusterMap map = map(null, up("a"), up("b"), node("c").withIn(false)).withoutNode("c");
        MetaState state = new MetaState(map, allCurrent("a", "b"), Map.of("f".repeat(64), 123L));
        MetaState back = MetaJson.read(MetaJson.write(state), MetaState.class);
        assertThat(back).isEqualTo(state);
        assertThat(back.map().removed()).containsExactly("c");
        assertThat(back.joinTokens()).containsEntry("f".repeat(64), 123L);
    }

    @Test
    void settledWhenEveryNodeInIsUpOnTheCurrentMapWithNothingRecovering() {
        assertThat(new MetaState(map(null, up("a"), up("b"), up("c")), allCurrent("a", "b", "c")).settled()).isTrue();
    }

    @Test
    void nodesOutDoNotCountButNodesDownAndInDo() {
        NodeInfo deadOut = node("d").withState(NodeState.DOWN).withIn(false);
        assertThat(new MetaState(map(null, up("a"), up("b"), up("c"), deadOut), allCurrent("a", "b", "c")).settled())
                .as("a dead node that is out holds nothing").isTrue();
        NodeInfo deadIn = node("d").withState(NodeState.DOWN).withIn(true);
        assertThat(new MetaState(map(null, up("a"), up("b"), up("c"), deadIn), allCurrent("a", "b", "c", "d")).settled())
                .as("a down node still in").isFalse();
    }

    @Test
    void notSettledWhileAnythingRecoversOrFiguresAreOldOrDegraded() {
        Map<String, NodeStats> recovering = allCurrent("a", "b", "c");
        recovering.put("b", reported("b", EPOCH, 1));
        assertThat(new MetaState(map(null, up("a"), up("b"), up("c")), recovering).settled()).as("b catching up").isFalse();
        Map<String, NodeStats> old = allCurrent("a", "b", "c");
        old.put("c", reported("c", EPOCH - 1, 0));
        assertThat(new MetaState(map(null, up("a"), up("b"), up("c")), old).settled()).as("c on an older map").isFalse();
        assertThat(new MetaState(map(null, up("a"), up("b"), up("c")), allCurrent("a", "b")).settled()).as("c never reported").isFalse();
        assertThat(new MetaState(map("only 2 up", up("a"), up("b"), up("c")), allCurrent("a", "b", "c")).settled())
                .as("degraded mode").isFalse();
    }
}
