package io.cairn.server.dev;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cairn.meta.MetaServerConfig;
import io.cairn.server.admin.AdminClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A local cluster of real node processes on 127.0.0.1 (or, for tests that cut sites apart, on
 * addresses of their sites' own networks), kept in one directory:
 * {@code DIR/cluster.json} (layout), {@code DIR/credentials} and {@code DIR/env} (client setup),
 * and {@code DIR/node-I/} with {@code config.yaml}, {@code data/}, {@code pid} and {@code log}.
 * Restarting on an existing directory keeps the data.
 */
public final class DevCluster {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    public static final int NODES_MAX = 64;
    /** Sites a dev cluster may spread its nodes over. */
    public static final int SITES_MAX = 8;
    /** The key of the node settings for every node that has none of its own, in {@code node_settings} (node indexes count from 0). */
    public static final int EVERY_NODE = -1;
    /** Lines of a node's log quoted when it ended while the cluster waited for it. */
    static final int ENDED_NODE_LOG_LINES = 40;

    /** How long a dev node stays down before it is marked out, unless the options say otherwise. */
    public static final long DOWN_OUT_INTERVAL_MILLIS_DEFAULT = MetaServerConfig.DOWN_OUT_INTERVAL_MILLIS_DEFAULT;

    /**
     * The layout of a dev cluster, fixed when the directory is first created. A {@code cluster.json}
     * written before {@code down_out_interval_millis} existed loads with the default.
     */
    public record Layout(
            @JsonProperty("cluster_name") String clusterName,
            @JsonProperty("base_port") int basePort,
            @JsonProperty("nodes") int nodes,
            @JsonProperty("voters") int voters,
            @JsonProperty("partitions") int partitions,
            @JsonProperty("access_key") String accessKey,
            @JsonProperty("secret_key") String secretKey,
            @JsonProperty("heartbeat_interval_millis") long heartbeatIntervalMillis,
            @JsonProperty("down_after_millis") long downAfterMillis,
            @JsonProperty("down_out_interval_millis") long downOutIntervalMillis,
            @JsonProperty("capacity_bytes") long capacityBytes,
            @JsonProperty("node_settings") @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<Integer, NodeSettings> nodeSettings,
            @JsonProperty("tls") boolean tls,
            @JsonProperty("sites") int sites,
            @JsonProperty("site_delay_millis") long siteDelayMillis,
            @JsonProperty("site_loss_percent") @JsonInclude(JsonInclude.Include.NON_DEFAULT) double siteLossPercent,
            @JsonProperty("tiebreaker") @JsonInclude(JsonInclude.Include.NON_NULL) Integer tiebreaker,
            @JsonProperty("site_networks") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<SiteNetwork> siteNetworks,
            @JsonProperty("site_links") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<io.cairn.server.NodeConfig.SiteLink> siteLinks) {

        public Layout {
            requireDownOutInterval(downOutIntervalMillis, downAfterMillis);
            nodeSettings = nodeSettings == null ? Map.of() : Map.copyOf(nodeSettings);
            if (sites < 1 || sites > SITES_MAX) {
                throw new IllegalArgumentException("sites must be 1.." + SITES_MAX + ": " + sites);
            }
            if (siteDelayMillis < 0 || siteDelayMillis > 10_000) {
                throw new IllegalArgumentException("the delay between sites must be 0..10000 ms: " + siteDelayMillis);
            }
            if (!(siteLossPercent >= 0 && siteLossPercent <= io.cairn.meta.WanLink.LOSS_PERCENT_MAX) || (siteLossPercent > 0 && siteDelayMillis == 0)) {
                throw new IllegalArgumentException("the loss between sites must be 0.." + io.cairn.meta.WanLink.LOSS_PERCENT_MAX
                        + " percent, with a delay between them: " + siteLossPercent);
            }
            if (tiebreaker != null && (sites != 2 || tiebreaker < 2 || tiebreaker >= nodes || voters != 3)) {
                throw new IllegalArgumentException("a tie-breaker goes with two sites and three voters, after the first two nodes: node "
                        + tiebreaker + " of " + nodes + ", " + sites + " sites, " + voters + " voters");
            }
            siteNetworks = siteNetworks == null ? List.of() : List.copyOf(siteNetworks);
            siteLinks = siteLinks == null ? List.of() : List.copyOf(siteLinks);
            requireSiteLinks(siteDelayMillis, siteLossPercent, siteLinks);
            int placesWanted = sites + (tiebreaker != null ? 1 : 0);
            if (!siteNetworks.isEmpty() && siteNetworks.size() != placesWanted) {
                throw new IllegalArgumentException("site networks: one per site" + (tiebreaker != null ? " and one for the tie-breaker" : "")
                        + ", " + placesWanted + " in all, not " + siteNetworks.size());
            }
        }

        public Layout(String clusterName, int basePort, int nodes, int voters, int partitions, String accessKey, String secretKey,
                      long heartbeatIntervalMillis, long downAfterMillis, long downOutIntervalMillis, long capacityBytes,
                      Map<Integer, NodeSettings> nodeSettings, boolean tls, int sites, long siteDelayMillis, Integer tiebreaker) {
            this(clusterName, basePort, nodes, voters, partitions, accessKey, secretKey, heartbeatIntervalMillis, downAfterMillis,
                    downOutIntervalMillis, capacityBytes, nodeSettings, tls, sites, siteDelayMillis, 0, tiebreaker, List.of(), List.of());
        }

        public Layout(String clusterName, int basePort, int nodes, int voters, int partitions, String accessKey, String secretKey,
                      long heartbeatIntervalMillis, long downAfterMillis, long downOutIntervalMillis, long capacityBytes,
                      Map<Integer, NodeSettings> nodeSettings, boolean tls, int sites, long siteDelayMillis) {
            this(clusterName, basePort, nodes, voters, partitions, accessKey, secretKey, heartbeatIntervalMillis, downAfterMillis,
                    downOutIntervalMillis, capacityBytes, nodeSettings, tls, sites, siteDelayMillis, null);
        }

        public Layout(String clusterName, int basePort, int nodes, int voters, int partitions, String accessKey, String secretKey,
                      long heartbeatIntervalMillis, long downAfterMillis, long downOutIntervalMillis, long capacityBytes,
                      Map<Integer, NodeSettings> nodeSettings, boolean tls) {
            this(clusterName, basePort, nodes, voters, partitions, accessKey, secretKey, heartbeatIntervalMillis, downAfterMillis,
                    downOutIntervalMillis, capacityBytes, nodeSettings, tls, 1, 0);
        }

        /**
         * Node i's site: the nodes take the sites in turn ({@code site1}, {@code site2}, ...), so
         * each site has every {@code sites}-th node and the sites differ by one node at most.
         */
        public String site(int i) {
            return "site" + (place(i) + 1);
        }

        /** Node i's zone inside its site: one node per zone. */
        public String zone(int i) {
            return isTiebreaker(i) ? "zone1" : "zone" + (dataIndex(i) / sites + 1);
        }

        /** Whether node i is the tie-breaker: a meta voter in a third site that holds no data. */
        public boolean isTiebreaker(int i) {
            return tiebreaker != null && tiebreaker == i;
        }

        /** Node i's place among the nodes that hold data (the tie-breaker left out). */
        private int dataIndex(int i) {
            return tiebreaker != null && i > tiebreaker ? i - 1 : i;
        }

        /** How many nodes hold data. */
        public int dataNodes() {
            return tiebreaker != null ? nodes - 1 : nodes;
        }

        /**
         * Whether node i is a meta voter: the first {@code voters} nodes; with a tie-breaker, the
         * first node of each of the two sites and the tie-breaker, so either site can be lost.
         */
        public boolean isVoter(int i) {
            return tiebreaker != null ? i == 0 || i == 1 || i == tiebreaker : i < voters;
        }

        /** A layout with the default down-out interval. */
        public Layout(String clusterName, int basePort, int nodes, int voters, int partitions, String accessKey, String secretKey,
                      long heartbeatIntervalMillis, long downAfterMillis, long capacityBytes, Map<Integer, NodeSettings> nodeSettings) {
            this(clusterName, basePort, nodes, voters, partitions, accessKey, secretKey, heartbeatIntervalMillis, downAfterMillis,
                    DOWN_OUT_INTERVAL_MILLIS_DEFAULT, capacityBytes, nodeSettings, false);
        }

        /** Reads a layout from {@code cluster.json}; a missing down-out interval is the default. */
        @JsonCreator
        static Layout fromJson(
                @JsonProperty("cluster_name") String clusterName,
                @JsonProperty("base_port") int basePort,
                @JsonProperty("nodes") int nodes,
                @JsonProperty("voters") int voters,
                @JsonProperty("partitions") int partitions,
                @JsonProperty("access_key") String accessKey,
                @JsonProperty("secret_key") String secretKey,
                @JsonProperty("heartbeat_interval_millis") long heartbeatIntervalMillis,
                @JsonProperty("down_after_millis") long downAfterMillis,
                @JsonProperty("down_out_interval_millis") Long downOutIntervalMillis,
                @JsonProperty("capacity_bytes") long capacityBytes,
                @JsonProperty("node_settings") Map<Integer, NodeSettings> nodeSettings,
                @JsonProperty("tls") Boolean tls,
                @JsonProperty("sites") Integer sites,
                @JsonProperty("site_delay_millis") Long siteDelayMillis,
                @JsonProperty("site_loss_percent") Double siteLossPercent,
                @JsonProperty("tiebreaker") Integer tiebreaker,
                @JsonProperty("site_networks") List<SiteNetwork> siteNetworks,
                @JsonProperty("site_links") List<io.cairn.server.NodeConfig.SiteLink> siteLinks) {
            return new Layout(clusterName, basePort, nodes, voters, partitions, accessKey, secretKey, heartbeatIntervalMillis,
                    downAfterMillis, downOutIntervalMillis == null ? DOWN_OUT_INTERVAL_MILLIS_DEFAULT : downOutIntervalMillis,
                    capacityBytes, nodeSettings, tls != null && tls, sites == null ? 1 : sites,
                    siteDelayMillis == null ? 0 : siteDelayMillis, siteLossPercent == null ? 0 : siteLossPercent, tiebreaker, siteNetworks,
                    siteLinks);
        }

        /**
         * The settings of node i that differ from the dev defaults (all fields null if none): its
         * own entry, else the entry for {@link #EVERY_NODE every node} (a node added later too).
         */
        public NodeSettings settings(int i) {
            return nodeSettings.getOrDefault(i, nodeSettings.getOrDefault(EVERY_NODE, NodeSettings.NONE));
        }

        public int s3Port(int i) { return basePort + i; }
        public int clusterPort(int i) { return basePort + 100 + i; }
        public int metaPort(int i) { return basePort + 200 + i; }
        /** Node i's S3 endpoint: {@code https://} with {@code --tls}. */
        public String endpoint(int i) { return (tls ? "https" : "http") + "://" + host(i) + ":" + s3Port(i); }
        /** Node i's S3 address as the status shows it ({@code public_address}). */
        public String publicAddress(int i) { return host(i) + ":" + s3Port(i); }

        /**
         * The address node i serves on: 127.0.0.1, or with {@link SiteNetwork site networks} its
         * site's address (its node-to-node and meta ports too).
         */
        public String host(int i) {
            return siteNetworks.isEmpty() ? "127.0.0.1" : siteNetworks.get(place(i)).host();
        }

        /** The network namespace node i runs in, or null (the launching process's). */
        public String netns(int i) {
            return siteNetworks.isEmpty() ? null : siteNetworks.get(place(i)).netns();
        }

        /** Node i's site, from 0: the tie-breaker's third place after the sites (also its place among the site networks). */
        private int place(int i) {
            return isTiebreaker(i) ? sites : dataIndex(i) % sites;
        }

        public List<String> voterAddresses() {
            List<String> v = new ArrayList<>();
            for (int i : voterIndexes()) {
                v.add(host(i) + ":" + metaPort(i));
            }
            return v;
        }

        /** The indexes of the meta voters. */
        public List<Integer> voterIndexes() {
            List<Integer> v = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                if (isVoter(i)) {
                    v.add(i);
                }
            }
            return v;
        }

        Layout withNodes(int n) {
            return new Layout(clusterName, basePort, n, voters, partitions, accessKey, secretKey, heartbeatIntervalMillis,
                    downAfterMillis, downOutIntervalMillis, capacityBytes, nodeSettings, tls, sites, siteDelayMillis, siteLossPercent,
                    tiebreaker, siteNetworks, siteLinks);
        }

        Layout withTls() {
            return new Layout(clusterName, basePort, nodes, voters, partitions, accessKey, secretKey, heartbeatIntervalMillis,
                    downAfterMillis, downOutIntervalMillis, capacityBytes, nodeSettings, true, sites, siteDelayMillis, siteLossPercent,
                    tiebreaker, siteNetworks, siteLinks);
        }

        Layout withNodeSettings(Map<Integer, NodeSettings> settings) {
            return new Layout(clusterName, basePort, nodes, voters, partitions, accessKey, secretKey, heartbeatIntervalMillis,
                    downAfterMillis, downOutIntervalMillis, capacityBytes, settings, tls, sites, siteDelayMillis, siteLossPercent,
                    tiebreaker, siteNetworks, siteLinks);
        }
    }

    /** The emulated links a layout asks for are ones a node's configuration accepts (refused with the reason otherwise). */
    private static void requireSiteLinks(long delayMillis, double lossPercent, List<io.cairn.server.NodeConfig.SiteLink> links) {
        for (io.cairn.server.NodeConfig.SiteLink l : links) {
            try {
                l.pair();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the site link " + l + " " + e.getMessage(), e);
            }
        }
        io.cairn.server.NodeConfig.SiteLink.all(delayMillis, lossPercent, links);
    }

    /**
     * Where the nodes of one site run when the sites are networks of their own (for tests that
     * cut a site off): the address they serve on, and the network namespace their processes start
     * in (created beforehand by whoever asks for it), or null.
     */
    public record SiteNetwork(@JsonProperty("host") String host, @JsonProperty("netns") String netns) {
        public SiteNetwork {
            if (host == null || !host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
                throw new IllegalArgumentException("a site network's host must be an IPv4 address: " + host);
            }
            if (netns != null && !netns.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new IllegalArgumentException("a network namespace name is letters, digits, '_', '.' or '-': " + netns);
            }
        }
    }

    /**
     * Per-node settings that differ from what {@code cairn dev} writes; a null field keeps the
     * default. {@code dataDir} places the node's data elsewhere (for example on a small file
     * system in a test); the other fields are the node configuration fields of the same name.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NodeSettings(
            @JsonProperty("data_dir") String dataDir,
            @JsonProperty("free_reserve_bytes") Long freeReserveBytes,
            @JsonProperty("free_reserve_ratio") Double freeReserveRatio,
            @JsonProperty("segment_bytes_max") Long segmentBytesMax,
            @JsonProperty("compaction_interval_millis") Long compactionIntervalMillis,
            @JsonProperty("scrub_pause_millis") Long scrubPauseMillis,
            @JsonProperty("min_copies") Integer minCopies,
            @JsonProperty("rpc_timeout_millis") Long rpcTimeoutMillis,
            @JsonProperty("lifecycle_day_seconds") Long lifecycleDaySeconds,
            @JsonProperty("cut_interval_millis") Long cutIntervalMillis,
            @JsonProperty("backup_site") Boolean backupSite) {

        public static final NodeSettings NONE = new NodeSettings(null, null, null, null, null, null, null, null);

        public NodeSettings(String dataDir, Long freeReserveBytes, Double freeReserveRatio, Long segmentBytesMax,
                            Long compactionIntervalMillis, Long scrubPauseMillis, Integer minCopies, Long rpcTimeoutMillis,
                            Long lifecycleDaySeconds, Long cutIntervalMillis) {
            this(dataDir, freeReserveBytes, freeReserveRatio, segmentBytesMax, compactionIntervalMillis, scrubPauseMillis, minCopies,
                    rpcTimeoutMillis, lifecycleDaySeconds, cutIntervalMillis, null);
        }

        /** Settings of a node of a backup site ({@code backup_site: true}): it takes a primary site's rounds and serves them read-only. */
        public static NodeSettings backupSiteNode() {
            return new NodeSettings(null, null, null, null, null, null, null, null, null, null, true);
        }

        public NodeSettings(String dataDir, Long freeReserveBytes, Double freeReserveRatio, Long segmentBytesMax,
                            Long compactionIntervalMillis, Long scrubPauseMillis, Integer minCopies, Long rpcTimeoutMillis) {
            this(dataDir, freeReserveBytes, freeReserveRatio, segmentBytesMax, compactionIntervalMillis, scrubPauseMillis, minCopies,
                    rpcTimeoutMillis, null, null);
        }

        /** Settings that only shorten a lifecycle rule's day ({@code lifecycle_day_seconds}), for tests. */
        public static NodeSettings lifecycleDay(long seconds) {
            return new NodeSettings(null, null, null, null, null, null, null, null, seconds, null);
        }

        /** Settings that only turn consistent cuts on, a round every {@code millis} ({@code cut_interval_millis}). */
        public static NodeSettings cutInterval(long millis) {
            return new NodeSettings(null, null, null, null, null, null, null, null, null, millis);
        }

        /** These settings without {@code backup_site}, and with cuts every {@code cutIntervalMillis} when given. */
        NodeSettings asPrimarySite(Long cutIntervalMillis) {
            return new NodeSettings(dataDir, freeReserveBytes, freeReserveRatio, segmentBytesMax, compactionIntervalMillis, scrubPauseMillis,
                    minCopies, rpcTimeoutMillis, lifecycleDaySeconds, cutIntervalMillis != null ? cutIntervalMillis : cutIntervalMillis(), null);
        }

        public NodeSettings(String dataDir, Long freeReserveBytes, Double freeReserveRatio, Long segmentBytesMax,
                            Long compactionIntervalMillis) {
            this(dataDir, freeReserveBytes, freeReserveRatio, segmentBytesMax, compactionIntervalMillis, null, null, null);
        }

        /** Settings that only change {@code min_copies}. */
        public static NodeSettings minCopies(int copies) {
            return new NodeSettings(null, null, null, null, null, null, copies, null);
        }

        /** Settings that only change the pause between scrub passes. */
        public static NodeSettings scrubPause(long millis) {
            return new NodeSettings(null, null, null, null, null, millis, null, null);
        }

        /** Settings that only change the deadline of node-to-node calls ({@code rpc_timeout_millis}). */
        public static NodeSettings rpcTimeout(long millis) {
            return new NodeSettings(null, null, null, null, null, null, null, millis);
        }
    }

    /**
     * Options for a new cluster directory; {@code nodeSettings} maps a node index to its own
     * settings. {@code downOutIntervalMillis} is 0 (never mark a node out) or at least
     * {@code downAfterMillis}; the constructors without it take {@link #DOWN_OUT_INTERVAL_MILLIS_DEFAULT}.
     * {@code tls}: S3 and the admin API over HTTPS, with certificates of a CA of the dev cluster.
     */
    public record Options(int nodes, int basePort, int partitions, long heartbeatIntervalMillis, long downAfterMillis,
                          long downOutIntervalMillis, long capacityBytes, Map<Integer, NodeSettings> nodeSettings, boolean tls,
                          int sites, long siteDelayMillis, double siteLossPercent, List<SiteNetwork> siteNetworks,
                          List<io.cairn.server.NodeConfig.SiteLink> siteLinks) {

        public Options {
            requireDownOutInterval(downOutIntervalMillis, downAfterMillis);
            nodeSettings = nodeSettings == null ? Map.of() : Map.copyOf(nodeSettings);
            siteNetworks = siteNetworks == null ? List.of() : List.copyOf(siteNetworks);
            siteLinks = siteLinks == null ? List.of() : List.copyOf(siteLinks);
        }

        public Options(int nodes, int basePort, int partitions, long heartbeatIntervalMillis, long downAfterMillis,
                       long downOutIntervalMillis, long capacityBytes, Map<Integer, NodeSettings> nodeSettings, boolean tls,
                       int sites, long siteDelayMillis) {
            this(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, downOutIntervalMillis, capacityBytes,
                    nodeSettings, tls, sites, siteDelayMillis, 0, List.of(), List.of());
        }

        /**
         * The same options with each site's nodes (and the tie-breaker, after the sites) serving on
         * an address of its own and started in a network namespace ({@link SiteNetwork}).
         */
        public Options withSiteNetworks(List<SiteNetwork> networks) {
            return new Options(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, downOutIntervalMillis,
                    capacityBytes, nodeSettings, tls, sites, siteDelayMillis, siteLossPercent, networks, siteLinks);
        }

        public Options(int nodes, int basePort, int partitions, long heartbeatIntervalMillis, long downAfterMillis,
                       long downOutIntervalMillis, long capacityBytes, Map<Integer, NodeSettings> nodeSettings, boolean tls) {
            this(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, downOutIntervalMillis, capacityBytes,
                    nodeSettings, tls, 1, 0);
        }

        /**
         * The same options with {@code settings} for every node without settings of its own, a
         * node added later too ({@code cairn dev --cut-interval-millis}, {@code --backup-site}).
         */
        public Options withEveryNode(NodeSettings settings) {
            Map<Integer, NodeSettings> all = new java.util.HashMap<>(nodeSettings);
            all.put(EVERY_NODE, settings);
            return new Options(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, downOutIntervalMillis,
                    capacityBytes, all, tls, sites, siteDelayMillis, siteLossPercent, siteNetworks, siteLinks);
        }

        /** The same options with the nodes spread over {@code n} sites (see {@link Layout#site}). */
        public Options withSites(int n) {
            return new Options(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, downOutIntervalMillis,
                    capacityBytes, nodeSettings, tls, n, siteDelayMillis, siteLossPercent, siteNetworks, siteLinks);
        }

        /** The same options with {@code millis} of one-way delay on calls between nodes of different sites (for tests). */
        public Options withSiteDelay(long millis) {
            return new Options(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, downOutIntervalMillis,
                    capacityBytes, nodeSettings, tls, sites, millis, siteLossPercent, siteNetworks, siteLinks);
        }

        /**
         * The same options with a link of its own (delay and loss) between two sites, such as a
         * tie-breaker's site nearer than the other data site (for tests; see {@code site_links}).
         */
        public Options withSiteLink(String siteA, String siteB, long delayMillis, double lossPercent) {
            List<io.cairn.server.NodeConfig.SiteLink> links = new ArrayList<>(siteLinks);
            links.add(new io.cairn.server.NodeConfig.SiteLink(List.of(siteA, siteB), delayMillis, lossPercent));
            return new Options(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, downOutIntervalMillis,
                    capacityBytes, nodeSettings, tls, sites, siteDelayMillis, siteLossPercent, siteNetworks, links);
        }

        /** The same options with {@code percent} of the events of calls between sites lost and sent again (for tests; with a delay). */
        public Options withSiteLoss(double percent) {
            return new Options(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, downOutIntervalMillis,
                    capacityBytes, nodeSettings, tls, sites, siteDelayMillis, percent, siteNetworks, siteLinks);
        }

        public Options(int nodes, int basePort, int partitions, long heartbeatIntervalMillis, long downAfterMillis, long capacityBytes,
                       Map<Integer, NodeSettings> nodeSettings) {
            this(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, DOWN_OUT_INTERVAL_MILLIS_DEFAULT, capacityBytes,
                    nodeSettings);
        }

        public Options(int nodes, int basePort, int partitions, long heartbeatIntervalMillis, long downAfterMillis,
                       long downOutIntervalMillis, long capacityBytes, Map<Integer, NodeSettings> nodeSettings) {
            this(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, downOutIntervalMillis, capacityBytes,
                    nodeSettings, false);
        }

        /** The same options with S3 over HTTPS. */
        public Options withTls() {
            return new Options(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, downOutIntervalMillis,
                    capacityBytes, nodeSettings, true, sites, siteDelayMillis, siteLossPercent, siteNetworks, siteLinks);
        }

        public Options(int nodes, int basePort, int partitions, long heartbeatIntervalMillis, long downAfterMillis, long capacityBytes) {
            this(nodes, basePort, partitions, heartbeatIntervalMillis, downAfterMillis, capacityBytes, Map.of());
        }

        public static Options defaults(int nodes) {
            return new Options(nodes, 9000, 64, 1000, 5000, 0);
        }
    }

    private static void requireDownOutInterval(long downOutIntervalMillis, long downAfterMillis) {
        if (downOutIntervalMillis != 0 && downOutIntervalMillis < downAfterMillis) {
            throw new IllegalArgumentException("down-out interval must be 0 (never mark a node out) or at least the down-after time ("
                    + downAfterMillis + " ms): " + downOutIntervalMillis + " ms");
        }
    }

    /** A base port B such that the S3, cluster and Raft ports of {@code nodes} nodes are all free now. */
    public static int freeBasePort(int nodes) {
        for (int attempt = 0; attempt < 200; attempt++) {
            // Below the kernel's ephemeral range (32768 and up): an outgoing connection can never
            // take a node's port while the node is down between a kill and a restart.
            int base = 20_000 + ThreadLocalRandom.current().nextInt(117) * 100;
            if (allFree(base, nodes)) {
                return base;
            }
        }
        throw new IllegalStateException("no free port range found for " + nodes + " nodes");
    }

    private static boolean allFree(int base, int nodes) {
        for (int i = 0; i < nodes; i++) {
            if (!free(base + i) || !free(base + 100 + i) || !free(base + 200 + i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private final Path dir;
    private Layout layout;
    private final NodeLauncher launcher;
    /** Join tokens of nodes added and not started yet with certificates of their own, by index. */
    private final java.util.Map<Integer, String> joinTokens = new java.util.HashMap<>();

    private DevCluster(Path dir, Layout layout) {
        this.dir = dir;
        this.layout = layout;
        this.launcher = new NodeLauncher();
    }

    /** Opens the cluster directory, creating it with {@code options} if it does not exist yet. */
    public static DevCluster openOrCreate(Path dir, Options options) throws IOException {
        Path file = dir.resolve("cluster.json");
        if (Files.exists(file)) {
            Layout layout = JSON.readValue(file.toFile(), Layout.class);
            DevCluster c = new DevCluster(dir, layout);
            if (options.nodes() > layout.dataNodes()) {
                c.layout = c.layout.withNodes(layout.nodes() + options.nodes() - layout.dataNodes());
                c.save();
            }
            if (options.tls() && !c.layout.tls()) {
                c.layout = c.layout.withTls();
                c.save();
            }
            NodeSettings every = options.nodeSettings().get(EVERY_NODE);
            if (every != null && !every.equals(c.layout.nodeSettings().get(EVERY_NODE))) {
                throw new IllegalArgumentException("the dev cluster in " + dir + " was created with other settings for every node ("
                        + "--cut-interval-millis, --backup-site); they cannot change (start a new directory)");
            }
            if (options.sites() != 1 && options.sites() != c.layout.sites()) {
                throw new IllegalArgumentException("the dev cluster in " + dir + " spreads its nodes over " + c.layout.sites()
                        + " site(s) since it was created; --sites cannot change that (start a new directory)");
            }
            return c;
        }
        if (options.nodes() < 1 || options.nodes() > NODES_MAX) {
            throw new IllegalArgumentException("--nodes must be 1.." + NODES_MAX + ": " + options.nodes());
        }
        if (options.sites() < 1 || options.sites() > Math.min(SITES_MAX, options.nodes())) {
            throw new IllegalArgumentException("--sites must be 1.." + Math.min(SITES_MAX, options.nodes()) + " (at most one per node): "
                    + options.sites());
        }
        for (int i : options.nodeSettings().keySet()) {
            if ((i < 0 && i != EVERY_NODE) || i >= options.nodes()) {
                throw new IllegalArgumentException("node settings for node " + i + ", but the cluster has nodes 0.." + (options.nodes() - 1));
            }
        }
        Files.createDirectories(dir);
        SecureRandom random = new SecureRandom();
        byte[] a = new byte[10];
        byte[] s = new byte[30];
        random.nextBytes(a);
        random.nextBytes(s);
        String access = "CK" + HexFormat.of().withUpperCase().formatHex(a);
        String secret = java.util.Base64.getEncoder().encodeToString(s).replace('/', 'x').replace('+', 'y');
        // Two sites get a tie-breaker voter of their own, in a third site, after the data nodes:
        // one voter in each site and the tie-breaker keep a majority when either site is lost.
        boolean tiebreaker = options.sites() == 2;
        int voters = tiebreaker || options.nodes() >= 3 ? 3 : 1;
        DevCluster c = new DevCluster(dir, new Layout("cairn-dev", options.basePort(), options.nodes() + (tiebreaker ? 1 : 0), voters,
                options.partitions(), access, secret, options.heartbeatIntervalMillis(), options.downAfterMillis(),
                options.downOutIntervalMillis(), options.capacityBytes(), options.nodeSettings(), options.tls(), options.sites(),
                options.siteDelayMillis(), options.siteLossPercent(), tiebreaker ? options.nodes() : null, options.siteNetworks(),
                options.siteLinks()));
        c.save();
        return c;
    }

    /** Opens an existing cluster directory. */
    public static DevCluster open(Path dir) throws IOException {
        Path file = dir.resolve("cluster.json");
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(dir + " holds no dev cluster (no cluster.json); start one with ./cairn dev --dir " + dir);
        }
        return new DevCluster(dir, JSON.readValue(file.toFile(), Layout.class));
    }

    /**
     * Makes this dev cluster, a backup site promoted and settled, a primary site: once its admin API
     * says so (stage {@code settled}), stops its nodes, and sets every node that had
     * {@code backup_site} to start without it, with cuts every {@code cutIntervalMillis} when given,
     * to ship to a backup site of its own. Its nodes must run, so that it can be asked.
     */
    public void runAsPrimarySite(Long cutIntervalMillis, Duration grace) throws IOException {
        Map<Integer, NodeSettings> next = new java.util.HashMap<>();
        boolean backup = false;
        for (Map.Entry<Integer, NodeSettings> e : layout.nodeSettings().entrySet()) {
            boolean was = Boolean.TRUE.equals(e.getValue().backupSite());
            backup |= was;
            next.put(e.getKey(), was ? e.getValue().asPrimarySite(cutIntervalMillis) : e.getValue());
        }
        if (!backup) {
            throw new IllegalArgumentException("the dev cluster in " + dir + " is no backup site (it was not made with --backup-site)");
        }
        String stage;
        try {
            stage = adminClient().replicate().path("stage").asText();
        } catch (IOException e) {
            throw new IllegalArgumentException("the backup site in " + dir + " does not answer (" + e.getMessage() + "): start it first"
                    + " (./cairn dev --dir " + dir + "), so that it can say whether it is settled");
        }
        if (!io.cairn.meta.BackupMark.SETTLED.equals(stage)) {
            throw new IllegalArgumentException("the backup site in " + dir + " is " + stage + ", not settled: promote it (./cairn admin"
                    + " replicate promote --dir " + dir + ") and wait until 'cairn admin replicate status' shows stage settled");
        }
        stopAll(grace);
        layout = layout.withNodeSettings(next);
        save();
    }

    private void save() throws IOException {
        JSON.writeValue(dir.resolve("cluster.json").toFile(), layout);
        writePrivate(dir.resolve("credentials"), "access_key=" + layout.accessKey() + "\nsecret_key=" + layout.secretKey() + "\n");
        writePrivate(dir.resolve("env"), String.join("\n",
                "# Source this file (. " + dir.resolve("env") + ") to point AWS clients at the dev cluster.",
                "export AWS_ACCESS_KEY_ID=" + layout.accessKey(),
                "export AWS_SECRET_ACCESS_KEY=" + layout.secretKey(),
                "export AWS_REGION=us-east-1",
                "export AWS_DEFAULT_REGION=us-east-1",
                "export AWS_ENDPOINT_URL=" + layout.endpoint(0),
                layout.tls() ? "export AWS_CA_BUNDLE=" + publicCaFile() : "unset AWS_CA_BUNDLE",
                "export CAIRN_DEV_DIR=" + dir.toAbsolutePath(),
                ""));
        for (int i = 0; i < layout.nodes(); i++) {
            writeNodeConfig(i);
        }
    }

    /** Writes a file holding a secret, readable by its owner only (mode 0600). */
    private static void writePrivate(Path file, String text) throws IOException {
        if (!Files.exists(file)) {
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        }
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /**
     * The dev cluster's bootstrap token ({@code DIR/ca/bootstrap-token}, mode 0600), made on first
     * use: the first nodes of the cluster get their certificates from the first voter with it.
     */
    private String bootstrapToken() throws IOException {
        Path file = dir.resolve("ca").resolve("bootstrap-token");
        if (!Files.exists(file)) {
            Files.createDirectories(file.getParent());
            writePrivate(file, io.cairn.meta.tls.BootstrapToken.create() + "\n");
        }
        return Files.readString(file, StandardCharsets.UTF_8).strip();
    }

    /**
     * Whether the cluster's CA was made outside it and kept here ({@code DIR/ca/ca.crt} and
     * {@code ca.key}): a dev cluster of an older release, or one given an operator's CA (as a
     * test may do before the first start). Then the dev cluster issues the first nodes'
     * certificates itself and gives the voters the CA key ({@code cluster_ca_key_file}).
     */
    private boolean hasOwnCa() {
        return io.cairn.meta.tls.ClusterCa.existsIn(dir.resolve("ca"));
    }

    /** With a CA kept here: node {@code i}'s certificate of it for its node id, unless it has one already. */
    private void ensureCredentialsOfOwnCa(int i) throws IOException {
        String nodeId = io.cairn.server.NodeIdentity.loadOrCreate(dataDir(i));
        io.cairn.meta.tls.ClusterCa ca = io.cairn.meta.tls.ClusterCa.load(dir.resolve("ca"));
        ca.issue(nodeId, List.of(layout.host(i)), layout.isVoter(i)).save(tlsDir(i));
    }

    /**
     * The cluster CA with its key, opened from the first voter's sealed copy with the dev
     * cluster's master key: for tests that need certificates of the cluster made to order.
     */
    public io.cairn.meta.tls.ClusterCa openClusterCa() throws IOException {
        int first = layout.voterIndexes().getFirst();
        if (hasOwnCa()) {
            return io.cairn.meta.tls.ClusterCa.load(dir.resolve("ca"));
        }
        var sealed = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
                Files.readAllBytes(dataDir(first).resolve(io.cairn.server.join.ClusterAuthority.LOCAL_FILE)), io.cairn.meta.ClusterCaKey.class);
        var sse = io.cairn.server.gateway.SseS3.load(dir.resolve("ca").resolve("sse-master.key"));
        return io.cairn.meta.tls.ClusterCa.of(io.cairn.meta.tls.NodeCredentials.load(tlsDir(first)).caCertificate(),
                sse.openBytes(io.cairn.server.join.ClusterAuthority.PURPOSE, sealed.sealed()));
    }

    /** The CA certificate that signed the nodes' S3 certificates with {@code --tls}: what clients trust. */
    public Path publicCaFile() {
        return dir.resolve("public-ca").resolve("ca.crt").toAbsolutePath();
    }

    /** A CA of the public side, separate from the cluster CA, and node i's S3 certificate and key signed by it. */
    private Path[] ensurePublicCertificate(int i) throws IOException {
        Path caDir = dir.resolve("public-ca");
        io.cairn.meta.tls.ClusterCa ca;
        if (io.cairn.meta.tls.ClusterCa.existsIn(caDir)) {
            ca = io.cairn.meta.tls.ClusterCa.load(caDir);
        } else {
            ca = io.cairn.meta.tls.ClusterCa.createPublic(layout.clusterName());
            ca.save(caDir);
        }
        Path cert = nodeDir(i).resolve("s3-tls").resolve("server.crt").toAbsolutePath();
        Path key = nodeDir(i).resolve("s3-tls").resolve("server.key").toAbsolutePath();
        if (!io.cairn.meta.tls.ServerTls.existIn(cert, key)) {
            ca.issueServer(List.of(layout.host(i), "localhost").stream().distinct().toList(), cert, key);
        }
        return new Path[] {cert, key};
    }

    private Path dataDir(int i) {
        NodeSettings own = layout.settings(i);
        return own.dataDir() != null ? Path.of(own.dataDir()) : nodeDir(i).resolve("data").toAbsolutePath();
    }

    /** Where node {@code i}'s certificate, key and the CA certificate are kept. */
    public Path tlsDir(int i) {
        return nodeDir(i).resolve("tls").toAbsolutePath();
    }

    private void writeNodeConfig(int i) throws IOException {
        Path nodeDir = nodeDir(i);
        Files.createDirectories(nodeDir);
        StringBuilder y = new StringBuilder();
        y.append("# Node ").append(i).append(" of the dev cluster in ").append(dir.toAbsolutePath()).append('\n');
        NodeSettings own = layout.settings(i);
        y.append("data_dir: ").append(own.dataDir() != null ? own.dataDir() : nodeDir.resolve("data").toAbsolutePath()).append('\n');
        if (own.freeReserveBytes() != null) {
            y.append("free_reserve_bytes: ").append(own.freeReserveBytes()).append('\n');
        }
        if (own.freeReserveRatio() != null) {
            y.append("free_reserve_ratio: ").append(own.freeReserveRatio()).append('\n');
        }
        if (own.segmentBytesMax() != null) {
            y.append("segment_bytes_max: ").append(own.segmentBytesMax()).append('\n');
        }
        if (own.scrubPauseMillis() != null) {
            y.append("scrub_pause_millis: ").append(own.scrubPauseMillis()).append('\n');
        }
        if (own.minCopies() != null) {
            y.append("min_copies: ").append(own.minCopies()).append('\n');
        }
        if (own.rpcTimeoutMillis() != null) {
            y.append("rpc_timeout_millis: ").append(own.rpcTimeoutMillis()).append('\n');
        }
        if (own.lifecycleDaySeconds() != null) {
            y.append("lifecycle_day_seconds: ").append(own.lifecycleDaySeconds()).append('\n');
        }
        if (own.cutIntervalMillis() != null) {
            y.append("cut_interval_millis: ").append(own.cutIntervalMillis()).append('\n');
        }
        if (Boolean.TRUE.equals(own.backupSite())) {
            y.append("backup_site: true\n");
        }
        if (own.compactionIntervalMillis() != null) {
            y.append("compaction_interval_millis: ").append(own.compactionIntervalMillis()).append('\n');
        }
        y.append("site: ").append(layout.site(i)).append('\n');
        y.append("zone: ").append(layout.zone(i)).append('\n');
        if (layout.siteDelayMillis() > 0) {
            y.append("site_delay_millis: ").append(layout.siteDelayMillis()).append('\n');
        }
        if (layout.siteLossPercent() > 0) {
            y.append("site_loss_percent: ").append(layout.siteLossPercent()).append('\n');
        }
        if (!layout.siteLinks().isEmpty()) {
            y.append("site_links:\n");
            for (io.cairn.server.NodeConfig.SiteLink l : layout.siteLinks()) {
                y.append("  - {sites: [").append(String.join(", ", l.sites())).append("], delay_millis: ").append(l.delayMillis())
                        .append(", loss_percent: ").append(l.lossPercent() == null ? 0.0 : l.lossPercent()).append("}\n");
            }
        }
        y.append("public_address: ").append(layout.publicAddress(i)).append('\n');
        y.append("cluster_address: ").append(layout.host(i)).append(':').append(layout.clusterPort(i)).append('\n');
        y.append("cluster_name: ").append(layout.clusterName()).append('\n');
        if (layout.isVoter(i)) {
            y.append("meta_address: ").append(layout.host(i)).append(':').append(layout.metaPort(i)).append('\n');
        }
        if (layout.isTiebreaker(i)) {
            y.append("tiebreaker: true\n");
        }
        y.append("meta_voters: [").append(String.join(", ", layout.voterAddresses())).append("]\n");
        y.append("partitions: ").append(layout.partitions()).append('\n');
        y.append("capacity_bytes: ").append(layout.capacityBytes()).append('\n');
        y.append("heartbeat_interval_millis: ").append(layout.heartbeatIntervalMillis()).append('\n');
        y.append("down_after_millis: ").append(layout.downAfterMillis()).append('\n');
        y.append("down_out_interval_millis: ").append(layout.downOutIntervalMillis()).append('\n');
        y.append("admin_access_key: ").append(layout.accessKey()).append('\n');
        y.append("admin_secret_key: ").append(layout.secretKey()).append('\n');
        String joinToken = joinTokens.get(i);
        if (!io.cairn.meta.tls.NodeCredentials.existIn(tlsDir(i)) && joinToken == null && hasOwnCa()) {
            ensureCredentialsOfOwnCa(i);
        }
        if (!io.cairn.meta.tls.NodeCredentials.existIn(tlsDir(i))) {
            if (joinToken != null) {
                // A node added to a running cluster joins it as any new node would: with a one-time token.
                y.append("join_token: ").append(joinToken).append('\n');
            } else {
                // A first node: the first voter makes the cluster CA, the others get their certificates from it.
                y.append("bootstrap_token: ").append(bootstrapToken()).append('\n');
            }
            List<String> endpoints = new ArrayList<>();
            for (int v : layout.voterIndexes()) {
                endpoints.add(layout.endpoint(v));
            }
            y.append("join_endpoints: [").append(String.join(", ", endpoints)).append("]\n");
            if (layout.tls()) {
                y.append("join_ca_bundle: ").append(dir.resolve("public-ca").resolve("ca.crt").toAbsolutePath()).append('\n');
            }
        }
        y.append("cluster_tls_dir: ").append(tlsDir(i)).append('\n');
        if (layout.isVoter(i) && hasOwnCa()) {
            // A dev cluster of an older release: its voters keep the CA key made here.
            y.append("cluster_ca_key_file: ").append(dir.resolve("ca").resolve(io.cairn.meta.tls.ClusterCa.CA_KEY_FILE).toAbsolutePath())
                    .append('\n');
        }
        Path masterKey = dir.resolve("ca").resolve("sse-master.key").toAbsolutePath();
        io.cairn.server.gateway.SseS3.createIfAbsent(masterKey);
        y.append("sse_master_key_file: ").append(masterKey).append('\n');
        if (layout.tls()) {
            Path[] s3 = ensurePublicCertificate(i);
            y.append("tls_cert_file: ").append(s3[0]).append('\n');
            y.append("tls_key_file: ").append(s3[1]).append('\n');
        }
        Files.writeString(nodeDir.resolve("config.yaml"), y.toString(), StandardCharsets.UTF_8);
    }

    public Path dir() { return dir; }
    public Layout layout() { return layout; }
    public Path nodeDir(int i) { return dir.resolve("node-" + i); }

    public AdminClient adminClient() {
        List<String> endpoints = new ArrayList<>();
        for (int i = 0; i < layout.nodes(); i++) {
            endpoints.add(layout.endpoint(i));
        }
        return new AdminClient(endpoints, layout.accessKey() + ":" + layout.secretKey(), clientTls());
    }

    /** With {@code --tls}, a TLS context that trusts the dev cluster's public CA; else null. */
    public javax.net.ssl.SSLContext clientTls() {
        if (!layout.tls()) {
            return null;
        }
        try {
            return io.cairn.meta.tls.ServerTls.clientContext(publicCaFile());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Starts every node that does not run. A node that has no certificate yet, in a cluster whose
     * first nodes got theirs (the cluster grew with {@code --nodes}), joins as any new node would:
     * once the others are ready, with a one-time token.
     */
    public void startAll() throws IOException {
        boolean bootstrapped = io.cairn.meta.tls.NodeCredentials.existIn(tlsDir(layout.voterIndexes().getFirst()));
        List<Integer> late = new ArrayList<>();
        for (int i = 0; i < layout.nodes(); i++) {
            if (bootstrapped && !hasOwnCa() && !joinTokens.containsKey(i) && !io.cairn.meta.tls.NodeCredentials.existIn(tlsDir(i))) {
                late.add(i);
            } else {
                startNode(i);
            }
        }
        if (!late.isEmpty()) {
            awaitReady(JOIN_WAIT);
            for (int i : late) {
                joinTokens.put(i, adminClient().createJoinToken(10).path("token").asText());
                startNode(i);
            }
        }
    }

    /** How long a growing cluster's nodes that run already have to be ready before the new ones join. */
    private static final Duration JOIN_WAIT = Duration.ofSeconds(180);

    public void startNode(int i) throws IOException {
        checkIndex(i);
        if (pid(i).isPresent()) {
            return;
        }
        writeNodeConfig(i); // also gives the node its certificate, and brings a directory of an older release up to date
        long pid = launcher.launch(nodeDir(i).resolve("config.yaml"), nodeDir(i).resolve("log"), layout.netns(i));
        Files.writeString(nodeDir(i).resolve("pid"), pid + "\n");
    }

    /**
     * Adds one node (not a meta voter) to the running cluster and starts it; returns its index.
     * The node joins with a one-time token it is given, as a node of a real cluster would.
     */
    public int addNode() throws IOException {
        int i = layout.nodes();
        if (i >= NODES_MAX) {
            throw new IllegalArgumentException("a dev cluster has at most " + NODES_MAX + " nodes");
        }
        joinTokens.put(i, adminClient().createJoinToken(10).path("token").asText());
        layout = layout.withNodes(i + 1);
        save();
        startNode(i);
        return i;
    }

    /** SIGKILLs node {@code i}. */
    public void killNode(int i) throws IOException {
        checkIndex(i);
        Optional<ProcessHandle> p = pid(i).flatMap(ProcessHandle::of);
        if (p.isPresent()) {
            p.get().destroyForcibly();
            p.get().onExit().join();
        }
        Files.deleteIfExists(nodeDir(i).resolve("pid"));
    }

    /** Stops node {@code i} cleanly (SIGTERM, then SIGKILL after {@code grace}). */
    public void stopNode(int i, Duration grace) throws IOException {
        checkIndex(i);
        Optional<ProcessHandle> p = pid(i).flatMap(ProcessHandle::of);
        if (p.isPresent()) {
            NodeLauncher.stop(p.get(), grace);
        }
        Files.deleteIfExists(nodeDir(i).resolve("pid"));
    }

    public void stopAll(Duration grace) throws IOException {
        // Nodes may have been added by another 'cairn dev node add' since this layout was read.
        Path file = dir.resolve("cluster.json");
        if (Files.exists(file)) {
            layout = JSON.readValue(file.toFile(), Layout.class);
        }
        List<ProcessHandle> running = new ArrayList<>();
        for (int i = 0; i < layout.nodes(); i++) {
            pid(i).flatMap(ProcessHandle::of).ifPresent(p -> {
                p.destroy();
                running.add(p);
            });
        }
        for (ProcessHandle p : running) {
            NodeLauncher.stop(p, grace);
        }
        for (int i = 0; i < layout.nodes(); i++) {
            Files.deleteIfExists(nodeDir(i).resolve("pid"));
        }
    }

    /** The pid of node {@code i} if its process is alive and is that node. */
    public Optional<Long> pid(int i) {
        Path f = nodeDir(i).resolve("pid");
        try {
            if (!Files.exists(f)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(f).trim());
            return NodeLauncher.isNode(pid, nodeDir(i).resolve("config.yaml")) ? Optional.of(pid) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Waits until every running node answers its health check and the map shows each of them up.
     * Throws with what is still missing when {@code timeout} passes.
     */
    public void awaitReady(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        AdminClient admin = adminClient();
        String missing = "";
        while (System.nanoTime() < deadline) {
            List<Integer> running = new ArrayList<>();
            for (int i = 0; i < layout.nodes(); i++) {
                // A process that is still between fork and exec (or starting its JVM) is waited for too.
                if (pid(i).isPresent() || startedAndAlive(i)) {
                    running.add(i);
                } else if (startedButGone(i)) {
                    // Started and not stopped (stopping removes the pid file), yet its process is gone.
                    throw new IOException("node-" + i + " of the dev cluster in " + dir + " ended while starting; the end of "
                            + nodeDir(i).resolve("log") + ":\n" + logTail(i, ENDED_NODE_LOG_LINES));
                }
            }
            missing = "";
            for (int i : running) {
                if (!admin.healthy(layout.endpoint(i))) {
                    missing += " node-" + i + "(not serving)";
                }
            }
            if (missing.isEmpty()) {
                try {
                    var status = admin.status();
                    java.util.Set<String> upAddresses = new java.util.HashSet<>();
                    status.path("nodes").forEach(n -> {
                        if ("up".equals(n.path("state").asText())) {
                            upAddresses.add(n.path("public_address").asText());
                        }
                    });
                    for (int i : running) {
                        if (!upAddresses.contains(layout.publicAddress(i))) {
                            missing += " node-" + i + "(not up in the map)";
                        }
                    }
                    if (missing.isEmpty()) {
                        return;
                    }
                } catch (IOException e) {
                    missing = " status: " + e.getMessage();
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        throw new IOException("the dev cluster in " + dir + " is not ready after " + timeout.toSeconds() + " s:" + missing
                + " (see " + dir + "/node-*/log)");
    }

    /**
     * Whether node {@code i} has a pid file (it was started and not stopped) whose process no
     * longer exists. A process that exists but does not look like the node yet (the launcher
     * between fork and exec) is not gone.
     */
    private boolean startedAndAlive(int i) {
        Path f = nodeDir(i).resolve("pid");
        try {
            return Files.exists(f) && ProcessHandle.of(Long.parseLong(Files.readString(f).trim())).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    private boolean startedButGone(int i) {
        Path f = nodeDir(i).resolve("pid");
        try {
            if (!Files.exists(f)) {
                return false;
            }
            long pid = Long.parseLong(Files.readString(f).trim());
            return ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
        } catch (IOException | NumberFormatException e) {
            return false; // being written
        }
    }

    /** The last {@code lines} lines of node {@code i}'s log, or why they cannot be read. */
    private String logTail(int i, int lines) {
        Path log = nodeDir(i).resolve("log");
        try {
            List<String> all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= layout.nodes()) {
            throw new IllegalArgumentException("no node " + i + " in the dev cluster (nodes 0.." + (layout.nodes() - 1) + ")");
        }
    }
}
