package io.cairn.node;

import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.store.PartitionStore;
import io.cairn.core.store.StoreStats;
import io.cairn.meta.MetaClient;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.node.erasure.StripeReader;
import io.cairn.node.replication.ReplicaDriver;
import io.cairn.node.rpc.NodeRpcService;
import io.cairn.protocol.ReplicaConfig;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A storage node's runtime: serves the node-to-node protocol on the cluster address, registers
 * with the meta service, and runs its replica ({@link ReplicaDriver}), which heartbeats, follows
 * the map, and holds the partitions placed here.
 */
public final class StorageNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StorageNode.class);
    /**
     * How long start-up waits for the meta service to accept the registration; a meta voter waits
     * without end, since it is one of those that make the meta leader.
     */
    public static final long REGISTER_TIMEOUT_MILLIS = 120_000;

    private final NodeRuntimeConfig config;
    private final PartitionStore store;
    private final MetaClient meta;
    private final MapView mapView;
    private final PeerChannels peers;
    private final ReplicaDriver driver;
    private final StripeReader stripeReader;
    private final PartitionClient partitionClient;
    private final MetaContact contact;
    private final Server server;
    /** The same service on an in-process transport, for this node's calls to itself. */
    private final Server selfServer;

    /** Renews this node's certificate before it expires; null without cluster TLS. */
    private final CertificateRenewal renewal;

    private StorageNode(NodeRuntimeConfig config, PartitionStore store, MetaClient meta, Consumer<Throwable> onHalt, long incarnation,
                        io.cairn.meta.tls.NodeCredentials tls,
                        java.util.function.Supplier<io.cairn.meta.tls.ClusterCa> caOrNull, BackupLink backupOrNull) throws IOException {
        if (tls != null && !tls.nodeId().equals(config.nodeId())) {
            throw new IllegalArgumentException("the node certificate names node " + tls.nodeId() + ", but this node is " + config.nodeId());
        }
        this.config = config;
        this.store = store;
        this.meta = meta;
        this.mapView = new MapView(() -> meta.read().map());
        String selfName = "cairn-node-" + config.nodeId() + "-" + java.util.UUID.randomUUID();
        this.peers = new PeerChannels(mapView, config.rpcTimeoutMillis(), config.nodeId(),
                InProcessChannelBuilder.forName(selfName).maxInboundMessageSize(PeerChannels.MESSAGE_BYTES_MAX)
                        .intercept(io.cairn.node.rpc.LargeMessages.onClient()).build(), tls, config.siteLinks());
        this.contact = new MetaContact(config.downAfterMillis(), config.heartbeatIntervalMillis());
        this.driver = new ReplicaDriver(config.nodeId(), replicaConfig(config, backupOrNull != null), store, mapView, peers, meta,
                this::registerQuietly, onHalt, incarnation, contact, backupOrNull);
        this.stripeReader = new StripeReader(driver);
        this.partitionClient = new PartitionClient(mapView, peers, config.requestRetryMillis(), contact);
        driver.onReport(r -> partitionClient.suspects(r.suspects()));
        io.grpc.ServerServiceDefinition service = io.cairn.node.rpc.LargeMessages.onServer(new NodeRpcService(driver).bindService());
        // The service only decodes a call and queues it for the replica's loop: it may run on the caller's thread.
        this.selfServer = InProcessServerBuilder.forName(selfName).directExecutor().addService(service).build().start();
        InetSocketAddress bind = Addresses.parse(config.clusterAddress());
        try {
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(bind.getHostString(), bind.getPort()));
            if (tls == null) {
                builder.addService(service);
                log.warn("node {}: the cluster port {} is plaintext and unauthenticated (no cluster certificate configured)",
                        config.nodeId(), config.clusterAddress());
            } else {
                builder.sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.configure(
                                io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forServer(tls.keyManagers())
                                        .trustManager(tls.trustManager())
                                        .clientAuth(io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.REQUIRE)).build())
                        .addService(io.grpc.ServerInterceptors.intercept(service, io.cairn.node.rpc.PeerIdentity.interceptor(tls)));
                if (caOrNull != null) {
                    builder.addService(io.grpc.ServerInterceptors.intercept(new io.cairn.node.rpc.CertificateService(caOrNull),
                            io.cairn.node.rpc.PeerIdentity.interceptor(tls)));
                }
            }
            this.server = builder
                    .maxInboundMessageSize(PeerChannels.MESSAGE_BYTES_MAX)
                    .executor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("node-rpc").factory()))
                    .build()
                    .start();
        } catch (IOException | RuntimeException e) {
            selfServer.shutdownNow();
            peers.close();
            throw e;
        }
        this.renewal = tls == null ? null
                : new CertificateRenewal(config.nodeId(), tls, caOrNull, mapView, peers, java.time.Clock.systemUTC());
        log.info("node {} serves the cluster protocol on {}", config.nodeId(), config.clusterAddress());
    }

    /** @param shipping the node ships the recorded cuts to a backup site (which needs cuts: {@code cutIntervalMillis}) */
    static ReplicaConfig replicaConfig(NodeRuntimeConfig c, boolean shipping) {
        if (shipping && c.cutIntervalMillis() <= 0) {
            throw new IllegalArgumentException("shipping to a backup site needs consistent cuts (cut_interval_millis)");
        }
        return new ReplicaConfig(c.capacityBytes(), c.heartbeatIntervalMillis(), c.rpcTimeoutMillis(), c.recoveryBytesPerSecond(),
                c.scrubBytesPerSecond(), c.scrubPauseMillis(), c.minCopies(), ReplicaConfig.CATCH_UP_INTERVAL_MILLIS_DEFAULT,
                ReplicaConfig.RECLAIM_CHECK_MILLIS_DEFAULT, ReplicaConfig.RECOVERY_PULLS_MAX_DEFAULT,
                ReplicaConfig.PULL_RECORDS_IN_FLIGHT_DEFAULT, c.downAfterMillis(), c.cutIntervalMillis(), shipping);
    }

    /**
     * Starts the runtime, registers with the meta service and installs the current map.
     *
     * @param onHalt called if the replica stops on a broken invariant (the process should exit)
     */
    public static StorageNode start(NodeRuntimeConfig config, PartitionStore store, MetaClient meta, Consumer<Throwable> onHalt)
            throws IOException {
        return start(config, store, meta, onHalt, System.currentTimeMillis(), null);
    }

    /**
     * @param incarnation which run of the node process this is: larger than at any earlier start
     *                    of the same node (peers refuse mirrors an earlier run sent)
     */
    public static StorageNode start(NodeRuntimeConfig config, PartitionStore store, MetaClient meta, Consumer<Throwable> onHalt,
                                    long incarnation) throws IOException {
        return start(config, store, meta, onHalt, incarnation, null);
    }

    /**
     * @param tls this node's certificate and the cluster CA: its cluster port then serves only
     *            callers with a certificate of the cluster, and its calls to other nodes check theirs;
     *            null for plaintext
     */
    public static StorageNode start(NodeRuntimeConfig config, PartitionStore store, MetaClient meta, Consumer<Throwable> onHalt,
                                    long incarnation, io.cairn.meta.tls.NodeCredentials tls) throws IOException {
        return start(config, store, meta, onHalt, incarnation, tls, null);
    }

    /**
     * @param caOrNull the cluster CA with its key, on a node that holds it or may come to (a meta
     *                 voter): while it gives the CA, the node renews its own certificate and those
     *                 of the nodes that ask ({@link CertificateRenewal}); null on any other node
     */
    public static StorageNode start(NodeRuntimeConfig config, PartitionStore store, MetaClient meta, Consumer<Throwable> onHalt,
                                    long incarnation, io.cairn.meta.tls.NodeCredentials tls,
                        java.util.function.Supplier<io.cairn.meta.tls.ClusterCa> caOrNull)
            throws IOException {
        return start(config, store, meta, onHalt, incarnation, tls, caOrNull, null);
    }

    /**
     * @param backupOrNull the backup site this node ships the recorded cuts to, as the primary of
     *                     its partitions ({@link io.cairn.protocol.Shipping}); null: none
     */
    public static StorageNode start(NodeRuntimeConfig config, PartitionStore store, MetaClient meta, Consumer<Throwable> onHalt,
                                    long incarnation, io.cairn.meta.tls.NodeCredentials tls,
                                    java.util.function.Supplier<io.cairn.meta.tls.ClusterCa> caOrNull, BackupLink backupOrNull)
            throws IOException {
        StorageNode node = new StorageNode(config, store, meta, onHalt, incarnation, tls, caOrNull, backupOrNull);
        try {
            node.register();
            node.driver.start();
            if (node.renewal != null) {
                node.renewal.start();
            }
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    private NodeInfo self() {
        StoreStats stats = store.stats();
        long capacity = config.capacityBytes() > 0 ? config.capacityBytes() : stats.capacityBytes();
        return new NodeInfo(config.nodeId(), config.site(), config.zone(), config.publicAddress(), config.clusterAddress(),
                config.metaAddress(), capacity, NodeState.UP, !config.tiebreaker(), config.tiebreaker());
    }

    private void register() {
        long deadline = System.nanoTime() + REGISTER_TIMEOUT_MILLIS * 1_000_000L;
        while (true) {
            try {
                MetaResult r = meta.submit(new MetaCommand.RegisterNode(self()));
                if (!r.ok()) {
                    throw new IllegalStateException("the meta service refused to register node " + config.nodeId() + ": " + r.error());
                }
                mapView.refresh();
                log.info("node {} registered; map epoch {}", config.nodeId(), mapView.epoch());
                return;
            } catch (RuntimeException e) {
                if (e instanceof IllegalStateException || config.metaAddress() == null && System.nanoTime() > deadline) {
                    throw e;
                }
                log.info("waiting for the meta service to register: {}", e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while registering");
                }
            }
        }
    }

    /** The meta service forgot this node (a map restored from an older snapshot): it registers again. */
    private void registerQuietly() {
        try {
            meta.submit(new MetaCommand.RegisterNode(self()));
            log.warn("node {} registered again: the meta service did not know it", config.nodeId());
        } catch (RuntimeException e) {
            log.warn("registering again failed: {}", e.toString());
        }
    }

    public NodeRuntimeConfig config() { return config; }
    public MapView mapView() { return mapView; }
    public PartitionClient partitionClient() { return partitionClient; }

    /** Whether this node hears from the meta service. */
    public MetaContact metaContact() { return contact; }
    public PeerChannels peers() { return peers; }
    public PartitionStore store() { return store; }
    public MetaClient meta() { return meta; }
    public ReplicaDriver driver() { return driver; }
    public StripeReader stripeReader() { return stripeReader; }

    @Override
    public void close() {
        if (renewal != null) {
            renewal.close();
        }
        server.shutdownNow();
        selfServer.shutdownNow();
        driver.close();
        peers.close();
    }
}
