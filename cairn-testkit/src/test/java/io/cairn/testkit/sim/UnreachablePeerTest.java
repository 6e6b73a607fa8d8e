package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.placement.PlacementTable;
import io.cairn.protocol.Effect;
import io.cairn.protocol.Event;
import io.cairn.protocol.Reply;
import io.cairn.protocol.ReplicaConfig;
import io.cairn.protocol.ReplicaStateMachine;
import io.cairn.protocol.Request;
import io.cairn.protocol.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A node cut off from the rest (its site cut away) cannot learn that the peers it waits on were
 * marked down: a write forwarded to a primary that answers no pings fails once the meta service
 * has been silent for {@code down_after_millis} too, not at the 30 s deadline; with the meta
 * service answering (the map can still move) or without the setting, it waits. Played step by
 * step against the real replica: no ping, forward or heartbeat of the node is ever answered but
 * as each case says.
 */
class UnreachablePeerTest {

    private static final PartitionId P = ThreeNodes.P;
    private static final long RPC_TIMEOUT_MILLIS = 30_000;
    private static final long META_SILENCE_MILLIS = 5_000;

    @Test
    void aWriteWaitingOnAPeerThatAnswersNoPingsFailsOnceTheMetaServiceIsSilentToo() {
        Optional<Long> failedAt = forwardedWrite(META_SILENCE_MILLIS, false);
        assertThat(failedAt).as("answered before the deadline").isPresent();
        // The peer is suspect after 3 s, the meta service silent after 5 s: answered at the next tick.
        assertThat(failedAt.get()).isBetween(META_SILENCE_MILLIS, META_SILENCE_MILLIS + 200);
    }

    @Test
    void whileTheMetaServiceAnswersOrWithoutTheSettingTheWriteWaitsForTheMapOrTheDeadline() {
        assertThat(forwardedWrite(META_SILENCE_MILLIS, true)).as("the map can still drop the peer").isEmpty();
        assertThat(forwardedWrite(0, false)).as("no meta silence set").isEmpty();
    }

    /**
     * A write arrives at a replica of {@link #P}, which forwards it to the primary; nothing the
     * replica sends is answered but its heartbeats, when {@code metaAnswers}. Returns when the
     * write was answered, within 10 s, and checks the answer is a failure naming the primary.
     */
    private static Optional<Long> forwardedWrite(long metaSilenceMillis, boolean metaAnswers) {
        ThreeNodes three = ThreeNodes.up();
        PlacementTable placement = three.placement();
        ClusterMap map = three.map();
        List<String> holders = three.holders();
        String primary = holders.get(0);
        String replica = holders.get(1);
        ReplicaStateMachine machine = new ReplicaStateMachine(replica, new ReplicaConfig(1L << 30, 1_000, RPC_TIMEOUT_MILLIS, 1 << 20,
                1 << 20, 1_000, 1, 1_000, 5_000, 2, 3, metaSilenceMillis), new SimStore(new SimStore.Disk(1L << 30)),
                Simulation.PLACEMENT, 0, 1);
        machine.handle(new Event.MapInstalled(placement), 0);
        List<Effect> out = new ArrayList<>(machine.handle(new Event.Received(1, new Request.Apply(map.epoch(), P, "k", false, new byte[0],
                null, 0, 0, null)), 100));
        assertThat(out).as("forwarded to the primary").anyMatch(e -> e instanceof Effect.Send s && s.to().equals(primary)
                && s.request() instanceof Request.Apply);
        for (long t = 100; t <= 10_000; t += 100) {
            List<Effect> effects = machine.handle(new Event.Tick(), t);
            for (Effect e : effects) {
                if (e instanceof Effect.Heartbeat && metaAnswers) {
                    machine.handle(new Event.MetaAnswered(true, map.epoch(), false, null), t);
                }
                if (e instanceof Effect.Respond r && r.request() == 1) {
                    assertThat(r.reply()).isInstanceOfSatisfying(Reply.ApplyReply.class, a -> {
                        assertThat(a.status()).isNotEqualTo(Status.OK);
                        assertThat(a.message()).contains(primary).contains("answers no pings");
                    });
                    return Optional.of(t);
                }
            }
        }
        return Optional.empty();
    }
}
