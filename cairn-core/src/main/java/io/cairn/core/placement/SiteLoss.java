package io.cairn.core.placement;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.StoragePolicy;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Whether a storage policy's data survives the loss of a whole site on the sites a cluster has.
 * Placement spreads a partition's copies (or blocks) over the sites as evenly as their nodes
 * allow (see {@link RendezvousPlacement}), so the busiest site holds the larger even share, or
 * more where the other sites lack nodes. A replicated policy survives if a copy is outside that
 * site; an erasure-coded one if that site holds no more blocks than its parity count. A cluster
 * of one site makes no claim about site loss, and is not judged.
 */
public final class SiteLoss {

    private SiteLoss() {}

    /**
     * Why data of {@code policy} would be lost (or unreadable) with the loss of one site, given the
     * nodes of {@code map} that placement may use (in); empty if it survives, or if those nodes are
     * all in one site.
     */
    public static Optional<String> risk(ClusterMap map, StoragePolicy policy) {
        Map<String, Integer> nodesPerSite = new TreeMap<>();
        for (NodeInfo n : map.nodes()) {
            if (n.in()) {
                nodesPerSite.merge(n.site(), 1, Integer::sum);
            }
        }
        if (nodesPerSite.size() < 2) {
            return Optional.empty();
        }
        int width = policy.width();
        Map<String, Integer> share = evenShares(width, nodesPerSite);
        Map.Entry<String, Integer> busiest = share.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        int tolerated = policy.kind() == StoragePolicy.Kind.REPLICATED ? width - 1 : policy.parityBlocks();
        if (busiest.getValue() <= tolerated) {
            return Optional.empty();
        }
        String unit = policy.kind() == StoragePolicy.Kind.REPLICATED ? "copies" : "blocks";
        return Optional.of(policy + " over " + nodesPerSite.size() + " sites " + nodesPerSite + " puts " + busiest.getValue() + " of its "
                + width + " " + unit + " in site " + busiest.getKey() + ", more than the " + tolerated + " it can lose: losing that site "
                + (policy.kind() == StoragePolicy.Kind.REPLICATED ? "loses its data" : "makes its data unreadable"));
    }

    /** {@code width} slots spread over the sites as evenly as their node counts allow; beyond the nodes, evenly again. */
    static Map<String, Integer> evenShares(int width, Map<String, Integer> nodesPerSite) {
        Map<String, Integer> share = new TreeMap<>();
        nodesPerSite.keySet().forEach(s -> share.put(s, 0));
        for (int placed = 0; placed < width; placed++) {
            String pick = null;
            for (String site : share.keySet()) {
                boolean room = share.get(site) < nodesPerSite.get(site);
                if (room && (pick == null || share.get(site) < share.get(pick))) {
                    pick = site;
                }
            }
            if (pick == null) { // more slots than nodes: placement repeats nodes, evenly over the sites
                for (String site : share.keySet()) {
                    if (pick == null || share.get(site) < share.get(pick)) {
                        pick = site;
                    }
                }
            }
            share.merge(pick, 1, Integer::sum);
        }
        return share;
    }
}
