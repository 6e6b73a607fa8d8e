package io.cairn.core.map;

/**
 * Fast-changing figures a node reports in its heartbeat. Not part of the epoch: a heartbeat
 * updates these without creating a new map version.
 *
 * @param nodeId              the reporting node
 * @param capacityBytes       bytes the node's data directories can hold in all
 * @param usedBytes           bytes the node's stored data takes
 * @param full                the node refuses new writes (free space under its reserve)
 * @param partitionsRecovering partitions this node is still catching up on
 * @param lastHeartbeatMillis wall-clock time the heartbeat was sent, for display only
 * @param mapEpoch            epoch of the map the figures describe (partitions held and
 *                            recovering change with the map), or -1 when not reported
 * @param records             records (index entries, chunks or blocks, tombstones) the node stores
 * @param underProtected      records written with too few copies, not yet known to have them all,
 *                            of the partitions the node is primary of
 * @param suspects            nodes sharing a partition with this one that stopped answering its pings
 * @param peers               nodes sharing a partition with this one, which it pings (up or down)
 * @param unshippedBytes      bytes written through the partitions the node is primary of that the
 *                            backup site does not have yet (0 without one)
 */
public record NodeStats(
        String nodeId,
        long capacityBytes,
        long usedBytes,
        boolean full,
        int partitionsRecovering,
        long lastHeartbeatMillis,
        long mapEpoch,
        long records,
        long underProtected,
        java.util.List<String> suspects,
        java.util.List<String> peers,
        long unshippedBytes) {

    public NodeStats {
        suspects = suspects == null ? java.util.List.of() : java.util.List.copyOf(suspects);
        peers = peers == null ? java.util.List.of() : java.util.List.copyOf(peers);
    }

    public NodeStats(String nodeId, long capacityBytes, long usedBytes, boolean full, int partitionsRecovering,
                     long lastHeartbeatMillis, long mapEpoch, long records, long underProtected, java.util.List<String> suspects,
                     java.util.List<String> peers) {
        this(nodeId, capacityBytes, usedBytes, full, partitionsRecovering, lastHeartbeatMillis, mapEpoch, records, underProtected,
                suspects, peers, 0);
    }

    public NodeStats(String nodeId, long capacityBytes, long usedBytes, boolean full, int partitionsRecovering,
                     long lastHeartbeatMillis, long mapEpoch, long records, long underProtected, java.util.List<String> suspects) {
        this(nodeId, capacityBytes, usedBytes, full, partitionsRecovering, lastHeartbeatMillis, mapEpoch, records, underProtected,
                suspects, java.util.List.of());
    }

    /** The same figures, stamped with the wall-clock time they are sent at. */
    public NodeStats sentAt(long millis) {
        return new NodeStats(nodeId, capacityBytes, usedBytes, full, partitionsRecovering, millis, mapEpoch, records, underProtected,
                suspects, peers, unshippedBytes);
    }

    public NodeStats(String nodeId, long capacityBytes, long usedBytes, boolean full, int partitionsRecovering,
                     long lastHeartbeatMillis, long mapEpoch, long records, long underProtected) {
        this(nodeId, capacityBytes, usedBytes, full, partitionsRecovering, lastHeartbeatMillis, mapEpoch, records, underProtected,
                java.util.List.of());
    }

    public NodeStats(String nodeId, long capacityBytes, long usedBytes, boolean full, int partitionsRecovering,
                     long lastHeartbeatMillis, long mapEpoch, long records) {
        this(nodeId, capacityBytes, usedBytes, full, partitionsRecovering, lastHeartbeatMillis, mapEpoch, records, 0);
    }

    public NodeStats(String nodeId, long capacityBytes, long usedBytes, boolean full, int partitionsRecovering,
                     long lastHeartbeatMillis) {
        this(nodeId, capacityBytes, usedBytes, full, partitionsRecovering, lastHeartbeatMillis, -1, 0);
    }

    public NodeStats(String nodeId, long capacityBytes, long usedBytes, boolean full, int partitionsRecovering,
                     long lastHeartbeatMillis, long mapEpoch) {
        this(nodeId, capacityBytes, usedBytes, full, partitionsRecovering, lastHeartbeatMillis, mapEpoch, 0);
    }

    public static NodeStats empty(String nodeId) {
        return new NodeStats(nodeId, 0, 0, false, 0, 0, -1, 0, 0, java.util.List.of(), java.util.List.of(), 0);
    }

    /** Whether these figures may be out of date for a map of {@code epoch} (they describe an older one). */
    public boolean olderThan(long epoch) {
        return mapEpoch >= 0 && mapEpoch < epoch;
    }
}
