package io.cairn.bench.recovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.bench.StoreBenchmark;
import io.cairn.server.dev.DevCluster;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * Time to re-protect after losing a node: starts its own local cluster of real node processes,
 * stores {@code --data-mib} of objects (rep3), SIGKILLs one node and measures, once the node is
 * marked out, how long the others take to re-create its copies (status clean again). The rate
 * (the lost node's bytes over that time) is set against the raw fsync'd write speed of the disk
 * under the cluster's directory, measured in the same run.
 */
@Command(name = "recovery", mixinStandardHelpOptions = true,
        description = "Re-protection time after a node loss on a local cluster, against the disk's own write speed.")
public final class RecoveryBenchCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int OBJECT_BYTES = 4 << 20;
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration REPROTECT_TIMEOUT = Duration.ofMinutes(30);

    @Option(names = "--nodes", defaultValue = "5", description = "Nodes in the cluster (default: ${DEFAULT-VALUE}).")
    int nodes;
    @Option(names = "--data-mib", defaultValue = "1024", description = "Object data to store before the loss, in MiB (default: ${DEFAULT-VALUE}).")
    long dataMib;
    @Option(names = "--down-out-millis", defaultValue = "10000", description = "How long the node is down before it is marked out (default: ${DEFAULT-VALUE}).")
    long downOutMillis;
    @Option(names = "--json", description = "Also write the figures to this file as JSON.")
    Path json;
    @Option(names = "--keep", description = "Keep the cluster's directory (node logs included) instead of deleting it; its path is printed.")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        if (nodes < 4 || nodes > 16 || dataMib < 4 || dataMib > (1 << 20) || downOutMillis < 3000) {
            throw new IllegalArgumentException("need 4 <= nodes <= 16, data-mib >= 4 and down-out-millis >= 3000");
        }
        Path dir = Files.createTempDirectory("cairn-bench-recovery-");
        DevCluster cluster = DevCluster.openOrCreate(dir, new DevCluster.Options(nodes, DevCluster.freeBasePort(nodes), 64, 500, 3000, downOutMillis, 0,
                Map.of()));
        try {
            return run(cluster, dir);
        } finally {
            cluster.stopAll(Duration.ofSeconds(10));
            if (keep) {
                System.out.println("cluster directory kept: " + dir);
            } else {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private int run(DevCluster cluster, Path dir) throws Exception {
        double diskMibS = new StoreBenchmark(3000).rawWrite(Files.createDirectories(dir.resolve("bench-tmp")));
        cluster.startAll();
        cluster.awaitReady(READY_TIMEOUT);
        DevCluster.Layout layout = cluster.layout();
        List<S3Client> clients = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            clients.add(S3Client.builder().endpointOverride(URI.create(layout.endpoint(i))).region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(layout.accessKey(), layout.secretKey())))
                    .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                    .httpClientBuilder(ApacheHttpClient.builder().maxConnections(16).socketTimeout(Duration.ofMinutes(2)))
                    .build());
        }
        clients.getFirst().createBucket(b -> b.bucket("recovery"));
        int objects = (int) Math.max(1, (dataMib << 20) / OBJECT_BYTES);
        long w0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < objects; i++) {
                int n = i;
                puts.add(pool.submit(() -> clients.get(n % nodes).putObject(b -> b.bucket("recovery").key("obj-" + n),
                        RequestBody.fromInputStream(body(n), OBJECT_BYTES))));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        }
        double writeSeconds = (System.nanoTime() - w0) / 1e9;
        int victim = nodes - 1; // not a meta voter: the map keeps its quorum
        String victimAddress = layout.publicAddress(victim);
        Thread.sleep(3000); // a few heartbeats, so the victim's used bytes are current
        long victimBytes = nodeField(cluster.adminClient().status(), victimAddress).path("used_bytes").asLong();

        long k0 = System.nanoTime();
        cluster.killNode(victim);
        long outNanos = awaitStatus(cluster, s -> !nodeField(s, victimAddress).path("in").asBoolean(true));
        long cleanNanos = awaitStatus(cluster, s -> s.path("partitions").path("degraded").asInt() == 0
                && s.path("partitions").path("recovering").asInt() == 0 && s.path("degraded_mode").isNull());
        double reprotectSeconds = (cleanNanos - outNanos) / 1e9;
        double reprotectMibS = victimBytes / (double) (1 << 20) / reprotectSeconds;
        for (S3Client c : clients) {
            c.close();
        }

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("data_gib", round(objects * (double) OBJECT_BYTES / (1L << 30)));
        out.put("reprotect_seconds", round(reprotectSeconds));
        out.put("reprotect_mib_s", round(reprotectMibS));
        out.put("disk_write_mib_s", round(diskMibS));
        System.out.printf("cluster: %d nodes, rep3, %d objects of 4 MiB (%.2f GiB) written in %.1f s%n",
                nodes, objects, objects * (double) OBJECT_BYTES / (1L << 30), writeSeconds);
        System.out.printf("raw disk write (fsync every 4 MiB): %.1f MiB/s%n", diskMibS);
        System.out.printf("node %d (%.1f MiB stored) SIGKILLed; marked out after %.1f s (down-out interval %d ms)%n",
                victim, victimBytes / (double) (1 << 20), (outNanos - k0) / 1e9, downOutMillis);
        if (keep) {
            long nowNanos = System.nanoTime();
            java.time.Instant now = java.time.Instant.now();
            System.out.printf("killed at %s, marked out at %s, clean at %s%n", now.minusNanos(nowNanos - k0),
                    now.minusNanos(nowNanos - outNanos), now.minusNanos(nowNanos - cleanNanos));
        }
        System.out.printf("re-protection: %.1f s from out to clean, %.1f MiB/s = %.2f of the raw disk write speed%n",
                reprotectSeconds, reprotectMibS, reprotectMibS / diskMibS);
        if (json != null) {
            JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), out);
        }
        return 0;
    }

    private static InputStream body(int seed) {
        byte[] b = new byte[OBJECT_BYTES];
        new SplittableRandom(seed).nextBytes(b);
        return new java.io.ByteArrayInputStream(b);
    }

    private static JsonNode nodeField(JsonNode status, String publicAddress) {
        for (JsonNode n : status.path("nodes")) {
            if (n.path("public_address").asText().equals(publicAddress)) {
                return n;
            }
        }
        throw new IllegalStateException("no node at " + publicAddress + " in the status");
    }

    /** Waits until {@code done} holds for the status for 3 s in a row; returns when it first held. */
    private static long awaitStatus(DevCluster cluster, java.util.function.Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + REPROTECT_TIMEOUT.toNanos();
        long since = -1;
        while (System.nanoTime() < deadline) {
            JsonNode s;
            try {
                s = cluster.adminClient().status();
            } catch (IOException e) {
                s = null;
            }
            long now = System.nanoTime();
            if (s != null) {
                System.err.printf("\r%s: %d partitions degraded, %d recovering   ", java.time.LocalTime.now(),
                        s.path("partitions").path("degraded").asInt(), s.path("partitions").path("recovering").asInt());
            }
            if (s != null && done.test(s)) {
                if (since < 0) {
                    since = now;
                } else if (now - since >= 3_000_000_000L) {
                    System.err.println();
                    return since;
                }
            } else {
                since = -1;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the cluster did not reach the awaited state within " + REPROTECT_TIMEOUT);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
