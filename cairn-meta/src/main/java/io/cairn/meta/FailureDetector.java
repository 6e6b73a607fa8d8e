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
 * started judging. Pure: time comes in as arguments. Not thread-safe.
 */
public final class FailureDetector {

    private final long downAfterNanos;
    private long startNanos;
    private final Map<String, Long> lastHeartbeatNanos = new HashMap<>();

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
        List<String> silent = new ArrayList<>();
        for (NodeInfo node : map.nodes()) {
            if (!node.isUp()) {
                continue;
            }
            long since = startNanos;
            Long last = lastHeartbeatNanos.get(node.id());
            if (last != null && last - since > 0) {
                since = last;
            }
            if (nowNanos - since >= downAfterNanos) {
                silent.add(node.id());
            }
        }
        return silent;
    }
}
