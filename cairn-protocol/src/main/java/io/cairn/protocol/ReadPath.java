package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.BlobRead;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.StoredRecord;
import io.cairn.protocol.ReplicaStateMachine.Responder;
import io.cairn.protocol.erasure.BlockStamp;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The read side of a replica: reads of the authoritative copy at the primary (refused while it
 * peers), reads of a node's own copy, scans, the log a node shows to a holder catching up or a
 * primary peering, and rewrites of damaged blocks sent back by readers. A damaged copy found by a
 * read at the primary is fetched from another node with a good copy and rewritten.
 */
final class ReadPath {

    private final ReplicaStateMachine r;
    /** Partitions whose under-protected marks are being cleared. */
    private final Set<PartitionId> clearing = new TreeSet<>();

    ReadPath(ReplicaStateMachine replica) {
        this.r = replica;
    }

    void get(Request.Get g, Responder reply) {
        if (g.localOnly()) {
            r.noteEpoch(g.epoch());
            if (!g.settled() || settledCopy(g.partition(), g.withBlob(), g.leased(), (status, message) -> reply.reply(getReply(status, message)))) {
                readLocal(g.partition(), g.key(), g.withBlob(), false, reply::reply);
            }
            return;
        }
        if (r.awaitEpoch(g.epoch(), () -> get(g, reply), () -> reply.reply(getReply(Status.STALE_EPOCH, "too many requests wait for a newer map")))) {
            return;
        }
        PartitionId p = g.partition();
        atPrimary(p, g.epoch(), g.hops(),
                primary -> r.call(primary, g.forwarded(r.epoch()), r.config().rpcTimeoutMillis(), (answer, failure) -> reply.reply(
                        answer != null ? answer : getReply(Status.ERROR, "forward to " + primary + " failed: " + ReplicaStateMachine.rootMessage(failure)))),
                () -> {
                    Responder answered = got -> whenAnswered(p, got, reply);
                    if (g.withBlob() && r.erasureCoded(p)) {
                        readStriped(p, g.key(), answered);
                    } else {
                        readLocal(p, g.key(), g.withBlob(), true, got -> {
                            if (g.search() && got.status() == Status.NOT_FOUND && !r.erasureCoded(p)) {
                                locate(p, g.key(), g.withBlob(), answered);
                            } else {
                                answered.reply(got);
                            }
                        });
                    }
                },
                (status, message) -> reply.reply(getReply(status, message)));
    }

    void scan(Request.Scan s, Responder reply) {
        if (s.settled()) {
            r.noteEpoch(s.epoch());
            if (settledCopy(s.partition(), false, s.leased(), (status, message) -> reply.reply(scanReply(status, message)))) {
                scanOwn(s, reply);
            }
            return;
        }
        if (r.awaitEpoch(s.epoch(), () -> scan(s, reply), () -> reply.reply(scanReply(Status.STALE_EPOCH, "too many requests wait for a newer map")))) {
            return;
        }
        PartitionId p = s.partition();
        atPrimary(p, s.epoch(), s.hops(),
                primary -> r.call(primary, s.forwarded(r.epoch()), r.config().rpcTimeoutMillis(), (answer, failure) -> reply.reply(
                        answer != null ? answer : scanReply(Status.ERROR, "forward to " + primary + " failed: " + ReplicaStateMachine.rootMessage(failure)))),
                () -> scanOwn(s, found -> whenAnswered(p, found, reply)),
                (status, message) -> reply.reply(scanReply(status, message)));
    }

    /**
     * Sends {@code answer}, a read at the primary, once the writer of every version it shows has
     * been answered ({@link PartitionReplica#whenAnswered}); at once when none is waiting. What it
     * shows was read before: a write answered meanwhile may or may not be in it, as for any read
     * that overlaps a write.
     */
    private void whenAnswered(PartitionId p, Reply answer, Responder reply) {
        PartitionReplica rep = r.existing(p);
        List<Version> versions = switch (answer) {
            case Reply.GetReply g when g.status() == Status.OK && g.record() != null -> List.of(g.record().version());
            case Reply.ScanReply sr when sr.status() == Status.OK -> sr.records().stream().map(LogRecord::version).toList();
            default -> List.of();
        };
        if (rep == null || versions.isEmpty()) {
            reply.reply(answer);
        } else {
            rep.whenAnswered(versions, () -> reply.reply(answer));
        }
    }

    /** The scan of this node's own copy. */
    private void scanOwn(Request.Scan s, Responder reply) {
        int limit = Math.clamp(s.limit(), 1, ReplicaStateMachine.SCAN_RECORDS_MAX);
        List<StoredRecord> found;
        try {
            found = s.delimiter().isEmpty() ? r.store().scan(s.partition(), s.prefix(), s.afterKey(), limit, false)
                    : FoldedScan.scan(r.store(), s.partition(), s.prefix(), s.afterKey(), limit, s.delimiter());
        } catch (IllegalArgumentException e) {
            reply.reply(scanReply(Status.ERROR, "bad scan: " + e.getMessage()));
            return;
        }
        reply.reply(new Reply.ScanReply(Status.OK, r.epoch(), "", found.stream().map(LogRecord::of).toList()));
    }

    /**
     * Whether this node's own copy of {@code p} holds every acknowledged write, so that a settled
     * read may be served from it; else the read is refused through {@code refuse}. It does when this
     * node knows no newer map than its own, is an up holder of {@code p} in it, and has settled its
     * copy in that epoch ({@link PartitionStateMachine#holdsEveryAcknowledged}): as primary it has
     * peered; as replica a catch-up reached the end of the primary's log while no write was on its
     * way, and every write sequenced since was mirrored to it before it was acknowledged (it is a
     * mirror target). A node still catching up after a restart, or in a new epoch, refuses until then.
     * A whole erasure-coded record is not in one copy: {@code withBlob} reads of one are refused.
     * A {@code leased} read also needs a running read lease from the primary ({@link ReadLeases}).
     */
    private boolean settledCopy(PartitionId p, boolean withBlob, boolean leased, BiConsumer<Status, String> refuse) {
        if (r.pool(p).isEmpty()) {
            refuse.accept(Status.ERROR, "no partition " + p + " in epoch " + r.epoch());
            return false;
        }
        if (r.mapBehind()) {
            refuse.accept(Status.STALE_EPOCH, "map epoch " + r.knownEpoch() + " exists; this node is fetching it");
            return false;
        }
        if (withBlob && r.erasureCoded(p)) {
            refuse.accept(Status.ERROR, "a holder of " + p + " keeps one block of each stripe, not the record");
            return false;
        }
        PartitionReplica replica = r.existing(p);
        if (replica == null || !r.isUpHolder(p, r.id()) || replica.machine.epoch() != r.epoch()
                || replica.machine.role() == PartitionStateMachine.Role.NONE) {
            refuse.accept(Status.NOT_PRIMARY, r.id() + " is not an up holder of " + p + " in epoch " + r.epoch());
            return false;
        }
        if (!replica.machine.holdsEveryAcknowledged()) {
            refuse.accept(Status.PEERING, r.id() + " is settling its copy of " + p + " in epoch " + r.epoch());
            return false;
        }
        Optional<String> noLease = leased ? r.leases.refusal(p) : Optional.empty();
        noLease.ifPresent(why -> refuse.accept(Status.PEERING, why));
        return noLease.isEmpty();
    }

    /**
     * Serves a read of the authoritative state if this node is the partition's active primary,
     * forwards it to the primary (within the hop limit), or refuses it.
     */
    private void atPrimary(PartitionId p, long requestEpoch, int hops, Consumer<String> forward, Runnable serve,
                           BiConsumer<Status, String> refuse) {
        if (r.pool(p).isEmpty()) {
            refuse.accept(Status.ERROR, "no partition " + p + " in epoch " + r.epoch());
            return;
        }
        Optional<String> primary = r.placement(p).primary(r.map());
        if (primary.isEmpty()) {
            refuse.accept(Status.PEERING, "no primary for " + p + " in epoch " + r.epoch());
            return;
        }
        if (!primary.get().equals(r.id())) {
            if (hops >= ReplicaStateMachine.HOPS_MAX) {
                refuse.accept(Status.NOT_PRIMARY, "the primary of " + p + " is " + primary.get());
            } else {
                forward.accept(primary.get());
            }
            return;
        }
        if (r.mapBehind()) {
            refuse.accept(Status.STALE_EPOCH, "map epoch " + r.knownEpoch() + " exists; this node is fetching it");
            return;
        }
        PartitionStateMachine.Admission a = r.replica(p).machine.admitPrimaryRead(requestEpoch);
        switch (a) {
            case ACCEPT -> serve.run();
            case REFUSE_PEERING -> refuse.accept(Status.PEERING, p + " is peering");
            default -> refuse.accept(Status.NOT_PRIMARY, "refused: " + a);
        }
    }

    /** Times a read starts again when a newer write replaced the record between its index and its blob. */
    static final int READ_ATTEMPTS_MAX = 4;

    /** This node's copy of a record; {@code repair}: a damaged blob is fetched from a node with a good copy and rewritten. */
    void readLocal(PartitionId p, String key, boolean withBlob, boolean repair, Consumer<Reply.GetReply> done) {
        readLocal(p, key, withBlob, repair, READ_ATTEMPTS_MAX, done);
    }

    private void readLocal(PartitionId p, String key, boolean withBlob, boolean repair, int attempts, Consumer<Reply.GetReply> done) {
        Optional<StoredRecord> found;
        try {
            found = r.store().get(p, key);
        } catch (IllegalArgumentException e) {
            done.accept(getReply(Status.ERROR, "bad read: " + e.getMessage()));
            return;
        }
        if (found.isEmpty()) {
            done.accept(getReply(Status.NOT_FOUND, ""));
            return;
        }
        StoredRecord rec = found.get();
        LogRecord out = LogRecord.of(rec);
        if (!withBlob || rec.tombstone() || rec.blobLength() == 0) {
            done.accept(new Reply.GetReply(Status.OK, r.epoch(), "", out));
            return;
        }
        r.storeOp(new StoreOp.ReadBlob(p, key), result -> {
            BlobRead read = result instanceof StoreResult.BlobLoaded b ? b.read()
                    : new BlobRead.Corrupt("the blob read failed: " + result);
            switch (read) {
                case BlobRead.Found f -> {
                    if (f.version().equals(rec.version())) {
                        done.accept(new Reply.GetReply(Status.OK, r.epoch(), "", out.withBlob(f.data())));
                    } else if (attempts > 1) {
                        readLocal(p, key, withBlob, repair, attempts - 1, done); // a newer write landed: read that one
                    } else {
                        done.accept(getReply(Status.ERROR, key + " changed during " + READ_ATTEMPTS_MAX + " reads; retry"));
                    }
                    return;
                }
                case BlobRead.Missing m when r.store().get(p, key).map(now -> !now.version().equals(rec.version())).orElse(true)
                        && attempts > 1 -> {
                    readLocal(p, key, withBlob, repair, attempts - 1, done); // deleted or replaced meanwhile
                    return;
                }
                case BlobRead.Missing m -> r.note(Effect.Level.WARN, "blob of " + p + " " + key + " is missing locally");
                case BlobRead.Corrupt c -> r.note(Effect.Level.WARN, "blob of " + p + " " + key + " is corrupt: " + c.reason());
            }
            if (!repair) {
                done.accept(getReply(Status.CORRUPT, "local copy of " + key + " is damaged"));
                return;
            }
            repairFromPeers(p, rec, good -> done.accept(good.isPresent()
                    ? new Reply.GetReply(Status.OK, r.epoch(), "", out.withBlob(good.get()))
                    : getReply(Status.CORRUPT, "no good copy of " + key + " found")));
        });
    }

    /**
     * Fetches a good copy of {@code rec}'s blob from another node (holders first, then any up
     * node: a former holder may keep the last good copy) and rewrites the local copy with it.
     */
    void repairFromPeers(PartitionId p, StoredRecord rec, Consumer<Optional<ByteBuffer>> done) {
        List<String> sources = RecoveryRules.copySources(r.map(), r.placement(p), r.id());
        tryRepair(p, rec, sources, 0, done);
    }

    private void tryRepair(PartitionId p, StoredRecord rec, List<String> sources, int next, Consumer<Optional<ByteBuffer>> done) {
        if (next == sources.size()) {
            done.accept(Optional.empty());
            return;
        }
        String source = sources.get(next);
        r.call(source, new Request.Get(r.epoch(), p, rec.key(), true, true, 0), r.config().rpcTimeoutMillis(), (answer, failure) -> {
            if (answer instanceof Reply.GetReply g && g.status() == Status.OK && g.record() != null
                    && g.record().version().equals(rec.version()) && g.record().blob() != null
                    && Checksums.crc32c(g.record().blob()) == rec.blobCrc32c()) {
                ByteBuffer blob = g.record().blob();
                r.storeOp(new StoreOp.Repair(p, new Mutation(rec.key(), rec.version(), false, rec.meta(), blob)), result -> {
                    boolean rewritten = result instanceof StoreResult.Repaired rp && rp.rewritten();
                    if (rewritten) {
                        r.counters.copiesRepaired++;
                    }
                    r.note(Effect.Level.WARN, "repaired blob of " + p + " " + rec.key() + " from " + source + " (rewritten: " + rewritten + ")");
                });
                done.accept(Optional.of(blob));
            } else {
                tryRepair(p, rec, sources, next + 1, done);
            }
        });
    }

    /**
     * Locate by search: a record a reader knows exists (a chunk an index entry names) of which
     * this primary has no trace, not even a tombstone (a map that placed the partition elsewhere,
     * a copy lost with its disk). Every other up data node is asked for its own copy; of those
     * whose data matches its checksum, the newest is taken, unless a node holds a tombstone newer
     * than it (the record was deleted). It is written anew here, as a hand-over writes a former
     * holder's record (only if no version as new landed meanwhile), so the holders have it
     * again, and the reader gets it. No verified copy anywhere: not found.
     */
    private void locate(PartitionId p, String key, boolean withBlob, Responder reply) {
        List<String> peers = r.map().upNodes().stream().filter(n -> !n.tiebreaker() && !n.id().equals(r.id()))
                .map(io.cairn.core.map.NodeInfo::id).toList();
        Search search = new Search(p, key, withBlob, peers.size(), reply);
        if (peers.isEmpty()) {
            search.decide();
            return;
        }
        for (String peer : peers) {
            r.call(peer, new Request.Get(r.epoch(), p, key, true, true, 0), r.config().rpcTimeoutMillis(),
                    (answer, failure) -> search.answered(peer, answer instanceof Reply.GetReply g ? g : null));
        }
    }

    /** One {@link #locate}: the answers of the nodes asked, and what they make. */
    private final class Search {
        private final PartitionId p;
        private final String key;
        private final boolean withBlob;
        private final Responder reply;
        private int waiting;
        private LogRecord best;
        private String bestAt;
        private Version newestTombstone = Version.ZERO;
        private int damaged;

        Search(PartitionId p, String key, boolean withBlob, int asked, Responder reply) {
            this.p = p;
            this.key = key;
            this.withBlob = withBlob;
            this.waiting = asked;
            this.reply = reply;
        }

        void answered(String peer, Reply.GetReply g) {
            if (g != null && g.status() == Status.OK && g.record() != null && g.record().key().equals(key)) {
                LogRecord rec = g.record();
                if (rec.tombstone()) {
                    if (rec.version().isAfter(newestTombstone)) {
                        newestTombstone = rec.version();
                    }
                } else if (!verified(rec)) {
                    damaged++;
                } else if (best == null || rec.version().isAfter(best.version())) {
                    best = rec;
                    bestAt = peer;
                }
            }
            if (--waiting == 0) {
                decide();
            }
        }

        /** A copy whose data is all there and matches the checksum it was written with. */
        private static boolean verified(LogRecord rec) {
            if (!rec.carriesData()) {
                return true;
            }
            return rec.blob() != null && rec.blob().remaining() == rec.blobLength() && Checksums.crc32c(rec.blob()) == rec.blobCrc32c();
        }

        void decide() {
            if (best == null || !best.version().isAfter(newestTombstone)) {
                if (damaged > 0) {
                    r.note(Effect.Level.WARN, "locating " + p + " " + key + ": " + damaged + " copies found failed their checksum");
                }
                reply.reply(getReply(Status.NOT_FOUND, best == null ? "" : "deleted at " + newestTombstone));
                return;
            }
            LogRecord found = best;
            Request.Apply anew = new Request.Apply(r.epoch(), p, key, false, found.meta(), found.carriesData() ? found.blob() : null,
                    found.carriesData() ? found.blobCrc32c() : 0, ReplicaStateMachine.HOPS_MAX, found.version());
            r.local(anew, answer -> {
                Reply.ApplyReply a = (Reply.ApplyReply) answer;
                if (a.status() != Status.OK) {
                    reply.reply(getReply(a.status(), "located " + key + " at " + bestAt + " but could not write it here: " + a.message()));
                    return;
                }
                r.counters.adopted++;
                r.note(Effect.Level.WARN, p + " " + key + ": this primary had no trace of it; located at " + bestAt + " ("
                        + found.version() + ")" + (a.kept() ? ", and a version as new landed meanwhile" : ", written anew here"));
                reply.reply(new Reply.GetReply(Status.OK, r.epoch(), "", withBlob ? found : found.withBlob(null)));
            });
        }
    }

    /** An erasure-coded chunk read whole at the primary: assembled from the stripe's holders. */
    private void readStriped(PartitionId p, String key, Responder reply) {
        Optional<StoredRecord> found;
        try {
            found = r.store().get(p, key);
        } catch (IllegalArgumentException e) {
            reply.reply(getReply(Status.ERROR, "bad read: " + e.getMessage()));
            return;
        }
        if (found.isEmpty()) {
            reply.reply(getReply(Status.NOT_FOUND, ""));
            return;
        }
        StoredRecord rec = found.get();
        if (rec.tombstone() || rec.blobLength() == 0) {
            reply.reply(new Reply.GetReply(Status.OK, r.epoch(), "", LogRecord.of(rec)));
            return;
        }
        BlockStamp stamp;
        try {
            stamp = BlockStamp.parse(rec.meta());
        } catch (IllegalArgumentException e) {
            reply.reply(getReply(Status.CORRUPT, e.getMessage()));
            return;
        }
        // Pinned to the version of this node's record: the reply names that version, so its bytes must be that stripe's.
        r.stripes.read(p, key, stamp.chunkLength(), 0, stamp.chunkLength(), java.util.Optional.of(rec.version()), outcome -> {
            switch (outcome) {
                case StripeReads.Read.Found f -> reply.reply(new Reply.GetReply(Status.OK, r.epoch(), "", new LogRecord(key, rec.version(),
                        false, BlockStamp.innerMeta(rec.meta()), f.data(), true, stamp.chunkLength(), stamp.chunkCrc32c(), false)));
                case StripeReads.Read.NotFound nf -> reply.reply(getReply(Status.NOT_FOUND, ""));
                case StripeReads.Read.Failed fail -> reply.reply(getReply(Status.CORRUPT, fail.why()));
            }
        });
    }

    /**
     * This node's log of a partition after a version (metadata only), or only its
     * under-protected records. A holder catching up says how far it holds this node's log; once
     * every holder has, the reply says which records have all their copies again.
     */
    void since(Request.Since s, Responder reply) {
        if (r.awaitEpoch(s.epoch(), () -> since(s, reply), () -> reply.reply(sinceRefusal(Status.STALE_EPOCH, "too many requests wait for a newer map")))) {
            return;
        }
        PartitionId p = s.partition();
        if (r.pool(p).isEmpty()) {
            reply.reply(sinceRefusal(Status.ERROR, "no partition " + p + " in epoch " + r.epoch()));
            return;
        }
        if (!s.from().isEmpty()) {
            r.noteIncarnation(s.from(), s.incarnation()); // mirrors from its earlier runs are refused from now on
        }
        PartitionReplica rep = r.existing(p);
        Version last;
        boolean unsettled = false;
        Version protectedUpTo = null;
        boolean intact = false;
        if (rep != null) {
            PartitionStateMachine m = rep.machine;
            if (!m.logSettled()) {
                reply.reply(sinceRefusal(Status.PEERING, p + " is peering here; its log is not settled yet"));
                return;
            }
            if (!s.holder().isEmpty()) {
                m.holderHolds(s.holder(), s.holderEpoch(), s.after());
            }
            protectedUpTo = m.protectedUpTo();
            last = m.logVisibleUpTo();
            unsettled = m.lastApplied().isAfter(last) || rep.writesInFlight > 0;
            intact = m.intact();
        } else {
            last = r.store().lastVersion(p);
        }
        if (protectedUpTo != null) {
            clearUnderProtected(p, protectedUpTo);
        }
        int limit = Math.clamp(s.limit(), 1, ReplicaStateMachine.LOG_PAGE_RECORDS_MAX);
        List<StoredRecord> records;
        try {
            records = s.underProtectedOnly() ? r.store().underProtected(p, s.after(), limit) : r.store().since(p, s.after(), limit);
        } catch (IllegalArgumentException e) {
            reply.reply(sinceRefusal(Status.ERROR, "bad log pull: " + e.getMessage()));
            return;
        }
        boolean more = records.size() == limit;
        List<LogRecord> shown = new ArrayList<>(records.size());
        for (StoredRecord rec : records) {
            if (rec.version().isAfter(last)) {
                more = false;
                break;
            }
            shown.add(LogRecord.of(rec).withUnderProtected(s.underProtectedOnly()));
        }
        reply.reply(new Reply.SinceReply(Status.OK, r.epoch(), "", shown, last, more, unsettled, protectedUpTo, intact));
    }

    /** The records of {@code p} up to {@code upTo} have all their copies again: their under-protected marks go. */
    void clearUnderProtected(PartitionId p, Version upTo) {
        long before = r.store().underProtectedMarks(p);
        if (before == 0 || !clearing.add(p)) {
            return;
        }
        r.storeOp(new StoreOp.ClearUnderProtected(p, upTo), result -> {
            clearing.remove(p);
            if (result instanceof StoreResult.Done) {
                long cleared = before - r.store().underProtectedMarks(p);
                if (cleared > 0) {
                    r.note(Effect.Level.INFO, p + ": " + cleared + " records written with too few copies have all their copies again (up to "
                            + upTo + ")");
                }
            } else {
                r.note(Effect.Level.WARN, "could not clear the under-protected marks of " + p + ": " + result);
            }
        });
    }

    /**
     * Good bytes of a damaged copy sent back by a reader: a block it rebuilt from the rest of its
     * stripe, or a chunk it read from another holder after this node's own copy failed its
     * check. The copy here is rewritten only if it is damaged, is of the same version, and the
     * bytes sent match the checksum stored with it.
     */
    void repairBlock(Request.RepairBlock b, Responder reply) {
        r.noteEpoch(b.epoch());
        PartitionId p = b.partition();
        LogRecord rec = b.record();
        ByteBuffer blob = rec.blob();
        if (blob == null || Checksums.crc32c(blob) != rec.blobCrc32c()) {
            reply.reply(repairReply(Status.ERROR, "block failed its checksum in transit"));
            return;
        }
        Version v = rec.version();
        Optional<StoredRecord> local;
        try {
            local = r.store().get(p, rec.key());
        } catch (IllegalArgumentException e) {
            reply.reply(repairReply(Status.ERROR, "bad repair: " + e.getMessage()));
            return;
        }
        if (local.isEmpty() || local.get().tombstone() || !local.get().version().equals(v)) {
            reply.reply(repairReply(Status.NOT_FOUND, "this node holds no block of " + rec.key() + " at " + v));
            return;
        }
        StoredRecord stored = local.get();
        if (stored.blobCrc32c() != rec.blobCrc32c() || stored.blobLength() != blob.remaining()) {
            reply.reply(repairReply(Status.ERROR, "the block sent does not match the checksum stored with " + rec.key() + " at " + v));
            return;
        }
        r.storeOp(new StoreOp.ReadBlob(p, rec.key()), read -> {
            if (read instanceof StoreResult.BlobLoaded l && l.read() instanceof BlobRead.Found f && f.version().equals(v)) {
                reply.reply(repairReply(Status.OK, "the stored block is good; nothing rewritten"));
                return;
            }
            r.storeOp(new StoreOp.Repair(p, new Mutation(rec.key(), v, false, stored.meta(), blob)), result -> {
                switch (result) {
                    case StoreResult.Repaired rp when rp.rewritten() -> {
                        r.note(Effect.Level.WARN, "rewrote damaged block of " + p + " " + rec.key() + " at " + v);
                        reply.reply(repairReply(Status.OK, ""));
                    }
                    case StoreResult.Repaired rp -> reply.reply(repairReply(Status.NOT_FOUND, "the record changed meanwhile"));
                    case StoreResult.Full f -> reply.reply(repairReply(Status.FULL, "node " + r.id() + " is full: " + f.why()));
                    default -> reply.reply(repairReply(Status.ERROR, "rewrite failed: " + result));
                }
            });
        });
    }

    private Reply.GetReply getReply(Status s, String message) {
        return new Reply.GetReply(s, r.epoch(), message, null);
    }

    private Reply.ScanReply scanReply(Status s, String message) {
        return new Reply.ScanReply(s, r.epoch(), message, List.of());
    }

    private Reply.SinceReply sinceRefusal(Status s, String message) {
        return new Reply.SinceReply(s, r.epoch(), message, List.of(), null, false, false, null, false);
    }

    private Reply.RepairReply repairReply(Status s, String message) {
        return new Reply.RepairReply(s, r.epoch(), message);
    }
}
