package io.cairn.protocol;

/**
 * What one node's replica needs to know beyond the map: its limits and intervals.
 *
 * @param capacityBytes           declared capacity (0: the store's own figure)
 * @param heartbeatIntervalMillis how often the node reports to the meta service and pings its peers
 * @param rpcTimeoutMillis        how long a call to a peer may take before it counts as failed
 * @param recoveryBytesPerSecond  bytes per second pulled from peers for peering, catch-up and backfill (0: no limit)
 * @param scrubBytesPerSecond     bytes per second the scrub reads of this node's copies (0: no scrub)
 * @param scrubPauseMillis        pause after a scrub pass over everything before the next
 * @param minCopies               fewest copies a write to a replicated pool must reach while holders are down
 * @param catchUpIntervalMillis   how often a replica pulls its primary's log (repairs a missed mirror) and a stuck peering is retried
 * @param reclaimCheckMillis      how often the node asks whether the cluster has settled, to drop copies it no longer holds
 * @param recoveryPullsMax        partitions that may pull from peers at once
 * @param pullRecordsInFlightMax  records one pull fetches and writes at once
 * @param metaSilenceMillis       how long without an answer from the meta service (to a heartbeat)
 *                                makes calls to peers that answer no pings fail at once rather than
 *                                at their deadline (the cluster's {@code down_after_millis}; 0: never)
 * @param cutIntervalMillis       how often the consistent cuts' rounds start (0: no cuts)
 * @param shipping                each partition's primary ships the recorded cuts to a backup site ({@link Shipping})
 */
public record ReplicaConfig(long capacityBytes, long heartbeatIntervalMillis, long rpcTimeoutMillis, long recoveryBytesPerSecond,
                            long scrubBytesPerSecond, long scrubPauseMillis, int minCopies, long catchUpIntervalMillis,
                            long reclaimCheckMillis, int recoveryPullsMax, int pullRecordsInFlightMax, long metaSilenceMillis,
                            long cutIntervalMillis, boolean shipping) {

    /** As below, without shipping to a backup site. */
    public ReplicaConfig(long capacityBytes, long heartbeatIntervalMillis, long rpcTimeoutMillis, long recoveryBytesPerSecond,
                         long scrubBytesPerSecond, long scrubPauseMillis, int minCopies, long catchUpIntervalMillis,
                         long reclaimCheckMillis, int recoveryPullsMax, int pullRecordsInFlightMax, long metaSilenceMillis,
                         long cutIntervalMillis) {
        this(capacityBytes, heartbeatIntervalMillis, rpcTimeoutMillis, recoveryBytesPerSecond, scrubBytesPerSecond, scrubPauseMillis,
                minCopies, catchUpIntervalMillis, reclaimCheckMillis, recoveryPullsMax, pullRecordsInFlightMax, metaSilenceMillis,
                cutIntervalMillis, false);
    }

    /** As below, without consistent cuts ({@code cutIntervalMillis} 0). */
    public ReplicaConfig(long capacityBytes, long heartbeatIntervalMillis, long rpcTimeoutMillis, long recoveryBytesPerSecond,
                         long scrubBytesPerSecond, long scrubPauseMillis, int minCopies, long catchUpIntervalMillis,
                         long reclaimCheckMillis, int recoveryPullsMax, int pullRecordsInFlightMax, long metaSilenceMillis) {
        this(capacityBytes, heartbeatIntervalMillis, rpcTimeoutMillis, recoveryBytesPerSecond, scrubBytesPerSecond, scrubPauseMillis,
                minCopies, catchUpIntervalMillis, reclaimCheckMillis, recoveryPullsMax, pullRecordsInFlightMax, metaSilenceMillis, 0);
    }

    public ReplicaConfig(long capacityBytes, long heartbeatIntervalMillis, long rpcTimeoutMillis, long recoveryBytesPerSecond,
                         long scrubBytesPerSecond, long scrubPauseMillis, int minCopies, long catchUpIntervalMillis,
                         long reclaimCheckMillis, int recoveryPullsMax, int pullRecordsInFlightMax) {
        this(capacityBytes, heartbeatIntervalMillis, rpcTimeoutMillis, recoveryBytesPerSecond, scrubBytesPerSecond, scrubPauseMillis,
                minCopies, catchUpIntervalMillis, reclaimCheckMillis, recoveryPullsMax, pullRecordsInFlightMax, 0);
    }

    /** Partitions that may pull logs and data from peers at once, by default. */
    public static final int RECOVERY_PULLS_MAX_DEFAULT = 4;
    /** Records of one pull fetched and written at once, by default. */
    public static final int PULL_RECORDS_IN_FLIGHT_DEFAULT = 4;
    public static final long CATCH_UP_INTERVAL_MILLIS_DEFAULT = 2_000;
    public static final long RECLAIM_CHECK_MILLIS_DEFAULT = 10_000;

    public ReplicaConfig {
        if (capacityBytes < 0 || heartbeatIntervalMillis < 1 || rpcTimeoutMillis < 1 || recoveryBytesPerSecond < 0
                || scrubBytesPerSecond < 0 || scrubPauseMillis < 0 || minCopies < 1 || catchUpIntervalMillis < 1
                || reclaimCheckMillis < 1 || recoveryPullsMax < 1 || pullRecordsInFlightMax < 1 || metaSilenceMillis < 0
                || cutIntervalMillis < 0) {
            throw new IllegalArgumentException("replica settings out of range: " + this);
        }
    }
}
