package io.cairn.core.placement;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Cluster maps and comparisons for placement tests. */
final class TestMaps {

    static final long TERABYTE = 1_000_000_000_000L;

    private TestMaps() {
    }

    static NodeInfo node(String id, String site, String zone, long capacityBytes) {
        return new NodeInfo(id, site, zone, id + ":9000", id + ":9100", null, capacityBytes, NodeState.UP, true);
    }

    /** {@code count} nodes of equal capacity, dealt round-robin over sites, then zones within a site. */
    static List<NodeInfo> nodes(int count, int sites, int zonesPerSite) {
        List<NodeInfo> nodes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int site = i % sites;
            int zone = (i / sites) % zonesPerSite;
            nodes.add(node(String.format("node-%04d", i), "site-" + site, "zone-" + zone, TERABYTE));
        }
        return nodes;
    }

    static PoolInfo pool(String name, String policy, int partitions) {
        return new PoolInfo(name, StoragePolicy.parse(policy), partitions);
    }

    static ClusterMap map(long epoch, List<NodeInfo> nodes, PoolInfo... pools) {
        return new ClusterMap(epoch, "test-cluster", nodes, List.of(pools), List.of(), List.of());
    }

    static List<NodeInfo> replaced(List<NodeInfo> nodes, NodeInfo replacement) {
        return nodes.stream().map(n -> n.id().equals(replacement.id()) ? replacement : n).toList();
    }

    static List<NodeInfo> plus(List<NodeInfo> nodes, NodeInfo extra) {
        List<NodeInfo> all = new ArrayList<>(nodes);
        all.add(extra);
        return all;
    }

    /** Copies that {@code after} places on a node that did not hold them in {@code before}. */
    static long movedCopies(PlacementTable before, PlacementTable after, PoolInfo pool) {
        long moved = 0;
        for (int p = 0; p < pool.partitions(); p++) {
            PartitionId id = new PartitionId(pool.name(), p);
            Set<String> old = new HashSet<>(before.of(id).holders());
            moved += after.of(id).holders().stream().filter(h -> !old.contains(h)).count();
        }
        return moved;
    }
}
