package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The backup site's account of what each partition has shipped to it ({@link Shipping}): where
 * each partition is ({@link ShipPosition}), which round is being shipped and by whom, the rounds
 * each partition shipped whole and with no hole, and so the rounds the backup may show: those
 * every partition shipped whole. Pure: the backup's executor keeps the pages' records and asks
 * this ledger whether to take each page.
 */
public final class BackupLedger {

    /**
     * Whether a page is taken; if not, why, whether for a position the shipper should ask again,
     * and the keys the page says are held here that are not (to be shipped whole).
     */
    public record Decision(boolean take, boolean positionChanged, String why, List<String> missing) {
        static final Decision TAKE = new Decision(true, false, "");

        public Decision {
            Objects.requireNonNull(why, "why");
            missing = List.copyOf(missing);
        }

        public Decision(boolean take, boolean positionChanged, String why) {
            this(take, positionChanged, why, List.of());
        }
    }

    private final Set<PartitionId> partitions;
    private final Map<PartitionId, ShipPosition> positions = new HashMap<>();
    private final Map<PartitionId, Long> underWay = new HashMap<>();
    private final Map<PartitionId, String> shippers = new HashMap<>();
    private final Map<PartitionId, TreeSet<Long>> whole = new HashMap<>();
    private final Map<PartitionId, TreeSet<Long>> holed = new HashMap<>();

    /**
     * What the ledger holds of one partition, for the backup's executor to keep durably with the
     * partition's records and to {@link #restore} after a restart.
     *
     * @param underWay the round being shipped, or null
     * @param shipper  the shipper of the round being shipped, or null
     * @param whole    the rounds the partition shipped whole, with no hole (those below a round every
     *                 partition shipped whole may be forgotten: see {@link #forgetBelow})
     * @param holed    the rounds the partition shipped as holes (kept from the same round on)
     */
    public record Account(ShipPosition position, Long underWay, String shipper, java.util.SortedSet<Long> whole,
                          java.util.SortedSet<Long> holed) {
        public Account {
            Objects.requireNonNull(position, "position");
            if ((underWay == null) != (shipper == null)) {
                throw new IllegalArgumentException("a round under way needs its shipper, and only then");
            }
            whole = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(whole));
            holed = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(holed));
        }

        public static final Account NONE = new Account(ShipPosition.NONE, null, null, new TreeSet<>(), new TreeSet<>());
    }

    /** A ledger of the partitions the backup takes (every partition of the pools it backs up). */
    public BackupLedger(Set<PartitionId> partitions) {
        this.partitions = Set.copyOf(partitions);
    }

    public Set<PartitionId> partitions() {
        return partitions;
    }

    public ShipPosition position(PartitionId p) {
        return positions.getOrDefault(p, ShipPosition.NONE);
    }

    /**
     * Whether to take page {@code s}. A round's first page is taken only from the partition's
     * position (then what an unfinished earlier attempt left of the partition above the position
     * must go: see {@link #dropsAbove}); a later page only from the shipper of the first, in the
     * same round and from the same position.
     */
    public Decision admit(Shipment s) {
        PartitionId p = s.partition();
        if (!partitions.contains(p)) {
            return new Decision(false, false, "the backup site takes no partition " + p);
        }
        ShipPosition at = position(p);
        if (s.first()) {
            if (!at.equals(s.from())) {
                return new Decision(false, true, p + " is at " + at + " here, not " + s.from());
            }
            return Decision.TAKE;
        }
        if (!Objects.equals(underWay.get(p), s.round()) || !at.equals(s.from()) || !s.shipper().equals(shippers.get(p))) {
            return new Decision(false, true, p + " is not being shipped in round " + s.round() + " from " + s.from() + " by " + s.shipper());
        }
        return Decision.TAKE;
    }

    /**
     * Whether the backup holds what page {@code s} says it holds ({@link Shipment#held}): each
     * key's newest state in a round up to the position's, {@code newest} (null for none), must be
     * at the version the page gives. Else the page is refused, naming the keys to ship whole.
     */
    public static Decision checkHeld(Shipment s, Function<String, Version> newest) {
        List<String> missing = new ArrayList<>();
        for (Shipment.Held h : s.held()) {
            if (!h.version().equals(newest.apply(h.key()))) {
                missing.add(h.key());
            }
        }
        if (missing.isEmpty()) {
            return Decision.TAKE;
        }
        return new Decision(false, false, missing.size() + " of the " + s.held().size() + " keys of " + s.partition()
                + " the page takes as held here are not (the first: " + missing.getFirst() + "); they must come whole", missing);
    }

    /** The round above which a first page's partition drops what it holds (the position's round). */
    public long dropsAbove(Shipment s) {
        return position(s.partition()).round();
    }

    /** Page {@code s}, admitted, was kept: the ledger moves on (its partition is through its round after the last page). */
    public void taken(Shipment s) {
        PartitionId p = s.partition();
        if (s.first()) {
            underWay.put(p, s.round());
            shippers.put(p, s.shipper());
        }
        if (s.hole()) {
            holed.computeIfAbsent(p, x -> new TreeSet<>()).add(s.round());
        }
        if (s.last()) {
            underWay.remove(p);
            shippers.remove(p);
            positions.put(p, s.positionAfter());
            if (!s.hole()) {
                whole.computeIfAbsent(p, x -> new TreeSet<>()).add(s.round());
            }
        }
    }

    /** The rounds the backup may show, oldest first: shipped whole, with no hole, by every partition. */
    public TreeSet<Long> visibleRounds() {
        TreeSet<Long> out = null;
        for (PartitionId p : partitions) {
            TreeSet<Long> mine = whole.getOrDefault(p, new TreeSet<>());
            if (out == null) {
                out = new TreeSet<>(mine);
            } else {
                out.retainAll(mine);
            }
        }
        return out == null ? new TreeSet<>() : out;
    }

    /** Rounds some partition shipped as a hole (of those not forgotten). */
    public int roundsWithHoles() {
        TreeSet<Long> all = new TreeSet<>();
        holed.values().forEach(all::addAll);
        return all.size();
    }

    /** What the ledger holds of partition {@code p}. */
    public Account account(PartitionId p) {
        return new Account(position(p), underWay.get(p), shippers.get(p), whole.getOrDefault(p, new TreeSet<>()),
                holed.getOrDefault(p, new TreeSet<>()));
    }

    /** Takes partition {@code p}'s account as kept (the ledger of a backup node that started again). */
    public void restore(PartitionId p, Account a) {
        if (!partitions.contains(p)) {
            throw new IllegalArgumentException("the backup site takes no partition " + p);
        }
        positions.put(p, a.position());
        if (a.underWay() == null) {
            underWay.remove(p);
            shippers.remove(p);
        } else {
            underWay.put(p, a.underWay());
            shippers.put(p, a.shipper());
        }
        whole.put(p, new TreeSet<>(a.whole()));
        holed.put(p, new TreeSet<>(a.holed()));
    }

    /**
     * Forgets, for every partition, the rounds below {@code round}, a round the backup may show:
     * it stays in every partition's whole rounds, so the rounds the backup may show never go back.
     */
    public void forgetBelow(long round) {
        if (!visibleRounds().contains(round)) {
            throw new IllegalArgumentException("round " + round + " is not one the backup may show");
        }
        whole.values().forEach(w -> w.headSet(round).clear());
        holed.values().forEach(h -> h.headSet(round).clear());
    }
}
