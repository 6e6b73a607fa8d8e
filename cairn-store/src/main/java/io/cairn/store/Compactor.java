package io.cairn.store;

import java.io.IOException;
import java.util.List;

/**
 * Rewrites sealed segments whose live bytes fell under {@link StoreConfig#compactionLiveRatioMin}:
 * copies each live record to the active segment through the group commit (so writers and
 * readers go on meanwhile), paced by a {@link CompactionRateLimiter}, then forgets the segment;
 * its file is deleted once the last reader still holding it lets go. Runs on its own thread
 * every {@link StoreConfig#compactionIntervalMillis}, or on demand.
 */
final class Compactor implements AutoCloseable {

    private final RocksPartitionStore store;
    private final CompactionRateLimiter limiter;
    private final long intervalMillis;
    private final Object wakeup = new Object();
    private final Thread thread;
    private volatile boolean stopping;

    Compactor(RocksPartitionStore store, StoreConfig config) {
        this.store = store;
        this.limiter = new CompactionRateLimiter(config.compactionBytesPerSecond());
        this.intervalMillis = config.compactionIntervalMillis();
        if (intervalMillis > 0) {
            thread = Thread.ofPlatform().name("cairn-store-compactor").daemon(true).unstarted(this::run);
            thread.start();
        } else {
            thread = null;
        }
    }

    /** Asks the background thread to look for work now. */
    void wake() {
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
    }

    private void run() {
        while (!stopping) {
            synchronized (wakeup) {
                try {
                    wakeup.wait(intervalMillis);
                } catch (InterruptedException e) {
                    continue;
                }
            }
            if (stopping) {
                return;
            }
            try {
                runPass();
            } catch (IOException | RuntimeException e) {
                if (stopping) {
                    return;
                }
                System.getLogger(Compactor.class.getName()).log(System.Logger.Level.WARNING,
                        "compaction pass failed; it is retried on the next pass", e);
            }
        }
    }

    /** One pass over every candidate segment. */
    synchronized CompactionReport runPass() throws IOException {
        int rewritten = 0;
        long copied = 0;
        long freed = 0;
        for (Segment s : store.compactionCandidates()) {
            boolean complete = true;
            long segmentCopied = 0;
            List<RocksPartitionStore.LiveRecord> live = store.liveRecordsIn(s.id());
            for (RocksPartitionStore.LiveRecord r : live) {
                if (!limiter.acquire(r.location().recordLength(), () -> stopping)) {
                    return new CompactionReport(rewritten, copied, freed);
                }
                if (!store.relocate(r)) {
                    complete = false;
                    continue;
                }
                segmentCopied += r.location().recordLength();
            }
            copied += segmentCopied;
            if (complete) {
                long size = s.committedEnd();
                store.retire(s);
                rewritten++;
                freed += size;
            }
        }
        return new CompactionReport(rewritten, copied, freed);
    }

    @Override
    public void close() {
        stopping = true;
        if (thread != null) {
            wake();
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
