package io.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The emulated wide-area link: a round trip late, a lost event a retransmission later still, and never out of order. */
class WanLinkTest {

    private static final long MS = 1_000_000;

    @Test
    void aLostEventArrivesARetransmissionLateAndHoldsBackTheOnesAfterIt() {
        WanLink link = new WanLink(25, 10);
        assertThat(link.roundTripMillis()).isEqualTo(50);
        WanLink.Lane lane = link.lane();
        assertThat(lane.arrival(0, false)).isEqualTo(50 * MS);
        assertThat(lane.arrival(10 * MS, true)).isEqualTo(260 * MS); // 10 + 50 + 200
        // Sent after the lost one, arriving no sooner: head-of-line blocking, as on a TCP connection.
        assertThat(lane.arrival(20 * MS, false)).isEqualTo(260 * MS);
        assertThat(lane.arrival(100 * MS, false)).isEqualTo(260 * MS);
        assertThat(lane.arrival(300 * MS, false)).isEqualTo(350 * MS);
        // Another call's lane is not held back.
        assertThat(link.lane().arrival(20 * MS, false)).isEqualTo(70 * MS);
    }

    @Test
    void aCallsEventsAreHandedOverInTheOrderSentWhateverIsLost() throws Exception {
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try {
            // Half the events lost: most of the ones after a lost one come due together, and each
            // must still run after the one sent before it (a close after the call's last message).
            java.util.List<WanLink.Lane> lanes = new java.util.ArrayList<>();
            java.util.List<java.util.List<Integer>> handed = new java.util.ArrayList<>();
            WanLink link = new WanLink(1, 50);
            java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(20 * 200);
            for (int l = 0; l < 20; l++) {
                lanes.add(link.lane());
                handed.add(java.util.Collections.synchronizedList(new java.util.ArrayList<>()));
            }
            for (int i = 0; i < 200; i++) {
                for (int l = 0; l < lanes.size(); l++) {
                    int n = i;
                    java.util.List<Integer> out = handed.get(l);
                    lanes.get(l).send(timer, () -> {
                        out.add(n);
                        all.countDown();
                    });
                }
                if (i % 20 == 0) {
                    Thread.sleep(1);
                }
            }
            java.util.List<Integer> sent = java.util.stream.IntStream.range(0, 200).boxed().toList();
            assertThat(all.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("every event handed over").isTrue();
            for (java.util.List<Integer> h : handed) {
                assertThat(h).isEqualTo(sent);
            }
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void withFullLossEveryEventIsSentAgainAndWithoutLossNone() {
        WanLink.Lane lossy = new WanLink(5, 100).lane();
        WanLink.Lane clean = new WanLink(5, 0).lane();
        for (int i = 0; i < 100; i++) {
            assertThat(lossy.nextDelayNanos()).isGreaterThanOrEqualTo(210 * MS);
            long d = clean.nextDelayNanos();
            assertThat(d).isGreaterThan(0).isLessThanOrEqualTo(10 * MS);
        }
        assertThatThrownBy(() -> new WanLink(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WanLink(5, 101)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WanLink(5, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
