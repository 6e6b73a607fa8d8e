package io.cairn.node.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cairn.node.replication.RecoveryGate.Priority;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class RecoveryGateTest {

    @Test
    void whenAPermitFreesTheMostUrgentWaiterGoesFirst() throws Exception {
        RecoveryGate gate = new RecoveryGate(1);
        gate.acquire(Priority.BACKFILL);
        List<Priority> order = new CopyOnWriteArrayList<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        for (Priority p : List.of(Priority.BACKFILL, Priority.UNDER_PROTECTED, Priority.PEERING, Priority.UNDER_PROTECTED)) {
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    gate.acquire(p);
                    order.add(p);
                    gate.release();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            threads.add(t);
            await().atMost(Duration.ofSeconds(5)).until(() -> gate.waiting(p) > 0);
        }
        assertThat(order).isEmpty();
        gate.release();
        for (Thread t : threads) {
            t.join(5_000);
        }
        assertThat(order).containsExactly(Priority.PEERING, Priority.UNDER_PROTECTED, Priority.UNDER_PROTECTED, Priority.BACKFILL);
        assertThat(gate.inUse()).isZero();
    }

    @Test
    void aHigherWaiterThatGivesUpLetsTheLowerOnesIn() throws Exception {
        RecoveryGate gate = new RecoveryGate(1);
        gate.acquire(Priority.BACKFILL);
        Thread urgent = Thread.ofVirtual().start(() -> {
            try {
                gate.acquire(Priority.PEERING);
            } catch (InterruptedException e) {
                // gives up
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> gate.waiting(Priority.PEERING) == 1);
        Thread backfill = Thread.ofVirtual().start(() -> {
            try {
                gate.acquire(Priority.BACKFILL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> gate.waiting(Priority.BACKFILL) == 1);
        urgent.interrupt();
        urgent.join(5_000);
        gate.release();
        backfill.join(5_000);
        assertThat(backfill.isAlive()).isFalse();
        assertThat(gate.inUse()).isEqualTo(1);
        gate.release();
        assertThatThrownBy(gate::release).isInstanceOf(IllegalStateException.class);
    }
}
