package io.cairn.testkit.sim;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.protocol.LogRecord;
import io.cairn.protocol.ShipPosition;
import io.cairn.protocol.Shipment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The backup site of a simulated cluster, as a model: what each partition's primary shipped,
 * round by round, and which rounds it may show (those every partition shipped whole). The
 * simulation checks that each round it may show is the primary site's state at that cut.
 */
final class SimBackup {

    /** What a shipment came to: taken, or refused (with whether for a position that moved on). */
    record Outcome(boolean ok, boolean positionChanged, String why) {}

    private final Set<PartitionId> partitions;
    private final Map<PartitionId, ShipPosition> positions = new HashMap<>();
    /** The round each partition is being shipped in, after its first page. */
    private final Map<PartitionId, Long> underWay = new HashMap<>();
    /** Who ships each round under way (its first page's shipper). */
    private final Map<PartitionId, String> shippers = new HashMap<>();
    private final Map<PartitionId, TreeSet<Long>> whole = new HashMap<>();
    private final Map<PartitionId, TreeSet<Long>> holes = new HashMap<>();
    /** By partition and key: the key's state in each round that shipped it. */
    private final Map<PartitionId, Map<String, TreeMap<Long, LogRecord>>> states = new HashMap<>();
    long pagesTaken;
    long pagesRefused;

    SimBackup(Set<PartitionId> partitions) {
        this.partitions = Set.copyOf(partitions);
    }

    /** Whether the backup site takes partition {@code p}. */
    boolean ships(PartitionId p) {
        return partitions.contains(p);
    }

    ShipPosition position(PartitionId p) {
        return positions.getOrDefault(p, ShipPosition.NONE);
    }

    /** Who shipped a round of a partition whole, and when its first page arrived. */
    record Shipped(String node, long firstPageAt) {}

    private final Map<PartitionId, Map<Long, Shipped>> shippedBy = new HashMap<>();
    private final Map<PartitionId, Long> firstPageAt = new HashMap<>();

    Shipped shippedBy(PartitionId p, long round) {
        return shippedBy.getOrDefault(p, Map.of()).get(round);
    }

    Outcome ship(Shipment s, long now) {
        PartitionId p = s.partition();
        if (!partitions.contains(p)) {
            pagesRefused++;
            return new Outcome(false, false, "no partition " + p + " here");
        }
        ShipPosition at = position(p);
        if (s.first()) {
            if (!at.equals(s.from())) {
                pagesRefused++;
                return new Outcome(false, true, p + " is at " + at + ", not " + s.from());
            }
            // A round an earlier attempt did not finish: what it left goes.
            for (TreeMap<Long, LogRecord> byRound : states.getOrDefault(p, Map.of()).values()) {
                byRound.tailMap(at.round(), false).clear();
            }
            underWay.put(p, s.round());
            shippers.put(p, s.shipper());
            firstPageAt.put(p, now);
        } else if (!Long.valueOf(s.round()).equals(underWay.get(p)) || !at.equals(s.from()) || !s.shipper().equals(shippers.get(p))) {
            pagesRefused++;
            return new Outcome(false, true, p + " is not being shipped in round " + s.round() + " from " + s.from());
        }
        Map<String, TreeMap<Long, LogRecord>> keys = states.computeIfAbsent(p, x -> new HashMap<>());
        for (LogRecord r : s.records()) {
            keys.computeIfAbsent(r.key(), k -> new TreeMap<>()).put(s.round(), r);
        }
        if (s.hole()) {
            holes.computeIfAbsent(p, x -> new TreeSet<>()).add(s.round());
        }
        if (s.last()) {
            underWay.remove(p);
            shippedBy.computeIfAbsent(p, x -> new HashMap<>()).put(s.round(),
                    new Shipped(s.shipper().substring(0, s.shipper().indexOf('/')), firstPageAt.get(p)));
            positions.put(p, new ShipPosition(s.round(), s.boundary(), s.hole() ? s.holeUntil() : Version.ZERO));
            if (!holes.getOrDefault(p, new TreeSet<>()).contains(s.round())) {
                whole.computeIfAbsent(p, x -> new TreeSet<>()).add(s.round());
            }
        }
        pagesTaken++;
        return new Outcome(true, false, "");
    }

    /** The rounds the backup may show: shipped whole, with no hole, by every partition, oldest first. */
    List<Long> visibleRounds() {
        TreeSet<Long> out = null;
        for (PartitionId p : partitions) {
            TreeSet<Long> mine = whole.getOrDefault(p, new TreeSet<>());
            if (out == null) {
                out = new TreeSet<>(mine);
            } else {
                out.retainAll(mine);
            }
        }
        return out == null ? List.of() : List.copyOf(out);
    }

    /** Rounds some partition shipped as a hole. */
    long roundsWithHoles() {
        TreeSet<Long> all = new TreeSet<>();
        holes.values().forEach(all::addAll);
        return all.size();
    }

    /** The keys the backup holds any state of, by partition. */
    Map<PartitionId, Set<String>> keys() {
        Map<PartitionId, Set<String>> out = new TreeMap<>();
        states.forEach((p, keys) -> out.put(p, new TreeSet<>(keys.keySet())));
        return out;
    }

    /** The state of {@code key} the backup shows as of {@code round}: its newest at or before it, or null. */
    LogRecord stateAt(PartitionId p, String key, long round) {
        TreeMap<Long, LogRecord> byRound = states.getOrDefault(p, Map.of()).get(key);
        if (byRound == null) {
            return null;
        }
        Map.Entry<Long, LogRecord> e = byRound.floorEntry(round);
        return e == null ? null : e.getValue();
    }
}
