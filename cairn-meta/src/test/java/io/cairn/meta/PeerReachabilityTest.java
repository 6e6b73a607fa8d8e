package io.cairn.meta;

import static io.cairn.meta.MetaFixtures.node;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.NodeStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PeerReachabilityTest {

    static final long EPOCH = 7;

    private static ClusterMap map(List<String> up, List<String> down) {
        List<NodeInfo> nodes = new ArrayList<>();
        up.forEach(id -> nodes.add(node(id).withState(NodeState.UP).withIn(true)));
        down.forEach(id -> nodes.add(node(id).withState(NodeState.DOWN).withIn(true)));
        return new ClusterMap(EPOCH, "c", nodes, List.of(), List.of(), List.of());
    }

    /** Every node pings every other node of {@code all}; {@code suspects} says who each one cannot reach. */
    private static Map<String, NodeStats> reports(List<String> all, Map<String, List<String>> suspects, long epoch) {
        Map<String, NodeStats> out = new TreeMap<>();
        for (String id : all) {
            List<String> peers = all.stream().filter(x -> !x.equals(id)).toList();
            out.put(id, new NodeStats(id, 1000, 0, false, 0, 0, epoch, 0, 0, suspects.getOrDefault(id, List.of()), peers));
        }
        return out;
    }

    static final List<String> FIVE = List.of("n0", "n1", "n2", "n3", "n4");

    @Test
    void aNodeMostOfItsPeersCannotReachIsTakenOutThoughItHeartbeats() {
        // Inbound traffic to n4 dropped: every peer suspects it, it suspects nobody.
        Map<String, NodeStats> stats = reports(FIVE, Map.of("n0", List.of("n4"), "n1", List.of("n4"), "n2", List.of("n4"),
                "n3", List.of("n4")), EPOCH);
        assertThat(PeerReachability.toMarkDown(map(FIVE, List.of()), stats)).containsExactly("n4");
    }

    @Test
    void oneNodeThatCannotReachOneOtherTakesNobodyDown() {
        Map<String, NodeStats> stats = reports(FIVE, Map.of("n0", List.of("n4")), EPOCH);
        assertThat(PeerReachability.toMarkDown(map(FIVE, List.of()), stats)).isEmpty();
    }

    @Test
    void aNodeThatCannotReachMostOfItsPeersIsTakenOut() {
        // Outbound traffic of n2 lost: it suspects everyone, nobody suspects it.
        Map<String, NodeStats> stats = reports(FIVE, Map.of("n2", List.of("n0", "n1", "n3", "n4")), EPOCH);
        assertThat(PeerReachability.toMarkDown(map(FIVE, List.of()), stats)).containsExactly("n2");
    }

    @Test
    void ofTwoNodesThatCannotReachEachOtherOneGoes() {
        Map<String, NodeStats> stats = reports(FIVE, Map.of("n1", List.of("n3"), "n3", List.of("n1")), EPOCH);
        assertThat(PeerReachability.toMarkDown(map(FIVE, List.of()), stats)).containsExactly("n3");
        List<String> two = List.of("a", "b");
        Map<String, NodeStats> pair = reports(two, Map.of("a", List.of("b"), "b", List.of("a")), EPOCH);
        assertThat(PeerReachability.toMarkDown(map(two, List.of()), pair)).as("one of two, never both").containsExactly("b");
    }

    @Test
    void peersThatCrashedGoBeforeTheNodeThatSuspectsThem() {
        // n3 and n4 crashed a moment ago (their last reports suspect nobody); the others suspect them.
        Map<String, NodeStats> stats = reports(FIVE, Map.of("n0", List.of("n3", "n4"), "n1", List.of("n3", "n4"),
                "n2", List.of("n3", "n4")), EPOCH);
        assertThat(PeerReachability.toMarkDown(map(FIVE, List.of()), stats)).containsExactlyInAnyOrder("n3", "n4")
                .doesNotContain("n0", "n1", "n2");
    }

    @Test
    void aNodeThatCannotReachPeersTheLeaderDoesNotHearEitherIsSpared() {
        // n3 and n4 died; n2 is the first to name them, the others have not yet.
        Map<String, NodeStats> stats = reports(FIVE, Map.of("n2", List.of("n3", "n4"), "n0", List.of("n4")), EPOCH);
        assertThat(PeerReachability.toMarkDown(map(FIVE, List.of()), stats, java.util.Set.of("n3", "n4"))).isEmpty();
        // Only n3 quiet: of the three other peers n2 pings, it suspects one (n4), not most.
        assertThat(PeerReachability.toMarkDown(map(FIVE, List.of()), stats, java.util.Set.of("n3"))).isEmpty();
        // Outbound traffic of n2 lost while n3 is dead: it still suspects most of the live peers it pings.
        Map<String, NodeStats> cut = reports(FIVE, Map.of("n2", List.of("n0", "n1", "n3", "n4")), EPOCH);
        assertThat(PeerReachability.toMarkDown(map(FIVE, List.of()), cut, java.util.Set.of("n3"))).containsExactly("n2");
    }

    @Test
    void reportsMadeOnAnOlderMapMarkNobodyDownAndFenceOnlyUntilTheNextMap() {
        Map<String, NodeStats> stats = reports(FIVE, Map.of("n0", List.of("n4"), "n1", List.of("n4"), "n2", List.of("n4"),
                "n3", List.of("n4")), EPOCH - 1);
        assertThat(PeerReachability.toMarkDown(map(FIVE, List.of()), stats)).isEmpty();
        // The reports that took n4 out were made on the map before the one that marks it down: until its peers report
        // on the new map, they keep it down, so that its own heartbeat, arriving first, does not bring it straight back.
        assertThat(PeerReachability.fenced("n4", map(List.of("n0", "n1", "n2", "n3"), List.of("n4")), stats)).isTrue();
        Map<String, NodeStats> older = reports(FIVE, Map.of("n0", List.of("n4"), "n1", List.of("n4"), "n2", List.of("n4"),
                "n3", List.of("n4")), EPOCH - 2);
        assertThat(PeerReachability.fenced("n4", map(List.of("n0", "n1", "n2", "n3"), List.of("n4")), older)).isFalse();
    }

    @Test
    void aDownNodeStaysDownWhileItsPeersStillCannotReachIt() {
        ClusterMap map = map(List.of("n0", "n1", "n2", "n3"), List.of("n4"));
        Map<String, NodeStats> cut = reports(FIVE, Map.of("n0", List.of("n4"), "n1", List.of("n4"), "n2", List.of("n4")), EPOCH);
        assertThat(PeerReachability.fenced("n4", map, cut)).isTrue();
        Map<String, NodeStats> healed = reports(FIVE, Map.of(), EPOCH);
        assertThat(PeerReachability.fenced("n4", map, healed)).isFalse();
    }

    @Test
    void theMapsStateMachineKeepsAFencedNodeDownOnItsHeartbeat() {
        ClusterMapStateMachine machine = new ClusterMapStateMachine();
        ClusterMap map = map(List.of("n0", "n1", "n2", "n3"), List.of("n4"));
        MetaState state = new MetaState(map, reports(FIVE, Map.of("n0", List.of("n4"), "n1", List.of("n4"), "n2", List.of("n4")), EPOCH));
        NodeStats n4 = new NodeStats("n4", 1000, 0, false, 0, 0, EPOCH, 0, 0, List.of(), List.of("n0", "n1", "n2", "n3"));
        ClusterMapStateMachine.Applied kept = machine.apply(state, new MetaCommand.Heartbeat(n4));
        assertThat(kept.state().map().node("n4").orElseThrow().isUp()).isFalse();
        assertThat(kept.state().map().epoch()).isEqualTo(EPOCH);

        MetaState healed = new MetaState(map, reports(FIVE, Map.of(), EPOCH));
        ClusterMapStateMachine.Applied back = machine.apply(healed, new MetaCommand.Heartbeat(n4));
        assertThat(back.state().map().node("n4").orElseThrow().isUp()).isTrue();
        assertThat(back.state().map().epoch()).isEqualTo(EPOCH + 1);
    }
}
