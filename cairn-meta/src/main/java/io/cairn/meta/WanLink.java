package io.cairn.meta;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A wide-area link between sites on one machine, for tests (the test machines' kernels have no
 * {@code netem}): each event of a call across it (a message, a close) arrives one round trip
 * late, and with {@code lossPercent}, an event is lost now and then and arrives a
 * {@link #RETRANSMIT_MILLIS retransmission} later still, as TCP delivers a lost segment, holding
 * back every later event of its call (head-of-line blocking). A call's events keep their order:
 * each goes through the call's {@link Lane}.
 */
public final class WanLink {

    /** How much later a lost event arrives: Linux's least TCP retransmission timeout. */
    public static final long RETRANSMIT_MILLIS = 200;
    /** The most loss a node's configuration may ask for. */
    public static final double LOSS_PERCENT_MAX = 50;

    private final long roundTripNanos;
    private final double lossRate;

    /**
     * @param oneWayMillis the delay each way, at least 1
     * @param lossPercent  the share of events lost and sent again, 0 to 100
     */
    public WanLink(long oneWayMillis, double lossPercent) {
        if (oneWayMillis <= 0) {
            throw new IllegalArgumentException("oneWayMillis must be positive: " + oneWayMillis);
        }
        if (!(lossPercent >= 0 && lossPercent <= 100)) {
            throw new IllegalArgumentException("lossPercent must be 0..100: " + lossPercent);
        }
        this.roundTripNanos = 2 * oneWayMillis * 1_000_000;
        this.lossRate = lossPercent / 100;
    }

    public long roundTripMillis() {
        return roundTripNanos / 1_000_000;
    }

    /** The order of one call's events. */
    public Lane lane() {
        return new Lane();
    }

    /**
     * One call's events: each arrives no sooner than the one before it, and is handed over after
     * it. (Two events due at the same moment must not race on the timer: a call's close run
     * before its last message would lose the message, as a stream closed with no reply.)
     */
    public final class Lane {
        private long lastAtNanos = Long.MIN_VALUE;
        /** Events sent and not handed over yet, in the order sent, each with when it arrives. */
        private final java.util.ArrayDeque<Object[]> inFlight = new java.util.ArrayDeque<>();

        /** Nanoseconds from now until the next event of the call arrives. */
        public long nextDelayNanos() {
            long now = System.nanoTime();
            return arrival(now, lost()) - now;
        }

        /**
         * Sends {@code event} over the link: {@code timer} (one thread) runs it when it arrives, after
         * every event sent on this lane before it.
         */
        public void send(java.util.concurrent.ScheduledExecutorService timer, Runnable event) {
            long at;
            synchronized (this) {
                at = arrival(System.nanoTime(), lost());
                inFlight.add(new Object[] {at, event});
            }
            timer.schedule(this::handOver, at - System.nanoTime(), java.util.concurrent.TimeUnit.NANOSECONDS);
        }

        /** Runs, in order, every event that has arrived by now. */
        private void handOver() {
            while (true) {
                Runnable next;
                synchronized (this) {
                    Object[] head = inFlight.peek();
                    if (head == null || (long) head[0] - System.nanoTime() > 0) {
                        return;
                    }
                    inFlight.poll();
                    next = (Runnable) head[1];
                }
                next.run();
            }
        }

        private boolean lost() {
            return lossRate > 0 && ThreadLocalRandom.current().nextDouble() < lossRate;
        }

        /** When an event sent at {@code nowNanos} arrives ({@code lost}: sent again): never before the one sent before it. */
        synchronized long arrival(long nowNanos, boolean lost) {
            long at = nowNanos + roundTripNanos + (lost ? RETRANSMIT_MILLIS * 1_000_000 : 0);
            if (lastAtNanos != Long.MIN_VALUE && at - lastAtNanos < 0) {
                at = lastAtNanos;
            }
            lastAtNanos = at;
            return at;
        }
    }
}
