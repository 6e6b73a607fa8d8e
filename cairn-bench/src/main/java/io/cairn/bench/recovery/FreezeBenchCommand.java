package io.cairn.bench.recovery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.server.dev.DevCluster;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * {@code ./cairn bench freeze}: a gray failure. Starts its own local cluster of real node
 * processes, runs a steady load of small PUTs and checked GETs through every node but the last,
 * freezes the last node (SIGSTOP, as a stuck disk or a long GC pause would) for
 * {@code --freeze-seconds}, then lets it go on (SIGCONT). It reports the rate and latency of the
 * load before the freeze, in the first {@code down_after_millis} of it (the node is silent but not
 * yet marked down), in the rest of it, and after it; the target is that from
 * {@code down_after_millis} on the rate is at least half of what it was and no operation started
 * then takes longer than 5 s.
 */
@Command(name = "freeze", mixinStandardHelpOptions = true,
        description = "Load through the other nodes while one node of a local cluster is frozen (SIGSTOP): rate and latency before, during and after.")
public final class FreezeBenchCommand implements Callable<Integer> {

    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    /** The target: from down_after_millis on, no operation takes longer than this. */
    private static final long SLOWEST_TARGET_NANOS = 5_000_000_000L;

    @Option(names = "--nodes", defaultValue = "5", description = "Nodes in the cluster; the last one is frozen (default: ${DEFAULT-VALUE}).")
    int nodes;
    @Option(names = "--size", defaultValue = "4096", description = "Object size in bytes (default: ${DEFAULT-VALUE}).")
    int size;
    @Option(names = "--objects", defaultValue = "1000", description = "Objects written first, read by the load's GETs (default: ${DEFAULT-VALUE}).")
    int preloaded;
    @Option(names = "--put-percent", defaultValue = "50", description = "Share of the load's operations that are PUTs, the rest GETs (default: ${DEFAULT-VALUE}).")
    int putPercent;
    @Option(names = "--concurrency", defaultValue = "16", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--before-seconds", defaultValue = "20", description = "Load before the freeze (default: ${DEFAULT-VALUE}).")
    int beforeSeconds;
    @Option(names = "--freeze-seconds", defaultValue = "30", description = "How long the node stays frozen (default: ${DEFAULT-VALUE}).")
    int freezeSeconds;
    @Option(names = "--after-seconds", defaultValue = "15", description = "Load after the node is let go on (default: ${DEFAULT-VALUE}).")
    int afterSeconds;
    @Option(names = "--heartbeat-millis", defaultValue = "1000", description = "Heartbeat interval of the cluster (default: ${DEFAULT-VALUE}).")
    long heartbeatMillis;
    @Option(names = "--down-after-millis", defaultValue = "5000", description = "Silence after which a node is marked down (default: ${DEFAULT-VALUE}).")
    long downAfterMillis;
    @Option(names = "--json", description = "Also write the figures to this file as JSON.")
    Path json;

    /** One operation of the load: when it started and ended (nanoTime), what it was, whether it failed. */
    private record Op(long start, long end, boolean put, String error) {}

    @Override
    public Integer call() throws Exception {
        if (nodes < 4 || nodes > 16 || size < 8 || size > (64 << 20) || concurrency < 1 || concurrency > 256
                || preloaded < 1 || putPercent < 0 || putPercent > 100 || beforeSeconds < 5 || freezeSeconds < 1 || afterSeconds < 0 || downAfterMillis < 1000
                || downAfterMillis >= freezeSeconds * 1000L) {
            throw new IllegalArgumentException("need 4 <= nodes <= 16, 8 <= size <= 64 MiB, objects >= 1, 0 <= put-percent <= 100, 1 <= concurrency <= 256, before-seconds >= 5, "
                    + "down-after-millis >= 1000 and shorter than the freeze");
        }
        Path dir = Files.createTempDirectory("cairn-bench-freeze-");
        DevCluster cluster = DevCluster.openOrCreate(dir, new DevCluster.Options(nodes, DevCluster.freeBasePort(nodes), 64, heartbeatMillis,
                downAfterMillis, DevCluster.DOWN_OUT_INTERVAL_MILLIS_DEFAULT, 0, Map.of()));
        try {
            return run(cluster);
        } finally {
            cluster.stopAll(Duration.ofSeconds(10));
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private int run(DevCluster cluster) throws Exception {
        cluster.startAll();
        cluster.awaitReady(READY_TIMEOUT);
        DevCluster.Layout layout = cluster.layout();
        int victim = nodes - 1; // not a meta voter: the map keeps its quorum
        long victimPid = cluster.pid(victim).orElseThrow(() -> new IllegalStateException("node " + victim + " has no process"));
        List<S3Client> clients = new ArrayList<>();
        for (int i = 0; i < victim; i++) {
            clients.add(S3Client.builder().endpointOverride(URI.create(layout.endpoint(i))).region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(layout.accessKey(), layout.secretKey())))
                    .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                    .httpClientBuilder(ApacheHttpClient.builder().maxConnections(concurrency).socketTimeout(Duration.ofMinutes(2)))
                    .build());
        }
        String bucket = "freeze";
        clients.getFirst().createBucket(b -> b.bucket(bucket));
        byte[] base = new byte[size];
        new SplittableRandom(7).nextBytes(base);
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < preloaded; i++) {
                int n = i;
                puts.add(pool.submit(() -> clients.get(n % clients.size()).putObject(b -> b.bucket(bucket).key("pre-" + n),
                        RequestBody.fromBytes(body(base, n)))));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        }
        System.out.printf("cluster: %d nodes, rep3, heartbeat %d ms, down after %d ms; %d objects of %d bytes written; %d clients "
                + "through nodes 0-%d%n", nodes, heartbeatMillis, downAfterMillis, preloaded, size, concurrency, victim - 1);

        ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger written = new AtomicInteger();
        long loadStart = System.nanoTime();
        long freezeAt;
        long thawAt;
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < concurrency; w++) {
                int worker = w;
                workers.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(worker);
                    while (!stop.get()) {
                        boolean put = rnd.nextInt(100) < putPercent;
                        S3Client c = clients.get(rnd.nextInt(clients.size()));
                        long t = System.nanoTime();
                        String error = null;
                        try {
                            if (put) {
                                int k = written.getAndIncrement();
                                c.putObject(b -> b.bucket(bucket).key("w-" + k), RequestBody.fromBytes(body(base, k)));
                            } else {
                                int k = rnd.nextInt(preloaded);
                                check(c.getObjectAsBytes(b -> b.bucket(bucket).key("pre-" + k)).asByteArray(), base, k);
                            }
                        } catch (RuntimeException e) {
                            error = e.toString();
                        }
                        ops.add(new Op(t, System.nanoTime(), put, error));
                    }
                    return null;
                }));
            }
            progress("before the freeze", beforeSeconds, ops, loadStart);
            freezeAt = System.nanoTime();
            signal("STOP", victimPid);
            try {
                System.err.printf("node %d (pid %d) frozen%n", victim, victimPid);
                progress("frozen", freezeSeconds, ops, loadStart);
            } finally {
                signal("CONT", victimPid);
                thawAt = System.nanoTime();
            }
            System.err.printf("node %d let go on%n", victim);
            progress("after the freeze", afterSeconds, ops, loadStart);
            stop.set(true);
            for (Future<?> f : workers) {
                f.get();
            }
        }
        long end = System.nanoTime();
        for (S3Client c : clients) {
            c.close();
        }

        long warm = loadStart + Math.min(5, beforeSeconds / 4) * 1_000_000_000L; // the load's first seconds are left out
        long downAt = freezeAt + downAfterMillis * 1_000_000L;
        List<Window> windows = List.of(
                window("before", warm, freezeAt, ops),
                window("frozen, not yet down", freezeAt, downAt, ops),
                window("frozen, after down_after", downAt, thawAt, ops),
                window("after", thawAt, end, ops));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("nodes", nodes);
        out.put("size_bytes", size);
        out.put("concurrency", concurrency);
        out.put("down_after_millis", downAfterMillis);
        out.put("freeze_seconds", freezeSeconds);
        System.out.println("window                          PUT ops/s  GET ops/s  p50 ms  p99 ms  slowest started in it, ms  errors");
        for (Window w : windows) {
            System.out.printf(Locale.ROOT, "%-30s %10.1f %10.1f %7.1f %7.1f %26.1f %7d%n", w.name, w.putRate, w.getRate,
                    w.p50Nanos / 1e6, w.p99Nanos / 1e6, w.slowestNanos / 1e6, w.errors);
            String k = w.name.replaceAll("[^a-z_]+", "_");
            out.put(k + "_put_ops_s", round(w.putRate));
            out.put(k + "_get_ops_s", round(w.getRate));
            out.put(k + "_p99_ms", round(w.p99Nanos / 1e6));
            out.put(k + "_slowest_ms", round(w.slowestNanos / 1e6));
            out.put(k + "_errors", w.errors);
        }
        Window before = windows.get(0);
        Window late = windows.get(2);
        double putRatio = late.putRate / before.putRate;
        double getRatio = late.getRate / before.getRate;
        if (putPercent > 0) {
            out.put("frozen_put_ratio", round(putRatio));
        }
        if (putPercent < 100) {
            out.put("frozen_get_ratio", round(getRatio));
        }
        System.out.printf(Locale.ROOT, "from down_after on, frozen: PUT %.2f and GET %.2f of the rate before (target >= 0.5); "
                        + "slowest operation started then %.1f s (target <= 5 s)%n", putRatio, getRatio, late.slowestNanos / 1e9);
        int errors = windows.stream().mapToInt(w -> w.errors).sum();
        ops.stream().filter(o -> o.error != null).limit(5).forEach(o -> System.out.println("error: " + o.error));
        if (json != null) {
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), out);
        }
        // A kind of operation the load does not run (--put-percent 0 or 100) has no rate to keep.
        boolean met = (putPercent == 0 || putRatio >= 0.5) && (putPercent == 100 || getRatio >= 0.5)
                && late.slowestNanos <= SLOWEST_TARGET_NANOS;
        System.out.println(met ? "target met" : "target missed");
        return errors == 0 ? 0 : 1;
    }

    private static void signal(String signal, long pid) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("kill -" + signal + " " + pid + " failed");
        }
    }

    private static void progress(String phase, int seconds, ConcurrentLinkedQueue<Op> ops, long loadStart) throws InterruptedException {
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < until) {
            Thread.sleep(Math.min(1000, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            System.err.printf("\r%s: %d operations done, %.0f s   ", phase, ops.size(), (System.nanoTime() - loadStart) / 1e9);
        }
        System.err.println();
    }

    private record Window(String name, double putRate, double getRate, long p50Nanos, long p99Nanos, long slowestNanos, int errors) {}

    /**
     * Rates count operations that ended in [from, to) over its length; latencies are of the
     * operations that started in it, however long they took.
     */
    private static Window window(String name, long from, long to, ConcurrentLinkedQueue<Op> ops) {
        double seconds = Math.max(1, to - from) / 1e9;
        long puts = 0;
        long gets = 0;
        int errors = 0;
        List<Long> started = new ArrayList<>();
        for (Op o : ops) {
            if (o.end >= from && o.end < to && o.error == null) {
                if (o.put) {
                    puts++;
                } else {
                    gets++;
                }
            }
            if (o.start >= from && o.start < to) {
                started.add(o.end - o.start);
                if (o.error != null) {
                    errors++;
                }
            }
        }
        long[] lat = started.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Window(name, puts / seconds, gets / seconds, percentile(lat, 0.5), percentile(lat, 0.99),
                lat.length == 0 ? 0 : lat[lat.length - 1], errors);
    }

    private static long percentile(long[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    private static byte[] body(byte[] base, int k) {
        byte[] b = base.clone();
        ByteBuffer.wrap(b).putInt(k);
        return b;
    }

    private static void check(byte[] got, byte[] base, int k) {
        if (got.length != base.length || ByteBuffer.wrap(got).getInt() != k || !Arrays.equals(got, 4, got.length, base, 4, base.length)) {
            throw new IllegalStateException("pre-" + k + " returned other bytes (" + got.length + " bytes)");
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
