package io.cairn.protocol;

import io.cairn.core.partition.Version;
import java.util.List;
import java.util.Objects;

/**
 * The replication protocol of one partition as seen by one node, as a pure state machine: no
 * I/O, no clock. The {@code PartitionDriver} feeds it map changes, requests and completions,
 * and carries out the effects it returns.
 *
 * <p>Roles: the first up holder of the partition's placement list is its <em>primary</em>. A
 * node that becomes primary in a new epoch first <em>peers</em>: it pulls the logs of the other
 * up holders and settles the authoritative history; only then does it sequence writes. Every
 * mutation gets a {@link Version} {@code (epoch, seq)} with seq strictly increasing. Other
 * holders apply mirrored mutations only from the primary of their own epoch, and catch up from
 * the primary's log after the last version they know they have in full (their cursor).
 *
 * <p>Peering reads the whole log of every other up holder, and a holder's first catch-up in an
 * epoch reads the primary's whole log (records it already has cost metadata only): a cursor
 * says what a node held in its own past, not what another node may hold. A holder that was
 * primary while the others were down took writes at versions newer than records a returning
 * holder has and it lacks; pulling only after its cursor would leave those records out, losing
 * acknowledged writes. Within an epoch the primary's log only grows at its end, so later
 * catch-ups start at the cursor.
 *
 * <p>A new primary may go active only if its peering met a copy that holds every acknowledged
 * write: its own or a source's that is <em>intact</em> (it settled, as an active primary or a
 * replica that caught up, in an epoch since which the map says it has been an up holder without a
 * break, or it has been one since the partition began), or the copies of every holder the
 * partition has, all up. Otherwise the writes acknowledged while it was away may sit only on
 * holders that are down now: it refuses writes and reads until a map brings one back, rather
 * than answer from a copy that misses them (Ceph's "down" placement group).
 */
public final class PartitionStateMachine {

    public enum Role { NONE, PRIMARY, REPLICA }

    /** Effects the driver must carry out. */
    public sealed interface Effect {
        /** Pull the log of each source after {@code after}; then call {@link #peeringDone}. */
        record StartPeering(long epoch, List<String> sources, Version after) implements Effect {}
        /** Pull the primary's log after {@code after}; then call {@link #catchUpDone}. */
        record StartCatchUp(long epoch, String primary, Version after) implements Effect {}
        /** Nothing to do. */
        record None() implements Effect {}
    }

    /** What to do with a write that asks this node to sequence it. */
    public sealed interface WriteDecision {
        record Sequence(Version version) implements WriteDecision {}
        record Forward(String primary) implements WriteDecision {}
        record Refuse(Refusal reason) implements WriteDecision {}
    }

    /** What to do with a mirrored mutation or a read. */
    public enum Admission { ACCEPT, REFRESH_MAP_THEN_RETRY, REFUSE_STALE_EPOCH, REFUSE_NOT_PRIMARY, REFUSE_PEERING }

    public enum Refusal { STALE_EPOCH, PEERING, NO_PRIMARY, REFRESH_MAP }

    private final String self;
    private long epoch;
    private Role role = Role.NONE;
    private String primary;
    private List<String> upHolders = List.of();
    /** Highest version applied locally (anything the store holds). */
    private Version lastApplied;
    /** Every version up to this one is known to be held here (advanced by peering and catch-up). */
    private Version cursor;
    /** Epoch in which peering completed, or -1. */
    private long activeEpoch = -1;
    private long seq;
    private boolean catchUpRunning;
    /** Epoch in which a replica last finished a catch-up, or -1. */
    private long caughtUpEpoch = -1;
    /**
     * Epoch in which a replica finished a catch-up that reached the end of its primary's log
     * while the primary had no write on its way (nothing sequenced beyond what it showed), or -1.
     * From then on, in that epoch, the replica holds every acknowledged write: it had the newest
     * version of every record then, and each write sequenced since is acknowledged only once it
     * has it (it is a mirror target). A catch-up that ended while writes were on their way does
     * not count: one of them may supersede, in the primary's log, an acknowledged version this
     * replica never got, and its mirror may never arrive.
     */
    private long readsSettledEpoch = -1;
    /**
     * Versions this node, as primary, has written but not yet heard back about from every
     * mirror. The log is shown only up to the oldest of them, so a holder catching up never
     * copies (or, for a stripe, tries to rebuild) a write that is still on its way to it.
     */
    private final java.util.TreeSet<Version> mirroring = new java.util.TreeSet<>();
    /** Copies (or blocks) the partition's pool asks for; 0 when not told. */
    private int copiesWanted;
    /**
     * As primary in the current epoch: how far each other holder has said it holds this node's
     * log (it names itself when it catches up). Cleared at every epoch change.
     */
    private final java.util.Map<String, Version> heldUpTo = new java.util.HashMap<>();
    /**
     * The newest epoch in which this copy was known to hold every acknowledged write (a peering
     * that went active, or a catch-up that reached the settled end of an active primary's log),
     * or -1; kept on disk by the driver, so it outlives a restart.
     */
    private long settledEpoch;
    /** The epoch since which the current map says this node has been an up holder without a break (0: always). */
    private long upHolderSince = Long.MAX_VALUE;
    /** Whether every holder the partition has in the current map is up. */
    private boolean allHoldersUp;
    /** Epoch in which this node, as primary, peered and met no copy holding every acknowledged write, or -1. */
    private long stuckEpoch = -1;

    public PartitionStateMachine(String self, Version lastApplied, Version cursor) {
        this(self, lastApplied, cursor, -1);
    }

    /** {@code settledEpoch}: as {@link #settledEpoch()} said before a restart, or -1. */
    public PartitionStateMachine(String self, Version lastApplied, Version cursor, long settledEpoch) {
        this.self = Objects.requireNonNull(self);
        this.lastApplied = lastApplied;
        this.cursor = cursor.compareTo(lastApplied) > 0 ? lastApplied : cursor;
        this.seq = lastApplied.seq();
        this.settledEpoch = settledEpoch;
    }

    /**
     * A new map epoch. {@code upHolders} is the placement list with down nodes removed, in order.
     */
    public Effect onMap(long newEpoch, List<String> newUpHolders) {
        return onMap(newEpoch, newUpHolders, 0);
    }

    /**
     * A new map epoch, with the number of copies (or blocks) the partition's pool asks for:
     * writes sequenced while fewer holders are up are under-protected.
     */
    public Effect onMap(long newEpoch, List<String> newUpHolders, int newCopiesWanted) {
        return onMap(newEpoch, newUpHolders, newCopiesWanted, newEpoch);
    }

    /**
     * As above, with the epoch since which the new map says the partition's up holders are what
     * they are ({@link io.cairn.core.map.ClusterMap#holdersSince}), for a partition whose every
     * holder is up and has been one since it began (as in a map with no faults yet).
     */
    public Effect onMap(long newEpoch, List<String> newUpHolders, int newCopiesWanted, long holdersSince) {
        return onMap(newEpoch, newUpHolders, newCopiesWanted, holdersSince, 0, true);
    }

    /**
     * As above, with the epoch since which the map says this node has been an up holder without a
     * break ({@link io.cairn.core.map.ClusterMap#upHolderSince}, 0 for always; ignored when it is
     * not one), and whether every holder the partition has is up: what decides whether a copy
     * holds every acknowledged write (see {@link #intact}).
     */
    public Effect onMap(long newEpoch, List<String> newUpHolders, int newCopiesWanted, long holdersSince, long selfUpHolderSince,
                        boolean everyHolderUp) {
        if (newEpoch <= epoch) {
            return new Effect.None();
        }
        upHolderSince = newUpHolders.contains(self) ? selfUpHolderSince : Long.MAX_VALUE;
        allHoldersUp = everyHolderUp;
        copiesWanted = newCopiesWanted;
        heldUpTo.clear();
        String newPrimary = newUpHolders.isEmpty() ? null : newUpHolders.getFirst();
        // From the epoch right before, or across epochs this node missed (cut off, say) when the
        // map says none of them changed the partition's holders: otherwise it cannot know who
        // sequenced writes in them, or which holders they reached.
        boolean unchangedSinceOurs = newEpoch == epoch + 1 || holdersSince <= epoch;
        boolean wasPrimary = role == Role.PRIMARY && activeEpoch == epoch && unchangedSinceOurs;
        boolean wasSettledReplica = role == Role.REPLICA && readsSettledEpoch == epoch && unchangedSinceOurs;
        boolean holdersChanged = !newUpHolders.equals(upHolders);
        epoch = newEpoch;
        upHolders = List.copyOf(newUpHolders);
        primary = newPrimary;
        if (self.equals(newPrimary)) {
            role = Role.PRIMARY;
            if (wasPrimary && !holdersChanged) {
                // Same primary, same holders: the history is already settled.
                activeEpoch = newEpoch;
                return new Effect.None();
            }
            activeEpoch = -1;
            List<String> sources = newUpHolders.stream().filter(n -> !n.equals(self)).toList();
            return new Effect.StartPeering(newEpoch, sources, Version.ZERO);
        }
        activeEpoch = -1;
        if (newUpHolders.contains(self)) {
            role = Role.REPLICA;
            if (wasSettledReplica && !holdersChanged) {
                // The same primary and holders since this copy settled: every write acknowledged
                // since this copy settled reached it as a mirror target, and every one from now
                // on will too, so it stays settled (a new map that moved nothing of this
                // partition, a bucket created, does not send its reads back to the primary).
                readsSettledEpoch = newEpoch;
            }
            return catchUpIfIdle();
        }
        role = Role.NONE;
        return new Effect.None();
    }

    /** Peering for {@code peeredEpoch} finished; {@code highest} is the newest version seen anywhere. */
    public void peeringDone(long peeredEpoch, Version highest) {
        peeringDone(peeredEpoch, highest, false);
    }

    /**
     * Peering for {@code peeredEpoch} finished; {@code highest} is the newest version seen
     * anywhere; {@code metIntact}: a source said its copy is {@link #intact}. The primary goes
     * active only if its own copy or a source's is intact, or every holder the partition has is up
     * (then every acknowledged write is on one of the copies it pulled); otherwise it stays
     * inactive in this epoch ({@link #stuck}) and a later map decides.
     */
    public void peeringDone(long peeredEpoch, Version highest, boolean metIntact) {
        if (peeredEpoch != epoch || role != Role.PRIMARY) {
            return; // a newer epoch started meanwhile; its own peering decides
        }
        noteApplied(highest);
        if (!metIntact && !intact() && !allHoldersUp) {
            stuckEpoch = peeredEpoch;
            return;
        }
        cursor = lastApplied;
        activeEpoch = peeredEpoch;
        settledEpoch = peeredEpoch;
    }

    /**
     * Whether this copy holds every write acknowledged so far, as far as the current map tells:
     * this node is an up holder, and its copy settled in an epoch since which it has been one
     * without a break (or it has been one since the partition began). A peering primary that meets
     * no intact copy, and lacks a holder, may not go active.
     */
    public boolean intact() {
        return upHolderSince != Long.MAX_VALUE && (upHolderSince == 0 || settledEpoch >= upHolderSince);
    }

    /** The newest epoch in which this copy was known to hold every acknowledged write, or -1 (the driver keeps it on disk). */
    public long settledEpoch() {
        return settledEpoch;
    }

    /**
     * Whether this node, as primary, peered in the current epoch and met no copy holding every
     * acknowledged write: it waits for a map that brings back a holder with one (peering again
     * before that would meet the same copies).
     */
    public boolean stuck() {
        return role == Role.PRIMARY && stuckEpoch == epoch && !active();
    }

    /**
     * The newest version sequenced or applied here: every write this node sequences from now on has
     * a later one. A replica answers what it applied; its primary's later versions are later still.
     */
    public Version sequencedUpTo() {
        if (role == Role.PRIMARY && seq > 0) {
            Version s = new Version(epoch, seq);
            if (s.isAfter(lastApplied)) {
                return s;
            }
        }
        return lastApplied;
    }

    /**
     * A recorded consistent cut counts every version up to {@code floor} of this partition as in
     * it: this node sequences none at or below it (after a restart it could otherwise sequence
     * again a version it had sequenced, and lost, before).
     */
    public void sequenceAbove(Version floor) {
        seq = Math.max(seq, floor.seq());
    }

    /** A write asks to be sequenced here. */
    public WriteDecision admitWrite(long requestEpoch) {
        if (requestEpoch > epoch) {
            return new WriteDecision.Refuse(Refusal.REFRESH_MAP);
        }
        if (primary == null) {
            return new WriteDecision.Refuse(Refusal.NO_PRIMARY);
        }
        if (role != Role.PRIMARY) {
            return new WriteDecision.Forward(primary);
        }
        if (activeEpoch != epoch) {
            return new WriteDecision.Refuse(Refusal.PEERING);
        }
        seq = Math.max(seq, lastApplied.seq()) + 1;
        Version next = new Version(epoch, seq);
        if (!next.isAfter(lastApplied) || !mirroring.isEmpty() && !next.isAfter(mirroring.last())) {
            throw new IllegalStateException(self + ": sequenced " + next + ", not after " + lastApplied + " or the writes in flight " + mirroring);
        }
        return new WriteDecision.Sequence(next);
    }

    /** A read of the authoritative state (index lookups, listings) arrives. */
    public Admission admitPrimaryRead(long requestEpoch) {
        if (requestEpoch > epoch) {
            return Admission.REFRESH_MAP_THEN_RETRY;
        }
        if (role != Role.PRIMARY) {
            return Admission.REFUSE_NOT_PRIMARY;
        }
        return activeEpoch == epoch ? Admission.ACCEPT : Admission.REFUSE_PEERING;
    }

    /** A mutation mirrored by {@code sender} in {@code senderEpoch} arrives. */
    public Admission admitMirror(long senderEpoch, String sender) {
        if (senderEpoch > epoch) {
            return Admission.REFRESH_MAP_THEN_RETRY;
        }
        if (senderEpoch < epoch) {
            return Admission.REFUSE_STALE_EPOCH;
        }
        if (!Objects.equals(sender, primary)) {
            return Admission.REFUSE_NOT_PRIMARY;
        }
        return Admission.ACCEPT;
    }

    /** A version was durably applied to the local store. */
    public void noteApplied(Version v) {
        if (v.isAfter(lastApplied)) {
            lastApplied = v;
        }
        seq = Math.max(seq, v.seq());
    }

    /** A version sequenced and applied here is being sent to the mirrors. */
    public void mirroring(Version v) {
        if (role != Role.PRIMARY || !mirroring.add(v)) {
            throw new IllegalStateException(self + ": " + v + " sent to the mirrors twice, or by a " + role);
        }
    }

    /** Whether {@code v}, sequenced here, is still on its way to the mirrors. */
    public boolean isMirroring(Version v) {
        return mirroring.contains(v);
    }

    /** Every mirror of {@code v} has answered (or failed). */
    public void mirrored(Version v) {
        if (!mirroring.remove(v)) {
            throw new IllegalStateException(self + ": " + v + " came back from its mirrors, but was not on its way to them");
        }
    }

    /**
     * How far this node's log may be shown to a holder pulling it: everything applied, except
     * from the oldest write still on its way to the mirrors on.
     */
    public Version logVisibleUpTo() {
        if (mirroring.isEmpty()) {
            return lastApplied;
        }
        Version oldest = mirroring.first();
        Version settled = new Version(oldest.epoch(), oldest.seq() - 1);
        return lastApplied.isAfter(settled) ? settled : lastApplied;
    }

    /**
     * Whether this node's log may be pulled. Not while, as primary, it is still settling the
     * history: a replica that copied its log then would move its cursor past records the
     * primary is about to pull from the other holders, and never copy them.
     */
    public boolean logSettled() {
        return role != Role.PRIMARY || activeEpoch == epoch;
    }

    /** Whether a write sequenced now reaches fewer holders than the pool asks for. */
    public boolean writesUnderProtected() {
        return upHolders.size() < copiesWanted;
    }

    /**
     * A holder catching up from this node says it holds this node's log up to {@code upTo}, as
     * the log stood in {@code holderEpoch}. Counted only from an up holder, in this node's
     * current epoch as its active primary: peering may add older records to the log, so a
     * position reached in an earlier epoch says nothing about them.
     */
    public void holderHolds(String holder, long holderEpoch, Version upTo) {
        if (!active() || holderEpoch != epoch || holder.equals(self) || !upHolders.contains(holder)) {
            return;
        }
        heldUpTo.merge(holder, upTo, (a, b) -> a.isAfter(b) ? a : b);
    }

    /**
     * Every record of this primary's log up to the returned version has all its copies: the
     * pool's full number of holders is up, and each other one has said it holds the log that
     * far. Null when that is not known (a holder down or not heard from in this epoch).
     */
    public Version protectedUpTo() {
        if (!active() || copiesWanted == 0 || upHolders.size() < copiesWanted) {
            return null;
        }
        Version upTo = lastApplied;
        for (String h : upHolders) {
            if (h.equals(self)) {
                continue;
            }
            Version held = heldUpTo.get(h);
            if (held == null) {
                return null;
            }
            if (upTo.isAfter(held)) {
                upTo = held;
            }
        }
        return upTo;
    }

    /** Periodic check: a replica behind its primary starts a catch-up if none is running. */
    public Effect tick() {
        return role == Role.REPLICA ? catchUpIfIdle() : new Effect.None();
    }

    /** A catch-up started in {@code catchUpEpoch} finished with everything up to {@code upTo} held. */
    public void catchUpDone(long catchUpEpoch, Version upTo) {
        catchUpDone(catchUpEpoch, upTo, false);
    }

    /**
     * As {@link #catchUpDone(long, Version)}; {@code reachedSettledEnd}: its last page showed the
     * primary's whole log, with no write of the primary on its way (see {@link #holdsEveryAcknowledged}).
     */
    public void catchUpDone(long catchUpEpoch, Version upTo, boolean reachedSettledEnd) {
        catchUpRunning = false;
        noteApplied(upTo);
        if (catchUpEpoch == epoch) {
            // A position in this primary's log, which may hold records older than a cursor
            // reached from another primary's log: the next pull starts exactly here.
            cursor = upTo;
            caughtUpEpoch = catchUpEpoch;
            if (reachedSettledEnd) {
                readsSettledEpoch = catchUpEpoch;
                settledEpoch = Math.max(settledEpoch, catchUpEpoch);
            }
        }
    }

    /** A catch-up failed (primary unreachable); the next tick tries again. */
    public void catchUpFailed() {
        catchUpRunning = false;
    }

    private Effect catchUpIfIdle() {
        if (catchUpRunning || primary == null) {
            return new Effect.None();
        }
        catchUpRunning = true;
        return new Effect.StartCatchUp(epoch, primary, caughtUpEpoch == epoch ? cursor : Version.ZERO);
    }

    public long epoch() { return epoch; }
    public Role role() { return role; }
    public String primary() { return primary; }
    public List<String> upHolders() { return upHolders; }
    public Version lastApplied() { return lastApplied; }
    public Version cursor() { return cursor; }
    public boolean active() { return role == Role.PRIMARY && activeEpoch == epoch; }
    public boolean catchingUp() { return catchUpRunning; }
    /** A holder that has not yet settled its copy in the current epoch. */
    public boolean recovering() {
        return switch (role) {
            case PRIMARY -> activeEpoch != epoch;
            case REPLICA -> caughtUpEpoch != epoch;
            case NONE -> false;
        };
    }
    /**
     * Whether this node's copy holds every write acknowledged so far, as far as its map (epoch)
     * knows: as the primary, once it has peered in this epoch; as a replica, once a catch-up in this
     * epoch reached the end of the primary's log with no write of the primary on its way, or once
     * it was settled in the epoch right before, or in an earlier one since which the map says the
     * partition's primary and holders are unchanged ({@code holdersSince}). A holder whose
     * map is behind cannot know of writes acknowledged without it in a newer epoch.
     */
    public boolean holdsEveryAcknowledged() {
        return switch (role) {
            case PRIMARY -> active();
            case REPLICA -> readsSettledEpoch == epoch;
            case NONE -> false;
        };
    }
    /** Other up holders a sequenced mutation must reach before it is acknowledged. */
    public List<String> mirrorTargets() {
        return upHolders.stream().filter(n -> !n.equals(self)).toList();
    }
}
