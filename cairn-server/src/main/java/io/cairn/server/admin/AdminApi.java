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
 * {@code /_cairn/health} needs {@code Authorization: Bearer ACCESS_KEY:SECRET_KEY} of an admin user.
 *
 * <ul>
 *   <li>{@code GET /_cairn/health}: 200 once the node serves.</li>
 *   <li>{@code GET /_cairn/status}: the {@link ClusterStatus} JSON.</li>
 *   <li>{@code GET /_cairn/metrics}: the node's metrics in the Prometheus text format.</li>
 *   <li>{@code POST /_cairn/buckets?name=B[&policy=P][&owner=ACCESS_KEY]}: creates a bucket with a
 *       storage policy (default: the calling admin owns it, the default pool holds it).</li>
 *   <li>{@code GET /_cairn/buckets}: every bucket with its owner, policy and pools.</li>
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

    private final StorageNode node;
    private final NodeMetrics metrics;
    private final BucketCreator buckets;
    private final Clock clock;

    public AdminApi(StorageNode node) {
        this(node, Clock.systemUTC());
    }

    /** @param clock stamps the creation time of buckets created through the API */
    public AdminApi(StorageNode node, Clock clock) {
        this.node = node;
        this.metrics = new NodeMetrics(node, this::clusterStatus);
        this.buckets = new BucketCreator(node);
        this.clock = clock;
    }

    @Override
    public AdminResponse handle(String method, String path, Map<String, String> query, Map<String, String> headers, InputStream body) {
        Optional<String> authorization = Optional.ofNullable(headers.get("authorization"));
        if (path.equals("/_cairn/health")) {
            return json(200, Map.of("status", "ok", "node", node.config().nodeId(), "epoch", node.mapView().epoch()));
        }
        Optional<String> admin = authorizedAdmin(authorization);
        if (admin.isEmpty()) {
            return error(403, "admin API: send 'Authorization: Bearer ACCESS_KEY:SECRET_KEY' of an admin user");
        }
        try {
            return switch (path) {
                case "/_cairn/status" -> method.equals("GET") ? status() : error(405, "use GET");
                case "/_cairn/buckets" -> switch (method) {
                    case "GET" -> listBuckets();
                    case "POST" -> createBucket(required(query, "name"), query.get("policy"), query.getOrDefault("owner", admin.get()));
                    default -> error(405, "use GET to list buckets or POST to create one");
                };
                case "/_cairn/nodes/drain" -> method.equals("POST") ? markNode(required(query, "id"), false) : error(405, "use POST");
                case "/_cairn/nodes/in" -> method.equals("POST") ? markNode(required(query, "id"), true) : error(405, "use POST");
                case "/_cairn/metrics" -> new AdminResponse(200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                case "/_cairn/debug/object" -> debugObject(required(query, "bucket"), required(query, "key"));
                case "/_cairn/debug/inline" -> debugInline(required(query, "bucket"), required(query, "key"));
                case "/_cairn/debug/chunk" -> debugChunk(required(query, "bucket"), required(query, "key"),
                        Integer.parseInt(required(query, "index")));
                default -> error(404, "no admin resource " + path);
            };
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        }
    }

    private static String required(Map<String, String> query, String name) {
        String v = query.get(name);
        if (v == null) {
            throw new IllegalArgumentException("query parameter '" + name + "' is required");
        }
        return v;
    }

    /** The access key of the admin user whose credentials {@code header} carries, if they are right. */
    private Optional<String> authorizedAdmin(Optional<String> header) {
        if (header.isEmpty() || !header.get().startsWith("Bearer ")) {
            return Optional.empty();
        }
        String token = header.get().substring("Bearer ".length()).trim();
        int colon = token.indexOf(':');
        if (colon <= 0) {
            return Optional.empty();
        }
        String access = token.substring(0, colon);
        byte[] secret = token.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        Optional<UserInfo> user = node.mapView().current().map().user(access);
        if (user.isEmpty()) {
            user = node.mapView().refresh().map().user(access);
        }
        return user.filter(UserInfo::admin)
                .filter(u -> MessageDigest.isEqual(u.secretKey().getBytes(StandardCharsets.UTF_8), secret))
                .map(UserInfo::accessKey);
    }

    private AdminResponse createBucket(String name, String policy, String owner) {
        try {
            if (!userExists(owner)) {
                return json(400, Map.of("error", "no user with access key '" + owner + "' to own bucket " + name, "code", "InvalidArgument"));
            }
            BucketInfo created = buckets.create(name, owner, policy, clock.millis());
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

    private boolean userExists(String accessKey) throws S3Exception {
        if (node.mapView().current().map().user(accessKey).isPresent()) {
            return true;
        }
        try {
            return node.mapView().refresh().map().user(accessKey).isPresent();
        } catch (RuntimeException e) {
            throw new S3Exception(S3Error.ServiceUnavailable, "the cluster map service is unavailable: " + e.getMessage());
        }
    }

    private AdminResponse listBuckets() {
        ClusterMap map = node.mapView().refresh().map();
        return json(200, Map.of("buckets", map.buckets().stream().map(b -> BucketView.of(b, map)).toList()));
    }

    private final RepairProgress repairProgress = new RepairProgress();

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
        return ClusterStatus.of(state.map(), table, state.stats()).withRepairProgress(repairProgress, System.nanoTime());
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
