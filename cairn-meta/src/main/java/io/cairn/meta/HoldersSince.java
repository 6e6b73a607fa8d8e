package io.cairn.meta;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.placement.PlacementTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps {@link ClusterMap#holdersSince}: at every map change, a partition whose up holders (its
 * primary first, acting sets included) are the same as in the map before keeps its epoch; any
 * other, and every partition of a new pool, takes the new map's. Pure; the meta state machine
 * calls it with the placements it computed anyway.
 */
final class HoldersSince {

    private HoldersSince() {}

    /** The epochs for {@code next}, the map after {@code previous}, from both maps' placements. */
    static Map<String, List<Long>> update(ClusterMap previous, PlacementTable previousPlacement, ClusterMap next,
                                          PlacementTable nextPlacement) {
        Map<String, List<Long>> out = new TreeMap<>();
        for (PoolInfo pool : next.pools()) {
            boolean existed = previous.pool(pool.name()).map(p -> p.partitions() == pool.partitions()).orElse(false);
            List<Long> since = new ArrayList<>(pool.partitions());
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId p = new PartitionId(pool.name(), i);
                boolean same = existed && previousPlacement.of(p).upHolders(previous).equals(nextPlacement.of(p).upHolders(next));
                since.add(same ? previous.holdersSince(pool.name(), i) : next.epoch());
            }
            out.put(pool.name(), List.copyOf(since));
        }
        return out;
    }
}
