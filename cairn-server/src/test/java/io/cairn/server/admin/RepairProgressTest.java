package io.cairn.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Rate and ETA of re-protection from successive samples of the bytes left (clock passed in). */
class RepairProgressTest {

    private static final long S = 1_000_000_000L;

    @Test
    void rateAndEtaComeFromHowFastTheBytesLeftGoDown() {
        RepairProgress p = new RepairProgress();
        assertThat(p.observe(0, 1000, 10, 1000, 7)).as("one sample: no rate yet").isEqualTo(new ClusterStatus.Repair(1000, -1, 10, 0, 1000, 7));
        assertThat(p.observe(2 * S, 900, 9, 900, 7).etaSeconds()).as("under 5 s of samples").isEqualTo(-1);
        ClusterStatus.Repair r = p.observe(10 * S, 500, 5, 500, 7);
        assertThat(r.bytesPerSecond()).isEqualTo(50);
        assertThat(r.etaSeconds()).isEqualTo(10);
        assertThat(r.partitionsLeft()).isEqualTo(5);
    }

    @Test
    void nothingLeftIsZerosAndNewWorkStartsOver() {
        RepairProgress p = new RepairProgress();
        p.observe(0, 1000, 10, 1000, 7);
        p.observe(10 * S, 500, 5, 500, 7);
        assertThat(p.observe(11 * S, 0, 0, 0, 7)).isEqualTo(new ClusterStatus.Repair(0, 0, 0, 0, 0, 7));
        p.observe(20 * S, 400, 4, 400, 7);
        assertThat(p.observe(30 * S, 2000, 20, 2000, 7).etaSeconds()).as("the work grew: measured afresh").isEqualTo(-1);
    }

    @Test
    void samplesOlderThanTheWindowAreForgotten() {
        RepairProgress p = new RepairProgress();
        p.observe(0, 10_000, 10, 1000, 7);
        p.observe(200 * S, 9_000, 9, 900, 7);
        assertThat(p.observe(202 * S, 8_000, 8, 800, 7).etaSeconds()).as("only the last 2 s are in the window").isEqualTo(-1);
    }
}
