package io.cairn.node;

import java.util.Objects;

/**
 * What a storage node runtime needs to know about itself.
 *
 * @param nodeId                  persistent id of this node
 * @param site                    storage center
 * @param zone                    failure domain inside the site
 * @param publicAddress           host:port of the S3 endpoint
 * @param clusterAddress          host:port of the node-to-node endpoint
 * @param metaAddress             host:port of this node's Raft server if it is a meta voter, else null
 * @param capacityBytes           declared capacity (0 = the data directory's size)
 * @param heartbeatIntervalMillis how often the node reports to the meta service
 * @param chunkSizeBytes          data chunk size of new objects
 * @param rpcTimeoutMillis        deadline of one node-to-node call
 * @param requestRetryMillis      how long a request keeps retrying through map changes before failing
 * @param recoveryBytesPerSecond  bytes per second the node may pull from peers for catch-up and
 *                                backfill (0: no limit)
 * @param scrubBytesPerSecond     bytes per second the scrub reads of the node's copies (0: no scrub)
 * @param scrubPauseMillis        pause after a scrub pass over everything before the next
 * @param minCopies               fewest copies a write to a replicated pool must reach to be
 *                                accepted while holders are down (the pool's own number is the
 *                                most asked for); 1 accepts a write the primary alone holds
 * @param siteLinks               for tests: the emulated wide-area links this node's calls to nodes
 *                                of other sites go through, a delay and loss per pair of sites
 *                                ({@link io.cairn.meta.SiteLinks}); null for none
 * @param tiebreaker              a meta voter that holds no data (registered out of placement)
 * @param downAfterMillis         the cluster's {@code down_after_millis}: this long without an
 *                                answer from the meta service, calls to peers that answer no pings
 *                                fail at once (0: they wait for their deadline)
 */
public record NodeRuntimeConfig(
        String nodeId,
        String site,
        String zone,
        String publicAddress,
        String clusterAddress,
        String metaAddress,
        long capacityBytes,
        long heartbeatIntervalMillis,
        int chunkSizeBytes,
        long rpcTimeoutMillis,
        long requestRetryMillis,
        long recoveryBytesPerSecond,
        long scrubBytesPerSecond,
        long scrubPauseMillis,
        int minCopies,
        io.cairn.meta.SiteLinks siteLinks,
        boolean tiebreaker,
        long downAfterMillis,
        long cutIntervalMillis) {

    /** As below, without consistent cuts. */
    public NodeRuntimeConfig(String nodeId, String site, String zone, String publicAddress, String clusterAddress, String metaAddress,
                             long capacityBytes, long heartbeatIntervalMillis, int chunkSizeBytes, long rpcTimeoutMillis,
                             long requestRetryMillis, long recoveryBytesPerSecond, long scrubBytesPerSecond, long scrubPauseMillis,
                             int minCopies, io.cairn.meta.SiteLinks siteLinks, boolean tiebreaker, long downAfterMillis) {
        this(nodeId, site, zone, publicAddress, clusterAddress, metaAddress, capacityBytes, heartbeatIntervalMillis, chunkSizeBytes,
                rpcTimeoutMillis, requestRetryMillis, recoveryBytesPerSecond, scrubBytesPerSecond, scrubPauseMillis, minCopies, siteLinks,
                tiebreaker, downAfterMillis, 0);
    }

    public NodeRuntimeConfig(String nodeId, String site, String zone, String publicAddress, String clusterAddress, String metaAddress,
                             long capacityBytes, long heartbeatIntervalMillis, int chunkSizeBytes, long rpcTimeoutMillis,
                             long requestRetryMillis, long recoveryBytesPerSecond, long scrubBytesPerSecond, long scrubPauseMillis,
                             int minCopies) {
        this(nodeId, site, zone, publicAddress, clusterAddress, metaAddress, capacityBytes, heartbeatIntervalMillis, chunkSizeBytes,
                rpcTimeoutMillis, requestRetryMillis, recoveryBytesPerSecond, scrubBytesPerSecond, scrubPauseMillis, minCopies, io.cairn.meta.SiteLinks.NONE, false, 0);
    }

    public static final int CHUNK_SIZE_MAX = 16 << 20;
    public static final long RECOVERY_BYTES_PER_SECOND_DEFAULT = 128L << 20;
    public static final long SCRUB_BYTES_PER_SECOND_DEFAULT = 16L << 20;
    public static final long SCRUB_PAUSE_MILLIS_DEFAULT = 24L * 3600 * 1000;
    public static final int MIN_COPIES_DEFAULT = 1;
    public static final int MIN_COPIES_MAX = 16;

    public NodeRuntimeConfig(String nodeId, String site, String zone, String publicAddress, String clusterAddress, String metaAddress,
                             long capacityBytes, long heartbeatIntervalMillis, int chunkSizeBytes, long rpcTimeoutMillis,
                             long requestRetryMillis, long recoveryBytesPerSecond, long scrubBytesPerSecond, long scrubPauseMillis) {
        this(nodeId, site, zone, publicAddress, clusterAddress, metaAddress, capacityBytes, heartbeatIntervalMillis, chunkSizeBytes,
                rpcTimeoutMillis, requestRetryMillis, recoveryBytesPerSecond, scrubBytesPerSecond, scrubPauseMillis, MIN_COPIES_DEFAULT);
    }

    public NodeRuntimeConfig(String nodeId, String site, String zone, String publicAddress, String clusterAddress, String metaAddress,
                             long capacityBytes, long heartbeatIntervalMillis, int chunkSizeBytes, long rpcTimeoutMillis,
                             long requestRetryMillis) {
        this(nodeId, site, zone, publicAddress, clusterAddress, metaAddress, capacityBytes, heartbeatIntervalMillis, chunkSizeBytes,
                rpcTimeoutMillis, requestRetryMillis, RECOVERY_BYTES_PER_SECOND_DEFAULT, SCRUB_BYTES_PER_SECOND_DEFAULT,
                SCRUB_PAUSE_MILLIS_DEFAULT, MIN_COPIES_DEFAULT);
    }

    public NodeRuntimeConfig {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(clusterAddress, "clusterAddress");
        if (chunkSizeBytes < 4096 || chunkSizeBytes > CHUNK_SIZE_MAX) {
            throw new IllegalArgumentException("chunkSizeBytes must be 4096.." + CHUNK_SIZE_MAX + ": " + chunkSizeBytes);
        }
        siteLinks = siteLinks == null ? io.cairn.meta.SiteLinks.NONE : siteLinks;
        if (downAfterMillis < 0) {
            throw new IllegalArgumentException("downAfterMillis must be >= 0 (0: none): " + downAfterMillis);
        }
        if (recoveryBytesPerSecond < 0) {
            throw new IllegalArgumentException("recoveryBytesPerSecond must be >= 0 (0: no limit): " + recoveryBytesPerSecond);
        }
        if (scrubBytesPerSecond < 0 || scrubPauseMillis < 0) {
            throw new IllegalArgumentException("scrubBytesPerSecond and scrubPauseMillis must be >= 0: " + scrubBytesPerSecond
                    + ", " + scrubPauseMillis);
        }
        if (minCopies < 1 || minCopies > MIN_COPIES_MAX) {
            throw new IllegalArgumentException("minCopies must be 1.." + MIN_COPIES_MAX + ": " + minCopies);
        }
        if (heartbeatIntervalMillis < 50) {
            throw new IllegalArgumentException("heartbeatIntervalMillis must be >= 50: " + heartbeatIntervalMillis);
        }
    }
}
