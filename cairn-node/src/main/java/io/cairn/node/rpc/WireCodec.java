package io.cairn.node.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.cairn.core.partition.PartitionId;
import io.cairn.protocol.LogRecord;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Turns the protocol's typed messages ({@link Request}, {@link Reply}, {@link LogRecord}) into the
 * {@code node_rpc.proto} messages and back. Blobs pass through without a copy. A malformed
 * message (a missing partition, a bad version, an unknown status) is refused with
 * {@link IllegalArgumentException}, never turned into a default.
 */
public final class WireCodec {

    private WireCodec() {}

    // ---- small parts ----

    public static PartitionRef ref(PartitionId p) {
        return PartitionRef.newBuilder().setPool(p.pool()).setPartition(p.partition()).build();
    }

    public static PartitionId partition(PartitionRef ref) {
        if (ref.getPool().isEmpty() || ref.getPartition() < 0) {
            throw new IllegalArgumentException("the request names no partition (pool '" + ref.getPool() + "', " + ref.getPartition() + ")");
        }
        return new PartitionId(ref.getPool(), ref.getPartition());
    }

    public static io.cairn.node.rpc.Version version(io.cairn.core.partition.Version v) {
        return io.cairn.node.rpc.Version.newBuilder().setEpoch(v.epoch()).setSeq(v.seq()).build();
    }

    public static io.cairn.core.partition.Version version(io.cairn.node.rpc.Version v) {
        if (v.getEpoch() < 0 || v.getSeq() < 0) {
            throw new IllegalArgumentException("version " + v.getEpoch() + "." + v.getSeq() + " is negative");
        }
        return new io.cairn.core.partition.Version(v.getEpoch(), v.getSeq());
    }

    public static ByteString bytes(ByteBuffer data) {
        return UnsafeByteOperations.unsafeWrap(data.duplicate());
    }

    public static Record record(LogRecord r) {
        Record.Builder b = Record.newBuilder().setKey(r.key()).setVersion(version(r.version())).setTombstone(r.tombstone())
                .setMeta(ByteString.copyFrom(r.meta())).setHasBlob(r.hasBlob()).setBlobLength(r.blobLength())
                .setBlobCrc32C(r.blobCrc32c()).setUnderProtected(r.underProtected());
        if (r.blob() != null) {
            b.setBlob(bytes(r.blob()));
        }
        return b.build();
    }

    /** The record on the wire; its blob only where it carries one (a blob is never sent for a record without data). */
    public static LogRecord record(Record r) {
        if (!r.hasVersion()) {
            throw new IllegalArgumentException("record " + r.getKey() + " has no version");
        }
        ByteBuffer blob = r.getHasBlob() && !r.getBlob().isEmpty() ? r.getBlob().asReadOnlyByteBuffer() : null;
        return new LogRecord(r.getKey(), version(r.getVersion()), r.getTombstone(), r.getMeta().toByteArray(), blob, r.getHasBlob(),
                r.getBlobLength(), r.getBlobCrc32C(), r.getUnderProtected());
    }

    static io.cairn.protocol.Status status(Status s) {
        return switch (s) {
            case OK -> io.cairn.protocol.Status.OK;
            case NOT_FOUND -> io.cairn.protocol.Status.NOT_FOUND;
            case NOT_PRIMARY -> io.cairn.protocol.Status.NOT_PRIMARY;
            case STALE_EPOCH -> io.cairn.protocol.Status.STALE_EPOCH;
            case PEERING -> io.cairn.protocol.Status.PEERING;
            case CORRUPT -> io.cairn.protocol.Status.CORRUPT;
            case FULL -> io.cairn.protocol.Status.FULL;
            case REPLICATION_FAILED -> io.cairn.protocol.Status.REPLICATION_FAILED;
            case ERROR -> io.cairn.protocol.Status.ERROR;
            case TOO_FEW_COPIES -> io.cairn.protocol.Status.TOO_FEW_COPIES;
            case UNRECOGNIZED -> throw new IllegalArgumentException("unknown status on the wire");
        };
    }

    static Status status(io.cairn.protocol.Status s) {
        return Status.valueOf(s.name());
    }

    // ---- requests ----

    public static Request request(ApplyRequest r) {
        ByteBuffer blob = r.getHasBlob() ? r.getBlob().asReadOnlyByteBuffer() : null;
        return new Request.Apply(r.getEpoch(), partition(r.getPartition()), r.getKey(), r.getTombstone(), r.getMeta().toByteArray(), blob,
                r.getBlobCrc32C(), r.getHops(), r.hasOnlyIfBefore() ? version(r.getOnlyIfBefore()) : null);
    }

    public static Request request(MirrorRequest r) {
        if (!r.hasRecord()) {
            throw new IllegalArgumentException("a mirror without its record");
        }
        return new Request.Mirror(r.getEpoch(), partition(r.getPartition()), record(r.getRecord()), r.getPrimary(), r.getIncarnation());
    }

    public static Request request(GetRequest r) {
        return new Request.Get(r.getEpoch(), partition(r.getPartition()), r.getKey(), r.getWithBlob(), r.getLocalOnly(), r.getHops(),
                r.getLocalOnly() && r.getSettled(), r.getLocalOnly() && r.getSettled() && r.getLeased(), !r.getLocalOnly() && r.getSearch());
    }

    public static Request request(ScanRequest r) {
        return new Request.Scan(r.getEpoch(), partition(r.getPartition()), r.getPrefix(), r.getAfterKey(), r.getLimit(), r.getHops(),
                r.getDelimiter(), r.getSettled(), r.getSettled() && r.getLeased());
    }

    public static Request request(SinceRequest r) {
        return new Request.Since(r.getEpoch(), partition(r.getPartition()), r.hasAfter() ? version(r.getAfter())
                : io.cairn.core.partition.Version.ZERO, r.getLimit(), r.getHolder(), r.getHolderEpoch(), r.getUnderProtectedOnly(),
                r.getFrom(), r.getIncarnation());
    }

    public static Request request(RepairRequest r) {
        if (!r.hasRecord()) {
            throw new IllegalArgumentException("a block repair without its record");
        }
        return new Request.RepairBlock(r.getEpoch(), partition(r.getPartition()), record(r.getRecord()));
    }

    public static Request request(HandOverRequest r) {
        return new Request.HandOver(r.getEpoch(), partition(r.getPartition()), r.getHolder(), r.hasAfter() ? version(r.getAfter())
                : io.cairn.core.partition.Version.ZERO);
    }

    public static Request request(PingRequest r) {
        return new Request.Ping(r.getEpoch(), r.getFrom());
    }

    public static Request request(PrepareCutRequest r) {
        return new Request.PrepareCut(r.getEpoch(), r.getRound(), r.getCoordinator());
    }

    public static Request request(DecideCutRequest r) {
        return new Request.DecideCut(r.getEpoch(), r.getRound(), r.getRecorded());
    }

    /** The wire message of a request that may travel (every kind but the gateway's local stripe read). */
    public static com.google.protobuf.Message proto(Request request) {
        return switch (request) {
            case Request.Apply a -> {
                ApplyRequest.Builder b = ApplyRequest.newBuilder().setEpoch(a.epoch()).setPartition(ref(a.partition())).setKey(a.key())
                        .setTombstone(a.tombstone()).setMeta(ByteString.copyFrom(a.meta())).setBlobCrc32C(a.blobCrc32c()).setHops(a.hops());
                if (a.blob() != null) {
                    b.setHasBlob(true).setBlob(bytes(a.blob()));
                }
                if (a.onlyIfBefore() != null) {
                    b.setOnlyIfBefore(version(a.onlyIfBefore()));
                }
                yield b.build();
            }
            case Request.Mirror m -> MirrorRequest.newBuilder().setEpoch(m.epoch()).setPartition(ref(m.partition()))
                    .setRecord(record(m.record())).setPrimary(m.primary()).setIncarnation(m.incarnation()).build();
            case Request.Get g -> GetRequest.newBuilder().setEpoch(g.epoch()).setPartition(ref(g.partition())).setKey(g.key())
                    .setWithBlob(g.withBlob()).setLocalOnly(g.localOnly()).setHops(g.hops()).setSettled(g.settled())
                    .setLeased(g.leased()).setSearch(g.search()).build();
            case Request.Scan s -> ScanRequest.newBuilder().setEpoch(s.epoch()).setPartition(ref(s.partition())).setPrefix(s.prefix())
                    .setAfterKey(s.afterKey()).setLimit(s.limit()).setHops(s.hops()).setDelimiter(s.delimiter()).setSettled(s.settled())
                    .setLeased(s.leased()).build();
            case Request.Since s -> SinceRequest.newBuilder().setEpoch(s.epoch()).setPartition(ref(s.partition()))
                    .setAfter(version(s.after())).setLimit(s.limit()).setHolder(s.holder()).setHolderEpoch(s.holderEpoch())
                    .setUnderProtectedOnly(s.underProtectedOnly()).setFrom(s.from()).setIncarnation(s.incarnation()).build();
            case Request.RepairBlock b -> RepairRequest.newBuilder().setEpoch(b.epoch()).setPartition(ref(b.partition()))
                    .setRecord(record(b.record())).build();
            case Request.HandOver h -> HandOverRequest.newBuilder().setEpoch(h.epoch()).setPartition(ref(h.partition()))
                    .setHolder(h.holder()).setAfter(version(h.after())).build();
            case Request.Ping p -> PingRequest.newBuilder().setEpoch(p.epoch()).setFrom(p.from()).build();
            case Request.PrepareCut c -> PrepareCutRequest.newBuilder().setEpoch(c.epoch()).setRound(c.round())
                    .setCoordinator(c.coordinator()).build();
            case Request.DecideCut d -> DecideCutRequest.newBuilder().setEpoch(d.epoch()).setRound(d.round()).setRecorded(d.recorded()).build();
            case Request.ReadStripe s -> throw new IllegalArgumentException("a stripe read is local to its gateway: " + s);
        };
    }

    // ---- replies ----

    public static ApplyReply proto(Reply.ApplyReply r) {
        ApplyReply.Builder b = ApplyReply.newBuilder().setStatus(status(r.status())).setEpoch(r.epoch()).setMessage(r.message())
                .setKept(r.kept());
        if (r.version() != null) {
            b.setVersion(version(r.version()));
        }
        if (r.previous() != null) {
            b.setHasPrevious(true).setPrevious(record(r.previous()));
        }
        return b.build();
    }

    public static MirrorReply proto(Reply.MirrorReply r) {
        return MirrorReply.newBuilder().setStatus(status(r.status())).setEpoch(r.epoch()).setMessage(r.message()).build();
    }

    public static GetReply proto(Reply.GetReply r) {
        GetReply.Builder b = GetReply.newBuilder().setStatus(status(r.status())).setEpoch(r.epoch()).setMessage(r.message());
        if (r.record() != null) {
            b.setRecord(record(r.record()));
        }
        return b.build();
    }

    public static ScanReply proto(Reply.ScanReply r) {
        ScanReply.Builder b = ScanReply.newBuilder().setStatus(status(r.status())).setEpoch(r.epoch()).setMessage(r.message());
        r.records().forEach(x -> b.addRecords(record(x)));
        return b.build();
    }

    public static SinceReply proto(Reply.SinceReply r) {
        SinceReply.Builder b = SinceReply.newBuilder().setStatus(status(r.status())).setEpoch(r.epoch()).setMessage(r.message())
                .setMore(r.more()).setUnsettled(r.unsettled()).setIntact(r.intact());
        r.records().forEach(x -> b.addRecords(record(x)));
        if (r.last() != null) {
            b.setLast(version(r.last()));
        }
        if (r.protectedUpTo() != null) {
            b.setProtectedUpTo(version(r.protectedUpTo()));
        }
        return b.build();
    }

    public static RepairReply proto(Reply.RepairReply r) {
        return RepairReply.newBuilder().setStatus(status(r.status())).setEpoch(r.epoch()).setMessage(r.message()).build();
    }

    public static HandOverReply proto(Reply.HandOverReply r) {
        HandOverReply.Builder b = HandOverReply.newBuilder().setStatus(status(r.status())).setEpoch(r.epoch()).setMessage(r.message())
                .setAdopted(r.adopted());
        if (r.upTo() != null) {
            b.setUpTo(version(r.upTo()));
        }
        return b.build();
    }

    public static PingReply proto(Reply.PingReply r) {
        return PingReply.newBuilder().setEpoch(r.epoch()).setNode(r.node()).setLease(r.lease()).build();
    }

    public static PrepareCutReply proto(Reply.CutPrepared r) {
        PrepareCutReply.Builder b = PrepareCutReply.newBuilder().setStatus(status(r.status())).setEpoch(r.epoch()).setMessage(r.message())
                .setRound(r.round());
        r.boundaries().forEach((p, v) -> b.addBoundaries(CutBoundary.newBuilder().setPartition(ref(p)).setVersion(version(v))));
        return b.build();
    }

    public static DecideCutReply proto(Reply.CutDecided r) {
        return DecideCutReply.newBuilder().setStatus(status(r.status())).setEpoch(r.epoch()).setMessage(r.message()).build();
    }

    /** The typed reply of a wire reply. */
    public static Reply reply(com.google.protobuf.Message m) {
        return switch (m) {
            case ApplyReply r -> new Reply.ApplyReply(status(r.getStatus()), r.getEpoch(), r.getMessage(),
                    r.hasVersion() ? version(r.getVersion()) : null, r.getHasPrevious() ? record(r.getPrevious()) : null, r.getKept());
            case MirrorReply r -> new Reply.MirrorReply(status(r.getStatus()), r.getEpoch(), r.getMessage());
            case GetReply r -> new Reply.GetReply(status(r.getStatus()), r.getEpoch(), r.getMessage(), r.hasRecord() ? record(r.getRecord()) : null);
            case ScanReply r -> new Reply.ScanReply(status(r.getStatus()), r.getEpoch(), r.getMessage(), records(r.getRecordsList()));
            case SinceReply r -> new Reply.SinceReply(status(r.getStatus()), r.getEpoch(), r.getMessage(), records(r.getRecordsList()),
                    r.hasLast() ? version(r.getLast()) : null, r.getMore(), r.getUnsettled(),
                    r.hasProtectedUpTo() ? version(r.getProtectedUpTo()) : null, r.getIntact());
            case RepairReply r -> new Reply.RepairReply(status(r.getStatus()), r.getEpoch(), r.getMessage());
            case HandOverReply r -> new Reply.HandOverReply(status(r.getStatus()), r.getEpoch(), r.getMessage(),
                    r.hasUpTo() ? version(r.getUpTo()) : null, r.getAdopted());
            case PingReply r -> new Reply.PingReply(io.cairn.protocol.Status.OK, r.getEpoch(), "", r.getNode(), r.getLease());
            case PrepareCutReply r -> {
                java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version> boundaries = new java.util.TreeMap<>();
                r.getBoundariesList().forEach(b -> boundaries.put(partition(b.getPartition()), version(b.getVersion())));
                yield new Reply.CutPrepared(status(r.getStatus()), r.getEpoch(), r.getMessage(), r.getRound(), boundaries);
            }
            case DecideCutReply r -> new Reply.CutDecided(status(r.getStatus()), r.getEpoch(), r.getMessage());
            default -> throw new IllegalArgumentException("not a reply of the node protocol: " + m.getClass().getSimpleName());
        };
    }

    /** The wire form of a backup site's position of partition {@code p}. */
    public static ShipPositionMessage position(io.cairn.core.partition.PartitionId p, io.cairn.protocol.ShipPosition at) {
        return ShipPositionMessage.newBuilder().setPartition(ref(p)).setRound(at.round()).setBoundary(version(at.boundary()))
                .setHoleUntil(version(at.holeUntil())).build();
    }

    public static io.cairn.protocol.ShipPosition position(ShipPositionMessage m) {
        if (!m.hasBoundary() || !m.hasHoleUntil() || m.getRound() < 0) {
            throw new IllegalArgumentException("a ship position of " + m.getPartition() + " lacks its boundary or round");
        }
        return new io.cairn.protocol.ShipPosition(m.getRound(), version(m.getBoundary()), version(m.getHoleUntil()));
    }

    /** The wire form of one shipped page, blobs included. */
    public static ShipmentMessage shipment(io.cairn.protocol.Shipment s) {
        ShipmentMessage.Builder b = ShipmentMessage.newBuilder().setPartition(ref(s.partition())).setRound(s.round())
                .setBoundary(version(s.boundary())).setFrom(position(s.partition(), s.from())).setFirst(s.first()).setLast(s.last())
                .setHoleUntil(version(s.holeUntil())).setShipper(s.shipper());
        s.records().forEach(r -> b.addRecords(record(r)));
        s.held().forEach(h -> b.addHeld(HeldKey.newBuilder().setKey(h.key()).setVersion(version(h.version()))));
        return b.build();
    }

    /** The page a wire message carries; a message that lacks a part is refused. */
    public static io.cairn.protocol.Shipment shipment(ShipmentMessage m) {
        if (!m.hasPartition() || !m.hasBoundary() || !m.hasFrom() || !m.hasHoleUntil() || m.getShipper().isEmpty()) {
            throw new IllegalArgumentException("a shipped page lacks its partition, boundary, position, hole or shipper");
        }
        List<io.cairn.protocol.Shipment.Held> held = new java.util.ArrayList<>();
        for (HeldKey h : m.getHeldList()) {
            if (!h.hasVersion()) {
                throw new IllegalArgumentException("a held key of a shipped page lacks its version");
            }
            held.add(new io.cairn.protocol.Shipment.Held(h.getKey(), version(h.getVersion())));
        }
        return new io.cairn.protocol.Shipment(partition(m.getPartition()), m.getRound(), version(m.getBoundary()), position(m.getFrom()),
                m.getFirst(), m.getLast(), version(m.getHoleUntil()), records(m.getRecordsList()), m.getShipper(), held);
    }

    private static List<LogRecord> records(List<Record> records) {
        return records.stream().map(WireCodec::record).toList();
    }
}
