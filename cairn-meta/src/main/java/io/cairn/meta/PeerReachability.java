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
 * <p>To take a node out, only reports made on the current map count: a report from before the
 * latest change (a node that just came back, say) says nothing about now. To keep one out, each
 * node's latest report counts, and any suspicion in them ({@link #fenced}). The leader leaves out of its reckoning the nodes
 * it no longer hears from either (they are the failure detector's to mark down, for silence):
 * peers that died a moment ago, not yet marked down, are unreachable for everyone, and the first
 * node to say so is not the one at fault; a node whose heartbeats are being lost is not judged on
 * the half of the picture that still arrives. Among the nodes counted as up, {@code x} is
 * <em>unreachable</em> when
 * <ul>
 * <li>most of the up nodes that ping it suspect it (one-way cut into it, or cut off from them), or</li>
 * <li>it suspects most of the up nodes it pings (it cannot reach them: a one-way cut out of it), or</li>
 * <li>it and an up peer suspect each other (a cut between the two) and it is the one to go.</li>
 * </ul>
 *
 * <p>A node that is unreachable among the nodes of its own site alone has a fault of its own (its
 * network, its process): of those, the one cut from the most up nodes (it suspects them or they
 * suspect it) goes first, then the greater id. When no unreachable node is, they are unreachable
 * for their cuts from other sites: the link between sites is cut, and one side must lose whole: the site with the fewest nodes up loses
 * (of equals, the greater name), whatever order the reports arrive in. Once a node of one side is
 * down, its side has fewer nodes up, so it is again that side's node that goes next. Taking nodes
 * out of both sides in turn would let each side acknowledge writes that the other, once it won,
 * would not have.
 */
public final class PeerReachability {

    private PeerReachability() {}

    /** {@link #toMarkDown(ClusterMap, Map, Set)} with every node heard from lately. */
    public static List<String> toMarkDown(ClusterMap map, Map<String, NodeStats> allStats) {
        return toMarkDown(map, allStats, Set.of());
    }

    /**
     * The up nodes the leader marks down, in order, one at a time until no node still counted up is
     * unreachable: a node with a fault of its own first, else a node of the site that loses a cut
     * between sites (see above). Marking one down can make another reachable again (a node that
     * suspected only the first). {@code quiet} are the nodes the leader has not heard from lately
     * ({@link FailureDetector#quiet}): they are neither taken out here nor counted up, so a node
     * that cannot reach them is not taken for cut off on their account.
     */
    public static List<String> toMarkDown(ClusterMap map, Map<String, NodeStats> allStats, Set<String> quiet) {
        return decide(map, allStats, quiet, Set.of()).stream().map(Removal::nodeId).toList();
    }

    /** One node to mark down, and whether it goes for a cut between sites (not a fault of its own). */
    public record Removal(String nodeId, boolean forCut) {}

    /**
     * As {@link #toMarkDown(ClusterMap, Map, Set)}, saying of each node whether it goes for a cut
     * between sites. {@code downForCut} are the nodes taken out for such a cut before and still
     * down ({@link MetaState#downForCut}): a side that has lost a node to a cut goes on losing while
     * the cut lasts, even when nodes of the other side are marked down for silence meanwhile and
     * leave it with fewer nodes up; taking nodes out of both sides in turn would let each acknowledge
     * writes the other does not have.
     */
    public static List<Removal> decide(ClusterMap map, Map<String, NodeStats> allStats, Set<String> quiet, Set<String> downForCut) {
        Map<String, NodeStats> stats = current(allStats, map.epoch());
        Set<String> up = new TreeSet<>();
        for (NodeInfo n : map.nodes()) {
            if (n.isUp() && !quiet.contains(n.id())) {
                up.add(n.id());
            }
        }
        Set<String> losingAlready = new TreeSet<>();
        for (String id : downForCut) {
            map.node(id).filter(n -> !n.isUp()).ifPresent(n -> losingAlready.add(n.site()));
        }
        return removals(up, map, stats, allStats, losingAlready);
    }

    /** Takes out, one at a time, the node that goes first, until no node still counted up is unreachable. */
    private static List<Removal> removals(Set<String> up, ClusterMap map, Map<String, NodeStats> stats, Map<String, NodeStats> allStats,
            Set<String> losingAlready) {
        List<Removal> out = new ArrayList<>();
        while (true) {
            Comparator<String> goesFirst = goesFirst(up, stats);
            List<String> unreachable = up.stream().filter(x -> unreachable(x, up, stats, stats, goesFirst)).toList();
            if (unreachable.isEmpty()) {
                return out;
            }
            // A node unreachable among the nodes of its own site alone has a fault of its own: it goes
            // before any site. Here most of the nodes of its site that ping it, by their latest
            // reports, must suspect it on the current map: one report in, of a peer it answers
            // slowly, does not make a node at one end of a cut between sites its own fault.
            String worst = unreachable.stream()
                    .filter(x -> unreachable(x, sameSite(x, up, map), stats, allStats, goesFirst))
                    .max(goesFirst).orElse(null);
            boolean forCut = false;
            if (worst == null) {
                // The others are unreachable for their cuts from other sites: a cut between sites. Of
                // the sites on it, one that already lost a node to a cut loses; else the one with the
                // fewest nodes up (then the greater name); and its node that goes first goes.
                Set<String> onCut = new TreeSet<>(unreachable);
                unreachable.forEach(x -> onCut.addAll(cutFrom(x, up, stats)));
                Map<String, Integer> upInSite = upInSite(map, out.stream().map(Removal::nodeId).toList());
                List<String> sites = onCut.stream().map(x -> siteOf(x, map)).distinct().toList();
                if (sites.size() == 1) {
                    worst = unreachable.stream().max(goesFirst).orElseThrow(); // no cut between sites after all
                } else {
                    List<String> already = sites.stream().filter(losingAlready::contains).toList();
                    String losing = already.size() == 1 ? already.getFirst() : sites.stream()
                            .min(Comparator.<String>comparingInt(site -> upInSite.getOrDefault(site, 0)).thenComparing(Comparator.reverseOrder()))
                            .orElseThrow();
                    worst = onCut.stream().filter(x -> siteOf(x, map).equals(losing)).max(goesFirst).orElseThrow();
                    forCut = true;
                }
            }
            out.add(new Removal(worst, forCut));
            up.remove(worst);
        }
    }

    /** The nodes of {@code up} in the site of {@code x}. */
    private static Set<String> sameSite(String x, Set<String> up, ClusterMap map) {
        Set<String> out = new TreeSet<>();
        String site = siteOf(x, map);
        up.stream().filter(y -> siteOf(y, map).equals(site)).forEach(out::add);
        return out;
    }

    /** How many nodes of each site are up in the map (quiet ones too), leaving out those in {@code goneNow}, taken out this round. */
    private static Map<String, Integer> upInSite(ClusterMap map, List<String> goneNow) {
        Map<String, Integer> out = new java.util.HashMap<>();
        for (NodeInfo n : map.nodes()) {
            if (n.isUp() && !goneNow.contains(n.id())) {
                out.merge(n.site(), 1, Integer::sum);
            }
        }
        return out;
    }

    /** Of two nodes counted up, the greater goes first: the one cut from more up nodes, then the greater id. */
    private static Comparator<String> goesFirst(Set<String> up, Map<String, NodeStats> stats) {
        return Comparator.<String>comparingInt(x -> cutFrom(x, up, stats).size()).thenComparing(Comparator.naturalOrder());
    }

    private static String siteOf(String id, ClusterMap map) {
        return map.node(id).map(NodeInfo::site).orElse("");
    }

    /** The up nodes {@code x} is cut from, either way: it suspects them or they suspect it. */
    static Set<String> cutFrom(String x, Set<String> up, Map<String, NodeStats> stats) {
        Set<String> cut = new TreeSet<>(suspecters(x, up, stats));
        NodeStats own = stats.get(x);
        if (own != null) {
            own.suspects().stream().filter(y -> !y.equals(x) && up.contains(y)).forEach(cut::add);
        }
        return cut;
    }

    /**
     * Whether the down node {@code x} stays down on its heartbeat: while any up node that pings it
     * still names it a suspect, or it still names an up node it pings. Taking a node out takes most
     * of its peers, or a pair that suspect each other, on reports made on the current map; keeping
     * it out takes any suspicion that stands, so that a decision holds while the cut that caused it
     * lasts: a node back would only be taken out again, and with a cut between two groups each
     * return lets the other side lose a node. Here each node's latest report counts, on whatever map
     * it was made: the reports that took {@code x} out stand until their authors report again, so
     * neither a heartbeat of {@code x} that arrives before theirs nor a map change of another cause
     * (degraded mode, an acting set cleared) brings it straight back. Up nodes report every
     * heartbeat interval and ping down peers too, so a healed node comes back one report after its
     * peers and it reach each other again. The map's state machine knows no clock, so here every
     * suspect counts, quiet or not: a node back up that still names peers that died stays down
     * until they are marked down too.
     */
    public static boolean fenced(String x, ClusterMap map, Map<String, NodeStats> allStats) {
        Set<String> up = new TreeSet<>();
        for (NodeInfo n : map.nodes()) {
            if (n.isUp() && !n.id().equals(x)) {
                up.add(n.id());
            }
        }
        if (!suspecters(x, up, allStats).isEmpty()) {
            return true;
        }
        NodeStats own = allStats.get(x);
        return own != null && own.suspects().stream().anyMatch(y -> up.contains(y) && own.peers().contains(y));
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

    /**
     * Whether {@code x} is unreachable among {@code up}, on the reports {@code stats}; the nodes that
     * ping it are those that say so in {@code pingersFrom} (the same reports, or every node's latest).
     */
    private static boolean unreachable(String x, Set<String> up, Map<String, NodeStats> stats, Map<String, NodeStats> pingersFrom,
            Comparator<String> goesFirst) {
        List<String> watchers = watchers(x, up, pingersFrom);
        List<String> suspecters = suspecters(x, up, stats);
        if (!watchers.isEmpty() && suspecters.size() * 2 > watchers.size()) {
            return true;
        }
        NodeStats own = stats.get(x);
        if (own == null) {
            return false;
        }
        List<String> watched = own.peers().stream().filter(y -> !y.equals(x) && up.contains(y)).toList();
        long suspected = watched.stream().filter(own.suspects()::contains).count();
        if (!watched.isEmpty() && suspected * 2 > watched.size()) {
            return true;
        }
        for (String y : suspecters) {
            if (own.suspects().contains(y) && goesFirst.compare(x, y) > 0) {
                return true;
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
