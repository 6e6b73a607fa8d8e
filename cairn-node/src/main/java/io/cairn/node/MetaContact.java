package io.cairn.node;

/**
 * When this node last heard from the meta service (a heartbeat answered), and whether it is cut
 * off from it: silent for the cluster's {@code down_after_millis}, the time after which the meta
 * leader marks a silent node down. From then on this node cannot learn that a peer it waits on
 * was marked down, nor that it was itself: a request that needs a silent peer can only wait out
 * its deadline, so it fails at once instead (see {@link PartitionClient}).
 */
public final class MetaContact {

    /** No cut-off: a node that waits for every deadline. */
    public static final MetaContact NONE = new MetaContact(0, 1);

    private final long cutOffAfterMillis;
    private final long heartbeatIntervalMillis;
    private volatile long lastAnswerNanos = System.nanoTime();

    /**
     * @param cutOffAfterMillis       silence after which the node counts itself cut off (0: never)
     * @param heartbeatIntervalMillis how often the node sends a heartbeat
     */
    public MetaContact(long cutOffAfterMillis, long heartbeatIntervalMillis) {
        if (cutOffAfterMillis < 0) {
            throw new IllegalArgumentException("cutOffAfterMillis must be >= 0 (0: never): " + cutOffAfterMillis);
        }
        if (heartbeatIntervalMillis < 1) {
            throw new IllegalArgumentException("heartbeatIntervalMillis must be >= 1: " + heartbeatIntervalMillis);
        }
        this.cutOffAfterMillis = cutOffAfterMillis;
        this.heartbeatIntervalMillis = heartbeatIntervalMillis;
    }

    /**
     * Whether the meta service has missed answering this node's heartbeats for two intervals: a
     * map read now would most likely wait on it too (seconds, when a cut drops its packets).
     */
    public boolean silent() {
        return cutOffAfterMillis > 0 && silentMillis() >= 2 * heartbeatIntervalMillis;
    }

    /** The meta service answered one of this node's heartbeats. */
    public void answered() {
        lastAnswerNanos = System.nanoTime();
    }

    public long silentMillis() {
        return (System.nanoTime() - lastAnswerNanos) / 1_000_000;
    }

    public boolean cutOff() {
        return cutOffAfterMillis > 0 && silentMillis() >= cutOffAfterMillis;
    }

    /** Why a request fails while {@link #cutOff}. */
    public String why() {
        return "this node has heard nothing from the meta service for " + silentMillis() + " ms (down_after_millis "
                + cutOffAfterMillis + "): cut off from the map's majority, it cannot learn who took over from the nodes it cannot reach";
    }
}
