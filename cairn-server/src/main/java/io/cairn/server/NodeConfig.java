package io.cairn.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.cairn.meta.MetaServerConfig;
import io.cairn.node.Addresses;
import io.cairn.store.StoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A node's configuration file (YAML). Every field is documented in {@code docs/configuration.md};
 * an unknown or invalid field stops start-up with a message that names it.
 */
public record NodeConfig(
        @JsonProperty("data_dir") String dataDir,
        @JsonProperty("extra_data_dirs") List<String> extraDataDirs,
        @JsonProperty("free_reserve_bytes") Long freeReserveBytes,
        @JsonProperty("free_reserve_ratio") Double freeReserveRatio,
        @JsonProperty("site") String site,
        @JsonProperty("zone") String zone,
        @JsonProperty("public_address") String publicAddress,
        @JsonProperty("cluster_address") String clusterAddress,
        @JsonProperty("cluster_name") String clusterName,
        @JsonProperty("meta_address") String metaAddress,
        @JsonProperty("meta_voters") List<String> metaVoters,
        @JsonProperty("partitions") Integer partitions,
        @JsonProperty("capacity_bytes") Long capacityBytes,
        @JsonProperty("heartbeat_interval_millis") Long heartbeatIntervalMillis,
        @JsonProperty("down_after_millis") Long downAfterMillis,
        @JsonProperty("down_out_interval_millis") Long downOutIntervalMillis,
        @JsonProperty("full_ratio") Double fullRatio,
        @JsonProperty("chunk_size_bytes") Integer chunkSizeBytes,
        @JsonProperty("rpc_timeout_millis") Long rpcTimeoutMillis,
        @JsonProperty("request_retry_millis") Long requestRetryMillis,
        @JsonProperty("recovery_bytes_per_second") Long recoveryBytesPerSecond,
        @JsonProperty("scrub_bytes_per_second") Long scrubBytesPerSecond,
        @JsonProperty("scrub_pause_millis") Long scrubPauseMillis,
        @JsonProperty("min_copies") Integer minCopies,
        @JsonProperty("region") String region,
        @JsonProperty("admin_access_key") String adminAccessKey,
        @JsonProperty("admin_secret_key") String adminSecretKey,
        @JsonProperty("segment_bytes_max") Long segmentBytesMax,
        @JsonProperty("compaction_interval_millis") Long compactionIntervalMillis,
        @JsonProperty("cluster_tls_dir") String clusterTlsDir,
        @JsonProperty("tls_cert_file") String tlsCertFile,
        @JsonProperty("tls_key_file") String tlsKeyFile,
        @JsonProperty("metrics_token") String metricsToken,
        @JsonProperty("clock_skew_seconds") Long clockSkewSeconds,
        @JsonProperty("concurrent_requests_max") Integer concurrentRequestsMax,
        @JsonProperty("failed_signatures_per_minute") Integer failedSignaturesPerMinute,
        @JsonProperty("min_upload_bytes_per_second") Long minUploadBytesPerSecond,
        @JsonProperty("request_deadline_seconds") Long requestDeadlineSeconds,
        @JsonProperty("user_requests_per_second") Integer userRequestsPerSecond,
        @JsonProperty("site_delay_millis") Long siteDelayMillis,
        @JsonProperty("site_loss_percent") Double siteLossPercent,
        @JsonProperty("sse_master_key_file") String sseMasterKeyFile,
        @JsonProperty("cluster_ca_key_file") String clusterCaKeyFile,
        @JsonProperty("join_token") String joinToken,
        @JsonProperty("bootstrap_token") String bootstrapToken,
        @JsonProperty("join_endpoints") List<String> joinEndpoints,
        @JsonProperty("join_ca_bundle") String joinCaBundle,
        @JsonProperty("buckets_per_user_max") Integer bucketsPerUserMax,
        @JsonProperty("plaintext_cluster") Boolean plaintextCluster,
        @JsonProperty("tiebreaker") Boolean tiebreaker,
        @JsonProperty("site_links") List<SiteLink> siteLinks,
        @JsonProperty("lifecycle_day_seconds") Long lifecycleDaySeconds,
        @JsonProperty("cut_interval_millis") Long cutIntervalMillis,
        @JsonProperty("backup_site") Boolean backupSite,
        @JsonProperty("orphan_chunk_grace_seconds") Long orphanChunkGraceSeconds) {

    /**
     * For tests: the emulated link between two sites where it differs from {@code site_delay_millis}
     * and {@code site_loss_percent} (a tie-breaker's site nearer than the other data site, say).
     */
    public record SiteLink(
            @JsonProperty("sites") List<String> sites,
            @JsonProperty("delay_millis") Long delayMillis,
            @JsonProperty("loss_percent") Double lossPercent) {

        /** The pair this entry gives; {@link IllegalArgumentException} naming what is wrong with it. */
        public io.cairn.meta.SiteLinks.Pair pair() {
            if (sites == null || sites.size() != 2) {
                throw new IllegalArgumentException("names two sites (sites: [A, B])");
            }
            if (delayMillis == null) {
                throw new IllegalArgumentException("needs delay_millis (0: no delay between them)");
            }
            return new io.cairn.meta.SiteLinks.Pair(sites.get(0), sites.get(1), delayMillis, lossPercent == null ? 0 : lossPercent);
        }

        /** The links of a default delay and loss between any two sites and {@code links} for the pairs that differ. */
        public static io.cairn.meta.SiteLinks all(long delayMillis, double lossPercent, List<SiteLink> links) {
            return io.cairn.meta.SiteLinks.of(delayMillis, lossPercent, links.stream().map(SiteLink::pair).toList());
        }
    }

    /** How long a lifecycle rule's day lasts: a day (a shorter one only for tests). */
    public static final long LIFECYCLE_DAY_SECONDS_DEFAULT = 24 * 3600;
    /**
     * How old a chunk no object names must be before the chunk sweep frees it: longer than any PUT
     * takes to write its body. 0: no periodic sweeps (on demand only).
     */
    public static final long ORPHAN_CHUNK_GRACE_SECONDS_DEFAULT = 24 * 3600;
    public static final long ORPHAN_CHUNK_GRACE_SECONDS_MIN = 3600;
    /** The shortest and the longest interval between consistent cuts ({@code cut_interval_millis}, when not 0). */
    public static final long CUT_INTERVAL_MILLIS_MIN = 50;
    public static final long CUT_INTERVAL_MILLIS_MAX = 60_000;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    private static final Pattern ACCESS_KEY = Pattern.compile("[A-Za-z0-9]{8,128}");

    /** The configuration with defaults filled in. */
    public NodeConfig withDefaults() {
        return new NodeConfig(dataDir, extraDataDirs == null ? List.of() : List.copyOf(extraDataDirs),
                or(freeReserveBytes, 1L << 30), or(freeReserveRatio, 0.02), or(site, "site1"), or(zone, "zone1"), publicAddress, clusterAddress,
                or(clusterName, "cairn"), metaAddress, metaVoters == null ? List.of() : List.copyOf(metaVoters),
                or(partitions, 64), or(capacityBytes, 0L), or(heartbeatIntervalMillis, 1000L), or(downAfterMillis, 5000L),
                or(downOutIntervalMillis, MetaServerConfig.DOWN_OUT_INTERVAL_MILLIS_DEFAULT),
                or(fullRatio, MetaServerConfig.FULL_RATIO_DEFAULT),
                or(chunkSizeBytes, 4 << 20), or(rpcTimeoutMillis, 30_000L), or(requestRetryMillis, 30_000L),
                or(recoveryBytesPerSecond, io.cairn.node.NodeRuntimeConfig.RECOVERY_BYTES_PER_SECOND_DEFAULT),
                or(scrubBytesPerSecond, io.cairn.node.NodeRuntimeConfig.SCRUB_BYTES_PER_SECOND_DEFAULT),
                or(scrubPauseMillis, io.cairn.node.NodeRuntimeConfig.SCRUB_PAUSE_MILLIS_DEFAULT),
                or(minCopies, io.cairn.node.NodeRuntimeConfig.MIN_COPIES_DEFAULT),
                or(region, "us-east-1"), adminAccessKey, adminSecretKey,
                or(segmentBytesMax, StoreConfig.DEFAULTS.segmentBytesMax()),
                or(compactionIntervalMillis, StoreConfig.DEFAULTS.compactionIntervalMillis()), clusterTlsDir, tlsCertFile, tlsKeyFile, metricsToken,
                or(clockSkewSeconds, io.cairn.s3.S3GatewayConfig.DEFAULT_MAX_SKEW_MILLIS / 1000),
                or(concurrentRequestsMax, io.cairn.s3.S3GatewayConfig.DEFAULT_CONCURRENT_REQUESTS_MAX),
                or(failedSignaturesPerMinute, io.cairn.s3.S3GatewayConfig.DEFAULT_FAILED_SIGNATURES_PER_MINUTE),
                or(minUploadBytesPerSecond, io.cairn.s3.S3GatewayConfig.DEFAULT_MIN_UPLOAD_BYTES_PER_SECOND),
                or(requestDeadlineSeconds, io.cairn.s3.S3GatewayConfig.DEFAULT_REQUEST_DEADLINE_MILLIS / 1000), or(userRequestsPerSecond, 0),
                or(siteDelayMillis, 0L), or(siteLossPercent, 0.0),
                sseMasterKeyFile,
                clusterCaKeyFile, joinToken, bootstrapToken, joinEndpoints == null ? List.of() : List.copyOf(joinEndpoints), joinCaBundle,
                or(bucketsPerUserMax, io.cairn.server.gateway.BucketCreator.BUCKETS_PER_USER_MAX_DEFAULT), or(plaintextCluster, false),
                or(tiebreaker, false), siteLinks == null ? List.of() : List.copyOf(siteLinks),
                or(lifecycleDaySeconds, LIFECYCLE_DAY_SECONDS_DEFAULT), or(cutIntervalMillis, 0L),
                or(backupSite, false), or(orphanChunkGraceSeconds, ORPHAN_CHUNK_GRACE_SECONDS_DEFAULT));
    }

    /**
     * The emulated links between sites this configuration asks for ({@code site_delay_millis},
     * {@code site_loss_percent}, {@code site_links}); {@link io.cairn.meta.SiteLinks#NONE} for none.
     * Call on a validated configuration, once: the node's calls and its meta voter's share what it returns.
     */
    public io.cairn.meta.SiteLinks emulatedSiteLinks() {
        return SiteLink.all(siteDelayMillis, siteLossPercent, siteLinks);
    }

    private static <T> T or(T value, T fallback) {
        return value == null ? fallback : value;
    }

    /** Reads, fills defaults and validates; any problem is a {@link ConfigException} naming the field. */
    public static NodeConfig load(Path file) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        NodeConfig raw;
        try {
            if (!Files.isRegularFile(file)) {
                throw new ConfigException(file + ": no such configuration file");
            }
            if (Files.readString(file).isBlank()) {
                throw new ConfigException(file + ": the configuration file is empty");
            }
            raw = yaml.readValue(file.toFile(), NodeConfig.class);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw new ConfigException(file + ": unknown field '" + e.getPropertyName() + "'" + lineOf(file, e.getPropertyName())
                    + "; known fields: " + known);
        } catch (JsonMappingException e) {
            String field = e.getPath().stream().map(r -> r.getFieldName() == null ? "[" + r.getIndex() + "]" : r.getFieldName())
                    .collect(Collectors.joining("."));
            throw new ConfigException(file + ": invalid value for field '" + field + "': " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the configuration: " + e.getMessage());
        }
        if (raw == null) {
            throw new ConfigException(file + ": the configuration file is empty");
        }
        NodeConfig c = raw.withDefaults();
        c.validate(file.toString());
        return c;
    }

    /** " (line N)" of the first line that sets {@code field}, or "" if none is found. */
    private static String lineOf(Path file, String field) {
        try {
            List<String> lines = Files.readAllLines(file);
            Pattern p = Pattern.compile("^\\s*['\"]?" + Pattern.quote(field) + "['\"]?\\s*:");
            for (int i = 0; i < lines.size(); i++) {
                if (p.matcher(lines.get(i)).find()) {
                    return " (line " + (i + 1) + ")";
                }
            }
        } catch (IOException e) {
            // the message goes out without a line number
        }
        return "";
    }

    void validate(String source) {
        require(dataDir != null && !dataDir.isBlank(), source, "data_dir", "is required");
        require((tlsCertFile == null) == (tlsKeyFile == null), source, tlsCertFile == null ? "tls_cert_file" : "tls_key_file",
                "is needed too: tls_cert_file and tls_key_file go together");
        if (tlsCertFile != null) {
            require(Files.isRegularFile(Path.of(tlsCertFile)), source, "tls_cert_file", "names no file: " + tlsCertFile);
            require(Files.isRegularFile(Path.of(tlsKeyFile)), source, "tls_key_file", "names no file: " + tlsKeyFile);
        }
        require(clockSkewSeconds >= 1 && clockSkewSeconds <= 86_400, source, "clock_skew_seconds", "must be 1..86400: " + clockSkewSeconds);
        require(concurrentRequestsMax >= 1 && concurrentRequestsMax <= 1_000_000, source, "concurrent_requests_max",
                "must be 1..1000000: " + concurrentRequestsMax);
        require(bucketsPerUserMax >= 0, source, "buckets_per_user_max", "must be >= 0 (0 = no limit): " + bucketsPerUserMax);
        require(cutIntervalMillis == 0 || cutIntervalMillis >= CUT_INTERVAL_MILLIS_MIN && cutIntervalMillis <= CUT_INTERVAL_MILLIS_MAX,
                source, "cut_interval_millis", "must be 0 (no consistent cuts) or " + CUT_INTERVAL_MILLIS_MIN + " to "
                        + CUT_INTERVAL_MILLIS_MAX + ": " + cutIntervalMillis);
        require(lifecycleDaySeconds >= 1 && lifecycleDaySeconds <= LIFECYCLE_DAY_SECONDS_DEFAULT, source, "lifecycle_day_seconds",
                "must be 1 to " + LIFECYCLE_DAY_SECONDS_DEFAULT + " (a shorter day is for tests): " + lifecycleDaySeconds);
        require(orphanChunkGraceSeconds == 0 || orphanChunkGraceSeconds >= ORPHAN_CHUNK_GRACE_SECONDS_MIN, source,
                "orphan_chunk_grace_seconds", "must be 0 (no periodic sweeps) or at least " + ORPHAN_CHUNK_GRACE_SECONDS_MIN
                        + " (a shorter one could free the chunks of a PUT still writing its body): " + orphanChunkGraceSeconds);
        require(orphanChunkGraceSeconds == 0 || requestDeadlineSeconds == 0 || orphanChunkGraceSeconds > requestDeadlineSeconds, source,
                "orphan_chunk_grace_seconds", "must be longer than request_deadline_seconds (" + requestDeadlineSeconds
                        + "), the longest a PUT may take, or the sweep could free the chunks of one still under way: " + orphanChunkGraceSeconds);
        require(failedSignaturesPerMinute >= 0, source, "failed_signatures_per_minute", "must be >= 0 (0 = no limit): "
                + failedSignaturesPerMinute);
        require(minUploadBytesPerSecond >= 0, source, "min_upload_bytes_per_second", "must be >= 0 (0 = no limit): "
                + minUploadBytesPerSecond);
        require(userRequestsPerSecond >= 0 && userRequestsPerSecond <= 1_000_000, source, "user_requests_per_second",
                "must be from 0 (no limit) to 1000000: " + userRequestsPerSecond);
        try {
            io.cairn.meta.SiteLinks.uniform(siteDelayMillis, siteLossPercent);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": fields 'site_delay_millis' and 'site_loss_percent': " + e.getMessage());
        }
        for (int i = 0; i < siteLinks.size(); i++) {
            SiteLink l = siteLinks.get(i);
            require(l != null, source, "site_links[" + i + "]", "is empty");
            try {
                l.pair();
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source + ": field 'site_links[" + i + "]' " + e.getMessage());
            }
        }
        try {
            emulatedSiteLinks();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": field 'site_links' " + e.getMessage());
        }
        require(requestDeadlineSeconds >= 0 && requestDeadlineSeconds <= 7 * 24 * 3600, source, "request_deadline_seconds",
                "must be from 0 (no deadline) to 604800 (7 days): " + requestDeadlineSeconds);
        if (sseMasterKeyFile != null) {
            require(Files.isRegularFile(Path.of(sseMasterKeyFile)), source, "sse_master_key_file", "names no file: " + sseMasterKeyFile);
        }
        if (metricsToken != null) {
            require(metricsToken.length() >= 16, source, "metrics_token", "must be at least 16 characters");
        }
        if (clusterTlsDir != null) {
            require(!clusterTlsDir.isBlank(), source, "cluster_tls_dir", "must not be empty");
            require(joinToken != null || bootstrapToken != null || io.cairn.meta.tls.NodeCredentials.existIn(Path.of(clusterTlsDir)), source,
                    "cluster_tls_dir", clusterTlsDir + " must hold " + io.cairn.meta.tls.NodeCredentials.CA_CERT_FILE + ", "
                            + io.cairn.meta.tls.NodeCredentials.CERT_FILE + " and " + io.cairn.meta.tls.NodeCredentials.KEY_FILE
                            + " (or give a join_token to get them from the cluster, or a bootstrap_token to a new cluster's first nodes)");
        }
        if (clusterTlsDir != null) {
            require(sseMasterKeyFile != null, source, "sse_master_key_file", "is required with cluster_tls_dir: the master key seals users'"
                    + " secret keys and the cluster CA's key in the cluster map (the same key file on every node; 'cairn sse-key create"
                    + " --file FILE' makes one)");
        }
        if (bootstrapToken != null) {
            require(clusterTlsDir != null, source, "bootstrap_token", "needs cluster_tls_dir, where the node keeps its certificate");
            try {
                io.cairn.meta.tls.BootstrapToken.parse(bootstrapToken);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source + ": invalid value for field 'bootstrap_token': " + e.getMessage());
            }
            if (!io.cairn.meta.tls.NodeCredentials.existIn(Path.of(clusterTlsDir)) && joinToken == null) {
                if (isFirstVoter()) {
                    require(clusterCaKeyFile == null, source, "cluster_ca_key_file",
                            "cannot go with a bootstrap_token on the first voter, which makes the cluster CA itself");
                } else {
                    require(!joinEndpoints.isEmpty(), source, "join_endpoints",
                            "is required with bootstrap_token on any node but the first meta voter (http(s)://host:port of the first voter)");
                }
            }
        }
        if (joinToken != null) {
            require(clusterTlsDir != null, source, "join_token", "needs cluster_tls_dir, where the node keeps what it is given");
            require(!joinEndpoints.isEmpty(), source, "join_endpoints", "is required with join_token (http(s)://host:port of meta voters)");
            try {
                io.cairn.meta.tls.JoinToken.parse(joinToken);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source + ": invalid value for field 'join_token': " + e.getMessage());
            }
        }
        for (String e : joinEndpoints) {
            require(e != null && e.matches("https?://[^/\\s]+/?"), source, "join_endpoints", "each must be http(s)://host:port: " + e);
        }
        if (joinCaBundle != null) {
            require(Files.isRegularFile(Path.of(joinCaBundle)), source, "join_ca_bundle", "names no file: " + joinCaBundle);
        }
        if (clusterCaKeyFile != null) {
            require(clusterTlsDir != null, source, "cluster_ca_key_file", "needs cluster_tls_dir (with the CA certificate)");
            require(Files.isRegularFile(Path.of(clusterCaKeyFile)), source, "cluster_ca_key_file", "names no file: " + clusterCaKeyFile);
        }
        for (String d : extraDataDirs) {
            require(d != null && !d.isBlank(), source, "extra_data_dirs", "must not contain empty paths");
        }
        require(freeReserveBytes >= 0, source, "free_reserve_bytes", "must be >= 0");
        require(freeReserveRatio >= 0 && freeReserveRatio < 1, source, "free_reserve_ratio", "must be in [0, 1)");
        require(segmentBytesMax >= (1L << 20) && segmentBytesMax <= (1L << 40), source, "segment_bytes_max",
                "must be 1048576..1099511627776 (1 MiB .. 1 TiB): " + segmentBytesMax);
        require(compactionIntervalMillis >= 0 && compactionIntervalMillis <= 86_400_000L, source, "compaction_interval_millis",
                "must be 0..86400000 (0 = no background compaction): " + compactionIntervalMillis);
        require(publicAddress != null, source, "public_address", "is required (host:port of the S3 endpoint)");
        require(clusterAddress != null, source, "cluster_address", "is required (host:port for node-to-node traffic)");
        address(source, "public_address", publicAddress);
        address(source, "cluster_address", clusterAddress);
        require(NAME.matcher(site).matches(), source, "site", "must be 1-63 letters, digits, '.', '_' or '-': '" + site + "'");
        require(NAME.matcher(zone).matches(), source, "zone", "must be 1-63 letters, digits, '.', '_' or '-': '" + zone + "'");
        require(NAME.matcher(clusterName).matches(), source, "cluster_name", "must be 1-63 letters, digits, '.', '_' or '-'");
        require(!metaVoters.isEmpty(), source, "meta_voters", "must list the Raft address of at least one meta voter");
        for (String v : metaVoters) {
            address(source, "meta_voters", v);
        }
        if (metaAddress != null) {
            address(source, "meta_address", metaAddress);
            require(metaVoters.contains(metaAddress), source, "meta_address",
                    "'" + metaAddress + "' must also appear in meta_voters " + metaVoters);
        }
        require(partitions >= 1 && partitions <= 65_536, source, "partitions", "must be 1..65536: " + partitions);
        require(!tiebreaker || metaAddress != null, source, "tiebreaker", "needs meta_address: a tie-breaker is a meta voter that holds no data");
        require(capacityBytes >= 0, source, "capacity_bytes", "must be >= 0 (0 = the data directory's file system size)");
        require(heartbeatIntervalMillis >= 50 && heartbeatIntervalMillis <= 60_000, source, "heartbeat_interval_millis", "must be 50..60000");
        require(downAfterMillis >= 2 * heartbeatIntervalMillis, source, "down_after_millis",
                "must be at least twice heartbeat_interval_millis (" + heartbeatIntervalMillis + ")");
        require(downOutIntervalMillis == 0 || downOutIntervalMillis >= downAfterMillis, source, "down_out_interval_millis",
                "must be 0 (never mark a node out) or at least down_after_millis (" + downAfterMillis + "): " + downOutIntervalMillis);
        require(fullRatio > 0 && fullRatio <= 1, source, "full_ratio", "must be in (0, 1]: " + fullRatio);
        require(chunkSizeBytes >= 65_536 && chunkSizeBytes <= (16 << 20), source, "chunk_size_bytes", "must be 65536..16777216");
        require(rpcTimeoutMillis >= 100, source, "rpc_timeout_millis", "must be >= 100");
        require(requestRetryMillis >= 0, source, "request_retry_millis", "must be >= 0");
        require(recoveryBytesPerSecond >= 0, source, "recovery_bytes_per_second", "must be >= 0 (0: no limit): " + recoveryBytesPerSecond);
        require(scrubBytesPerSecond >= 0, source, "scrub_bytes_per_second", "must be >= 0 (0: no scrub): " + scrubBytesPerSecond);
        require(scrubPauseMillis >= 0, source, "scrub_pause_millis", "must be >= 0: " + scrubPauseMillis);
        require(minCopies >= 1 && minCopies <= io.cairn.node.NodeRuntimeConfig.MIN_COPIES_MAX, source, "min_copies",
                "must be 1.." + io.cairn.node.NodeRuntimeConfig.MIN_COPIES_MAX + ": " + minCopies);
        if (metaAddress != null) {
            require(adminAccessKey != null && ACCESS_KEY.matcher(adminAccessKey).matches(), source, "admin_access_key",
                    "is required on meta voters: 8-128 letters and digits");
            require(adminSecretKey != null && adminSecretKey.length() >= 16, source, "admin_secret_key",
                    "is required on meta voters: at least 16 characters");
        }
        require(clusterTlsDir != null || plaintextCluster, source, "cluster_tls_dir",
                "is required: the cluster and meta ports run mutual TLS (a directory with ca.crt, node.crt and node.key, or an empty"
                        + " one and a join_token); only a test on one machine may set plaintext_cluster: true instead");
        require(!(clusterTlsDir != null && plaintextCluster), source, "plaintext_cluster", "cannot go with cluster_tls_dir");
    }

    private static void address(String source, String field, String value) {
        try {
            Addresses.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": invalid value for field '" + field + "': " + e.getMessage());
        }
    }

    private static void require(boolean ok, String source, String field, String message) {
        if (!ok) {
            throw new ConfigException(source + ": field '" + field + "' " + message);
        }
    }

    /** The store's tunables: the defaults with this file's reserve, segment size and compaction interval. */
    public StoreConfig storeConfig() {
        StoreConfig d = StoreConfig.DEFAULTS;
        return d.withFreeReserve(freeReserveBytes, freeReserveRatio)
                .withSegmentBytesMax(segmentBytesMax)
                .withCompaction(d.compactionLiveRatioMin(), d.compactionBytesPerSecond(), compactionIntervalMillis);
    }

    public Path dataPath() {
        return Path.of(dataDir);
    }

    /** The store's directories: {@code data_dir/store} (which also holds the index), then one per extra directory. */
    public List<Path> storePaths() {
        List<Path> dirs = new java.util.ArrayList<>();
        dirs.add(dataPath().resolve("store"));
        for (String d : extraDataDirs) {
            dirs.add(Path.of(d));
        }
        return dirs;
    }

    /** Whether this node is the first of the meta voters: the one that makes a new cluster's CA. */
    public boolean isFirstVoter() {
        return metaAddress != null && !metaVoters.isEmpty() && metaVoters.getFirst().equals(metaAddress);
    }

    @Override
    public String toString() {
        return "NodeConfig[data_dir=" + dataDir + ", public_address=" + publicAddress + ", cluster_address=" + clusterAddress
                + ", meta_address=" + metaAddress + ", meta_voters=" + metaVoters + "]"; // no secret or token
    }
}
