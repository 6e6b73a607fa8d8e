package io.cairn.meta;

import static io.cairn.meta.MetaFixtures.ROOT;
import static io.cairn.meta.MetaFixtures.bootstrap;
import static io.cairn.meta.MetaFixtures.bucket;
import static io.cairn.meta.MetaFixtures.node;
import static io.cairn.meta.MetaFixtures.pool;
import static io.cairn.meta.MetaFixtures.stats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.UserInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClusterMapStateMachineTest {

    private final ClusterMapStateMachine machine = new ClusterMapStateMachine();

    private MetaState state = MetaState.initial();

    private MetaResult apply(MetaCommand command) {
        ClusterMapStateMachine.Applied applied = machine.apply(state, command);
        state = applied.state();
        return applied.result();
    }

    private void assertUnchanged(MetaCommand command, String expectedError) {
        MetaState before = state;
        MetaResult result = apply(command);
        assertThat(state).isSameAs(before);
        assertThat(result.epoch()).isEqualTo(before.map().epoch());
        if (expectedError == null) {
            assertThat(result.ok()).isTrue();
            assertThat(result.error()).isNull();
        } else {
            assertThat(result.ok()).isFalse();
            assertThat(result.error()).isEqualTo(expectedError);
        }
    }

    @Test
    void bootstrapSetsClusterOnceAndIsIdempotent() {
        MetaResult first = apply(bootstrap());
        assertThat(first).isEqualTo(MetaResult.success(1));
        assertThat(state.map().clusterId()).isEqualTo("cluster-1");
        assertThat(state.map().pools()).extracting(p -> p.name()).containsExactly("cold", "default");
        assertThat(state.map().user("ROOTKEY")).contains(ROOT);

        assertUnchanged(bootstrap(), null);
        assertUnchanged(new MetaCommand.Bootstrap("other-cluster", List.of(), new UserInfo("K", "S", "n", false)), null);
        assertThat(state.map().clusterId()).isEqualTo("cluster-1");
    }

    @Test
    void aBootstrapLandingAfterAPoolWasCreatedKeepsThatPoolAndItsBuckets() {
        // Found by the seeded run below (seed 25706284688486): the bootstrap replaced the pools.
        apply(new MetaCommand.CreatePool(pool("warm", "rep2", 16)));
        apply(new MetaCommand.CreatePool(pool("default", "rep2", 8)));
        assertThat(apply(new MetaCommand.CreateBucket(bucket("early", "warm", "ROOTKEY"))).ok()).isTrue();
        apply(bootstrap());
        assertThat(state.map().pools()).extracting(p -> p.name()).containsExactly("cold", "default", "warm");
        assertThat(state.map().pool("default").orElseThrow()).as("a pool that existed first keeps its shape")
                .isEqualTo(pool("default", "rep2", 8));
        assertThat(state.map().pool(state.map().bucket("early").orElseThrow().pool())).isPresent();
    }

    @Test
    void aBackupSitesShownRoundOnlyMovesOnAndAPromotionOnlyForward() {
        apply(bootstrap());
        assertThat(apply(new MetaCommand.PromoteBackup(BackupMark.PROMOTING)).error()).as("nothing shown yet")
                .isEqualTo(MetaResult.BACKUP_CLOSED);
        assertThat(apply(new MetaCommand.ShowBackupRound(4, 1000)).ok()).isTrue();
        assertThat(apply(new MetaCommand.ShowBackupRound(3, 2000)).error()).isEqualTo(MetaResult.BACKUP_CLOSED);
        assertThat(apply(new MetaCommand.ShowBackupRound(4, 2000)).error()).isEqualTo(MetaResult.BACKUP_CLOSED);
        apply(new MetaCommand.RegisterNode(node("n1")));
        assertThat(state.backupMark()).as("kept through other commands").isEqualTo(new BackupMark(4, 1000, BackupMark.SHIPPING));
        assertThat(apply(new MetaCommand.PromoteBackup(BackupMark.PROMOTED)).error()).as("not promoting yet")
                .isEqualTo(MetaResult.BACKUP_CLOSED);
        assertThat(apply(new MetaCommand.PromoteBackup(BackupMark.SETTLED)).error()).as("not promoted yet")
                .isEqualTo(MetaResult.BACKUP_CLOSED);
        assertThat(state.backupMark().needsBackupNodes()).as("a backup site showing a round").isTrue();
        assertThat(apply(new MetaCommand.PromoteBackup(BackupMark.PROMOTING)).ok()).isTrue();
        assertThat(apply(new MetaCommand.ShowBackupRound(5, 3000)).error()).as("no round after a promotion")
                .isEqualTo(MetaResult.BACKUP_CLOSED);
        assertThat(apply(new MetaCommand.PromoteBackup(BackupMark.PROMOTED)).ok()).isTrue();
        assertThat(apply(new MetaCommand.PromoteBackup(BackupMark.PROMOTING)).error()).isEqualTo(MetaResult.BACKUP_CLOSED);
        assertThat(state.backupMark()).isEqualTo(new BackupMark(4, 1000, BackupMark.PROMOTED));
        assertThat(state.backupMark().promoted()).isTrue();
        assertThat(state.backupMark().needsBackupNodes()).as("its states still serve the keys not written since").isTrue();
        assertThat(apply(new MetaCommand.PromoteBackup(BackupMark.SETTLED)).ok()).isTrue();
        assertThat(apply(new MetaCommand.PromoteBackup(BackupMark.PROMOTED)).error()).as("no step back from settled")
                .isEqualTo(MetaResult.BACKUP_CLOSED);
        assertThat(apply(new MetaCommand.PromoteBackup(BackupMark.SETTLED)).error()).isEqualTo(MetaResult.BACKUP_CLOSED);
        assertThat(state.backupMark()).isEqualTo(new BackupMark(4, 1000, BackupMark.SETTLED));
        assertThat(state.backupMark().promoted()).as("still open for writes").isTrue();
        assertThat(state.backupMark().needsBackupNodes()).isFalse();
        assertThat(BackupMark.NONE.needsBackupNodes()).as("a cluster that never took a round").isFalse();
        assertThat(MetaJson.read(MetaJson.write(state), MetaState.class).backupMark()).as("kept in a snapshot")
                .isEqualTo(state.backupMark());
    }

    @Test
    void theBackupSiteLinkedIsKeptThroughOtherCommandsAndCanBeRemoved() {
        apply(bootstrap());
        BackupTarget t = new BackupTarget(List.of("https://backup:9000"), "sealed1:k1:abc", null);
        assertThat(apply(new MetaCommand.SetBackupTarget(t)).ok()).isTrue();
        apply(new MetaCommand.RegisterNode(node("n1")));
        apply(new MetaCommand.ShowBackupRound(2, 5));
        assertThat(state.backupTarget()).isEqualTo(t);
        assertThat(MetaJson.read(MetaJson.write(state), MetaState.class).backupTarget()).as("kept in a snapshot").isEqualTo(t);
        assertThat(MetaJson.read(MetaJson.write(new MetaCommand.SetBackupTarget(t)), MetaCommand.class))
                .isEqualTo(new MetaCommand.SetBackupTarget(t));
        apply(new MetaCommand.SetBackupTarget(null));
        assertThat(state.backupTarget()).isNull();
        assertThatThrownBy(() -> new BackupTarget(List.of("ftp://x"), "k:s", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BackupTarget(List.of(), "k:s", null)).isInstanceOf(IllegalArgumentException.class);

        // A link of some buckets: kept, in name order; a link of the whole cluster links every one.
        BackupTarget some = new BackupTarget(List.of("https://backup:9000"), "k:s", null, List.of("photos", "logs", "photos"));
        assertThat(some.buckets()).containsExactly("logs", "photos");
        assertThat(some.links("logs")).isTrue();
        assertThat(some.links("other")).isFalse();
        assertThat(t.links("other")).isTrue();
        assertThat(MetaJson.read(MetaJson.write(new MetaCommand.SetBackupTarget(some)), MetaCommand.class))
                .isEqualTo(new MetaCommand.SetBackupTarget(some));
        assertThat(MetaJson.writeString(t)).as("a whole-cluster link is written as before").doesNotContain("buckets");
    }

    @Test
    void registerAddsNodeUpAndIn() {
        apply(bootstrap());
        MetaResult result = apply(new MetaCommand.RegisterNode(node("n1")));
        assertThat(result).isEqualTo(MetaResult.success(2));
        NodeInfo stored = state.map().node("n1").orElseThrow();
        assertThat(stored.state()).isEqualTo(NodeState.UP);
        assertThat(stored.in()).isTrue();
        assertThat(stored.clusterAddress()).isEqualTo("10.0.0.1:9000");
    }

    @Test
    void aTiebreakerIsNeverInPlacementAndItsMarkKeepsTheMapForm() throws Exception {
        apply(bootstrap());
        NodeInfo t = node("t1");
        NodeInfo tiebreaker = new NodeInfo(t.id(), "site3", t.zone(), t.publicAddress(), t.clusterAddress(), "10.0.0.3:9200",
                t.capacityBytes(), NodeState.UP, true, true);
        assertThat(tiebreaker.in()).as("a tie-breaker is never in").isFalse();
        apply(new MetaCommand.RegisterNode(tiebreaker));
        apply(new MetaCommand.RegisterNode(node("n1")));
        assertThat(state.map().node("t1").orElseThrow().in()).isFalse();
        assertThat(state.map().node("t1").orElseThrow().tiebreaker()).isTrue();
        apply(new MetaCommand.MarkDown("t1"));
        apply(new MetaCommand.Heartbeat(stats("t1", 0)));
        assertThat(state.map().node("t1").orElseThrow().isUp()).as("back up").isTrue();
        assertThat(state.map().node("t1").orElseThrow().in()).as("and still out").isFalse();
        assertUnchanged(new MetaCommand.MarkIn("t1"), MetaResult.NODE_IS_TIEBREAKER);
        io.cairn.core.placement.PlacementTable table = io.cairn.core.placement.PlacementTable.compute(state.map(),
                io.cairn.core.placement.PlacementFunction.rendezvous());
        assertThat(table.heldBy("t1")).as("placement never chooses a tie-breaker").isEmpty();
        assertThat(table.heldBy("n1")).isNotEmpty();

        com.fasterxml.jackson.databind.ObjectMapper json = MetaJson.mapper();
        assertThat(json.writeValueAsString(node("n1"))).doesNotContain("tiebreaker");
        assertThat(json.readValue(json.writeValueAsString(node("n1")), NodeInfo.class)).isEqualTo(node("n1"));
        assertThat(json.readValue(json.writeValueAsString(state.map().node("t1").orElseThrow()), NodeInfo.class))
                .isEqualTo(state.map().node("t1").orElseThrow());
    }

    @Test
    void reRegisteringTheSameNodeIsANoOpButNewAddressesReplaceIt() {
        apply(new MetaCommand.RegisterNode(node("n1")));
        long epoch = state.map().epoch();
        assertUnchanged(new MetaCommand.RegisterNode(node("n1")), null);

        MetaResult moved = apply(new MetaCommand.RegisterNode(node("n1", "10.0.0.9:9001")));
        assertThat(moved.epoch()).isEqualTo(epoch + 1);
        assertThat(state.map().nodes()).hasSize(1);
        assertThat(state.map().node("n1").orElseThrow().clusterAddress()).isEqualTo("10.0.0.9:9001");
    }

    @Test
    void registeringADownNodeBringsItUp() {
        apply(new MetaCommand.RegisterNode(node("n1")));
        apply(new MetaCommand.MarkDown("n1"));
        long epoch = state.map().epoch();
        MetaResult result = apply(new MetaCommand.RegisterNode(node("n1")));
        assertThat(result.epoch()).isEqualTo(epoch + 1);
        assertThat(state.map().node("n1").orElseThrow().isUp()).isTrue();
    }

    @Test
    void heartbeatStoresStatsWithoutNewEpoch() {
        apply(new MetaCommand.RegisterNode(node("n1")));
        long epoch = state.map().epoch();
        MetaResult result = apply(new MetaCommand.Heartbeat(stats("n1", 42)));
        assertThat(result).isEqualTo(MetaResult.success(epoch));
        assertThat(state.map().epoch()).isEqualTo(epoch);
        assertThat(state.stats()).containsEntry("n1", stats("n1", 42));

        apply(new MetaCommand.Heartbeat(stats("n1", 43)));
        assertThat(state.stats().get("n1").usedBytes()).isEqualTo(43);
        assertThat(state.map().epoch()).isEqualTo(epoch);
    }

    @Test
    void heartbeatBringsADownNodeUp() {
        apply(new MetaCommand.RegisterNode(node("n1")));
        apply(new MetaCommand.MarkDown("n1"));
        long epoch = state.map().epoch();
        MetaResult result = apply(new MetaCommand.Heartbeat(stats("n1", 7)));
        assertThat(result).isEqualTo(MetaResult.success(epoch + 1));
        assertThat(state.map().node("n1").orElseThrow().isUp()).isTrue();
        assertThat(state.stats()).containsKey("n1");
    }

    @Test
    void aNodeDownForACutBetweenSitesIsRememberedUntilItIsUpAgain() {
        apply(new MetaCommand.RegisterNode(node("n1")));
        apply(new MetaCommand.RegisterNode(node("n2")));
        apply(new MetaCommand.MarkDown("n1", true));
        apply(new MetaCommand.MarkDown("n2"));
        assertThat(state.downForCut()).as("n2 went for silence").containsExactly("n1");
        assertThat(MetaJson.read(MetaJson.write(state), MetaState.class).downForCut()).as("kept in snapshots").containsExactly("n1");
        apply(new MetaCommand.Heartbeat(stats("n1", 7)));
        assertThat(state.map().node("n1").orElseThrow().isUp()).isTrue();
        assertThat(state.downForCut()).isEmpty();
    }

    @Test
    void heartbeatFromUnknownNodeIsRefused() {
        apply(bootstrap());
        assertUnchanged(new MetaCommand.Heartbeat(stats("ghost", 1)), MetaResult.NO_SUCH_NODE);
        assertThat(state.stats()).isEmpty();
    }

    @Test
    void markDownTakesAnUpNodeDownOnce() {
        apply(new MetaCommand.RegisterNode(node("n1")));
        long epoch = state.map().epoch();
        assertThat(apply(new MetaCommand.MarkDown("n1"))).isEqualTo(MetaResult.success(epoch + 1));
        assertThat(state.map().node("n1").orElseThrow().state()).isEqualTo(NodeState.DOWN);
        assertThat(state.map().node("n1").orElseThrow().in()).isTrue();

        assertUnchanged(new MetaCommand.MarkDown("n1"), null);
        assertUnchanged(new MetaCommand.MarkDown("ghost"), MetaResult.NO_SUCH_NODE);
    }

    @Test
    void createBucketChecksPoolAndOwnership() {
        apply(bootstrap());
        long epoch = state.map().epoch();
        assertThat(apply(new MetaCommand.CreateBucket(bucket("photos", "default", "ROOTKEY")))).isEqualTo(MetaResult.success(epoch + 1));
        assertThat(state.map().bucket("photos")).isPresent();

        assertUnchanged(new MetaCommand.CreateBucket(bucket("photos", "default", "ROOTKEY")), MetaResult.BUCKET_OWNED_BY_YOU);
        assertUnchanged(new MetaCommand.CreateBucket(bucket("photos", "cold", "OTHERKEY")), MetaResult.BUCKET_ALREADY_EXISTS);
        assertUnchanged(new MetaCommand.CreateBucket(bucket("videos", "nope", "ROOTKEY")), MetaResult.NO_SUCH_POOL);
        assertThat(state.map().bucket("videos")).isEmpty();
    }

    @Test
    void createBucketBeforeBootstrapHasNoPool() {
        assertUnchanged(new MetaCommand.CreateBucket(bucket("photos", "default", "ROOTKEY")), MetaResult.NO_SUCH_POOL);
    }

    @Test
    void createBucketPutsDataInTheNamedPoolAndTheIndexInAReplicatedOne() {
        apply(bootstrap());
        long epoch = state.map().epoch();
        assertThat(apply(new MetaCommand.CreateBucket(bucket("archive", "default", "ROOTKEY", "cold"))))
                .isEqualTo(MetaResult.success(epoch + 1));
        BucketInfo stored = state.map().bucket("archive").orElseThrow();
        assertThat(stored.pool()).isEqualTo("default");
        assertThat(stored.dataPoolName()).isEqualTo("cold");
    }

    @Test
    void createBucketRefusesAMissingDataPool() {
        apply(bootstrap());
        assertUnchanged(new MetaCommand.CreateBucket(bucket("archive", "default", "ROOTKEY", "ec8+3")), MetaResult.NO_SUCH_POOL);
        assertThat(state.map().bucket("archive")).isEmpty();
    }

    @Test
    void createBucketRefusesAnErasureCodedIndexPool() {
        apply(bootstrap());
        assertUnchanged(new MetaCommand.CreateBucket(bucket("archive", "cold", "ROOTKEY")), MetaResult.INDEX_POOL_NOT_REPLICATED);
        assertUnchanged(new MetaCommand.CreateBucket(bucket("archive", "cold", "ROOTKEY", "default")),
                MetaResult.INDEX_POOL_NOT_REPLICATED);
        assertThat(state.map().bucket("archive")).isEmpty();
    }

    @Test
    void createPoolAddsAPoolInANewEpoch() {
        apply(bootstrap());
        long epoch = state.map().epoch();
        PoolInfo wide = pool("ec8+3", "ec8+3", 64);
        assertThat(apply(new MetaCommand.CreatePool(wide))).isEqualTo(MetaResult.success(epoch + 1));
        assertThat(state.map().pool("ec8+3")).contains(wide);
        assertThat(state.map().pools()).extracting(PoolInfo::name).containsExactly("cold", "default", "ec8+3");
        assertThat(apply(new MetaCommand.CreateBucket(bucket("archive", "default", "ROOTKEY", "ec8+3"))).ok()).isTrue();
    }

    @Test
    void everyMapSaysSinceWhenEachPartitionHasTheHoldersItHas() {
        apply(bootstrap());
        for (String id : List.of("n1", "n2", "n3", "n4")) {
            apply(new MetaCommand.RegisterNode(node(id)));
        }
        long full = state.map().epoch();
        int partitions = state.map().pool("default").orElseThrow().partitions();
        for (int i = 0; i < partitions; i++) {
            assertThat(state.map().holdersSince("default", i)).isLessThanOrEqualTo(full);
        }
        // A map change that moves no partition (a bucket) keeps every epoch.
        List<Long> before = state.map().holdersSince().get("default");
        apply(new MetaCommand.CreateBucket(bucket("photos", "default", "ROOTKEY")));
        assertThat(state.map().epoch()).isEqualTo(full + 1);
        assertThat(state.map().holdersSince().get("default")).isEqualTo(before);
        // A node down: exactly the partitions it held take the new epoch, the others keep theirs.
        var placement = io.cairn.core.placement.PlacementTable.compute(state.map(), ActingSets.PLACEMENT);
        apply(new MetaCommand.MarkDown("n4"));
        long down = state.map().epoch();
        for (int i = 0; i < partitions; i++) {
            boolean held = placement.of(new io.cairn.core.partition.PartitionId("default", i)).holds("n4");
            assertThat(state.map().holdersSince("default", i)).as("partition %d, held by n4: %s", i, held)
                    .isEqualTo(held ? down : before.get(i));
        }
        // A new pool's partitions start at its epoch; the map survives its JSON round trip.
        apply(new MetaCommand.CreatePool(pool("rep2", "rep2", 16)));
        assertThat(state.map().holdersSince().get("rep2")).hasSize(16).containsOnly(state.map().epoch());
        assertThat(MetaJson.read(MetaJson.write(state.map()), io.cairn.core.map.ClusterMap.class)).isEqualTo(state.map());
        // A map that does not say (an older release's) is taken as changed in its own epoch.
        assertThat(state.map().withHoldersSince(java.util.Map.of()).holdersSince("default", 0)).isEqualTo(state.map().epoch());
    }

    @Test
    void everyMapSaysSinceWhenEachUpHolderHasBeenOneWithoutABreak() {
        apply(bootstrap());
        for (String id : List.of("n1", "n2", "n3", "n4")) {
            apply(new MetaCommand.RegisterNode(node(id)));
        }
        // A new pool's up holders have been ones since its partitions began.
        apply(new MetaCommand.CreatePool(pool("rep2", "rep2", 16)));
        for (int i = 0; i < 16; i++) {
            int holders = upHolders("rep2", i).size();
            for (int h = 0; h < holders; h++) {
                assertThat(state.map().upHolderSince("rep2", i, h)).as("partition %d, up holder %d", i, h).isZero();
            }
        }
        // A bucket moves no partition: every epoch stays.
        var before = state.map().upSince();
        apply(new MetaCommand.CreateBucket(bucket("photos", "rep2", "ROOTKEY", "rep2")));
        assertThat(state.map().upSince()).isEqualTo(before);
        // n4 down and back: where it is an up holder again, it has been one since it came back;
        // every other up holder keeps what it had.
        apply(new MetaCommand.MarkDown("n4"));
        apply(new MetaCommand.Heartbeat(new io.cairn.core.map.NodeStats("n4", 1_000_000_000L, 0, false, 0, 1L, state.map().epoch(), 0)));
        long back = state.map().epoch();
        assertThat(state.map().node("n4").orElseThrow().isUp()).isTrue();
        int withN4 = 0;
        for (int i = 0; i < 16; i++) {
            List<String> up = upHolders("rep2", i);
            for (int h = 0; h < up.size(); h++) {
                long since = state.map().upHolderSince("rep2", i, h);
                if (up.get(h).equals("n4")) {
                    withN4++;
                    assertThat(since).as("n4 in partition %d", i).isEqualTo(back);
                } else {
                    assertThat(since).as("%s in partition %d", up.get(h), i).isZero();
                }
            }
        }
        assertThat(withN4).as("partitions n4 holds").isPositive();
        assertThat(MetaJson.read(MetaJson.write(state.map()), io.cairn.core.map.ClusterMap.class)).isEqualTo(state.map());
        // A map that does not say (an older release's) knows of no break-free stretch before its own epoch.
        assertThat(state.map().withHoldersSince(state.map().holdersSince(), java.util.Map.of()).upHolderSince("rep2", 0, 0))
                .isEqualTo(state.map().epoch());
    }

    private List<String> upHolders(String pool, int partition) {
        return io.cairn.core.placement.PlacementTable.compute(state.map(), ActingSets.PLACEMENT)
                .of(new io.cairn.core.partition.PartitionId(pool, partition)).upHolders(state.map());
    }

    @Test
    void createPoolIsIdempotentForTheSamePool() {
        apply(bootstrap());
        apply(new MetaCommand.CreatePool(pool("rep2", "rep2", 64)));
        assertUnchanged(new MetaCommand.CreatePool(pool("rep2", "rep2", 64)), null);
        assertUnchanged(new MetaCommand.CreatePool(MetaFixtures.POOLS.get(1)), null);
    }

    @Test
    void createPoolRefusesAnotherPoolUnderAnExistingName() {
        apply(bootstrap());
        assertUnchanged(new MetaCommand.CreatePool(pool("cold", "ec4+2", 64)), MetaResult.POOL_EXISTS);
        assertUnchanged(new MetaCommand.CreatePool(pool("cold", "ec8+3", 32)), MetaResult.POOL_EXISTS);
        assertUnchanged(new MetaCommand.CreatePool(pool("default", "rep2", 64)), MetaResult.POOL_EXISTS);
        assertThat(state.map().pool("cold")).contains(MetaFixtures.POOLS.get(1));
    }

    @Test
    void createPoolStopsAtTheLimit() {
        apply(bootstrap());
        for (int i = state.map().pools().size(); i < MetaCommand.POOLS_MAX; i++) {
            assertThat(apply(new MetaCommand.CreatePool(pool("p" + i, "rep2", 4))).ok()).isTrue();
        }
        assertThat(state.map().pools()).hasSize(MetaCommand.POOLS_MAX);
        assertUnchanged(new MetaCommand.CreatePool(pool("one-more", "rep2", 4)), MetaResult.TOO_MANY_POOLS);
        assertThat(state.map().pool("one-more")).isEmpty();
        // an existing pool is still a success at the limit
        assertUnchanged(new MetaCommand.CreatePool(pool("p10", "rep2", 4)), null);
    }

    @Test
    void createPoolRefusesBadNamesOnConstruction() {
        assertThatThrownBy(() -> new MetaCommand.CreatePool(pool("a/b", "rep2", 4))).hasMessageContaining("'a/b'");
        assertThatThrownBy(() -> new MetaCommand.CreatePool(pool("Rep2", "rep2", 4))).hasMessageContaining("pool name");
        assertThatThrownBy(() -> new MetaCommand.CreatePool(pool("-x", "rep2", 4))).hasMessageContaining("pool name");
        assertThatThrownBy(() -> new MetaCommand.CreatePool(pool("p".repeat(MetaCommand.POOL_NAME_LENGTH_MAX + 1), "rep2", 4)))
                .hasMessageContaining("pool name");
        assertThatThrownBy(() -> new MetaCommand.CreatePool(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void deleteBucketRemovesItOrSaysItIsMissing() {
        apply(bootstrap());
        apply(new MetaCommand.CreateBucket(bucket("photos", "default", "ROOTKEY")));
        apply(new MetaCommand.CreateBucket(bucket("videos", "default", "ROOTKEY", "cold")));
        long epoch = state.map().epoch();
        assertThat(apply(new MetaCommand.DeleteBucket("photos"))).isEqualTo(MetaResult.success(epoch + 1));
        assertThat(state.map().buckets()).extracting(b -> b.name()).containsExactly("videos");
        assertUnchanged(new MetaCommand.DeleteBucket("photos"), MetaResult.NO_SUCH_BUCKET);
    }

    @Test
    void putUserAddsKeysAndNeverReplacesOne() {
        apply(bootstrap());
        long epoch = state.map().epoch();
        UserInfo alice = new UserInfo("ALICE", "s1", "alice", false);
        assertThat(apply(new MetaCommand.PutUser(alice))).isEqualTo(MetaResult.success(epoch + 1));
        assertUnchanged(new MetaCommand.PutUser(alice), null);
        assertUnchanged(new MetaCommand.PutUser(new UserInfo("ALICE", "s2", "alice", false)), MetaResult.KEY_EXISTS);
        assertUnchanged(new MetaCommand.PutUser(new UserInfo("ALICE2", "s3", "alice", true)), MetaResult.ADMIN_MISMATCH);
        UserInfo second = new UserInfo("ALICE2", "s3", "alice", false, true);
        assertThat(apply(new MetaCommand.PutUser(second))).isEqualTo(MetaResult.success(epoch + 2));
        assertThat(state.map().users()).extracting(UserInfo::accessKey).containsExactly("ALICE", "ALICE2", "ROOTKEY");
        assertThat(state.map().user("ALICE2")).contains(second);
    }

    @Test
    void aSecretIsResealedOnlyIfStillWhatWasRead() {
        apply(bootstrap());
        UserInfo alice = new UserInfo("ALICE", "sealed-under-a", "alice", false, true);
        apply(new MetaCommand.PutUser(alice));
        long epoch = state.map().epoch();
        assertUnchanged(new MetaCommand.ResealSecret("ALICE", "something else", "sealed-under-b"), MetaResult.SECRET_CHANGED);
        assertUnchanged(new MetaCommand.ResealSecret("NOKEY", "sealed-under-a", "sealed-under-b"), MetaResult.NO_SUCH_KEY);
        assertThat(apply(new MetaCommand.ResealSecret("ALICE", "sealed-under-a", "sealed-under-b"))).isEqualTo(MetaResult.success(epoch + 1));
        assertThat(state.map().user("ALICE")).contains(new UserInfo("ALICE", "sealed-under-b", "alice", false, true));
        assertUnchanged(new MetaCommand.ResealSecret("ALICE", "sealed-under-a", "sealed-under-c"), MetaResult.SECRET_CHANGED);
    }

    @Test
    void usersAndKeysAreDeletedUnlessTheyOwnBucketsOrAreTheLastAdmin() {
        apply(bootstrap());
        apply(new MetaCommand.PutUser(new UserInfo("ALICE", "s1", "alice", false)));
        apply(new MetaCommand.PutUser(new UserInfo("ALICE2", "s2", "alice", false)));
        apply(new MetaCommand.CreateBucket(bucket("photos", "default", "alice")));
        assertUnchanged(new MetaCommand.DeleteUser("alice"), MetaResult.USER_OWNS_BUCKETS);
        assertUnchanged(new MetaCommand.DeleteUser("nobody"), MetaResult.NO_SUCH_USER);
        assertUnchanged(new MetaCommand.DeleteKey("NOKEY"), MetaResult.NO_SUCH_KEY);
        assertUnchanged(new MetaCommand.DeleteKey("ROOTKEY"), MetaResult.LAST_ADMIN);
        assertUnchanged(new MetaCommand.DeleteUser(ROOT.name()), MetaResult.LAST_ADMIN);
        assertThat(apply(new MetaCommand.DeleteKey("ALICE2")).ok()).isTrue();
        assertThat(state.map().user("ALICE2")).isEmpty();
        apply(new MetaCommand.DeleteBucket("photos"));
        assertThat(apply(new MetaCommand.DeleteUser("alice")).ok()).isTrue();
        assertThat(state.map().users()).extracting(UserInfo::accessKey).containsExactly("ROOTKEY");
    }

    @Test
    void deletingTheKeyThatOwnsABucketOfAnOlderMapHandsTheBucketToItsUser() {
        apply(bootstrap());
        apply(new MetaCommand.PutUser(new UserInfo("ALICE", "s1", "alice", false)));
        apply(new MetaCommand.PutUser(new UserInfo("ALICE2", "s2", "alice", false)));
        apply(new MetaCommand.CreateBucket(bucket("old", "default", "ALICE"))); // owned by a key, as maps once had it
        assertThat(apply(new MetaCommand.DeleteKey("ALICE")).ok()).isTrue();
        assertThat(state.map().bucket("old").orElseThrow().owner()).isEqualTo("alice");
    }

    @Test
    void bucketAccessIsSetAndTheSameSettingChangesNothing() {
        apply(bootstrap());
        apply(new MetaCommand.CreateBucket(bucket("photos", "default", "ROOTKEY")));
        var grants = List.of(io.cairn.core.map.BucketGrant.toUser("bob", io.cairn.core.map.BucketPermission.READ));
        assertThat(apply(new MetaCommand.SetBucketAccess("photos", grants, true)).ok()).isTrue();
        assertThat(state.map().bucket("photos").orElseThrow().grants()).isEqualTo(grants);
        assertThat(state.map().bucket("photos").orElseThrow().publicRead()).isTrue();
        assertUnchanged(new MetaCommand.SetBucketAccess("photos", grants, true), null);
        assertUnchanged(new MetaCommand.SetBucketAccess("nope", grants, true), MetaResult.NO_SUCH_BUCKET);
    }

    @Test
    void onlyADrainedNodeThatHoldsNothingIsRemovedAndItsIdNeverComesBack() throws Exception {
        apply(bootstrap());
        apply(new MetaCommand.RegisterNode(node("n1")));
        NodeInfo voter = new NodeInfo("v1", "site-a", "zone-1", "10.0.0.2:8080", "10.0.0.2:9000", "10.0.0.2:9100",
                1_000_000_000L, NodeState.DOWN, false);
        apply(new MetaCommand.RegisterNode(voter));
        apply(new MetaCommand.RegisterNode(node("n2")));
        apply(new MetaCommand.Heartbeat(stats("n1", 5)));
        assertUnchanged(new MetaCommand.RemoveNode("n1"), MetaResult.NODE_NOT_DRAINED);
        assertUnchanged(new MetaCommand.RemoveNode("nobody"), MetaResult.NO_SUCH_NODE);
        apply(new MetaCommand.MarkOut("v1"));
        assertUnchanged(new MetaCommand.RemoveNode("v1"), MetaResult.NODE_IS_VOTER);
        apply(new MetaCommand.MarkOut("n1"));
        state = new MetaState(state.map().withActing(List.of(new io.cairn.core.map.ActingSet("default", 3, List.of("n1", "v1")))),
                state.stats());
        assertUnchanged(new MetaCommand.RemoveNode("n1"), MetaResult.NODE_STILL_HOLDS_DATA);
        state = new MetaState(state.map().withActing(List.of()), state.stats());
        // n2, in, has not reported the map that took n1 out, then reports it still copying: not settled.
        assertUnchanged(new MetaCommand.RemoveNode("n1"), MetaResult.NODE_STILL_HOLDS_DATA);
        apply(new MetaCommand.Heartbeat(new io.cairn.core.map.NodeStats("n2", 1_000_000_000L, 0, false, 1, 1L, state.map().epoch(), 0)));
        assertUnchanged(new MetaCommand.RemoveNode("n1"), MetaResult.NODE_STILL_HOLDS_DATA);
        apply(new MetaCommand.Heartbeat(new io.cairn.core.map.NodeStats("n2", 1_000_000_000L, 0, false, 0, 2L, state.map().epoch(), 0)));

        long epoch = state.map().epoch();
        assertThat(apply(new MetaCommand.RemoveNode("n1"))).isEqualTo(MetaResult.success(epoch + 1));
        assertThat(state.map().node("n1")).isEmpty();
        assertThat(state.map().removed()).containsExactly("n1");
        assertThat(state.map().isRemoved("n1")).isTrue();
        assertThat(state.stats()).doesNotContainKey("n1");
        assertUnchanged(new MetaCommand.RemoveNode("n1"), MetaResult.NODE_REMOVED);
        assertUnchanged(new MetaCommand.RegisterNode(node("n1")), MetaResult.NODE_REMOVED);
        assertUnchanged(new MetaCommand.Heartbeat(stats("n1", 5)), MetaResult.NODE_REMOVED);
        assertUnchanged(new MetaCommand.MarkIn("n1"), MetaResult.NO_SUCH_NODE);
        // The removal survives the map's round trip through JSON (snapshots and reads).
        assertThat(MetaJson.mapper().readValue(MetaJson.mapper().writeValueAsString(state.map()), ClusterMap.class).removed())
                .containsExactly("n1");
    }

    @Test
    void aDownNodesHeartbeatThatTheNetworkHeldBackDoesNotBringItBackUp() {
        apply(bootstrap());
        apply(new MetaCommand.RegisterNode(node("n1")));
        apply(new MetaCommand.RegisterNode(node("n2")));
        long epoch = state.map().epoch();
        // n1 cannot reach n2, says so, and is taken out for a cut.
        apply(new MetaCommand.Heartbeat(new io.cairn.core.map.NodeStats("n1", 1_000_000_000L, 0, false, 0, 2_000L, epoch, 0, 0,
                java.util.List.of("n2"), java.util.List.of("n2"))));
        apply(new MetaCommand.MarkDown("n1", true));
        assertThat(state.map().node("n1").orElseThrow().isUp()).isFalse();
        // A heartbeat it sent before it suspected n2 arrives late: it stays down.
        apply(new MetaCommand.Heartbeat(new io.cairn.core.map.NodeStats("n1", 1_000_000_000L, 0, false, 0, 1_000L, epoch, 0, 0,
                java.util.List.of(), java.util.List.of("n2"))));
        assertThat(state.map().node("n1").orElseThrow().isUp()).as("up on a heartbeat older than the one that took it out").isFalse();
        // A newer one that no longer suspects n2 brings it back.
        apply(new MetaCommand.Heartbeat(new io.cairn.core.map.NodeStats("n1", 1_000_000_000L, 0, false, 0, 3_000L, epoch, 0, 0,
                java.util.List.of(), java.util.List.of("n2"))));
        assertThat(state.map().node("n1").orElseThrow().isUp()).isTrue();
    }

    @Test
    void aJoinTokenAdmitsOneNodeOnceBeforeItExpiresAndNeverChangesTheMap() throws Exception {
        apply(bootstrap());
        apply(new MetaCommand.RegisterNode(node("n1")));
        String a = "a".repeat(64);
        String b = "b".repeat(64);
        long epoch = state.map().epoch();
        assertThat(apply(new MetaCommand.AddJoinToken(a, 10_000, 1_000)).ok()).isTrue();
        assertThat(apply(new MetaCommand.AddJoinToken(b, 5_000, 1_000)).ok()).isTrue();
        assertThat(state.map().epoch()).isEqualTo(epoch);
        assertThat(state.joinTokens()).containsOnlyKeys(a, b);
        assertThat(MetaJson.mapper().readValue(MetaJson.mapper().writeValueAsString(state), MetaState.class)).as("as a snapshot keeps it")
                .isEqualTo(state);
        assertUnchanged(new MetaCommand.AddJoinToken(a, 20_000, 1_000), MetaResult.JOIN_TOKEN_INVALID);
        // Tokens survive map changes and heartbeats.
        apply(new MetaCommand.RegisterNode(node("n2")));
        apply(new MetaCommand.Heartbeat(stats("n1", 5)));
        assertThat(state.joinTokens()).containsOnlyKeys(a, b);

        assertUnchanged(new MetaCommand.UseJoinToken(b, "n3", 5_000), MetaResult.JOIN_TOKEN_INVALID); // expired at 5,000
        assertUnchanged(new MetaCommand.UseJoinToken("c".repeat(64), "n3", 2_000), MetaResult.JOIN_TOKEN_INVALID);
        assertThat(apply(new MetaCommand.UseJoinToken(a, "n3", 6_000)).ok()).isTrue();
        assertThat(state.joinTokens()).as("used, and the expired one dropped").isEmpty();
        assertUnchanged(new MetaCommand.UseJoinToken(a, "n3", 6_000), MetaResult.JOIN_TOKEN_INVALID);

        // A removed node's id is not admitted again.
        apply(new MetaCommand.AddJoinToken(a, 100_000, 7_000));
        apply(new MetaCommand.MarkOut("n2"));
        apply(new MetaCommand.Heartbeat(new io.cairn.core.map.NodeStats("n1", 1_000_000_000L, 0, false, 0, 1L, state.map().epoch(), 0)));
        assertThat(apply(new MetaCommand.RemoveNode("n2")).ok()).isTrue();
        assertUnchanged(new MetaCommand.UseJoinToken(a, "n2", 8_000), MetaResult.NODE_REMOVED);
        assertThatThrownBy(() -> new MetaCommand.AddJoinToken("not-a-hash", 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MetaCommand.AddJoinToken(a, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theSealedCaKeyIsKeptForOneCaOnlyPassesThroughOtherCommandsAndNeverChangesTheMap() throws Exception {
        apply(bootstrap());
        String ca = "c".repeat(64);
        long epoch = state.map().epoch();
        ClusterCaKey first = new ClusterCaKey(ca, "sealed1:k1:AAAA");
        assertThat(apply(new MetaCommand.StoreClusterCaKey(first)).ok()).isTrue();
        assertThat(state.clusterCaKey()).isEqualTo(first);
        assertThat(state.map().epoch()).isEqualTo(epoch);
        // Map changes, heartbeats and join tokens leave it as it is.
        apply(new MetaCommand.RegisterNode(node("n1")));
        apply(new MetaCommand.Heartbeat(stats("n1", 5)));
        apply(new MetaCommand.AddJoinToken("a".repeat(64), 10_000, 1_000));
        assertThat(state.clusterCaKey()).isEqualTo(first);
        assertThat(MetaJson.mapper().readValue(MetaJson.mapper().writeValueAsString(state), MetaState.class)).as("a snapshot keeps it")
                .isEqualTo(state);
        // Sealed anew (a master key rotation): replaced. Another CA's: refused.
        ClusterCaKey resealed = new ClusterCaKey(ca, "sealed1:k2:BBBB");
        assertThat(apply(new MetaCommand.StoreClusterCaKey(resealed)).ok()).isTrue();
        assertThat(state.clusterCaKey()).isEqualTo(resealed);
        assertUnchanged(new MetaCommand.StoreClusterCaKey(new ClusterCaKey("d".repeat(64), "sealed1:k2:CCCC")), MetaResult.OTHER_CLUSTER_CA);
        assertThat(state.forMembers().clusterCaKey()).isNull();
        assertThat(state.forMembers().withClusterCaKey(resealed)).isEqualTo(state);
        assertThatThrownBy(() -> new ClusterCaKey("not-a-hash", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ClusterCaKey(ca, "")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aUserOwnsAtMostTheLimitOfBucketsWhateverKeyCreatedThem() {
        apply(bootstrap());
        apply(new MetaCommand.PutUser(new UserInfo("ALICE", "s1", "alice", false)));
        apply(new MetaCommand.PutUser(new UserInfo("ALICE2", "s2", "alice", false)));
        assertThat(apply(new MetaCommand.CreateBucket(bucket("a1", "default", "alice"), 2)).ok()).isTrue();
        assertThat(apply(new MetaCommand.CreateBucket(bucket("a2", "default", "ALICE2"), 2)).ok()).isTrue(); // an older map's key-owner
        assertUnchanged(new MetaCommand.CreateBucket(bucket("a3", "default", "alice"), 2), MetaResult.TOO_MANY_BUCKETS);
        assertThat(apply(new MetaCommand.CreateBucket(bucket("r1", "default", "ROOTKEY"), 2)).ok()).as("another user").isTrue();
        assertThat(apply(new MetaCommand.CreateBucket(bucket("a3", "default", "alice"))).ok()).as("no limit").isTrue();
        apply(new MetaCommand.DeleteBucket("a1"));
        apply(new MetaCommand.DeleteBucket("a2"));
        assertThat(apply(new MetaCommand.CreateBucket(bucket("a4", "default", "alice"), 2)).ok()).isTrue();
    }

    @Test
    void malformedCommandsAreRefusedOnConstruction() {
        assertThatThrownBy(() -> new MetaCommand.Bootstrap(" ", List.of(), ROOT)).hasMessageContaining("clusterId");
        assertThatThrownBy(() -> new MetaCommand.Bootstrap("c", List.of(MetaFixtures.POOLS.get(0), MetaFixtures.POOLS.get(0)), ROOT))
                .hasMessageContaining("duplicate pool name: default");
        assertThatThrownBy(() -> new MetaCommand.MarkDown("")).hasMessageContaining("nodeId");
        assertThatThrownBy(() -> new MetaCommand.DeleteBucket(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new MetaCommand.RegisterNode(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new MetaResult(true, "x", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MetaResult(false, null, 1)).isInstanceOf(NullPointerException.class);
    }

    /** Random command sequences: the epoch grows by exactly one per change and never on a no-op or error. */
    @Test
    void epochGrowsByOneOnEveryChangeAndNeverOtherwise() {
        String given = System.getProperty("cairn.test.seed");
        long seed = given != null ? Long.decode(given) : System.nanoTime();
        System.out.println("ClusterMapStateMachineTest seed=" + seed + " (re-run: ./mvnw -o -pl cairn-meta test"
                + " -Dtest=ClusterMapStateMachineTest -Dcairn.test.seed=" + seed + ")");
        Random random = new Random(seed);
        List<String> ids = List.of("n1", "n2", "n3", "n4");
        List<String> buckets = List.of("a", "b", "c");
        List<String> pools = List.of("default", "cold", "missing", "rep2");
        List<String> owners = List.of("ROOTKEY", "ALICE");
        for (int step = 0; step < 5_000; step++) {
            MetaCommand command = switch (random.nextInt(12)) {
                case 0 -> bootstrap();
                case 1 -> new MetaCommand.RegisterNode(node(random.nextInt(4) == 0 ? "x" + step : pick(random, ids),
                        "10.0.0." + random.nextInt(3) + ":9000"));
                case 2 -> new MetaCommand.Heartbeat(stats(pick(random, ids), random.nextInt(100)));
                case 3 -> new MetaCommand.Heartbeat(new io.cairn.core.map.NodeStats(pickNode(random, ids), 1_000_000_000L,
                        random.nextInt(100), false, random.nextInt(4) == 0 ? 1 : 0, 1_700_000_000_000L, state.map().epoch(), 0));
                case 4 -> new MetaCommand.MarkDown(pick(random, ids));
                case 5 -> new MetaCommand.CreateBucket(bucket(pick(random, buckets), pick(random, pools), pick(random, owners)));
                case 6 -> new MetaCommand.DeleteBucket(pick(random, buckets));
                case 7 -> new MetaCommand.CreatePool(pool(pick(random, pools), random.nextBoolean() ? "rep2" : "ec4+2", 32));
                case 8 -> new MetaCommand.CreateBucket(bucket(pick(random, buckets), pick(random, pools), pick(random, owners),
                        pick(random, pools)));
                case 9 -> new MetaCommand.PutUser(new UserInfo(pick(random, owners), "s" + random.nextInt(2), "u", false));
                case 10 -> new MetaCommand.MarkOut(pickNode(random, ids));
                default -> random.nextInt(4) == 0 ? new MetaCommand.RemoveNode(pickNode(random, ids)) : new MetaCommand.MarkIn(pickNode(random, ids));
            };
            MetaState before = state;
            MetaResult result = apply(command);
            long expected = sameContent(before.map(), state.map()) ? before.map().epoch() : before.map().epoch() + 1;
            assertThat(state.map().epoch()).as("seed %d step %d %s", seed, step, command).isEqualTo(expected);
            assertThat(result.epoch()).as("seed %d step %d", seed, step).isEqualTo(state.map().epoch());
            if (!result.ok()) {
                assertThat(state).as("seed %d step %d", seed, step).isSameAs(before);
            }
            for (BucketInfo b : state.map().buckets()) {
                assertThat(state.map().pool(b.pool()).orElseThrow().policy().kind()).as("seed %d bucket %s", seed, b)
                        .isEqualTo(io.cairn.core.map.StoragePolicy.Kind.REPLICATED);
                assertThat(state.map().pool(b.dataPoolName())).as("seed %d bucket %s", seed, b).isPresent();
            }
            assertThat(state.map().pools().size()).as("seed %d", seed).isLessThanOrEqualTo(MetaCommand.POOLS_MAX);
            List<String> nodeIds = new ArrayList<>();
            state.map().nodes().forEach(n -> nodeIds.add(n.id()));
            assertThat(state.stats().keySet()).as("seed %d", seed).isSubsetOf(nodeIds);
            for (String removed : state.map().removed()) {
                assertThat(nodeIds).as("seed %d: removed node %s is in the map", seed, removed).doesNotContain(removed);
            }
        }
    }

    /** A node of the current map, or one of {@code ids} when it has none. */
    private String pickNode(Random random, List<String> ids) {
        List<NodeInfo> nodes = state.map().nodes();
        return nodes.isEmpty() ? pick(random, ids) : nodes.get(random.nextInt(nodes.size())).id();
    }

    private static boolean sameContent(ClusterMap a, ClusterMap b) {
        return withoutEpoch(a).equals(withoutEpoch(b));
    }

    private static ClusterMap withoutEpoch(ClusterMap m) {
        return new ClusterMap(0, m.clusterId(), m.nodes(), m.pools(), m.buckets(), m.users());
    }

    private static String pick(Random random, List<String> values) {
        return values.get(random.nextInt(values.size()));
    }
}
