package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Peer-to-peer heartbeats. Every heartbeat interval the node pings each node it shares a
 * partition with, up or down; a peer that has not answered for {@value #SUSPECT_AFTER_PINGS}
 * intervals, and at least {@value #SUSPECT_AFTER_MILLIS_MIN} ms (a node starting, a pause for
 * garbage collection, a loaded machine are slow, not gone), is <em>suspect</em>. A ping may take
 * that long to be answered. The node names the peers it watches and its suspects in its
 * heartbeat to the meta leader, which takes a node out of the write path when most of the peers
 * watching it cannot reach it, even while it still reaches the leader (see {@code PeerReachability}).
 */
final class PeerWatch {

    /** Intervals without an answer after which a peer is suspect. */
    static final int SUSPECT_AFTER_PINGS = 3;
    /** Silence that makes a peer suspect, whatever the interval. */
    static final long SUSPECT_AFTER_MILLIS_MIN = 3_000;

    private final ReplicaStateMachine r;
    /** Each watched peer: when it last answered, or when watching it began. */
    private final Map<String, Long> lastHeard = new TreeMap<>();
    private long watchedEpoch = -1;
    private List<String> watching = List.of();
    /** The watched peers that were down in the map last looked at. */
    private java.util.Set<String> down = java.util.Set.of();

    PeerWatch(ReplicaStateMachine replica) {
        this.r = replica;
    }

    void pingRound() {
        List<String> peers = watching();
        lastHeard.keySet().retainAll(peers);
        long now = r.now();
        java.util.Set<String> downNow = new java.util.TreeSet<>();
        for (String peer : peers) {
            if (!r.isUp(peer)) {
                downNow.add(peer);
            } else if (down.contains(peer)) {
                lastHeard.put(peer, now); // back up: it gets the full time to answer before it is suspect again
            }
        }
        down = downNow;
        for (String peer : peers) {
            lastHeard.putIfAbsent(peer, now);
            long epoch = r.epoch();
            r.call(peer, new Request.Ping(epoch, r.id()), suspectAfterMillis(), (answer, failure) -> {
                if (answer instanceof Reply.PingReply p && p.node().equals(peer)) {
                    lastHeard.computeIfPresent(peer, (k, before) -> Math.max(before, r.now()));
                    if (p.lease() && p.epoch() == epoch) {
                        r.leases.granted(peer, epoch, now); // timed from the asking
                    }
                }
            });
        }
    }

    /** The nodes that share a partition with this one in the current map, up or down, sorted. */
    List<String> watching() {
        if (r.epoch() != watchedEpoch) {
            TreeSet<String> out = new TreeSet<>();
            for (PartitionId p : r.current().heldBy(r.id())) {
                out.addAll(r.current().of(p).holders());
            }
            out.remove(r.id());
            watching = List.copyOf(out);
            watchedEpoch = r.epoch();
        }
        return watching;
    }

    /** Watched peers that have not answered for the suspect time, sorted. */
    private long suspectAfterMillis() {
        return Math.max(SUSPECT_AFTER_MILLIS_MIN, r.config().heartbeatIntervalMillis() * SUSPECT_AFTER_PINGS);
    }

    List<String> suspects(long now) {
        long after = suspectAfterMillis();
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : lastHeard.entrySet()) {
            if (now - e.getValue() >= after) {
                out.add(e.getKey());
            }
        }
        return out;
    }
}
