package io.cairn.store;

import io.cairn.core.store.StoreFullException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The commit thread: takes every write waiting in a bounded queue, appends their blobs to
 * the active segment, forces the segment once, commits all their index changes (and the
 * segments' new committed ends) in one synced RocksDB batch, and only then completes them.
 * A failed append or force truncates what the group wrote and fails the group; a
 * directory that fails with anything but "no space" is taken out of service and the group
 * is tried once more on another directory.
 */
final class GroupCommitter implements AutoCloseable {

    private static final int ATTEMPTS_MAX = 2;

    private final BlockingQueue<PendingWrite> queue;
    private final SegmentWriter writer;
    private final RocksDB db;
    private final WriteOptions syncWrite;
    private final ColumnFamilyHandle segmentsFamily;
    private final long groupBytesMax;
    private final int groupWritesMax;
    private final Thread thread;
    private volatile boolean stopping;
    private long groups;
    private long writes;

    GroupCommitter(SegmentWriter writer, RocksDB db, WriteOptions syncWrite, ColumnFamilyHandle segmentsFamily,
            StoreConfig config, String name) {
        this.queue = new ArrayBlockingQueue<>(config.commitQueueWritesMax());
        this.writer = writer;
        this.db = db;
        this.syncWrite = syncWrite;
        this.segmentsFamily = segmentsFamily;
        this.groupBytesMax = config.commitGroupBytesMax();
        this.groupWritesMax = config.commitQueueWritesMax();
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
        thread.start();
    }

    /** Queues w (blocking while the queue is full) and waits until it is durable or has failed. */
    BlobLocation commit(PendingWrite w) throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                if (stopping) {
                    throw new IOException("the store is closing");
                }
                try {
                    if (queue.offer(w, 100, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return w.await();
    }

    /** Average writes per group so far (how well commits are shared). */
    double writesPerGroup() {
        synchronized (this) {
            return groups == 0 ? 0 : (double) writes / groups;
        }
    }

    private void run() {
        List<PendingWrite> group = new ArrayList<>();
        while (!stopping || !queue.isEmpty()) {
            PendingWrite first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                continue;
            }
            if (first == null) {
                continue;
            }
            group.add(first);
            long bytes = first.recordBytes();
            while (bytes < groupBytesMax && group.size() < groupWritesMax) {
                PendingWrite next = queue.poll();
                if (next == null) {
                    break;
                }
                group.add(next);
                bytes += next.recordBytes();
            }
            try {
                commitGroup(group);
            } catch (RuntimeException | Error e) {
                writer.rollback();
                for (PendingWrite w : group) {
                    if (!w.isDone()) {
                        w.fail(new IOException("group commit failed: " + e, e));
                    }
                }
            }
            synchronized (this) {
                groups++;
                writes += group.size();
            }
            group.clear();
        }
    }

    private void commitGroup(List<PendingWrite> group) {
        for (int attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
            List<PendingWrite> accepted = new ArrayList<>(group.size());
            List<BlobLocation> locations = new ArrayList<>(group.size());
            try {
                writer.beginGroup();
                for (PendingWrite w : group) {
                    if (w.isDone()) {
                        continue;
                    }
                    if (w.hasData()) {
                        try {
                            locations.add(writer.append(w));
                        } catch (StoreFullException full) {
                            w.fail(full);
                            continue;
                        }
                    } else {
                        locations.add(null);
                    }
                    accepted.add(w);
                }
                writer.force();
            } catch (IOException e) {
                writer.rollback();
                if (isNoSpace(e)) {
                    failAll(group, new StoreFullException("no space left on device while writing; nothing was"
                            + " stored: " + e.getMessage()));
                    return;
                }
                writer.failActive(e);
                if (attempt == ATTEMPTS_MAX) {
                    failAll(group, e);
                    return;
                }
                continue;
            }
            try (WriteBatch batch = new WriteBatch()) {
                for (int i = 0; i < accepted.size(); i++) {
                    accepted.get(i).update().addTo(batch, locations.get(i));
                }
                for (Segment s : writer.touched()) {
                    batch.put(segmentsFamily, segmentKey(s.id()), segmentEnd(s.writeEnd()));
                }
                db.write(syncWrite, batch);
            } catch (RocksDBException e) {
                writer.rollback();
                failAll(group, new IOException("index commit failed: " + e.getMessage(), e));
                return;
            }
            writer.committed();
            for (int i = 0; i < accepted.size(); i++) {
                accepted.get(i).succeed(locations.get(i));
            }
            return;
        }
    }

    private static boolean isNoSpace(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StoreFullException
                    || (t.getMessage() != null && t.getMessage().contains("No space left on device"))) {
                return true;
            }
        }
        return false;
    }

    private static void failAll(List<PendingWrite> group, IOException e) {
        for (PendingWrite w : group) {
            if (!w.isDone()) {
                w.fail(e);
            }
        }
    }

    static byte[] segmentKey(long id) {
        return ByteBuffer.allocate(8).putLong(id).array();
    }

    static byte[] segmentEnd(long end) {
        return ByteBuffer.allocate(8).putLong(end).array();
    }

    @Override
    public void close() {
        stopping = true;
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        for (PendingWrite w; (w = queue.poll()) != null; ) {
            w.fail(new IOException("the store closed before the write was committed"));
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
