package io.cairn.testkit.sim;

import java.util.HashSet;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The simulated clock, event queue and network. Everything runs in one thread in the order of
 * (time, insertion): a run is a pure function of its seed. The network delays each message by
 * a random time (so messages reorder), loses some, and drops everything across a partition.
 */
final class SimWorld {

    private record Event(long at, long order, Runnable action) {}

    final Random random;
    private final PriorityQueue<Event> events = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    private long now;
    private long order;

    /** Probability that a message is lost. */
    double lossRate;
    long delayMinMillis = 1;
    long delayMaxMillis = 20;
    /** Nodes cut off from everyone else (both ways), meta included. */
    final Set<String> isolated = new HashSet<>();
    long messagesSent;
    long messagesLost;
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

    /**
     * Sends {@code message} from {@code from} to {@code to}; {@code deliver} runs on arrival,
     * unless the message is lost or the two ends are on different sides of a partition (then,
     * or at arrival).
     */
    <M> void send(String from, String to, M message, Consumer<M> deliver) {
        messagesSent++;
        if (cut(from, to) || random.nextDouble() < lossRate) {
            messagesLost++;
            return;
        }
        long delay = delayMinMillis + (long) (random.nextDouble() * (delayMaxMillis - delayMinMillis));
        after(delay, () -> {
            if (cut(from, to)) {
                messagesLost++;
                return;
            }
            deliver.accept(message);
        });
    }

    private boolean cut(String from, String to) {
        return !from.equals(to) && (isolated.contains(from) || isolated.contains(to));
    }

    /** One line of the run's trace: simulated time, who, what. */
    void trace(String who, String what) {
        if (traceTo != null) {
            traceTo.printf("%8d %-4s %s%n", now, who, what);
        }
    }

    long randomBetween(long min, long max) {
        return min + (long) (random.nextDouble() * (max - min));
    }
}
