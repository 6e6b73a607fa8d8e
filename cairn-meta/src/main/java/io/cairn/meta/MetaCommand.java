package io.cairn.meta;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeStats;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.UserInfo;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A change request to the cluster map, written to the meta Raft log as JSON and applied by
 * {@link ClusterMapStateMachine}. Each record checks its own shape on construction, so a
 * malformed command never reaches the log.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = MetaCommand.Bootstrap.class, name = "Bootstrap"),
        @JsonSubTypes.Type(value = MetaCommand.RegisterNode.class, name = "RegisterNode"),
        @JsonSubTypes.Type(value = MetaCommand.Heartbeat.class, name = "Heartbeat"),
        @JsonSubTypes.Type(value = MetaCommand.MarkDown.class, name = "MarkDown"),
        @JsonSubTypes.Type(value = MetaCommand.MarkOut.class, name = "MarkOut"),
        @JsonSubTypes.Type(value = MetaCommand.MarkIn.class, name = "MarkIn"),
        @JsonSubTypes.Type(value = MetaCommand.RemoveNode.class, name = "RemoveNode"),
        @JsonSubTypes.Type(value = MetaCommand.AddJoinToken.class, name = "AddJoinToken"),
        @JsonSubTypes.Type(value = MetaCommand.UseJoinToken.class, name = "UseJoinToken"),
        @JsonSubTypes.Type(value = MetaCommand.StoreClusterCaKey.class, name = "StoreClusterCaKey"),
        @JsonSubTypes.Type(value = MetaCommand.SetDegradedMode.class, name = "SetDegradedMode"),
        @JsonSubTypes.Type(value = MetaCommand.CreatePool.class, name = "CreatePool"),
        @JsonSubTypes.Type(value = MetaCommand.CreateBucket.class, name = "CreateBucket"),
        @JsonSubTypes.Type(value = MetaCommand.DeleteBucket.class, name = "DeleteBucket"),
        @JsonSubTypes.Type(value = MetaCommand.PutUser.class, name = "PutUser"),
        @JsonSubTypes.Type(value = MetaCommand.DeleteUser.class, name = "DeleteUser"),
        @JsonSubTypes.Type(value = MetaCommand.DeleteKey.class, name = "DeleteKey"),
        @JsonSubTypes.Type(value = MetaCommand.ResealSecret.class, name = "ResealSecret"),
        @JsonSubTypes.Type(value = MetaCommand.SetBucketAccess.class, name = "SetBucketAccess"),
        @JsonSubTypes.Type(value = MetaCommand.SetBucketEncryption.class, name = "SetBucketEncryption"),
        @JsonSubTypes.Type(value = MetaCommand.SetBucketPolicy.class, name = "SetBucketPolicy"),
        @JsonSubTypes.Type(value = MetaCommand.SetBucketCors.class, name = "SetBucketCors"),
        @JsonSubTypes.Type(value = MetaCommand.SetBucketTags.class, name = "SetBucketTags"),
        @JsonSubTypes.Type(value = MetaCommand.SetBucketPublicAccessBlock.class, name = "SetBucketPublicAccessBlock"),
        @JsonSubTypes.Type(value = MetaCommand.SetBucketOwnership.class, name = "SetBucketOwnership"),
        @JsonSubTypes.Type(value = MetaCommand.SetBucketLifecycle.class, name = "SetBucketLifecycle"),
        @JsonSubTypes.Type(value = MetaCommand.RecordCut.class, name = "RecordCut"),
        @JsonSubTypes.Type(value = MetaCommand.FenceCut.class, name = "FenceCut"),
        @JsonSubTypes.Type(value = MetaCommand.ClearActing.class, name = "ClearActing"),
        @JsonSubTypes.Type(value = MetaCommand.ShowBackupRound.class, name = "ShowBackupRound"),
        @JsonSubTypes.Type(value = MetaCommand.PromoteBackup.class, name = "PromoteBackup"),
        @JsonSubTypes.Type(value = MetaCommand.SetBackupTarget.class, name = "SetBackupTarget"),
})
public sealed interface MetaCommand {

    /** What {@link CreatePool} accepts as a pool name. */
    Pattern POOL_NAME = Pattern.compile("[a-z0-9][a-z0-9+._-]*");

    /** Longest accepted cluster id, node id or bucket name, in characters. */
    int NAME_LENGTH_MAX = 255;

    /** Most join tokens waiting to be used at once. */
    int JOIN_TOKENS_MAX = 1000;

    /** Most pools a cluster may declare. */
    int POOLS_MAX = 64;

    /** Longest accepted name of a pool created after bootstrap, in characters. */
    int POOL_NAME_LENGTH_MAX = 64;

    /** Sets the cluster id, the pools and the root user once; a no-op on a bootstrapped map. */
    record Bootstrap(String clusterId, List<PoolInfo> pools, UserInfo rootUser) implements MetaCommand {
        public Bootstrap {
            requireName(clusterId, "clusterId");
            Objects.requireNonNull(pools, "pools");
            Objects.requireNonNull(rootUser, "rootUser");
            if (pools.size() > POOLS_MAX) {
                throw new IllegalArgumentException("at most " + POOLS_MAX + " pools: " + pools.size());
            }
            Set<String> names = new HashSet<>();
            for (PoolInfo pool : pools) {
                Objects.requireNonNull(pool, "pool");
                if (!names.add(pool.name())) {
                    throw new IllegalArgumentException("duplicate pool name: " + pool.name());
                }
            }
            pools = List.copyOf(pools);
        }
    }

    /** Adds a node, or replaces the node with the same id; the node becomes up and in. */
    record RegisterNode(NodeInfo node) implements MetaCommand {
        public RegisterNode {
            Objects.requireNonNull(node, "node");
            requireName(node.id(), "node id");
        }
    }

    /** A node's periodic report; brings a down node back up. */
    record Heartbeat(NodeStats stats) implements MetaCommand {
        public Heartbeat {
            Objects.requireNonNull(stats, "stats");
            requireName(stats.nodeId(), "stats.nodeId");
            if (stats.suspects().size() > SUSPECTS_MAX) {
                throw new IllegalArgumentException("a heartbeat names at most " + SUSPECTS_MAX + " suspects, not "
                        + stats.suspects().size());
            }
            stats.suspects().forEach(id -> requireName(id, "stats.suspects"));
        }
    }

    /** Marks an up node down; submitted by the leader's failure detector. */
    record MarkDown(String nodeId,
                    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT)
                    Boolean forCut) implements MetaCommand {
        public MarkDown {
            requireName(nodeId, "nodeId");
            forCut = forCut != null && forCut; // absent from commands written before it existed
        }

        public MarkDown(String nodeId) {
            this(nodeId, false);
        }
    }

    /**
     * Adds a pool; a no-op when a pool of that name with the same policy and partition count
     * exists already, an error when the existing one differs.
     */
    record CreatePool(PoolInfo pool) implements MetaCommand {
        public CreatePool {
            Objects.requireNonNull(pool, "pool");
            requirePoolName(pool.name());
        }
    }

    /**
     * Marks a node out: placement no longer assigns it partitions, so they are re-protected on
     * other nodes. Submitted by the leader for a node down longer than the down-out interval
     * (after the capacity check), or by an operator draining a node. A heartbeat from the node
     * brings it in again.
     */
    record MarkOut(String nodeId) implements MetaCommand {
        public MarkOut {
            requireName(nodeId, "nodeId");
        }
    }

    /** Marks a node in again (an operator undoing a drain): placement assigns it partitions. */
    record MarkIn(String nodeId) implements MetaCommand {
        public MarkIn {
            requireName(nodeId, "nodeId");
        }
    }

    /**
     * Removes a drained node from the cluster for good: its id is revoked, so its certificate is
     * refused on every cluster connection and the id cannot register again.
     */
    record RemoveNode(String nodeId) implements MetaCommand {
        public RemoveNode {
            requireName(nodeId, "nodeId");
        }
    }

    /**
     * Adds a one-time join token, known by the SHA-256 of its secret (hex), valid until
     * {@code expiresMillis}; tokens expired at the submitter's {@code nowMillis} are dropped.
     */
    record AddJoinToken(String secretHash, long expiresMillis, long nowMillis) implements MetaCommand {
        public AddJoinToken {
            requireHash(secretHash);
            if (expiresMillis <= nowMillis) {
                throw new IllegalArgumentException("a join token must expire after it is made");
            }
        }
    }

    /**
     * Uses up a join token for node {@code nodeId}: succeeds once, before the token expires (at
     * the submitter's {@code nowMillis}), for a node id never removed from the cluster.
     */
    record UseJoinToken(String secretHash, String nodeId, long nowMillis) implements MetaCommand {
        public UseJoinToken {
            requireHash(secretHash);
            requireName(nodeId, "nodeId");
        }
    }

    /**
     * Keeps the cluster CA's key, sealed, in the voters' state (submitted by a voter that holds
     * it): taken when the state holds no CA key or one of the same CA (sealed anew, after a
     * master key rotation); refused for another CA.
     */
    record StoreClusterCaKey(ClusterCaKey key) implements MetaCommand {
        public StoreClusterCaKey {
            Objects.requireNonNull(key, "key");
        }
    }

    private static void requireHash(String secretHash) {
        if (secretHash == null || !secretHash.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a join token is named by the hex SHA-256 of its secret");
        }
    }

    /**
     * Removes acting sets whose members have all caught up (submitted by the leader). Only a
     * set still in force exactly as named goes: a newer one stays.
     */
    record ClearActing(java.util.List<io.cairn.core.map.ActingSet> sets) implements MetaCommand {
        public ClearActing {
            sets = java.util.List.copyOf(sets);
            if (sets.isEmpty()) {
                throw new IllegalArgumentException("ClearActing names at least one acting set");
            }
        }
    }

    /** Most suspect peers one heartbeat may name. */
    int SUSPECTS_MAX = 1024;

    /** Longest degraded-mode reason, in characters. */
    int REASON_LENGTH_MAX = 1000;

    /** Enters degraded mode with a reason, or leaves it with null. */
    record SetDegradedMode(String reason) implements MetaCommand {
        public SetDegradedMode {
            if (reason != null && (reason.isBlank() || reason.length() > REASON_LENGTH_MAX)) {
                throw new IllegalArgumentException("reason must be null or 1.." + REASON_LENGTH_MAX + " characters");
            }
        }
    }

    /**
     * Creates a bucket whose index lives in an existing replicated pool and whose data lives in
     * an existing pool of any policy.
     */
    record CreateBucket(BucketInfo bucket, int ownerBucketsMax) implements MetaCommand {
        public CreateBucket {
            Objects.requireNonNull(bucket, "bucket");
            requireName(bucket.name(), "bucket name");
            if (ownerBucketsMax < 0) {
                throw new IllegalArgumentException("ownerBucketsMax must be >= 0 (0: no limit): " + ownerBucketsMax);
            }
        }

        /** A bucket whose owner may own any number of buckets. */
        public CreateBucket(BucketInfo bucket) {
            this(bucket, 0);
        }
    }

    /** Removes a bucket from the map. */
    record DeleteBucket(String name) implements MetaCommand {
        public DeleteBucket {
            requireName(name, "name");
        }
    }

    /**
     * Adds an access key (of a new user, or one more of an existing user, agreeing with that
     * user's admin flag); the same key again is a no-op; a key that exists with other settings is
     * refused ({@link MetaResult#KEY_EXISTS}).
     */
    record PutUser(UserInfo user) implements MetaCommand {
        public PutUser {
            Objects.requireNonNull(user, "user");
            requireName(user.accessKey(), "accessKey");
            requireName(user.name(), "user name");
        }
    }

    /** Removes a user and all its keys; refused while it owns buckets or if it is the last admin. */
    record DeleteUser(String name) implements MetaCommand {
        public DeleteUser {
            requireName(name, "user name");
        }
    }

    /** Removes one access key; refused if it is the last admin key that can write. */
    record DeleteKey(String accessKey) implements MetaCommand {
        public DeleteKey {
            requireName(accessKey, "accessKey");
        }
    }

    /**
     * Replaces the stored secret of one access key by the same secret sealed anew (under another
     * master key), only if what is stored is still {@code expected}: the key, its user and its
     * rights stay as they are. The map cannot tell a sealed secret from another, so who may submit
     * this is who may add keys.
     */
    record ResealSecret(String accessKey, String expected, String sealed) implements MetaCommand {
        public ResealSecret {
            requireName(accessKey, "accessKey");
            Objects.requireNonNull(expected, "expected");
            Objects.requireNonNull(sealed, "sealed");
        }
    }

    /** Sets who besides its owner may use a bucket, and whether anyone may read it unsigned. */
    record SetBucketAccess(String bucket, java.util.List<io.cairn.core.map.BucketGrant> grants, boolean publicRead) implements MetaCommand {
        public SetBucketAccess {
            requireName(bucket, "bucket");
            grants = grants == null ? java.util.List.of() : java.util.List.copyOf(grants);
        }
    }

    /** Sets (or, with null, removes) a bucket's default server-side encryption. */
    record SetBucketEncryption(String bucket, String algorithm) implements MetaCommand {
        public SetBucketEncryption {
            requireName(bucket, "bucket");
            if (algorithm != null && !algorithm.equals(io.cairn.core.map.BucketInfo.SSE_S3)) {
                throw new IllegalArgumentException("algorithm must be null or " + io.cairn.core.map.BucketInfo.SSE_S3 + ": " + algorithm);
            }
        }
    }

    /**
     * Records round {@code round}'s consistent cut, if no equal or later round is recorded or fenced
     * (else CUT_CLOSED), with when its coordinator recorded it ({@code atMillis}).
     */
    record RecordCut(long round, java.util.List<CutLog.Boundary> boundaries, long atMillis) implements MetaCommand {
        public RecordCut {
            if (round < 1) {
                throw new IllegalArgumentException("round must be >= 1: " + round);
            }
            boundaries = boundaries == null ? java.util.List.of() : java.util.List.copyOf(boundaries);
        }

        /** A cut whose time is not known. */
        public RecordCut(long round, java.util.List<CutLog.Boundary> boundaries) {
            this(round, boundaries, 0);
        }
    }

    /**
     * This cluster, a backup site, shows round {@code round} of its primary site's cuts from now on
     * (every partition shipped it whole): taken only while it ships and if the round is after the
     * one it shows (else BACKUP_CLOSED), so the round shown never goes back.
     */
    record ShowBackupRound(long round, long atMillis) implements MetaCommand {
        public ShowBackupRound {
            if (round < 1) {
                throw new IllegalArgumentException("round must be >= 1: " + round);
            }
        }
    }

    /**
     * Promotes this backup site: to {@link BackupMark#PROMOTING} (it takes no more rounds; the round
     * it shows is final), then to {@link BackupMark#PROMOTED} (open for writes), and last to
     * {@link BackupMark#SETTLED} (every key its own record, no state kept). A step back, a step
     * skipped, or a promotion of a cluster that never showed a round is refused (BACKUP_CLOSED).
     */
    record PromoteBackup(String stage) implements MetaCommand {
        public PromoteBackup {
            if (!BackupMark.PROMOTING.equals(stage) && !BackupMark.PROMOTED.equals(stage) && !BackupMark.SETTLED.equals(stage)) {
                throw new IllegalArgumentException("a backup site is promoted in three steps, promoting, promoted and settled, not "
                        + stage);
            }
        }
    }

    /** Sets the backup site this cluster ships its cuts to ({@code cairn admin replicate add}), or none ({@code target} null). */
    record SetBackupTarget(BackupTarget target) implements MetaCommand {}

    /** Fences every round up to {@code round} that is not recorded: it never will be. */
    record FenceCut(long round) implements MetaCommand {
        public FenceCut {
            if (round < 1) {
                throw new IllegalArgumentException("round must be >= 1: " + round);
            }
        }
    }

    /** Sets (or, with null, removes) a bucket's lifecycle rules: JSON that {@link io.cairn.core.access.BucketLifecycle#parse} accepts. */
    record SetBucketLifecycle(String bucket, String lifecycle) implements MetaCommand {
        public SetBucketLifecycle {
            requireName(bucket, "bucket");
            if (lifecycle != null) {
                io.cairn.core.access.BucketLifecycle.parse(lifecycle); // IllegalArgumentException if it is not one
            }
        }
    }

    /** Sets (or, with null, removes) a bucket's CORS rules: JSON that {@link io.cairn.core.access.BucketCors#parse} accepts. */
    record SetBucketCors(String bucket, String cors) implements MetaCommand {
        public SetBucketCors {
            requireName(bucket, "bucket");
            if (cors != null) {
                io.cairn.core.access.BucketCors.parse(cors); // IllegalArgumentException if it is not one
            }
        }
    }

    /**
     * Sets (or, with null, removes) a bucket's tags: {@code k1=v1&k2=v2}, URL-encoded, as the S3
     * gateway checked them (at most {@link #BUCKET_TAGS_MAX}).
     */
    record SetBucketTags(String bucket, String tags) implements MetaCommand {
        public SetBucketTags {
            requireName(bucket, "bucket");
            if (tags != null && (tags.isEmpty() || tags.length() > BUCKET_TAGS_CHARS_MAX)) {
                throw new IllegalArgumentException("a bucket's tags are 1 to " + BUCKET_TAGS_CHARS_MAX + " characters when encoded");
            }
        }
    }

    /** Sets (or, with null, removes) a bucket's Block Public Access settings. */
    record SetBucketPublicAccessBlock(String bucket, io.cairn.core.access.PublicAccessBlock block) implements MetaCommand {
        public SetBucketPublicAccessBlock {
            requireName(bucket, "bucket");
        }
    }

    /**
     * Sets (or, with null, removes) a bucket's S3 Object Ownership ({@link BucketInfo#OWNERSHIP_ENFORCED}
     * or {@link BucketInfo#OWNERSHIP_PREFERRED}).
     */
    record SetBucketOwnership(String bucket, String objectOwnership) implements MetaCommand {
        public SetBucketOwnership {
            requireName(bucket, "bucket");
            if (objectOwnership != null && !objectOwnership.equals(BucketInfo.OWNERSHIP_ENFORCED)
                    && !objectOwnership.equals(BucketInfo.OWNERSHIP_PREFERRED)) {
                throw new IllegalArgumentException("objectOwnership must be null, " + BucketInfo.OWNERSHIP_ENFORCED + " or "
                        + BucketInfo.OWNERSHIP_PREFERRED + ": " + objectOwnership);
            }
        }
    }

    /** Encoded tags of a bucket are at most this long: 50 tags of a 128-character key and a 256-character value, each character encoded. */
    int BUCKET_TAGS_CHARS_MAX = 50 * (128 + 256 + 2) * 12;

    /** Sets (or, with null, removes) a bucket's policy: JSON that {@link io.cairn.core.access.BucketPolicy} accepts for the bucket. */
    record SetBucketPolicy(String bucket, String policy) implements MetaCommand {
        public SetBucketPolicy {
            requireName(bucket, "bucket");
            if (policy != null) {
                io.cairn.core.access.BucketPolicy.parse(policy, bucket); // IllegalArgumentException if it is not one
            }
        }
    }

    /** Pool names appear in partition ids and on disk: lower-case letters, digits and {@code + . _ -}. */
    private static void requirePoolName(String name) {
        if (name.isEmpty() || name.length() > POOL_NAME_LENGTH_MAX || !POOL_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("pool name must be 1.." + POOL_NAME_LENGTH_MAX
                    + " characters of a-z, 0-9, '+', '.', '_' or '-', starting with a letter or digit: '" + name + "'");
        }
    }

    private static void requireName(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isBlank() || value.length() > NAME_LENGTH_MAX) {
            throw new IllegalArgumentException(what + " must be 1.." + NAME_LENGTH_MAX + " non-blank characters: '" + value + "'");
        }
    }
}
