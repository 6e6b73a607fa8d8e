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
 * Keeps {@link ClusterMap#holdersSince} and {@link ClusterMap#upSince}: at every map change, a
 * partition whose up holders (its primary first, acting sets included) are the same as in the map
 * before keeps its epoch; any other, and every partition of a new pool, takes the new map's. Each
 * up holder keeps the epoch since which it has been one without a break if it was one in the map
 * before, else takes the new map's; the up holders of a new pool's partitions have been ones since
 * the partition began (0). Pure; the meta state machine calls it with the placements it computed
 * anyway.
 */
final class HoldersSince {

    private HoldersSince() {}

    /** {@code next}, the map after {@code previous}, with both kept from the two maps' placements. */
    static ClusterMap update(ClusterMap previous, PlacementTable previousPlacement, ClusterMap next, PlacementTable nextPlacement) {
        Map<String, List<Long>> out = new TreeMap<>();
        Map<String, List<List<Long>>> upSince = new TreeMap<>();
        for (PoolInfo pool : next.pools()) {
            boolean existed = previous.pool(pool.name()).map(p -> p.partitions() == pool.partitions()).orElse(false);
            boolean isNew = previous.pool(pool.name()).isEmpty();
            List<Long> since = new ArrayList<>(pool.partitions());
            List<List<Long>> eachUpSince = new ArrayList<>(pool.partitions());
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId p = new PartitionId(pool.name(), i);
                List<String> nextUp = nextPlacement.of(p).upHolders(next);
                List<String> previousUp = existed ? previousPlacement.of(p).upHolders(previous) : List.of();
                since.add(existed && previousUp.equals(nextUp) ? previous.holdersSince(pool.name(), i) : next.epoch());
                List<Long> each = new ArrayList<>(nextUp.size());
                for (String h : nextUp) {
                    int before = previousUp.indexOf(h);
                    each.add(isNew ? 0L : before >= 0 ? previous.upHolderSince(pool.name(), i, before) : next.epoch());
                }
                eachUpSince.add(each);
            }
            out.put(pool.name(), List.copyOf(since));
            upSince.put(pool.name(), eachUpSince);
        }
        return next.withHoldersSince(out, upSince);
    }
}
