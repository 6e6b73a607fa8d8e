package io.cairn.node.replication;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.store.BlobRead;
import io.cairn.store.PartitionStore;
import io.cairn.store.StoredRecord;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scrub: reads every blob of every partition this node holds, at a bounded rate, checks it
 * against its checksum, and has each damaged or missing one rewritten from the other holders (a
 * good copy of the same version, or for an erasure-coded block, one rebuilt from {@code k}
 * others). A pass over everything is followed by a pause. Reads already verify and repair what
 * they touch; the scrub finds damage in data nobody reads, before a second fault meets it.
 */
public final class Scrubber implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Scrubber.class);
    /** Records read from the partition log per step of a pass. */
    static final int PAGE_RECORDS = 256;

    /** What the scrub needs from the node's replication runtime. */
    interface Holdings {
        /** Partitions this node holds in its current map. */
        List<PartitionId> held();

        /** Rewrites a damaged or missing local blob from the other holders; true if it did. */
        boolean repair(PartitionId p, StoredRecord damaged);
    }

    private final PartitionStore store;
    private final Holdings holdings;
    private final RecoveryThrottle throttle;
    private final long pauseMillis;
    private final Thread thread;
    private volatile boolean closed;
    private final AtomicLong bytesChecked = new AtomicLong();
    private final AtomicLong damagedFound = new AtomicLong();
    private final AtomicLong repaired = new AtomicLong();
    private final AtomicLong passes = new AtomicLong();

    /**
     * @param bytesPerSecond how fast the scrub reads (0: no scrub)
     * @param pauseMillis    pause after a pass over everything before the next
     */
    Scrubber(String nodeId, PartitionStore store, Holdings holdings, long bytesPerSecond, long pauseMillis) {
        if (bytesPerSecond < 0 || pauseMillis < 0) {
            throw new IllegalArgumentException("scrub rate and pause must be >= 0: " + bytesPerSecond + ", " + pauseMillis);
        }
        this.store = store;
        this.holdings = holdings;
        this.throttle = new RecoveryThrottle(bytesPerSecond);
        this.pauseMillis = pauseMillis;
        this.thread = bytesPerSecond == 0 ? null : Thread.ofVirtual().name("scrub-" + nodeId).start(this::run);
    }

    public long bytesChecked() {
        return bytesChecked.get();
    }

    public long damagedFound() {
        return damagedFound.get();
    }

    public long repaired() {
        return repaired.get();
    }

    public long passes() {
        return passes.get();
    }

    private void run() {
        try {
            // Let a starting node settle (register, peer, catch up) before it reads everything.
            Thread.sleep(Math.min(pauseMillis, 30_000));
            while (!closed) {
                for (PartitionId p : holdings.held()) {
                    if (closed) {
                        return;
                    }
                    scrub(p);
                }
                passes.incrementAndGet();
                Thread.sleep(pauseMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!closed) {
                log.error("scrub stopped", e);
            }
        }
    }

    private void scrub(PartitionId p) throws InterruptedException {
        Version after = Version.ZERO;
        while (!closed) {
            List<StoredRecord> page = store.since(p, after, PAGE_RECORDS);
            for (StoredRecord r : page) {
                after = r.version();
                if (r.tombstone() || r.blobLength() == 0) {
                    continue;
                }
                throttle.acquire(r.blobLength());
                bytesChecked.addAndGet(r.blobLength());
                BlobRead read = store.readBlob(p, r.key());
                if (read instanceof BlobRead.Found) {
                    continue; // good (or overwritten since the page was read)
                }
                damagedFound.incrementAndGet();
                log.warn("scrub: {} {} at {} is {}", p, r.key(), r.version(), read instanceof BlobRead.Missing ? "missing" : "damaged");
                if (holdings.repair(p, r)) {
                    repaired.incrementAndGet();
                }
            }
            if (page.size() < PAGE_RECORDS) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
