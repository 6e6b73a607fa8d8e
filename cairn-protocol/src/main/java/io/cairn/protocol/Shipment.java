package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.util.List;
import java.util.Objects;

/**
 * One page of a partition's part of a consistent cut, on its way to the backup site: the state,
 * as of round {@code round}, of each key of the partition written since the position {@code from}
 * (the round shipped before, see {@link ShipPosition}). Each record is the key's newest version
 * at or below the partition's {@code boundary} in the round, whole, tombstones included.
 *
 * @param first the round's first page: the backup drops what it holds of the partition above
 *              {@code from} (a round an earlier attempt did not finish) and takes it only if its
 *              own position of the partition is {@code from}
 * @param last  the round's last page: the partition is shipped through the round
 * @param holeUntil some key's state in the round is not known any more (it was overwritten before it
 *              was shipped) when this is after {@code boundary}: the backup never shows this round, nor
 *              a later one whose boundary is below it (see {@link ShipPosition#holeUntil}); the key's newer
 *              state comes in the first round at or above it
 * @param shipper   who ships the round (the node, its run and the primary's epoch): a page after the
 *                  first is taken only from the shipper of the round's first page, so that two
 *                  primaries (one that has not learnt it lost the role) never mix their pages
 * @param held      keys whose state in the round the shipper takes the backup to hold already, sent
 *                  without their records: each key's version at or below {@code from}, which the
 *                  backup must hold as the key's newest state in a round up to {@code from}'s, or
 *                  refuse the page and name the keys it lacks ({@link BackupLedger#checkHeld})
 */
public record Shipment(PartitionId partition, long round, Version boundary, ShipPosition from, boolean first, boolean last,
                       Version holeUntil, List<LogRecord> records, String shipper, List<Held> held) {

    /** A key the backup should hold at {@code version} already (its state in the round is unchanged). */
    public record Held(String key, Version version) {
        public Held {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(version, "version");
        }
    }

    /** A page with every record whole. */
    public Shipment(PartitionId partition, long round, Version boundary, ShipPosition from, boolean first, boolean last,
                    Version holeUntil, List<LogRecord> records, String shipper) {
        this(partition, round, boundary, from, first, last, holeUntil, records, shipper, List.of());
    }

    public Shipment {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(boundary, "boundary");
        Objects.requireNonNull(holeUntil, "holeUntil");
        Objects.requireNonNull(shipper, "shipper");
        Objects.requireNonNull(from, "from");
        records = List.copyOf(records);
        held = List.copyOf(held);
        for (Held h : held) {
            if (h.version().isAfter(from.boundary())) {
                throw new IllegalArgumentException(partition + ": " + h + " is not at or below the position it starts from, " + from);
            }
        }
        if (round <= from.round()) {
            throw new IllegalArgumentException("round " + round + " of " + partition + " is not after the position it starts from, " + from);
        }
    }

    /** The page with only {@code records} and {@code held} (the same round, position and shipper). */
    public Shipment with(List<LogRecord> records, List<Held> held) {
        return new Shipment(partition, round, boundary, from, first, last, holeUntil, records, shipper, held);
    }

    /** Whether the backup never shows this round: a key's state in it is not known. */
    public boolean hole() {
        return holeUntil.isAfter(boundary);
    }

    /** Where the partition is once this page, its round's last, is taken. */
    public ShipPosition positionAfter() {
        return new ShipPosition(round, boundary, hole() ? holeUntil : Version.ZERO);
    }
}
