package io.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.partition.Version;
import io.cairn.protocol.PartitionStateMachine.Admission;
import io.cairn.protocol.PartitionStateMachine.Effect;
import io.cairn.protocol.PartitionStateMachine.Refusal;
import io.cairn.protocol.PartitionStateMachine.Role;
import io.cairn.protocol.PartitionStateMachine.WriteDecision;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PartitionStateMachineTest {

    private static PartitionStateMachine fresh(String self) {
        return new PartitionStateMachine(self, Version.ZERO, Version.ZERO);
    }

    @Test
    void aPrimaryGoesActiveOnlyWithACopyThatHoldsEveryAcknowledgedWrite() {
        // Settled in epoch 5, and an up holder without a break since epoch 5: its copy is intact.
        PartitionStateMachine settled = new PartitionStateMachine("a", new Version(5, 3), new Version(5, 3), 5);
        assertThat(settled.onMap(7, List.of("a", "b"), 3, 7, 5, false)).isInstanceOf(Effect.StartPeering.class);
        assertThat(settled.intact()).isTrue();
        settled.peeringDone(7, new Version(5, 3), false);
        assertThat(settled.active()).isTrue();

        // Back since epoch 6, after it last settled in 5: it may have missed writes, and so may b.
        PartitionStateMachine away = new PartitionStateMachine("a", new Version(5, 3), new Version(5, 3), 5);
        away.onMap(7, List.of("a", "b"), 3, 7, 6, false);
        assertThat(away.intact()).isFalse();
        away.peeringDone(7, new Version(5, 3), false);
        assertThat(away.active()).as("no intact copy met, a holder down").isFalse();
        assertThat(away.stuck()).isTrue();
        assertThat(away.admitWrite(7)).isEqualTo(new WriteDecision.Refuse(Refusal.PEERING));
        assertThat(away.admitPrimaryRead(7)).isEqualTo(Admission.REFUSE_PEERING);
        assertThat(away.settledEpoch()).isEqualTo(5);

        // b says its copy is intact: active.
        PartitionStateMachine withB = new PartitionStateMachine("a", new Version(5, 3), new Version(5, 3), 5);
        withB.onMap(7, List.of("a", "b"), 3, 7, 6, false);
        withB.peeringDone(7, new Version(5, 4), true);
        assertThat(withB.active()).isTrue();
        assertThat(withB.settledEpoch()).isEqualTo(7);

        // Every holder up: the copies pulled hold every acknowledged write.
        assertThat(away.onMap(8, List.of("a", "b", "c"), 3, 8, 6, true)).isInstanceOf(Effect.StartPeering.class);
        assertThat(away.stuck()).isFalse();
        away.peeringDone(8, new Version(5, 4), false);
        assertThat(away.active()).isTrue();
        assertThat(away.settledEpoch()).isEqualTo(8);
        assertThat(away.intact()).isTrue();

        // An up holder since the partition began (0) needs no settling.
        PartitionStateMachine always = new PartitionStateMachine("a", Version.ZERO, Version.ZERO, -1);
        always.onMap(3, List.of("a"), 3, 3, 0, false);
        always.peeringDone(3, Version.ZERO, false);
        assertThat(always.active()).isTrue();
    }

    @Test
    void aReplicaSettlesItsCopyByACatchUpThatReachesTheSettledEnd() {
        PartitionStateMachine r = new PartitionStateMachine("b", Version.ZERO, Version.ZERO, -1);
        r.onMap(4, List.of("a", "b"), 3, 4, 4, false);
        assertThat(r.intact()).isFalse();
        r.catchUpDone(4, new Version(4, 2), false);
        assertThat(r.intact()).as("a catch-up that ended while a write was on its way").isFalse();
        r.catchUpDone(4, new Version(4, 2), true);
        assertThat(r.intact()).isTrue();
        assertThat(r.settledEpoch()).isEqualTo(4);
        // Still an up holder since 4 in a later map: still intact. Marked down and back in 6: not.
        r.onMap(5, List.of("b"), 3, 5, 4, false);
        assertThat(r.intact()).isTrue();
        r.onMap(6, List.of("a", "b"), 3, 6, 6, false);
        assertThat(r.intact()).isFalse();
    }

    @Test
    void newPrimaryPeersBeforeItSequencesWrites() {
        PartitionStateMachine a = fresh("a");
        Effect e = a.onMap(1, List.of("a", "b", "c"));
        assertThat(e).isEqualTo(new Effect.StartPeering(1, List.of("b", "c"), Version.ZERO));
        assertThat(a.role()).isEqualTo(Role.PRIMARY);
        assertThat(a.admitWrite(1)).isEqualTo(new WriteDecision.Refuse(Refusal.PEERING));
        assertThat(a.admitPrimaryRead(1)).isEqualTo(Admission.REFUSE_PEERING);

        a.peeringDone(1, new Version(0, 7));
        assertThat(a.active()).isTrue();
        assertThat(a.admitWrite(1)).isEqualTo(new WriteDecision.Sequence(new Version(1, 8)));
        assertThat(a.admitWrite(1)).isEqualTo(new WriteDecision.Sequence(new Version(1, 9)));
        assertThat(a.mirrorTargets()).containsExactly("b", "c");
    }

    @Test
    void aSettledReplicaStaysSettledIntoTheNextEpochOnlyWithTheSamePrimaryAndHolders() {
        PartitionStateMachine b = fresh("b");
        b.onMap(1, List.of("a", "b", "c"));
        assertThat(b.holdsEveryAcknowledged()).isFalse();
        b.catchUpDone(1, new Version(1, 5), true);
        assertThat(b.holdsEveryAcknowledged()).isTrue();
        // A map that moved nothing of the partition (a bucket created): still settled.
        b.onMap(2, List.of("a", "b", "c"));
        assertThat(b.holdsEveryAcknowledged()).isTrue();
        // A holder gone: the primary may have acknowledged writes in this epoch that this copy
        // has not settled against; a catch-up in the epoch must say so again.
        b.onMap(3, List.of("a", "b"));
        assertThat(b.holdsEveryAcknowledged()).isFalse();
        b.catchUpDone(3, new Version(3, 2), true);
        assertThat(b.holdsEveryAcknowledged()).isTrue();
        // An epoch skipped: what happened in it is not known here.
        b.onMap(5, List.of("a", "b"));
        assertThat(b.holdsEveryAcknowledged()).isFalse();
        b.catchUpDone(5, new Version(5, 1), true);
        assertThat(b.holdsEveryAcknowledged()).isTrue();
        // The same holders in another order, this copy now the primary: it peers first.
        b.onMap(6, List.of("b", "a"));
        assertThat(b.role()).isEqualTo(Role.PRIMARY);
        assertThat(b.holdsEveryAcknowledged()).isFalse();
        // A catch-up that ended with writes on their way settles nothing, nor carries.
        PartitionStateMachine c = fresh("c");
        c.onMap(1, List.of("a", "c"));
        c.catchUpDone(1, new Version(1, 3), false);
        c.onMap(2, List.of("a", "c"));
        assertThat(c.holdsEveryAcknowledged()).isFalse();
    }

    @Test
    void peeringOfAnOlderEpochDoesNotActivateANewerOne() {
        PartitionStateMachine a = fresh("a");
        a.onMap(1, List.of("a", "b"));
        a.onMap(2, List.of("a", "c"));
        a.peeringDone(1, Version.ZERO);
        assertThat(a.active()).isFalse();
        a.peeringDone(2, Version.ZERO);
        assertThat(a.active()).isTrue();
    }

    @Test
    void samePrimarySameHoldersStaysActiveAcrossEpochs() {
        PartitionStateMachine a = fresh("a");
        a.onMap(1, List.of("a", "b"));
        a.peeringDone(1, Version.ZERO);
        assertThat(a.onMap(2, List.of("a", "b"))).isEqualTo(new Effect.None());
        assertThat(a.active()).isTrue();
        assertThat(a.admitWrite(2)).isEqualTo(new WriteDecision.Sequence(new Version(2, 1)));
        // A holder left: settle history again.
        assertThat(a.onMap(3, List.of("a"))).isInstanceOf(Effect.StartPeering.class);
        assertThat(a.active()).isFalse();
    }

    @Test
    void aPrimaryThatMissedEpochsPeersAgainEvenWithTheSameHolders() {
        PartitionStateMachine a = fresh("a");
        a.onMap(6, List.of("a", "b"));
        a.peeringDone(6, Version.ZERO);
        // Epochs 7 and 8 (in which b was primary) never reached a; the map says the holders are
        // what they are since 8, or does not say.
        assertThat(a.onMap(9, List.of("a", "b"), 2, 8)).isEqualTo(new Effect.StartPeering(9, List.of("b"), Version.ZERO));
        assertThat(a.active()).isFalse();
        assertThat(a.admitWrite(9)).isEqualTo(new WriteDecision.Refuse(PartitionStateMachine.Refusal.PEERING));
        PartitionStateMachine unsaid = fresh("a");
        unsaid.onMap(6, List.of("a", "b"));
        unsaid.peeringDone(6, Version.ZERO);
        assertThat(unsaid.onMap(9, List.of("a", "b"))).isInstanceOf(Effect.StartPeering.class);
    }

    @Test
    void acrossMissedEpochsThatTheMapSaysLeftThePartitionAloneAPrimaryStaysActiveAndAReplicaSettled() {
        PartitionStateMachine a = fresh("a");
        a.onMap(6, List.of("a", "b"), 2, 6);
        a.peeringDone(6, Version.ZERO);
        // Epochs 7 and 8 never reached a, but the map of 9 says a and b hold it since 6.
        assertThat(a.onMap(9, List.of("a", "b"), 2, 6)).isEqualTo(new Effect.None());
        assertThat(a.active()).isTrue();
        assertThat(a.admitWrite(9)).isEqualTo(new WriteDecision.Sequence(new Version(9, 1)));

        PartitionStateMachine b = fresh("b");
        b.onMap(6, List.of("a", "b"), 2, 6);
        b.catchUpDone(6, new Version(6, 4), true);
        b.onMap(9, List.of("a", "b"), 2, 5);
        assertThat(b.holdsEveryAcknowledged()).as("unchanged since before this copy settled").isTrue();
        b.onMap(12, List.of("a", "b"), 2, 10);
        assertThat(b.holdsEveryAcknowledged()).as("changed in an epoch b missed, and back").isFalse();
        // A map that says the holders are unchanged while they differ from this node's is not believed.
        PartitionStateMachine c = fresh("c");
        c.onMap(3, List.of("a", "c"), 2, 3);
        c.catchUpDone(3, new Version(3, 1), true);
        c.onMap(5, List.of("a", "b", "c"), 3, 2);
        assertThat(c.holdsEveryAcknowledged()).isFalse();
    }

    @Test
    void replicaReadsThePrimarysWholeLogOnceAnEpochThenCatchesUpFromItsCursor() {
        PartitionStateMachine b = new PartitionStateMachine("b", new Version(1, 20), new Version(1, 12));
        Effect e = b.onMap(2, List.of("a", "b"));
        // The new primary may hold records older than b's cursor that b lacks: the first pull reads all.
        assertThat(e).isEqualTo(new Effect.StartCatchUp(2, "a", Version.ZERO));
        assertThat(b.recovering()).isTrue();
        assertThat(b.admitWrite(2)).isEqualTo(new WriteDecision.Forward("a"));
        // A catch-up is already running: the tick starts no second one.
        assertThat(b.tick()).isEqualTo(new Effect.None());
        b.catchUpDone(2, new Version(2, 30));
        assertThat(b.cursor()).isEqualTo(new Version(2, 30));
        assertThat(b.recovering()).isFalse();
        assertThat(b.tick()).isEqualTo(new Effect.StartCatchUp(2, "a", new Version(2, 30)));
        // A failed catch-up of a new epoch is retried from the start of the log.
        b.onMap(3, List.of("a", "b"));
        b.catchUpFailed();
        assertThat(b.tick()).isEqualTo(new Effect.StartCatchUp(3, "a", Version.ZERO));
    }

    @Test
    void aPeeringPrimaryDoesNotShowItsLogAndShowsItOnlyUpToTheOldestWriteStillMirroring() {
        PartitionStateMachine a = fresh("a");
        a.onMap(1, List.of("a", "b"));
        assertThat(a.logSettled()).isFalse();
        a.peeringDone(1, new Version(1, 4));
        assertThat(a.logSettled()).isTrue();
        WriteDecision.Sequence five = (WriteDecision.Sequence) a.admitWrite(1);
        a.noteApplied(five.version());
        a.mirroring(five.version());
        WriteDecision.Sequence six = (WriteDecision.Sequence) a.admitWrite(1);
        a.noteApplied(six.version());
        a.mirroring(six.version());
        assertThat(a.logVisibleUpTo()).isEqualTo(new Version(1, 4));
        a.mirrored(five.version());
        assertThat(a.logVisibleUpTo()).isEqualTo(new Version(1, 5));
        a.mirrored(six.version());
        assertThat(a.logVisibleUpTo()).isEqualTo(new Version(1, 6));
    }

    @Test
    void mirrorsAreAcceptedOnlyFromThePrimaryOfTheSameEpoch() {
        PartitionStateMachine b = fresh("b");
        b.onMap(5, List.of("a", "b", "c"));
        assertThat(b.admitMirror(5, "a")).isEqualTo(Admission.ACCEPT);
        assertThat(b.admitMirror(4, "a")).isEqualTo(Admission.REFUSE_STALE_EPOCH);
        assertThat(b.admitMirror(5, "c")).isEqualTo(Admission.REFUSE_NOT_PRIMARY);
        assertThat(b.admitMirror(6, "a")).isEqualTo(Admission.REFRESH_MAP_THEN_RETRY);
    }

    @Test
    void oldMapsAreIgnoredAndWritesFromNewerEpochsAskForAMap() {
        PartitionStateMachine a = fresh("a");
        a.onMap(3, List.of("a"));
        a.peeringDone(3, Version.ZERO);
        assertThat(a.onMap(2, List.of("b", "a"))).isEqualTo(new Effect.None());
        assertThat(a.role()).isEqualTo(Role.PRIMARY);
        assertThat(a.admitWrite(4)).isEqualTo(new WriteDecision.Refuse(Refusal.REFRESH_MAP));
    }

    @Test
    void aNodeThatLeavesThePlacementHasNoRole() {
        PartitionStateMachine c = fresh("c");
        c.onMap(1, List.of("a", "c"));
        assertThat(c.role()).isEqualTo(Role.REPLICA);
        c.onMap(2, List.of("a", "b"));
        assertThat(c.role()).isEqualTo(Role.NONE);
        assertThat(c.recovering()).isFalse();
    }

    /**
     * Random sequences of map changes and completions: whoever is primary and active hands out
     * versions that strictly increase over the whole run, across epochs and role changes.
     */
    @Test
    void versionsStrictlyIncreaseAcrossRandomRoleChanges() {
        long seed = Long.getLong("cairn.seed", System.nanoTime());
        System.out.println("PartitionStateMachineTest seed=" + seed
                + " (reproduce: ./mvnw -pl cairn-protocol test -Dtest=PartitionStateMachineTest -Dcairn.seed=" + seed + ")");
        Random random = new Random(seed);
        List<String> nodes = List.of("a", "b", "c", "d");
        PartitionStateMachine a = fresh("a");
        Version last = Version.ZERO;
        long epoch = 0;
        for (int step = 0; step < 5_000; step++) {
            switch (random.nextInt(4)) {
                case 0 -> {
                    List<String> up = new ArrayList<>(nodes);
                    java.util.Collections.shuffle(up, random);
                    epoch++;
                    a.onMap(epoch, up.subList(0, 1 + random.nextInt(up.size())));
                }
                case 1 -> a.peeringDone(epoch, a.lastApplied());
                default -> {
                    if (a.admitWrite(epoch) instanceof WriteDecision.Sequence s) {
                        assertThat(s.version().isAfter(last)).as("seed %d step %d", seed, step).isTrue();
                        last = s.version();
                        a.noteApplied(s.version());
                    }
                }
            }
        }
    }
    @Test
    void writesWithAHolderDownAreUnderProtectedUntilEveryHolderHoldsThem() {
        PartitionStateMachine a = fresh("a");
        a.onMap(1, List.of("a", "b"), 3); // c is down
        a.peeringDone(1, Version.ZERO);
        assertThat(a.writesUnderProtected()).isTrue();
        a.admitWrite(1);
        a.noteApplied(new Version(1, 1));
        a.holderHolds("b", 1, new Version(1, 1));
        assertThat(a.protectedUpTo()).as("c is still down").isNull();

        a.onMap(2, List.of("a", "b", "c"), 3); // c is back
        assertThat(a.protectedUpTo()).as("peering").isNull();
        a.peeringDone(2, new Version(1, 1));
        assertThat(a.writesUnderProtected()).isFalse();
        a.holderHolds("b", 1, new Version(1, 1));
        assertThat(a.protectedUpTo()).as("b's word is of epoch 1; the log may have grown older records since").isNull();
        a.holderHolds("b", 2, new Version(1, 1));
        a.holderHolds("x", 2, new Version(1, 1));
        assertThat(a.protectedUpTo()).as("c has not said what it holds").isNull();
        a.holderHolds("c", 2, Version.ZERO);
        assertThat(a.protectedUpTo()).isEqualTo(Version.ZERO);
        a.holderHolds("c", 2, new Version(1, 1));
        a.holderHolds("c", 2, Version.ZERO); // an older word does not take back a newer one
        assertThat(a.protectedUpTo()).isEqualTo(new Version(1, 1));

        a.onMap(3, List.of("a", "b", "c"), 3);
        assertThat(a.protectedUpTo()).as("a new epoch starts from nothing").isNull();
        PartitionStateMachine b = fresh("b");
        b.onMap(3, List.of("a", "b", "c"), 3);
        b.holderHolds("c", 3, new Version(1, 1));
        assertThat(b.protectedUpTo()).as("only a primary knows").isNull();
    }
}
