package io.cairn.server.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a primary site sends its backup site of its buckets, and what it says it leaves out. */
class BucketShipperTest {

    private static final ClusterMap MAP = new ClusterMap(9, "c",
            List.of(new NodeInfo("n1", "s", "z", "h:1", "h:2", null, 1L << 30, NodeState.UP, true)),
            List.of(new PoolInfo("rep3", StoragePolicy.replicated(3), 4), new PoolInfo("ec4+2", StoragePolicy.erasureCoded(4, 2), 4)),
            List.of(new BucketInfo("photos", "rep3", "ROOT", 1L, 8),
                    new BucketInfo("archive", "rep3", "ALICE", 2L, 8, "ec4+2"),
                    new BucketInfo("old", "ec4+2", "ALICE", 3L, 8)),
            List.of());

    @Test
    void everyBucketIsEitherSentOrSaidNotToBeWithWhy() {
        assertThat(BucketShipper.of(MAP, null).buckets()).extracting(BucketInfo::name).containsExactly("photos");
        assertThat(BucketShipper.of(MAP, null).pools()).extracting(PoolInfo::name).containsExactly("rep3");
        var notShipped = BucketShipper.notShipped(MAP, null);
        assertThat(notShipped.keySet()).containsExactly("archive", "old");
        assertThat(notShipped.get("archive")).contains("its data is in the erasure-coded pool ec4+2");
        assertThat(notShipped.get("old")).contains("its index and data are in the erasure-coded pool ec4+2");
    }
}
