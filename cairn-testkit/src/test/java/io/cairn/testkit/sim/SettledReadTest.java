package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.protocol.Effect;
import io.cairn.protocol.Event;
import io.cairn.protocol.LogRecord;
import io.cairn.protocol.Reply;
import io.cairn.protocol.ReplicaConfig;
import io.cairn.protocol.ReplicaStateMachine;
import io.cairn.protocol.Request;
import io.cairn.protocol.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A settled read (the read a gateway falls back on when a primary cannot be reached) must never
 * miss an acknowledged write. A replica back from a restart catches up from its primary's log,
 * which holds one version per key: when a write is on its way there (sequenced, its mirror to this
 * replica lost), it may supersede an acknowledged version the replica never got, and a catch-up
 * that ends then is not enough. The simulator reaches that interleaving about once in 2,000 long
 * runs, so it is played here step by step against the real replica.
 */
class SettledReadTest {

    private static final PartitionId P = ThreeNodes.P;

    @Test
    void aCatchUpThatEndsWhileAWriteIsOnItsWayDoesNotSettleTheCopy() {
        ThreeNodes three = ThreeNodes.up();
        long epoch = three.epoch();
        StepDriver r = new StepDriver(three.holders().get(1));
        r.handle(new Event.MapInstalled(three.placement()));

        // Back from a restart with an empty copy, and still catching up: no settled reads.
        assertThat(r.settledGet(P, epoch, "k").status()).isEqualTo(Status.PEERING);

        // The first pull (the under-protected records) and then the log. The primary acknowledged
        // k at (epoch, 1) while this replica was away, and has since sequenced (epoch, 2) of k,
        // whose mirror to this replica is lost: its log shows k at neither, and says a write is on
        // its way.
        r.answerPull(epoch, List.of(), new Version(epoch, 1), true);
        r.answerPull(epoch, List.of(), new Version(epoch, 1), true);
        Reply.GetReply early = r.settledGet(P, epoch, "k");
        assertThat(early.status()).as("caught up while a write of the primary was on its way: %s", early).isEqualTo(Status.PEERING);

        // The next round reaches the end of the log with nothing on its way: k at (epoch, 2).
        r.tick(1_000);
        r.answerPull(epoch, List.of(record("k", new Version(epoch, 2))), new Version(epoch, 2), false);
        Reply.GetReply settled = r.settledGet(P, epoch, "k");
        assertThat(settled.status()).isEqualTo(Status.OK);
        assertThat(settled.record().version()).isEqualTo(new Version(epoch, 2));
        assertThat(r.settledGet(P, epoch, "other").status()).as("a key it does not hold is absent, and it can say so").isEqualTo(Status.NOT_FOUND);

        // A reader that knows a newer map: this replica cannot know what was acknowledged in it.
        assertThat(r.settledGet(P, epoch + 1, "k").status()).isEqualTo(Status.STALE_EPOCH);
    }

    @Test
    void aCatchUpThatFindsARecordSupersededAtItsSourceDoesNotSettleTheCopy() {
        ThreeNodes three = ThreeNodes.up();
        long epoch = three.epoch();
        StepDriver r = new StepDriver(three.holders().get(1));
        r.handle(new Event.MapInstalled(three.placement()));

        // The primary acknowledged k at (epoch, 1) while this replica was away. Its log shows
        // that, with nothing on its way.
        r.answerPull(epoch, List.of(), new Version(epoch, 1), false);
        byte[] data = {7, 7, 7};
        LogRecord acknowledged = new LogRecord("k", new Version(epoch, 1), false, new byte[0], null, true, data.length,
                io.cairn.protocol.Checksums.crc32c(java.nio.ByteBuffer.wrap(data)), false);
        r.answerPull(epoch, List.of(acknowledged), new Version(epoch, 1), false);

        // Before this replica fetches k's data, the primary sequences (epoch, 2) of k, whose
        // mirror to this replica fails (its disk is full, say) and which is not acknowledged. The
        // fetch finds k superseded at the source.
        Effect.Send fetch = r.calls.stream().filter(c -> c.request() instanceof Request.Get).findFirst().orElseThrow();
        r.calls.remove(fetch);
        LogRecord newer = new LogRecord("k", new Version(epoch, 2), false, new byte[0], java.nio.ByteBuffer.wrap(data), true,
                data.length, io.cairn.protocol.Checksums.crc32c(java.nio.ByteBuffer.wrap(data)), false);
        r.handle(new Event.Answered(fetch.call(), new Reply.GetReply(Status.OK, epoch, "", newer)));

        // The replica holds neither version of k: it must not answer settled reads as if it
        // held every acknowledged write.
        Reply.GetReply read = r.settledGet(P, epoch, "k");
        assertThat(read.status()).as("a settled read of a key whose acknowledged version this copy skipped: %s", read)
                .isEqualTo(Status.PEERING);

        // The next round starts where this one ended and reaches the newer version.
        r.tick(1_000);
        r.answerPull(epoch, List.of(newer.withBlob(null)), new Version(epoch, 2), false);
        Effect.Send fetchNewer = r.calls.stream().filter(c -> c.request() instanceof Request.Get).findFirst().orElseThrow();
        r.calls.remove(fetchNewer);
        r.handle(new Event.Answered(fetchNewer.call(), new Reply.GetReply(Status.OK, epoch, "", newer)));
        Reply.GetReply settled = r.settledGet(P, epoch, "k");
        assertThat(settled.status()).isEqualTo(Status.OK);
        assertThat(settled.record().version()).isEqualTo(new Version(epoch, 2));
    }

    private static LogRecord record(String key, Version v) {
        return new LogRecord(key, v, false, new byte[] {1}, null, false, 0, 0, false);
    }
}
