package io.cairn.protocol;

/**
 * Limits the bytes per second a node pulls from its peers for catch-up, peering and backfill (and
 * reads for its scrub), so that re-protection leaves client traffic its share of the disks and
 * the network. A token bucket holding at most one second of budget, which callers may overdraw:
 * {@link #charge} says when the bytes just charged may go. Pure: time comes in as an argument.
 */
final class RecoveryThrottle {

    private final long bytesPerSecond;
    private double tokens;
    private long lastMillis;

    /** @param bytesPerSecond the limit, or 0 for none */
    RecoveryThrottle(long bytesPerSecond, long nowMillis) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("bytesPerSecond must be >= 0 (0: no limit): " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.tokens = bytesPerSecond;
        this.lastMillis = nowMillis;
    }

    /** Charges {@code bytes}; returns the time (ms, same clock as {@code nowMillis}) from which they may be pulled. */
    long charge(long bytes, long nowMillis) {
        if (bytesPerSecond == 0 || bytes <= 0) {
            return nowMillis;
        }
        if (nowMillis > lastMillis) {
            tokens = Math.min(bytesPerSecond, tokens + (nowMillis - lastMillis) * (bytesPerSecond / 1000.0));
            lastMillis = nowMillis;
        }
        tokens -= bytes;
        return tokens >= 0 ? nowMillis : nowMillis + (long) Math.ceil(-tokens * 1000.0 / bytesPerSecond);
    }
}
