package io.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.protocol.RecoveryGate.Priority;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecoveryGateTest {

    /** Grants run when the replica would run them: after the event at hand. */
    private final ArrayDeque<Runnable> later = new ArrayDeque<>();

    private void runLater() {
        Runnable r;
        while ((r = later.pollFirst()) != null) {
            r.run();
        }
    }

    @Test
    void whenAPermitFreesTheMostUrgentWaiterGoesFirst() {
        RecoveryGate gate = new RecoveryGate(1, later::addLast);
        RecoveryGate.Ticket first = gate.request(Priority.BACKFILL, () -> { });
        runLater();
        assertThat(first.granted()).isTrue();
        List<String> order = new ArrayList<>();
        List<RecoveryGate.Ticket> tickets = new ArrayList<>();
        for (Priority p : List.of(Priority.BACKFILL, Priority.UNDER_PROTECTED, Priority.PEERING, Priority.UNDER_PROTECTED)) {
            int n = tickets.size();
            tickets.add(gate.request(p, () -> order.add(p + "#" + n)));
        }
        runLater();
        assertThat(order).isEmpty();
        assertThat(gate.waiting(Priority.UNDER_PROTECTED)).isEqualTo(2);

        first.release();
        runLater();
        assertThat(order).containsExactly("PEERING#2");
        tickets.get(2).release();
        runLater();
        tickets.get(1).release();
        runLater();
        tickets.get(3).release();
        runLater();
        assertThat(order).containsExactly("PEERING#2", "UNDER_PROTECTED#1", "UNDER_PROTECTED#3", "BACKFILL#0");
        tickets.get(0).release();
        assertThat(gate.inUse()).isZero();
    }

    @Test
    void aWaiterThatGivesUpIsNeverGrantedAndLetsTheOthersIn() {
        RecoveryGate gate = new RecoveryGate(1, later::addLast);
        RecoveryGate.Ticket held = gate.request(Priority.BACKFILL, () -> { });
        List<String> granted = new ArrayList<>();
        RecoveryGate.Ticket urgent = gate.request(Priority.PEERING, () -> granted.add("peering"));
        gate.request(Priority.BACKFILL, () -> granted.add("backfill"));
        runLater();
        urgent.release(); // withdrawn before its turn
        held.release();
        runLater();
        assertThat(granted).containsExactly("backfill");
        assertThat(gate.inUse()).isEqualTo(1);
    }

    @Test
    void permitsBoundHowManyPullAtOnceAndReleasingTwiceChangesNothing() {
        RecoveryGate gate = new RecoveryGate(2, later::addLast);
        List<RecoveryGate.Ticket> t = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            t.add(gate.request(Priority.BACKFILL, () -> { }));
        }
        runLater();
        assertThat(gate.inUse()).isEqualTo(2);
        assertThat(t.get(2).granted()).isFalse();
        t.get(0).release();
        t.get(0).release();
        runLater();
        assertThat(gate.inUse()).isEqualTo(2);
        assertThat(t.get(2).granted()).isTrue();
        assertThatThrownBy(() -> new RecoveryGate(0, later::addLast)).isInstanceOf(IllegalArgumentException.class);
    }
}
