package io.cairn.bench.s3;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.bench.StoreBenchmark;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * {@code ./cairn bench s3}: phases of S3 load (put, get, list, mixed, delete) against a running
 * dev cluster ({@code --dir}) or any S3 server ({@code --endpoint} and keys), each phase's
 * throughput and latency set against the raw fsync'd write speed of the disk under {@code --dir}
 * (or {@code --disk-dir}), measured in the same run. Every GET is checked byte for byte.
 */
@Command(name = "s3", mixinStandardHelpOptions = true,
        description = "Phases of S3 load (put, get, list, mixed, delete) with C concurrent clients against a dev cluster or any S3 endpoint.")
public final class S3LoadCommand implements Callable<Integer> {

    @Option(names = "--dir", description = "A dev cluster's directory (its endpoints and keys); default when no --endpoint is given: dev-cluster.")
    Path dir;
    @Option(names = "--endpoint", description = "An S3 endpoint (http://host:port), instead of a dev cluster; may be repeated to spread the load.")
    List<URI> endpoints;
    @Option(names = "--ca-bundle", description = "PEM file of the CA to trust for https:// endpoints (default: a --dir cluster's"
            + " public CA when it serves TLS, else the JVM's trusted CAs).")
    Path caBundle;
    @Option(names = "--access-key", description = "Access key for --endpoint.")
    String accessKey;
    @Option(names = "--secret-key", description = "Secret key for --endpoint.")
    String secretKey;
    @Option(names = "--disk-dir", description = "Where the disk reference is measured (default: --dir, else the working directory).")
    Path diskDir;
    @Option(names = "--objects", defaultValue = "2000", description = "Objects to write and read (default: ${DEFAULT-VALUE}).")
    int objects;
    @Option(names = "--mixed-operations", description = "Operations of the mixed phase, over the --objects objects (default: as many as objects); "
            + "more operations than objects make a hot set whose overwrites and reads meet.")
    Integer mixedOperations;
    @Option(names = "--size", defaultValue = "65536", description = "Object size in bytes (default: ${DEFAULT-VALUE}).")
    int size;
    @Option(names = "--concurrency", defaultValue = "32", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--phases", defaultValue = "put,get,list", split = ",",
            description = "Phases to run; they run in this order: put, get, list, mixed (70%% GET, 30%% overwrite), delete (default: ${DEFAULT-VALUE}).")
    List<String> phases;
    @Option(names = "--json", description = "Also write the figures to this file as JSON.")
    Path json;
    @Option(names = "--bucket-policy", description = "Storage policy of the bucket the load creates, for Cairn (x-cairn-policy: rep3, ec4+2, ...).")
    String bucketPolicy;
    @Option(names = "--sse", description = "Give the load's bucket a default encryption (SSE-S3, AES256): every object is stored encrypted.")
    boolean sse;

    /** Keys spread over this many common prefixes ("p00/" ... "p49/"), for the delimiter listing. */
    static final int PREFIXES = 50;
    /** Bytes at the start of a body that name its object and generation, so a GET can tell what it got. */
    static final int STAMP_BYTES = 8;
    static final List<String> PHASES = List.of("put", "get", "list", "mixed", "delete");

    static String key(int i) {
        return String.format("p%02d/obj-%d", i % PREFIXES, i);
    }

    @Override
    public Integer call() throws Exception {
        if (objects < 1 || size < STAMP_BYTES || size > (1 << 30) || concurrency < 1 || concurrency > 1024) {
            throw new IllegalArgumentException("need objects >= 1, " + STAMP_BYTES + " <= size <= 1 GiB, 1 <= concurrency <= 1024");
        }
        for (String p : phases) {
            if (!PHASES.contains(p)) {
                throw new IllegalArgumentException("unknown phase '" + p + "'; phases are " + PHASES);
            }
        }
        if (phases.contains("get") && !phases.contains("put") || phases.contains("mixed") && !phases.contains("put")) {
            throw new IllegalArgumentException("get and mixed read what put wrote: add the put phase");
        }
        List<URI> targets = new ArrayList<>();
        String access;
        String secret;
        if (endpoints != null && !endpoints.isEmpty()) {
            if (dir != null) {
                throw new IllegalArgumentException("give --dir or --endpoint, not both");
            }
            if (accessKey == null || secretKey == null) {
                throw new IllegalArgumentException("--endpoint needs --access-key and --secret-key");
            }
            targets.addAll(endpoints);
            access = accessKey;
            secret = secretKey;
        } else {
            Path d = dir == null ? Path.of("dev-cluster") : dir;
            Map<?, ?> layout = new ObjectMapper().readValue(d.resolve("cluster.json").toFile(), Map.class);
            int nodes = ((Number) layout.get("nodes")).intValue();
            int basePort = ((Number) layout.get("base_port")).intValue();
            boolean tls = Boolean.TRUE.equals(layout.get("tls"));
            for (int i = 0; i < nodes; i++) {
                targets.add(URI.create((tls ? "https" : "http") + "://127.0.0.1:" + (basePort + i)));
            }
            if (tls && caBundle == null) {
                caBundle = d.resolve("public-ca").resolve("ca.crt");
            }
            access = (String) layout.get("access_key");
            secret = (String) layout.get("secret_key");
        }
        List<S3Client> clients = new ArrayList<>();
        for (URI target : targets) {
            clients.add(S3Client.builder()
                    .endpointOverride(target)
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(access, secret)))
                    .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                    .httpClientBuilder(httpClient())
                    .build());
        }
        Path disk = diskDir != null ? diskDir : dir != null ? dir : Path.of(".");
        double rawMibS = new StoreBenchmark(3000).rawWrite(Files.createDirectories(disk.resolve("bench-tmp")));
        String bucket = "bench-" + System.currentTimeMillis();
        clients.getFirst().createBucket(b -> {
            b.bucket(bucket);
            if (bucketPolicy != null) {
                b.overrideConfiguration(o -> o.putHeader("x-cairn-policy", bucketPolicy));
            }
        });
        if (sse) {
            clients.getFirst().putBucketEncryption(b -> b.bucket(bucket).serverSideEncryptionConfiguration(c -> c.rules(r -> r
                    .applyServerSideEncryptionByDefault(d -> d.sseAlgorithm(ServerSideEncryption.AES256)))));
            // Every gateway encrypts from the map epoch that set the default on: wait until each does.
            for (S3Client c : clients) {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (c.putObject(b -> b.bucket(bucket).key("sse-probe"), RequestBody.fromString("probe")).serverSideEncryption()
                        != ServerSideEncryption.AES256) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("a gateway does not encrypt with the bucket's default after 30 s");
                    }
                    Thread.sleep(200);
                }
            }
            clients.getFirst().deleteObject(b -> b.bucket(bucket).key("sse-probe"));
        }
        byte[] base = new byte[size];
        new SplittableRandom(7).nextBytes(base);
        // Every PUT of each object, with when it began and was acknowledged: what each GET is judged by.
        WriteHistory history = new WriteHistory(objects);

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("endpoints", targets.stream().map(URI::toString).toList());
        out.put("objects", objects);
        out.put("size_bytes", size);
        out.put("concurrency", concurrency);
        out.put("sse", sse);
        out.put("raw_write_mib_s", round(rawMibS));
        System.out.printf("target: %s; %d objects of %d bytes, %d clients%n", targets.size() == 1 ? targets.getFirst() : targets.size()
                + " endpoints", objects, size, concurrency);
        System.out.printf("raw disk write (fsync every 4 MiB): %.1f MiB/s%n", rawMibS);
        for (String phase : PHASES.stream().filter(phases::contains).toList()) {
            switch (phase) {
                case "put" -> report(out, "put", size, rawMibS, run("put", objects, concurrency, i -> {
                    put(clients.get(i % clients.size()), bucket, i, 1, base, history);
                }));
                case "get" -> report(out, "get", size, rawMibS, run("get", objects, concurrency, i -> {
                    get(clients.get((i + 1) % clients.size()), bucket, i, base, history);
                }));
                case "list" -> list(out, clients.getFirst(), bucket);
                case "mixed" -> {
                    SplittableRandom rnd = new SplittableRandom(11);
                    int operations = mixedOperations == null ? objects : mixedOperations;
                    int[] objectOf = new int[operations];
                    boolean[] write = new boolean[operations];
                    for (int n = 0; n < operations; n++) {
                        objectOf[n] = rnd.nextInt(objects);
                        write[n] = rnd.nextInt(10) < 3;
                    }
                    report(out, "mixed", size, rawMibS, run("mixed", operations, concurrency, n -> {
                        int i = objectOf[n];
                        S3Client c = clients.get(n % clients.size());
                        if (write[n]) {
                            put(c, bucket, i, history.nextGeneration(i), base, history);
                        } else {
                            get(c, bucket, i, base, history);
                        }
                    }));
                }
                case "delete" -> report(out, "delete", 0, rawMibS, run("delete", objects, concurrency, i -> {
                    clients.get(i % clients.size()).deleteObject(b -> b.bucket(bucket).key(key(i)));
                }));
                default -> throw new IllegalStateException(phase);
            }
        }
        if (phases.contains("delete")) {
            clients.getFirst().deleteBucket(b -> b.bucket(bucket));
        }
        if (json != null) {
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), out);
        }
        clients.forEach(S3Client::close);
        return errors == 0 ? 0 : 1;
    }

    /** Failed operations over all phases: any makes the command end with status 1. */
    private int errors;

    /** The body of object {@code i} at generation {@code g}: the shared random bytes, stamped with both. */
    private static byte[] body(byte[] base, int i, long g) {
        byte[] b = base.clone();
        ByteBuffer.wrap(b).putInt(i).putInt((int) g);
        return b;
    }

    private static void put(S3Client c, String bucket, int i, long generation, byte[] base, WriteHistory history) {
        byte[] body = body(base, i, generation);
        long[] write = history.began(i, generation, System.nanoTime());
        c.putObject(b -> b.bucket(bucket).key(key(i)), RequestBody.fromBytes(body));
        history.acknowledged(i, write, System.nanoTime());
    }

    /**
     * A GET must return a generation begun before it ended, and not one that a PUT acknowledged
     * before it began had followed (see {@link WriteHistory}), with every other byte as written.
     */
    private static void get(S3Client c, String bucket, int i, byte[] base, WriteHistory history) {
        long began = System.nanoTime();
        byte[] got = c.getObjectAsBytes(b -> b.bucket(bucket).key(key(i))).asByteArray();
        long ended = System.nanoTime();
        if (got.length != base.length) {
            throw new IllegalStateException(key(i) + " has " + got.length + " bytes, not " + base.length);
        }
        ByteBuffer stamp = ByteBuffer.wrap(got, 0, STAMP_BYTES);
        int object = stamp.getInt();
        long generation = stamp.getInt();
        if (object != i || !Arrays.equals(got, STAMP_BYTES, got.length, base, STAMP_BYTES, base.length)) {
            throw new IllegalStateException(key(i) + " returned other bytes (object " + object + " generation " + generation + ")");
        }
        String refusal = history.refusal(i, generation, began, ended);
        if (refusal != null) {
            throw new IllegalStateException(key(i) + " returned a generation it could not: " + refusal);
        }
    }

    private void list(Map<String, Object> out, S3Client lister, String bucket) {
        long start = System.nanoTime();
        long listed = lister.listObjectsV2Paginator(b -> b.bucket(bucket).maxKeys(1000)).contents().stream().count();
        long listNanos = System.nanoTime() - start;
        if (listed != objects) {
            throw new IllegalStateException("listed " + listed + " keys of " + objects);
        }
        long prefixStart = System.nanoTime();
        long prefixes = lister.listObjectsV2Paginator(b -> b.bucket(bucket).delimiter("/")).commonPrefixes().stream().count();
        long prefixNanos = System.nanoTime() - prefixStart;
        if (prefixes != Math.min(PREFIXES, objects)) {
            throw new IllegalStateException("listed " + prefixes + " common prefixes of " + Math.min(PREFIXES, objects));
        }
        out.put("list_keys_s", round(objects * 1e9 / listNanos));
        out.put("list_delimiter_ms", round(prefixNanos / 1e6));
        System.out.printf("LIST: %d keys in %.2f s (%.0f keys/s, pages of 1000); with delimiter \"/\": %d common prefixes in %.0f ms%n",
                listed, listNanos / 1e9, objects * 1e9 / listNanos, prefixes, prefixNanos / 1e6);
    }

    private interface Op {
        void run(int i) throws Exception;
    }

    /** Latencies of a phase's successful operations, its wall time and its errors. */
    private record Phase(long[] nanos, long wallNanos, int errors, String firstError) {}

    /** Runs op(0..n-1) on {@code concurrency} threads, with a progress line every second. */
    private static Phase run(String name, int n, int concurrency, Op op) throws Exception {
        long[] nanos = new long[n];
        boolean[] failed = new boolean[n];
        AtomicInteger done = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        String[] firstError = new String[1];
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency);
             var progress = Executors.newSingleThreadScheduledExecutor()) {
            progress.scheduleAtFixedRate(() -> System.err.printf("\r%s: %d/%d done, %d errors, %.0f ops/s   ", name, done.get(), n, errors.get(),
                    done.get() * 1e9 / Math.max(1, System.nanoTime() - start)), 1, 1, java.util.concurrent.TimeUnit.SECONDS);
            List<Future<?>> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int k = i;
                all.add(pool.submit(() -> {
                    long t = System.nanoTime();
                    try {
                        op.run(k);
                        nanos[k] = System.nanoTime() - t;
                    } catch (Exception e) {
                        failed[k] = true;
                        if (errors.getAndIncrement() == 0) {
                            synchronized (firstError) {
                                firstError[0] = e.toString();
                            }
                        }
                    }
                    done.incrementAndGet();
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
            progress.shutdownNow();
        }
        long wall = System.nanoTime() - start;
        System.err.print("\r" + " ".repeat(72) + "\r");
        long[] ok = new long[n - errors.get()];
        int j = 0;
        for (int i = 0; i < n; i++) {
            if (!failed[i]) {
                ok[j++] = nanos[i];
            }
        }
        Arrays.sort(ok);
        synchronized (firstError) {
            return new Phase(ok, wall, errors.get(), firstError[0]);
        }
    }

    /**
     * Bytes the cluster writes to disk per byte stored: the bucket policy's copies, or (k+m)/k of
     * an erasure-coded one; a dev cluster's default pool keeps 3 copies; another S3 server, 1.
     */
    private double bytesWrittenPerByte() {
        if (bucketPolicy != null) {
            io.cairn.core.map.StoragePolicy policy = io.cairn.core.map.StoragePolicy.parse(bucketPolicy);
            return policy.kind() == io.cairn.core.map.StoragePolicy.Kind.REPLICATED ? policy.copies()
                    : (double) (policy.dataBlocks() + policy.parityBlocks()) / policy.dataBlocks();
        }
        return endpoints != null && !endpoints.isEmpty() ? 1 : 3;
    }

    private void report(Map<String, Object> out, String name, int size, double rawMibS, Phase p) {
        errors += p.errors();
        double ops = p.nanos().length * 1e9 / p.wallNanos();
        double mibS = ops * size / (1 << 20);
        out.put(name + "_ops_s", round(ops));
        if (size > 0) {
            out.put(name + "_mib_s", round(mibS));
        }
        out.put(name + "_p50_ms", round(percentile(p.nanos(), 0.50) / 1e6));
        out.put(name + "_p90_ms", round(percentile(p.nanos(), 0.90) / 1e6));
        out.put(name + "_p99_ms", round(percentile(p.nanos(), 0.99) / 1e6));
        out.put(name + "_max_ms", round(percentile(p.nanos(), 1.0) / 1e6));
        out.put(name + "_errors", p.errors());
        String bytes = size > 0 ? String.format(Locale.ROOT, ", %.1f MiB/s", mibS) : "";
        double written = bytesWrittenPerByte();
        String disk = name.equals("put") ? String.format(Locale.ROOT, " (x%s bytes written = %.2f of raw disk)",
                new java.text.DecimalFormat("0.##", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT)).format(written),
                written * mibS / rawMibS) : "";
        System.out.printf(Locale.ROOT, "%s: %.0f ops/s%s%s, p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors%s%n",
                name.toUpperCase(Locale.ROOT), ops, bytes, disk, percentile(p.nanos(), 0.50) / 1e6, percentile(p.nanos(), 0.90) / 1e6,
                percentile(p.nanos(), 0.99) / 1e6, percentile(p.nanos(), 1.0) / 1e6, p.errors(),
                p.firstError() == null ? "" : " (first: " + p.firstError() + ")");
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private ApacheHttpClient.Builder httpClient() throws java.io.IOException {
        ApacheHttpClient.Builder b = ApacheHttpClient.builder().maxConnections(concurrency).socketTimeout(Duration.ofMinutes(2));
        if (caBundle != null) {
            javax.net.ssl.TrustManager[] trust = io.cairn.meta.tls.ServerTls.trustOnly(caBundle).getTrustManagers();
            b.tlsTrustManagersProvider(() -> trust);
        }
        return b;
    }
}
