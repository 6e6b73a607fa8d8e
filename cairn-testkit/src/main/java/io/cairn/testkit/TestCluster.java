package io.cairn.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.server.admin.AdminClient;
import io.cairn.server.dev.DevCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * A cluster of real node processes for tests, laid out exactly like {@code cairn dev} on free
 * ports under a temporary directory. Closing it stops every node and removes the directory
 * (unless the test failed and {@code cairn.keep} is set).
 */
public final class TestCluster implements AutoCloseable {

    public static final Duration READY_TIMEOUT = Duration.ofSeconds(180);

    private final DevCluster cluster;
    private final Path dir;

    private TestCluster(DevCluster cluster, Path dir) {
        this.cluster = cluster;
        this.dir = dir;
    }

    /** Starts {@code nodes} nodes with fast failure detection and waits until all are up. */
    public static TestCluster start(int nodes) throws IOException {
        return start(nodes, 500, 3000, 0);
    }

    public static TestCluster start(int nodes, long heartbeatMillis, long downAfterMillis, long capacityBytes) throws IOException {
        return start(nodes, heartbeatMillis, downAfterMillis, capacityBytes, Map.of());
    }

    /**
     * Starts {@code nodes} nodes, node {@code i} with {@code nodeSettings.get(i)} where given (its
     * data directory elsewhere, its free-space reserve, segment size or compaction interval), and
     * waits until all are up.
     */
    public static TestCluster start(int nodes, long heartbeatMillis, long downAfterMillis, long capacityBytes,
            Map<Integer, DevCluster.NodeSettings> nodeSettings) throws IOException {
        Path dir = Files.createTempDirectory("cairn-test-");
        int base = freeBasePort();
        DevCluster c = DevCluster.openOrCreate(dir, new DevCluster.Options(nodes, base, 64, heartbeatMillis, downAfterMillis,
                capacityBytes, nodeSettings));
        TestCluster t = new TestCluster(c, dir);
        try {
            c.startAll();
            c.awaitReady(READY_TIMEOUT);
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** A base port B such that B..B+2, B+100.., B+200.. for 64 nodes are all free now. */
    static int freeBasePort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            // Below the kernel's ephemeral range (32768 and up): an outgoing connection can never
            // take a node's port while the node is down between a kill and a restart.
            int base = 20_000 + ThreadLocalRandom.current().nextInt(117) * 100;
            if (free(base) && free(base + 100) && free(base + 200) && free(base + 63) && free(base + 163) && free(base + 263)) {
                return base;
            }
        }
        throw new IllegalStateException("no free port range found");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public DevCluster dev() { return cluster; }
    public Path dir() { return dir; }
    public int nodes() { return cluster.layout().nodes(); }
    public String endpoint(int i) { return cluster.layout().endpoint(i); }
    public String accessKey() { return cluster.layout().accessKey(); }
    public String secretKey() { return cluster.layout().secretKey(); }
    public AdminClient admin() { return cluster.adminClient(); }

    /** An AWS SDK v2 client talking to node {@code i}. */
    public S3Client s3(int i) {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint(i)))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey(), secretKey())))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(64)
                        .socketTimeout(Duration.ofSeconds(120)).connectionTimeout(Duration.ofSeconds(5)))
                .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD).apiCallTimeout(Duration.ofMinutes(5)))
                .build();
    }

    /** The index of the node whose id is {@code nodeId}, found through the status document. */
    public int nodeIndex(String nodeId) throws IOException {
        for (JsonNode n : admin().status().path("nodes")) {
            if (n.path("id").asText().equals(nodeId)) {
                String address = n.path("public_address").asText();
                for (int i = 0; i < nodes(); i++) {
                    if (address.equals("127.0.0.1:" + cluster.layout().s3Port(i))) {
                        return i;
                    }
                }
            }
        }
        throw new IllegalArgumentException("no node " + nodeId + " in the cluster's status");
    }

    /** The status document's entry of node {@code i}. */
    public JsonNode nodeStatus(int i) throws IOException {
        String address = "127.0.0.1:" + cluster.layout().s3Port(i);
        for (JsonNode n : admin().status().path("nodes")) {
            if (n.path("public_address").asText().equals(address)) {
                return n;
            }
        }
        throw new IllegalStateException("node " + i + " (" + address + ") is not in the cluster's status");
    }

    /** Nodes the test killed on purpose; any other node found dead at the end is reported. */
    private final java.util.Set<Integer> killedOnPurpose = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Prints, for the test's output, the log tail of every node that died without the test
     * killing it, and the errors logged by the others: a failure on CI must explain itself.
     */
    private void reportTroubledNodes() {
        for (int i = 0; i < nodes(); i++) {
            Path log = log(i);
            if (!Files.exists(log)) {
                continue;
            }
            try {
                List<String> lines = Files.readAllLines(log);
                if (!killedOnPurpose.contains(i) && cluster.pid(i).isEmpty()) {
                    System.out.println("=== node-" + i + " died without being killed by the test; last lines of its log:");
                    lines.subList(Math.max(0, lines.size() - 80), lines.size()).forEach(System.out::println);
                } else {
                    List<String> errors = lines.stream()
                            .filter(l -> l.contains(" ERROR ") || l.contains("Exception in thread") || l.contains("OutOfMemoryError"))
                            .limit(20).toList();
                    if (!errors.isEmpty()) {
                        System.out.println("=== node-" + i + " logged errors:");
                        errors.forEach(System.out::println);
                    }
                }
            } catch (IOException | RuntimeException e) {
                System.out.println("=== node-" + i + ": log unreadable: " + e);
            }
        }
    }

    public void kill(int i) {
        killedOnPurpose.add(i);
        try {
            cluster.killNode(i);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Restarts node {@code i} and waits until the map shows it up. */
    public void restart(int i) throws IOException {
        killedOnPurpose.remove(i);
        cluster.startNode(i);
        cluster.awaitReady(READY_TIMEOUT);
    }

    /** Starts node {@code i} again without waiting for it; see {@link #awaitUp}. */
    public void startAgain(int i) throws IOException {
        killedOnPurpose.remove(i);
        cluster.startNode(i);
    }

    /** Waits until node {@code i} serves S3 and the map shows it up. */
    public void awaitUp(int i, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "not checked";
        while (System.nanoTime() < deadline) {
            try {
                if (admin().healthy(endpoint(i))) {
                    String state = nodeStatus(i).path("state").asText();
                    if (state.equals("up")) {
                        return;
                    }
                    last = "state " + state;
                } else {
                    last = "not serving";
                }
            } catch (IOException | RuntimeException e) {
                last = e.toString();
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for node-" + i);
            }
        }
        throw new IOException("node-" + i + " not up after " + timeout + ": " + last);
    }

    public Path log(int i) {
        return cluster.nodeDir(i).resolve("log");
    }

    @Override
    public void close() {
        reportTroubledNodes();
        try {
            cluster.stopAll(Duration.ofSeconds(10));
        } catch (IOException e) {
            // the directory is removed below anyway
        }
        if (Boolean.getBoolean("cairn.keep")) {
            System.out.println("cluster directory kept: " + dir);
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
