package io.cairn.meta;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeStats;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything the meta Raft group replicates: the epoch-versioned cluster map and the latest
 * heartbeat figures of each node (which change without a new epoch). Immutable; stats are kept
 * sorted by node id so that equal states serialize identically.
 */
public record MetaState(ClusterMap map, Map<String, NodeStats> stats) {

    public MetaState {
        Objects.requireNonNull(map, "map");
        Objects.requireNonNull(stats, "stats");
        stats = Collections.unmodifiableSortedMap(new TreeMap<>(stats));
    }

    public static MetaState initial() {
        return new MetaState(ClusterMap.empty(), Map.of());
    }
}
