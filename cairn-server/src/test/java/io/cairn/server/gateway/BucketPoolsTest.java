package io.cairn.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.meta.MetaCommand;
import io.cairn.s3.S3Error;
import io.cairn.s3.S3Exception;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BucketPoolsTest {

    private static final PoolInfo DEFAULT = new PoolInfo(BucketCreator.DEFAULT_POOL, StoragePolicy.replicated(3), 128);

    private static NodeInfo node(int i, boolean in) {
        return new NodeInfo("n" + i, "site-a", "zone-" + i, "10.0.0." + i + ":9000", "10.0.0." + i + ":9100", null,
                1L << 40, NodeState.UP, in);
    }

    private static ClusterMap map(int nodesIn, int nodesOut, List<PoolInfo> pools) {
        List<NodeInfo> nodes = new ArrayList<>();
        for (int i = 0; i < nodesIn + nodesOut; i++) {
            nodes.add(node(i, i < nodesIn));
        }
        return new ClusterMap(7, "c", nodes, pools, List.of(), List.of());
    }

    private static ClusterMap map(int nodesIn) {
        return map(nodesIn, 0, List.of(DEFAULT));
    }

    private static S3Exception refusal(ClusterMap map, String policy) {
        try {
            BucketPools.choose(map, policy);
        } catch (S3Exception e) {
            return e;
        }
        throw new AssertionError("policy '" + policy + "' was accepted");
    }

    @Test
    void noPolicyKeepsIndexAndDataInTheDefaultPool() throws S3Exception {
        for (String none : new String[] {null, "", "  "}) {
            BucketPools p = BucketPools.choose(map(1), none);
            assertThat(p).isEqualTo(new BucketPools("rep3", null, null));
            assertThat(p.dataPoolName()).isEqualTo("rep3");
        }
    }

    @Test
    void theDefaultPoliciesOwnNameIsTheDefaultPool() throws S3Exception {
        assertThat(BucketPools.choose(map(3), "rep3")).isEqualTo(new BucketPools("rep3", null, null));
        assertThat(BucketPools.choose(map(3), " REP3 ")).isEqualTo(new BucketPools("rep3", null, null));
    }

    @Test
    void anErasureCodedPolicyGetsItsOwnPoolCreatedWithTheDefaultPartitionCount() throws S3Exception {
        BucketPools p = BucketPools.choose(map(6), "EC4+2");
        assertThat(p.indexPool()).isEqualTo("rep3");
        assertThat(p.dataPool()).isEqualTo("ec4+2");
        assertThat(p.poolToCreate()).isEqualTo(new PoolInfo("ec4+2", StoragePolicy.erasureCoded(4, 2), 128));
    }

    @Test
    void anotherReplicationFactorGetsItsOwnPool() throws S3Exception {
        BucketPools p = BucketPools.choose(map(2), "rep2");
        assertThat(p).isEqualTo(new BucketPools("rep3", "rep2", new PoolInfo("rep2", StoragePolicy.replicated(2), 128)));
    }

    @Test
    void anExistingPoolIsUsedAsItIs() throws S3Exception {
        PoolInfo ec = new PoolInfo("ec4+2", StoragePolicy.erasureCoded(4, 2), 32);
        BucketPools p = BucketPools.choose(map(6, 0, List.of(DEFAULT, ec)), "ec4+2");
        assertThat(p).isEqualTo(new BucketPools("rep3", "ec4+2", null));
    }

    @Test
    void aPoolNamedAfterThePolicyWithAnotherPolicyIsRefused() {
        PoolInfo odd = new PoolInfo("ec4+2", StoragePolicy.replicated(2), 32);
        S3Exception e = refusal(map(6, 0, List.of(DEFAULT, odd)), "ec4+2");
        assertThat(e.error()).isEqualTo(S3Error.InvalidArgument);
        assertThat(e.getMessage()).contains("pool 'ec4+2' exists with policy rep2");
    }

    @Test
    void tooFewNodesInIsRefusedSayingHowManyAreNeeded() {
        S3Exception ec = refusal(map(5, 3, List.of(DEFAULT)), "ec4+2");
        assertThat(ec.error()).isEqualTo(S3Error.InvalidArgument);
        assertThat(ec.getMessage()).contains("ec4+2").contains("at least 6 nodes").contains("the cluster has 5 nodes in");

        S3Exception rep = refusal(map(1), "rep2");
        assertThat(rep.error()).isEqualTo(S3Error.InvalidArgument);
        assertThat(rep.getMessage()).contains("at least 2 nodes").contains("the cluster has 1 node in");
    }

    @Test
    void nodesThatAreDownButInCount() throws S3Exception {
        List<NodeInfo> nodes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            nodes.add(i == 0 ? node(i, true).withState(NodeState.DOWN) : node(i, true));
        }
        ClusterMap map = new ClusterMap(3, "c", nodes, List.of(DEFAULT), List.of(), List.of());
        assertThat(BucketPools.choose(map, "ec4+2").dataPool()).isEqualTo("ec4+2");
    }

    @Test
    void badPolicyTextIsRefusedNamingItAndTheExpectedForms() {
        for (String bad : new String[] {"raid5", "ec4", "rep", "ec4+2+1", "default"}) {
            S3Exception e = refusal(map(6), bad);
            assertThat(e.error()).as(bad).isEqualTo(S3Error.InvalidArgument);
            assertThat(e.getMessage()).as(bad).contains("'" + bad + "'").contains("repN").contains("ecK+M");
        }
        assertThat(refusal(map(6), "rep0").getMessage()).contains("copies must be");
        assertThat(refusal(map(6), "ec40+2").getMessage()).contains("k=40");
        assertThat(refusal(map(6), "rep99999999999").getMessage()).contains("too large");
    }

    @Test
    void aMapWithoutTheDefaultPoolIsNotReadyYet() {
        S3Exception e = refusal(map(3, 0, List.of()), null);
        assertThat(e.error()).isEqualTo(S3Error.ServiceUnavailable);
        assertThat(e.getMessage()).contains("no default pool 'rep3'");
    }

    @Test
    void noNewPoolBeyondThePoolLimit() throws S3Exception {
        List<PoolInfo> pools = new ArrayList<>(List.of(DEFAULT));
        for (int i = 1; i < MetaCommand.POOLS_MAX; i++) {
            pools.add(new PoolInfo("p" + i, StoragePolicy.replicated(2), 4));
        }
        pools.add(new PoolInfo("ec2+1", StoragePolicy.erasureCoded(2, 1), 4));
        pools.removeIf(p -> p.name().equals("p1"));
        ClusterMap full = map(6, 0, pools);
        assertThat(full.pools()).hasSize(MetaCommand.POOLS_MAX);
        S3Exception e = refusal(full, "ec4+2");
        assertThat(e.error()).isEqualTo(S3Error.InvalidArgument);
        assertThat(e.getMessage()).contains("cannot create pool 'ec4+2'").contains(MetaCommand.POOLS_MAX + " pools");
        // an existing pool is still usable at the limit
        assertThat(BucketPools.choose(full, "ec2+1")).isEqualTo(new BucketPools("rep3", "ec2+1", null));
    }

    @Test
    void malformedChoicesAreRefusedOnConstruction() {
        assertThatThrownBy(() -> new BucketPools(" ", null, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BucketPools("rep3", "ec4+2", new PoolInfo("rep2", StoragePolicy.replicated(2), 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data pool");
    }
}
