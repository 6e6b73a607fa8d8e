package io.cairn.meta;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeStats;
import io.cairn.core.map.PoolInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The capacity check before re-protection. Pure: the meta leader feeds it the map, the nodes'
 * latest stats and the nodes that have been down longer than the down-out interval, and
 * submits what it decides.
 *
 * <p>A node down long enough is marked out (so placement hands its partitions to other nodes,
 * which then backfill) only if, without it, enough nodes are up and in for the widest pool's
 * full redundancy, and the survivors' room below {@code fullRatio} of their capacity holds the
 * bytes it held. Otherwise it stays in: its partitions keep the copies they have (at least one
 * of everything), writes go on with the redundancy available, and the cluster is in
 * <em>degraded mode</em> with the reason. The reason is also given, without anything to mark
 * out, while a node is down and fewer nodes are up and in than the widest pool needs. (A
 * cluster that never had enough nodes for a pool is not in degraded mode: its status counts
 * those partitions as degraded.)
 */
public final class ReprotectionCheck {

    /** What to do: nodes to mark out, and the degraded-mode reason (null: full redundancy is possible). */
    public record Decision(List<String> markOut, String degradedReason) {
        public Decision {
            markOut = List.copyOf(markOut);
        }
    }

    private ReprotectionCheck() {}

    public static Decision decide(ClusterMap map, Map<String, NodeStats> stats, Set<String> downLongEnough, double fullRatio) {
        int widest = 0;
        String widestPool = "";
        for (PoolInfo pool : map.pools()) {
            if (pool.policy().width() > widest) {
                widest = pool.policy().width();
                widestPool = pool.name() + " (" + pool.policy() + ")";
            }
        }
        List<NodeInfo> upIn = map.nodes().stream().filter(n -> n.isUp() && n.in()).toList();
        long room = 0;
        for (NodeInfo n : upIn) {
            room += room(n, stats, fullRatio);
        }
        List<String> markOut = new ArrayList<>();
        String reason = null;
        List<NodeInfo> candidates = map.nodes().stream()
                .filter(n -> !n.isUp() && n.in() && downLongEnough.contains(n.id()))
                .sorted(Comparator.comparing(NodeInfo::id))
                .toList();
        for (NodeInfo down : candidates) {
            long need = used(down, stats);
            if (upIn.size() < widest) {
                reason = "only " + upIn.size() + " nodes are up and in; pool " + widestPool + " needs " + widest
                        + " for full redundancy, so node " + down.id() + " (down) keeps its place and its data is not re-protected";
            } else if (need > room) {
                reason = "re-protecting the " + need + " bytes of node " + down.id() + " (down) needs more room than the "
                        + upIn.size() + " nodes up and in have below " + Math.round(fullRatio * 100) + "% of their capacity ("
                        + room + " bytes); add a node or free space";
            } else {
                markOut.add(down.id());
                room -= need;
            }
        }
        long down = map.nodes().stream().filter(n -> !n.isUp() && n.in()).count();
        if (reason == null && down > 0 && upIn.size() < widest) {
            reason = "only " + upIn.size() + " nodes are up and in; pool " + widestPool + " needs " + widest
                    + " for full redundancy (" + down + " down)";
        }
        return new Decision(markOut, reason);
    }

    private static long used(NodeInfo n, Map<String, NodeStats> stats) {
        NodeStats s = stats.get(n.id());
        return s == null ? 0 : Math.max(0, s.usedBytes());
    }

    /** Bytes a node can still take before it crosses {@code fullRatio} of its capacity. */
    private static long room(NodeInfo n, Map<String, NodeStats> stats, double fullRatio) {
        NodeStats s = stats.get(n.id());
        if (s != null && s.full()) {
            return 0;
        }
        long capacity = s != null && s.capacityBytes() > 0 ? s.capacityBytes() : n.capacityBytes();
        long used = s == null ? 0 : s.usedBytes();
        return Math.max(0, (long) (capacity * fullRatio) - used);
    }
}
