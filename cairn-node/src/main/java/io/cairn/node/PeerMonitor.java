package io.cairn.node;

import io.cairn.core.map.NodeInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.node.rpc.PingReply;
import io.cairn.node.rpc.PingRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peer-to-peer heartbeats. Every interval this node pings each up node it shares a partition
 * with; a peer that has not answered for {@value #SUSPECT_AFTER_PINGS} intervals is
 * <em>suspect</em>. The node lists its suspects in its heartbeat to the meta leader, which marks
 * a node down sooner when several of its peers suspect it and it is silent to the leader too
 * (see {@code FailureDetector}).
 */
public final class PeerMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerMonitor.class);

    /** Intervals without an answer after which a peer is suspect. */
    public static final int SUSPECT_AFTER_PINGS = 3;

    private final String self;
    private final MapView mapView;
    private final PeerChannels peers;
    private final long intervalMillis;
    private final LongSupplier nanoClock;
    /** Each watched peer: when it last answered, or when watching it began. */
    private final Map<String, Long> lastHeard = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("peer-monitor").daemon().factory());
    private final ExecutorService pings = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ping-", 0).factory());
    private volatile long watchedEpoch = -1;
    private volatile Set<String> sharing = Set.of();

    public PeerMonitor(String self, MapView mapView, PeerChannels peers, long intervalMillis, LongSupplier nanoClock) {
        this.self = self;
        this.mapView = mapView;
        this.peers = peers;
        this.intervalMillis = intervalMillis;
        this.nanoClock = nanoClock;
    }

    public void start() {
        timer.scheduleWithFixedDelay(this::round, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    private void round() {
        try {
            Set<String> watch = watched();
            lastHeard.keySet().retainAll(watch);
            long now = nanoClock.getAsLong();
            long epoch = mapView.epoch();
            for (String peer : watch) {
                lastHeard.putIfAbsent(peer, now);
                pings.submit(() -> ping(peer, epoch));
            }
        } catch (RuntimeException e) {
            log.warn("peer ping round failed: {}", e.toString());
        }
    }

    private void ping(String peer, long epoch) {
        try {
            PingReply r = peers.stub(peer).withDeadlineAfter(intervalMillis, TimeUnit.MILLISECONDS)
                    .ping(PingRequest.newBuilder().setEpoch(epoch).setFrom(self).build());
            if (r.getNode().equals(peer)) {
                long at = nanoClock.getAsLong();
                lastHeard.computeIfPresent(peer, (k, before) -> at - before > 0 ? at : before);
            }
            mapView.ensureEpoch(r.getEpoch());
        } catch (RuntimeException e) {
            log.debug("ping to {} failed: {}", peer, e.toString());
        }
    }

    /** Up nodes that share a partition with this node in the current map. */
    private Set<String> watched() {
        MapView.Current current = mapView.current();
        if (current.epoch() != watchedEpoch) {
            Set<String> out = new TreeSet<>();
            for (PartitionId p : current.placement().heldBy(self)) {
                out.addAll(current.placement().of(p).holders());
            }
            out.remove(self);
            sharing = Set.copyOf(out);
            watchedEpoch = current.epoch();
        }
        Set<String> up = new TreeSet<>();
        for (String id : sharing) {
            current.map().node(id).filter(NodeInfo::isUp).ifPresent(n -> up.add(id));
        }
        return up;
    }

    /** Watched peers that have not answered for {@value #SUSPECT_AFTER_PINGS} intervals, sorted. */
    public List<String> suspects() {
        long now = nanoClock.getAsLong();
        long after = TimeUnit.MILLISECONDS.toNanos(intervalMillis * SUSPECT_AFTER_PINGS);
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : lastHeard.entrySet()) {
            if (now - e.getValue() >= after) {
                out.add(e.getKey());
            }
        }
        out.sort(null);
        return out;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        pings.shutdownNow();
    }
}
