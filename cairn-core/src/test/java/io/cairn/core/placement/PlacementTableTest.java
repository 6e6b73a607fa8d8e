package io.cairn.core.placement;

import static io.cairn.core.placement.TestMaps.map;
import static io.cairn.core.placement.TestMaps.nodes;
import static io.cairn.core.placement.TestMaps.pool;
import static io.cairn.core.placement.TestMaps.replaced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.partition.PartitionId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlacementTableTest {

    private final PlacementFunction placement = PlacementFunction.rendezvous();
    private final PoolInfo meta = pool("meta", "rep3", 32);
    private final PoolInfo data = pool("data", "ec4+2", 64);
    private final List<NodeInfo> nodes = nodes(9, 1, 3);

    @Test
    void holdsWhatTheFunctionSaysForEveryPartitionOfEveryPool() {
        ClusterMap map = map(5, nodes, meta, data);
        PlacementTable table = PlacementTable.compute(map, placement);
        assertThat(table.epoch()).isEqualTo(5);
        assertThat(table.map()).isSameAs(map);
        for (PoolInfo pool : List.of(meta, data)) {
            assertThat(table.pool(pool.name())).hasSize(pool.partitions());
            for (int p = 0; p < pool.partitions(); p++) {
                PartitionId id = new PartitionId(pool.name(), p);
                assertThat(table.of(id).id()).isEqualTo(id);
                assertThat(table.of(id).holders()).isEqualTo(placement.place(map, pool, p));
            }
        }
        assertThat(table.pool("nope")).isEmpty();
    }

    @Test
    void indexesNodesToTheirPartitionsInOrder() {
        ClusterMap map = map(1, nodes, meta, data);
        PlacementTable table = PlacementTable.compute(map, placement);
        int held = 0;
        int primaries = 0;
        for (NodeInfo node : nodes) {
            List<PartitionId> heldByNode = table.heldBy(node.id());
            assertThat(heldByNode).isSorted().doesNotHaveDuplicates();
            assertThat(heldByNode).allSatisfy(id -> assertThat(table.of(id).holders()).contains(node.id()));
            assertThat(table.primaryOf(node.id())).isSorted()
                    .allSatisfy(id -> assertThat(table.of(id).holders().getFirst()).isEqualTo(node.id()));
            held += heldByNode.size();
            primaries += table.primaryOf(node.id()).size();
        }
        assertThat(held).isEqualTo(meta.partitions() * 3 + data.partitions() * 6);
        assertThat(primaries).isEqualTo(meta.partitions() + data.partitions());
        assertThat(table.heldBy("stranger")).isEmpty();
        assertThat(table.primaryOf("stranger")).isEmpty();
    }

    @Test
    void downNodeKeepsItsPartitionsButIsNobodysPrimary() {
        NodeInfo victim = nodes.get(4);
        PlacementTable up = PlacementTable.compute(map(1, nodes, meta, data), placement);
        ClusterMap downMap = map(2, replaced(nodes, victim.withState(NodeState.DOWN)), meta, data);
        PlacementTable down = PlacementTable.compute(downMap, placement);
        assertThat(down.heldBy(victim.id())).isEqualTo(up.heldBy(victim.id())).isNotEmpty();
        assertThat(up.primaryOf(victim.id())).isNotEmpty();
        assertThat(down.primaryOf(victim.id())).isEmpty();
        for (PartitionId id : up.primaryOf(victim.id())) {
            List<String> holders = down.of(id).holders();
            assertThat(holders.getFirst()).isEqualTo(victim.id());
            assertThat(down.primaryOf(holders.get(1))).contains(id);
            assertThat(down.of(id).primary(downMap)).contains(holders.get(1));
        }
    }

    @Test
    void partitionWithAllHoldersDownHasNoPrimary() {
        List<NodeInfo> allDown = nodes(3, 1, 3).stream().map(n -> n.withState(NodeState.DOWN)).toList();
        ClusterMap map = map(1, allDown, meta);
        PlacementTable table = PlacementTable.compute(map, placement);
        PartitionPlacement first = table.of(new PartitionId("meta", 0));
        assertThat(first.holders()).hasSize(3);
        assertThat(first.primary(map)).isEmpty();
        assertThat(first.upHolders(map)).isEmpty();
        assertThat(allDown).allSatisfy(n -> assertThat(table.primaryOf(n.id())).isEmpty());
    }

    @Test
    void emptyClusterPlacesNothing() {
        PlacementTable table = PlacementTable.compute(map(0, List.of(), meta), placement);
        assertThat(table.of(new PartitionId("meta", 31)).holders()).isEmpty();
    }

    @Test
    void rejectsUnknownPartitionsNamingThem() {
        PlacementTable table = PlacementTable.compute(map(1, nodes, meta), placement);
        assertThatThrownBy(() -> table.of(new PartitionId("data", 0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no pool 'data'");
        assertThatThrownBy(() -> table.of(new PartitionId("meta", 32))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("meta/32").hasMessageContaining("0..31");
    }

    @Test
    void rejectsAMapWithAPoolListedTwice() {
        ClusterMap map = map(1, nodes, meta, pool("meta", "rep2", 8));
        assertThatThrownBy(() -> PlacementTable.compute(map, placement)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pool 'meta' twice");
    }

    @Test
    void rejectsAFunctionThatBreaksTheContract() {
        ClusterMap map = map(1, nodes, meta);
        NodeInfo outNode = nodes.get(0);
        ClusterMap withOut = map(1, replaced(nodes, outNode.withIn(false)), meta);
        assertThatThrownBy(() -> PlacementTable.compute(map, (m, pool, p) -> List.of("node-0001", "node-0001")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> PlacementTable.compute(map, (m, pool, p) -> List.of("node-0001", "ghost")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ghost");
        assertThatThrownBy(() -> PlacementTable.compute(withOut, (m, pool, p) -> List.of(outNode.id())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(outNode.id());
        assertThatThrownBy(() -> PlacementTable.compute(map, (m, pool, p) -> nodes.stream().map(NodeInfo::id).toList()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("at most 3");
    }

    @Test
    void partitionPlacementRejectsRepeatedHoldersAndCopiesItsList() {
        List<String> holders = new ArrayList<>(List.of("a", "b"));
        PartitionPlacement placement = new PartitionPlacement(new PartitionId("meta", 1), holders);
        holders.add("c");
        assertThat(placement.holders()).containsExactly("a", "b");
        assertThat(placement.holds("a")).isTrue();
        assertThat(placement.holds("c")).isFalse();
        assertThatThrownBy(() -> new PartitionPlacement(new PartitionId("meta", 1), List.of("a", "b", "a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("meta/1").hasMessageContaining("'a' twice");
    }
}
