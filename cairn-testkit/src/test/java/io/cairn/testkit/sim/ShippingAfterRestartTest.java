package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.Mutation;
import io.cairn.protocol.Effect;
import io.cairn.protocol.Event;
import io.cairn.protocol.LogRecord;
import io.cairn.protocol.ReplicaConfig;
import io.cairn.protocol.ShipPosition;
import io.cairn.protocol.Shipment;
import io.cairn.protocol.StoreOp;
import io.cairn.protocol.StoreResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A primary that started again does not know which records came to it from its peers (a catch-up,
 * a hand-over) that the backup site may lack, so its first round walks its whole copy. The keys at
 * or below what the backup holds go as held (key and version, no bytes); the backup checks them
 * and names those it lacks, which the round then ships whole. Played step by step against the real
 * replica.
 */
class ShippingAfterRestartTest {

    private static final PartitionId P = ThreeNodes.P;

    @Test
    void aRestartedPrimaryShipsWhatTheBackupHoldsAsHeldAndWhatItLacksWhole() {
        ThreeNodes three = ThreeNodes.up();
        long epoch = three.epoch();
        String self = three.holders().getFirst();
        // The node's copy, as it was when it stopped: k1..k3 shipped in round 5, k4 written since.
        SimStore disk = new SimStore(new SimStore.Disk(1L << 30));
        for (int i = 1; i <= 4; i++) {
            StoreResult done = disk.run(new StoreOp.Apply(P, new Mutation("k" + i, new Version(epoch, i), false, new byte[] {1},
                    ByteBuffer.wrap(("value " + i).getBytes(StandardCharsets.UTF_8)))));
            assertThat(done).isInstanceOf(StoreResult.Applied.class);
        }
        StepDriver r = new StepDriver(self, new ReplicaConfig(1L << 30, StepDriver.HEARTBEAT_MILLIS, 2_000, 1 << 20, 1 << 20, 1_000, 1,
                1_000, 5_000, 2, 3, 0, 1_000, true), disk);
        r.handle(new Event.MapInstalled(three.placement()));
        // Peering: the other holders have nothing newer.
        for (int i = 0; i < 2; i++) {
            r.answerPull(epoch, List.of(), new Version(epoch, 4), false, true);
        }

        ShipPosition position = new ShipPosition(5, new Version(epoch, 3), Version.ZERO);
        r.tick(100);
        Effect.AskShipped ask = only(r, Effect.AskShipped.class);
        r.others.clear();
        r.handle(new Event.ShippedAnswered(ask.token(), true, Map.of(P, position)));
        r.tick(1_000);
        r.others.clear();
        TreeMap<Long, Map<PartitionId, Version>> recorded = new TreeMap<>(Map.of(5L, Map.of(P, new Version(epoch, 3)),
                6L, Map.of(P, new Version(epoch, 4))));
        r.handle(new Event.CutsAnswered(6, 6, true, Map.of(P, new Version(epoch, 4)), recorded));
        r.tick(100);

        Effect.Ship first = only(r, Effect.Ship.class);
        assertThat(first.shipment().round()).isEqualTo(6);
        assertThat(first.shipment().held()).as("the keys the backup holds already, without their bytes")
                .containsExactly(held("k1", epoch, 1), held("k2", epoch, 2), held("k3", epoch, 3));
        assertThat(keys(first.shipment().records())).as("what the round adds").containsExactly("k4");

        // The backup lacks k2 (it came to this node in a catch-up after its round was shipped).
        r.others.clear();
        r.handle(new Event.Shipped(first.token(), false, false, "k2 is not held", List.of("k2")));
        r.tick(1);
        Effect.Ship again = only(r, Effect.Ship.class);
        assertThat(again.shipment().round()).isEqualTo(6);
        assertThat(again.shipment().first()).isTrue();
        assertThat(again.shipment().held()).containsExactly(held("k1", epoch, 1), held("k3", epoch, 3));
        assertThat(keys(again.shipment().records())).as("k2 whole, with its bytes").containsExactly("k2", "k4");
        LogRecord k2 = again.shipment().records().getFirst();
        assertThat(StandardCharsets.UTF_8.decode(k2.blob().duplicate()).toString()).isEqualTo("value 2");
        assertThat(again.shipment().last()).isTrue();

        // Taken: the next round ships only what changed, with nothing held.
        r.others.clear();
        r.handle(new Event.Shipped(again.token(), true, false, "", List.of()));
        recorded.put(7L, Map.of(P, new Version(epoch, 4)));
        r.handle(new Event.CutsAnswered(7, 7, true, Map.of(P, new Version(epoch, 4)), recorded));
        r.tick(1_000);
        Effect.Ship next = only(r, Effect.Ship.class);
        assertThat(next.shipment().round()).isEqualTo(7);
        assertThat(next.shipment().held()).isEmpty();
        assertThat(next.shipment().records()).isEmpty();
    }

    @Test
    void theWalkOfAWholeCopyGoesOnPastPagesOfKeysTheBackupHolds() {
        ThreeNodes three = ThreeNodes.up();
        long epoch = three.epoch();
        String self = three.holders().getFirst();
        int keys = 150; // more than two pages
        SimStore disk = new SimStore(new SimStore.Disk(1L << 30));
        for (int i = 1; i <= keys; i++) {
            disk.run(new StoreOp.Apply(P, new Mutation(String.format("k%03d", i), new Version(epoch, i), false, new byte[] {1},
                    ByteBuffer.wrap(new byte[] {(byte) i}))));
        }
        StepDriver r = new StepDriver(self, new ReplicaConfig(1L << 30, StepDriver.HEARTBEAT_MILLIS, 2_000, 1 << 20, 1 << 20, 1_000, 1,
                1_000, 5_000, 2, 3, 0, 1_000, true), disk);
        r.handle(new Event.MapInstalled(three.placement()));
        for (int i = 0; i < 2; i++) {
            r.answerPull(epoch, List.of(), new Version(epoch, keys), false, true);
        }
        r.tick(100);
        r.handle(new Event.ShippedAnswered(only(r, Effect.AskShipped.class).token(), true,
                Map.of(P, new ShipPosition(5, new Version(epoch, keys), Version.ZERO))));
        r.tick(1_000);
        r.others.clear();
        r.handle(new Event.CutsAnswered(6, 6, true, Map.of(P, new Version(epoch, keys)),
                new TreeMap<>(Map.of(6L, Map.of(P, new Version(epoch, keys))))));
        r.tick(100);
        List<Shipment.Held> held = new java.util.ArrayList<>();
        for (int pages = 1; ; pages++) {
            assertThat(pages).as("pages of one round").isLessThanOrEqualTo(3);
            Effect.Ship s = only(r, Effect.Ship.class);
            assertThat(s.shipment().records()).isEmpty();
            held.addAll(s.shipment().held());
            r.others.clear();
            r.handle(new Event.Shipped(s.token(), true, false, "", List.of()));
            if (s.shipment().last()) {
                break;
            }
        }
        assertThat(held).as("every key once, in version order").hasSize(keys).doesNotHaveDuplicates();
        assertThat(held.getLast()).isEqualTo(held(String.format("k%03d", keys), epoch, keys));
    }

    @Test
    void aBackupThatRefusesPageAfterPageGetsTheRoundWhole() {
        ThreeNodes three = ThreeNodes.up();
        long epoch = three.epoch();
        String self = three.holders().getFirst();
        SimStore disk = new SimStore(new SimStore.Disk(1L << 30));
        for (int i = 1; i <= 5; i++) {
            disk.run(new StoreOp.Apply(P, new Mutation("k" + i, new Version(epoch, i), false, new byte[] {1},
                    ByteBuffer.wrap(("value " + i).getBytes(StandardCharsets.UTF_8)))));
        }
        StepDriver r = new StepDriver(self, new ReplicaConfig(1L << 30, StepDriver.HEARTBEAT_MILLIS, 2_000, 1 << 20, 1 << 20, 1_000, 1,
                1_000, 5_000, 2, 3, 0, 1_000, true), disk);
        r.handle(new Event.MapInstalled(three.placement()));
        for (int i = 0; i < 2; i++) {
            r.answerPull(epoch, List.of(), new Version(epoch, 5), false, true);
        }
        r.tick(100);
        r.handle(new Event.ShippedAnswered(only(r, Effect.AskShipped.class).token(), true,
                Map.of(P, new ShipPosition(5, new Version(epoch, 5), Version.ZERO))));
        r.tick(1_000);
        r.others.clear();
        r.handle(new Event.CutsAnswered(6, 6, true, Map.of(P, new Version(epoch, 5)),
                new TreeMap<>(Map.of(6L, Map.of(P, new Version(epoch, 5))))));
        r.tick(100);
        // A backup that lacks one more key each time (one that lost its copy, say).
        for (int refused = 1; refused <= 3; refused++) {
            Effect.Ship s = only(r, Effect.Ship.class);
            assertThat(s.shipment().held()).hasSize(5 - (refused - 1));
            r.others.clear();
            r.handle(new Event.Shipped(s.token(), false, false, "not held", List.of("k" + refused)));
            r.tick(1);
        }
        Effect.Ship whole = only(r, Effect.Ship.class);
        assertThat(whole.shipment().held()).as("after three such refusals, nothing goes as held").isEmpty();
        assertThat(keys(whole.shipment().records())).containsExactly("k1", "k2", "k3", "k4", "k5");
    }

    private static Shipment.Held held(String key, long epoch, long seq) {
        return new Shipment.Held(key, new Version(epoch, seq));
    }

    private static List<String> keys(List<LogRecord> records) {
        return records.stream().map(LogRecord::key).toList();
    }

    private static <T extends Effect> T only(StepDriver r, Class<T> type) {
        List<T> found = r.others.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as("one %s among %s", type.getSimpleName(), r.others).hasSize(1);
        return found.getFirst();
    }
}
