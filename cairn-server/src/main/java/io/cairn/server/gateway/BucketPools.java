package io.cairn.server.gateway;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.meta.MetaCommand;
import io.cairn.s3.S3Error;
import io.cairn.s3.S3Exception;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a new bucket's index and data go, decided from its storage policy and the cluster map
 * alone (no I/O): the index always in the replicated default pool, the data in the pool named
 * after the policy, which may have to be created first.
 *
 * @param indexPool    the pool of the bucket's index: always {@link BucketCreator#DEFAULT_POOL}
 * @param dataPool     the pool of the bucket's data when it differs from {@code indexPool}, else null
 * @param poolToCreate the data pool when the map does not hold it yet, else null
 */
public record BucketPools(String indexPool, String dataPool, PoolInfo poolToCreate) {

    /** The forms a policy may take, for error messages. */
    public static final String POLICY_FORMS = "repN (N full copies, e.g. rep3, rep2) or ecK+M (K data and M parity blocks, e.g. ec4+2)";

    private static final Pattern WELL_FORMED = Pattern.compile("rep[0-9]+|ec[0-9]+\\+[0-9]+");

    public BucketPools {
        if (indexPool == null || indexPool.isBlank()) {
            throw new IllegalArgumentException("indexPool is required");
        }
        if (poolToCreate != null && !poolToCreate.name().equals(dataPool)) {
            throw new IllegalArgumentException("the pool to create must be the data pool: " + poolToCreate.name() + " vs " + dataPool);
        }
    }

    /** The pool holding the data: {@code dataPool}, or {@code indexPool} when it is null. */
    public String dataPoolName() {
        return dataPool != null ? dataPool : indexPool;
    }

    /**
     * Resolves {@code policyOrNull} against {@code map}.
     *
     * <ul>
     *   <li>null or blank, or the default pool's own policy: index and data in the default pool;</li>
     *   <li>any other {@code repN} or {@code ecK+M}: data in the pool named after the policy
     *       ({@code rep2}, {@code ec4+2}), to be created with the default pool's partition count
     *       when the map lacks it.</li>
     * </ul>
     *
     * @throws S3Exception {@code InvalidArgument} when the text is no policy, when fewer nodes are
     *     in than the policy's width, when the pool named after the policy has another policy, or
     *     when the map holds {@link MetaCommand#POOLS_MAX} pools already; {@code ServiceUnavailable}
     *     when the map has no default pool yet (the cluster is not bootstrapped)
     */
    public static BucketPools choose(ClusterMap map, String policyOrNull) throws S3Exception {
        PoolInfo defaultPool = map.pool(BucketCreator.DEFAULT_POOL)
                .orElseThrow(() -> new S3Exception(S3Error.ServiceUnavailable, "the cluster map (epoch " + map.epoch()
                        + ") has no default pool '" + BucketCreator.DEFAULT_POOL + "' yet: the cluster is not bootstrapped"));
        if (defaultPool.policy().kind() != StoragePolicy.Kind.REPLICATED) {
            throw new S3Exception(S3Error.InternalError, "the default pool '" + defaultPool.name() + "' is " + defaultPool.policy()
                    + ", but a bucket index needs a replicated pool");
        }
        if (policyOrNull == null || policyOrNull.isBlank()) {
            return new BucketPools(defaultPool.name(), null, null);
        }
        StoragePolicy policy = parse(policyOrNull);
        if (policy.equals(defaultPool.policy())) {
            return new BucketPools(defaultPool.name(), null, null);
        }
        long nodesIn = map.nodes().stream().filter(NodeInfo::in).count();
        if (nodesIn < policy.width()) {
            throw new S3Exception(S3Error.InvalidArgument, "storage policy " + policy + " needs at least " + policy.width()
                    + " nodes (" + perNode(policy) + "); the cluster has " + nodesIn + (nodesIn == 1 ? " node" : " nodes") + " in");
        }
        String name = policy.toString();
        var existing = map.pool(name);
        if (existing.isPresent()) {
            if (!existing.get().policy().equals(policy)) {
                throw new S3Exception(S3Error.InvalidArgument, "pool '" + name + "' exists with policy " + existing.get().policy()
                        + ", not " + policy);
            }
            return new BucketPools(defaultPool.name(), name, null);
        }
        if (map.pools().size() >= MetaCommand.POOLS_MAX) {
            throw new S3Exception(S3Error.InvalidArgument, "cannot create pool '" + name + "' for storage policy " + policy
                    + ": the cluster has " + map.pools().size() + " pools, the most it may have");
        }
        return new BucketPools(defaultPool.name(), name, new PoolInfo(name, policy, defaultPool.partitions()));
    }

    private static StoragePolicy parse(String text) throws S3Exception {
        try {
            return StoragePolicy.parse(text);
        } catch (IllegalArgumentException e) {
            // a well-formed policy out of range says which limit it broke; anything else is just not a policy
            String why = e instanceof NumberFormatException ? " (a number is too large)"
                    : WELL_FORMED.matcher(text.trim().toLowerCase(Locale.ROOT)).matches() ? " (" + e.getMessage() + ")" : "";
            throw new S3Exception(S3Error.InvalidArgument, "storage policy '" + text + "' is not valid" + why + "; expected " + POLICY_FORMS);
        }
    }

    private static String perNode(StoragePolicy policy) {
        return policy.kind() == StoragePolicy.Kind.REPLICATED
                ? "each of the " + policy.copies() + " copies on its own node"
                : policy.dataBlocks() + " data + " + policy.parityBlocks() + " parity blocks, each on its own node";
    }
}
