package io.cairn.server.admin;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeStats;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.placement.PartitionPlacement;
import io.cairn.core.placement.PlacementTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code cairn admin status --json} prints. Other tools read it: the field names are stable.
 */
public record ClusterStatus(
        @JsonProperty("cluster_id") String clusterId,
        @JsonProperty("epoch") long epoch,
        @JsonProperty("nodes") List<Node> nodes,
        @JsonProperty("pools") List<Pool> pools,
        @JsonProperty("partitions") Partitions partitions,
        @JsonProperty("capacity") Capacity capacity,
        @JsonProperty("degraded_mode") DegradedMode degradedMode,
        @JsonProperty("repair") Repair repair,
        @JsonProperty("sites") List<Site> sites,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        @JsonProperty("consistent_cuts") Cuts consistentCuts,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        @JsonProperty("backup_site") BackupSite backupSite) {

    /**
     * A primary site's backup site, as it last answered: the round of this cluster's cuts it shows,
     * how many recorded rounds it is behind, when the round it shows was recorded here and so how
     * many seconds behind it is (null when that round is older than the cuts kept, or the backup
     * never answered), how many bytes written here it does not have yet ({@link #unshippedBytes}),
     * whether it answered the last time it was asked, and the buckets it does not get, each with
     * why (their index or data is in an erasure-coded pool, which is not shipped).
     */
    public record BackupSite(
            @JsonProperty("endpoints") List<String> endpoints,
            @JsonProperty("reached") boolean reached,
            @JsonProperty("error") String error,
            @JsonProperty("shown_round") long shownRound,
            @JsonProperty("stage") String stage,
            @JsonProperty("rounds_behind") long roundsBehind,
            @JsonProperty("last_consistent_cut_at") String lastConsistentCutAt,
            @JsonProperty("lag_seconds") Double lagSeconds,
            @JsonProperty("lag_bytes") long lagBytes,
            @JsonProperty("asked_at") String askedAt,
            @JsonProperty("buckets_not_shipped") Map<String, String> bucketsNotShipped) {}

    /**
     * Bytes written through this cluster's partitions that its backup site does not have yet: the
     * sum of what each up node, as the primary of its partitions, last reported in its heartbeat.
     */
    public static long unshippedBytes(io.cairn.core.map.ClusterMap map, Map<String, NodeStats> stats) {
        long sum = 0;
        for (NodeInfo n : map.nodes()) {
            NodeStats s = stats.get(n.id());
            if (n.isUp() && s != null) {
                sum += s.unshippedBytes();
            }
        }
        return sum;
    }

    /** The same status with this primary site's backup site ({@code null}: it has none). */
    public ClusterStatus withBackupSite(BackupSite b) {
        return new ClusterStatus(clusterId, epoch, nodes, pools, partitions, capacity, degradedMode, repair, sites, consistentCuts, b);
    }

    /** How far consistent cuts have come (none unless nodes take them: {@code cut_interval_millis}). */
    public record Cuts(@JsonProperty("last_recorded") long lastRecorded, @JsonProperty("fenced_up_to") long fencedUpTo) {}

    /** The same status with how far consistent cuts have come, if any round ever ran. */
    public ClusterStatus withCuts(io.cairn.meta.CutLog log) {
        Cuts c = log.lastRecorded() == 0 && log.fencedUpTo() == 0 ? null : new Cuts(log.lastRecorded(), log.fencedUpTo());
        return new ClusterStatus(clusterId, epoch, nodes, pools, partitions, capacity, degradedMode, repair, sites, c, backupSite);
    }

    /**
     * One site's health: its nodes and meta voters, and whether the map stays writable if the
     * whole site is lost ({@code meta_majority_without_it}: the voters elsewhere are a majority of
     * all voters).
     */
    public record Site(
            @JsonProperty("name") String name,
            @JsonProperty("nodes") int nodes,
            @JsonProperty("nodes_up") int nodesUp,
            @JsonProperty("meta_voters") int metaVoters,
            @JsonProperty("meta_voters_up") int metaVotersUp,
            @JsonProperty("meta_majority_without_it") boolean metaMajorityWithoutIt) {}

    /** Every site of the map's nodes, by name. */
    static List<Site> sites(ClusterMap map) {
        java.util.Map<String, int[]> per = new java.util.TreeMap<>(); // nodes, up, voters, voters up
        int voters = 0;
        for (NodeInfo n : map.nodes()) {
            int[] c = per.computeIfAbsent(n.site(), k -> new int[4]);
            c[0]++;
            c[1] += n.isUp() ? 1 : 0;
            if (n.metaAddress() != null) {
                c[2]++;
                c[3] += n.isUp() ? 1 : 0;
                voters++;
            }
        }
        int all = voters;
        return per.entrySet().stream().map(e -> new Site(e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2], e.getValue()[3],
                2 * (all - e.getValue()[2]) > all)).toList();
    }

    public record Node(
            @JsonProperty("id") String id,
            @JsonProperty("site") String site,
            @JsonProperty("zone") String zone,
            @JsonProperty("state") String state,
            @JsonProperty("in") boolean in,
            @JsonProperty("full") boolean full,
            @JsonProperty("public_address") String publicAddress,
            @JsonProperty("cluster_address") String clusterAddress,
            @JsonProperty("meta_voter") boolean metaVoter,
            @JsonProperty("capacity_bytes") long capacityBytes,
            @JsonProperty("used_bytes") long usedBytes,
            @JsonProperty("partitions_primary") int partitionsPrimary,
            @JsonProperty("partitions_held") int partitionsHeld,
            @JsonProperty("last_heartbeat_millis") long lastHeartbeatMillis,
            @JsonProperty("suspected_by") List<String> suspectedBy,
            @JsonProperty("tiebreaker") boolean tiebreaker) {}

    public record Pool(
            @JsonProperty("name") String name,
            @JsonProperty("policy") String policy,
            @JsonProperty("partitions") int partitions,
            @JsonProperty("buckets") int buckets,
            @JsonProperty("site_loss_risk") @com.fasterxml.jackson.annotation.JsonInclude(
                    com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String siteLossRisk) {}

    /**
     * @param unreachable partitions with every holder up but one that a peer cannot reach (it
     *                    stopped answering that peer's pings): writes may wait on it until the
     *                    leader takes it out of the write path, so they are not counted clean
     */
    public record Partitions(
            @JsonProperty("total") int total,
            @JsonProperty("clean") int clean,
            @JsonProperty("degraded") int degraded,
            @JsonProperty("recovering") int recovering,
            @JsonProperty("moving") int moving,
            @JsonProperty("unreachable") int unreachable) {}

    public record Capacity(
            @JsonProperty("raw_bytes") long rawBytes,
            @JsonProperty("used_bytes") long usedBytes,
            @JsonProperty("usable_bytes") long usableBytes) {}

    public record DegradedMode(@JsonProperty("reason") String reason) {}

    /**
     * Re-protection progress. {@code bytes_left} and {@code records_left} are estimates: the
     * partitions left (degraded or recovering) times the average stored bytes and records (index
     * entries, chunks or blocks, tombstones) of one partition copy. The rate and ETA come from
     * how fast that estimate went down over the last two minutes of status requests on the node
     * answering; {@code eta_seconds} is -1 while not known yet, 0 when nothing is left.
     */
    public record Repair(
            @JsonProperty("bytes_left") long bytesLeft,
            @JsonProperty("eta_seconds") long etaSeconds,
            @JsonProperty("partitions_left") int partitionsLeft,
            @JsonProperty("bytes_per_second") long bytesPerSecond,
            @JsonProperty("records_left") long recordsLeft,
            @JsonProperty("under_protected_records") long underProtectedRecords) {}

    /** The same status with re-protection progress measured by {@code progress}. */
    public ClusterStatus withRepairProgress(RepairProgress progress, long nowNanos) {
        return new ClusterStatus(clusterId, epoch, nodes, pools, partitions, capacity, degradedMode,
                progress.observe(nowNanos, repair.bytesLeft(), repair.partitionsLeft(), repair.recordsLeft(),
                        repair.underProtectedRecords()), sites, consistentCuts, backupSite);
    }

    /** Derives the status from one map, its placement, and the nodes' latest heartbeats. */
    public static ClusterStatus of(ClusterMap map, PlacementTable placement, Map<String, NodeStats> stats) {
        // Up nodes that an up peer names in its heartbeat as no longer answering its pings.
        java.util.Set<String> suspected = new java.util.TreeSet<>();
        for (NodeInfo n : map.nodes()) {
            NodeStats s = stats.get(n.id());
            if (n.isUp() && s != null) {
                suspected.addAll(s.suspects());
            }
        }
        int total = 0;
        int degraded = 0;
        int unreachable = 0;
        Map<String, int[]> perNode = new java.util.HashMap<>(); // {primary, held}
        for (PoolInfo pool : map.pools()) {
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionPlacement pp = placement.of(new PartitionId(pool.name(), i));
                total++;
                List<String> up = pp.upHolders(map);
                if (up.size() < Math.min(pool.policy().width(), map.nodes().stream().filter(NodeInfo::in).count())
                        || up.size() < pp.holders().size()) {
                    degraded++;
                } else if (up.stream().anyMatch(suspected::contains)) {
                    unreachable++;
                }
                pp.primary(map).ifPresent(p -> perNode.computeIfAbsent(p, k -> new int[2])[0]++);
                for (String h : pp.holders()) {
                    perNode.computeIfAbsent(h, k -> new int[2])[1]++;
                }
            }
        }
        int recovering = 0;
        long raw = 0;
        long used = 0;
        long records = 0;
        long underProtected = 0;
        long upInRaw = 0;
        long upInUsed = 0;
        int upIn = 0;
        // Up nodes whose latest heartbeat names a peer that stopped answering their pings.
        Map<String, List<String>> suspectedBy = new java.util.TreeMap<>();
        for (NodeInfo n : map.nodes()) {
            NodeStats s = stats.get(n.id());
            if (n.isUp() && s != null) {
                for (String suspect : s.suspects()) {
                    suspectedBy.computeIfAbsent(suspect, k -> new ArrayList<>()).add(n.id());
                }
            }
        }
        List<Node> nodes = new ArrayList<>();
        for (NodeInfo n : map.nodes()) {
            NodeStats s = stats.getOrDefault(n.id(), NodeStats.empty(n.id()));
            long capacity = s.capacityBytes() > 0 ? s.capacityBytes() : n.capacityBytes();
            int[] counts = perNode.getOrDefault(n.id(), new int[2]);
            nodes.add(new Node(n.id(), n.site(), n.zone(), n.state().wireName(), n.in(), s.full(), n.publicAddress(),
                    n.clusterAddress(), n.metaAddress() != null, capacity, s.usedBytes(), counts[0], counts[1],
                    s.lastHeartbeatMillis(), n.isUp() ? suspectedBy.getOrDefault(n.id(), List.of()) : List.of(), n.tiebreaker()));
            if (n.isUp()) {
                raw += n.tiebreaker() ? 0 : capacity; // a tie-breaker holds no data
                used += s.usedBytes();
                records += s.records();
                underProtected += s.underProtected();
                // Figures from before the latest map change cannot say the node has settled yet.
                recovering += s.olderThan(map.epoch()) ? Math.max(1, s.partitionsRecovering()) : s.partitionsRecovering();
                if (n.in()) {
                    upInRaw += capacity;
                    upInUsed += s.usedBytes();
                    upIn++;
                }
            }
        }
        long usable = usableBytes(map, upInRaw, upInUsed, upIn);
        recovering = Math.min(recovering, total - degraded - unreachable);
        List<Pool> pools = map.pools().stream()
                .map(p -> new Pool(p.name(), p.policy().toString(), p.partitions(),
                        (int) map.buckets().stream().filter(b -> b.dataPoolName().equals(p.name())).count(),
                        io.cairn.core.placement.SiteLoss.risk(map, p.policy()).orElse(null)))
                .toList();
        long copies = map.pools().stream().mapToLong(p -> (long) p.partitions() * p.policy().width()).sum();
        int left = degraded + unreachable + recovering;
        long bytesLeft = copies == 0 ? 0 : left * (used / copies);
        long recordsLeft = copies == 0 ? 0 : Math.round(left * ((double) records / copies));
        return new ClusterStatus(map.clusterId(), map.epoch(), nodes, pools,
                new Partitions(total, total - degraded - unreachable - recovering, degraded, recovering, map.acting().size(), unreachable),
                new Capacity(raw, used, usable), degradedMode(map), new Repair(bytesLeft, left == 0 ? 0 : -1, left, 0, recordsLeft, underProtected),
                sites(map), null, null);
    }

    /**
     * What clients can still write: the free space of the nodes placement may use (up and in),
     * divided by the raw bytes the costliest data pool writes per byte stored ({@code N} for
     * {@code repN}, {@code (k+m)/k} for {@code eck+m}), among the pools that hold some bucket's
     * data (the default pool when there is no bucket). Down or out nodes take no new data.
     */
    static long usableBytes(ClusterMap map, long upInRawBytes, long upInUsedBytes, int upInNodes) {
        if (upInNodes == 0) {
            return 0;
        }
        java.util.Set<String> dataPools = new java.util.HashSet<>();
        map.buckets().forEach(b -> dataPools.add(b.dataPoolName()));
        double overhead = map.pools().stream()
                .filter(p -> dataPools.isEmpty() || dataPools.contains(p.name()))
                .mapToDouble(p -> overhead(p.policy(), upInNodes)).max().orElse(1.0);
        return (long) (Math.max(0, upInRawBytes - upInUsedBytes) / Math.max(1.0, overhead));
    }

    /** Raw bytes written per byte stored; copies beyond the nodes there are cannot be kept. */
    static double overhead(io.cairn.core.map.StoragePolicy policy, int nodes) {
        return policy.kind() == io.cairn.core.map.StoragePolicy.Kind.REPLICATED ? Math.min(policy.copies(), nodes)
                : (double) policy.width() / policy.dataBlocks();
    }

    /** The map's degraded-mode reason as the status shows it, or null when the cluster is not degraded. */
    static DegradedMode degradedMode(ClusterMap map) {
        String reason = map.degradedReason();
        return reason == null ? null : new DegradedMode(reason);
    }
}
