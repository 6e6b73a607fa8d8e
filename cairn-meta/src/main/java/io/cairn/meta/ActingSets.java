package io.cairn.meta;

import io.cairn.core.map.ActingSet;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeStats;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.placement.PartitionPlacement;
import io.cairn.core.placement.PlacementFunction;
import io.cairn.core.placement.PlacementTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * When a map change would make a node primary of a partition it did not hold up to date (a
 * new node, a replacement, a node coming back), that node would have to copy the partition
 * while it peers, and the partition's writes would wait. Instead the partition gets an
 * {@link ActingSet}: its old primary stays first until the leader sees every member caught up
 * ({@link #clearable}), and the new primary catches up as a replica meanwhile. Replicated pools
 * only: an erasure-coded partition's holder order is its block order. Pure functions of maps
 * and stats, shared by the state machine, the meta leader and the simulator.
 */
public final class ActingSets {

    /** The placement the acting sets stand in for (the nodes' placement). */
    public static final PlacementFunction PLACEMENT = PlacementFunction.rendezvous();

    private ActingSets() {}

    /**
     * The acting sets of {@code next}, the map that follows {@code prev} (with the acting sets
     * the command that made it left in force). An acting set stays while its first node is up
     * (placement's holders follow it as placement now computes them); a partition whose new
     * primary was not an up holder before gets one when its old primary is still up and had
     * stored anything at all by its last heartbeat (a cluster starting up moves empty
     * partitions, which need no care). {@code before} is the placement of {@code prev} as in
     * force; {@code after} is what placement computes for {@code next}, with no acting set or pin.
     */
    public static List<ActingSet> update(ClusterMap prev, PlacementTable before, ClusterMap next, PlacementTable after,
                                         java.util.Map<String, NodeStats> stats) {
        List<ActingSet> out = new ArrayList<>();
        for (PoolInfo pool : next.pools()) {
            if (pool.policy().kind() == StoragePolicy.Kind.ERASURE_CODED || prev.pool(pool.name()).isEmpty()) {
                continue;
            }
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId id = new PartitionId(pool.name(), i);
                List<String> holders = after.of(id).holders();
                Optional<String> newPrimary = after.of(id).primary(next);
                Optional<ActingSet> existing = next.acting(pool.name(), i); // as the command left them
                String keep = null;
                if (existing.isPresent()) {
                    keep = existing.get().holders().getFirst();
                } else if (i < prev.pool(pool.name()).get().partitions()) {
                    PartitionPlacement old = before.of(id);
                    Optional<String> oldPrimary = old.primary(prev);
                    boolean stores = oldPrimary.isPresent() && stats.containsKey(oldPrimary.get())
                            && stats.get(oldPrimary.get()).records() > 0;
                    if (stores && newPrimary.isPresent() && !old.upHolders(prev).contains(newPrimary.get())) {
                        keep = oldPrimary.get();
                    }
                }
                if (keep == null || newPrimary.isEmpty() || keep.equals(newPrimary.get()) || !isUp(next, keep)) {
                    continue;
                }
                List<String> acting = new ArrayList<>();
                acting.add(keep);
                for (String h : holders) {
                    if (!h.equals(keep)) {
                        acting.add(h);
                    }
                }
                out.add(new ActingSet(pool.name(), i, acting));
            }
        }
        return out;
    }

    /**
     * The acting sets the leader may remove: every up node in the set reports the current
     * epoch's map with nothing peering or catching up, so the new primary has everything.
     */
    public static List<ActingSet> clearable(MetaState state) {
        ClusterMap map = state.map();
        List<ActingSet> out = new ArrayList<>();
        for (ActingSet a : map.acting()) {
            boolean caughtUp = true;
            for (String h : a.holders()) {
                if (!isUp(map, h)) {
                    continue;
                }
                NodeStats s = state.stats().get(h);
                if (s == null || s.mapEpoch() != map.epoch() || s.partitionsRecovering() > 0) {
                    caughtUp = false;
                    break;
                }
            }
            if (caughtUp) {
                out.add(a);
            }
        }
        return out;
    }

    private static boolean isUp(ClusterMap map, String id) {
        return map.node(id).map(NodeInfo::isUp).orElse(false);
    }
}
