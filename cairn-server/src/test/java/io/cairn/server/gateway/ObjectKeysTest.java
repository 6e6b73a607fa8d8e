package io.cairn.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.meta.MetaJson;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ObjectKeysTest {

    private static final PoolInfo POOL = new PoolInfo("default", StoragePolicy.replicated(3), 64);

    private static BucketInfo bucket(String name, int shards, int layout) {
        return new BucketInfo(name, POOL.name(), "alice", 1_700_000_000_000L, shards, null, List.of(), false, null, null, layout);
    }

    @Test
    void spread_shards_take_as_many_partitions_as_there_are_shards() {
        for (int i = 0; i < 200; i++) {
            BucketInfo b = bucket("bucket-" + i, 32, BucketInfo.INDEX_LAYOUT_SPREAD);
            assertThat(ObjectKeys.indexPartitions(b, POOL)).hasSize(32);
            BucketInfo wide = bucket("bucket-" + i, 100, BucketInfo.INDEX_LAYOUT_SPREAD);
            assertThat(ObjectKeys.indexPartitions(wide, POOL)).hasSize(64); // more shards than partitions: every partition
        }
    }

    @Test
    void every_key_lands_on_one_of_the_bucket_index_partitions() {
        for (int layout : new int[] {BucketInfo.INDEX_LAYOUT_HASHED, BucketInfo.INDEX_LAYOUT_SPREAD}) {
            BucketInfo b = bucket("photos", 32, layout);
            Set<PartitionId> partitions = new HashSet<>(ObjectKeys.indexPartitions(b, POOL));
            Set<PartitionId> used = new HashSet<>();
            for (int k = 0; k < 5000; k++) {
                PartitionId p = ObjectKeys.indexPartition(b, POOL, "key-" + k);
                assertThat(partitions).contains(p);
                used.add(p);
            }
            assertThat(used).isEqualTo(partitions);
        }
    }

    @Test
    void buckets_made_before_the_spread_layout_keep_their_partitions_and_their_map_form() throws Exception {
        int fewer = 0;
        for (int i = 0; i < 200; i++) {
            BucketInfo old = bucket("bucket-" + i, 32, BucketInfo.INDEX_LAYOUT_HASHED);
            if (ObjectKeys.indexPartitions(old, POOL).size() < 32) {
                fewer++; // independent hashes collide: the reason for the spread layout
            }
        }
        assertThat(fewer).isGreaterThan(150);

        BucketInfo old = bucket("old", 32, BucketInfo.INDEX_LAYOUT_HASHED);
        String json = MetaJson.mapper().writeValueAsString(old);
        assertThat(json).doesNotContain("indexLayout");
        assertThat(MetaJson.mapper().readValue(json, BucketInfo.class)).isEqualTo(old);
        BucketInfo spread = bucket("new", 32, BucketInfo.INDEX_LAYOUT_SPREAD);
        assertThat(MetaJson.mapper().readValue(MetaJson.mapper().writeValueAsString(spread), BucketInfo.class)).isEqualTo(spread);
        assertThat(spread.withPolicy("{}").withOwner("bob").withAccess(List.of(), true).withDefaultEncryption(BucketInfo.SSE_S3).indexLayout())
                .isEqualTo(BucketInfo.INDEX_LAYOUT_SPREAD);
        assertThat(spread.withOwner("bob").policy()).isEqualTo(spread.policy());
        assertThatThrownBy(() -> bucket("x", 32, 7)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("indexLayout");
    }

    @Test
    void every_record_key_of_a_bucket_names_it_and_old_chunks_name_none() {
        BucketInfo b = bucket("my.photos", 8, BucketInfo.INDEX_LAYOUT_SPREAD);
        String chunk = ObjectKeys.chunkKey(ObjectKeys.chunkId(b, "v123", 4));
        for (String key : List.of(ObjectKeys.indexKey(b, "a/b.c/d"), ObjectKeys.uploadKey(b, "k", "up1"), ObjectKeys.partKey(b, "up1", 3),
                chunk, ObjectKeys.indexKey(b, ""))) {
            assertThat(ObjectKeys.bucketOf(key)).as(key).contains("my.photos");
        }
        assertThat(ObjectKeys.chunkPartition(POOL, ObjectKeys.chunkId(b, "v123", 4))).isNotNull();
        // A chunk written before chunk ids named their bucket, and keys of no bucket.
        for (String key : List.of("c/v123.4", "c/", "\u0000backup/ledger", "x/a.1/b", "i/nodot/k", "i/a.b/k", "i/.5/k", "i/a./k")) {
            assertThat(ObjectKeys.bucketOf(key)).as(key).isEmpty();
        }
    }
}
