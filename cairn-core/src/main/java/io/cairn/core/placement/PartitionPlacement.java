package io.cairn.core.placement;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.partition.PartitionId;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where one partition lives under one cluster map: its holders in placement order. The first
 * holder that is up is the primary; holders that are down keep their slot and count as missing
 * copies (or missing erasure-coded blocks, slot {@code i} holding block {@code i}).
 */
public record PartitionPlacement(PartitionId id, List<String> holders) {

    public PartitionPlacement {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(holders, "holders");
        holders = List.copyOf(holders);
        Set<String> seen = new HashSet<>();
        for (String holder : holders) {
            if (!seen.add(holder)) {
                throw new IllegalArgumentException("partition " + id + " lists holder '" + holder + "' twice: " + holders);
            }
        }
    }

    /** The first holder whose state in {@code map} is UP: the node responsible for the partition. */
    public Optional<String> primary(ClusterMap map) {
        Objects.requireNonNull(map, "map");
        return holders.stream().filter(h -> isUp(map, h)).findFirst();
    }

    /** The holders whose state in {@code map} is UP, in placement order. */
    public List<String> upHolders(ClusterMap map) {
        Objects.requireNonNull(map, "map");
        return holders.stream().filter(h -> isUp(map, h)).toList();
    }

    /** Whether {@code nodeId} is one of the holders. */
    public boolean holds(String nodeId) {
        return holders.contains(nodeId);
    }

    /** {@link #primary(ClusterMap)} against a precomputed set of up node ids. */
    Optional<String> primary(Set<String> upNodeIds) {
        return holders.stream().filter(upNodeIds::contains).findFirst();
    }

    private static boolean isUp(ClusterMap map, String nodeId) {
        return map.node(nodeId).map(NodeInfo::isUp).orElse(false);
    }
}
