package io.cairn.node.replication;

/**
 * Limits the bytes per second a node pulls from its peers for catch-up, peering and backfill,
 * so that re-protection leaves client traffic its share of the disks and the network. A token
 * bucket holding at most one second of budget; callers block until their bytes fit. Runtime
 * code: it reads the monotonic clock and sleeps.
 */
final class RecoveryThrottle {

    private final long bytesPerSecond;
    private double tokens;
    private long lastNanos;

    /** @param bytesPerSecond the limit, or 0 for none */
    RecoveryThrottle(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("bytesPerSecond must be >= 0 (0: no limit): " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.tokens = bytesPerSecond;
        this.lastNanos = System.nanoTime();
    }

    /** Waits until {@code bytes} may be pulled. A single pull larger than the budget waits for its share and goes. */
    void acquire(long bytes) throws InterruptedException {
        if (bytesPerSecond == 0 || bytes <= 0) {
            return;
        }
        long waitNanos;
        synchronized (this) {
            long now = System.nanoTime();
            tokens = Math.min(bytesPerSecond, tokens + (now - lastNanos) * (bytesPerSecond / 1e9));
            lastNanos = now;
            tokens -= bytes;
            waitNanos = tokens >= 0 ? 0 : (long) (-tokens / bytesPerSecond * 1e9);
        }
        if (waitNanos > 0) {
            Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
        }
    }
}
