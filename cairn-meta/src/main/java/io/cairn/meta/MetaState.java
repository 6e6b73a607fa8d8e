package io.cairn.meta;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeStats;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything the meta Raft group replicates: the epoch-versioned cluster map, the latest
 * heartbeat figures of each node, and the join tokens not yet used (SHA-256 of each token's
 * secret to its expiry time), and the cluster CA's private key sealed under the master key
 * ({@link ClusterCaKey}, kept by the voters and never answered to a query): the last three
 * change without a new epoch. Immutable; stats and tokens are kept sorted so that equal states
 * serialize identically.
 */
public record MetaState(ClusterMap map, Map<String, NodeStats> stats,
                        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
                        Map<String, Long> joinTokens,
                        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                        ClusterCaKey clusterCaKey,
                        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
                        java.util.Set<String> downForCut,
                        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                        CutLog cuts,
                        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                        BackupMark backup,
                        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                        BackupTarget backupTarget) {

    public MetaState {
        Objects.requireNonNull(map, "map");
        Objects.requireNonNull(stats, "stats");
        stats = Collections.unmodifiableSortedMap(new TreeMap<>(stats));
        joinTokens = joinTokens == null ? Collections.emptySortedMap() : Collections.unmodifiableSortedMap(new TreeMap<>(joinTokens));
        downForCut = downForCut == null ? Collections.emptySortedSet() : Collections.unmodifiableSortedSet(new java.util.TreeSet<>(downForCut));
    }

    public MetaState(ClusterMap map, Map<String, NodeStats> stats, Map<String, Long> joinTokens, ClusterCaKey clusterCaKey,
                     java.util.Set<String> downForCut) {
        this(map, stats, joinTokens, clusterCaKey, downForCut, null, null, null);
    }

    public MetaState(ClusterMap map, Map<String, NodeStats> stats, Map<String, Long> joinTokens, ClusterCaKey clusterCaKey,
                     java.util.Set<String> downForCut, CutLog cuts) {
        this(map, stats, joinTokens, clusterCaKey, downForCut, cuts, null, null);
    }

    /** This cluster as a backup site ({@link BackupMark#NONE} until it shows a round or is promoted). */
    public BackupMark backupMark() {
        return backup == null ? BackupMark.NONE : backup;
    }

    /** This state with another mark of the backup site. */
    public MetaState withBackup(BackupMark mark) {
        return new MetaState(map, stats, joinTokens, clusterCaKey, downForCut, cuts, mark, backupTarget);
    }

    /** This state with another backup site to ship to (null: none). */
    public MetaState withBackupTarget(BackupTarget target) {
        return new MetaState(map, stats, joinTokens, clusterCaKey, downForCut, cuts, backup, target);
    }

    /** How far consistent cuts have come ({@link CutLog#NONE} before the first). */
    public CutLog cutLog() {
        return cuts == null ? CutLog.NONE : cuts;
    }

    /** This state with another record of consistent cuts. */
    public MetaState withCuts(CutLog newCuts) {
        return new MetaState(map, stats, joinTokens, clusterCaKey, downForCut, newCuts, backup, backupTarget);
    }

    public MetaState(ClusterMap map, Map<String, NodeStats> stats, Map<String, Long> joinTokens, ClusterCaKey clusterCaKey) {
        this(map, stats, joinTokens, clusterCaKey, null);
    }

    public MetaState(ClusterMap map, Map<String, NodeStats> stats, Map<String, Long> joinTokens) {
        this(map, stats, joinTokens, null);
    }

    public MetaState(ClusterMap map, Map<String, NodeStats> stats) {
        this(map, stats, Map.of(), null);
    }

    /** This state with another map. */
    public MetaState withMap(ClusterMap newMap) {
        return new MetaState(newMap, stats, joinTokens, clusterCaKey, downForCut, cuts, backup, backupTarget);
    }

    /** This state with other join tokens. */
    public MetaState withJoinTokens(Map<String, Long> newTokens) {
        return new MetaState(map, stats, newTokens, clusterCaKey, downForCut, cuts, backup, backupTarget);
    }

    /** This state with another sealed CA key (or none). */
    public MetaState withClusterCaKey(ClusterCaKey key) {
        return new MetaState(map, stats, joinTokens, key, downForCut, cuts, backup, backupTarget);
    }

    /**
     * This state with other nodes down for a cut between sites: nodes the meta leader took out,
     * while they still heartbeat, because a link between their site and another was cut (see
     * {@link PeerReachability}); a node leaves the set when it is up again.
     */
    public MetaState withDownForCut(java.util.Set<String> nodes) {
        return new MetaState(map, stats, joinTokens, clusterCaKey, nodes, cuts, backup, backupTarget);
    }

    /** What a member's query is answered: everything but the sealed CA key, which stays with the voters. */
    public MetaState forMembers() {
        return clusterCaKey == null ? this : withClusterCaKey(null);
    }

    public static MetaState initial() {
        return new MetaState(ClusterMap.empty(), Map.of());
    }

    /**
     * Whether the cluster is at rest: not in degraded mode, no acting set in force, and every node that is in (holds
     * partitions) up and reporting this epoch's map with no partition peering or catching up.
     * Nodes that are out hold nothing and do not count. Then every partition's holders have
     * everything its primary has, and copies elsewhere are no longer needed.
     */
    public boolean settled() {
        if (map.degradedReason() != null || map.nodes().isEmpty() || !map.acting().isEmpty()) {
            return false;
        }
        for (io.cairn.core.map.NodeInfo n : map.nodes()) {
            if (!n.in()) {
                continue;
            }
            NodeStats s = stats.get(n.id());
            if (!n.isUp() || s == null || s.mapEpoch() != map.epoch() || s.partitionsRecovering() > 0) {
                return false;
            }
        }
        return true;
    }
}
