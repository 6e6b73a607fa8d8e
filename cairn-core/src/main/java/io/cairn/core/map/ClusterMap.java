package io.cairn.core.map;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The one authoritative picture of the cluster, versioned by {@code epoch}. It lives in the
 * meta Raft log; every change produces a new map with {@code epoch + 1}. Instances are
 * immutable; lists are sorted by name or id so that equal maps serialize identically.
 */
public record ClusterMap(
        long epoch,
        String clusterId,
        List<NodeInfo> nodes,
        List<PoolInfo> pools,
        List<BucketInfo> buckets,
        List<UserInfo> users) {

    public ClusterMap {
        nodes = nodes.stream().sorted(Comparator.comparing(NodeInfo::id)).toList();
        pools = pools.stream().sorted(Comparator.comparing(PoolInfo::name)).toList();
        buckets = buckets.stream().sorted(Comparator.comparing(BucketInfo::name)).toList();
        users = users.stream().sorted(Comparator.comparing(UserInfo::accessKey)).toList();
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0: " + epoch);
        }
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
        return new ClusterMap(epoch + 1, clusterId, newNodes, newPools, newBuckets, newUsers);
    }
}
