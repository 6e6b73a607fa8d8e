package io.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackupLedgerTest {

    private static final PartitionId P0 = new PartitionId("rep3", 0);
    private static final PartitionId P1 = new PartitionId("rep3", 1);

    private static Shipment page(PartitionId p, long round, Version boundary, ShipPosition from, boolean first, boolean last,
                                 Version holeUntil, String shipper) {
        return new Shipment(p, round, boundary, from, first, last, holeUntil, List.of(), shipper);
    }

    private static void ship(BackupLedger ledger, Shipment s) {
        assertThat(ledger.admit(s).take()).as("admitted: %s", s).isTrue();
        ledger.taken(s);
    }

    @Test
    void aRoundIsShownOnceEveryPartitionShippedItWhole() {
        BackupLedger ledger = new BackupLedger(Set.of(P0, P1));
        ship(ledger, page(P0, 3, new Version(5, 2), ShipPosition.NONE, true, true, Version.ZERO, "n0/1/5"));
        assertThat(ledger.visibleRounds()).isEmpty();
        ship(ledger, page(P1, 3, new Version(5, 7), ShipPosition.NONE, true, false, Version.ZERO, "n1/1/5"));
        assertThat(ledger.visibleRounds()).as("P1 has not shipped its last page").isEmpty();
        ship(ledger, page(P1, 3, new Version(5, 7), ShipPosition.NONE, false, true, Version.ZERO, "n1/1/5"));
        assertThat(ledger.visibleRounds()).containsExactly(3L);
        assertThat(ledger.position(P1)).isEqualTo(new ShipPosition(3, new Version(5, 7), Version.ZERO));
    }

    @Test
    void aFirstPageIsTakenOnlyFromThePositionHeld() {
        BackupLedger ledger = new BackupLedger(Set.of(P0));
        ship(ledger, page(P0, 3, new Version(5, 2), ShipPosition.NONE, true, true, Version.ZERO, "n0/1/5"));
        BackupLedger.Decision stale = ledger.admit(page(P0, 4, new Version(5, 4), ShipPosition.NONE, true, true, Version.ZERO, "n0/1/5"));
        assertThat(stale.take()).isFalse();
        assertThat(stale.positionChanged()).as("the shipper asks again").isTrue();
        assertThat(ledger.position(P0).round()).isEqualTo(3);
    }

    @Test
    void laterPagesComeOnlyFromTheFirstPagesShipper() {
        BackupLedger ledger = new BackupLedger(Set.of(P0));
        ShipPosition from = ShipPosition.NONE;
        ship(ledger, page(P0, 3, new Version(5, 9), from, true, false, Version.ZERO, "n0/1/5"));
        // A deposed primary that does not know it yet ships the same round.
        assertThat(ledger.admit(page(P0, 3, new Version(5, 9), from, false, true, Version.ZERO, "n2/4/6")).take()).isFalse();
        // A new primary starts the round over: the old shipper's pages are refused from then on.
        ship(ledger, page(P0, 3, new Version(5, 9), from, true, false, Version.ZERO, "n2/4/6"));
        assertThat(ledger.dropsAbove(page(P0, 3, new Version(5, 9), from, true, false, Version.ZERO, "n2/4/6"))).isZero();
        assertThat(ledger.admit(page(P0, 3, new Version(5, 9), from, false, true, Version.ZERO, "n0/1/5")).take()).isFalse();
        ship(ledger, page(P0, 3, new Version(5, 9), from, false, true, Version.ZERO, "n2/4/6"));
        assertThat(ledger.visibleRounds()).containsExactly(3L);
    }

    @Test
    void aHoleIsNeverShownAndItsPositionCarriesItOn() {
        BackupLedger ledger = new BackupLedger(Set.of(P0));
        ship(ledger, page(P0, 3, new Version(5, 2), ShipPosition.NONE, true, true, new Version(5, 6), "n0/1/5"));
        assertThat(ledger.visibleRounds()).isEmpty();
        assertThat(ledger.roundsWithHoles()).isEqualTo(1);
        ShipPosition at = ledger.position(P0);
        assertThat(at.holeUntil()).isEqualTo(new Version(5, 6));
        // The shipper carries the hole into the next round whose boundary is still below it.
        ship(ledger, page(P0, 4, new Version(5, 4), at, true, true, new Version(5, 6), "n0/1/5"));
        ship(ledger, page(P0, 5, new Version(5, 6), ledger.position(P0), true, true, Version.ZERO, "n0/1/5"));
        assertThat(ledger.visibleRounds()).containsExactly(5L);
        assertThat(ledger.position(P0).holeUntil()).isEqualTo(Version.ZERO);
    }

    @Test
    void aPartitionTheBackupDoesNotTakeIsRefused() {
        BackupLedger ledger = new BackupLedger(Set.of(P0));
        BackupLedger.Decision d = ledger.admit(page(P1, 1, new Version(5, 1), ShipPosition.NONE, true, true, Version.ZERO, "n0/1/5"));
        assertThat(d.take()).isFalse();
        assertThat(d.positionChanged()).isFalse();
        assertThat(d.why()).contains("rep3/1");
    }

    @Test
    void anAccountRestoredGoesOnWhereTheLedgerWas() {
        BackupLedger ledger = new BackupLedger(Set.of(P0, P1));
        ship(ledger, page(P0, 3, new Version(5, 2), ShipPosition.NONE, true, true, Version.ZERO, "n0/1/5"));
        Shipment first = page(P0, 4, new Version(5, 3), ledger.position(P0), true, false, Version.ZERO, "n0/1/5");
        ship(ledger, first);

        // Each partition's account alone, as a backup node keeps it with the partition and reads it back.
        BackupLedger.Account a0 = ledger.account(P0);
        assertThat(a0.underWay()).isEqualTo(4L);
        assertThat(a0.shipper()).isEqualTo("n0/1/5");
        BackupLedger mine = new BackupLedger(Set.of(P0));
        mine.restore(P0, a0);
        assertThat(mine.admit(page(P0, 4, new Version(5, 3), first.from(), false, true, Version.ZERO, "n2/1/6")).take())
                .as("a later page from another shipper").isFalse();
        ship(mine, page(P0, 4, new Version(5, 3), first.from(), false, true, Version.ZERO, "n0/1/5"));
        assertThat(mine.account(P0).underWay()).isNull();
        assertThat(mine.account(P0).whole()).containsExactly(3L, 4L);

        BackupLedger all = new BackupLedger(Set.of(P0, P1));
        all.restore(P0, mine.account(P0));
        all.restore(P1, ledger.account(P1));
        assertThat(all.visibleRounds()).as("P1 shipped nothing").isEmpty();
        ship(all, page(P1, 3, new Version(5, 9), ShipPosition.NONE, true, true, Version.ZERO, "n1/1/5"));
        assertThat(all.visibleRounds()).containsExactly(3L);
    }

    @Test
    void roundsBelowAShownRoundAreForgottenAndTheShownRoundStays() {
        BackupLedger ledger = new BackupLedger(Set.of(P0, P1));
        for (long round = 1; round <= 4; round++) {
            ship(ledger, page(P0, round, new Version(5, round), ledger.position(P0), true, true, Version.ZERO, "n0/1/5"));
            ship(ledger, page(P1, round, new Version(5, round), ledger.position(P1), true, true, round == 2 ? new Version(5, 3) : Version.ZERO,
                    "n1/1/5"));
        }
        assertThat(ledger.visibleRounds()).as("round 2 is a hole of P1").containsExactly(1L, 3L, 4L);
        assertThat(ledger.roundsWithHoles()).isEqualTo(1);
        ledger.forgetBelow(4);
        assertThat(ledger.visibleRounds()).containsExactly(4L);
        assertThat(ledger.account(P0).whole()).containsExactly(4L);
        assertThat(ledger.roundsWithHoles()).isZero();
        assertThatThrownBy(() -> ledger.forgetBelow(3)).as("round 3 is forgotten").isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAccountNeedsItsShipperExactlyWhenARoundIsUnderWay() {
        assertThatThrownBy(() -> new BackupLedger.Account(ShipPosition.NONE, 3L, null, new java.util.TreeSet<>(), new java.util.TreeSet<>()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BackupLedger(Set.of(P0)).restore(P1, BackupLedger.Account.NONE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aPageIsTakenOnlyIfTheBackupHoldsEveryKeyItSaysItDoesAtThatVersion() {
        ShipPosition from = new ShipPosition(3, new Version(5, 9), Version.ZERO);
        Shipment s = new Shipment(P0, 4, new Version(5, 12), from, true, true, Version.ZERO, List.of(), "n0/1/5",
                List.of(new Shipment.Held("a", new Version(5, 1)), new Shipment.Held("b", new Version(5, 2)),
                        new Shipment.Held("c", new Version(5, 3))));
        java.util.Map<String, Version> newest = new java.util.HashMap<>(java.util.Map.of("a", new Version(5, 1), "b", new Version(5, 2),
                "c", new Version(5, 3)));
        assertThat(BackupLedger.checkHeld(s, newest::get).take()).isTrue();
        // b at another version here (an older one, or one the primary site lost), and c not at all.
        newest.put("b", new Version(4, 7));
        newest.remove("c");
        BackupLedger.Decision d = BackupLedger.checkHeld(s, newest::get);
        assertThat(d.take()).isFalse();
        assertThat(d.positionChanged()).isFalse();
        assertThat(d.missing()).containsExactly("b", "c");
        assertThat(d.why()).contains("2 of the 3 keys");
        assertThat(BackupLedger.checkHeld(page(P0, 4, new Version(5, 12), from, true, true, Version.ZERO, "n0/1/5"), k -> null).take())
                .as("a page that holds nothing").isTrue();
    }
}
