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
 * intervals is <em>suspect</em>. The node names the peers it watches and its suspects in its
 * heartbeat to the meta leader, which takes a node out of the write path when most of the peers
 * watching it cannot reach it, even while it still reaches the leader (see {@code PeerReachability}).
 */
final class PeerWatch {

    /** Intervals without an answer after which a peer is suspect. */
    static final int SUSPECT_AFTER_PINGS = 3;

    private final ReplicaStateMachine r;
    /** Each watched peer: when it last answered, or when watching it began. */
    private final Map<String, Long> lastHeard = new TreeMap<>();
    private long watchedEpoch = -1;
    private List<String> watching = List.of();

    PeerWatch(ReplicaStateMachine replica) {
        this.r = replica;
    }

    void pingRound() {
        List<String> peers = watching();
        lastHeard.keySet().retainAll(peers);
        long now = r.now();
        for (String peer : peers) {
            lastHeard.putIfAbsent(peer, now);
            r.call(peer, new Request.Ping(r.epoch(), r.id()), r.config().heartbeatIntervalMillis(), (answer, failure) -> {
                if (answer instanceof Reply.PingReply p && p.node().equals(peer)) {
                    lastHeard.computeIfPresent(peer, (k, before) -> Math.max(before, r.now()));
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

    /** Watched peers that have not answered for {@value #SUSPECT_AFTER_PINGS} intervals, sorted. */
    List<String> suspects(long now) {
        long after = r.config().heartbeatIntervalMillis() * SUSPECT_AFTER_PINGS;
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : lastHeard.entrySet()) {
            if (now - e.getValue() >= after) {
                out.add(e.getKey());
            }
        }
        return out;
    }
}
