package io.cairn.server.gateway;

import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.node.StorageNode;
import io.cairn.s3.BucketNameRule;
import io.cairn.s3.S3Error;
import io.cairn.s3.S3Exception;

/**
 * Creates a bucket with a storage policy: resolves the policy to pools ({@link BucketPools}),
 * creates the policy's data pool in the cluster map if it is missing, then adds the bucket. The
 * bucket's index always lives in {@link #DEFAULT_POOL}.
 */
public final class BucketCreator {

    /** The replicated pool created at bootstrap: every bucket's index, and the data of buckets without a policy. */
    public static final String DEFAULT_POOL = "rep3";

    /** Buckets one user may own unless the node's configuration says otherwise. */
    public static final int BUCKETS_PER_USER_MAX_DEFAULT = 1000;

    private final StorageNode node;
    private final int bucketsPerUserMax;

    public BucketCreator(StorageNode node) {
        this(node, BUCKETS_PER_USER_MAX_DEFAULT);
    }

    /** @param bucketsPerUserMax buckets one user may own; more are refused ({@code TooManyBuckets}); 0: no limit */
    public BucketCreator(StorageNode node, int bucketsPerUserMax) {
        this.node = node;
        this.bucketsPerUserMax = bucketsPerUserMax;
    }

    /**
     * Creates {@code bucket} owned by {@code owner} with the storage policy {@code policyOrNull}
     * (null or blank: the default pool's) and returns it as the map now holds it.
     *
     * @throws S3Exception {@code InvalidBucketName}; {@code InvalidArgument} for a bad policy or one
     *     the cluster has too few nodes for; {@code BucketAlreadyOwnedByYou} or
     *     {@code BucketAlreadyExists}; {@code ServiceUnavailable} when the map service cannot be reached
     */
    public BucketInfo create(String bucket, String owner, String policyOrNull, long createdMillis) throws S3Exception {
        BucketNameRule.check(bucket);
        if (owner == null || owner.isBlank()) {
            throw new S3Exception(S3Error.InvalidArgument, "a bucket needs an owner");
        }
        BucketPools pools = BucketPools.choose(currentMap(), policyOrNull);
        if (pools.poolToCreate() != null) {
            MetaResult r = submit(new MetaCommand.CreatePool(pools.poolToCreate()));
            if (!r.ok()) {
                throw new S3Exception(S3Error.InvalidArgument, "cannot create pool '" + pools.poolToCreate().name() + "' for bucket "
                        + bucket + ": " + r.error());
            }
            node.mapView().ensureEpoch(r.epoch());
        }
        BucketInfo info = new BucketInfo(bucket, pools.indexPool(), owner, createdMillis, BucketInfo.INDEX_SHARDS_DEFAULT,
                pools.dataPool(), java.util.List.of(), false, null, null, BucketInfo.INDEX_LAYOUT_SPREAD);
        MetaResult r;
        try {
            r = node.meta().submit(new MetaCommand.CreateBucket(info, bucketsPerUserMax));
        } catch (io.cairn.meta.MetaUnavailableException e) {
            // The answer was lost (the meta leader's stream closed, a timeout): the bucket may have
            // been created. This request's own bucket in the map is its success; else it is tried
            // once more, and a first attempt applied meanwhile is found the same way below.
            if (createdBy(currentMap(), info)) {
                return info;
            }
            r = submit(new MetaCommand.CreateBucket(info, bucketsPerUserMax));
        } catch (RuntimeException e) {
            throw new S3Exception(S3Error.ServiceUnavailable, "the cluster map service is unavailable: " + e.getMessage());
        }
        if (!r.ok() && MetaResult.BUCKET_OWNED_BY_YOU.equals(r.error()) && createdBy(currentMap(), info)) {
            return info; // an earlier attempt of this request applied
        }
        if (!r.ok()) {
            throw switch (r.error()) {
                case MetaResult.BUCKET_OWNED_BY_YOU -> new S3Exception(S3Error.BucketAlreadyOwnedByYou, "you already own bucket " + bucket);
                case MetaResult.BUCKET_ALREADY_EXISTS -> new S3Exception(S3Error.BucketAlreadyExists, "bucket " + bucket + " belongs to another user");
                case MetaResult.TOO_MANY_BUCKETS -> new S3Exception(S3Error.TooManyBuckets, "you have attempted to create more buckets than allowed: "
                        + owner + " owns " + bucketsPerUserMax + " buckets already");
                default -> new S3Exception(S3Error.InvalidArgument, "cannot create bucket " + bucket + ": " + r.error());
            };
        }
        node.mapView().ensureEpoch(r.epoch());
        ClusterMap map = node.mapView().current().map();
        map.pool(info.dataPoolName()).flatMap(p -> io.cairn.core.placement.SiteLoss.risk(map, p.policy())).ifPresent(risk ->
                org.slf4j.LoggerFactory.getLogger(BucketCreator.class).warn("bucket {} created, but {}", bucket, risk));
        return info;
    }

    /** Whether {@code map} holds the very bucket {@code info} proposes: its name, owner, creation time and pools. */
    static boolean createdBy(ClusterMap map, BucketInfo info) {
        return map.bucket(info.name()).filter(b -> b.owner().equals(info.owner()) && b.createdMillis() == info.createdMillis()
                && b.pool().equals(info.pool()) && b.dataPoolName().equals(info.dataPoolName())).isPresent();
    }

    private ClusterMap currentMap() throws S3Exception {
        try {
            return node.mapView().refresh().map();
        } catch (RuntimeException e) {
            throw new S3Exception(S3Error.ServiceUnavailable, "the cluster map service is unavailable: " + e.getMessage());
        }
    }

    private MetaResult submit(MetaCommand command) throws S3Exception {
        try {
            return node.meta().submit(command);
        } catch (RuntimeException e) {
            throw new S3Exception(S3Error.ServiceUnavailable, "the cluster map service is unavailable: " + e.getMessage());
        }
    }
}
