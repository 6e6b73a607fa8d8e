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
import io.cairn.protocol.Checksums;
import io.cairn.protocol.Effect;
import io.cairn.protocol.Event;
import io.cairn.protocol.LogRecord;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.cairn.protocol.Status;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Locate by search, played step by step against the real replica: a primary asked for a record
 * that a reader knows exists (a chunk an index entry names), of which it has no trace, asks every
 * other up node for its own copy, takes the newest whose data matches its checksum (unless a newer
 * tombstone says it was deleted), writes it anew (mirrored to the other holder) and answers with it.
 */
class LocateBySearchTest {

    private static final PartitionId P = new PartitionId("rep2", 0);
    private static final String KEY = "c/chunk-1";

    /** Four up nodes in one site and a pool rep2 of one partition: two of them hold no copy. */
    private static ClusterMap fourNodes() {
        List<NodeInfo> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nodes.add(new NodeInfo("n" + i, "site1", "zone" + i, "n" + i + ":9000", "n" + i + ":9100", null, 1L << 30, NodeState.UP, true));
        }
        return ClusterMap.empty().next(nodes, List.of(new PoolInfo("rep2", StoragePolicy.replicated(2), 1)), List.of(), List.of());
    }

    private static PlacementTable placement(ClusterMap map) {
        return PlacementTable.compute(map, Simulation.PLACEMENT);
    }

    /** The partition's primary, having peered with empty logs. */
    private static StepDriver primary(ClusterMap map) {
        StepDriver d = new StepDriver(primaryOf(map));
        d.handle(new Event.MapInstalled(placement(map)));
        while (d.calls.stream().anyMatch(c -> c.request() instanceof Request.Since)) {
            d.answerPull(map.epoch(), List.of(), Version.ZERO, false);
        }
        assertThat(d.machine.machines().get(P).active()).as("active after peering").isTrue();
        d.calls.clear();
        return d;
    }

    private static String primaryOf(ClusterMap map) {
        return placement(map).of(P).upHolders(map).getFirst();
    }

    private static LogRecord copy(Version v, String data, boolean damaged) {
        ByteBuffer blob = ByteBuffer.wrap(data.getBytes(StandardCharsets.UTF_8));
        int crc = Checksums.crc32c(blob.duplicate()) ^ (damaged ? 1 : 0);
        return new LogRecord(KEY, v, false, new byte[0], blob, true, blob.remaining(), crc, false);
    }

    private static Effect.Send askedOf(StepDriver d, String peer) {
        return d.calls.stream().filter(c -> c.to().equals(peer) && c.request() instanceof Request.Get g && g.localOnly() && g.key().equals(KEY))
                .findFirst().orElseThrow(() -> new AssertionError("no search asked " + peer + ": " + d.calls));
    }

    private static Request.Get searching(long epoch) {
        return new Request.Get(epoch, P, KEY, true, false, 0, false, false, true);
    }

    @Test
    void aPrimaryWithNoTraceOfARecordFindsAVerifiedCopyElsewhereWritesItAnewAndAnswers() {
        ClusterMap map = fourNodes();
        StepDriver d = primary(map);
        List<String> others = map.nodes().stream().map(NodeInfo::id).filter(id -> !id.equals(primaryOf(map))).toList();
        String otherHolder = placement(map).of(P).upHolders(map).get(1);

        assertThat(d.ask(searching(map.epoch()))).as("answered only once the nodes asked have answered").isNull();
        assertThat(others).allSatisfy(peer -> askedOf(d, peer));
        // A newer copy that fails its checksum is passed over; the verified one is taken.
        d.handle(new Event.Answered(askedOf(d, others.get(0)).call(), new Reply.GetReply(Status.NOT_FOUND, map.epoch(), "", null)));
        d.handle(new Event.Answered(askedOf(d, others.get(1)).call(),
                new Reply.GetReply(Status.OK, map.epoch(), "", copy(new Version(1, 9), "bad bytes", true))));
        d.handle(new Event.Answered(askedOf(d, others.get(2)).call(),
                new Reply.GetReply(Status.OK, map.epoch(), "", copy(new Version(1, 5), "the chunk", false))));

        // Written anew here and mirrored to the other holder before the reader gets it.
        Effect.Send mirror = d.calls.stream().filter(c -> c.request() instanceof Request.Mirror && c.to().equals(otherHolder)).findFirst()
                .orElseThrow(() -> new AssertionError("no mirror to " + otherHolder + ": " + d.calls));
        assertThat(new String(bytes(((Request.Mirror) mirror.request()).record().blob()), StandardCharsets.UTF_8)).isEqualTo("the chunk");
        d.handle(new Event.Answered(mirror.call(), new Reply.MirrorReply(Status.OK, map.epoch(), "")));
        Reply.GetReply answer = d.answers.stream().map(Effect.Respond::reply).filter(Reply.GetReply.class::isInstance)
                .map(Reply.GetReply.class::cast).reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no answer to the read"));
        assertThat(answer.status()).isEqualTo(Status.OK);
        assertThat(new String(bytes(answer.record().blob()), StandardCharsets.UTF_8)).isEqualTo("the chunk");
        assertThat(d.store.get(P, KEY)).as("the primary's own copy").isPresent();

        // A read now finds it here, with no search.
        d.calls.clear();
        Reply again = d.ask(searching(map.epoch()));
        assertThat(again).isInstanceOf(Reply.GetReply.class);
        assertThat(((Reply.GetReply) again).status()).isEqualTo(Status.OK);
        assertThat(d.calls).noneMatch(c -> c.request() instanceof Request.Get);
    }

    @Test
    void aNewerTombstoneOrNoVerifiedCopyIsNotFoundAndWritesNothing() {
        ClusterMap map = fourNodes();
        StepDriver d = primary(map);
        List<String> others = map.nodes().stream().map(NodeInfo::id).filter(id -> !id.equals(primaryOf(map))).toList();
        assertThat(d.ask(searching(map.epoch()))).isNull();
        d.handle(new Event.Answered(askedOf(d, others.get(0)).call(),
                new Reply.GetReply(Status.OK, map.epoch(), "", copy(new Version(1, 5), "the chunk", false))));
        d.handle(new Event.Answered(askedOf(d, others.get(1)).call(), new Reply.GetReply(Status.OK, map.epoch(), "",
                new LogRecord(KEY, new Version(1, 7), true, new byte[0], null, false, 0, 0, false))));
        d.handle(new Event.CallFailed(askedOf(d, others.get(2)).call(), "no answer"));
        Reply.GetReply answer = (Reply.GetReply) d.answers.getLast().reply();
        assertThat(answer.status()).as("deleted after the copy found: %s", answer).isEqualTo(Status.NOT_FOUND);
        assertThat(d.store.get(P, KEY)).isEmpty();
        assertThat(d.calls).noneMatch(c -> c.request() instanceof Request.Mirror);

        // Only damaged copies: not found either.
        d.calls.clear();
        d.answers.clear();
        assertThat(d.ask(searching(map.epoch()))).isNull();
        for (String peer : others) {
            d.handle(new Event.Answered(askedOf(d, peer).call(),
                    new Reply.GetReply(Status.OK, map.epoch(), "", copy(new Version(1, 5), "the chunk", true))));
        }
        assertThat(((Reply.GetReply) d.answers.getLast().reply()).status()).isEqualTo(Status.NOT_FOUND);
        assertThat(d.store.get(P, KEY)).isEmpty();
    }

    @Test
    void aReadThatDoesNotSearchIsAnsweredAtOnce() {
        ClusterMap map = fourNodes();
        StepDriver d = primary(map);
        Reply r = d.ask(new Request.Get(map.epoch(), P, KEY, true, false, 0));
        assertThat(r).isInstanceOf(Reply.GetReply.class);
        assertThat(((Reply.GetReply) r).status()).isEqualTo(Status.NOT_FOUND);
        assertThat(d.calls).noneMatch(c -> c.request() instanceof Request.Get);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
