package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.ApplyOutcome;
import io.cairn.core.store.Mutation;
import io.cairn.protocol.erasure.BlockStamp;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Peering and catch-up: how a partition's copy on this node is settled after a map change.
 *
 * <p>A new primary <em>peers</em>: it pulls the whole log of every other up holder (metadata;
 * blobs only for what it lacks), refusing writes and log pulls until it has, and waits while a
 * source still has writes landing (they may yet be acknowledged). A replica <em>catches up</em>
 * from its primary's log: the first time in an epoch the under-protected records first, then the
 * whole log; later, from where the last pull ended. Pulls take a permit of the {@link
 * RecoveryGate} (peering first, then under-protected records, then backfill) and pay their bytes
 * to the {@link RecoveryThrottle}. A copy damaged at the source is fetched from another node with
 * a good one; an erasure-coded holder rebuilds its own block from {@code k} others.
 */
final class Recovery {

    /** How soon a peering that failed is tried again (a source still settling its writes, say). */
    static final long PEERING_RETRY_MILLIS = 250;

    private final ReplicaStateMachine r;

    Recovery(ReplicaStateMachine replica) {
        this.r = replica;
    }

    /** Carries out what a partition's state machine asked for. */
    void start(PartitionReplica rep, PartitionStateMachine.Effect effect) {
        switch (effect) {
            case PartitionStateMachine.Effect.None none -> { }
            case PartitionStateMachine.Effect.StartPeering sp -> {
                if (rep.recovery != null) {
                    rep.recovery.cancel();
                }
                Peering job = new Peering(rep, sp);
                rep.recovery = job;
                job.start();
            }
            case PartitionStateMachine.Effect.StartCatchUp cu -> {
                if (rep.recovery != null) {
                    rep.recovery.cancel();
                }
                CatchUp job = new CatchUp(rep, cu);
                rep.recovery = job;
                job.start();
            }
        }
    }

    /** A primary whose peering failed peers again. */
    void retryPeeringIfStuck(PartitionReplica rep) {
        PartitionStateMachine m = rep.machine;
        if (m.role() == PartitionStateMachine.Role.PRIMARY && !m.active() && !m.stuck() && rep.recovery == null && m.epoch() == r.epoch()) {
            start(rep, new PartitionStateMachine.Effect.StartPeering(m.epoch(),
                    m.upHolders().stream().filter(n -> !n.equals(r.id())).toList(), Version.ZERO));
        }
    }

    /** A new primary settling its history from every other up holder's log. */
    private final class Peering implements PartitionReplica.RecoveryJob {
        private final PartitionReplica rep;
        private final PartitionStateMachine.Effect.StartPeering order;
        private RecoveryGate.Ticket ticket;
        private LogPull pull;
        private int next;
        private Version highest;
        /** A source said its copy holds every acknowledged write. */
        private boolean metIntact;
        private boolean over;
        /** For an erasure-coded partition: which holders have a block of each version of each chunk, by their logs. */
        private final java.util.Map<String, java.util.TreeMap<Version, java.util.Set<String>>> blocks = new java.util.TreeMap<>();

        Peering(PartitionReplica rep, PartitionStateMachine.Effect.StartPeering order) {
            this.rep = rep;
            this.order = order;
        }

        @Override
        public long epoch() {
            return order.epoch();
        }

        void start() {
            ticket = r.gate.request(RecoveryGate.Priority.PEERING, this::granted);
        }

        private void granted() {
            if (over) {
                return;
            }
            highest = r.store().lastVersion(rep.id);
            nextSource();
        }

        /** This node's own blocks of another slot than it holds now, found by {@link #countOwnBlocks}. */
        private final List<LogRecord> misplaced = new java.util.ArrayList<>();

        /** Counts this node's own blocks, once nothing is landing here any more. */
        private void countOwnBlocks() {
            Version after = Version.ZERO;
            int slot = r.placement(rep.id).holders().indexOf(r.id());
            while (true) {
                List<io.cairn.core.store.StoredRecord> page = r.store().since(rep.id, after, ReplicaStateMachine.LOG_PAGE_RECORDS_MAX);
                for (io.cairn.core.store.StoredRecord own : page) {
                    LogRecord rec = LogRecord.of(own);
                    count(r.id(), rec);
                    if (rec.carriesData() && BlockStamp.isStamped(own.meta()) && BlockStamp.parse(own.meta()).index() != slot) {
                        misplaced.add(rec);
                    }
                    after = own.version();
                }
                if (page.size() < ReplicaStateMachine.LOG_PAGE_RECORDS_MAX) {
                    return;
                }
            }
        }

        private void count(String holder, LogRecord rec) {
            if (rec.carriesData()) {
                blocks.computeIfAbsent(rec.key(), k -> new java.util.TreeMap<>()).computeIfAbsent(rec.version(), v -> new java.util.TreeSet<>())
                        .add(holder);
            }
        }

        /**
         * Stripes whose newest version has fewer blocks on the holders, counting every holder that is
         * down as one that may have one, than {@code k}: writes that never completed (nobody was told
         * they did), to be rolled back once this primary is active.
         */
        private java.util.Map<String, Version> torn() {
            java.util.Map<String, Version> out = new java.util.TreeMap<>();
            if (blocks.isEmpty()) {
                return out;
            }
            int k = r.pool(rep.id).map(x -> x.policy().dataBlocks()).orElse(1);
            long down = r.placement(rep.id).holders().stream().filter(h -> !r.isUp(h)).count();
            blocks.forEach((key, versions) -> {
                java.util.Map.Entry<Version, java.util.Set<String>> newest = versions.lastEntry();
                if (newest.getValue().size() + down < k) {
                    out.put(key, newest.getKey());
                }
            });
            return out;
        }

        private void nextSource() {
            if (over) {
                return;
            }
            if (next == order.sources().size()) {
                finish();
                return;
            }
            String source = order.sources().get(next++);
            pull = new LogPull(rep, LogPull.Kind.PEERING, source, order.after(), order.epoch(), result -> {
                if (result.highest().isAfter(highest)) {
                    highest = result.highest();
                }
                metIntact |= result.sourceIntact();
                nextSource();
            }, this::fail);
            if (r.erasureCoded(rep.id)) {
                pull.observer = this::count;
            }
            pull.start();
        }

        private void finish() {
            if (rep.writesInFlight > 0) {
                fail("writes are still landing in " + rep.id + " here");
                return;
            }
            if (r.erasureCoded(rep.id)) {
                countOwnBlocks();
            }
            end();
            rep.machine.peeringDone(order.epoch(), highest, metIntact);
            if (rep.machine.stuck()) {
                r.counters.peeringsWaited++;
                r.note(Effect.Level.WARN, "partition " + rep.id + " waits, in epoch " + order.epoch() + ", for a holder whose copy holds "
                        + "every acknowledged write: no copy here or at " + order.sources() + " has settled since its node last became "
                        + "an up holder, and " + r.placement(rep.id).holders().stream().filter(h -> !r.isUp(h)).toList()
                        + " are down; it takes no reads or writes until a map brings one back");
                return;
            }
            if (rep.machine.active()) {
                r.persistCursor(rep.id, rep.machine.cursor());
                r.persistSettled(rep);
                r.note(Effect.Level.DEBUG, "partition " + rep.id + " peered in epoch " + order.epoch() + " from " + order.sources()
                        + " up to " + highest);
                for (LogRecord rec : misplaced) {
                    reslot(rep, rec, rewritten -> { });
                }
                torn().forEach((key, version) -> {
                    Optional<Version> mine = rep.version(r.store(), key);
                    if (mine.isEmpty() || !mine.get().isAfter(version)) {
                        r.writes.rollBack(rep.id, key, version);
                    }
                });
            }
        }

        private void fail(String why) {
            if (over) {
                return;
            }
            end();
            r.note(Effect.Level.DEBUG, "peering of " + rep.id + " in epoch " + order.epoch() + " not finished (" + why + "); retried");
            r.at(r.now() + PEERING_RETRY_MILLIS, () -> retryPeeringIfStuck(rep));
        }

        private void end() {
            over = true;
            ticket.release();
            if (rep.recovery == this) {
                rep.recovery = null;
            }
        }

        @Override
        public void cancel() {
            if (!over) {
                if (pull != null) {
                    pull.cancel();
                }
                end();
            }
        }
    }

    /** A replica copying its primary's log: under-protected records first in a new epoch, then the rest. */
    private final class CatchUp implements PartitionReplica.RecoveryJob {
        private final PartitionReplica rep;
        private final PartitionStateMachine.Effect.StartCatchUp order;
        private RecoveryGate.Ticket ticket;
        private LogPull pull;
        private boolean over;

        CatchUp(PartitionReplica rep, PartitionStateMachine.Effect.StartCatchUp order) {
            this.rep = rep;
            this.order = order;
        }

        @Override
        public long epoch() {
            return order.epoch();
        }

        void start() {
            if (order.after().equals(Version.ZERO)) {
                // The first catch-up in this epoch: before the rest of the log, the records the
                // primary took while holders were missing, which have the fewest copies.
                ticket = r.gate.request(RecoveryGate.Priority.UNDER_PROTECTED, () -> {
                    if (over) {
                        return;
                    }
                    pull = new LogPull(rep, LogPull.Kind.UNDER_PROTECTED, order.primary(), Version.ZERO, order.epoch(), result -> {
                        ticket.release();
                        backfill();
                    }, this::fail);
                    pull.start();
                });
            } else {
                backfill();
            }
        }

        private void backfill() {
            if (over) {
                return;
            }
            ticket = r.gate.request(RecoveryGate.Priority.BACKFILL, () -> {
                if (over) {
                    return;
                }
                pull = new LogPull(rep, LogPull.Kind.CATCH_UP, order.primary(), order.after(), order.epoch(), this::done, this::fail);
                pull.start();
            });
        }

        private void done(LogPull.Result result) {
            end();
            rep.machine.catchUpDone(order.epoch(), result.upTo(), result.reachedSettledEnd());
            r.persistCursor(rep.id, rep.machine.cursor());
            r.persistSettled(rep);
        }

        private void fail(String why) {
            if (over) {
                return;
            }
            end();
            r.note(Effect.Level.DEBUG, "catch-up of " + rep.id + " from " + order.primary() + " failed: " + why);
            rep.machine.catchUpFailed();
            if (pull != null && pull.sourcePeering) {
                // The primary is settling its own history (a new primary peers right after a map
                // change): it answers within moments, not at the next catch-up round.
                r.at(r.now() + PEERING_RETRY_MILLIS, () -> {
                    if (r.existing(rep.id) == rep && rep.recovery == null) {
                        Recovery.this.start(rep, rep.machine.tick());
                    }
                });
            }
        }

        private void end() {
            over = true;
            if (ticket != null) {
                ticket.release();
            }
            if (rep.recovery == this) {
                rep.recovery = null;
            }
        }

        @Override
        public void cancel() {
            if (!over) {
                if (pull != null) {
                    pull.cancel();
                }
                end();
                rep.machine.catchUpFailed();
            }
        }
    }

    /**
     * Copies every record of {@code source}'s log after a version that this node lacks, a page at
     * a time, a few records at once.
     */
    final class LogPull {

        /** What a log pull is for. */
        enum Kind {
            /** A new primary settling its history: waits for writes still landing at the source; may leave out a record with no good copy. */
            PEERING,
            /** A holder copying the primary's under-protected records ahead of the rest. */
            UNDER_PROTECTED,
            /** A holder copying the primary's log; it says how far it holds it. */
            CATCH_UP
        }

        /**
         * @param upTo              everything up to this version of the source is now held here
         * @param highest           the newest version seen
         * @param reachedSettledEnd the last page showed the source's whole log, with no write of it on its way
         * @param sourceIntact      the last page came from a source whose copy holds every acknowledged write
         */
        record Result(Version upTo, Version highest, boolean reachedSettledEnd, boolean sourceIntact) {}

        private final PartitionReplica rep;
        private final Kind kind;
        private final String source;
        private final long epoch;
        private final Consumer<Result> onDone;
        private final Consumer<String> onFail;
        /** Told of every record of the source's log (peering counts the blocks of each stripe), or null. */
        java.util.function.BiConsumer<String, LogRecord> observer;
        private Version cursor;
        private Version upTo;
        private Version highest;
        private boolean first = true;
        private boolean more;
        /** The last page came from a source with writes on their way (beyond what it showed, or unsynced). */
        private boolean sourceUnsettled = true;
        /** The last page came from a source whose copy holds every acknowledged write ({@link Reply.SinceReply#intact}). */
        private boolean sourceIntact;
        /**
         * A record of a page was superseded at the source before its data was fetched: the
         * newer version lies beyond this pull's end, so the pull cannot say this copy holds
         * every acknowledged write (the version it skipped may have been one, and the write
         * that superseded it may never reach this copy, refused by a full disk, say).
         */
        private boolean skippedSuperseded;
        private boolean over;
        private int inFlight;
        /** The source refused the pull because it is peering: its log is settled moments from now. */
        boolean sourcePeering;
        /** A record to copy; {@code reslot}: this node has its version, but the block of another slot. */
        private record Copy(LogRecord rec, boolean reslot) {}

        private final ArrayDeque<Copy> queue = new ArrayDeque<>();

        LogPull(PartitionReplica rep, Kind kind, String source, Version after, long epoch, Consumer<Result> onDone, Consumer<String> onFail) {
            this.rep = rep;
            this.kind = kind;
            this.source = source;
            this.cursor = after;
            this.highest = after;
            this.epoch = epoch;
            this.onDone = onDone;
            this.onFail = onFail;
        }

        void start() {
            requestPage();
        }

        void cancel() {
            over = true;
        }

        private PartitionId p() {
            return rep.id;
        }

        private boolean stillHolder() {
            return r.pool(p()).isPresent() && r.placement(p()).holders().contains(r.id());
        }

        private void requestPage() {
            if (over) {
                return;
            }
            if (!stillHolder()) {
                // A pull started under an older map must not leave copies on a node that no longer holds the partition.
                fail("no longer a holder of " + p() + " in epoch " + r.epoch() + "; pull abandoned");
                return;
            }
            boolean names = kind == Kind.CATCH_UP && first;
            first = false;
            Request.Since ask = new Request.Since(r.epoch(), p(), cursor, ReplicaStateMachine.LOG_PAGE_RECORDS_MAX,
                    names ? r.id() : "", names ? epoch : 0, kind == Kind.UNDER_PROTECTED, r.id(), r.incarnation());
            r.call(source, ask, r.config().rpcTimeoutMillis(), this::page);
        }

        private void page(Reply answer, String failure) {
            if (over) {
                return;
            }
            if (!(answer instanceof Reply.SinceReply s)) {
                fail("log pull from " + source + ": " + (answer == null ? failure : "unexpected " + answer));
                return;
            }
            if (s.status() != Status.OK || s.last() == null) {
                sourcePeering = s.status() == Status.PEERING;
                fail("log pull from " + source + ": " + s.status() + " " + s.message());
                return;
            }
            if (kind == Kind.PEERING && s.unsettled()) {
                fail("log pull from " + source + ": it still has writes on their way to disk or to their mirrors");
                return;
            }
            if (s.protectedUpTo() != null && kind != Kind.PEERING) {
                r.reads.clearUnderProtected(p(), s.protectedUpTo());
            }
            if (upTo == null) {
                upTo = s.last();
            }
            for (LogRecord rec : s.records()) {
                if (observer != null) {
                    observer.accept(source, rec);
                }
                cursor = rec.version();
                if (rec.version().isAfter(highest)) {
                    highest = rec.version();
                }
                Optional<Version> local = rep.version(r.store(), rec.key());
                if (local.isEmpty() || rec.version().isAfter(local.get())) {
                    queue.addLast(new Copy(rec, false));
                } else if (rec.carriesData() && local.get().equals(rec.version()) && wrongSlot(rep, rec.key())) {
                    queue.addLast(new Copy(rec, true));
                }
            }
            more = s.more();
            // From a source in another epoch than the pull's, the end of its log says nothing of this one.
            sourceUnsettled = s.unsettled() || s.epoch() != epoch;
            sourceIntact = s.intact();
            pump();
        }

        private void pump() {
            while (!over && inFlight < r.config().pullRecordsInFlightMax() && !queue.isEmpty()) {
                Copy c = queue.pollFirst();
                inFlight++;
                copy(c.rec(), c.reslot());
            }
            if (!over && inFlight == 0 && queue.isEmpty()) {
                if (more) {
                    requestPage();
                } else {
                    over = true;
                    onDone.accept(new Result(upTo, upTo.isAfter(highest) ? upTo : highest, !sourceUnsettled && !skippedSuperseded, sourceIntact));
                }
            }
        }

        private void copy(LogRecord rec, boolean reslot) {
            long bytes = 0;
            if (rec.carriesData()) {
                try {
                    // Rebuilding an erasure-coded block reads k blocks: about the chunk's length.
                    bytes = BlockStamp.isStamped(rec.meta()) ? BlockStamp.parse(rec.meta()).chunkLength() : rec.blobLength();
                } catch (IllegalArgumentException e) {
                    recordFailed("log record " + rec + " of " + p() + ": " + e.getMessage());
                    return;
                }
            }
            r.counters.recoveryBytesPulled += bytes;
            long ready = r.recoveryBytes.charge(bytes, r.now());
            if (ready > r.now()) {
                r.at(ready, () -> fetch(rec, reslot));
            } else {
                fetch(rec, reslot);
            }
        }

        private void fetch(LogRecord rec, boolean reslot) {
            if (over) {
                return;
            }
            if (!stillHolder()) {
                recordFailed("no longer a holder of " + p() + " in epoch " + r.epoch() + "; pull abandoned");
                return;
            }
            if (reslot) {
                reslot(rep, rec, done -> recordDone()); // one that cannot be rebuilt now is tried again (retryReslots)
            } else if (rec.carriesData() && r.erasureCoded(p())) {
                ownBlock(rec);
            } else if (rec.carriesData()) {
                fetchBlob(p(), source, rec, kind == Kind.PEERING, (blob, failure) -> {
                    if (failure != null) {
                        recordFailed(failure);
                    } else if (blob.isEmpty()) {
                        skippedSuperseded = true;
                        recordDone(); // superseded at the source, or left out
                    } else {
                        write(rec, blob.get());
                    }
                });
            } else {
                write(rec, null);
            }
        }

        /**
         * Rebuilds this node's own block of an erasure-coded log record from the other holders. A
         * stripe of which fewer than {@code k} blocks exist anywhere is a write that never completed
         * (nobody acknowledged it): it is left out, which rolls it back here. One that cannot be
         * rebuilt now but may be later fails the pull, which is retried.
         */
        private void ownBlock(LogRecord rec) {
            int slot = r.placement(p()).holders().indexOf(r.id());
            BlockStamp stamp;
            try {
                stamp = BlockStamp.parse(rec.meta());
            } catch (IllegalArgumentException e) {
                recordFailed("log record " + rec + " of " + p() + ": " + e.getMessage());
                return;
            }
            r.stripes.rebuild(p(), rec.key(), rec.version(), stamp, slot, outcome -> {
                if (over) {
                    return;
                }
                switch (outcome) {
                    case StripeReads.Rebuild.Built b -> {
                        Mutation m = new Mutation(rec.key(), rec.version(), false, b.meta(), b.block(), rec.underProtected());
                        writeMutation(rec, m);
                    }
                    case StripeReads.Rebuild.Torn t -> {
                        r.note(Effect.Level.INFO, "stripe " + p() + " " + rec + " is torn (" + t.why() + "); left out");
                        recordDone();
                    }
                    case StripeReads.Rebuild.Unavailable u ->
                            recordFailed("block " + slot + " of " + rec + " cannot be rebuilt yet: " + u.why());
                }
            });
        }

        private void write(LogRecord rec, ByteBuffer blob) {
            Mutation m;
            try {
                m = rec.mutation(blob);
            } catch (IllegalArgumentException e) {
                recordFailed("log record " + rec + " of " + p() + " from " + source + ": " + e.getMessage());
                return;
            }
            writeMutation(rec, m);
        }

        private void writeMutation(LogRecord rec, Mutation m) {
            rep.writesInFlight++;
            r.storeOp(new StoreOp.Apply(p(), m), result -> {
                rep.writesInFlight--;
                switch (result) {
                    case StoreResult.Applied a -> {
                        if (a.outcome() == ApplyOutcome.APPLIED) {
                            rep.machine.noteApplied(m.version());
                            r.shipping.arrived(p(), m.key(), m.version());
                            if (kind == Kind.UNDER_PROTECTED) {
                                r.counters.underProtectedCopied++;
                            }
                        }
                        recordDone();
                    }
                    case StoreResult.Full f -> recordFailed("node " + r.id() + " is full: " + f.why());
                    case StoreResult.Failed f -> recordFailed("writing " + rec + " failed: " + f.why());
                    default -> throw new IllegalStateException("a write ended with " + result);
                }
            });
        }

        private void recordDone() {
            inFlight--;
            pump();
        }

        private void recordFailed(String why) {
            inFlight--;
            fail(why);
        }

        private void fail(String why) {
            if (over) {
                return;
            }
            over = true;
            onFail.accept(why);
        }
    }

    /** Whether this node's stored block of {@code key} is the block of another slot than the one it holds now. */
    boolean wrongSlot(PartitionReplica rep, String key) {
        if (!r.erasureCoded(rep.id)) {
            return false;
        }
        Optional<io.cairn.core.store.StoredRecord> stored = r.store().get(rep.id, key);
        if (stored.isEmpty() || stored.get().tombstone() || stored.get().blobLength() == 0 || !BlockStamp.isStamped(stored.get().meta())) {
            return false;
        }
        int slot = r.placement(rep.id).holders().indexOf(r.id());
        return slot >= 0 && BlockStamp.parse(stored.get().meta()).index() != slot;
    }

    /**
     * Blocks of this node in another slot than it holds now whose move could not be made when it
     * was found (the other holders had fewer than {@code k} blocks of the stripe then: a holder
     * that is moving its own block, or rebuilding one, may bring the missing one), by partition
     * and key; tried again every catch-up round while still misplaced.
     */
    private final java.util.Map<PartitionId, java.util.Map<String, LogRecord>> reslotLater = new java.util.TreeMap<>();
    /** Moves under way, by partition and key, so that a retry does not start a second. */
    private final java.util.Set<String> reslotting = new java.util.TreeSet<>();

    /** Every catch-up round: moves of misplaced blocks that could not be made are tried again. */
    void retryReslots() {
        for (java.util.Map.Entry<PartitionId, java.util.Map<String, LogRecord>> e : new java.util.ArrayList<>(reslotLater.entrySet())) {
            PartitionReplica rep = r.existing(e.getKey());
            for (LogRecord rec : new java.util.ArrayList<>(e.getValue().values())) {
                boolean still = rep != null && r.isUpHolder(e.getKey(), r.id())
                        && rep.version(r.store(), rec.key()).filter(rec.version()::equals).isPresent() && wrongSlot(rep, rec.key());
                if (!still) {
                    e.getValue().remove(rec.key());
                } else {
                    reslot(rep, rec, rewritten -> { });
                }
            }
            if (e.getValue().isEmpty()) {
                reslotLater.remove(e.getKey());
            }
        }
    }

    /**
     * Replaces this node's block of {@code rec} (the same version) with the block of the slot it
     * holds now: a layout change moved it (a reader ignores a block found in the wrong slot, so the
     * stripe would have one block less). The new block is rebuilt from the other holders' blocks
     * alone, so the move never takes away a block the stripe needs. {@code done} gets whether it
     * was rewritten; one that cannot be made now is tried again every catch-up round.
     */
    void reslot(PartitionReplica rep, LogRecord rec, Consumer<Boolean> done) {
        String id = rep.id + " " + rec.key();
        if (!reslotting.add(id)) {
            done.accept(false);
            return;
        }
        reslotOnce(rep, rec, rewritten -> {
            reslotting.remove(id);
            java.util.Map<String, LogRecord> later = reslotLater.get(rep.id);
            if (rewritten || !wrongSlot(rep, rec.key())) {
                if (later != null) {
                    later.remove(rec.key());
                }
            } else {
                reslotLater.computeIfAbsent(rep.id, x -> new java.util.TreeMap<>()).put(rec.key(), rec);
            }
            done.accept(rewritten);
        });
    }

    private void reslotOnce(PartitionReplica rep, LogRecord rec, Consumer<Boolean> done) {
        int slot = r.placement(rep.id).holders().indexOf(r.id());
        BlockStamp stamp;
        try {
            stamp = BlockStamp.parse(rec.meta());
        } catch (IllegalArgumentException e) {
            done.accept(false);
            return;
        }
        if (slot < 0) {
            done.accept(false);
            return;
        }
        r.stripes.rebuild(rep.id, rec.key(), rec.version(), stamp, slot, outcome -> {
            if (outcome instanceof StripeReads.Rebuild.Built b) {
                r.storeOp(new StoreOp.Repair(rep.id, new Mutation(rec.key(), rec.version(), false, b.meta(), b.block())), result -> {
                    boolean rewritten = result instanceof StoreResult.Repaired rp && rp.rewritten();
                    if (rewritten) {
                        r.note(Effect.Level.INFO, rep.id + ": the block of " + rec + " here is now the block of slot " + slot);
                    }
                    done.accept(rewritten);
                });
            } else {
                r.note(Effect.Level.INFO, rep.id + ": the block of " + rec + " for slot " + slot + " cannot be rebuilt now: " + outcome);
                done.accept(false);
            }
        });
    }

    /** Where a fetched blob goes: the bytes (empty: nothing to copy), or (failure non-null) why the pull must fail. */
    interface BlobAnswer {
        void on(Optional<ByteBuffer> blob, String failure);
    }

    /**
     * The blob of a log record, from {@code source} or, when the source's copy is damaged, from
     * another node with a good copy of the same version. Empty when the record changed at the
     * source meanwhile (the log brings the newer version). When no reachable node has a good copy,
     * the pull fails (and is retried: a scrub, a read or a returning holder may bring one back), and
     * so does peering while a node is down but still in; once every node is up or out, a peering
     * primary ({@code leaveOut}) leaves the record out, logged, rather than refuse the partition's
     * writes for good; holders keeping the damaged copy answer reads of it with an error, never
     * with wrong bytes.
     */
    void fetchBlob(PartitionId p, String source, LogRecord rec, boolean leaveOut, BlobAnswer done) {
        Request.Get ask = new Request.Get(r.epoch(), p, rec.key(), true, true, 0);
        r.call(source, ask, r.config().rpcTimeoutMillis(), (answer, failure) -> {
            if (!(answer instanceof Reply.GetReply g)) {
                done.on(Optional.empty(), "blob " + rec + " from " + source + ": " + (answer == null ? failure : "unexpected " + answer));
                return;
            }
            if (g.status() == Status.NOT_FOUND || g.status() == Status.OK && g.record() != null && !g.record().version().equals(rec.version())) {
                done.on(Optional.empty(), null); // superseded at the source meanwhile; the newer version comes later in the log
                return;
            }
            if (g.status() == Status.OK && g.record() != null && g.record().blob() != null
                    && Checksums.crc32c(g.record().blob()) == rec.blobCrc32c()) {
                done.on(Optional.of(g.record().blob()), null);
                return;
            }
            if (g.status() != Status.OK && g.status() != Status.CORRUPT) {
                done.on(Optional.empty(), "blob " + rec + " from " + source + ": " + g.status() + " " + g.message());
                return;
            }
            List<String> others = RecoveryRules.copySources(r.map(), r.placement(p), r.id()).stream().filter(n -> !n.equals(source)).toList();
            fetchGood(p, source, rec, others, 0, leaveOut, done);
        });
    }

    private void fetchGood(PartitionId p, String source, LogRecord rec, List<String> others, int next, boolean leaveOut, BlobAnswer done) {
        if (next == others.size()) {
            // A node that is down but still in may come back with a good copy: wait for it (or for it
            // to be marked out) rather than leave the record out for good.
            if (!leaveOut || !RecoveryRules.mayLeaveOutUnrecoverable(r.map())) {
                done.on(Optional.empty(), "no good copy of " + rec + " on any reachable node (" + source + " has a damaged one) yet");
                return;
            }
            r.counters.damagedLeftOut++;
            r.note(Effect.Level.ERROR, "no good copy of " + p + " " + rec + " on any reachable node (" + source
                    + " has a damaged one); left out of this copy");
            done.on(Optional.empty(), null);
            return;
        }
        String holder = others.get(next);
        r.call(holder, new Request.Get(r.epoch(), p, rec.key(), true, true, 0), r.config().rpcTimeoutMillis(), (answer, failure) -> {
            if (answer instanceof Reply.GetReply g && g.status() == Status.OK && g.record() != null
                    && g.record().version().equals(rec.version()) && g.record().blob() != null
                    && Checksums.crc32c(g.record().blob()) == rec.blobCrc32c()) {
                r.note(Effect.Level.WARN, "copy of " + p + " " + rec + " on " + source + " is damaged; copied it from " + holder + " instead");
                done.on(Optional.of(g.record().blob()), null);
            } else {
                fetchGood(p, source, rec, others, next + 1, leaveOut, done);
            }
        });
    }
}
