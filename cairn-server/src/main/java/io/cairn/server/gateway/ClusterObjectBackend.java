package io.cairn.server.gateway;

import static io.cairn.server.gateway.ObjectKeys.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.core.access.BucketAccess;
import io.cairn.core.access.BucketLifecycle;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.access.BucketPolicy;
import io.cairn.core.access.RequestContext;
import io.cairn.core.map.BucketPermission;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.map.UserInfo;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.core.partition.PartitionId;
import io.cairn.node.ClusterException;
import io.cairn.node.MapView;
import io.cairn.node.StorageNode;
import io.cairn.node.rpc.Record;
import io.cairn.s3.BodyChecksum;
import io.cairn.s3.BucketAcl;
import io.cairn.s3.BucketSummary;
import io.cairn.s3.S3Permission;
import io.cairn.s3.CompletedPart;
import io.cairn.s3.KeyListing;
import io.cairn.s3.ObjectBackend;
import io.cairn.s3.ObjectChecksum;
import io.cairn.s3.ObjectHandle;
import io.cairn.s3.ObjectHeaders;
import io.cairn.s3.ObjectInfo;
import io.cairn.s3.ObjectParts;
import io.cairn.s3.ObjectTagging;
import io.cairn.s3.PartInfo;
import io.cairn.s3.PutRequest;
import io.cairn.s3.S3Error;
import io.cairn.s3.S3Exception;
import io.cairn.s3.UploadInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The S3 gateway's view of the cluster: buckets in the cluster map, objects as an index entry
 * in one of the bucket's index partitions plus data chunks spread over the pool's partitions.
 * Bodies are streamed chunk by chunk; no object is ever held whole in memory.
 */
public final class ClusterObjectBackend implements ObjectBackend {

    private static final Logger log = LoggerFactory.getLogger(ClusterObjectBackend.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Chunk writes of one PUT that may be in flight at once. */
    public static final int CHUNK_WRITES_IN_FLIGHT_MAX = 3;
    /** Chunks of a GET fetched ahead of the one being written to the client. */
    public static final int CHUNK_READS_AHEAD = 2;
    /** S3's lower bound on every part but the last. */
    public static final long PART_SIZE_MIN_BYTES = 5L << 20;
    public static final int PARTS_MAX = 10_000;
    /** Objects up to this size are stored inside their index record. */
    public static final int INLINE_BYTES_MAX = 128 << 10;

    private final StorageNode node;
    private final BucketCreator buckets;
    private final MapView mapView;
    private final CoalescedRefresh unknownKeyReads;
    /** Map reads for bucket names this node does not know: any caller, anonymous ones too, can name one. */
    private final CoalescedRefresh unknownBucketReads;
    private final io.cairn.node.Records client;
    private final java.util.function.Supplier<io.cairn.meta.BackupMark> backup;

    /** A sweep of the chunks no object names, over this gateway's records, with {@code graceMillis} for its periodic runs (0: none). */
    public ChunkSweep chunkSweep(String nodeId, long graceMillis) {
        return new ChunkSweep(client, mapView, nodeId, graceMillis, clock, this::readOnlyReason);
    }

    @Override
    public String readOnlyReason() {
        if (backup == null || backup.get().promoted()) {
            return null;
        }
        return "this cluster is a backup site: it shows its primary site as of a consistent cut (round " + backup.get().shownRound()
                + "), and takes writes only once promoted (cairn admin replicate promote)";
    }
    private final int chunkSizeBytes;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final ExecutorService io = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("gateway-io").factory());

    /** The cluster's SSE-S3 master key, or null when this node has none (SSE-S3 is then refused). */
    private final SseS3 sse;

    public ClusterObjectBackend(StorageNode node, int chunkSizeBytes, Clock clock) {
        this(node, chunkSizeBytes, clock, null);
    }

    public ClusterObjectBackend(StorageNode node, int chunkSizeBytes, Clock clock, SseS3 sseOrNull) {
        this(node, chunkSizeBytes, clock, sseOrNull, BucketCreator.BUCKETS_PER_USER_MAX_DEFAULT);
    }

    /** @param bucketsPerUserMax buckets one user may own (0: no limit) */
    public ClusterObjectBackend(StorageNode node, int chunkSizeBytes, Clock clock, SseS3 sseOrNull, int bucketsPerUserMax) {
        this(node, chunkSizeBytes, clock, sseOrNull, bucketsPerUserMax, node.partitionClient(), null);
    }

    /**
     * @param records      the records the gateway reads and writes: the partitions' own, or a backup site's view of them
     * @param backupOrNull this cluster's mark as a backup site (writes refused until it is promoted); null on a cluster that is none
     */
    public ClusterObjectBackend(StorageNode node, int chunkSizeBytes, Clock clock, SseS3 sseOrNull, int bucketsPerUserMax,
                                io.cairn.node.Records records, java.util.function.Supplier<io.cairn.meta.BackupMark> backupOrNull) {
        this.backup = backupOrNull;
        this.sse = sseOrNull;
        this.node = node;
        this.buckets = new BucketCreator(node, bucketsPerUserMax);
        this.mapView = node.mapView();
        this.unknownKeyReads = new CoalescedRefresh(mapView::refresh, 1, java.util.concurrent.TimeUnit.SECONDS, System::nanoTime);
        this.unknownBucketReads = new CoalescedRefresh(mapView::refresh, 1, java.util.concurrent.TimeUnit.SECONDS, System::nanoTime);
        this.client = records;
        this.chunkSizeBytes = chunkSizeBytes;
        this.clock = clock;
    }

    // ---- users and buckets ----

    @Override
    public Optional<String> secretKey(String accessKey) {
        Optional<UserInfo> u = mapView.current().map().user(accessKey);
        if (u.isEmpty()) {
            awaitRead(unknownKeyReads); // a key created a moment ago is found; made-up keys share one read a second
            u = mapView.current().map().user(accessKey);
        }
        return u.map(this::secretOf);
    }

    @Override
    public Optional<String> knownSecretKey(String accessKey) {
        return mapView.current().map().user(accessKey).map(this::secretOf);
    }

    /** A user's secret key in clear: the map keeps it sealed under the master key when there is one. */
    private String secretOf(UserInfo u) {
        if (u.secretKey().startsWith(SseS3.SEALED_SECRET_PREFIX) && sse == null) {
            throw new IllegalStateException("the secret of access key " + u.accessKey()
                    + " is sealed under the master key, and this node has none (sse_master_key_file)");
        }
        return sse == null ? u.secretKey() : sse.openSecret(u.accessKey(), u.secretKey());
    }

    @Override
    public List<BucketSummary> listBuckets(String accessKey) {
        ClusterMap map = mapView.refresh().map();
        String owner = map.user(accessKey).map(UserInfo::name).orElse(accessKey);
        return map.buckets().stream()
                .filter(b -> BucketAccess.ownerName(map, b).equals(owner))
                .map(b -> new BucketSummary(b.name(), b.createdMillis()))
                .toList();
    }

    @Override
    public void createBucket(String bucket, String accessKey, String policy) throws S3Exception {
        buckets.create(bucket, ownerName(accessKey), policy, clock.millis());
    }

    @Override
    public String ownerName(String accessKey) {
        return mapView.current().map().user(accessKey).map(UserInfo::name).orElse(accessKey);
    }

    @Override
    public void authorize(String accessKeyOrNull, String bucket, String keyOrNull, S3Permission needed, String action,
                          io.cairn.core.access.RequestContext ctx) throws S3Exception {
        BucketInfo b = bucket(bucket);
        ClusterMap map = mapView.current().map();
        Optional<UserInfo> caller = accessKeyOrNull == null ? Optional.empty() : map.user(accessKeyOrNull);
        if (accessKeyOrNull != null && caller.isEmpty()) {
            throw new S3Exception(S3Error.AccessDenied, "the access key " + accessKeyOrNull + " was deleted");
        }
        if (!BucketAccess.allows(map, b, caller, BucketPermission.valueOf(needed.name()), action, keyOrNull, ctx, policyOf(b))) {
            throw new S3Exception(S3Error.AccessDenied, accessKeyOrNull == null
                    ? "anonymous requests may only do what the bucket's ACL (public-read) or policy allows everyone"
                    : caller.get().readOnly() && needed != S3Permission.READ
                            ? "the access key " + accessKeyOrNull + " may only read"
                            : "access denied: bucket " + bucket + " is not yours and grants you no " + needed.name().toLowerCase(java.util.Locale.ROOT)
                                    + " access");
        }
    }

    @Override
    public void authorizeAccount(String accessKeyOrNull, boolean write) throws S3Exception {
        if (accessKeyOrNull == null) {
            throw new S3Exception(S3Error.AccessDenied, "anonymous requests may only read buckets their owner made public-read");
        }
        Optional<UserInfo> caller = mapView.current().map().user(accessKeyOrNull);
        if (caller.isEmpty()) {
            throw new S3Exception(S3Error.AccessDenied, "the access key " + accessKeyOrNull + " was deleted");
        }
        if (write && caller.get().readOnly()) {
            throw new S3Exception(S3Error.AccessDenied, "the access key " + accessKeyOrNull + " may only read");
        }
    }

    @Override
    public BucketAcl bucketAcl(String bucket) throws S3Exception {
        BucketInfo b = bucket(bucket);
        return new BucketAcl(BucketAccess.ownerName(mapView.current().map(), b), b.publicRead());
    }

    @Override
    public void setPublicRead(String bucket, boolean publicRead) throws S3Exception {
        BucketInfo b = bucket(bucket);
        changeBucket(bucket, new MetaCommand.SetBucketAccess(bucket, b.grants(), publicRead), "ACL");
    }

    @Override
    public boolean sseS3Available() {
        return sse != null;
    }

    @Override
    public Optional<String> bucketEncryption(String bucket) throws S3Exception {
        return Optional.ofNullable(bucket(bucket).defaultEncryption());
    }

    @Override
    public void setBucketEncryption(String bucket, String algorithmOrNull) throws S3Exception {
        bucket(bucket);
        changeBucket(bucket, new MetaCommand.SetBucketEncryption(bucket, algorithmOrNull), "default encryption");
    }

    /** Bucket policies read already, by bucket and text: a policy is judged on every request to its bucket. */
    private final java.util.Map<String, BucketPolicy> policies = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int POLICIES_CACHED_MAX = 1024;

    private BucketPolicy policyOf(BucketInfo b) {
        if (b.policy() == null) {
            return null;
        }
        String key = b.name() + "\n" + b.policy();
        BucketPolicy p = policies.get(key);
        if (p == null) {
            p = BucketPolicy.parse(b.policy(), b.name()); // the map holds only policies that parse
            if (policies.size() >= POLICIES_CACHED_MAX) {
                policies.clear();
            }
            policies.put(key, p);
        }
        return p;
    }

    @Override
    public Optional<String> bucketPolicy(String bucket) throws S3Exception {
        return Optional.ofNullable(bucket(bucket).policy());
    }

    @Override
    public void setBucketPolicy(String bucket, String policyOrNull) throws S3Exception {
        BucketInfo b = bucket(bucket);
        if (policyOrNull != null) {
            BucketPolicy parsed;
            try {
                parsed = BucketPolicy.parse(policyOrNull, bucket);
            } catch (BucketPolicy.Invalid e) {
                throw new S3Exception(e.notImplemented() ? S3Error.NotImplemented : S3Error.MalformedPolicy, e.getMessage());
            }
            if (parsed.isPublic() && b.publicAccessBlockOrNone().blockPublicPolicy()) {
                throw new S3Exception(S3Error.AccessDenied, "the bucket's public access block (BlockPublicPolicy) refuses a public policy:"
                        + " a statement allows everyone (\"Principal\": \"*\") without limiting aws:SourceIp");
            }
        }
        changeBucket(bucket, new MetaCommand.SetBucketPolicy(bucket, policyOrNull), "policy");
    }

    @Override
    public Optional<io.cairn.core.access.PublicAccessBlock> publicAccessBlock(String bucket) throws S3Exception {
        return Optional.ofNullable(bucket(bucket).publicAccessBlock());
    }

    @Override
    public void setPublicAccessBlock(String bucket, io.cairn.core.access.PublicAccessBlock blockOrNull) throws S3Exception {
        bucket(bucket);
        changeBucket(bucket, new MetaCommand.SetBucketPublicAccessBlock(bucket, blockOrNull), "public access block");
    }

    @Override
    public Optional<String> objectOwnership(String bucket) throws S3Exception {
        return Optional.ofNullable(bucket(bucket).objectOwnership());
    }

    @Override
    public void setObjectOwnership(String bucket, String ownershipOrNull) throws S3Exception {
        BucketInfo b = bucket(bucket);
        if (BucketInfo.OWNERSHIP_ENFORCED.equals(ownershipOrNull) && b.publicRead()) {
            throw new S3Exception(S3Error.InvalidBucketAclWithObjectOwnership, "the bucket's ACL is public-read: set it private before"
                    + " disabling ACLs with BucketOwnerEnforced");
        }
        changeBucket(bucket, new MetaCommand.SetBucketOwnership(bucket, ownershipOrNull), "object ownership");
    }

    @Override
    public boolean bucketIsPublic(String bucket) throws S3Exception {
        BucketInfo b = bucket(bucket);
        BucketPolicy policy = policyOf(b);
        return b.publicRead() || (policy != null && policy.isPublic());
    }

    @Override
    public Optional<String> bucketCors(String bucket) throws S3Exception {
        return Optional.ofNullable(bucket(bucket).cors());
    }

    @Override
    public void setBucketCors(String bucket, String corsJsonOrNull) throws S3Exception {
        bucket(bucket);
        changeBucket(bucket, new MetaCommand.SetBucketCors(bucket, corsJsonOrNull), "CORS configuration");
    }

    /** How long a day of the lifecycle rules lasts here: as long as the lifecycle pass's day ({@code lifecycle_day_seconds}). */
    private volatile long lifecycleDayMillis = BucketLifecycle.DAY_MILLIS;

    /** Sets the day by which this gateway says when a rule expires an object ({@code x-amz-expiration}): the lifecycle pass's. */
    public ClusterObjectBackend withLifecycleDay(long dayMillis) {
        if (dayMillis <= 0) {
            throw new IllegalArgumentException("a lifecycle day lasts more than nothing: " + dayMillis + " ms");
        }
        this.lifecycleDayMillis = dayMillis;
        return this;
    }

    @Override
    public long lifecycleDayMillis() {
        return lifecycleDayMillis;
    }

    @Override
    public Optional<String> bucketLifecycle(String bucket) throws S3Exception {
        return Optional.ofNullable(bucket(bucket).lifecycle());
    }

    @Override
    public void setBucketLifecycle(String bucket, String lifecycleJsonOrNull) throws S3Exception {
        bucket(bucket);
        changeBucket(bucket, new MetaCommand.SetBucketLifecycle(bucket, lifecycleJsonOrNull), "lifecycle configuration");
    }

    /**
     * Deletes an object that a lifecycle rule expired, only if it is still the object that was
     * judged ({@code etag} and {@code lastModifiedMillis} as listed): an object written again since
     * is a new object, which the rule judges on its own. True if it was deleted.
     */
    public boolean expireIfUnchanged(String bucket, String key, String etag, long lastModifiedMillis) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PartitionId ip = indexPartition(b, pool(b), key);
        Optional<Record> r = cluster(() -> client.get(ip, indexKey(b, key), false)).filter(x -> !x.getTombstone());
        if (r.isEmpty()) {
            return false;
        }
        ObjectEntry e = parse(r.get().getMeta().toByteArray(), ObjectEntry.class);
        if (!e.etag().equals(etag) || e.lastModifiedMillis() != lastModifiedMillis) {
            return false;
        }
        if (!cluster(() -> client.deleteIfStill(ip, indexKey(b, key), r.get().getVersion()))) {
            return false;
        }
        deleteChunksLater(b, e.chunks());
        return true;
    }

    @Override
    public Optional<String> bucketTags(String bucket) throws S3Exception {
        return Optional.ofNullable(bucket(bucket).tags());
    }

    @Override
    public void setBucketTags(String bucket, String encodedTagsOrNull) throws S3Exception {
        bucket(bucket);
        changeBucket(bucket, new MetaCommand.SetBucketTags(bucket, encodedTagsOrNull), "tags");
    }

    @Override
    public BucketSummary headBucket(String bucket) throws S3Exception {
        BucketInfo b = bucket(bucket);
        return new BucketSummary(b.name(), b.createdMillis());
    }

    @Override
    public void deleteBucket(String bucket) throws S3Exception {
        bucket(bucket);
        if (!listObjects(bucket, "", "", 1).isEmpty()) {
            throw new S3Exception(S3Error.BucketNotEmpty, "bucket " + bucket + " is not empty");
        }
        MetaResult r = submit(new MetaCommand.DeleteBucket(bucket));
        if (!r.ok()) {
            throw new S3Exception(S3Error.NoSuchBucket, "no bucket " + bucket);
        }
        mapView.ensureEpoch(r.epoch());
    }

    /** Submits a change of one bucket's settings ({@code what} names them in errors) and waits until this node's map has it. */
    private void changeBucket(String bucket, MetaCommand cmd, String what) throws S3Exception {
        MetaResult r = submit(cmd);
        if (!r.ok()) {
            throw new S3Exception(r.error().equals(MetaResult.NO_SUCH_BUCKET) ? S3Error.NoSuchBucket : S3Error.InternalError,
                    "cannot set the " + what + " of bucket " + bucket + ": " + r.error());
        }
        mapView.ensureEpoch(r.epoch());
    }

    /** Submits a map change; no leader answering is a 503, and a refusal (IllegalArgumentException) a bug, so a 500. */
    private MetaResult submit(MetaCommand cmd) throws S3Exception {
        try {
            return node.meta().submit(cmd);
        } catch (io.cairn.meta.MetaUnavailableException e) {
            throw new S3Exception(S3Error.ServiceUnavailable, "the cluster map service is unavailable: " + e.getMessage());
        }
    }

    private BucketInfo bucket(String name) throws S3Exception {
        Optional<BucketInfo> b = mapView.current().map().bucket(name);
        if (b.isEmpty()) {
            // Created through another node a moment ago? Made-up names share one map read a second.
            awaitRead(unknownBucketReads);
            b = mapView.current().map().bucket(name);
        }
        return b.orElseThrow(() -> new S3Exception(S3Error.NoSuchBucket, "no bucket " + name));
    }

    /** Waits for a map read that began after this call (see {@link CoalescedRefresh}). */
    private static void awaitRead(CoalescedRefresh reads) {
        try {
            reads.awaitRead();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the cluster map", e);
        }
    }

    /** The pool of the bucket's index: always replicated. */
    private PoolInfo pool(BucketInfo b) throws S3Exception {
        return mapView.current().map().pool(b.pool())
                .orElseThrow(() -> new S3Exception(S3Error.InternalError, "bucket " + b.name() + " names a missing pool " + b.pool()));
    }

    /** The pool of the bucket's data chunks: its storage policy decides their redundancy. */
    private PoolInfo dataPool(BucketInfo b) throws S3Exception {
        String name = b.dataPoolName();
        Optional<PoolInfo> pool = mapView.current().map().pool(name);
        if (pool.isEmpty()) {
            pool = mapView.refresh().map().pool(name);
        }
        return pool.orElseThrow(() -> new S3Exception(S3Error.InternalError, "bucket " + b.name() + " names a missing pool " + name));
    }

    private String newId() {
        byte[] b = new byte[12];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    // ---- objects ----

    @Override
    public ObjectInfo putObject(String bucket, String key, PutRequest req, InputStream body) throws S3Exception, IOException {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        MessageDigest md5 = md5();
        String versionId = newId();
        Map<String, String> headers = new java.util.LinkedHashMap<>(req.otherHeaders());
        byte[] dataKey = encryption(b, headers);
        ObjectChecksum.Computing checksum = ObjectChecksum.computing(headers, body);
        if (checksum != null) {
            body = checksum;
        }
        // Small objects live inside their index record: one replicated write instead of two.
        byte[] head = body.readNBytes(INLINE_BYTES_MAX + 1);
        if (head.length <= INLINE_BYTES_MAX) {
            if (req.contentLength() >= 0 && head.length != req.contentLength()) {
                throw new S3Exception(S3Error.IncompleteBody, "the body had " + head.length + " bytes, Content-Length said " + req.contentLength());
            }
            if (checksum != null) {
                checksum.finish(headers);
            }
            md5.update(head);
            ObjectEntry entry = new ObjectEntry(head.length, HexFormat.of().formatHex(md5.digest()), clock.millis(), req.contentType(),
                    req.userMetadata(), headers, versionId, List.of());
            byte[] stored = dataKey == null || head.length == 0 ? head : SseS3.seal(dataKey, inlineAad(versionId), head, 0, head.length);
            commit(b, pool, key, entry, head.length == 0 ? null : ByteBuffer.wrap(stored));
            return info(key, entry);
        }
        InputStream whole = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(head), body);
        List<ObjectEntry.ChunkRef> chunks = writeChunks(b, versionId, whole, md5, req.contentLength(), dataKey);
        if (checksum != null) {
            checksum.finish(headers);
        }
        long size = chunks.stream().mapToLong(ObjectEntry.ChunkRef::size).sum();
        ObjectEntry entry = new ObjectEntry(size, HexFormat.of().formatHex(md5.digest()), clock.millis(), req.contentType(),
                req.userMetadata(), headers, versionId, chunks);
        try {
            commit(b, pool, key, entry, null);
        } catch (RuntimeException | S3Exception e) {
            deleteChunksLater(b, chunks);
            throw e;
        }
        return info(key, entry);
    }

    /**
     * Whether what is written with {@code headers} into {@code b} is encrypted (SSE-S3: asked for
     * in the request's {@link SseS3#HEADER}, or the bucket's default) and, if so, its fresh data
     * key, with the answer header and the wrapped key put into {@code headers}. A wrapped key that
     * came in with the request (a copy of another object's headers) is dropped first: only this
     * gateway writes one. An object the client encrypted with its own key (SSE-C) is not
     * encrypted again by the bucket's default, as in S3.
     */
    private byte[] encryption(BucketInfo b, Map<String, String> headers) throws S3Exception {
        headers.remove(SseS3.MARKER);
        String asked = headers.remove(SseS3.HEADER);
        if (asked != null && !asked.equals(SseS3.AES256)) {
            throw new S3Exception(S3Error.InvalidArgument, "the server-side encryption " + asked + " is not AES256");
        }
        boolean customerKey = headers.containsKey("X-Cairn-Sse-C");
        if (asked == null && (b.defaultEncryption() == null || customerKey)) {
            return null;
        }
        if (sse == null) {
            throw new S3Exception(S3Error.NotImplemented, "SSE-S3 needs a master key, and this node has none (sse_master_key_file)");
        }
        SseS3.DataKey k = sse.newDataKey();
        headers.put(SseS3.HEADER, SseS3.AES256);
        headers.put(SseS3.MARKER, k.marker());
        return k.key();
    }

    /** The data key of an object (or upload) with these stored headers, or null when it is not encrypted. */
    private byte[] dataKeyOf(Map<String, String> headers) throws IOException {
        String marker = SseS3.markerOf(headers);
        if (marker == null) {
            return null;
        }
        if (sse == null) {
            throw new IOException("the object is encrypted with SSE-S3 and this node has no master key (sse_master_key_file)");
        }
        return sse.unwrap(marker);
    }

    private static String inlineAad(String versionId) {
        return "inline/" + versionId;
    }

    /**
     * Makes {@code entry} (with its data inline, for small objects) the current version of
     * {@code key}, then frees the chunks of the version it replaced.
     */
    private void commit(BucketInfo b, PoolInfo pool, String key, ObjectEntry entry, ByteBuffer inline) throws S3Exception {
        PartitionId ip = indexPartition(b, pool, key);
        Optional<Record> previous = cluster(() -> client.apply(ip, indexKey(b, key), false, json(entry), inline));
        previous.map(r -> parse(r.getMeta().toByteArray(), ObjectEntry.class))
                // a retried write may report its own first attempt as the previous version
                .filter(old -> !old.versionId().equals(entry.versionId()))
                .ifPresent(old -> deleteChunksLater(b, old.chunks()));
    }

    /** Writes the body as chunks, each sealed under {@code dataKeyOrNull} when it is given. */
    private List<ObjectEntry.ChunkRef> writeChunks(BucketInfo b, String versionId, InputStream body, MessageDigest md5,
                                                   long expectedLength, byte[] dataKeyOrNull) throws S3Exception, IOException {
        PoolInfo pool = dataPool(b);
        List<ObjectEntry.ChunkRef> chunks = new ArrayList<>();
        List<Future<?>> writes = new ArrayList<>();
        byte[] written = ChunkSweep.chunkMeta(clock.millis()); // the chunk sweep's grace period counts from it
        Semaphore inFlight = new Semaphore(CHUNK_WRITES_IN_FLIGHT_MAX);
        long total = 0;
        boolean ok = false;
        try {
            while (true) {
                byte[] buf = new byte[chunkSizeBytes];
                int n = body.readNBytes(buf, 0, buf.length);
                if (n == 0) {
                    break;
                }
                md5.update(buf, 0, n);
                total += n;
                String chunkId = ObjectKeys.chunkId(b, versionId, chunks.size());
                chunks.add(new ObjectEntry.ChunkRef(chunkId, n));
                ByteBuffer data = dataKeyOrNull == null ? ByteBuffer.wrap(buf, 0, n).slice()
                        : ByteBuffer.wrap(SseS3.seal(dataKeyOrNull, chunkKey(chunkId), buf, 0, n));
                inFlight.acquireUninterruptibly();
                writes.add(io.submit(() -> {
                    try {
                        client.apply(chunkPartition(pool, chunkId), chunkKey(chunkId), false, written, data);
                    } finally {
                        inFlight.release();
                    }
                    return null;
                }));
                failFast(writes);
                if (n < buf.length) {
                    break;
                }
            }
            for (Future<?> w : writes) {
                await(w);
            }
            if (expectedLength >= 0 && total != expectedLength) {
                throw new S3Exception(S3Error.IncompleteBody, "the body had " + total + " bytes, Content-Length said " + expectedLength);
            }
            ok = true;
            return chunks;
        } finally {
            if (!ok) {
                for (Future<?> w : writes) {
                    w.cancel(false);
                }
                deleteChunksLater(b, chunks);
            }
        }
    }

    private static void failFast(List<Future<?>> writes) throws S3Exception {
        for (Future<?> w : writes) {
            if (w.isDone()) {
                await(w);
            }
        }
    }

    private static void await(Future<?> f) throws S3Exception {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new S3Exception(S3Error.InternalError, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ClusterException ce) {
                throw translate(ce);
            }
            throw new S3Exception(S3Error.InternalError, "chunk write failed: " + e.getCause());
        }
    }

    private void deleteChunksLater(BucketInfo b, List<ObjectEntry.ChunkRef> chunks) {
        if (chunks.isEmpty()) {
            return;
        }
        PoolInfo pool;
        try {
            pool = dataPool(b);
        } catch (S3Exception e) {
            log.warn("could not free {} chunks: {}", chunks.size(), e.getMessage());
            return;
        }
        io.submit(() -> {
            for (ObjectEntry.ChunkRef c : chunks) {
                try {
                    client.apply(chunkPartition(pool, c.id()), chunkKey(c.id()), true, new byte[0], null);
                } catch (RuntimeException e) {
                    log.warn("could not free chunk {}: {}", c.id(), e.toString());
                }
            }
        });
    }

    private Optional<ObjectEntry> readEntry(PartitionId p, String recordKey) {
        return client.get(p, recordKey, false)
                .filter(r -> !r.getTombstone())
                .map(r -> parse(r.getMeta().toByteArray(), ObjectEntry.class));
    }

    private ObjectEntry entry(String bucket, String key) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        return cluster(() -> readEntry(indexPartition(b, pool, key), indexKey(b, key)))
                .orElseThrow(() -> new S3Exception(S3Error.NoSuchKey, "no key " + key + " in bucket " + bucket));
    }

    @Override
    public ObjectInfo headObject(String bucket, String key) throws S3Exception {
        return info(key, entry(bucket, key));
    }

    /** Times a tag change is tried when the object changes under it before it gives up (SlowDown). */
    static final int TAG_ATTEMPTS_MAX = 5;

    @Override
    public void setObjectTags(String bucket, String key, String encodedTagsOrNull) throws S3Exception {
        setStoredHeader(bucket, key, ObjectTagging.STORED, encodedTagsOrNull, "tags");
    }

    @Override
    public void setObjectPublicRead(String bucket, String key, boolean publicRead) throws S3Exception {
        setStoredHeader(bucket, key, ObjectHeaders.ACL, publicRead ? ObjectHeaders.PUBLIC_READ : null, "ACL");
    }

    @Override
    public boolean objectReadableByAnyone(String accessKeyOrNull, String bucket, String key, String action, RequestContext ctx)
            throws S3Exception {
        BucketInfo b = bucket(bucket);
        if (b.publicAccessBlockOrNone().ignorePublicAcls() || b.aclsDisabled()) {
            return false; // Block Public Access, or ACLs disabled by Object Ownership: an object's public ACL grants nothing
        }
        Optional<UserInfo> caller = accessKeyOrNull == null ? Optional.empty() : mapView.current().map().user(accessKeyOrNull);
        if (accessKeyOrNull != null && caller.isEmpty()) {
            return false; // a deleted key reads nothing, public or not
        }
        BucketPolicy policy = policyOf(b);
        String user = caller.map(UserInfo::name).orElse(null);
        if (policy != null && policy.evaluate(user, action, b.name() + "/" + key, ctx) == BucketPolicy.Decision.DENY) {
            return false;
        }
        PoolInfo pool = pool(b);
        Optional<ObjectEntry> e = cluster(() -> readEntry(indexPartition(b, pool, key), indexKey(b, key)));
        return e.isPresent() && ObjectHeaders.PUBLIC_READ.equals(e.get().headers().get(ObjectHeaders.ACL));
    }

    /**
     * Sets (or, with null, removes) one stored header of object {@code key}, keeping its data and
     * everything else: a compare-and-set at its primary, tried again while the object changes under it.
     */
    private void setStoredHeader(String bucket, String key, String header, String valueOrNull, String what) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        PartitionId ip = indexPartition(b, pool, key);
        for (int attempt = 0; attempt < TAG_ATTEMPTS_MAX; attempt++) {
            Record r = cluster(() -> client.get(ip, indexKey(b, key), true))
                    .filter(x -> !x.getTombstone())
                    .orElseThrow(() -> new S3Exception(S3Error.NoSuchKey, "no key " + key + " in bucket " + bucket));
            ObjectEntry e = parse(r.getMeta().toByteArray(), ObjectEntry.class);
            Map<String, String> headers = new java.util.LinkedHashMap<>(e.headers());
            if (valueOrNull == null) {
                headers.remove(header);
            } else {
                headers.put(header, valueOrNull);
            }
            // The same version id and chunks: the entry keeps its chunks (a later overwrite frees them).
            byte[] meta = json(new ObjectEntry(e.size(), e.etag(), e.lastModifiedMillis(), e.contentType(), e.userMetadata(),
                    headers, e.versionId(), e.chunks()));
            java.nio.ByteBuffer blob = r.getHasBlob() ? r.getBlob().asReadOnlyByteBuffer() : null;
            if (cluster(() -> client.applyIfStill(ip, indexKey(b, key), r.getVersion(), meta, blob))) {
                return;
            }
        }
        throw new S3Exception(S3Error.SlowDown, "the object " + key + " kept changing while its " + what + " changed; please try again");
    }

    @Override
    public ObjectHandle openObject(String bucket, String key) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        // The record with its blob: small objects are inline, so one read serves them whole.
        Record record = cluster(() -> client.get(indexPartition(b, pool, key), indexKey(b, key), true))
                .filter(r -> !r.getTombstone())
                .orElseThrow(() -> new S3Exception(S3Error.NoSuchKey, "no key " + key + " in bucket " + bucket));
        ObjectEntry entry = parse(record.getMeta().toByteArray(), ObjectEntry.class);
        ObjectInfo info = info(key, entry);
        return new ObjectHandle() {
            @Override
            public ObjectInfo info() {
                return info;
            }

            @Override
            public void writeTo(OutputStream out, long offset, long length) throws IOException {
                if (offset < 0 || length < 0 || offset + length > entry.size()) {
                    throw new IllegalArgumentException("range " + offset + "+" + length + " outside object of " + entry.size() + " bytes");
                }
                byte[] dataKey = dataKeyOf(entry.headers());
                if (entry.chunks().isEmpty()) {
                    com.google.protobuf.ByteString blob = record.getBlob();
                    if (dataKey != null && entry.size() > 0) {
                        blob = com.google.protobuf.UnsafeByteOperations.unsafeWrap(
                                SseS3.open(dataKey, inlineAad(entry.versionId()), blob.toByteArray()));
                    }
                    if (blob.size() != entry.size()) {
                        throw new IOException("inline data of " + key + " has " + blob.size() + " bytes, expected " + entry.size());
                    }
                    ByteStringWriter.write(blob.substring((int) offset, (int) (offset + length)), out);
                    return;
                }
                streamChunks(b, entry, dataKey, out, offset, length);
            }
        };
    }

    private void streamChunks(BucketInfo b, ObjectEntry entry, byte[] dataKey, OutputStream out, long offset, long length)
            throws IOException {
        PoolInfo pool;
        try {
            pool = dataPool(b);
        } catch (S3Exception e) {
            throw new IOException(e.getMessage(), e);
        }
        // Chunks that overlap [offset, offset + length).
        List<long[]> wanted = new ArrayList<>(); // {chunk index, start within chunk, bytes}
        long pos = 0;
        long end = offset + length;
        for (int i = 0; i < entry.chunks().size() && pos < end; i++) {
            long size = entry.chunks().get(i).size();
            if (pos + size > offset) {
                long from = Math.max(offset, pos) - pos;
                long to = Math.min(end, pos + size) - pos;
                wanted.add(new long[] {i, from, to - from});
            }
            pos += size;
        }
        // Up to CHUNK_READS_AHEAD chunks are fetched while one is written: at most that many
        // plus one chunks of this read are in memory at once.
        java.util.ArrayDeque<Future<com.google.protobuf.ByteString>> fetching = new java.util.ArrayDeque<>();
        int requested = 0;
        try {
            for (int w = 0; w < wanted.size(); w++) {
                while (requested < wanted.size() && requested <= w + CHUNK_READS_AHEAD) {
                    fetching.add(fetchChunk(pool, entry, dataKey, wanted.get(requested)));
                    requested++;
                }
                com.google.protobuf.ByteString data;
                try {
                    data = fetching.poll().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                } catch (ExecutionException e) {
                    throw new IOException("chunk read failed: " + e.getCause().getMessage(), e.getCause());
                }
                ByteStringWriter.write(data, out); // the bytes as they came: no copy on the way to the client
            }
        } finally {
            fetching.forEach(f -> f.cancel(true)); // the client went away, or a chunk failed
        }
    }

    /**
     * The bytes {@code part = {chunk index, start within chunk, length}} of a chunk, as received
     * (not copied); of an encrypted chunk, the whole chunk is read and opened first.
     */
    private Future<com.google.protobuf.ByteString> fetchChunk(PoolInfo pool, ObjectEntry entry, byte[] dataKey, long[] part) {
        ObjectEntry.ChunkRef ref = entry.chunks().get((int) part[0]);
        int from = (int) part[1];
        int len = (int) part[2];
        if (dataKey != null) {
            int sealedSize = (int) ref.size() + SseS3.OVERHEAD;
            return io.submit(() -> {
                // The sealed chunk as received, read in place: one copy, the plaintext's.
                ByteBuffer sealed;
                if (pool.policy().kind() == StoragePolicy.Kind.ERASURE_CODED) {
                    sealed = node.stripeReader().read(chunkPartition(pool, ref.id()), chunkKey(ref.id()), sealedSize, 0, sealedSize)
                            .orElseThrow(() -> new IOException("chunk " + ref.id() + " of the object is missing"));
                } else {
                    sealed = client.getImmutable(chunkPartition(pool, ref.id()), chunkKey(ref.id()), (int) part[0])
                            .filter(x -> !x.getTombstone())
                            .orElseThrow(() -> new IOException("chunk " + ref.id() + " of the object is missing"))
                            .getBlob().asReadOnlyByteBuffer();
                }
                if (sealed.remaining() != sealedSize) {
                    throw new IOException("chunk " + ref.id() + " has " + sealed.remaining() + " bytes, expected " + sealedSize);
                }
                ByteBuffer plain = SseS3.open(dataKey, chunkKey(ref.id()), sealed);
                return com.google.protobuf.UnsafeByteOperations.unsafeWrap(plain.array(), from, len);
            });
        }
        if (pool.policy().kind() == StoragePolicy.Kind.ERASURE_CODED) {
            // Only the blocks of the stripe that the range touches are fetched.
            return io.submit(() -> com.google.protobuf.UnsafeByteOperations.unsafeWrap(
                    node.stripeReader().read(chunkPartition(pool, ref.id()), chunkKey(ref.id()), (int) ref.size(), from, len)
                    .orElseThrow(() -> new IOException("chunk " + ref.id() + " of the object is missing"))));
        }
        return io.submit(() -> {
            Record r = client.getImmutable(chunkPartition(pool, ref.id()), chunkKey(ref.id()), (int) part[0])
                    .filter(x -> !x.getTombstone())
                    .orElseThrow(() -> new IOException("chunk " + ref.id() + " of the object is missing"));
            com.google.protobuf.ByteString data = r.getBlob();
            if (data.size() != ref.size()) {
                throw new IOException("chunk " + ref.id() + " has " + data.size() + " bytes, expected " + ref.size());
            }
            return data.substring(from, from + len);
        });
    }

    @Override
    public void deleteObject(String bucket, String key) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        PartitionId ip = indexPartition(b, pool, key);
        Optional<Record> previous = cluster(() -> client.apply(ip, indexKey(b, key), true, new byte[0], null));
        previous.map(r -> parse(r.getMeta().toByteArray(), ObjectEntry.class))
                .ifPresent(old -> deleteChunksLater(b, old.chunks()));
    }

    @Override
    public List<ObjectInfo> listObjects(String bucket, String prefix, String startAfter, int limit) throws S3Exception {
        KeyListing listing = listing(bucket, prefix, startAfter, limit);
        List<ObjectInfo> out = new ArrayList<>(Math.min(limit, 1024));
        while (out.size() < limit) {
            Optional<ObjectInfo> next = listing.next();
            if (next.isEmpty()) {
                break;
            }
            out.add(next.get());
        }
        return out;
    }

    @Override
    public KeyListing listing(String bucket, String prefix, String startAfter, int pageHint) throws S3Exception {
        return listing(bucket, prefix, "", startAfter, pageHint);
    }

    /** With a delimiter, each shard's primary returns one record per common prefix (a folder), not every key under it. */
    @Override
    public KeyListing listing(String bucket, String prefix, String delimiter, String startAfter, int pageHint) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        String base = indexPrefix(b);
        io.cairn.node.Records view = client.pinned();
        return new ShardedListing(indexPartitions(b, pool), (p, after, limit) -> view.scan(p, base + prefix, after, limit, delimiter), io, base,
                startAfter, pageHint, r -> info(r.getKey().substring(base.length()), parse(r.getMeta().toByteArray(), ObjectEntry.class)));
    }

    private static ObjectInfo info(String key, ObjectEntry e) {
        return new ObjectInfo(key, e.size(), e.etag(), e.lastModifiedMillis(), e.contentType(),
                e.userMetadata() == null ? Map.of() : e.userMetadata(), e.headers() == null ? Map.of() : e.headers());
    }

    // ---- multipart uploads ----

    @Override
    public String createMultipartUpload(String bucket, String key, PutRequest req) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        String uploadId = newId();
        Map<String, String> headers = new java.util.LinkedHashMap<>(req.otherHeaders());
        encryption(b, headers); // the upload's data key, wrapped, goes with it; each part is sealed under it
        UploadEntry u = new UploadEntry(key, uploadId, clock.millis(), req.contentType(), req.userMetadata(), headers);
        cluster(() -> {
            client.apply(indexPartition(b, pool, key), uploadKey(b, key, uploadId), false, json(u), null);
            return null;
        });
        return uploadId;
    }

    private UploadEntry upload(BucketInfo b, PoolInfo pool, String key, String uploadId) throws S3Exception {
        return cluster(() -> client.get(indexPartition(b, pool, key), uploadKey(b, key, uploadId), false))
                .filter(r -> !r.getTombstone())
                .map(r -> parse(r.getMeta().toByteArray(), UploadEntry.class))
                .orElseThrow(() -> new S3Exception(S3Error.NoSuchUpload, "no upload " + uploadId + " for key " + key));
    }

    @Override
    public PartInfo uploadPart(String bucket, String key, String uploadId, int partNumber, long contentLength, InputStream body)
            throws S3Exception, IOException {
        return uploadPart(bucket, key, uploadId, partNumber, contentLength, body, null);
    }

    @Override
    public PartInfo uploadPart(String bucket, String key, String uploadId, int partNumber, long contentLength, InputStream body,
            BodyChecksum requested) throws S3Exception, IOException {
        if (partNumber < 1 || partNumber > PARTS_MAX) {
            throw new S3Exception(S3Error.InvalidArgument, "part number must be 1.." + PARTS_MAX + ": " + partNumber);
        }
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        UploadEntry u = upload(b, pool, key, uploadId);
        // The part's checksum: of the upload's algorithm (a part naming another is refused, as in S3), else of the one it names.
        Optional<ObjectChecksum.Algorithm> uploads = ObjectChecksum.Algorithm.of(u.headers());
        if (uploads.isPresent() && requested != null && requested != uploads.get().algorithm()) {
            throw new S3Exception(S3Error.InvalidRequest, "checksum type mismatch: the upload's checksum is "
                    + uploads.get().algorithm() + ", the part's " + requested);
        }
        ObjectChecksum.Algorithm algorithm = uploads.orElse(requested == null ? null
                : new ObjectChecksum.Algorithm(requested, ObjectChecksum.Type.COMPOSITE));
        ObjectChecksum.Computing checksum = algorithm == null ? null : new ObjectChecksum.Computing(body, algorithm.algorithm());
        MessageDigest md5 = md5();
        List<ObjectEntry.ChunkRef> chunks = writeChunks(b, uploadId + "." + partNumber + "." + newId(), checksum == null ? body : checksum,
                md5, contentLength, dataKeyOf(u.headers()));
        long size = chunks.stream().mapToLong(ObjectEntry.ChunkRef::size).sum();
        ObjectChecksum.Stored partChecksum = checksum == null ? null
                : new ObjectChecksum.Stored(algorithm.algorithm(), algorithm.type(), ObjectChecksum.base64(checksum.value()));
        PartEntry part = new PartEntry(partNumber, HexFormat.of().formatHex(md5.digest()), size, clock.millis(), chunks,
                partChecksum == null ? null : partChecksum.encode());
        PartitionId ip = indexPartition(b, pool, key);
        String partKey = partKey(b, uploadId, partNumber);
        Optional<Record> previous = cluster(() -> client.apply(ip, partKey, false, json(part), null));
        previous.map(r -> parse(r.getMeta().toByteArray(), PartEntry.class))
                .filter(old -> !old.chunks().equals(part.chunks()))
                .ifPresent(old -> deleteChunksLater(b, old.chunks()));
        return partInfo(part);
    }

    private static PartInfo partInfo(PartEntry p) {
        ObjectChecksum.Stored checksum = p.checksum() == null ? null : ObjectChecksum.Stored.decode(p.checksum());
        return new PartInfo(p.partNumber(), p.etag(), p.size(), p.lastModifiedMillis(), checksum);
    }

    private List<PartEntry> parts(BucketInfo b, PoolInfo pool, String key, String uploadId) throws S3Exception {
        PartitionId ip = indexPartition(b, pool, key);
        List<PartEntry> parts = new ArrayList<>();
        String after = "";
        while (true) {
            String from = after;
            List<Record> page = cluster(() -> client.scan(ip, partPrefix(b, uploadId), from, 1000));
            for (Record r : page) {
                parts.add(parse(r.getMeta().toByteArray(), PartEntry.class));
            }
            if (page.size() < 1000) {
                return parts;
            }
            after = page.getLast().getKey();
        }
    }

    @Override
    public ObjectInfo completeMultipartUpload(String bucket, String key, String uploadId, List<CompletedPart> requested) throws S3Exception {
        return completeMultipartUpload(bucket, key, uploadId, requested, null);
    }

    @Override
    public ObjectInfo completeMultipartUpload(String bucket, String key, String uploadId, List<CompletedPart> requested,
            ObjectChecksum.Stored expected) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        UploadEntry u = upload(b, pool, key, uploadId);
        if (requested.isEmpty()) {
            throw new S3Exception(S3Error.MalformedXML, "CompleteMultipartUpload names no parts");
        }
        Map<Integer, PartEntry> stored = new java.util.HashMap<>();
        for (PartEntry p : parts(b, pool, key, uploadId)) {
            stored.put(p.partNumber(), p);
        }
        List<ObjectEntry.ChunkRef> chunks = new ArrayList<>();
        List<Long> partSizes = new ArrayList<>();
        List<String> partChecksums = new ArrayList<>();
        MessageDigest etagOfEtags = md5();
        long size = 0;
        int previous = 0;
        for (int i = 0; i < requested.size(); i++) {
            CompletedPart c = requested.get(i);
            if (c.partNumber() <= previous) {
                throw new S3Exception(S3Error.InvalidPartOrder, "parts must be listed in ascending order");
            }
            previous = c.partNumber();
            PartEntry p = stored.get(c.partNumber());
            String etag = c.etag() == null ? "" : c.etag().replace("\"", "");
            if (p == null || !p.etag().equals(etag)) {
                throw new S3Exception(S3Error.InvalidPart, "part " + c.partNumber() + " was not uploaded or its ETag does not match");
            }
            if (i < requested.size() - 1 && p.size() < PART_SIZE_MIN_BYTES) {
                throw new S3Exception(S3Error.EntityTooSmall, "part " + c.partNumber() + " is smaller than 5 MiB");
            }
            ObjectChecksum.Stored kept = partInfo(p).checksum();
            if (c.checksum() != null && (kept == null || kept.algorithm() != c.checksum().algorithm()
                    || !kept.value().equals(c.checksum().value()))) {
                throw new S3Exception(S3Error.InvalidPart, "part " + c.partNumber() + "'s " + c.checksum().algorithm()
                        + " checksum is not the one it was uploaded with");
            }
            partChecksums.add(kept == null ? null : kept.value());
            chunks.addAll(p.chunks());
            etagOfEtags.update(HexFormat.of().parseHex(p.etag()));
            size += p.size();
            partSizes.add(p.size());
        }
        String etag = HexFormat.of().formatHex(etagOfEtags.digest()) + "-" + requested.size();
        // The parts' sizes go with the object, so that a GET of one part (partNumber) finds it.
        Map<String, String> headers = new java.util.LinkedHashMap<>(u.headers());
        headers.put(ObjectParts.HEADER, ObjectParts.encode(partSizes));
        objectChecksum(headers, partChecksums, partSizes, expected);
        ObjectEntry entry = new ObjectEntry(size, etag, clock.millis(), u.contentType(), u.userMetadata(), headers, uploadId, chunks);
        commit(b, pool, key, entry, null);
        // Parts not used by the object are freed, then the upload's records.
        java.util.Set<Integer> used = new java.util.HashSet<>();
        requested.forEach(c -> used.add(c.partNumber()));
        for (PartEntry p : stored.values()) {
            if (!used.contains(p.partNumber())) {
                deleteChunksLater(b, p.chunks());
            }
        }
        forgetUpload(b, pool, key, uploadId, stored.values());
        return info(key, entry);
    }

    /**
     * Puts in {@code headers} (an upload's, becoming its object's) the object's checksum made of its
     * parts', if the upload has a checksum algorithm, and their checksums (up to a thousand parts).
     */
    private static void objectChecksum(Map<String, String> headers, List<String> partChecksums, List<Long> partSizes,
            ObjectChecksum.Stored expected) throws S3Exception {
        Optional<ObjectChecksum.Algorithm> algorithm = ObjectChecksum.Algorithm.of(headers);
        headers.remove(ObjectChecksum.ALGORITHM_HEADER);
        if (algorithm.isEmpty()) {
            if (expected != null) {
                throw new S3Exception(S3Error.InvalidRequest, "the upload was created without a checksum algorithm, so it has no "
                        + expected.algorithm() + " checksum to check");
            }
            return;
        }
        for (int i = 0; i < partChecksums.size(); i++) {
            if (partChecksums.get(i) == null) {
                throw new S3Exception(S3Error.InvalidPart, "a part was stored without the upload's " + algorithm.get().algorithm()
                        + " checksum; upload it again");
            }
        }
        ObjectChecksum.Stored made = ObjectChecksum.ofParts(algorithm.get(), partChecksums, partSizes);
        if (expected != null && (expected.algorithm() != made.algorithm() || !expected.value().equals(made.value()))) {
            throw new S3Exception(S3Error.BadDigest, "the " + expected.algorithm() + " checksum sent is not the object's, "
                    + made.algorithm() + " " + made.value());
        }
        headers.put(ObjectChecksum.HEADER, made.encode());
        if (partChecksums.size() <= ObjectChecksum.PARTS_KEPT_MAX) {
            headers.put(ObjectChecksum.PARTS_HEADER, String.join(",", partChecksums));
        }
    }

    private void forgetUpload(BucketInfo b, PoolInfo pool, String key, String uploadId, java.util.Collection<PartEntry> parts) {
        PartitionId ip = indexPartition(b, pool, key);
        io.submit(() -> {
            try {
                client.apply(ip, uploadKey(b, key, uploadId), true, new byte[0], null);
                for (PartEntry p : parts) {
                    client.apply(ip, partKey(b, uploadId, p.partNumber()), true, new byte[0], null);
                }
            } catch (RuntimeException e) {
                log.warn("could not forget upload {}: {}", uploadId, e.toString());
            }
        });
    }

    @Override
    public void abortMultipartUpload(String bucket, String key, String uploadId) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        upload(b, pool, key, uploadId);
        List<PartEntry> parts = parts(b, pool, key, uploadId);
        cluster(() -> {
            client.apply(indexPartition(b, pool, key), uploadKey(b, key, uploadId), true, new byte[0], null);
            return null;
        });
        for (PartEntry p : parts) {
            deleteChunksLater(b, p.chunks());
        }
        forgetUpload(b, pool, key, uploadId, parts);
    }

    @Override
    public Optional<ObjectChecksum.Algorithm> uploadChecksum(String bucket, String key, String uploadId) throws S3Exception {
        BucketInfo b = bucket(bucket);
        return ObjectChecksum.Algorithm.of(upload(b, pool(b), key, uploadId).headers());
    }

    @Override
    public List<PartInfo> listParts(String bucket, String key, String uploadId) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        upload(b, pool, key, uploadId);
        return parts(b, pool, key, uploadId).stream()
                .map(ClusterObjectBackend::partInfo)
                .toList();
    }

    /** Most uploads one ListMultipartUploads answer names. */
    static final int UPLOADS_LISTED_MAX = 1000;

    @Override
    public List<UploadInfo> listMultipartUploads(String bucket, String prefix) throws S3Exception {
        BucketInfo b = bucket(bucket);
        PoolInfo pool = pool(b);
        String base = uploadPrefix(b);
        List<UploadInfo> out = new ArrayList<>();
        io.cairn.node.Records view = client.pinned();
        ShardedListing uploads = new ShardedListing(indexPartitions(b, pool), (p, after, limit) -> view.scan(p, base + prefix, after, limit),
                io, base, "", UPLOADS_LISTED_MAX, r -> {
                    throw new IllegalStateException("uploads are read as records");
                });
        while (out.size() < UPLOADS_LISTED_MAX) {
            Optional<Record> r = uploads.nextRecord();
            if (r.isEmpty()) {
                break;
            }
            UploadEntry u = parse(r.get().getMeta().toByteArray(), UploadEntry.class);
            out.add(new UploadInfo(u.key(), u.uploadId(), u.initiatedMillis()));
        }
        return out;
    }

    // ---- master keys ----

    /**
     * Which master key wraps what: the data keys of the objects (current versions) and of the
     * multipart uploads under way, and the users' secret keys, counted by master key id.
     * {@code rewrapped} and {@code changedMeanwhile}: data keys and secrets wrapped anew, and those
     * left because they changed meanwhile, by {@link #sseKeyUse(boolean)} with rewrap.
     */
    public record SseKeyUse(String currentKey, List<String> keys, Map<String, Long> objects, Map<String, Long> uploads,
                            Map<String, Long> secrets, long rewrapped, long changedMeanwhile) {}

    /**
     * Counts what each master key wraps and, with {@code rewrap}, wraps every object's and
     * upload's data key that another key wraps anew by the current one (the object's bytes, sealed
     * under its data key, stay as they are). Each record is rewritten only if it is still the
     * version read (a compare-and-set at its primary), so a write racing the rewrap is never
     * undone: that record is counted in {@code changedMeanwhile}, and the write that won wrapped
     * its key with whatever key its gateway had first. The counts are those found before any
     * rewrap. Users' secret keys are sealed anew too, each only if unchanged meanwhile (a map
     * command that compares first), and counted with the objects.
     */
    public SseKeyUse sseKeyUse(boolean rewrap) throws S3Exception {
        if (sse == null) {
            throw new S3Exception(S3Error.NotImplemented, "this node has no master key (sse_master_key_file)");
        }
        ClusterMap map = mapView.refresh().map();
        Map<String, Long> objects = new java.util.TreeMap<>();
        Map<String, Long> uploads = new java.util.TreeMap<>();
        Map<String, Long> secrets = new java.util.TreeMap<>();
        long rewrapped = 0;
        long changed = 0;
        for (BucketInfo b : map.buckets()) {
            PoolInfo pool = pool(b);
            for (boolean upload : new boolean[] {false, true}) {
                String base = upload ? ObjectKeys.uploadPrefix(b) : ObjectKeys.indexPrefix(b);
                ShardedListing all = new ShardedListing(indexPartitions(b, pool), (p, after, limit) -> client.scan(p, base, after, limit),
                        io, base, "", UPLOADS_LISTED_MAX, r -> {
                            throw new IllegalStateException("read as records");
                        });
                for (Optional<Record> r = all.nextRecord(); r.isPresent(); r = all.nextRecord()) {
                    Record listed = r.get();
                    if (listed.getTombstone()) {
                        continue;
                    }
                    String marker = SseS3.markerOf(upload ? parse(listed.getMeta().toByteArray(), UploadEntry.class).headers()
                            : parse(listed.getMeta().toByteArray(), ObjectEntry.class).headers());
                    if (marker == null) {
                        continue;
                    }
                    String id = keyIdOf(marker);
                    (upload ? uploads : objects).merge(id, 1L, Long::sum);
                    if (rewrap && !id.equals(sse.keyId())) {
                        if (rewrapOne(b, pool, listed, upload)) {
                            rewrapped++;
                        } else {
                            changed++;
                        }
                    }
                }
            }
        }
        for (UserInfo u : map.users()) {
            String id = SseS3.sealedSecretKeyId(u.secretKey());
            if (id != null) {
                secrets.merge(id, 1L, Long::sum);
                if (rewrap && !id.equals(sse.keyId())) {
                    if (resealSecret(u)) {
                        rewrapped++;
                    } else {
                        changed++;
                    }
                }
            }
        }
        return new SseKeyUse(sse.keyId(), sse.keyIds(), objects, uploads, secrets, rewrapped, changed);
    }

    /** Seals a user's secret anew under the current master key, unless it changed meanwhile (then false). */
    private boolean resealSecret(UserInfo u) throws S3Exception {
        String sealed = sse.sealSecret(u.accessKey(), sse.openSecret(u.accessKey(), u.secretKey()));
        MetaResult r;
        try {
            r = node.meta().submit(new MetaCommand.ResealSecret(u.accessKey(), u.secretKey(), sealed));
        } catch (io.cairn.meta.MetaUnavailableException e) {
            throw new S3Exception(S3Error.ServiceUnavailable, "the cluster map cannot take the resealed secret of "
                    + u.accessKey() + " now, retry: " + e.getMessage());
        }
        if (r.ok()) {
            return true;
        }
        if (MetaResult.SECRET_CHANGED.equals(r.error()) || MetaResult.NO_SUCH_KEY.equals(r.error())) {
            // A submit retried after an attempt that applied finds its own seal in place.
            return mapView.refresh().map().users().stream().anyMatch(now -> now.accessKey().equals(u.accessKey()) && now.secretKey().equals(sealed));
        }
        throw new S3Exception(S3Error.InternalError, "resealing the secret of " + u.accessKey() + " was refused: " + r.error());
    }

    private static String keyIdOf(String marker) throws S3Exception {
        try {
            return SseS3.keyIdOf(marker);
        } catch (IOException e) {
            throw new S3Exception(S3Error.InternalError, e.getMessage());
        }
    }

    /** Rewraps the data key of one listed object or upload record; false if the record changed since it was listed. */
    private boolean rewrapOne(BucketInfo b, PoolInfo pool, Record listed, boolean upload) throws S3Exception {
        String objectKey = upload ? parse(listed.getMeta().toByteArray(), UploadEntry.class).key()
                : listed.getKey().substring(ObjectKeys.indexPrefix(b).length());
        PartitionId ip = ObjectKeys.indexPartition(b, pool, objectKey);
        Optional<Record> now = cluster(() -> client.get(ip, listed.getKey(), true));
        if (now.isEmpty() || now.get().getTombstone() || !now.get().getVersion().equals(listed.getVersion())) {
            return false;
        }
        Record r = now.get();
        byte[] meta;
        try {
            if (upload) {
                UploadEntry u = parse(r.getMeta().toByteArray(), UploadEntry.class);
                meta = json(new UploadEntry(u.key(), u.uploadId(), u.initiatedMillis(), u.contentType(), u.userMetadata(),
                        rewrapped(u.headers())));
            } else {
                ObjectEntry e = parse(r.getMeta().toByteArray(), ObjectEntry.class);
                meta = json(new ObjectEntry(e.size(), e.etag(), e.lastModifiedMillis(), e.contentType(), e.userMetadata(),
                        rewrapped(e.headers()), e.versionId(), e.chunks()));
            }
        } catch (IOException e) {
            throw new S3Exception(S3Error.InternalError, "cannot rewrap the data key of " + listed.getKey() + ": " + e.getMessage());
        }
        java.nio.ByteBuffer blob = r.getHasBlob() ? r.getBlob().asReadOnlyByteBuffer() : null;
        if (cluster(() -> client.applyIfStill(ip, listed.getKey(), r.getVersion(), meta, blob))) {
            return true;
        }
        // Refused: another write came first, or this one did. A call retried after an attempt that
        // applied (its answer lost, or the primary changed) finds the record no longer at the version
        // read; the record as written here (its newly wrapped key is unique) says which.
        Optional<Record> after = cluster(() -> client.get(ip, listed.getKey(), true));
        return after.isPresent() && !after.get().getTombstone() && after.get().getMeta().equals(com.google.protobuf.ByteString.copyFrom(meta));
    }

    private Map<String, String> rewrapped(Map<String, String> headers) throws IOException {
        Map<String, String> out = new java.util.LinkedHashMap<>(headers);
        out.put(SseS3.MARKER, sse.rewrap(headers.get(SseS3.MARKER)));
        return out;
    }

    // ---- helpers ----

    private interface ClusterCall<T> {
        T call();
    }

    /** Runs a cluster call, turning a {@link ClusterException} into the matching S3 error. */
    private static <T> T cluster(ClusterCall<T> call) throws S3Exception {
        try {
            return call.call();
        } catch (ClusterException e) {
            throw translate(e);
        }
    }

    static S3Exception translate(ClusterException e) {
        return switch (e.kind()) {
            case UNAVAILABLE -> new S3Exception(S3Error.ServiceUnavailable, "the cluster cannot serve this now, retry: " + e.getMessage());
            case FULL -> new S3Exception(S3Error.InsufficientStorage, "the cluster is out of space: " + e.getMessage());
            case CORRUPT -> new S3Exception(S3Error.InternalError, "no intact copy of the data was found: " + e.getMessage());
            case READ_ONLY -> new S3Exception(S3Error.AccessDenied, e.getMessage());
        };
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static <T> T parse(byte[] bytes, Class<T> type) {
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + type.getSimpleName() + " record", e);
        }
    }
}
