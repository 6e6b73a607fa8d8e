package io.cairn.core.map;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The one authoritative picture of the cluster, versioned by {@code epoch}. It lives in the
 * meta Raft log; every change produces a new map with {@code epoch + 1}. Instances are
 * immutable; lists are sorted by name or id so that equal maps serialize identically.
 *
 * @param degradedReason why the cluster runs without full redundancy and does not re-protect
 *                       (the capacity check said no), or null when it is not in degraded mode
 */
public record ClusterMap(
        long epoch,
        String clusterId,
        List<NodeInfo> nodes,
        List<PoolInfo> pools,
        List<BucketInfo> buckets,
        List<UserInfo> users,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        String degradedReason) {

    public ClusterMap {
        nodes = nodes.stream().sorted(Comparator.comparing(NodeInfo::id)).toList();
        pools = pools.stream().sorted(Comparator.comparing(PoolInfo::name)).toList();
        buckets = buckets.stream().sorted(Comparator.comparing(BucketInfo::name)).toList();
        users = users.stream().sorted(Comparator.comparing(UserInfo::accessKey)).toList();
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0: " + epoch);
        }
    }

    public ClusterMap(long epoch, String clusterId, List<NodeInfo> nodes, List<PoolInfo> pools, List<BucketInfo> buckets,
                      List<UserInfo> users) {
        this(epoch, clusterId, nodes, pools, buckets, users, null);
    }

    public static ClusterMap empty() {
        return new ClusterMap(0, "", List.of(), List.of(), List.of(), List.of());
    }

    public Optional<NodeInfo> node(String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst();
    }

    public Optional<PoolInfo> pool(String name) {
        return pools.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public Optional<BucketInfo> bucket(String name) {
        return buckets.stream().filter(b -> b.name().equals(name)).findFirst();
    }

    public Optional<UserInfo> user(String accessKey) {
        return users.stream().filter(u -> u.accessKey().equals(accessKey)).findFirst();
    }

    public List<NodeInfo> upNodes() {
        return nodes.stream().filter(NodeInfo::isUp).toList();
    }

    /** A copy with the given parts replaced and the epoch advanced by one. */
    public ClusterMap next(List<NodeInfo> newNodes, List<PoolInfo> newPools, List<BucketInfo> newBuckets, List<UserInfo> newUsers) {
        return new ClusterMap(epoch + 1, clusterId, newNodes, newPools, newBuckets, newUsers, degradedReason);
    }

    /** A copy in (or, with null, out of) degraded mode, with the epoch advanced by one. */
    public ClusterMap withDegradedReason(String reason) {
        return new ClusterMap(epoch + 1, clusterId, nodes, pools, buckets, users, reason);
    }
}
