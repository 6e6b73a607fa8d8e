package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.placement.PlacementTable;
import io.cairn.protocol.Event;
import io.cairn.protocol.LogRecord;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.cairn.protocol.Status;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A primary goes active only once its peering met a copy that holds every acknowledged write:
 * its own or a source's that settled since the map last brought it back, or the copies of every
 * holder. A holder back from a restart whose catch-up never ended (the other holders went down
 * first), made primary when the map marks them down, must refuse rather than answer from its own
 * copy, which misses what they acknowledged while it was away. Played step by step against the
 * real replica; the simulator checks the same over thousands of runs (a read at a primary that
 * misses an acknowledged write while a holder that had it is still a holder is a violation).
 */
class PastIntervalsTest {

    private static final PartitionId P = ThreeNodes.P;

    @Test
    void aPrimaryThatNeverSettledRefusesUntilAHolderThatDidReturns() {
        ThreeNodes three = ThreeNodes.up();
        long epoch = three.epoch();
        List<String> holders = three.holders();
        String self = holders.get(2);
        StepDriver r = takingIn(three, self);
        // Back with an empty copy; its catch-up from the primary never ends (the primary dies).
        assertThat(r.settledGet(P, epoch, "k").status()).isEqualTo(Status.PEERING);

        // The other two holders are marked down: this node is the only up holder, so the primary.
        // The map says it has been an up holder since the epoch it came back in.
        ClusterMap down = onlyUp(three, Map.of(self, epoch));
        PlacementTable placement = PlacementTable.compute(down, Simulation.PLACEMENT);
        assertThat(placement.of(P).primary(down)).contains(self);
        r.calls.clear();
        r.handle(new Event.MapInstalled(placement));

        // The others acknowledged k in the epoch before, while this node was away: it cannot know.
        Reply.GetReply read = (Reply.GetReply) r.ask(new Request.Get(down.epoch(), P, "k", false, false, 0));
        assertThat(read.status()).as("a read at a primary whose copy never settled, with no holder that did: %s", read)
                .isEqualTo(Status.PEERING);
        r.tick(5_000);
        assertThat(r.calls).as("it waits for a map, rather than peer again with the same copies").noneMatch(c -> c.request() instanceof Request.Since);

        // Both come back: with every holder up, the copies it pulls hold every acknowledged write.
        ClusterMap back = withUpSince(down.next(three.map().nodes(), down.pools(), down.buckets(), down.users()),
                Map.of(self, epoch, holders.get(0), down.epoch() + 1, holders.get(1), down.epoch() + 1));
        PlacementTable backPlacement = PlacementTable.compute(back, Simulation.PLACEMENT);
        r.calls.clear();
        r.handle(new Event.MapInstalled(backPlacement));
        assertThat(backPlacement.of(P).primary(back)).contains(holders.get(0));
        // Now a replica again, its catch-up from the returned primary reaches k.
        r.answerPull(back.epoch(), List.of(), new Version(epoch, 1), false);
        r.answerPull(back.epoch(), List.of(record("k", new Version(epoch, 1))), new Version(epoch, 1), false);
        Reply.GetReply settled = r.settledGet(P, back.epoch(), "k");
        assertThat(settled.status()).isEqualTo(Status.OK);
    }

    @Test
    void aPrimaryWhoseCopySettledSinceItCameBackGoesActiveAlone() {
        ThreeNodes three = ThreeNodes.up();
        long epoch = three.epoch();
        String self = three.holders().get(2);
        StepDriver r = takingIn(three, self);
        // Its catch-up reaches the end of the primary's log, with nothing on its way: settled.
        r.answerPull(epoch, List.of(), new Version(epoch, 1), false);
        r.answerPull(epoch, List.of(record("k", new Version(epoch, 1))), new Version(epoch, 1), false);
        assertThat(r.settledGet(P, epoch, "k").status()).isEqualTo(Status.OK);

        ClusterMap down = onlyUp(three, Map.of(self, epoch));
        r.handle(new Event.MapInstalled(PlacementTable.compute(down, Simulation.PLACEMENT)));
        Reply.GetReply read = (Reply.GetReply) r.ask(new Request.Get(down.epoch(), P, "k", false, false, 0));
        assertThat(read.status()).as("a primary whose copy settled since it last came back: %s", read).isEqualTo(Status.OK);
        assertThat(read.record().version()).isEqualTo(new Version(epoch, 1));
    }

    @Test
    void aPrimaryThatNeverSettledGoesActiveWithASourceThatDid() {
        for (boolean sourceIntact : new boolean[] {true, false}) {
            ThreeNodes three = ThreeNodes.up();
            long epoch = three.epoch();
            List<String> holders = three.holders();
            String self = holders.get(1);
            StepDriver r = takingIn(three, self);

            // The first holder is marked down: this node, which never settled, is the primary, and
            // peers with the third, which says whether its copy holds every acknowledged write.
            ClusterMap down = onlyUp(three, Map.of(self, epoch, holders.get(2), 0L));
            r.calls.clear();
            r.handle(new Event.MapInstalled(PlacementTable.compute(down, Simulation.PLACEMENT)));
            r.answerPull(down.epoch(), List.of(record("k", new Version(epoch, 1))), new Version(epoch, 1), false, sourceIntact);
            Reply.GetReply read = (Reply.GetReply) r.ask(new Request.Get(down.epoch(), P, "k", false, false, 0));
            assertThat(read.status()).as("peered with a source whose copy %s every acknowledged write: %s",
                    sourceIntact ? "holds" : "may lack", read).isEqualTo(sourceIntact ? Status.OK : Status.PEERING);
        }
    }

    /** A replica of {@link #P} on {@code self}, back with an empty copy, taking in the map of three up nodes. */
    private static StepDriver takingIn(ThreeNodes three, String self) {
        StepDriver r = new StepDriver(self);
        r.handle(new Event.MapInstalled(three.placement()));
        return r;
    }

    /**
     * The map after {@code three}'s with only the nodes named in {@code since} up, saying since
     * when each has been an up holder of {@link #P} (as the meta service keeps it).
     */
    private static ClusterMap onlyUp(ThreeNodes three, Map<String, Long> since) {
        ClusterMap map = three.map();
        List<NodeInfo> nodes = map.nodes().stream().map(n -> since.containsKey(n.id()) ? n : n.withState(NodeState.DOWN)).toList();
        return withUpSince(map.next(nodes, map.pools(), map.buckets(), map.users()), since);
    }

    /** {@code map} saying, for each of {@link #P}'s up holders, since when it has been one. */
    private static ClusterMap withUpSince(ClusterMap map, Map<String, Long> since) {
        return ThreeNodes.withUpSince(map, P, since);
    }

    private static LogRecord record(String key, Version v) {
        return new LogRecord(key, v, false, new byte[] {1}, null, false, 0, 0, false);
    }
}
