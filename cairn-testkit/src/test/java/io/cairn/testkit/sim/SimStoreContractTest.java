package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.store.PartitionStore;
import io.cairn.protocol.StoreOp;
import io.cairn.protocol.StoreResult;
import io.cairn.store.PartitionStoreContractTest;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The simulator's store keeps the contract of every {@link PartitionStore} (the suite the segment
 * engine passes), and fails like a disk does: writes are visible only once synced, and a crash
 * keeps a prefix of the unsynced ones and cuts the rest.
 */
class SimStoreContractTest extends PartitionStoreContractTest {

    private SimStore.Disk disk;

    @Override
    protected PartitionStore open(Path dataDir) {
        if (disk == null) {
            disk = new SimStore.Disk(1L << 30);
        }
        return new SimStore(disk);
    }

    @Override
    protected void damage(PartitionStore store, PartitionId p, String key, Damage how) {
        SimStore s = (SimStore) store;
        boolean done = switch (how) {
            case DATA_BIT -> s.flipBit(p, key, 6);
            case HEADER -> s.flipBit(p, key, 0);
            case TRUNCATED -> s.truncate(p, key, 4);
        };
        assertThat(done).as("damaged " + key).isTrue();
    }

    @Test
    void writesAreInvisibleUntilSyncedAndACrashKeepsAPrefixOfTheUnsynced() {
        long seed = Long.getLong("cairn.test.seed", System.nanoTime());
        String reproduce = "seed " + seed + "; reproduce: ./mvnw -o -pl cairn-testkit test -Dtest=SimStoreContractTest -Dcairn.test.seed=" + seed;
        Random random = new Random(seed);
        for (int round = 0; round < 50; round++) {
            SimStore.Disk d = new SimStore.Disk(1L << 30);
            SimStore s = new SimStore(d);
            int writes = 1 + random.nextInt(8);
            for (int i = 0; i < writes; i++) {
                s.begin(i, new StoreOp.Apply(P0, put("k" + i, v(1, i + 1), "v" + i)));
            }
            assertThat(s.get(P0, "k0")).as(reproduce).isEmpty();
            assertThat(s.hasUnsynced()).isTrue();
            int kept = s.crash(random);
            assertThatThrownBy(() -> s.get(P0, "k0")).isInstanceOf(IllegalStateException.class);
            SimStore after = s.reopen();
            for (int i = 0; i < writes; i++) {
                assertThat(after.get(P0, "k" + i).isPresent()).as(reproduce + ": write " + i + " of " + writes + ", " + kept + " kept")
                        .isEqualTo(i < kept);
            }
            assertThat(after.hasUnsynced()).isFalse();
        }
    }

    @Test
    void aSyncAnswersEveryBegunWriteInOrder() {
        SimStore s = new SimStore(new SimStore.Disk(1L << 30));
        s.begin(7, new StoreOp.Apply(P0, put("a", v(1, 2), "new")));
        s.begin(8, new StoreOp.Apply(P0, put("a", v(1, 1), "old")));
        s.begin(9, new StoreOp.PutLocal("mark", new byte[] {1}));
        List<SimStore.Synced> done = s.sync();
        assertThat(done).extracting(SimStore.Synced::token).containsExactly(7L, 8L, 9L);
        assertThat(done.get(0).result()).isEqualTo(new StoreResult.Applied(io.cairn.core.store.ApplyOutcome.APPLIED));
        assertThat(done.get(1).result()).isEqualTo(new StoreResult.Applied(io.cairn.core.store.ApplyOutcome.STALE));
        assertThat(text(s.readBlob(P0, "a"))).isEqualTo("new");
        assertThat(s.getLocal("mark")).hasValue(new byte[] {1});
    }

    @Test
    void aFullDiskRefusesGrowthButTakesDeletions() {
        SimStore.Disk d = new SimStore.Disk(1L << 30);
        SimStore s = new SimStore(d);
        assertThat(s.run(new StoreOp.Apply(P0, put("a", v(1, 1), "x".repeat(100))))).isInstanceOf(StoreResult.Applied.class);
        d.setCapacityBytes(d.usedBytes());
        assertThat(s.run(new StoreOp.Apply(P0, put("b", v(1, 2), "y")))).isInstanceOf(StoreResult.Full.class);
        assertThat(s.run(new StoreOp.Apply(P0, tombstone("a", v(1, 3))))).isInstanceOf(StoreResult.Applied.class);
        assertThat(s.get(P0, "b")).isEmpty();
    }
}
