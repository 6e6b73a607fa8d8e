package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The backup site's account of what each partition has shipped to it ({@link Shipping}): where
 * each partition is ({@link ShipPosition}), which round is being shipped and by whom, the rounds
 * each partition shipped whole and with no hole, and so the rounds the backup may show: those
 * every partition shipped whole. Pure: the backup's executor keeps the pages' records and asks
 * this ledger whether to take each page.
 */
public final class BackupLedger {

    /** Whether a page is taken; if not, why, and whether for a position the shipper should ask again. */
    public record Decision(boolean take, boolean positionChanged, String why) {
        static final Decision TAKE = new Decision(true, false, "");
    }

    private final Set<PartitionId> partitions;
    private final Map<PartitionId, ShipPosition> positions = new HashMap<>();
    private final Map<PartitionId, Long> underWay = new HashMap<>();
    private final Map<PartitionId, String> shippers = new HashMap<>();
    private final Map<PartitionId, TreeSet<Long>> whole = new HashMap<>();
    private final TreeSet<Long> holed = new TreeSet<>();

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
            holed.add(s.round());
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

    /** Rounds some partition shipped as a hole. */
    public int roundsWithHoles() {
        return holed.size();
    }
}
