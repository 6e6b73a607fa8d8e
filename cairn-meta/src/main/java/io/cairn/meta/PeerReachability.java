package io.cairn.meta;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which nodes the others cannot work with, from what the nodes report of their pings: each node
 * names the peers it pings (those it shares a partition with, {@link NodeStats#peers}) and those
 * that stopped answering ({@link NodeStats#suspects}). A node that still reaches the meta leader
 * may be of no use to its peers (its inbound traffic cut, a one-way link): its partitions' writes
 * would wait on it. Pure: a function of the map and the replicated heartbeat figures, so the leader
 * (which marks such nodes down) and the map's state machine (which keeps them down while their
 * heartbeats go on) decide alike.
 *
 * <p>Only reports made on the current map count: a report from before the latest change (a node
 * that just came back, say) says nothing about now. Among the nodes counted as up, {@code x} is
 * <em>unreachable</em> when
 * <ul>
 * <li>most of the up nodes that ping it suspect it (one-way cut into it, or cut off from them), or</li>
 * <li>it suspects most of the up nodes it pings (it cannot reach them: a one-way cut out of it),
 *     leaving out, on the leader, the nodes the leader no longer hears from either: peers that
 *     died a moment ago, not yet marked down, are unreachable for everyone, and the first node to
 *     say so is not the one at fault; or</li>
 * <li>it and an up peer suspect each other (a cut between the two) and it is the one to go: the one
 *     more peers suspect, then the greater id.</li>
 * </ul>
 */
public final class PeerReachability {

    private PeerReachability() {}

    /** {@link #toMarkDown(ClusterMap, Map, Set)} with every node heard from lately. */
    public static List<String> toMarkDown(ClusterMap map, Map<String, NodeStats> allStats) {
        return toMarkDown(map, allStats, Set.of());
    }

    /**
     * The up nodes the leader marks down, in order: each time the most suspected node that is
     * unreachable among those still counted up, until none is. Marking one down can make another
     * reachable again (a node that suspected only the first). {@code quiet} are the nodes the
     * leader has not heard from lately ({@link FailureDetector#quiet}): a node that cannot reach
     * them is not taken for cut off on their account.
     */
    public static List<String> toMarkDown(ClusterMap map, Map<String, NodeStats> allStats, Set<String> quiet) {
        Map<String, NodeStats> stats = current(allStats, map.epoch());
        Set<String> up = new TreeSet<>();
        for (NodeInfo n : map.nodes()) {
            if (n.isUp()) {
                up.add(n.id());
            }
        }
        List<String> out = new ArrayList<>();
        while (true) {
            String worst = up.stream().filter(x -> unreachable(x, up, stats, quiet))
                    .max(Comparator.<String>comparingInt(x -> suspecters(x, up, stats).size()).thenComparing(Comparator.naturalOrder()))
                    .orElse(null);
            if (worst == null) {
                return out;
            }
            out.add(worst);
            up.remove(worst);
        }
    }

    /**
     * Whether the down node {@code x}, if it came up now, would be unreachable among the nodes up
     * now: it stays down. The reports that took {@code x} out were made on the map before the one
     * that marks it down; they count until their authors report on the new map, so that a
     * heartbeat of {@code x} that arrives before theirs does not bring it straight back (only to
     * be taken out again once its peers have waited out their suspicion anew). The map's state
     * machine knows no clock, so here every suspect counts, quiet or not: a node back up that
     * still names peers that died stays down until they are marked down too.
     */
    public static boolean fenced(String x, ClusterMap map, Map<String, NodeStats> allStats) {
        Map<String, NodeStats> stats = new java.util.TreeMap<>();
        allStats.forEach((id, s) -> {
            if (s.mapEpoch() >= map.epoch() - 1) {
                stats.put(id, s);
            }
        });
        Set<String> up = new TreeSet<>();
        for (NodeInfo n : map.nodes()) {
            if (n.isUp()) {
                up.add(n.id());
            }
        }
        up.add(x);
        return unreachable(x, up, stats, Set.of());
    }

    /** The up nodes (other than {@code x}) that ping {@code x} and say it stopped answering on the current map, sorted. */
    public static List<String> suspecters(String x, ClusterMap map, Map<String, NodeStats> stats) {
        Set<String> up = new TreeSet<>();
        map.upNodes().forEach(n -> up.add(n.id()));
        return suspecters(x, up, current(stats, map.epoch()));
    }

    static List<String> suspecters(String x, Set<String> up, Map<String, NodeStats> stats) {
        List<String> out = new ArrayList<>();
        for (String y : watchers(x, up, stats)) {
            if (stats.get(y).suspects().contains(x)) {
                out.add(y);
            }
        }
        return out;
    }

    static boolean unreachable(String x, Set<String> up, Map<String, NodeStats> stats, Set<String> quiet) {
        List<String> watchers = watchers(x, up, stats);
        List<String> suspecters = suspecters(x, up, stats);
        if (!watchers.isEmpty() && suspecters.size() * 2 > watchers.size()) {
            return true;
        }
        NodeStats own = stats.get(x);
        if (own == null) {
            return false;
        }
        List<String> watched = own.peers().stream().filter(y -> !y.equals(x) && up.contains(y) && !quiet.contains(y)).toList();
        long suspected = watched.stream().filter(own.suspects()::contains).count();
        if (!watched.isEmpty() && suspected * 2 > watched.size()) {
            return true;
        }
        for (String y : suspecters) {
            if (own.suspects().contains(y)) {
                int mine = suspecters.size();
                int theirs = suspecters(y, up, stats).size();
                if (mine > theirs || mine == theirs && x.compareTo(y) > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<String> watchers(String x, Set<String> up, Map<String, NodeStats> stats) {
        List<String> out = new ArrayList<>();
        for (String y : up) {
            NodeStats s = stats.get(y);
            if (!y.equals(x) && s != null && s.peers().contains(x)) {
                out.add(y);
            }
        }
        return out;
    }

    /** The latest reports of the nodes, keeping only those made on the map of {@code epoch}. */
    static Map<String, NodeStats> current(Map<String, NodeStats> stats, long epoch) {
        Map<String, NodeStats> out = new java.util.TreeMap<>();
        stats.forEach((id, s) -> {
            if (s.mapEpoch() == epoch) {
                out.put(id, s);
            }
        });
        return out;
    }
}
