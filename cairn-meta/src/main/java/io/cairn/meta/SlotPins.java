package io.cairn.meta;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.SlotPin;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.placement.PlacementTable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps the blocks of erasure-coded partitions where they are when placement changes: slot
 * {@code i} holds block {@code i}, and placement, a function of the map alone, would shift the
 * slots of every holder after one that leaves. At every map change each such partition's new
 * list keeps its staying holders in their slots and gives the slots of the leaving ones to the
 * newcomers ({@link #stable}); where that differs from placement's list the map pins it
 * ({@link SlotPin}). Pure, like the rest of the map's state machine.
 */
public final class SlotPins {

    private SlotPins() {}

    /**
     * The slot pins of {@code next}, the map that follows {@code prev}. A partition none of whose
     * holders had stored anything by its last heartbeat has no blocks to keep in place (a
     * cluster starting up), and takes placement's list. {@code before} is the placement of
     * {@code prev} as in force; {@code fresh} is what placement computes for {@code next}, with no
     * acting set or pin.
     */
    public static List<SlotPin> update(ClusterMap prev, PlacementTable before, ClusterMap next, PlacementTable fresh,
                                      java.util.Map<String, io.cairn.core.map.NodeStats> stats) {
        List<SlotPin> out = new ArrayList<>();
        for (PoolInfo pool : next.pools()) {
            if (pool.policy().kind() != StoragePolicy.Kind.ERASURE_CODED || prev.pool(pool.name()).isEmpty()) {
                continue;
            }
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId id = new PartitionId(pool.name(), i);
                List<String> placed = fresh.of(id).holders();
                List<String> old = before.of(id).holders();
                if (old.stream().noneMatch(h -> stats.containsKey(h) && stats.get(h).records() > 0)) {
                    continue;
                }
                List<String> stable = stable(old, placed, next);
                if (!stable.equals(placed)) {
                    out.add(new SlotPin(pool.name(), i, stable));
                }
            }
        }
        return out;
    }

    /**
     * The holder list that keeps each holder of {@code old} that placement still lists in its
     * slot, gives the slot of each one it no longer lists to the next newcomer (in placement's
     * order), keeps the old holder where no newcomer is left (it still has its block), and
     * appends the newcomers left over.
     */
    static List<String> stable(List<String> old, List<String> placed, ClusterMap map) {
        Set<String> placedSet = new HashSet<>(placed);
        Deque<String> newcomers = new ArrayDeque<>();
        for (String h : placed) {
            if (!old.contains(h)) {
                newcomers.add(h);
            }
        }
        List<String> out = new ArrayList<>(placed.size());
        for (String h : old) {
            if (placedSet.contains(h)) {
                out.add(h);
            } else if (!newcomers.isEmpty()) {
                out.add(newcomers.poll());
            } else if (map.node(h).isPresent()) {
                out.add(h);
            }
        }
        out.addAll(newcomers);
        return out;
    }
}
