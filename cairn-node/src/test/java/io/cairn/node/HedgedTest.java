package io.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The hedging of reads: which sources are asked, when, and which answer wins. A source that
 * hangs is one that blocks until its call is cancelled, as a gRPC call to a frozen process does.
 */
class HedgedTest {

    /** Blocks until its context is cancelled (or 60 s pass); notes that it was cancelled. */
    static Hedged.Attempt<String> hanging(AtomicBoolean cancelled) {
        return () -> {
            CountDownLatch never = new CountDownLatch(1);
            Context.current().addListener(c -> {
                cancelled.set(true);
                never.countDown();
            }, Runnable::run);
            never.await(60, TimeUnit.SECONDS);
            throw new IllegalStateException("cancelled");
        };
    }

    @Test
    void aSourceThatHangsIsPassedByAfterTheDelayAndCancelledOnceAnotherAnswers() throws Exception {
        AtomicBoolean cancelled = new AtomicBoolean();
        long t = System.nanoTime();
        Optional<String> got = Hedged.first(List.of(hanging(cancelled), () -> Optional.of("second")), 200, "test");
        long tookMillis = (System.nanoTime() - t) / 1_000_000;
        assertThat(got).contains("second");
        // Not before the delay: the first source had its chance. Far from the 60 s it would hang.
        assertThat(tookMillis).isGreaterThanOrEqualTo(200).isLessThan(30_000);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilTrue(cancelled);
    }

    @Test
    void aSourceThatFailsIsFollowedAtOnceNotAfterTheDelay() throws Exception {
        long t = System.nanoTime();
        Optional<String> got = Hedged.first(List.of(() -> {
            throw new IllegalStateException("unreachable");
        }, Optional::empty, () -> Optional.of("third")), 60_000, "test");
        assertThat(got).contains("third");
        assertThat((System.nanoTime() - t) / 1_000_000).isLessThan(30_000);
    }

    @Test
    void aFirstSourceThatAnswersInTimeIsTheOnlyOneAsked() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        Optional<String> got = Hedged.first(List.of(() -> {
            asked.incrementAndGet();
            return Optional.of("first");
        }, () -> {
            asked.incrementAndGet();
            return Optional.of("second");
        }), 60_000, "test");
        assertThat(got).contains("first");
        assertThat(asked).hasValue(1);
    }

    @Test
    void withALastWaitASourceThatHangsAfterTheOthersRefusedEndsTheRoundEmptyAndIsCancelled() throws Exception {
        AtomicBoolean cancelled = new AtomicBoolean();
        long t = System.nanoTime();
        // The settled reads of a round: one holder refuses at once, the other hangs (frozen).
        Optional<String> got = Hedged.first(List.of(Optional::empty, hanging(cancelled)), 100, 300, "test");
        long tookMillis = (System.nanoTime() - t) / 1_000_000;
        assertThat(got).isEmpty();
        assertThat(tookMillis).isGreaterThanOrEqualTo(300).isLessThan(30_000);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilTrue(cancelled);
        // Without the last wait, the round would wait out the hanging source.
        assertThat(Hedged.first(List.of(Optional::empty, () -> {
            Thread.sleep(400);
            return Optional.of("late");
        }), 100, "test")).contains("late");
    }

    @Test
    void noDecisionAnywhereIsEmpty() throws Exception {
        assertThat(Hedged.<String>first(List.of(Optional::empty, () -> {
            throw new IllegalStateException("down");
        }), 10, "test")).isEmpty();
        assertThat(Hedged.<String>first(List.of(), 10, "test")).isEmpty();
    }

    @Test
    void aSlowAnswerStillWinsWhenItComesFirst() throws Exception {
        AtomicBoolean cancelled = new AtomicBoolean();
        // The first answers after 300 ms, past the 100 ms delay; the second hangs: the first's answer is taken.
        Optional<String> got = Hedged.first(List.of(() -> {
            Thread.sleep(300);
            return Optional.of("slow");
        }, hanging(cancelled)), 100, "test");
        assertThat(got).contains("slow");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilTrue(cancelled);
    }

    @Test
    void theDelayIsTwiceTheNinetiethPercentileWithinItsBounds() {
        LatencyWindow w = new LatencyWindow(100);
        assertThat(w.hedgeDelayMillis(500, 20, 2000)).isEqualTo(500); // too few samples yet
        for (int i = 1; i <= 100; i++) {
            w.add(i * 1_000_000L); // 1..100 ms
        }
        assertThat(w.hedgeDelayMillis(500, 20, 2000)).isEqualTo(182); // p90 = 91 ms
        assertThat(w.hedgeDelayMillis(500, 20, 100)).isEqualTo(100);
        for (int i = 0; i < 100; i++) {
            w.add(1_000L); // the window moves: old samples leave
        }
        assertThat(w.hedgeDelayMillis(500, 20, 2000)).isEqualTo(20);
    }
}
