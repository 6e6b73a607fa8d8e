package io.cairn.protocol;

import io.cairn.core.partition.Version;
import java.util.Objects;

/**
 * How far a partition has been shipped to the backup site: the last round of consistent cuts
 * shipped whole, and the partition's boundary in it (the records at or below it are at the
 * backup, but for holes). {@code holeUntil}: a key's state in that round was not known any more
 * (overwritten before it was shipped); it stays unknown in every later round whose boundary is
 * below this version (the version that overwrote it, or a later one), so those rounds are holes
 * too ({@link Version#ZERO}: none).
 */
public record ShipPosition(long round, Version boundary, Version holeUntil) {

    /** Nothing shipped yet. */
    public static final ShipPosition NONE = new ShipPosition(0, Version.ZERO, Version.ZERO);

    public ShipPosition {
        Objects.requireNonNull(boundary, "boundary");
        Objects.requireNonNull(holeUntil, "holeUntil");
        if (round < 0) {
            throw new IllegalArgumentException("a round is not negative: " + round);
        }
    }
}
