package io.cairn.meta;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides which up nodes have gone silent: a node is reported once no heartbeat arrived for
 * {@code downAfterNanos} since the later of its last heartbeat and the moment this detector
 * started judging; or sooner, after half that, when its peers suspect it too (they ping the
 * nodes they share partitions with and name in their heartbeats those that stopped
 * answering): two of them, or the only other up node. Silence to the leader is needed either
 * way, so one node that cannot reach another does not take it down. Pure: time comes in as
 * arguments. Not thread-safe.
 */
public final class FailureDetector {

    private final long downAfterNanos;
    private long startNanos;
    private final Map<String, Long> lastHeartbeatNanos = new HashMap<>();
    /** Suspect -> reporter -> when the reporter last named it. */
    private final Map<String, Map<String, Long>> suspicions = new HashMap<>();

    /** Distinct peers whose suspicion, with half the silence, marks a node down. */
    public static final int SUSPECTING_PEERS = 2;

    /**
     * Silence to the leader after which a node counts as {@link #quiet}, at most: well under the
     * 3 s a peer waits before it suspects a node that stopped answering its pings, so a node that
     * died is quiet by the time its peers name it.
     */
    public static final long QUIET_NANOS_MAX = 1_500_000_000L;

    public FailureDetector(long downAfterNanos, long startNanos) {
        if (downAfterNanos <= 0) {
            throw new IllegalArgumentException("downAfterNanos must be > 0: " + downAfterNanos);
        }
        this.downAfterNanos = downAfterNanos;
        this.startNanos = startNanos;
    }

    /** Records that {@code nodeId} was heard from at {@code nowNanos}. */
    public void heartbeat(String nodeId, long nowNanos) {
        lastHeartbeatNanos.merge(nodeId, nowNanos, (old, now) -> now - old > 0 ? now : old);
    }

    /**
     * {@code reporter}'s heartbeat at {@code nowNanos} names the peers it suspects; a peer it no
     * longer names is no longer suspected by it.
     */
    public void suspicions(String reporter, java.util.Collection<String> suspects, long nowNanos) {
        for (Map.Entry<String, Map<String, Long>> e : suspicions.entrySet()) {
            if (!suspects.contains(e.getKey())) {
                e.getValue().remove(reporter);
            }
        }
        for (String suspect : suspects) {
            if (!suspect.equals(reporter)) {
                suspicions.computeIfAbsent(suspect, k -> new HashMap<>()).put(reporter, nowNanos);
            }
        }
        suspicions.values().removeIf(Map::isEmpty);
    }

    /** Up nodes (other than {@code nodeId}) that named {@code nodeId} suspect within the last {@code downAfterNanos}, sorted. */
    public List<String> suspectedBy(String nodeId, long nowNanos, ClusterMap map) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : suspicions.getOrDefault(nodeId, Map.of()).entrySet()) {
            boolean reporterUp = map.node(e.getKey()).map(NodeInfo::isUp).orElse(false);
            if (reporterUp && !e.getKey().equals(nodeId) && nowNanos - e.getValue() < downAfterNanos) {
                out.add(e.getKey());
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * Up nodes the leader has not heard from for a while ({@link #QUIET_NANOS_MAX}, or a quarter
     * of {@code downAfterNanos} if less), or never: most likely stopped, not yet marked down. A
     * node that cannot reach them is not to blame for it ({@link PeerReachability#toMarkDown}).
     * Unlike {@link #tick}, this counts heartbeats from before a {@link #restart}: it only ever
     * spares a node, so it leans on what the voter has seen applied.
     */
    public Set<String> quiet(long nowNanos, ClusterMap map) {
        long quietNanos = Math.min(QUIET_NANOS_MAX, downAfterNanos / 4);
        Set<String> out = new HashSet<>();
        for (NodeInfo node : map.nodes()) {
            Long last = lastHeartbeatNanos.get(node.id());
            if (node.isUp() && (last == null || nowNanos - last >= quietNanos)) {
                out.add(node.id());
            }
        }
        return out;
    }

    /**
     * Whether the leader has been judging for long enough to have heard every live node since it
     * started: the {@link #quiet} time. Until then, a node not heard yet is quiet only because the
     * leader just came, and the few nodes heard first would be judged on half the picture.
     */
    public boolean heardAllSinceStart(long nowNanos) {
        return nowNanos - startNanos >= Math.min(QUIET_NANOS_MAX, downAfterNanos / 4);
    }

    /** The later of {@code nodeId}'s last heartbeat and the moment this detector started judging. */
    private long lastHeard(String nodeId) {
        Long last = lastHeartbeatNanos.get(nodeId);
        return last != null && last - startNanos > 0 ? last : startNanos;
    }

    private final Map<String, Long> downSinceNanos = new HashMap<>();

    /**
     * Nodes the map holds as down (and in) that this detector has seen down for at least
     * {@code intervalNanos}. A node's clock starts when the detector first sees it down (after a
     * {@link #restart}, afresh), so a new leader never marks out early.
     */
    public Set<String> downLongerThan(long nowNanos, ClusterMap map, long intervalNanos) {
        Set<String> down = new HashSet<>();
        for (NodeInfo node : map.nodes()) {
            if (!node.isUp() && node.in()) {
                down.add(node.id());
            }
        }
        downSinceNanos.keySet().retainAll(down);
        Set<String> longEnough = new HashSet<>();
        for (String id : down) {
            long since = downSinceNanos.computeIfAbsent(id, k -> nowNanos);
            if (nowNanos - since >= intervalNanos) {
                longEnough.add(id);
            }
        }
        return longEnough;
    }

    /**
     * Starts judging afresh at {@code nowNanos}: nobody is reported before a full
     * {@code downAfterNanos} passes from now. Used when a voter becomes leader.
     */
    public void restart(long nowNanos) {
        startNanos = nowNanos;
        downSinceNanos.clear();
    }

    /**
     * Ids of the nodes the map holds as up that have been silent too long, in map order.
     * Forgets nodes the map no longer holds, so memory is bounded by the map.
     */
    public List<String> tick(long nowNanos, ClusterMap map) {
        Set<String> known = new HashSet<>();
        for (NodeInfo node : map.nodes()) {
            known.add(node.id());
        }
        lastHeartbeatNanos.keySet().retainAll(known);
        suspicions.keySet().retainAll(known);
        int upNodes = map.upNodes().size();
        int peersNeeded = Math.max(1, Math.min(SUSPECTING_PEERS, upNodes - 1));
        List<String> silent = new ArrayList<>();
        for (NodeInfo node : map.nodes()) {
            if (!node.isUp()) {
                continue;
            }
            long silence = nowNanos - lastHeard(node.id());
            if (silence >= downAfterNanos
                    || silence >= downAfterNanos / 2 && suspectedBy(node.id(), nowNanos, map).size() >= peersNeeded) {
                silent.add(node.id());
            }
        }
        return silent;
    }
}
