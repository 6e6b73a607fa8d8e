package io.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;

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
}
