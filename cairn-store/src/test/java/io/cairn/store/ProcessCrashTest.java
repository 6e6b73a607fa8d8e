package io.cairn.store;

import io.cairn.core.store.StoredRecord;
import io.cairn.core.store.BlobRead;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writing child process ({@link CrashChild}) with SIGKILL at random moments, then
 * reopens its store and checks that every block it acknowledged reads back byte-identical
 * and that no block is ever returned corrupt.
 */
class ProcessCrashTest {

    private static final int KILLS = 22;
    private static final long CHILD_WAIT_MILLIS = 60_000;

    @TempDir
    Path dir;

    @Test
    void acknowledgedBlocksSurviveSigkill() throws Exception {
        long seed = Long.decode(System.getProperty("cairn.test.seed", "0x" + Long.toHexString(System.nanoTime())));
        String reproduce = "seed 0x" + Long.toHexString(seed) + "; reproduce: ./mvnw -o -pl cairn-store test"
                + " -Dtest=ProcessCrashTest -Dcairn.test.seed=0x" + Long.toHexString(seed);
        System.out.println(reproduce);
        Random random = new Random(seed);
        Set<String> acked = new HashSet<>();
        int cutTails = 0;
        for (int round = 0; round < KILLS; round++) {
            int killAfterAcks = random.nextInt(8) == 0 ? 0 : random.nextInt(200);
            List<String> roundAcks = runAndKill(round, killAfterAcks, reproduce);
            acked.addAll(roundAcks);
            try (RocksPartitionStore store = RocksPartitionStore.open(List.of(dir.resolve("store")),
                    StoreConfig.DEFAULTS.withFreeReserve(0, 0).withCompaction(0.5, 1L << 30, 0))) {
                cutTails += store.lastRecovery().tailBytesTruncated() > 0 ? 1 : 0;
                check(store, acked, reproduce + " (after kill " + (round + 1) + ")");
            }
        }
        System.out.println("acknowledged blocks checked: " + acked.size() + "; reopenings that cut a tail: " + cutTails);
        assertThat(acked).as(reproduce).hasSizeGreaterThan(KILLS);
    }

    private List<String> runAndKill(int round, int killAfterAcks, String reproduce) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java));
        for (String flag : System.getProperty("cairn.jvm.flags", "--enable-native-access=ALL-UNNAMED").split(" ")) {
            if (!flag.isBlank()) {
                command.add(flag);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), CrashChild.class.getName(),
                dir.resolve("store").toString(), Integer.toString(round)));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> acks = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            boolean killed = false;
            String line;
            while ((line = lines.readLine()) != null) {
                if (!killed && (killAfterAcks == 0 || acks.size() >= killAfterAcks)) {
                    // SIGKILL through the handle, which leaves the pipe open: lines written before
                    // the kill are still read to its end
                    child.toHandle().destroyForcibly();
                    killed = true;
                }
                if (line.startsWith("ack ") && line.endsWith(" .")) {
                    acks.add(line.substring(4, line.length() - 2));
                }
            }
            assertThat(killed).as(reproduce + ": the child ended before it was killed").isTrue();
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(CHILD_WAIT_MILLIS, TimeUnit.MILLISECONDS)).as(reproduce).isTrue();
        }
        return acks;
    }

    private static void check(RocksPartitionStore store, Set<String> acked, String reproduce) {
        for (String key : acked) {
            var record = store.get(CrashChild.PARTITION, key);
            assertThat(record).as(reproduce + ": acknowledged " + key).isPresent();
            BlobRead read = store.readBlob(CrashChild.PARTITION, key);
            if (record.get().tombstone()) {
                assertThat(read).as(reproduce + ": " + key).isEqualTo(new BlobRead.Missing());
                continue;
            }
            assertThat(read).as(reproduce + ": " + key).isInstanceOf(BlobRead.Found.class);
            assertThat(((BlobRead.Found) read).data()).as(reproduce + ": bytes of " + key)
                    .isEqualTo(ByteBuffer.wrap(CrashChild.blockOf(key)));
        }
        for (StoredRecord r : store.scan(CrashChild.PARTITION, "", "", 100_000, false)) {
            BlobRead read = store.readBlob(CrashChild.PARTITION, r.key());
            assertThat(read).as(reproduce + ": stored " + r.key()).isInstanceOf(BlobRead.Found.class);
            assertThat(((BlobRead.Found) read).data()).as(reproduce + ": bytes of " + r.key())
                    .isEqualTo(ByteBuffer.wrap(CrashChild.blockOf(r.key())));
        }
        assertThat(store.stats().corruptionsDetected()).as(reproduce).isZero();
    }
}
