package io.cairn.core.map;

import java.util.Objects;

/**
 * One storage node as the cluster map knows it. Everything here is part of the epoch-versioned
 * map: a change to any field is a new epoch. Fast-changing figures (used bytes, load) live in
 * {@link NodeStats} instead.
 *
 * @param id             persistent node id, kept in the node's data directory
 * @param site           storage center (top failure domain)
 * @param zone           failure domain inside the site
 * @param publicAddress  host:port where the node serves S3
 * @param clusterAddress host:port for node-to-node traffic
 * @param metaAddress    host:port of the node's Raft server if it is a meta voter, else null
 * @param capacityBytes  declared capacity, the placement weight
 * @param state          up or down
 * @param in             whether placement assigns partitions to the node
 */
public record NodeInfo(
        String id,
        String site,
        String zone,
        String publicAddress,
        String clusterAddress,
        String metaAddress,
        long capacityBytes,
        NodeState state,
        boolean in) {

    public NodeInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(publicAddress, "publicAddress");
        Objects.requireNonNull(clusterAddress, "clusterAddress");
        Objects.requireNonNull(state, "state");
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacityBytes must be >= 0: " + capacityBytes);
        }
    }

    public boolean isUp() {
        return state == NodeState.UP;
    }

    public NodeInfo withState(NodeState newState) {
        return new NodeInfo(id, site, zone, publicAddress, clusterAddress, metaAddress, capacityBytes, newState, in);
    }

    public NodeInfo withIn(boolean newIn) {
        return new NodeInfo(id, site, zone, publicAddress, clusterAddress, metaAddress, capacityBytes, state, newIn);
    }
}
