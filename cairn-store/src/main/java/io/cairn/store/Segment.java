package io.cairn.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One append-only segment file. It is reference counted: the segment table holds one
 * reference, each read holds one while it reads, and the file is closed and deleted when a
 * retired segment's last reference goes. {@code committedEnd} is the end of the bytes the
 * index may point into (durable); {@code writeEnd} is where the commit thread appends next.
 */
final class Segment {

    private final long id;
    private final DataDirectory dir;
    private final Path file;
    private final SegmentChannel channel;
    private final SegmentIo io;
    private final AtomicInteger references = new AtomicInteger(1);
    private final AtomicLong liveBytes = new AtomicLong();
    private volatile long committedEnd;
    private long writeEnd;
    private volatile boolean deleteWhenReleased;
    private volatile boolean sealed;

    Segment(long id, DataDirectory dir, Path file, SegmentChannel channel, SegmentIo io, long committedEnd) {
        this.id = id;
        this.dir = dir;
        this.file = file;
        this.channel = channel;
        this.io = io;
        this.committedEnd = committedEnd;
        this.writeEnd = committedEnd;
    }

    static String fileName(long id) {
        return String.format("%016x.seg", id);
    }

    /** The id of a segment file name, or -1 if name is not one. */
    static long idOf(String name) {
        if (name.length() != 20 || !name.endsWith(".seg")) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(name.substring(0, 16), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    long id() {
        return id;
    }

    DataDirectory dir() {
        return dir;
    }

    Path file() {
        return file;
    }

    SegmentChannel channel() {
        return channel;
    }

    long committedEnd() {
        return committedEnd;
    }

    void commitTo(long end) {
        if (end < committedEnd || end > writeEnd) {
            throw new IllegalStateException("segment " + id + " cannot commit to " + end + " (committed "
                    + committedEnd + ", written " + writeEnd + ")");
        }
        committedEnd = end;
    }

    long writeEnd() {
        return writeEnd;
    }

    void advanceWriteEnd(long end) {
        writeEnd = end;
    }

    /** Marks the segment as final: nothing will be appended to it again, so compaction may rewrite it. */
    void seal() {
        sealed = true;
    }

    boolean sealed() {
        return sealed;
    }

    AtomicLong liveBytes() {
        return liveBytes;
    }

    /** Takes a reference unless the segment is already gone; a true result must be paired with {@link #release}. */
    boolean tryAcquire() {
        while (true) {
            int n = references.get();
            if (n <= 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        int n = references.decrementAndGet();
        if (n < 0) {
            throw new IllegalStateException("segment " + id + " released more often than acquired");
        }
        if (n == 0) {
            try {
                channel.close();
                if (deleteWhenReleased) {
                    io.delete(file);
                }
            } catch (IOException ignored) {
                // a retired file that cannot be closed or deleted only costs space; open() removes it next time
            }
        }
    }

    /** Drops the table's reference; the file is deleted once no reader holds it. */
    void retire() {
        deleteWhenReleased = true;
        release();
    }

    /** Drops the table's reference at close; the file stays. */
    void closeWhenReleased() {
        release();
    }

    ByteBuffer read(BlobLocation at) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(at.recordLength());
        int n = channel.read(buffer, at.offset());
        return buffer.flip().limit(n);
    }

    @Override
    public String toString() {
        return "segment " + id + " in " + dir;
    }
}
