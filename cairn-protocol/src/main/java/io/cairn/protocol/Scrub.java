package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.BlobRead;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.StoredRecord;
import io.cairn.protocol.erasure.BlockStamp;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The scrub: reads every blob of every partition this node holds, at a bounded rate, checks it
 * against its checksum, and has each damaged or missing one rewritten from the other holders (a
 * good copy of the same version, or for an erasure-coded block, one rebuilt from {@code k}
 * others). A pass over everything is followed by a pause. Reads already verify and repair what
 * they touch; the scrub finds damage in data nobody reads, before a second fault meets it.
 */
final class Scrub {

    /** Records read from the partition log per step of a pass. */
    static final int PAGE_RECORDS = 256;
    /** A starting node settles (registers, peers, catches up) before it reads everything. */
    static final long START_DELAY_MILLIS_MAX = 30_000;

    private final ReplicaStateMachine r;
    private final RecoveryThrottle throttle;
    private long nextPassAt;
    /** Partitions of the pass under way still to scrub, or null between passes. */
    private ArrayDeque<PartitionId> pass;
    private PartitionId partition;
    private Version after;
    private final ArrayDeque<StoredRecord> page = new ArrayDeque<>();
    private boolean pageWasFull;
    private boolean busy;

    Scrub(ReplicaStateMachine replica, long nowMillis) {
        this.r = replica;
        this.throttle = new RecoveryThrottle(replica.config().scrubBytesPerSecond(), nowMillis);
        this.nextPassAt = nowMillis + Math.min(replica.config().scrubPauseMillis(), START_DELAY_MILLIS_MAX);
    }

    void tick() {
        if (r.config().scrubBytesPerSecond() == 0 || busy) {
            return;
        }
        if (pass == null) {
            if (r.now() < nextPassAt) {
                return;
            }
            pass = new ArrayDeque<>();
            for (PartitionReplica rep : r.replicas()) {
                if (rep.machine.role() != PartitionStateMachine.Role.NONE) {
                    pass.addLast(rep.id);
                }
            }
            partition = null;
        }
        step();
    }

    /** Goes on with the pass: the next blob to check, or the next page, partition or pass. */
    private void step() {
        while (true) {
            StoredRecord rec = page.pollFirst();
            if (rec != null) {
                after = rec.version();
                if (rec.tombstone() || rec.blobLength() == 0) {
                    continue;
                }
                long ready = throttle.charge(rec.blobLength(), r.now());
                busy = true;
                PartitionId p = partition;
                r.at(ready, () -> check(p, rec));
                return;
            }
            if (partition != null && pageWasFull) {
                List<StoredRecord> next = r.store().since(partition, after, PAGE_RECORDS);
                page.addAll(next);
                pageWasFull = next.size() == PAGE_RECORDS;
                continue;
            }
            partition = pass.pollFirst();
            if (partition == null) {
                r.counters.scrubPasses++;
                pass = null;
                nextPassAt = r.now() + r.config().scrubPauseMillis();
                return;
            }
            after = Version.ZERO;
            pageWasFull = true;
        }
    }

    private void check(PartitionId p, StoredRecord rec) {
        r.storeOp(new StoreOp.ReadBlob(p, rec.key()), result -> {
            r.counters.scrubBytes += rec.blobLength();
            BlobRead read = result instanceof StoreResult.BlobLoaded b ? b.read() : new BlobRead.Corrupt("read failed: " + result);
            boolean replaced = r.store().get(p, rec.key()).map(now -> !now.version().equals(rec.version())).orElse(true);
            if (read instanceof BlobRead.Found || replaced || r.existing(p) == null) {
                resume(); // good, or overwritten or deleted since the page was read, or no longer held
                return;
            }
            r.counters.scrubDamaged++;
            r.note(Effect.Level.WARN, "scrub: " + p + " " + rec.key() + " at " + rec.version() + " is "
                    + (read instanceof BlobRead.Missing ? "missing" : "damaged"));
            repair(p, rec);
        });
    }

    private void repair(PartitionId p, StoredRecord rec) {
        if (!r.erasureCoded(p)) {
            r.reads.repairFromPeers(p, rec, good -> {
                if (good.isPresent()) {
                    r.counters.scrubRepaired++;
                }
                resume();
            });
            return;
        }
        int slot = r.pool(p).isPresent() ? r.placement(p).holders().indexOf(r.id()) : -1;
        BlockStamp stamp;
        try {
            stamp = BlockStamp.parse(rec.meta());
        } catch (IllegalArgumentException e) {
            r.note(Effect.Level.INFO, "block of " + p + " " + rec.key() + " not rebuilt: " + e.getMessage());
            resume();
            return;
        }
        if (slot < 0 || stamp.index() != slot) {
            resume(); // the layout moved; catch-up re-creates this slot's block
            return;
        }
        r.stripes.rebuild(p, rec.key(), rec.version(), stamp, slot, outcome -> {
            if (outcome instanceof StripeReads.Rebuild.Built b) {
                r.storeOp(new StoreOp.Repair(p, new Mutation(rec.key(), rec.version(), false, b.meta(), b.block())), result -> {
                    boolean rewritten = result instanceof StoreResult.Repaired rp && rp.rewritten();
                    if (rewritten) {
                        r.counters.scrubRepaired++;
                    }
                    r.note(Effect.Level.WARN, "rebuilt damaged block " + slot + " of " + p + " " + rec.key() + " at " + rec.version()
                            + " (rewritten: " + rewritten + ")");
                    resume();
                });
            } else {
                r.note(Effect.Level.INFO, "block of " + p + " " + rec.key() + " not rebuilt: " + outcome);
                resume();
            }
        });
    }

    private void resume() {
        busy = false;
        if (pass != null) {
            step();
        }
    }
}
