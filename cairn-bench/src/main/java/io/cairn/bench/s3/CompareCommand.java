package io.cairn.bench.s3;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.bench.StoreBenchmark;
import io.cairn.server.dev.DevCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cairn bench compare}: the same S3 loads against s3proxy (one process, filesystem
 * backend), a 4-node {@code rep3} dev cluster and a 6-node dev cluster with an {@code ec4+2}
 * bucket, one after the other on this machine, with the disk's fsync'd write speed measured in
 * the same run; prints one table of ratios (Cairn ÷ s3proxy, Cairn ÷ disk), and appends it to
 * a file if asked.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "The same S3 loads against s3proxy and local Cairn clusters (rep3 on 4 nodes, ec4+2 on 6), as one table of ratios.")
public final class CompareCommand implements Callable<Integer> {

    @Option(names = "--s3proxy-jar", required = true, description = "s3proxy's jar-with-dependencies (./cairn fetches it from Maven Central).")
    Path s3proxyJar;
    @Option(names = "--small-objects", defaultValue = "2000", description = "Objects of the 4 KiB and 64 KiB loads (default: ${DEFAULT-VALUE}).")
    int smallObjects;
    @Option(names = "--large-objects", defaultValue = "40", description = "Objects of the 16 MiB loads (default: ${DEFAULT-VALUE}).")
    int largeObjects;
    @Option(names = "--list-keys", defaultValue = "100000", description = "Keys of the bucket that is listed (default: ${DEFAULT-VALUE}).")
    int listKeys;
    @Option(names = "--concurrency", defaultValue = "32", description = "Requests in flight for the small loads and the listing's writes (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--large-concurrency", defaultValue = "4", description = "Requests in flight for the 16 MiB loads (default: ${DEFAULT-VALUE}).")
    int largeConcurrency;
    @Option(names = "--warm-up", defaultValue = "3000", description = "Uncounted 4 KiB PUTs, each then read back, against each target before its "
            + "loads, so that every process's JIT has compiled its hot paths (default: ${DEFAULT-VALUE}).")
    int warmUp;
    @Option(names = "--large-warm-up", defaultValue = "16", description = "Uncounted 16 MiB PUTs, each then read back, against each target before "
            + "its 16 MiB loads, so that the large path is compiled and each process's heap has grown to its working size (default: ${DEFAULT-VALUE}).")
    int largeWarmUp;
    @Option(names = "--skip-ec", description = "Leave out the 6-node ec4+2 cluster.")
    boolean skipEc;
    @Option(names = "--append-to", description = "Also append the table, with the date, the machine and the command, to this file (e.g. docs/benchmarks.md).")
    Path appendTo;

    private static final int LARGE = 16 << 20;
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);

    /** One load: a name, the objects, their size, the requests in flight, the phases. */
    private record Load(String name, int objects, int size, int concurrency, String phases) {}

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(s3proxyJar)) {
            throw new IllegalArgumentException("no s3proxy jar at " + s3proxyJar);
        }
        List<Load> loads = List.of(
                new Load("4 KiB", smallObjects, 4096, concurrency, "put,get,mixed,delete"),
                new Load("4 KiB, 64 in flight", smallObjects, 4096, 64, "put,get"),
                new Load("64 KiB", smallObjects, 65536, concurrency, "put,get"),
                new Load("16 MiB", largeObjects, LARGE, largeConcurrency, "put,get"),
                new Load("LIST", listKeys, 16, Math.max(concurrency, 64), "put,list"));
        Path root = Files.createTempDirectory("cairn-bench-compare-");
        try {
            double diskMibS = new StoreBenchmark(3000).rawWrite(Files.createDirectories(root.resolve("disk")));
            System.out.printf("raw disk write (fsync every 4 MiB): %.1f MiB/s%n", diskMibS);
            Map<String, Map<String, Map<?, ?>>> results = new LinkedHashMap<>();
            results.put("s3proxy", s3proxy(root.resolve("s3proxy"), loads));
            results.put("Cairn rep3", cairn(root.resolve("rep3"), 4, null, loads));
            if (!skipEc) {
                results.put("Cairn ec4+2", cairn(root.resolve("ec"), 6, "ec4+2", loads.stream().filter(l -> l.size() == LARGE).toList()));
            }
            String table = table(results, diskMibS);
            System.out.println();
            System.out.print(table);
            if (appendTo != null) {
                String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                        .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
                String text = "\n### `./cairn bench compare` (" + LocalDate.now() + ")\n\n"
                        + "Machine: " + Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), every process on one disk. Command:\n\n"
                        + "```\n./cairn bench compare --small-objects " + smallObjects + " --large-objects " + largeObjects + " --list-keys "
                        + listKeys + " --concurrency " + concurrency + " --large-concurrency " + largeConcurrency + " --warm-up " + warmUp
                        + " --large-warm-up " + largeWarmUp
                        + (skipEc ? " --skip-ec" : "") + "\n```\n\n" + table;
                Files.writeString(appendTo, text, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
            }
            return 0;
        } finally {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private Map<String, Map<?, ?>> s3proxy(Path dir, List<Load> loads) throws Exception {
        Files.createDirectories(dir.resolve("data"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path props = dir.resolve("s3proxy.conf");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=compare",
                "s3proxy.credential=compare-secret",
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + dir.resolve("data"),
                ""));
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-Xmx2g", "-jar", s3proxyJar.toString(), "--properties", props.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        try {
            awaitPort(port, p);
            System.out.println("== s3proxy on port " + port);
            List<String> target = List.of("--endpoint", "http://127.0.0.1:" + port, "--access-key", "compare", "--secret-key", "compare-secret",
                    "--disk-dir", dir.toString());
            return runLoads(target, loads, null);
        } finally {
            p.destroy();
            p.waitFor();
        }
    }

    private Map<String, Map<?, ?>> cairn(Path dir, int nodes, String policy, List<Load> loads) throws Exception {
        DevCluster cluster = DevCluster.openOrCreate(dir, new DevCluster.Options(nodes, DevCluster.freeBasePort(nodes), 64, 1000, 5000, 0));
        try {
            cluster.startAll();
            cluster.awaitReady(READY_TIMEOUT);
            System.out.println("== Cairn, " + nodes + " nodes" + (policy == null ? ", rep3" : ", bucket policy " + policy));
            return runLoads(List.of("--dir", dir.toString()), loads, policy);
        } finally {
            cluster.stopAll(Duration.ofSeconds(10));
        }
    }

    private Map<String, Map<?, ?>> runLoads(List<String> target, List<Load> loads, String policy) throws Exception {
        Map<String, Map<?, ?>> out = new LinkedHashMap<>();
        Path json = Files.createTempFile("cairn-compare-", ".json");
        try {
            if (warmUp > 0) {
                run(target, warmUp, 4096, concurrency, "put,get", policy, json);
            }
            for (Load l : loads) {
                if (l.size() == LARGE && largeWarmUp > 0) {
                    System.out.println("-- warm-up, " + l.name());
                    run(target, largeWarmUp, LARGE, l.concurrency(), "put,get", policy, json);
                }
                System.out.println("-- " + l.name());
                run(target, l.objects(), l.size(), l.concurrency(), l.phases(), policy, json);
                out.put(l.name(), new ObjectMapper().readValue(json.toFile(), Map.class));
            }
        } finally {
            Files.deleteIfExists(json);
        }
        return out;
    }

    private static void run(List<String> target, int objects, int size, int concurrency, String phases, String policy, Path json)
            throws Exception {
        List<String> args = new ArrayList<>(target);
        args.addAll(List.of("--objects", String.valueOf(objects), "--size", String.valueOf(size), "--concurrency", String.valueOf(concurrency),
                "--phases", phases, "--json", json.toString()));
        if (policy != null) {
            args.addAll(List.of("--bucket-policy", policy));
        }
        Files.deleteIfExists(json);
        int status = new picocli.CommandLine(new S3LoadCommand()).execute(args.toArray(String[]::new));
        // Operations that failed or read wrong bytes are counted in the figures and shown in the
        // table: one server's errors do not end the comparison. A load that did not run through does.
        if (status != 0 && !Files.exists(json)) {
            throw new IllegalStateException("bench s3 " + String.join(" ", args) + " ended with status " + status);
        }
    }

    private static void awaitPort(int port, Process p) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("s3proxy ended with status " + p.exitValue() + " before it listened");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new IOException("s3proxy did not listen on port " + port + " within a minute");
    }

    /** The figures as a Markdown table: each Cairn target's figure, and its ratio to s3proxy's and to the disk's. */
    static String table(Map<String, Map<String, Map<?, ?>>> results, double diskMibS) {
        Map<String, Map<?, ?>> reference = results.get("s3proxy");
        List<String> targets = new ArrayList<>(results.keySet());
        StringBuilder t = new StringBuilder("| load | ");
        t.append(String.join(" | ", targets));
        for (String target : targets.subList(1, targets.size())) {
            t.append(" | ").append(target).append(" ÷ s3proxy");
        }
        t.append(" |\n|---").append("|---".repeat(2 * targets.size() - 1)).append("|\n");
        // {load, figure, label, its p99 figure (shown in brackets) or null}; a p99 row's ratio is Cairn's p99 over s3proxy's.
        String[][] rows = {
                {"4 KiB", "put_ops_s", "4 KiB PUT, ops/s (p99 ms)", "put_p99_ms"},
                {"4 KiB", "get_ops_s", "4 KiB GET, ops/s (p99 ms)", "get_p99_ms"},
                {"4 KiB", "mixed_ops_s", "4 KiB mixed (70% GET, 30% overwrite), ops/s (p99 ms)", "mixed_p99_ms"},
                {"4 KiB", "delete_ops_s", "4 KiB DELETE, ops/s (p99 ms)", "delete_p99_ms"},
                {"4 KiB, 64 in flight", "get_ops_s", "4 KiB GET, 64 in flight, ops/s (p99 ms)", "get_p99_ms"},
                {"4 KiB, 64 in flight", "get_p99_ms", "4 KiB GET, 64 in flight, p99 ms", null},
                {"64 KiB", "put_ops_s", "64 KiB PUT, ops/s (p99 ms)", "put_p99_ms"},
                {"64 KiB", "get_ops_s", "64 KiB GET, ops/s (p99 ms)", "get_p99_ms"},
                {"16 MiB", "put_mib_s", "16 MiB PUT, MiB/s (p99 ms)", "put_p99_ms"},
                {"16 MiB", "get_mib_s", "16 MiB GET, MiB/s (p99 ms)", "get_p99_ms"},
                {"LIST", "list_keys_s", "LIST in pages of 1,000, keys/s", null}};
        for (String[] row : rows) {
            Double ref = figure(reference, row[0], row[1]);
            t.append("| ").append(row[2]);
            for (String target : targets) {
                Double v = figure(results.get(target), row[0], row[1]);
                Double p99 = row[3] == null ? null : figure(results.get(target), row[0], row[3]);
                Double errors = figure(results.get(target), row[0], row[1].substring(0, row[1].indexOf('_')) + "_errors");
                t.append(" | ").append(v == null ? "" : String.format(Locale.ROOT, "%.1f", v)
                        + (p99 == null ? "" : String.format(Locale.ROOT, " (%.0f)", p99))
                        + (errors == null || errors == 0 ? "" : String.format(Locale.ROOT, ", %.0f errors", errors)));
            }
            for (String target : targets.subList(1, targets.size())) {
                Double v = figure(results.get(target), row[0], row[1]);
                t.append(" | ").append(v == null || ref == null || ref == 0 ? "" : String.format(Locale.ROOT, "%.2f", v / ref));
            }
            t.append(" |\n");
        }
        t.append(String.format(Locale.ROOT, "%nRaw disk write in the same run (fsync every 4 MiB): %.1f MiB/s.", diskMibS));
        for (String target : targets) {
            Double put = figure(results.get(target), "16 MiB", "put_mib_s");
            if (put != null) {
                t.append(String.format(Locale.ROOT, " %s 16 MiB PUT ÷ disk: %.2f.", target, put / diskMibS));
            }
        }
        return t.append("\n").toString();
    }

    private static Double figure(Map<String, Map<?, ?>> byLoad, String load, String field) {
        Map<?, ?> m = byLoad == null ? null : byLoad.get(load);
        return m != null && m.get(field) instanceof Number n ? n.doubleValue() : null;
    }
}
