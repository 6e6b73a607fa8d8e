package io.cairn.meta;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How to run one meta voter.
 *
 * @param clusterName          names the Raft group; all voters and clients of a cluster use the same
 * @param selfAddress          host:port this voter's Raft server listens on; one of {@code voterAddresses}
 * @param voterAddresses       host:port of every voter, in any order
 * @param storageDir           where the Raft log and snapshots live; reused on restart
 * @param downAfterMillis      silence after which the leader marks a node down
 * @param snapshotEveryEntries log entries between automatic snapshots
 * @param downOutIntervalMillis how long a node stays down before the leader marks it out, so
 *                              that placement assigns its partitions to other nodes (re-protection);
 *                              0 never marks nodes out
 * @param fullRatio            the share of a node's capacity re-protection may fill; the capacity
 *                              check refuses to mark a node out if the survivors would cross it
 * @param tls                  this node's credentials for mutual TLS on the Raft connections, or
 *                              null for plaintext (tests of the meta service alone)
 * @param site                 this voter's site, or null
 * @param siteLinks            for tests: the emulated links to nodes of other sites than {@code site},
 *                              which their Raft calls go through ({@link RaftSiteDelay}); null or
 *                              {@link SiteLinks#NONE} for none. Needs {@code tls} (the caller's node
 *                              is read from its certificate) and {@code site}.
 */
public record MetaServerConfig(
        String clusterName,
        String selfAddress,
        List<String> voterAddresses,
        Path storageDir,
        long downAfterMillis,
        long snapshotEveryEntries,
        long downOutIntervalMillis,
        double fullRatio,
        io.cairn.meta.tls.NodeCredentials tls,
        String site,
        SiteLinks siteLinks) {

    public static final long SNAPSHOT_EVERY_ENTRIES_DEFAULT = 1000;
    public static final long DOWN_OUT_INTERVAL_MILLIS_DEFAULT = 60_000;
    public static final double FULL_RATIO_DEFAULT = 0.90;

    public MetaServerConfig {
        MetaGroup.requireClusterName(clusterName);
        MetaGroup.requireAddress(selfAddress);
        MetaGroup.requireVoters(voterAddresses);
        voterAddresses = List.copyOf(voterAddresses);
        if (!voterAddresses.contains(selfAddress)) {
            throw new IllegalArgumentException("selfAddress " + selfAddress + " is not among the voters " + voterAddresses);
        }
        Objects.requireNonNull(storageDir, "storageDir");
        if (downAfterMillis <= 0) {
            throw new IllegalArgumentException("downAfterMillis must be > 0: " + downAfterMillis);
        }
        if (snapshotEveryEntries < 1) {
            throw new IllegalArgumentException("snapshotEveryEntries must be >= 1: " + snapshotEveryEntries);
        }
        if (downOutIntervalMillis < 0) {
            throw new IllegalArgumentException("downOutIntervalMillis must be >= 0 (0: never): " + downOutIntervalMillis);
        }
        if (!(fullRatio > 0 && fullRatio <= 1)) {
            throw new IllegalArgumentException("fullRatio must be in (0, 1]: " + fullRatio);
        }
        siteLinks = siteLinks == null ? SiteLinks.NONE : siteLinks;
        if (!siteLinks.isEmpty() && (tls == null || site == null)) {
            throw new IllegalArgumentException("a link between sites needs tls and this voter's site");
        }
    }

    public MetaServerConfig(String clusterName, String selfAddress, List<String> voterAddresses, Path storageDir, long downAfterMillis,
                            long snapshotEveryEntries, long downOutIntervalMillis, double fullRatio, io.cairn.meta.tls.NodeCredentials tls) {
        this(clusterName, selfAddress, voterAddresses, storageDir, downAfterMillis, snapshotEveryEntries, downOutIntervalMillis,
                fullRatio, tls, null, null);
    }

    public MetaServerConfig(String clusterName, String selfAddress, List<String> voterAddresses, Path storageDir, long downAfterMillis,
                            long snapshotEveryEntries, long downOutIntervalMillis, double fullRatio) {
        this(clusterName, selfAddress, voterAddresses, storageDir, downAfterMillis, snapshotEveryEntries, downOutIntervalMillis,
                fullRatio, null);
    }

    public MetaServerConfig(String clusterName, String selfAddress, List<String> voterAddresses, Path storageDir, long downAfterMillis,
                            long snapshotEveryEntries) {
        this(clusterName, selfAddress, voterAddresses, storageDir, downAfterMillis, snapshotEveryEntries,
                DOWN_OUT_INTERVAL_MILLIS_DEFAULT, FULL_RATIO_DEFAULT);
    }

    public MetaServerConfig(String clusterName, String selfAddress, List<String> voterAddresses, Path storageDir, long downAfterMillis) {
        this(clusterName, selfAddress, voterAddresses, storageDir, downAfterMillis, SNAPSHOT_EVERY_ENTRIES_DEFAULT);
    }
}
