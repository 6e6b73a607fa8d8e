package io.cairn.protocol;

import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.placement.PartitionPlacement;
import io.cairn.core.store.ApplyOutcome;
import io.cairn.core.store.Mutation;
import io.cairn.protocol.ReplicaStateMachine.Responder;
import io.cairn.protocol.erasure.BlockStamp;
import io.cairn.protocol.erasure.StripeCoder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The write path of a replica: a primary sequences a write (assigns its {@link Version}), writes
 * it durably, mirrors it to every other up holder and acknowledges once each of them has it
 * durably; a replica admits a mirror only from the primary of its own epoch (and from the
 * primary's current run of its process: see {@link ReplicaStateMachine#noteIncarnation}). Writes that reach a
 * node that is not the primary are forwarded to it.
 *
 * <p>A write waits only for holders that are still up holders of the partition: when the map
 * marks one down (it crashed, or its peers cannot reach it), writes waiting on it complete with
 * the others, and a primary that stays active in the new epoch sends what a holder has not
 * confirmed yet again, stamped with the new epoch.
 */
final class WritePath {

    private final ReplicaStateMachine r;
    /** Writes of this node, as primary, waiting for their mirrors; in the order they were mirrored. */
    private final List<FanIn> fanIns = new ArrayList<>();

    WritePath(ReplicaStateMachine replica) {
        this.r = replica;
    }

    // ---- at the primary ----

    void apply(Request.Apply a, Responder reply) {
        if (r.awaitEpoch(a.epoch(), () -> apply(a, reply), () -> reply.reply(refusal(Status.STALE_EPOCH, "too many requests wait for a newer map")))) {
            return;
        }
        PartitionId p = a.partition();
        Optional<PoolInfo> pool = r.pool(p);
        if (pool.isEmpty()) {
            reply.reply(refusal(Status.ERROR, "no partition " + p + " in epoch " + r.epoch()));
            return;
        }
        if (a.blob() != null && Checksums.crc32c(a.blob()) != a.blobCrc32c()) {
            reply.reply(refusal(Status.ERROR, "blob failed its checksum in transit"));
            return;
        }
        PartitionPlacement placement = r.placement(p);
        List<String> up = placement.upHolders(r.map());
        if (!up.contains(r.id())) {
            forward(a, placement.primary(r.map()).orElse(null), reply);
            return;
        }
        StoragePolicy policy = pool.get().policy();
        boolean erasureCoded = policy.kind() == StoragePolicy.Kind.ERASURE_CODED;
        Stripe stripe = null;
        if (erasureCoded && a.blob() != null && !a.tombstone()) {
            if (up.size() < policy.dataBlocks()) {
                reply.reply(refusal(Status.REPLICATION_FAILED, "only " + up.size() + " of the " + policy.width() + " holders of " + p
                        + " are up; a stripe needs at least " + policy.dataBlocks()));
                return;
            }
            try {
                stripe = new Stripe(placement.holders(), StripeCoder.encode(policy.dataBlocks(), policy.parityBlocks(), a.blob()),
                        new BlockStamp(0, policy.dataBlocks(), policy.parityBlocks(), a.blob().remaining(), a.blobCrc32c()), a.meta());
            } catch (IllegalArgumentException e) {
                reply.reply(refusal(Status.ERROR, "cannot cut a stripe of " + a.key() + ": " + e.getMessage()));
                return;
            }
        }
        if (r.mapBehind()) {
            reply.reply(new Reply.ApplyReply(Status.STALE_EPOCH, r.knownEpoch(), "map epoch " + r.knownEpoch()
                    + " exists; this node is fetching it", null, null, false));
            return;
        }
        PartitionReplica rep = r.replica(p);
        PartitionStateMachine m = rep.machine;
        int minCopies = Math.min(r.config().minCopies(), ReplicaStateMachine.copiesWanted(policy));
        if (!erasureCoded && m.active() && m.upHolders().size() < minCopies) {
            reply.reply(refusal(Status.TOO_FEW_COPIES, "only " + m.upHolders().size() + " of the holders of " + p
                    + " are up, and min_copies is " + r.config().minCopies() + ": the write is refused until more come back"));
            return;
        }
        if (stripe != null && m.active() && a.epoch() <= m.epoch()) {
            Optional<LogRecord> existing = rep.record(r.store(), a.key()).filter(x -> !x.tombstone());
            if (existing.isPresent()) {
                writtenOnce(rep, a, stripe, existing.get(), reply);
                return;
            }
        }
        long heldUntil = m.active() ? r.leases.writesHeldUntil(p) : 0;
        if (heldUntil > 0) {
            reply.reply(refusal(Status.PEERING, "writes of " + p + " wait " + (heldUntil - r.now())
                    + " ms more for read leases of an earlier epoch to run out"));
            return;
        }
        if (!r.cuts.maySequence()) {
            reply.reply(refusal(Status.PEERING, r.id() + " does not know the boundaries of the consistent cuts recorded yet"));
            return;
        }
        m.sequenceAbove(r.cuts.floor(p));
        Version version;
        switch (m.admitWrite(a.epoch())) {
            case PartitionStateMachine.WriteDecision.Forward f -> {
                forward(a, f.primary(), reply);
                return;
            }
            case PartitionStateMachine.WriteDecision.Refuse refused -> {
                reply.reply(refusal(refused.reason() == PartitionStateMachine.Refusal.PEERING ? Status.PEERING : Status.NOT_PRIMARY,
                        "refused: " + refused.reason()));
                return;
            }
            case PartitionStateMachine.WriteDecision.Sequence s -> version = s.version();
        }
        if (a.onlyIfBefore() != null) {
            Optional<Version> existing = rep.version(r.store(), a.key());
            if (existing.isPresent() && !a.onlyIfBefore().isAfter(existing.get())) {
                reply.reply(new Reply.ApplyReply(Status.OK, r.epoch(), a.key() + " is at " + existing.get(), existing.get(), null, true));
                return;
            }
        }
        boolean under = m.writesUnderProtected();
        Mutation own;
        try {
            own = stripe == null
                    ? new Mutation(a.key(), version, a.tombstone(), a.meta(), a.tombstone() ? null : a.blob(), under)
                    : new Mutation(a.key(), version, false, stripe.meta(r.id()), stripe.block(r.id()), under);
        } catch (IllegalArgumentException e) {
            reply.reply(refusal(Status.ERROR, "bad write of " + a.key() + ": " + e.getMessage()));
            return;
        }
        Version supersedes = rep.version(r.store(), a.key()).orElse(Version.ZERO);
        LogRecord previous = rep.record(r.store(), a.key()).filter(x -> !x.tombstone()).orElse(null);
        long length = a.blob() == null || a.tombstone() ? 0 : a.blob().remaining();
        LogRecord record = new LogRecord(a.key(), version, a.tombstone(), a.meta(), a.tombstone() ? null : a.blob(), length > 0, length,
                length > 0 ? a.blobCrc32c() : 0, under);
        Stripe s = stripe;
        int required = erasureCoded ? policy.dataBlocks() : minCopies;
        FanIn write = new FanIn(rep, a.key(), s != null, required, version, m.epoch(), m.mirrorTargets(),
                s == null ? t -> record : t -> s.record(record, t), previous, reply);
        r.shipping.sequenced(rep, record, supersedes);
        rep.sequencedInFlight.put(a.key(), own);
        rep.writesInFlight++;
        m.mirroring(version);
        rep.unanswered(version);
        r.storeOp(new StoreOp.Apply(p, own), result -> ownWriteDone(rep, own, write, result));
    }

    /**
     * Erasure-coded chunks are written once (the gateway gives every chunk a fresh id): a torn
     * stripe is then always rolled back to "absent" by a tombstone, never to an older chunk. A
     * write of the chunk already there (a gateway retrying) is answered from what the holders
     * have: done if the stripe is complete; if it is torn, rolled back, and the retry writes it anew.
     */
    private void writtenOnce(PartitionReplica rep, Request.Apply a, Stripe stripe, LogRecord existing, Responder reply) {
        BlockStamp stamp;
        try {
            stamp = BlockStamp.parse(existing.meta());
        } catch (IllegalArgumentException e) {
            reply.reply(refusal(Status.ERROR, "the stored record of " + a.key() + " carries no block stamp: " + e.getMessage()));
            return;
        }
        boolean same = stamp.sameStripe(stripe.stamp()) && java.util.Arrays.equals(BlockStamp.innerMeta(existing.meta()), stripe.innerMeta());
        if (!same) {
            reply.reply(refusal(Status.ERROR, "erasure-coded chunk " + a.key() + " exists at " + existing.version()
                    + " with other bytes; chunks are written once"));
            return;
        }
        if (rep.sequencedInFlight.containsKey(a.key()) || rep.machine.isMirroring(existing.version())) {
            reply.reply(refusal(Status.REPLICATION_FAILED, "a write of " + a.key() + " is under way; retry"));
            return;
        }
        r.stripes.verify(a.partition(), a.key(), existing.version(), stamp, outcome -> {
            switch (outcome) {
                case io.cairn.protocol.erasure.StripeAssembly.Outcome.Complete c ->
                        reply.reply(new Reply.ApplyReply(Status.OK, r.epoch(), "", existing.version(), null, true));
                case io.cairn.protocol.erasure.StripeAssembly.Outcome.Torn t -> {
                    rollBack(a.partition(), a.key(), existing.version());
                    reply.reply(refusal(Status.REPLICATION_FAILED, "the stripe of " + a.key() + " at " + existing.version()
                            + " was torn (" + t.why() + "); rolled back, retry"));
                }
                default -> reply.reply(refusal(Status.REPLICATION_FAILED, "the stripe of " + a.key() + " at " + existing.version()
                        + " cannot be checked now: " + outcome + "; retry"));
            }
        });
    }

    /**
     * Rolls back a stripe that did not complete: a tombstone over {@code key}, written only while
     * the key is still at {@code torn} (so a newer write is never undone). Nobody was told the
     * stripe was written, so its blocks on the holders that got them may go.
     */
    void rollBack(PartitionId p, String key, Version torn) {
        Map<String, Version> pending = rollBacks.computeIfAbsent(p, x -> new java.util.TreeMap<>());
        Version before = pending.get(key);
        if (before != null && !torn.isAfter(before)) {
            return;
        }
        r.note(Effect.Level.INFO, "rolling back the stripe of " + p + " " + key + " at " + torn + ": too few of its blocks were written");
        pending.put(key, torn); // a newer torn version replaces an older one: its tombstone covers both
        writeRollBack(p, key, torn);
    }

    /** Roll-backs not written yet, by partition: tried again every catch-up round while this node is the partition's active primary. */
    private final Map<PartitionId, Map<String, Version>> rollBacks = new java.util.TreeMap<>();
    /** Roll-backs under way, so that a retry does not send a second. */
    private final java.util.Set<String> rollingBack = new java.util.TreeSet<>();

    private void writeRollBack(PartitionId p, String key, Version torn) {
        String id = p + " " + key + " " + torn;
        if (!rollingBack.add(id)) {
            return;
        }
        r.local(new Request.Apply(r.epoch(), p, key, true, new byte[0], null, 0, ReplicaStateMachine.HOPS_MAX,
                new Version(torn.epoch(), torn.seq() + 1)), answer -> {
                    rollingBack.remove(id);
                    if (answer.status() == Status.OK) {
                        Map<String, Version> pending = rollBacks.get(p);
                        if (pending != null && torn.equals(pending.get(key))) {
                            pending.remove(key);
                            if (!((Reply.ApplyReply) answer).kept()) {
                                r.counters.stripesRolledBack++;
                            }
                        }
                    } else {
                        r.note(Effect.Level.INFO, "roll-back of " + p + " " + key + " at " + torn + " not written now ("
                                + answer.status() + " " + answer.message() + "); tried again");
                    }
                });
    }

    /** Every catch-up round: roll-backs not written yet are tried again, by the partition's active primary only. */
    void retryRollBacks() {
        for (Map.Entry<PartitionId, Map<String, Version>> e : new ArrayList<>(rollBacks.entrySet())) {
            PartitionReplica rep = r.existing(e.getKey());
            if (rep == null || rep.machine.role() != PartitionStateMachine.Role.PRIMARY) {
                rollBacks.remove(e.getKey()); // another primary's peering decides now
                continue;
            }
            if (rep.machine.active()) {
                new java.util.TreeMap<>(e.getValue()).forEach((key, torn) -> writeRollBack(e.getKey(), key, torn));
            }
        }
    }

    private void ownWriteDone(PartitionReplica rep, Mutation own, FanIn write, StoreResult result) {
        rep.writesInFlight--;
        if (rep.sequencedInFlight.get(own.key()) == own) {
            rep.sequencedInFlight.remove(own.key());
        }
        switch (result) {
            case StoreResult.Applied a when a.outcome() == ApplyOutcome.APPLIED -> {
                r.shipping.written(rep, own.version());
                rep.machine.noteApplied(own.version());
                fanIns.add(write);
                write.start();
            }
            case StoreResult.Applied a -> {
                r.shipping.unwritten(rep, own.version());
                write.finish(Status.REPLICATION_FAILED, own.key() + " at " + own.version()
                        + " was superseded here before it was written (a newer primary's write)");
            }
            case StoreResult.Full f -> {
                r.shipping.unwritten(rep, own.version());
                write.finish(Status.FULL, "node " + r.id() + " is full: " + f.why());
            }
            case StoreResult.Failed f -> {
                r.shipping.unwritten(rep, own.version());
                write.finish(Status.ERROR, "local write failed: " + f.why());
            }
            default -> throw new IllegalStateException("a write ended with " + result);
        }
    }

    /**
     * Every map change: a write waits no more for holders that are not up holders now, and a
     * primary still active in the new epoch sends unconfirmed mirrors again, stamped with it.
     */
    void mapChanged() {
        for (FanIn w : new ArrayList<>(fanIns)) {
            PartitionReplica rep = w.rep;
            boolean stillActive = r.existing(w.partition) == rep && rep.machine.active() && rep.machine.epoch() == r.epoch();
            if (stillActive) {
                w.resendUnconfirmed();
            }
            w.evaluate();
        }
    }

    /** A sequenced write's way to its mirrors and back. */
    private final class FanIn {
        private final PartitionReplica rep;
        private final PartitionId partition;
        private final String key;
        /** A block of a stripe: a write that does not complete is rolled back. */
        private final boolean stripe;
        /** Copies (or blocks) that must be durable, this node's included, for the write to be acknowledged. */
        private final int required;
        private final Version version;
        private final long epoch;
        private final java.util.function.Function<String, LogRecord> recordFor;
        private final LogRecord previous;
        private final Responder reply;
        /** Each target's state: the call waiting on it, and its answer once there. */
        private final Map<String, Target> targets = new LinkedHashMap<>();
        private boolean finished;

        FanIn(PartitionReplica rep, String key, boolean stripe, int required, Version version, long epoch, List<String> targets,
              java.util.function.Function<String, LogRecord> recordFor, LogRecord previous, Responder reply) {
            this.rep = rep;
            this.partition = rep.id;
            this.key = key;
            this.stripe = stripe;
            this.required = required;
            this.version = version;
            this.epoch = epoch;
            this.recordFor = recordFor;
            this.previous = previous;
            this.reply = reply;
            for (String t : targets) {
                this.targets.put(t, new Target());
            }
        }

        void start() {
            for (Map.Entry<String, Target> e : targets.entrySet()) {
                e.getValue().sentEpoch = epoch;
                send(e.getKey(), e.getValue(), epoch);
            }
            if (r.epoch() != epoch) {
                mapChanged(); // the map moved while the write was being made here
            } else {
                evaluate();
            }
        }

        private void send(String target, Target state, long stampEpoch) {
            long call = state.call + 1;
            state.call = call;
            state.status = null;
            r.call(target, new Request.Mirror(stampEpoch, partition, recordFor.apply(target), r.id(), r.incarnation()), r.config().rpcTimeoutMillis(),
                    (answer, failure) -> {
                        if (finished || state.status == Status.OK) {
                            return;
                        }
                        if (state.call != call && (answer == null || answer.status() != Status.OK)) {
                            return; // a refusal superseded by a later send (a confirmation counts whenever it comes)
                        }
                        if (answer == null) {
                            state.status = Status.REPLICATION_FAILED;
                            state.message = ReplicaStateMachine.rootMessage(failure);
                        } else {
                            state.status = answer.status();
                            state.message = answer.message();
                            state.replyEpoch = answer.epoch();
                        }
                        evaluate();
                    });
        }

        void resendUnconfirmed() {
            if (finished) {
                return;
            }
            for (Map.Entry<String, Target> e : targets.entrySet()) {
                Target t = e.getValue();
                if (r.isUpHolder(partition, e.getKey()) && t.status != Status.OK && t.sentEpoch < r.epoch()) {
                    t.sentEpoch = r.epoch();
                    send(e.getKey(), t, r.epoch());
                }
            }
        }

        /** Decides the write once every target that is still an up holder has answered. */
        void evaluate() {
            if (finished) {
                return;
            }
            StringBuilder failures = new StringBuilder();
            boolean full = false;
            int durable = 1; // this node's own copy
            for (Map.Entry<String, Target> e : targets.entrySet()) {
                Target t = e.getValue();
                if (t.status == Status.OK) {
                    durable++;
                    continue;
                }
                if (!r.isUpHolder(partition, e.getKey())) {
                    long leased = r.leases.grantedUntil(e.getKey(), r.epoch());
                    if (leased > r.now()) {
                        // It may still answer reads of its copy, which lacks this write, under a lease.
                        r.at(leased, this::evaluate);
                        return;
                    }
                    continue; // down or moved away: it catches up from the log when it is back
                }
                if (t.status == null || t.status == Status.STALE_EPOCH && t.replyEpoch > r.epoch()) {
                    return; // waiting for its answer, or for the map it refused in (then sent again if still primary)
                }
                full |= t.status == Status.FULL;
                failures.append(e.getKey()).append(": ").append(t.status).append(' ').append(t.message).append("; ");
            }
            if (!failures.isEmpty()) {
                finish(full ? Status.FULL : Status.REPLICATION_FAILED, "mirror to " + failures);
            } else if (durable < required) {
                finish(Status.REPLICATION_FAILED, "only " + durable + " of the holders have " + key + " at " + version
                        + " and the others went down; " + required + " are needed");
            } else {
                finish(Status.OK, "");
            }
        }

        void finish(Status status, String message) {
            if (finished) {
                return;
            }
            finished = true;
            fanIns.remove(this);
            rep.machine.mirrored(version);
            Reply.ApplyReply answer = new Reply.ApplyReply(status, r.epoch(), message, version, status == Status.OK ? previous : null, false);
            if (status == Status.OK) {
                r.cuts.acknowledge(() -> { // held while a round of consistent cuts is prepared
                    reply.reply(answer);
                    rep.answered(version);
                });
            } else {
                reply.reply(answer);
                rep.answered(version);
            }
            if (status != Status.OK && stripe && rep.machine.active() && r.existing(partition) == rep) {
                rollBack(partition, key, version);
            }
        }
    }

    private static final class Target {
        long call;
        long sentEpoch;
        long replyEpoch;
        /** Null while waiting. */
        Status status;
        String message = "";
    }

    private void forward(Request.Apply a, String primary, Responder reply) {
        if (primary == null || primary.equals(r.id())) {
            reply.reply(refusal(Status.PEERING, "no primary for " + a.partition() + " in epoch " + r.epoch()));
            return;
        }
        if (a.hops() >= ReplicaStateMachine.HOPS_MAX) {
            reply.reply(refusal(Status.NOT_PRIMARY, "not the primary of " + a.partition() + "; the primary is " + primary));
            return;
        }
        r.call(primary, a.forwarded(r.epoch()), r.config().rpcTimeoutMillis(), (answer, failure) -> reply.reply(answer != null ? answer
                : refusal(Status.ERROR, "forward to " + primary + " failed: " + ReplicaStateMachine.rootMessage(failure))));
    }

    private Reply.ApplyReply refusal(Status status, String message) {
        return new Reply.ApplyReply(status, r.epoch(), message, null, null, false);
    }

    // ---- at the other holders ----

    void mirror(Request.Mirror req, Responder reply) {
        if (r.awaitEpoch(req.epoch(), () -> mirror(req, reply),
                () -> reply.reply(new Reply.MirrorReply(Status.STALE_EPOCH, r.epoch(), "too many requests wait for a newer map")))) {
            return;
        }
        PartitionId p = req.partition();
        if (!r.isUpHolder(p, r.id())) {
            reply.reply(new Reply.MirrorReply(Status.NOT_PRIMARY, r.epoch(), "not a holder of " + p + " in epoch " + r.epoch()));
            return;
        }
        if (r.mapBehind()) {
            reply.reply(new Reply.MirrorReply(Status.STALE_EPOCH, r.knownEpoch(), "map epoch " + r.knownEpoch()
                    + " exists; this node is fetching it"));
            return;
        }
        PartitionReplica rep = r.replica(p);
        PartitionStateMachine.Admission admission = rep.machine.admitMirror(req.epoch(), req.primary());
        if (admission != PartitionStateMachine.Admission.ACCEPT) {
            reply.reply(new Reply.MirrorReply(admission == PartitionStateMachine.Admission.REFUSE_STALE_EPOCH ? Status.STALE_EPOCH
                    : Status.NOT_PRIMARY, r.epoch(), "refused: " + admission));
            return;
        }
        if (!r.noteIncarnation(req.primary(), req.incarnation())) {
            // Sent before the primary restarted; its new run has pulled this node's log since (a
            // write whose primary mirrors before its own copy is durable could otherwise land here
            // after that pull, and collide with a version the new run sequences).
            reply.reply(new Reply.MirrorReply(Status.STALE_EPOCH, r.epoch(), "refused: a mirror from an earlier run of " + req.primary()));
            return;
        }
        LogRecord record = req.record();
        if (record.carriesData() && (record.blob() == null || Checksums.crc32c(record.blob()) != record.blobCrc32c())) {
            reply.reply(new Reply.MirrorReply(Status.ERROR, r.epoch(), "blob failed its checksum in transit"));
            return;
        }
        Mutation m;
        try {
            m = record.mutation(record.carriesData() ? record.blob() : null);
        } catch (IllegalArgumentException e) {
            reply.reply(new Reply.MirrorReply(Status.ERROR, r.epoch(), "bad mirror of " + record.key() + ": " + e.getMessage()));
            return;
        }
        rep.writesInFlight++;
        r.storeOp(new StoreOp.Apply(p, m), result -> {
            rep.writesInFlight--;
            switch (result) {
                case StoreResult.Applied a -> {
                    if (a.outcome() == ApplyOutcome.APPLIED) {
                        rep.machine.noteApplied(m.version());
                    }
                    reply.reply(new Reply.MirrorReply(Status.OK, r.epoch(), ""));
                }
                case StoreResult.Full f -> reply.reply(new Reply.MirrorReply(Status.FULL, r.epoch(), "node " + r.id() + " is full: " + f.why()));
                case StoreResult.Failed f -> reply.reply(new Reply.MirrorReply(Status.ERROR, r.epoch(), "local write failed: " + f.why()));
                default -> throw new IllegalStateException("a write ended with " + result);
            }
        });
    }

    /**
     * The blocks of one erasure-coded chunk: block {@code i} goes to the node in slot {@code i} of
     * the partition's placement, stamped with its index.
     */
    private record Stripe(List<String> holders, ByteBuffer[] blocks, BlockStamp stamp, byte[] innerMeta) {

        private int slotOf(String node) {
            int slot = holders.indexOf(node);
            if (slot < 0 || slot >= blocks.length) {
                throw new IllegalStateException(node + " holds no block of this stripe (placement " + holders + ")");
            }
            return slot;
        }

        ByteBuffer block(String node) {
            return blocks[slotOf(node)];
        }

        byte[] meta(String node) {
            return stamp.forIndex(slotOf(node)).wrap(innerMeta);
        }

        /** The mirrored record for {@code node}: its own block instead of the chunk. */
        LogRecord record(LogRecord chunk, String node) {
            ByteBuffer block = block(node);
            return new LogRecord(chunk.key(), chunk.version(), false, meta(node), block, true, block.remaining(),
                    Checksums.crc32c(block), chunk.underProtected());
        }
    }
}
