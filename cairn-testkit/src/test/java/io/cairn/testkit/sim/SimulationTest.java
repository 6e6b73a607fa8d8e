package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The deterministic cluster simulation, running the production replication protocol, over 3,300
 * seeds: 1,000 with one node crashed or cut off at a time, 600 with two and 400 with three, 300
 * over two sites with whole sites lost or cut, and 1,000 of seven nodes over two sites; every
 * run has a replicated and an erasure-coded pool, message loss, delay and reordering, one-way and
 * partial cuts, full and slow disks, flipped bits and the meta service away for a while; half of
 * them take consistent cuts. Every run must keep the safety checks (no two primaries in one epoch,
 * no version sequenced twice, no wrong bytes read, no torn stripe read, no acknowledged write
 * lost, no write a read at a primary showed lost before its writer was answered, every recorded
 * cut consistent) and reach full redundancy
 * with no under-protected mark left within the bound once the faults are healed. A failure lists
 * the command that replays each failing run. See docs/simulation.md.
 */
class SimulationTest {

    static final int STEPS = 300;
    static long base;

    @BeforeAll
    static void seed() {
        base = Long.getLong("cairn.seed", System.nanoTime() & 0xffff_ffffL);
        System.out.println("SimulationTest base seed " + base
                + " (replay the whole set: ./mvnw -pl cairn-testkit test -Dtest=SimulationTest -Dcairn.seed=" + base + ")");
    }

    @Test
    void oneFaultyNodeAtATime() {
        runs(0, 1000, 3, 5, 1);
    }

    @Test
    void twoFaultyNodesAtATime() {
        runs(1000, 600, 4, 4, 2);
    }

    @Test
    void threeFaultyNodesAtATime() {
        runs(1600, 400, 5, 4, 3);
    }

    @Test
    void aWholeSiteLostOrCutAtATime() {
        runs(2000, 300, 4, 4, 1, 2);
    }

    /**
     * Seven nodes over two sites, where a node cut from the meta service alone is marked down while
     * it still reaches its primary and may hold a running read lease: writes follow each such mark
     * and leased reads at the dropped holder follow each write. A runtime whose primary does not
     * wait out a dropped holder's lease before acknowledging without it failed 6 of 1,000 of these
     * runs (docs/simulation.md).
     */
    @Test
    void leasedReadsAtHoldersJustMarkedDown() {
        runs(2300, 1000, 7, 1, 1, 2);
    }

    /**
     * A run in which a primary sequenced a write on a slow disk, took a new map epoch before its own
     * write ended, and answered the next cut with only what it had applied: that cut's boundary fell
     * below a version the cut before counted, which then landed and was shipped, and the backup site
     * showed it in a round that did not count it. A node now counts a write it sequenced until its
     * own write ends, whatever the epoch ({@code Cuts.prepare}); without that this run fails.
     */
    @Test
    void aWriteSequencedBeforeAnEpochChangeStaysInsideTheLaterCuts() {
        Simulation.Outcome o = Simulation.run(new Simulation.Config(3852609039L, 6, STEPS, 1, 2));
        assertThat(o.figures().get("cuts_recorded")).as("cuts recorded").isGreaterThan(10);
        assertThat(o.ok()).as("%s: %s", o.config().command(), o.violations()).isTrue();
    }

    @Test
    void aSeedReplaysTheSameRunEventForEvent() {
        Simulation.Config config = new Simulation.Config(base, 6, 200, 2);
        String first = traced(config);
        String second = traced(config);
        assertThat(first).as("trace of " + config.command()).isNotEmpty().isEqualTo(second);
    }

    private static String traced(Simulation.Config config) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Simulation.Outcome o = Simulation.run(config, new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8) + o.figures();
    }

    /**
     * Runs {@code seeds} seeds from {@code base + offset}, with {@code minNodes} to
     * {@code minNodes + spread - 1} nodes and at most {@code faulty} faulty at once, two at a time
     * (each run is one thread and depends on its seed alone).
     */
    private static void runs(int offset, int seeds, int minNodes, int spread, int faulty) {
        runs(offset, seeds, minNodes, spread, faulty, 1);
    }

    /** As {@link #runs(int, int, int, int, int)}, with the nodes spread over {@code sites} sites (whole sites lost or cut too). */
    private static void runs(int offset, int seeds, int minNodes, int spread, int faulty, int sites) {
        ConcurrentLinkedQueue<Simulation.Outcome> outcomes = new ConcurrentLinkedQueue<>();
        IntStream.range(0, seeds).parallel().forEach(i -> outcomes.add(
                Simulation.run(new Simulation.Config(base + offset + i, minNodes + i % spread, STEPS, faulty, sites))));
        List<String> failed = new ArrayList<>();
        long acknowledged = 0;
        long crashes = 0;
        long crashesAfterUnacknowledgedReads = 0;
        long cuts = 0;
        long sitesLostOrCut = 0;
        long siteLinksCut = 0;
        long bitFlips = 0;
        long rolledBack = 0;
        long droppedHolderReads = 0;
        long cutsRecorded = 0;
        long writesAcrossCuts = 0;
        long shippingRuns = 0;
        long roundsShown = 0;
        long roundsWithHoles = 0;
        long backupLinkCuts = 0;
        long healedMillisMax = 0;
        for (Simulation.Outcome o : outcomes) {
            if (!o.ok()) {
                failed.add("reproduce: " + o.config().command() + "  " + o.violations() + " " + o.unhealed());
            }
            Map<String, Long> f = o.figures();
            acknowledged += f.get("writes_acknowledged");
            crashes += f.get("crashes");
            crashesAfterUnacknowledgedReads += f.get("crashes_after_unacknowledged_reads");
            cuts += f.get("cuts");
            sitesLostOrCut += f.get("sites_lost") + f.get("sites_cut") + f.get("site_links_cut");
            siteLinksCut += f.get("site_links_cut");
            bitFlips += f.get("bit_flips");
            rolledBack += f.get("stripes_rolled_back");
            droppedHolderReads += f.get("dropped_holder_reads");
            cutsRecorded += f.get("cuts_recorded");
            writesAcrossCuts += f.get("writes_across_cuts");
            shippingRuns += f.get("shipping");
            roundsShown += f.get("backup_rounds_visible");
            roundsWithHoles += f.get("backup_rounds_with_holes");
            backupLinkCuts += f.get("backup_link_cuts");
            healedMillisMax = Math.max(healedMillisMax, f.get("healed_after_ms"));
        }
        failed.sort(null);
        System.out.printf("%d runs, %d-%d nodes in %d site(s), at most %d faulty: %d acknowledged writes, %d crashes"
                + " (%d of a primary right after a read there showed a write not acknowledged yet), %d cuts,"
                + " %d sites lost or cut (%d only from the other sites), %d bit flips, %d torn stripes rolled back,"
                + " %d leased reads at holders just marked down, %d consistent cuts recorded (%d writes aimed across one);"
                + " %d runs shipping to a backup site: %d rounds it may show checked, %d rounds with holes, %d cuts of its link;"
                + " slowest return to full redundancy %d simulated ms; %d failed%n",
                seeds, minNodes, minNodes + spread - 1, sites, faulty, acknowledged, crashes, crashesAfterUnacknowledgedReads, cuts, sitesLostOrCut,
                siteLinksCut, bitFlips, rolledBack, droppedHolderReads, cutsRecorded, writesAcrossCuts, shippingRuns, roundsShown,
                roundsWithHoles, backupLinkCuts, healedMillisMax, failed.size());
        assertThat(failed).as("runs that broke a check (each line replays one)").isEmpty();
        assertThat(acknowledged).as("acknowledged writes over all runs").isGreaterThan(seeds * 10L);
        // What catches a primary that shows a write before its writer is answered (Simulation#readAtPrimary).
        assertThat(crashesAfterUnacknowledgedReads).as("primaries crashed right after showing a write not acknowledged yet")
                .isGreaterThan(seeds / 10);
        // Half the runs take consistent cuts (Simulation picks by seed), each a few dozen rounds.
        assertThat(cutsRecorded).as("consistent cuts recorded over all runs").isGreaterThan(seeds);
        // Half the runs with cuts ship them to a backup site; most of their rounds become visible there.
        assertThat(shippingRuns).as("runs shipping to a backup site").isGreaterThan(seeds / 8);
        assertThat(roundsShown).as("backup rounds checked over all runs").isGreaterThan(shippingRuns * 3);
        if (sites > 1) {
            assertThat(sitesLostOrCut).as("whole sites lost or cut over all runs").isGreaterThan(seeds / 10);
            assertThat(siteLinksCut).as("links between the sites cut over all runs").isGreaterThan(seeds / 30);
            assertThat(droppedHolderReads).as("leased reads at holders just marked down over all runs").isGreaterThan(seeds / 10);
        }
    }
}
