package io.cairn.meta;

import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.NodeStats;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.map.UserInfo;
import java.util.List;

/** Small builders for test data. */
final class MetaFixtures {

    static final UserInfo ROOT = new UserInfo("ROOTKEY", "rootsecret", "root", true);
    static final List<PoolInfo> POOLS = List.of(
            new PoolInfo("default", StoragePolicy.replicated(3), 64),
            new PoolInfo("cold", StoragePolicy.erasureCoded(4, 2), 32));

    private MetaFixtures() {
    }

    static MetaCommand.Bootstrap bootstrap() {
        return new MetaCommand.Bootstrap("cluster-1", POOLS, ROOT);
    }

    static NodeInfo node(String id) {
        return node(id, "10.0.0.1:9000");
    }

    static NodeInfo node(String id, String clusterAddress) {
        return new NodeInfo(id, "site-a", "zone-1", "10.0.0.1:8080", clusterAddress, null,
                1_000_000_000L, NodeState.DOWN, false);
    }

    static NodeStats stats(String nodeId, long usedBytes) {
        return new NodeStats(nodeId, 1_000_000_000L, usedBytes, false, 0, 1_700_000_000_000L);
    }

    static BucketInfo bucket(String name, String pool, String owner) {
        return new BucketInfo(name, pool, owner, 1_700_000_000_000L, BucketInfo.INDEX_SHARDS_DEFAULT);
    }

    static BucketInfo bucket(String name, String pool, String owner, String dataPool) {
        return new BucketInfo(name, pool, owner, 1_700_000_000_000L, BucketInfo.INDEX_SHARDS_DEFAULT, dataPool);
    }

    /** Applies {@code c} and checks that the resulting map survives a JSON round trip unchanged. */
    static MetaState applyRoundTripped(ClusterMapStateMachine sm, MetaState state, MetaCommand c) {
        MetaState next = sm.apply(state, c).state();
        org.assertj.core.api.Assertions.assertThat(next.map())
                .isEqualTo(MetaJson.read(MetaJson.write(next.map()), io.cairn.core.map.ClusterMap.class));
        return next;
    }

    static PoolInfo pool(String name, String policy, int partitions) {
        return new PoolInfo(name, StoragePolicy.parse(policy), partitions);
    }
}
