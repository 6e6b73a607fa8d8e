package io.cairn.core.placement;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.PoolInfo;
import java.util.List;

/**
 * Maps one partition of a pool to the ordered ids of the nodes that hold it. It is a pure,
 * deterministic function of the cluster map, so every node that holds the same map computes the
 * same lists. The first holder that is up is the partition's primary; DOWN nodes keep their place
 * and count as missing copies; nodes that are out are never placed.
 */
public interface PlacementFunction {

    /**
     * The ordered node ids holding {@code partition} of {@code pool} under {@code map}:
     * {@code min(pool.policy().width(), in-nodes)} distinct ids, spread over failure domains.
     *
     * @throws IllegalArgumentException if the partition is outside {@code [0, pool.partitions())}
     *                                  or the map lists a node id twice
     */
    List<String> place(ClusterMap map, PoolInfo pool, int partition);

    /** The placement Cairn uses: weighted rendezvous hashing with failure-domain spreading. */
    static PlacementFunction rendezvous() {
        return new RendezvousPlacement();
    }
}
