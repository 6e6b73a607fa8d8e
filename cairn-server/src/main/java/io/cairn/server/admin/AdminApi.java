package io.cairn.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.UserInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.meta.MetaState;
import io.cairn.node.MapView;
import io.cairn.protocol.erasure.BlockStamp;
import io.cairn.node.StorageNode;
import io.cairn.s3.AdminHandler;
import io.cairn.s3.AdminResponse;
import io.cairn.s3.S3Error;
import io.cairn.s3.S3Exception;
import io.cairn.server.gateway.BucketCreator;
import io.cairn.server.gateway.ObjectEntry;
import io.cairn.server.gateway.ObjectKeys;
import io.cairn.core.store.BlobRead;
import io.cairn.store.RocksPartitionStore;
import io.cairn.core.store.StoredRecord;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * The admin API under {@code /_cairn/} on every node's public address. Everything but
 * {@code /_cairn/health} must be signed with AWS SigV4 (service {@code s3}, the cluster's region)
 * by a key of an admin user; a read-only admin key may only GET. No secret travels in a header.
 *
 * <ul>
 *   <li>{@code GET /_cairn/health}: 200 once the node serves; 503 while it is cut off from the meta service.</li>
 *   <li>{@code GET /_cairn/status}: the {@link ClusterStatus} JSON.</li>
 *   <li>{@code GET /_cairn/metrics}: the node's metrics in the Prometheus text format.</li>
 *   <li>{@code POST /_cairn/buckets?name=B[&policy=P][&owner=ACCESS_KEY]}: creates a bucket with a
 *       storage policy (default: the calling admin owns it, the default pool holds it).</li>
 *   <li>{@code GET /_cairn/buckets}: every bucket with its owner, policy and pools.</li>
 *   <li>{@code POST /_cairn/buckets/grant?name=B&(user=U|key=K)&permission=read|write|owner}: gives a
 *       user or one key rights on a bucket; {@code POST /_cairn/buckets/revoke?name=B&(user=U|key=K)}
 *       takes them back.</li>
 *   <li>{@code POST /_cairn/users?name=U[&admin=true]}: creates a user with its first key and
 *       answers {@code {"user", "access_key", "secret_key"}} (the only time the secret is shown);
 *       {@code GET /_cairn/users}: users with their keys (no secrets); {@code DELETE /_cairn/users?name=U}.</li>
 *   <li>{@code POST /_cairn/keys?user=U[&read_only=true]}: one more key of a user;
 *       {@code GET /_cairn/keys[?user=U]}; {@code DELETE /_cairn/keys?access_key=K}.</li>
 *   <li>{@code GET /_cairn/debug/object?bucket=B&key=K}: what this node itself holds of an object (the
 *       chunk list comes from its own index copy, or from the cluster if it holds none), with the
 *       segment file and byte offsets of each local blob when the store keeps segments.</li>
 *   <li>{@code GET /_cairn/debug/chunk?bucket=B&key=K&index=I}: this node's own copy of one chunk.</li>
 *   <li>{@code GET /_cairn/debug/inline?bucket=B&key=K}: this node's own copy of a small object's inline data.</li>
 * </ul>
 */
public final class AdminApi implements AdminHandler {

    private static AdminResponse json(int status, Object value) {
        try {
            return new AdminResponse(status, "application/json", JSON.writeValueAsBytes(value));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static AdminResponse error(int status, String message) {
        return json(status, Map.of("error", message));
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper COMPACT = new ObjectMapper();
    /** Where a node with a join token asks for its certificate; the one admin path with no signature but the health check. */
    public static final String JOIN = "/_cairn/join";

    private final StorageNode node;
    private final NodeMetrics metrics;
    private final BucketCreator buckets;
    private final Clock clock;
    /** The backup site's side of shipping: this cluster as a primary site's backup; null on a cluster that is none. */
    private io.cairn.server.backup.BackupSite backup;

    /** On a primary site's node: how far its backup site is (the status's {@code backup_site}); null on any other. */
    private io.cairn.server.backup.BackupProgress backupProgress;

    /** Shows {@code progressOrNull}, this primary site's backup site, in the status. */
    public AdminApi withBackupProgress(io.cairn.server.backup.BackupProgress progressOrNull) {
        this.backupProgress = progressOrNull;
        return this;
    }

    /** On a node that ships its cuts: the backup site linked in the meta service; null on a node that ships none. */
    private io.cairn.server.backup.LinkedBackupSite backupLink;

    private io.cairn.server.gateway.ChunkSweep chunkSweep;
    private long chunkGraceMillis;
    private long longestPutMillis;
    private java.util.function.Supplier<String> readOnlyReason = () -> null;

    /**
     * Serves {@code POST /_cairn/chunks/sweep} with {@code sweep}; {@code graceMillis} is its grace
     * period when the request names none (0: a day); a shorter grace than {@code longestPutMillis}
     * (the request deadline; 0: none, and then the default grace counts) frees chunks only with
     * {@code force=true}; nothing is swept while {@code readOnlyReason} says why.
     */
    public AdminApi withChunkSweep(io.cairn.server.gateway.ChunkSweep sweep, long graceMillis, long longestPutMillis,
                                   java.util.function.Supplier<String> readOnlyReason) {
        this.chunkSweep = sweep;
        this.chunkGraceMillis = graceMillis > 0 ? graceMillis : io.cairn.server.NodeConfig.ORPHAN_CHUNK_GRACE_SECONDS_DEFAULT * 1000;
        this.longestPutMillis = longestPutMillis > 0 ? longestPutMillis : this.chunkGraceMillis;
        this.readOnlyReason = readOnlyReason;
        return this;
    }

    /** Serves {@code /_cairn/replicate} (link a backup site, unlink it, how far it is) with {@code linkOrNull}. */
    public AdminApi withBackupLink(io.cairn.server.backup.LinkedBackupSite linkOrNull) {
        this.backupLink = linkOrNull;
        return this;
    }

    /** Serves the backup site's resources ({@code /_cairn/backup/...}) with {@code siteOrNull}; null: this cluster is no backup site. */
    public AdminApi withBackupSite(io.cairn.server.backup.BackupSite siteOrNull) {
        this.backup = siteOrNull;
        return this;
    }

    /** The token a metrics scrape may send instead of a signature; null: scrapes must be signed. */
    private final String metricsToken;
    /** Makes join tokens and admits nodes that bring one; null without cluster TLS. */
    private final io.cairn.server.join.NodeAdmission admission;
    /** Seals new secret keys before they go into the map; null: they are stored in clear. */
    private final io.cairn.server.gateway.SseS3 secrets;

    /** Counts what each master key wraps, and rewraps under the current one ({@code ClusterObjectBackend.sseKeyUse}). */
    public interface SseKeys {
        io.cairn.server.gateway.ClusterObjectBackend.SseKeyUse use(boolean rewrap) throws io.cairn.s3.S3Exception;
    }

    /** Null: the node was built without a gateway, and the master-key resources answer 501. */
    private SseKeys sseKeys;

    /** Serves {@code GET /_cairn/sse} and {@code POST /_cairn/sse/rewrap} with {@code keys}. */
    public AdminApi withSseKeys(SseKeys keys) {
        this.sseKeys = keys;
        return this;
    }

    public AdminApi(StorageNode node) {
        this(node, Clock.systemUTC(), null);
    }

    /**
     * @param clock stamps the creation time of buckets created through the API
     * @param metricsToken what {@code GET /_cairn/metrics} accepts as {@code Authorization: Bearer TOKEN}
     *                     (it opens the metrics and nothing else); null for signed scrapes only
     */
    public AdminApi(StorageNode node, Clock clock, String metricsToken) {
        this(node, clock, metricsToken, null, null, io.cairn.server.gateway.BucketCreator.BUCKETS_PER_USER_MAX_DEFAULT);
    }

    /**
     * @param admissionOrNull makes join tokens and admits joining nodes (see {@code POST /_cairn/join})
     * @param secretsOrNull   seals the secret keys of new keys under the cluster's master key
     */
    public AdminApi(StorageNode node, Clock clock, String metricsToken, io.cairn.server.join.NodeAdmission admissionOrNull,
                    io.cairn.server.gateway.SseS3 secretsOrNull, int bucketsPerUserMax) {
        this.admission = admissionOrNull;
        this.secrets = secretsOrNull;
        this.node = node;
        this.metricsToken = metricsToken;
        this.metrics = new NodeMetrics(node, this::clusterStatus);
        this.buckets = new BucketCreator(node, bucketsPerUserMax);
        this.clock = clock;

    }

    @Override
    public AdminResponse handle(String caller, String method, String path, Map<String, String> query, Map<String, String> headers,
                                InputStream body) {
        if (path.equals("/_cairn/health")) {
            io.cairn.node.MetaContact contact = node.metaContact();
            if (contact.cutOff()) {
                // Serving still (reads of settled copies), but writes fail here: a load balancer
                // sends clients to nodes that hear from the meta service.
                return json(503, Map.of("status", "cut_off", "node", node.config().nodeId(), "epoch", node.mapView().epoch(),
                        "meta_silent_millis", contact.silentMillis(), "error", contact.why()));
            }
            return json(200, Map.of("status", "ok", "node", node.config().nodeId(), "epoch", node.mapView().epoch(),
                    "meta_silent_millis", contact.silentMillis()));
        }
        if (path.equals(JOIN)) {
            // Unsigned: the join token is the credential.
            if (!method.equals("POST")) {
                return error(405, "use POST");
            }
            if (admission == null) {
                return json(503, Map.of("error", "this cluster does not run mutual TLS: there is nothing to join with", "code", "NotAnAuthority"));
            }
            io.cairn.server.join.NodeAdmission.Outcome o = admission.admit(body, "the public port");
            return o.response() != null ? json(200, o.response()) : json(o.status(), Map.of("error", o.error(), "code", o.code()));
        }
        if (path.equals("/_cairn/metrics") && caller == null && metricsTokenMatches(headers.get("authorization"))) {
            return new AdminResponse(200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Optional<UserInfo> admin = adminKey(caller);
        if (admin.isEmpty()) {
            return json(403, Map.of("error", caller == null
                    ? "admin API: sign the request with AWS SigV4 using a key of an admin user"
                    : "admin API: the access key " + caller + " is not a key of an admin user", "code", "AccessDenied"));
        }
        if (admin.get().readOnly() && !method.equals("GET")) {
            return json(403, Map.of("error", "admin API: the access key " + caller + " may only read", "code", "AccessDenied"));
        }
        try {
            return switch (path) {
                case "/_cairn/users" -> switch (method) {
                    case "GET" -> listUsers();
                    case "POST" -> createUser(required(query, "name"), "true".equals(query.get("admin")));
                    case "DELETE" -> deleteUser(required(query, "name"));
                    default -> error(405, "use GET, POST or DELETE");
                };
                case "/_cairn/keys" -> switch (method) {
                    case "GET" -> listKeys(query.get("user"));
                    case "POST" -> createKey(required(query, "user"), "true".equals(query.get("read_only")));
                    case "DELETE" -> deleteKey(required(query, "access_key"));
                    default -> error(405, "use GET, POST or DELETE");
                };
                case "/_cairn/buckets/grant" -> method.equals("POST")
                        ? grant(required(query, "name"), query.get("user"), query.get("key"), required(query, "permission")) : error(405, "use POST");
                case "/_cairn/buckets/revoke" -> method.equals("POST")
                        ? grant(required(query, "name"), query.get("user"), query.get("key"), null) : error(405, "use POST");
                case "/_cairn/status" -> method.equals("GET") ? status() : error(405, "use GET");
                case "/_cairn/buckets" -> switch (method) {
                    case "GET" -> listBuckets();
                    case "POST" -> createBucket(required(query, "name"), query.get("policy"), query.getOrDefault("owner", admin.get().name()));
                    default -> error(405, "use GET to list buckets or POST to create one");
                };
                case "/_cairn/nodes/drain" -> method.equals("POST") ? markNode(required(query, "id"), false) : error(405, "use POST");
                case "/_cairn/nodes/in" -> method.equals("POST") ? markNode(required(query, "id"), true) : error(405, "use POST");
                case "/_cairn/nodes/remove" -> method.equals("POST") ? removeNode(required(query, "id")) : error(405, "use POST");
                case "/_cairn/nodes/tokens" -> method.equals("POST") ? joinToken(query.get("ttl_minutes")) : error(405, "use POST");
                case "/_cairn/metrics" -> new AdminResponse(200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                case "/_cairn/chunks/sweep" -> method.equals("POST") ? sweepChunks(query.get("grace_seconds"), query.get("dry_run"), query.get("force"))
                        : error(405, "use POST");
                case "/_cairn/sse" -> method.equals("GET") ? sseKeyUse(false) : error(405, "use GET");
                case "/_cairn/sse/rewrap" -> method.equals("POST") ? sseKeyUse(true) : error(405, "use POST");
                case "/_cairn/debug/object" -> debugObject(required(query, "bucket"), required(query, "key"));
                case "/_cairn/debug/inline" -> debugInline(required(query, "bucket"), required(query, "key"));
                case "/_cairn/debug/chunk" -> debugChunk(required(query, "bucket"), required(query, "key"),
                        Integer.parseInt(required(query, "index")));
                case "/_cairn/replicate" -> switch (method) {
                    case "GET" -> replicateStatus();
                    case "POST" -> replicateAdd(headers, body);
                    case "DELETE" -> replicateRemove();
                    default -> error(405, "use GET, POST or DELETE");
                };
                case "/_cairn/backup", "/_cairn/backup/mark", "/_cairn/backup/visible", "/_cairn/backup/states", "/_cairn/backup/positions", "/_cairn/backup/ship",
                     "/_cairn/backup/buckets", "/_cairn/backup/promote", "/_cairn/backup/primaries" -> backup == null
                        ? error(409, "this cluster is not a backup site: its nodes' config sets backup_site: true to make it one")
                        : backupResource(method, path, query, headers, body);
                default -> error(404, "no admin resource " + path);
            };
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        }
    }

    private AdminResponse backupResource(String method, String path, Map<String, String> query, Map<String, String> headers,
                                         InputStream body) {
            return switch (path) {
                case "/_cairn/backup" -> method.equals("GET") ? backupState() : error(405, "use GET");
                case "/_cairn/backup/visible" -> method.equals("GET")
                        ? backupVisible(query.getOrDefault("prefix", ""), query.get("round")) : error(405, "use GET");
                case "/_cairn/backup/positions" -> method.equals("POST") ? backupPositions(headers, body) : error(405, "use POST");
                case "/_cairn/backup/ship" -> method.equals("POST") ? backupShip(headers, body) : error(405, "use POST");
                case "/_cairn/backup/mark" -> method.equals("GET") ? backupMark() : error(405, "use GET");
                case "/_cairn/backup/primaries" -> method.equals("GET") ? backupPrimaries() : error(405, "use GET");
                case "/_cairn/backup/states" -> method.equals("GET") ? backupStates(required(query, "key")) : error(405, "use GET");
                case "/_cairn/backup/buckets" -> method.equals("POST") ? backupBuckets(headers, body) : error(405, "use POST");
                case "/_cairn/backup/promote" -> method.equals("POST") ? backupPromote() : error(405, "use POST");
                default -> error(404, "no admin resource " + path);
            };
    }

    /** The primary site's buckets and pools ({@link io.cairn.server.backup.BucketShipper}), made here where missing. */
    private AdminResponse backupBuckets(Map<String, String> headers, InputStream body) {
        io.cairn.server.backup.BucketShipper.Buckets sent;
        try {
            sent = COMPACT.readValue(signedBody(headers, body), io.cairn.server.backup.BucketShipper.Buckets.class);
        } catch (java.io.IOException e) {
            return error(400, "not a list of buckets and pools: " + e.getMessage());
        }
        if (sent.buckets() == null || sent.pools() == null) {
            return error(400, "buckets and pools are both required");
        }
        try {
            return json(200, backup.takeBuckets(sent.buckets(), sent.pools(), sent.epoch()));
        } catch (io.cairn.meta.MetaUnavailableException e) {
            return error(503, "the backup site's map cannot be changed now: " + e.getMessage());
        } catch (IllegalStateException e) {
            return error(409, e.getMessage());
        }
    }

    /** What {@code POST /_cairn/replicate} takes: the backup site's endpoints, an admin key of it, and the CA to trust for https. */
    public record ReplicateRequest(@com.fasterxml.jackson.annotation.JsonProperty("endpoints") List<String> endpoints,
                                   @com.fasterxml.jackson.annotation.JsonProperty("admin_key") String adminKey,
                                   @com.fasterxml.jackson.annotation.JsonProperty("ca_pem") String caPem,
                                   @com.fasterxml.jackson.annotation.JsonProperty("buckets") List<String> buckets) {}

    private static final String CUTS_OFF = "this node ships no consistent cuts: set cut_interval_millis on every node of this cluster"
            + " (which must not be a backup site itself), then link its backup site";

    /**
     * Links this cluster to a backup site ({@code cairn admin replicate add}): once the site answered
     * as a backup site that is not promoted, with the key given, and its replicated pools have the
     * partition counts of this cluster's, the link is kept in the meta service (the key sealed under
     * the master key when there is one), and every node ships its cuts there.
     */
    private AdminResponse replicateAdd(Map<String, String> headers, InputStream body) {
        if (backupLink == null) {
            return error(409, CUTS_OFF);
        }
        ReplicateRequest req;
        try {
            req = COMPACT.readValue(signedBody(headers, body), ReplicateRequest.class);
        } catch (java.io.IOException e) {
            return error(400, "not a backup site to link ({\"endpoints\": [...], \"admin_key\": \"ACCESS:SECRET\"}): " + e.getMessage());
        }
        if (req.endpoints() == null || req.adminKey() == null || !req.adminKey().matches("[A-Za-z0-9]{8,128}:\\S{8,}")) {
            return error(400, "endpoints and admin_key (ACCESS_KEY:SECRET_KEY of an admin user of the backup site) are required");
        }
        ClusterMap map = node.mapView().current().map();
        for (String name : req.buckets() == null ? List.<String>of() : req.buckets()) {
            if (map.bucket(name).isEmpty()) {
                return error(400, "no bucket " + name + " to link");
            }
        }
        io.cairn.meta.BackupTarget clear;
        try {
            clear = new io.cairn.meta.BackupTarget(req.endpoints(), req.adminKey(), req.caPem(), req.buckets());
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        }
        java.util.Map<String, String> notShipped = io.cairn.server.backup.BucketShipper.notShipped(map, clear);
        if (!clear.buckets().isEmpty() && !notShipped.isEmpty()) {
            return error(400, "these buckets cannot be linked: " + notShipped);
        }
        try {
            io.cairn.server.backup.HttpBackupLink link = io.cairn.server.backup.LinkedBackupSite.link(clear, null, backupLink.region());
            com.fasterxml.jackson.databind.JsonNode mark = COMPACT.readTree(link.mark().get(30, java.util.concurrent.TimeUnit.SECONDS));
            if (!io.cairn.meta.BackupMark.SHIPPING.equals(mark.path("stage").asText())) {
                return error(400, "the backup site at " + req.endpoints() + " was promoted: it takes no more rounds");
            }
            // A site that shows a round has what a link shipped: another choice of buckets would leave it with some
            // buckets' writes since then only. The same link again (a new key, say) goes on from where it is.
            // With no link now, what the site took is not known here: only a link of the whole cluster is taken, as before.
            io.cairn.meta.BackupTarget now = node.meta().readBackupTarget();
            List<String> before = now == null ? List.of() : now.buckets();
            if (mark.path("shown_round").asLong() > 0 && !clear.buckets().equals(before)) {
                return error(400, "the backup site at " + req.endpoints() + " shows round " + mark.path("shown_round").asLong()
                        + " of a link of " + (now == null ? "buckets not known here" : before.isEmpty() ? "the whole cluster" : before)
                        + "; link it again with the same buckets, or link these " + (clear.buckets().isEmpty() ? "(the whole cluster)"
                        : clear.buckets()) + " to a backup site that shows no round yet");
            }
            javax.net.ssl.SSLContext tls = io.cairn.server.backup.LinkedBackupSite.trust(req.caPem());
            com.fasterxml.jackson.databind.JsonNode theirs = new AdminClient(req.endpoints(), req.adminKey(), tls, backupLink.region()).status();
            for (com.fasterxml.jackson.databind.JsonNode pool : theirs.path("pools")) {
                Optional<PoolInfo> mine = map.pool(pool.path("name").asText());
                if (mine.isPresent() && mine.get().policy().kind() == io.cairn.core.map.StoragePolicy.Kind.REPLICATED
                        && mine.get().partitions() != pool.path("partitions").asInt()) {
                    return error(400, "pool " + mine.get().name() + " has " + mine.get().partitions() + " partitions here and "
                            + pool.path("partitions").asInt() + " on the backup site: they must be equal (set partitions alike)");
                }
            }
        } catch (java.util.concurrent.ExecutionException e) {
            return error(400, "the backup site at " + req.endpoints() + " did not answer as a backup site with that key: "
                    + (e.getCause() == null ? e : e.getCause()).getMessage());
        } catch (java.util.concurrent.TimeoutException e) {
            return error(400, "the backup site at " + req.endpoints() + " did not answer within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(503, "interrupted");
        } catch (java.io.IOException e) {
            return error(400, "the backup site at " + req.endpoints() + " cannot be reached: " + e.getMessage());
        } catch (io.cairn.meta.MetaUnavailableException e) {
            return error(503, "the link this cluster has now could not be read: " + e.getMessage());
        }
        String stored = secrets == null ? req.adminKey() : secrets.sealBytes(io.cairn.server.backup.LinkedBackupSite.SEAL_PURPOSE,
                req.adminKey().getBytes(StandardCharsets.UTF_8));
        try {
            MetaResult r = node.meta().submit(new MetaCommand.SetBackupTarget(new io.cairn.meta.BackupTarget(req.endpoints(), stored,
                    req.caPem(), clear.buckets())));
            if (!r.ok()) {
                return error(503, "the link was not kept: " + r.error());
            }
        } catch (io.cairn.meta.MetaUnavailableException e) {
            return error(503, "the link was not kept: " + e.getMessage());
        }
        backupLink.refresh();
        return json(200, Map.of("linked", true, "endpoints", req.endpoints(), "key_sealed", secrets != null,
                "buckets", clear.buckets(), "buckets_not_shipped", notShipped));
    }

    private AdminResponse replicateRemove() {
        if (backupLink == null) {
            return error(409, CUTS_OFF);
        }
        try {
            MetaResult r = node.meta().submit(new MetaCommand.SetBackupTarget(null));
            if (!r.ok()) {
                return error(503, "the link was not removed: " + r.error());
            }
        } catch (io.cairn.meta.MetaUnavailableException e) {
            return error(503, "the link was not removed: " + e.getMessage());
        }
        backupLink.refresh();
        return json(200, Map.of("linked", false));
    }

    /** This cluster's part in asynchronous replication: a backup site, a primary site (and how far its backup is), or neither. */
    private AdminResponse replicateStatus() {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        if (backup != null) {
            io.cairn.meta.BackupMark m = backup.mark();
            out.put("role", "backup");
            out.put("shown_round", m.shownRound());
            out.put("shown_at", m.shownAtMillis() == 0 ? null : java.time.Instant.ofEpochMilli(m.shownAtMillis()).toString());
            out.put("stage", m.stage());
        } else if (backupLink != null) {
            out.put("role", "primary");
            out.put("linked", backupLink.target().isPresent());
            backupLink.target().ifPresent(t -> out.put("endpoints", t.endpoints()));
            backupLink.target().ifPresent(t -> out.put("buckets", t.buckets()));
            out.put("buckets_not_shipped", io.cairn.server.backup.BucketShipper.notShipped(node.mapView().current().map(),
                    backupLink.target().orElse(null)));
            if (backupProgress != null) {
                out.put("backup_site", backupProgress.status(node.meta().read(), System.currentTimeMillis()));
            }
        } else {
            out.put("role", "none");
            out.put("why", CUTS_OFF);
        }
        return json(200, out);
    }

    /** The round the backup's gateways show, since when, and its stage: what a primary site asks for its lag. */
    private AdminResponse backupMark() {
        io.cairn.meta.BackupMark m = backup.mark();
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("shown_round", m.shownRound());
        out.put("shown_at_millis", m.shownAtMillis());
        out.put("stage", m.stage());
        return json(200, out);
    }

    private AdminResponse backupStates(String key) {
        try {
            List<Map<String, Object>> states = new java.util.ArrayList<>();
            backup.states(key).forEach(st -> states.add(Map.of("round", st.round(), "version", st.version().toString(),
                    "tombstone", st.tombstone())));
            return json(200, Map.of("key", key, "states", states));
        } catch (io.cairn.node.ClusterException e) {
            return error(503, "the backup could not be read: " + e.getMessage());
        }
    }

    private AdminResponse backupPromote() {
        try {
            io.cairn.meta.BackupMark m = backup.promote();
            return json(200, Map.of("stage", m.stage(), "round", m.shownRound(), "shown_at_millis", m.shownAtMillis()));
        } catch (io.cairn.meta.MetaUnavailableException e) {
            return error(503, "the backup site cannot be promoted now: " + e.getMessage());
        }
    }

    /** The largest body a shipped page may have: a page's records (4 MiB) and one more record of at most a chunk. */
    static final int BACKUP_BODY_BYTES_MAX = 64 << 20;

    /**
     * A body whose SHA-256 is the signed {@code x-amz-content-sha256}: the signature covers what a
     * primary site ships, not only the request line.
     */
    private static byte[] signedBody(Map<String, String> headers, InputStream body) {
        byte[] bytes;
        try {
            bytes = body.readNBytes(BACKUP_BODY_BYTES_MAX + 1);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the body could not be read: " + e.getMessage());
        }
        if (bytes.length > BACKUP_BODY_BYTES_MAX) {
            throw new IllegalArgumentException("the body is over " + BACKUP_BODY_BYTES_MAX + " bytes");
        }
        String signed = headers.get("x-amz-content-sha256");
        String actual;
        try {
            actual = java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (signed == null || !MessageDigest.isEqual(signed.getBytes(StandardCharsets.UTF_8), actual.getBytes(StandardCharsets.UTF_8))) {
            throw new IllegalArgumentException("the body's SHA-256 must be signed as x-amz-content-sha256, and match it");
        }
        return bytes;
    }

    private static AdminResponse protobuf(com.google.protobuf.Message m) {
        return new AdminResponse(200, "application/x-protobuf", m.toByteArray());
    }

    private AdminResponse backupPositions(Map<String, String> headers, InputStream body) {
        if (!backup.mark().shipping()) {
            // The shippers' asks fail, and they ask again later, quietly, rather than have every page refused.
            return error(409, "the backup site was promoted: it takes no more rounds");
        }
        io.cairn.node.rpc.ShipPositionsMessage ask;
        try {
            ask = io.cairn.node.rpc.ShipPositionsMessage.parseFrom(signedBody(headers, body));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return error(400, "not a positions request: " + e.getMessage());
        }
        java.util.Set<PartitionId> asked = new java.util.TreeSet<>();
        ask.getPartitionsList().forEach(r -> asked.add(io.cairn.node.rpc.WireCodec.partition(r)));
        try {
            io.cairn.node.rpc.ShipPositionsMessage.Builder out = io.cairn.node.rpc.ShipPositionsMessage.newBuilder();
            backup.positions(asked).forEach((p, at) -> out.addPositions(io.cairn.node.rpc.WireCodec.position(p, at)));
            return protobuf(out.build());
        } catch (java.io.IOException | io.cairn.node.ClusterException e) {
            return error(503, "the backup's positions could not be read: " + e.getMessage());
        }
    }

    private AdminResponse backupShip(Map<String, String> headers, InputStream body) {
        io.cairn.protocol.Shipment page;
        try {
            page = io.cairn.node.rpc.WireCodec.shipment(io.cairn.node.rpc.ShipmentMessage.parseFrom(signedBody(headers, body)));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return error(400, "not a shipped page: " + e.getMessage());
        }
        try {
            io.cairn.protocol.BackupLedger.Decision d = backup.ship(page);
            return protobuf(io.cairn.node.rpc.ShippedMessage.newBuilder().setOk(d.take()).setPositionChanged(d.positionChanged())
                    .setWhy(d.why()).addAllMissing(d.missing()).build());
        } catch (java.io.IOException | io.cairn.node.ClusterException e) {
            return error(503, "round " + page.round() + " of " + page.partition() + " not taken: " + e.getMessage());
        }
    }

    /** Where a primary site sends each partition's pages: {@code {"primaries": {"POOL/PARTITION": "host:port"}}}. */
    private AdminResponse backupPrimaries() {
        Map<String, String> out = new java.util.TreeMap<>();
        backup.primaries().forEach((p, address) -> out.put(p.pool() + "/" + p.partition(), address));
        return json(200, Map.of("primaries", out));
    }

    private AdminResponse backupState() {
        try {
            io.cairn.server.backup.BackupSite.Summary s = backup.state();
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            out.put("visible_round", s.visibleRound());
            out.put("partitions", s.partitions());
            out.put("partitions_shipped", s.partitionsShipped());
            out.put("lowest_round", s.lowestRound());
            out.put("rounds_with_holes", s.roundsWithHoles());
            out.put("pages_taken_here", s.pagesTakenHere());
            out.put("pages_taken_here_as_primary", s.pagesTakenHereAsPrimary());
            out.put("records_taken_here", s.recordsTakenHere());
            out.put("held_checked_here", s.heldCheckedHere());
            out.put("held_missing_here", s.heldMissingHere());
            out.put("states_dropped_here", s.statesDroppedHere());
            out.put("states_settled_here", s.statesSettledHere());
            out.put("settled_here", s.settledHere());
            if (s.settledHere()) {
                out.put("settle_millis_here", s.settleMillis());
            }
            io.cairn.meta.BackupMark m = backup.mark();
            out.put("shown_round", m.shownRound());
            out.put("shown_at", m.shownAtMillis() == 0 ? null : java.time.Instant.ofEpochMilli(m.shownAtMillis()).toString());
            out.put("stage", m.stage());
            return json(200, out);
        } catch (java.io.IOException | io.cairn.node.ClusterException e) {
            return error(503, "the backup's state could not be read: " + e.getMessage());
        }
    }

    private AdminResponse backupVisible(String prefix, String roundOrNull) {
        try {
            long round = roundOrNull != null ? Long.parseLong(roundOrNull) : backup.mark().shownRound();
            List<Map<String, Object>> keys = new java.util.ArrayList<>();
            backup.visible(prefix, round).values().forEach(st -> keys.add(Map.of("key", st.key(), "round", st.round(),
                    "version", st.version().toString())));
            return json(200, Map.of("round", round, "keys", keys));
        } catch (NumberFormatException e) {
            return error(400, "round must be a number");
        } catch (io.cairn.node.ClusterException e) {
            return error(503, "the backup could not be read: " + e.getMessage());
        }
    }

    private static String required(Map<String, String> query, String name) {
        String v = query.get(name);
        if (v == null) {
            throw new IllegalArgumentException("query parameter '" + name + "' is required");
        }
        return v;
    }

    /** Whether {@code authorization} is {@code Bearer TOKEN} with this node's metrics token (none configured: never). */
    private boolean metricsTokenMatches(String authorization) {
        if (metricsToken == null || authorization == null || !authorization.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(metricsToken.getBytes(StandardCharsets.UTF_8),
                authorization.substring("Bearer ".length()).strip().getBytes(StandardCharsets.UTF_8));
    }

    /** The key of an admin user that signed the request (the gateway verified the signature). */
    private Optional<UserInfo> adminKey(String caller) {
        if (caller == null) {
            return Optional.empty();
        }
        return node.mapView().current().map().user(caller).filter(UserInfo::admin);
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private static final java.util.regex.Pattern USER_NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /** A new access key: "CK" and 20 upper-case hex digits. */
    static String newAccessKey() {
        byte[] b = new byte[10];
        RANDOM.nextBytes(b);
        return "CK" + java.util.HexFormat.of().withUpperCase().formatHex(b);
    }

    /** A new secret: 40 characters of letters and digits (240 bits). */
    static String newSecret() {
        byte[] b = new byte[30];
        RANDOM.nextBytes(b);
        return java.util.Base64.getEncoder().encodeToString(b).replace('/', 'x').replace('+', 'y');
    }

    private ClusterMap freshMap() {
        return node.mapView().refresh().map();
    }

    private MetaResult submit(MetaCommand c) {
        MetaResult r = node.meta().submit(c);
        if (r.ok()) {
            node.mapView().ensureEpoch(r.epoch());
        }
        return r;
    }

    private AdminResponse createUser(String name, boolean admin) {
        if (!USER_NAME.matcher(name).matches()) {
            return json(400, Map.of("error", "a user name is 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit: '"
                    + name + "'", "code", "InvalidArgument"));
        }
        if (freshMap().users().stream().anyMatch(u -> u.name().equals(name))) {
            return json(409, Map.of("error", "the user " + name + " exists; add a key with POST /_cairn/keys?user=" + name, "code", "UserExists"));
        }
        return putKey(new UserInfo(newAccessKey(), newSecret(), name, admin, false));
    }

    private AdminResponse createKey(String user, boolean readOnly) {
        Optional<UserInfo> existing = freshMap().users().stream().filter(u -> u.name().equals(user)).findFirst();
        if (existing.isEmpty()) {
            return json(404, Map.of("error", "no user " + user, "code", "NoSuchUser"));
        }
        return putKey(new UserInfo(newAccessKey(), newSecret(), user, existing.get().admin(), readOnly));
    }

    private AdminResponse putKey(UserInfo key) {
        UserInfo stored = secrets == null ? key
                : new UserInfo(key.accessKey(), secrets.sealSecret(key.accessKey(), key.secretKey()), key.name(), key.admin(), key.readOnly());
        MetaResult r = submit(new MetaCommand.PutUser(stored));
        if (!r.ok()) {
            return json(409, Map.of("error", "the key could not be created: " + r.error(), "code", r.error()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user", key.name());
        out.put("access_key", key.accessKey());
        out.put("secret_key", key.secretKey());
        out.put("admin", key.admin());
        out.put("read_only", key.readOnly());
        return json(200, out);
    }

    private AdminResponse listUsers() {
        ClusterMap map = freshMap();
        Map<String, List<UserInfo>> byUser = new java.util.TreeMap<>();
        for (UserInfo u : map.users()) {
            byUser.computeIfAbsent(u.name(), n -> new ArrayList<>()).add(u);
        }
        List<Map<String, Object>> users = new ArrayList<>();
        byUser.forEach((name, keys) -> {
            Map<String, Object> u = new LinkedHashMap<>();
            u.put("user", name);
            u.put("admin", keys.getFirst().admin());
            u.put("keys", keys.stream().map(AdminApi::keyView).toList());
            u.put("buckets", map.buckets().stream().filter(b -> io.cairn.core.access.BucketAccess.ownerName(map, b).equals(name))
                    .map(BucketInfo::name).toList());
            users.add(u);
        });
        return json(200, Map.of("users", users));
    }

    private static Map<String, Object> keyView(UserInfo k) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("user", k.name());
        v.put("access_key", k.accessKey());
        v.put("read_only", k.readOnly());
        return v;
    }

    private AdminResponse listKeys(String userOrNull) {
        return json(200, Map.of("keys", freshMap().users().stream()
                .filter(u -> userOrNull == null || u.name().equals(userOrNull)).map(AdminApi::keyView).toList()));
    }

    private AdminResponse deleteUser(String name) {
        MetaResult r = submit(new MetaCommand.DeleteUser(name));
        return r.ok() ? json(200, Map.of("deleted_user", name)) : refusal(r, "user " + name);
    }

    private AdminResponse deleteKey(String accessKey) {
        MetaResult r = submit(new MetaCommand.DeleteKey(accessKey));
        return r.ok() ? json(200, Map.of("deleted_key", accessKey)) : refusal(r, "key " + accessKey);
    }

    private static AdminResponse refusal(MetaResult r, String what) {
        String why = switch (r.error()) {
            case MetaResult.NO_SUCH_USER, MetaResult.NO_SUCH_KEY, MetaResult.NO_SUCH_BUCKET -> "there is no " + what;
            case MetaResult.USER_OWNS_BUCKETS -> "the " + what + " owns buckets: delete them first";
            case MetaResult.LAST_ADMIN -> "the cluster would be left without an admin key that can write";
            default -> r.error();
        };
        int status = r.error().startsWith("NO_SUCH") ? 404 : 409;
        return json(status, Map.of("error", "cannot remove or change the " + what + ": " + why, "code", r.error()));
    }

    /** Gives {@code user} or {@code key} {@code permission} on a bucket, or with a null permission takes what they had. */
    private AdminResponse grant(String bucket, String user, String key, String permission) {
        if ((user == null) == (key == null)) {
            return json(400, Map.of("error", "name either user=NAME or key=ACCESS_KEY", "code", "InvalidArgument"));
        }
        ClusterMap map = freshMap();
        Optional<BucketInfo> b = map.bucket(bucket);
        if (b.isEmpty()) {
            return json(404, Map.of("error", "no bucket " + bucket, "code", "NoSuchBucket"));
        }
        if (user != null && map.users().stream().noneMatch(u -> u.name().equals(user))) {
            return json(404, Map.of("error", "no user " + user, "code", "NoSuchUser"));
        }
        if (key != null && map.user(key).isEmpty()) {
            return json(404, Map.of("error", "no access key " + key, "code", "NoSuchKey"));
        }
        List<io.cairn.core.map.BucketGrant> grants = new ArrayList<>(b.get().grants().stream()
                .filter(g -> !(user != null ? user.equals(g.user()) : key.equals(g.key()))).toList());
        if (permission != null) {
            io.cairn.core.map.BucketPermission p;
            try {
                p = io.cairn.core.map.BucketPermission.valueOf(permission.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return json(400, Map.of("error", "permission must be read, write or owner: '" + permission + "'", "code", "InvalidArgument"));
            }
            grants.add(user != null ? io.cairn.core.map.BucketGrant.toUser(user, p) : io.cairn.core.map.BucketGrant.toKey(key, p));
        }
        MetaResult r = submit(new MetaCommand.SetBucketAccess(bucket, grants, b.get().publicRead()));
        return r.ok() ? json(200, BucketView.of(freshMap().bucket(bucket).orElseThrow(), freshMap())) : refusal(r, "bucket " + bucket);
    }

    private AdminResponse createBucket(String name, String policy, String owner) {
        try {
            if (!userExists(owner)) {
                return json(400, Map.of("error", "no user (or access key) '" + owner + "' to own bucket " + name, "code", "InvalidArgument"));
            }
            // The owner is a user: an access key given for it names its user.
            String ownerName = node.mapView().current().map().user(owner).map(UserInfo::name).orElse(owner);
            BucketInfo created = buckets.create(name, ownerName, policy, clock.millis());
            return json(200, BucketView.of(created, node.mapView().current().map()));
        } catch (S3Exception e) {
            return json(e.error().httpStatus(), Map.of("error", e.getMessage(), "code", e.error().name()));
        }
    }

    /**
     * Drains a node (marks it out: placement hands its partitions to other nodes, which copy
     * the data from the remaining holders while it keeps serving) or marks it in again.
     */
    private AdminResponse markNode(String nodeId, boolean in) {
        ClusterMap map = node.mapView().refresh().map();
        if (map.node(nodeId).isEmpty()) {
            return json(404, Map.of("error", "no node " + nodeId + " in the cluster map", "code", "NoSuchNode"));
        }
        MetaResult r;
        try {
            r = node.meta().submit(in ? new MetaCommand.MarkIn(nodeId) : new MetaCommand.MarkOut(nodeId));
        } catch (RuntimeException e) {
            return json(503, Map.of("error", "the cluster map service is unavailable: " + e.getMessage(), "code", "ServiceUnavailable"));
        }
        if (!r.ok()) {
            return json(400, Map.of("error", "node " + nodeId + ": " + r.error(), "code", r.error()));
        }
        node.mapView().ensureEpoch(r.epoch());
        return json(200, Map.of("node", nodeId, "in", in, "epoch", r.epoch()));
    }

    /**
     * Removes a drained node from the cluster for good: its id is revoked, so every node and voter
     * refuses its certificate from the next map on, on new connections and open ones alike.
     */
    private AdminResponse removeNode(String nodeId) {
        MetaResult r;
        try {
            r = node.meta().submit(new MetaCommand.RemoveNode(nodeId));
        } catch (RuntimeException e) {
            return json(503, Map.of("error", "the cluster map service is unavailable: " + e.getMessage(), "code", "ServiceUnavailable"));
        }
        if (!r.ok()) {
            String why = switch (r.error()) {
                case MetaResult.NO_SUCH_NODE -> "no node " + nodeId + " in the cluster map";
                case MetaResult.NODE_REMOVED -> "node " + nodeId + " was removed already";
                case MetaResult.NODE_IS_VOTER -> "node " + nodeId + " is a meta voter; the voters are fixed when the cluster is created";
                case MetaResult.NODE_NOT_DRAINED -> "node " + nodeId + " still takes partitions: drain it first ('cairn admin node drain "
                        + nodeId + "') and wait until no partition is recovering";
                case MetaResult.NODE_STILL_HOLDS_DATA -> "node " + nodeId + " is still a source of partitions being re-protected:"
                        + " wait until 'cairn admin status' shows no partition recovering";
                default -> "node " + nodeId + ": " + r.error();
            };
            int status = r.error().equals(MetaResult.NO_SUCH_NODE) ? 404 : 409;
            return json(status, Map.of("error", why, "code", r.error()));
        }
        node.mapView().ensureEpoch(r.epoch());
        return json(200, Map.of("node", nodeId, "removed", true, "epoch", r.epoch()));
    }

    /** A one-time join token for a new node: {@code {"token", "expires_millis"}}. */
    private AdminResponse joinToken(String ttlMinutes) {
        if (admission == null) {
            return json(409, Map.of("error", "this cluster does not run mutual TLS: nodes join without tokens", "code", "NoClusterTls"));
        }
        long ttl;
        try {
            ttl = ttlMinutes == null ? io.cairn.server.join.NodeAdmission.TTL_MINUTES_DEFAULT : Long.parseLong(ttlMinutes);
        } catch (NumberFormatException e) {
            return json(400, Map.of("error", "ttl_minutes must be a number of minutes: " + ttlMinutes, "code", "InvalidArgument"));
        }
        if (ttl < 1 || ttl > io.cairn.server.join.NodeAdmission.TTL_MINUTES_MAX) {
            return json(400, Map.of("error", "ttl_minutes must be 1.." + io.cairn.server.join.NodeAdmission.TTL_MINUTES_MAX, "code",
                    "InvalidArgument"));
        }
        io.cairn.meta.tls.JoinToken token;
        try {
            token = admission.createToken(ttl);
        } catch (RuntimeException e) {
            return json(503, Map.of("error", "the cluster map service did not take the token: " + e.getMessage(), "code", "ServiceUnavailable"));
        }
        return json(200, Map.of("token", token.toString(), "expires_millis", clock.millis() + ttl * 60_000));
    }

    private boolean userExists(String owner) throws S3Exception {
        if (node.mapView().current().map().users().stream().anyMatch(u -> u.name().equals(owner) || u.accessKey().equals(owner))) {
            return true;
        }
        try {
            return node.mapView().refresh().map().users().stream().anyMatch(u -> u.name().equals(owner) || u.accessKey().equals(owner));
        } catch (RuntimeException e) {
            throw new S3Exception(S3Error.ServiceUnavailable, "the cluster map service is unavailable: " + e.getMessage());
        }
    }

    private AdminResponse listBuckets() {
        ClusterMap map = node.mapView().refresh().map();
        return json(200, Map.of("buckets", map.buckets().stream().map(b -> BucketView.of(b, map)).toList()));
    }

    private final RepairProgress repairProgress = new RepairProgress();

    /**
     * {@code {"current_key", "keys", "objects", "uploads", "secrets"}} (counts by master key id),
     * with {@code "rewrapped"} and {@code "changed_meanwhile"} after a rewrap.
     */
    private AdminResponse sseKeyUse(boolean rewrap) {
        if (sseKeys == null) {
            return json(501, Map.of("error", "this node serves no master-key resources", "code", "NotImplemented"));
        }
        try {
            io.cairn.server.gateway.ClusterObjectBackend.SseKeyUse u = sseKeys.use(rewrap);
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            out.put("current_key", u.currentKey());
            out.put("keys", u.keys());
            out.put("objects", u.objects());
            out.put("uploads", u.uploads());
            out.put("secrets", u.secrets());
            if (rewrap) {
                out.put("rewrapped", u.rewrapped());
                out.put("changed_meanwhile", u.changedMeanwhile());
            }
            return json(200, out);
        } catch (io.cairn.s3.S3Exception e) {
            return json(e.error().httpStatus(), Map.of("error", e.getMessage(), "code", e.error().name()));
        }
    }

    /**
     * Frees the chunks no object names that are older than {@code graceSeconds} (default: the
     * node's {@code orphan_chunk_grace_seconds}, or a day); with {@code dryRun} only counts them.
     * A grace shorter than the longest PUT frees only with {@code force}.
     */
    private AdminResponse sweepChunks(String graceSeconds, String dryRun, String force) {
        if (chunkSweep == null) {
            return json(501, Map.of("error", "this node serves no chunk sweep", "code", "NotImplemented"));
        }
        String readOnly = readOnlyReason.get();
        if (readOnly != null) {
            return json(409, Map.of("error", readOnly, "code", "ReadOnly"));
        }
        long grace = chunkGraceMillis;
        if (graceSeconds != null) {
            try {
                grace = Math.multiplyExact(Long.parseLong(graceSeconds), 1000L);
            } catch (NumberFormatException | ArithmeticException e) {
                return error(400, "grace_seconds must be a whole number of seconds: " + graceSeconds);
            }
            if (grace < 0) {
                return error(400, "grace_seconds must be 0 or more: " + graceSeconds);
            }
        }
        for (String[] flag : new String[][] {{"dry_run", dryRun}, {"force", force}}) {
            if (flag[1] != null && !flag[1].equals("true") && !flag[1].equals("false")) {
                return error(400, flag[0] + " must be true or false: " + flag[1]);
            }
        }
        if (grace < longestPutMillis && !"true".equals(dryRun) && !"true".equals(force)) {
            return error(400, "a grace of " + grace / 1000 + " s is shorter than a PUT may take (" + longestPutMillis / 1000
                    + " s, request_deadline_seconds): it could free the chunks of a PUT under way; with none under way, add force=true");
        }
        io.cairn.server.gateway.ChunkSweep.Report r = chunkSweep.sweep(grace, "true".equals(dryRun));
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("dry_run", r.dryRun());
        out.put("grace_seconds", r.graceMillis() / 1000);
        out.put("buckets", r.buckets());
        out.put("named", r.named());
        out.put("young", r.young());
        out.put("freed", r.freed());
        out.put("freed_bytes", r.freedBytes());
        out.put("freed_of_deleted_buckets", r.freedOfDeletedBuckets());
        out.put("changed_meanwhile", r.changed());
        out.put("unknown_bucket", r.unknownBucket());
        out.put("skipped", new java.util.TreeMap<>(r.skipped()));
        return json(200, out);
    }

    private AdminResponse status() {
        return json(200, clusterStatus());
    }

    /** The cluster's status from the meta service's latest state, with re-protection progress measured across calls. */
    private ClusterStatus clusterStatus() {
        MetaState state = node.meta().read();
        node.mapView().install(state.map());
        MapView.Current current = node.mapView().current();
        // The placement of the map just read (the view may hold an even newer one).
        var table = current.epoch() == state.map().epoch() ? current.placement()
                : io.cairn.core.placement.PlacementTable.compute(state.map(), MapView.PLACEMENT);
        return ClusterStatus.of(state.map(), table, state.stats()).withRepairProgress(repairProgress, System.nanoTime())
                .withCuts(state.cutLog()).withBackupSite(backupProgress == null ? null
                        : backupProgress.status(state, System.currentTimeMillis()));
    }

    /**
     * An object as this node sees it: its own copy of the index record (if it holds one) and
     * the current entry (its own copy, else read through the cluster) that names the chunks.
     */
    private record Located(BucketInfo bucket, PoolInfo pool, PartitionId indexPartition, Optional<StoredRecord> index,
                           Optional<ObjectEntry> entry, PoolInfo dataPool) {}

    private Located locate(String bucket, String key) {
        var map = node.mapView().refresh().map();
        BucketInfo b = map.bucket(bucket).orElseThrow(() -> new IllegalArgumentException("no bucket " + bucket));
        PoolInfo pool = map.pool(b.pool()).orElseThrow();
        PoolInfo dataPool = map.pool(b.dataPoolName()).orElseThrow();
        PartitionId ip = ObjectKeys.indexPartition(b, pool, key);
        Optional<StoredRecord> local = node.store().get(ip, ObjectKeys.indexKey(b, key)).filter(r -> !r.tombstone());
        Optional<ObjectEntry> entry = local.isPresent() ? local.map(r -> parse(r.meta()))
                : node.partitionClient().get(ip, ObjectKeys.indexKey(b, key), false)
                        .filter(r -> !r.getTombstone()).map(r -> parse(r.getMeta().toByteArray()));
        return new Located(b, pool, ip, local, entry, dataPool);
    }

    private AdminResponse debugObject(String bucket, String key) throws IllegalArgumentException {
        Located l = locate(bucket, key);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", node.config().nodeId());
        out.put("index_partition", l.indexPartition().toString());
        out.put("index_holders", node.mapView().current().placement().of(l.indexPartition()).holders());
        if (l.entry().isEmpty()) {
            return error(404, "no object " + bucket + "/" + key);
        }
        ObjectEntry entry = l.entry().get();
        if (l.index().isEmpty()) {
            out.put("index", null);
        } else {
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("version", l.index().get().version().toString());
            index.put("size", entry.size());
            index.put("etag", entry.etag());
            index.put("inline", entry.chunks().isEmpty() && entry.size() > 0);
            index.put("location", blobLocation(l.indexPartition(), ObjectKeys.indexKey(l.bucket(), key), l.index().get()));
            out.put("index", index);
        }
        List<Map<String, Object>> chunks = new ArrayList<>();
        long offset = 0;
        for (int i = 0; i < entry.chunks().size(); i++) {
            ObjectEntry.ChunkRef c = entry.chunks().get(i);
            PartitionId cp = ObjectKeys.chunkPartition(l.dataPool(), c.id());
            Map<String, Object> ch = new LinkedHashMap<>();
            ch.put("index", i);
            ch.put("offset", offset);
            ch.put("size", c.size());
            ch.put("partition", cp.toString());
            ch.put("holders", node.mapView().current().placement().of(cp).holders());
            Optional<StoredRecord> copy = node.store().get(cp, ObjectKeys.chunkKey(c.id())).filter(r -> !r.tombstone());
            ch.put("local", copy.isPresent());
            ch.put("location", copy.map(r -> blobLocation(cp, ObjectKeys.chunkKey(c.id()), r)).orElse(null));
            // In an erasure-coded pool a holder's copy is one block of the stripe.
            copy.filter(r -> BlockStamp.isStamped(r.meta())).map(r -> BlockStamp.parse(r.meta()))
                    .ifPresent(stamp -> ch.put("block_index", stamp.index()));
            chunks.add(ch);
            offset += c.size();
        }
        out.put("chunks", chunks);
        return json(200, out);
    }

    /**
     * Where this node's copy of a blob lies on disk: the segment file, the offset and length of
     * its whole record, and the offset and length of the blob data inside the file. Null when the
     * record has no blob or the store does not keep segments.
     */
    private Map<String, Object> blobLocation(PartitionId p, String storeKey, StoredRecord r) {
        if (!(node.store() instanceof RocksPartitionStore segments) || r.blobLength() == 0) {
            return null;
        }
        try {
            long recordOffset = segments.blobOffset(p, storeKey);
            int recordBytes = segments.blobRecordBytes(p, storeKey);
            Map<String, Object> at = new LinkedHashMap<>();
            at.put("segment_file", segments.blobPath(p, storeKey).toAbsolutePath().toString());
            at.put("record_offset", recordOffset);
            at.put("record_bytes", recordBytes);
            at.put("data_offset", recordOffset + recordBytes - r.blobLength());
            at.put("data_bytes", r.blobLength());
            return at;
        } catch (NoSuchElementException e) {
            // rewritten or deleted since the record was read
            return null;
        }
    }

    private AdminResponse debugInline(String bucket, String key) {
        Located l = locate(bucket, key);
        if (l.index().isEmpty()) {
            return error(404, "this node holds no index entry of " + bucket + "/" + key);
        }
        return switch (node.store().readBlob(l.indexPartition(), ObjectKeys.indexKey(l.bucket(), key))) {
            case BlobRead.Found f -> new AdminResponse(200, "application/octet-stream", bytes(f.data()));
            case BlobRead.Missing m -> error(404, "the object's data is not inline");
            case BlobRead.Corrupt k -> error(500, "this node's copy of the inline data is corrupt: " + k.reason());
        };
    }

    private AdminResponse debugChunk(String bucket, String key, int index) {
        Located l = locate(bucket, key);
        if (l.entry().isEmpty()) {
            return error(404, "no object " + bucket + "/" + key);
        }
        ObjectEntry entry = l.entry().get();
        if (index < 0 || index >= entry.chunks().size()) {
            return error(400, "chunk index out of range 0.." + (entry.chunks().size() - 1));
        }
        ObjectEntry.ChunkRef c = entry.chunks().get(index);
        PartitionId cp = ObjectKeys.chunkPartition(l.dataPool(), c.id());
        return switch (node.store().readBlob(cp, ObjectKeys.chunkKey(c.id()))) {
            case BlobRead.Found f -> new AdminResponse(200, "application/octet-stream", bytes(f.data()));
            case BlobRead.Missing m -> error(404, "this node holds no copy of chunk " + index);
            case BlobRead.Corrupt k -> error(500, "this node's copy of chunk " + index + " is corrupt: " + k.reason());
        };
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static ObjectEntry parse(byte[] meta) {
        try {
            return COMPACT.readValue(meta, ObjectEntry.class);
        } catch (Exception e) {
            throw new IllegalStateException("unreadable index entry", e);
        }
    }
}
