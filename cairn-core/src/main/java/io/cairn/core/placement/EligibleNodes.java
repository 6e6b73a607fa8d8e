package io.cairn.core.placement;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.PoolInfo;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The nodes of one cluster map that placement may choose (those that are in), sorted by id, with
 * their hash inputs, weights and failure-domain numbers computed once for the whole map.
 */
final class EligibleNodes {

    /** The weight of a node that declares no capacity: one byte, below any real disk. */
    static final double ZERO_CAPACITY_WEIGHT = 1.0;

    private static final double TWO_TO_MINUS_53 = 0x1.0p-53;

    private final ClusterMap map;
    private final String[] ids;
    private final byte[][] idBytes;
    private final double[] weights;
    private final int[] zoneOf;
    private final int[] siteOfZone;
    private final int sites;
    private final int zones;

    private EligibleNodes(ClusterMap map, List<NodeInfo> eligible) {
        this.map = map;
        int n = eligible.size();
        ids = new String[n];
        idBytes = new byte[n][];
        weights = new double[n];
        int[] siteOf = new int[n];
        zoneOf = new int[n];
        Map<String, Integer> siteNumbers = new HashMap<>();
        Map<List<String>, Integer> zoneNumbers = new HashMap<>();
        for (int i = 0; i < n; i++) {
            NodeInfo node = eligible.get(i);
            ids[i] = node.id();
            idBytes[i] = node.id().getBytes(StandardCharsets.UTF_8);
            weights[i] = node.capacityBytes() == 0 ? ZERO_CAPACITY_WEIGHT : (double) node.capacityBytes();
            siteOf[i] = siteNumbers.computeIfAbsent(node.site(), s -> siteNumbers.size());
            zoneOf[i] = zoneNumbers.computeIfAbsent(List.of(node.site(), node.zone()), z -> zoneNumbers.size());
        }
        sites = siteNumbers.size();
        zones = zoneNumbers.size();
        siteOfZone = new int[zones];
        for (int i = 0; i < n; i++) {
            siteOfZone[zoneOf[i]] = siteOf[i];
        }
    }

    /**
     * The eligible nodes of {@code map}.
     *
     * @throws IllegalArgumentException if the map lists a node id twice
     */
    static EligibleNodes of(ClusterMap map) {
        Set<String> seen = new HashSet<>();
        for (NodeInfo node : map.nodes()) {
            if (!seen.add(node.id())) {
                throw new IllegalArgumentException("cluster map epoch " + map.epoch() + " lists node '" + node.id() + "' twice");
            }
        }
        List<NodeInfo> eligible = map.nodes().stream()
                .filter(NodeInfo::in)
                .sorted(Comparator.comparing(NodeInfo::id))
                .toList();
        return new EligibleNodes(map, eligible);
    }

    ClusterMap map() {
        return map;
    }

    /**
     * The ordered holders of {@code partition} of {@code pool}; the caller has checked the range.
     *
     * <p>Each pick takes the node with the lowest {@code (copies in its site, copies in its zone,
     * score, id)}. Nodes of one zone share the first two keys, so a zone always yields its
     * best-scored untaken node, and no zone yields more than {@code width}: one pass keeps each
     * zone's {@code width} best nodes, and the picks then compare zones, not all nodes.
     */
    List<String> place(PoolInfo pool, int partition) {
        int n = ids.length;
        int width = Math.min(pool.policy().width(), n);
        long partitionSeed = PartitionHash.hash64(pool.name().getBytes(StandardCharsets.UTF_8), partition);
        double[] scores = new double[n];
        int[] best = new int[zones * width];
        int[] bestCount = new int[zones];
        for (int i = 0; i < n; i++) {
            long h = PartitionHash.hash64(idBytes[i], partitionSeed);
            double u = ((h >>> 11) + 1) * TWO_TO_MINUS_53;
            double score = -StrictMath.log(u) / weights[i];
            scores[i] = score;
            int zone = zoneOf[i];
            int base = zone * width;
            int count = bestCount[zone];
            if (count == width && !(score < scores[best[base + width - 1]])) {
                continue;
            }
            int slot = count < width ? count : width - 1;
            while (slot > 0 && score < scores[best[base + slot - 1]]) {
                best[base + slot] = best[base + slot - 1];
                slot--;
            }
            best[base + slot] = i;
            bestCount[zone] = Math.min(count + 1, width);
        }
        int[] siteCopies = new int[sites];
        int[] zoneCopies = new int[zones];
        String[] holders = new String[width];
        for (int pick = 0; pick < width; pick++) {
            int chosenZone = -1;
            for (int zone = 0; zone < zones; zone++) {
                if (zoneCopies[zone] < bestCount[zone]
                        && (chosenZone < 0 || preferred(zone, chosenZone, width, best, scores, siteCopies, zoneCopies))) {
                    chosenZone = zone;
                }
            }
            assert chosenZone >= 0 : "fewer eligible nodes than width";
            int chosen = best[chosenZone * width + zoneCopies[chosenZone]];
            siteCopies[siteOfZone[chosenZone]]++;
            zoneCopies[chosenZone]++;
            holders[pick] = ids[chosen];
        }
        return List.of(holders);
    }

    /** Whether the next node of zone {@code z} beats the next node of zone {@code other}. */
    private boolean preferred(int z, int other, int width, int[] best, double[] scores, int[] siteCopies, int[] zoneCopies) {
        int bySite = Integer.compare(siteCopies[siteOfZone[z]], siteCopies[siteOfZone[other]]);
        if (bySite != 0) {
            return bySite < 0;
        }
        int byZone = Integer.compare(zoneCopies[z], zoneCopies[other]);
        if (byZone != 0) {
            return byZone < 0;
        }
        int candidate = best[z * width + zoneCopies[z]];
        int incumbent = best[other * width + zoneCopies[other]];
        int byScore = Double.compare(scores[candidate] + 0.0, scores[incumbent] + 0.0);
        return byScore != 0 ? byScore < 0 : candidate < incumbent;
    }

    @Override
    public String toString() {
        return "EligibleNodes[epoch=" + map.epoch() + ", nodes=" + ids.length + ", sites=" + sites + ", zones=" + zones + "]";
    }
}
