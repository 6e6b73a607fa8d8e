package io.cairn.store;

import io.cairn.core.store.StoreFullException;
import io.cairn.core.partition.Version;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Appends records to the active segment for the commit thread (one thread only). Records
 * of a group are gathered in a staging buffer and written in large pieces; {@link #force}
 * makes them durable, {@link #committed} moves each touched segment's committed end, and
 * {@link #rollback} truncates everything written since the last commit. New segments go to
 * the healthy data directory with the most free space above the reserve.
 */
final class SegmentWriter {

    private static final int STAGING_BYTES = 4 << 20;

    private final List<DataDirectory> dirs;
    private final SegmentIo io;
    private final StoreConfig config;
    private final Map<Long, Segment> table;
    private final AtomicLong nextSegmentId;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING_BYTES);
    private final Set<Segment> touched = new LinkedHashSet<>();
    private volatile Segment active;
    private long stagingOffset;
    private long roomAboveReserve;
    private int lastDirIndex = -1;

    SegmentWriter(List<DataDirectory> dirs, SegmentIo io, StoreConfig config, Map<Long, Segment> table,
            long nextSegmentId) {
        this.dirs = dirs;
        this.io = io;
        this.config = config;
        this.table = table;
        this.nextSegmentId = new AtomicLong(nextSegmentId);
    }

    /** The segment being appended to, or null before the first append. */
    Segment active() {
        return active;
    }

    /** Refreshes the free space of the active directory before a group. */
    void beginGroup() throws IOException {
        if (active != null && !active.dir().failed()) {
            roomAboveReserve = active.dir().bytesAboveReserve(io, config);
        }
    }

    /**
     * Appends one record and returns where it will live once committed.
     *
     * @throws StoreFullException if no healthy directory has room above the reserve (and
     *     the write may not use the reserve); nothing is written then
     */
    BlobLocation append(PendingWrite w) throws IOException {
        int length = Math.toIntExact(w.recordBytes());
        boolean needsNew = active == null || active.dir().failed()
                || (active.writeEnd() > 0 && active.writeEnd() + length > config.segmentBytesMax())
                || (!w.mayUseReserve() && roomAboveReserve < length);
        if (needsNew) {
            roll(length, w.mayUseReserve());
        }
        Segment s = active;
        long offset = s.writeEnd();
        ByteBuffer header = SegmentRecord.header(w.identity(), w.version(), w.data().remaining(), w.dataCrc32c());
        ByteBuffer data = w.data().duplicate();
        if (SegmentRecord.crc32c(data) != w.dataCrc32c()) {
            throw new IllegalStateException("blob of a pending write changed before it was stored");
        }
        if (staging.position() == 0) {
            stagingOffset = offset;
        }
        if (staging.remaining() >= length) {
            staging.put(header).put(data);
        } else {
            flushStaging();
            s.channel().write(header, offset);
            s.channel().write(data, offset + header.capacity());
        }
        touched.add(s);
        s.advanceWriteEnd(offset + length);
        roomAboveReserve -= length;
        return new BlobLocation(s.id(), offset, length);
    }

    private void flushStaging() throws IOException {
        if (staging.position() > 0) {
            staging.flip();
            active.channel().write(staging, stagingOffset);
            staging.clear();
        }
    }

    /** Writes what is staged and forces every segment written since the last commit. */
    void force() throws IOException {
        flushStaging();
        for (Segment s : touched) {
            s.channel().force();
        }
    }

    /** The segments written since the last commit, with the end each will commit to. */
    List<Segment> touched() {
        return new ArrayList<>(touched);
    }

    void committed() {
        for (Segment s : touched) {
            s.commitTo(s.writeEnd());
            if (s != active) {
                s.seal();
            }
        }
        touched.clear();
    }

    /** Forgets everything written since the last commit and cuts it from the files. */
    void rollback() {
        staging.clear();
        for (Segment s : touched) {
            s.advanceWriteEnd(s.committedEnd());
            try {
                s.channel().truncate(s.committedEnd());
            } catch (IOException e) {
                s.dir().markFailed("truncating " + s.file() + " after a failed write: " + e.getMessage());
            }
            if (s != active) {
                s.seal();
            }
        }
        touched.clear();
    }

    /** Takes the active segment's directory out of service after an I/O error. */
    void failActive(IOException cause) {
        if (active != null) {
            active.dir().markFailed("write to " + active.file() + " failed: " + cause.getMessage());
        }
    }

    private void roll(int length, boolean mayUseReserve) throws IOException {
        flushStaging();
        Segment previous = active;
        DataDirectory best = null;
        long bestRoom = Long.MIN_VALUE;
        long[] rooms = new long[dirs.size()];
        for (DataDirectory d : dirs) {
            rooms[d.index()] = Long.MIN_VALUE;
            if (d.failed()) {
                continue;
            }
            try {
                rooms[d.index()] = d.bytesAboveReserve(io, config);
            } catch (IOException e) {
                d.markFailed("cannot read free space: " + e.getMessage());
                continue;
            }
            bestRoom = Math.max(bestRoom, rooms[d.index()]);
        }
        // directories within one segment of the most free space take turns, so that disks of
        // one size fill evenly; a much emptier disk takes every new segment until it catches up
        for (int i = 1; i <= dirs.size() && bestRoom != Long.MIN_VALUE; i++) {
            DataDirectory d = dirs.get((lastDirIndex + i) % dirs.size());
            if (!d.failed() && rooms[d.index()] != Long.MIN_VALUE
                    && rooms[d.index()] >= bestRoom - config.segmentBytesMax()) {
                best = d;
                bestRoom = rooms[d.index()];
                break;
            }
        }
        if (best == null) {
            throw new IOException("every data directory has failed: " + describeFailures());
        }
        if (bestRoom < length && !mayUseReserve) {
            throw new StoreFullException("store is full: free space is under the reserve on every data directory"
                    + " (reserve " + config.freeReserveBytes() + " bytes or " + config.freeReserveRatio()
                    + " of capacity); deletes and reads still work");
        }
        long id = nextSegmentId.getAndIncrement();
        var file = best.segments().resolve(Segment.fileName(id));
        SegmentChannel channel = io.open(file);
        Segment s = new Segment(id, best, file, channel, io, 0);
        try {
            io.syncDirectory(best.segments());
        } catch (IOException e) {
            s.retire();
            throw e;
        }
        table.put(id, s);
        active = s;
        lastDirIndex = best.index();
        if (previous != null && !touched.contains(previous)) {
            previous.seal();
        }
        roomAboveReserve = bestRoom;
    }

    private String describeFailures() {
        StringBuilder b = new StringBuilder();
        for (DataDirectory d : dirs) {
            b.append(d).append(": ").append(d.failure()).append("; ");
        }
        return b.toString();
    }
}
