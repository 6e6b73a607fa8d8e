package io.cairn.node;

import java.util.Arrays;

/** The last few latencies of one kind of call, and the hedge delay they suggest. */
final class LatencyWindow {

    /** Below this many samples the default delay holds. */
    static final int SAMPLES_MIN = 16;

    private final long[] nanos;
    private int next;
    private int count;

    LatencyWindow(int size) {
        if (size < SAMPLES_MIN) {
            throw new IllegalArgumentException("a latency window needs at least " + SAMPLES_MIN + " slots: " + size);
        }
        this.nanos = new long[size];
    }

    synchronized void add(long latencyNanos) {
        nanos[next] = latencyNanos;
        next = (next + 1) % nanos.length;
        count = Math.min(count + 1, nanos.length);
    }

    /** Twice the 90th percentile of the window, within [min, max]; {@code fallback} until the window has enough samples. */
    long hedgeDelayMillis(long fallback, long min, long max) {
        long[] sorted;
        synchronized (this) {
            if (count < SAMPLES_MIN) {
                return fallback;
            }
            sorted = Arrays.copyOf(nanos, count);
        }
        Arrays.sort(sorted);
        long p90 = sorted[Math.min(sorted.length - 1, (int) Math.floor(0.9 * sorted.length))];
        return Math.max(min, Math.min(max, 2 * p90 / 1_000_000));
    }
}
