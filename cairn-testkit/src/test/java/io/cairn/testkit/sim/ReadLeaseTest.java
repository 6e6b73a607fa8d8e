package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.placement.PlacementTable;
import io.cairn.protocol.Effect;
import io.cairn.protocol.Event;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.cairn.protocol.Status;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Read leases (the protocol's {@code ReadLeases}), played step by step against the real replica:
 * a holder answers a leased read only while a lease from its primary runs; a primary that drops a
 * holder it granted a lease to acknowledges no write until that lease has run out; a cluster on
 * one site grants none.
 */
class ReadLeaseTest {

    private static final PartitionId P = ThreeNodes.P;
    private static final long LEASE_MILLIS = StepDriver.HEARTBEAT_MILLIS * 3 / 2;

    /** Four nodes, two in each of two sites, and a pool rep3 of one partition. */
    private static ClusterMap twoSites() {
        List<NodeInfo> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String site = i < 2 ? "site1" : "site2";
            nodes.add(new NodeInfo("n" + i, site, "zone" + i, "n" + i + ":9000", "n" + i + ":9100", null, 1L << 30, NodeState.UP, true));
        }
        return ClusterMap.empty().next(nodes, List.of(new PoolInfo("rep3", StoragePolicy.replicated(3), 1)), List.of(), List.of());
    }

    private static PlacementTable placement(ClusterMap map) {
        return PlacementTable.compute(map, Simulation.PLACEMENT);
    }

    @Test
    void aHolderAnswersLeasedReadsOnlyWhileALeaseFromItsPrimaryRuns() {
        ClusterMap map = twoSites();
        List<String> holders = placement(map).of(P).upHolders(map);
        String primary = holders.get(0);
        long epoch = map.epoch();
        // Settled: a catch-up (under-protected records, then the log) reached the end of the primary's log.
        StepDriver r = takingIn(map, holders.get(1));
        assertThat(r.settledGet(P, epoch, "k").status()).as("settled").isEqualTo(Status.NOT_FOUND);

        assertThat(leasedGet(r, epoch, "k").status()).as("a settled copy without a lease").isEqualTo(Status.PEERING);
        assertThat(leasedScan(r, epoch).status()).as("a leased scan without a lease").isEqualTo(Status.PEERING);

        // Its pings ask for leases; the primary grants one.
        r.tick(StepDriver.HEARTBEAT_MILLIS);
        long asked = r.now;
        Effect.Send ping = pingTo(r, primary);
        r.handle(new Event.Answered(ping.call(), new Reply.PingReply(Status.OK, epoch, "", primary, true)));
        assertThat(leasedGet(r, epoch, "k").status()).as("with a running lease").isEqualTo(Status.NOT_FOUND);
        assertThat(leasedScan(r, epoch).status()).as("a leased scan with a running lease").isEqualTo(Status.OK);

        // The lease runs from the asking, not from the answer.
        r.now = asked + LEASE_MILLIS;
        assertThat(leasedGet(r, epoch, "k").status()).as("once the lease has run out").isEqualTo(Status.PEERING);
        assertThat(leasedScan(r, epoch).status()).as("a leased scan once the lease has run out").isEqualTo(Status.PEERING);

        // A ping answered without a grant gives none.
        r.tick(StepDriver.HEARTBEAT_MILLIS);
        r.handle(new Event.Answered(pingTo(r, primary).call(), new Reply.PingReply(Status.OK, epoch, "", primary, false)));
        assertThat(leasedGet(r, epoch, "k").status()).as("no grant").isEqualTo(Status.PEERING);
    }

    @Test
    void aPrimaryThatDropsAHolderHoldsWritesUntilItsLeaseHasRunOut() {
        ClusterMap map = twoSites();
        List<String> holders = placement(map).of(P).upHolders(map);
        String dropped = holders.get(1);
        long epoch = map.epoch();
        // It peers with the other holders (empty logs) and becomes active.
        StepDriver primary = takingIn(map, holders.get(0));
        // A new primary cannot know what a predecessor granted: it waits 3.5 heartbeat intervals.
        Reply first = primary.ask(write(epoch, "k"));
        assertThat(first).as("a write right after becoming primary: %s", first).isInstanceOf(Reply.ApplyReply.class);
        assertThat(((Reply.ApplyReply) first).message()).contains("read leases");
        primary.now = StepDriver.HEARTBEAT_MILLIS * 7 / 2;
        // It hears from the meta service.
        primary.tick(1);
        primary.handle(new Event.MetaAnswered(true, epoch, false, null));

        Reply.PingReply grant = (Reply.PingReply) primary.ask(new Request.Ping(epoch, dropped));
        assertThat(grant.lease()).as("a lease granted to a holder in a cluster over two sites").isTrue();
        long grantedAt = primary.now;

        // The next map marks that holder down; the primary peers with the holder that remains.
        List<NodeInfo> nodes = map.nodes().stream().map(n -> n.id().equals(dropped) ? n.withState(NodeState.DOWN) : n).toList();
        // The primary and the holder that remains have been up holders since the partition began.
        ClusterMap next = ThreeNodes.withUpSince(map.next(nodes, map.pools(), map.buckets(), map.users()), P,
                java.util.Map.of(holders.get(0), 0L, holders.get(2), 0L));
        primary.handle(new Event.MapInstalled(placement(next)));
        primary.answerPull(next.epoch(), List.of(), Version.ZERO, false);
        assertThat(primary.machine.machines().get(P).active()).as("active again after peering").isTrue();

        Reply refused = primary.ask(write(next.epoch(), "k"));
        assertThat(refused).isInstanceOf(Reply.ApplyReply.class);
        assertThat(((Reply.ApplyReply) refused).status()).as("a write while %s may still read under its lease: %s", dropped, refused)
                .isEqualTo(Status.PEERING);
        assertThat(((Reply.ApplyReply) refused).message()).contains("read leases");

        primary.now = grantedAt + LEASE_MILLIS;
        primary.calls.clear();
        Reply taken = primary.ask(write(next.epoch(), "k"));
        assertThat(taken).as("not refused once the lease has run out: %s", taken).isNull();
        assertThat(primary.calls).as("mirrored to the holder that remains").anyMatch(c -> c.request() instanceof Request.Mirror);
    }

    @Test
    void aClusterOnOneSiteGrantsNoLeases() {
        ThreeNodes three = ThreeNodes.up();
        StepDriver primary = new StepDriver(three.holders().get(0));
        primary.handle(new Event.MapInstalled(three.placement()));
        primary.tick(1);
        primary.handle(new Event.MetaAnswered(true, three.epoch(), false, null));
        Reply.PingReply answer = (Reply.PingReply) primary.ask(new Request.Ping(three.epoch(), three.holders().get(1)));
        assertThat(answer.lease()).isFalse();
    }

    /** {@code self} taking {@code map} in, with the two log pulls that follow answered with empty logs. */
    private static StepDriver takingIn(ClusterMap map, String self) {
        StepDriver d = new StepDriver(self);
        d.handle(new Event.MapInstalled(placement(map)));
        d.answerPull(map.epoch(), List.of(), Version.ZERO, false);
        d.answerPull(map.epoch(), List.of(), Version.ZERO, false);
        return d;
    }

    private static Reply.GetReply leasedGet(StepDriver r, long epoch, String key) {
        return (Reply.GetReply) r.ask(new Request.Get(epoch, P, key, false, true, 0, true, true));
    }

    private static Reply.ScanReply leasedScan(StepDriver r, long epoch) {
        return (Reply.ScanReply) r.ask(new Request.Scan(epoch, P, "", "", 10, 0, "", true, true));
    }

    private static Effect.Send pingTo(StepDriver r, String peer) {
        return r.calls.stream().filter(c -> c.request() instanceof Request.Ping && c.to().equals(peer)).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no ping to " + peer));
    }

    private static Request.Apply write(long epoch, String key) {
        ByteBuffer blob = ByteBuffer.wrap(new byte[] {1, 2, 3});
        return new Request.Apply(epoch, P, key, false, new byte[0], blob, io.cairn.protocol.Checksums.crc32c(blob.duplicate()), 0, null);
    }
}
