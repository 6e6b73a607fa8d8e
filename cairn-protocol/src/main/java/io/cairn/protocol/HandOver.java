package io.cairn.protocol;

import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.protocol.ReplicaStateMachine.Responder;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * Records of a partition this node no longer holds. A node that held a partition while others
 * were down may have taken writes nobody else has; when placement moves the partition away, it
 * offers them to the primary, which writes anew, with new versions, every record newer than its
 * own copy of the key (unless a newer write to the key lands first). Erasure-coded pools are not
 * handed over: a block alone does not rebuild a stripe.
 */
final class HandOver {

    private final ReplicaStateMachine r;

    HandOver(ReplicaStateMachine replica) {
        this.r = replica;
    }

    /** How far this node's records of {@code p} have been adopted by a primary. */
    Version handedOver(PartitionId p) {
        return r.store().getLocal(ReplicaStateMachine.handedKey(p)).map(ReplicaStateMachine::decodeVersion).orElse(Version.ZERO);
    }

    /** Whether this node has records of {@code p} (of a replicated pool) that no primary has adopted yet. */
    boolean holdsUnhandedRecords(PartitionId p, PoolInfo pool) {
        return pool.policy().kind() != StoragePolicy.Kind.ERASURE_CODED && r.store().lastVersion(p).isAfter(handedOver(p));
    }

    /** A node with no role in a partition it has records of offers them to the primary. */
    void offerIfStray(PartitionReplica rep) {
        PartitionStateMachine m = rep.machine;
        if (m.role() != PartitionStateMachine.Role.NONE || rep.handOverInFlight) {
            return;
        }
        PartitionId p = rep.id;
        Version handed = handedOver(p);
        if (!RecoveryRules.offersHandOver(m, r.id(), r.erasureCoded(p), handed)) {
            return;
        }
        rep.handOverInFlight = true;
        String primary = m.primary();
        r.call(primary, new Request.HandOver(r.epoch(), p, r.id(), handed), r.config().rpcTimeoutMillis(), (answer, failure) -> {
            rep.handOverInFlight = false;
            if (answer instanceof Reply.HandOverReply h && h.status() == Status.OK && h.upTo() != null) {
                r.storeOp(new StoreOp.PutLocal(ReplicaStateMachine.handedKey(p), ReplicaStateMachine.encodeVersion(h.upTo())), result -> {
                    if (!(result instanceof StoreResult.Done)) {
                        r.note(Effect.Level.WARN, "could not record the hand-over of " + p + ": " + result);
                    }
                });
                if (h.adopted() > 0) {
                    r.note(Effect.Level.WARN, p + ": primary " + primary + " adopted " + h.adopted()
                            + " records this node took while it held the partition");
                }
            } else {
                r.note(Effect.Level.DEBUG, "hand-over of " + p + " to " + primary + " not done: "
                        + (answer == null ? failure : answer.status() + " " + answer.message()));
            }
        });
    }

    /** At the primary: a former holder offers its records of {@code p}. */
    void adopt(Request.HandOver req, Responder reply) {
        if (r.awaitEpoch(req.epoch(), () -> adopt(req, reply), () -> reply.reply(refusal(Status.STALE_EPOCH, "too many requests wait for a newer map")))) {
            return;
        }
        PartitionId p = req.partition();
        if (r.pool(p).isEmpty()) {
            reply.reply(refusal(Status.ERROR, "no partition " + p + " in epoch " + r.epoch()));
            return;
        }
        if (r.erasureCoded(p)) {
            reply.reply(refusal(Status.ERROR, "erasure-coded partitions are not handed over"));
            return;
        }
        if (!r.placement(p).primary(r.map()).map(r.id()::equals).orElse(false)) {
            reply.reply(refusal(Status.NOT_PRIMARY, "not the primary of " + p));
            return;
        }
        PartitionReplica rep = r.replica(p);
        if (!rep.machine.active()) {
            reply.reply(refusal(Status.PEERING, p + " is peering"));
            return;
        }
        new Adoption(rep, req.holder(), req.after(), reply).page();
    }

    private Reply.HandOverReply refusal(Status s, String message) {
        return new Reply.HandOverReply(s, r.epoch(), message, null, 0);
    }

    /** The primary's side of one hand-over: the former holder's log, a page at a time, each record written anew. */
    private final class Adoption {
        private final PartitionReplica rep;
        private final String holder;
        private final Responder reply;
        private final ArrayDeque<LogRecord> queue = new ArrayDeque<>();
        private Version cursor;
        private Version upTo;
        private boolean more;
        private long adopted;

        Adoption(PartitionReplica rep, String holder, Version after, Responder reply) {
            this.rep = rep;
            this.holder = holder;
            this.cursor = after;
            this.reply = reply;
        }

        void page() {
            r.call(holder, new Request.Since(r.epoch(), rep.id, cursor, ReplicaStateMachine.LOG_PAGE_RECORDS_MAX, "", 0, false, r.id(), r.incarnation()),
                    r.config().rpcTimeoutMillis(), (answer, failure) -> {
                        if (!(answer instanceof Reply.SinceReply s) || s.status() != Status.OK || s.unsettled() || s.last() == null) {
                            fail(Status.ERROR, "log of " + holder + ": " + (answer == null ? failure
                                    : answer.status() + " " + (answer instanceof Reply.SinceReply s2 && s2.unsettled() ? "writes still landing" : answer.message())));
                            return;
                        }
                        if (upTo == null) {
                            upTo = s.last();
                        }
                        queue.addAll(s.records());
                        more = s.more();
                        next();
                    });
        }

        private void next() {
            LogRecord rec = queue.pollFirst();
            if (rec == null) {
                if (more) {
                    page();
                } else {
                    done();
                }
                return;
            }
            cursor = rec.version();
            Optional<Version> local = rep.version(r.store(), rec.key());
            if (local.isPresent() && !rec.version().isAfter(local.get())) {
                r.later(this::next);
                return;
            }
            if (!rec.carriesData()) {
                write(rec, null);
                return;
            }
            long ready = r.recoveryBytes.charge(rec.blobLength(), r.now());
            r.counters.recoveryBytesPulled += rec.blobLength();
            r.at(ready, () -> r.recovery.fetchBlob(rep.id, holder, rec, true, (blob, failure) -> {
                if (failure != null) {
                    fail(Status.ERROR, "hand-over from " + holder + ": " + failure);
                } else if (blob.isEmpty()) {
                    next();
                } else {
                    write(rec, blob.get());
                }
            }));
        }

        private void write(LogRecord rec, ByteBuffer blob) {
            Request.Apply anew = new Request.Apply(r.epoch(), rep.id, rec.key(), rec.tombstone(), rec.meta(), blob,
                    rec.carriesData() ? rec.blobCrc32c() : 0, ReplicaStateMachine.HOPS_MAX, rec.version());
            r.local(anew, answer -> {
                Reply.ApplyReply a = (Reply.ApplyReply) answer;
                if (a.status() != Status.OK) {
                    fail(a.status(), "adopting " + rec + ": " + a.message());
                    return;
                }
                if (!a.kept()) {
                    adopted++;
                }
                next();
            });
        }

        private void done() {
            if (adopted > 0) {
                r.counters.adopted += adopted;
                r.note(Effect.Level.WARN, rep.id + ": adopted " + adopted + " records from former holder " + holder);
            }
            reply.reply(new Reply.HandOverReply(Status.OK, r.epoch(), "", upTo, adopted));
        }

        private void fail(Status status, String message) {
            reply.reply(new Reply.HandOverReply(status, r.epoch(), message, null, adopted));
        }
    }
}
