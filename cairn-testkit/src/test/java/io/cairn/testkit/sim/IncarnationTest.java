package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.placement.PlacementTable;
import io.cairn.protocol.Effect;
import io.cairn.protocol.Event;
import io.cairn.protocol.LogRecord;
import io.cairn.protocol.Reply;
import io.cairn.protocol.ReplicaConfig;
import io.cairn.protocol.ReplicaStateMachine;
import io.cairn.protocol.Request;
import io.cairn.protocol.Status;
import io.cairn.protocol.StoreOp;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A primary mirrors a write while it writes it locally. If it crashes before its own copy is
 * durable and restarts before the map moves on, its new run peers in the same epoch and may
 * sequence the same versions again: a mirror of the earlier run that is still on its way must
 * then be refused, or one version would hold two writes. The simulator reaches that interleaving
 * too rarely to count on it, so it is played here step by step against the real replica.
 */
class IncarnationTest {

    private static final PartitionId P = ThreeNodes.P;

    @Test
    void aMirrorFromAnEarlierRunOfThePrimaryIsRefusedOnceTheNewRunHasPulledTheLog() {
        ThreeNodes three = ThreeNodes.up();
        PlacementTable placement = three.placement();
        ClusterMap map = three.map();
        List<String> holders = three.holders();
        String primary = holders.get(0);
        String replica = holders.get(1);

        ReplicaStateMachine machine = new ReplicaStateMachine(replica, new ReplicaConfig(1L << 30, 500, 2_000, 1 << 20, 1 << 20, 1_000, 1,
                1_000, 5_000, 2, 3), new SimStore(new SimStore.Disk(1L << 30)), Simulation.PLACEMENT, 0, 1);
        machine.handle(new Event.MapInstalled(placement), 0);
        long epoch = map.epoch();

        // The primary's first run (incarnation 100) mirrors version (epoch, 1): taken.
        List<Effect> first = machine.handle(new Event.Received(1, new Request.Mirror(epoch, P, record("a", new Version(epoch, 1)), primary, 100)), 1);
        assertThat(stores(first)).as("a mirror of the primary's current run is written").hasSize(1);

        // It restarts as incarnation 200 and pulls this node's log while peering.
        List<Effect> pulled = machine.handle(new Event.Received(2, new Request.Since(epoch, P, Version.ZERO, 100, "", 0, false, primary, 200)), 2);
        assertThat(pulled).anyMatch(e -> e instanceof Effect.Respond r && r.request() == 2);

        // A mirror its first run sent before the crash arrives late: refused, nothing written.
        List<Effect> late = machine.handle(new Event.Received(3, new Request.Mirror(epoch, P, record("b", new Version(epoch, 2)), primary, 100)), 3);
        assertThat(stores(late)).as("a straggler from the earlier run writes nothing").isEmpty();
        assertThat(late).anyMatch(e -> e instanceof Effect.Respond r && r.request() == 3
                && r.reply() instanceof Reply.MirrorReply m && m.status() == Status.STALE_EPOCH);

        // The new run's own mirror of the same version is taken.
        List<Effect> fresh = machine.handle(new Event.Received(4, new Request.Mirror(epoch, P, record("c", new Version(epoch, 2)), primary, 200)), 4);
        assertThat(stores(fresh)).as("a mirror of the primary's new run is written").hasSize(1);
    }

    private static List<StoreOp.Apply> stores(List<Effect> effects) {
        return effects.stream().filter(e -> e instanceof Effect.Store s && s.op() instanceof StoreOp.Apply)
                .map(e -> (StoreOp.Apply) ((Effect.Store) e).op()).toList();
    }

    private static LogRecord record(String key, Version v) {
        return new LogRecord(key, v, true, new byte[0], null, false, 0, 0, false);
    }
}
