package io.cairn.store;

import io.cairn.core.store.Mutation;
import io.cairn.core.store.BlobRead;
import io.cairn.core.store.ApplyOutcome;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crashes the segment engine on a {@link SimulatedDiskIo} many times: writers run, the
 * "machine" stops at a random moment, unsynced bytes are cut, flipped and zeroed, and the
 * store is reopened. Every acknowledged write must read back byte-identical, and no read
 * may ever return wrong bytes as good.
 */
class SimulatedCrashTest {

    private static final PartitionId P = new PartitionId("sim", 3);
    private static final int ROUNDS = 25;
    private static final int WRITERS = 4;
    private static final int KEYS = 300;

    @TempDir
    Path dir;

    /** The bytes a (key, version) pair stands for. */
    static byte[] dataOf(String key, Version v) {
        Random r = new Random(key.hashCode() * 1_000_003L + v.seq());
        byte[] data = new byte[1 + r.nextInt(r.nextBoolean() ? 2048 : 96 * 1024)];
        r.nextBytes(data);
        return data;
    }

    @Test
    void acknowledgedWritesSurviveCrashesThatDamageUnsyncedBytes() throws Exception {
        long seed = Long.decode(System.getProperty("cairn.test.seed", "0x" + Long.toHexString(System.nanoTime())));
        String reproduce = "seed 0x" + Long.toHexString(seed) + "; reproduce: ./mvnw -o -pl cairn-store test"
                + " -Dtest=SimulatedCrashTest -Dcairn.test.seed=0x" + Long.toHexString(seed);
        System.out.println(reproduce);
        Random random = new Random(seed);
        SimulatedDiskIo disk = new SimulatedDiskIo(1L << 40);
        StoreConfig config = StoreConfig.DEFAULTS.withFreeReserve(0, 0).withSegmentBytesMax(1 << 20)
                .withCompaction(0.5, 1L << 30, 0).withInlineBlobBytesMax(1024);
        Map<String, Long> acked = new ConcurrentHashMap<>();
        Map<String, Long> attempted = new ConcurrentHashMap<>();
        AtomicInteger seq = new AtomicInteger();
        int truncations = 0;

        for (int round = 0; round < ROUNDS; round++) {
            RocksPartitionStore store = RocksPartitionStore.open(List.of(dir), config, disk);
            truncations += store.lastRecovery().tailBytesTruncated() > 0 ? 1 : 0;
            verify(store, acked, attempted, reproduce + " (round " + round + ")");
            if (random.nextInt(4) == 0) {
                store.compact();
            }
            int stopAfter = random.nextInt(120);
            AtomicInteger writes = new AtomicInteger();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                long writerSeed = random.nextLong();
                writers.add(Thread.ofPlatform().start(() -> {
                    Random r = new Random(writerSeed);
                    while (true) {
                        String key = "k/" + r.nextInt(KEYS);
                        Version v = new Version(1, seq.incrementAndGet());
                        attempted.merge(key, v.seq(), Math::max);
                        Mutation m = r.nextInt(10) == 0 ? new Mutation(key, v, true, null, null)
                                : new Mutation(key, v, false, null, ByteBuffer.wrap(dataOf(key, v)));
                        try {
                            if (store.apply(P, m) == ApplyOutcome.APPLIED) {
                                acked.merge(key, v.seq(), Math::max);
                            }
                        } catch (IOException | IllegalStateException e) {
                            return;
                        }
                        writes.incrementAndGet();
                    }
                }));
            }
            while (writes.get() < stopAfter) {
                Thread.onSpinWait();
            }
            disk.freeze();
            for (Thread t : writers) {
                t.join();
            }
            store.close();
            disk.crash(random);
            disk.unfreeze();
        }
        RocksPartitionStore store = RocksPartitionStore.open(List.of(dir), config, disk);
        try {
            verify(store, acked, attempted, reproduce + " (final)");
        } finally {
            store.close();
        }
        System.out.println("simulated crashes whose recovery cut a torn tail: " + truncations);
        assertThat(truncations).as(reproduce + ": crashes that left a tail to cut").isPositive();
    }

    /**
     * Each key must hold a version between its last acknowledged and its last attempted one,
     * with exactly that version's bytes (or be a tombstone of that version).
     */
    private static void verify(RocksPartitionStore store, Map<String, Long> acked, Map<String, Long> attempted,
            String reproduce) {
        for (Map.Entry<String, Long> e : attempted.entrySet()) {
            String key = e.getKey();
            long ackedSeq = acked.getOrDefault(key, 0L);
            var record = store.get(P, key);
            if (record.isEmpty()) {
                assertThat(ackedSeq).as(reproduce + ": acknowledged " + key + " is gone").isZero();
                continue;
            }
            Version v = record.get().version();
            assertThat(v.seq()).as(reproduce + ": version of " + key).isBetween(ackedSeq, e.getValue());
            BlobRead read = store.readBlob(P, key);
            if (record.get().tombstone()) {
                assertThat(read).as(reproduce + ": " + key).isEqualTo(new BlobRead.Missing());
                continue;
            }
            assertThat(read).as(reproduce + ": " + key + " at " + v).isInstanceOf(BlobRead.Found.class);
            BlobRead.Found found = (BlobRead.Found) read;
            assertThat(found.version()).isEqualTo(v);
            assertThat(found.data()).as(reproduce + ": bytes of " + key + " at " + v)
                    .isEqualTo(ByteBuffer.wrap(dataOf(key, v)));
        }
        assertThat(store.stats().corruptionsDetected()).as(reproduce).isZero();
    }
}
