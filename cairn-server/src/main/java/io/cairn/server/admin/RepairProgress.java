package io.cairn.server.admin;

import java.util.ArrayDeque;

/**
 * The rate and ETA of re-protection, from successive estimates of the bytes left (one per status
 * request). Keeps at most {@value #SAMPLES_MAX} samples of the last {@value #WINDOW_SECONDS} s;
 * starts over when the work grows (a new failure) or is done.
 */
public final class RepairProgress {

    static final int SAMPLES_MAX = 256;
    static final long WINDOW_SECONDS = 120;
    /** Shortest span of samples a rate is computed from. */
    static final long SPAN_MIN_NANOS = 5_000_000_000L;

    private final ArrayDeque<long[]> samples = new ArrayDeque<>(); // {nanos, bytes left}

    public synchronized ClusterStatus.Repair observe(long nowNanos, long bytesLeft, int partitionsLeft, long recordsLeft,
            long underProtected) {
        if (partitionsLeft == 0) {
            samples.clear();
            return new ClusterStatus.Repair(0, 0, 0, 0, 0, underProtected);
        }
        if (!samples.isEmpty() && bytesLeft > samples.peekLast()[1]) {
            samples.clear();
        }
        samples.addLast(new long[] {nowNanos, bytesLeft});
        while (samples.size() > SAMPLES_MAX || nowNanos - samples.peekFirst()[0] > WINDOW_SECONDS * 1_000_000_000L) {
            samples.removeFirst();
        }
        long[] oldest = samples.peekFirst();
        long span = nowNanos - oldest[0];
        long done = oldest[1] - bytesLeft;
        if (span < SPAN_MIN_NANOS || done <= 0) {
            return new ClusterStatus.Repair(bytesLeft, -1, partitionsLeft, 0, recordsLeft, underProtected);
        }
        long rate = (long) (done / (span / 1e9));
        long eta = rate == 0 ? -1 : Math.ceilDiv(bytesLeft, rate);
        return new ClusterStatus.Repair(bytesLeft, eta, partitionsLeft, rate, recordsLeft, underProtected);
    }
}
