package io.cairn.store;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Paces compaction to a byte rate: each {@link #acquire} waits until its bytes fit the rate. */
final class CompactionRateLimiter {

    private static final long BURST_NANOS = 100_000_000L;

    private final long bytesPerSecond;
    private long nextFreeNanos = System.nanoTime();

    CompactionRateLimiter(long bytesPerSecond) {
        if (bytesPerSecond < 1) {
            throw new IllegalArgumentException("rate must be positive: " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Waits until bytes may be copied; returns early (false) if stop becomes true. */
    synchronized boolean acquire(long bytes, BooleanSupplier stop) {
        long now = System.nanoTime();
        nextFreeNanos = Math.max(nextFreeNanos, now - BURST_NANOS);
        long cost = (long) (bytes * 1e9 / bytesPerSecond);
        long waitUntil = nextFreeNanos;
        nextFreeNanos += cost;
        while (System.nanoTime() < waitUntil) {
            if (stop.getAsBoolean()) {
                return false;
            }
            LockSupport.parkNanos(Math.min(waitUntil - System.nanoTime(), 50_000_000L));
        }
        return !stop.getAsBoolean();
    }
}
