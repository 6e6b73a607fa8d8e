package io.cairn.testkit.sim;

import io.cairn.core.partition.PartitionId;
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
    record Outcome(boolean ok, boolean positionChanged, String why, List<String> missing) {}

    private final io.cairn.protocol.BackupLedger ledger;
    /** By partition and key: the key's state in each round that shipped it. */
    private final Map<PartitionId, Map<String, TreeMap<Long, LogRecord>>> states = new HashMap<>();
    long pagesTaken;
    long pagesRefused;
    /** Held keys of pages checked, and of those, the ones this backup did not hold. */
    long heldChecked;
    long heldMissing;

    SimBackup(Set<PartitionId> partitions) {
        this.ledger = new io.cairn.protocol.BackupLedger(partitions);
    }

    /** Whether the backup site takes partition {@code p}. */
    boolean ships(PartitionId p) {
        return ledger.partitions().contains(p);
    }

    ShipPosition position(PartitionId p) {
        return ledger.position(p);
    }

    /** Who shipped a round of a partition whole, and when its first page arrived. */
    record Shipped(String node, long firstPageAt) {}

    private final Map<PartitionId, Map<Long, Shipped>> shippedBy = new HashMap<>();
    private final Map<PartitionId, Long> firstPageAt = new HashMap<>();

    Shipped shippedBy(PartitionId p, long round) {
        return shippedBy.getOrDefault(p, Map.of()).get(round);
    }

    /** A page arrives at {@code now}: the ledger (the production code) decides, and the model keeps its records. */
    Outcome ship(Shipment s, long now) {
        PartitionId p = s.partition();
        io.cairn.protocol.BackupLedger.Decision d = ledger.admit(s);
        if (!d.take()) {
            pagesRefused++;
            return new Outcome(false, d.positionChanged(), d.why(), List.of());
        }
        long upTo = ledger.position(p).round();
        io.cairn.protocol.BackupLedger.Decision held = io.cairn.protocol.BackupLedger.checkHeld(s, key -> {
            LogRecord r = stateAt(p, key, upTo);
            return r == null ? null : r.version();
        });
        heldChecked += s.held().size();
        if (!held.take()) {
            pagesRefused++;
            heldMissing += held.missing().size();
            return new Outcome(false, false, held.why(), held.missing());
        }
        if (s.first()) {
            // A round an earlier attempt did not finish: what it left goes.
            long above = ledger.dropsAbove(s);
            for (TreeMap<Long, LogRecord> byRound : states.getOrDefault(p, Map.of()).values()) {
                byRound.tailMap(above, false).clear();
            }
            firstPageAt.put(p, now);
        }
        Map<String, TreeMap<Long, LogRecord>> keys = states.computeIfAbsent(p, x -> new HashMap<>());
        for (LogRecord r : s.records()) {
            keys.computeIfAbsent(r.key(), k -> new TreeMap<>()).put(s.round(), r);
        }
        if (s.last()) {
            shippedBy.computeIfAbsent(p, x -> new HashMap<>()).put(s.round(),
                    new Shipped(s.shipper().substring(0, s.shipper().indexOf('/')), firstPageAt.get(p)));
        }
        ledger.taken(s);
        pagesTaken++;
        return new Outcome(true, false, "", List.of());
    }

    /** The rounds the backup may show, oldest first. */
    List<Long> visibleRounds() {
        return List.copyOf(ledger.visibleRounds());
    }

    /** Rounds some partition shipped as a hole. */
    long roundsWithHoles() {
        return ledger.roundsWithHoles();
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
