package io.cairn.meta;

import java.util.ArrayList;
import java.util.List;

/**
 * How far consistent cuts have come (see the protocol's {@code Cuts}): the newest round recorded,
 * the newest round fenced (a round at or below it that is not recorded never will be), and the
 * last {@link #KEPT} recorded cuts with their boundaries. A round is recorded only if it is later
 * than every round recorded or fenced, so each round is decided once, one way.
 */
public record CutLog(long lastRecorded, long fencedUpTo, List<Cut> recent) {

    /** Recorded cuts kept. */
    public static final int KEPT = 64;

    public static final CutLog NONE = new CutLog(0, 0, List.of());

    /** A partition's boundary in a cut: the newest version of it inside the cut. */
    public record Boundary(String pool, int partition, long epoch, long seq) {}

    /** One recorded cut, and when its coordinator recorded it ({@code atMillis}, 0 if not known). */
    public record Cut(long round, List<Boundary> boundaries, long atMillis) {
        public Cut {
            boundaries = List.copyOf(boundaries);
        }

        public Cut(long round, List<Boundary> boundaries) {
            this(round, boundaries, 0);
        }
    }

    /** When round {@code round} was recorded, if it is among the kept cuts and its time is known. */
    public java.util.OptionalLong recordedAt(long round) {
        return recent.stream().filter(c -> c.round() == round && c.atMillis() > 0).mapToLong(Cut::atMillis).findFirst();
    }

    public CutLog {
        recent = recent == null ? List.of() : List.copyOf(recent);
        if (lastRecorded < 0 || fencedUpTo < 0) {
            throw new IllegalArgumentException("rounds are positive: " + lastRecorded + ", " + fencedUpTo);
        }
    }

    /** The round a coordinator starting now takes. */
    public long nextRound() {
        return Math.max(lastRecorded, fencedUpTo) + 1;
    }

    /** Whether {@code round} may still be recorded. */
    public boolean open(long round) {
        return round > lastRecorded && round > fencedUpTo;
    }

    /** Whether {@code round} was recorded (as far as the kept cuts tell). */
    public boolean recorded(long round) {
        return recent.stream().anyMatch(c -> c.round() == round);
    }

    /** The boundaries of a cut as the protocol gives them, as the log keeps them. */
    public static List<Boundary> boundaries(java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version> byPartition) {
        List<Boundary> out = new ArrayList<>();
        new java.util.TreeMap<>(byPartition).forEach((p, v) -> out.add(new Boundary(p.pool(), p.partition(), v.epoch(), v.seq())));
        return out;
    }

    /** By partition, the highest boundary of the kept cuts. */
    public java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version> highestBoundaries() {
        java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version> out = new java.util.TreeMap<>();
        for (Cut c : recent) {
            for (Boundary b : c.boundaries()) {
                out.merge(new io.cairn.core.partition.PartitionId(b.pool(), b.partition()), new io.cairn.core.partition.Version(b.epoch(), b.seq()),
                        (x, y) -> x.isAfter(y) ? x : y);
            }
        }
        return out;
    }

    /** The kept cuts by round, each with its boundaries by partition. */
    public java.util.SortedMap<Long, java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version>> byRound() {
        java.util.SortedMap<Long, java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version>> out = new java.util.TreeMap<>();
        for (Cut c : recent) {
            java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version> bounds = new java.util.TreeMap<>();
            for (Boundary b : c.boundaries()) {
                bounds.put(new io.cairn.core.partition.PartitionId(b.pool(), b.partition()), new io.cairn.core.partition.Version(b.epoch(), b.seq()));
            }
            out.put(c.round(), java.util.Collections.unmodifiableMap(bounds));
        }
        return out;
    }

    CutLog record(Cut cut) {
        List<Cut> kept = new ArrayList<>(recent);
        kept.add(cut);
        while (kept.size() > KEPT) {
            kept.removeFirst();
        }
        return new CutLog(cut.round(), fencedUpTo, kept);
    }

    CutLog fence(long round) {
        return round <= fencedUpTo ? this : new CutLog(lastRecorded, round, recent);
    }
}
