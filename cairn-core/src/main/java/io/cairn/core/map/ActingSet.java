package io.cairn.core.map;

import java.util.List;
import java.util.Objects;

/**
 * A temporary holder list for one partition of a replicated pool, in force instead of what
 * placement computes while the partition's new primary catches up: the node that was primary
 * before stays first (so it keeps sequencing writes), followed by the placement's holders (so
 * the new ones get every write as mirrors while they copy the rest). The meta leader removes it
 * once every holder in it has caught up; the new primary then peers with holders that have
 * everything, which takes metadata only.
 *
 * @param holders the old primary, then the holders placement computes (without it)
 */
public record ActingSet(String pool, int partition, List<String> holders) {

    public ActingSet {
        Objects.requireNonNull(pool, "pool");
        if (partition < 0) {
            throw new IllegalArgumentException("partition must be >= 0: " + partition);
        }
        holders = List.copyOf(holders);
        if (holders.isEmpty()) {
            throw new IllegalArgumentException("an acting set lists at least one holder");
        }
    }
}
