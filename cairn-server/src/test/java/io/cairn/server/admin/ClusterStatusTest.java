package io.cairn.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.NodeStats;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.placement.PlacementTable;
import io.cairn.node.MapView;
import java.util.List;
import java.util.Map;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ClusterStatusTest {

    private static final long GIB = 1L << 30;

    private static NodeInfo node(String id, NodeState state, boolean in) {
        return new NodeInfo(id, "s", "z-" + id, "h:" + id, "h:c" + id, null, 10 * GIB, state, in);
    }

    private static ClusterMap map(List<NodeInfo> nodes, String degradedReason) {
        return new ClusterMap(7, "c", nodes, List.of(new PoolInfo("rep3", StoragePolicy.replicated(3), 8)), List.of(), List.of(),
                degradedReason);
    }

    private static Map<String, NodeStats> used(Map<String, Long> usedBytes) {
        Map<String, NodeStats> stats = new java.util.HashMap<>();
        usedBytes.forEach((id, u) -> stats.put(id, new NodeStats(id, 10 * GIB, u, false, 0, 0)));
        return stats;
    }

    private static ClusterStatus status(ClusterMap map, Map<String, NodeStats> stats) {
        return ClusterStatus.of(map, PlacementTable.compute(map, MapView.PLACEMENT), stats);
    }

    @Test
    void degradedModeCarriesTheMapsReason() throws Exception {
        String reason = "1 of 3 nodes down; 2 up and in, rep3 needs 3: keeping node n3 in";
        ClusterMap degraded = map(List.of(node("n1", NodeState.UP, true), node("n2", NodeState.UP, true),
                node("n3", NodeState.DOWN, true)), reason);
        ClusterStatus s = status(degraded, Map.of());
        assertThat(s.degradedMode()).isEqualTo(new ClusterStatus.DegradedMode(reason));
        JsonNode json = new ObjectMapper().valueToTree(s);
        assertThat(json.path("degraded_mode").path("reason").asText()).isEqualTo(reason);
    }

    @Test
    void aNodeWhoseFiguresPredateTheMapCountsAsRecovering() {
        ClusterMap clean = map(List.of(node("n1", NodeState.UP, true), node("n2", NodeState.UP, true),
                node("n3", NodeState.UP, true)), null);
        Map<String, NodeStats> current = new java.util.HashMap<>();
        for (String id : List.of("n1", "n2", "n3")) {
            current.put(id, new NodeStats(id, 10 * GIB, 0, false, 0, 0, clean.epoch()));
        }
        assertThat(status(clean, current).partitions().recovering()).isZero();
        assertThat(status(clean, current).partitions().clean()).isEqualTo(8);
        current.put("n2", new NodeStats("n2", 10 * GIB, 0, false, 0, 0, clean.epoch() - 1));
        assertThat(status(clean, current).partitions().recovering())
                .as("n2 reported 0 recovering for an older map: not known to be settled").isEqualTo(1);
    }

    @Test
    void repairEstimatesBytesAndRecordsLeftFromTheAverageCopy() {
        ClusterMap map = map(List.of(node("n1", NodeState.UP, true), node("n2", NodeState.UP, true),
                node("n3", NodeState.UP, true)), null);
        Map<String, NodeStats> stats = new java.util.HashMap<>();
        // 8 partitions x 3 copies = 24 copies; 2,400 records and 24 GiB in all: 100 records and 1 GiB per copy
        stats.put("n1", new NodeStats("n1", 100 * GIB, 8 * GIB, false, 2, 0, map.epoch(), 800));
        stats.put("n2", new NodeStats("n2", 100 * GIB, 8 * GIB, false, 0, 0, map.epoch(), 800));
        stats.put("n3", new NodeStats("n3", 100 * GIB, 8 * GIB, false, 1, 0, map.epoch(), 800));
        ClusterStatus.Repair r = status(map, stats).repair();
        assertThat(r.partitionsLeft()).isEqualTo(3);
        assertThat(r.bytesLeft()).isEqualTo(3 * GIB);
        assertThat(r.recordsLeft()).isEqualTo(300);
    }

    @Test
    void noReasonMeansNoDegradedMode() throws Exception {
        ClusterMap clean = map(List.of(node("n1", NodeState.UP, true), node("n2", NodeState.UP, true),
                node("n3", NodeState.UP, true)), null);
        ClusterStatus s = status(clean, Map.of());
        assertThat(s.degradedMode()).isNull();
        JsonNode json = new ObjectMapper().valueToTree(s);
        assertThat(json.has("degraded_mode")).isTrue();
        assertThat(json.path("degraded_mode").isNull()).isTrue();
    }

    @Test
    void usableBytesCountsOnlyNodesThatAreUpAndIn() {
        List<NodeInfo> nodes = List.of(node("n1", NodeState.UP, true), node("n2", NodeState.UP, true),
                node("n3", NodeState.UP, true), node("n4", NodeState.UP, false), node("n5", NodeState.DOWN, true));
        Map<String, NodeStats> stats = used(Map.of("n1", 1 * GIB, "n2", 2 * GIB, "n3", 3 * GIB, "n4", 0L, "n5", 0L));
        ClusterStatus s = status(map(nodes, null), stats);
        // up and in: n1..n3, 30 GiB raw, 6 GiB used, three copies
        assertThat(s.capacity().usableBytes()).isEqualTo(24 * GIB / 3);
        // raw and used keep counting every up node
        assertThat(s.capacity().rawBytes()).isEqualTo(40 * GIB);
        assertThat(s.capacity().usedBytes()).isEqualTo(6 * GIB);
    }

    @Test
    void usableBytesDividesByTheCopiesTheSurvivorsCanHold() {
        List<NodeInfo> nodes = List.of(node("n1", NodeState.UP, true), node("n2", NodeState.UP, true),
                node("n3", NodeState.DOWN, true));
        ClusterStatus s = status(map(nodes, "degraded"), used(Map.of("n1", 4 * GIB, "n2", 4 * GIB)));
        // two nodes left for rep3: each object takes two copies
        assertThat(s.capacity().usableBytes()).isEqualTo(12 * GIB / 2);
    }

    @Test
    void usableBytesOfAnErasureCodedBucketCountItsParityNotItsBlocksAsCopies() {
        List<NodeInfo> nodes = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            nodes.add(node("n" + i, NodeState.UP, true));
        }
        PoolInfo rep3 = new PoolInfo("rep3", StoragePolicy.replicated(3), 8);
        PoolInfo ec = new PoolInfo("ec4-2", StoragePolicy.erasureCoded(4, 2), 8);
        io.cairn.core.map.BucketInfo cold = new io.cairn.core.map.BucketInfo("cold", "rep3", "u", 0, 32, "ec4-2");
        ClusterMap map = new ClusterMap(7, "c", nodes, List.of(rep3, ec), List.of(cold), List.of());
        ClusterStatus s = status(map, used(Map.of()));
        // 60 GiB free; an ec4+2 bucket writes 1.5 bytes per byte (its index, in rep3, is small beside it)
        assertThat(s.capacity().usableBytes()).isEqualTo(60 * GIB * 2 / 3);
        assertThat(s.pools()).extracting(ClusterStatus.Pool::siteLossRisk).containsOnlyNulls();
    }

    @Test
    void eachSiteShowsItsNodesAndVotersAndWhetherTheMapOutlivesIt() throws Exception {
        List<NodeInfo> nodes = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String site = "site" + (i % 2 + 1);
            nodes.add(new NodeInfo("n" + i, site, "z" + i, "h:" + i, "h:c" + i, i < 3 ? "h:m" + i : null, 10 * GIB,
                    i == 1 || i == 3 ? NodeState.DOWN : NodeState.UP, true));
        }
        ClusterStatus s = status(new ClusterMap(7, "c", nodes, List.of(new PoolInfo("rep3", StoragePolicy.replicated(3), 8)),
                List.of(), List.of()), Map.of());
        assertThat(s.sites()).containsExactly(new ClusterStatus.Site("site1", 3, 3, 2, 2, false),
                new ClusterStatus.Site("site2", 3, 1, 1, 0, true));
        StringWriter printed = new StringWriter();
        StatusPrinter.print(new ObjectMapper().valueToTree(s), new PrintWriter(printed));
        assertThat(printed.toString()).contains("site site1: 3/3 nodes up, 2/2 meta voters up; losing it leaves too few meta voters")
                .contains("site site2: 1/3 nodes up, 0/1 meta voters up\n");
    }

    @Test
    void noNodeUpAndInLeavesNothingUsable() {
        List<NodeInfo> nodes = List.of(node("n1", NodeState.DOWN, true), node("n2", NodeState.UP, false));
        ClusterStatus s = status(map(nodes, null), used(Map.of()));
        assertThat(s.capacity().usableBytes()).isZero();
    }

    @Test
    void usedBeyondCapacityIsNeverNegative() {
        List<NodeInfo> nodes = List.of(node("n1", NodeState.UP, true));
        ClusterStatus s = status(map(nodes, null), used(Map.of("n1", 11 * GIB)));
        assertThat(s.capacity().usableBytes()).isZero();
    }
}
