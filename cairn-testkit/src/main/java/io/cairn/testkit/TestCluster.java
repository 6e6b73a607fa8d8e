package io.cairn.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.server.admin.AdminClient;
import io.cairn.server.dev.DevCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * (unless {@code cairn.keep} is set). A failure explained through {@link #explain} carries the
 * state and log excerpts of every node, and its node logs are kept under {@code target/cluster-logs}.
 */
public final class TestCluster implements AutoCloseable {

    public static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    /** Clusters started and not closed yet. */
    private static final Set<TestCluster> OPEN = ConcurrentHashMap.newKeySet();

    private final DevCluster cluster;
    private final Path dir;

    private TestCluster(DevCluster cluster, Path dir) {
        this.cluster = cluster;
        this.dir = dir;
    }

    /** Heartbeat interval of test nodes. */
    public static final long HEARTBEAT_INTERVAL_MILLIS = 500;
    /**
     * Silence after which a test node is marked down. A heartbeat is a Raft write, and on a
     * loaded two-core machine its round trip takes seconds: with 3 s, live nodes were marked
     * down (three of four at one start), and every such flap makes all their partitions peer
     * twice. A killed node is still seen down well within the tests' waits.
     */
    public static final long DOWN_AFTER_MILLIS = 10_000;

    /** Starts {@code nodes} nodes with test failure detection and waits until all are up. */
    public static TestCluster start(int nodes) throws IOException {
        return start(nodes, HEARTBEAT_INTERVAL_MILLIS, DOWN_AFTER_MILLIS, 0);
    }

    public static TestCluster start(int nodes, long heartbeatMillis, long downAfterMillis, long capacityBytes) throws IOException {
        return start(nodes, heartbeatMillis, downAfterMillis, capacityBytes, Map.of());
    }

    /**
     * Starts {@code nodes} nodes, node {@code i} with {@code nodeSettings.get(i)} where given (its
     * data directory elsewhere, its free-space reserve, segment size, compaction interval or scrub pause), and
     * waits until all are up.
     */
    public static TestCluster start(int nodes, long heartbeatMillis, long downAfterMillis, long capacityBytes,
            Map<Integer, DevCluster.NodeSettings> nodeSettings) throws IOException {
        return start(nodes, heartbeatMillis, downAfterMillis, DevCluster.DOWN_OUT_INTERVAL_MILLIS_DEFAULT, capacityBytes, nodeSettings);
    }

    /**
     * Starts {@code nodes} nodes with test failure detection whose meta leader marks a node out
     * after {@code downOutIntervalMillis} down (0: never; otherwise at least {@link #DOWN_AFTER_MILLIS}),
     * and waits until all are up.
     */
    public static TestCluster startWithDownOutInterval(int nodes, long downOutIntervalMillis) throws IOException {
        return start(nodes, HEARTBEAT_INTERVAL_MILLIS, DOWN_AFTER_MILLIS, downOutIntervalMillis, 0, Map.of());
    }

    /**
     * Starts {@code nodes} nodes as {@link #start(int, long, long, long, Map)} does, with a meta
     * leader that marks a node out after {@code downOutIntervalMillis} down (0: never; otherwise at
     * least {@code downAfterMillis}).
     */
    public static TestCluster start(int nodes, long heartbeatMillis, long downAfterMillis, long downOutIntervalMillis, long capacityBytes,
            Map<Integer, DevCluster.NodeSettings> nodeSettings) throws IOException {
        return start(new DevCluster.Options(nodes, freeBasePort(nodes), 64, heartbeatMillis, downAfterMillis, downOutIntervalMillis,
                capacityBytes, nodeSettings));
    }

    /** Starts {@code nodes} nodes whose pool has {@code partitions} partitions, node {@code i} with {@code nodeSettings.get(i)}. */
    public static TestCluster startWithPartitions(int nodes, int partitions, Map<Integer, DevCluster.NodeSettings> nodeSettings)
            throws IOException {
        return start(new DevCluster.Options(nodes, freeBasePort(nodes), partitions, HEARTBEAT_INTERVAL_MILLIS, DOWN_AFTER_MILLIS,
                DevCluster.DOWN_OUT_INTERVAL_MILLIS_DEFAULT, 0, nodeSettings));
    }

    /** Starts {@code nodes} nodes serving S3 over HTTPS only ({@code ./cairn dev --tls}); {@link #s3} clients trust their CA. */
    public static TestCluster startTls(int nodes) throws IOException {
        return start(new DevCluster.Options(nodes, freeBasePort(nodes), 64, HEARTBEAT_INTERVAL_MILLIS, DOWN_AFTER_MILLIS,
                DevCluster.DOWN_OUT_INTERVAL_MILLIS_DEFAULT, 0, Map.of()).withTls());
    }

    /**
     * Starts {@code nodes} nodes spread in turn over {@code sites} sites ({@code ./cairn dev --sites}), with test failure detection;
     * two sites get a tie-breaker voter as node {@code nodes}, in a third site.
     */
    public static TestCluster startSites(int nodes, int sites) throws IOException {
        return startSites(nodes, sites, 0);
    }

    /** As {@link #startSites(int, int)}, with {@code siteDelayMillis} of one-way delay on node-to-node calls between sites. */
    public static TestCluster startSites(int nodes, int sites, long siteDelayMillis) throws IOException {
        return startSites(nodes, sites, siteDelayMillis, 0);
    }

    /** As {@link #startSites(int, int, long)}, with {@code siteLossPercent} of the events between sites lost and sent again. */
    public static TestCluster startSites(int nodes, int sites, long siteDelayMillis, double siteLossPercent) throws IOException {
        return start(new DevCluster.Options(nodes, freeBasePort(nodes + 1), 64, HEARTBEAT_INTERVAL_MILLIS, DOWN_AFTER_MILLIS,
                DevCluster.DOWN_OUT_INTERVAL_MILLIS_DEFAULT, 0, Map.of()).withSites(sites).withSiteDelay(siteDelayMillis)
                .withSiteLoss(siteLossPercent));
    }

    /**
     * As {@link #startSites(int, int, long, double)}, with the tie-breaker's site3 on links of its
     * own to both sites: {@code tiebreakerDelayMillis} one way, without loss ({@code site_links}).
     */
    public static TestCluster startSites(int nodes, int sites, long siteDelayMillis, double siteLossPercent, long tiebreakerDelayMillis)
            throws IOException {
        return start(new DevCluster.Options(nodes, freeBasePort(nodes + 1), 64, HEARTBEAT_INTERVAL_MILLIS, DOWN_AFTER_MILLIS,
                DevCluster.DOWN_OUT_INTERVAL_MILLIS_DEFAULT, 0, Map.of()).withSites(sites).withSiteDelay(siteDelayMillis)
                .withSiteLoss(siteLossPercent).withSiteLink("site1", "site3", tiebreakerDelayMillis, 0)
                .withSiteLink("site2", "site3", tiebreakerDelayMillis, 0));
    }

    /**
     * As {@link #startSites(int, int, long)}, with {@code nodeSettings} for the data nodes, each
     * site's nodes (and the tie-breaker, after them) on a network of its own: they serve on its
     * address and run in its namespace, and a site can be cut off while its nodes run on
     * ({@link SiteNetworks#cut}).
     */
    public static TestCluster startSites(int nodes, int sites, long siteDelayMillis, SiteNetworks networks,
            Map<Integer, DevCluster.NodeSettings> nodeSettings) throws IOException {
        return start(new DevCluster.Options(nodes, freeBasePort(nodes + 1), 64, HEARTBEAT_INTERVAL_MILLIS, DOWN_AFTER_MILLIS,
                DevCluster.DOWN_OUT_INTERVAL_MILLIS_DEFAULT, 0, nodeSettings).withSites(sites).withSiteDelay(siteDelayMillis)
                .withSiteNetworks(networks.networks()));
    }

    /**
     * Starts {@code nodes} nodes whose cluster CA was made outside the cluster: the dev cluster
     * issues their certificates with {@code ca} and gives the voters its key
     * ({@code cluster_ca_key_file}), as an operator with a CA of their own would.
     */
    public static TestCluster startWithOperatorCa(int nodes, io.cairn.meta.tls.ClusterCa ca) throws IOException {
        return start(new DevCluster.Options(nodes, freeBasePort(nodes), 64, HEARTBEAT_INTERVAL_MILLIS, DOWN_AFTER_MILLIS,
                DevCluster.DOWN_OUT_INTERVAL_MILLIS_DEFAULT, 0, Map.of()), ca);
    }

    private static TestCluster start(DevCluster.Options options) throws IOException {
        return start(options, null);
    }

    private static TestCluster start(DevCluster.Options options, io.cairn.meta.tls.ClusterCa caOrNull) throws IOException {
        Path dir = Files.createTempDirectory("cairn-test-");
        if (caOrNull != null) {
            caOrNull.save(dir.resolve("ca"));
        }
        DevCluster c = DevCluster.openOrCreate(dir, options);
        TestCluster t = new TestCluster(c, dir);
        OPEN.add(t);
        try {
            c.startAll();
            c.awaitReady(READY_TIMEOUT);
            for (int i = 0; i < c.layout().nodes(); i++) { // a tie-breaker too
                t.requireServing(i, "start");
            }
        } catch (IOException | RuntimeException e) {
            t.explain(e);
            t.close();
            throw e;
        }
        return t;
    }

    /** A base port B such that B..B+2, B+100.., B+200.. for 64 nodes are all free now. */
    static int freeBasePort() {
        return freeBasePort(DevCluster.NODES_MAX);
    }

    /** A base port B such that the S3, cluster and Raft ports of {@code nodes} nodes are all free now. */
    static int freeBasePort(int nodes) {
        return DevCluster.freeBasePort(nodes);
    }

    public DevCluster dev() { return cluster; }
    public Path dir() { return dir; }
    public int nodes() { return cluster.layout().nodes(); }
    public String endpoint(int i) { return cluster.layout().endpoint(i); }
    public String accessKey() { return cluster.layout().accessKey(); }
    public String secretKey() { return cluster.layout().secretKey(); }
    public AdminClient admin() { return cluster.adminClient(); }

    /** An admin client that asks only the nodes {@code through} (in order), not the first node that answers. */
    public AdminClient admin(List<Integer> through) {
        return new AdminClient(through.stream().map(this::endpoint).toList(), accessKey() + ":" + secretKey(), cluster.clientTls());
    }

    /** An AWS SDK v2 client talking to node {@code i} with the admin user's key. */
    public S3Client s3(int i) {
        return s3(i, accessKey(), secretKey());
    }

    /**
     * An AWS SDK v2 client talking to node {@code i} with the admin user's key that never retries
     * and gives up on a call after {@code timeout}: each call's outcome is the node's one answer.
     */
    public S3Client s3WithoutRetries(int i, Duration timeout) {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint(i)))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey(), secretKey())))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClientBuilder(httpClient())
                .overrideConfiguration(o -> o.retryStrategy(software.amazon.awssdk.awscore.retry.AwsRetryStrategy.doNotRetry()).apiCallTimeout(timeout))
                .build();
    }

    /** An AWS SDK v2 client talking to node {@code i} with the key {@code accessKey}. */
    public S3Client s3(int i, String accessKey, String secretKey) {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint(i)))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClientBuilder(httpClient())
                .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD).apiCallTimeout(Duration.ofMinutes(5)))
                .build();
    }

    private ApacheHttpClient.Builder httpClient() {
        ApacheHttpClient.Builder b = ApacheHttpClient.builder().maxConnections(64)
                .socketTimeout(Duration.ofSeconds(120)).connectionTimeout(Duration.ofSeconds(5));
        if (cluster.layout().tls()) {
            try {
                javax.net.ssl.TrustManager[] trust = io.cairn.meta.tls.ServerTls.trustOnly(cluster.publicCaFile()).getTrustManagers();
                b.tlsTrustManagersProvider(() -> trust);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return b;
    }

    /** The index of the node whose id is {@code nodeId}, found through the status document. */
    public int nodeIndex(String nodeId) throws IOException {
        for (JsonNode n : admin().status().path("nodes")) {
            if (n.path("id").asText().equals(nodeId)) {
                String address = n.path("public_address").asText();
                for (int i = 0; i < nodes(); i++) {
                    if (address.equals(cluster.layout().publicAddress(i))) {
                        return i;
                    }
                }
            }
        }
        throw new IllegalArgumentException("no node " + nodeId + " in the cluster's status");
    }

    /** The status document's entry of node {@code i}. */
    public JsonNode nodeStatus(int i) throws IOException {
        String address = cluster.layout().publicAddress(i);
        for (JsonNode n : admin().status().path("nodes")) {
            if (n.path("public_address").asText().equals(address)) {
                return n;
            }
        }
        throw new IllegalStateException("node " + i + " (" + address + ") is not in the cluster's status");
    }

    /** Pids of node processes the test ended on purpose; any other exit is reported. */
    private final Set<Long> killedPids = ConcurrentHashMap.newKeySet();
    /** Set once a failure was explained with this cluster's diagnosis: close() then keeps the logs. */
    private volatile boolean failed;

    /**
     * A report of every node for a failure: which died without the test killing it (with its
     * exit code, JVM fatal messages and the tail of its log), which are alive but do not answer
     * their health check (with the tail of their log), and the errors the others logged.
     */
    public ClusterDiagnosis diagnosis() {
        StringBuilder out = new StringBuilder("cluster in " + dir + ":\n");
        boolean troubled = false;
        for (int i = 0; i < nodes(); i++) {
            NodeLogReport r = NodeLogReport.of(i, log(i), cluster.pid(i), killedPids, nodeAnswers(i), crashFilesDir());
            troubled |= r.troubled();
            out.append(r.text());
        }
        return new ClusterDiagnosis(out.toString(), troubled);
    }

    /**
     * The dev cluster's readiness wait looks only at the nodes that run: a node that ended while
     * starting would pass it unnoticed and fail the test later, far from its cause.
     */
    private void requireServing(int i, String phase) throws IOException {
        if (cluster.pid(i).isEmpty()) {
            throw new IOException("node-" + i + " is not running after its " + phase + ": it ended while starting");
        }
        if (!admin().healthy(endpoint(i))) {
            throw new IOException("node-" + i + " does not answer on " + endpoint(i) + " after its " + phase);
        }
    }

    private boolean nodeAnswers(int i) {
        return cluster.pid(i).isPresent() && admin().healthy(endpoint(i));
    }

    /** JVM fatal error files (hs_err_pid*.log) land in the working directory of the node processes. */
    private static Path crashFilesDir() {
        return Path.of(System.getProperty("user.dir"));
    }

    /**
     * Attaches this cluster's diagnosis to {@code failure} (as a suppressed exception, so that it
     * reaches the console with the failure) and keeps the node logs when the cluster is closed.
     */
    public void explain(Throwable failure) {
        failed = true;
        try {
            failure.addSuppressed(diagnosis());
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** The clusters started and not closed yet, for extensions that explain a failing test with them. */
    public static List<TestCluster> openClusters() {
        return List.copyOf(OPEN);
    }

    /**
     * Stops this cluster, a settled backup site, and sets its nodes to start as a primary site's
     * ({@link DevCluster#runAsPrimarySite}); their ends are not reported as crashes.
     */
    public void runAsPrimarySite(long cutIntervalMillis) throws IOException {
        for (int i = 0; i < nodes(); i++) {
            cluster.pid(i).ifPresent(killedPids::add);
        }
        cluster.runAsPrimarySite(cutIntervalMillis, Duration.ofSeconds(20));
    }

    /** SIGKILLs node {@code i}; its end is not reported as a crash. */
    public void kill(int i) {
        cluster.pid(i).ifPresent(killedPids::add);
        try {
            cluster.killNode(i);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Freezes node {@code i} (SIGSTOP): its sockets stay open and take connections, but nothing
     * answers, as across a network cut that drops packets. {@link #kill} ends it.
     */
    public void freeze(int i) throws IOException, InterruptedException {
        long pid = cluster.pid(i).orElseThrow(() -> new IllegalStateException("node " + i + " is not running"));
        Process p = new ProcessBuilder("kill", "-STOP", Long.toString(pid)).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("kill -STOP " + pid + " failed");
        }
    }

    /** Restarts node {@code i} and waits until the map shows it up. */
    public void restart(int i) throws IOException {
        try {
            cluster.startNode(i);
            cluster.awaitReady(READY_TIMEOUT);
            requireServing(i, "restart");
        } catch (IOException | RuntimeException e) {
            explain(e);
            throw e;
        }
    }

    /** Starts node {@code i} again without waiting for it; see {@link #awaitUp}. */
    public void startAgain(int i) throws IOException {
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
        OPEN.remove(this);
        ClusterDiagnosis report = diagnosis();
        if (report.troubled() || failed) {
            System.out.println(report.getMessage());
            failed = true;
        }
        try {
            cluster.stopAll(Duration.ofSeconds(10));
        } catch (IOException e) {
            // the directory is removed below anyway
        }
        if (failed) {
            saveLogs();
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

    /** Copies every node's log to {@code cairn.test.logs} (default target/cluster-logs) before the directory goes. */
    private void saveLogs() {
        Path target = Path.of(System.getProperty("cairn.test.logs", "target/cluster-logs")).resolve(dir.getFileName().toString());
        try {
            Files.createDirectories(target);
            for (int i = 0; i < nodes(); i++) {
                if (Files.exists(log(i))) {
                    Files.copy(log(i), target.resolve("node-" + i + ".log"), StandardCopyOption.REPLACE_EXISTING);
                }
                try (Stream<Path> extras = Files.list(cluster.nodeDir(i))) {
                    // GC logs and JVM crash reports, where the launcher puts them next to the log
                    for (Path f : extras.filter(x -> x.getFileName().toString().matches("gc\\.log.*|hs_err_pid\\d+\\.log")).toList()) {
                        Files.copy(f, target.resolve("node-" + i + "-" + f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            System.out.println("node logs saved in " + target.toAbsolutePath());
        } catch (IOException e) {
            System.out.println("node logs could not be saved in " + target.toAbsolutePath() + ": " + e);
        }
    }
}
