package io.cairn.meta;

import static io.cairn.meta.MetaFixtures.node;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.placement.PlacementTable;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Erasure-coded holders keep their slots (their block indexes) when placement changes. */
class SlotPinsTest {

    private final ClusterMapStateMachine sm = new ClusterMapStateMachine();

    private MetaState apply(MetaState state, MetaCommand c) {
        return MetaFixtures.applyRoundTripped(sm, state, c);
    }

    private static List<String> holders(ClusterMap map, PartitionId id) {
        return PlacementTable.compute(map, ActingSets.PLACEMENT).of(id).holders();
    }

    private MetaState nodes(int count) {
        MetaState s = apply(MetaState.initial(), MetaFixtures.bootstrap()); // "cold" is ec4+2, 32 partitions
        for (int i = 1; i <= count; i++) {
            s = apply(s, new MetaCommand.RegisterNode(node("n" + i)));
        }
        assertThat(s.map().pins()).as("an empty cluster starting up keeps placement's lists").isEmpty();
        for (int i = 1; i <= count; i++) { // now they store something
            s = apply(s, new MetaCommand.Heartbeat(new io.cairn.core.map.NodeStats("n" + i, 1L << 30, 0, false, 0, 0, s.map().epoch(), 100)));
        }
        return s;
    }

    @Test
    void stayingHoldersKeepTheirSlotsAndNewcomersTakeTheVacatedOnes() {
        ClusterMap map = new ClusterMap(1, "c", List.of(node("a"), node("b"), node("c"), node("d"), node("x")), List.of(), List.of(),
                List.of());
        assertThat(SlotPins.stable(List.of("a", "b", "c", "d"), List.of("a", "c", "d", "x"), map)).containsExactly("a", "x", "c", "d");
        assertThat(SlotPins.stable(List.of("a", "b", "c"), List.of("c", "a", "b", "x"), map)).as("a slot added at the end")
                .containsExactly("a", "b", "c", "x");
        assertThat(SlotPins.stable(List.of("a", "b", "c", "d"), List.of("a", "c", "d"), map))
                .as("nobody to take b's slot: b keeps it (and its block)").containsExactly("a", "b", "c", "d");
        assertThat(SlotPins.stable(List.of("a", "b"), List.of("b", "a"), map)).containsExactly("a", "b");
    }

    @Test
    void aNodeMarkedOutOrAddedMovesOnlyTheSlotsItLeavesOrTakes() {
        MetaState seven = nodes(7);
        ClusterMap before = seven.map();
        for (String change : List.of("out", "add")) {
            MetaState after = change.equals("out") ? apply(seven, new MetaCommand.MarkOut("n3"))
                    : apply(seven, new MetaCommand.RegisterNode(node("n8")));
            int moved = 0;
            for (int i = 0; i < 32; i++) {
                PartitionId id = new PartitionId("cold", i);
                List<String> was = holders(before, id);
                List<String> now = holders(after.map(), id);
                assertThat(now).as("%s: %s holders", change, id).hasSize(6).doesNotHaveDuplicates();
                for (int slot = 0; slot < 6; slot++) {
                    if (!was.get(slot).equals(now.get(slot))) {
                        moved++;
                        assertThat(now).as("%s: %s slot %d changed hands, so its old holder left", change, id, slot)
                                .doesNotContain(was.get(slot));
                    }
                }
                if (change.equals("out")) {
                    assertThat(now).as("%s holders after n3 is out", id).doesNotContain("n3");
                }
            }
            System.out.printf("%s: %d of %d erasure-coded slots changed hands%n", change, moved, 32 * 6);
            assertThat(moved).as("slots that changed hands (%s)", change).isPositive().isLessThanOrEqualTo(32);
        }
    }

    @Test
    void pinsLastAcrossLaterChangesAndGoWhenPlacementAgrees() {
        MetaState seven = nodes(7);
        MetaState out = apply(seven, new MetaCommand.MarkOut("n3"));
        assertThat(out.map().pins()).isNotEmpty();
        MetaState bucket = apply(out, new MetaCommand.CreateBucket(MetaFixtures.bucket("b", "default", "root")));
        assertThat(bucket.map().pins()).as("an unrelated change keeps them").isEqualTo(out.map().pins());
        MetaState back = apply(bucket, new MetaCommand.MarkIn("n3"));
        for (int i = 0; i < 32; i++) {
            PartitionId id = new PartitionId("cold", i);
            List<String> now = holders(back.map(), id);
            List<String> was = holders(out.map(), id);
            List<String> kept = new ArrayList<>();
            for (int slot = 0; slot < 6; slot++) {
                if (now.get(slot).equals(was.get(slot))) {
                    kept.add(now.get(slot));
                }
            }
            assertThat(kept.size()).as("%s: holders that kept their slot when n3 came back in", id).isGreaterThanOrEqualTo(5);
        }
        ClusterMap downOnly = apply(seven, new MetaCommand.MarkDown("n3")).map();
        assertThat(downOnly.pins()).as("a node that is only down keeps its slots: nothing to pin").isEmpty();
        assertThat(downOnly.node("n3").map(NodeInfo::state)).contains(NodeState.DOWN);
    }
}
