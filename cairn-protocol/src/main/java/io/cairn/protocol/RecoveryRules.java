package io.cairn.protocol;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.partition.Version;
import io.cairn.core.placement.PartitionPlacement;
import java.util.ArrayList;
import java.util.List;

/**
 * The decisions of recovery that are not the state of one partition: where to look for a good
 * copy, when a record may be left out, when a former holder offers its records and when it may
 * drop its copy. Pure functions of the map and of what the node holds, shared by the
 * {@code PartitionDriver} and the cluster simulator, so that the simulator checks the very rules
 * the nodes run.
 */
public final class RecoveryRules {

    private RecoveryRules() {}

    /**
     * Nodes that may have a good copy of a record of a partition: its up holders first (in
     * placement order), then every other up node (a former holder may keep the last good copy
     * until it drops it), never {@code self}.
     */
    public static List<String> copySources(ClusterMap map, PartitionPlacement placement, String self) {
        List<String> sources = new ArrayList<>(placement.upHolders(map));
        for (NodeInfo n : map.upNodes()) {
            if (!sources.contains(n.id())) {
                sources.add(n.id());
            }
        }
        sources.remove(self);
        return sources;
    }

    /**
     * Whether a peering primary may leave out a record of which no reachable node has a good
     * copy. Not while a node is down but still in: it may come back with one. Once every node
     * is up or out, refusing the partition's writes for good would help nobody.
     */
    public static boolean mayLeaveOutUnrecoverable(ClusterMap map) {
        return map.nodes().stream().noneMatch(n -> !n.isUp() && n.in());
    }

    /**
     * Whether a node should offer the primary the records it holds of a partition it no longer
     * holds: it took writes there (its log goes past what it handed over), the partition has a
     * primary other than itself, and its pool is replicated (a block alone does not rebuild a
     * stripe).
     */
    public static boolean offersHandOver(PartitionStateMachine m, String self, boolean erasureCoded, Version handedOver) {
        return m.role() == PartitionStateMachine.Role.NONE && m.primary() != null && !m.primary().equals(self)
                && !erasureCoded && m.lastApplied().isAfter(handedOver);
    }

    /**
     * Whether a node may drop its copy of a partition once the cluster has settled in its
     * epoch: it does not hold the partition in that map, its records are handed over (or the
     * pool is erasure-coded), no hand-over is on its way, and its state machine has no role.
     *
     * @param m the partition's state machine on this node, or null when it has none
     */
    public static boolean mayDrop(PartitionPlacement placement, String self, boolean erasureCoded, Version lastVersion,
                                  Version handedOver, PartitionStateMachine m, boolean handOverInFlight) {
        if (placement.holders().contains(self) || handOverInFlight) {
            return false;
        }
        if (!erasureCoded && lastVersion.isAfter(handedOver)) {
            return false; // records not handed over yet
        }
        return m == null || m.role() == PartitionStateMachine.Role.NONE;
    }
}
