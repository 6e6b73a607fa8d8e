package io.cairn.meta;

import static io.cairn.meta.MetaFixtures.node;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ActingSet;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeStats;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.placement.PlacementTable;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Old primaries keep acting while new ones catch up, and hand over once every member has. */
class ActingSetsTest {

    private final ClusterMapStateMachine sm = new ClusterMapStateMachine();

    private MetaState apply(MetaState state, MetaCommand c) {
        return MetaFixtures.applyRoundTripped(sm, state, c);
    }

    private MetaState threeNodes() {
        MetaState s = apply(MetaState.initial(), MetaFixtures.bootstrap());
        for (String id : List.of("n1", "n2", "n3")) {
            s = apply(s, new MetaCommand.RegisterNode(node(id)));
        }
        assertThat(s.map().acting()).as("an empty cluster starting up moves nothing worth an acting set").isEmpty();
        return allCaughtUp(s);
    }

    private static PlacementTable table(ClusterMap map) {
        return PlacementTable.compute(map, ActingSets.PLACEMENT);
    }

    private MetaState allCaughtUp(MetaState s) {
        for (var n : s.map().nodes()) {
            if (n.isUp()) {
                s = apply(s, new MetaCommand.Heartbeat(new NodeStats(n.id(), 1L << 30, 0, false, 0, 0, s.map().epoch(), 100)));
            }
        }
        return s;
    }

    @Test
    void aNewNodeCatchesUpBehindTheOldPrimaryThenTakesOver() {
        MetaState three = threeNodes();
        MetaState four = apply(three, new MetaCommand.RegisterNode(node("n4")));
        ClusterMap map = four.map();
        List<ActingSet> acting = map.acting();
        assertThat(acting).as("partitions n4 would be primary of").isNotEmpty();
        for (ActingSet a : acting) {
            PartitionId id = new PartitionId(a.pool(), a.partition());
            String oldPrimary = table(three.map()).of(id).primary(three.map()).orElseThrow();
            assertThat(a.pool()).as("erasure-coded partitions keep their block order").isEqualTo("default");
            assertThat(a.holders().getFirst()).isEqualTo(oldPrimary);
            assertThat(a.holders()).contains("n4");
            assertThat(table(map).of(id).primary(map)).contains(oldPrimary);
            assertThat(table(map.withActing(List.of())).of(id).primary(map)).contains("n4");
        }
        assertThat(ActingSets.clearable(four)).as("nobody has reported this epoch").isEmpty();
        MetaState unrelated = apply(four, new MetaCommand.CreateBucket(MetaFixtures.bucket("b", "default", "root")));
        assertThat(unrelated.map().acting()).as("other map changes keep them").isEqualTo(acting);

        MetaState reported = allCaughtUp(unrelated);
        List<ActingSet> done = ActingSets.clearable(reported);
        assertThat(done).containsExactlyElementsOf(acting);
        MetaState after = apply(reported, new MetaCommand.ClearActing(done));
        assertThat(after.map().epoch()).isEqualTo(reported.map().epoch() + 1);
        assertThat(after.map().acting()).isEmpty();
        for (ActingSet a : acting) {
            assertThat(table(after.map()).of(new PartitionId(a.pool(), a.partition())).primary(after.map())).contains("n4");
        }
        assertThat(apply(after, new MetaCommand.ClearActing(done)).map().epoch()).as("a stale clear changes nothing")
                .isEqualTo(after.map().epoch());
    }

    @Test
    void aNodeStillCatchingUpKeepsItsActingSetsAndAnActingPrimaryThatFailsGivesThemUp() {
        MetaState four = apply(threeNodes(), new MetaCommand.RegisterNode(node("n4")));
        MetaState reported = allCaughtUp(four);
        MetaState s = apply(reported, new MetaCommand.Heartbeat(new NodeStats("n4", 1L << 30, 0, false, 3, 0, reported.map().epoch(), 100)));
        assertThat(ActingSets.clearable(s)).as("n4 still catching up").isEmpty();

        ActingSet first = s.map().acting().getFirst();
        String actingPrimary = first.holders().getFirst();
        MetaState down = apply(s, new MetaCommand.MarkDown(actingPrimary));
        assertThat(down.map().acting()).noneMatch(a -> a.holders().getFirst().equals(actingPrimary));
        assertThat(down.map().acting()).allMatch(a -> s.map().acting().contains(a));
    }

    @Test
    void aReturningNodeCatchesUpBehindTheInterimPrimary() {
        MetaState s = threeNodes();
        ClusterMap before = s.map();
        MetaState down = apply(s, new MetaCommand.MarkDown("n1"));
        assertThat(down.map().acting()).as("a node going down makes nobody new primary").isEmpty();
        MetaState back = apply(down, new MetaCommand.Heartbeat(new NodeStats("n1", 1L << 30, 0, false, 0, 0, down.map().epoch(), 100)));
        assertThat(back.map().node("n1").orElseThrow().isUp()).isTrue();
        List<PartitionId> n1Primary = table(before).primaryOf("n1");
        assertThat(back.map().acting()).hasSize((int) n1Primary.stream().filter(p -> p.pool().equals("default")).count());
        for (ActingSet a : back.map().acting()) {
            PartitionId id = new PartitionId(a.pool(), a.partition());
            assertThat(a.holders().getFirst()).isEqualTo(table(down.map()).of(id).primary(down.map()).orElseThrow());
            assertThat(a.holders()).hasSize(3).contains("n1");
        }
    }
}
