package io.cairn.meta;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meta voter: a Ratis server holding the replicated cluster map, plus, while it leads, the
 * failure detector that marks silent nodes down.
 */
public final class MetaServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetaServer.class);

    static final long ELECTION_TIMEOUT_MIN_MILLIS = 1_000;
    static final long ELECTION_TIMEOUT_MAX_MILLIS = 2_000;
    static final long DETECTOR_PERIOD_MILLIS = 250;
    /** Attempts the leader makes to commit one MarkDown before trying again on a later tick. */
    static final int MARK_DOWN_ATTEMPTS_MAX = 3;
    /**
     * Log segments are sized to about one snapshot period of entries (clamped), so that closed
     * segments behind a snapshot can be purged and the log stays bounded.
     */
    static final long LOG_SEGMENT_BYTES_PER_ENTRY = 1024;
    static final long LOG_SEGMENT_BYTES_MIN = 16 * 1024;
    static final long LOG_SEGMENT_BYTES_MAX = 1024 * 1024;
    static final int SNAPSHOTS_KEPT = 2;
    /** Ratis retry policy (sleep,count pairs) of the leader towards an unreachable follower. */
    static final String APPENDER_RETRY_POLICY = "1ms,10, 100ms,20, 1s,1000000";

    private final MetaServerConfig config;
    private final RaftGroup group;
    private final RaftServer server;
    private final ClusterMapRaftDriver driver;
    private final FailureDetector detector;
    private final LongSupplier nanoClock;
    private final ScheduledExecutorService detectorThread;
    private final MetaClient leaderClient;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final RaftCallers callers = new RaftCallers();
    private boolean judging;

    private MetaServer(MetaServerConfig config, LongSupplier nanoClock) throws IOException {
        if (config.tls() != null && !config.tls().voter()) {
            throw new IllegalArgumentException("the certificate of node " + config.tls().nodeId() + " does not make it a meta voter"
                    + " (no DNS name " + config.tls().nodeId() + io.cairn.meta.tls.ClusterCa.VOTER_DOMAIN + "): the other voters would refuse it");
        }
        this.config = config;
        this.nanoClock = nanoClock;
        this.group = MetaGroup.group(config.clusterName(), config.voterAddresses());
        this.detector = new FailureDetector(TimeUnit.MILLISECONDS.toNanos(config.downAfterMillis()), nanoClock.getAsLong());
        this.driver = new ClusterMapRaftDriver(this::observe, this::received);
        Path storageDir = config.storageDir();
        Files.createDirectories(storageDir);
        boolean hasData = Files.isDirectory(storageDir.resolve(group.getGroupId().getUuid().toString()).resolve("current"));
        this.server = RaftServer.newBuilder()
                .setServerId(MetaGroup.peerId(config.selfAddress()))
                .setGroup(group)
                .setProperties(properties(config))
                .setParameters(RaftTls.parameters(config.tls(), callers, config.siteLinks().isEmpty() ? null
                        : new RaftSiteDelay(config.siteLinks(), config.site(),
                                node -> driver.state().map().node(node).map(io.cairn.core.map.NodeInfo::site), RaftTls::callerOf)))
                .setStateMachine(driver)
                .setOption(hasData ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                .build();
        this.leaderClient = MetaClient.forGroup(group, MARK_DOWN_ATTEMPTS_MAX, config.tls());
        this.detectorThread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "cairn-meta-failure-detector-" + MetaGroup.peerId(config.selfAddress()));
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Starts this voter: recovers its log and snapshot from {@code storageDir} if present,
     * formats a new one otherwise, and joins the group.
     *
     * @throws UncheckedIOException if the storage or the port cannot be used
     */
    public static MetaServer start(MetaServerConfig config) {
        MetaServer meta;
        try {
            meta = new MetaServer(config, System::nanoTime);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create meta voter " + config.selfAddress() + ": " + e.getMessage(), e);
        }
        try {
            meta.server.start();
        } catch (IOException e) {
            meta.close();
            throw new UncheckedIOException("cannot start meta voter " + config.selfAddress() + ": " + e.getMessage(), e);
        }
        if (config.tls() != null) {
            config.tls().revoke(meta.localState().map().removed()); // as recovered from the snapshot and log
        }
        meta.detectorThread.scheduleWithFixedDelay(meta::detectFailures,
                DETECTOR_PERIOD_MILLIS, DETECTOR_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        LOG.info("meta voter {} started in group {} with voters {}", config.selfAddress(), meta.group.getGroupId(), config.voterAddresses());
        return meta;
    }

    public MetaServerConfig config() {
        return config;
    }

    /** Whether this voter currently leads the group. */
    public boolean isLeader() {
        DivisionInfo info = divisionInfo();
        return info != null && info.isLeader();
    }

    /** The state this voter has applied so far; may lag the leader. Not a linearizable read. */
    public MetaState localState() {
        return driver.state();
    }

    /** Index of the last log entry this voter applied. */
    public long lastAppliedIndex() {
        DivisionInfo info = divisionInfo();
        return info == null ? -1 : info.getLastAppliedIndex();
    }

    /** Index of this voter's latest snapshot, or -1 without one. */
    public long latestSnapshotIndex() {
        var snapshot = driver.getLatestSnapshot();
        return snapshot == null ? -1 : snapshot.getIndex();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        detectorThread.shutdownNow();
        leaderClient.close();
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("closing meta voter {}: {}", config.selfAddress(), e.toString());
        }
        try {
            if (!detectorThread.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("failure detector of {} did not stop", config.selfAddress());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("meta voter {} closed", config.selfAddress());
    }

    private DivisionInfo divisionInfo() {
        try {
            return server.getDivision(group.getGroupId()).getInfo();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Called on the leader when a command arrives, before it is replicated. Over TLS, a command
     * its sender's certificate may not submit is refused here ({@link MetaSubmitters}). A
     * heartbeat counts from its receipt, so a node is not taken for silent while the log is slow
     * to commit (as under load). Marking it up again still waits for the command to be applied.
     */
    private void received(org.apache.ratis.protocol.ClientId client, MetaCommand command) {
        if (config.tls() != null) {
            RaftCallers.Caller caller = callers.of(client.toByteString())
                    .orElseThrow(() -> new IllegalArgumentException("no certificate is known for Raft client " + client));
            String refusal = MetaSubmitters.refusal(command, caller);
            if (refusal != null) {
                LOG.warn("meta voter {} refused {} from node {}: {}", config.selfAddress(), command.getClass().getSimpleName(),
                        caller.nodeId(), refusal);
                throw new IllegalArgumentException(refusal);
            }
        }
        if (command instanceof MetaCommand.Heartbeat h) {
            synchronized (detector) {
                long now = nanoClock.getAsLong();
                detector.heartbeat(h.stats().nodeId(), now);
                detector.suspicions(h.stats().nodeId(), h.stats().suspects(), now);
            }
        }
    }

    /** Called on the apply thread for every command applied, on every voter. */
    private void observe(MetaCommand command, MetaResult result) {
        if (!result.ok()) {
            return;
        }
        if (command instanceof MetaCommand.RemoveNode removed && config.tls() != null) {
            config.tls().revoke(List.of(removed.nodeId())); // called before the state it makes is in place
        }
        String nodeId = switch (command) {
            case MetaCommand.Heartbeat c -> c.stats().nodeId();
            case MetaCommand.RegisterNode c -> c.node().id();
            default -> null;
        };
        if (nodeId != null) {
            synchronized (detector) {
                long now = nanoClock.getAsLong();
                detector.heartbeat(nodeId, now);
                if (command instanceof MetaCommand.Heartbeat h) {
                    detector.suspicions(nodeId, h.stats().suspects(), now); // a voter that becomes leader has them too
                }
            }
        }
    }

    private void detectFailures() {
        try {
            DivisionInfo info = divisionInfo();
            boolean leading = info != null && info.isLeader() && info.isLeaderReady();
            if (!leading) {
                judging = false;
                return;
            }
            // Read before taking the detector's lock: the apply thread holds the state machine's
            // while it feeds the detector (observe), so the other order would deadlock.
            MetaState state = driver.state();
            List<MetaLeaderRound.Step> steps;
            synchronized (detector) {
                long now = nanoClock.getAsLong();
                if (!judging) {
                    detector.restart(now);
                    judging = true;
                }
                steps = MetaLeaderRound.decide(state, detector, now,
                        new MetaLeaderRound.Settings(config.downOutIntervalMillis(), config.fullRatio()));
            }
            for (MetaLeaderRound.Step step : steps) {
                if (closed.get() || Thread.currentThread().isInterrupted()) {
                    return;
                }
                MetaResult result = leaderClient.submit(step.command());
                switch (step.command()) {
                    case MetaCommand.ClearActing c -> LOG.info("meta leader {}: {} ({})", config.selfAddress(), step.why(), result);
                    case MetaCommand.SetDegradedMode c when c.reason() == null ->
                            LOG.warn("cluster leaves degraded mode: {} ({})", step.why(), result);
                    case MetaCommand.SetDegradedMode c -> LOG.warn("cluster in degraded mode: {} ({})", step.why(), result);
                    case MetaCommand.MarkOut c -> LOG.warn("meta leader {} marked node {} out ({}): {}", config.selfAddress(), c.nodeId(),
                            step.why(), result);
                    case MetaCommand.MarkDown c -> LOG.warn("meta leader {} marked node {} down ({}): {}", config.selfAddress(), c.nodeId(),
                            step.why(), result);
                    default -> LOG.info("meta leader {}: {} {} ({})", config.selfAddress(), step.command(), step.why(), result);
                }
            }
        } catch (RuntimeException e) {
            if (!closed.get()) {
                LOG.warn("failure detection round on {} failed, retrying next round: {}", config.selfAddress(), e.toString());
            }
        }
    }

    private static RaftProperties properties(MetaServerConfig config) {
        RaftProperties properties = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(properties, List.of(config.storageDir().toFile()));
        GrpcConfigKeys.Server.setHost(properties, MetaGroup.host(config.selfAddress()));
        GrpcConfigKeys.Server.setPort(properties, MetaGroup.requireAddress(config.selfAddress()));
        TimeDuration min = TimeDuration.valueOf(ELECTION_TIMEOUT_MIN_MILLIS, TimeUnit.MILLISECONDS);
        TimeDuration max = TimeDuration.valueOf(ELECTION_TIMEOUT_MAX_MILLIS, TimeUnit.MILLISECONDS);
        RaftServerConfigKeys.Rpc.setTimeoutMin(properties, min);
        RaftServerConfigKeys.Rpc.setTimeoutMax(properties, max);
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(properties, min);
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(properties, max);
        RaftServerConfigKeys.Read.setOption(properties, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setTimeout(properties, TimeDuration.valueOf(10, TimeUnit.SECONDS));
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(properties, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(properties, config.snapshotEveryEntries());
        RaftServerConfigKeys.Snapshot.setCreationGap(properties, Math.min(config.snapshotEveryEntries(), 1024));
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(properties, SNAPSHOTS_KEPT);
        long segmentBytes = Math.clamp(config.snapshotEveryEntries() * LOG_SEGMENT_BYTES_PER_ENTRY,
                LOG_SEGMENT_BYTES_MIN, LOG_SEGMENT_BYTES_MAX);
        RaftServerConfigKeys.Log.setSegmentSizeMax(properties, SizeInBytes.valueOf(segmentBytes));
        RaftServerConfigKeys.Log.setPreallocatedSize(properties, SizeInBytes.valueOf(segmentBytes));
        // A voter that comes back is retried at least every second (the default backs off to 5 s).
        RaftServerConfigKeys.Log.Appender.setRetryPolicy(properties, APPENDER_RETRY_POLICY);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(properties, true);
        RaftServerConfigKeys.Log.setPurgeGap(properties, (int) Math.min(config.snapshotEveryEntries(), Integer.MAX_VALUE));
        return properties;
    }
}
