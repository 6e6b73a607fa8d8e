package io.cairn.server.admin;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.PoolInfo;

/**
 * A bucket as the admin API shows it: {@code POST /_cairn/buckets} answers one, {@code GET
 * /_cairn/buckets} lists them. Other tools read it: the field names are stable.
 *
 * @param policy the storage policy of the bucket's data (its data pool's policy), or null if the
 *               map lacks that pool
 */
public record BucketView(
        @JsonProperty("name") String name,
        @JsonProperty("owner") String owner,
        @JsonProperty("policy") String policy,
        @JsonProperty("index_pool") String indexPool,
        @JsonProperty("data_pool") String dataPool,
        @JsonProperty("created_millis") long createdMillis) {

    public static BucketView of(BucketInfo bucket, ClusterMap map) {
        String policy = map.pool(bucket.dataPoolName()).map(PoolInfo::policy).map(Object::toString).orElse(null);
        return new BucketView(bucket.name(), bucket.owner(), policy, bucket.pool(), bucket.dataPoolName(), bucket.createdMillis());
    }
}
