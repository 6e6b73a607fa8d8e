package io.cairn.server;

import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.map.UserInfo;
import io.cairn.meta.MetaClient;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.meta.MetaServer;
import io.cairn.meta.MetaServerConfig;
import io.cairn.meta.tls.NodeCredentials;
import io.cairn.node.NodeRuntimeConfig;
import io.cairn.node.StorageNode;
import io.cairn.s3.S3Gateway;
import io.cairn.s3.S3GatewayConfig;
import io.cairn.server.admin.AdminApi;
import io.cairn.server.gateway.ClusterObjectBackend;
import io.cairn.server.gateway.LifecyclePass;
import io.cairn.core.store.PartitionStore;
import io.cairn.store.RocksPartitionStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Cairn node process: opens the store, runs a meta voter if configured, joins the cluster,
 * and serves S3 and the admin API on its public address.
 */
public final class NodeProcess implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeProcess.class);
    /** How long start-up waits for a meta voter to answer. */
    public static final long META_CONNECT_TIMEOUT_MILLIS = 120_000;

    private final List<AutoCloseable> resources = new ArrayList<>();

    private NodeProcess() {}

    public static NodeProcess start(NodeConfig config) throws IOException {
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> log.error("uncaught exception in thread {}", t.getName(), e));
        NodeProcess p = new NodeProcess();
        try {
            p.startAll(config);
        } catch (RuntimeException | IOException e) {
            p.close();
            throw e;
        }
        return p;
    }

    private void startAll(NodeConfig c) throws IOException {
        Files.createDirectories(c.dataPath());
        String nodeId = NodeIdentity.loadOrCreate(c.dataPath());
        log.info("starting node {} ({})", nodeId, c);
        io.cairn.server.gateway.SseS3 sse = null;
        if (c.sseMasterKeyFile() != null) {
            try {
                sse = io.cairn.server.gateway.SseS3.load(Path.of(c.sseMasterKeyFile()));
            } catch (IOException e) {
                throw new ConfigException("sse_master_key_file: " + e.getMessage());
            }
            log.info("node {}: SSE-S3 with master key {}", nodeId, sse.keyId());
        }
        javax.net.ssl.SSLContext publicTls = null;
        if (c.tlsCertFile() != null) {
            try {
                publicTls = io.cairn.meta.tls.ServerTls.serverContext(Path.of(c.tlsCertFile()), Path.of(c.tlsKeyFile()));
            } catch (IOException e) {
                throw new ConfigException("tls_cert_file/tls_key_file: " + e.getMessage());
            }
        }
        NodeCredentials tls = credentials(c, nodeId, sse);
        PartitionStore store = RocksPartitionStore.open(c.storePaths(), c.storeConfig());
        resources.add(store);

        // One set of emulated links (tests) for the node's calls and its voter's Raft: a voter's
        // Raft callers are known by their certificates, so without cluster TLS only the node's calls are delayed.
        io.cairn.meta.SiteLinks siteLinks = c.emulatedSiteLinks();
        MetaServer meta = null;
        if (c.metaAddress() != null) {
            meta = MetaServer.start(new MetaServerConfig(c.clusterName(), c.metaAddress(), c.metaVoters(),
                    c.dataPath().resolve("meta"), c.downAfterMillis(), MetaServerConfig.SNAPSHOT_EVERY_ENTRIES_DEFAULT,
                    c.downOutIntervalMillis(), c.fullRatio(), tls, c.site(),
                    tls == null ? null : siteLinks));
            resources.add(meta);
        }
        io.cairn.server.join.ClusterAuthority ca = authority(c, tls, sse, meta);
        io.cairn.meta.tls.BootstrapToken bootstrapToken = c.bootstrapToken() == null ? null
                : io.cairn.meta.tls.BootstrapToken.parse(c.bootstrapToken());
        io.cairn.server.join.BootstrapJoinServer firstJoins = null;
        if (bootstrapToken != null && ca != null && ca.get() != null
                && java.time.Instant.now().isBefore(io.cairn.meta.tls.BootstrapToken.admitsUntil(ca.get().createdAt()))) {
            // The other first nodes, voters among them, need their certificates before the map can exist.
            firstJoins = io.cairn.server.join.BootstrapJoinServer.start(io.cairn.node.Addresses.parse(c.publicAddress()), publicTls,
                    new io.cairn.server.join.NodeAdmission(tls.caCertificate(), ca, bootstrapToken, command -> {
                        throw new io.cairn.meta.MetaUnavailableException("the cluster map is not up yet");
                    }, Clock.systemUTC()));
            resources.add(firstJoins);
        }
        MetaClient metaClient = connectMeta(c, tls);
        resources.add(metaClient);
        if (c.metaAddress() != null) {
            io.cairn.server.gateway.SseS3 secrets = sse;
            MetaServer voter = meta;
            untilTheVotersAnswer("the bootstrap of the cluster map", () -> bootstrap(c, metaClient, secrets, voter));
        }
        if (ca != null) {
            untilTheVotersAnswer("publishing the cluster CA key", () -> ca.publish(metaClient::submit));
        }
        if (firstJoins != null) {
            firstJoins.close(); // the gateway takes the port, and admits the late ones
            resources.remove(firstJoins);
        }

        untilTheVotersAnswer("reading whether this cluster is a backup site", () -> requireBackupSiteAsConfigured(c, metaClient));

        // With consistent cuts on, a cluster that is no backup site itself ships them to the backup
        // site linked in its meta service (cairn admin replicate add), if any.
        io.cairn.server.backup.LinkedBackupSite backupLink = c.cutIntervalMillis() > 0 && !c.backupSite()
                ? new io.cairn.server.backup.LinkedBackupSite(metaClient, sse, c.region()).start() : null;
        if (backupLink != null) {
            resources.add(backupLink);
        }
        StorageNode node = StorageNode.start(new NodeRuntimeConfig(nodeId, c.site(), c.zone(), c.publicAddress(),
                c.clusterAddress(), c.metaAddress(), c.capacityBytes(), c.heartbeatIntervalMillis(), c.chunkSizeBytes(),
                c.rpcTimeoutMillis(), c.requestRetryMillis(), c.recoveryBytesPerSecond(), c.scrubBytesPerSecond(),
                c.scrubPauseMillis(), c.minCopies(), siteLinks, c.tiebreaker(), c.downAfterMillis(), c.cutIntervalMillis()), store, metaClient, NodeProcess::halt, NodeIdentity.nextIncarnation(c.dataPath()),
                tls, ca, backupLink);
        resources.add(node);
        io.cairn.server.backup.BackupProgress backupProgress = null;
        if (backupLink != null) {
            resources.add(new io.cairn.server.backup.BucketShipper(node.mapView(), nodeId, backupLink).start());
            backupProgress = new io.cairn.server.backup.BackupProgress(backupLink).start();
            resources.add(backupProgress);
        }

        var publicAddr = io.cairn.node.Addresses.parse(c.publicAddress());
        io.cairn.server.backup.BackupMarks marks = null;
        io.cairn.server.backup.BackupSite backupSite = null;
        io.cairn.node.Records records = node.partitionClient();
        if (c.backupSite()) {
            marks = new io.cairn.server.backup.BackupMarks(metaClient);
            resources.add(marks);
            records = new io.cairn.server.backup.BackupView(node.partitionClient(), marks);
        }
        ClusterObjectBackend backend = new ClusterObjectBackend(node, c.chunkSizeBytes(), Clock.systemUTC(), sse, c.bucketsPerUserMax(),
                records, marks).withLifecycleDay(c.lifecycleDaySeconds() * 1000);
        if (c.backupSite()) {
            backupSite = new io.cairn.server.backup.BackupSite(node, marks, bucket -> shownEmpty(backend, bucket)).start();
            resources.add(backupSite);
        }
        io.cairn.server.gateway.ChunkSweep chunkSweep = backend.chunkSweep(nodeId, c.orphanChunkGraceSeconds() * 1000);
        resources.add(chunkSweep);
        AdminApi admin = new AdminApi(node, Clock.systemUTC(), c.metricsToken(), admission(tls, ca, bootstrapToken, metaClient), sse,
                c.bucketsPerUserMax()).withSseKeys(backend::sseKeyUse).withBackupSite(backupSite)
                .withBackupProgress(backupProgress).withBackupLink(backupLink)
                .withChunkSweep(chunkSweep, c.orphanChunkGraceSeconds() * 1000, c.requestDeadlineSeconds() * 1000, backend::readOnlyReason);
        S3Gateway gateway = S3Gateway.start(new S3GatewayConfig(publicAddr.getHostString(), publicAddr.getPort(), c.region(),
                c.clockSkewSeconds() * 1000, List.of(), c.concurrentRequestsMax(), S3GatewayConfig.BODY_BYTES_MAX,
                c.failedSignaturesPerMinute(), c.minUploadBytesPerSecond(),
                c.requestDeadlineSeconds() * 1000, c.userRequestsPerSecond()), backend, admin, Clock.systemUTC(), publicTls);
        resources.add(gateway);
        resources.add(new LifecyclePass(backend, node.mapView(), nodeId, backend.lifecycleDayMillis(), Clock.systemUTC()).start());
        chunkSweep.start();
        log.info("node {} ready: S3 on {}://{}", nodeId, publicTls == null ? "http" : "https", c.publicAddress());
    }

    /**
     * What admits nodes that join with a token: on a node that holds the cluster CA (a meta
     * voter) it signs their certificates; on any other it only makes tokens. Null without cluster TLS.
     */
    private static io.cairn.server.join.NodeAdmission admission(NodeCredentials tls, io.cairn.server.join.ClusterAuthority ca,
                                                                io.cairn.meta.tls.BootstrapToken bootstrapOrNull, MetaClient meta) {
        return tls == null ? null : new io.cairn.server.join.NodeAdmission(tls.caCertificate(), ca, bootstrapOrNull, meta::submit,
                Clock.systemUTC());
    }

    /**
     * How this node holds the cluster CA: the operator's key file ({@code cluster_ca_key_file});
     * on a meta voter with a master key, the key sealed in the voters' state; else not at all.
     * Null without cluster TLS.
     */
    private static io.cairn.server.join.ClusterAuthority authority(NodeConfig c, NodeCredentials tls, io.cairn.server.gateway.SseS3 sse,
                                                                  MetaServer metaOrNull) {
        if (tls == null) {
            return null;
        }
        if (c.clusterCaKeyFile() != null) {
            try {
                return io.cairn.server.join.ClusterAuthority.fixed(io.cairn.meta.tls.ClusterCa.load(tls.caCertificate(),
                        Path.of(c.clusterCaKeyFile())));
            } catch (IOException e) {
                throw new ConfigException("cluster_ca_key_file: " + e.getMessage());
            }
        }
        if (metaOrNull == null || sse == null) {
            return io.cairn.server.join.ClusterAuthority.none(tls.caCertificate());
        }
        return io.cairn.server.join.ClusterAuthority.voter(tls.caCertificate(), sse, c.dataPath(),
                () -> metaOrNull.localState().clusterCaKey());
    }

    /** This node's certificate for the cluster's connections, or null (plaintext) when none is configured. */
    private static NodeCredentials credentials(NodeConfig c, String nodeId, io.cairn.server.gateway.SseS3 sse) throws IOException {
        if (c.clusterTlsDir() == null) {
            log.warn("node {}: no cluster_tls_dir is configured: its cluster and meta ports are plaintext and accept any caller", nodeId);
            return null;
        }
        NodeCredentials tls;
        Path dir = Path.of(c.clusterTlsDir());
        if (!NodeCredentials.existIn(dir)) {
            if (c.joinToken() == null && c.bootstrapToken() != null && c.isFirstVoter()) {
                // A new cluster's first voter makes the cluster CA, and its own certificate with it.
                io.cairn.meta.tls.ClusterCa ca = io.cairn.server.join.ClusterAuthority.create(c.clusterName(), sse, c.dataPath());
                ca.issue(nodeId, hosts(c), true).save(dir);
            } else {
                join(c, nodeId, dir);
            }
        }
        try {
            tls = NodeCredentials.load(dir);
        } catch (IOException e) {
            throw new ConfigException("cluster_tls_dir: " + e.getMessage());
        }
        if (!tls.nodeId().equals(nodeId)) {
            throw new ConfigException("cluster_tls_dir: the certificate in " + c.clusterTlsDir() + " names node " + tls.nodeId()
                    + ", but this node is " + nodeId + " (" + c.dataPath().resolve("node-id") + "). If this node's data"
                    + " directory was lost and made anew, it is a new node: empty " + c.clusterTlsDir() + " so that it joins with a"
                    + " join token (its old identity stays in the map, down, until it is marked out and its copies re-made)");
        }
        log.info("node {}: cluster and meta traffic over mutual TLS; certificate valid until {}", nodeId, tls.certificate().getNotAfter());
        return tls;
    }

    /** How long a node with a join token keeps trying its join endpoints. */
    static final Duration JOIN_TIMEOUT = Duration.ofMinutes(2);

    /** Gets this node's certificate from the cluster with its join token (see {@code cairn admin node token}). */
    private static void join(NodeConfig c, String nodeId, Path dir) {
        try {
            javax.net.ssl.SSLContext trust = c.joinCaBundle() == null ? null
                    : io.cairn.meta.tls.ServerTls.clientContext(Path.of(c.joinCaBundle()));
            String token = c.joinToken() != null ? c.joinToken() : c.bootstrapToken();
            io.cairn.server.join.NodeJoin.join(c.joinEndpoints(), token, c.metaAddress() != null, nodeId, hosts(c), dir, trust,
                    JOIN_TIMEOUT);
        } catch (io.cairn.server.join.NodeJoin.RefusedException e) {
            throw new ConfigException("join_token: " + e.getMessage());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("node " + nodeId + " could not join the cluster: " + e.getMessage(), e);
        }
    }

    /** The hosts of this node's addresses: what its certificate names. */
    private static List<String> hosts(NodeConfig c) {
        List<String> hosts = new ArrayList<>();
        for (String a : new String[] {c.publicAddress(), c.clusterAddress(), c.metaAddress()}) {
            if (a != null) {
                hosts.add(io.cairn.node.Addresses.parse(a).getHostString());
            }
        }
        return hosts.stream().distinct().toList();
    }

    private static MetaClient connectMeta(NodeConfig c, NodeCredentials tls) {
        long deadline = System.nanoTime() + META_CONNECT_TIMEOUT_MILLIS * 1_000_000L;
        while (true) {
            try {
                return MetaClient.connect(c.clusterName(), c.metaVoters(), tls);
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no meta voter of " + c.metaVoters() + " answered within "
                            + META_CONNECT_TIMEOUT_MILLIS / 1000 + " s: " + e.getMessage(), e);
                }
                log.info("waiting for a meta voter of {}: {}", c.metaVoters(), e.getMessage());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while connecting to the meta service");
                }
            }
        }
    }

    /**
     * The replica broke an invariant of the protocol: the process stops at once (exit code 70),
     * without serving another request from a state it cannot trust. A supervisor may restart it;
     * it then rebuilds its state from its disk and peers like any node that comes back.
     */
    private static void halt(Throwable why) {
        log.error("node halts: {}", why.toString());
        Runtime.getRuntime().halt(70);
    }

    /**
     * A node of a cluster that took a primary site's rounds, and is not settled since its promotion,
     * serves the kept states: it refuses to start without {@code backup_site: true}, which would serve
     * them as keys of their own (and leave out every key not written since).
     */
    private static void requireBackupSiteAsConfigured(NodeConfig c, MetaClient meta) {
        io.cairn.meta.BackupMark mark = meta.readBackupMark();
        if (!c.backupSite() && mark.needsBackupNodes()) {
            throw new ConfigException("backup_site: this cluster is a backup site (it shows round " + mark.shownRound() + ", "
                    + mark.stage() + "), so every node needs backup_site: true. A promoted site may run without it once it is "
                    + "settled (cairn admin replicate status shows stage settled), and not before");
        }
        if (c.backupSite() && mark.settled()) {
            log.info("this cluster was a backup site, promoted at round {} and settled: it keeps no state any more, and its nodes may run"
                    + " without backup_site: true (and with cut_interval_millis, to ship to a backup site of their own)", mark.shownRound());
        }
    }

    /**
     * Runs a voter's start-up submission, again for as long as the meta group has no leader: a
     * voter is one of those that make the leader, so it waits for the others to come rather than
     * exit (after a power cut the voters return in any order, minutes apart). A refusal is final.
     */
    private static void untilTheVotersAnswer(String what, Runnable submission) {
        long start = System.nanoTime();
        long nextLog = 0;
        while (true) {
            try {
                submission.run();
                return;
            } catch (io.cairn.meta.MetaUnavailableException e) {
                long waited = (System.nanoTime() - start) / 1_000_000;
                if (waited >= nextLog) {
                    log.info("{} waits for a meta leader ({} s so far): {}", what, waited / 1000, e.getMessage());
                    nextLog = waited + 10_000;
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a meta leader: " + what);
                }
            }
        }
    }

    /**
     * Every voter proposes the same bootstrap; the first one applied wins, the others are no-ops.
     * A voter whose own state already holds the bootstrapped map (recovered from its disk) has
     * nothing to propose.
     */
    private static void bootstrap(NodeConfig c, MetaClient meta, io.cairn.server.gateway.SseS3 secretsOrNull, MetaServer voter) {
        if (!voter.localState().map().clusterId().isEmpty()) {
            return;
        }
        String secret = secretsOrNull == null ? c.adminSecretKey() : secretsOrNull.sealSecret(c.adminAccessKey(), c.adminSecretKey());
        MetaResult r = meta.submit(new MetaCommand.Bootstrap(c.clusterName(),
                List.of(new PoolInfo(io.cairn.server.gateway.BucketCreator.DEFAULT_POOL, StoragePolicy.replicated(3), c.partitions())),
                new UserInfo(c.adminAccessKey(), secret, "admin", true)));
        if (!r.ok()) {
            throw new IllegalStateException("bootstrap of the cluster map failed: " + r.error());
        }
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", resources.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        resources.clear();
    }

    /** Whether a backup site's gateways show no object of {@code bucket} (false if that cannot be read now: it is asked again). */
    private static boolean shownEmpty(ClusterObjectBackend backend, String bucket) {
        try {
            return backend.listObjects(bucket, "", "", 1).isEmpty();
        } catch (io.cairn.s3.S3Exception e) {
            log.warn("backup site: whether bucket {} shows any object cannot be read now: {}", bucket, e.getMessage());
            return false;
        }
    }
}
