package io.cairn.core.map;

import java.util.List;
import java.util.Objects;

/**
 * The holder list of one partition of an erasure-coded pool, in force instead of what placement
 * computes. Slot {@code i} of such a partition holds block {@code i}, so when placement changes
 * (a node marked out, a node added) the holders that stay keep their slots, and only the slots
 * of the holders that leave go to the newcomers. A slot with no newcomer to take it keeps its
 * old holder, out or not. Lasting: it goes only when placement computes the same list.
 */
public record SlotPin(String pool, int partition, List<String> holders) {

    public SlotPin {
        Objects.requireNonNull(pool, "pool");
        if (partition < 0) {
            throw new IllegalArgumentException("partition must be >= 0: " + partition);
        }
        holders = List.copyOf(holders);
        if (holders.isEmpty()) {
            throw new IllegalArgumentException("a slot pin lists at least one holder");
        }
    }
}
