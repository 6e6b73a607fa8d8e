package io.cairn.protocol;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.partition.PartitionId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Read leases: what lets a replica answer reads from its own settled copy in place of its
 * primary, as current as the primary's, so that a gateway reads an index entry in its own site
 * when the primary is in another. Only in a cluster whose nodes hold data in two sites or more
 * ({@link #inUse}); a cluster on one site grants none and never waits for one.
 *
 * <p>A settled copy holds every write acknowledged in its epoch (each was mirrored to it first).
 * What it cannot tell by itself is that no newer epoch has begun in which a primary acknowledges
 * writes without it. The lease closes that gap:
 * <ol>
 * <li>Every ping a node sends a peer asks for a lease; a peer grants it in the ping's epoch if it
 *     is in that epoch, knows no newer one, and has heard from the meta service (a heartbeat
 *     sent) within one and a half heartbeat intervals ({@link #grants}). The lease runs for {@link #leaseMillis} from the moment the ping was
 *     sent, on the asker's clock; the granter counts it from the moment it answered, on its own,
 *     which is later.</li>
 * <li>A holder answers a leased read of a partition only with a running lease from that
 *     partition's primary in its current epoch, and only if its copy has settled in it.</li>
 * <li>A primary that goes on into a new epoch without a holder acknowledges no write of that
 *     partition, in flight or new, before its last grant to that holder has run out.</li>
 * <li>A node that becomes a partition's primary, or was not its active primary right before,
 *     cannot know its predecessor's grants: it acknowledges no write of it for {@link
 *     #predecessorMillis} after taking the map in.</li>
 * </ol>
 * Clocks only measure spans here (no two nodes' clocks are compared).
 */
final class ReadLeases {

    private final ReplicaStateMachine r;
    /** As a replica: by primary, the lease it granted this node. */
    private final Map<String, Lease> held = new TreeMap<>();
    /**
     * As a primary: by holder and by the epoch it was granted in, when the last lease granted to
     * it runs out at the latest (this node's clock). A lease of one epoch serves reads of the
     * partitions its holder holds in that epoch only.
     */
    private final Map<String, TreeMap<Long, Long>> granted = new TreeMap<>();
    /** Partitions this node is primary of that acknowledge no write before the given time. */
    private final Map<PartitionId, Long> writesHeld = new TreeMap<>();

    private record Lease(long epoch, long until) {}

    ReadLeases(ReplicaStateMachine replica) {
        this.r = replica;
    }

    /** Whether {@code map} has nodes holding data in two sites or more: leases are granted. */
    static boolean inUse(ClusterMap map) {
        return map.nodes().stream().filter(NodeInfo::in).map(NodeInfo::site).distinct().count() >= 2;
    }

    /** How long a lease runs: one and a half heartbeat intervals (a ping every interval renews it). */
    long leaseMillis() {
        return r.config().heartbeatIntervalMillis() * 3 / 2;
    }

    /** Silence of the meta service (since a heartbeat it answered was sent) after which this node grants no more leases. */
    private long grantSilenceMillis() {
        return r.config().heartbeatIntervalMillis() * 3 / 2;
    }

    /**
     * How long a new primary waits before its first acknowledged write: its predecessor stopped
     * granting within {@link #grantSilenceMillis} of the new epoch (silent to the meta service, or
     * told of the epoch by a heartbeat's answer), and its last lease ran out {@link #leaseMillis}
     * later; half an interval more for messages in transit and clocks that run at other rates.
     */
    long predecessorMillis() {
        return leaseMillis() + grantSilenceMillis() + r.config().heartbeatIntervalMillis() / 2;
    }

    /** Whether this node grants leases now: in a cluster that uses them, while it hears from the meta service. */
    private boolean grants() {
        return inUse(r.map()) && !r.mapBehind() && r.metaAnswered() && r.metaSilentMillis() < grantSilenceMillis();
    }

    /** A peer's ping in {@code peerEpoch}, being answered: whether the answer grants it a lease. */
    boolean grant(String peer, long peerEpoch) {
        if (peerEpoch != r.epoch() || !grants()) {
            return false;
        }
        granted.computeIfAbsent(peer, k -> new TreeMap<>()).merge(peerEpoch, r.now() + leaseMillis(), Math::max);
        return true;
    }

    /** This node's ping to {@code primary}, sent at {@code sentAt} in {@code epoch}, was answered with a lease. */
    void granted(String primary, long epoch, long sentAt) {
        if (epoch != r.epoch()) {
            return;
        }
        Lease lease = new Lease(epoch, sentAt + leaseMillis());
        held.merge(primary, lease, (a, b) -> b.epoch() > a.epoch() || b.epoch() == a.epoch() && b.until() > a.until() ? b : a);
    }

    /** Why this node may not answer a leased read of {@code p} now, or empty if it may (its copy's state aside). */
    Optional<String> refusal(PartitionId p) {
        Optional<String> primary = r.placement(p).primary(r.map());
        if (primary.isEmpty()) {
            return Optional.of("no primary of " + p + " in epoch " + r.epoch());
        }
        if (primary.get().equals(r.id())) {
            // The primary's own copy, under the lease it could grant itself: not once it may have been deposed unawares.
            return grants() ? Optional.empty() : Optional.of(r.id() + ", the primary of " + p + ", grants no read lease now"
                    + " (it has not heard from the meta service lately, or knows a newer map)");
        }
        Lease lease = held.get(primary.get());
        if (lease == null || lease.epoch() != r.epoch() || r.now() >= lease.until()) {
            return Optional.of(r.id() + " holds no running read lease from " + primary.get() + ", the primary of " + p
                    + " in epoch " + r.epoch());
        }
        return Optional.empty();
    }

    /**
     * A new epoch taken in for {@code p}, of which this node is now primary. {@code continuous}:
     * it was the partition's active primary up to this epoch (in the epoch right before, or the map
     * says nothing changed the partition since); {@code before}: its up holders then. Called only
     * while this map or the one before uses leases.
     */
    void primaryTakesIn(PartitionId p, boolean continuous, List<String> before, List<String> now) {
        long until;
        if (continuous) {
            until = 0;
            for (String holder : before) {
                if (!now.contains(holder)) {
                    until = Math.max(until, grantedUntil(holder, r.epoch()));
                }
            }
        } else {
            until = r.now() + predecessorMillis();
        }
        if (until > r.now()) {
            writesHeld.merge(p, until, Math::max);
        }
    }

    /** Until when writes of {@code p} wait for read leases to run out, or 0. */
    long writesHeldUntil(PartitionId p) {
        Long until = writesHeld.get(p);
        if (until == null) {
            return 0;
        }
        if (until <= r.now()) {
            writesHeld.remove(p);
            return 0;
        }
        return until;
    }

    /**
     * When the last lease granted to {@code holder} in an epoch before {@code epoch} runs out at the
     * latest, or 0: the leases under which it may still read a partition it no longer holds in
     * {@code epoch} (one granted in {@code epoch} or later serves only what it holds then).
     */
    long grantedUntil(String holder, long epoch) {
        TreeMap<Long, Long> byEpoch = granted.get(holder);
        if (byEpoch == null) {
            return 0;
        }
        byEpoch.values().removeIf(until -> until <= r.now());
        if (byEpoch.isEmpty()) {
            granted.remove(holder);
            return 0;
        }
        return byEpoch.headMap(epoch, false).values().stream().mapToLong(Long::longValue).max().orElse(0);
    }
}
