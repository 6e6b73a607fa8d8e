package io.cairn.meta;

import static io.cairn.meta.MetaFixtures.bootstrap;
import static io.cairn.meta.MetaFixtures.bucket;
import static io.cairn.meta.MetaFixtures.node;
import static io.cairn.meta.MetaFixtures.stats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.UserInfo;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetaJsonTest {

    private static MetaState fullState() {
        NodeInfo voter = new NodeInfo("n1", "site-a", "zone-1", "10.0.0.1:8080", "10.0.0.1:9000", "10.0.0.1:7101",
                4_000_000_000L, NodeState.UP, true);
        NodeInfo plain = node("n2").withState(NodeState.DOWN).withIn(false);
        ClusterMap map = new ClusterMap(17, "cluster-1", List.of(plain, voter), MetaFixtures.POOLS,
                List.of(bucket("photos", "default", "ROOTKEY"), bucket("archive", "default", "ALICE", "cold")),
                List.of(MetaFixtures.ROOT, new UserInfo("ALICE", "s", "alice", false)));
        return new MetaState(map, Map.of("n2", stats("n2", 5), "n1", stats("n1", 7)));
    }

    @Test
    void fullStateRoundTrips() {
        MetaState state = fullState();
        byte[] json = MetaJson.write(state);
        MetaState back = MetaJson.read(json, MetaState.class);
        assertThat(back).isEqualTo(state);
        assertThat(MetaJson.write(back)).isEqualTo(json);
        String text = new String(json, StandardCharsets.UTF_8);
        assertThat(text).contains("\"policy\":\"rep3\"").contains("\"policy\":\"ec4+2\"").doesNotContain("\"up\"");
        assertThat(text.indexOf("\"n1\":")).isLessThan(text.indexOf("\"n2\":"));
        assertThat(text).contains("\"dataPool\":\"cold\"").doesNotContain("\"dataPool\":null").doesNotContain("dataPoolName");
    }

    /** A map written before buckets had a data pool: it loads, every bucket keeps its data in its pool, and it writes back unchanged. */
    @Test
    void aMapWrittenBeforeDataPoolsLoads() {
        String old = "{\"map\":{\"epoch\":5,\"clusterId\":\"cluster-1\",\"nodes\":[],"
                + "\"pools\":[{\"name\":\"rep3\",\"policy\":\"rep3\",\"partitions\":64}],"
                + "\"buckets\":[{\"name\":\"photos\",\"pool\":\"rep3\",\"owner\":\"ROOTKEY\",\"createdMillis\":1700000000000,\"indexShards\":8}],"
                + "\"users\":[{\"accessKey\":\"ROOTKEY\",\"secretKey\":\"rootsecret\",\"name\":\"root\",\"admin\":true}]},"
                + "\"stats\":{}}";
        MetaState state = MetaJson.read(old.getBytes(StandardCharsets.UTF_8), MetaState.class);
        BucketInfo photos = state.map().bucket("photos").orElseThrow();
        assertThat(photos.dataPool()).isNull();
        assertThat(photos.dataPoolName()).isEqualTo("rep3");
        assertThat(photos).isEqualTo(new BucketInfo("photos", "rep3", "ROOTKEY", 1_700_000_000_000L, 8));
        assertThat(MetaJson.writeString(state)).isEqualTo(old);
    }

    @Test
    void everyCommandRoundTripsWithItsTypeName() {
        List<MetaCommand> commands = List.of(
                bootstrap(),
                new MetaCommand.RegisterNode(node("n1")),
                new MetaCommand.Heartbeat(stats("n1", 3)),
                new MetaCommand.MarkDown("n1"),
                new MetaCommand.CreatePool(MetaFixtures.pool("ec4+2", "ec4+2", 64)),
                new MetaCommand.CreateBucket(bucket("b", "default", "ROOTKEY")),
                new MetaCommand.CreateBucket(bucket("c", "default", "ROOTKEY", "ec4+2")),
                new MetaCommand.DeleteBucket("b"),
                new MetaCommand.PutUser(new UserInfo("K", "S", "k", false)));
        for (MetaCommand command : commands) {
            byte[] json = MetaJson.write(command);
            assertThat(new String(json, StandardCharsets.UTF_8))
                    .startsWith("{\"type\":\"" + command.getClass().getSimpleName() + "\"");
            assertThat(MetaJson.read(json, MetaCommand.class)).isEqualTo(command);
        }
    }

    @Test
    void resultsRoundTrip() {
        for (MetaResult result : List.of(MetaResult.success(4), MetaResult.failure(MetaResult.NO_SUCH_BUCKET, 9))) {
            assertThat(MetaJson.read(MetaJson.write(result), MetaResult.class)).isEqualTo(result);
        }
    }

    @Test
    void badJsonIsRefusedWithAClearError() {
        assertThatThrownBy(() -> MetaJson.read("{\"type\":\"Explode\"}".getBytes(StandardCharsets.UTF_8), MetaCommand.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad MetaCommand JSON");
        assertThatThrownBy(() -> MetaJson.read("{\"type\":\"MarkDown\",\"nodeId\":\"\"}".getBytes(StandardCharsets.UTF_8), MetaCommand.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nodeId");
        assertThatThrownBy(() -> MetaJson.read("{\"type\":\"MarkDown\",\"nodeId\":\"n\",\"extra\":1}".getBytes(StandardCharsets.UTF_8), MetaCommand.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("extra");
        assertThatThrownBy(() -> MetaJson.read("not json".getBytes(StandardCharsets.UTF_8), MetaState.class))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
