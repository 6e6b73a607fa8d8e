package io.cairn.protocol;

import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Space back after data moved: once the cluster has settled (see {@code MetaState.settled}) in the
 * epoch of this node's map, the copies of partitions this node no longer holds are dropped — their
 * holders have everything, a replicated partition's records have been handed over, an erasure-coded
 * partition's holders have their own blocks.
 */
final class Reclaim {

    private final ReplicaStateMachine r;
    private long nextCheck;
    private final Set<PartitionId> dropping = new TreeSet<>();

    Reclaim(ReplicaStateMachine replica) {
        this.r = replica;
        this.nextCheck = replica.now() + replica.config().reclaimCheckMillis();
    }

    void tick() {
        if (r.now() >= nextCheck) {
            // Asked again every interval: an answer lost on the way is simply asked for again.
            nextCheck = r.now() + r.config().reclaimCheckMillis();
            r.emit(new Effect.AskSettled());
        }
    }

    boolean dropping(PartitionId p) {
        return dropping.contains(p);
    }

    void settled(long epoch, boolean settled) {
        if (!settled || epoch != r.epoch()) {
            return;
        }
        for (PartitionId p : new TreeSet<>(r.store().partitions())) {
            Optional<PoolInfo> pool = r.pool(p);
            if (pool.isEmpty() || dropping.contains(p)) {
                continue;
            }
            PartitionReplica rep = r.existing(p);
            boolean ec = pool.get().policy().kind() == StoragePolicy.Kind.ERASURE_CODED;
            if (rep != null && (rep.writesInFlight > 0 || rep.recovery != null)) {
                continue;
            }
            if (!RecoveryRules.mayDrop(r.placement(p), r.id(), ec, r.store().lastVersion(p), r.handOver.handedOver(p),
                    rep == null ? null : rep.machine, rep != null && rep.handOverInFlight)) {
                continue;
            }
            long before = r.store().stats().usedBytes();
            dropping.add(p);
            r.forget(p);
            r.storeOp(new StoreOp.DropPartition(p), result -> {
                dropping.remove(p);
                if (result instanceof StoreResult.Done) {
                    r.counters.partitionsDropped++;
                    r.note(Effect.Level.INFO, "dropped this node's copy of " + p + " (no longer held; cluster settled in epoch " + epoch
                            + "): " + (before - r.store().stats().usedBytes()) + " bytes");
                } else {
                    r.note(Effect.Level.WARN, "could not drop the copy of " + p + ": " + result);
                }
                r.pool(p).ifPresent(x -> r.takeIn(p, x)); // the map may give it back meanwhile
            });
        }
    }
}
