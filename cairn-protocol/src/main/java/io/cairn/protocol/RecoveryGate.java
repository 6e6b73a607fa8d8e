package io.cairn.protocol;

import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;

/**
 * Bounds how many partitions pull logs and data from peers at once, and decides who goes next
 * when a pull ends: the most urgent waiter, first come first served within one urgency. So a
 * partition that refuses writes while it peers is not stuck behind bulk backfill, and records
 * written with too few copies are copied before the rest. Pure: a grant is handed to
 * {@code later}, which the replica runs after the event at hand.
 */
final class RecoveryGate {

    /** In rising order of urgency. */
    enum Priority {
        /** Catching up the whole log: backfill and rebalancing. */
        BACKFILL,
        /** Copying the records that were acknowledged with too few copies. */
        UNDER_PROTECTED,
        /** A new primary settling its history: the partition's writes wait for it. */
        PEERING
    }

    /** One request for a permit: granted once, released (or withdrawn) once. */
    final class Ticket {
        private final Priority priority;
        private final Runnable onGranted;
        private boolean granted;
        private boolean finished;

        private Ticket(Priority priority, Runnable onGranted) {
            this.priority = priority;
            this.onGranted = onGranted;
        }

        boolean granted() {
            return granted && !finished;
        }

        /** Gives the permit back, or withdraws the request if it was not granted yet. Idempotent. */
        void release() {
            if (finished) {
                return;
            }
            finished = true;
            if (granted) {
                if (inUse <= 0) {
                    throw new IllegalStateException("recovery gate: release without a permit in use");
                }
                inUse--;
            } else {
                waiting.get(priority).remove(this);
            }
            grant();
        }
    }

    private final int permits;
    private final java.util.function.Consumer<Runnable> later;
    private final Map<Priority, ArrayDeque<Ticket>> waiting = new EnumMap<>(Priority.class);
    private int inUse;

    RecoveryGate(int permits, java.util.function.Consumer<Runnable> later) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be at least 1: " + permits);
        }
        this.permits = permits;
        this.later = later;
        for (Priority p : Priority.values()) {
            waiting.put(p, new ArrayDeque<>());
        }
    }

    /** Asks for a permit; {@code onGranted} runs (after the current event) once it is this request's turn. */
    Ticket request(Priority priority, Runnable onGranted) {
        Ticket t = new Ticket(priority, onGranted);
        waiting.get(priority).addLast(t);
        grant();
        return t;
    }

    int waiting(Priority priority) {
        return waiting.get(priority).size();
    }

    int inUse() {
        return inUse;
    }

    private void grant() {
        Priority[] byUrgency = Priority.values();
        while (inUse < permits) {
            Ticket next = null;
            for (int i = byUrgency.length - 1; i >= 0 && next == null; i--) {
                next = waiting.get(byUrgency[i]).pollFirst();
            }
            if (next == null) {
                return;
            }
            inUse++;
            next.granted = true;
            later.accept(next.onGranted);
        }
    }
}
