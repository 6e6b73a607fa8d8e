package io.cairn.store;

import io.cairn.core.store.Mutation;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * The child process of {@link ProcessCrashTest}: opens the store in args[0] and writes
 * blocks from 8 threads as fast as it can, printing {@code ack <key> .} for each write
 * once it is acknowledged, until it is killed. args[1] is the round, which makes keys unique.
 */
public final class CrashChild {

    static final PartitionId PARTITION = new PartitionId("crash", 1);
    static final int WRITERS = 8;

    private CrashChild() {}

    /** The bytes of a block, a function of its key alone. */
    static byte[] blockOf(String key) {
        Random r = new Random(key.hashCode());
        byte[] data = new byte[1 + r.nextInt(r.nextInt(4) == 0 ? 256 * 1024 : 8 * 1024)];
        r.nextBytes(data);
        return data;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        StoreConfig config = StoreConfig.DEFAULTS.withFreeReserve(0, 0).withSegmentBytesMax(4 << 20)
                .withCompaction(0.5, 16L << 20, 200).withInlineBlobBytesMax(2048);
        RocksPartitionStore store = RocksPartitionStore.open(List.of(dir), config);
        PrintStream out = System.out;
        out.println("open .");
        out.flush();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            Thread.ofPlatform().start(() -> {
                for (int i = 0; ; i++) {
                    String key = "r" + round + "/w" + writer + "/" + i;
                    try {
                        store.apply(PARTITION, new Mutation(key, new Version(round + 1, writer * 1_000_000L + i + 1),
                                false, null, ByteBuffer.wrap(blockOf(key))));
                        if (i % 5 == 4) {
                            String gone = "r" + round + "/w" + writer + "/" + (i - 3);
                            store.apply(PARTITION, new Mutation(gone, new Version(round + 1,
                                    writer * 1_000_000L + i + 500_000), true, null, null));
                        }
                    } catch (Exception e) {
                        e.printStackTrace();
                        return;
                    }
                    byte[] line = ("ack " + key + " .\n").getBytes(StandardCharsets.UTF_8);
                    synchronized (out) {
                        out.write(line, 0, line.length);
                        out.flush();
                    }
                }
            });
        }
    }
}
