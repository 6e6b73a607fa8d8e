package io.cairn.core.map;

import com.fasterxml.jackson.annotation.JsonInclude;
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
 * @param in             whether placement assigns partitions to the node (never for a tie-breaker)
 * @param tiebreaker     a meta voter that holds no data, in a third site, so that a cluster
 *                       stretched over two sites keeps a Raft majority when either site is lost;
 *                       placement never chooses it, so it is never in; left out of the JSON form
 *                       when false, so maps written before it existed read and write unchanged
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
        boolean in,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) Boolean tiebreaker) {

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
        tiebreaker = tiebreaker != null && tiebreaker; // absent from maps written before it existed
        in = in && !tiebreaker;
    }

    public NodeInfo(String id, String site, String zone, String publicAddress, String clusterAddress, String metaAddress,
                    long capacityBytes, NodeState state, boolean in) {
        this(id, site, zone, publicAddress, clusterAddress, metaAddress, capacityBytes, state, in, false);
    }

    public boolean isUp() {
        return state == NodeState.UP;
    }

    public NodeInfo withState(NodeState newState) {
        return new NodeInfo(id, site, zone, publicAddress, clusterAddress, metaAddress, capacityBytes, newState, in, tiebreaker);
    }

    public NodeInfo withIn(boolean newIn) {
        return new NodeInfo(id, site, zone, publicAddress, clusterAddress, metaAddress, capacityBytes, state, newIn, tiebreaker);
    }
}
