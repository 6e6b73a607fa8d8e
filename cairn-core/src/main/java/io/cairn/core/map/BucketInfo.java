package io.cairn.core.map;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * A bucket: its index is spread over {@code indexShards} partitions of {@code pool} (always a
 * replicated pool) so a listing merges a few sorted streams; its data chunks live in
 * {@code dataPool}, whose storage policy decides their redundancy.
 *
 * @param name          bucket name
 * @param pool          the pool holding the bucket's index
 * @param owner         the user owning the bucket (in maps written before users had several keys:
 *                      an access key of that user; see {@link io.cairn.core.access.BucketAccess#ownerName})
 * @param createdMillis creation time
 * @param indexShards   how many index partitions the bucket's keys spread over
 * @param dataPool      the pool holding the data chunks, or null for the same as {@code pool}
 *                      (a {@code dataPool} equal to {@code pool} is kept as null, so one bucket
 *                      has one form); left out of the JSON form when null, so maps written
 *                      before it existed read and write unchanged
 * @param grants        permissions given to other users or keys (empty: only the owner)
 * @param publicRead    whether anyone may list the bucket and read its objects without signing
 * @param defaultEncryption the server-side encryption of objects written without asking for one
 *                      ({@code AES256}: SSE-S3), or null for none
 * @param policy        the bucket policy (JSON, as its owner sent it; see {@link io.cairn.core.access.BucketPolicy}), or
 *                      null for none
 * @param indexLayout   how index shards map to partitions: {@link #INDEX_LAYOUT_HASHED} (each
 *                      shard hashed on its own, so shards may share a partition; buckets made
 *                      before the spread layout) or {@link #INDEX_LAYOUT_SPREAD} (consecutive
 *                      partitions from a hashed start, so shards share a partition only when
 *                      there are more shards than partitions); left out of the JSON form when 0
 * @param cors          the CORS rules (JSON of {@link io.cairn.core.access.BucketCors}), or null for none
 * @param tags          the bucket's tags (S3 bucket tagging), URL-encoded as {@code k1=v1&k2=v2} in
 *                      the order set, or null for none; left out of the JSON form when null
 * @param publicAccessBlock the bucket's Block Public Access settings, or null when none were set
 *                      (S3 tells that apart from settings that are all false); left out of the
 *                      JSON form when null
 * @param objectOwnership S3 Object Ownership: {@link #OWNERSHIP_ENFORCED} (ACLs are disabled:
 *                      none may be set, and those set before grant nothing) or
 *                      {@link #OWNERSHIP_PREFERRED} (ACLs work); either way the bucket's owner
 *                      owns every object in it, as in every Cairn bucket. Null when none was set;
 *                      left out of the JSON form when null
 * @param lifecycle     the lifecycle rules (JSON of {@link io.cairn.core.access.BucketLifecycle}), or null for
 *                      none; left out of the JSON form when null
 */
public record BucketInfo(
        String name,
        String pool,
        String owner,
        long createdMillis,
        int indexShards,
        @JsonInclude(JsonInclude.Include.NON_NULL) String dataPool,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) java.util.List<BucketGrant> grants,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) Boolean publicRead,
        @JsonInclude(JsonInclude.Include.NON_NULL) String defaultEncryption,
        @JsonInclude(JsonInclude.Include.NON_NULL) String policy,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) Integer indexLayout,
        @JsonInclude(JsonInclude.Include.NON_NULL) String cors,
        @JsonInclude(JsonInclude.Include.NON_NULL) String tags,
        @JsonInclude(JsonInclude.Include.NON_NULL) io.cairn.core.access.PublicAccessBlock publicAccessBlock,
        @JsonInclude(JsonInclude.Include.NON_NULL) String objectOwnership,
        @JsonInclude(JsonInclude.Include.NON_NULL) String lifecycle) {

    /** The one default encryption there is: SSE-S3. */
    public static final String SSE_S3 = "AES256";

    /** Object Ownership that disables ACLs. */
    public static final String OWNERSHIP_ENFORCED = "BucketOwnerEnforced";
    /** Object Ownership that keeps ACLs working, the bucket's owner owning every object. */
    public static final String OWNERSHIP_PREFERRED = "BucketOwnerPreferred";

    public static final int INDEX_SHARDS_DEFAULT = 32;
    /** Each index shard hashed to a partition on its own (buckets made before the spread layout). */
    public static final int INDEX_LAYOUT_HASHED = 0;
    /** Index shards on consecutive partitions from a hashed start: a bucket's keys spread over as many partitions as it has shards. */
    public static final int INDEX_LAYOUT_SPREAD = 1;

    public BucketInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(owner, "owner");
        if (indexShards < 1) {
            throw new IllegalArgumentException("indexShards must be >= 1: " + indexShards);
        }
        indexLayout = indexLayout == null ? INDEX_LAYOUT_HASHED : indexLayout; // absent from maps written before it existed
        if (indexLayout != INDEX_LAYOUT_HASHED && indexLayout != INDEX_LAYOUT_SPREAD) {
            throw new IllegalArgumentException("indexLayout must be " + INDEX_LAYOUT_HASHED + " or " + INDEX_LAYOUT_SPREAD + ": " + indexLayout);
        }
        if (dataPool != null && dataPool.isBlank()) {
            throw new IllegalArgumentException("dataPool must be null or a pool name: '" + dataPool + "'");
        }
        if (pool.equals(dataPool)) {
            dataPool = null;
        }
        grants = grants == null ? java.util.List.of() : java.util.List.copyOf(grants);
        publicRead = publicRead != null && publicRead; // absent from maps written before it existed
        if (defaultEncryption != null && !defaultEncryption.equals(SSE_S3)) {
            throw new IllegalArgumentException("defaultEncryption must be null or " + SSE_S3 + ": " + defaultEncryption);
        }
        if (tags != null && tags.isEmpty()) {
            tags = null; // no tags has one form
        }
        if (objectOwnership != null && !objectOwnership.equals(OWNERSHIP_ENFORCED) && !objectOwnership.equals(OWNERSHIP_PREFERRED)) {
            throw new IllegalArgumentException("objectOwnership must be null, " + OWNERSHIP_ENFORCED + " or " + OWNERSHIP_PREFERRED + ": "
                    + objectOwnership);
        }
    }

    public BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards, String dataPool,
                      java.util.List<BucketGrant> grants, Boolean publicRead, String defaultEncryption, String policy,
                      Integer indexLayout, String cors, String tags, io.cairn.core.access.PublicAccessBlock publicAccessBlock,
                      String objectOwnership) {
        this(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy, indexLayout, cors, tags,
                publicAccessBlock, objectOwnership, null);
    }

    public BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards, String dataPool,
                      java.util.List<BucketGrant> grants, Boolean publicRead, String defaultEncryption, String policy,
                      Integer indexLayout, String cors, String tags, io.cairn.core.access.PublicAccessBlock publicAccessBlock) {
        this(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy, indexLayout, cors, tags,
                publicAccessBlock, null);
    }

    public BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards, String dataPool,
                      java.util.List<BucketGrant> grants, Boolean publicRead, String defaultEncryption, String policy,
                      Integer indexLayout, String cors, String tags) {
        this(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy, indexLayout, cors, tags,
                null);
    }

    public BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards, String dataPool,
                      java.util.List<BucketGrant> grants, Boolean publicRead, String defaultEncryption, String policy,
                      Integer indexLayout, String cors) {
        this(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy, indexLayout, cors, null);
    }

    public BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards, String dataPool,
                      java.util.List<BucketGrant> grants, Boolean publicRead, String defaultEncryption, String policy) {
        this(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy, INDEX_LAYOUT_HASHED);
    }

    public BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards, String dataPool,
                      java.util.List<BucketGrant> grants, Boolean publicRead, String defaultEncryption, String policy,
                      Integer indexLayout) {
        this(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy, indexLayout, null);
    }

    public BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards, String dataPool,
                      java.util.List<BucketGrant> grants, Boolean publicRead, String defaultEncryption) {
        this(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, null);
    }

    public BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards, String dataPool,
                      java.util.List<BucketGrant> grants, Boolean publicRead) {
        this(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, null);
    }

    /** A bucket with only its owner's rights. */
    public BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards, String dataPool) {
        this(name, pool, owner, createdMillis, indexShards, dataPool, java.util.List.of(), false);
    }

    /** This bucket with these grants and public-read setting. */
    public BucketInfo withAccess(java.util.List<BucketGrant> newGrants, boolean newPublicRead) {
        return new BucketInfo(name, pool, owner, createdMillis, indexShards, dataPool, newGrants, newPublicRead, defaultEncryption, policy, indexLayout,
                cors, tags, publicAccessBlock, objectOwnership, lifecycle);
    }

    /** This bucket with another default encryption (null for none). */
    public BucketInfo withDefaultEncryption(String algorithm) {
        return new BucketInfo(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, algorithm, policy, indexLayout, cors, tags,
                publicAccessBlock, objectOwnership, lifecycle);
    }

    /** This bucket with another policy (null for none). */
    public BucketInfo withPolicy(String newPolicy) {
        return new BucketInfo(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, newPolicy, indexLayout,
                cors, tags, publicAccessBlock, objectOwnership, lifecycle);
    }

    /** This bucket with another owner. */
    public BucketInfo withOwner(String newOwner) {
        return new BucketInfo(name, pool, newOwner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy,
                indexLayout, cors, tags, publicAccessBlock, objectOwnership, lifecycle);
    }

    /** This bucket with another CORS configuration (JSON of {@link io.cairn.core.access.BucketCors}; null for none). */
    public BucketInfo withCors(String newCors) {
        return new BucketInfo(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy,
                indexLayout, newCors, tags, publicAccessBlock, objectOwnership, lifecycle);
    }

    /** This bucket with other tags ({@code k1=v1&k2=v2}, URL-encoded; null for none). */
    public BucketInfo withTags(String newTags) {
        return new BucketInfo(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy,
                indexLayout, cors, newTags, publicAccessBlock, objectOwnership, lifecycle);
    }

    /** This bucket with other Block Public Access settings (null for none). */
    public BucketInfo withPublicAccessBlock(io.cairn.core.access.PublicAccessBlock newBlock) {
        return new BucketInfo(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy,
                indexLayout, cors, tags, newBlock, objectOwnership, lifecycle);
    }

    /** This bucket with another Object Ownership (null for none). */
    public BucketInfo withObjectOwnership(String newOwnership) {
        return new BucketInfo(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy,
                indexLayout, cors, tags, publicAccessBlock, newOwnership, lifecycle);
    }

    /** This bucket with other lifecycle rules (JSON of {@link io.cairn.core.access.BucketLifecycle}; null for none). */
    public BucketInfo withLifecycle(String newLifecycle) {
        return new BucketInfo(name, pool, owner, createdMillis, indexShards, dataPool, grants, publicRead, defaultEncryption, policy,
                indexLayout, cors, tags, publicAccessBlock, objectOwnership, newLifecycle);
    }

    /** Whether the bucket's Object Ownership disables ACLs ({@link #OWNERSHIP_ENFORCED}). */
    public boolean aclsDisabled() {
        return OWNERSHIP_ENFORCED.equals(objectOwnership);
    }

    /** The Block Public Access settings in force: {@link io.cairn.core.access.PublicAccessBlock#NONE} when none were set. */
    public io.cairn.core.access.PublicAccessBlock publicAccessBlockOrNone() {
        return publicAccessBlock != null ? publicAccessBlock : io.cairn.core.access.PublicAccessBlock.NONE;
    }

    /** A bucket whose index and data share {@code pool}. */
    public BucketInfo(String name, String pool, String owner, long createdMillis, int indexShards) {
        this(name, pool, owner, createdMillis, indexShards, null);
    }

    /** The pool holding the bucket's data chunks: {@code dataPool}, or {@code pool} when it is null. */
    public String dataPoolName() {
        return dataPool != null ? dataPool : pool;
    }
}
