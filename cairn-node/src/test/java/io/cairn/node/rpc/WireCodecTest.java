package io.cairn.node.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Message;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.protocol.LogRecord;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.cairn.protocol.Status;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gRPC adapter's translation: every typed message survives the wire, and malformed wire messages are refused. */
class WireCodecTest {

    static final PartitionId P = new PartitionId("rep3", 5);
    static final Version V = new Version(4, 17);

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static LogRecord record() {
        return new LogRecord("i/b/k", V, false, "meta".getBytes(StandardCharsets.UTF_8), bytes("blob"), true, 4, 0x1234, true);
    }

    /** The request a server decodes from what a client encoded. */
    static Request roundTrip(Request r) throws Exception {
        Message wire = WireCodec.proto(r);
        Message parsed = wire.getParserForType().parseFrom(wire.toByteArray());
        return switch (parsed) {
            case ApplyRequest a -> WireCodec.request(a);
            case MirrorRequest m -> WireCodec.request(m);
            case GetRequest g -> WireCodec.request(g);
            case ScanRequest s -> WireCodec.request(s);
            case SinceRequest s -> WireCodec.request(s);
            case RepairRequest b -> WireCodec.request(b);
            case HandOverRequest h -> WireCodec.request(h);
            case PingRequest p -> WireCodec.request(p);
            default -> throw new AssertionError(parsed.getClass());
        };
    }

    static void sameRecord(LogRecord a, LogRecord b) {
        assertThat(b.key()).isEqualTo(a.key());
        assertThat(b.version()).isEqualTo(a.version());
        assertThat(b.tombstone()).isEqualTo(a.tombstone());
        assertThat(b.meta()).isEqualTo(a.meta());
        assertThat(b.blob()).isEqualTo(a.blob());
        assertThat(b.hasBlob()).isEqualTo(a.hasBlob());
        assertThat(b.blobLength()).isEqualTo(a.blobLength());
        assertThat(b.blobCrc32c()).isEqualTo(a.blobCrc32c());
        assertThat(b.underProtected()).isEqualTo(a.underProtected());
    }

    @Test
    void requestsSurviveTheWire() throws Exception {
        Request.Apply apply = new Request.Apply(9, P, "k", false, new byte[] {1, 2}, bytes("data"), 77, 1, V);
        Request.Apply got = (Request.Apply) roundTrip(apply);
        assertThat(got.partition()).isEqualTo(P);
        assertThat(got.blob()).isEqualTo(bytes("data"));
        assertThat(got.onlyIfBefore()).isEqualTo(V);
        assertThat(got.meta()).containsExactly(1, 2);
        assertThat(List.of(got.epoch(), (long) got.hops(), (long) got.blobCrc32c())).containsExactly(9L, 1L, 77L);
        assertThat(((Request.Apply) roundTrip(new Request.Apply(9, P, "k", true, null, null, 0, 0, null))).onlyIfBefore()).isNull();

        Request.Mirror mirror = (Request.Mirror) roundTrip(new Request.Mirror(3, P, record(), "n1", 42));
        sameRecord(record(), mirror.record());
        assertThat(mirror.primary()).isEqualTo("n1");
        assertThat(mirror.incarnation()).isEqualTo(42);
        assertThat(roundTrip(new Request.Get(3, P, "k", true, true, 2))).isEqualTo(new Request.Get(3, P, "k", true, true, 2));
        assertThat(roundTrip(new Request.Scan(3, P, "i/", "i/a", 100, 1))).isEqualTo(new Request.Scan(3, P, "i/", "i/a", 100, 1));
        assertThat(roundTrip(new Request.Scan(3, P, "i/", "i/a", 100, 1, "/"))).isEqualTo(new Request.Scan(3, P, "i/", "i/a", 100, 1, "/"));
        assertThat(roundTrip(new Request.Get(3, P, "k", false, true, 0, true))).isEqualTo(new Request.Get(3, P, "k", false, true, 0, true));
        assertThat(roundTrip(new Request.Get(3, P, "k", false, true, 0, true, true)))
                .isEqualTo(new Request.Get(3, P, "k", false, true, 0, true, true));
        assertThat(roundTrip(new Request.Scan(3, P, "a/", "a/b", 10, 0, "/", true, true)))
                .isEqualTo(new Request.Scan(3, P, "a/", "a/b", 10, 0, "/", true, true));
        assertThat(roundTrip(new Request.Scan(3, P, "i/", "", 10, 0, "/", true))).isEqualTo(new Request.Scan(3, P, "i/", "", 10, 0, "/", true));
        assertThat(roundTrip(new Request.Since(3, P, V, 512, "n2", 3, true, "n1", 42))).isEqualTo(new Request.Since(3, P, V, 512, "n2", 3, true, "n1", 42));
        sameRecord(record(), ((Request.RepairBlock) roundTrip(new Request.RepairBlock(3, P, record()))).record());
        assertThat(roundTrip(new Request.HandOver(3, P, "n3", V))).isEqualTo(new Request.HandOver(3, P, "n3", V));
        assertThat(roundTrip(new Request.Ping(3, "n4"))).isEqualTo(new Request.Ping(3, "n4"));
    }

    @Test
    void repliesSurviveTheWire() throws Exception {
        Reply.ApplyReply apply = new Reply.ApplyReply(Status.OK, 5, "", V, record(), true);
        Reply.ApplyReply a = (Reply.ApplyReply) WireCodec.reply(ApplyReply.parseFrom(WireCodec.proto(apply).toByteArray()));
        assertThat(a.kept()).isTrue();
        assertThat(a.version()).isEqualTo(V);
        sameRecord(record().withBlob(null).withUnderProtected(true), a.previous().withBlob(null));

        Reply.SinceReply since = new Reply.SinceReply(Status.OK, 5, "", List.of(record()), V, true, true, new Version(4, 2), true);
        Reply.SinceReply s = (Reply.SinceReply) WireCodec.reply(SinceReply.parseFrom(WireCodec.proto(since).toByteArray()));
        assertThat(s.last()).isEqualTo(V);
        assertThat(s.more()).isTrue();
        assertThat(s.unsettled()).isTrue();
        assertThat(s.protectedUpTo()).isEqualTo(new Version(4, 2));
        Reply.SinceReply refused = (Reply.SinceReply) WireCodec.reply(SinceReply.parseFrom(WireCodec.proto(
                new Reply.SinceReply(Status.PEERING, 5, "peering", List.of(), null, false, false, null, false)).toByteArray()));
        assertThat(refused.last()).isNull();
        assertThat(refused.status()).isEqualTo(Status.PEERING);

        for (Status status : Status.values()) {
            Reply r = WireCodec.reply(MirrorReply.parseFrom(WireCodec.proto(new Reply.MirrorReply(status, 2, "m")).toByteArray()));
            assertThat(r).isEqualTo(new Reply.MirrorReply(status, 2, "m"));
        }
        Reply.GetReply missing = (Reply.GetReply) WireCodec.reply(GetReply.parseFrom(
                WireCodec.proto(new Reply.GetReply(Status.NOT_FOUND, 2, "", null)).toByteArray()));
        assertThat(missing.record()).isNull();
        assertThat(WireCodec.reply(PingReply.parseFrom(WireCodec.proto(new Reply.PingReply(Status.OK, 2, "", "n7")).toByteArray())))
                .isEqualTo(new Reply.PingReply(Status.OK, 2, "", "n7"));
        assertThat(WireCodec.reply(PingReply.parseFrom(WireCodec.proto(new Reply.PingReply(Status.OK, 2, "", "n7", true)).toByteArray())))
                .isEqualTo(new Reply.PingReply(Status.OK, 2, "", "n7", true));
    }

    @Test
    void malformedWireMessagesAreRefused() {
        assertThatThrownBy(() -> WireCodec.request(GetRequest.newBuilder().setKey("k").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partition");
        assertThatThrownBy(() -> WireCodec.request(MirrorRequest.newBuilder().setPartition(WireCodec.ref(P)).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("record");
        assertThatThrownBy(() -> WireCodec.request(RepairRequest.newBuilder().setPartition(WireCodec.ref(P))
                .setRecord(io.cairn.node.rpc.Record.newBuilder().setKey("k")).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version");
        assertThatThrownBy(() -> WireCodec.request(SinceRequest.newBuilder().setPartition(WireCodec.ref(P))
                .setAfter(io.cairn.node.rpc.Version.newBuilder().setEpoch(-1)).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> WireCodec.reply(MirrorReply.newBuilder().setStatusValue(99).build()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WireCodec.proto(new Request.ReadStripe(1, P, "c", 10, 0, 10)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aShippedPageSurvivesTheWireAndOneWithoutItsPartsIsRefused() throws Exception {
        io.cairn.protocol.ShipPosition from = new io.cairn.protocol.ShipPosition(3, new Version(4, 2), new Version(4, 9));
        io.cairn.protocol.Shipment page = new io.cairn.protocol.Shipment(P, 5, V, from, true, false, new Version(4, 9),
                List.of(record()), "n1/7/4", List.of(new io.cairn.protocol.Shipment.Held("held/key", new Version(4, 1))));
        io.cairn.protocol.Shipment got = WireCodec.shipment(ShipmentMessage.parseFrom(WireCodec.shipment(page).toByteArray()));
        assertThat(List.of(got.partition(), got.round(), got.boundary(), got.from(), got.first(), got.last(), got.holeUntil(),
                got.shipper())).isEqualTo(List.of(P, 5L, V, from, true, false, new Version(4, 9), "n1/7/4"));
        assertThat(got.records()).hasSize(1);
        sameRecord(record(), got.records().getFirst());
        assertThat(got.held()).containsExactly(new io.cairn.protocol.Shipment.Held("held/key", new Version(4, 1)));
        ShipmentMessage noVersion = WireCodec.shipment(page).toBuilder().addHeld(HeldKey.newBuilder().setKey("other")).build();
        assertThatThrownBy(() -> WireCodec.shipment(noVersion)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version");
        assertThatThrownBy(() -> new io.cairn.protocol.Shipment(P, 5, V, from, true, false, new Version(4, 9), List.of(), "n1/7/4",
                List.of(new io.cairn.protocol.Shipment.Held("late", new Version(4, 3)))))
                .as("a held key above the position it starts from").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WireCodec.shipment(ShipmentMessage.newBuilder().setPartition(WireCodec.ref(P)).setRound(5).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lacks");
        assertThatThrownBy(() -> WireCodec.position(ShipPositionMessage.newBuilder().setPartition(WireCodec.ref(P)).setRound(2).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lacks");
    }
}
