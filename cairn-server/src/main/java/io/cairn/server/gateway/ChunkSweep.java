package io.cairn.server.gateway;

import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.node.ClusterException;
import io.cairn.node.MapView;
import io.cairn.node.Records;
import io.cairn.node.rpc.Record;
import io.cairn.node.rpc.Version;
import io.cairn.protocol.erasure.BlockStamp;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frees the data chunks no object refers to: those of a PUT whose gateway died before it wrote the
 * index entry, those a gateway failed to free after an overwrite or a delete, those of a bucket
 * deleted since, and those a promoted backup site holds of a PUT its final round cut in two.
 *
 * <p>A sweep reads, for each bucket, every part entry of its multipart uploads, then every index
 * entry (in that order: a completed upload's index entry is written before its part entries are
 * forgotten, so a chunk moving from one to the other is seen in either), and keeps what they name.
 * It then scans the bucket's chunks in every partition of its data pool, and those of incarnations
 * no bucket has any more. A chunk neither names is freed once it is older than the grace period,
 * and only if it is still the version scanned (a conditional delete at its primary). A chunk's age
 * is the time its gateway wrote into it ({@link #chunkMeta}); for a chunk written before chunks
 * carried one, the time this node's sweeps first saw it unnamed. So a PUT that takes longer than the
 * grace period to write its body could lose its first chunks: the grace period (a day by default,
 * {@code orphan_chunk_grace_seconds}) must exceed the longest PUT.
 *
 * <p>Sweeps run every quarter of the grace period (at most every 6 hours), on one node of the
 * cluster (a {@link ClusterChore}), and on demand ({@code POST
 * /_cairn/chunks/sweep}). A bucket's entries that cannot all be read stop its sweep before it frees
 * anything (what could not be read might name a chunk); a chunk partition that cannot be read
 * stops it there.
 */
public final class ChunkSweep implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChunkSweep.class);
    static final int PAGE = 1000;
    static final long INTERVAL_MILLIS_MAX = 6 * 3600_000L;
    /** The first byte of a chunk's metadata that carries the time it was written. */
    static final byte META_FORMAT = 1;

    private final Records records;
    private final MapView mapView;
    private final long graceMillis;
    private final Clock clock;
    private final ClusterChore chore;
    /** Chunks without a time, by key: the version and when a sweep here first saw them unnamed. */
    private final Map<String, Seen> unnamedSince = new HashMap<>();
    private final Object sweeping = new Object();

    private record Seen(Version version, long sinceMillis) {}

    /**
     * @param graceMillis    the grace period of the periodic sweeps; 0: none run (sweeps on demand only)
     * @param readOnlyReason non-null while the cluster takes no writes (a backup site): no periodic sweep runs then
     */
    public ChunkSweep(Records records, MapView mapView, String nodeId, long graceMillis, Clock clock, Supplier<String> readOnlyReason) {
        this.records = records;
        this.mapView = mapView;
        this.graceMillis = graceMillis;
        this.clock = clock;
        this.chore = new ClusterChore("chunk-sweep", mapView, nodeId, intervalMillis(graceMillis), readOnlyReason, map -> periodic());
    }

    public ChunkSweep start() {
        if (graceMillis > 0) {
            chore.start();
        }
        return this;
    }

    /** The metadata a gateway writes into a chunk: the time it was written. */
    public static byte[] chunkMeta(long writtenMillis) {
        return ByteBuffer.allocate(9).put(META_FORMAT).putLong(writtenMillis).array();
    }

    /** When a chunk with this metadata (an erasure-coded block's stamp in front, or not) was written; empty if it does not say. */
    static OptionalLong writtenMillis(byte[] meta) {
        byte[] inner = BlockStamp.isStamped(meta) ? BlockStamp.innerMeta(meta) : meta;
        if (inner.length != 9 || inner[0] != META_FORMAT) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(ByteBuffer.wrap(inner, 1, 8).getLong());
    }

    /** The bytes of data a chunk holds: an erasure-coded block's stamp names its chunk's. */
    static long chunkLength(Record r) {
        byte[] meta = r.getMeta().toByteArray();
        return BlockStamp.isStamped(meta) ? BlockStamp.parse(meta).chunkLength() : r.getBlobLength();
    }

    /** A chunk id cut in two: the object's (or part's) version, {@code incarnation/versionId}, and the chunk's number in it. */
    record ChunkName(String version, int number) {
        /** @throws NumberFormatException when the id ends in no number */
        static ChunkName of(String chunkId) {
            int dot = chunkId.lastIndexOf('.');
            return new ChunkName(chunkId.substring(0, Math.max(dot, 0)), Integer.parseInt(chunkId.substring(dot + 1)));
        }
    }

    static long intervalMillis(long graceMillis) {
        return Math.max(1000, Math.min(INTERVAL_MILLIS_MAX, graceMillis / 4));
    }

    private void periodic() {
        sweep(graceMillis, false);
    }

    /**
     * What a sweep found and did. {@code named}: chunks an object or a part names; {@code young}:
     * unnamed ones kept because they are within the grace period; {@code freed}: unnamed ones
     * deleted, or that would be with {@code dryRun}, and {@code freedBytes} the data they held
     * (a chunk's bytes, before its copies or parity); {@code changed}: unnamed ones
     * rewritten or deleted by someone else meanwhile; {@code unknownBucket}: chunks of an
     * earlier release whose id does not name their bucket, never freed; {@code skipped}: buckets
     * (or pools, for deleted buckets) whose sweep stopped short, with why.
     */
    public record Report(boolean dryRun, long graceMillis, int buckets, long named, long young, long freed, long freedBytes,
                         long freedOfDeletedBuckets, long changed, long unknownBucket, Map<String, String> skipped) {}

    /** Sweeps every bucket once; with {@code dryRun}, counts what it would free and frees nothing. */
    public Report sweep(long graceMillis, boolean dryRun) {
        Report r;
        synchronized (sweeping) {
            r = new Pass(graceMillis, dryRun).run();
        }
        if (!r.skipped().isEmpty()) {
            log.warn("chunk sweep stopped short in some buckets (see skipped): {}", r);
        } else if (r.freed() > 0 && !dryRun) {
            log.info("chunk sweep: {}", r);
        }
        return r;
    }

    /** One sweep: its counts, kept as it goes. */
    private final class Pass {
        final long grace;
        final boolean dryRun;
        final long now = clock.millis();
        int buckets;
        long named, young, freed, freedBytes, freedDeleted, changed, unknownBucket;
        final Map<String, String> skipped = new java.util.TreeMap<>();
        final Set<String> stillUnnamed = new HashSet<>();

        Pass(long grace, boolean dryRun) {
            this.grace = grace;
            this.dryRun = dryRun;
        }

        Report run() {
            ClusterMap map = mapView.refresh().map();
            for (BucketInfo b : map.buckets()) {
                Optional<PoolInfo> index = map.pool(b.pool());
                Optional<PoolInfo> data = map.pool(b.dataPoolName());
                if (index.isEmpty() || data.isEmpty()) {
                    skipped.put(b.name(), "its pool is missing from the map");
                    continue;
                }
                try {
                    Map<String, Integer> names = namedChunks(b, index.get());
                    sweepChunks(data.get(), ObjectKeys.incarnation(b), names, false);
                    buckets++;
                } catch (ClusterException | IllegalStateException | java.io.UncheckedIOException | NumberFormatException e) {
                    skipped.put(b.name(), String.valueOf(e.getMessage()));
                }
            }
            Map<PoolInfo, Set<String>> found = new java.util.LinkedHashMap<>();
            for (PoolInfo pool : map.pools()) {
                try {
                    found.put(pool, incarnations(pool));
                } catch (ClusterException | IllegalStateException e) {
                    skipped.put("pool " + pool.name() + " (deleted buckets)", e.getMessage());
                }
            }
            // The buckets of a map read after the scans: one created since the first read made its chunks after it.
            Set<String> live = new HashSet<>();
            for (BucketInfo b : mapView.refresh().map().buckets()) {
                live.add(ObjectKeys.incarnation(b));
            }
            found.forEach((pool, incarnations) -> {
                try {
                    for (String incarnation : incarnations) {
                        if (!live.contains(incarnation)) {
                            sweepChunks(pool, incarnation, Map.of(), true);
                        }
                    }
                } catch (ClusterException | IllegalStateException e) {
                    skipped.put("pool " + pool.name() + " (deleted buckets)", e.getMessage());
                }
            });
            if (skipped.isEmpty()) {
                unnamedSince.keySet().retainAll(stillUnnamed);
            }
            return new Report(dryRun, grace, buckets, named, young, freed, freedBytes, freedDeleted, changed, unknownBucket, Map.copyOf(skipped));
        }

        /**
         * What the bucket's part entries and index entries name, by chunk id without its number
         * ({@code incarnation/versionId}): how many chunks of that prefix are named.
         */
        Map<String, Integer> namedChunks(BucketInfo b, PoolInfo index) {
            Map<String, Integer> names = new HashMap<>();
            // Parts first, then the index: see the class comment.
            for (String prefix : List.of(ObjectKeys.partsPrefix(b), ObjectKeys.indexPrefix(b))) {
                boolean parts = prefix.startsWith("p/");
                for (PartitionId p : ObjectKeys.indexPartitions(b, index)) {
                    scanAll(p, prefix, r -> {
                        if (r.getTombstone()) {
                            return;
                        }
                        List<ObjectEntry.ChunkRef> chunks = parts
                                ? ClusterObjectBackend.parse(r.getMeta().toByteArray(), PartEntry.class).chunks()
                                : ClusterObjectBackend.parse(r.getMeta().toByteArray(), ObjectEntry.class).chunks();
                        for (ObjectEntry.ChunkRef c : chunks) {
                            ChunkName n = ChunkName.of(c.id());
                            names.merge(n.version(), n.number() + 1, Math::max);
                        }
                    });
                }
            }
            return names;
        }

        /** The incarnations ({@code name.created}) whose chunks the pool holds, in any partition. */
        Set<String> incarnations(PoolInfo pool) {
            Set<String> found = new HashSet<>();
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId p = new PartitionId(pool.name(), i);
                String after = "";
                while (true) {
                    List<Record> page = records.scan(p, ObjectKeys.chunkKey(""), after, PAGE, "/");
                    for (Record r : page) {
                        String key = r.getKey();
                        String id = ObjectKeys.chunkIdOf(key);
                        int slash = id.indexOf('/');
                        if (slash < 0 || ObjectKeys.bucketOf(key).isEmpty()) {
                            after = key; // a chunk of an earlier release: its id names no bucket
                            unknownBucket++;
                            continue;
                        }
                        String incarnation = id.substring(0, slash);
                        found.add(incarnation);
                        after = ObjectKeys.chunkKey(incarnation + "/") + "\uffff"; // past every chunk of that incarnation
                    }
                    if (page.size() < PAGE) {
                        break;
                    }
                }
            }
            return found;
        }

        /** Frees the chunks of {@code incarnation} in {@code pool} that {@code names} does not name and the grace period has passed for. */
        void sweepChunks(PoolInfo pool, String incarnation, Map<String, Integer> names, boolean deletedBucket) {
            String prefix = ObjectKeys.chunkKey(incarnation + "/");
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId p = new PartitionId(pool.name(), i);
                scanAll(p, prefix, r -> {
                    String key = r.getKey();
                    if (r.getTombstone() || key.indexOf('\u0000') >= 0) {
                        return;
                    }
                    ChunkName n;
                    try {
                        n = ChunkName.of(ObjectKeys.chunkIdOf(key));
                    } catch (NumberFormatException e) {
                        unknownBucket++; // an id this release cannot read
                        return;
                    }
                    if (n.number() < names.getOrDefault(n.version(), 0)) {
                        named++;
                        return;
                    }
                    if (!pastGrace(key, r)) {
                        young++;
                        return;
                    }
                    if (dryRun || records.deleteIfStill(p, key, r.getVersion())) {
                        freed++;
                        freedBytes += chunkLength(r);
                        if (deletedBucket) {
                            freedDeleted++;
                        }
                        unnamedSince.remove(key);
                    } else {
                        changed++;
                    }
                });
            }
        }

        /** Whether an unnamed chunk is older than the grace period: by the time it carries, else since this node first saw it unnamed. */
        boolean pastGrace(String key, Record r) {
            OptionalLong written = writtenMillis(r.getMeta().toByteArray());
            if (written.isPresent()) {
                return now - written.getAsLong() >= grace;
            }
            stillUnnamed.add(key);
            Seen seen = unnamedSince.get(key);
            if (seen == null || !seen.version().equals(r.getVersion())) {
                unnamedSince.put(key, new Seen(r.getVersion(), now));
                return grace == 0;
            }
            return now - seen.sinceMillis() >= grace;
        }

        void scanAll(PartitionId p, String prefix, java.util.function.Consumer<Record> each) {
            String after = "";
            while (!chore.isClosed()) {
                List<Record> page = records.scan(p, prefix, after, PAGE);
                page.forEach(each);
                if (page.size() < PAGE) {
                    return;
                }
                after = page.getLast().getKey();
            }
            throw new IllegalStateException("the node is stopping");
        }
    }

    @Override
    public void close() {
        chore.close();
    }
}
