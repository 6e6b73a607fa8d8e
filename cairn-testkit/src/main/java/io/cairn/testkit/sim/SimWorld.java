package io.cairn.testkit.sim;

import java.util.PriorityQueue;
import java.util.Random;

/**
 * The simulated clock and event queue. Everything runs in one thread in the order of (time,
 * insertion): a run is a pure function of its seed.
 */
final class SimWorld {

    private record Event(long at, long order, Runnable action) {}

    final Random random;
    private final PriorityQueue<Event> events = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    private long now;
    private long order;
    /** Where {@link #trace} writes, or null for no trace. */
    java.io.PrintStream traceTo;

    SimWorld(long seed) {
        this.random = new Random(seed);
    }

    long now() {
        return now;
    }

    void after(long delayMillis, Runnable action) {
        events.add(new Event(now + Math.max(0, delayMillis), order++, action));
    }

    /** Runs events until {@code until} (simulated milliseconds). */
    void runUntil(long until) {
        while (!events.isEmpty() && events.peek().at <= until) {
            Event e = events.poll();
            now = e.at;
            e.action.run();
        }
        now = Math.max(now, until);
    }

    boolean tracing() {
        return traceTo != null;
    }

    /** One line of the run's trace: simulated time, who, what. */
    void trace(String who, String what) {
        if (traceTo != null) {
            traceTo.printf("%8d %-6s %s%n", now, who, what);
        }
    }

    long randomBetween(long min, long max) {
        return min + (long) (random.nextDouble() * (max - min));
    }
}
