package io.cairn.server.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.meta.BackupMark;
import io.cairn.core.map.StoragePolicy;
import io.cairn.node.PartitionClient;
import io.cairn.node.StorageNode;
import io.cairn.node.rpc.Record;
import io.cairn.node.rpc.RecordCodec;
import io.cairn.protocol.BackupLedger;
import io.cairn.protocol.LogRecord;
import io.cairn.protocol.ShipPosition;
import io.cairn.protocol.Shipment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The backup site's side of shipping ({@link io.cairn.protocol.Shipping}): takes the pages a
 * primary site ships and keeps them in this cluster's own partitions (the same pools and partition
 * numbers as the primary site's), replicated as any record is.
 *
 * <p>A shipped record is the state of a key in a round. It is kept under the key {@code K\0RRRR}
 * ({@code RRRR}: the round, 16 hex digits), so that every state of a key sits together, in round
 * order; the record's meta says the state's version at the primary site and whether it is a
 * tombstone ({@link #stateMeta}). Each partition also holds the backup's account of it under
 * {@link #LEDGER_KEY} ({@link BackupLedger.Account}: position, round under way and its shipper,
 * rounds taken whole), written only if it is still the account as read (a compare-and-set), so
 * two backup nodes taking pages of one partition cannot both move it on. The rounds the backup
 * may show are those every partition took whole ({@link #state}).
 *
 * <p>Pages of one partition are taken one at a time on this node. A round's first page, when an
 * earlier attempt did not finish, first marks its own attempt under way in the account (the
 * compare-and-set above, so that another node still taking the earlier attempt cannot finish it
 * any more) and then drops what that attempt left (every state above the position's round).
 *
 * <p>Once the site is promoted, its first up node settles it ({@link #settle}): each key's state
 * in the final round becomes its own record, and no state or account is kept any more.
 */
public final class BackupSite implements AutoCloseable {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BackupSite.class);
    /** How often the first up node of the backup looks for a newer round every partition took whole. */
    public static final long SHOW_INTERVAL_MILLIS = 500;

    /** Where each partition keeps the backup's account of it; no shipped key starts with a zero character. */
    public static final String LEDGER_KEY = "\u0000backup/ledger";
    private static final byte STATE_FORMAT = 1;
    private static final int SCAN_PAGE = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StorageNode node;
    private final BackupMarks marks;
    private final java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("backup-site").daemon().factory());
    private final Map<PartitionId, ReentrantLock> locks = new ConcurrentHashMap<>();
    /** Whether the round shown has no object of a bucket (its S3 listing through this site's view is empty). */
    private final java.util.function.Predicate<String> shownEmpty;
    private final java.util.concurrent.atomic.AtomicLong pagesTaken = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong pagesTakenAsPrimary = new java.util.concurrent.atomic.AtomicLong();
    /** Records taken whole in pages since this node started. */
    private final java.util.concurrent.atomic.AtomicLong recordsTaken = new java.util.concurrent.atomic.AtomicLong();
    /** Held keys of pages checked since this node started, and of those, the ones not held here. */
    private final java.util.concurrent.atomic.AtomicLong heldChecked = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong heldMissing = new java.util.concurrent.atomic.AtomicLong();
    /** The newest map epoch of the primary's buckets taken here. */
    private long bucketsEpoch;

    /** @param shownEmpty whether the round shown has no object of a bucket */
    public BackupSite(StorageNode node, BackupMarks marks, java.util.function.Predicate<String> shownEmpty) {
        this.node = node;
        this.marks = marks;
        this.shownEmpty = shownEmpty;
    }

    /** Starts looking for rounds to show, and for states no round shown needs, on the first up node of the backup. */
    public BackupSite start() {
        timer.scheduleWithFixedDelay(this::showNewest, SHOW_INTERVAL_MILLIS, SHOW_INTERVAL_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::pruneQuietly, PRUNE_INTERVAL_MILLIS, PRUNE_INTERVAL_MILLIS,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        return this;
    }

    /** How often the first up node drops the states that no round shown needs any more. */
    public static final long PRUNE_INTERVAL_MILLIS = 10_000;
    /**
     * How long a round is shown before states older than it are dropped: every gateway has read
     * the mark again by then ({@link BackupMarks#REFRESH_MILLIS}), so none reads an older round.
     */
    public static final long PRUNE_AFTER_SHOWN_MILLIS = 5_000;
    /** Rounds shown, with when this node first saw each: the newest seen long enough ago is the one pruned to. */
    private final java.util.TreeMap<Long, Long> shownSeen = new java.util.TreeMap<>();

    private void pruneQuietly() {
        try {
            BackupMark m = marks.get();
            long now = System.currentTimeMillis();
            synchronized (shownSeen) {
                shownSeen.putIfAbsent(m.shownRound(), now);
            }
            if (!showsHere()) {
                return;
            }
            if (m.promoted()) {
                if (!m.settled()) {
                    settle(m.shownRound());
                }
                return;
            }
            long round;
            synchronized (shownSeen) {
                round = shownSeen.entrySet().stream().filter(e -> now - e.getValue() >= PRUNE_AFTER_SHOWN_MILLIS)
                        .mapToLong(java.util.Map.Entry::getKey).max().orElse(0);
                shownSeen.headMap(round).clear();
            }
            if (round > 0) {
                long dropped = prune(round);
                if (dropped > 0) {
                    log.info("backup site: {} states older than round {} dropped", dropped, round);
                }
            }
        } catch (io.cairn.node.ClusterException | io.cairn.meta.MetaUnavailableException e) {
            log.info("backup site: old states not dropped (or a promoted site not settled) now: {}", e.toString());
        } catch (RuntimeException e) {
            log.error("backup site: old states cannot be dropped", e);
        }
    }

    /**
     * Drops, in every partition, the states no reader of round {@code round} or later needs: of each
     * key, every state older than its newest one in a round at most {@code round}, and that one too
     * if it is a tombstone. The number of states dropped.
     */
    public long prune(long round) {
        PartitionClient client = node.partitionClient();
        long dropped = eachPartition(partitions(), p -> prune(client, p, round)).values().stream().mapToLong(Long::longValue).sum();
        statesDropped.addAndGet(dropped);
        return dropped;
    }

    /** Drops the states of partition {@code p} as {@link #prune(long)} says; the number dropped. */
    static long prune(io.cairn.node.Records client, PartitionId p, long round) {
        long[] dropped = {0};
        Pruning g = new Pruning(round, r -> {
            client.apply(p, r.getKey(), true, new byte[0], null);
            dropped[0]++;
        });
        eachRecord(client, p, "", SCAN_PAGE, r -> State.of(r).ifPresent(st -> g.take(r, st)));
        g.keyDone();
        return dropped[0];
    }

    /**
     * Settles this promoted site, which shows round {@code round} for good: in every partition, each
     * key that has no own record gets its state in that round as one (written through the
     * partition's write path, only if the key has none yet, so a write or delete since wins), and
     * every kept state goes, with the partition's account of the backup: the states of later rounds
     * (shipped, never shown) and the chunks they hold too. Then the site is recorded as settled
     * ({@link BackupMark#SETTLED}): it holds nothing a backup site's reads need, and its nodes may
     * run as a primary site's. Writes go on meanwhile: a key reads the same before, during and
     * after. A partition that cannot be read or written now fails the whole pass, which runs again.
     */
    void settle(long round) {
        PartitionClient client = node.partitionClient();
        long began = System.nanoTime();
        Settled total = new Settled(0, 0);
        for (Settled one : eachPartition(partitions(), p -> {
            Settled s = settle(client, p, round);
            statesDropped.addAndGet(s.dropped());
            statesSettled.addAndGet(s.written());
            return s;
        }).values()) {
            total = new Settled(total.written() + one.written(), total.dropped() + one.dropped());
        }
        io.cairn.meta.MetaResult r = node.meta().submit(new io.cairn.meta.MetaCommand.PromoteBackup(BackupMark.SETTLED));
        if (!r.ok() && !node.meta().read().backupMark().settled()) {
            throw new IllegalStateException("the promoted site settled its states but could not record it: " + r.error());
        }
        settleMillis = (System.nanoTime() - began) / 1_000_000;
        settledHere = true;
        marks.refresh();
        log.info("backup site promoted at round {} is settled in {} ms: {} keys written as their own records from their states in it,"
                + " {} kept states dropped; it keeps no state any more", round, settleMillis, total.written(),
                total.dropped());
    }

    /** Partitions a pass over every partition (pruning, settling, reading the accounts) works on at once. */
    static final int PARTITIONS_AT_ONCE = 8;

    /**
     * {@code work} of each partition of {@code partitions}, {@link #PARTITIONS_AT_ONCE} at a time
     * (each on a virtual thread: the work is calls to the partitions' holders), by partition. The
     * first partition's failure, once every partition begun has ended, is this call's; partitions
     * not begun by then are not.
     */
    static <T> Map<PartitionId, T> eachPartition(Set<PartitionId> partitions, java.util.function.Function<PartitionId, T> work) {
        java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(PARTITIONS_AT_ONCE);
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Map<PartitionId, T> out = new ConcurrentHashMap<>();
        try (var threads = java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("backup-partition-", 0).factory())) {
            for (PartitionId p : partitions) {
                slots.acquireUninterruptibly();
                if (failed.get() != null) {
                    slots.release();
                    break;
                }
                threads.execute(() -> {
                    try {
                        out.put(p, work.apply(p));
                    } catch (Throwable t) {
                        failed.compareAndSet(null, t);
                    } finally {
                        slots.release();
                    }
                });
            }
        }
        Throwable t = failed.get();
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
        return new TreeMap<>(out);
    }

    /** What settling one partition did: the keys written as their own records, and the kept states dropped. */
    record Settled(long written, long dropped) {}

    /** Settles partition {@code p} as {@link #settle(long)} says. */
    static Settled settle(io.cairn.node.Records client, PartitionId p, long round) {
        long[] counts = {0, 0};
        Pruning g = new Pruning(round, r -> {
            client.apply(p, r.getKey(), true, new byte[0], null);
            counts[1]++;
        }, state -> {
            // Read whole (a scan has no blobs); gone if a write of the key dropped it meanwhile.
            Optional<Record> whole = client.get(p, state.getKey(), true).filter(x -> !x.getTombstone());
            if (whole.isEmpty()) {
                return;
            }
            Record own = BackupView.asKey(whole.get());
            java.nio.ByteBuffer blob = own.getHasBlob() ? own.getBlob().asReadOnlyByteBuffer() : null;
            if (client.applyIfStill(p, own.getKey(), NO_VERSION, own.getMeta().toByteArray(), blob)) {
                counts[0]++;
            }
        });
        eachRecord(client, p, "", SCAN_PAGE, r -> State.of(r).ifPresentOrElse(st -> g.take(r, st), () -> g.own(r.getKey())));
        g.keyDone();
        if (client.get(p, LEDGER_KEY, false).filter(r -> !r.getTombstone()).isPresent()) {
            client.apply(p, LEDGER_KEY, true, new byte[0], null);
        }
        return new Settled(counts[0], counts[1]);
    }

    /** The version before every version: a write only if it is still this one is a write only if the key has none (a tombstone is one). */
    private static final io.cairn.node.rpc.Version NO_VERSION = io.cairn.node.rpc.Version.newBuilder().setEpoch(0).setSeq(0).build();

    /** Set once this node recorded the promoted site as settled. */
    private volatile boolean settledHere;
    /** How long the settling pass that ended with {@link #settledHere} took, in milliseconds. */
    private volatile long settleMillis;
    /** States this node dropped since it started. */
    private final java.util.concurrent.atomic.AtomicLong statesDropped = new java.util.concurrent.atomic.AtomicLong();
    /** Keys this node wrote as their own records from their states, settling a promoted site, since it started. */
    private final java.util.concurrent.atomic.AtomicLong statesSettled = new java.util.concurrent.atomic.AtomicLong();

    /**
     * One partition's records in key order (a key's own record, then its states in round order), and
     * the states of each key no reader of the round pruned to needs. Settling (with {@code settle}, on
     * a promoted site), every state goes, those of later rounds too: the one the key shows is first
     * written as the key's own record, if it has none.
     */
    private static final class Pruning {
        final long round;
        final java.util.function.Consumer<Record> drop;
        /** Null when pruning a backup site that takes rounds. */
        final java.util.function.Consumer<Record> settle;
        String key;
        boolean ownSeen;
        Record newest;
        boolean newestTombstone;

        Pruning(long round, java.util.function.Consumer<Record> drop) {
            this(round, drop, null);
        }

        Pruning(long round, java.util.function.Consumer<Record> drop, java.util.function.Consumer<Record> settle) {
            this.round = round;
            this.drop = drop;
            this.settle = settle;
        }

        /** A key's own record (it comes before the key's states): a key that has one is not written from a state. */
        void own(String ownKey) {
            if (!ownKey.equals(key)) {
                keyDone();
                key = ownKey;
            }
            ownSeen = true;
        }

        void take(Record r, State st) {
            if (!st.key().equals(key)) {
                keyDone();
                key = st.key();
            }
            if (st.round() <= round) {
                // States come in round order: the one before is older than this one.
                if (newest != null) {
                    drop.accept(newest);
                }
                newest = r;
                newestTombstone = st.tombstone();
            } else if (settle != null) {
                drop.accept(r); // a round after the final one: shipped, never shown
            }
        }

        /** The key's records are all taken: its newest state in the round goes too if it is a tombstone, or when settling. */
        void keyDone() {
            if (newest != null && settle != null) {
                if (!newestTombstone && !ownSeen) {
                    settle.accept(newest);
                }
                drop.accept(newest);
            } else if (newest != null && newestTombstone) {
                drop.accept(newest);
            }
            newest = null;
            newestTombstone = false;
            ownSeen = false;
        }
    }

    /** Every record of partition {@code p} under {@code prefix} in key order, read {@code pageSize} at a time (scans leave tombstones out). */
    static void eachRecord(io.cairn.node.Records client, PartitionId p, String prefix, int pageSize,
                           java.util.function.Consumer<Record> each) {
        String after = "";
        while (true) {
            List<Record> page = client.scan(p, prefix, after, pageSize);
            page.forEach(each);
            if (page.size() < pageSize) {
                return;
            }
            after = page.getLast().getKey();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** Whether this node is the backup's first up node, the one that moves the round shown on. */
    private boolean showsHere() {
        return node.mapView().current().map().firstUpDataNode().map(node.config().nodeId()::equals).orElse(false);
    }

    private void showNewest() {
        try {
            if (!showsHere() || !marks.get().shipping()) {
                return;
            }
            Summary s = state();
            if (s.visibleRound() > marks.get().shownRound()) {
                io.cairn.meta.MetaResult r = node.meta().submit(new io.cairn.meta.MetaCommand.ShowBackupRound(s.visibleRound(),
                        System.currentTimeMillis()));
                if (r.ok()) {
                    marks.refresh();
                }
            }
        } catch (io.cairn.node.ClusterException | io.cairn.meta.MetaUnavailableException | IOException e) {
            log.info("backup site: the round shown is not moved on now: {}", e.toString());
        } catch (RuntimeException e) {
            log.error("backup site: the round shown cannot be moved on", e);
        }
    }

    /** What {@link #takeBuckets} did: buckets created, dropped, whose settings changed, and dropped once the round shown has none of their objects. */
    public record TakenBuckets(List<String> created, List<String> dropped, List<String> changed, List<String> waiting) {}

    /**
     * Makes this backup site's buckets the primary site's, as its map of epoch {@code epoch} has
     * them: creates each one it lacks (with the same creation time, which names its records, and
     * owner), sets the settings a bucket carries (default encryption, policy, CORS, tags, Block
     * Public Access, Object Ownership, lifecycle; not its grants, which are the backup's own), and
     * drops a bucket the primary no longer has (or made again) once the round shown has none of its
     * objects: the primary emptied it before dropping it, and the backup shows those deletes only
     * when their round is shown. A map older than one sent before drops nothing. Refused once this
     * site is promoted (or being promoted): it is no one's backup any more.
     */
    public TakenBuckets takeBuckets(List<io.cairn.core.map.BucketInfo> buckets, List<PoolInfo> pools, long epoch) {
        if (!marks.get().shipping()) {
            throw new IllegalStateException("this backup site is " + marks.get().stage() + ": it takes no buckets from a primary site any more");
        }
        boolean newest;
        synchronized (this) {
            newest = epoch >= bucketsEpoch;
            bucketsEpoch = Math.max(bucketsEpoch, epoch);
        }
        io.cairn.core.map.ClusterMap map = node.mapView().current().map();
        Set<String> sentPools = new TreeSet<>();
        for (PoolInfo pool : pools) {
            sentPools.add(pool.name());
            Optional<PoolInfo> mine = map.pool(pool.name());
            if (mine.isEmpty()) {
                submit(new io.cairn.meta.MetaCommand.CreatePool(pool), "pool " + pool.name());
            } else if (mine.get().partitions() != pool.partitions()) {
                throw new IllegalArgumentException("pool " + pool.name() + " has " + mine.get().partitions()
                        + " partitions on the backup site and " + pool.partitions() + " on the primary site: they must be equal");
            }
        }
        Map<String, io.cairn.core.map.BucketInfo> sent = new TreeMap<>();
        buckets.forEach(b -> sent.put(b.name(), b));
        List<String> created = new java.util.ArrayList<>();
        List<String> dropped = new java.util.ArrayList<>();
        List<String> changed = new java.util.ArrayList<>();
        List<String> waiting = new java.util.ArrayList<>();
        Set<String> gone = new TreeSet<>();
        for (io.cairn.core.map.BucketInfo mine : map.buckets()) {
            io.cairn.core.map.BucketInfo theirs = sent.get(mine.name());
            if ((theirs != null && theirs.createdMillis() == mine.createdMillis()) || !sentPools.contains(mine.pool())
                    || (theirs == null && !newest)) {
                continue;
            }
            if (shownEmpty.test(mine.name())) {
                submit(new io.cairn.meta.MetaCommand.DeleteBucket(mine.name()), "bucket " + mine.name());
                dropped.add(mine.name());
            } else {
                waiting.add(mine.name());
            }
            gone.add(mine.name());
        }
        for (io.cairn.core.map.BucketInfo b : buckets) {
            Optional<io.cairn.core.map.BucketInfo> mine = map.bucket(b.name());
            if (mine.isPresent() && mine.get().createdMillis() == b.createdMillis()) {
                if (takeSettings(mine.get(), b)) {
                    changed.add(b.name());
                }
            } else if (!waiting.contains(b.name())) {
                submit(new io.cairn.meta.MetaCommand.CreateBucket(b, 0), "bucket " + b.name());
                created.add(b.name());
            }
        }
        if (!created.isEmpty() || !dropped.isEmpty() || !changed.isEmpty()) {
            node.mapView().refresh();
        }
        if (!gone.isEmpty() || !created.isEmpty() || !changed.isEmpty()) {
            log.info("backup site: buckets of the primary site taken: created {}, dropped {}, settings changed {}, to drop once the round"
                    + " shown has none of their objects {}", created, dropped, changed, waiting);
        }
        return new TakenBuckets(created, dropped, changed, waiting);
    }

    /** A setting a bucket carries: how it is read, and the command that sets it (null removes it). */
    private record Setting<T>(java.util.function.Function<io.cairn.core.map.BucketInfo, T> of,
                              java.util.function.BiFunction<String, T, io.cairn.meta.MetaCommand> set) {
        /** The command that gives {@code mine} the setting of {@code theirs}, if they differ. */
        Optional<io.cairn.meta.MetaCommand> change(io.cairn.core.map.BucketInfo mine, io.cairn.core.map.BucketInfo theirs) {
            T wanted = of.apply(theirs);
            return java.util.Objects.equals(of.apply(mine), wanted) ? Optional.empty() : Optional.of(set.apply(mine.name(), wanted));
        }
    }

    /** The settings a backup site takes from its primary's buckets (grants are its own). */
    private static final List<Setting<?>> SETTINGS = List.of(
            new Setting<>(io.cairn.core.map.BucketInfo::defaultEncryption, io.cairn.meta.MetaCommand.SetBucketEncryption::new),
            new Setting<>(io.cairn.core.map.BucketInfo::policy, io.cairn.meta.MetaCommand.SetBucketPolicy::new),
            new Setting<>(io.cairn.core.map.BucketInfo::cors, io.cairn.meta.MetaCommand.SetBucketCors::new),
            new Setting<>(io.cairn.core.map.BucketInfo::tags, io.cairn.meta.MetaCommand.SetBucketTags::new),
            new Setting<>(io.cairn.core.map.BucketInfo::publicAccessBlock, io.cairn.meta.MetaCommand.SetBucketPublicAccessBlock::new),
            new Setting<>(io.cairn.core.map.BucketInfo::objectOwnership, io.cairn.meta.MetaCommand.SetBucketOwnership::new),
            new Setting<>(io.cairn.core.map.BucketInfo::lifecycle, io.cairn.meta.MetaCommand.SetBucketLifecycle::new));

    /** Sets each of {@code theirs}'s settings that differs here; whether any did. */
    private boolean takeSettings(io.cairn.core.map.BucketInfo mine, io.cairn.core.map.BucketInfo theirs) {
        boolean any = false;
        for (Setting<?> setting : SETTINGS) {
            Optional<io.cairn.meta.MetaCommand> c = setting.change(mine, theirs);
            if (c.isPresent()) {
                submit(c.get(), "the settings of bucket " + mine.name());
                any = true;
            }
        }
        return any;
    }

    private void submit(io.cairn.meta.MetaCommand c, String what) {
        io.cairn.meta.MetaResult r = node.meta().submit(c);
        if (!r.ok() && !io.cairn.meta.MetaResult.POOL_EXISTS.equals(r.error())) {
            throw new IllegalStateException(what + " not taken by the backup site's map: " + r.error());
        }
    }

    /**
     * Promotes this backup site: it takes no more rounds, the round it shows is final, and it opens
     * for writes (each key keeps its state in that round until it is written again).
     */
    public BackupMark promote() {
        BackupMark now = marks.get();
        if (now.shipping()) {
            io.cairn.meta.MetaResult r = node.meta().submit(new io.cairn.meta.MetaCommand.PromoteBackup(BackupMark.PROMOTING));
            if (!r.ok()) {
                throw new IllegalArgumentException("the backup site cannot be promoted: it shows no round yet (" + r.error() + ")");
            }
        }
        io.cairn.meta.MetaResult r = node.meta().submit(new io.cairn.meta.MetaCommand.PromoteBackup(BackupMark.PROMOTED));
        if (!r.ok() && !node.meta().read().backupMark().promoted()) {
            throw new IllegalStateException("the backup site could not be promoted: " + r.error());
        }
        marks.refresh();
        return marks.get();
    }

    public BackupMark mark() {
        return marks.get();
    }

    /**
     * Where a primary site sends each partition's pages: the S3 address ({@code host:port}) of the
     * partition's primary here, which writes the kept states itself and mirrors them to the other
     * holders (a page sent elsewhere is written through that primary, one hop more).
     */
    public Map<PartitionId, String> primaries() {
        io.cairn.node.MapView.Current current = node.mapView().current();
        Map<PartitionId, String> out = new TreeMap<>();
        for (PartitionId p : partitions()) {
            current.placement().of(p).primary(current.map()).flatMap(current.map()::node)
                    .ifPresent(n -> out.put(p, n.publicAddress()));
        }
        return out;
    }

    /** The partitions the backup takes: every partition of the replicated pools of this cluster's map. */
    public Set<PartitionId> partitions() {
        TreeSet<PartitionId> out = new TreeSet<>();
        for (PoolInfo pool : node.mapView().current().map().pools()) {
            if (pool.policy().kind() != StoragePolicy.Kind.ERASURE_CODED) {
                for (int i = 0; i < pool.partitions(); i++) {
                    out.add(new PartitionId(pool.name(), i));
                }
            }
        }
        return out;
    }

    /** The key a state of {@code key} in {@code round} is kept under. */
    public static String stateKey(String key, long round) {
        return key + '\u0000' + String.format("%016x", round);
    }

    /** The backup's position of each partition asked about that it takes. */
    public Map<PartitionId, ShipPosition> positions(Set<PartitionId> asked) throws IOException {
        Set<PartitionId> mine = partitions();
        Map<PartitionId, ShipPosition> out = new TreeMap<>();
        for (PartitionId p : asked) {
            if (mine.contains(p)) {
                out.put(p, read(p).account().position());
            }
        }
        return out;
    }

    /** Takes page {@code s} if the backup's account of its partition admits it. */
    public BackupLedger.Decision ship(Shipment s) throws IOException {
        PartitionId p = s.partition();
        if (!marks.get().shipping()) {
            return new BackupLedger.Decision(false, false, "the backup site was promoted: it takes no more rounds");
        }
        if (!partitions().contains(p)) {
            return new BackupLedger.Decision(false, false, "the backup site has no replicated partition " + p
                    + " (its pools and partition counts must be the primary site's)");
        }
        for (LogRecord r : s.records()) {
            if (r.carriesData()) {
                if (r.blob() == null || r.blob().remaining() != r.blobLength()) {
                    return new BackupLedger.Decision(false, false, "record " + r + " came without its bytes");
                }
                if (RecordCodec.crc32c(r.blob()) != r.blobCrc32c()) {
                    return new BackupLedger.Decision(false, false, "record " + r + " does not match its checksum");
                }
            }
        }
        ReentrantLock lock = locks.computeIfAbsent(p, x -> new ReentrantLock());
        lock.lock();
        try {
            Kept kept = read(p);
            BackupLedger ledger = new BackupLedger(Set.of(p));
            ledger.restore(p, kept.account());
            BackupLedger.Decision d = ledger.admit(s);
            if (!d.take()) {
                return d;
            }
            PartitionClient client = node.partitionClient();
            if (!s.held().isEmpty()) {
                long upTo = kept.account().position().round();
                BackupLedger.Decision held = BackupLedger.checkHeld(s,
                        key -> newestState(client, p, key, upTo, SCAN_PAGE).map(k -> k.state().version()).orElse(null));
                heldChecked.addAndGet(s.held().size());
                if (!held.take()) {
                    heldMissing.addAndGet(held.missing().size());
                    return held;
                }
            }
            if (s.first()) {
                boolean leftOver = kept.account().underWay() != null;
                if (leftOver || !s.last() || !s.records().isEmpty()) {
                    // The round is under way before any of its records is kept, so that what an attempt
                    // that does not finish leaves is dropped by the next one. Written before that drop:
                    // another node still taking the earlier attempt's pages (its shipper gave up
                    // waiting and sent them here) may yet finish it; once this is written it cannot,
                    // and if it did first, this write fails and nothing of its round is dropped.
                    BackupLedger.Account begun = new BackupLedger.Account(kept.account().position(), s.round(), s.shipper(),
                            kept.account().whole(), kept.account().holed());
                    if (!write(p, kept.version(), begun)) {
                        return changed(p, s);
                    }
                    kept = read(p);
                    if (leftOver) {
                        dropAbove(p, begun.position().round());
                    }
                }
            }
            for (LogRecord r : s.records()) {
                ByteBuffer blob = r.carriesData() ? r.blob() : null;
                client.apply(p, stateKey(r.key(), s.round()), false, stateMeta(r), blob);
            }
            recordsTaken.addAndGet(s.records().size());
            ledger.taken(s);
            pagesTaken.incrementAndGet();
            io.cairn.node.MapView.Current current = node.mapView().current();
            if (current.placement().of(p).primary(current.map()).map(node.config().nodeId()::equals).orElse(false)) {
                pagesTakenAsPrimary.incrementAndGet();
            }
            if (s.last() || s.hole()) {
                // Rounds below the one shown are not needed again: it stays in every partition's whole rounds.
                long v = marks.get().shownRound();
                if (v > 0 && ledger.visibleRounds().contains(v)) {
                    ledger.forgetBelow(v);
                }
                if (!write(p, kept.version(), ledger.account(p))) {
                    return changed(p, s);
                }
            }
            return d;
        } finally {
            lock.unlock();
        }
    }

    private static BackupLedger.Decision changed(PartitionId p, Shipment s) {
        return new BackupLedger.Decision(false, true, "the backup's account of " + p + " changed while round " + s.round()
                + " was being taken");
    }

    /** A kept state as read: its raw record (under its state key) and what it holds. */
    record StateRecord(Record record, State state) {}

    /** {@code key}'s newest kept state (tombstones too) in a round up to {@code round}, read {@code pageSize} states at a time. */
    static Optional<StateRecord> newestState(io.cairn.node.Records client, PartitionId p, String key, long round, int pageSize) {
        StateRecord[] best = {null};
        eachRecord(client, p, key + '\u0000', pageSize, r -> State.of(r)
                .filter(st -> st.key().equals(key) && st.round() <= round && (best[0] == null || st.round() > best[0].state().round()))
                .ifPresent(st -> best[0] = new StateRecord(r, st)));
        return Optional.ofNullable(best[0]);
    }

    /** Removes every state of partition {@code p} of a round after {@code round}: what an unfinished attempt left. */
    private void dropAbove(PartitionId p, long round) {
        PartitionClient client = node.partitionClient();
        eachRecord(client, p, "", SCAN_PAGE, r -> State.of(r).filter(st -> st.round() > round)
                .ifPresent(st -> client.apply(p, r.getKey(), true, new byte[0], null)));
    }

    /**
     * The meta of a kept state: format, flags (tombstone), the version at the primary site, then the
     * record's own meta.
     */
    static byte[] stateMeta(LogRecord r) {
        ByteBuffer b = ByteBuffer.allocate(2 + 16 + r.meta().length);
        b.put(STATE_FORMAT).put((byte) (r.tombstone() ? 1 : 0)).putLong(r.version().epoch()).putLong(r.version().seq()).put(r.meta());
        return b.array();
    }

    /** A kept state, as read back: the shipped key, its round, its version at the primary site, and whether it is a tombstone. */
    public record State(String key, long round, Version version, boolean tombstone, byte[] meta) {
        static Optional<State> of(Record r) {
            String k = r.getKey();
            int zero = k.lastIndexOf('\u0000');
            if (zero <= 0 || k.length() - zero - 1 != 16) {
                return Optional.empty();
            }
            long round;
            try {
                round = Long.parseUnsignedLong(k.substring(zero + 1), 16);
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            ByteBuffer m = r.getMeta().asReadOnlyByteBuffer();
            if (m.remaining() < 18 || m.get() != STATE_FORMAT) {
                throw new IllegalStateException("the backup's state " + k.replace('\u0000', '@') + " has a meta of an unknown format");
            }
            boolean tombstone = m.get() == 1;
            Version v = new Version(m.getLong(), m.getLong());
            byte[] meta = new byte[m.remaining()];
            m.get(meta);
            return Optional.of(new State(k.substring(0, zero), round, v, tombstone, meta));
        }
    }

    /** The backup's state: the rounds it may show, and each partition's position. */
    public record Summary(long visibleRound, int partitions, int partitionsShipped, int roundsWithHoles, long lowestRound,
                          long pagesTakenHere, long pagesTakenHereAsPrimary, long recordsTakenHere, long heldCheckedHere,
                          long heldMissingHere, long statesDroppedHere, long statesSettledHere,
                          boolean settledHere, long settleMillis) {}

    /** Reads every partition's account: the newest round every partition took whole is the one the backup shows. */
    public Summary state() throws IOException {
        Set<PartitionId> all = partitions();
        BackupLedger ledger = new BackupLedger(all);
        int shipped = 0;
        long lowest = Long.MAX_VALUE;
        Map<PartitionId, BackupLedger.Account> accounts;
        try {
            accounts = eachPartition(all, p -> {
                try {
                    return read(p).account();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        for (PartitionId p : all) {
            BackupLedger.Account a = accounts.get(p);
            ledger.restore(p, a);
            if (a.position().round() > 0) {
                shipped++;
            }
            lowest = Math.min(lowest, a.position().round());
        }
        TreeSet<Long> visible = ledger.visibleRounds();
        long v = visible.isEmpty() ? 0 : visible.last();
        return new Summary(v, all.size(), shipped, ledger.roundsWithHoles(), all.isEmpty() ? 0 : lowest, pagesTaken.get(),
                pagesTakenAsPrimary.get(), recordsTaken.get(), heldChecked.get(), heldMissing.get(), statesDropped.get(), statesSettled.get(),
                settledHere, settleMillis);
    }

    /**
     * Every key under {@code prefix} as the backup shows it: its newest state in a round at most
     * {@code round}, tombstones left out. Reads every replicated partition: for checks and tools.
     */
    public Map<String, State> visible(String prefix, long round) {
        Map<String, State> out = new TreeMap<>();
        PartitionClient client = node.partitionClient();
        for (PartitionId p : partitions()) {
            Map<String, State> newest = new HashMap<>();
            eachRecord(client, p, prefix, SCAN_PAGE, r -> State.of(r).filter(st -> st.round() <= round)
                    .ifPresent(st -> newest.merge(st.key(), st, (a, b) -> a.round() >= b.round() ? a : b)));
            newest.values().stream().filter(st -> !st.tombstone()).forEach(st -> out.put(st.key(), st));
        }
        return out;
    }

    /** Every kept state of record key {@code key}, oldest first (from whichever partition holds it). */
    public List<State> states(String key) {
        List<State> out = new java.util.ArrayList<>();
        PartitionClient client = node.partitionClient();
        for (PartitionId p : partitions()) {
            eachRecord(client, p, key + '\u0000', SCAN_PAGE, r -> State.of(r).filter(st -> st.key().equals(key)).ifPresent(out::add));
        }
        return out;
    }

    private record Kept(BackupLedger.Account account, io.cairn.node.rpc.Version version) {}

    private Kept read(PartitionId p) throws IOException {
        Optional<Record> r = node.partitionClient().get(p, LEDGER_KEY, true);
        if (r.isEmpty() || r.get().getTombstone()) {
            return new Kept(BackupLedger.Account.NONE, RecordCodec.version(Version.ZERO));
        }
        return new Kept(decode(JSON.readTree(r.get().getBlob().toByteArray())), r.get().getVersion());
    }

    private boolean write(PartitionId p, io.cairn.node.rpc.Version current, BackupLedger.Account a) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(encode(a));
        return node.partitionClient().applyIfStill(p, LEDGER_KEY, current, new byte[0], ByteBuffer.wrap(bytes));
    }

    static JsonNode encode(BackupLedger.Account a) {
        ObjectNode o = JSON.createObjectNode();
        o.put("round", a.position().round());
        o.set("boundary", version(a.position().boundary()));
        o.set("hole_until", version(a.position().holeUntil()));
        if (a.underWay() != null) {
            o.put("under_way", a.underWay());
            o.put("shipper", a.shipper());
        }
        ArrayNode whole = o.putArray("whole");
        a.whole().forEach(whole::add);
        ArrayNode holed = o.putArray("holed");
        a.holed().forEach(holed::add);
        return o;
    }

    static BackupLedger.Account decode(JsonNode o) throws IOException {
        if (!o.has("round") || !o.has("boundary") || !o.has("hole_until") || !o.has("whole") || !o.has("holed")) {
            throw new IOException("the backup's account of a partition lacks a field: " + o);
        }
        TreeSet<Long> whole = new TreeSet<>();
        o.get("whole").forEach(n -> whole.add(n.asLong()));
        TreeSet<Long> holed = new TreeSet<>();
        o.get("holed").forEach(n -> holed.add(n.asLong()));
        return new BackupLedger.Account(new ShipPosition(o.get("round").asLong(), version(o.get("boundary")), version(o.get("hole_until"))),
                o.has("under_way") ? o.get("under_way").asLong() : null, o.has("shipper") ? o.get("shipper").asText() : null,
                whole, holed);
    }

    private static JsonNode version(Version v) {
        ArrayNode a = JSON.createArrayNode();
        a.add(v.epoch()).add(v.seq());
        return a;
    }

    private static Version version(JsonNode n) {
        return new Version(n.get(0).asLong(), n.get(1).asLong());
    }
}
