package io.cairn.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.store.RocksPartitionStore;
import io.cairn.store.StoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./cairn bench store}: the storage engine against the raw speed of the same directory. */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = "Measures the disk's own fsync'd sequential write speed, then the storage engine's"
                + " sequential 1 MiB writes (8 writers), 4 KiB writes (64 writers) and random reads, in the same"
                + " directory, and prints the ratios.")
final class StoreBenchCommand implements Callable<Integer> {

    @Option(names = "--dir", description = "Directory to measure (default: a temporary directory under target/).")
    Path dir;

    @Option(names = "--json", description = "Also write the figures as JSON to this file.")
    Path json;

    @Option(names = "--phase-millis", defaultValue = "8000", description = "Length of each phase (default 8000).")
    long phaseMillis;

    @Option(names = "--inline-bytes", defaultValue = "0",
            description = "Blobs up to this size are kept inline in the index (default 0: every blob in a segment).")
    int inlineBytes;

    @Override
    public Integer call() throws Exception {
        Path root = dir != null ? dir : defaultDir();
        Files.createDirectories(root);
        Path work = Files.createTempDirectory(root, "store-bench-");
        StoreBenchmark bench = new StoreBenchmark(phaseMillis);
        try {
            System.out.printf("cairn bench store: %s, %d cores, %d ms per phase, blobs up to %d bytes inline%n",
                    work.toAbsolutePath(), Runtime.getRuntime().availableProcessors(), phaseMillis, inlineBytes);
            double raw = bench.rawWrite(work);
            System.out.printf("(a) raw sequential write, fsync every 4 MiB: %.1f MiB/s%n", raw);
            StoreBenchmark.Keys keys = new StoreBenchmark.Keys();
            StoreBenchmark.WriteResult w;
            double[] reads;
            double perGroup;
            StoreConfig config = StoreConfig.DEFAULTS.withFreeReserve(1L << 30, 0.02).withCompaction(0.5, 64L << 20, 0)
                    .withInlineBlobBytesMax(inlineBytes);
            try (RocksPartitionStore store = RocksPartitionStore.open(List.of(work.resolve("segments-engine")),
                    config)) {
                w = bench.writes(store, keys);
                perGroup = store.writesPerGroupCommit();
                reads = bench.reads(store, keys);
            }
            StoreBenchmark.Result r = new StoreBenchmark.Result(raw, w.seqWriteMibPerSecond(),
                    w.smallWriteOpsPerSecond(), w.smallWriteP99Millis(), reads[0], reads[1]);
            System.out.println();
            System.out.println("| figure | value | target | ratio |");
            System.out.println("|---|---|---|---|");
            System.out.printf("| (a) raw write, fsync every 4 MiB | %.1f MiB/s | reference | 1.00 |%n", raw);
            System.out.printf("| (b) engine 1 MiB writes, 8 writers | %.1f MiB/s | >= 80%% of (a) | %.2f |%n",
                    r.seqWriteMibPerSecond(), r.seqWriteMibPerSecond() / raw);
            System.out.printf("| (c) engine 4 KiB writes, 64 writers | %.0f ops/s | >= 20000 ops/s | %.2f |%n",
                    r.smallWriteOpsPerSecond(), r.smallWriteOpsPerSecond() / 20_000);
            System.out.printf("| (c) p99 latency of 4 KiB writes | %.2f ms | | |%n", r.smallWriteP99Millis());
            System.out.printf("| (d) random 4 KiB reads, 8 readers | %.0f ops/s | | |%n", r.randomRead4kOpsPerSecond());
            System.out.printf("| (d) random 1 MiB reads, 8 readers | %.1f MiB/s | | %.2f of (a) |%n",
                    r.randomRead1mMibPerSecond(), r.randomRead1mMibPerSecond() / raw);
            System.out.printf("%nwrites per group commit: %.1f%n", perGroup);
            if (json != null) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode node = mapper.createObjectNode();
                node.put("raw_write_mib_s", r.rawWriteMibPerSecond());
                node.put("seq_write_mib_s", r.seqWriteMibPerSecond());
                node.put("small_write_ops_s", r.smallWriteOpsPerSecond());
                node.put("small_write_p99_ms", r.smallWriteP99Millis());
                node.put("random_read_4k_ops_s", r.randomRead4kOpsPerSecond());
                node.put("random_read_1m_mib_s", r.randomRead1mMibPerSecond());
                mapper.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), node);
                System.out.println("figures written to " + json);
            }
            return 0;
        } finally {
            deleteTree(work);
        }
    }

    private static Path defaultDir() {
        String home = System.getProperty("cairn.home");
        Path base = home != null ? Path.of(home, "cairn-bench", "target") : Path.of("target");
        return base.resolve("store-bench");
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
