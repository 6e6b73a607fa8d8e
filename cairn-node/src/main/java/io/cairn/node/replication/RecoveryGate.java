package io.cairn.node.replication;

/**
 * Bounds how many partitions pull logs and data from peers at once, and decides who goes next
 * when a pull ends: a waiter is let in only while no waiter of a higher priority waits. So a
 * partition that refuses writes while it peers is not stuck behind bulk backfill, and records
 * written with too few copies are copied before the rest.
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

    private final int permits;
    private int inUse;
    private final int[] waiting = new int[Priority.values().length];

    RecoveryGate(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be at least 1: " + permits);
        }
        this.permits = permits;
    }

    /** Waits for a permit; every call that returns must be paired with one {@link #release()}. */
    synchronized void acquire(Priority priority) throws InterruptedException {
        waiting[priority.ordinal()]++;
        boolean acquired = false;
        try {
            while (inUse >= permits || higherWaiting(priority)) {
                wait();
            }
            inUse++;
            acquired = true;
        } finally {
            waiting[priority.ordinal()]--;
            if (!acquired) {
                notifyAll(); // a lower priority may go now that this one gave up
            }
        }
    }

    synchronized void release() {
        if (inUse == 0) {
            throw new IllegalStateException("release without a permit");
        }
        inUse--;
        notifyAll();
    }

    synchronized int waiting(Priority priority) {
        return waiting[priority.ordinal()];
    }

    synchronized int inUse() {
        return inUse;
    }

    private boolean higherWaiting(Priority priority) {
        for (int i = priority.ordinal() + 1; i < waiting.length; i++) {
            if (waiting[i] > 0) {
                return true;
            }
        }
        return false;
    }
}
