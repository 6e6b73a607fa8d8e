package io.cairn.bench.s3;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.bench.StoreBenchmark;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * {@code ./cairn bench s3}: a PUT-then-GET load against a running cluster with the AWS SDK, its
 * throughput set against the raw fsync'd write speed of the disk under the cluster's directory,
 * measured in the same run.
 */
@Command(name = "s3", mixinStandardHelpOptions = true,
        description = "PUT then GET N objects of SIZE bytes with C concurrent clients against a running cluster, then list them.")
public final class S3LoadCommand implements Callable<Integer> {

    @Option(names = "--dir", defaultValue = "dev-cluster", description = "A dev cluster's directory (endpoints and keys).")
    Path dir;
    @Option(names = "--objects", defaultValue = "2000", description = "Objects to write and read (default: ${DEFAULT-VALUE}).")
    int objects;
    @Option(names = "--size", defaultValue = "65536", description = "Object size in bytes (default: ${DEFAULT-VALUE}).")
    int size;
    @Option(names = "--concurrency", defaultValue = "32", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--json", description = "Also write the figures to this file as JSON.")
    Path json;

    @Override
    public Integer call() throws Exception {
        if (objects < 1 || size < 0 || size > (1 << 30) || concurrency < 1 || concurrency > 1024) {
            throw new IllegalArgumentException("need objects >= 1, 0 <= size <= 1 GiB, 1 <= concurrency <= 1024");
        }
        Map<?, ?> layout = new ObjectMapper().readValue(dir.resolve("cluster.json").toFile(), Map.class);
        int nodes = ((Number) layout.get("nodes")).intValue();
        int basePort = ((Number) layout.get("base_port")).intValue();
        String access = (String) layout.get("access_key");
        String secret = (String) layout.get("secret_key");
        List<S3Client> clients = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            clients.add(S3Client.builder()
                    .endpointOverride(URI.create("http://127.0.0.1:" + (basePort + i)))
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(access, secret)))
                    .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                    .httpClientBuilder(ApacheHttpClient.builder().maxConnections(concurrency).socketTimeout(Duration.ofMinutes(2)))
                    .build());
        }
        double rawMibS = new StoreBenchmark(3000).rawWrite(Files.createDirectories(dir.resolve("bench-tmp")));
        String bucket = "bench-" + System.currentTimeMillis();
        clients.getFirst().createBucket(b -> b.bucket(bucket));
        byte[] body = new byte[size];
        new SplittableRandom(7).nextBytes(body);

        long[] putNanos = run(objects, concurrency, i -> clients.get(i % clients.size())
                .putObject(b -> b.bucket(bucket).key(key(i)), RequestBody.fromBytes(body)));
        long putWall = putNanos[objects];
        long[] getNanos = run(objects, concurrency, i -> {
            byte[] got = clients.get((i + 1) % clients.size()).getObjectAsBytes(b -> b.bucket(bucket).key(key(i))).asByteArray();
            if (got.length != size) {
                throw new IllegalStateException(key(i) + " has " + got.length + " bytes");
            }
        });
        long getWall = getNanos[objects];

        // Listing: every key in pages of 1,000, then the common prefixes with delimiter "/".
        S3Client lister = clients.getFirst();
        long listStart = System.nanoTime();
        long listed = lister.listObjectsV2Paginator(b -> b.bucket(bucket).maxKeys(1000)).contents().stream().count();
        long listNanos = System.nanoTime() - listStart;
        if (listed != objects) {
            throw new IllegalStateException("listed " + listed + " keys of " + objects);
        }
        long prefixStart = System.nanoTime();
        long prefixesListed = lister.listObjectsV2Paginator(b -> b.bucket(bucket).delimiter("/")).commonPrefixes().stream().count();
        long prefixNanos = System.nanoTime() - prefixStart;
        if (prefixesListed != Math.min(PREFIXES, objects)) {
            throw new IllegalStateException("listed " + prefixesListed + " common prefixes of " + Math.min(PREFIXES, objects));
        }

        double putOps = objects * 1e9 / putWall;
        double getOps = objects * 1e9 / getWall;
        double putMibS = putOps * size / (1 << 20);
        double getMibS = getOps * size / (1 << 20);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("nodes", nodes);
        out.put("objects", objects);
        out.put("size_bytes", size);
        out.put("concurrency", concurrency);
        out.put("raw_write_mib_s", round(rawMibS));
        out.put("put_ops_s", round(putOps));
        out.put("put_mib_s", round(putMibS));
        out.put("put_p50_ms", round(percentile(putNanos, 0.50) / 1e6));
        out.put("put_p99_ms", round(percentile(putNanos, 0.99) / 1e6));
        out.put("get_ops_s", round(getOps));
        out.put("get_mib_s", round(getMibS));
        out.put("get_p50_ms", round(percentile(getNanos, 0.50) / 1e6));
        out.put("get_p99_ms", round(percentile(getNanos, 0.99) / 1e6));
        out.put("list_keys_s", round(objects * 1e9 / listNanos));
        out.put("list_delimiter_ms", round(prefixNanos / 1e6));
        System.out.printf("cluster: %d nodes, %d objects of %d bytes, %d clients%n", nodes, objects, size, concurrency);
        System.out.printf("raw disk write (fsync every 4 MiB): %.1f MiB/s%n", rawMibS);
        System.out.printf("PUT: %.0f ops/s, %.1f MiB/s (x3 copies = %.2f of raw disk), p50 %.1f ms, p99 %.1f ms%n",
                putOps, putMibS, 3 * putMibS / rawMibS, percentile(putNanos, 0.50) / 1e6, percentile(putNanos, 0.99) / 1e6);
        System.out.printf("GET: %.0f ops/s, %.1f MiB/s, p50 %.1f ms, p99 %.1f ms%n",
                getOps, getMibS, percentile(getNanos, 0.50) / 1e6, percentile(getNanos, 0.99) / 1e6);
        System.out.printf("LIST: %d keys in %.2f s (%.0f keys/s, pages of 1000); with delimiter \"/\": %d common prefixes in %.0f ms%n",
                listed, listNanos / 1e9, objects * 1e9 / listNanos, prefixesListed, prefixNanos / 1e6);
        if (json != null) {
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), out);
        }
        clients.forEach(S3Client::close);
        return 0;
    }

    /** Keys spread over this many common prefixes ("p00/" ... "p49/"), for the delimiter listing. */
    static final int PREFIXES = 50;

    static String key(int i) {
        return String.format("p%02d/obj-%d", i % PREFIXES, i);
    }

    private interface Op {
        void run(int i) throws Exception;
    }

    /** Runs op(0..n-1) on {@code concurrency} threads; returns each op's latency and, at index n, the wall time. */
    private static long[] run(int n, int concurrency, Op op) throws Exception {
        long[] nanos = new long[n + 1];
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
            List<Future<?>> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int k = i;
                all.add(pool.submit(() -> {
                    long t = System.nanoTime();
                    op.run(k);
                    nanos[k] = System.nanoTime() - t;
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        nanos[n] = System.nanoTime() - start;
        return nanos;
    }

    private static double percentile(long[] nanosWithWall, double q) {
        long[] s = Arrays.copyOf(nanosWithWall, nanosWithWall.length - 1);
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.floor(q * s.length))];
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
