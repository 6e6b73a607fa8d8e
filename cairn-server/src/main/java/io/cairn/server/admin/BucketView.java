package io.cairn.server.admin;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.PoolInfo;

/**
 * A bucket as the admin API shows it: {@code POST /_cairn/buckets} answers one, {@code GET
 * /_cairn/buckets} lists them. Other tools read it: the field names are stable.
 *
 * @param owner  the user owning the bucket
 * @param policy the storage policy of the bucket's data (its data pool's policy), or null if the
 *               map lacks that pool
 * @param grants who else may use it: {@code {"user"|"key": ..., "permission": "read"|"write"|"owner"}}
 * @param publicRead whether anyone may read it without signing
 */
public record BucketView(
        @JsonProperty("name") String name,
        @JsonProperty("owner") String owner,
        @JsonProperty("policy") String policy,
        @JsonProperty("index_pool") String indexPool,
        @JsonProperty("data_pool") String dataPool,
        @JsonProperty("created_millis") long createdMillis,
        @JsonProperty("grants") java.util.List<java.util.Map<String, String>> grants,
        @JsonProperty("public_read") boolean publicRead,
        @JsonProperty("site_loss_risk") @com.fasterxml.jackson.annotation.JsonInclude(
                com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String siteLossRisk) {

    public static BucketView of(BucketInfo bucket, ClusterMap map) {
        String policy = map.pool(bucket.dataPoolName()).map(PoolInfo::policy).map(Object::toString).orElse(null);
        java.util.List<java.util.Map<String, String>> grants = bucket.grants().stream().map(g -> g.user() != null
                ? java.util.Map.of("user", g.user(), "permission", g.permission().name().toLowerCase(java.util.Locale.ROOT))
                : java.util.Map.of("key", g.key(), "permission", g.permission().name().toLowerCase(java.util.Locale.ROOT))).toList();
        String risk = map.pool(bucket.dataPoolName()).flatMap(p -> io.cairn.core.placement.SiteLoss.risk(map, p.policy())).orElse(null);
        return new BucketView(bucket.name(), io.cairn.core.access.BucketAccess.ownerName(map, bucket), policy, bucket.pool(),
                bucket.dataPoolName(), bucket.createdMillis(), grants, bucket.publicRead(), risk);
    }
}
