package io.cairn.testkit.sim;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.placement.PlacementTable;
import java.util.ArrayList;
import java.util.List;

/**
 * The map the tests that play one replica step by step start from: three up nodes in one site
 * and a pool {@code rep3} of one partition, {@link #P}.
 */
record ThreeNodes(ClusterMap map, PlacementTable placement) {

    static final PartitionId P = new PartitionId("rep3", 0);

    static ThreeNodes up() {
        List<NodeInfo> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            nodes.add(new NodeInfo("n" + i, "site1", "zone" + i, "n" + i + ":9000", "n" + i + ":9100", null, 1L << 30, NodeState.UP, true));
        }
        ClusterMap map = ClusterMap.empty().next(nodes, List.of(new PoolInfo("rep3", StoragePolicy.replicated(3), 1)), List.of(), List.of());
        return new ThreeNodes(map, PlacementTable.compute(map, Simulation.PLACEMENT));
    }

    /** {@link #P}'s up holders, its primary first. */
    List<String> holders() {
        return placement.of(P).upHolders(map);
    }

    long epoch() {
        return map.epoch();
    }

    /**
     * {@code map} saying, for each up holder of {@code p}, since when it has been one without a
     * break, as the meta service keeps it ({@link ClusterMap#upSince}); a holder not named has
     * been one since this map's epoch.
     */
    static ClusterMap withUpSince(ClusterMap map, PartitionId p, java.util.Map<String, Long> since) {
        List<String> up = PlacementTable.compute(map, Simulation.PLACEMENT).of(p).upHolders(map);
        int partitions = map.pool(p.pool()).orElseThrow().partitions();
        List<List<Long>> each = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            each.add(i == p.partition() ? up.stream().map(h -> since.getOrDefault(h, map.epoch())).toList() : List.of());
        }
        return map.withHoldersSince(map.holdersSince(), java.util.Map.of(p.pool(), each));
    }
}
