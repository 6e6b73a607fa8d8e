package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
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
 * A read at the primary shows a write only once the write's client has its answer. A primary
 * that showed a write still on its way to its mirrors could crash before any of them has it; the
 * new primary would not have it either, and a reader would have seen a write that then vanished
 * (a backup site's account of a partition read so, say, and a round shown on the strength of it).
 * Played step by step against the real primary; the simulator crashes primaries right after such
 * reads to catch the same fault ({@code Simulation#readAtPrimary}).
 */
class ReadsOfWritesUnderWayTest {

    private static final PartitionId P = ThreeNodes.P;

    @Test
    void readsAtThePrimaryWaitForTheWritesTheyWouldShow() {
        ThreeNodes three = ThreeNodes.up();
        long epoch = three.epoch();
        StepDriver primary = new StepDriver(three.holders().getFirst());
        primary.handle(new Event.MapInstalled(three.placement()));
        primary.answerPull(epoch, List.of(), Version.ZERO, false, true);
        primary.answerPull(epoch, List.of(), Version.ZERO, false, true);
        primary.tick(100);

        Version first = write(primary, epoch, "k", "one", Status.OK);
        assertThat(get(primary, epoch, "k")).as("a write answered: shown at once").isEqualTo("one");

        // The next write of k is durable here; its mirrors are on their way.
        long writing = primary.receive(apply(epoch, "k", "two"));
        List<Effect.Send> mirrors = mirrors(primary);
        assertThat(mirrors).hasSize(2);
        long read = primary.receive(new Request.Get(epoch, P, "k", true, false, 0));
        long scan = primary.receive(new Request.Scan(epoch, P, "", "", 10, 0));
        assertThat(primary.answerTo(read)).as("a read of k while its write is on its way to the mirrors").isNull();
        assertThat(primary.answerTo(scan)).as("a scan that would show that write").isNull();
        assertThat(get(primary, epoch, "other")).as("a read of another key does not wait").isNull();

        primary.handle(new Event.Answered(mirrors.get(0).call(), new Reply.MirrorReply(Status.OK, epoch, "")));
        assertThat(primary.answerTo(read)).as("one mirror of two has it").isNull();
        primary.handle(new Event.Answered(mirrors.get(1).call(), new Reply.MirrorReply(Status.OK, epoch, "")));
        Reply.ApplyReply done = (Reply.ApplyReply) primary.answerTo(writing);
        assertThat(done.status()).isEqualTo(Status.OK);
        assertThat(done.version().isAfter(first)).as("%s after %s", done.version(), first).isTrue();
        Reply.GetReply got = (Reply.GetReply) primary.answerTo(read);
        assertThat(got.status()).isEqualTo(Status.OK);
        assertThat(got.record().version()).isEqualTo(done.version());
        assertThat(text(got.record())).isEqualTo("two");
        Reply.ScanReply listed = (Reply.ScanReply) primary.answerTo(scan);
        assertThat(listed.records()).extracting(LogRecord::version).containsExactly(done.version());

        // A write one of whose mirrors fails is answered as failed; a read of it waits for that answer too.
        long failing = primary.receive(apply(epoch, "k", "three"));
        mirrors = mirrors(primary);
        long again = primary.receive(new Request.Get(epoch, P, "k", true, false, 0));
        primary.handle(new Event.Answered(mirrors.get(0).call(), new Reply.MirrorReply(Status.OK, epoch, "")));
        assertThat(primary.answerTo(again)).isNull();
        primary.handle(new Event.Answered(mirrors.get(1).call(), new Reply.MirrorReply(Status.ERROR, epoch, "local write failed")));
        assertThat(((Reply.ApplyReply) primary.answerTo(failing)).status()).isEqualTo(Status.REPLICATION_FAILED);
        assertThat(primary.answerTo(again)).as("answered once the writer is").isNotNull();
    }

    private static Request.Apply apply(long epoch, String key, String value) {
        ByteBuffer blob = ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8));
        return new Request.Apply(epoch, P, key, false, new byte[0], blob, Checksums.crc32c(blob.duplicate()), 0, null);
    }

    /** Writes {@code key} and answers its mirrors; its version. */
    private static Version write(StepDriver primary, long epoch, String key, String value, Status expected) {
        long id = primary.receive(apply(epoch, key, value));
        for (Effect.Send m : mirrors(primary)) {
            primary.handle(new Event.Answered(m.call(), new Reply.MirrorReply(Status.OK, epoch, "")));
        }
        Reply.ApplyReply done = (Reply.ApplyReply) primary.answerTo(id);
        assertThat(done.status()).isEqualTo(expected);
        return done.version();
    }

    /** The mirrors the primary has sent and nobody answered yet, taken off its calls. */
    private static List<Effect.Send> mirrors(StepDriver primary) {
        List<Effect.Send> out = new ArrayList<>();
        primary.calls.removeIf(s -> s.request() instanceof Request.Mirror && out.add(s));
        return out;
    }

    /** The value a read at the primary answers at once, or null when it answers nothing (yet) or finds nothing. */
    private static String get(StepDriver primary, long epoch, String key) {
        Reply r = primary.ask(new Request.Get(epoch, P, key, true, false, 0));
        return r instanceof Reply.GetReply g && g.status() == Status.OK ? text(g.record()) : null;
    }

    private static String text(LogRecord r) {
        return StandardCharsets.UTF_8.decode(r.blob().duplicate()).toString();
    }
}
