package io.cairn.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.placement.PlacementTable;
import io.cairn.node.MapView;
import java.util.List;
import java.util.Map;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class BucketViewTest {

    private static final ClusterMap MAP = new ClusterMap(9, "c",
            List.of(new NodeInfo("n1", "s", "z", "h:1", "h:2", null, 1L << 30, NodeState.UP, true)),
            List.of(new PoolInfo("rep3", StoragePolicy.replicated(3), 4), new PoolInfo("ec4+2", StoragePolicy.erasureCoded(4, 2), 4)),
            List.of(new BucketInfo("photos", "rep3", "ROOT", 1L, 8),
                    new BucketInfo("archive", "rep3", "ALICE", 2L, 8, "ec4+2"),
                    new BucketInfo("logs", "rep3", "ALICE", 3L, 8, "ec4+2")),
            List.of());

    @Test
    void showsThePolicyOfTheDataPool() throws Exception {
        BucketView archive = BucketView.of(MAP.bucket("archive").orElseThrow(), MAP);
        assertThat(archive).isEqualTo(new BucketView("archive", "ALICE", "ec4+2", "rep3", "ec4+2", 2L, List.of(), false, null));
        assertThat(BucketView.of(MAP.bucket("photos").orElseThrow(), MAP))
                .isEqualTo(new BucketView("photos", "ROOT", "rep3", "rep3", "rep3", 1L, List.of(), false, null));
        assertThat(new ObjectMapper().writeValueAsString(archive)).isEqualTo(
                "{\"name\":\"archive\",\"owner\":\"ALICE\",\"policy\":\"ec4+2\",\"index_pool\":\"rep3\",\"data_pool\":\"ec4+2\",\"created_millis\":2,\"grants\":[],\"public_read\":false}");
    }

    @Test
    void aBucketWhosePolicyCannotSurviveASiteLossSaysWhyAndTheStatusToo() throws Exception {
        List<NodeInfo> nodes = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            nodes.add(new NodeInfo("n" + i, "site" + (i % 2 + 1), "zone" + (i / 2 + 1), "h:" + i, "h:c" + i, null, 1L << 30, NodeState.UP, true));
        }
        ClusterMap twoSites = new ClusterMap(9, "c", nodes, MAP.pools(), MAP.buckets(), List.of());
        BucketView archive = BucketView.of(twoSites.bucket("archive").orElseThrow(), twoSites);
        assertThat(archive.siteLossRisk()).contains("puts 3 of its 6 blocks in site").contains("more than the 2 it can lose");
        assertThat(new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(archive)).path("site_loss_risk").asText())
                .isEqualTo(archive.siteLossRisk());
        assertThat(BucketView.of(twoSites.bucket("photos").orElseThrow(), twoSites).siteLossRisk()).isNull();
        StringWriter printed = new StringWriter();
        BucketPrinter.printCreated(new ObjectMapper().valueToTree(archive), new PrintWriter(printed));
        assertThat(printed.toString()).contains("warning: ec4+2 over 2 sites");
        ClusterStatus s = ClusterStatus.of(twoSites, PlacementTable.compute(twoSites, MapView.PLACEMENT), Map.of());
        assertThat(s.pools()).filteredOn(p -> p.name().equals("ec4+2")).singleElement()
                .satisfies(p -> assertThat(p.siteLossRisk()).isEqualTo(archive.siteLossRisk()));
        assertThat(s.pools()).filteredOn(p -> p.name().equals("rep3")).singleElement()
                .satisfies(p -> assertThat(p.siteLossRisk()).isNull());
    }

    @Test
    void statusCountsABucketInThePoolHoldingItsData() {
        ClusterStatus s = ClusterStatus.of(MAP, PlacementTable.compute(MAP, MapView.PLACEMENT), Map.of());
        assertThat(s.pools()).containsExactly(new ClusterStatus.Pool("ec4+2", "ec4+2", 4, 2, null), new ClusterStatus.Pool("rep3", "rep3", 4, 1, null));
    }
}
