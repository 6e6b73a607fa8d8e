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
        // k1..k3 shipped in round 5, k4 written since.
        StepDriver r = restarted(List.of("k1", "k2", "k3", "k4"), 3);
        long epoch = EPOCH;
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
        assertThat(StandardCharsets.UTF_8.decode(k2.blob().duplicate()).toString()).isEqualTo("value k2");
        assertThat(again.shipment().last()).isTrue();

        // Taken: the next round ships only what changed, with nothing held.
        r.others.clear();
        r.handle(new Event.Shipped(again.token(), true, false, "", List.of()));
        TreeMap<Long, Map<PartitionId, Version>> recorded = new TreeMap<>(Map.of(5L, Map.of(P, new Version(epoch, 3)),
                6L, Map.of(P, new Version(epoch, 4)), 7L, Map.of(P, new Version(epoch, 4))));
        r.handle(new Event.CutsAnswered(7, 7, true, Map.of(P, new Version(epoch, 4)), recorded));
        r.tick(1_000);
        Effect.Ship next = only(r, Effect.Ship.class);
        assertThat(next.shipment().round()).isEqualTo(7);
        assertThat(next.shipment().held()).isEmpty();
        assertThat(next.shipment().records()).isEmpty();
    }

    @Test
    void theWalkOfAWholeCopyGoesOnPastPagesOfKeysTheBackupHolds() {
        int count = 150; // more than two pages
        List<String> names = new java.util.ArrayList<>();
        for (int i = 1; i <= count; i++) {
            names.add(String.format("k%03d", i));
        }
        StepDriver r = restarted(names, count);
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
        assertThat(held).as("every key once, in version order").hasSize(count).doesNotHaveDuplicates();
        assertThat(held.getLast()).isEqualTo(held(names.getLast(), EPOCH, count));
    }

    @Test
    void aBackupThatRefusesPageAfterPageGetsTheRoundWhole() {
        StepDriver r = restarted(List.of("k1", "k2", "k3", "k4", "k5"), 5);
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

    /** The epoch of the map the tests' primary starts in. */
    private static final long EPOCH = ThreeNodes.up().epoch();

    /**
     * The primary of {@link #P}, started again with a copy of {@code keys} (the i-th at version
     * (EPOCH, i), valued "value KEY"), shipping to a backup whose position is round 5 with the
     * boundary (EPOCH, shipped); round 6, recorded at the last key, under way: its first page sent.
     */
    private static StepDriver restarted(List<String> keys, long shipped) {
        ThreeNodes three = ThreeNodes.up();
        long epoch = three.epoch();
        Version last = new Version(epoch, keys.size());
        SimStore disk = new SimStore(new SimStore.Disk(1L << 30));
        for (int i = 0; i < keys.size(); i++) {
            StoreResult done = disk.run(new StoreOp.Apply(P, new Mutation(keys.get(i), new Version(epoch, i + 1), false, new byte[] {1},
                    ByteBuffer.wrap(("value " + keys.get(i)).getBytes(StandardCharsets.UTF_8)))));
            assertThat(done).isInstanceOf(StoreResult.Applied.class);
        }
        StepDriver r = new StepDriver(three.holders().getFirst(), new ReplicaConfig(1L << 30, StepDriver.HEARTBEAT_MILLIS, 2_000, 1 << 20,
                1 << 20, 1_000, 1, 1_000, 5_000, 2, 3, 0, 1_000, true), disk);
        r.handle(new Event.MapInstalled(three.placement()));
        // Peering: the other holders have nothing newer.
        for (int i = 0; i < 2; i++) {
            r.answerPull(epoch, List.of(), last, false, true);
        }
        r.tick(100);
        r.handle(new Event.ShippedAnswered(only(r, Effect.AskShipped.class).token(), true,
                Map.of(P, new ShipPosition(5, new Version(epoch, shipped), Version.ZERO))));
        r.tick(1_000);
        r.others.clear();
        r.handle(new Event.CutsAnswered(6, 6, true, Map.of(P, last), new TreeMap<>(Map.of(5L, Map.of(P, new Version(epoch, shipped)),
                6L, Map.of(P, last)))));
        r.tick(100);
        return r;
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
