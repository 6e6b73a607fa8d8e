package io.cairn.store;

import io.cairn.core.store.StoreFullException;
import io.cairn.core.partition.Version;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * One write waiting for a group commit: an optional blob to append to a segment, and the
 * index changes to commit once the blob is durable (given its location). The caller holds
 * the key's lock until {@link #await} returns.
 */
final class PendingWrite {

    /** Adds a write's index changes to the group's batch; location is null for a write without a blob. */
    @FunctionalInterface
    interface IndexUpdate {
        void addTo(WriteBatch batch, BlobLocation location) throws RocksDBException;
    }

    private final byte[] identity;
    private final Version version;
    private final ByteBuffer data;
    private final int dataCrc32c;
    private final boolean mayUseReserve;
    private final IndexUpdate update;
    private final CompletableFuture<BlobLocation> done = new CompletableFuture<>();

    PendingWrite(byte[] identity, Version version, ByteBuffer data, int dataCrc32c, boolean mayUseReserve,
            IndexUpdate update) {
        this.identity = identity;
        this.version = version;
        this.data = data == null ? null : data.duplicate();
        this.dataCrc32c = dataCrc32c;
        this.mayUseReserve = mayUseReserve;
        this.update = update;
    }

    byte[] identity() {
        return identity;
    }

    Version version() {
        return version;
    }

    /** The blob (a private duplicate of the caller's buffer), or null. */
    ByteBuffer data() {
        return data;
    }

    int dataCrc32c() {
        return dataCrc32c;
    }

    boolean hasData() {
        return data != null;
    }

    long recordBytes() {
        return data == null ? 0 : SegmentRecord.recordBytes(identity.length, data.remaining());
    }

    /** True for compaction moves and repairs, which may write into the free-space reserve. */
    boolean mayUseReserve() {
        return mayUseReserve;
    }

    IndexUpdate update() {
        return update;
    }

    boolean isDone() {
        return done.isDone();
    }

    void succeed(BlobLocation location) {
        done.complete(location);
    }

    void fail(IOException e) {
        done.completeExceptionally(e);
    }

    /** Waits for the group commit; returns the blob's location (null without a blob). */
    BlobLocation await() throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return done.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof StoreFullException full) {
                        throw new StoreFullException(full.getMessage());
                    }
                    if (e.getCause() instanceof IOException io) {
                        throw new IOException(io.getMessage(), io);
                    }
                    throw new IllegalStateException("group commit failed", e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
