package io.cairn.core.placement;

import io.cairn.core.map.ActingSet;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.partition.PartitionId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The placement of every partition of every pool under one cluster map, computed once per epoch,
 * with indexes from each node to the partitions it holds and those it is primary of. Immutable.
 */
public final class PlacementTable {

    private final ClusterMap map;
    private final Map<String, List<PartitionPlacement>> byPool;
    private final Map<String, List<PartitionId>> heldBy;
    private final Map<String, List<PartitionId>> primaryOf;

    private PlacementTable(ClusterMap map, Map<String, List<PartitionPlacement>> byPool,
            Map<String, List<PartitionId>> heldBy, Map<String, List<PartitionId>> primaryOf) {
        this.map = map;
        this.byPool = byPool;
        this.heldBy = heldBy;
        this.primaryOf = primaryOf;
    }

    /**
     * Places every partition of every pool of {@code map} with {@code function}.
     *
     * @throws IllegalArgumentException if the map lists a pool twice (or the function rejects it)
     * @throws IllegalStateException    if the function returns a list that is too long, repeats a
     *                                  node, or names a node that is not an in-node of the map
     */
    public static PlacementTable compute(ClusterMap map, PlacementFunction function) {
        Objects.requireNonNull(map, "map");
        Objects.requireNonNull(function, "function");
        Set<String> inNodeIds = map.nodes().stream().filter(NodeInfo::in).map(NodeInfo::id).collect(Collectors.toSet());
        Set<String> upNodeIds = map.nodes().stream().filter(NodeInfo::isUp).map(NodeInfo::id).collect(Collectors.toSet());
        Map<String, List<PartitionPlacement>> byPool = new HashMap<>();
        Map<String, List<PartitionId>> heldBy = new HashMap<>();
        Map<String, List<PartitionId>> primaryOf = new HashMap<>();
        for (PoolInfo pool : map.pools()) {
            if (byPool.containsKey(pool.name())) {
                throw new IllegalArgumentException("cluster map epoch " + map.epoch() + " lists pool '" + pool.name() + "' twice");
            }
            List<PartitionPlacement> placements = new ArrayList<>(pool.partitions());
            for (int partition = 0; partition < pool.partitions(); partition++) {
                PartitionId id = new PartitionId(pool.name(), partition);
                Optional<ActingSet> acting = map.acting(pool.name(), partition);
                Optional<io.cairn.core.map.SlotPin> pin = map.pin(pool.name(), partition);
                PartitionPlacement placement = acting.isPresent() ? checkedOverride(id, acting.get().holders(), pool.policy().width() + 1, map)
                        : pin.isPresent() ? checkedOverride(id, pin.get().holders(), pool.policy().width(), map)
                        : checked(id, function.place(map, pool, partition), pool, inNodeIds);
                placements.add(placement);
                for (String holder : placement.holders()) {
                    heldBy.computeIfAbsent(holder, h -> new ArrayList<>()).add(id);
                }
                placement.primary(upNodeIds).ifPresent(p -> primaryOf.computeIfAbsent(p, h -> new ArrayList<>()).add(id));
            }
            byPool.put(pool.name(), List.copyOf(placements));
        }
        return new PlacementTable(map, Map.copyOf(byPool), frozen(heldBy), frozen(primaryOf));
    }

    /** The map this table was computed from. */
    public ClusterMap map() {
        return map;
    }

    /** The epoch of {@link #map()}. */
    public long epoch() {
        return map.epoch();
    }

    /**
     * The placement of one partition.
     *
     * @throws IllegalArgumentException if the map has no such pool or the pool no such partition
     */
    public PartitionPlacement of(PartitionId id) {
        Objects.requireNonNull(id, "id");
        List<PartitionPlacement> placements = byPool.get(id.pool());
        if (placements == null) {
            throw new IllegalArgumentException("no pool '" + id.pool() + "' in cluster map epoch " + map.epoch());
        }
        if (id.partition() >= placements.size()) {
            throw new IllegalArgumentException("partition " + id + " is outside 0.." + (placements.size() - 1)
                    + " of pool '" + id.pool() + "'");
        }
        return placements.get(id.partition());
    }

    /** The placements of all partitions of one pool, by partition number; empty if there is no such pool. */
    public List<PartitionPlacement> pool(String poolName) {
        Objects.requireNonNull(poolName, "poolName");
        return Optional.ofNullable(byPool.get(poolName)).orElse(List.of());
    }

    /** The partitions whose primary (first up holder) is {@code nodeId}, in {@link PartitionId} order. */
    public List<PartitionId> primaryOf(String nodeId) {
        Objects.requireNonNull(nodeId, "nodeId");
        return primaryOf.getOrDefault(nodeId, List.of());
    }

    /** The partitions that list {@code nodeId} as a holder, up or down, in {@link PartitionId} order. */
    public List<PartitionId> heldBy(String nodeId) {
        Objects.requireNonNull(nodeId, "nodeId");
        return heldBy.getOrDefault(nodeId, List.of());
    }

    /**
     * A holder list the map sets instead of the function's (an acting set, or a slot pin): it
     * may name nodes that are out (a drained node serving until its successor has caught up, a
     * slot nobody could take over), but every node must be in the map.
     */
    private static PartitionPlacement checkedOverride(PartitionId id, List<String> holders, int most, ClusterMap map) {
        if (holders.size() > most) {
            throw new IllegalStateException("the holders the map sets for " + id + " must be at most " + most + ": " + holders);
        }
        for (String h : holders) {
            if (map.node(h).isEmpty()) {
                throw new IllegalStateException("the map sets " + h + " as a holder of " + id + ", but has no such node");
            }
        }
        return new PartitionPlacement(id, holders);
    }

    private static PartitionPlacement checked(PartitionId id, List<String> holders, PoolInfo pool, Set<String> inNodeIds) {
        if (holders == null || holders.size() > pool.policy().width()) {
            throw new IllegalStateException("placement of " + id + " must list at most " + pool.policy().width()
                    + " nodes: " + holders);
        }
        PartitionPlacement placement;
        try {
            placement = new PartitionPlacement(id, holders);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalStateException("placement function returned a bad list for " + id + ": " + e.getMessage(), e);
        }
        for (String holder : placement.holders()) {
            if (!inNodeIds.contains(holder)) {
                throw new IllegalStateException("placement of " + id + " names '" + holder + "', which is not an in-node of the map");
            }
        }
        return placement;
    }

    private static Map<String, List<PartitionId>> frozen(Map<String, List<PartitionId>> index) {
        Map<String, List<PartitionId>> frozen = new HashMap<>();
        index.forEach((node, ids) -> {
            List<PartitionId> sorted = new ArrayList<>(ids);
            Collections.sort(sorted);
            frozen.put(node, List.copyOf(sorted));
        });
        return Map.copyOf(frozen);
    }
}
