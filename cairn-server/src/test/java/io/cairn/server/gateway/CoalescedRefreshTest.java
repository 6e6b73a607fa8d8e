package io.cairn.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CoalescedRefreshTest {

    @Test
    void callersShareReadsAndEachSeesAReadThatBeganAfterItsCall() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch firstReadMayEnd = new CountDownLatch(1);
        CoalescedRefresh[] holder = new CoalescedRefresh[1];
        AtomicLong readsBegunWhenCalled = new AtomicLong();
        holder[0] = new CoalescedRefresh(() -> {
            if (reads.incrementAndGet() == 1) {
                try {
                    firstReadMayEnd.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }, 10, TimeUnit.MILLISECONDS, System::nanoTime);
        CoalescedRefresh r = holder[0];
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            Future<?> first = pool.submit(() -> {
                r.awaitRead();
                return null;
            });
            while (r.reads() < 1) {
                Thread.onSpinWait();
            }
            // 49 callers arrive while the first read is running: it began before them, so none may use it.
            List<Future<?>> later = new ArrayList<>();
            readsBegunWhenCalled.set(r.reads());
            for (int i = 0; i < 49; i++) {
                later.add(pool.submit(() -> {
                    r.awaitRead();
                    return null;
                }));
            }
            while (r.waiting() < 49) {
                Thread.onSpinWait();
            }
            assertThat(later).noneMatch(Future::isDone);
            firstReadMayEnd.countDown();
            first.get(5, TimeUnit.SECONDS);
            for (Future<?> f : later) {
                f.get(5, TimeUnit.SECONDS);
            }
            // One read for the first caller, one shared by the other 49.
            assertThat(reads.get()).isEqualTo(2);
            assertThat(r.reads()).isEqualTo(readsBegunWhenCalled.get() + 1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void readsBeginAtMostOncePerInterval() throws Exception {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        AtomicInteger reads = new AtomicInteger();
        CoalescedRefresh r = new CoalescedRefresh(reads::incrementAndGet, 1, TimeUnit.SECONDS, now::get);
        r.awaitRead();
        assertThat(reads.get()).isEqualTo(1);
        Thread waiter = new Thread(() -> {
            try {
                r.awaitRead();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        while (r.waiting() < 1) {
            Thread.onSpinWait();
        }
        Thread.sleep(50); // real time passes, the injected clock does not: no second read may begin
        assertThat(reads.get()).isEqualTo(1);
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        waiter.join(10_000); // the waiter wakes within its wait of one interval (1 s real time) and reads
        assertThat(waiter.isAlive()).isFalse();
        assertThat(reads.get()).isEqualTo(2);
    }

    @Test
    void aFailedReadFailsItsCallersAndTheNextReadIsTriedAgain() throws Exception {
        AtomicLong now = new AtomicLong(0);
        AtomicInteger calls = new AtomicInteger();
        CoalescedRefresh r = new CoalescedRefresh(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("meta service unavailable");
            }
        }, 1, TimeUnit.SECONDS, now::get);
        assertThatThrownBy(r::awaitRead).isInstanceOf(IllegalStateException.class).hasMessageContaining("unavailable");
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        r.awaitRead();
        assertThat(calls.get()).isEqualTo(2);
    }
}
