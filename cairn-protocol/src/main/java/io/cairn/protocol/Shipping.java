package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.BlobRead;
import io.cairn.core.store.StoredRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Shipping to a backup site: each partition's active primary sends the backup, round by round
 * of the recorded consistent cuts ({@link Cuts}), the state of every key it wrote since the round
 * shipped before (a {@link Shipment}). The backup shows a round only once every partition has
 * shipped it whole, so a reader there sees the cluster as of one cut.
 * <p>
 * The store keeps the newest version of a key only. A key's state in a round is its newest
 * version at or below the partition's boundary; when the key was overwritten after the cut, that
 * version is gone from the store. So the primary keeps, from the moment it became the active
 * primary, a <em>lane</em> per partition: every version it sequences, with the version it
 * superseded and (up to a memory budget) the record itself, until a round covering it is shipped.
 * A key overwritten after the cut is then shipped from the lane; if its state in the round is
 * known nowhere (it came before this primary's lane began, or its bytes were over the budget), the
 * round is shipped as a <em>hole</em>: the backup never shows it, and the key's newer state comes
 * with the next round. Every round after the first one a lane ships whole is complete unless the
 * budget ran out.
 * <p>
 * A key whose state in the round is at or below the backup's position (a record pulled in here,
 * or any key of a partition walked whole after this node started) is sent as {@link
 * Shipment.Held}: its name and version, which the backup holds already as far as this node can
 * tell. The backup refuses a page with a held key it does not hold so, naming it, and the round
 * starts again with those keys whole ({@link #HELD_REFUSALS_MAX}).
 * <p>
 * Off unless {@link ReplicaConfig#shipping} is set (and cuts are on). Replicated pools only: the
 * active primary of an erasure-coded partition may lack the block (and the record) of a stripe
 * acknowledged on other holders until it rebuilds it, so its log does not name every key yet.
 */
final class Shipping {

    /** Records read from the store's log per page. */
    static final int PAGE_RECORDS = 64;
    /** Blob bytes per page, beyond which the page goes out at once. */
    static final long PAGE_BYTES = 4L << 20;
    /** The biggest record whose bytes a lane keeps. */
    static final int KEPT_BLOB_MAX = 1 << 20;
    /** Bytes every lane of the node keeps together, at most. */
    static final long KEPT_BYTES_MAX = 64L << 20;
    /** Versions one lane remembers at most; past that it starts over (its next round may be a hole). */
    static final int LANE_ENTRIES_MAX = 200_000;
    /** Recorded cuts a node keeps in memory for its lanes. */
    static final int RECORDED_KEPT = 1024;
    /** How long a round that failed to ship waits before it is tried again. */
    static final long RETRY_MILLIS = 500;
    /** Records pulled in per partition that a lane has not shipped again yet, before a lane walks the whole partition. */
    static final int ARRIVALS_MAX = 10_000;
    /** Pages of one round the backup may refuse for held keys it lacks before the round ships every key whole. */
    static final int HELD_REFUSALS_MAX = 3;

    private final ReplicaStateMachine r;
    private final Map<PartitionId, Lane> lanes = new TreeMap<>();
    /** The recorded cuts this node knows, by round: each partition's boundary. */
    private final TreeMap<Long, Map<PartitionId, Version>> recorded = new TreeMap<>();
    private boolean askingCuts;
    private long nextCutsAskAt;
    private boolean askingPositions;
    private long nextToken = 1;
    private final Map<Long, Consumer<Event.ShippedAnswered>> positionAsks = new HashMap<>();
    private final Map<Long, Consumer<Event.Shipped>> shipments = new HashMap<>();

    private record Arrival(String key, Version version) {}

    /**
     * Records pulled into one partition here (whatever the lanes), in the order they came; or,
     * past {@link #ARRIVALS_MAX} (or since this node started, when it cannot know what came
     * before), {@code rescan}: the partition's next lane ships every key's state.
     */
    private static final class Arrivals {
        final TreeMap<Long, Arrival> keys = new TreeMap<>();
        long seq;
        boolean rescan = true;
        long overflowedAt;
    }

    private final Map<PartitionId, Arrivals> arrivals = new TreeMap<>();

    /** By partition, versions sequenced here whose own write has not ended yet (whatever the lanes). */
    private final Map<PartitionId, TreeSet<Version>> writing = new TreeMap<>();
    /** Record bytes every lane keeps. */
    private long keptBytes;
    /** Bytes (blob and meta) of the versions every lane tracks and has not shipped yet: the backup lags by them. */
    private long unshippedBytes;

    /** What reading one key's state in a round came to: its record, gone (the round is a hole), or a failed read. */
    private record Read(LogRecord record, boolean failed) {
        static final Read GONE = new Read(null, false);
        static final Read FAILED = new Read(null, true);
    }

    /** A version a lane saw sequenced: the version it superseded, the record when kept, and its bytes (blob and meta). */
    private record Entry(String key, Version previous, LogRecord record, long bytes) {
        boolean kept() {
            return record != null;
        }
    }

    /** One partition's shipping, while this node is its active primary in one epoch. */
    private static final class Lane {
        final PartitionId partition;
        final long epoch;
        final TreeMap<Version, Entry> log = new TreeMap<>();
        final Map<String, TreeSet<Version>> byKey = new HashMap<>();
        /** The arrivals (see {@link Arrivals}) the round under way covers, up to this sequence number, and whether it walks the whole partition. */
        long arrivalsCovered = -1;
        boolean rescanning;
        /** Where the backup is, once it said. */
        ShipPosition position;
        boolean positionAsked;
        // the round under way
        boolean busy;
        long round;
        Version boundary;
        Version cursor;
        boolean first;
        /** A key's state in the round is unknown, and stays so in rounds whose boundary is below this. */
        Version holeUntil = Version.ZERO;
        long retryAt;
        /** Records pulled in at or below the position (see {@link Arrivals}) the round under way has yet to ship, ahead of its walk. */
        final java.util.ArrayDeque<StoredRecord> pulledIn = new java.util.ArrayDeque<>();
        /**
         * Keys at or below the position the backup said it lacks, shipped whole in this round; and
         * whether the round ships every such key whole (the backup refused too many pages).
         */
        final Set<String> wanted = new java.util.HashSet<>();
        int heldRefusals;
        boolean wholeOnly;

        Lane(PartitionId partition, long epoch) {
            this.partition = partition;
            this.epoch = epoch;
        }
    }

    Shipping(ReplicaStateMachine replica) {
        this.r = replica;
    }

    /**
     * Bytes (blob and meta) written through the partitions this node is primary of that the
     * backup site does not have yet, as far as the lanes know them (a lane that started over, or
     * one begun after its partition's primary moved here, counts only the writes since).
     */
    long unshippedBytes() {
        return unshippedBytes;
    }

    boolean enabled() {
        return r.config().shipping() && r.config().cutIntervalMillis() > 0;
    }

    // ---- the write path ----

    /**
     * {@code rep}'s primary sequenced {@code record} (whole, as the client sent it) over the
     * key's {@code previous} version ({@link Version#ZERO} for none).
     */
    void sequenced(PartitionReplica rep, LogRecord record, Version previous) {
        if (!enabled() || r.erasureCoded(rep.id)) {
            return;
        }
        Lane lane = lanes.get(rep.id);
        if (lane == null || lane.epoch != rep.machine.epoch()) {
            if (lane != null) {
                forgetEntries(lane);
            }
            lane = new Lane(rep.id, rep.machine.epoch());
            lanes.put(rep.id, lane);
        }
        if (lane.log.size() >= LANE_ENTRIES_MAX) {
            r.note(Effect.Level.WARN, "shipping " + rep.id + ": " + LANE_ENTRIES_MAX + " versions not shipped; the lane starts over"
                    + " and its next round may not be shown at the backup");
            forgetEntries(lane);
        }
        long size = record.blob() == null ? 0 : record.blob().remaining();
        LogRecord kept = record.carriesData() && (size > KEPT_BLOB_MAX || keptBytes + size > KEPT_BYTES_MAX) ? null : record;
        keptBytes += kept == null ? 0 : size;
        writing.computeIfAbsent(rep.id, x -> new TreeSet<>()).add(record.version());
        long bytes = record.blobLength() + record.meta().length;
        unshippedBytes += bytes;
        lane.log.put(record.version(), new Entry(record.key(), previous, kept, bytes));
        lane.byKey.computeIfAbsent(record.key(), k -> new TreeSet<>()).add(record.version());
    }

    /** The own write of a version sequenced here ended: written, or not ({@link #unwritten}). */
    void written(PartitionReplica rep, Version version) {
        TreeSet<Version> versions = writing.get(rep.id);
        if (versions != null) {
            versions.remove(version);
            if (versions.isEmpty()) {
                writing.remove(rep.id);
            }
        }
    }

    /** A version sequenced here was never written (its own write failed): it is no key's state. */
    void unwritten(PartitionReplica rep, Version version) {
        written(rep, version);
        Lane lane = lanes.get(rep.id);
        if (lane == null) {
            return;
        }
        Entry e = lane.log.remove(version);
        if (e != null) {
            drop(lane, version, e);
        }
    }

    /**
     * A record pulled from a peer was written here (catch-up, peering, a hand-over, a copy of an
     * under-protected write). Its version may be at or below what the backup holds of the
     * partition while the backup lacks it: a write acknowledged with fewer copies than its pool
     * asks, on nodes that were out when the rounds were shipped. The next lane of the partition
     * ships its key again (see {@link #page}).
     */
    void arrived(PartitionId p, String key, Version version) {
        if (!enabled()) {
            return;
        }
        Arrivals a = arrivals.computeIfAbsent(p, x -> new Arrivals());
        a.keys.put(++a.seq, new Arrival(key, version));
        if (a.keys.size() > ARRIVALS_MAX) {
            a.keys.clear();
            a.rescan = true; // the next lane walks the whole partition
            a.overflowedAt = a.seq;
        }
    }

    // ---- rounds ----

    void tick() {
        if (!enabled()) {
            return;
        }
        for (Lane lane : new ArrayList<>(lanes.values())) {
            PartitionReplica rep = r.existing(lane.partition);
            if (rep == null || !rep.machine.active() || rep.machine.epoch() != lane.epoch) {
                forgetEntries(lane);
                lanes.remove(lane.partition);
            }
        }
        for (PartitionReplica rep : r.replicas()) {
            if (rep.machine.active() && !lanes.containsKey(rep.id) && r.pool(rep.id).isPresent() && !r.erasureCoded(rep.id)) {
                lanes.put(rep.id, new Lane(rep.id, rep.machine.epoch()));
            }
        }
        askPositions();
        long known = recorded.isEmpty() ? 0 : recorded.lastKey();
        boolean waiting = lanes.values().stream().anyMatch(l -> l.position != null && !l.busy && l.position.round() >= known);
        if (waiting && !askingCuts && r.now() >= nextCutsAskAt) {
            askingCuts = true;
            nextCutsAskAt = r.now() + Math.max(r.config().cutIntervalMillis() / 2, 50);
            r.emit(new Effect.AskCuts());
        }
        for (Lane lane : new ArrayList<>(lanes.values())) {
            if (lane.position != null && !lane.busy && r.now() >= lane.retryAt) {
                start(lane);
            }
        }
    }

    private void askPositions() {
        if (askingPositions) {
            return;
        }
        Set<PartitionId> unknown = new TreeSet<>();
        for (Lane lane : lanes.values()) {
            if (lane.position == null && !lane.positionAsked && r.now() >= lane.retryAt) {
                unknown.add(lane.partition);
            }
        }
        if (unknown.isEmpty()) {
            return;
        }
        askingPositions = true;
        unknown.forEach(p -> lanes.get(p).positionAsked = true);
        long token = nextToken++;
        positionAsks.put(token, answer -> {
            askingPositions = false;
            for (PartitionId p : unknown) {
                Lane lane = lanes.get(p);
                if (lane == null || lane.position != null) {
                    continue;
                }
                lane.positionAsked = false;
                if (answer.answered()) {
                    lane.position = answer.positions().getOrDefault(p, ShipPosition.NONE);
                } else {
                    lane.retryAt = r.now() + RETRY_MILLIS;
                }
            }
        });
        r.emit(new Effect.AskShipped(token, Set.copyOf(unknown)));
    }

    /** The meta service's recorded cuts (an answer to this or to {@link Cuts}' asking). */
    void cutsAnswered(Event.CutsAnswered a) {
        askingCuts = false;
        if (!a.answered()) {
            return;
        }
        a.recent().forEach(recorded::put);
        while (recorded.size() > RECORDED_KEPT) {
            recorded.pollFirstEntry(); // a lane this far behind skips to the rounds kept
        }
        // Rounds every lane has shipped are not needed again.
        long oldest = lanes.values().stream().mapToLong(l -> l.position == null ? 0 : l.position.round()).min().orElse(0);
        recorded.headMap(oldest, false).clear();
    }

    void answered(Event.ShippedAnswered a) {
        Consumer<Event.ShippedAnswered> done = positionAsks.remove(a.token());
        if (done != null) {
            done.accept(a);
        }
    }

    void shipped(Event.Shipped s) {
        Consumer<Event.Shipped> done = shipments.remove(s.token());
        if (done != null) {
            done.accept(s);
        }
    }

    /** Begins the round after the lane's position, if it is recorded. */
    private void start(Lane lane) {
        Map.Entry<Long, Map<PartitionId, Version>> next = recorded.higherEntry(lane.position.round());
        if (next == null) {
            return;
        }
        Version boundary = next.getValue().getOrDefault(lane.partition, Version.ZERO);
        if (boundary.epoch() > lane.epoch) {
            // Sequenced in an epoch after this node's: a newer primary exists, and this node's
            // store may lack versions inside the round. It ships nothing until it knows its map.
            return;
        }
        TreeSet<Version> unwritten = writing.get(lane.partition);
        if (unwritten != null && !unwritten.isEmpty() && !unwritten.first().isAfter(boundary)) {
            return; // a version inside the round is not in the store yet: read once it is
        }
        lane.busy = true;
        lane.round = next.getKey();
        // A boundary below what is shipped: versions an earlier cut counted were lost before any
        // acknowledgement. This round cannot be told as a change from the last; it is a hole.
        lane.holeUntil = Version.ZERO;
        if (lane.position.boundary().isAfter(boundary)) {
            hole(lane, lane.position.boundary());
        }
        // Holes of the rounds before that later writes have not filled yet.
        if (lane.position.holeUntil().isAfter(boundary)) {
            hole(lane, lane.position.holeUntil());
        }
        lane.boundary = lane.position.boundary().isAfter(boundary) ? lane.position.boundary() : boundary;
        lane.cursor = lane.position.boundary();
        Arrivals a = arrivals.computeIfAbsent(lane.partition, x -> new Arrivals());
        lane.arrivalsCovered = a.seq;
        lane.rescanning = a.rescan;
        if (lane.rescanning) {
            // What was pulled in here is not known (this node started, or too much came): the
            // state of every key goes, those at or below the backup's position as arrivals.
            lane.cursor = Version.ZERO;
        }
        lane.first = true;
        page(lane);
    }

    /** Reads the next page of the partition's log and ships the state of each key in it. */
    private void page(Lane lane) {
        Version from = lane.position.boundary();
        Version boundary = lane.boundary;
        if (lane.first) {
            lane.pulledIn.clear();
            if (!lane.rescanning) {
                // Records pulled in at or below what the backup holds: their keys' states go again.
                Arrivals a = arrivals.get(lane.partition);
                java.util.Set<String> keys = new java.util.TreeSet<>();
                if (a != null) {
                    a.keys.headMap(lane.arrivalsCovered, true).values().forEach(x -> {
                        if (!x.version().isAfter(from)) {
                            keys.add(x.key());
                        }
                    });
                }
                for (String key : keys) {
                    r.store().get(lane.partition, key).filter(x -> !x.version().isAfter(from)).ifPresent(lane.pulledIn::add);
                }
            }
        }
        // Those first, a page at a time; then the walk of the partition's log.
        List<StoredRecord> page = new ArrayList<>();
        while (!lane.pulledIn.isEmpty() && page.size() < PAGE_RECORDS) {
            page.add(lane.pulledIn.poll());
        }
        int pulledIn = page.size();
        List<StoredRecord> walked = lane.pulledIn.isEmpty() ? r.store().since(lane.partition, lane.cursor, PAGE_RECORDS) : List.of();
        boolean end = lane.pulledIn.isEmpty() && walked.size() < PAGE_RECORDS;
        page.addAll(walked);
        List<Consumer<Consumer<Read>>> states = new ArrayList<>();
        List<Shipment.Held> held = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < page.size(); i++) {
            StoredRecord rec = page.get(i);
            if (i >= pulledIn) {
                lane.cursor = rec.version(); // the walk goes on after it, whatever it is
            }
            if (!rec.version().isAfter(from)) {
                // A late record: its key's state, at its version (nothing newer is inside the round).
                // The backup most likely holds it already (this node walks the whole partition after
                // a restart): it goes as held, unless the backup said it lacks it.
                if (!rec.tombstone() && !lane.wholeOnly && !lane.wanted.contains(rec.key())) {
                    held.add(new Shipment.Held(rec.key(), rec.version()));
                } else {
                    states.add(done -> fromStore(lane, rec, done));
                    bytes += rec.blobLength();
                }
            } else if (!rec.version().isAfter(boundary)) {
                Entry e = lane.log.get(rec.version());
                states.add(e != null && e.kept() ? done -> done.accept(new Read(e.record(), false)) : done -> fromStore(lane, rec, done));
                bytes += rec.blobLength();
            } else {
                // Written after the cut: what was the key at it?
                TreeSet<Version> mine = lane.byKey.getOrDefault(rec.key(), new TreeSet<>());
                Version atCut = mine.floor(boundary);
                if (atCut != null && atCut.isAfter(from)) {
                    Entry e = lane.log.get(atCut);
                    if (e.kept()) {
                        states.add(done -> done.accept(new Read(e.record(), false)));
                        bytes += e.record().blobLength();
                    } else {
                        hole(lane, rec.version()); // known again once a round holds the key's current version
                    }
                    continue;
                }
                Version after = mine.higher(boundary);
                Entry first = after == null ? null : lane.log.get(after);
                if (first == null || first.previous().isAfter(from)) {
                    // Its state at the cut is older than this lane and was not shipped.
                    hole(lane, first == null ? rec.version() : after);
                }
                // else unchanged since the round shipped before
            }
            if (bytes >= PAGE_BYTES) {
                // The rest on the next page: records pulled in go back to the front of the queue.
                for (int j = pulledIn - 1; j > i; j--) {
                    lane.pulledIn.addFirst(page.get(j));
                }
                end = false;
                break;
            }
        }
        boolean last = end;
        gather(states, records -> send(lane, records, held, last));
    }

    /**
     * Runs each state's read and hands on the records found, in order (a state gone is left out:
     * the round is a hole), or nothing if a read failed.
     */
    private void gather(List<Consumer<Consumer<Read>>> states, Consumer<Optional<List<LogRecord>>> done) {
        Read[] reads = new Read[states.size()];
        int[] left = {states.size()};
        if (states.isEmpty()) {
            done.accept(Optional.of(List.of()));
            return;
        }
        for (int i = 0; i < states.size(); i++) {
            int at = i;
            states.get(i).accept(read -> {
                reads[at] = read;
                if (--left[0] > 0) {
                    return;
                }
                List<LogRecord> out = new ArrayList<>();
                for (Read x : reads) {
                    if (x.failed()) {
                        done.accept(Optional.empty());
                        return;
                    }
                    if (x.record() != null) {
                        out.add(x.record());
                    }
                }
                done.accept(Optional.of(out));
            });
        }
    }

    /**
     * The state of a key whose newest version is inside the round, read from the store. If a
     * newer version replaced it meanwhile (and the lane did not keep it), the key's state is
     * gone: a hole. A read that fails fails the page (it is tried again).
     */
    private void fromStore(Lane lane, StoredRecord rec, Consumer<Read> done) {
        if (rec.tombstone() || rec.blobLength() == 0) {
            done.accept(new Read(LogRecord.of(rec), false));
            return;
        }
        r.storeOp(new StoreOp.ReadBlob(lane.partition, rec.key()), result -> {
            if (result instanceof StoreResult.BlobLoaded b && b.read() instanceof BlobRead.Found f && f.version().equals(rec.version())) {
                done.accept(new Read(LogRecord.of(rec).withBlob(f.data()), false));
            } else {
                superseded(lane, rec, result.toString(), done);
            }
        });
    }

    /** A state that could not be read: a hole if the key moved on past it, else a failed page. */
    private void superseded(Lane lane, StoredRecord rec, String why, Consumer<Read> done) {
        Optional<StoredRecord> now = r.store().get(lane.partition, rec.key());
        if (now.isPresent() && now.get().version().isAfter(rec.version())) {
            hole(lane, now.get().version());
            done.accept(Read.GONE);
            return;
        }
        r.note(Effect.Level.INFO, "shipping " + lane.partition + ": " + rec.key() + " at " + rec.version() + " not read: " + why
                + "; the round is tried again");
        done.accept(Read.FAILED);
    }

    private void send(Lane lane, Optional<List<LogRecord>> records, List<Shipment.Held> held, boolean last) {
        if (!lanes.containsKey(lane.partition) || lanes.get(lane.partition) != lane) {
            return; // no longer this node's to ship
        }
        if (records.isEmpty()) {
            retry(lane);
            return;
        }
        Shipment s = new Shipment(lane.partition, lane.round, lane.boundary, lane.position, lane.first, last, lane.holeUntil, records.get(),
                r.id() + "/" + r.incarnation() + "/" + lane.epoch, held);
        long token = nextToken++;
        shipments.put(token, answer -> {
            if (lanes.get(lane.partition) != lane) {
                return;
            }
            if (!answer.ok()) {
                r.note(Effect.Level.INFO, "shipping " + lane.partition + " round " + lane.round + " not taken: " + answer.why());
                if (answer.positionChanged()) {
                    lane.position = null;
                }
                retry(lane);
                if (!answer.missing().isEmpty()) {
                    // The round again at once, with those keys whole (every key, past a few such refusals).
                    lane.wanted.addAll(answer.missing());
                    lane.wholeOnly = ++lane.heldRefusals >= HELD_REFUSALS_MAX;
                    lane.retryAt = r.now();
                }
                return;
            }
            lane.first = false;
            if (!last) {
                page(lane);
                return;
            }
            lane.position = s.positionAfter();
            Arrivals a = arrivals.get(lane.partition);
            if (a != null) {
                // Arrivals since the round began stay, for the next one.
                a.keys.headMap(lane.arrivalsCovered, true).clear();
                if (lane.rescanning && a.overflowedAt <= lane.arrivalsCovered) {
                    a.rescan = false;
                }
            }
            lane.rescanning = false;
            lane.arrivalsCovered = -1;
            lane.busy = false;
            lane.wanted.clear();
            lane.heldRefusals = 0;
            lane.wholeOnly = false;
            // Versions inside the round are shipped (or stand for a hole no later round needs).
            SortedMap<Version, Entry> done = lane.log.headMap(lane.boundary, true);
            for (Map.Entry<Version, Entry> e : new ArrayList<>(done.entrySet())) {
                lane.log.remove(e.getKey());
                drop(lane, e.getKey(), e.getValue());
            }
        });
        r.emit(new Effect.Ship(token, s));
    }

    /** The round is a hole, and so is every later round whose boundary is below {@code until}. */
    private static void hole(Lane lane, Version until) {
        if (until.isAfter(lane.holeUntil)) {
            lane.holeUntil = until;
        }
    }

    private void retry(Lane lane) {
        lane.busy = false;
        lane.retryAt = r.now() + RETRY_MILLIS;
    }

    private void drop(Lane lane, Version v, Entry e) {
        TreeSet<Version> versions = lane.byKey.get(e.key());
        if (versions != null) {
            versions.remove(v);
            if (versions.isEmpty()) {
                lane.byKey.remove(e.key());
            }
        }
        if (e.kept() && e.record().blob() != null) {
            keptBytes -= e.record().blob().remaining();
        }
        shipped(e);
    }

    /** Entry {@code e} needs no shipping any more: its bytes leave the count. */
    private void shipped(Entry e) {
        unshippedBytes -= e.bytes();
        if (unshippedBytes < 0) {
            throw new IllegalStateException("shipping counted " + unshippedBytes + " bytes not shipped, fewer than none");
        }
    }

    private void forgetEntries(Lane lane) {
        for (Map.Entry<Version, Entry> e : lane.log.entrySet()) {
            if (e.getValue().kept() && e.getValue().record().blob() != null) {
                keptBytes -= e.getValue().record().blob().remaining();
            }
            shipped(e.getValue());
        }
        lane.log.clear();
        lane.byKey.clear();
    }
}
