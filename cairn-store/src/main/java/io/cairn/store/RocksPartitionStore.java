package io.cairn.store;

import io.cairn.core.store.PartitionStore;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.StoredRecord;
import io.cairn.core.store.BlobRead;
import io.cairn.core.store.ApplyOutcome;
import io.cairn.core.store.StoreStats;
import io.cairn.core.store.StoreFullException;
import io.cairn.core.store.StoreLimits;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The segment engine: blobs appended to segment files, with the index and partition log in
 * RocksDB, group-committed.
 *
 * <p>Layout: every data directory has {@code segments/<id>.seg} (append-only files of
 * {@link SegmentRecord}s); the first one also has {@code index/}, a RocksDB database with
 * column families {@code records} (partition + key → {@link RecordHeader} with the blob's
 * segment, offset and length), {@code log} (partition + version + key; one entry per key,
 * for its latest version), {@code local}, and {@code segments} (segment id → committed end:
 * the end of the bytes the index may point into).
 *
 * <p>Write path: the caller takes the key's lock and checks the version, then hands the
 * write to the {@link GroupCommitter}, which appends the blobs of every waiting write to the
 * active segment, forces it once, and commits all index changes plus the new committed ends
 * in one synced batch. A write returns only after both. Since the index never points past
 * a committed end, and a committed end never past forced bytes, reopening cuts every
 * segment back to its committed end: whatever lies beyond is a torn or unacknowledged tail.
 */
public final class RocksPartitionStore implements PartitionStore {

    private static final int LOCK_STRIPES = 1024;
    private static final int BLOB_READ_ATTEMPTS_MAX = 4;
    /** A store with less room than this above the reserve on every directory reports itself full. */
    static final long FULL_MARGIN_BYTES = 1 << 20;
    private static final byte[] EMPTY = new byte[0];
    private static final String RECORDS_FAMILY = "records";
    private static final String LOG_FAMILY = "log";
    private static final String LOCAL_FAMILY = "local";
    private static final String SEGMENTS_FAMILY = "segments";
    private static final String UNDER_FAMILY = "under";

    private final List<DataDirectory> dirs;
    private final SegmentIo io;
    private final StoreConfig config;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions familyOptions;
    private final WriteOptions syncWrite;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles;
    private final ColumnFamilyHandle records;
    private final ColumnFamilyHandle log;
    private final ColumnFamilyHandle local;
    private final ColumnFamilyHandle segmentsFamily;
    /** The under-protected index: keys laid out as in the log, one per write acknowledged with too few copies. */
    private final ColumnFamilyHandle under;
    private final Map<PartitionId, AtomicLong> underMarks = new ConcurrentHashMap<>();
    private final Map<Long, Segment> segments = new ConcurrentHashMap<>();
    private final KeyLocks locks = new KeyLocks(LOCK_STRIPES);
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final AtomicLong usedBytes = new AtomicLong();
    private final AtomicLong recordCount = new AtomicLong();
    private final AtomicLong corruptions = new AtomicLong();
    private SegmentRecovery recovery;
    private SegmentWriter writer;
    private GroupCommitter committer;
    private Compactor compactor;
    private volatile boolean full;
    private boolean closed;

    private RocksPartitionStore(List<DataDirectory> dirs, SegmentIo io, StoreConfig config, DBOptions dbOptions,
            ColumnFamilyOptions familyOptions, RocksDB db, List<ColumnFamilyHandle> handles) {
        this.dirs = dirs;
        this.io = io;
        this.config = config;
        this.dbOptions = dbOptions;
        this.familyOptions = familyOptions;
        this.syncWrite = new WriteOptions().setSync(true);
        this.db = db;
        this.handles = handles;
        this.records = handles.get(1);
        this.log = handles.get(2);
        this.local = handles.get(3);
        this.segmentsFamily = handles.get(4);
        this.under = handles.get(5);
    }

    /** Opens (creating if needed) a store with one data directory and the default configuration. */
    public static RocksPartitionStore open(Path dataDir) throws IOException {
        return open(List.of(dataDir), StoreConfig.DEFAULTS, FileSegmentIo.INSTANCE);
    }

    /** Opens a store over several data directories (normally one per disk); the index lives in the first. */
    public static RocksPartitionStore open(List<Path> dataDirs) throws IOException {
        return open(dataDirs, StoreConfig.DEFAULTS, FileSegmentIo.INSTANCE);
    }

    public static RocksPartitionStore open(List<Path> dataDirs, StoreConfig config) throws IOException {
        return open(dataDirs, config, FileSegmentIo.INSTANCE);
    }

    /**
     * Opens the store, cutting every segment back to its committed end and deleting segment
     * files the index does not know. io performs the segment file operations.
     */
    public static RocksPartitionStore open(List<Path> dataDirs, StoreConfig config, SegmentIo io) throws IOException {
        if (dataDirs == null || dataDirs.isEmpty() || dataDirs.size() > 256) {
            throw new IllegalArgumentException("a store needs 1 to 256 data directories: " + dataDirs);
        }
        List<Path> distinct = new ArrayList<>(new LinkedHashSet<>(dataDirs.stream()
                .map(d -> d.toAbsolutePath().normalize()).toList()));
        if (distinct.size() != dataDirs.size()) {
            throw new IllegalArgumentException("data directories repeat: " + dataDirs);
        }
        List<DataDirectory> dirs = new ArrayList<>();
        for (int i = 0; i < distinct.size(); i++) {
            DataDirectory d = new DataDirectory(i, distinct.get(i));
            try {
                Files.createDirectories(d.segments());
            } catch (IOException e) {
                if (i == 0) {
                    throw e;
                }
                d.markFailed("cannot create " + d.segments() + ": " + e.getMessage());
            }
            dirs.add(d);
        }
        Path index = dirs.getFirst().root().resolve("index");
        Files.createDirectories(index);

        RocksDB.loadLibrary();
        DBOptions dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setKeepLogFileNum(3);
        ColumnFamilyOptions familyOptions = new ColumnFamilyOptions();
        List<ColumnFamilyDescriptor> families = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions),
                new ColumnFamilyDescriptor(RECORDS_FAMILY.getBytes(StandardCharsets.UTF_8), familyOptions),
                new ColumnFamilyDescriptor(LOG_FAMILY.getBytes(StandardCharsets.UTF_8), familyOptions),
                new ColumnFamilyDescriptor(LOCAL_FAMILY.getBytes(StandardCharsets.UTF_8), familyOptions),
                new ColumnFamilyDescriptor(SEGMENTS_FAMILY.getBytes(StandardCharsets.UTF_8), familyOptions),
                new ColumnFamilyDescriptor(UNDER_FAMILY.getBytes(StandardCharsets.UTF_8), familyOptions));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db;
        try {
            db = RocksDB.open(dbOptions, index.toString(), families, handles);
        } catch (RocksDBException e) {
            familyOptions.close();
            dbOptions.close();
            throw new IOException("cannot open the store index in " + index + ": " + e.getMessage(), e);
        }
        RocksPartitionStore store = new RocksPartitionStore(List.copyOf(dirs), io, config, dbOptions, familyOptions,
                db, handles);
        try {
            long nextId = store.recoverSegments();
            store.countRecords();
            store.countUnderProtectedMarks();
            store.writer = new SegmentWriter(store.dirs, io, config, store.segments, nextId);
            store.committer = new GroupCommitter(store.writer, db, store.syncWrite, store.segmentsFamily, config,
                    "cairn-store-commit-" + dirs.getFirst().root().getFileName());
            store.compactor = new Compactor(store, config);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** Cuts each segment to its committed end; returns the next free segment id. */
    private long recoverSegments() throws IOException {
        Map<Long, Long> committedEnds = new HashMap<>();
        try (RocksIterator it = db.newIterator(segmentsFamily)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                committedEnds.put(ByteBuffer.wrap(it.key()).getLong(), ByteBuffer.wrap(it.value()).getLong());
            }
            checkStatus(it);
        }
        long maxId = committedEnds.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        int opened = 0;
        long truncated = 0;
        int whole = 0;
        int torn = 0;
        int orphans = 0;
        for (DataDirectory d : dirs) {
            if (d.failed()) {
                continue;
            }
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> listing = Files.newDirectoryStream(d.segments(), "*.seg")) {
                listing.forEach(files::add);
            } catch (IOException e) {
                d.markFailed("cannot list " + d.segments() + ": " + e.getMessage());
                continue;
            }
            boolean deleted = false;
            for (Path file : files) {
                long id = Segment.idOf(file.getFileName().toString());
                if (id < 1) {
                    continue;
                }
                maxId = Math.max(maxId, id);
                Long end = committedEnds.get(id);
                if (end == null) {
                    io.delete(file);
                    deleted = true;
                    orphans++;
                    continue;
                }
                if (segments.containsKey(id)) {
                    throw new IllegalStateException("segment " + id + " exists in two data directories: "
                            + segments.get(id).file() + " and " + file);
                }
                SegmentChannel ch;
                try {
                    ch = io.open(file);
                    long size = ch.size();
                    if (size > end) {
                        int[] counts = scanTail(ch, end, size);
                        whole += counts[0];
                        torn += counts[1];
                        truncated += size - end;
                        ch.truncate(end);
                        ch.force();
                    }
                } catch (IOException e) {
                    d.markFailed("cannot recover " + file + ": " + e.getMessage());
                    break;
                }
                Segment s = new Segment(id, d, file, ch, io, end);
                s.seal();
                segments.put(id, s);
                opened++;
            }
            if (deleted) {
                io.syncDirectory(d.segments());
            }
        }
        recovery = new SegmentRecovery(opened, truncated, whole, torn, orphans);
        return maxId + 1;
    }

    /** Counts whole records (CRC32C intact) and torn ones in [from, to) of a segment; returns {whole, torn}. */
    private static int[] scanTail(SegmentChannel ch, long from, long to) throws IOException {
        int whole = 0;
        long at = from;
        SegmentRecord.Header[] parsed = new SegmentRecord.Header[1];
        while (at < to) {
            int headerMax = (int) Math.min(to - at, SegmentRecord.headerBytes(StoreLimits.KEY_BYTES_MAX + 600));
            ByteBuffer head = ByteBuffer.allocate(headerMax);
            ch.read(head, at);
            head.flip();
            if (SegmentRecord.parseHeader(head, parsed) != null) {
                break;
            }
            SegmentRecord.Header h = parsed[0];
            if (at + h.recordBytes() > to) {
                break;
            }
            ByteBuffer data = ByteBuffer.allocate(h.dataLength());
            ch.read(data, at + SegmentRecord.headerBytes(h.identity().length));
            if (SegmentRecord.crc32c(data.flip()) != h.dataCrc32c()) {
                break;
            }
            whole++;
            at += h.recordBytes();
        }
        return new int[] {whole, at < to ? 1 : 0};
    }

    private void countRecords() {
        long used = 0;
        long count = 0;
        try (RocksIterator it = db.newIterator(records)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                RecordHeader h = RecordHeader.decode(it.value());
                used += footprint(it.key().length, h);
                count++;
                BlobLocation at = h.location();
                if (at != null) {
                    Segment s = segments.get(at.segmentId());
                    if (s != null) {
                        if (at.end() > s.committedEnd()) {
                            throw new IllegalStateException("the index points past the committed end of " + s
                                    + ": " + at + " > " + s.committedEnd());
                        }
                        s.liveBytes().addAndGet(at.recordLength());
                    }
                }
            }
            checkStatus(it);
        }
        usedBytes.set(used);
        recordCount.set(count);
    }

    // ---- mutations ----

    @Override
    public ApplyOutcome apply(PartitionId p, Mutation m) throws IOException {
        byte[] prefix = KeyEncoding.partitionPrefix(p);
        byte[] keyBytes = KeyEncoding.recordKey(m.key());
        byte[] recordKey = KeyEncoding.concat(prefix, keyBytes);
        RecordHeader next = headerOf(m);
        enter();
        try {
            if (!m.tombstone()) {
                refuseWhenFull();
            }
            ReentrantLock lock = locks.of(recordKey);
            lock.lock();
            try {
                RecordHeader previous = storedHeader(recordKey);
                if (previous != null && !m.version().isAfter(previous.version())) {
                    return ApplyOutcome.STALE;
                }
                PendingWrite w = new PendingWrite(recordKey, m.version(), segmentData(m, next), next.blobCrc32c(), false,
                        (batch, at) -> {
                            batch.put(records, recordKey, next.at(at).encode());
                            if (previous != null) {
                                batch.delete(log, KeyEncoding.logKey(prefix, previous.version(), keyBytes));
                            }
                            batch.put(log, KeyEncoding.logKey(prefix, m.version(), keyBytes), EMPTY);
                            if (m.underProtected()) {
                                batch.put(under, KeyEncoding.logKey(prefix, m.version(), keyBytes), EMPTY);
                            }
                        });
                BlobLocation at = commit(w);
                if (m.underProtected()) {
                    underMarks.computeIfAbsent(p, id -> new AtomicLong()).incrementAndGet();
                }
                RecordHeader stored = next.at(at);
                usedBytes.addAndGet(footprint(recordKey.length, stored)
                        - (previous == null ? 0 : footprint(recordKey.length, previous)));
                if (previous == null) {
                    recordCount.incrementAndGet();
                }
                moveLiveBytes(previous == null ? null : previous.location(), at);
                return ApplyOutcome.APPLIED;
            } finally {
                lock.unlock();
            }
        } finally {
            exit();
        }
    }

    @Override
    public boolean repair(PartitionId p, Mutation m) throws IOException {
        byte[] prefix = KeyEncoding.partitionPrefix(p);
        byte[] recordKey = KeyEncoding.concat(prefix, KeyEncoding.recordKey(m.key()));
        RecordHeader next = headerOf(m);
        enter();
        try {
            ReentrantLock lock = locks.of(recordKey);
            lock.lock();
            try {
                RecordHeader stored = storedHeader(recordKey);
                if (stored == null || !stored.version().equals(m.version())) {
                    return false;
                }
                if (stored.tombstone() != m.tombstone()) {
                    throw new IllegalArgumentException("repair of " + p + " " + m.key() + " at " + m.version()
                            + " disagrees with the stored copy about being a tombstone");
                }
                PendingWrite w = new PendingWrite(recordKey, m.version(), segmentData(m, next), next.blobCrc32c(), true,
                        (batch, at) -> batch.put(records, recordKey, next.at(at).encode()));
                BlobLocation at = commit(w);
                usedBytes.addAndGet(footprint(recordKey.length, next.at(at)) - footprint(recordKey.length, stored));
                moveLiveBytes(stored.location(), at);
                return true;
            } finally {
                lock.unlock();
            }
        } finally {
            exit();
        }
    }

    private BlobLocation commit(PendingWrite w) throws IOException {
        try {
            return committer.commit(w);
        } catch (StoreFullException e) {
            full = true;
            throw e;
        }
    }

    private void refuseWhenFull() throws StoreFullException {
        if (full) {
            refreshFull();
            if (full) {
                throw new StoreFullException("store is full: free space is under the reserve (" + config.freeReserveBytes()
                        + " bytes or " + config.freeReserveRatio() + " of capacity) on every data directory;"
                        + " reads and deletes still work");
            }
        }
    }

    /**
     * Recomputes {@code full}: true when no healthy data directory has at least
     * {@link #FULL_MARGIN_BYTES} of free space above the reserve.
     */
    private void refreshFull() {
        boolean anyRoom = false;
        for (DataDirectory d : dirs) {
            if (d.failed()) {
                continue;
            }
            try {
                if (d.bytesAboveReserve(io, config) >= FULL_MARGIN_BYTES) {
                    anyRoom = true;
                    break;
                }
            } catch (IOException e) {
                d.markFailed("cannot read free space: " + e.getMessage());
            }
        }
        full = !anyRoom;
    }

    private void moveLiveBytes(BlobLocation from, BlobLocation to) {
        if (from != null) {
            Segment s = segments.get(from.segmentId());
            if (s != null) {
                s.liveBytes().addAndGet(-from.recordLength());
            }
        }
        if (to != null) {
            Segment s = segments.get(to.segmentId());
            if (s != null) {
                s.liveBytes().addAndGet(to.recordLength());
            }
        }
    }

    private RecordHeader headerOf(Mutation m) {
        if (m.blob() == null) {
            return new RecordHeader(m.version(), m.tombstone(), false, 0, 0, m.meta());
        }
        ByteBuffer blob = m.blob().duplicate();
        int crc = SegmentRecord.crc32c(blob);
        byte[] inline = null;
        if (blob.remaining() <= config.inlineBlobBytesMax()) {
            inline = new byte[blob.remaining()];
            blob.duplicate().get(inline);
            if (SegmentRecord.crc32c(ByteBuffer.wrap(inline)) != crc) {
                throw new IllegalStateException("blob of " + m.key() + " changed while it was being stored");
            }
        }
        return new RecordHeader(m.version(), m.tombstone(), true, blob.remaining(), crc, m.meta(), null, inline);
    }

    /** The blob to append to a segment: null for no blob or a blob kept inline in the index. */
    private static ByteBuffer segmentData(Mutation m, RecordHeader next) {
        return next.inline() != null ? null : m.blob();
    }

    @Override
    public void dropPartition(PartitionId p) throws IOException {
        byte[] prefix = KeyEncoding.partitionPrefix(p);
        byte[] end = KeyEncoding.partitionEnd(p);
        enter();
        try {
            locks.lockAll();
            Snapshot before = null;
            try (ReadOptions atBefore = new ReadOptions()) {
                before = db.getSnapshot();
                atBefore.setSnapshot(before);
                try (WriteBatch batch = new WriteBatch()) {
                    batch.deleteRange(records, prefix, end);
                    batch.deleteRange(log, prefix, end);
                    batch.deleteRange(under, prefix, end);
                    db.write(syncWrite, batch);
                    underMarks.remove(p);
                } catch (RocksDBException e) {
                    throw new IOException("dropping partition " + p + " failed: " + e.getMessage(), e);
                }
                try (RocksIterator it = db.newIterator(records, atBefore)) {
                    for (it.seek(prefix); it.isValid() && KeyEncoding.startsWith(it.key(), prefix); it.next()) {
                        RecordHeader h = RecordHeader.decode(it.value());
                        usedBytes.addAndGet(-footprint(it.key().length, h));
                        recordCount.decrementAndGet();
                        moveLiveBytes(h.location(), null);
                    }
                    checkStatus(it);
                }
            } finally {
                if (before != null) {
                    db.releaseSnapshot(before);
                }
                locks.unlockAll();
            }
        } finally {
            exit();
        }
        compactor.wake();
    }

    @Override
    public void putLocal(String key, byte[] value) throws IOException {
        byte[] k = localKey(key);
        if (value == null || value.length > StoreLimits.LOCAL_VALUE_BYTES_MAX) {
            throw new IllegalArgumentException("local value of " + key + " must be non-null and at most "
                    + StoreLimits.LOCAL_VALUE_BYTES_MAX + " bytes");
        }
        enter();
        try {
            db.put(local, syncWrite, k, value);
        } catch (RocksDBException e) {
            throw new IOException("writing local value " + key + " failed: " + e.getMessage(), e);
        } finally {
            exit();
        }
    }

    // ---- compaction (called by the Compactor) ----

    /** Sealed segments on healthy directories whose live bytes are under the threshold, emptiest first. */
    List<Segment> compactionCandidates() {
        List<Segment> out = new ArrayList<>();
        for (Segment s : segments.values()) {
            long end = s.committedEnd();
            if (s.sealed() && !s.dir().failed() && end > 0
                    && s.liveBytes().get() < config.compactionLiveRatioMin() * end) {
                out.add(s);
            }
        }
        out.sort((a, b) -> Double.compare((double) a.liveBytes().get() / a.committedEnd(),
                (double) b.liveBytes().get() / b.committedEnd()));
        return out;
    }

    /** A live record found in a segment: its record key and location. */
    record LiveRecord(byte[] recordKey, BlobLocation location) {}

    /** The records whose blobs live in segment id, in offset order. */
    List<LiveRecord> liveRecordsIn(long segmentId) {
        List<LiveRecord> out = new ArrayList<>();
        enter();
        try (RocksIterator it = db.newIterator(records)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                RecordHeader h = RecordHeader.decode(it.value());
                if (h.location() != null && h.location().segmentId() == segmentId) {
                    out.add(new LiveRecord(it.key(), h.location()));
                }
            }
            checkStatus(it);
        } finally {
            exit();
        }
        out.sort((a, b) -> Long.compare(a.location().offset(), b.location().offset()));
        return out;
    }

    /**
     * Copies one live record to the active segment through the group commit. Returns false
     * if it could not be copied (unreadable or corrupt), which keeps its segment.
     */
    boolean relocate(LiveRecord r) throws IOException {
        enter();
        try {
            ReentrantLock lock = locks.of(r.recordKey());
            lock.lock();
            try {
                RecordHeader h = storedHeader(r.recordKey());
                if (h == null || !r.location().equals(h.location())) {
                    return true;
                }
                Segment s = segments.get(r.location().segmentId());
                if (s == null || !s.tryAcquire()) {
                    return false;
                }
                BlobRead read;
                try {
                    read = SegmentRecord.verify(s.read(r.location()), r.recordKey(), h);
                } finally {
                    s.release();
                }
                if (!(read instanceof BlobRead.Found found)) {
                    corruptions.incrementAndGet();
                    return false;
                }
                PendingWrite w = new PendingWrite(r.recordKey(), h.version(), found.data(), h.blobCrc32c(), true,
                        (batch, at) -> batch.put(records, r.recordKey(), h.at(at).encode()));
                BlobLocation at = committer.commit(w);
                moveLiveBytes(r.location(), at);
                return true;
            } finally {
                lock.unlock();
            }
        } finally {
            exit();
        }
    }

    /** Forgets a segment nothing points into any more; its file goes once no reader holds it. */
    void retire(Segment s) throws IOException {
        enter();
        try {
            db.delete(segmentsFamily, syncWrite, GroupCommitter.segmentKey(s.id()));
        } catch (RocksDBException e) {
            throw new IOException("forgetting " + s + " failed: " + e.getMessage(), e);
        } finally {
            exit();
        }
        segments.remove(s.id(), s);
        s.retire();
    }

    /** Runs one compaction pass now (the background compactor also runs them on its own). */
    public CompactionReport compact() throws IOException {
        return compactor.runPass();
    }

    // ---- reads ----

    @Override
    public Optional<byte[]> getLocal(String key) {
        byte[] k = localKey(key);
        enter();
        try {
            return Optional.ofNullable(db.get(local, k));
        } catch (RocksDBException e) {
            throw unchecked(e);
        } finally {
            exit();
        }
    }

    private static byte[] localKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("local key must be non-empty");
        }
        return KeyEncoding.utf8(key, "local key", StoreLimits.KEY_BYTES_MAX);
    }

    @Override
    public Optional<StoredRecord> get(PartitionId p, String key) {
        byte[] recordKey = KeyEncoding.concat(KeyEncoding.partitionPrefix(p), KeyEncoding.recordKey(key));
        enter();
        try {
            RecordHeader h = storedHeader(recordKey);
            return h == null ? Optional.empty() : Optional.of(h.toStored(key));
        } finally {
            exit();
        }
    }

    @Override
    public BlobRead readBlob(PartitionId p, String key) {
        byte[] recordKey = KeyEncoding.concat(KeyEncoding.partitionPrefix(p), KeyEncoding.recordKey(key));
        enter();
        try {
            BlobRead read = null;
            for (int attempt = 1; attempt <= BLOB_READ_ATTEMPTS_MAX; attempt++) {
                RecordHeader h = storedHeader(recordKey);
                if (h == null || !h.hasBlob()) {
                    return new BlobRead.Missing();
                }
                read = readAt(recordKey, h);
                if (read instanceof BlobRead.Corrupt) {
                    RecordHeader now = storedHeader(recordKey);
                    if (now != null && !now.sameAs(h)) {
                        continue;
                    }
                }
                break;
            }
            if (read instanceof BlobRead.Corrupt) {
                corruptions.incrementAndGet();
            }
            return read;
        } finally {
            exit();
        }
    }

    private BlobRead readAt(byte[] recordKey, RecordHeader h) {
        if (h.inline() != null) {
            ByteBuffer data = ByteBuffer.wrap(h.inline());
            if (SegmentRecord.crc32c(data) != h.blobCrc32c()) {
                return new BlobRead.Corrupt("inline blob checksum mismatch");
            }
            return new BlobRead.Found(h.version(), data.asReadOnlyBuffer());
        }
        BlobLocation at = h.location();
        if (at == null) {
            return new BlobRead.Corrupt("the index holds no location for the blob");
        }
        Segment s = segments.get(at.segmentId());
        if (s == null || !s.tryAcquire()) {
            return new BlobRead.Corrupt("segment " + at.segmentId() + " holding the blob is missing");
        }
        try {
            if (s.dir().failed()) {
                return new BlobRead.Corrupt("data directory " + s.dir() + " has failed: " + s.dir().failure());
            }
            return SegmentRecord.verify(s.read(at), recordKey, h);
        } catch (IOException e) {
            return new BlobRead.Corrupt("reading " + s + " failed: " + e.getMessage());
        } finally {
            s.release();
        }
    }

    @Override
    public List<StoredRecord> scan(PartitionId p, String prefix, String afterKey, int limit,
            boolean includeTombstones) {
        checkLimit(limit);
        byte[] partition = KeyEncoding.partitionPrefix(p);
        byte[] from = KeyEncoding.concat(partition, KeyEncoding.keyBound(prefix, "scan prefix"));
        byte[] after = KeyEncoding.keyBound(afterKey, "scan after-key");
        byte[] seek = from;
        if (after.length > 0) {
            byte[] justAfter = KeyEncoding.concat(KeyEncoding.concat(partition, after), new byte[] {0});
            if (Arrays.compareUnsigned(justAfter, from) > 0) {
                seek = justAfter;
            }
        }
        List<StoredRecord> out = new ArrayList<>(Math.min(limit, 1024));
        enter();
        try (RocksIterator it = db.newIterator(records)) {
            for (it.seek(seek); it.isValid() && out.size() < limit; it.next()) {
                byte[] key = it.key();
                if (!KeyEncoding.startsWith(key, from)) {
                    break;
                }
                RecordHeader h = RecordHeader.decode(it.value());
                if (h.tombstone() && !includeTombstones) {
                    continue;
                }
                out.add(h.toStored(KeyEncoding.suffix(key, partition.length)));
            }
            checkStatus(it);
            return out;
        } finally {
            exit();
        }
    }

    @Override
    public List<StoredRecord> since(PartitionId p, Version after, int limit) {
        return logOrder(log, p, after, limit, false);
    }

    @Override
    public List<StoredRecord> underProtected(PartitionId p, Version after, int limit) {
        return logOrder(under, p, after, limit, true);
    }

    @Override
    public long underProtectedMarks(PartitionId p) {
        AtomicLong n = underMarks.get(p);
        return n == null ? 0 : n.get();
    }

    @Override
    public void clearUnderProtected(PartitionId p, Version upTo) throws IOException {
        AtomicLong marks = underMarks.get(p);
        if (marks == null || marks.get() == 0) {
            return;
        }
        byte[] prefix = KeyEncoding.partitionPrefix(p);
        byte[] from = KeyEncoding.logKey(prefix, Version.ZERO, EMPTY);
        byte[] to = upTo.seq() == Long.MAX_VALUE
                ? KeyEncoding.logKey(prefix, new Version(upTo.epoch() + 1, 0), EMPTY)
                : KeyEncoding.logKey(prefix, new Version(upTo.epoch(), upTo.seq() + 1), EMPTY);
        enter();
        try {
            long cleared = 0;
            try (RocksIterator it = db.newIterator(under)) {
                for (it.seek(from); it.isValid() && KeyEncoding.startsWith(it.key(), prefix)
                        && Arrays.compareUnsigned(it.key(), to) < 0; it.next()) {
                    cleared++;
                }
                checkStatus(it);
            }
            if (cleared > 0) {
                db.deleteRange(under, syncWrite, from, to);
                marks.addAndGet(-cleared);
            }
        } catch (RocksDBException e) {
            throw new IOException("clearing the under-protected marks of " + p + " failed: " + e.getMessage(), e);
        } finally {
            exit();
        }
    }

    /** Counts the under-protected marks of each partition at open. */
    private void countUnderProtectedMarks() {
        try (RocksIterator it = db.newIterator(under)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                underMarks.computeIfAbsent(KeyEncoding.decodePartition(it.key()), id -> new AtomicLong()).incrementAndGet();
            }
            checkStatus(it);
        }
    }

    /**
     * Records named by a family laid out like the log (partition, version, key), after a
     * version, in version order. A name whose version is no longer the key's latest is an error
     * in the log itself, and skipped ({@code skipSuperseded}) in the under-protected index.
     */
    private List<StoredRecord> logOrder(ColumnFamilyHandle family, PartitionId p, Version after, int limit, boolean skipSuperseded) {
        checkLimit(limit);
        if (after == null) {
            throw new IllegalArgumentException("after must not be null (use Version.ZERO)");
        }
        byte[] partition = KeyEncoding.partitionPrefix(p);
        List<StoredRecord> out = new ArrayList<>(Math.min(limit, 1024));
        enter();
        try {
            Snapshot snapshot = db.getSnapshot();
            try (ReadOptions atSnapshot = new ReadOptions().setSnapshot(snapshot);
                    RocksIterator it = db.newIterator(family, atSnapshot)) {
                for (it.seek(KeyEncoding.logKey(partition, after, EMPTY));
                        it.isValid() && out.size() < limit; it.next()) {
                    byte[] logKey = it.key();
                    if (!KeyEncoding.startsWith(logKey, partition)) {
                        break;
                    }
                    Version v = KeyEncoding.logVersion(logKey, partition.length);
                    if (!v.isAfter(after)) {
                        continue;
                    }
                    String key = KeyEncoding.logRecordKey(logKey, partition.length);
                    byte[] value = db.get(records, atSnapshot,
                            KeyEncoding.concat(partition, KeyEncoding.recordKey(key)));
                    RecordHeader h = value == null ? null : RecordHeader.decode(value);
                    if (h == null || !h.version().equals(v)) {
                        if (skipSuperseded) {
                            continue;
                        }
                        throw new IllegalStateException("partition log of " + p + " names " + key + " at " + v
                                + " but the index holds " + (h == null ? "nothing" : h.version()));
                    }
                    out.add(h.toStored(key));
                }
                checkStatus(it);
            } catch (RocksDBException e) {
                throw unchecked(e);
            } finally {
                db.releaseSnapshot(snapshot);
            }
            return out;
        } finally {
            exit();
        }
    }

    @Override
    public Version lastVersion(PartitionId p) {
        byte[] partition = KeyEncoding.partitionPrefix(p);
        byte[] beyond = KeyEncoding.concat(partition, new byte[] {(byte) 0x80});
        enter();
        try (RocksIterator it = db.newIterator(log)) {
            it.seekForPrev(beyond);
            if (it.isValid() && KeyEncoding.startsWith(it.key(), partition)) {
                return KeyEncoding.logVersion(it.key(), partition.length);
            }
            checkStatus(it);
            return Version.ZERO;
        } finally {
            exit();
        }
    }

    @Override
    public Set<PartitionId> partitions() {
        Set<PartitionId> out = new TreeSet<>();
        enter();
        try (RocksIterator it = db.newIterator(records)) {
            it.seekToFirst();
            while (it.isValid()) {
                PartitionId p = KeyEncoding.decodePartition(it.key());
                out.add(p);
                it.seek(KeyEncoding.partitionEnd(p));
            }
            checkStatus(it);
            return out;
        } finally {
            exit();
        }
    }

    /** Capacity and free space are summed over healthy data directories. */
    @Override
    public StoreStats stats() {
        enter();
        try {
            refreshFull();
            long capacity = 0;
            long free = 0;
            int failed = 0;
            for (DataDirectory d : dirs) {
                if (d.failed()) {
                    failed++;
                    continue;
                }
                try {
                    capacity += io.totalBytes(d.segments());
                    free += io.usableBytes(d.segments());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the space of " + d, e);
                }
            }
            return new StoreStats(capacity, free, usedBytes.get(), recordCount.get(), corruptions.get(), full, failed);
        } finally {
            exit();
        }
    }

    /** What opening the store found and cut in its segments. */
    public SegmentRecovery lastRecovery() {
        return recovery;
    }

    /**
     * The segment file holding the blob of key in p, for tests and tools that need to
     * inspect or damage it; the record starts at {@link #blobOffset}.
     *
     * @throws NoSuchElementException if the key has no stored blob
     */
    public Path blobPath(PartitionId p, String key) {
        BlobLocation at = locationOf(p, key);
        Segment s = segments.get(at.segmentId());
        if (s == null) {
            throw new NoSuchElementException("segment " + at.segmentId() + " of " + p + " " + key + " is missing");
        }
        return s.file();
    }

    /** The offset in {@link #blobPath} of the record (header, then data) holding the blob of key. */
    public long blobOffset(PartitionId p, String key) {
        return locationOf(p, key).offset();
    }

    /** The length of the whole record (header and data) holding the blob of key. */
    public int blobRecordBytes(PartitionId p, String key) {
        return locationOf(p, key).recordLength();
    }

    private BlobLocation locationOf(PartitionId p, String key) {
        byte[] recordKey = KeyEncoding.concat(KeyEncoding.partitionPrefix(p), KeyEncoding.recordKey(key));
        enter();
        try {
            RecordHeader h = storedHeader(recordKey);
            if (h == null || !h.hasBlob()) {
                throw new NoSuchElementException("no blob stored for " + p + " " + key);
            }
            if (h.location() == null) {
                throw new NoSuchElementException("the blob of " + p + " " + key + " is small and kept inline in the"
                        + " index, not in a segment");
            }
            return h.location();
        } finally {
            exit();
        }
    }

    /** Average writes sharing one group commit since open. */
    public double writesPerGroupCommit() {
        return committer.writesPerGroup();
    }

    @Override
    public void close() {
        if (compactor != null) {
            compactor.close();
        }
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (committer != null) {
                committer.close();
            }
            for (Segment s : segments.values()) {
                s.closeWhenReleased();
            }
            segments.clear();
            for (ColumnFamilyHandle h : handles) {
                h.close();
            }
            db.close();
            syncWrite.close();
            familyOptions.close();
            dbOptions.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    // ---- helpers ----

    private void enter() {
        lifecycle.readLock().lock();
        if (closed) {
            lifecycle.readLock().unlock();
            throw new IllegalStateException("the store in " + dirs.getFirst().root() + " is closed");
        }
    }

    private void exit() {
        lifecycle.readLock().unlock();
    }

    private RecordHeader storedHeader(byte[] recordKey) {
        try {
            byte[] value = db.get(records, recordKey);
            return value == null ? null : RecordHeader.decode(value);
        } catch (RocksDBException e) {
            throw unchecked(e);
        }
    }

    /** Bytes a record takes: its index entry, its log entry and its segment record. */
    private static long footprint(int recordKeyLength, RecordHeader h) {
        long index = recordKeyLength + (long) h.encodedLength();
        long logEntry = recordKeyLength + (long) KeyEncoding.VERSION_BYTES;
        long blob = h.location() != null ? h.location().recordLength() : 0;
        return index + logEntry + blob;
    }

    private static void checkLimit(int limit) {
        if (limit < 1 || limit > StoreLimits.LIST_LIMIT_MAX) {
            throw new IllegalArgumentException("limit must be in [1, " + StoreLimits.LIST_LIMIT_MAX + "]: " + limit);
        }
    }

    private static void checkStatus(RocksIterator it) {
        try {
            it.status();
        } catch (RocksDBException e) {
            throw unchecked(e);
        }
    }

    private static UncheckedIOException unchecked(RocksDBException e) {
        return new UncheckedIOException(new IOException("store index error: " + e.getMessage(), e));
    }
}
