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
 * @param acting         temporary holder lists in force instead of placement's while new
 *                       primaries catch up, sorted by pool and partition
 * @param pins           holder lists of erasure-coded partitions that keep each staying holder in
 *                       its slot across placement changes, sorted by pool and partition
 * @param removed        ids of nodes removed from the cluster, sorted: their certificates are
 *                       refused on every cluster connection, and the ids never come back
 * @param holdersSince   per pool, for each partition in order, the epoch since which its up
 *                       holders (its primary first) are what they are in this map: a node whose
 *                       map skipped epochs learns from it whether any of them changed the
 *                       partition. Kept by the meta service at every map change; a pool missing
 *                       from it (a map of an older release) is taken as changed in this epoch.
 * @param upSince        per pool, for each partition in order, one epoch for each of its up holders
 *                       in this map (in their order, the primary first): the epoch since which that
 *                       node has been an up holder of the partition without a break, or 0 when it
 *                       has been one since the partition began. Every write acknowledged since then
 *                       reached it, so a node whose copy settled in that epoch or later holds every
 *                       acknowledged write (see {@link #upHolderSince}). Kept by the meta service at
 *                       every map change; a map of an older release has none (nothing is known).
 */
public record ClusterMap(
        long epoch,
        String clusterId,
        List<NodeInfo> nodes,
        List<PoolInfo> pools,
        List<BucketInfo> buckets,
        List<UserInfo> users,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        String degradedReason,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
        List<ActingSet> acting,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
        List<SlotPin> pins,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
        List<String> removed,
        @com.fasterxml.jackson.annotation.JsonProperty("holders_since")
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
        java.util.Map<String, List<Long>> holdersSince,
        @com.fasterxml.jackson.annotation.JsonProperty("up_since")
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
        java.util.Map<String, List<List<Long>>> upSince) {

    public ClusterMap {
        upSince = upSince == null ? java.util.Map.of()
                : java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(upSince.entrySet().stream()
                        .collect(java.util.stream.Collectors.toMap(java.util.Map.Entry::getKey,
                                e -> e.getValue().stream().map(List::copyOf).toList()))));
        holdersSince = holdersSince == null ? java.util.Map.of()
                : java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(holdersSince.entrySet().stream()
                        .collect(java.util.stream.Collectors.toMap(java.util.Map.Entry::getKey, e -> List.copyOf(e.getValue())))));
        removed = removed == null ? List.of() : removed.stream().sorted().distinct().toList();
        pins = pins == null ? List.of()
                : pins.stream().sorted(Comparator.comparing(SlotPin::pool).thenComparingInt(SlotPin::partition)).toList();
        acting = acting == null ? List.of()
                : acting.stream().sorted(Comparator.comparing(ActingSet::pool).thenComparingInt(ActingSet::partition)).toList();
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
        this(epoch, clusterId, nodes, pools, buckets, users, null, List.of(), List.of());
    }

    public ClusterMap(long epoch, String clusterId, List<NodeInfo> nodes, List<PoolInfo> pools, List<BucketInfo> buckets,
                      List<UserInfo> users, String degradedReason) {
        this(epoch, clusterId, nodes, pools, buckets, users, degradedReason, List.of(), List.of());
    }

    public ClusterMap(long epoch, String clusterId, List<NodeInfo> nodes, List<PoolInfo> pools, List<BucketInfo> buckets,
                      List<UserInfo> users, String degradedReason, List<ActingSet> acting) {
        this(epoch, clusterId, nodes, pools, buckets, users, degradedReason, acting, List.of());
    }

    public ClusterMap(long epoch, String clusterId, List<NodeInfo> nodes, List<PoolInfo> pools, List<BucketInfo> buckets,
                      List<UserInfo> users, String degradedReason, List<ActingSet> acting, List<SlotPin> pins) {
        this(epoch, clusterId, nodes, pools, buckets, users, degradedReason, acting, pins, List.of());
    }

    public ClusterMap(long epoch, String clusterId, List<NodeInfo> nodes, List<PoolInfo> pools, List<BucketInfo> buckets,
                      List<UserInfo> users, String degradedReason, List<ActingSet> acting, List<SlotPin> pins, List<String> removed) {
        this(epoch, clusterId, nodes, pools, buckets, users, degradedReason, acting, pins, removed, java.util.Map.of());
    }

    public ClusterMap(long epoch, String clusterId, List<NodeInfo> nodes, List<PoolInfo> pools, List<BucketInfo> buckets,
                      List<UserInfo> users, String degradedReason, List<ActingSet> acting, List<SlotPin> pins, List<String> removed,
                      java.util.Map<String, List<Long>> holdersSince) {
        this(epoch, clusterId, nodes, pools, buckets, users, degradedReason, acting, pins, removed, holdersSince, java.util.Map.of());
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

    /**
     * The first up node that holds data (not a tie-breaker), by id: the one node that runs work
     * done once for the cluster (consistent cuts, lifecycle rules), chosen without a vote. Two
     * nodes on different maps may both take themselves for it for a moment.
     */
    public Optional<String> firstUpDataNode() {
        return nodes.stream().filter(n -> n.isUp() && !n.tiebreaker()).map(NodeInfo::id).sorted().findFirst();
    }

    /** A copy with the given parts replaced and the epoch advanced by one. */
    public ClusterMap next(List<NodeInfo> newNodes, List<PoolInfo> newPools, List<BucketInfo> newBuckets, List<UserInfo> newUsers) {
        return new ClusterMap(epoch + 1, clusterId, newNodes, newPools, newBuckets, newUsers, degradedReason, acting, pins, removed, holdersSince,
                java.util.Map.of());
    }

    /** A copy in (or, with null, out of) degraded mode, with the epoch advanced by one. */
    public ClusterMap withDegradedReason(String reason) {
        return new ClusterMap(epoch + 1, clusterId, nodes, pools, buckets, users, reason, acting, pins, removed, holdersSince, java.util.Map.of());
    }

    /** The same map (same epoch) with other acting sets. */
    public ClusterMap withActing(List<ActingSet> newActing) {
        return new ClusterMap(epoch, clusterId, nodes, pools, buckets, users, degradedReason, newActing, pins, removed, holdersSince, upSince);
    }

    /** The same map (same epoch) with other slot pins. */
    public ClusterMap withPins(List<SlotPin> newPins) {
        return new ClusterMap(epoch, clusterId, nodes, pools, buckets, users, degradedReason, acting, newPins, removed, holdersSince, upSince);
    }

    /** A copy without node {@code nodeId}, its id now among the removed, with the epoch advanced by one. */
    public ClusterMap withoutNode(String nodeId) {
        List<String> newRemoved = new java.util.ArrayList<>(removed);
        newRemoved.add(nodeId);
        return new ClusterMap(epoch + 1, clusterId, nodes.stream().filter(n -> !n.id().equals(nodeId)).toList(), pools, buckets,
                users, degradedReason, acting, pins, newRemoved, holdersSince, java.util.Map.of());
    }

    /** The same map (same epoch) with other {@link #holdersSince} epochs. */
    public ClusterMap withHoldersSince(java.util.Map<String, List<Long>> newHoldersSince) {
        return withHoldersSince(newHoldersSince, upSince);
    }

    /** The same map (same epoch) with other {@link #holdersSince} and {@link #upSince} epochs. */
    public ClusterMap withHoldersSince(java.util.Map<String, List<Long>> newHoldersSince, java.util.Map<String, List<List<Long>>> newUpSince) {
        return new ClusterMap(epoch, clusterId, nodes, pools, buckets, users, degradedReason, acting, pins, removed, newHoldersSince,
                newUpSince);
    }

    /**
     * The epoch since which the up holder at {@code upIndex} of partition {@code partition} of
     * {@code pool} (an index into its up holders in this map, the primary first) has been one
     * without a break: 0 when it has been one since the partition began, and this map's epoch when
     * the map does not say (never later than the map).
     */
    public long upHolderSince(String pool, int partition, int upIndex) {
        List<List<Long>> since = upSince.get(pool);
        if (since == null || partition < 0 || partition >= since.size() || upIndex < 0 || upIndex >= since.get(partition).size()) {
            return epoch;
        }
        return Math.min(since.get(partition).get(upIndex), epoch);
    }

    /**
     * The epoch since which partition {@code partition} of {@code pool} has the up holders it has
     * in this map, or this map's epoch when the map does not say (never later than the map).
     */
    public long holdersSince(String pool, int partition) {
        List<Long> since = holdersSince.get(pool);
        if (since == null || partition < 0 || partition >= since.size()) {
            return epoch;
        }
        return Math.min(since.get(partition), epoch);
    }

    /** Whether node {@code nodeId} was removed from the cluster. */
    public boolean isRemoved(String nodeId) {
        return java.util.Collections.binarySearch(removed, nodeId) >= 0;
    }

    /** The slot pin of a partition, if one is in force. */
    public Optional<SlotPin> pin(String pool, int partition) {
        for (SlotPin p : pins) {
            if (p.pool().equals(pool) && p.partition() == partition) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The acting set of a partition, if one is in force. */
    public Optional<ActingSet> acting(String pool, int partition) {
        for (ActingSet a : acting) {
            if (a.pool().equals(pool) && a.partition() == partition) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
