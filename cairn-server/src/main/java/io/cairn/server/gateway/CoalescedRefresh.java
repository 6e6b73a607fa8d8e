package io.cairn.server.gateway;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Map reads on behalf of requests that name an access key this gateway does not know. Each caller
 * returns only after a read that began after its call has ended, so a key created a moment ago is
 * found; but callers share reads, and reads begin at most once per interval, so a stream of
 * requests with made-up keys costs the meta service one linearizable read per interval, not one
 * per request.
 */
final class CoalescedRefresh {

    private final Runnable refresh;
    private final long intervalNanos;
    private final LongSupplier nanoTime;

    // Guarded by this.
    private long started; // reads begun, numbered from 1
    private long ended; // the highest-numbered read that has ended
    private boolean running;
    private long lastStartNanos;
    private long failedRead;
    private RuntimeException failure;
    private int waiting;

    CoalescedRefresh(Runnable refresh, long interval, TimeUnit unit, LongSupplier nanoTime) {
        this.refresh = refresh;
        this.intervalNanos = unit.toNanos(interval);
        this.nanoTime = nanoTime;
        this.lastStartNanos = nanoTime.getAsLong() - intervalNanos;
    }

    /**
     * Returns once a read that began after this call has ended; rethrows its failure.
     *
     * @throws InterruptedException if interrupted while waiting for the read
     */
    void awaitRead() throws InterruptedException {
        long mine;
        synchronized (this) {
            long wanted = started + 1; // any read numbered from here on begins after this call
            waiting++;
            try {
                while (true) {
                    if (ended >= wanted) {
                        if (failedRead == ended && failure != null) {
                            throw failure;
                        }
                        return;
                    }
                    long now = nanoTime.getAsLong();
                    long due = lastStartNanos + intervalNanos - now;
                    if (!running && due <= 0) {
                        running = true;
                        lastStartNanos = now;
                        mine = ++started;
                        break;
                    }
                    long waitNanos = running ? intervalNanos : due;
                    TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, waitNanos));
                }
            } finally {
                waiting--;
            }
        }
        RuntimeException thrown = null;
        try {
            refresh.run();
        } catch (RuntimeException e) {
            thrown = e;
        }
        synchronized (this) {
            running = false;
            ended = mine;
            if (thrown != null) {
                failedRead = mine;
                failure = thrown;
            }
            notifyAll();
        }
        if (thrown != null) {
            throw thrown;
        }
    }

    /** Callers waiting for a read to begin or end. */
    synchronized int waiting() {
        return waiting;
    }

    /** Reads begun so far. */
    synchronized long reads() {
        return started;
    }
}
