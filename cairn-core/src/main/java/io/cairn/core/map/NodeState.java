package io.cairn.core.map;

/** Liveness of a node as the cluster map records it. */
public enum NodeState {
    /** Heartbeats arrive; the node holds and serves its partitions. */
    UP,
    /** Heartbeats stopped for longer than the grace period; its partitions are served by the others. */
    DOWN;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
