package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the deterministic cluster simulation for 1,000 seeds (3 to 7 nodes, one node crashed or
 * cut off at a time, with message loss, delay and reordering, full disks and flipped bits
 * throughout). Every run must keep the safety checks: no two primaries in one epoch, no version
 * sequenced twice, no wrong bytes read, no acknowledged write lost. A failure prints the
 * command that replays it. Runs that did not reach full redundancy within the bound after the
 * faults were healed are printed with their commands and counted (see docs/simulation.md: a
 * known gap, replicas keeping unacknowledged writes the primary never saw).
 */
class SimulationTest {

    static final int SEEDS = 1000;
    static final int STEPS = 300;

    @Test
    void thousandSeedsKeepEveryAcknowledgedWriteAndNeverReadWrongBytes() {
        long base = Long.getLong("cairn.seed", System.nanoTime() & 0xffff_ffffL);
        System.out.println("SimulationTest base seed " + base + " (replay the whole set: ./mvnw -pl cairn-testkit test"
                + " -Dtest=SimulationTest -Dcairn.seed=" + base + ")");
        List<String> unsafe = new ArrayList<>();
        List<String> unhealed = new ArrayList<>();
        long acknowledged = 0;
        long crashes = 0;
        long healedMillisMax = 0;
        for (int i = 0; i < SEEDS; i++) {
            int nodes = 3 + i % 5;
            Simulation.Outcome o = Simulation.run(new Simulation.Config(base + i, nodes, STEPS, 1));
            if (!o.violations().isEmpty()) {
                unsafe.add(o.config().command() + ": " + o.violations());
            }
            if (!o.unhealed().isEmpty()) {
                unhealed.add(o.config().command() + ": " + o.unhealed());
            }
            acknowledged += o.figures().get("puts_acknowledged");
            crashes += o.figures().get("crashes");
            healedMillisMax = Math.max(healedMillisMax, o.figures().get("healed_after_ms"));
        }
        System.out.printf("%d runs: %d acknowledged writes, %d crashes; slowest return to full redundancy %d ms (simulated);"
                + " %d runs unsafe, %d not at full redundancy within the bound%n", SEEDS, acknowledged, crashes, healedMillisMax,
                unsafe.size(), unhealed.size());
        unhealed.stream().limit(20).forEach(u -> System.out.println("not healed: " + u));
        assertThat(acknowledged).as("acknowledged writes over all runs").isGreaterThan(SEEDS * 10L);
        assertThat(unsafe).as("runs that broke a safety check (each line replays one)").isEmpty();
    }
}
