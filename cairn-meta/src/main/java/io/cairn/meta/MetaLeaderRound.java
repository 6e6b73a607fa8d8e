package io.cairn.meta;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * One round of the meta leader, as one pure function that the {@code MetaServer} and the
 * simulator both call: it marks out the nodes down longer than the down-out interval that the
 * capacity check lets go, enters or leaves degraded mode, clears the acting sets whose new
 * primaries have caught up, marks down the nodes silent to the leader (or half silent and
 * suspected by their peers), and marks down the nodes their peers cannot work with even though
 * they still reach the leader ({@link PeerReachability}). Its caller submits the commands in order.
 */
public final class MetaLeaderRound {

    /** @param downOutIntervalMillis how long a node is down before it may be marked out (0: never) */
    public record Settings(long downOutIntervalMillis, double fullRatio) {}

    /** One command to submit, and why (for the leader's log). */
    public record Step(MetaCommand command, String why, Cause cause) {
        public Step(MetaCommand command, String why) {
            this(command, why, Cause.OTHER);
        }
    }

    /** Why a step is taken, where it matters to a reader of the decisions (the simulator's checks). */
    public enum Cause {
        /** A node marked down because the leader no longer hears it. */
        SILENT,
        /** A node marked down while it still heartbeats, because its peers cannot work with it. */
        PEERS,
        OTHER
    }

    private MetaLeaderRound() {}

    /** What the leader submits this round, in order. Advances {@code detector}; the caller holds it exclusively. */
    public static List<Step> decide(MetaState state, FailureDetector detector, long nowNanos, Settings settings) {
        ClusterMap map = state.map();
        Map<String, NodeStats> stats = state.stats();
        List<String> silent = detector.tick(nowNanos, map);
        Set<String> downLongEnough = settings.downOutIntervalMillis() == 0 ? Set.of()
                : detector.downLongerThan(nowNanos, map, TimeUnit.MILLISECONDS.toNanos(settings.downOutIntervalMillis()));
        List<Step> steps = new ArrayList<>();
        ReprotectionCheck.Decision d = ReprotectionCheck.decide(map, stats, downLongEnough, settings.fullRatio());
        for (String nodeId : d.markOut()) {
            steps.add(new Step(new MetaCommand.MarkOut(nodeId), "down for more than " + settings.downOutIntervalMillis()
                    + " ms; its partitions are re-protected on other nodes"));
        }
        if (!Objects.equals(d.degradedReason(), map.degradedReason())) {
            steps.add(new Step(new MetaCommand.SetDegradedMode(d.degradedReason()), d.degradedReason() == null
                    ? "full redundancy is possible again" : d.degradedReason()));
        }
        List<io.cairn.core.map.ActingSet> done = ActingSets.clearable(state);
        if (!done.isEmpty()) {
            steps.add(new Step(new MetaCommand.ClearActing(done), done.size() + " partitions' new primaries have caught up and take over"));
        }
        Set<String> markedDown = new TreeSet<>();
        for (String nodeId : silent) {
            List<String> peers = detector.suspectedBy(nodeId, nowNanos, map);
            markedDown.add(nodeId);
            steps.add(new Step(new MetaCommand.MarkDown(nodeId), "no heartbeat" + (peers.isEmpty() ? "" : ", and its peers " + peers + " suspect it"),
                    Cause.SILENT));
        }
        List<PeerReachability.Removal> byPeers = detector.heardAllSinceStart(nowNanos)
                ? PeerReachability.decide(map, stats, detector.quiet(nowNanos, map), state.downForCut()) : List.of();
        for (PeerReachability.Removal removal : byPeers) {
            String nodeId = removal.nodeId();
            if (markedDown.add(nodeId)) {
                List<String> by = PeerReachability.suspecters(nodeId, map, stats);
                NodeStats own = stats.get(nodeId);
                steps.add(new Step(new MetaCommand.MarkDown(nodeId, removal.forCut()), "it still heartbeats, but its peers cannot work with it"
                        + (removal.forCut() ? ", across a cut between sites" : "") + " (suspected by "
                        + by + (own == null || own.suspects().isEmpty() ? "" : "; it cannot reach " + own.suspects()) + ")", Cause.PEERS));
            }
        }
        return steps;
    }
}
