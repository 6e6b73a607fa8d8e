package io.cairn.meta;

import java.util.Objects;

/**
 * The outcome of one {@link MetaCommand}: ok, or an error code naming why nothing changed, and
 * the map epoch after the command.
 */
public record MetaResult(boolean ok, String error, long epoch) {

    public static final String NO_SUCH_NODE = "NO_SUCH_NODE";
    /** The round of a consistent cut was recorded or fenced already, or a later one was. */
    public static final String CUT_CLOSED = "CUT_CLOSED";
    /** A backup site's round is not after the one shown, or it is being promoted, or a promotion steps back. */
    public static final String BACKUP_CLOSED = "BACKUP_CLOSED";
    public static final String NO_SUCH_POOL = "NO_SUCH_POOL";
    public static final String NO_SUCH_BUCKET = "NO_SUCH_BUCKET";
    public static final String NO_SUCH_USER = "NO_SUCH_USER";
    public static final String NO_SUCH_KEY = "NO_SUCH_KEY";
    /** The access key exists, for another user or with other settings. */
    public static final String KEY_EXISTS = "KEY_EXISTS";
    /** A secret resealed only if unchanged was changed meanwhile. */
    public static final String SECRET_CHANGED = "SECRET_CHANGED";
    /** A user's keys must agree on whether the user is an admin. */
    public static final String ADMIN_MISMATCH = "ADMIN_MISMATCH";
    /** The user still owns buckets: delete them or grant them to another owner first. */
    public static final String USER_OWNS_BUCKETS = "USER_OWNS_BUCKETS";
    /** The change would leave the cluster without an admin key that can write. */
    public static final String LAST_ADMIN = "LAST_ADMIN";
    public static final String BUCKET_OWNED_BY_YOU = "BUCKET_OWNED_BY_YOU";
    public static final String BUCKET_ALREADY_EXISTS = "BUCKET_ALREADY_EXISTS";
    /** A pool of that name exists with another policy or partition count. */
    public static final String POOL_EXISTS = "POOL_EXISTS";
    /** The map holds {@link MetaCommand#POOLS_MAX} pools already. */
    public static final String TOO_MANY_POOLS = "TOO_MANY_POOLS";
    /** A bucket's index pool must keep full copies; an erasure-coded pool holds data only. */
    public static final String INDEX_POOL_NOT_REPLICATED = "INDEX_POOL_NOT_REPLICATED";
    /** The node was removed from the cluster: its id is revoked and never comes back. */
    public static final String NODE_REMOVED = "NODE_REMOVED";
    /** A meta voter cannot be removed: the voters are fixed when the cluster is created. */
    public static final String NODE_IS_VOTER = "NODE_IS_VOTER";
    /** A tie-breaker holds no data: it cannot be put in placement. */
    public static final String NODE_IS_TIEBREAKER = "NODE_IS_TIEBREAKER";
    /** The node is still in placement: drain it first. */
    public static final String NODE_NOT_DRAINED = "NODE_NOT_DRAINED";
    /**
     * The node's partitions may still be being re-protected: an acting set or slot pin names it,
     * or the cluster has not settled on the map that took it out.
     */
    public static final String NODE_STILL_HOLDS_DATA = "NODE_STILL_HOLDS_DATA";
    /** The bucket's owner owns as many buckets as a user may (the command's ownerBucketsMax). */
    public static final String TOO_MANY_BUCKETS = "TOO_MANY_BUCKETS";
    /** The join token is unknown, used already, or expired. */
    public static final String JOIN_TOKEN_INVALID = "JOIN_TOKEN_INVALID";
    /** {@link MetaCommand#JOIN_TOKENS_MAX} join tokens are waiting to be used already. */
    public static final String TOO_MANY_JOIN_TOKENS = "TOO_MANY_JOIN_TOKENS";
    /** The log entry could not be decoded as a command; nothing was applied. */
    public static final String BAD_COMMAND = "BAD_COMMAND";
    /** The state keeps the key of another cluster CA than the one offered. */
    public static final String OTHER_CLUSTER_CA = "OTHER_CLUSTER_CA";

    public MetaResult {
        if (ok && error != null) {
            throw new IllegalArgumentException("an ok result carries no error: " + error);
        }
        if (!ok) {
            Objects.requireNonNull(error, "error");
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0: " + epoch);
        }
    }

    public static MetaResult success(long epoch) {
        return new MetaResult(true, null, epoch);
    }

    public static MetaResult failure(String error, long epoch) {
        return new MetaResult(false, error, epoch);
    }
}
