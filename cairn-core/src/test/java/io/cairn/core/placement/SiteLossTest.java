package io.cairn.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which policies survive the loss of a site, judged without placing anything, and checked
 * against what the placement really does with every partition of a pool.
 */
class SiteLossTest {

    @Test
    void twoSitesCarryReplicasButNotEc4Plus2AndThreeSitesCarryBoth() {
        ClusterMap twoSites = TestMaps.map(1, TestMaps.nodes(6, 2, 3));
        assertThat(SiteLoss.risk(twoSites, StoragePolicy.replicated(2))).isEmpty();
        assertThat(SiteLoss.risk(twoSites, StoragePolicy.replicated(3))).isEmpty();
        assertThat(SiteLoss.risk(twoSites, StoragePolicy.replicated(1))).hasValueSatisfying(r -> assertThat(r).contains("rep1"));
        assertThat(SiteLoss.risk(twoSites, StoragePolicy.erasureCoded(2, 2))).isEmpty();
        assertThat(SiteLoss.risk(twoSites, StoragePolicy.erasureCoded(4, 2)))
                .hasValueSatisfying(r -> assertThat(r).contains("puts 3 of its 6 blocks").contains("more than the 2 it can lose"));
        ClusterMap threeSites = TestMaps.map(1, TestMaps.nodes(6, 3, 2));
        assertThat(SiteLoss.risk(threeSites, StoragePolicy.erasureCoded(4, 2))).isEmpty();
        assertThat(SiteLoss.risk(TestMaps.map(1, TestMaps.nodes(6, 1, 3)), StoragePolicy.replicated(1)))
                .as("one site: no claim to judge").isEmpty();
    }

    @Test
    void aSiteShortOfNodesTakesLessAndTheOthersMore() {
        List<NodeInfo> nodes = new ArrayList<>();
        nodes.add(TestMaps.node("a1", "a", "z1", TestMaps.TERABYTE));
        for (int i = 0; i < 5; i++) {
            nodes.add(TestMaps.node("b" + i, "b", "z" + i, TestMaps.TERABYTE));
        }
        ClusterMap lopsided = TestMaps.map(1, nodes);
        assertThat(SiteLoss.risk(lopsided, StoragePolicy.erasureCoded(2, 2)))
                .as("site a has one node: three of four blocks land in b").isPresent();
        assertThat(SiteLoss.risk(lopsided, StoragePolicy.replicated(3))).isEmpty();
    }

    @Test
    void theJudgementMatchesWhereThePlacementPutsEveryPartition() {
        List<String> policies = List.of("rep1", "rep2", "rep3", "rep4", "ec2+1", "ec2+2", "ec4+2", "ec3+3", "ec6+3");
        int[][] layouts = {{6, 2, 3}, {9, 3, 3}, {8, 2, 2}, {12, 3, 2}, {5, 2, 1}};
        for (int[] l : layouts) {
            for (String p : policies) {
                StoragePolicy policy = StoragePolicy.parse(p);
                if (policy.width() > l[0]) {
                    continue;
                }
                PoolInfo pool = TestMaps.pool("p", p, 64);
                ClusterMap map = TestMaps.map(1, TestMaps.nodes(l[0], l[1], l[2]), pool);
                PlacementTable table = PlacementTable.compute(map, new RendezvousPlacement());
                Map<String, String> siteOf = new HashMap<>();
                map.nodes().forEach(n -> siteOf.put(n.id(), n.site()));
                int tolerated = policy.kind() == StoragePolicy.Kind.REPLICATED ? policy.width() - 1 : policy.parityBlocks();
                boolean survives = true;
                for (int part = 0; part < pool.partitions(); part++) {
                    Map<String, Integer> perSite = new HashMap<>();
                    table.of(new PartitionId("p", part)).holders().forEach(h -> perSite.merge(siteOf.get(h), 1, Integer::sum));
                    survives &= perSite.values().stream().allMatch(c -> c <= tolerated);
                }
                assertThat(SiteLoss.risk(map, policy).isEmpty()).as("%s on %d nodes, %d sites", p, l[0], l[1]).isEqualTo(survives);
            }
        }
    }
}
