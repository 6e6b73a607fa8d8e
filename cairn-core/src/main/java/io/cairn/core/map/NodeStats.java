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
 */
public record NodeStats(
        String nodeId,
        long capacityBytes,
        long usedBytes,
        boolean full,
        int partitionsRecovering,
        long lastHeartbeatMillis) {

    public static NodeStats empty(String nodeId) {
        return new NodeStats(nodeId, 0, 0, false, 0, 0);
    }
}
