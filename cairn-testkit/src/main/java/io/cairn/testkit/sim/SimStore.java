package io.cairn.testkit.sim;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.ApplyOutcome;
import io.cairn.core.store.BlobRead;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.PartitionStore;
import io.cairn.core.store.RecordKeys;
import io.cairn.core.store.StoreFullException;
import io.cairn.core.store.StoreLimits;
import io.cairn.core.store.StoreStats;
import io.cairn.core.store.StoredRecord;
import io.cairn.protocol.Checksums;
import io.cairn.protocol.StoreOp;
import io.cairn.protocol.StoreResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A node's store in the simulator: a {@link PartitionStore} in memory, with the crash semantics
 * of the real one. The simulated node hands it writes with {@link #begin}; they are neither
 * visible nor durable until the next {@link #sync} (the group commit's fsync) makes them both, in
 * the order they came. A {@link #crash} keeps a prefix of the writes begun since the last sync —
 * those that reached the disk before the power went — and cuts the rest (the torn tail), as the
 * segment engine's recovery cuts a torn tail at a record boundary; the store then answers nothing
 * until {@link #reopen}. Capacity can shrink (another tenant filled the disk) and a stored blob can
 * have its bits flipped under its checksum. The plain {@link PartitionStore} calls write and sync
 * at once, so {@code SimStoreContractTest} holds it to the same contract as the real engine.
 */
public final class SimStore implements PartitionStore {

    /** Orders keys by their UTF-8 bytes, as the real store does. */
    static final Comparator<String> UTF8_ORDER = io.cairn.core.store.RecordKeys.UTF8_ORDER;

    private static final int RECORD_OVERHEAD_BYTES = 32;

    /** What survives a crash: the durable content of the disk. */
    public static final class Disk {
        private final TreeMap<PartitionId, TreeMap<String, Entry>> partitions = new TreeMap<>();
        private final TreeMap<PartitionId, TreeMap<Version, String>> under = new TreeMap<>();
        private final TreeMap<String, byte[]> local = new TreeMap<>();
        private long capacityBytes;
        private long usedBytes;

        public Disk(long capacityBytes) {
            this.capacityBytes = capacityBytes;
        }

        public long capacityBytes() {
            return capacityBytes;
        }

        public long usedBytes() {
            return usedBytes;
        }

        /** Another tenant takes (or gives back) room: writes that grow the store past it are refused. */
        public void setCapacityBytes(long capacityBytes) {
            this.capacityBytes = capacityBytes;
        }
    }

    /** One stored record: what the index says, and the blob bytes as they are on the disk (maybe damaged). */
    private record Entry(StoredRecord record, byte[] blob) {
        long bytes() {
            return record.key().getBytes(StandardCharsets.UTF_8).length + record.meta().length + (blob == null ? 0 : blob.length)
                    + RECORD_OVERHEAD_BYTES;
        }
    }

    /** A write begun and not synced yet. */
    private record Begun(long token, StoreOp op) {}

    /** A write that a sync made durable, with how it ended. */
    public record Synced(long token, StoreResult result) {}

    /** Told of every mutation that lands on the disk (the simulator's checks watch sequencing through it). */
    public interface Landing {
        void landed(PartitionId p, Mutation m);
    }

    private final Disk disk;
    private Landing landing;
    private final List<Begun> unsynced = new ArrayList<>();
    private boolean closed;
    private long corruptions;

    /** A store over {@code disk} (a new one, or what a crash left). */
    public SimStore(Disk disk) {
        this.disk = disk;
    }

    /** The store after a restart: the same disk, nothing unsynced. */
    public synchronized SimStore reopen() {
        SimStore next = new SimStore(disk);
        next.landing = landing;
        return next;
    }

    public synchronized SimStore watchedBy(Landing observer) {
        this.landing = observer;
        return this;
    }

    public synchronized Disk disk() {
        return disk;
    }

    // ---- the simulated node's view: writes begun, synced, or cut by a crash ----

    /** A write the node issued; it takes effect at the next {@link #sync}. */
    public synchronized void begin(long token, StoreOp op) {
        open();
        if (op instanceof StoreOp.ReadBlob) {
            throw new IllegalArgumentException("a read is not a write: " + op);
        }
        unsynced.add(new Begun(token, op));
    }

    public synchronized boolean hasUnsynced() {
        return !unsynced.isEmpty();
    }

    /** Makes every write begun so far durable and visible, in order; returns how each ended. */
    public synchronized List<Synced> sync() {
        open();
        List<Synced> out = new ArrayList<>(unsynced.size());
        for (Begun b : unsynced) {
            out.add(new Synced(b.token(), run(b.op())));
        }
        unsynced.clear();
        return out;
    }

    /**
     * The power goes: the writes begun since the last sync that reached the disk (a prefix, chosen
     * by {@code random}) stay, the rest is cut. The store is closed. Returns how many writes stayed.
     */
    public synchronized int crash(Random random) {
        int kept = unsynced.isEmpty() ? 0 : random.nextInt(unsynced.size() + 1);
        for (int i = 0; i < kept; i++) {
            run(unsynced.get(i).op());
        }
        unsynced.clear();
        closed = true;
        return kept;
    }

    /** Runs a store operation now and says how it ended (the executor's view of {@link PartitionStore}). */
    public synchronized StoreResult run(StoreOp op) {
        try {
            return switch (op) {
                case StoreOp.Apply a -> new StoreResult.Applied(apply(a.partition(), a.mutation()));
                case StoreOp.Repair r -> new StoreResult.Repaired(repair(r.partition(), r.mutation()));
                case StoreOp.ReadBlob r -> new StoreResult.BlobLoaded(readBlob(r.partition(), r.key()));
                case StoreOp.PutLocal l -> {
                    putLocal(l.key(), l.value());
                    yield new StoreResult.Done();
                }
                case StoreOp.ClearUnderProtected c -> {
                    clearUnderProtected(c.partition(), c.upTo());
                    yield new StoreResult.Done();
                }
                case StoreOp.DropPartition d -> {
                    dropPartition(d.partition());
                    yield new StoreResult.Done();
                }
            };
        } catch (StoreFullException e) {
            return new StoreResult.Full(e.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            return new StoreResult.Failed(e.toString());
        }
    }

    /** Flips one bit of the stored blob of {@code key}; false if it has none. */
    public synchronized boolean flipBit(PartitionId p, String key, int bit) {
        Entry e = entries(p).get(key);
        if (e == null || e.blob() == null || e.blob().length == 0) {
            return false;
        }
        byte[] damaged = e.blob().clone();
        int i = Math.floorMod(bit, damaged.length * 8);
        damaged[i / 8] ^= (byte) (1 << (i % 8));
        entries(p).put(key, new Entry(e.record(), damaged));
        return true;
    }

    /** Cuts the last {@code bytes} bytes of the stored blob of {@code key} (a torn write under it); false if it has none. */
    public synchronized boolean truncate(PartitionId p, String key, int bytes) {
        Entry e = entries(p).get(key);
        if (e == null || e.blob() == null || e.blob().length < bytes) {
            return false;
        }
        entries(p).put(key, new Entry(e.record(), Arrays.copyOf(e.blob(), e.blob().length - bytes)));
        return true;
    }

    /** Whether the stored blob of {@code key} (if any) matches its checksum. */
    public synchronized boolean intact(PartitionId p, String key) {
        Entry e = entries(p).get(key);
        return e == null || e.blob() == null || Checksums.crc32c(ByteBuffer.wrap(e.blob())) == e.record().blobCrc32c();
    }

    /** The stored blob bytes of {@code key}, as they are (maybe damaged), or empty. */
    public synchronized Optional<byte[]> storedBlob(PartitionId p, String key) {
        Entry e = entries(p).get(key);
        return e == null || e.blob() == null ? Optional.empty() : Optional.of(e.blob().clone());
    }

    /** Every stored record of {@code p}, by key. */
    public synchronized Map<String, StoredRecord> records(PartitionId p) {
        Map<String, StoredRecord> out = new TreeMap<>(UTF8_ORDER);
        entries(p).forEach((k, e) -> out.put(k, e.record()));
        return out;
    }

    // ---- PartitionStore ----

    @Override
    public synchronized ApplyOutcome apply(PartitionId p, Mutation m) throws IOException {
        open();
        checkPartition(p);
        TreeMap<String, Entry> recs = entries(p);
        Entry old = recs.get(m.key());
        if (old != null && !m.version().isAfter(old.record().version())) {
            return ApplyOutcome.STALE;
        }
        byte[] blob = null;
        int crc = 0;
        if (m.blob() != null) {
            blob = new byte[m.blob().remaining()];
            m.blob().duplicate().get(blob);
            crc = blob.length == 0 ? 0 : Checksums.crc32c(ByteBuffer.wrap(blob));
            if (blob.length == 0) {
                blob = null;
            }
        }
        Entry next = new Entry(new StoredRecord(m.key(), m.version(), m.tombstone(), m.meta(), blob == null ? 0 : blob.length, crc), blob);
        long grow = next.bytes() - (old == null ? 0 : old.bytes());
        if (!m.tombstone() && grow > 0 && disk.usedBytes + grow > disk.capacityBytes) {
            throw new StoreFullException("disk full: " + disk.usedBytes + " of " + disk.capacityBytes + " bytes used");
        }
        disk.partitions.computeIfAbsent(p, x -> new TreeMap<>(UTF8_ORDER)).put(m.key(), next);
        disk.usedBytes += grow;
        if (m.underProtected()) {
            disk.under.computeIfAbsent(p, x -> new TreeMap<>()).put(m.version(), m.key());
        }
        if (landing != null) {
            landing.landed(p, m);
        }
        return ApplyOutcome.APPLIED;
    }

    @Override
    public synchronized boolean repair(PartitionId p, Mutation m) throws IOException {
        open();
        checkPartition(p);
        Entry old = entries(p).get(m.key());
        if (old == null || !old.record().version().equals(m.version()) || old.record().tombstone()) {
            return false;
        }
        byte[] blob = null;
        if (m.blob() != null && m.blob().remaining() > 0) {
            blob = new byte[m.blob().remaining()];
            m.blob().duplicate().get(blob);
        }
        Entry next = new Entry(new StoredRecord(m.key(), m.version(), false, m.meta(), blob == null ? 0 : blob.length,
                blob == null ? 0 : Checksums.crc32c(ByteBuffer.wrap(blob))), blob);
        disk.usedBytes += next.bytes() - old.bytes();
        entries(p).put(m.key(), next);
        return true;
    }

    @Override
    public synchronized Optional<StoredRecord> get(PartitionId p, String key) {
        open();
        checkPartition(p);
        RecordKeys.recordKey(key);
        return Optional.ofNullable(entries(p).get(key)).map(Entry::record);
    }

    @Override
    public synchronized BlobRead readBlob(PartitionId p, String key) {
        open();
        checkPartition(p);
        RecordKeys.recordKey(key);
        Entry e = entries(p).get(key);
        if (e == null || e.record().tombstone() || e.blob() == null) {
            return new BlobRead.Missing();
        }
        if (Checksums.crc32c(ByteBuffer.wrap(e.blob())) != e.record().blobCrc32c()) {
            corruptions++;
            return new BlobRead.Corrupt("blob of " + key + " fails its checksum");
        }
        return new BlobRead.Found(e.record().version(), ByteBuffer.wrap(e.blob().clone()).asReadOnlyBuffer());
    }

    @Override
    public synchronized List<StoredRecord> scan(PartitionId p, String prefix, String afterKey, int limit, boolean includeTombstones) {
        open();
        checkPartition(p);
        RecordKeys.keyBound(prefix, "scan prefix");
        RecordKeys.keyBound(afterKey, "scan after-key");
        checkLimit(limit);
        List<StoredRecord> out = new ArrayList<>();
        for (Map.Entry<String, Entry> e : entries(p).tailMap(afterKey, false).entrySet()) {
            if (out.size() == limit) {
                break;
            }
            String key = e.getKey();
            if (UTF8_ORDER.compare(key, prefix) < 0 || !key.startsWith(prefix)) {
                if (UTF8_ORDER.compare(key, prefix) > 0 && !key.startsWith(prefix)) {
                    break;
                }
                continue;
            }
            if (includeTombstones || !e.getValue().record().tombstone()) {
                out.add(e.getValue().record());
            }
        }
        return out;
    }

    @Override
    public synchronized List<StoredRecord> since(PartitionId p, Version after, int limit) {
        open();
        checkPartition(p);
        checkLimit(limit);
        List<StoredRecord> out = new ArrayList<>();
        for (Entry e : entries(p).values()) {
            if (e.record().version().isAfter(after)) {
                out.add(e.record());
            }
        }
        out.sort(Comparator.comparing(StoredRecord::version));
        return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
    }

    @Override
    public synchronized Version lastVersion(PartitionId p) {
        open();
        Version last = Version.ZERO;
        for (Entry e : entries(p).values()) {
            if (e.record().version().isAfter(last)) {
                last = e.record().version();
            }
        }
        return last;
    }

    @Override
    public synchronized List<StoredRecord> underProtected(PartitionId p, Version after, int limit) {
        open();
        checkPartition(p);
        checkLimit(limit);
        List<StoredRecord> out = new ArrayList<>();
        for (Map.Entry<Version, String> mark : disk.under.getOrDefault(p, new TreeMap<>()).tailMap(after, false).entrySet()) {
            if (out.size() == limit) {
                break;
            }
            Entry e = entries(p).get(mark.getValue());
            if (e != null && e.record().version().equals(mark.getKey())) {
                out.add(e.record());
            }
        }
        return out;
    }

    @Override
    public synchronized long underProtectedMarks(PartitionId p) {
        open();
        return disk.under.getOrDefault(p, new TreeMap<>()).size();
    }

    @Override
    public synchronized void clearUnderProtected(PartitionId p, Version upTo) {
        open();
        checkPartition(p);
        TreeMap<Version, String> marks = disk.under.get(p);
        if (marks != null) {
            marks.headMap(upTo, true).clear();
            if (marks.isEmpty()) {
                disk.under.remove(p);
            }
        }
    }

    @Override
    public synchronized Set<PartitionId> partitions() {
        open();
        Set<PartitionId> out = new TreeSet<>();
        disk.partitions.forEach((p, recs) -> {
            if (!recs.isEmpty()) {
                out.add(p);
            }
        });
        return out;
    }

    @Override
    public synchronized void dropPartition(PartitionId p) {
        open();
        TreeMap<String, Entry> recs = disk.partitions.remove(p);
        if (recs != null) {
            for (Entry e : recs.values()) {
                disk.usedBytes -= e.bytes();
            }
        }
        disk.under.remove(p);
    }

    @Override
    public synchronized void putLocal(String key, byte[] value) {
        open();
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("local key must be non-empty");
        }
        RecordKeys.utf8(key, "local key", StoreLimits.KEY_BYTES_MAX);
        if (value.length > StoreLimits.LOCAL_VALUE_BYTES_MAX) {
            throw new IllegalArgumentException("local value of " + key + " is " + value.length + " bytes, more than "
                    + StoreLimits.LOCAL_VALUE_BYTES_MAX);
        }
        disk.local.put(key, value.clone());
    }

    @Override
    public synchronized Optional<byte[]> getLocal(String key) {
        open();
        return Optional.ofNullable(disk.local.get(key)).map(byte[]::clone);
    }

    @Override
    public synchronized StoreStats stats() {
        open();
        long records = 0;
        for (TreeMap<String, Entry> recs : disk.partitions.values()) {
            records += recs.size();
        }
        long free = Math.max(0, disk.capacityBytes - disk.usedBytes);
        return new StoreStats(disk.capacityBytes, free, disk.usedBytes, records, corruptions, free == 0, 0);
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    public synchronized boolean closed() {
        return closed;
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("the store is closed");
        }
    }

    private TreeMap<String, Entry> entries(PartitionId p) {
        TreeMap<String, Entry> recs = disk.partitions.get(p);
        return recs == null ? new TreeMap<>(UTF8_ORDER) : recs;
    }

    private static void checkPartition(PartitionId p) {
        if (p.pool().isEmpty()) {
            throw new IllegalArgumentException("pool name must be non-empty");
        }
        RecordKeys.utf8(p.pool(), "pool name", StoreLimits.POOL_NAME_BYTES_MAX);
    }

    private static void checkLimit(int limit) {
        if (limit < 1 || limit > StoreLimits.LIST_LIMIT_MAX) {
            throw new IllegalArgumentException("limit must be 1.." + StoreLimits.LIST_LIMIT_MAX + ": " + limit);
        }
    }

    @Override
    public synchronized String toString() {
        return "SimStore" + Arrays.toString(new long[] {disk.usedBytes, disk.capacityBytes});
    }

    /** Records of every partition on the disk, for the checks: partition -> key -> record. */
    public synchronized Map<PartitionId, Map<String, StoredRecord>> allRecords() {
        Map<PartitionId, Map<String, StoredRecord>> out = new HashMap<>();
        for (PartitionId p : disk.partitions.keySet()) {
            out.put(p, records(p));
        }
        return out;
    }
}
