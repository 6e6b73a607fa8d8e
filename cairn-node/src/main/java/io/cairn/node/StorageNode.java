package io.cairn.node;

import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.NodeStats;
import io.cairn.meta.MetaClient;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.node.erasure.StripeReader;
import io.cairn.node.replication.PartitionDriver;
import io.cairn.node.rpc.NodeRpcService;
import io.cairn.store.PartitionStore;
import io.cairn.store.StoreStats;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A storage node's runtime: serves the node-to-node protocol on the cluster address, registers
 * with the meta service, heartbeats, follows the map, and runs the partitions it holds.
 */
public final class StorageNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StorageNode.class);
    /** How long start-up waits for the meta service to accept the registration. */
    public static final long REGISTER_TIMEOUT_MILLIS = 120_000;
    /** Interval of the partition ticker (catch-up, stuck peering). */
    public static final long PARTITION_TICK_MILLIS = 2_000;

    private final NodeRuntimeConfig config;
    private final PartitionStore store;
    private final MetaClient meta;
    private final MapView mapView;
    private final PeerChannels peers;
    private final StripeReader stripeReader;
    private final PartitionDriver driver;
    private final PartitionClient partitionClient;
    private final PeerMonitor peerMonitor;
    private final Server server;
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("heartbeat").daemon().factory());
    /** Checks now and then whether the cluster has settled, to drop copies of partitions no longer held. */
    private final ScheduledExecutorService reclaim = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("reclaim").daemon().factory());
    /** How often a node asks whether the cluster has settled (a linearizable read of the meta state). */
    public static final long RECLAIM_CHECK_MILLIS = 10_000;
    private final Clock clock;

    private StorageNode(NodeRuntimeConfig config, PartitionStore store, MetaClient meta, Clock clock) throws IOException {
        this.config = config;
        this.store = store;
        this.meta = meta;
        this.clock = clock;
        this.mapView = new MapView(() -> meta.read().map());
        this.peers = new PeerChannels(mapView, config.rpcTimeoutMillis());
        this.stripeReader = new StripeReader(mapView, peers);
        this.driver = new PartitionDriver(config.nodeId(), store, mapView, peers, stripeReader, PARTITION_TICK_MILLIS,
                config.recoveryBytesPerSecond(), config.scrubBytesPerSecond(), config.scrubPauseMillis(), config.minCopies());
        this.partitionClient = new PartitionClient(mapView, peers, config.requestRetryMillis());
        this.peerMonitor = new PeerMonitor(config.nodeId(), mapView, peers, config.heartbeatIntervalMillis(), System::nanoTime);
        InetSocketAddress bind = Addresses.parse(config.clusterAddress());
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress(bind.getHostString(), bind.getPort()))
                .addService(new NodeRpcService(driver))
                .maxInboundMessageSize(PeerChannels.MESSAGE_BYTES_MAX)
                .executor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("node-rpc-", 0).factory()))
                .build()
                .start();
        log.info("node {} serves the cluster protocol on {}", config.nodeId(), config.clusterAddress());
    }

    /** Starts the runtime, registers with the meta service and installs the current map. */
    public static StorageNode start(NodeRuntimeConfig config, PartitionStore store, MetaClient meta) throws IOException {
        StorageNode node = new StorageNode(config, store, meta, Clock.systemUTC());
        try {
            node.register();
            node.heartbeats.scheduleWithFixedDelay(node::heartbeat, 0, config.heartbeatIntervalMillis(), TimeUnit.MILLISECONDS);
            node.peerMonitor.start();
            node.reclaim.scheduleWithFixedDelay(node::dropCopiesIfSettled, RECLAIM_CHECK_MILLIS, RECLAIM_CHECK_MILLIS,
                    TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    private void register() {
        StoreStats stats = store.stats();
        long capacity = config.capacityBytes() > 0 ? config.capacityBytes() : stats.capacityBytes();
        NodeInfo self = new NodeInfo(config.nodeId(), config.site(), config.zone(), config.publicAddress(),
                config.clusterAddress(), config.metaAddress(), capacity, NodeState.UP, true);
        long deadline = System.nanoTime() + REGISTER_TIMEOUT_MILLIS * 1_000_000L;
        while (true) {
            try {
                MetaResult r = meta.submit(new MetaCommand.RegisterNode(self));
                if (!r.ok()) {
                    throw new IllegalStateException("the meta service refused to register node " + config.nodeId() + ": " + r.error());
                }
                mapView.refresh();
                log.info("node {} registered; map epoch {}", config.nodeId(), mapView.epoch());
                return;
            } catch (RuntimeException e) {
                if (e instanceof IllegalStateException || System.nanoTime() > deadline) {
                    throw e;
                }
                log.info("waiting for the meta service to register: {}", e.toString());
                sleepQuietly(1000);
            }
        }
    }

    private void heartbeat() {
        try {
            long epoch = driver.mapEpochApplied(); // read first: the count below is at least as new as it
            StoreStats s = store.stats();
            long capacity = config.capacityBytes() > 0 ? config.capacityBytes() : s.capacityBytes();
            NodeStats stats = new NodeStats(config.nodeId(), capacity, s.usedBytes(), s.full(),
                    driver.partitionsRecovering(), clock.millis(), epoch, s.records(), driver.underProtectedRecords(),
                    peerMonitor.suspects());
            MetaResult r = meta.submit(new MetaCommand.Heartbeat(stats));
            if (r.ok() && r.epoch() > mapView.epoch()) {
                mapView.refresh();
            } else if (!r.ok() && "NO_SUCH_NODE".equals(r.error())) {
                register();
            }
        } catch (RuntimeException e) {
            log.warn("heartbeat failed: {}", e.toString());
        }
    }

    /** Drops copies of partitions this node no longer holds once the cluster has settled (space after data moved). */
    private void dropCopiesIfSettled() {
        try {
            io.cairn.meta.MetaState state = meta.read();
            if (state.settled()) {
                driver.dropCopiesNoLongerHeld(state.map().epoch());
            }
        } catch (RuntimeException e) {
            log.debug("reclaim check failed: {}", e.toString());
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public NodeRuntimeConfig config() { return config; }
    public MapView mapView() { return mapView; }
    public PartitionClient partitionClient() { return partitionClient; }
    public PeerChannels peers() { return peers; }
    public PartitionStore store() { return store; }
    public MetaClient meta() { return meta; }
    public PartitionDriver driver() { return driver; }
    public PeerMonitor peerMonitor() { return peerMonitor; }
    public StripeReader stripeReader() { return stripeReader; }

    @Override
    public void close() {
        reclaim.shutdownNow();
        heartbeats.shutdownNow();
        peerMonitor.close();
        server.shutdownNow();
        driver.close();
        stripeReader.close();
        peers.close();
    }
}
