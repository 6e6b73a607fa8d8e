package io.cairn.core.placement;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.PoolInfo;
import java.util.List;
import java.util.Objects;

/**
 * Weighted rendezvous (highest-random-weight) placement over failure domains.
 *
 * <p>For partition {@code p} of pool {@code P} every in-node {@code n} gets the score
 * {@code -ln(u) / weight(n)}, where {@code u} in (0, 1] comes from
 * {@code XXH64(utf8(n.id), seed = XXH64(utf8(P.name), seed = p))} and the weight is the node's
 * declared capacity in bytes (a node declaring 0 weighs as one byte). Lowest score is best; with
 * equal weights that is plain rendezvous hashing, and the chance of being best is proportional to
 * weight. The holders are then picked greedily: each pick takes the best-scored node (ties go to
 * the smaller id) among those whose site holds the fewest copies so far, and among those whose
 * zone holds the fewest; so copies go to distinct sites first, then to distinct zones, and domains
 * repeat only when they must, evenly (with two sites, copies alternate sites). Logarithms use
 * {@link StrictMath} so every JVM computes bit-identical scores.
 *
 * <p>Instances keep the per-map node table of the last map they saw (compared by identity), so
 * computing many partitions of one map is cheap; they are safe to share between threads.
 */
public final class RendezvousPlacement implements PlacementFunction {

    private volatile EligibleNodes lastMapNodes;

    @Override
    public List<String> place(ClusterMap map, PoolInfo pool, int partition) {
        Objects.requireNonNull(map, "map");
        Objects.requireNonNull(pool, "pool");
        if (partition < 0 || partition >= pool.partitions()) {
            throw new IllegalArgumentException("partition " + partition + " is outside 0.." + (pool.partitions() - 1)
                    + " of pool '" + pool.name() + "'");
        }
        return eligibleNodes(map).place(pool, partition);
    }

    private EligibleNodes eligibleNodes(ClusterMap map) {
        EligibleNodes nodes = lastMapNodes;
        if (nodes == null || nodes.map() != map) {
            nodes = EligibleNodes.of(map);
            lastMapNodes = nodes;
        }
        return nodes;
    }
}
