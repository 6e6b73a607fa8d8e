package io.cairn.store;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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
 * The first {@link PartitionStore}: RocksDB plus one file per blob, fsync'd per write. Kept
 * as the reference the segment engine ({@link RocksPartitionStore}) is measured against.
 *
 * <p>Layout under the data directory: {@code index/} is a RocksDB database with column
 * families {@code records} (partition + key → {@link RecordHeader}), {@code log}
 * (partition + version + key → nothing; one entry per key, for its latest version) and
 * {@code local}; {@code blobs/xx/} holds one {@link BlobFile} per stored blob version;
 * {@code tmp/} holds blob files being written and is emptied on open.
 *
 * <p>A mutation is made durable in this order: blob written to {@code tmp/} and forced,
 * renamed into {@code blobs/} and the directory forced, then the index batch committed with
 * a synced write, and only then the superseded blob file deleted. A crash at any point
 * leaves either the old record or the new one, never a record whose blob is missing; at
 * worst an unreferenced blob file remains.
 */
public final class FilePerBlobPartitionStore implements PartitionStore {

    private static final int LOCK_STRIPES = 1024;
    private static final int BLOB_READ_ATTEMPTS_MAX = 4;
    private static final int BLOB_DIRS = 256;
    private static final byte[] EMPTY = new byte[0];
    private static final String RECORDS_FAMILY = "records";
    private static final String LOG_FAMILY = "log";
    private static final String LOCAL_FAMILY = "local";

    private final Path dataDir;
    private final Path blobsDir;
    private final Path tmpDir;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions familyOptions;
    private final WriteOptions syncWrite;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles;
    private final ColumnFamilyHandle records;
    private final ColumnFamilyHandle log;
    private final ColumnFamilyHandle local;
    private final KeyLocks locks = new KeyLocks(LOCK_STRIPES);
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;
    private final AtomicLong usedBytes = new AtomicLong();
    private final AtomicLong recordCount = new AtomicLong();
    private final AtomicLong corruptions = new AtomicLong();
    private final AtomicLong tmpSequence = new AtomicLong();

    private FilePerBlobPartitionStore(Path dataDir, DBOptions dbOptions, ColumnFamilyOptions familyOptions, RocksDB db,
            List<ColumnFamilyHandle> handles) {
        this.dataDir = dataDir;
        this.blobsDir = dataDir.resolve("blobs");
        this.tmpDir = dataDir.resolve("tmp");
        this.dbOptions = dbOptions;
        this.familyOptions = familyOptions;
        this.syncWrite = new WriteOptions().setSync(true);
        this.db = db;
        this.handles = handles;
        this.records = handles.get(1);
        this.log = handles.get(2);
        this.local = handles.get(3);
    }

    /** Opens (creating if needed) the store in dataDir; removes blob files left half-written by a crash. */
    public static FilePerBlobPartitionStore open(Path dataDir) throws IOException {
        Path dir = dataDir.toAbsolutePath();
        Path blobs = dir.resolve("blobs");
        Path tmp = dir.resolve("tmp");
        Path index = dir.resolve("index");
        Files.createDirectories(dir);
        Files.createDirectories(blobs);
        Files.createDirectories(tmp);
        Files.createDirectories(index);
        for (int i = 0; i < BLOB_DIRS; i++) {
            Files.createDirectories(blobs.resolve(HexFormat.of().toHexDigits((byte) i)));
        }
        deleteLeftoverTemporaries(tmp);
        BlobFile.fsyncDirectory(blobs);
        BlobFile.fsyncDirectory(dir);

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
                new ColumnFamilyDescriptor(LOCAL_FAMILY.getBytes(StandardCharsets.UTF_8), familyOptions));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db;
        try {
            db = RocksDB.open(dbOptions, index.toString(), families, handles);
        } catch (RocksDBException e) {
            familyOptions.close();
            dbOptions.close();
            throw new IOException("cannot open the store index in " + index + ": " + e.getMessage(), e);
        }
        FilePerBlobPartitionStore store = new FilePerBlobPartitionStore(dir, dbOptions, familyOptions, db, handles);
        try {
            store.countRecords();
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    private static void deleteLeftoverTemporaries(Path tmp) throws IOException {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp)) {
            for (Path leftover : leftovers) {
                Files.deleteIfExists(leftover);
            }
        }
        BlobFile.fsyncDirectory(tmp);
    }

    private void countRecords() {
        long used = 0;
        long count = 0;
        try (RocksIterator it = db.newIterator(records)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                used += footprint(it.key().length, RecordHeader.decode(it.value()));
                count++;
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
            ReentrantLock lock = locks.of(recordKey);
            lock.lock();
            try {
                RecordHeader previous = storedHeader(recordKey);
                if (previous != null && !m.version().isAfter(previous.version())) {
                    return ApplyOutcome.STALE;
                }
                if (next.hasBlob()) {
                    writeBlob(recordKey, m.version(), m.blob(), next.blobCrc32c());
                }
                try (WriteBatch batch = new WriteBatch()) {
                    batch.put(records, recordKey, next.encode());
                    if (previous != null) {
                        batch.delete(log, KeyEncoding.logKey(prefix, previous.version(), keyBytes));
                    }
                    batch.put(log, KeyEncoding.logKey(prefix, m.version(), keyBytes), EMPTY);
                    db.write(syncWrite, batch);
                } catch (RocksDBException e) {
                    if (next.hasBlob()) {
                        deleteBlobQuietly(recordKey, m.version());
                    }
                    throw new IOException("index write of " + p + " " + m.key() + " failed: " + e.getMessage(), e);
                }
                usedBytes.addAndGet(footprint(recordKey.length, next)
                        - (previous == null ? 0 : footprint(recordKey.length, previous)));
                if (previous == null) {
                    recordCount.incrementAndGet();
                } else if (previous.hasBlob()) {
                    deleteBlobQuietly(recordKey, previous.version());
                }
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
                if (next.hasBlob()) {
                    writeBlob(recordKey, m.version(), m.blob(), next.blobCrc32c());
                }
                try {
                    db.put(records, syncWrite, recordKey, next.encode());
                } catch (RocksDBException e) {
                    throw new IOException("index write of " + p + " " + m.key() + " failed: " + e.getMessage(), e);
                }
                usedBytes.addAndGet(footprint(recordKey.length, next) - footprint(recordKey.length, stored));
                if (stored.hasBlob() && !next.hasBlob()) {
                    deleteBlobQuietly(recordKey, stored.version());
                }
                return true;
            } finally {
                lock.unlock();
            }
        } finally {
            exit();
        }
    }

    private static RecordHeader headerOf(Mutation m) {
        if (m.blob() == null) {
            return new RecordHeader(m.version(), m.tombstone(), false, 0, 0, m.meta());
        }
        ByteBuffer blob = m.blob().duplicate();
        return new RecordHeader(m.version(), m.tombstone(), true, blob.remaining(), BlobFile.crc32c(blob), m.meta());
    }

    private void writeBlob(byte[] recordKey, Version version, ByteBuffer blob, int crc) throws IOException {
        Path tmp = tmpDir.resolve(tmpSequence.incrementAndGet() + ".tmp");
        BlobFile.write(tmp, blobFile(recordKey, version), recordKey, version, blob.duplicate(), crc);
    }

    /**
     * Deletes a blob file no committed record refers to. A failure only leaves an
     * unreferenced file behind, which costs space but never correctness, so it is not
     * reported to a caller whose mutation is already durable.
     */
    private void deleteBlobQuietly(byte[] recordKey, Version version) {
        try {
            Files.deleteIfExists(blobFile(recordKey, version));
        } catch (IOException ignored) {
            // unreferenced file remains; see above
        }
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
                    db.write(syncWrite, batch);
                } catch (RocksDBException e) {
                    throw new IOException("dropping partition " + p + " failed: " + e.getMessage(), e);
                }
                try (RocksIterator it = db.newIterator(records, atBefore)) {
                    for (it.seek(prefix); it.isValid() && KeyEncoding.startsWith(it.key(), prefix); it.next()) {
                        byte[] recordKey = it.key();
                        RecordHeader h = RecordHeader.decode(it.value());
                        usedBytes.addAndGet(-footprint(recordKey.length, h));
                        recordCount.decrementAndGet();
                        if (h.hasBlob()) {
                            deleteBlobQuietly(recordKey, h.version());
                        }
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
            for (int attempt = 1; attempt < BLOB_READ_ATTEMPTS_MAX; attempt++) {
                RecordHeader h = storedHeader(recordKey);
                if (h == null || !h.hasBlob()) {
                    return new BlobRead.Missing();
                }
                BlobRead read = BlobFile.read(blobFile(recordKey, h.version()), recordKey, h);
                if (read instanceof BlobRead.Corrupt) {
                    RecordHeader now = storedHeader(recordKey);
                    if (now != null && !now.sameAs(h)) {
                        continue;
                    }
                    corruptions.incrementAndGet();
                }
                return read;
            }
            ReentrantLock lock = locks.of(recordKey);
            lock.lock();
            try {
                RecordHeader h = storedHeader(recordKey);
                if (h == null || !h.hasBlob()) {
                    return new BlobRead.Missing();
                }
                BlobRead read = BlobFile.read(blobFile(recordKey, h.version()), recordKey, h);
                if (read instanceof BlobRead.Corrupt) {
                    corruptions.incrementAndGet();
                }
                return read;
            } finally {
                lock.unlock();
            }
        } finally {
            exit();
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
                    RocksIterator it = db.newIterator(log, atSnapshot)) {
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

    @Override
    public StoreStats stats() {
        try {
            FileStore fs = Files.getFileStore(dataDir);
            return new StoreStats(fs.getTotalSpace(), fs.getUsableSpace(), usedBytes.get(), recordCount.get(),
                    corruptions.get(), false, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the space of " + dataDir, e);
        }
    }

    /**
     * The file holding the blob of key in p, for tests and tools that need to inspect or
     * damage it.
     *
     * @throws java.util.NoSuchElementException if the key has no stored blob
     */
    public Path blobPath(PartitionId p, String key) {
        byte[] recordKey = KeyEncoding.concat(KeyEncoding.partitionPrefix(p), KeyEncoding.recordKey(key));
        enter();
        try {
            RecordHeader h = storedHeader(recordKey);
            if (h == null || !h.hasBlob()) {
                throw new NoSuchElementException("no blob stored for " + p + " " + key);
            }
            return blobFile(recordKey, h.version());
        } finally {
            exit();
        }
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
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
            throw new IllegalStateException("the store in " + dataDir + " is closed");
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

    private Path blobFile(byte[] recordKey, Version version) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(recordKey);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
        String name = HexFormat.of().formatHex(digest) + "-" + version.epoch() + "-" + version.seq() + ".blob";
        return blobsDir.resolve(HexFormat.of().toHexDigits(digest[0])).resolve(name);
    }

    /** Bytes a record takes: its index entry, its log entry and its blob file. */
    private static long footprint(int recordKeyLength, RecordHeader h) {
        long index = recordKeyLength + (long) h.encodedLength();
        long logEntry = recordKeyLength + (long) KeyEncoding.VERSION_BYTES;
        long blob = h.hasBlob() ? BlobFile.headerBytes(recordKeyLength) + h.blobLength() : 0;
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
