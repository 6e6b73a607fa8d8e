package io.cairn.bench.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The PUTs of each object of a load, each with the moment it began and the moment it was
 * acknowledged, to judge what a GET may return as a linearizable register would: a generation
 * whose PUT began before the GET ended, and that no PUT acknowledged before the GET began had
 * followed in real time. Two PUTs of one object that overlap may take effect in either order, so
 * a GET after both may return either of them.
 */
final class WriteHistory {

    /** Not acknowledged (yet, or ever). */
    private static final long PENDING = Long.MAX_VALUE;

    /** Per object: one {@code {generation, began, acknowledged}} per PUT, in nanoseconds; guarded by the list. */
    private final List<List<long[]>> writes;
    private final AtomicLongArray newest;

    WriteHistory(int objects) {
        writes = new ArrayList<>(objects);
        for (int i = 0; i < objects; i++) {
            writes.add(new ArrayList<>(2));
        }
        newest = new AtomicLongArray(objects);
    }

    /** A generation of object {@code i} newer than any begun. */
    long nextGeneration(int i) {
        return newest.incrementAndGet(i);
    }

    /** Records that a PUT of generation {@code g} of object {@code i} begins at {@code nanos}; pass what it returns to {@link #acknowledged}. */
    long[] began(int i, long g, long nanos) {
        newest.accumulateAndGet(i, g, Math::max);
        long[] w = {g, nanos, PENDING};
        List<long[]> ws = writes.get(i);
        synchronized (ws) {
            ws.add(w);
        }
        return w;
    }

    void acknowledged(int i, long[] write, long nanos) {
        List<long[]> ws = writes.get(i);
        synchronized (ws) {
            write[2] = nanos;
        }
    }

    /**
     * Why a GET of object {@code i} that began at {@code getBegan} and ended at {@code getEnded}
     * could not have returned generation {@code g}; null when it could.
     */
    String refusal(int i, long g, long getBegan, long getEnded) {
        List<long[]> ws = writes.get(i);
        synchronized (ws) {
            long[] w = null;
            for (long[] x : ws) {
                if (x[0] == g) {
                    w = x;
                }
            }
            if (w == null) {
                return "generation " + g + " was never written";
            }
            if (w[1] > getEnded) {
                return "generation " + g + " was written after the GET ended";
            }
            for (long[] later : ws) {
                if (later != w && w[2] < later[1] && later[2] < getBegan) {
                    return "generation " + g + " was overwritten by generation " + later[0] + ", acknowledged before the GET began";
                }
            }
            return null;
        }
    }
}
